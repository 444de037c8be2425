"""Mutations of the x86 HVM records (``spec/libxc-stream.md``: HVM_CONTEXT,
HVM_PARAMS) and of the HVM context blob inside HVM_CONTEXT (``spec/hvm-context.md``,
``ksy/xen_hvm_context.ksy``)."""

from __future__ import annotations

import struct
from collections.abc import Sequence

from ... import hvm_params
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


# --- HVM_PARAMS entries the restore path refuses (issue 14; xensave/hvm_params.py) ---------------
# Each adds one entry anywhere among the record's entries, or changes one: the generated
# images give no VIRIDIAN, IOREQ_SERVER_PFN, NR_IOREQ_SERVER_PAGES, deprecated or
# later-refused index, so nothing else is broken.


def _add_param(ch: Chooser, g: Generated, index: int, value: int) -> str:
    _, hp = _params(g)
    at = ch.integer(0, len(hp.params))
    hp.params.insert(at, (index, value))
    return f"param[{at}] = index {index:#x}, value {value:#x}"


@mutation(
    "xc-hvm-params-index-over",
    ["XC-HVMP-006"],
    "an HVM_PARAMS index at or above HVM_NR_PARAMS (39)",
    tags=HP,
    when=is_hvm,
)
def hvm_params_index_over(ch: Chooser, g: Generated) -> str:
    # hvm_params.check: an index of HVM_NR_PARAMS or more (any of 64 bits) is refused
    index = ch.integer(hvm_params.HVM_NR_PARAMS, 2**64 - 1)
    return _add_param(ch, g, index, ch.integer(0, 2**64 - 1))


#: HVM_PARAM_MEMORY_EVENT_CR0/CR3/CR4/INT3/SINGLE_STEP, BUFIOREQ_EVTCHN, MEMORY_EVENT_MSR
#: (xen/include/public/hvm/params.h); hvm_allow_set_param refuses each.
_DEPRECATED_PARAMS = (20, 21, 22, 23, 25, 26, 30)


@mutation(
    "xc-hvm-params-deprecated",
    ["XC-HVMP-007"],
    "an HVM_PARAMS index deprecated in every release (MEMORY_EVENT_*, BUFIOREQ_EVTCHN)",
    tags=HP,
    when=is_hvm,
)
def hvm_params_deprecated(ch: Chooser, g: Generated) -> str:
    return _add_param(ch, g, pick(ch, _DEPRECATED_PARAMS), ch.integer(0, 2**64 - 1))


def _bad_value(ch: Chooser) -> tuple[int, int]:
    """(index, value) that hvm_set_param refuses on every release."""
    which = ch.integer(0, 5)
    if which == 0:  # TIMER_MODE: HVMPTM_* 0-3
        return 10, ch.integer(4, 2**64 - 1)
    if which == 1:  # ACPI_S_STATE: S0 or S3
        return 14, other_than(ch, [0, 3], 1, 2**64 - 1)
    if which == 2:  # TRIPLE_FAULT_REASON: at most SHUTDOWN_MAX
        return 31, ch.integer(hvm_params.SHUTDOWN_MAX + 1, 2**64 - 1)
    if which == 3:  # NR_IOREQ_SERVER_PAGES: 1-64
        return 33, pick(ch, (0, ch.integer(65, 2**64 - 1)))
    if which == 4:  # X87_FIP_WIDTH: 0, 4 or 8
        return 36, other_than(ch, [0, 4, 8], 1, 2**64 - 1)
    # VM86_TSS_SIZED: a size (bits 32-63) below sizeof(struct tss32)
    return 37, ch.integer(0, hvm_params.TSS32_SIZE - 1) << 32 | ch.integer(0, 2**32 - 1)


@mutation(
    "xc-hvm-params-value",
    ["XC-HVMP-008"],
    "an HVM_PARAMS value hvm_set_param refuses (TIMER_MODE, ACPI_S_STATE, ...)",
    tags=HP,
    when=is_hvm,
)
def hvm_params_value(ch: Chooser, g: Generated) -> str:
    return _add_param(ch, g, *_bad_value(ch))


