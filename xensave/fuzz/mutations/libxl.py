"""Mutations of the libxl stream (``spec/libxl-stream.md``,
``ksy/xen_libxl_stream.ksy``): header, record framing, LIBXC_CONTEXT, emulator
records, xenstore data, checkpoints; and of how it nests the libxc stream (the XL-NEST
rules of ``spec/nesting.md``)."""

from __future__ import annotations

import struct

from ...bodies import EmulatorRecord, encode_xenstore
from ...constants import EmulatorId, LibxlRecType
from ...model import LibxcStream, Record, padding_for
from ...writer import encode_record, to_bytes
from ..build import OPTIONAL, Generated
from ..choices import Chooser
from . import Applied, Mutation, mutation
from .helpers import (
    FRAMING,
    XLH,
    any_unaligned,
    body_len,
    damage_libxl_ident,
    is_hvm,
    is_pv,
    other_than,
    pick,
    some_body,
    typed,
    unaligned,
    xl_recs,
)

L = LibxlRecType


# --- header, records, END, LIBXC_CONTEXT -------------------------------------------------


def libxl_in(g: Generated) -> bool:
    return g.has_libxl


header_ident = mutation(
    "xl-ident",
    ["XL-HDR-001"],
    "a bare libxl stream whose ident 'LibxlFmt' is damaged after its first five octets",
    tags=("magic", *XLH),
    when=lambda g: g.layer == "libxl",
)(damage_libxl_ident)


@mutation(
    "xl-version",
    ["XL-HDR-002"],
    "libxl header version not 2",
    tags=("version", *XLH),
    when=libxl_in,
)
def header_version(ch: Chooser, g: Generated) -> str:
    h = g.libxl.header
    h.version = other_than(ch, [2], 0, 0xFFFFFFFF)
    return f"version {h.version}"


@mutation(
    "xl-options-reserved",
    ["XL-HDR-003"],
    "a reserved bit (2-31) of the libxl header options set",
    tags=("reserved-bits", *XLH),
    when=libxl_in,
)
def header_options_reserved_bit(ch: Chooser, g: Generated) -> str:
    bit = ch.integer(2, 31)
    g.libxl.header.options |= 1 << bit
    return f"options bit {bit}"


@mutation(
    "xl-padding",
    ["XL-REC-002"],
    "a padding octet of a libxl record not zero",
    tags=("reserved-bits", *FRAMING),
    when=lambda g: g.has_libxl and any_unaligned(xl_recs(g)),
)
def record_padding_nonzero(ch: Chooser, g: Generated) -> str:
    recs = xl_recs(g)
    i = pick(ch, unaligned(recs))
    n = padding_for(body_len(recs[i]))
    pad = bytearray(n)
    at = ch.integer(0, n - 1)
    pad[at] = ch.integer(1, 255)
    recs[i].padding = bytes(pad)
    return f"libxl {L(recs[i].type).name if recs[i].type < 6 else hex(recs[i].type)} padding"


def _insert_xl(ch: Chooser, g: Generated, rec: Record) -> int:
    """Insert a libxl record somewhere after the libxc stream, before END."""
    items = g.libxl.items
    first = next(k for k, it in enumerate(items) if isinstance(it, LibxcStream)) + 1
    at = ch.integer(first, len(items) - 1)
    items.insert(at, rec)
    return at


@mutation(
    "xl-reserved-type",
    ["XL-REC-004"],
    "a libxl record of a type in the reserved mandatory range 0x6-0x7FFFFFFF",
    tags=("unknown-record",),
    when=libxl_in,
)
def record_of_reserved_mandatory_type(ch: Chooser, g: Generated) -> str:
    rtype = ch.integer(6, 0x7FFFFFFF)
    _insert_xl(ch, g, Record(rtype, some_body(ch)))
    return f"libxl record of type {rtype:#x}"


