"""Small, realistic sample images of every guest, version and wrapping.

Built through the writer (never typed as hex) so tests, the main job and the
generated-parser agreement checks all look at the same deterministic bytes.
``python -m xensave.samples show`` writes them to ``out/samples`` and prints what the
generated Kaitai parsers read in each.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from . import pv_context
from .bodies import (
    CpuidPolicy,
    EmulatorRecord,
    HvmParams,
    MsrPolicy,
    P2mFrames,
    PageData,
    PvBasicContext,
    PvInfo,
    TscInfo,
    VcpuContext,
    encode_xenstore,
    has_data,
    pfn_entry,
)
from .constants import (
    DomainType,
    EmulatorId,
    HvmParam,
    LibxlRecType,
    PageType,
    TscMode,
    XcRecType,
)
from .model import DomainHeader, Image, ImageHeader, LibxcStream, Record, StreamImage, XlFile
from .writer import libxl_wrap, to_bytes

PAGE = 4096
GUESTS = ("x86_32-pv", "x86_64-pv", "hvm")
VERSIONS = (2, 3)
WRAPS = ("libxc", "libxl", "xl")


def _blob(seed: str, size: int) -> bytes:
    """Deterministic filler bytes standing in for opaque hypervisor state."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def _policies(release: tuple[int, int] | None = None) -> list[Record]:
    """The CPUID and MSR policy records; the MSR policy holds what Xen ``release``
    serialises (x86_msr_copy_to_buffer writes every MSR it knows: PLATFORM_INFO alone in
    4.14, ARCH_CAPABILITIES too from 4.15), current Xen's by default."""
    from .cpu_policy import msr_facts
    from .target import LAST_RELEASE

    cpuid = CpuidPolicy(
        [
            (0x0, 0xFFFFFFFF, 0xD, 0x756E6547, 0x6C65746E, 0x49656E69),
            (0x1, 0xFFFFFFFF, 0x000806EC, 0x00100800, 0xFEDA3203, 0x178BFBFF),
            (0x7, 0x0, 0x0, 0x009C6FBB, 0x0, 0x0),
            (0xD, 0x0, 0x7, 0x0, 0x340, 0x0),
        ]
    )
    msr = MsrPolicy([(i, 0, 0x0) for i, _w in msr_facts(release or LAST_RELEASE).widths])
    return [Record(XcRecType.X86_CPUID_POLICY, cpuid), Record(XcRecType.X86_MSR_POLICY, msr)]


def _page_table(entries: dict[int, int], flags: int = 0x67) -> bytes:
    """A page-table page as a saver sends it: entries hold pfns (the saver rewrites
    machine frames to pfns), shifted to bit 12 and or-ed with ``flags`` (0x67: present,
    writable, user, accessed, dirty)."""
    page = bytearray(PAGE)
    for slot, pfn in entries.items():
        struct.pack_into("<Q", page, 8 * slot, (pfn << 12) | flags)
    return bytes(page)


def _chain_pv_pages(width: int) -> tuple[list[tuple[int, int]], PageData]:
    """The eight pfns of a small PV guest with a whole page-table chain: one table of
    each level from pfn 0 (the top one pinned) down to an L1 table that maps the p2m
    frame and the data pages, then the p2m frame, data (the start-info page on pfn 5),
    an XTAB pfn 6 and a BROKEN pfn 7. For the recipes that change a lower-level table."""
    levels = 4 if width == 8 else 3
    top = PageType.L4TAB_PIN if levels == 4 else PageType.L3TAB_PIN
    tables = [top, *(PageType(lvl) for lvl in range(levels - 1, 0, -1))]
    n = len(tables)
    p2m_pfn = n
    data = list(range(n + 1, 6))
    layout = [(pfn, int(t)) for pfn, t in enumerate(tables)]
    layout += [(p2m_pfn, PageType.NOTAB), *((pfn, PageType.NOTAB) for pfn in data)]
    layout += [(6, PageType.XTAB), (7, PageType.BROKEN)]
    pages: list[bytes] = []
    for pfn in range(n):
        if pfn == 0 and levels == 3:
            pages.append(_pae_top(1))
        elif pfn < n - 1:
            pages.append(_page_table({0: pfn + 1}))
        else:
            pages.append(_page_table({i: d for i, d in enumerate([p2m_pfn, *data])}))
    pages += [_p2m_frame(width), *(_data_page(pfn) for pfn in data)]
    return layout, PageData([pfn_entry(pfn, t) for pfn, t in layout], pages)


