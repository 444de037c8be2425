"""xensave/constants.py agrees with ksy/, the normative home of every value in it.

Each test reads the ksy YAML (PyYAML, no Kaitai involved) and compares one group of
constants: magics, versions, header and entry sizes (summed from the seq field
types), flag bits (read from the ksy expressions), and every enum, name and value.
"""

from __future__ import annotations

import re
from enum import IntEnum
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from xensave import constants as c

KSY_DIR = Path(__file__).resolve().parent.parent / "ksy"

#: Constants whose Python name differs from the ksy enum id on purpose, as
#: (enum class, Python name) -> ksy id. None today; each entry must still be
#: needed (see test_name_aliases_are_still_needed).
NAME_ALIASES: dict[tuple[str, str], str] = {}


@cache
def spec(name: str) -> dict[str, Any]:
    data = yaml.safe_load((KSY_DIR / f"{name}.ksy").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


XC, XL, XLF = "xen_libxc_stream", "xen_libxl_stream", "xen_xl_save_file"


def typ(ksy: str, path: str) -> dict[str, Any]:
    """A type by its nesting path, e.g. "stream_section/record"; "" is the top level."""
    t = spec(ksy)
    for part in filter(None, path.split("/")):
        t = t["types"][part]
    return t


def field(ksy: str, path: str, fid: str) -> dict[str, Any]:
    for a in typ(ksy, path).get("seq") or []:
        if a["id"] == fid:
            return dict(a)
    raise KeyError(f"{ksy}:{path}: no field {fid}")


def instance(ksy: str, path: str, iid: str) -> str:
    return str(typ(ksy, path)["instances"][iid]["value"])


def enum(ksy: str, name: str, path: str = "") -> dict[int, str]:
    return {v: e["id"] for v, e in typ(ksy, path)["enums"][name].items()}


def contents(a: dict[str, Any]) -> bytes:
    raw = a["contents"]
    items = raw if isinstance(raw, list) else [raw]
    out = b""
    for item in items:
        out += item.encode("ascii") if isinstance(item, str) else bytes([item])
    return out


PRIMITIVE_BITS = re.compile(r"^(?:[us]([1248])(?:le|be)?|b(\d+)(?:le|be)?)$")


def bits(ksy: str, path: str, include: Any = None) -> int:
    """Bits of a fixed-size type: the sum of its seq fields (those `include` keeps)."""
    total = 0
    for a in typ(ksy, path).get("seq") or []:
        if include is not None and not include(a):
            continue
        if "contents" in a:
            total += 8 * len(contents(a))
            continue
        if isinstance(a.get("size"), int):
            total += 8 * a["size"]
            continue
        m = PRIMITIVE_BITS.match(str(a.get("type")))
        assert m and "repeat" not in a, f"{ksy}:{path}: {a['id']} is not of fixed size"
        total += 8 * int(m.group(1)) if m.group(1) else int(m.group(2))
    return total


def octets(ksy: str, path: str, include: Any = None) -> int:
    n = bits(ksy, path, include)
    assert n % 8 == 0
    return n // 8


def mask_in(expr: str) -> int:
    """The constant of a `(x & N) != 0` test."""
    m = re.fullmatch(r"\(\w+ & (0x[0-9a-f]+|\d+)\) != 0", expr)
    assert m, expr
    return int(m.group(1), 0)


def assert_enum(py: type[IntEnum], ksy_values: dict[int, str]) -> None:
    expected = {}
    for member in py:
        alias = NAME_ALIASES.get((py.__name__, member.name))
        expected[int(member)] = alias or member.name.lower()
    assert expected == ksy_values, py.__name__


# --- xl save file ------------------------------------------------------------------


def test_xl_magic_and_header() -> None:
    assert contents(field(XLF, "", "magic")) == c.XL_MAGIC
    hdr = "save_file_header"
    assert field(XLF, hdr, "byteorder")["valid"] == c.XL_BYTEORDER_VALUE
    probe = f"byteorder_probe == 0x{c.XL_BYTEORDER_VALUE:08x}"
    assert field(XLF, "", "header")["type"] == f"save_file_header({probe})"
    words = octets(XLF, hdr, lambda a: a["id"] != "optional_data")
    assert len(c.XL_MAGIC) + words == c.XL_HEADER_SIZE


def test_xl_flags() -> None:
    hdr = "save_file_header"
    assert mask_in(instance(XLF, hdr, "has_json_config")) == c.XlMandatoryFlag.JSON
    assert mask_in(instance(XLF, hdr, "has_stream_v2")) == c.XlMandatoryFlag.STREAM_V2
    # `max` stands for "no bit outside the known ones": the known bits are the low ones.
    known = int(c.XL_MANDATORY_FLAGS_KNOWN)
    assert known & (known + 1) == 0
    assert field(XLF, hdr, "mandatory_flags")["valid"] == {"max": known}
    assert field(XLF, hdr, "optional_flags")["valid"] == c.XL_OPTIONAL_FLAGS_KNOWN == 0


# --- libxl stream -------------------------------------------------------------------


def test_libxl_header() -> None:
    magic = contents(field(XL, "", "magic"))
    assert magic == c.LIBXL_IDENT_BYTES
    assert int.from_bytes(magic, "big") == c.LIBXL_IDENT
    assert field(XL, "", "version")["valid"] == c.LIBXL_VERSION
    assert octets(XL, "", lambda a: a["id"] != "records") == c.LIBXL_HEADER_SIZE
    assert mask_in(instance(XL, "", "is_big_endian")) == c.LIBXL_OPT_BIG_ENDIAN
    assert mask_in(instance(XL, "", "is_legacy_converted")) == c.LIBXL_OPT_LEGACY
    assert field(XL, "", "options")["valid"] == {"max": c.LIBXL_OPT_BIG_ENDIAN | c.LIBXL_OPT_LEGACY}


def test_libxl_enums() -> None:
    assert_enum(c.LibxlRecType, enum(XL, "rec_type"))
    assert_enum(c.EmulatorId, enum(XL, "emulator_id"))
    assert_enum(c.CheckpointControl, enum(XL, "checkpoint_control"))


# --- libxc stream -------------------------------------------------------------------


def test_libxc_image_header() -> None:
    ih = "ihdr"
    marker = contents(field(XC, ih, "marker"))
    assert int.from_bytes(marker, "big") == c.XC_MARKER
    assert field(XC, ih, "magic")["valid"] == c.XC_ID
    assert tuple(field(XC, ih, "version")["valid"]["any-of"]) == c.XC_VERSIONS
    assert octets(XC, ih) == c.XC_IMAGE_HEADER_SIZE
    assert mask_in(instance(XC, ih, "is_big_endian")) == c.XC_OPT_BIG_ENDIAN
    assert field(XC, ih, "options")["valid"] == {"max": c.XC_OPT_BIG_ENDIAN}


def test_libxc_domain_header() -> None:
    assert octets(XC, "stream_section/dhdr") == c.XC_DOMAIN_HEADER_SIZE
    assert_enum(c.DomainType, enum(XC, "domain_type"))


@pytest.mark.parametrize("ksy", [XC, XL])
def test_record_framing(ksy: str) -> None:
    rec = "stream_section/record" if ksy == XC else "record"
    header = octets(ksy, rec, lambda a: a["id"] in ("rec_type", "len_body"))
    assert header == c.REC_HEADER_SIZE
    pad = field(ksy, rec, "padding")
    assert pad["repeat-expr"] == f"({c.REC_ALIGN} - len_body % {c.REC_ALIGN}) % {c.REC_ALIGN}"
    assert pad["valid"] == 0
    # is_optional tests the type word as re-read from the record's start (rec_type
    # itself is an enum, which some targets cannot hold bit 31 in).
    raw = typ(ksy, rec)["instances"]["rec_type_raw"]
    assert (raw["pos"], raw["type"]) == ("ofs_record", "u4")
    m = re.fullmatch(r"rec_type_raw >> (\d+) != 0", instance(ksy, rec, "is_optional"))
    assert m and 1 << int(m.group(1)) == c.REC_TYPE_OPTIONAL


def test_libxc_record_types() -> None:
    assert_enum(c.XcRecType, enum(XC, "rec_type"))


def test_libxc_align_pad_type() -> None:
    # ALIGN_PAD is not in the rec_type enum (C# cannot hold 0xfffffff0 there); the
    # instance that names it tests the type word's two 16-bit halves.
    expr = instance(XC, "stream_section/record", "is_align_pad")
    m = re.fullmatch(
        r"rec_type_raw >> 16 == (0x[0-9a-f]+) and \(rec_type_raw & 0xffff\) == (0x[0-9a-f]+)", expr
    )
    assert m, expr
    assert int(m.group(1), 16) << 16 | int(m.group(2), 16) == c.XC_REC_ALIGN_PAD
    assert c.XC_REC_ALIGN_PAD & c.REC_TYPE_OPTIONAL
    assert c.XC_REC_ALIGN_PAD not in enum(XC, "rec_type")


def test_pfn_entry_layout() -> None:
    pe = "stream_section/pfn_entry"

    def little(a: dict[str, Any]) -> bool:
        return bool(a.get("if") == "not is_be")

    def big(a: dict[str, Any]) -> bool:
        return bool(a.get("if") == "is_be")

    assert octets(XC, pe, little) == octets(XC, pe, big) == c.PFN_ENTRY_SIZE
    # Little-endian order: PFN bits from 0 up, then the reserved bits, then the type.
    offsets: dict[str, tuple[int, int]] = {}
    at = 0
    for a in typ(XC, pe)["seq"]:
        if little(a):
            width = bits(XC, pe, lambda b, a=a: b is a)
            offsets[a["id"]] = (at, width)
            at += width
    pfn_bits = offsets["pfn_low_le"][1] + offsets["pfn_high_le"][1]
    assert (1 << pfn_bits) - 1 == c.PAGE_DATA_PFN_MASK
    start, width = offsets["reserved_le"]
    assert ((1 << width) - 1) << start == c.PAGE_DATA_RESERVED_MASK
    assert offsets["page_type_le"][0] == c.PAGE_DATA_TYPE_SHIFT
    # The big-endian fields are the same fields, the other way round.
    be = [a["id"].removesuffix("_be") for a in typ(XC, pe)["seq"] if big(a)]
    le = [a["id"].removesuffix("_le") for a in typ(XC, pe)["seq"] if little(a)]
    assert be == le[::-1]


def test_page_types() -> None:
    types = enum(XC, "page_type")
    assert_enum(c.PageType, types)
    m = re.fullmatch(
        r"page_type\.to_i < (\d+)", instance(XC, "stream_section/pfn_entry", "has_data")
    )
    assert m
    without = {v for v in types if v >= int(m.group(1))}
    reserved = set(range(16)) - set(types)
    assert reserved == set(c.PAGE_TYPES_RESERVED)
    # The ksy rejects a reserved type (valid: in-enum) before asking has_data; the
    # tools count one as sending no contents, as XC-PAGE-006 does.
    assert without | reserved == set(c.PAGE_TYPES_WITHOUT_DATA)
    assert not without & reserved


def test_other_enums() -> None:
    assert_enum(c.TscMode, enum(XC, "tsc_mode"))
    assert_enum(c.HvmParam, enum(XC, "hvm_param"))


def test_entry_sizes() -> None:
    assert octets(XC, "stream_section/hvm_param_entry") == c.HVM_PARAM_ENTRY_SIZE
    assert octets(XC, "stream_section/cpuid_leaf") == c.CPUID_LEAF_SIZE
    assert octets(XC, "stream_section/msr_entry") == c.MSR_ENTRY_SIZE
    head = octets(XC, "stream_section/x86_pv_vcpu_context", lambda a: a["id"] != "context")
    assert head == c.VCPU_HEADER_SIZE


def test_fixed_body_sizes() -> None:
    cases = typ(XC, "stream_section/record")["seq"][2]["type"]["cases"]
    decoded = {key.split("::")[1]: str(val).split("(")[0] for key, val in cases.items()}
    for rec, size in c.XC_FIXED_BODY.items():
        name = rec.name.lower()
        if size == 0:
            assert name not in decoded, f"{rec.name} has an empty body, so no body type"
        else:
            assert octets(XC, f"stream_section/{decoded[name]}") == size, rec.name


def test_name_aliases_are_still_needed() -> None:
    for (cls_name, py_name), ksy_id in NAME_ALIASES.items():
        members = getattr(c, cls_name).__members__
        assert py_name in members, f"alias {cls_name}.{py_name} is no longer needed; remove it"
        assert py_name.lower() != ksy_id, f"alias {cls_name}.{py_name} is no longer needed"