@mutation(
    "xc-hvm-params-viridian",
    ["XC-HVMP-009"],
    "an HVM_PARAMS VIRIDIAN value without base_freq (bit 0) or with a bit above 12",
    tags=HP,
    when=is_hvm,
)
def hvm_params_viridian(ch: Chooser, g: Generated) -> str:
    mask = hvm_params.VIRIDIAN_MASK  # HVMPV_feature_mask: bits 0-12
    if ch.integer(0, 1):
        value = ch.integer(0, mask) & ~1  # no base_freq
    else:
        value = ch.integer(0, mask) | 1 | nonzero(ch, 51) << mask.bit_length()
    return _add_param(ch, g, 9, value)


@mutation(
    "xc-hvm-params-changed",
    ["XC-HVMP-010"],
    "an HVM_PARAMS set-once parameter given twice with different non-zero values",
    tags=HP,
    when=is_hvm,
)
def hvm_params_changed(ch: Chooser, g: Generated) -> str:
    _, hp = _params(g)
    which = ch.integer(0, 2)
    # the second value differs from the first and is valid on its own
    if which == 0:  # VIRIDIAN: base_freq (bit 0) and bits 1-12 only
        a = 1 | ch.integer(0, 0xFFF) << 1
        index, b = 9, a ^ 1 << ch.integer(1, 12)
    elif which == 1:  # NR_IOREQ_SERVER_PAGES: 1-64
        a = ch.integer(1, 64)
        index, b = 33, a % 64 + 1
    else:  # IOREQ_SERVER_PFN: any
        a = ch.integer(1, 2**64 - 1)
        index, b = 32, a ^ nonzero(ch, 64)
    first = ch.integer(0, len(hp.params))
    hp.params.insert(first, (index, a))
    second = ch.integer(first + 1, len(hp.params))
    hp.params.insert(second, (index, b))
    return f"index {index}: {a:#x} in param[{first}], {b:#x} in param[{second}]"


@mutation(
    "xc-hvm-params-pae-enabled",
    ["XC-HVMP-011"],
    "an HVM_PARAMS entry naming PAE_ENABLED (SHOULD)",
    tags=HP,
    when=is_hvm,
)
def hvm_params_pae_enabled(ch: Chooser, g: Generated) -> str:
    return _add_param(ch, g, 4, ch.integer(0, 2**64 - 1))


@mutation(
    "xc-hvm-params-nestedhvm",
    ["XC-HVMP-012"],
    "an HVM_PARAMS entry naming NESTEDHVM",
    tags=HP,
    when=is_hvm,
)
def hvm_params_nestedhvm(ch: Chooser, g: Generated) -> str:
    return _add_param(ch, g, 24, ch.integer(0, 2**64 - 1))


@mutation(
    "xc-hvm-params-dm-domain",
    ["XC-HVMP-013"],
    "an HVM_PARAMS entry naming DM_DOMAIN",
    tags=HP,
    when=is_hvm,
)
def hvm_params_dm_domain(ch: Chooser, g: Generated) -> str:
    return _add_param(ch, g, 13, ch.integer(0, 2**64 - 1))


@mutation(
    "xc-hvm-params-altp2m",
    ["XC-HVMP-014"],
    "an HVM_PARAMS entry naming ALTP2M",
    tags=HP,
    when=is_hvm,
)
def hvm_params_altp2m(ch: Chooser, g: Generated) -> str:
    # 0 or 1: hvm_set_param (xen/arch/x86/hvm/hvm.c) refuses a larger value in every
    # release before 4.19 too (above 1 in 4.6-4.8, above XEN_ALTP2M_limited, 3, from
    # 4.9), which no rule says yet (XC-HVMP-008 does not list ALTP2M)
    return _add_param(ch, g, 35, ch.integer(0, 1))


# --- what the load handlers refuse (issue 14; xensave/hvm_context.py holds the facts) -----------


def _cpu_edit(ch: Chooser, g: Generated, at: int, fmt: str, value: int) -> str:
    """Write ``value`` at payload offset ``at`` of one CPU entry, grown to the current
    1032 octets first (a zero flags and pad0) where it is the older 1024."""
    rec, items = _hvm_items(g)
    k = pick(ch, [k for k, e in enumerate(items) if e[0] == 2])
    code, inst, p = items[k]
    b = bytearray(p.ljust(1032, b"\0"))
    struct.pack_into(fmt, b, at, value)
    items[k] = (code, inst, bytes(b))
    rec.body = _hvm_pack(items)
    return f"entry #{k} (CPU {inst}): {value:#x} at payload offset {at}"


