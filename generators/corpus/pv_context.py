"""The PV vCPU context inside X86_PV_VCPU_BASIC (spec/pv-context.md): realistic valid
contexts for x86_32 (PAE) and x86_64 guests, and one case per PV- rule.

The bases are the small PV streams of :mod:`.bases`: page tables from pfn 0 (the top
level, pinned, at pfn 0), the p2m frame, data pages, an XTAB pfn 6 and a BROKEN pfn 7;
p2m_end_pfn 7. x86_64: L4-L1 at pfns 0-3, p2m frame 4, data 5. x86_32: L3-L1 at 0-2,
p2m frame 3, data 4 and 5. Every vCPU's context (xensave.pv_context.sample) has CR3
on pfn 0, a one-frame GDT on pfn 5 and, for vCPU 0, the start-info page on pfn 5.
"""

from __future__ import annotations

from typing import Any

from xensave import pv_context
from xensave.bodies import P2mFrames, PageData, PvBasicContext, pfn_entry
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
    "ctrlreg[3] 0x00005001 keeps pfn bits 20-31 in its low 12 bits",
    tags=(*TAGS, "boundary"),
    exercises=("PV-CR3-001",),
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
    frames = [0x1A2B00 + i for i in range(top // fpp + 1)]
    B.get(s.records, X.X86_PV_P2M_FRAMES).body = P2mFrames(0, top, frames)
    table = bytearray(4096)
    table[0:8] = ((1 << 12) | 1).to_bytes(8, "little")  # PDPT entry 0: the L2 table, pfn 1
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


def _broken(guest: str, changes: dict[str, Any]) -> LibxcStream:
    return _xc(guest, **changes)


for _slug, _guest, _what, _rule, _changes in _BROKEN:
    recipe(
        f"pv-context-{_slug}",
        _what,
        tags=TAGS,
        args=(_guest, _changes),
        breaks=(_rule,),
    )(_broken)