@mutation(
    "xl-optional-record",
    [],
    "a libxl record of an unknown optional type (readers may skip or reject it)",
    tags=("optional-record", "unknown-record"),
    when=libxl_in,
    permits=["XL-REC-006"],
)
def record_of_unknown_optional_type(ch: Chooser, g: Generated) -> str:
    rtype = OPTIONAL | ch.integer(0, 0x7FFFFFFF)
    _insert_xl(ch, g, Record(rtype, ch.binary(24)))
    return f"libxl record of optional type {rtype:#x}"


@mutation(
    "xl-end-body", ["XL-END-001"], "libxl END with a body", tags=("end-record",), when=libxl_in
)
def end_with_body(ch: Chooser, g: Generated) -> str:
    end = g.libxl.items[-1]
    assert isinstance(end, Record)
    end.body = ch.binary(16) or b"\x00"
    return f"END body of {len(end.body_bytes('<'))} octets"


@mutation(
    "xl-drop-end",
    ["XL-END-002"],
    "a libxl stream (bare or in an xl file) without its END",
    tags=("end-record", "missing-record"),
    when=lambda g: g.layer in ("libxl", "xl"),
)
def end_dropped(ch: Chooser, g: Generated) -> str:
    g.libxl.items.pop()
    return "libxl END dropped"


@mutation(
    "xl-trailing",
    ["XL-END-003"],
    "octets after the libxl END (bare or in an xl file)",
    tags=("trailing-data",),
    when=lambda g: g.layer in ("libxl", "xl"),
)
def octets_after_end(ch: Chooser, g: Generated) -> str:
    g.libxl.trailer = ch.binary(24) or b"\x00"
    return f"{len(g.libxl.trailer)} octets after END"


@mutation(
    "xl-context-body",
    ["XL-CTX-001"],
    "LIBXC_CONTEXT with a body (before the libxc stream)",
    tags=("nesting",),
    when=libxl_in,
)
def libxc_context_with_body(ch: Chooser, g: Generated) -> str:
    ctx = g.libxl.items[0]
    assert isinstance(ctx, Record) and ctx.type == L.LIBXC_CONTEXT
    ctx.body = ch.binary(16) or b"\x00"
    return f"LIBXC_CONTEXT body of {len(ctx.body_bytes('<'))} octets"


# --- emulator records --------------------------------------------------------------------

EMU = ("emulator",)


def _emu(g: Generated, *types: int) -> list[Record]:
    types = types or (L.EMULATOR_XENSTORE_DATA, L.EMULATOR_CONTEXT)
    return [r for r in xl_recs(g) if r.type in types]


@mutation(
    "xl-emulator-short",
    ["XL-EMU-001"],
    "an emulator record shorter than its 8-octet sub-header",
    tags=("off-by-one", *EMU),
    when=lambda g: g.has_libxl and bool(_emu(g)),
)
def emulator_record_short(ch: Chooser, g: Generated) -> str:
    rec = pick(ch, _emu(g))
    rec.body = bytes(ch.integer(0, 7))
    return f"{L(rec.type).name} body of {len(rec.body_bytes('<'))} octets"


@mutation(
    "xl-emulator-id",
    ["XL-EMU-002"],
    "an emulator record with emulator_id above 2",
    tags=EMU,
    when=lambda g: g.has_libxl and bool(_emu(g)),
)
def emulator_id_above_2(ch: Chooser, g: Generated) -> str:
    rec = pick(ch, _emu(g))
    body = typed(rec, EmulatorRecord)
    body.emulator_id = other_than(ch, [0, 1, 2], 3, 0xFFFFFFFF)
    return f"emulator_id {body.emulator_id}"


@mutation(
    "xl-emulator-id-unknown",
    ["XL-EMU-003"],
    "emulator_id 0 (unknown) without the legacy bit (SHOULD)",
    tags=EMU,
    when=lambda g: g.has_libxl and bool(_emu(g)) and not g.libxl.header.options & 2,
)
def emulator_id_unknown(ch: Chooser, g: Generated) -> str:
    rec = pick(ch, _emu(g))
    typed(rec, EmulatorRecord).emulator_id = EmulatorId.UNKNOWN
    return f"{L(rec.type).name} emulator_id 0"