@mutation(
    "hvm-ctx-cpu-cr0",
    ["HVM-CPU-002"],
    "a CPU entry whose cr0 lacks ET, has PG without PE, or a bit outside 0xe005003f",
    tags=HC,
    when=is_hvm,
)
def cpu_cr0(ch: Chooser, g: Generated) -> str:
    which = ch.integer(0, 2)
    pe, et, pg = 1, 1 << 4, 1 << 31
    if which == 0:  # ET clear
        cr0 = ch.integer(0, 0xFFFFFFFF) & 0xE005003F & ~et | pe
    elif which == 1:  # PG without PE
        cr0 = (ch.integer(0, 0xFFFFFFFF) & 0xE005003F | et | pg) & ~pe
    else:  # a reserved bit
        cr0 = 0x80000011 | 1 << pick(ch, [b for b in range(64) if not 0xE005003F >> b & 1])
    return _cpu_edit(ch, g, 656, "<Q", cr0)


@mutation(
    "hvm-ctx-cpu-flags",
    ["HVM-CPU-003"],
    "a CPU entry whose flags has a bit other than XEN_X86_FPU_INITIALISED",
    tags=(*HC, "reserved-bits"),
    when=is_hvm,
)
def cpu_flags(ch: Chooser, g: Generated) -> str:
    return _cpu_edit(ch, g, 1024, "<I", ch.integer(0, 1) | nonzero(ch, 31) << 1)


@mutation(
    "hvm-ctx-cpu-tsc-aux",
    ["HVM-CPU-004"],
    "a (1032-octet) CPU entry whose msr_tsc_aux does not fit in 32 bits",
    tags=HC,
    when=is_hvm,
)
def cpu_tsc_aux(ch: Chooser, g: Generated) -> str:
    return _cpu_edit(ch, g, 1000, "<Q", nonzero(ch, 32) << 32 | ch.integer(0, 2**32 - 1))


@mutation(
    "hvm-ctx-cpu-dr67",
    ["HVM-CPU-005"],
    "a CPU entry whose dr6 or dr7 does not fit in 32 bits",
    tags=HC,
    when=is_hvm,
)
def cpu_dr6_dr7(ch: Chooser, g: Generated) -> str:
    at = pick(ch, (720, 728))
    return _cpu_edit(ch, g, at, "<Q", nonzero(ch, 32) << 32 | ch.integer(0, 2**32 - 1))


@mutation(
    "hvm-ctx-pic-state",
    ["HVM-PIC-002"],
    "a PIC entry (instance 0 or 1) whose state no 8259 reaches",
    tags=HC,
    when=is_hvm,
)
def pic_unreachable(ch: Chooser, g: Generated) -> str:
    # irr imr isr irq_base init_bits (init_state: bits 0-3) mode_bits (is_master: bit 6)
    # elcr int_output; a reachable one first, then one thing wrong
    inst = ch.integer(0, 1)
    p = bytearray(8)
    p[5] = 0x40 if inst == 0 else 0
    which = ch.integer(0, 3)
    if which == 0:
        p[7] = ch.integer(2, 255)  # int_output not 0 or 1
    elif which == 1:
        p[5] ^= 0x40  # is_master wrong for the instance
    elif which == 2:
        p[4], p[7] = ch.integer(1, 15), 1  # int_output during initialisation
    else:  # elcr bits an 8259 of this kind lacks (master 0x03, slave 0x21)
        p[6] = pick(ch, (1, 2) if inst == 0 else (1, 0x20))
    return _hvm_insert(ch, g, 3, inst, bytes(p))


@mutation(
    "hvm-ctx-pci-link-pad",
    ["HVM-LINK-002"],
    "a PCI_LINK entry with a non-zero pad0 octet (its routes all ISA IRQs)",
    tags=(*HC, "reserved-bits"),
    when=is_hvm,
)
def pci_link_pad(ch: Chooser, g: Generated) -> str:
    p = bytearray(ch.integer(0, 15) for _ in range(4)) + bytearray(4)
    p[4 + ch.integer(0, 3)] = ch.integer(1, 255)
    return _hvm_insert(ch, g, 9, 0, bytes(p))


