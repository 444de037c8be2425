"""xend save files (``xm save``, Xen 4.4 and older): framing, configuration, API.

xend wrote a 16-octet signature, the configuration's length as a big-endian signed
int32 and the configuration as an S-expression, then let ``xc_save`` write the legacy
libxc image; for an HVM guest it appended ``QemuDeviceModelRecord`` and qemu's state
to the end of the file (tools/python/xen/xend/XendCheckpoint.py:save, in Xen's
history before 4.5). ``XendCheckpoint.restore`` reads them back in that order and
parses the configuration with ``tools/python/xen/xend/sxp.py:Parser``, whose grammar
:func:`parse_sxp` follows so that a verdict on the configuration is xend's.

The reader calls :func:`xend_events`; the checker's rules are in
``xensave.check.xend``. What reads, replaces and converts a configuration is in
``xensave.xend_config`` (above the reader and the output policy).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING, TypeAlias

from ._slots import Struct
from .source import ReadError

if TYPE_CHECKING:
    from .legacy.read import HostReader, LegacyOptions

#: XendCheckpoint.py: SIGNATURE.
SIGNATURE = b"LinuxGuestRecord"
#: The configuration length word: Python's struct "!i" (network order, signed).
CONFIG_LEN_FMT = ">i"
HEADER_SIZE = len(SIGNATURE) + 4
#: What detection compares: enough of the signature to tell a damaged one apart.
DETECT_PREFIX = SIGNATURE[:10]
#: Configuration kept whole up to this size (xend's are a few KiB); beyond, a prefix.
CONFIG_KEEP_MAX = 16 << 20

SxpValue: TypeAlias = "str | list[SxpValue]"


class XendHeader(Struct):
    """The xend signature and configuration. ``config`` holds what the file has of it
    (a prefix when ``config_len`` is over CONFIG_KEEP_MAX or the file is short)."""

    offset: int
    signature: bytes
    config_len: int  # as stored: signed
    config: bytes
    config_complete: bool = True

    @property
    def config_offset(self) -> int:
        return self.offset + HEADER_SIZE

    @property
    def stream_offset(self) -> int:
        return self.config_offset + max(self.config_len, 0)


# --- the S-expression grammar of xend's sxp.Parser ------------------------------------------

_SPACE = " \t\n\v\f\r"
#: sxp.Parser.is_separator: these end an atom (and start a new one, but for parentheses).
_SEPARATORS = "{}()<>[];"
_ATOM_REST = re.compile(r"[^{}()<>\[\];# \t\n\v\f\r]*")
_SKIP_SPACE = re.compile(r"[ \t\n\v\f\r]*")
_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    "\\": "\\",
    "'": "'",
    '"': '"',
}
_HEX = "0123456789abcdefABCDEF"
_EOT = "\x04"  # sxp.Parser: ctrl-D ends the input
_OPEN_RUN = re.compile(r"\(+")
_CLOSE_RUN = re.compile(r"\)+")
#: What ends a run of plain characters in a string: its delimiter or a backslash.
_STRING_STOP = {'"': re.compile(r'["\\]'), "'": re.compile(r"['\\]")}


class SxpSyntaxError(ValueError):
    """A configuration xend's parser raises on (ParseError, or a crash in it)."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"offset {offset}: {message}")
        self.offset = offset
        self.message = message


class SxpParse(Struct):
    """What xend's parser makes of a configuration: ``value`` is the first complete
    top-level value (the one ``XendCheckpoint.restore`` takes), None if there is none;
    ``rest`` is True when anything but white space and comments follows it."""

    value: SxpValue | None
    end: int
    rest: bool
    truncated: bool = False  # values beyond SXP_NODES_MAX were read, not kept


#: Values (lists, atoms, strings) a parse keeps; beyond, the text is still read to the
#: end for xend's errors, but nothing more is built (a hostile configuration of 16 MiB
#: of parentheses must not cost gigabytes). xend's own configurations hold hundreds.
SXP_NODES_MAX = 200_000


