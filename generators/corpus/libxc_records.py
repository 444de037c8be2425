"""libxc records, one type at a time: PAGE_DATA, X86_PV_INFO, X86_PV_P2M_FRAMES, the
vCPU records, SHARED_INFO, X86_TSC_INFO, HVM_CONTEXT, HVM_PARAMS, TOOLSTACK, VERIFY."""

from __future__ import annotations

import struct
from collections.abc import Callable

from xensave.bodies import (
    HvmParams,
    P2mFrames,
    PageData,
    PvInfo,
    TscInfo,
    VcpuContext,
    pfn_entry,
    split_pfn_entry,
)
from xensave.constants import PageType, TscMode
from xensave.model import LibxcStream, Record, XlFile

from . import bases as B
from .bases import X
from .framework import Restore, recipe

# --- PAGE_DATA ------------------------------------------------------------------------------


def _page_data(s: LibxcStream) -> PageData:
    pd = B.body(s.records, X.PAGE_DATA)
    assert isinstance(pd, PageData)
    return pd


@recipe(
    "page-data-body-4",
    "a PAGE_DATA record whose 4-octet body holds only a count of 1",
    tags=("page-data", "record-framing"),
    breaks=("XC-PAGE-001",),
)
def page_data_body_4() -> LibxcStream:
    s = B.xc("hvm", 3)
    B.insert_before(s.records, X.X86_TSC_INFO, Record(X.PAGE_DATA, struct.pack("<I", 1)))
    return s


@recipe(
    "page-data-count-0",
    "a PAGE_DATA record with count 0 and no pfns (body_length 8)",
    tags=("page-data",),
    breaks=("XC-PAGE-002",),
)
def page_data_count_0() -> LibxcStream:
    s = B.xc("hvm", 3)
    B.insert_before(s.records, X.X86_TSC_INFO, Record(X.PAGE_DATA, PageData([], [])))
    return s


@recipe(
    "page-data-reserved-nonzero",
    "the reserved word after the PAGE_DATA count is 1",
    tags=("page-data", "reserved-bits"),
    breaks=("XC-PAGE-003",),
)
def page_data_reserved_nonzero() -> LibxcStream:
    s = B.xc("hvm", 3)
    _page_data(s).reserved = 1
    return s


@recipe(
    "page-data-reserved-bits",
    "pfn entry 0 of PAGE_DATA has reserved bits 52-59 set (0xff)",
    tags=("page-data", "reserved-bits"),
    breaks=("XC-PAGE-004",),
)
def page_data_reserved_bits() -> LibxcStream:
    s = B.xc("hvm", 3)
    pd = _page_data(s)
    pfn, ptype, _ = split_pfn_entry(pd.entries[0])
    pd.entries[0] = pfn_entry(pfn, ptype, 0xFF)
    return s


def _page_type(t: int) -> LibxcStream:
    s = B.xc("x86_64-pv", 3)
    pd = _page_data(s)
    # pfn 5 is an ordinary data page: give it the reserved type and drop its contents
    i = next(k for k, e in enumerate(pd.entries) if split_pfn_entry(e)[0] == 5)
    data_before = sum(
        1
        for e in pd.entries[:i]
        if split_pfn_entry(e)[1] not in (PageType.BROKEN, PageType.XALLOC, PageType.XTAB)
    )
    pd.entries[i] = pfn_entry(5, t)
    del pd.pages[data_before]
    return s


for _t in (5, 6, 7, 8):
    recipe(
        f"page-type-{_t}",
        f"a 64-bit PV guest's PAGE_DATA has a pfn of the reserved page type {_t} "
        "(no contents sent for it)",
        tags=("page-data", "page-type"),
        args=(_t,),
        breaks=("XC-PAGE-005",),
    )(_page_type)


@recipe(
    "page-data-page-missing",
    "PAGE_DATA lists four pfns with contents but carries only three pages",
    tags=("page-data", "record-framing"),
    args=("missing",),
    breaks=("XC-PAGE-006",),
)
@recipe(
    "page-data-page-extra",
    "PAGE_DATA carries one page more than its pfns call for",
    tags=("page-data", "record-framing"),
    args=("extra",),
    breaks=("XC-PAGE-006",),
)
@recipe(
    "page-data-body-one-more",
    "PAGE_DATA body_length is one more than 8 + 8*count + 4096*pages (a stray octet)",
    tags=("page-data", "record-framing", "off-by-one"),
    args=("plus1",),
    breaks=("XC-PAGE-006",),
)
@recipe(
    "page-data-body-one-less",
    "PAGE_DATA body_length is one less than 8 + 8*count + 4096*pages (last page short)",
    tags=("page-data", "record-framing", "off-by-one"),
    args=("minus1",),
    breaks=("XC-PAGE-006",),
)
@recipe(
    "page-data-count-one-more",
    "the PAGE_DATA count is one more than the pfn entries the record holds",
    tags=("page-data", "off-by-one"),
    args=("count+1",),
    breaks=("XC-PAGE-006",),
)
@recipe(
    "page-data-count-one-less",
    "the PAGE_DATA count is one less than the pfn entries the record holds",
    tags=("page-data", "off-by-one"),
    args=("count-1",),
    breaks=("XC-PAGE-006",),
)
def page_data_length(how: str) -> LibxcStream:
    s = B.xc("hvm", 3)
    pd = _page_data(s)
    if how == "missing":
        pd.pages.pop()
    elif how == "extra":
        pd.pages.append(pd.pages[-1])
    elif how == "plus1":
        pd.pages[-1] += b"\x00"
    elif how == "minus1":
        pd.pages[-1] = pd.pages[-1][:-1]
    elif how == "count+1":
        pd.count = len(pd.entries) + 1
    else:
        pd.count = len(pd.entries) - 1
    return s


