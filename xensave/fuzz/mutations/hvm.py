"""Mutations of the x86 HVM records (``spec/libxc-stream.md``: HVM_CONTEXT,
HVM_PARAMS) and of the HVM context blob inside HVM_CONTEXT (``spec/hvm-context.md``,
``ksy/xen_hvm_context.ksy``)."""

from __future__ import annotations

import struct
from collections.abc import Sequence

from ...bodies import HvmParams
from ...constants import XcRecType
from ...model import Record
from ..build import Generated
from ..choices import Chooser
from . import Applied, mutation
from .helpers import is_hvm, nonzero, other_than, pick, typed, where, xc_recs

X = XcRecType


# --- HVM_CONTEXT -------------------------------------------------------------------------


@mutation(
    "xc-hvm-context-empty",
    ["XC-HVMC-001"],
    "HVM_CONTEXT with an empty body",
    tags=("hvm-context",),
    when=is_hvm,
)
def hvm_context_empty(ch: Chooser, g: Generated) -> str:
    i = where(xc_recs(g), X.HVM_CONTEXT)[0]
    xc_recs(g)[i].body = b""
    return f"record #{i} emptied"


@mutation(
    "xc-hvm-context-drop",
    ["XC-HVMC-002"],
    "an HVM stream without HVM_CONTEXT",
    tags=("missing-record", "hvm-context"),
    when=is_hvm,
)
def hvm_context_dropped(ch: Chooser, g: Generated) -> str:
    i = where(xc_recs(g), X.HVM_CONTEXT)[0]
    del xc_recs(g)[i]
    return f"record #{i} dropped"


# --- the HVM context blob (spec/hvm-context.md) ---------------------------------------------
# The generated blob is HEADER, a CPU entry per vCPU, END; each mutation breaks one
# HVM- rule, most by inserting one entry between HEADER and END.

_HVM_ENTRY = struct.Struct("<HHI")
_HVM_MAGIC = 0x54381286
_HVM_FIXED = {3: 8, 4: 400, 6: 1024, 7: 16, 8: 8, 9: 8, 10: 56, 12: 1048, 13: 8, 14: 240, 19: 8}
_HVM_AT_MOST = {2: 1032, 5: 32, 11: 24, 15: 32, 17: 216, 18: 32}
HC = ("hvm-context",)


def _hvm_items(g: Generated) -> tuple[Record, list[tuple[int, int, bytes]]]:
    """The HVM_CONTEXT record and its entries, END included (the generator's blob is
    well-formed, so the walk needs no checks)."""
    rec = xc_recs(g)[where(xc_recs(g), X.HVM_CONTEXT)[0]]
    body = rec.body
    assert isinstance(body, bytes)
    items, off = [], 0
    while True:
        code, inst, length = _HVM_ENTRY.unpack_from(body, off)
        items.append((code, inst, body[off + 8 : off + 8 + length]))
        off += 8 + length
        if code == 0:
            return rec, items


def _hvm_pack(items: Sequence[tuple[int, int, bytes]]) -> bytes:
    return b"".join(_HVM_ENTRY.pack(c, i, len(p)) + p for c, i, p in items)


def _hvm_insert(ch: Chooser, g: Generated, code: int, inst: int, payload: bytes) -> str:
    rec, items = _hvm_items(g)
    at = ch.integer(1, len(items) - 1)  # after HEADER, before END
    items.insert(at, (code, inst, payload))
    rec.body = _hvm_pack(items)
    return f"typecode {code} instance {inst}, {len(payload)} octets, as entry #{at}"


def _xsave(xcr0: int, accum: int, bv: int, comp: int = 0, rsvd: int = 0) -> bytes:
    return (
        struct.pack("<3Q", 0x7, xcr0, accum)
        + bytes(512)
        + struct.pack("<8Q", bv, comp, rsvd, 0, 0, 0, 0, 0)
    )


@mutation(
    "hvm-ctx-payload-past-end",
    ["HVM-FRAME-001"],
    "an HVM context whose END is replaced by a descriptor promising octets the blob lacks",
    tags=HC,
    when=is_hvm,
)
def blob_payload_past_end(ch: Chooser, g: Generated) -> str:
    rec, items = _hvm_items(g)
    length = ch.integer(1, 0xFFFFFFFF)
    rec.body = _hvm_pack(items[:-1]) + _HVM_ENTRY.pack(2, 0, length)
    return f"last descriptor declares {length} octets"


