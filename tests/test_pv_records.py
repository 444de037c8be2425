"""What Xen's PV restore path refuses outside the BASIC context: the pure functions of
:mod:`xensave.pv_records` (P2M frame list, PAGE_DATA, start-info page) and the
EXTENDED/XSAVE/MSRS checks of :mod:`xensave.pv_context`.

Every structure is packed here with ``struct`` from Xen's own layouts, written out by
hand: ``xen_domctl_ext_vcpucontext`` and ``xen_domctl_vcpu_msr``
(xen/include/public/domctl.h), the X86_PV_VCPU_XSAVE blob (xcr0, xcr0_accum, then the
XSAVE area: FXSAVE 512 octets, header with xstate_bv first), ``start_info``
(xen/include/public/xen.h), the PAGE_DATA and X86_PV_P2M_FRAMES bodies
(docs/specs/libxc-migration-stream.pandoc) and x86 page-table entries. Expected values
are the ones Xen's functions would decide, worked out here, not read from the code under
test.
"""

from __future__ import annotations

import struct

import pytest

from xensave import pv_records
from xensave.pv_context import extended_problems, msrs_problems, xsave_problems

# --- X86_PV_VCPU_EXTENDED: XEN_DOMCTL_set_ext_vcpucontext -----------------------------------


def ext(size: int = 64, syscall32: int = 0, sysenter: int = 0, length: int = 64) -> bytes:
    # vcpu u32, size u32, syscall32_callback_eip u64, sysenter_callback_eip u64,
    # syscall32_callback_cs u16, sysenter_callback_cs u16, two u8 flags, pad to 32;
    # then vmce: caps, mci_ctl2_bank0, mci_ctl2_bank1, mcg_ext_ctl
    head = struct.pack("<IIQQHHBB", 0, size, syscall32, sysenter, 0xE033, 0xE033, 1, 1)
    return (head + bytes(2) + struct.pack("<4Q", 2, 0, 0, 0))[:length]


def rules(problems: list) -> list[tuple[str, int]]:  # type: ignore[type-arg]
    return [(p.rule, p.offset) for p in problems]


def test_extended_as_xen_hands_it_out_is_clean() -> None:
    assert extended_problems(ext(syscall32=0xFFFFFFFF81A00300, sysenter=0xC1001380)) == []


@pytest.mark.parametrize(
    "blob,expect",
    [
        (ext(size=31), [("PV-EXT-001", 4)]),  # offsetof(vmce) is 32
        (ext(size=32, length=32), []),  # no vMCE state: restores none
        (ext(length=4), [("PV-EXT-001", 0)]),  # size reads as 0 from the zeroed struct
        (ext(sysenter=1 << 47), [("PV-EXT-002", 16)]),
        (ext(syscall32=0xFFFF7FFFFFFFFFFF), [("PV-EXT-002", 8)]),
        (ext(sysenter=0xFFFF800000000000, syscall32=(1 << 47) - 1), []),  # the edges
        (b"", []),  # an empty context is skipped by the restorer
    ],
)
def test_extended(blob: bytes, expect: list[tuple[str, int]]) -> None:
    assert rules(extended_problems(blob)) == expect


# --- X86_PV_VCPU_XSAVE: XEN_DOMCTL_setvcpuextstate, validate_xstate -------------------------


def xsave(
    xcr0: int, accum: int, bv: int = 3, area: int = 832, comp: int = 0, rsvd: int = -1
) -> bytes:
    # PV_XSAVE_HDR_SIZE 16 (xcr0, xcr0_accum), then the area; its header at 512:
    # xstate_bv, xcomp_bv, reserved[6]
    body = bytearray(area)
    if area >= 576:
        struct.pack_into("<QQ", body, 512, bv, comp)
        if rsvd >= 0:
            struct.pack_into("<Q", body, 528 + 8 * rsvd, 1)
    return struct.pack("<QQ", xcr0, accum) + bytes(body)


