"""The PV vCPU context inside X86_PV_VCPU_BASIC (spec/pv-context.md): realistic valid
contexts for x86_32 (PAE) and x86_64 guests, and one case per PV- rule.

The bases are the small PV streams of :mod:`.bases` (xensave.samples): the top-level
table pinned at pfn 0, the p2m frame (pfn 4 on x86_64, 3 on x86_32), the start-info
page on pfn 5, an XTAB pfn 6 and a BROKEN pfn 7; p2m_end_pfn 7; ``chain=True`` gives
tables of every level (x86_64: L4-L1 at pfns 0-3; x86_32: L3-L1 at 0-2, data on 4).
Every vCPU's context (xensave.pv_context.sample) has CR3 on pfn 0, a one-frame GDT on
pfn 5 and, for vCPU 0, the start-info page on pfn 5.
"""

from __future__ import annotations

import struct
from typing import Any

from xensave import pv_context
from xensave.bodies import (
    P2mFrames,
    PageData,
    PvBasicContext,
    VcpuContext,
    has_data,
    pfn_entry,
)
from xensave.constants import PageType
from xensave.model import LibxcStream, Record, XlFile

from . import bases as B
from .bases import X
from .framework import recipe

TAGS = ("pv-context", "vcpu")


def _width(guest: str) -> int:
    return 4 if guest == "x86_32-pv" else 8


def _with_context(s: LibxcStream, guest: str, vcpu: int = 0, **changes: Any) -> LibxcStream:
    """``s`` with vCPU ``vcpu``'s BASIC context changed as ``changes`` say."""
    width = _width(guest)
    i = next(
        k
        for k, r in enumerate(s.records)
        if r.type == X.X86_PV_VCPU_BASIC and getattr(r.body, "vcpu_id", None) == vcpu
    )
    body = s.records[i].body
    assert isinstance(body, PvBasicContext)
    ctx = pv_context.replace(body.context, width, **changes)
    s.records[i] = Record(X.X86_PV_VCPU_BASIC, PvBasicContext(vcpu, ctx))
    return s


def _xc(guest: str, vcpus: int = 1, **changes: Any) -> LibxcStream:
    return _with_context(B.xc(guest, 3, vcpus=vcpus), guest, **changes)


# --- valid --------------------------------------------------------------------------------


@recipe(
    "pv-context-two-vcpus",
    "two vCPUs of a 64-bit guest in kernel mode: CR3 on the pinned L4 table (pfn 0), "
    "the GDT and start-info page on NOTAB pfn 5, canonical kernel addresses",
    tags=TAGS,
    args=("x86_64-pv",),
    exercises=("PV-CR3-001", "PV-GDT-002", "PV-SIF-001", "PV-ADR-001", "PV-DBG-001"),
)
@recipe(
    "pv-context-two-vcpus",
    "two vCPUs of a 32-bit PAE guest in ring 1: CR3 (folded) on the pinned L3 table "
    "(pfn 0), the GDT and start-info page on NOTAB pfn 5, callbacks as cs:eip pairs",
    tags=TAGS,
    args=("x86_32-pv",),
    exercises=("PV-CR3-001", "PV-GDT-002", "PV-SIF-001", "PV-FLG-002"),
)
def two_vcpus(guest: str) -> XlFile:
    image = B.xl(guest, 3, vcpus=2)
    assert isinstance(image, XlFile)
    return image


@recipe(
    "pv-context-pae-cr3-above-4g",
    "a 32-bit PAE guest whose top-level table is pfn 0x100005, above 4 GiB: "
    "ctrlreg[3] 0x00005001 keeps pfn bits 20-31 in its low 12 bits; the 1025 entries of "
    "the P2M frame list all name the one p2m frame (pfn 3)",
    tags=(*TAGS, "boundary"),
    exercises=("PV-CR3-001", "XC-P2M-005", "XC-PAGE-008"),
)
def pae_cr3_above_4g() -> LibxcStream:
    return _above_4g(pv_context.pfn_to_cr3(_HIGH_TOP, 4))


