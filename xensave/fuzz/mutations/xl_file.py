"""Mutations of the xl save file (``spec/xl-file.md``, ``ksy/xen_xl_save_file.ksy``),
and of how it nests the libxl stream (the XLF-NEST rules of ``spec/nesting.md``)."""

from __future__ import annotations

import json

from ...model import XlFile
from ...writer import to_bytes
from ..build import Generated
from ..choices import Chooser
from . import Applied, mutation
from .helpers import XLH, damage_libxl_ident, nonzero, other_than, pick

# --- xl save file ------------------------------------------------------------------------------

XLF = ("xl-header",)


def xl_of(g: Generated) -> XlFile:
    assert isinstance(g.image, XlFile)
    return g.image


def is_xl(g: Generated) -> bool:
    return g.layer == "xl"


@mutation(
    "xlf-magic",
    ["XLF-HDR-001"],
    "xl magic damaged after its first 16 octets",
    tags=("magic", *XLF),
    when=is_xl,
)
def magic(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    raw = bytearray(f.magic)
    k = ch.integer(16, 31)
    raw[k] ^= ch.integer(1, 255)
    f.magic = bytes(raw)
    return f"magic octet {k} = {raw[k]:#x}"


libxl_ident = mutation(
    "xlf-stream-ident",
    ["XLF-NEST-001"],
    "an xl file whose libxl ident is damaged (after its first five octets): no libxl "
    "stream where the header says",
    tags=("magic", "nesting", *XLH),
    when=lambda g: g.layer == "xl",
)(damage_libxl_ident)


@mutation(
    "xlf-byteorder",
    ["XLF-HDR-002"],
    "xl byteorder word not 0x01020304 in either byte order (a little-endian file: the "
    "byte order of a big-endian one is then unknowable)",
    tags=XLF,
    when=lambda g: is_xl(g) and not xl_of(g).big_endian,
)
def byteorder_word(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    f.byteorder = other_than(ch, [0x01020304, 0x04030201], 0, 0xFFFFFFFF)
    return f"byteorder {f.byteorder:#x}"


@mutation(
    "xlf-mandatory-unknown",
    ["XLF-HDR-004"],
    "an undefined mandatory_flags bit (2-31) set",
    tags=XLF,
    when=is_xl,
)
def mandatory_flags_undefined_bit(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    bit = ch.integer(2, 31)
    f.mandatory_flags = f.effective_mandatory_flags() | 1 << bit
    return f"mandatory_flags bit {bit}"


@mutation(
    "xlf-optional-flags",
    ["XLF-HDR-006"],
    "optional_flags not zero",
    tags=("reserved-bits", *XLF),
    when=is_xl,
)
def optional_flags_nonzero(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    f.optional_flags = nonzero(ch, 32)
    return f"optional_flags {f.optional_flags:#x}"


@mutation(
    "xlf-optional-data-len",
    ["XLF-OPT-002"],
    "1-3 octets of optional data (no room for a config length), no config",
    tags=("optional-data", *XLF),
    when=is_xl,
    permits=["XLF-CFG-005"],
)
def optional_data_without_config_len(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    f.config = None
    f.mandatory_flags = None
    f.optional_extra = bytes(ch.integer(1, 3))
    return f"optional_data_len {len(f.optional_extra)}"


@mutation(
    "xlf-cut-in-optional-data",
    ["XLF-OPT-001"],
    "an xl file cut inside its optional data",
    tags=("optional-data", "truncated"),
    when=lambda g: is_xl(g) and xl_of(g).config is not None,
)
def cut_in_optional_data(ch: Chooser, g: Generated) -> Applied:
    f = xl_of(g)
    assert f.config is not None
    n = 4 + len(f.config) + len(f.optional_extra)
    cut = 48 + ch.integer(0, n - 1)
    return Applied(
        f"cut {cut - 48} octets into {n} octets of optional data", to_bytes(g.image)[:cut]
    )


def has_config(g: Generated) -> bool:
    return is_xl(g) and xl_of(g).config is not None


def json_config(g: Generated) -> bool:
    return has_config(g) and bool(xl_of(g).effective_mandatory_flags() & 1)


@mutation(
    "xlf-config-len-over",
    ["XLF-OPT-003"],
    "config_len larger than the optional data holds",
    tags=("optional-data", "config"),
    when=has_config,
)
def config_len_over_optional_data(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    assert f.config is not None
    room = len(f.config) + len(f.optional_extra)
    f.config_len = ch.integer(room + 1, room + 64)
    return f"config_len {f.config_len} with {room} octets of room"


@mutation(
    "xlf-config-no-nul",
    ["XLF-CFG-002"],
    "a JSON config whose last octet is not NUL (the JSON kept whole)",
    tags=("config",),
    when=json_config,
)
def json_config_without_nul(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    assert f.config is not None
    f.config = f.config[:-1] + b" "
    return "config ends with a space instead of NUL"


@mutation(
    "xlf-config-not-json",
    ["XLF-CFG-003"],
    "a JSON-flagged config that is not a JSON object",
    tags=("config",),
    when=json_config,
)
def json_config_not_object(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    bad = (b"[1, 2]", b'{"c_info": ', b'name = "x"', json.dumps("x").encode(), b"\xff\xfe")
    f.config = pick(ch, bad) + b"\x00"
    return f"config {f.config!r}"


@mutation(
    "xlf-config-empty",
    ["XLF-CFG-001"],
    "the JSON flag set with config_len 0",
    tags=("config",),
    when=json_config,
)
def json_config_empty(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    f.config = b""
    f.mandatory_flags = 3
    return "config_len 0"


@mutation(
    "xlf-byte-order-mismatch",
    ["XLF-NEST-002"],
    "xl header words of the other byte order than the libxl stream",
    tags=("nesting", "big-endian", *XLF),
    when=is_xl,
    permits=["XLF-HDR-003"],
)
def byte_order_mismatch(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    f.big_endian = not f.big_endian
    return f"xl header {'big' if f.big_endian else 'little'}-endian"