# --- X86_PV_INFO --------------------------------------------------------------------------


def _pv_info(guest: str = "x86_64-pv", version: int = 3) -> tuple[LibxcStream, PvInfo]:
    s = B.xc(guest, version)
    info = B.body(s.records, X.X86_PV_INFO)
    assert isinstance(info, PvInfo)
    return s, info


@recipe(
    "pv-info-body-7",
    "X86_PV_INFO has a 7-octet body (one reserved octet short)",
    tags=("pv-info", "off-by-one"),
    args=(7,),
    breaks=("XC-PVI-001", "XC-PVI-008"),
)
@recipe(
    "pv-info-body-9",
    "X86_PV_INFO has a 9-octet body (one zero octet too many)",
    tags=("pv-info", "off-by-one"),
    args=(9,),
    breaks=("XC-PVI-001",),
)
def pv_info_length(n: int) -> LibxcStream:
    s, info = _pv_info()
    info.reserved = b"\x00" * (n - 2)
    return s


@recipe(
    "guest-width-2",
    "X86_PV_INFO guest_width is 2",
    tags=("pv-info",),
    args=("guest_width", 2),
    breaks=("XC-PVI-002",),
    guest="x86_64-pv",
)
@recipe(
    "guest-width-16",
    "X86_PV_INFO guest_width is 16",
    tags=("pv-info",),
    args=("guest_width", 16),
    breaks=("XC-PVI-002",),
    guest="x86_64-pv",
)
@recipe(
    "guest-width-2",
    "a 32-bit guest's X86_PV_INFO says guest_width 2",
    tags=("pv-info",),
    args=("guest_width", 2, "x86_32-pv", 2),
    breaks=("XC-PVI-002",),
    guest="x86_32-pv",
    since="2.1.0",
)
@recipe(
    "guest-width-2",
    "a 64-bit guest's version 2 X86_PV_INFO says guest_width 2",
    tags=("pv-info",),
    args=("guest_width", 2, "x86_64-pv", 2),
    breaks=("XC-PVI-002",),
    guest="x86_64-pv",
    since="2.1.0",
)
@recipe(
    "guest-width-2",
    "a 32-bit guest's version 3 X86_PV_INFO says guest_width 2",
    tags=("pv-info",),
    args=("guest_width", 2, "x86_32-pv", 3),
    breaks=("XC-PVI-002",),
    guest="x86_32-pv",
    since="2.1.0",
)
@recipe(
    "pt-levels-2",
    "X86_PV_INFO pt_levels is 2 (non-PAE paging, legacy streams only)",
    tags=("pv-info",),
    args=("pt_levels", 2),
    breaks=("XC-PVI-003",),
)
@recipe(
    "pt-levels-5",
    "X86_PV_INFO pt_levels is 5",
    tags=("pv-info",),
    args=("pt_levels", 5),
    breaks=("XC-PVI-003",),
)
@recipe(
    "width-8-levels-3",
    "X86_PV_INFO pairs guest_width 8 with pt_levels 3",
    tags=("pv-info",),
    args=("pt_levels", 3),
    breaks=("XC-PVI-004",),
    same_guest="3 levels is right for a 32-bit guest: the pairing is wrong only at width 8",
)
@recipe(
    "pv-info-reserved-nonzero",
    "the last reserved octet of X86_PV_INFO is 1",
    tags=("pv-info", "reserved-bits"),
    args=("reserved", b"\x00" * 5 + b"\x01"),
    breaks=("XC-PVI-005",),
)
def pv_info_field(
    field: str, value: object, guest: str = "x86_64-pv", version: int = 3
) -> LibxcStream:
    """``guest`` and ``version``: the cell of a case whose width says no guest (a
    guest_width of 2 or 16), which therefore declares its cell and is not replayed."""
    s, info = _pv_info(guest, version)
    setattr(info, field, value)
    return s


@recipe(
    "width-4-levels-4",
    "a 32-bit guest's X86_PV_INFO pairs guest_width 4 with pt_levels 4",
    tags=("pv-info",),
    breaks=("XC-PVI-004",),
    same_guest="4 levels is right for a 64-bit guest: the pairing is wrong only at width 4",
)
def width_4_levels_4() -> LibxcStream:
    s, info = _pv_info("x86_32-pv")
    info.pt_levels = 4
    return s


@recipe(
    "pv-info-twice",
    "a second, identical X86_PV_INFO directly after the first",
    tags=("pv-info", "duplicate-record"),
    breaks=("XC-PVI-006",),
)
def pv_info_twice() -> LibxcStream:
    s, _ = _pv_info()
    B.insert_after(s.records, X.X86_PV_INFO, Record(X.X86_PV_INFO, PvInfo(8, 4)))
    return s


