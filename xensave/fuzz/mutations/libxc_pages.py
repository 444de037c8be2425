"""Mutations of PAGE_DATA records (``spec/libxc-stream.md``, "PAGE_DATA")."""

from __future__ import annotations

import struct

from ...bodies import P2mFrames, PageData, has_data, pfn_entry, split_pfn_entry
from ...constants import PAGE_TYPES_WITHOUT_DATA, PageType, XcRecType
from ...model import Record
from ..build import PAGE, Generated, fill
from ..choices import Chooser
from . import mutation
from .helpers import PD, is_pv, nonzero, pages, pick, typed, xc_recs

# --- PAGE_DATA ----------------------------------------------------------------------------


def _pd(ch: Chooser, g: Generated) -> tuple[int, PageData]:
    i = pick(ch, pages(g))
    return i, typed(xc_recs(g)[i], PageData)


@mutation("xc-page-count-zero", ["XC-PAGE-002"], "PAGE_DATA with count 0", tags=PD)
def page_data_count_zero(ch: Chooser, g: Generated) -> str:
    i, _ = _pd(ch, g)
    xc_recs(g)[i].body = PageData([], [])
    return f"record #{i} emptied to count 0"


@mutation(
    "xc-page-reserved",
    ["XC-PAGE-003"],
    "PAGE_DATA reserved word not zero",
    tags=("reserved-bits", *PD),
)
def page_data_reserved_word(ch: Chooser, g: Generated) -> str:
    i, pd = _pd(ch, g)
    pd.reserved = nonzero(ch, 32)
    return f"record #{i} reserved {pd.reserved:#x}"


@mutation(
    "xc-page-pfn-reserved-bits",
    ["XC-PAGE-004"],
    "bits 52-59 of a PAGE_DATA pfn entry set",
    tags=("reserved-bits", *PD),
)
def page_data_pfn_reserved_bits(ch: Chooser, g: Generated) -> str:
    i, pd = _pd(ch, g)
    k = ch.integer(0, len(pd.entries) - 1)
    pfn, ptype, _ = split_pfn_entry(pd.entries[k])
    bits = nonzero(ch, 8)
    pd.entries[k] = pfn_entry(pfn, ptype, bits)
    return f"record #{i} pfn[{k}] reserved bits {bits:#x}"


def _data_bearing(pd: PageData) -> list[int]:
    return [
        k for k, e in enumerate(pd.entries) if split_pfn_entry(e)[1] not in PAGE_TYPES_WITHOUT_DATA
    ]


@mutation(
    "xc-page-type-reserved",
    ["XC-PAGE-005"],
    "a PAGE_DATA pfn of a reserved page type (5-8), which carries no contents: a page "
    "the pfn had is dropped",
    tags=("page-type", *PD),
)
def page_data_reserved_page_type(ch: Chooser, g: Generated) -> str:
    i, pd = _pd(ch, g)
    k = ch.integer(0, len(pd.entries) - 1)
    pfn, old, _ = split_pfn_entry(pd.entries[k])
    if k in _data_bearing(pd):
        del pd.pages[_data_bearing(pd).index(k)]
    ptype = ch.integer(5, 8)
    pd.entries[k] = pfn_entry(pfn, ptype)
    return f"record #{i} pfn[{k}] type {old:#x} -> {ptype}"


@mutation(
    "xc-page-count-off",
    ["XC-PAGE-006"],
    "PAGE_DATA count one more or one less than the entries",
    tags=("off-by-one", *PD),
)
def page_data_count_off_by_one(ch: Chooser, g: Generated) -> str:
    i, pd = _pd(ch, g)
    n = len(pd.entries)
    pd.count = n + 1 if n == 1 or ch.integer(0, 1) else n - 1
    if pd.count > n and pd.pages:
        # the first 8 octets of page data now read as one more pfn entry: make it a
        # harmless one (pfn 0, type NOTAB), or it would break XC-PAGE-004/005 too
        pd.pages[0] = bytes(8) + pd.pages[0][8:]
    return f"record #{i} count {pd.count} for {n} entries"