#: A PIT every counter of which is reachable: counters 0 and 1 gated on.
_PIT_OK = (bytes(15) + b"\x01") * 2 + bytes(16) + bytes(8)


@mutation(
    "hvm-ctx-pit-state",
    ["HVM-PIT-002"],
    "a PIT entry with a counter state no 8254 reaches",
    tags=HC,
    when=is_hvm,
)
def pit_unreachable(ch: Chooser, g: Generated) -> str:
    # per counter, 16 octets: count (u32), latched_count (u16), count_latched,
    # status_latched, status, read_state, write_state, write_latch, rw_mode, mode, bcd, gate
    p = bytearray(_PIT_OK)
    c = ch.integer(0, 2)
    at = 16 * c
    which = ch.integer(0, 4)
    if which == 0:
        struct.pack_into("<I", p, at, ch.integer(0x10001, 0xFFFFFFFF))
    elif which == 1:
        p[at + pick(ch, (6, 9, 10))] = ch.integer(5, 255)
    elif which == 2:
        p[at + 12] = ch.integer(4, 255)
    elif which == 3:
        p[at + pick(ch, (14, 15))] = ch.integer(2, 255)
    else:
        c = ch.integer(0, 1)
        p[16 * c + 15] = 0  # counters 0 and 1 are always gated on
    return _hvm_insert(ch, g, 10, 0, bytes(p))


@mutation(
    "hvm-ctx-lapic-x2apic",
    ["HVM-LAPIC-001"],
    "a LAPIC entry in x2APIC mode (EXTD) without the enable bit (EN)",
    tags=HC,
    when=is_hvm,
)
def lapic_x2apic_disabled(ch: Chooser, g: Generated) -> str:
    base = (ch.integer(0, 2**64 - 1) | 1 << 10) & ~(1 << 11)
    length = pick(ch, (24, 32))  # the entry of Xen 4.6-4.20, and with pending_esr
    return _hvm_insert(ch, g, 5, 0, struct.pack("<Q", base).ljust(length, b"\0"))


@mutation(
    "hvm-ctx-mtrr-vcnt",
    ["HVM-MTRR-001"],
    "an MTRR entry whose MTRRcap says more than 8 variable ranges",
    tags=HC,
    when=is_hvm,
)
def mtrr_vcnt(ch: Chooser, g: Generated) -> str:
    p = bytearray(240)
    struct.pack_into("<Q", p, 224, ch.integer(0, 2**56 - 1) << 8 | ch.integer(9, 255))
    return _hvm_insert(ch, g, 14, 0, bytes(p))


@mutation(
    "hvm-ctx-viridian-pad",
    ["HVM-VIRIDIAN-001"],
    "a VIRIDIAN_VCPU entry with a non-zero _pad octet",
    tags=(*HC, "reserved-bits"),
    when=is_hvm,
)
def viridian_vcpu_pad(ch: Chooser, g: Generated) -> str:
    # vp_assist_msr (u64), apic_assist_pending (u8), _pad[7], then later fields
    p = bytearray(pick(ch, (16, 216)))
    p[9 + ch.integer(0, 6)] = ch.integer(1, 255)
    return _hvm_insert(ch, g, 17, 0, bytes(p))


@mutation(
    "hvm-ctx-vmce-caps",
    ["HVM-VMCE-001"],
    "a VMCE_VCPU entry whose caps has a bit outside 0x09000dff",
    tags=HC,
    when=is_hvm,
)
def vmce_caps(ch: Chooser, g: Generated) -> str:
    bit = pick(ch, [b for b in range(64) if not 0x09000DFF >> b & 1])
    caps = ch.integer(0, 0x09000DFF) & 0x09000DFF | 1 << bit
    return _hvm_insert(ch, g, 18, 0, struct.pack("<Q", caps).ljust(pick(ch, (8, 32)), b"\0"))


#: The standard XSAVE sizes (CPUID leaf 0xD on every x86): the legacy area and header,
#: and YMM's 256 octets after them. A CPU_XSAVE payload is 24 octets (xfeature_mask,
#: xcr0, xcr0_accum) then the area.
_XSAVE_LEGACY, _XSAVE_YMM = 512 + 64, 256


def _xsave_entry(xcr0: int, accum: int, length: int, bv: int = 1) -> bytes:
    return _xsave(xcr0, accum, bv).ljust(length, b"\0")[:length]