@recipe(
    "pv-context-pae-cr3-not-folded",
    "the top-level table is pfn 0x100005 but ctrlreg[3] is 0x00005000, the pfn shifted "
    "left by 12 and cut to 32 bits without the fold: it names pfn 5, a data page",
    tags=TAGS,
    breaks=("PV-CR3-001",),
)
def pae_cr3_not_folded() -> LibxcStream:
    return _above_4g((_HIGH_TOP << 12) & 0xFFFFFFFF)


_HIGH_TOP = 0x100005


def _above_4g(cr3: int) -> LibxcStream:
    guest, top = "x86_32-pv", _HIGH_TOP
    s = B.xc(guest, 3)
    fpp = 4096 // 4
    # The P2M frame list must name NOTAB pages the stream sends, no higher than max_pfn
    # (update_guest_p2m): all 1025 entries may name the one p2m frame, pfn 3.
    frames = [3] * (top // fpp + 1)
    B.get(s.records, X.X86_PV_P2M_FRAMES).body = P2mFrames(0, top, frames)
    table = bytearray(4096)
    table[24:32] = ((1 << 12) | 1).to_bytes(8, "little")  # PDPT slot 3: the L2 table, pfn 1
    B.insert_after(
        s.records,
        X.PAGE_DATA,
        Record(X.PAGE_DATA, PageData([pfn_entry(top, PageType.L3TAB_PIN)], [bytes(table)])),
    )
    return _with_context(s, guest, ctrlreg={3: cr3})


@recipe(
    "pv-context-user-mode",
    "a 64-bit vCPU stopped in user mode: in_kernel clear, ctrlreg[1] names the user "
    "page table (the L4 table at pfn 0, bit 0 set), user code and stack selectors",
    tags=TAGS,
    exercises=("PV-CR3-002", "PV-CR3-003"),
)
def user_mode() -> LibxcStream:
    return _xc(
        "x86_64-pv",
        flags=0x21,
        ctrlreg={1: (0 << 12) | 1},
        rip=0x00007F1234560000,
        rsp=0x00007FFC00001000,
        cs=0xE033,
        ss=0xE02B,
    )


@recipe(
    "pv-context-gdt-7168",
    "gdt_ents is 7168, the most there can be: fourteen GDT frames, all on NOTAB pfn 5",
    tags=(*TAGS, "boundary"),
    args=("x86_64-pv",),
    exercises=("PV-GDT-001", "PV-GDT-002"),
)
@recipe(
    "pv-context-gdt-7168",
    "gdt_ents is 7168, the most there can be: fourteen GDT frames, all on NOTAB pfn 5",
    tags=(*TAGS, "boundary"),
    args=("x86_32-pv",),
    exercises=("PV-GDT-001", "PV-GDT-002"),
)
def gdt_7168(guest: str) -> LibxcStream:
    return _xc(guest, gdt_ents=7168, gdt_frames=dict.fromkeys(range(14), 5))


@recipe(
    "pv-context-ldt-8192",
    "an LDT of 8192 entries (the most there can be) at a page-aligned kernel address",
    tags=(*TAGS, "boundary"),
    exercises=("PV-LDT-001", "PV-LDT-002"),
)
def ldt_8192() -> LibxcStream:
    return _xc("x86_64-pv", ldt_ents=8192, ldt_base=0xFFFF888001230000)


# --- invalid ------------------------------------------------------------------------------

# (slug, guest, what, rule, changes)
_BROKEN: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("gdt-ents-7169", "x86_64-pv", "gdt_ents is 7169, one over 7168", "PV-GDT-001",
     {"gdt_ents": 7169, "gdt_frames": dict.fromkeys(range(15), 5)}),
    ("gdt-ents-7169", "x86_32-pv", "gdt_ents is 7169, one over 7168", "PV-GDT-001",
     {"gdt_ents": 7169, "gdt_frames": dict.fromkeys(range(15), 5)}),
    ("gdt-frame-page-table", "x86_64-pv", "the GDT frame is pfn 3, an L1 page table",
     "PV-GDT-002", {"gdt_frames": {0: 3}}),
    ("gdt-frame-xtab", "x86_32-pv", "the GDT frame is pfn 6, sent as XTAB (no page)",
     "PV-GDT-002", {"gdt_frames": {0: 6}}),
    ("gdt-frame-above-p2m", "x86_64-pv", "the second GDT frame (gdt_ents 600) is pfn 8, "
     "above p2m_end_pfn 7", "PV-GDT-002", {"gdt_ents": 600, "gdt_frames": {1: 8}}),
    ("cr3-l2-table", "x86_64-pv", "ctrlreg[3] names pfn 2, an L2 page table, not the L4",
     "PV-CR3-001", {"ctrlreg": {3: 2 << 12}}),
    ("cr3-above-p2m", "x86_32-pv", "ctrlreg[3] names pfn 0x100, beyond p2m_end_pfn 7",
     "PV-CR3-001", {"ctrlreg": {3: 0x100 << 12}}),
    ("cr3-data-page", "x86_32-pv", "ctrlreg[3] names pfn 4, a data page (NOTAB)",
     "PV-CR3-001", {"ctrlreg": {3: pv_context.pfn_to_cr3(4, 4)}}),
    ("cr1-data-page", "x86_64-pv", "ctrlreg[1] 0x5001 names pfn 5, a data page, as the "
     "user page table", "PV-CR3-002", {"ctrlreg": {1: (5 << 12) | 1}}),
    ("user-mode-without-cr1", "x86_64-pv", "in user mode (in_kernel clear) with ctrlreg[1] "
     "zero", "PV-CR3-003", {"flags": 0x21}),
    ("start-info-page-table", "x86_64-pv", "vCPU 0's rdx (start info) is pfn 0, the L4 table",
     "PV-SIF-001", {"rdx": 0}),
    ("start-info-broken", "x86_32-pv", "vCPU 0's edx (start info) is pfn 7, sent as BROKEN",
     "PV-SIF-001", {"edx": 7}),
    ("ldt-ents-8193", "x86_64-pv", "ldt_ents is 8193, one over 8192", "PV-LDT-001",
     {"ldt_ents": 8193, "ldt_base": 0xFFFF888001230000}),
    ("ldt-base-unaligned", "x86_32-pv", "ldt_base 0xc1230008 is not page aligned",
     "PV-LDT-002", {"ldt_ents": 16, "ldt_base": 0xC1230008}),
    ("rip-non-canonical", "x86_64-pv", "rip 0x0000800000000000 is not canonical",
     "PV-ADR-001", {"rip": 0x0000800000000000}),
    ("trap-non-canonical", "x86_64-pv", "the #PF handler's address 0x8000ffff81002000 is "
     "not canonical", "PV-ADR-001",
     {"trap_ctxt": {14: (14, 0, 0xE033, 0x8000FFFF81002000)}}),
    ("dr7-high-bits", "x86_64-pv", "debugreg[7] 0x100000400 has bit 32 set", "PV-DBG-001",
     {"debugreg": {7: 0x100000400}}),
    ("eflags-vm86", "x86_32-pv", "eflags 0x20246 has VM (bit 17) set", "PV-FLG-002",
     {"eflags": 0x20246}),
    # SHOULD rules: i_ cases
    ("gdt-unused-frame", "x86_64-pv", "gdt_frames[1] is 5 though the GDT (32 entries) uses "
     "one frame", "PV-GDT-003", {"gdt_frames": {1: 5}}),
    ("flags-undefined-bit", "x86_32-pv", "flags has bit 8 (in_syscall, an x86_64 flag) set",
     "PV-FLG-001", {"flags": 0x125}),
]  # fmt: skip


