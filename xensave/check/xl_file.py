"""The ``XLF-`` rules of ``spec/xl-file.md``: the xl save file's header, optional
data and domain config (``ksy/xen_xl_save_file.ksy``). Where the libxl stream must
start is ``spec/nesting.md`` (:mod:`.nesting`)."""

from __future__ import annotations

from ..constants import XL_BYTEORDER_VALUE, XL_HEADER_SIZE, XL_MAGIC, XlMandatoryFlag
from ..reader import BODY_KEEP_MAX, ReadError, XlHeader
from .emit import CheckState, field_rule

CHECKS: dict[str, str] = {
    "XLF-HDR-001": "xl header: the 32-byte magic (first differing byte); truncated magic",
    "XLF-HDR-002": "xl header: byteorder word 0x01020304 in either byte order",
    "XLF-HDR-003": "xl header: note a big-endian file",
    "XLF-HDR-004": "xl header: mandatory_flags has only JSON and STREAMv2",
    "XLF-HDR-006": "xl header: optional_flags zero",
    "XLF-OPT-001": "xl optional data: present in full (framing loss)",
    "XLF-OPT-002": "xl optional data: optional_data_len is 0 or >= 4",
    "XLF-OPT-003": "xl optional data: 4 + config_len <= optional_data_len",
    "XLF-OPT-004": "xl optional data: note trailing optional data after the config",
    "XLF-CFG-001": "xl config: JSON flag => config_len > 0",
    "XLF-CFG-002": "xl config: JSON flag => last config byte NUL",
    "XLF-CFG-003": "xl config: JSON flag => UTF-8 JSON object before the NUL",
    "XLF-CFG-004": "xl config: note a config without the JSON flag",
    "XLF-CFG-005": "xl config: note a file without config",
    "XLF-STR-001": "xl header: note a legacy stream (STREAMv2 clear)",
}

#: Offsets in the file: optional_data_len (the last header word), config_len (the
#: first word of the optional data) and the config.
_OPT_LEN = XL_HEADER_SIZE - 4
_CONFIG_LEN = XL_HEADER_SIZE
_CONFIG = XL_HEADER_SIZE + 4

# Truncated header: (end of field, rule) for the first field that is incomplete.
_HDR_FIELDS = ((32, "XLF-HDR-001"), (36, "XLF-HDR-002"), (40, "XLF-HDR-004"))


def header(c: CheckState, h: XlHeader) -> None:
    c.layer = c.layer or "xl"
    c.carrier = "xl"
    c.xl = h
    if h.magic != XL_MAGIC:
        at = next(
            (i for i, (a, b) in enumerate(zip(h.magic, XL_MAGIC, strict=False)) if a != b),
            min(len(h.magic), 32),
        )
        c.emit(
            "XLF-HDR-001",
            at,
            "xl",
            f"the magic differs from 'Xen saved domain, xl format\\n \\0 \\r' at byte {at}",
        )
    if h.byteorder != XL_BYTEORDER_VALUE:
        c.emit(
            "XLF-HDR-002",
            0x20,
            "xl",
            f"byteorder word is {h.byteorder:#010x}: 0x01020304 in neither byte order",
        )
        c.xl_big = None
    else:
        c.xl_big = h.big_endian
        if h.big_endian:
            c.emit("XLF-HDR-003", 0x20, "xl", "the header words are big-endian")
    mflags = h.mandatory_flags
    if mflags & ~int(XlMandatoryFlag.JSON | XlMandatoryFlag.STREAM_V2):
        c.emit(
            "XLF-HDR-004",
            0x24,
            "xl",
            f"mandatory_flags {mflags:#010x} has unknown bits "
            f"{mflags & ~3:#010x} set (only JSON 0x1 and STREAMv2 0x2 are defined)",
        )
    if h.optional_flags:
        c.emit(
            "XLF-HDR-006",
            0x28,
            "xl",
            f"optional_flags is {h.optional_flags:#010x}; no optional flag is defined",
        )
    if not mflags & XlMandatoryFlag.STREAM_V2:
        c.emit("XLF-STR-001", 0x24, "xl", "the STREAMv2 flag is clear: a legacy stream follows")
    optional_data(c, h)


def optional_data(c: CheckState, h: XlHeader) -> None:
    olen = h.optional_data_len
    json_flag = bool(h.mandatory_flags & XlMandatoryFlag.JSON)
    if olen == 0:
        if json_flag:
            c.emit(
                "XLF-CFG-001",
                0x24,
                "xl",
                "the JSON flag is set but there is no optional data, so no config",
            )
        else:
            c.emit("XLF-CFG-005", _OPT_LEN, "xl", "the file carries no domain config")
        return
    if olen < 4:
        c.emit(
            "XLF-OPT-002",
            _OPT_LEN,
            "xl",
            f"optional_data_len is {olen}: too short for the 4-byte config_len word",
        )
        return
    if h.config_len is None:  # optional data truncated below 4 bytes: framing error
        return
    clen = h.config_len
    if 4 + clen > olen:
        c.emit(
            "XLF-OPT-003",
            _CONFIG_LEN,
            "xl",
            f"config_len {clen} does not fit in optional_data_len {olen} "
            f"(4 + config_len = {4 + clen})",
        )
        return
    if len(h.optional_data) < 4 + clen:  # truncated file: a framing error follows
        return
    if olen > 4 + clen and len(h.optional_data) >= min(olen, BODY_KEEP_MAX):
        c.emit(
            "XLF-OPT-004",
            _CONFIG + clen,
            "xl",
            f"{olen - 4 - clen} bytes of optional data follow the config",
        )
    config = h.config or b""
    if clen == 0:
        if json_flag:
            c.emit("XLF-CFG-001", _CONFIG_LEN, "xl", "the JSON flag is set but config_len is 0")
        else:
            c.emit("XLF-CFG-005", _CONFIG_LEN, "xl", "config_len is 0: no domain config")
        return
    if not json_flag:
        c.emit(
            "XLF-CFG-004",
            _CONFIG,
            "xl",
            "a config is present without the JSON flag (xl configuration-file text)",
        )
        return
    if config[-1] != 0:
        c.emit(
            "XLF-CFG-002",
            _CONFIG + clen - 1,
            "xl",
            f"the JSON config does not end with NUL (last byte {config[-1]:#04x})",
        )
        return
    problem = _json_object_problem(config[:-1])
    if problem is not None:
        c.emit("XLF-CFG-003", _CONFIG, "xl", f"the config is not a JSON object: {problem}")


def read_error(c: CheckState, e: ReadError, present: int) -> None:
    """The framing is lost in the xl header or its optional data."""
    if c.xl is None:
        rid = field_rule(_HDR_FIELDS, present, "XLF-OPT-001")
        c.emit(rid, e.offset, "xl", e.message)
    elif e.rule == "XLF-STR-001":
        c.unruled(
            e.offset,
            "xl",
            "a legacy (pre-Xen 4.6) stream follows the optional data; it is not "
            "checked (legacy streams are not implemented yet)",
        )
    else:
        c.emit("XLF-OPT-001", _OPT_LEN, "xl", e.message)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _json_object_problem(text: bytes) -> str | None:
    try:
        s = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 ({exc.reason} at byte {exc.start})"
    try:
        from .._jsonfast import loads  # json.loads, without importing json if it can

        value = loads(s, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        return str(exc)
    if not isinstance(value, dict):
        return f"the top-level value is a {type(value).__name__}, not an object"
    return None