@pytest.mark.parametrize(
    "blob,expect",
    [
        (xsave(7, 7, 7), []),
        (xsave(0, 0, area=0), []),  # header only, nothing to restore
        (xsave(3, 0, area=0), [("PV-XSV-001", 0)]),  # xcr0 without xcr0_accum
        (xsave(0x207, 7), [("PV-XSV-001", 0)]),  # PKRU not in xcr0_accum
        (xsave(7, 7, area=0), [("PV-XSV-002", 8)]),  # xcr0_accum needs the area
        (xsave(7, 7, area=575), [("PV-XSV-002", 8)]),  # one short of FXSAVE + header
        (xsave(3, 3, 3, area=576), []),  # x87|SSE: FXSAVE region and header only
        (xsave(7, 7, 7, area=576), [("PV-XSV-005", 8)]),  # YMM's 256 octets missing
        (xsave(7, 7, 7, area=840), [("PV-XSV-004", 8)]),
        (xsave(0xE7, 0xE7, 0xE7, area=900), []),  # beyond YMM: the host's CPUID decides
        (xsave(6, 6), [("PV-XSV-003", 8)]),  # x87 clear
        (xsave(0x5, 0x5), [("PV-XSV-003", 8)]),  # YMM without SSE
        (xsave(0x27, 0x27), [("PV-XSV-003", 8)]),  # OPMASK without ZMM, HI_ZMM
        (xsave(0xE7, 0xE7, 0xE7), []),  # AVX-512 all three with YMM
        (xsave(7, 7, bv=0xF), [("PV-XSV-003", 16 + 512)]),  # xstate_bv outside
        (xsave(7, 7, bv=7, comp=1 << 63 | 7), [("PV-XSV-006", 16 + 520)]),  # compacted
        (xsave(7, 7, bv=7, rsvd=3), [("PV-XSV-006", 16 + 512 + 8 + 8 + 3 * 8)]),
        (bytes(8), []),  # XC-VCPU-005's business
    ],
)
def test_xsave(blob: bytes, expect: list[tuple[str, int]]) -> None:
    assert rules(xsave_problems(blob)) == expect


# --- X86_PV_VCPU_MSRS: XEN_DOMCTL_set_vcpu_msrs ---------------------------------------------


def msrs(*entries: tuple[int, int, int]) -> bytes:
    return b"".join(
        struct.pack("<IIQ", index, reserved, value) for index, reserved, value in entries
    )


def test_msrs_seven_known_are_clean() -> None:
    # SPEC_CTRL, MISC_FEATURES_ENABLES, TSC_AUX, DR0_ADDRESS_MASK, DR1-3_ADDRESS_MASK
    known = (0x48, 0x140, 0xC0000103, 0xC0011027, 0xC0011019, 0xC001101A, 0xC001101B)
    assert msrs_problems(msrs(*((i, 0, 1) for i in known))) == []


@pytest.mark.parametrize(
    "blob,expect",
    [
        (msrs((0xC0000103, 0, 5), (0x48, 2, 0)), [("PV-MSR-001", 16 + 4)]),
        (msrs((0xC0000103, 0, 5), (0x10, 0, 0)), [("PV-MSR-002", 16)]),
        (msrs(*[(0xC0000103, 0, 0)] * 7), []),
        (msrs(*[(0xC0000103, 0, 0)] * 8), [("PV-MSR-004", 0)]),  # 4.20 on: 7 at most
        (msrs(*[(0xC0000103, 0, 0)] * 11), [("PV-MSR-004", 0)]),
        (msrs(*[(0xC0000103, 0, 0)] * 12), [("PV-MSR-003", 0), ("PV-MSR-004", 0)]),
        (msrs((0xC0011028, 1, 0)), [("PV-MSR-001", 4), ("PV-MSR-002", 0)]),
    ],
)
def test_msrs(blob: bytes, expect: list[tuple[str, int]]) -> None:
    assert rules(msrs_problems(blob)) == expect


# --- X86_PV_P2M_FRAMES, PAGE_DATA, the start-info page ------------------------------------


def p2m(start: int, end: int, frames: list[int], e: str = "<") -> bytes:
    return struct.pack(f"{e}II{len(frames)}Q", start, end, *frames)


def page_data(entries: list[tuple[int, int]], pages: list[bytes], e: str = "<") -> bytes:
    # count, reserved, pfn entries (type in bits 60-63), then the pages
    words = [pfn | ptype << 60 for pfn, ptype in entries]
    return struct.pack(f"{e}II{len(words)}Q", len(words), 0, *words) + b"".join(pages)


def start_info(width: int, store: int, console: int) -> bytes:
    # magic[32]; nr_pages, shared_info (words); flags u32; store_mfn (word); store_evtchn
    # u32; console.domU.mfn (word); evtchn u32
    page = bytearray(4096)
    if width == 8:
        struct.pack_into("<QQI4xQI4xQI", page, 32, 8, 0x1000, 0, store, 1, console, 2)
    else:
        struct.pack_into("<IIIIIII", page, 32, 8, 0x1000, 0, store, 1, console, 2)
    return bytes(page)