def _broken(guest: str, changes: dict[str, Any], chain: bool = False) -> LibxcStream:
    return _with_context(B.xc(guest, 3, chain=chain), guest, **changes)


#: Changes naming pfns 1-4 as the tables or data page they are in the chain layout.
_CHAIN = {"gdt-frame-page-table", "cr3-l2-table", "cr3-data-page"}


#: Changes wrong for one guest width only (replayed in that width's other version only).
_ONE_WIDTH = {"flags-undefined-bit": "bit 8 (in_syscall) is a VGCF bit of x86_64 guests"}

for _slug, _guest, _what, _rule, _changes in _BROKEN:
    recipe(
        f"pv-context-{_slug}",
        _what,
        tags=TAGS,
        args=(_guest, _changes, _slug in _CHAIN),
        breaks=(_rule,),
        same_guest=_ONE_WIDTH.get(_slug, ""),
    )(_broken)


recipe(
    "pv-context-ldt32-ents-8193",
    "ldt_ents is 8193, one over 8192, at the page-aligned 32-bit kernel address 0xc1230000",
    tags=TAGS,
    args=("x86_32-pv", {"ldt_ents": 8193, "ldt_base": 0xC1230000}),
    breaks=("PV-LDT-001",),
    same_guest="the x86_64 home above has the 64-bit cells (its ldt_base has no 32-bit place)",
    since="2.1.0",
)(_broken)