@mutation(
    "xl-emulator-in-pv",
    ["XL-EMU-004"],
    "an EMULATOR_CONTEXT in the libxl stream of a PV guest",
    tags=("wrong-guest", *EMU),
    when=lambda g: g.has_libxl and is_pv(g),
)
def emulator_context_in_pv(ch: Chooser, g: Generated) -> str:
    rec = Record(L.EMULATOR_CONTEXT, EmulatorRecord(2, 0, b"QEVM" + ch.binary(16)))
    _insert_xl(ch, g, rec)
    return "EMULATOR_CONTEXT in a PV stream"


@mutation(
    "xl-emulator-context-drop",
    ["XL-EMC-001"],
    "an HVM stream without EMULATOR_CONTEXT (SHOULD)",
    tags=("missing-record", *EMU),
    when=lambda g: g.has_libxl and is_hvm(g),
)
def emulator_context_dropped(ch: Chooser, g: Generated) -> str:
    items = g.libxl.items
    items[:] = [i for i in items if not (isinstance(i, Record) and i.type == L.EMULATOR_CONTEXT)]
    return "EMULATOR_CONTEXT dropped"


# --- xenstore data -----------------------------------------------------------------------

XS = ("xenstore", *EMU)


def _xs(g: Generated) -> list[Record]:
    return _emu(g, L.EMULATOR_XENSTORE_DATA)


def _xs_pairs(ch: Chooser, g: Generated) -> EmulatorRecord:
    return typed(pick(ch, _xs(g)), EmulatorRecord)


def _has_xs(g: Generated) -> bool:
    return g.has_libxl and bool(_xs(g))


@mutation(
    "xl-xenstore-no-nul",
    ["XL-XSD-001", "XL-XSD-002"],
    "xenstore data whose last value is not NUL-terminated (so the NUL-terminated "
    "strings are odd in number too)",
    tags=XS,
    when=_has_xs,
    sometimes=["XL-XSD-007"],
)
def xenstore_last_value_without_nul(ch: Chooser, g: Generated) -> Applied:
    body = _xs_pairs(ch, g)
    pairs = body.data.count(b"\x00") // 2
    body.data = body.data[:-1]
    if body.data.endswith(b"\x00"):  # the last value was empty: give it a character
        body.data += b"x"
    # with one pair only, no complete pair is left
    more = ("XL-XSD-007",) if pairs == 1 else ()
    return Applied(f"xenstore data ends {body.data[-8:]!r}", breaks=more)


@mutation(
    "xl-xenstore-odd",
    ["XL-XSD-002"],
    "xenstore data with a key and no value",
    tags=XS,
    when=_has_xs,
)
def xenstore_key_without_value(ch: Chooser, g: Generated) -> str:
    body = _xs_pairs(ch, g)
    body.data += b"dangling\x00"
    return "a key without a value"


def _xs_edit(rule: str, name: str, doc: str, key: bytes | None, value: bytes | None) -> Mutation:
    """A mutation that appends a pair with ``key`` or ``value`` (a good one for None)."""

    @mutation(name, [rule], doc, tags=XS, when=_has_xs)
    def append_pair(ch: Chooser, g: Generated) -> str:
        body = _xs_pairs(ch, g)
        k = key if key is not None else b"state"
        v = value if value is not None else b"running"
        body.data = body.data + encode_xenstore([(k, v)])
        return f"pair {k!r}={v!r}"

    return append_pair