@mutation(
    "hvm-ctx-no-end",
    ["HVM-FRAME-002"],
    "an HVM context without END (0-7 stray octets instead)",
    tags=(*HC, "end-record"),
    when=is_hvm,
)
def blob_without_end(ch: Chooser, g: Generated) -> str:
    rec, items = _hvm_items(g)
    n = ch.integer(0, 7)
    rec.body = _hvm_pack(items[:-1]) + bytes(n)
    return f"END dropped, {n} octet(s) instead"


@mutation(
    "hvm-ctx-end-nonzero",
    ["HVM-FRAME-003"],
    "an HVM context END descriptor with a non-zero instance or length",
    tags=(*HC, "end-record"),
    when=is_hvm,
)
def blob_end_nonzero(ch: Chooser, g: Generated) -> str:
    rec, items = _hvm_items(g)
    inst, length = (
        (ch.integer(1, 0xFFFF), 0) if ch.integer(0, 1) else (0, ch.integer(1, 0xFFFFFFFF))
    )
    rec.body = _hvm_pack(items[:-1]) + _HVM_ENTRY.pack(0, inst, length)
    return f"END instance {inst} length {length}"


@mutation(
    "hvm-ctx-after-end",
    ["HVM-FRAME-004"],
    "octets after the END entry of an HVM context",
    tags=(*HC, "trailing-data"),
    when=is_hvm,
)
def blob_octets_after_end(ch: Chooser, g: Generated) -> str:
    rec, items = _hvm_items(g)
    extra = ch.binary(64) or b"\0"
    rec.body = _hvm_pack(items) + extra
    return f"{len(extra)} octet(s) after END"


@mutation(
    "hvm-ctx-header-dropped",
    ["HVM-HDR-001"],
    "an HVM context without its HEADER",
    tags=(*HC, "missing-record"),
    when=is_hvm,
)
def blob_header_dropped(ch: Chooser, g: Generated) -> str:
    rec, items = _hvm_items(g)
    rec.body = _hvm_pack(items[1:])
    return "HEADER dropped"


@mutation(
    "hvm-ctx-header-length",
    ["HVM-HDR-001"],
    "an HVM context HEADER of a length other than 24",
    tags=HC,
    when=is_hvm,
)
def blob_header_length(ch: Chooser, g: Generated) -> str:
    rec, items = _hvm_items(g)
    n = pick(ch, [k for k in range(41) if k != 24])
    items[0] = (1, 0, (items[0][2] + bytes(16))[:n])
    rec.body = _hvm_pack(items)
    return f"HEADER of {n} octets"


@mutation(
    "hvm-ctx-header-magic",
    ["HVM-HDR-002"],
    "an HVM context HEADER with the wrong magic",
    tags=(*HC, "magic"),
    when=is_hvm,
)
def blob_header_magic(ch: Chooser, g: Generated) -> str:
    rec, items = _hvm_items(g)
    magic = other_than(ch, [_HVM_MAGIC], 0, 0xFFFFFFFF)
    items[0] = (1, 0, struct.pack("<I", magic) + items[0][2][4:])
    rec.body = _hvm_pack(items)
    return f"magic {magic:#x}"


@mutation(
    "hvm-ctx-header-version",
    ["HVM-HDR-003"],
    "an HVM context HEADER with a version other than 1",
    tags=(*HC, "version"),
    when=is_hvm,
)
def blob_header_version(ch: Chooser, g: Generated) -> str:
    rec, items = _hvm_items(g)
    version = other_than(ch, [1], 0, 0xFFFFFFFF)
    p = items[0][2]
    items[0] = (1, 0, p[:4] + struct.pack("<I", version) + p[8:])
    rec.body = _hvm_pack(items)
    return f"version {version}"


@mutation(
    "hvm-ctx-header-twice",
    ["HVM-HDR-004"],
    "a second HEADER inside an HVM context",
    tags=(*HC, "duplicate-record"),
    when=is_hvm,
)
def blob_header_twice(ch: Chooser, g: Generated) -> str:
    _, items = _hvm_items(g)
    return _hvm_insert(ch, g, 1, 0, items[0][2])


@mutation(
    "hvm-ctx-unknown-typecode",
    ["HVM-TYPE-001"],
    "an HVM context entry of a typecode x86 Xen does not restore",
    tags=(*HC, "unknown-record"),
    when=is_hvm,
)
def entry_unknown_typecode(ch: Chooser, g: Generated) -> str:
    return _hvm_insert(ch, g, ch.integer(21, 0xFFFF), ch.integer(0, 3), ch.binary(32))