def parse_sxp(text: bytes) -> SxpParse:
    """Parse ``text`` as xend's ``sxp.Parser.input`` does (every octet is fed, no
    end-of-input call), raising :class:`SxpSyntaxError` where xend's parser raises.
    Iterative: nesting depth costs list entries, never Python stack, and at most
    SXP_NODES_MAX values are kept."""
    s = text.decode("latin-1")  # xend's configuration was a Python 2 byte string
    n = len(s)
    i = 0
    stack: list[list[SxpValue]] = []
    first: SxpValue | None = None
    first_end = 0
    rest = False
    nodes = 0
    deep = 0  # lists opened past SXP_NODES_MAX: counted, not built

    def done(v: SxpValue, end: int) -> None:
        nonlocal first, first_end, rest
        if stack:
            stack[-1].append(v)
        elif first is None:
            first, first_end = v, end
        else:
            rest = True

    while i < n:
        i = _SKIP_SPACE.match(s, i).end()  # type: ignore[union-attr]
        if i >= n:
            break
        c = s[i]
        if c == "#":
            j = s.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if first is not None and not stack:
            rest = True
        if c == "(":  # a run of them at once: hostile input is mostly parentheses
            k = _OPEN_RUN.match(s, i).end() - i  # type: ignore[union-attr]
            built = 0 if deep else max(0, min(k, SXP_NODES_MAX - nodes))
            stack.extend([] for _ in range(built))
            nodes += built
            deep += k - built
            i += k
        elif c == ")" and deep:
            k = min(_CLOSE_RUN.match(s, i).end() - i, deep)  # type: ignore[union-attr]
            deep -= k
            i += k
        elif c == ")":
            if not stack:
                raise SxpSyntaxError(i, "')' closes no list")
            v = stack.pop()
            i += 1
            done(v, i)
        elif c in "\"'":
            got, i = _string(s, i)
            if got is None:
                break  # the input ends inside the string: no value, and no error
            if not deep and nodes < SXP_NODES_MAX:
                nodes += 1
                done(got, i)
        elif c == _EOT:
            if stack or deep:
                raise SxpSyntaxError(i, "the input ends (ctrl-D) inside a list")
            break
        elif " " <= c <= "~":  # string.printable less white space
            j = _ATOM_REST.match(s, i + 1).end()  # type: ignore[union-attr]
            if j >= n:
                break  # xend never sees the end of input: an atom at the end is not produced
            if not deep and nodes < SXP_NODES_MAX:
                nodes += 1
                done(s[i:j], j)
            i = j
        else:
            raise SxpSyntaxError(i, f"invalid character code {ord(c)}")
    return SxpParse(first, first_end, rest, nodes >= SXP_NODES_MAX)


def _string(s: str, i: int) -> tuple[str | None, int]:
    """A quoted string from ``s[i]`` (its delimiter) with xend's escapes; None when the
    input ends first (xend's parser then waits for more input: no value, no error)."""
    delim = s[i]
    i += 1
    out: list[str] = []
    n = len(s)
    stop = _STRING_STOP[delim]
    while True:
        m = stop.search(s, i)
        if m is None:
            return None, n
        out.append(s[i : m.start()])
        i = m.start()
        if s[i] == delim:
            return "".join(out), i + 1
        i += 1
        if i >= n:
            return None, n
        e = s[i]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 1
        elif e == "x":
            digits = s[i + 1 : i + 3]
            if any(d not in _HEX for d in digits):
                raise SxpSyntaxError(i - 1, "a \\x escape without two hex digits")
            if len(digits) < 2:
                return None, n
            out.append(chr(int(digits, 16)))
            i += 3
        elif e in "01234567":
            j = i
            while j < n and j < i + 3 and s[j] in "01234567":
                j += 1
            if j >= n and j < i + 3:
                return None, n
            value = int(s[i:j], 8)
            if value > 0xFF:
                raise SxpSyntaxError(i - 1, f"octal escape \\{s[i:j]} is over 0xff")
            out.append(chr(value))
            i = j
        else:  # xend keeps the backslash and drops the escaped character
            out.append("\\")
            i += 1