@recipe(
    "pv-info-missing",
    "a PV stream (version 2) without X86_PV_INFO: the P2M frames and shared info come "
    "before any X86_PV_INFO",
    tags=("pv-info", "missing-record", "ordering"),
    breaks=("XC-PVI-006", "XC-ORD-001", "XC-ORD-004"),
    guest="x86_64-pv",
)
def pv_info_missing() -> LibxcStream:
    s, _ = _pv_info(version=2)
    B.remove(s.records, X.X86_PV_INFO)
    return s


# --- X86_PV_P2M_FRAMES ---------------------------------------------------------------------


def _p2m(guest: str = "x86_64-pv") -> tuple[LibxcStream, P2mFrames]:
    s = B.xc(guest, 3)
    p2m = B.body(s.records, X.X86_PV_P2M_FRAMES)
    assert isinstance(p2m, P2mFrames)
    return s, p2m


@recipe(
    "p2m-body-4",
    "X86_PV_P2M_FRAMES has a 4-octet body: p2m_start_pfn only",
    tags=("p2m", "record-framing"),
    breaks=("XC-P2M-001",),
)
def p2m_body_4() -> LibxcStream:
    s, _ = _p2m()
    B.get(s.records, X.X86_PV_P2M_FRAMES).body = struct.pack("<I", 0)
    return s


@recipe(
    "p2m-start-after-end",
    "X86_PV_P2M_FRAMES p2m_start_pfn (8) is greater than p2m_end_pfn (7)",
    tags=("p2m",),
    breaks=("XC-P2M-002",),
)
def p2m_start_after_end() -> LibxcStream:
    s, p2m = _p2m()
    p2m.start_pfn = 8
    return s


@recipe(
    "p2m-frame-extra",
    "X86_PV_P2M_FRAMES lists two frames for pfns 0-7, which need one",
    tags=("p2m", "off-by-one"),
    args=("x86_64-pv", [4, 5]),
    breaks=("XC-P2M-003",),
)
@recipe(
    "p2m-frame-missing",
    "X86_PV_P2M_FRAMES lists no frame for pfns 0-7 (body_length 8)",
    tags=("p2m", "off-by-one"),
    args=("x86_64-pv", []),
    breaks=("XC-P2M-003",),
)
def p2m_frames(guest: str, frames: list[int]) -> LibxcStream:
    s, p2m = _p2m(guest)
    p2m.frames = frames
    return s


@recipe(
    "p2m-frames-counted-as-64-bit",
    "a 32-bit guest with pfns 0-1023 whose P2M frames were counted with 512 entries a frame "
    "(two frames, where 1024 entries of 4 octets fit in one)",
    tags=("p2m",),
    breaks=("XC-P2M-003",),
    same_guest="a 64-bit count is the wrong width only for a 32-bit guest",
)
def p2m_frames_counted_as_64_bit() -> LibxcStream:
    s, p2m = _p2m("x86_32-pv")
    p2m.end_pfn, p2m.frames = 1023, [3, 4]
    rest = PageData([pfn_entry(pfn, PageType.XTAB) for pfn in range(8, 1024)])
    B.insert_after(s.records, X.PAGE_DATA, Record(X.PAGE_DATA, rest))
    return s


@recipe(
    "p2m-missing",
    "a PV stream without X86_PV_P2M_FRAMES: PAGE_DATA comes with no P2M before it",
    tags=("p2m", "missing-record", "ordering"),
    breaks=("XC-P2M-004", "XC-ORD-002"),
)
def p2m_missing() -> LibxcStream:
    s, _ = _p2m()
    B.remove(s.records, X.X86_PV_P2M_FRAMES)
    return s


# --- vCPU records ---------------------------------------------------------------------------


def _vcpu(rtype: int, guest: str = "x86_64-pv", vcpus: int = 1) -> tuple[LibxcStream, VcpuContext]:
    s = B.xc(guest, 3, vcpus=vcpus)
    if rtype == X.X86_PV_VCPU_XSAVE:
        B.add_xsave(s)  # the small base has no XSAVE state
    v = B.body(s.records, rtype)
    assert isinstance(v, VcpuContext)
    return s, v


@recipe(
    "vcpu-body-4",
    "X86_PV_VCPU_EXTENDED has a 4-octet body: vcpu_id only",
    tags=("vcpu", "record-framing"),
    breaks=("XC-VCPU-001",),
)
def vcpu_body_4() -> LibxcStream:
    s, _ = _vcpu(X.X86_PV_VCPU_EXTENDED)
    B.get(s.records, X.X86_PV_VCPU_EXTENDED).body = struct.pack("<I", 0)
    return s


@recipe(
    "vcpu-reserved-nonzero",
    "the reserved word of X86_PV_VCPU_BASIC is 0xffffffff",
    tags=("vcpu", "reserved-bits"),
    breaks=("XC-VCPU-002",),
)
def vcpu_reserved_nonzero() -> LibxcStream:
    s, v = _vcpu(X.X86_PV_VCPU_BASIC)
    v.reserved = 0xFFFFFFFF
    return s


