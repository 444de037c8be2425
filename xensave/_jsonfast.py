"""``json.loads`` without importing ``json`` when the document is plainly valid.

An xl save file's configuration is JSON (XLF-CFG-003), so every verify of an xl file
parses some. ``import json`` costs as much as the rest of the verify's start-up: its
decoder compiles patterns with ``re``, which imports ``enum``, ``functools`` and
``collections``. The parsing itself is done by the C scanner behind ``json`` (the
``_json`` module), which needs none of them; this module calls it directly, with the
settings ``json.loads`` gives it. Whenever that scanner does not accept the whole
document cleanly (an error, a byte-order mark, trailing data, possibly deep nesting,
or no ``_json`` at all), ``json.loads`` itself runs, so that its result and its
exception (with its message) are what the caller gets.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from collections.abc import Callable

#: What JSON calls whitespace (json.decoder's WHITESPACE pattern).
_WS = " \t\n\r"
#: Nesting (counted as every "[" and "{", an upper bound) above which ``json.loads``
#: runs: far below the recursion limit, so that the scanner called from here can never
#: accept a document ``json.loads``, a few frames deeper, would refuse as too deep.
_MAX_OPENERS = 400
_FAILED = object()


class _Settings:
    """The attributes the C scanner reads from ``json.JSONDecoder`` (the defaults of
    ``json.loads``, but for ``parse_constant``)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    def __init__(self, parse_constant: Callable[[str], object]) -> None:
        self.parse_constant = parse_constant


def _scan(s: str, parse_constant: Callable[[str], object]) -> object:
    if s.startswith("\ufeff") or s.count("[") + s.count("{") > _MAX_OPENERS:
        return _FAILED
    try:
        from _json import make_scanner
    except ImportError:
        return _FAILED
    start = len(s) - len(s.lstrip(_WS))
    try:
        scanner = make_scanner(_Settings(parse_constant))  # type: ignore[arg-type]  # it reads only these
        value, end = scanner(s, start)
    except Exception:  # StopIteration, ValueError, RecursionError: json.loads says which
        return _FAILED
    if s[end:].lstrip(_WS):
        return _FAILED  # "Extra data"
    return value


def loads(s: str, parse_constant: Callable[[str], object]) -> object:
    """``json.loads(s, parse_constant=parse_constant)``: the same value, or the same
    exception."""
    value = _scan(s, parse_constant)
    if value is _FAILED:
        import json

        return json.loads(s, parse_constant=parse_constant)
    return value