def _atom_ok(a: str) -> bool:
    return bool(a) and _ATOM_REST.fullmatch(a) is not None and a[0] not in "\"'" and "\\" not in a


def sxp_text(v: SxpValue) -> str:
    """``v`` as configuration text that :func:`parse_sxp` reads back as ``v``."""
    if isinstance(v, str):
        if _atom_ok(v) and all(" " < ch <= "~" for ch in v):
            return v
        out = []
        for ch in v:
            if ch in '\\"':
                out.append("\\" + ch)
            elif " " <= ch <= "~":
                out.append(ch)
            else:
                out.append(f"\\x{ord(ch):02x}")
        return '"' + "".join(out) + '"'
    return "(" + " ".join(sxp_text(x) for x in v) + ")"


def child(v: SxpValue, name: str) -> SxpValue | None:
    """The first child list of ``v`` named ``name`` (sxp.child)."""
    if isinstance(v, list):
        for x in v[1:]:
            if isinstance(x, list) and x and x[0] == name:
                return x
    return None


def child_value(v: SxpValue, name: str) -> SxpValue | None:
    """The first value of ``v``'s child ``name`` (sxp.child_value)."""
    c = child(v, name)
    return c[1] if isinstance(c, list) and len(c) > 1 else None


def image_kind(v: SxpValue) -> str | None:
    """The configuration's guest type as xend decided it: the name of the ``image``
    child's value, ``hvm`` or ``linux`` (XendConfig._sxp_to_xapi_unsupported)."""
    img = child_value(v, "image")
    if isinstance(img, list) and img and isinstance(img[0], str):
        return img[0]
    return None


# --- reading -----------------------------------------------------------------------------------


def detect(head: bytes) -> bool:
    return head.startswith(DETECT_PREFIX)


def xend_events(reader: HostReader, opts: LegacyOptions | None) -> Iterator[object]:
    """Hook for ``Reader`` (which imports this module, not the other way round): the
    xend header, then the legacy image's events; ``opts`` are the reader's legacy
    options."""
    from .legacy.read import legacy_events

    raw = reader._take(HEADER_SIZE)
    if len(raw) < HEADER_SIZE:
        rule = "XEND-HDR-001" if len(raw) < len(SIGNATURE) else "XEND-CFG-001"
        raise ReadError(
            0,
            f"truncated xend header: {len(raw)} of {HEADER_SIZE} bytes present",
            layer="xend",
            rule=rule,
        )
    (length,) = struct.unpack_from(CONFIG_LEN_FMT, raw, len(SIGNATURE))
    config = reader._take(min(max(length, 0), CONFIG_KEEP_MAX))
    hdr = XendHeader(0, raw[: len(SIGNATURE)], length, config, len(config) == length)
    if length > CONFIG_KEEP_MAX and len(config) == CONFIG_KEEP_MAX:
        skipped = reader.src.skip(length - CONFIG_KEEP_MAX)
        hdr.config_complete = False
        if skipped < length - CONFIG_KEEP_MAX:
            yield hdr
            raise ReadError(
                HEADER_SIZE,
                f"truncated xend configuration: {CONFIG_KEEP_MAX + skipped} of {length} "
                "bytes present",
                layer="xend",
                rule="XEND-CFG-001",
            )
    yield hdr
    if length <= 0:
        raise ReadError(
            len(SIGNATURE),
            f"the configuration length is {length}: xend reads no configuration from it",
            layer="xend",
            rule="XEND-CFG-001",
        )
    if len(config) < min(length, CONFIG_KEEP_MAX):
        raise ReadError(
            HEADER_SIZE,
            f"truncated xend configuration: {len(config)} of {length} bytes present",
            layer="xend",
            rule="XEND-CFG-001",
        )
    yield from legacy_events(reader, "xend", opts)