@recipe(
    "basic-context-5167",
    "a 64-bit guest's X86_PV_VCPU_BASIC context is 5167 octets (one short of 5168)",
    tags=("vcpu", "off-by-one"),
    args=("x86_64-pv", 5167),
    breaks=("XC-VCPU-003",),
)
@recipe(
    "basic-context-5169",
    "a 64-bit guest's X86_PV_VCPU_BASIC context is 5169 octets (one over 5168)",
    tags=("vcpu", "off-by-one"),
    args=("x86_64-pv", 5169),
    breaks=("XC-VCPU-003",),
)
@recipe(
    "basic-context-32-bit-size",
    "a 64-bit guest's X86_PV_VCPU_BASIC context has the 32-bit size, 2800 octets",
    tags=("vcpu",),
    args=("x86_64-pv", 2800),
    breaks=("XC-VCPU-003",),
)
@recipe(
    "basic-context-64-bit-size",
    "a 32-bit guest's X86_PV_VCPU_BASIC context has the 64-bit size, 5168 octets",
    tags=("vcpu",),
    args=("x86_32-pv", 5168),
    breaks=("XC-VCPU-003",),
)
@recipe(
    "basic-context-empty",
    "X86_PV_VCPU_BASIC for vCPU 0 has an empty context (body_length 8)",
    tags=("vcpu",),
    args=("x86_64-pv", 0),
    breaks=("XC-VCPU-003",),
)
def basic_context(guest: str, size: int) -> LibxcStream:
    s, v = _vcpu(X.X86_PV_VCPU_BASIC, guest)
    v.context = (v.context * 2)[:size]
    return s


@recipe(
    "extended-context-129",
    "X86_PV_VCPU_EXTENDED context is 129 octets (one over 128)",
    tags=("vcpu", "off-by-one"),
    args=(X.X86_PV_VCPU_EXTENDED, 129),
    breaks=("XC-VCPU-004",),
)
@recipe(
    "xsave-context-15",
    "X86_PV_VCPU_XSAVE context is 15 octets (one under 16)",
    tags=("vcpu", "off-by-one"),
    args=(X.X86_PV_VCPU_XSAVE, 15),
    breaks=("XC-VCPU-005",),
)
@recipe(
    "msrs-context-24",
    "X86_PV_VCPU_MSRS context is 24 octets, one and a half MSR entries",
    tags=("vcpu",),
    args=(X.X86_PV_VCPU_MSRS, 24),
    breaks=("XC-VCPU-006",),
)
@recipe(
    "msrs-context-8",
    "X86_PV_VCPU_MSRS context is 8 octets, half an MSR entry",
    tags=("vcpu",),
    args=(X.X86_PV_VCPU_MSRS, 8),
    breaks=("XC-VCPU-006",),
)
def vcpu_context_size(rtype: int, size: int) -> LibxcStream:
    s, v = _vcpu(rtype)
    v.context = (v.context + bytes(256))[:size]
    return s


@recipe(
    "no-basic-for-vcpu-0",
    "a two-vCPU PV stream with X86_PV_VCPU_BASIC for vCPU 1 only",
    tags=("vcpu", "missing-record"),
    breaks=("XC-VCPU-009",),
)
def no_basic_for_vcpu_0() -> LibxcStream:
    s, _ = _vcpu(X.X86_PV_VCPU_BASIC, vcpus=2)
    B.remove(s.records, X.X86_PV_VCPU_BASIC)
    return s


def _errata_vcpu(guest: str) -> XlFile:
    f = B.xl(guest, 2, release=(4, 7), vcpus=2, small=True)
    xc = B.add_xsave(f)  # the small base has no XSAVE record to empty
    for rec in xc.records:
        if rec.type in (X.X86_PV_VCPU_EXTENDED, X.X86_PV_VCPU_XSAVE, X.X86_PV_VCPU_MSRS):
            body = rec.body
            assert isinstance(body, VcpuContext)
            body.context = b""
    return f


for _g in ("x86_64-pv", "x86_32-pv"):
    recipe(
        "errata-empty-vcpu-records",
        "as Xen 4.7 could save a PV guest: X86_PV_VCPU_EXTENDED, _XSAVE and _MSRS with an "
        "empty context (body_length 8) for every vCPU",
        tags=("vcpu", "errata", "release-profile"),
        args=(_g,),
        breaks=("XC-VCPU-007",),
        relies=("XC-VCPU-008",),
    )(_errata_vcpu)


# --- SHARED_INFO, X86_TSC_INFO --------------------------------------------------------------


@recipe(
    "shared-info-4095",
    "SHARED_INFO holds 4095 octets, one less than a page",
    tags=("shared-info", "off-by-one"),
    args=(4095,),
    breaks=("XC-SHI-001",),
)
@recipe(
    "shared-info-4097",
    "SHARED_INFO holds 4097 octets, one more than a page",
    tags=("shared-info", "off-by-one"),
    args=(4097,),
    breaks=("XC-SHI-001",),
)
def shared_info(size: int) -> LibxcStream:
    s = B.xc("x86_64-pv", 3)
    rec = B.get(s.records, X.SHARED_INFO)
    rec.body = (B.raw(rec) + b"\x00")[:size]
    return s