# --- what Xen's restore path refuses (Xen release gates in spec/rules.toml) -------------------

CELLS = [(g, v) for g in ("x86_64-pv", "x86_32-pv") for v in (2, 3)]


def _xcv(guest: str, version: int, **changes: Any) -> LibxcStream:
    return _with_context(B.xc(guest, version), guest, **changes)


# (slug, guests, what, rule, BASIC context changes)
_XEN_REFUSES: list[tuple[str, tuple[str, ...], str, str, dict[str, Any]]] = [
    ("rsp-non-canonical", ("x86_64-pv",), "rsp 0x0000800000000000 is not canonical "
     "(arch_set_info_guest refuses it from Xen 4.8 on)", "PV-ADR-002",
     {"rsp": 0x0000800000000000}),
    ("ldt-base-in-xen-range", ("x86_64-pv",), "ldt_base 0xffff830000000000 lies in the range "
     "Xen keeps for itself; ldt_ents is 0, yet arch_set_info_guest tests it", "PV-LDT-003",
     {"ldt_base": 0xFFFF830000000000}),
    ("dr0-in-xen-range", ("x86_64-pv",), "debugreg[0] 0xffff830000001000 is a breakpoint in "
     "Xen's own range (refused from Xen 4.18 on)", "PV-DBG-002",
     {"debugreg": {0: 0xFFFF830000001000}}),
    ("vm-assist-bit-6", ("x86_64-pv", "x86_32-pv"), "vCPU 0's vm_assist has bit 6 set, no "
     "VMASST type (refused from Xen 4.14 on)", "PV-VMA-001", {"vm_assist": 1 << 2 | 1 << 6}),
]  # fmt: skip


def _xen_refuses(guest: str, version: int, changes: dict[str, Any]) -> LibxcStream:
    return _xcv(guest, version, **changes)


for _slug, _guests, _what, _rule, _changes in _XEN_REFUSES:
    for _guest, _version in CELLS:
        if _guest in _guests:
            recipe(
                f"pv-context-{_slug}",
                _what,
                tags=TAGS,
                args=(_guest, _version, _changes),
                breaks=(_rule,),
            )(_xen_refuses)


@recipe(
    "pv-context-xen-limits",
    "a 64-bit vCPU 0 at the edges arch_set_info_guest allows: vm_assist with every valid "
    "VMASST bit (0-5, 32), breakpoints just below 2^47 and at 0xffff880000000000 "
    "(HYPERVISOR_VIRT_END), ldt_base there too (ldt_ents 0), rsp the last canonical "
    "lower-half word",
    tags=(*TAGS, "boundary"),
    args=("x86_64-pv", {"vm_assist": 0x3F | 1 << 32, "ldt_base": 0xFFFF880000000000,
                        "debugreg": {0: 0x00007FFFFFFFFFF8, 1: 0xFFFF880000000000},
                        "rsp": 0x00007FFFFFFFFFF8}),
    exercises=("PV-VMA-001", "PV-DBG-002", "PV-LDT-003", "PV-ADR-002"),
)  # fmt: skip
@recipe(
    "pv-context-xen-limits",
    "a 32-bit vCPU 0 with every VMASST bit a 32-bit guest may have (0-5)",
    tags=(*TAGS, "boundary"),
    args=("x86_32-pv", {"vm_assist": 0x3F}),
    exercises=("PV-VMA-001",),
)
def xen_limits(guest: str, changes: dict[str, Any]) -> LibxcStream:
    return _xcv(guest, 3, **changes)