@mutation(
    "hvm-ctx-fixed-size",
    ["HVM-SIZE-001"],
    "an HVM context entry of a fixed-size typecode at another length",
    tags=HC,
    when=is_hvm,
)
def entry_fixed_size_other_length(ch: Chooser, g: Generated) -> str:
    code = pick(ch, sorted(_HVM_FIXED))
    size = _HVM_FIXED[code]
    n = pick(ch, [k for k in (0, 1, size - 1, size + 1, size + 8) if k >= 0])
    return _hvm_insert(ch, g, code, 0, bytes(n))


@mutation(
    "hvm-ctx-zero-extended-size",
    ["HVM-SIZE-002"],
    "an HVM context entry longer than its (zero-extended) structure",
    tags=HC,
    when=is_hvm,
)
def entry_longer_than_structure(ch: Chooser, g: Generated) -> str:
    code = pick(ch, sorted(_HVM_AT_MOST))
    return _hvm_insert(ch, g, code, 0, bytes(_HVM_AT_MOST[code] + ch.integer(1, 16)))


@mutation(
    "hvm-ctx-cpu-pad0",
    ["HVM-CPU-001"],
    "a 1032-octet CPU entry with a non-zero pad0",
    tags=(*HC, "reserved-bits"),
    when=is_hvm,
)
def cpu_pad0_nonzero(ch: Chooser, g: Generated) -> str:
    rec, items = _hvm_items(g)
    k = pick(ch, [k for k, e in enumerate(items) if e[0] == 2])
    code, inst, p = items[k]
    pad0 = ch.integer(1, 0xFFFFFFFF)
    items[k] = (code, inst, (p + bytes(8))[:1028] + struct.pack("<I", pad0))
    rec.body = _hvm_pack(items)
    return f"entry #{k}: pad0 {pad0:#x}"


@mutation(
    "hvm-ctx-pic-instance",
    ["HVM-PIC-001"],
    "a PIC entry with an instance other than 0 and 1",
    tags=HC,
    when=is_hvm,
)
def pic_instance_over_1(ch: Chooser, g: Generated) -> str:
    return _hvm_insert(ch, g, 3, ch.integer(2, 0xFFFF), bytes(8))


@mutation(
    "hvm-ctx-pci-link",
    ["HVM-LINK-001"],
    "a PCI_LINK entry routing a link past IRQ 15 (a non-zero pad0 octet is HVM-LINK-002)",
    tags=HC,
    when=is_hvm,
)
def pci_link_route_or_pad(ch: Chooser, g: Generated) -> str:
    p = bytearray(8)
    p[ch.integer(0, 3)] = ch.integer(16, 255)  # a route of 16 or more
    return _hvm_insert(ch, g, 9, 0, bytes(p))


@mutation(
    "hvm-ctx-pit",
    ["HVM-PIT-001"],
    "a PIT entry with speaker_data_on over 1 or a non-zero pad0",
    tags=HC,
    when=is_hvm,
)
def pit_speaker_or_pad(ch: Chooser, g: Generated) -> str:
    tail = (ch.integer(2, 0xFFFFFFFF), 0) if ch.integer(0, 1) else (0, ch.integer(1, 0xFFFFFFFF))
    gated = (bytes(15) + b"\x01") * 2 + bytes(16)  # counters 0 and 1 gated on (HVM-PIT-002)
    return _hvm_insert(ch, g, 10, 0, gated + struct.pack("<II", *tail))


@mutation(
    "hvm-ctx-xsave-short",
    ["HVM-XSAVE-001"],
    "a CPU_XSAVE entry under 600 octets",
    tags=HC,
    when=is_hvm,
)
def cpu_xsave_short(ch: Chooser, g: Generated) -> str:
    return _hvm_insert(ch, g, 16, 0, _xsave(1, 1, 1)[: ch.integer(0, 599)])


@mutation(
    "hvm-ctx-xsave-format",
    ["HVM-XSAVE-002"],
    "a CPU_XSAVE entry with xcomp_bv or a reserved header word set",
    tags=HC,
    when=is_hvm,
)
def cpu_xsave_compacted_or_reserved(ch: Chooser, g: Generated) -> str:
    comp, rsvd = (
        (ch.integer(1, 2**64 - 1), 0) if ch.integer(0, 1) else (0, ch.integer(1, 2**64 - 1))
    )
    return _hvm_insert(ch, g, 16, 0, _xsave(1, 1, 1, comp, rsvd))