def _tsc(guest: str = "hvm", version: int = 3) -> tuple[LibxcStream, TscInfo]:
    s = B.xc(guest, version)
    tsc = B.body(s.records, X.X86_TSC_INFO)
    assert isinstance(tsc, TscInfo)
    return s, tsc


@recipe(
    "tsc-body-23",
    "X86_TSC_INFO has a 23-octet body (one short of 24)",
    tags=("tsc", "off-by-one"),
    args=(23,),
    breaks=("XC-TSC-001",),
)
@recipe(
    "tsc-body-25",
    "X86_TSC_INFO has a 25-octet body (one over 24)",
    tags=("tsc", "off-by-one"),
    args=(25,),
    breaks=("XC-TSC-001",),
)
def tsc_length(n: int) -> LibxcStream:
    s, _ = _tsc()
    rec = B.get(s.records, X.X86_TSC_INFO)
    rec.body = (B.raw(rec) + b"\x00")[:n]
    return s


@recipe(
    "tsc-reserved-nonzero",
    "the reserved word of X86_TSC_INFO is 1",
    tags=("tsc", "reserved-bits"),
    args=("reserved", 1),
    breaks=("XC-TSC-002",),
)
@recipe(
    "tsc-mode-4",
    "X86_TSC_INFO mode is 4, past PVRDTSCP (3)",
    tags=("tsc", "off-by-one"),
    args=("mode", 4),
    breaks=("XC-TSC-003",),
)
def tsc_field(field: str, value: int) -> LibxcStream:
    s, tsc = _tsc()
    setattr(tsc, field, value)
    return s


def _pvrdtscp(guest: str, version: int) -> Callable[[_TscBuild], _TscBuild]:
    return recipe(
        "tsc-mode-pvrdtscp",
        "X86_TSC_INFO mode is 3 (PVRDTSCP): Xen 4.11 and older wrote and restored it, "
        "tsc_set_info of Xen 4.12 and later refuses it",
        tags=("tsc", "boundary"),
        args=(guest, version),
        breaks=("XC-TSC-005",),
        permits=("XC-TSC-004",),
        exercises=("XC-TSC-003",),
    )


_TscBuild = Callable[[str, int], LibxcStream]


@_pvrdtscp("hvm", 2)
@_pvrdtscp("hvm", 3)
@_pvrdtscp("x86_64-pv", 3)
def tsc_pvrdtscp(guest: str, version: int) -> LibxcStream:
    s, tsc = _tsc(guest, version)
    tsc.mode = TscMode.PVRDTSCP
    if guest == "hvm" and version == 2:  # small: only the XTAB pfn in PAGE_DATA
        at = B.index(s.records, X.PAGE_DATA)
        s.records = [r for r in s.records if r.type != X.PAGE_DATA]
        s.records.insert(at, Record(X.PAGE_DATA, PageData.of([(0xFEFFB, PageType.XTAB)])))
    return s


# --- HVM_CONTEXT, HVM_PARAMS ----------------------------------------------------------------


@recipe(
    "hvm-context-empty",
    "HVM_CONTEXT has an empty body",
    tags=("hvm-context",),
    breaks=("XC-HVMC-001",),
)
def hvm_context_empty() -> LibxcStream:
    s = B.xc("hvm", 3)
    B.get(s.records, X.HVM_CONTEXT).body = b""
    return s


@recipe(
    "hvm-context-missing",
    "an HVM stream without HVM_CONTEXT",
    tags=("hvm-context", "missing-record"),
    breaks=("XC-HVMC-002",),
)
def hvm_context_missing() -> LibxcStream:
    s = B.xc("hvm", 3)
    B.remove(s.records, X.HVM_CONTEXT)
    return s


def _params(version: int = 3) -> tuple[LibxcStream, HvmParams]:
    s = B.xc("hvm", version, release=(4, 19) if version == 3 else (4, 13))
    p = B.body(s.records, X.HVM_PARAMS)
    assert isinstance(p, HvmParams)
    return s, p


@recipe(
    "hvm-params-body-4",
    "HVM_PARAMS has a 4-octet body: count only (0)",
    tags=("hvm-params", "record-framing"),
    breaks=("XC-HVMP-001",),
)
def hvm_params_body_4() -> LibxcStream:
    s, _ = _params()
    B.get(s.records, X.HVM_PARAMS).body = struct.pack("<I", 0)
    return s


@recipe(
    "hvm-params-count-one-more",
    "the HVM_PARAMS count is one more than the entries in the body",
    tags=("hvm-params", "off-by-one"),
    args=(1,),
    breaks=("XC-HVMP-002", "XC-HVMP-015"),
)
@recipe(
    "hvm-params-count-one-less",
    "the HVM_PARAMS count is one less than the entries in the body",
    tags=("hvm-params", "off-by-one"),
    args=(-1,),
    breaks=("XC-HVMP-002",),
)
def hvm_params_count(delta: int) -> LibxcStream:
    s, p = _params()
    p.count = len(p.params) + delta
    return s