@mutation(
    "hvm-ctx-xsave-invalid-xcr0",
    ["HVM-XSAVE-004"],
    "a CPU_XSAVE xcr0 or xcr0_accum Xen calls invalid (YMM without SSE, part of AVX-512, "
    "one MPX component)",
    tags=HC,
    when=is_hvm,
)
def cpu_xsave_invalid_xcr0(ch: Chooser, g: Generated) -> str:
    which = ch.integer(0, 2)
    if which == 0:  # x87|YMM: its standard size
        bad, size = 0b101, _XSAVE_LEGACY + _XSAVE_YMM
    elif which == 1:  # some of OPMASK, ZMM, HI_ZMM: sizes are the host's, not checked
        bad, size = 0b111 | ch.integer(1, 6) << 5, _XSAVE_LEGACY + _XSAVE_YMM
    else:  # BNDREGS without BNDCSR, or the other way
        bad, size = 0b11 | pick(ch, (1 << 3, 1 << 4)), _XSAVE_LEGACY
    if ch.integer(0, 1):  # in xcr0_accum (and xcr0), or in xcr0 only of a larger accum
        xcr0, accum = bad, bad
    else:
        accum = 0b111 if which == 0 else bad | 0b11000 if which == 2 else 0b11100111
        xcr0, size = bad, _XSAVE_LEGACY + _XSAVE_YMM
    return _hvm_insert(ch, g, 16, 0, _xsave_entry(xcr0, accum, 24 + size))


@mutation(
    "hvm-ctx-xsave-amx-half",
    ["HVM-XSAVE-005"],
    "a CPU_XSAVE xcr0_accum with one of the AMX components (TILE_CFG, TILE_DATA)",
    tags=HC,
    when=is_hvm,
)
def cpu_xsave_amx_half(ch: Chooser, g: Generated) -> str:
    accum = 0b111 | pick(ch, (1 << 17, 1 << 18))  # its size is the host's: not checked
    xcr0 = pick(ch, (0b11, accum))
    return _hvm_insert(ch, g, 16, 0, _xsave_entry(xcr0, accum, 24 + _XSAVE_LEGACY + _XSAVE_YMM))


@mutation(
    "hvm-ctx-xsave-tail",
    ["HVM-XSAVE-006"],
    "a CPU_XSAVE entry longer than its xcr0_accum needs, with a non-zero octet beyond",
    tags=HC,
    when=is_hvm,
)
def cpu_xsave_tail(ch: Chooser, g: Generated) -> str:
    accum = pick(ch, (0b11, 0b111))
    size = 24 + _XSAVE_LEGACY + (_XSAVE_YMM if accum & 4 else 0)
    tail = bytearray(ch.integer(1, 64))
    tail[ch.integer(0, len(tail) - 1)] = ch.integer(1, 255)
    return _hvm_insert(ch, g, 16, 0, _xsave_entry(accum, accum, size) + bytes(tail))


@mutation(
    "hvm-ctx-xsave-ymm-short",
    ["HVM-XSAVE-007"],
    "a CPU_XSAVE entry with YMM in xcr0_accum, shorter than 24 + 832 octets",
    tags=HC,
    when=is_hvm,
)
def cpu_xsave_ymm_short(ch: Chooser, g: Generated) -> str:
    length = ch.integer(600, 24 + _XSAVE_LEGACY + _XSAVE_YMM - 1)  # 600: HVM-XSAVE-001
    return _hvm_insert(ch, g, 16, 0, _xsave_entry(pick(ch, (0b11, 0b111)), 0b111, length))


@mutation(
    "hvm-ctx-msr-index",
    ["HVM-MSR-003"],
    "a CPU_MSR entry naming an MSR Xen does not restore from it",
    tags=HC,
    when=is_hvm,
)
def cpu_msr_index(ch: Chooser, g: Generated) -> str:
    from ...hvm_context import CPU_MSR_HANDLED

    count = ch.integer(1, 3)
    bad = ch.integer(0, count - 1)
    index = other_than(ch, sorted(CPU_MSR_HANDLED), 0, 0xFFFFFFFF)
    body = b"".join(struct.pack("<IIQ", index if i == bad else 0x48, 0, 1) for i in range(count))
    return _hvm_insert(ch, g, 20, 0, struct.pack("<I4x", count) + body)
