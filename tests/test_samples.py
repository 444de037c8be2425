"""The sample bases (xensave.samples) are images Xen would restore, and small.

Each check is a condition Xen's restore path makes, written here from Xen's code
(RELEASE-4.17.0, the same in RELEASE-4.6.0's xc_sr_* files), not from the sample code:
tools/libs/guest/xg_sr_restore_x86_pv.c (process_vcpu_basic, process_start_info,
update_guest_p2m, x86_pv_localise_page), xen/arch/x86/mm.c (alloc_l3_table) and
tools/libs/guest/xg_sr_restore_x86_hvm.c (handle_hvm_params).
"""

from __future__ import annotations

import struct

import pytest

from xensave import pv_context, samples
from xensave.bodies import HvmParams, P2mFrames, PageData, PvBasicContext, VcpuContext
from xensave.constants import HvmParam, XcRecType
from xensave.legacy import format as legacy_format
from xensave.legacy import samples as legacy_samples
from xensave.model import LibxcStream, Record
from xensave.writer import to_bytes

# XEN_DOMCTL_PFINFO_* (xen/include/public/domctl.h), as PAGE_DATA's type nibble.
NOTAB, XALLOC, XTAB, BROKEN = 0x0, 0xE, 0xF, 0xD
LTABTYPE_MASK = 0x7  # XEN_DOMCTL_PFINFO_LTABTYPE_MASK, shifted down to the nibble
PRESENT = 1  # _PAGE_PRESENT

PV_LAYOUTS = [
    pytest.param({"small": True}, id="small"),
    pytest.param({"small": True, "chain": True}, id="chain"),
    pytest.param({"sparse": True}, id="sparse"),
    pytest.param({}, id="full"),
]


def _stream(guest: str, version: int, **kw: bool) -> LibxcStream:
    image = samples.build(guest, version, "libxc", vcpus=1, **kw)
    assert isinstance(image, LibxcStream)
    return image


def _of(records: list[Record], rtype: int) -> list[object]:
    return [r.body for r in records if r.type == rtype]


def _pages(records: list[Record]) -> tuple[dict[int, int], dict[int, bytes]]:
    """The last type and contents sent for each pfn."""
    types: dict[int, int] = {}
    contents: dict[int, bytes] = {}
    for pd in _of(records, XcRecType.PAGE_DATA):
        assert isinstance(pd, PageData)
        pages = iter(pd.pages)
        for entry in pd.entries:
            pfn, ptype = entry & ((1 << 52) - 1), entry >> 60
            types[pfn] = ptype
            if ptype not in (XTAB, BROKEN, XALLOC) and not 5 <= ptype <= 8:
                contents[pfn] = next(pages)
    return types, contents


def _populated(ptype: int | None) -> bool:
    """populate_pfns allocates every type but XTAB and BROKEN (xg_sr_restore.c)."""
    return ptype is not None and ptype not in (XTAB, BROKEN)


@pytest.mark.parametrize("layout", PV_LAYOUTS)
@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize("guest", ["x86_32-pv", "x86_64-pv"])
def test_pv_base_meets_the_restorer(guest: str, version: int, layout: dict[str, bool]) -> None:
    width, levels = (4, 3) if guest == "x86_32-pv" else (8, 4)
    _meets_the_restorer(_stream(guest, version, **layout), width, levels)


def _meets_the_restorer(s: LibxcStream, width: int, levels: int) -> None:
    """The conditions of libxenguest's PV restorer (the module docstring's functions)."""
    types, contents = _pages(s.records)
    (p2m,) = _of(s.records, XcRecType.X86_PV_P2M_FRAMES)
    assert isinstance(p2m, P2mFrames)
    max_pfn = p2m.end_pfn
    assert max(types) <= max_pfn
    # update_guest_p2m: every p2m frame a NOTAB page the stream sends
    for frame in p2m.frames:
        assert types.get(frame) == NOTAB and frame in contents
    (basic,) = _of(s.records, XcRecType.X86_PV_VCPU_BASIC)
    assert isinstance(basic, PvBasicContext | VcpuContext)
    ctx = pv_context.decode(basic.context, width)
    # process_vcpu_basic: CR3 on a table of the guest's level; GDT frames NOTAB
    assert ctx.cr3_pfn <= max_pfn and types[ctx.cr3_pfn] & LTABTYPE_MASK == levels
    for frame in ctx.gdt_frames[: ctx.gdt_frames_used]:
        assert types.get(frame) == NOTAB
    # process_start_info: the start-info page NOTAB; store and console pfns populated
    info = ctx.start_info_pfn
    assert types.get(info) == NOTAB
    word, at_store, at_console = ("<I", 44, 52) if width == 4 else ("<Q", 56, 72)
    for at in (at_store, at_console):
        (pfn,) = struct.unpack_from(word, contents[info], at)
        assert pfn <= max_pfn and _populated(types.get(pfn)), (at, pfn)
    # x86_pv_localise_page: every present entry of a table names a pfn the stream
    # populates (the bases never lean on the restorer populating a pfn it meets there)
    for pfn, page in contents.items():
        if 1 <= types[pfn] & LTABTYPE_MASK <= 4:
            for (pte,) in struct.iter_unpack("<Q", page):
                if pte & PRESENT:
                    target = (pte >> 12) & ((1 << 40) - 1)
                    assert target <= max_pfn and _populated(types.get(target)), (pfn, pte)