@recipe(
    "hvm-params-reserved-nonzero",
    "the reserved word of HVM_PARAMS is 0x10",
    tags=("hvm-params", "reserved-bits"),
    breaks=("XC-HVMP-003",),
)
def hvm_params_reserved_nonzero() -> LibxcStream:
    s, p = _params()
    p.reserved = 0x10
    return s


@recipe(
    "errata-empty-hvm-params",
    "as Xen 4.7 could save an HVM guest: an HVM_PARAMS record with count 0",
    tags=("hvm-params", "errata", "release-profile"),
    breaks=("XC-HVMP-004",),
    relies=("XC-HVMP-005",),
)
def errata_empty_hvm_params() -> XlFile:
    f = B.xl("hvm", 2, release=(4, 7), vcpus=2, small=True)
    B.get(B.inner_xc(f).records, X.HVM_PARAMS).body = HvmParams([])
    return f


# What hvm_set_param and hvm_allow_set_param refuse (xen/arch/x86/hvm/hvm.c), in a version 2
# stream (Xen 4.6-4.13 restore it, and later releases too) and a version 3 one.

_ParamBuild = Callable[[int, int, int], LibxcStream]


def _lean_params(version: int) -> tuple[LibxcStream, HvmParams]:
    """:func:`_params` with only the XTAB pfn in PAGE_DATA (no page contents): small."""
    s, p = _params(version)
    at = B.index(s.records, X.PAGE_DATA)
    s.records = [r for r in s.records if r.type != X.PAGE_DATA]
    s.records.insert(at, Record(X.PAGE_DATA, PageData.of([(0xFEFFB, PageType.XTAB)])))
    return s, p


def _param_case(
    slug: str, description: str, index: int, value: int, breaks: str
) -> Callable[[_ParamBuild], _ParamBuild]:
    def deco(fn: _ParamBuild) -> _ParamBuild:
        for version in (2, 3):
            recipe(
                slug,
                description,
                tags=("hvm-params",),
                args=(version, index, value),
                breaks=(breaks,),
            )(fn)
        return fn

    return deco


@_param_case(
    "hvm-params-index-39", "an HVM_PARAMS entry for index 39 (HVM_NR_PARAMS)", 39, 1, "XC-HVMP-006"
)
@_param_case(
    "hvm-params-memory-event-cr0",
    "an HVM_PARAMS entry for MEMORY_EVENT_CR0 (20), deprecated",
    20,
    1,
    "XC-HVMP-007",
)
@_param_case(
    "hvm-params-bufioreq-evtchn",
    "an HVM_PARAMS entry for BUFIOREQ_EVTCHN (26), deprecated",
    26,
    5,
    "XC-HVMP-007",
)
@_param_case(
    "hvm-params-timer-mode-4", "HVM_PARAMS sets TIMER_MODE (10) to 4", 10, 4, "XC-HVMP-008"
)
@_param_case(
    "hvm-params-x87-fip-width-2", "HVM_PARAMS sets X87_FIP_WIDTH (36) to 2", 36, 2, "XC-HVMP-008"
)
@_param_case(
    "hvm-params-nr-ioreq-server-pages-0",
    "HVM_PARAMS sets NR_IOREQ_SERVER_PAGES (33) to 0",
    33,
    0,
    "XC-HVMP-008",
)
@_param_case(
    "hvm-params-vm86-tss-sized-small",
    "HVM_PARAMS sets VM86_TSS_SIZED (37) with a size of 64 in bits 32-63, less than a "
    "32-bit TSS (104)",
    37,
    (64 << 32) | 0xFC00A000,
    "XC-HVMP-008",
)
@_param_case(
    "hvm-params-viridian-0",
    "HVM_PARAMS sets VIRIDIAN (9) to 0 (base_freq clear)",
    9,
    0,
    "XC-HVMP-009",
)
@_param_case(
    "hvm-params-viridian-bit-13",
    "HVM_PARAMS sets VIRIDIAN (9) to 0x2001, bit 13 unknown",
    9,
    0x2001,
    "XC-HVMP-009",
)
@_param_case(
    "hvm-params-nestedhvm",
    "HVM_PARAMS sets NESTEDHVM (24), refused from Xen 4.15",
    24,
    1,
    "XC-HVMP-012",
)
@_param_case(
    "hvm-params-dm-domain",
    "HVM_PARAMS sets DM_DOMAIN (13) to DOMID_SELF, refused from Xen 4.12",
    13,
    0x7FF0,
    "XC-HVMP-013",
)
@_param_case(
    "hvm-params-altp2m",
    "HVM_PARAMS sets ALTP2M (35), read-only from Xen 4.19",
    35,
    0,
    "XC-HVMP-014",
)
@_param_case(
    "hvm-params-pae-enabled",
    "HVM_PARAMS sets PAE_ENABLED (4) to 1, as Xen 4.6-4.13 "
    "save a PAE guest; deprecated from 4.14, whose restorer discards it",
    4,
    1,
    "XC-HVMP-011",
)
def hvm_param_added(version: int, index: int, value: int) -> LibxcStream:
    s, p = _lean_params(version)
    # replace the entry Xen's saver wrote for the index, if any (a second one is XC-HVMP-010)
    p.params = [(i, v) for i, v in p.params if i != index] + [(index, value)]
    return s