# --- the start-info page (process_start_info) ----------------------------------------------

#: store_mfn and console.domU.mfn in start_info (xen/include/public/xen.h), per width.
_START_INFO = {4: (44, 52, "<I"), 8: (56, 72, "<Q")}


def _start_info(
    guest: str, version: int, store: int, console: int, retype: dict[int, int] | None = None
) -> LibxcStream:
    """The small stream with the start-info page (pfn 5) holding ``store`` and
    ``console`` in its store_mfn and console.domU.mfn; ``retype`` gives pfns sent
    without contents (6 XTAB, 7 BROKEN in the sample) another such type."""
    s = B.xc(guest, version)
    pd = B.body(s.records, X.PAGE_DATA)
    assert isinstance(pd, PageData)
    for pfn, ptype in (retype or {}).items():
        assert not has_data(ptype)
        at = [e & 0x000F_FFFF_FFFF_FFFF for e in pd.entries].index(pfn)
        assert not has_data(pd.entries[at] >> 60)
        pd.entries[at] = pfn_entry(pfn, ptype)
    k = _page_index(pd, 5)
    page = bytearray(pd.pages[k])
    at_store, at_console, code = _START_INFO[_width(guest)]
    struct.pack_into(code, page, at_store, store)
    struct.pack_into(code, page, at_console, console)
    pd.pages[k] = bytes(page)
    return s


def _page_index(pd: PageData, pfn: int) -> int:
    """Which of ``pd``'s pages holds ``pfn``'s contents."""
    with_data = [e & 0x000F_FFFF_FFFF_FFFF for e in pd.entries if has_data(e >> 60)]
    return with_data.index(pfn)


for _guest, _version in CELLS:
    recipe(
        "pv-context-start-info-store-above-max-pfn",
        "the start-info page (pfn 5, vCPU 0's edx/rdx) holds store_mfn 8, one above "
        "max_pfn 7: process_start_info cannot map the XenStore page",
        tags=TAGS,
        args=(_guest, _version, 8, 5),
        breaks=("PV-SIF-002",),
    )(_start_info)
recipe(
    "pv-context-start-info-console-above-max-pfn",
    "the start-info page (pfn 5) holds console.domU.mfn 0x100000, beyond max_pfn 7",
    tags=TAGS,
    args=("x86_64-pv", 3, 5, 0x100000),
    breaks=("PV-SIF-002",),
)(_start_info)
recipe(
    "pv-context-start-info-at-max-pfn",
    "the start-info page names store_mfn and console.domU.mfn 7, max_pfn itself, a pfn "
    "sent as XALLOC (populated without contents: page_type_to_populate), so that "
    "process_start_info finds its machine frame",
    tags=(*TAGS, "boundary"),
    args=("x86_32-pv", 3, 7, 7, {7: PageType.XALLOC}),
    exercises=("PV-SIF-002",),
)(_start_info)
for _guest, _version in CELLS:
    recipe(
        "pv-context-start-info-store-unpopulated",
        "the start-info page (pfn 5) names store_mfn 6, in range but sent as XTAB: the "
        "restorer never populates it (page_type_to_populate), so process_start_info "
        "finds no machine frame for it ('XenStore pfn has bad mfn')",
        tags=TAGS,
        args=(_guest, _version, 6, 5),
        breaks=("PV-SIF-002",),
    )(_start_info)