def _compact_pv_pages(width: int) -> tuple[list[tuple[int, int]], PageData]:
    """The eight pfns of a small PV guest with only the pages its restore needs: the
    pinned top-level table on pfn 0, the p2m frame (pfn 4 on x86_64, 3 on x86_32) and
    the start-info page on pfn 5; the pfns between are XALLOC (memory allocated, no
    contents sent: a zero page, so whatever a later page names there is a page the
    guest has), pfn 6 is XTAB and 7 BROKEN. A PAE guest's L3 names pfn 1 in slot 3:
    an empty L2 table, which a zero XALLOC page is.

    Why these pages (Xen 4.17 and 4.6, xc_sr_restore_x86_pv.c / xg_sr_restore_x86_pv.c):
    process_vcpu_basic wants ctrlreg[3] on a page sent as a table of level pt_levels;
    process_start_info wants vCPU 0's start-info pfn sent as NOTAB (it reads store_mfn
    and console.domU.mfn there); update_guest_p2m wants each p2m frame sent as NOTAB.
    The hypervisor then validates the pinned top table (alloc_l4_table, alloc_l3_table
    in xen/arch/x86/mm.c): an empty L4 passes; a PAE guest's L3 must have slot 3 present
    and naming a page that validates as an L2 table (Xen adds its own mappings there),
    which an empty one does. These guests restore; with no mappings they would not run.
    """
    levels = 4 if width == 8 else 3
    if levels == 4:
        layout = [(0, int(PageType.L4TAB_PIN)), (1, PageType.XALLOC), (2, PageType.XALLOC)]
        layout += [(3, PageType.XALLOC), (4, PageType.NOTAB)]
        pages = [bytes(PAGE), _p2m_frame(width)]
    else:
        layout = [(0, int(PageType.L3TAB_PIN)), (1, PageType.XALLOC)]
        layout += [(2, PageType.XALLOC), (3, PageType.NOTAB), (4, PageType.XALLOC)]
        pages = [_pae_top(1), _p2m_frame(width)]
    layout += [(5, PageType.NOTAB), (6, PageType.XTAB), (7, PageType.BROKEN)]
    pages.append(_data_page(5))
    return layout, PageData([pfn_entry(pfn, t) for pfn, t in layout], pages)


def _sparse_pv_pages(width: int) -> tuple[list[tuple[int, int]], list[bytes]]:
    """The 32 pfns of the full PV layout with fewer pages sent: tables of every level
    from pfn 0 (the top one pinned; a PAE guest's names its L2 in slot 3) down to an L1
    that maps the data pages, the start-info page on pfn 5, the p2m frame on pfn 27,
    data on pfn 31, XTAB, BROKEN and XALLOC pfns (memory without contents sent: pfns
    8-26 and 30), and the contents of the pfns that carry data."""
    levels = 4 if width == 8 else 3
    top = PageType.L4TAB_PIN if levels == 4 else PageType.L3TAB_PIN
    layout: list[tuple[int, int]] = [(0, int(top))]
    layout += [(pfn, int(PageType(levels - pfn))) for pfn in range(1, levels)]
    layout += [(pfn, PageType.NOTAB) for pfn in range(levels, 8)]
    layout += [(pfn, PageType.XALLOC) for pfn in range(8, 27)]
    layout += [(27, PageType.NOTAB), (28, PageType.XTAB), (29, PageType.BROKEN)]
    layout += [(30, PageType.XALLOC), (31, PageType.NOTAB)]
    data = [pfn for pfn, t in layout if t == PageType.NOTAB]
    pages = [_pae_top(1) if levels == 3 else _page_table({0: 1})]
    pages += [_page_table({0: pfn + 1}) for pfn in range(1, levels - 1)]
    pages.append(_page_table(dict(enumerate(data))))
    pages += [_p2m_frame(width, 32) if pfn == 27 else _data_page(pfn) for pfn in data]
    return layout, pages