@recipe(
    "hvm-params-viridian-changed",
    "HVM_PARAMS sets VIRIDIAN (9) to 1, then to 3 (it may change only while 0)",
    tags=("hvm-params",),
    args=(2,),
    breaks=("XC-HVMP-010",),
)
@recipe(
    "hvm-params-viridian-changed",
    "HVM_PARAMS sets VIRIDIAN (9) to 1, then to 3 (it may change only while 0)",
    tags=("hvm-params",),
    args=(3,),
    breaks=("XC-HVMP-010",),
)
def hvm_params_viridian_changed(version: int) -> LibxcStream:
    s, p = _lean_params(version)
    p.params += [(9, 1), (9, 3)]
    return s


_SET_PARAM = "xen/arch/x86/hvm/hvm.c:hvm_allow_set_param"
_HVMOP_SET = "xen/arch/x86/hvm/hvm.c:hvmop_set_param"


@recipe(
    "hvm-params-ioreq-pfn-changed",
    "HVM_PARAMS gives IOREQ_PFN (5) a second, different value: Xen 4.6-4.11 set it again, "
    "4.12 and later let it change only while zero (-EEXIST)",
    tags=("hvm-params",),
    exercises=("XC-HVMP-010",),
    # 4.6-4.8 know no VM86_TSS_SIZED (37), which 4.13's parameters carry (hvmop_set_param)
    restore=Restore("4.9-4.11", (_SET_PARAM, _HVMOP_SET)),
)
def hvm_params_ioreq_pfn_changed() -> LibxcStream:
    s, p = _lean_params(2)
    p.params = [(i, v) for i, v in p.params if i != 5] + [(5, 0xFEFFF), (5, 0xFEFF7)]
    return s


@recipe(
    "hvm-params-index-above-32-bits",
    "an HVM_PARAMS entry for index 2^32 + 10: beyond HVM_NR_PARAMS, but the restorer's "
    "xc_hvm_param_set takes a 32-bit index, so Xen sets TIMER_MODE (10) to 1",
    tags=("hvm-params", "reserved-bits"),
    args=(2,),
    breaks=("XC-HVMP-006",),
    restore=Restore("4.9-", ("tools/libs/ctrl/xc_domain.c:xc_hvm_param_set", _HVMOP_SET)),
)
@recipe(
    "hvm-params-index-above-32-bits",
    "an HVM_PARAMS entry for index 2^32 + 10: beyond HVM_NR_PARAMS, but the restorer's "
    "xc_hvm_param_set takes a 32-bit index, so Xen sets TIMER_MODE (10) to 1",
    tags=("hvm-params", "reserved-bits"),
    args=(3,),
    breaks=("XC-HVMP-006",),
    # 4.19's MSR policy carries ARCH_CAPABILITIES, which 4.14 does not take
    restore=Restore(
        "4.15-",
        (
            "tools/libs/ctrl/xc_domain.c:xc_hvm_param_set",
            "xen/lib/x86/msr.c:x86_msr_copy_from_buffer",
        ),
    ),
)
def hvm_params_index_above_32_bits(version: int) -> LibxcStream:
    s, p = _lean_params(version)
    p.params = [(i, v) for i, v in p.params if i != 10] + [((1 << 32) | 10, 1)]
    return s


@recipe(
    "hvm-params-at-the-limits",
    "HVM_PARAMS at the edge of what hvm_set_param takes: MCA_CAP (38, the last index), "
    "TIMER_MODE 3, TRIPLE_FAULT_REASON 5, NR_IOREQ_SERVER_PAGES 64, X87_FIP_WIDTH 4, every "
    "VIRIDIAN bit (0x1fff) given twice alike",
    tags=("hvm-params", "boundary"),
    exercises=tuple(f"XC-HVMP-{n:03}" for n in (6, 7, 8, 9, 10, 12, 13, 14, 15)),
)
def hvm_params_at_the_limits() -> LibxcStream:
    s, p = _lean_params(3)
    limits = {38: 1, 10: 3, 31: 5, 33: 64, 36: 4, 9: 0x1FFF}
    p.params = [(i, v) for i, v in p.params if i not in limits] + list(limits.items())
    p.params.append((9, 0x1FFF))
    return s


# --- TOOLSTACK, VERIFY ----------------------------------------------------------------------


@recipe(
    "toolstack-record",
    "a TOOLSTACK record (deprecated; libxl's pre-4.6 physmap blob) before END",
    tags=("toolstack",),
    breaks=("XC-TOOL-001",),
    permits=("XC-TOOL-002",),
)
def toolstack_record() -> LibxcStream:
    s = B.xc("hvm", 2, release=(4, 9))
    blob = struct.pack("<II", 1, 1) + struct.pack("<QQQI", 0xF0000000, 0xF0000, 0x1000000, 4)
    B.insert_before(s.records, X.END, Record(X.TOOLSTACK, blob + b"vga\x00"))
    return s