recipe(
    "pv-context-start-info-console-broken",
    "the start-info page (pfn 5) names console.domU.mfn 7, in range but sent as BROKEN, "
    "which the restorer does not populate: 'Console pfn has bad mfn'",
    tags=TAGS,
    args=("x86_64-pv", 3, 5, 7),
    breaks=("PV-SIF-002",),
)(_start_info)


# --- X86_PV_VCPU_EXTENDED, _XSAVE, _MSRS (the hypervisor's domctls) -------------------------


def _blob(guest: str, version: int, rtype: int, edit: Any) -> LibxcStream:
    """The small stream with vCPU 0's ``rtype`` context replaced by ``edit(context)``
    (an XSAVE context added first: the small base has none)."""
    s = B.xc(guest, version)
    if rtype == X.X86_PV_VCPU_XSAVE:
        B.add_xsave(s)
    body = B.body(s.records, rtype)
    assert isinstance(body, VcpuContext)
    body.context = edit(bytearray(body.context))
    return s


def _put(fmt: str, at: int, value: int) -> Any:
    def edit(ctx: bytearray) -> bytes:
        struct.pack_into(fmt, ctx, at, value)
        return bytes(ctx)

    return edit


def _xsave_header_only(ctx: bytearray) -> bytes:
    return bytes(ctx[:16])  # xcr0 and xcr0_accum (7) without the XSAVE area


def _msrs(entries: list[tuple[int, int, int]]) -> Any:
    def edit(_ctx: bytearray) -> bytes:
        return b"".join(struct.pack("<IIQ", *e) for e in entries)

    return edit


_TSC_AUX = 0xC0000103
# (slug, what, rule, record type, edit)
_BLOBS: list[tuple[str, str, str, int, Any]] = [
    ("extended-size-24", "X86_PV_VCPU_EXTENDED says size 24, under the 32 octets before the "
     "vMCE state", "PV-EXT-001", X.X86_PV_VCPU_EXTENDED, _put("<I", 4, 24)),
    ("extended-sysenter-non-canonical", "X86_PV_VCPU_EXTENDED's sysenter_callback_eip "
     "0x0000800000000000 is not canonical", "PV-EXT-002", X.X86_PV_VCPU_EXTENDED,
     _put("<Q", 16, 0x0000800000000000)),
    ("xsave-xcr0-outside-accum", "X86_PV_VCPU_XSAVE's xcr0 0x207 has PKRU (bit 9), which "
     "xcr0_accum 0x7 lacks", "PV-XSV-001", X.X86_PV_VCPU_XSAVE, _put("<Q", 0, 0x207)),
    ("xsave-area-missing", "X86_PV_VCPU_XSAVE has xcr0_accum 0x7 but only the 16 octets of "
     "xcr0 and xcr0_accum", "PV-XSV-002", X.X86_PV_VCPU_XSAVE, _xsave_header_only),
    ("xsave-bv-outside-accum", "the XSAVE header's xstate_bv 0x207 has PKRU (bit 9), which "
     "xcr0_accum 0x7 lacks", "PV-XSV-003", X.X86_PV_VCPU_XSAVE, _put("<Q", 528, 0x207)),
    ("xsave-area-too-long", "X86_PV_VCPU_XSAVE is 856 octets, 8 more than xcr0_accum 0x7 "
     "makes it (16 + 576 + 256)", "PV-XSV-004", X.X86_PV_VCPU_XSAVE,
     lambda ctx: bytes(ctx) + bytes(8)),
    ("xsave-area-too-short", "X86_PV_VCPU_XSAVE is 840 octets, 8 fewer than xcr0_accum 0x7 "
     "makes it (refused from Xen 4.9 on)", "PV-XSV-005", X.X86_PV_VCPU_XSAVE,
     lambda ctx: bytes(ctx[:-8])),
    ("xsave-compacted", "the XSAVE header's xcomp_bv is 0x8000000000000007: the compacted "
     "form, which the hypervisor does not take (refused from Xen 4.7 on)", "PV-XSV-006",
     X.X86_PV_VCPU_XSAVE, _put("<Q", 536, 0x8000000000000007)),
    ("msrs-reserved-nonzero", "the X86_PV_VCPU_MSRS entry (TSC_AUX) has reserved 1: "
     "set_vcpu_msrs refuses it", "PV-MSR-001", X.X86_PV_VCPU_MSRS,
     _msrs([(_TSC_AUX, 1, 0)])),
    ("msrs-unknown-index", "X86_PV_VCPU_MSRS names MSR 0x10 (the TSC), not one Xen restores "
     "for a PV vCPU", "PV-MSR-002", X.X86_PV_VCPU_MSRS, _msrs([(0x10, 0, 1)])),
    ("msrs-8-entries", "X86_PV_VCPU_MSRS has 8 entries (TSC_AUX each time), over the 7 "
     "set_vcpu_msrs takes from Xen 4.20 on", "PV-MSR-004", X.X86_PV_VCPU_MSRS,
     _msrs([(_TSC_AUX, 0, 0)] * 8)),
]  # fmt: skip

