"""Mutations of PAGE_DATA records (``spec/libxc-stream.md``, "PAGE_DATA")."""

from __future__ import annotations

from ...bodies import PageData, pfn_entry, split_pfn_entry
from ...constants import PAGE_TYPES_WITHOUT_DATA
from ..build import PAGE, Generated, fill
from ..choices import Chooser
from . import mutation
from .helpers import PD, nonzero, pages, pick, typed, xc_recs

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