xenstore_empty_key = _xs_edit(
    "XL-XSD-003", "xl-xenstore-empty-key", "xenstore data with an empty key", b"", None
)
xenstore_absolute_key = _xs_edit(
    "XL-XSD-004",
    "xl-xenstore-absolute-key",
    "xenstore key starting with '/'",
    b"/local/domain/7/state",
    None,
)
xenstore_key_bad_character = _xs_edit(
    "XL-XSD-005",
    "xl-xenstore-key-chars",
    "xenstore key with a character outside the alphabet",
    b"bad key!",
    None,
)
xenstore_value_not_printable = _xs_edit(
    "XL-XSD-006",
    "xl-xenstore-value",
    "xenstore value that is not printable ASCII (SHOULD)",
    None,
    b"\x01\xff",
)


@mutation(
    "xl-xenstore-empty",
    ["XL-XSD-007"],
    "an EMULATOR_XENSTORE_DATA record with no pairs (SHOULD)",
    tags=XS,
    when=_has_xs,
)
def xenstore_no_pairs(ch: Chooser, g: Generated) -> str:
    _xs_pairs(ch, g).data = b""
    return "no pairs"


# --- how the libxc stream nests (spec/nesting.md), checkpoints ---------------------------


@mutation(
    "xl-libxc-byte-order",
    ["XL-NEST-002"],
    "a libxc stream of the other byte order than the libxl stream around it",
    tags=("nesting", "big-endian"),
    when=libxl_in,
    permits=["XC-HDR-006"],
)
def libxc_byte_order_mismatch(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    h.options ^= 1
    return f"libxc {'big' if h.options & 1 else 'little'}-endian in a libxl stream"


@mutation(
    "xl-legacy-bit",
    ["XL-NEST-006"],
    "the libxl legacy bit set over a stream whose xen_major is not 0 (SHOULD)",
    tags=("nesting", "converted"),
    when=lambda g: g.has_libxl and not g.libxl.header.options & 2,
)
def legacy_bit_over_modern_stream(ch: Chooser, g: Generated) -> str:
    g.libxl.header.options |= 2
    return "legacy bit set"


@mutation(
    "xl-checkpoint-end-stray",
    ["XL-NEST-004", "XL-END-002"],
    "a CHECKPOINT_END just before the libxl END of a stream that no CHECKPOINT opened; "
    "libxc records resume after a CHECKPOINT_END, so END reads as libxc's and the libxl "
    "stream has none",
    tags=("nesting", "checkpointed"),
    when=libxl_in,
)
def checkpoint_end_stray(ch: Chooser, g: Generated) -> str:
    items = g.libxl.items
    items.insert(len(items) - 1, Record(L.CHECKPOINT_END))
    return "CHECKPOINT_END before libxl END"


# --- cuts inside libxl records, LIBXC_CONTEXT's place, a stray CHECKPOINT_STATE ----------


def _xl_record_offsets(g: Generated) -> tuple[bytes, list[tuple[int, int, int]]]:
    """The bytes of a bare libxl stream and (start, header end, record end) of each
    libxl record after its libxc stream."""
    data = to_bytes(g.image)
    s = g.libxl
    e = ">" if s.header.big_endian else "<"
    spans = []
    off = 16
    for item in s.items:
        if isinstance(item, LibxcStream):
            off += len(to_bytes(item))
            continue
        n = len(encode_record(item, e))
        if item.type != L.LIBXC_CONTEXT:
            spans.append((off, off + 8, off + n))
        off += n
    return data, spans


def bare_xl(g: Generated) -> bool:
    return g.layer == "libxl"


def _xl_body_to_cut(g: Generated) -> bool:
    """A span of :func:`_xl_record_offsets` ends past its header (a body or padding
    follows it), found without writing the image: this runs for every case."""
    return any(
        isinstance(item, Record)
        and item.type != L.LIBXC_CONTEXT
        and (body_len(item) > 0 or bool(item.padding))
        for item in g.libxl.items
    )


@mutation(
    "xl-cut-in-header",
    ["XL-REC-001"],
    "a bare libxl stream cut inside the header of a libxl record after the libxc stream",
    tags=("truncated", *FRAMING),
    when=bare_xl,
)
def cut_in_record_header(ch: Chooser, g: Generated) -> Applied:
    data, spans = _xl_record_offsets(g)
    i = ch.integer(0, len(spans) - 1)
    cut = spans[i][0] + ch.integer(1, 7)
    return Applied(f"cut {cut - spans[i][0]} octets into a libxl record header", data[:cut])


@mutation(
    "xl-cut-in-body",
    ["XL-REC-003"],
    "a bare libxl stream cut inside the body of a libxl record after the libxc stream",
    tags=("truncated", *FRAMING),
    when=lambda g: bare_xl(g) and _xl_body_to_cut(g),
)
def cut_in_record_body(ch: Chooser, g: Generated) -> Applied:
    data, spans = _xl_record_offsets(g)
    _, h, e = pick(ch, [s for s in spans if s[2] > s[1]])
    cut = ch.integer(h, e - 1)
    return Applied(f"cut {cut - h} octets into a libxl record's body", data[:cut])


@mutation(
    "xl-optional-first",
    ["XL-CTX-003"],
    "an optional libxl record before LIBXC_CONTEXT (SHOULD be first)",
    tags=("optional-record", "ordering"),
    when=libxl_in,
    permits=["XL-REC-006"],
)
def optional_record_before_libxc_context(ch: Chooser, g: Generated) -> str:
    rtype = OPTIONAL | ch.integer(0, 0x7FFFFFFF)
    g.libxl.items.insert(0, Record(rtype, ch.binary(16)))
    return f"optional libxl record {rtype:#x} first"


@mutation(
    "xl-libxc-missing",
    ["XL-NEST-001"],
    "LIBXC_CONTEXT followed by something other than a libxc image header (its marker "
    "and id both damaged)",
    tags=("nesting",),
    when=libxl_in,
)
def libxc_image_header_missing(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    h.marker = other_than(ch, [2**64 - 1], 0, 2**64 - 1)
    h.ident = other_than(ch, [0x58454E46], 0, 0xFFFFFFFF)
    return f"marker {h.marker:#x}, id {h.ident:#x}"


_CKS_DEFECTS = ("none", "short", "long-zero", "long-nonzero", "back-channel", "unknown")


@mutation(
    "xl-checkpoint-state-stray",
    ["XL-CKS-005"],
    "a CHECKPOINT_STATE not directly after a CHECKPOINT_END, perhaps with a defect of "
    "its own (short, long, a back-channel or unknown control_id)",
    tags=("colo",),
    when=libxl_in,
    sometimes=["XL-CKS-001", "XL-CKS-002", "XL-CKS-003", "XL-CKS-004", "XL-CKS-006"],
)
def checkpoint_state_stray(ch: Chooser, g: Generated) -> Applied:
    defect = _CKS_DEFECTS[ch.integer(0, len(_CKS_DEFECTS) - 1)]
    e = "<" if not g.libxl.header.big_endian else ">"
    control, extra = 0, b""
    more: tuple[str, ...] = ()
    if defect == "back-channel":
        control, more = ch.integer(1, 3), ("XL-CKS-004",)
    elif defect == "unknown":
        control, more = ch.integer(4, 0xFFFFFFFF), ("XL-CKS-003",)
    body = struct.pack(f"{e}I", control)
    if defect == "short":
        body, more = body[: ch.integer(0, 3)], ("XL-CKS-001",)
    elif defect == "long-zero":
        extra, more = bytes(ch.integer(1, 12)), ("XL-CKS-002",)
    elif defect == "long-nonzero":
        n = ch.integer(1, 12)
        extra = bytes(n - 1) + bytes([ch.integer(1, 255)])
        more = ("XL-CKS-002", "XL-CKS-006")
    at = _insert_xl(ch, g, Record(L.CHECKPOINT_STATE, body + extra))
    return Applied(f"CHECKPOINT_STATE ({defect}) as libxl item #{at}", breaks=more)