def _entries(layout: list[tuple[int, int]]) -> list[int]:
    return [pfn_entry(pfn, t) for pfn, t in layout]


def _pae_top(l2_pfn: int) -> bytes:
    """A PAE guest's top table (the PDPT): slot 3 names the L2 table that maps the top
    GiB, where Xen keeps its own mappings (alloc_l3_table refuses a 32-bit guest's L3
    without it); entries carry the present bit only (the others are reserved in a
    PDPT)."""
    return _page_table({3: l2_pfn}, 0x1)


def _p2m_frame(width: int, pfns: int = 8) -> bytes:
    """The p2m frame as the saver sends it: one machine frame per pfn, guest_width
    octets each (the restorer rewrites it, update_guest_p2m)."""
    p2m = b"".join((0x1A2B00 + pfn).to_bytes(width, "little") for pfn in range(pfns))
    return p2m.ljust(PAGE, b"\x00")


def _data_page(pfn: int) -> bytes:
    """A data page holding its own pfn in every word; on the start-info page (pfn 5)
    this makes store_mfn and console.domU.mfn name pfn 5 itself, a page the stream
    sends (process_start_info maps both)."""
    return struct.pack("<Q", pfn) * (PAGE // 8)


def pv_extended(width: int, vcpu: int) -> bytes:
    """An X86_PV_VCPU_EXTENDED context as Xen 4.6+ hands it out: its
    xen_domctl_ext_vcpucontext (xen/include/public/domctl.h), 64 octets (``size``):
    the kernel's 32-bit SYSCALL and SYSENTER entry points, then the vMCE state (two
    banks, no control bits)."""
    base, cs = (0xFFFFFFFF81A00000, 0xE033) if width == 8 else (0xC1001000, 0xE019)
    head = struct.pack("<IIQQHHBB", vcpu, 64, base + 0x300, base + 0x380, cs, cs, 1, 1)
    return head.ljust(32, b"\x00") + struct.pack("<4Q", 2, 0, 0, 0)


def pv_xsave(vcpu: int) -> bytes:
    """An X86_PV_VCPU_XSAVE context: xcr0 and xcr0_accum x87|SSE|YMM, then the XSAVE
    area of that size in standard form (FXSAVE region with the reset FCW and MXCSR,
    the header with xstate_bv 7, the YMM upper halves)."""
    fxsave = bytearray(_blob(f"fxsave{vcpu}", 512))
    struct.pack_into("<H", fxsave, 0, 0x37F)  # FCW
    struct.pack_into("<II", fxsave, 24, 0x1F80, 0xFFFF)  # MXCSR, MXCSR_MASK
    header = struct.pack("<QQ", 7, 0).ljust(64, b"\x00")
    return struct.pack("<QQ", 7, 7) + bytes(fxsave) + header + _blob(f"ymm{vcpu}", 256)


def pv_vcpu_records(width: int, vcpu: int, *, xsave: bool = True) -> list[Record]:
    """The records of one PV vCPU, as Xen's saver emits them: BASIC, EXTENDED, XSAVE and
    MSRS, or without ``xsave`` the three a saver writes for a vCPU with no XSAVE state
    (write_one_vcpu_xsave in xg_sr_save_x86_pv.c skips the record when the hypervisor
    reports no xfeature_mask; the restorer, update_vcpu_context, sets XSAVE state only
    for a vCPU that sent it, and the vCPU keeps the FPU state of its BASIC context)."""
    recs = [
        Record(
            XcRecType.X86_PV_VCPU_BASIC,
            PvBasicContext(
                vcpu,
                # Page tables from pfn 0 (the top level first), a GDT and the
                # start-info page on NOTAB pfns of both the small and the full layout.
                pv_context.sample(width, vcpu, top_pfn=0, gdt_pfn=5, start_info_pfn=5),
            ),
        ),
        Record(XcRecType.X86_PV_VCPU_EXTENDED, VcpuContext(vcpu, pv_extended(width, vcpu))),
        Record(
            XcRecType.X86_PV_VCPU_MSRS,
            VcpuContext(vcpu, struct.pack("<IIQ", 0xC0000103, 0, vcpu)),
        ),
    ]
    if xsave:
        recs.insert(2, pv_xsave_record(vcpu))
    return recs


def pv_xsave_record(vcpu: int) -> Record:
    """vCPU ``vcpu``'s X86_PV_VCPU_XSAVE record (:func:`pv_xsave`)."""
    return Record(XcRecType.X86_PV_VCPU_XSAVE, VcpuContext(vcpu, pv_xsave(vcpu)))


def pv_records(
    width: int,
    version: int,
    vcpus: int = 2,
    *,
    small: bool = False,
    chain: bool = False,
    sparse: bool = False,
    release: tuple[int, int] | None = None,
    xsave: bool = True,
) -> list[Record]:
    """A PV guest's records in the order Xen's saver emits them (``release``: the MSR
    policy that Xen release writes; ``xsave``: whether the vCPUs have XSAVE state,
    :func:`pv_vcpu_records`).

    ``small`` gives eight pfns in one PAGE_DATA record instead of 32 in two: the pages
    restore needs and no more (:func:`_compact_pv_pages`), or with ``chain`` a table
    of every level down to an L1 that maps the data (:func:`_chain_pv_pages`);
    without ``small``, ``sparse`` sends 10 or 11 of the 32 pfns' contents, not 29 or 30
    (:func:`_sparse_pv_pages`).
    """
    levels = 4 if width == 8 else 3
    recs: list[Record] = [Record(XcRecType.X86_PV_INFO, PvInfo(width, levels))]
    if version >= 3:
        recs += [*_policies(release), Record(XcRecType.STATIC_DATA_END)]
    if small:
        layout, page_data = (_chain_pv_pages if chain else _compact_pv_pages)(width)
        p2m_pfn = next(pfn for pfn, t in layout if t == PageType.NOTAB)
        recs.append(Record(XcRecType.X86_PV_P2M_FRAMES, P2mFrames(0, 7, [p2m_pfn])))
        recs.append(Record(XcRecType.PAGE_DATA, page_data))
    else:
        recs.append(Record(XcRecType.X86_PV_P2M_FRAMES, P2mFrames(0, 31, [27])))
        if sparse:
            big, pages = _sparse_pv_pages(width)
            split = sum(1 for _, t in big[:16] if has_data(t))
            recs.append(Record(XcRecType.PAGE_DATA, PageData(_entries(big[:16]), pages[:split])))
            recs.append(Record(XcRecType.PAGE_DATA, PageData(_entries(big[16:]), pages[split:])))
        else:
            top = PageType.L4TAB_PIN if levels == 4 else PageType.L3TAB_PIN
            # 32 pfns: page tables at the low end, a p2m frame, data, the odd special pfn.
            big = [(0, top)]
            for lvl, pfn in zip(range(levels - 1, 0, -1), (1, 2, 3), strict=False):
                big.append((pfn, PageType(lvl)))
            big += [(pfn, PageType.NOTAB) for pfn in range(len(big), 28)]
            big += [(28, PageType.XTAB), (29, PageType.BROKEN), (30, PageType.XALLOC)]
            big += [(31, PageType.NOTAB)]
            recs.append(Record(XcRecType.PAGE_DATA, PageData.of(big[:16])))
            recs.append(Record(XcRecType.PAGE_DATA, PageData.of(big[16:])))
    recs.append(Record(XcRecType.X86_TSC_INFO, TscInfo(TscMode.DEFAULT, 2_400_000, 123_456_789)))
    recs.append(Record(XcRecType.SHARED_INFO, _blob("shared_info", PAGE)))
    for v in range(vcpus):
        recs += pv_vcpu_records(width, v, xsave=xsave)
    recs.append(Record(XcRecType.END))
    return recs


def hvm_cpu_entry(vcpu: int, size: int = 1024) -> bytes:
    """The CPU record of a 64-bit Linux guest's vCPU idling in the kernel (long mode,
    flat kernel segments, paging on), in the 1024-octet form of Xen 4.1 to 4.x: a
    sample whose registers gdb and dump show as a real guest's would look."""
    from .hvm_context import Typecode, encode_payload

    fpu = bytearray(512)
    struct.pack_into("<H", fpu, 0, 0x037F)  # fcw
    struct.pack_into("<II", fpu, 24, 0x1F80, 0xFFFF)  # mxcsr, mxcsr_mask
    stack = 0xFFFFC90000080000 + vcpu * 0x4000
    fields: dict[str, object] = {
        "fpu_regs": bytes(fpu),
        "rip": 0xFFFFFFFF81A0F3D2,  # the idle loop's hlt
        "rsp": stack - 0x48,
        "rbp": stack - 0x20,
        "rflags": 0x246,
        "cr0": 0x80050033,
        "cr3": 0x0000000001E0A000,
        "cr4": 0x003606F0,
        "dr6": 0xFFFF0FF0,
        "dr7": 0x400,
        "msr_efer": 0xD01,
        "msr_lstar": 0xFFFFFFFF81C00080,
        "msr_star": 0x0023001000000000,
        "msr_cstar": 0xFFFFFFFF81C01600,
        "msr_syscall_mask": 0x47700,
        "shadow_gs": 0,
        "gs_base": 0xFFFF88807FC00000 + vcpu * 0x40000,
        "sysenter_cs": 0x10,
        "tsc": 0x1D5F2A6B3C + vcpu,
        "gdtr_base": 0xFFFFFE0000001000 + vcpu * 0x13000,
        "gdtr_limit": 0x7F,
        "idtr_base": 0xFFFFFE0000000000,
        "idtr_limit": 0xFFF,
        "tr_sel": 0x40,
        "tr_base": 0xFFFFFE0000003000 + vcpu * 0x13000,
        "tr_limit": 0x206F,
        "tr_arbytes": 0x8B,
        "ldtr_arbytes": 0x10000,  # unusable
    }
    for seg, sel, ar in (("cs", 0x10, 0xA09B), ("ss", 0x18, 0xC093)):
        fields.update({f"{seg}_sel": sel, f"{seg}_limit": 0xFFFFFFFF, f"{seg}_arbytes": ar})
    for seg in ("ds", "es", "fs", "gs"):
        fields[f"{seg}_arbytes"] = 0x10000  # null selectors: unusable
    return encode_payload(Typecode.CPU, fields, size)


def hvm_context_blob(vcpus: int = 2) -> bytes:
    """A plausible HVM context: HEADER, per-vCPU CPU entries, PIC, then END."""

    def desc(code: int, inst: int, payload: bytes) -> bytes:
        return struct.pack("<HHI", code, inst, len(payload)) + payload

    out = desc(1, 0, struct.pack("<IIQII", 0x54381286, 1, 0, 0x000806EC, 2_400_000))
    for v in range(vcpus):
        out += desc(2, v, hvm_cpu_entry(v))
    # two 8259s after BIOS setup: irr imr isr irq_base, init_state, mode bits (is_master
    # is bit 6), elcr, int_output (vpic_check refuses unreachable states, HVM-PIC-002)
    out += desc(3, 0, bytes([0, 0xB8, 0, 0x08, 0, 0x40, 0, 0]))
    out += desc(3, 1, bytes([0, 0x8E, 0, 0x70, 0, 0, 0, 0]))
    return out + desc(0, 0, b"")


#: The HVM parameters Xen's saver sends, in the order it sends them, from the release
#: that introduced each list (it leaves out parameters whose value is zero).
HVM_PARAMS_SAVED: dict[tuple[int, int], tuple[int, ...]] = {
    (4, 6): (
        HvmParam.STORE_PFN,
        HvmParam.IOREQ_PFN,
        HvmParam.BUFIOREQ_PFN,
        HvmParam.PAGING_RING_PFN,
        HvmParam.MONITOR_RING_PFN,
        HvmParam.SHARING_RING_PFN,
        HvmParam.VM86_TSS,
        HvmParam.CONSOLE_PFN,
        HvmParam.ACPI_IOPORTS_LOCATION,
        HvmParam.VIRIDIAN,
        HvmParam.IDENT_PT,
        HvmParam.PAE_ENABLED,
        HvmParam.VM_GENERATION_ID_ADDR,
        HvmParam.IOREQ_SERVER_PFN,
        HvmParam.NR_IOREQ_SERVER_PAGES,
    ),
}
_P = HVM_PARAMS_SAVED
_P[(4, 7)] = (*_P[(4, 6)], HvmParam.X87_FIP_WIDTH)  # 4.7 and 4.8
_P[(4, 9)] = tuple(HvmParam.VM86_TSS_SIZED if i == HvmParam.VM86_TSS else i for i in _P[(4, 7)])
_P[(4, 10)] = (*_P[(4, 9)], HvmParam.MCA_CAP)  # 4.10 to 4.13
_P[(4, 14)] = tuple(i for i in _P[(4, 10)] if i != HvmParam.PAE_ENABLED)  # 4.14 onward

#: Values of a small guest's parameters (zero ones are not sent).
_HVM_PARAM_VALUES: dict[int, int] = {
    HvmParam.STORE_PFN: 0xFEFFC,
    HvmParam.IOREQ_PFN: 0xFEFFF,
    HvmParam.BUFIOREQ_PFN: 0xFEFFE,
    HvmParam.VM86_TSS: 0xFC00A000,
    HvmParam.VM86_TSS_SIZED: (0x80 << 32) | 0xFC00A000,
    HvmParam.CONSOLE_PFN: 0xFEFFD,
    HvmParam.ACPI_IOPORTS_LOCATION: 1,
    HvmParam.VIRIDIAN: 0,
    HvmParam.IDENT_PT: 0xFC009000,
    # a guest configured without PAE: Xen 4.6-4.13 send PAE_ENABLED 1 for a PAE guest,
    # which Xen 4.14 and later drop unset (handle_hvm_params) and the spec deprecates
    # (XC-HVMP-011; a corpus case shows it)
    HvmParam.PAE_ENABLED: 0,
    HvmParam.IOREQ_SERVER_PFN: 0xFEFF0,
    HvmParam.NR_IOREQ_SERVER_PAGES: 8,
    HvmParam.X87_FIP_WIDTH: 8,
}


def release_hvm_params(release: tuple[int, int]) -> list[tuple[int, int]]:
    """The (index, value) pairs Xen ``release`` puts in HVM_PARAMS, in its order."""
    first = max(r for r in HVM_PARAMS_SAVED if r <= release)
    return [
        (int(i), _HVM_PARAM_VALUES[i])
        for i in HVM_PARAMS_SAVED[first]
        if _HVM_PARAM_VALUES.get(i, 0)
    ]


def hvm_pages(small: bool = False) -> list[PageData]:
    """The PAGE_DATA bodies of an HVM guest: low memory, then the special pages below
    4 GiB; ``small`` keeps one low page, an XTAB and the xenstore and console pages as
    XALLOC (populated, no contents: the restorer clears both when it meets their
    HVM_PARAMS, handle_hvm_params in xg_sr_restore_x86_hvm.c, so contents sent for
    them are never seen; populate_pfns populates XALLOC, xg_sr_restore.c)."""
    if small:
        return [
            PageData.of(
                [
                    (0, PageType.NOTAB),
                    (0xFEFFB, PageType.XTAB),
                    (0xFEFFC, PageType.XALLOC),
                    (0xFEFFD, PageType.XALLOC),
                ]
            )
        ]
    low = [(pfn, PageType.NOTAB) for pfn in range(0, 24)]
    high = [(0xFEFFC + i, PageType.NOTAB) for i in range(4)]  # special pages below 4 GiB
    high += [(0xFEFFB, PageType.XTAB), (0x100000, PageType.XALLOC)]
    return [PageData.of(low), PageData.of(high)]


def hvm_records(
    version: int,
    vcpus: int = 2,
    *,
    small: bool = False,
    release: tuple[int, int] | None = None,
) -> list[Record]:
    """An HVM guest's records in the order Xen's saver emits them.

    ``small``: four pfns and a smaller context (see :func:`hvm_pages`); ``release``: the
    HVM parameters that Xen release sends (:func:`release_hvm_params`) instead of the
    sample set, and its MSR policy.
    """
    recs: list[Record] = []
    if version >= 3:
        recs += [*_policies(release), Record(XcRecType.STATIC_DATA_END)]
    recs += [Record(XcRecType.PAGE_DATA, body) for body in hvm_pages(small)]
    recs.append(Record(XcRecType.X86_TSC_INFO, TscInfo(TscMode.DEFAULT, 2_400_000, 987_654_321)))
    if release is not None:
        params = release_hvm_params(release)
    else:
        params = [
            (int(i), v)
            for i, v in (
                (HvmParam.CALLBACK_IRQ, 1 << 56 | 0x5C),
                (HvmParam.STORE_PFN, 0xFEFFC),
                (HvmParam.STORE_EVTCHN, 1),
                (HvmParam.IOREQ_PFN, 0xFEFFF),
                (HvmParam.BUFIOREQ_PFN, 0xFEFFE),
                (HvmParam.TIMER_MODE, 1),
                (HvmParam.CONSOLE_PFN, 0xFEFFD),
            )
        ]
    # Xen's saver writes HVM_CONTEXT before HVM_PARAMS; its restorer applies both at the end.
    recs.append(Record(XcRecType.HVM_CONTEXT, hvm_context_blob(vcpus)))
    recs.append(Record(XcRecType.HVM_PARAMS, HvmParams(params)))
    recs.append(Record(XcRecType.END))
    return recs


def libxc_stream(
    guest: str,
    version: int,
    big_endian: bool = False,
    *,
    vcpus: int = 2,
    small: bool = False,
    chain: bool = False,
    sparse: bool = False,
    release: tuple[int, int] | None = None,
    xsave: bool = True,
) -> LibxcStream:
    """A whole libxc stream of ``guest``; ``release`` (major, minor) sets the domain
    header's Xen version, the MSR policy and, for HVM, the parameters that release
    sends; ``chain``, ``sparse`` and ``xsave``: as for :func:`pv_records` (a PV guest
    only)."""
    dom_type = DomainType.X86_HVM if guest == "hvm" else DomainType.X86_PV
    if guest == "hvm":
        recs = hvm_records(version, vcpus, small=small, release=release)
    else:
        width = 4 if guest == "x86_32-pv" else 8
        recs = pv_records(
            width,
            version,
            vcpus,
            small=small,
            chain=chain,
            sparse=sparse,
            release=release,
            xsave=xsave,
        )
    xen = release if release is not None else (4, 19) if version >= 3 else (4, 11)
    return LibxcStream(
        ImageHeader(version=version, options=1 if big_endian else 0),
        DomainHeader(dom_type, 12, *xen),
        recs,
    )


#: Octets of qemu's state after its "QEVM" magic in the small samples: a stand-in (a
#: real device model's state is larger and opaque to Xen, which hands it on unread),
#: the same in the libxl samples' EMULATOR_CONTEXT and the small legacy HVM tail.
QEMU_STATE_SIZE = 300


def emulator_records(guest: str) -> list[Record]:
    """What libxl writes for the device model after the libxc stream: an HVM guest's
    xenstore keys and qemu state; nothing for a PV guest."""
    return _emulator_records(guest)


def _emulator_records(guest: str) -> list[Record]:
    if guest != "hvm":
        return []
    store = encode_xenstore([("physmap/f0000000/start_addr", "f0000000"), ("state", "running")])
    return [
        Record(
            LibxlRecType.EMULATOR_XENSTORE_DATA, EmulatorRecord(EmulatorId.QEMU_UPSTREAM, 0, store)
        ),
        Record(
            LibxlRecType.EMULATOR_CONTEXT,
            EmulatorRecord(EmulatorId.QEMU_UPSTREAM, 0, b"QEVM" + _blob("qemu", QEMU_STATE_SIZE)),
        ),
    ]


def domain_config(guest: str) -> bytes:
    """The JSON domain configuration xl stores, with its trailing NUL."""
    cfg = {
        "c_info": {"type": "hvm" if guest == "hvm" else "pv", "name": f"sample-{guest}"},
        "b_info": {"max_vcpus": 2, "max_memkb": 131072, "target_memkb": 131072},
    }
    return json.dumps(cfg, sort_keys=True, indent=4).encode() + b"\x00"


def build(
    guest: str,
    version: int,
    wrap: str,
    big_endian: bool = False,
    *,
    vcpus: int = 2,
    small: bool = False,
    chain: bool = False,
    sparse: bool = False,
    release: tuple[int, int] | None = None,
    xsave: bool = True,
) -> StreamImage:
    """A valid image of ``guest`` with a libxc stream of ``version``, bare ("libxc") or
    wrapped ("libxl", "xl"); the keywords as for :func:`libxc_stream`."""
    xc = libxc_stream(
        guest,
        version,
        big_endian,
        vcpus=vcpus,
        small=small,
        chain=chain,
        sparse=sparse,
        release=release,
        xsave=xsave,
    )
    if wrap == "libxc":
        return xc
    xl = libxl_wrap(xc, _emulator_records(guest), options=1 if big_endian else 0)
    if wrap == "libxl":
        return xl
    return XlFile(xl, config=domain_config(guest), big_endian=big_endian)


@dataclass(frozen=True)
class Sample:
    name: str
    layer: str  # outermost layer: "libxc", "libxl" or "xl"
    guest: str
    version: int
    data: bytes


def _sample(wrap: str, guest: str, version: int, big_endian: bool = False) -> Sample:
    name = f"{wrap}-v{version}_{guest}" + ("_big-endian" if big_endian else "")
    return Sample(name, wrap, guest, version, to_bytes(build(guest, version, wrap, big_endian)))


def valid_samples() -> list[Sample]:
    """Every guest x version x wrapping, plus a big-endian stream."""
    out = [_sample(w, g, v) for w in WRAPS for v in VERSIONS for g in GUESTS]
    out.append(_sample("libxc", "hvm", 3, big_endian=True))
    return out


def broken_samples() -> list[tuple[Sample, str]]:
    """Samples with a wrong magic, version or reserved field, each with what is wrong."""
    cases: list[tuple[Sample, str]] = []

    def add(name: str, wrap: str, what: str, image: Image) -> None:
        cases.append((Sample(name, wrap, "hvm", 3, to_bytes(image)), what))

    xc = libxc_stream("hvm", 3)
    assert xc.image_header is not None and xc.domain_header is not None
    xc.image_header.ident = 0x58454E47
    add("libxc_bad-id", "libxc", "image header id", xc)
    xc = libxc_stream("hvm", 3)
    assert xc.image_header is not None
    xc.image_header.marker = 0xFFFFFFFF00000000
    add("libxc_bad-marker", "libxc", "image header marker", xc)
    xc = libxc_stream("hvm", 3)
    assert xc.image_header is not None
    xc.image_header.version = 4
    add("libxc_bad-version", "libxc", "image header version", xc)
    xc = libxc_stream("hvm", 3)
    assert xc.image_header is not None
    xc.image_header.reserved2 = 1
    add("libxc_reserved-nonzero", "libxc", "image header reserved", xc)
    xl = build("hvm", 3, "libxl")
    assert not isinstance(xl, XlFile | LibxcStream)
    xl.header.ident = int.from_bytes(b"LibxlFmX", "big")
    add("libxl_bad-ident", "libxl", "libxl header ident", xl)
    xl = build("hvm", 3, "libxl")
    assert not isinstance(xl, XlFile | LibxcStream)
    xl.header.version = 3
    add("libxl_bad-version", "libxl", "libxl header version", xl)
    xl = build("hvm", 3, "libxl")
    assert not isinstance(xl, XlFile | LibxcStream)
    xl.header.options = 1 << 7
    add("libxl_reserved-nonzero", "libxl", "libxl header options reserved bits", xl)
    f = build("hvm", 3, "xl")
    assert isinstance(f, XlFile)
    f.magic = b"Xen saved domain, xl formaT\n \x00 \r"
    add("xl_bad-magic", "xl", "xl magic", f)
    f = build("hvm", 3, "xl")
    assert isinstance(f, XlFile)
    f.byteorder = 0xDEADBEEF
    add("xl_bad-byteorder", "xl", "xl byte-order word", f)
    return cases


def show(out_dir: Path) -> int:
    """Write every sample and print what the generated Kaitai parsers read in it."""
    from .kaitai_tree import parse, summary

    out_dir.mkdir(parents=True, exist_ok=True)
    for s in valid_samples():
        path = out_dir / f"{s.name}.bin"
        path.write_bytes(s.data)
        print(f"== {path} ({len(s.data)} bytes, {s.layer}, {s.guest}, v{s.version})")
        for line in summary(parse(s.data, s.layer)):
            print(f"   {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "show":
        print("usage: python -m xensave.samples show [DIR]", file=sys.stderr)
        return 2
    return show(Path(args[1] if len(args) > 1 else "out/samples"))


if __name__ == "__main__":
    sys.exit(main())