@pytest.mark.parametrize("layout", PV_LAYOUTS[:3])
@pytest.mark.parametrize("guest", ["x86_32-pv", "x86_64-pv"])
def test_pv_tables_validate(guest: str, layout: dict[str, bool]) -> None:
    """What the hypervisor checks when the top table is pinned (alloc_l4_table down to
    alloc_l1_table, get_page_from_l1e): each present entry of a level-k table names a
    table of level k-1 (a zero XALLOC page is an empty one); an L1 entry names a page
    that is no table (a table may not be mapped writable). The bases the corpus uses;
    the full test sample's tables are filler."""
    s = _stream(guest, 3, **layout)
    types, contents = _pages(s.records)
    for pfn, page in contents.items():
        level = types[pfn] & LTABTYPE_MASK
        if not 1 <= level <= 4:
            continue
        for (pte,) in struct.iter_unpack("<Q", page):
            if pte & PRESENT:
                target = types[(pte >> 12) & ((1 << 40) - 1)]
                if level == 1:
                    assert target in (NOTAB, XALLOC), (pfn, pte)
                else:
                    assert target == XALLOC or target & LTABTYPE_MASK == level - 1, (pfn, pte)


@pytest.mark.parametrize("layout", PV_LAYOUTS[:3])
@pytest.mark.parametrize("version", [2, 3])
def test_pae_top_table_has_slot_3(version: int, layout: dict[str, bool]) -> None:
    """alloc_l3_table: a 32-bit guest's L3 has slot 3 present, naming a page that
    validates as an L2 (an L2 table sent, or a zero page); no other slot names it."""
    s = _stream("x86_32-pv", version, **layout)
    types, contents = _pages(s.records)
    (basic,) = _of(s.records, XcRecType.X86_PV_VCPU_BASIC)
    assert isinstance(basic, PvBasicContext)
    top = contents[pv_context.decode(basic.context, 4).cr3_pfn]
    slots = [pte for (pte,) in struct.iter_unpack("<Q", top[:32])]
    assert slots[3] & PRESENT
    l2 = slots[3] >> 12
    assert types[l2] in (0x2, 0xA, XALLOC)
    assert all(not (pte & PRESENT and pte >> 12 == l2) for pte in slots[:3])
    if l2 in contents:
        assert types[l2] & LTABTYPE_MASK == 2


@pytest.mark.parametrize("version", [2, 3])
def test_small_hvm_base(version: int) -> None:
    """handle_hvm_params clears the xenstore and console pages: the small base
    allocates them without sending contents, and sends one page of memory."""
    s = _stream("hvm", version, small=True)
    types, contents = _pages(s.records)
    (params,) = _of(s.records, XcRecType.HVM_PARAMS)
    assert isinstance(params, HvmParams)
    values = dict(params.params)
    for index in (HvmParam.STORE_PFN, HvmParam.CONSOLE_PFN):
        assert types[values[index]] == XALLOC
    assert len(contents) == 1


@pytest.mark.parametrize(
    ("guest", "most"),
    # a vCPU context (2800 or 5168 octets), the 4096-octet shared info, three pages
    # and the small records around them; HVM: one page and its context
    [("x86_32-pv", 21 << 10), ("x86_64-pv", 23 << 10), ("hvm", 6 << 10)],
)
def test_small_bases_stay_small(guest: str, most: int) -> None:
    assert len(to_bytes(_stream(guest, 3, small=True))) <= most


# --- the small legacy base (xensave.legacy.samples.small) --------------------------------
# Conditions of Xen 4.0-4.5's tools/libxc/xc_domain_restore.c (load_p2m_frame_list,
# xc_domain_restore: "Suspend record frame number is bad", "GDT frame number ... is
# bad", "PT base is bad", "PFN-to-MFN frame number ... is bad") and of
# convert-legacy-stream (read_pv_extended_info, read_pv_tail), read at RELEASE-4.5.0
# and RELEASE-4.17.0; from 4.6 the converted stream meets libxenguest's, as above.

LEGACY_PV = [pytest.param(w, lv, id=f"ts{w}-{lv}level") for w in (32, 64) for lv in (4, 3, 2)]