@mutation(
    "xc-page-contents-off",
    ["XC-PAGE-006"],
    "PAGE_DATA page contents a few octets or a page short or long",
    tags=("off-by-one", *PD),
)
def page_data_contents_length(ch: Chooser, g: Generated) -> str:
    i, pd = _pd(ch, g)
    how = ch.integer(0, 3)
    if how == 0 or not pd.pages:  # one page too many
        pd.pages.append(fill(0, PAGE))
        return f"record #{i} one page too many"
    if how == 1:
        pd.pages.pop()
        return f"record #{i} one page too few"
    delta = ch.integer(1, 8)
    last = pd.pages[-1]
    pd.pages[-1] = last + bytes(delta) if how == 2 else last[:-delta]
    return f"record #{i} last page {'+' if how == 2 else '-'}{delta} octets"


@mutation(
    "xc-page-short",
    ["XC-PAGE-001"],
    "PAGE_DATA body shorter than its 8-octet header",
    tags=("off-by-one", *PD),
)
def page_data_body_short(ch: Chooser, g: Generated) -> str:
    i, _ = _pd(ch, g)
    n = ch.integer(0, 7)
    xc_recs(g)[i].body = bytes(n)
    return f"record #{i} body of {n} octets"


# --- pfns above max_pfn in a PV stream (issue 14; xensave/pv_records.py) ------------------------


def _max_pfn(g: Generated) -> int:
    """max_pfn of the generator's PV stream: the end_pfn of its one X86_PV_P2M_FRAMES,
    which comes before the PAGE_DATA records."""
    body = next(r.body for r in xc_recs(g) if r.type == XcRecType.X86_PV_P2M_FRAMES)
    assert isinstance(body, P2mFrames)
    return body.end_pfn


def _above_max_pfn(ch: Chooser, g: Generated) -> int:
    return _max_pfn(g) + ch.integer(1, 1 << 20)


@mutation(
    "xc-page-above-max-pfn",
    ["XC-PAGE-008"],
    "a PV PAGE_DATA record sending a pfn above max_pfn",
    tags=PD,
    when=is_pv,
)
def page_above_max_pfn(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    at = pick(ch, pages(g)) + 1  # after one of the PAGE_DATA records
    pfn = _above_max_pfn(ch, g)
    ptype = pick(ch, (PageType.NOTAB, PageType.XTAB))
    recs.insert(at, Record(XcRecType.PAGE_DATA, PageData.of([(pfn, ptype)])))
    return f"record #{at} sends pfn {pfn:#x} ({ptype.name})"


@mutation(
    "xc-page-table-entry-above-max-pfn",
    ["XC-PAGE-009"],
    "a present entry of a PV page-table page naming a pfn above max_pfn",
    tags=PD,
    when=lambda g: is_pv(g) and _any_table_with_data(g),
)
def page_table_entry_above_max_pfn(ch: Chooser, g: Generated) -> str:
    i, k = pick(ch, _tables_with_data(g))
    pd = typed(xc_recs(g)[i], PageData)
    slot = ch.integer(0, 255)  # the guest's half of any level (Xen keeps L4 slots 256-271)
    pfn = _above_max_pfn(ch, g)
    page = bytearray(pd.pages[k])
    struct.pack_into("<Q", page, 8 * slot, pfn << 12 | 1 | ch.integer(0, 0x7FF) << 1)
    pd.pages[k] = bytes(page)
    return f"record #{i} page {k}: entry {slot} names pfn {pfn:#x}"


def _any_table_with_data(g: Generated) -> bool:
    """``bool(_tables_with_data(g))``, from the last entry back, stopping at the first
    (the predicate runs for every PV case; a bulk batch has a thousand entries and no
    tables, the records after it nearly always one)."""
    recs = xc_recs(g)
    for i in reversed(pages(g)):
        for e in reversed(typed(recs[i], PageData).entries):
            t = e >> 60
            if t & 0x7 in (1, 2, 3, 4) and t not in PAGE_TYPES_WITHOUT_DATA:
                return True
    return False


def _tables_with_data(g: Generated) -> list[tuple[int, int]]:
    """(record, page number) of the page-table pages PAGE_DATA sends with contents."""
    out = []
    recs = xc_recs(g)
    for i in pages(g):
        pd = typed(recs[i], PageData)
        data = [e >> 60 for e in pd.entries if has_data(e >> 60)]
        out += [(i, k) for k, t in enumerate(data) if t & 0x7 in (1, 2, 3, 4)]
    return out
