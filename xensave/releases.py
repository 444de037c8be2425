"""Xen releases as ``xensave`` names them: ``X.Y``, sets of them in the catalogue's
``xen_refuses`` syntax ("none", ``4.6-``, ``4.0-4.5,4.14``), and the range the release
tables describe. Standard library only, so that a command parsing ``--target-xen``
pays for nothing more."""

from __future__ import annotations

import argparse
import re
from functools import cache

Release = tuple[int, int]

#: The releases this table describes (4.0 to the newest tagged one).
FIRST_RELEASE: Release = (4, 0)
LAST_RELEASE: Release = (4, 22)


def fmt_release(r: Release) -> str:
    return f"{r[0]}.{r[1]}"


def parse_release(text: str) -> Release:
    """``X.Y`` -> (X, Y); ValueError (with the reason) for anything else or a release
    the table does not describe."""
    m = re.fullmatch(r"\s*(\d{1,3})\.(\d{1,3})\s*", text)
    if not m:
        raise ValueError(f"{text!r} is not a Xen release: give MAJOR.MINOR, e.g. 4.14")
    rel = (int(m.group(1)), int(m.group(2)))
    if not FIRST_RELEASE <= rel <= LAST_RELEASE:
        raise ValueError(
            f"xensave knows Xen {fmt_release(FIRST_RELEASE)} to {fmt_release(LAST_RELEASE)}, "
            f"not {fmt_release(rel)}"
        )
    return rel


def all_releases() -> list[Release]:
    """Every release the table describes, oldest first (4.0 ... 4.5, 4.6 ... LAST)."""
    return [(4, minor) for minor in range(FIRST_RELEASE[1], LAST_RELEASE[1] + 1)]


@cache
def release_set(text: str) -> frozenset[Release]:
    """The releases a catalogue ``xen_refuses`` value names: "none", or comma-separated
    ``X.Y`` and ``X.Y-[X.Y]`` ranges (an open range runs to LAST_RELEASE). ValueError
    for bad syntax, a reversed range or a release outside FIRST..LAST_RELEASE."""
    text = text.strip()
    if text == "none":
        return frozenset()
    out: set[Release] = set()
    for part in text.split(","):
        lo_text, dash, hi_text = part.partition("-")
        lo = parse_release(lo_text)
        hi = (parse_release(hi_text) if hi_text else LAST_RELEASE) if dash else lo
        if hi < lo:
            raise ValueError(f"release range {part!r} runs backwards")
        out.update(r for r in all_releases() if lo <= r <= hi)
    return frozenset(out)


def format_releases(releases: frozenset[Release] | set[Release]) -> str:
    """The inverse of :func:`release_set`: the shortest range list, or "none"."""
    ordered = all_releases()
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        if ordered[i] not in releases:
            i += 1
            continue
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] in releases:
            j += 1
        lo, hi = ordered[i], ordered[j]
        if hi == LAST_RELEASE and lo != hi:
            parts.append(f"{fmt_release(lo)}-")
        elif lo == hi:
            parts.append(fmt_release(lo))
        else:
            parts.append(f"{fmt_release(lo)}-{fmt_release(hi)}")
        i = j + 1
    return ",".join(parts) or "none"


def argparse_release(text: str) -> Release:
    """parse_release for argparse (a usage error, exit 2)."""
    try:
        return parse_release(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