@recipe(
    "verify-with-body",
    "VERIFY has an 8-octet body",
    tags=("verify",),
    breaks=("XC-VER-001",),
)
def verify_with_body() -> LibxcStream:
    s = B.xc("hvm", 3)
    B.insert_before(s.records, X.X86_TSC_INFO, Record(X.VERIFY, b"\x00" * 8))
    return s


@recipe(
    "verify-twice",
    "two verify phases: VERIFY and every page again, twice",
    tags=("verify", "duplicate-record"),
    breaks=("XC-VER-002",),
)
def verify_twice() -> LibxcStream:
    s = B.xc("hvm", 3)
    pages = [r for r in s.records if r.type == X.PAGE_DATA]
    B.insert_before(s.records, X.X86_TSC_INFO, Record(X.VERIFY), *pages)
    B.insert_before(s.records, X.X86_TSC_INFO, Record(X.VERIFY), *pages)
    return s


# --- what the PV restorer refuses in P2M frames and PAGE_DATA (xg_sr_restore_x86_pv.c) -------

PV_CELLS = [(g, v) for g in ("x86_64-pv", "x86_32-pv") for v in (2, 3)]


def _pv_small(guest: str, version: int, **kw: object) -> tuple[LibxcStream, PageData]:
    """The small PV stream (pfns 0-7, max_pfn 7) and its one PAGE_DATA record."""
    s = B.xc(guest, version, **kw)
    pd = B.body(s.records, X.PAGE_DATA)
    assert isinstance(pd, PageData)
    return s, pd


def p2m_frame_on(guest: str, version: int, pfn: int) -> LibxcStream:
    s, _ = _pv_small(guest, version)
    B.get(s.records, X.X86_PV_P2M_FRAMES).body = P2mFrames(0, 7, [pfn])
    return s


for _g, _v in PV_CELLS:
    recipe(
        "p2m-frame-page-table",
        "the P2M frame list's one entry names pfn 0, the top-level page table, not a NOTAB "
        "page: update_guest_p2m refuses it when the stream completes",
        tags=("p2m", "page-type"),
        args=(_g, _v, 0),
        breaks=("XC-P2M-005",),
    )(p2m_frame_on)
recipe(
    "p2m-frame-above-max-pfn",
    "the P2M frame list's one entry names pfn 8, above max_pfn 7",
    tags=("p2m",),
    args=("x86_64-pv", 3, 8),
    breaks=("XC-P2M-005",),
)(p2m_frame_on)
recipe(
    "p2m-frame-xtab",
    "the P2M frame list's one entry names pfn 6, sent as XTAB (no page)",
    tags=("p2m", "page-type"),
    args=("x86_32-pv", 3, 6),
    breaks=("XC-P2M-005",),
)(p2m_frame_on)


def page_above_max_pfn(guest: str, version: int) -> LibxcStream:
    s, _ = _pv_small(guest, version)
    extra = PageData.of([(8, PageType.NOTAB)])
    B.insert_after(s.records, X.PAGE_DATA, Record(X.PAGE_DATA, extra))
    return s


for _g, _v in PV_CELLS:
    recipe(
        "page-data-pfn-above-max-pfn",
        "a second PAGE_DATA record sends pfn 8, one above max_pfn 7 (p2m_end_pfn): "
        "x86_pv_pfn_is_valid refuses it",
        tags=("page-data", "p2m", "off-by-one"),
        args=(_g, _v),
        breaks=("XC-PAGE-008",),
    )(page_above_max_pfn)


def pte_naming(guest: str, version: int, pfn: int, flags: int) -> LibxcStream:
    """The small stream whose L1 page table's entry 100 names ``pfn`` with ``flags``."""
    s, pd = _pv_small(guest, version, chain=True)
    levels = 4 if guest == "x86_64-pv" else 3
    l1 = levels - 1  # tables from pfn 0, top level first: the L1 table is the last
    page = bytearray(pd.pages[l1])
    struct.pack_into("<Q", page, 8 * 100, pfn << 12 | flags)
    pd.pages[l1] = bytes(page)
    return s


for _g, _v in PV_CELLS:
    recipe(
        "page-table-entry-above-max-pfn",
        "entry 100 of the L1 page table is present (0x67) and names pfn 8, above max_pfn 7: "
        "x86_pv_localise_page has no frame for it",
        tags=("page-data", "page-type", "off-by-one"),
        args=(_g, _v, 8, 0x67),
        breaks=("XC-PAGE-009",),
    )(pte_naming)
recipe(
    "page-table-entries-at-max-pfn",
    "entry 100 of the L1 page table is present and names pfn 7, max_pfn itself (the "
    "BROKEN page: populated when localised); pfn 7 is also the highest PAGE_DATA pfn",
    tags=("page-data", "page-type", "boundary"),
    args=("x86_64-pv", 3, 7, 0x67),
    exercises=("XC-PAGE-009", "XC-PAGE-008"),
)(pte_naming)
recipe(
    "page-table-entry-not-present",
    "entry 100 of the L1 page table names pfn 0x12345, far above max_pfn, but is not "
    "present (bit 0 clear): the restorer leaves it alone",
    tags=("page-data", "page-type", "boundary"),
    args=("x86_32-pv", 2, 0x12345, 0x66),
    exercises=("XC-PAGE-009",),
)(pte_naming)