NOTAB, L1TAB, L4TAB_PIN, XTAB = 0x0, 0x1, 0xC, 0xF


def table(*entries: tuple[int, int]) -> bytes:
    page = bytearray(4096)
    for slot, pte in entries:
        struct.pack_into("<Q", page, 8 * slot, pte)
    return bytes(page)


def test_page_data_pfn_above_max_pfn() -> None:
    st = pv_records.PvRestoreState(8)
    pv_records.p2m_frames(st, p2m(0, 7, [4]), "<")
    assert st.max_pfn == 7
    body = page_data([(7, XTAB), (8, NOTAB)], [bytes(4096)])
    assert rules(pv_records.page_data(st, body, "<")) == [("XC-PAGE-008", 8 + 8)]
    # a later record may grow max_pfn (expand_p2m): then pfn 8 is fine
    pv_records.p2m_frames(st, p2m(0, 600, [4, 4]), "<")
    assert pv_records.page_data(st, body, "<") == []


def test_page_data_before_any_p2m_record_is_not_judged() -> None:
    st = pv_records.PvRestoreState(8)
    assert pv_records.page_data(st, page_data([(99, NOTAB)], [bytes(4096)]), "<") == []


@pytest.mark.parametrize("e", ["<", ">"])
def test_present_pte_above_max_pfn(e: str) -> None:
    st = pv_records.PvRestoreState(4)
    pv_records.p2m_frames(st, p2m(0, 0x3FF, [3], e), e)
    # pfn 0x400 in bits 12-51 of a present entry: one above max_pfn 0x3ff
    l1 = table((1, 0x3FF << 12 | 0x67), (2, 0x400 << 12 | 0x66), (9, 0x400 << 12 | 0x61))
    body = page_data([(5, NOTAB), (2, L1TAB | 8)], [bytes(4096), l1], e)  # pinned L1
    base = 8 + 2 * 8 + 4096  # the second page
    assert rules(pv_records.page_data(st, body, e)) == [("XC-PAGE-009", base + 9 * 8)]
    # the same entries in a NOTAB page mean nothing
    body = page_data([(2, NOTAB)], [l1], e)
    assert pv_records.page_data(st, body, e) == []


def test_page_contents_may_come_apart_from_the_body() -> None:
    # the checker's reader gives the pfn array and the pages separately
    st = pv_records.PvRestoreState(8)
    pv_records.p2m_frames(st, p2m(0, 7, [4]), "<")
    l4 = table((0, 8 << 12 | 1))
    head = page_data([(0, L4TAB_PIN)], [])
    assert rules(pv_records.page_data(st, head, "<", l4)) == [("XC-PAGE-009", 16)]
    assert pv_records.page_data(st, head, "<") == []  # contents unknown: not judged


@pytest.mark.parametrize("width", [4, 8])
def test_start_info_fields(width: int) -> None:
    st = pv_records.PvRestoreState(width)
    pv_records.p2m_frames(st, p2m(0, 7, [3]), "<")
    pages = [start_info(width, 7, 7), start_info(width, 8, 2), start_info(width, 1, 9)]
    assert pv_records.page_data(st, page_data([(5, 0), (6, 0), (4, 0)], pages), "<") == []
    assert pv_records.start_info_problem(st, 5) is None  # at max_pfn: fine
    assert "store_mfn 0x8 above" in (pv_records.start_info_problem(st, 6) or "")
    assert "console.domU.mfn 0x9 above" in (pv_records.start_info_problem(st, 4) or "")
    # the page sent again with good contents (a later checkpoint): fine again
    pv_records.page_data(st, page_data([(6, 0)], [start_info(width, 3, 3)]), "<")
    assert pv_records.start_info_problem(st, 6) is None
    # max_pfn grows: what was judged against the old one is no longer held against it
    pv_records.p2m_frames(st, p2m(0, 9, [3]), "<")
    assert pv_records.start_info_problem(st, 4) is None


def test_start_info_fields_of_scattered_pfns() -> None:
    st = pv_records.PvRestoreState(8)
    pv_records.p2m_frames(st, p2m(0, 7, [3]), "<")
    pages = [start_info(8, 1, 1), start_info(8, 100, 1)]
    pv_records.page_data(st, page_data([(7, 0), (2, 0)], pages), "<")
    assert pv_records.start_info_problem(st, 7) is None
    assert pv_records.start_info_problem(st, 2) is not None