@mutation(
    "hvm-ctx-xsave-xcr0",
    ["HVM-XSAVE-003"],
    "a CPU_XSAVE entry whose xcr0 lacks x87 or whose xcr0 or xstate_bv exceeds xcr0_accum",
    tags=HC,
    when=is_hvm,
)
def cpu_xsave_xcr0(ch: Chooser, g: Generated) -> str:
    kind = ch.integer(0, 2)
    args = [(6, 3, 3), (7, 3, 3), (3, 3, 7)][kind]  # 600 octets: xcr0_accum without AVX
    return _hvm_insert(ch, g, 16, 0, _xsave(*args))


@mutation(
    "hvm-ctx-msr-length",
    ["HVM-MSR-001"],
    "a CPU_MSR entry whose length is not 8 + 16 * count, or with no MSR",
    tags=HC,
    when=is_hvm,
)
def cpu_msr_length(ch: Chooser, g: Generated) -> str:
    count = ch.integer(0, 3)
    body = b"".join(struct.pack("<IIQ", 0x48, 0, 1) for _ in range(ch.integer(0, 3)))
    if count and len(body) == 16 * count:
        body += bytes(ch.integer(1, 15))
    return _hvm_insert(ch, g, 20, 0, struct.pack("<I4x", count) + body)


@mutation(
    "hvm-ctx-msr-reserved",
    ["HVM-MSR-002"],
    "a CPU_MSR entry with a non-zero reserved word",
    tags=(*HC, "reserved-bits"),
    when=is_hvm,
)
def cpu_msr_reserved_word(ch: Chooser, g: Generated) -> str:
    count = ch.integer(1, 3)
    bad = ch.integer(0, count - 1)
    body = b"".join(
        struct.pack("<IIQ", 0x48, ch.integer(1, 0xFFFFFFFF) if i == bad else 0, 1)
        for i in range(count)
    )
    return _hvm_insert(ch, g, 20, 0, struct.pack("<I4x", count) + body)


# --- HVM_PARAMS --------------------------------------------------------------------------

HP = ("hvm-params",)


def _params(g: Generated) -> tuple[int, HvmParams]:
    i = where(xc_recs(g), X.HVM_PARAMS)[0]
    return i, typed(xc_recs(g)[i], HvmParams)


@mutation(
    "xc-hvm-params-count-off",
    ["XC-HVMP-002"],
    "HVM_PARAMS count one more or one less than its entries",
    tags=("off-by-one", *HP),
    when=is_hvm,
    sometimes=["XC-HVMP-015"],
)
def hvm_params_count_off_by_one(ch: Chooser, g: Generated) -> Applied:
    _, hp = _params(g)
    n = len(hp.params)
    hp.count = n + 1 if n == 1 or ch.integer(0, 1) else n - 1
    short = ("XC-HVMP-015",) if hp.count > n else ()  # a body short of the count
    return Applied(f"count {hp.count} for {n} entries", breaks=short)


@mutation(
    "xc-hvm-params-short",
    ["XC-HVMP-001"],
    "HVM_PARAMS body shorter than 8 octets",
    tags=("off-by-one", *HP),
    when=is_hvm,
)
def hvm_params_body_short(ch: Chooser, g: Generated) -> str:
    i, _ = _params(g)
    n = ch.integer(0, 7)
    xc_recs(g)[i].body = bytes(n)
    return f"body of {n} octets"


@mutation(
    "xc-hvm-params-reserved",
    ["XC-HVMP-003"],
    "HVM_PARAMS reserved word not zero",
    tags=("reserved-bits", *HP),
    when=is_hvm,
)
def hvm_params_reserved_word(ch: Chooser, g: Generated) -> str:
    _, hp = _params(g)
    hp.reserved = nonzero(ch, 32)
    return f"reserved {hp.reserved:#x}"


@mutation(
    "xc-hvm-params-empty",
    ["XC-HVMP-004"],
    "HVM_PARAMS with count 0 (SHOULD)",
    tags=("errata", *HP),
    when=is_hvm,
)
def hvm_params_empty(ch: Chooser, g: Generated) -> str:
    i, _ = _params(g)
    xc_recs(g)[i].body = HvmParams([])
    return "count 0"
