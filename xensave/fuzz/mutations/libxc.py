"""Mutations of the libxc stream (``spec/libxc-stream.md``, ``ksy/xen_libxc_stream.ksy``)
that no narrower module takes: image and domain headers, record framing and END,
X86_TSC_INFO, records of the other guest, STATIC_DATA_END, the CPU policy records,
TOOLSTACK, VERIFY and CHECKPOINT_DIRTY_PFN_LIST."""

from __future__ import annotations

from ... import cpu_policy
from ...bodies import CpuidPolicy, HvmParams, MsrPolicy, PfnList, TscInfo
from ...constants import XcRecType
from ...model import LibxcStream, Record, padding_for
from ...writer import encode_record, to_bytes
from ..build import OPTIONAL, PAGE, Generated, fill
from ..choices import Chooser
from . import Applied, mutation
from .helpers import (
    FRAMING,
    any_unaligned,
    body_len,
    end_of,
    has,
    insert_before_end,
    is_hvm,
    is_pv,
    nonzero,
    other_than,
    pick,
    resize,
    some_body,
    typed,
    unaligned,
    v2,
    v3,
    where,
    xc_endian,
    xc_recs,
)

X = XcRecType


# --- libxc image and domain headers -------------------------------------------------------

XC_HDR = ("libxc-header",)