@pytest.mark.parametrize("width", [4, 8])
def test_start_info_frames_must_be_populated(width: int) -> None:
    # process_start_info maps store_mfn and console.domU.mfn through the p2m: a pfn
    # in range that the restorer never populated (never sent, or sent as XTAB or
    # BROKEN: page_type_to_populate) has no mfn, "XenStore pfn has bad mfn"
    st = pv_records.PvRestoreState(width)
    pv_records.p2m_frames(st, p2m(0, 7, [3]), "<")
    pv_records.page_data(st, page_data([(5, NOTAB)], [start_info(width, 6, 7)]), "<")
    sent = bytearray(b"\xff" * 8)
    sent[5] = NOTAB
    assert pv_records.start_info_problem(st, 5) is None  # no page types: range only
    both = pv_records.start_info_problem(st, 5, sent) or ""
    assert "store_mfn 0x6, a pfn never sent" in both and "console.domU.mfn 0x7" in both
    sent[6], sent[7] = XTAB, 0xE  # XALLOC populates without contents
    assert "store_mfn 0x6, a pfn last sent as XTAB" in (
        pv_records.start_info_problem(st, 5, sent) or ""
    )
    sent[6] = L4TAB_PIN
    assert pv_records.start_info_problem(st, 5, sent) is None
    sent[7] = 0xD  # BROKEN
    assert "console.domU.mfn 0x7, a pfn last sent as BROKEN" in (
        pv_records.start_info_problem(st, 5, sent) or ""
    )


def test_start_info_words_are_kept_sparsely() -> None:
    # one page at a pfn far up costs one block, not an array up to it
    st = pv_records.PvRestoreState(8)
    far = (1 << 32) - 2
    pv_records.p2m_frames(st, p2m(far - far % 512, far, [0]), "<")
    pv_records.page_data(st, page_data([(far, NOTAB)], [start_info(8, far, 1)]), "<")
    assert len(st.start_info_words.blocks) == 1
    assert st.start_info_words.get(far) == (far, 1)
    assert pv_records.start_info_problem(st, far) is None


def types(n: int, **sent: int) -> bytearray:
    out = bytearray(b"\xff" * n)
    for pfn, t in sent.items():
        out[int(pfn[1:])] = t
    return out


def test_frame_list() -> None:
    st = pv_records.PvRestoreState(8)  # 512 entries per frame
    tag = object()
    pv_records.p2m_frames(st, p2m(0, 1023, [10, 11]), "<", tag)
    sent = types(1024, p10=0, p11=0)
    assert pv_records.frame_list_problem(st, sent) is None
    assert pv_records.frame_list_problem(st, types(1024, p10=0, p11=1)) == (
        tag,
        8 + 8,
        "P2M frame list entry 1 is pfn 0xb, last sent with page type 0x1, not NOTAB",
    )
    found = pv_records.frame_list_problem(st, types(1024, p10=0))
    assert found is not None and "never sent" in found[2]
    # a later record for pfns 1024-1535 adds frame 2, which names pfn 2000 > max_pfn 1535
    later = object()
    pv_records.p2m_frames(st, p2m(1024, 1535, [2000]), "<", later)
    found = pv_records.frame_list_problem(st, types(1536, p10=0, p11=0))
    assert found is not None and found[:2] == (later, 8) and "above max_pfn 0x5ff" in found[2]


def test_frame_list_hole() -> None:
    # frames 0 and 1 were never given: update_guest_p2m has nothing valid there
    st = pv_records.PvRestoreState(8)
    pv_records.p2m_frames(st, p2m(1024, 1100, [5]), "<", "rec")
    found = pv_records.frame_list_problem(st, types(1101, p5=0))
    assert found is not None
    assert found[2] == (
        "P2M frame list entry 0 was never given a frame by an X86_PV_P2M_FRAMES record (and 1 more)"
    )


def test_frame_list_big_endian_and_32_bit() -> None:
    st = pv_records.PvRestoreState(4)  # 1024 entries per frame
    pv_records.p2m_frames(st, p2m(0, 2047, [3, 0x100000001], ">"), ">")
    found = pv_records.frame_list_problem(st, types(2048, p3=0))
    assert found is not None and "pfn 0x100000001, above max_pfn 0x7ff" in found[2]