def _legacy_pages(img: legacy_format.LegacyImage) -> tuple[dict[int, int], dict[int, bytes]]:
    """The last type and contents each pfn was sent with, over every page batch."""
    types: dict[int, int] = {}
    contents: dict[int, bytes] = {}
    for cp in img.checkpoints:
        for item in cp.body:
            if not isinstance(item, legacy_format.PageBatch):
                continue
            pages = iter(item.pages)
            for word in item.words:
                if word == legacy_format.XTAB_FILLER:
                    continue
                pfn, ptype = word & legacy_format.LEGACY_PFN_MASK, word >> 28
                types[pfn] = ptype
                if legacy_format.has_data(word):
                    contents[pfn] = next(pages)
    return types, contents


@pytest.mark.parametrize(("width", "levels"), LEGACY_PV)
@pytest.mark.parametrize("vcpus", [1, 2])
def test_small_legacy_pv_base_meets_the_restorers(width: int, levels: int, vcpus: int) -> None:
    img = legacy_samples.small(width, "pv", levels=levels, vcpus=vcpus).image  # type: ignore[arg-type]
    gw = 8 if levels == 4 else 4
    size = {8: 5168, 4: 2800}[gw]  # sizeof vcpu_guest_context_x86_{64,32}
    # read_pv_extended_info: the guest's width and the tail's context size come from the
    # one 'vcpu' block alone (4.0-4.5 would fall back to the toolstack's width)
    vcpu_blocks = [data for bid, data in img.ext_blocks if bid == b"vcpu"]
    assert [len(d) for d in vcpu_blocks] == [size]
    types, contents = _legacy_pages(img)
    n = img.p2m_size
    # xc_domain_restore: each p2m frame below p2m_size, NOTAB and sent (mapped to write)
    assert len(img.p2m_frames) == (n * gw + 4095) // 4096
    for frame in img.p2m_frames:
        assert frame < n and types.get(frame) == NOTAB and frame in contents
    (tail,) = [cp.tail for cp in img.checkpoints]
    assert isinstance(tail, legacy_format.PvTail)
    assert len(tail.vcpus) == vcpus and all(len(c) == size for c in tail.vcpus)
    assert len(tail.shared_info) == 4096  # read whole by both
    # XEN_DOMCTL_set_ext_vcpucontext: 4.0-4.1 take only a size of 32 (their struct's),
    # 4.2-4.5 none under 32; the tail holds 128 octets whatever the size says
    for ext in tail.extended:
        assert len(ext) == 128 and struct.unpack_from("<I", ext, 4) == (32,)
    for v, raw in enumerate(tail.vcpus):
        ctx = pv_context.decode(raw, gw)
        # the GDT frames gdt_ents uses: below p2m_size, NOTAB, sent
        assert ctx.gdt_ents <= 8192
        for frame in ctx.gdt_frames[: ctx.gdt_frames_used]:
            assert frame < n and types.get(frame) == NOTAB and frame in contents
        # CR3: below p2m_size, a table of the guest's level (pt_levels; 2 for the
        # non-PAE guest LEG-GUEST-001 describes, which no release restores)
        assert ctx.cr3_pfn < n and types[ctx.cr3_pfn] & LTABTYPE_MASK == levels
        if v == 0:
            # vCPU 0's start info: below p2m_size, NOTAB, sent; its store and console
            # pfns at most p2m_size (the restorer then maps them through its p2m)
            info = ctx.start_info_pfn
            assert info < n and types.get(info) == NOTAB and info in contents
            word, at_store, at_console = ("<I", 44, 52) if gw == 4 else ("<Q", 56, 72)
            for at in (at_store, at_console):
                (pfn,) = struct.unpack_from(word, contents[info], at)
                assert pfn <= n and _populated(types.get(pfn)), (at, pfn)


@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize(("width", "levels"), [p for p in LEGACY_PV if p.values[1] != 2])
def test_small_legacy_pv_base_converts_to_what_libxenguest_restores(
    width: int, levels: int, version: int
) -> None:
    """What a conversion must write (Expected, built apart from the converter) meets
    libxenguest's restorer as the libxc bases do."""
    s = legacy_samples.small(width, "pv", levels=levels)  # type: ignore[arg-type]
    _meets_the_restorer(s.expected.libxc(version), 8 if levels == 4 else 4, levels)


@pytest.mark.parametrize(
    ("levels", "most"),
    # the 'vcpu' block and the tail's context (2800 or 5168 octets each), the 4096-octet
    # shared info, three pages and the small chunks around them
    [(4, 27 << 10), (3, 22 << 10), (2, 22 << 10)],
)
def test_small_legacy_pv_base_stays_small(levels: int, most: int) -> None:
    assert len(legacy_samples.small(64, "pv", levels=levels).data()) <= most