for _slug, _what, _rule, _rtype, _edit in _BLOBS:
    for _guest, _version in CELLS:
        recipe(
            f"pv-vcpu-{_slug}",
            _what,
            tags=("vcpu",),
            args=(_guest, _version, _rtype, _edit),
            breaks=(_rule,),
        )(_blob)


def _vcpu_limits(guest: str) -> LibxcStream:
    s = _blob(guest, 3, X.X86_PV_VCPU_EXTENDED, _put("<I", 4, 32))
    ext = B.body(s.records, X.X86_PV_VCPU_EXTENDED)
    assert isinstance(ext, VcpuContext)
    ctx = bytearray(ext.context[:32])  # no vMCE state: size 32 restores none
    struct.pack_into("<QQ", ctx, 8, 0xFFFF800000000000, 0x00007FFFFFFFFFFF)
    ext.context = bytes(ctx)
    B.add_xsave(s)  # the small base has no XSAVE state
    xsave = B.body(s.records, X.X86_PV_VCPU_XSAVE)
    assert isinstance(xsave, VcpuContext)
    ctx = bytearray(xsave.context)
    struct.pack_into("<Q", ctx, 0, 0x3)  # xcr0 x87|SSE, within xcr0_accum 0x7
    struct.pack_into("<Q", ctx, 528, 0x3)  # xstate_bv
    xsave.context = bytes(ctx)
    msrs = B.body(s.records, X.X86_PV_VCPU_MSRS)
    assert isinstance(msrs, VcpuContext)
    msrs.context = _msrs([(_TSC_AUX, 0, v) for v in range(7)])(bytearray())
    return s


for _guest in ("x86_64-pv", "x86_32-pv"):
    recipe(
        "pv-vcpu-xen-limits",
        "EXTENDED with size 32 (no vMCE state) and the 32-bit entry points at the edges of "
        "the canonical halves; XSAVE with xcr0 0x3 inside xcr0_accum 0x7, xstate_bv 0x3; "
        "seven MSR entries, the most set_vcpu_msrs takes (TSC_AUX each time)",
        tags=("vcpu", "boundary"),
        args=(_guest,),
        exercises=(
            "PV-EXT-001",
            "PV-EXT-002",
            "PV-XSV-001",
            "PV-XSV-002",
            "PV-XSV-003",
            "PV-XSV-004",
            "PV-XSV-005",
            "PV-XSV-006",
            "PV-MSR-001",
            "PV-MSR-002",
            "PV-MSR-003",
            "PV-MSR-004",
        ),
    )(_vcpu_limits)

for _guest, _version in CELLS:
    recipe(
        "pv-vcpu-msrs-12-entries",
        "X86_PV_VCPU_MSRS has 12 entries (TSC_AUX each time), over the 11 any release's "
        "set_vcpu_msrs takes",
        tags=("vcpu",),
        args=(_guest, _version, X.X86_PV_VCPU_MSRS, _msrs([(_TSC_AUX, 0, 0)] * 12)),
        breaks=("PV-MSR-003", "PV-MSR-004"),
    )(_blob)