@mutation("xc-marker", ["XC-HDR-001"], "image header marker not all ones", tags=("magic", *XC_HDR))
def image_header_marker(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    h.marker = other_than(ch, [2**64 - 1], 0, 2**64 - 1)
    return f"marker {h.marker:#x}"


@mutation("xc-id", ["XC-HDR-002"], "image header id not XENF", tags=("magic", *XC_HDR))
def image_header_id(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    h.ident = other_than(ch, [0x58454E46], 0, 0xFFFFFFFF)
    return f"id {h.ident:#x}"


@mutation(
    "xc-version", ["XC-HDR-003"], "image header version not 2 or 3", tags=("version", *XC_HDR)
)
def image_header_version(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    h.version = other_than(ch, [2, 3], 0, 0xFFFFFFFF)
    return f"version {h.version}"


@mutation(
    "xc-options-reserved",
    ["XC-HDR-004"],
    "a reserved bit (1-15) of the image header options set",
    tags=("reserved-bits", *XC_HDR),
)
def image_header_options_reserved_bit(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    bit = ch.integer(1, 15)
    h.options |= 1 << bit
    return f"options bit {bit}"


@mutation(
    "xc-header-reserved",
    ["XC-HDR-005"],
    "a reserved field of the image header not zero",
    tags=("reserved-bits", *XC_HDR),
)
def image_header_reserved_field(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    if ch.integer(0, 1):
        h.reserved2 = nonzero(ch, 32)
        return f"reserved 32-bit field {h.reserved2:#x}"
    h.reserved1 = nonzero(ch, 16)
    return f"reserved 16-bit field {h.reserved1:#x}"


@mutation(
    "xc-domain-type",
    ["XC-DOM-001"],
    "domain header type neither 1 (x86 PV) nor 2 (x86 HVM)",
    tags=XC_HDR,
)
def domain_header_type(ch: Chooser, g: Generated) -> str:
    h = g.libxc.domain_header
    assert h is not None
    h.type = other_than(ch, [1, 2], 0, 0xFFFFFFFF)
    return f"type {h.type:#x}"


@mutation(
    "xc-page-shift",
    ["XC-DOM-002"],
    "domain header page_shift not 12",
    tags=XC_HDR,
)
def domain_header_page_shift(ch: Chooser, g: Generated) -> str:
    h = g.libxc.domain_header
    assert h is not None
    h.page_shift = other_than(ch, [12], 0, 0xFFFF)
    return f"page_shift {h.page_shift}"


@mutation(
    "xc-domain-reserved",
    ["XC-DOM-003"],
    "domain header reserved field not zero",
    tags=("reserved-bits", *XC_HDR),
)
def domain_header_reserved_field(ch: Chooser, g: Generated) -> str:
    h = g.libxc.domain_header
    assert h is not None
    h.reserved = nonzero(ch, 16)
    return f"reserved {h.reserved:#x}"


# --- libxc record framing ------------------------------------------------------------------


@mutation(
    "xc-padding",
    ["XC-REC-002"],
    "a padding octet of a libxc record not zero",
    tags=("reserved-bits", *FRAMING),
    when=lambda g: any_unaligned(xc_recs(g)),
)
def record_padding_nonzero(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = pick(ch, unaligned(recs))
    n = padding_for(body_len(recs[i]))
    pad = bytearray(n)
    at = ch.integer(0, n - 1)
    pad[at] = ch.integer(1, 255)
    recs[i].padding = bytes(pad)
    return f"record #{i} padding octet {at} = {pad[at]:#x}"


@mutation(
    "xc-reserved-type",
    ["XC-REC-004"],
    "a record of a type in the reserved mandatory range 0x13-0x7FFFFFFF",
    tags=("unknown-record",),
)
def record_of_reserved_mandatory_type(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    rtype = ch.integer(0x13, 0x7FFFFFFF)
    at = insert_before_end(ch, recs, Record(rtype, some_body(ch)))
    return f"record #{at} of type {rtype:#x}"


@mutation(
    "xc-optional-record",
    [],
    "a record of an unknown optional type (bit 31 set): valid, readers skip it",
    tags=("optional-record", "unknown-record"),
    relies=["XC-REC-007"],
)
def record_of_unknown_optional_type(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    rtype = OPTIONAL | ch.integer(0, 0x7FFFFFFF)
    body = ch.binary(40)
    at = insert_before_end(ch, recs, Record(rtype, body))
    return f"record #{at} of optional type {rtype:#x}, {len(body)} octets"


@mutation("xc-end-body", ["XC-END-001"], "libxc END with a body", tags=("end-record",))
def end_with_body(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    recs[-1].body = ch.binary(16) or b"\x00"
    return f"END body of {len(recs[-1].body_bytes('<'))} octets"


def bare_xc(g: Generated) -> bool:
    return g.layer == "libxc"


@mutation(
    "xc-drop-end",
    ["XC-END-002"],
    "a bare libxc stream without its END",
    tags=("end-record", "missing-record"),
    when=bare_xc,
)
def end_dropped(ch: Chooser, g: Generated) -> str:
    xc_recs(g).pop()
    return "END dropped"


@mutation(
    "xc-trailing",
    ["XC-END-003"],
    "octets after the END of a bare libxc stream",
    tags=("trailing-data",),
    when=bare_xc,
)
def octets_after_end(ch: Chooser, g: Generated) -> str:
    g.libxc.trailer = ch.binary(24) or b"\x00"
    return f"{len(g.libxc.trailer)} octets after END"


def _record_offsets(g: Generated) -> tuple[bytes, list[tuple[int, int, int]]]:
    """The image's bytes and (start, header end, record end) of each libxc record."""
    data = to_bytes(g.image)
    xc = g.libxc
    big = bool(xc.image_header and xc.image_header.big_endian)
    e = ">" if big else "<"
    head = to_bytes(LibxcStream(xc.image_header, xc.domain_header, []))
    base = data.find(head)
    assert base >= 0
    off = base + len(head)
    spans = []
    for r in xc.records:
        n = len(encode_record(r, e))
        spans.append((off, off + 8, off + n))
        off += n
    return data, spans


@mutation(
    "xc-cut-at-record",
    ["XC-END-002"],
    "a bare libxc stream cut at a record boundary before END",
    tags=("truncated",),
    when=bare_xc,
)
def cut_at_record_boundary(ch: Chooser, g: Generated) -> Applied:
    data, spans = _record_offsets(g)
    i = ch.integer(0, len(spans) - 1)
    return Applied(f"cut before record #{i}", data[: spans[i][0]])


@mutation(
    "xc-cut-in-header",
    ["XC-REC-001"],
    "a bare libxc stream cut inside a record header",
    tags=("truncated", *FRAMING),
    when=bare_xc,
)
def cut_in_record_header(ch: Chooser, g: Generated) -> Applied:
    data, spans = _record_offsets(g)
    i = ch.integer(0, len(spans) - 1)
    cut = spans[i][0] + ch.integer(1, 7)
    return Applied(f"cut at octet {cut - spans[i][0]} of record #{i}'s header", data[:cut])


@mutation(
    "xc-cut-in-body",
    ["XC-REC-003"],
    "a bare libxc stream cut inside a record's body or padding",
    tags=("truncated", *FRAMING),
    when=lambda g: bare_xc(g) and any(len(r.body_bytes("<")) for r in xc_recs(g)),
)
def cut_in_record_body(ch: Chooser, g: Generated) -> Applied:
    data, spans = _record_offsets(g)
    i = pick(ch, [k for k, (s, h, e) in enumerate(spans) if e > h])
    _, h, e = spans[i]
    cut = ch.integer(h, e - 1)
    return Applied(f"cut {cut - h} octets into record #{i}'s body", data[:cut])


# --- X86_TSC_INFO ------------------------------------------------------------------------

TSC = ("tsc",)


def _tsc(g: Generated) -> tuple[int, TscInfo]:
    i = where(xc_recs(g), X.X86_TSC_INFO)[0]
    return i, typed(xc_recs(g)[i], TscInfo)


@mutation(
    "xc-tsc-length",
    ["XC-TSC-001"],
    "X86_TSC_INFO body not 24 octets",
    tags=("off-by-one", *TSC),
)
def tsc_info_length(ch: Chooser, g: Generated) -> str:
    i, tsc = _tsc(g)
    body = tsc.encode(xc_endian(g))
    xc_recs(g)[i].body = resize(ch, body, lambda n: n == 24, 0, 48)
    return f"body of {len(xc_recs(g)[i].body_bytes('<'))} octets"


@mutation(
    "xc-tsc-reserved",
    ["XC-TSC-002"],
    "X86_TSC_INFO reserved word not zero",
    tags=("reserved-bits", *TSC),
)
def tsc_info_reserved_word(ch: Chooser, g: Generated) -> str:
    _, tsc = _tsc(g)
    tsc.reserved = nonzero(ch, 32)
    return f"reserved {tsc.reserved:#x}"


@mutation("xc-tsc-mode", ["XC-TSC-003"], "X86_TSC_INFO mode above 3", tags=TSC)
def tsc_info_mode_above_3(ch: Chooser, g: Generated) -> str:
    _, tsc = _tsc(g)
    tsc.mode = other_than(ch, [0, 1, 2, 3], 4, 0xFFFFFFFF)
    return f"mode {tsc.mode}"


# --- records of the other guest, STATIC_DATA_END, policies, the rest ----------------------------


@mutation(
    "xc-pv-record-in-hvm",
    ["XC-GUEST-001"],
    "SHARED_INFO (a PV-only record) in an HVM stream, after STATIC_DATA_END",
    tags=("wrong-guest", "shared-info"),
    when=is_hvm,
)
def pv_record_in_hvm_stream(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    first = where(recs, X.STATIC_DATA_END)[0] + 1 if v3(g) else 0
    at = insert_before_end(ch, recs, Record(X.SHARED_INFO, fill(1, PAGE)), first)
    return f"SHARED_INFO as record #{at}"


@mutation(
    "xc-hvm-record-in-pv",
    ["XC-GUEST-002"],
    "HVM_PARAMS (an HVM-only record) in a PV stream, after STATIC_DATA_END",
    tags=("wrong-guest", "hvm-params"),
    when=is_pv,
)
def hvm_record_in_pv_stream(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    first = where(recs, X.STATIC_DATA_END)[0] + 1 if v3(g) else 0
    at = insert_before_end(ch, recs, Record(X.HVM_PARAMS, HvmParams([(1, 0xFEFFC)])), first)
    return f"HVM_PARAMS as record #{at}"


SDE = ("static-data-end",)


@mutation(
    "xc-sde-duplicate",
    ["XC-SDE-002"],
    "a second STATIC_DATA_END right after the first (version 3)",
    tags=("duplicate-record", *SDE),
    when=v3,
)
def static_data_end_twice(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = where(recs, X.STATIC_DATA_END)[0]
    recs.insert(i + 1, Record(X.STATIC_DATA_END))
    return f"repeated as record #{i + 1}"


@mutation(
    "xc-sde-body",
    ["XC-SDE-001"],
    "STATIC_DATA_END with a body (version 3)",
    tags=SDE,
    when=v3,
)
def static_data_end_with_body(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = where(recs, X.STATIC_DATA_END)[0]
    recs[i].body = ch.binary(16) or b"\x00"
    return f"body of {len(recs[i].body_bytes('<'))} octets"


@mutation(
    "xc-sde-late",
    ["XC-SDE-003"],
    "STATIC_DATA_END moved to just after the first PAGE_DATA (version 3)",
    tags=("ordering", *SDE),
    when=v3,
)
def static_data_end_after_page_data(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    rec = recs.pop(where(recs, X.STATIC_DATA_END)[0])
    at = where(recs, X.PAGE_DATA)[0] + 1
    recs.insert(at, rec)
    return f"moved to #{at}"


@mutation(
    "xc-sde-in-v2",
    ["XC-SDE-005"],
    "STATIC_DATA_END in a version 2 stream, where v3 would have it (SHOULD)",
    tags=("version", *SDE),
    when=v2,
)
def static_data_end_in_v2(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    at = where(recs, X.X86_PV_P2M_FRAMES if is_pv(g) else X.PAGE_DATA)[0]
    recs.insert(at, Record(X.STATIC_DATA_END))
    return f"STATIC_DATA_END as record #{at}"


POL = ("cpu-policy",)


def _policy(g: Generated) -> list[int]:
    return where(xc_recs(g), X.X86_CPUID_POLICY, X.X86_MSR_POLICY)


@mutation(
    "xc-policy-after-sde",
    ["XC-POL-003"],
    "a policy record moved after STATIC_DATA_END (version 3)",
    tags=("ordering", *POL),
    when=lambda g: v3(g) and bool(_policy(g)),
)
def policy_after_static_data_end(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    rec = recs.pop(pick(ch, _policy(g)))
    at = where(recs, X.STATIC_DATA_END)[0] + 1
    recs.insert(at, rec)
    return f"{X(rec.type).name} moved to #{at}"


@mutation(
    "xc-policy-duplicate",
    ["XC-POL-004"],
    "a policy record repeated before STATIC_DATA_END (SHOULD)",
    tags=("duplicate-record", *POL),
    when=lambda g: v3(g) and bool(_policy(g)),
)
def policy_twice(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = pick(ch, _policy(g))
    recs.insert(i + 1, Record(recs[i].type, recs[i].body))
    return f"{X(recs[i].type).name} repeated"


@mutation(
    "xc-policy-in-v2",
    ["XC-POL-005"],
    "an X86_MSR_POLICY in a version 2 stream, before its first PAGE_DATA (SHOULD)",
    tags=("version", *POL),
    when=v2,
)
def msr_policy_in_v2(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    at = where(recs, X.X86_PV_P2M_FRAMES if is_pv(g) else X.PAGE_DATA)[0]
    recs.insert(at, Record(X.X86_MSR_POLICY, MsrPolicy([(0xCE, 0, 0)])))
    return f"X86_MSR_POLICY as record #{at}"


@mutation(
    "xc-cpuid-length",
    ["XC-POL-001"],
    "X86_CPUID_POLICY body empty or not a multiple of 24",
    tags=("off-by-one", *POL),
    when=has(X.X86_CPUID_POLICY),
)
def cpuid_policy_length(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = where(recs, X.X86_CPUID_POLICY)[0]
    body = typed(recs[i], CpuidPolicy).encode("<")
    recs[i].body = resize(ch, body, lambda n: n > 0 and n % 24 == 0, 0, len(body) + 30)
    return f"body of {len(recs[i].body_bytes('<'))} octets"


@mutation(
    "xc-msr-length",
    ["XC-POL-002"],
    "X86_MSR_POLICY body empty or not a multiple of 16",
    tags=("off-by-one", *POL),
    when=has(X.X86_MSR_POLICY),
)
def msr_policy_length(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = where(recs, X.X86_MSR_POLICY)[0]
    body = typed(recs[i], MsrPolicy).encode("<")
    recs[i].body = resize(ch, body, lambda n: n > 0 and n % 16 == 0, 0, len(body) + 20)
    return f"body of {len(recs[i].body_bytes('<'))} octets"


@mutation(
    "xc-msr-flags",
    ["XC-POL-006"],
    "an X86_MSR_POLICY entry with flags not zero",
    tags=POL,
    when=has(X.X86_MSR_POLICY),
)
def msr_policy_flags_nonzero(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    pol = typed(recs[where(recs, X.X86_MSR_POLICY)[0]], MsrPolicy)
    k = ch.integer(0, len(pol.entries) - 1)
    idx, _, val = pol.entries[k]
    flags = nonzero(ch, 32)
    pol.entries[k] = (idx, flags, val)
    return f"entry {k} flags {flags:#x}"


@mutation(
    "xc-toolstack",
    ["XC-TOOL-001"],
    "a TOOLSTACK record (deprecated, SHOULD)",
    tags=("toolstack",),
    permits=["XC-TOOL-002"],
)
def toolstack_record(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    first = where(recs, X.STATIC_DATA_END)[0] + 1 if v3(g) else 0
    at = insert_before_end(ch, recs, Record(X.TOOLSTACK, ch.binary(24)), first)
    return f"TOOLSTACK as record #{at}"


@mutation(
    "xc-verify-body",
    ["XC-VER-001"],
    "a VERIFY record with a body, just before END",
    tags=("verify",),
)
def verify_with_body(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    recs.insert(end_of(recs), Record(X.VERIFY, ch.binary(16) or b"\x00"))
    return "VERIFY with a body before END"


@mutation(
    "xc-verify-twice",
    ["XC-VER-002"],
    "two VERIFY records just before END (SHOULD)",
    tags=("verify", "duplicate-record"),
)
def verify_twice(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    at = end_of(recs)
    recs[at:at] = [Record(X.VERIFY), Record(X.VERIFY)]
    return "two VERIFY before END"


@mutation(
    "xc-dirty-pfn-list",
    ["XC-DIRTY-001"],
    "a CHECKPOINT_DIRTY_PFN_LIST (back channel only) in the stream",
    tags=("dirty-pfn-list",),
)
def dirty_pfn_list_in_stream(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    first = where(recs, X.STATIC_DATA_END)[0] + 1 if v3(g) else 0
    pfns = [ch.integer(0, 0xFFFFF) for _ in range(ch.integer(0, 3))]
    at = insert_before_end(ch, recs, Record(X.CHECKPOINT_DIRTY_PFN_LIST, PfnList(pfns)), first)
    return f"record #{at} with {len(pfns)} pfns"


@mutation(
    "xc-dirty-pfn-list-length",
    ["XC-DIRTY-001", "XC-DIRTY-002"],
    "a CHECKPOINT_DIRTY_PFN_LIST whose body is not a multiple of 8",
    tags=("dirty-pfn-list", "off-by-one"),
)
def dirty_pfn_list_length(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    first = where(recs, X.STATIC_DATA_END)[0] + 1 if v3(g) else 0
    n = ch.integer(1, 30)
    n += n % 8 == 0
    at = insert_before_end(ch, recs, Record(X.CHECKPOINT_DIRTY_PFN_LIST, bytes(n)), first)
    return f"record #{at} of {n} octets"


@mutation(
    "xc-tsc-pvrdtscp",
    ["XC-TSC-005"],
    "X86_TSC_INFO mode 3 (PVRDTSCP), which Xen 4.12 and later refuse (SHOULD)",
    tags=TSC,
)
def tsc_info_mode_pvrdtscp(ch: Chooser, g: Generated) -> str:
    _, tsc = _tsc(g)
    tsc.mode = 3
    return "mode 3"


# --- policy records the restore path refuses (issue 14; xensave/cpu_policy.py) -------------------


def _cpuid(g: Generated) -> CpuidPolicy:
    recs = xc_recs(g)
    return typed(recs[where(recs, X.X86_CPUID_POLICY)[0]], CpuidPolicy)


def _msrs(g: Generated) -> MsrPolicy:
    recs = xc_recs(g)
    return typed(recs[where(recs, X.X86_MSR_POLICY)[0]], MsrPolicy)


def _leaf_outside(ch: Chooser) -> tuple[int, int]:
    """A (leaf, subleaf) that x86_cpuid_copy_from_buffer answers -ERANGE for, by the
    current limits (basic 0-0xd; subleaves of 4, 7, 0xb, 0xd below 6, 3, 2, 63;
    0x40000000 and 0x40000100; extended 0x80000000-0x80000021)."""
    which = ch.integer(0, 3)
    if which == 0:  # a leaf no array holds
        leaf = pick(
            ch,
            (
                ch.integer(0xE, 0x3FFFFFFF),
                ch.integer(0x40000001, 0x400000FF),
                ch.integer(0x80000022, 0xFFFFFFFF),
            ),
        )
        return leaf, pick(ch, (0xFFFFFFFF, 0))
    if which == 1:  # a subleaf past its leaf's array
        leaf, limit = pick(ch, ((0x4, 6), (0x7, 3), (0xB, 2), (0xD, 63)))
        return leaf, ch.integer(limit, 0xFFFFFFFF)
    # a subleaf given to a leaf that has none
    leaf = pick(ch, (0x0, 0x1, 0x2, 0x6, 0x40000000, 0x80000000, 0x80000021))
    return leaf, ch.integer(0, 0xFFFFFFFE)


@mutation(
    "xc-cpuid-leaf-outside",
    ["XC-POL-007"],
    "an X86_CPUID_POLICY leaf or subleaf the policy does not hold",
    tags=POL,
    when=has(X.X86_CPUID_POLICY),
)
def cpuid_policy_leaf_outside(ch: Chooser, g: Generated) -> str:
    pol = _cpuid(g)
    k = ch.integer(0, len(pol.leaves) - 1)
    leaf, subleaf = _leaf_outside(ch)
    pol.leaves[k] = (leaf, subleaf, *pol.leaves[k][2:])
    return f"leaf[{k}] = {leaf:#x}/{subleaf:#x}"


@mutation(
    "xc-cpuid-too-many",
    ["XC-POL-008"],
    "X86_CPUID_POLICY with more than 120 leaves (CPUID_MAX_SERIALISED_LEAVES)",
    tags=POL,
    when=has(X.X86_CPUID_POLICY),
)
def cpuid_policy_too_many(ch: Chooser, g: Generated) -> str:
    pol = _cpuid(g)
    n = ch.integer(cpu_policy.CPUID_MAX_LEAVES + 1, 200)
    pol.leaves = [pol.leaves[k % len(pol.leaves)] for k in range(n)]  # each leaf valid
    return f"{n} leaves"


@mutation(
    "xc-msr-index",
    ["XC-POL-009"],
    "an X86_MSR_POLICY index other than PLATFORM_INFO (0xce) and ARCH_CAPABILITIES (0x10a)",
    tags=POL,
    when=has(X.X86_MSR_POLICY),
)
def msr_policy_index(ch: Chooser, g: Generated) -> str:
    pol = _msrs(g)
    k = ch.integer(0, len(pol.entries) - 1)
    idx = other_than(ch, sorted(cpu_policy.MSR_INDICES), 0, 0xFFFFFFFF)
    pol.entries[k] = (idx, *pol.entries[k][1:])
    return f"msr[{k}] index {idx:#x}"


@mutation(
    "xc-msr-too-many",
    ["XC-POL-010"],
    "X86_MSR_POLICY with more than 2 entries (MSR_MAX_SERIALISED_ENTRIES)",
    tags=POL,
    when=has(X.X86_MSR_POLICY),
)
def msr_policy_too_many(ch: Chooser, g: Generated) -> str:
    pol = _msrs(g)
    n = ch.integer(cpu_policy.MSR_MAX_ENTRIES + 1, 8)
    pol.entries = [pol.entries[k % len(pol.entries)] for k in range(n)]  # each entry valid
    return f"{n} entries"


@mutation(
    "xc-msr-platform-info-wide",
    ["XC-POL-011"],
    "the X86_MSR_POLICY value of PLATFORM_INFO (0xce) wider than 32 bits",
    tags=POL,
    when=has(X.X86_MSR_POLICY),
)
def msr_policy_platform_info_wide(ch: Chooser, g: Generated) -> str:
    return _msr_wide(ch, g, 0xCE)


@mutation(
    "xc-msr-arch-caps-wide",
    ["XC-POL-012"],
    "the X86_MSR_POLICY value of ARCH_CAPABILITIES (0x10a) wider than 32 bits (SHOULD)",
    tags=POL,
    when=has(X.X86_MSR_POLICY),
)
def msr_policy_arch_caps_wide(ch: Chooser, g: Generated) -> str:
    return _msr_wide(ch, g, 0x10A)


def _msr_wide(ch: Chooser, g: Generated, idx: int) -> str:
    """Give MSR ``idx`` a value over 32 bits, in its entry or (none there) in place
    of the other MSR's."""
    pol = _msrs(g)
    mine = [k for k, e in enumerate(pol.entries) if e[0] == idx]
    k = pick(ch, mine) if mine else ch.integer(0, len(pol.entries) - 1)
    value = nonzero(ch, 32) << 32 | ch.integer(0, 2**32 - 1)
    pol.entries[k] = (idx, pol.entries[k][1], value)
    return f"msr[{k}] = {idx:#x}: {value:#x}"
