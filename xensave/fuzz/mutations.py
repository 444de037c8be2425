"""Mutations: each breaks a valid image in one way and declares the rules it breaks.

A mutation edits the model of a :class:`~xensave.fuzz.build.Generated` image in place
(or, for byte-level cuts, returns bytes) using a chooser for every decision, so a
failing case shrinks through the mutation's choices too. What a mutation breaks is
declared here, from the rules' text and the image's structure, never by running an
implementation or the checker: that is what makes the expected verdict of a fuzz case
known in advance. ``tests/test_fuzz_mutations.py`` holds each mutation to its word by
checking that the reference checker finds exactly the declared rules broken.

A few mutations break one more rule only in some images (moving SHARED_INFO before
X86_PV_INFO also moves it before STATIC_DATA_END in a version 3 stream); they return
that rule in :attr:`Applied.breaks`, and list it in :attr:`Mutation.sometimes`.

The families: field-level changes (reserved fields and bits, lengths one off,
counts, types, versions, magic numbers), record-level changes (drop, duplicate, move
across an ordering boundary, insert records of unknown mandatory or optional types,
records of the other guest), and byte-level truncation.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .. import pv_context
from ..bodies import (
    CpuidPolicy,
    EmulatorRecord,
    HvmParams,
    MsrPolicy,
    P2mFrames,
    PageData,
    PfnList,
    PvBasicContext,
    PvInfo,
    TscInfo,
    VcpuContext,
    encode_xenstore,
    pfn_entry,
    split_pfn_entry,
)
from ..constants import (
    PAGE_TYPES_WITHOUT_DATA,
    EmulatorId,
    LibxlRecType,
    XcRecType,
)
from ..model import (
    LibvirtFile,
    LibxcStream,
    Record,
    XapiImage,
    XapiSection,
    XlFile,
    padding_for,
)
from ..writer import encode_record, to_bytes
from .build import OPTIONAL, PAGE, Generated, fill
from .choices import Chooser

__all__ = ["BY_NAME", "MUTATIONS", "Applied", "Mutation", "applicable"]

X = XcRecType
L = LibxlRecType
T = TypeVar("T")

_VCPU = (X.X86_PV_VCPU_BASIC, X.X86_PV_VCPU_EXTENDED, X.X86_PV_VCPU_XSAVE, X.X86_PV_VCPU_MSRS)


@dataclass(frozen=True)
class Applied:
    """What a mutation did: ``detail`` in words; ``data`` the bytes when the mutation
    works on bytes (None: write the mutated model); ``breaks`` rules this image breaks
    besides the mutation's own (see :attr:`Mutation.sometimes`)."""

    detail: str
    data: bytes | None = None
    breaks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mutation:
    name: str
    breaks: tuple[str, ...]
    doc: str
    tags: tuple[str, ...]
    when: Callable[[Generated], bool]
    fn: Callable[[Chooser, Generated], Applied]
    permits: tuple[str, ...] = ()
    relies: tuple[str, ...] = ()
    sometimes: tuple[str, ...] = ()

    def apply(self, ch: Chooser, gen: Generated) -> Applied:
        """Mutate ``gen`` (its model, in place)."""
        return self.fn(ch, gen)

    def applies(self, gen: Generated) -> bool:
        return self.when(gen)


MUTATIONS: list[Mutation] = []
BY_NAME: dict[str, Mutation] = {}


def mutation(
    name: str,
    breaks: Sequence[str],
    doc: str,
    *,
    tags: Sequence[str],
    when: Callable[[Generated], bool] = lambda g: True,
    permits: Sequence[str] = (),
    relies: Sequence[str] = (),
    sometimes: Sequence[str] = (),
) -> Callable[[Callable[[Chooser, Generated], Applied | str]], Callable[..., Applied | str]]:
    def deco(fn: Callable[[Chooser, Generated], Applied | str]) -> Callable[..., Applied | str]:
        def run(ch: Chooser, g: Generated) -> Applied:
            out = fn(ch, g)
            return Applied(out) if isinstance(out, str) else out

        if name in BY_NAME:
            raise ValueError(f"two mutations named {name}")
        m = Mutation(
            name,
            tuple(breaks),
            doc,
            tuple(tags),
            when,
            run,
            tuple(permits),
            tuple(relies),
            tuple(sometimes),
        )
        MUTATIONS.append(m)
        BY_NAME[name] = m
        return fn

    return deco


def applicable(gen: Generated, pool: Sequence[Mutation] | None = None) -> list[Mutation]:
    """The mutations (of ``pool``, default all) that apply to ``gen``."""
    return [m for m in (MUTATIONS if pool is None else pool) if m.when(gen)]


# --- helpers -----------------------------------------------------------------------------


def pick(ch: Chooser, seq: Sequence[T]) -> T:
    return seq[ch.integer(0, len(seq) - 1)]


def where(recs: Sequence[Record], *types: int) -> list[int]:
    return [i for i, r in enumerate(recs) if r.type in types]


def xc_recs(g: Generated) -> list[Record]:
    return g.libxc.records


def xc_endian(g: Generated) -> str:
    h = g.libxc.image_header
    return ">" if h is not None and h.big_endian else "<"


def xl_recs(g: Generated) -> list[Record]:
    return [i for i in g.libxl.items if isinstance(i, Record)]


def has(*types: int) -> Callable[[Generated], bool]:
    return lambda g: bool(where(xc_recs(g), *types))


def is_pv(g: Generated) -> bool:
    return g.guest != "hvm"


def is_hvm(g: Generated) -> bool:
    return g.guest == "hvm"


def v3(g: Generated) -> bool:
    return g.version == 3


def v2(g: Generated) -> bool:
    return g.version == 2


def both(*preds: Callable[[Generated], bool]) -> Callable[[Generated], bool]:
    return lambda g: all(p(g) for p in preds)


def end_of(recs: Sequence[Record]) -> int:
    """Index of the (libxc or libxl) END record: the last one."""
    return len(recs) - 1


def nonzero(ch: Chooser, bits: int) -> int:
    """A value of ``bits`` bits other than zero."""
    return ch.integer(1, (1 << bits) - 1)


def other_than(ch: Chooser, good: Sequence[int], lo: int, hi: int) -> int:
    """A value in [lo, hi] that is none of ``good``."""
    bad = [v for v in range(lo, min(hi, lo + 64) + 1) if v not in good]
    if ch.integer(0, 1) and hi > lo + 64:
        v = ch.integer(lo + 65, hi)
        if v not in good:
            return v
    return pick(ch, bad)


def resize(ch: Chooser, data: bytes, good: Callable[[int], bool], lo: int, hi: int) -> bytes:
    """``data`` grown or cut to a length in [lo, hi] that ``good`` refuses."""
    while True:
        n = ch.integer(lo, hi)
        if not good(n):
            return (data + bytes(max(0, n - len(data))))[:n]
        lo = n + 1 if n < hi else lo
        if lo > hi:
            raise AssertionError("resize: no bad length in range")


def insert_before_end(ch: Chooser, recs: list[Record], rec: Record, first: int = 0) -> int:
    """Insert ``rec`` at a chosen place in [first, END]; its index."""
    at = ch.integer(first, end_of(recs))
    recs.insert(at, rec)
    return at


def typed(rec: Record, cls: type[T]) -> T:
    assert isinstance(rec.body, cls), (rec.type, type(rec.body))
    return rec.body


def _some_body(ch: Chooser) -> bytes:
    """A body for an inserted record: empty or whole 8-octet words half of the time (a
    reader that skips it then stays in step), any octets otherwise."""
    if ch.integer(0, 1):
        return ch.binary(20)
    return bytes(8 * ch.integer(0, 2))


# --- libxc image and domain headers -------------------------------------------------------

XC_HDR = ("libxc-header",)


@mutation("xc-marker", ["XC-HDR-001"], "image header marker not all ones", tags=("magic", *XC_HDR))
def _(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    h.marker = other_than(ch, [2**64 - 1], 0, 2**64 - 1)
    return f"marker {h.marker:#x}"


@mutation("xc-id", ["XC-HDR-002"], "image header id not XENF", tags=("magic", *XC_HDR))
def _(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    h.ident = other_than(ch, [0x58454E46], 0, 0xFFFFFFFF)
    return f"id {h.ident:#x}"


@mutation(
    "xc-version", ["XC-HDR-003"], "image header version not 2 or 3", tags=("version", *XC_HDR)
)
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    if ch.integer(0, 1):
        h.reserved2 = nonzero(ch, 32)
        return f"reserved 32-bit field {h.reserved2:#x}"
    h.reserved1 = nonzero(ch, 16)
    return f"reserved 16-bit field {h.reserved1:#x}"


@mutation(
    "xc-page-shift",
    ["XC-DOM-002"],
    "domain header page_shift not 12",
    tags=XC_HDR,
)
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
    h = g.libxc.domain_header
    assert h is not None
    h.reserved = nonzero(ch, 16)
    return f"reserved {h.reserved:#x}"


# --- libxc record framing ------------------------------------------------------------------

FRAMING = ("record-framing",)


def body_len(rec: Record) -> int:
    """The length of a record's body, without encoding a PAGE_DATA body."""
    b = rec.body
    if isinstance(b, bytes):
        return len(b)
    if isinstance(b, PageData):
        return 8 + 8 * len(b.entries) + sum(map(len, b.pages))
    return len(b.encode("<"))


def _unaligned(recs: Sequence[Record]) -> list[int]:
    return [i for i, r in enumerate(recs) if padding_for(body_len(r))]


@mutation(
    "xc-padding",
    ["XC-REC-002"],
    "a padding octet of a libxc record not zero",
    tags=("reserved-bits", *FRAMING),
    when=lambda g: bool(_unaligned(xc_recs(g))),
)
def _(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = pick(ch, _unaligned(recs))
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
def _(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    rtype = ch.integer(0x13, 0x7FFFFFFF)
    at = insert_before_end(ch, recs, Record(rtype, _some_body(ch)))
    return f"record #{at} of type {rtype:#x}"


@mutation(
    "xc-optional-record",
    [],
    "a record of an unknown optional type (bit 31 set): valid, readers skip it",
    tags=("optional-record", "unknown-record"),
    relies=["XC-REC-007"],
)
def _(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    rtype = OPTIONAL | ch.integer(0, 0x7FFFFFFF)
    body = ch.binary(40)
    at = insert_before_end(ch, recs, Record(rtype, body))
    return f"record #{at} of optional type {rtype:#x}, {len(body)} octets"


@mutation("xc-end-body", ["XC-END-001"], "libxc END with a body", tags=("end-record",))
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
    xc_recs(g).pop()
    return "END dropped"


@mutation(
    "xc-trailing",
    ["XC-END-003"],
    "octets after the END of a bare libxc stream",
    tags=("trailing-data",),
    when=bare_xc,
)
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> Applied:
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
def _(ch: Chooser, g: Generated) -> Applied:
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
def _(ch: Chooser, g: Generated) -> Applied:
    data, spans = _record_offsets(g)
    i = pick(ch, [k for k, (s, h, e) in enumerate(spans) if e > h])
    _, h, e = spans[i]
    cut = ch.integer(h, e - 1)
    return Applied(f"cut {cut - h} octets into record #{i}'s body", data[:cut])


# --- PAGE_DATA ----------------------------------------------------------------------------

PD = ("page-data",)


def _pages(g: Generated) -> list[int]:
    return where(xc_recs(g), X.PAGE_DATA)


def _pd(ch: Chooser, g: Generated) -> tuple[int, PageData]:
    i = pick(ch, _pages(g))
    return i, typed(xc_recs(g)[i], PageData)


@mutation("xc-page-count-zero", ["XC-PAGE-002"], "PAGE_DATA with count 0", tags=PD)
def _(ch: Chooser, g: Generated) -> str:
    i, _ = _pd(ch, g)
    xc_recs(g)[i].body = PageData([], [])
    return f"record #{i} emptied to count 0"


@mutation(
    "xc-page-reserved",
    ["XC-PAGE-003"],
    "PAGE_DATA reserved word not zero",
    tags=("reserved-bits", *PD),
)
def _(ch: Chooser, g: Generated) -> str:
    i, pd = _pd(ch, g)
    pd.reserved = nonzero(ch, 32)
    return f"record #{i} reserved {pd.reserved:#x}"


@mutation(
    "xc-page-pfn-reserved-bits",
    ["XC-PAGE-004"],
    "bits 52-59 of a PAGE_DATA pfn entry set",
    tags=("reserved-bits", *PD),
)
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
    i, _ = _pd(ch, g)
    n = ch.integer(0, 7)
    xc_recs(g)[i].body = bytes(n)
    return f"record #{i} body of {n} octets"


# --- X86_PV_INFO, X86_PV_P2M_FRAMES ---------------------------------------------------------

PVI = ("pv-info",)


def _pvi(g: Generated) -> tuple[int, PvInfo]:
    i = where(xc_recs(g), X.X86_PV_INFO)[0]
    return i, typed(xc_recs(g)[i], PvInfo)


@mutation(
    "xc-pvi-length",
    ["XC-PVI-001"],
    "X86_PV_INFO body not 8 octets (the first 8 kept)",
    tags=("off-by-one", *PVI),
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    i, pvi = _pvi(g)
    extra = ch.integer(1, 16)
    xc_recs(g)[i].body = pvi.encode("<")[:2] + bytes(6 + extra)
    return f"record #{i} body of {8 + extra} octets"


@mutation(
    "xc-pvi-levels-pairing",
    ["XC-PVI-004"],
    "X86_PV_INFO pairs guest_width 8 with 3 levels or 4 with 4",
    tags=PVI,
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    _, pvi = _pvi(g)
    pvi.pt_levels = 3 if pvi.guest_width == 8 else 4
    return f"guest_width {pvi.guest_width}, pt_levels {pvi.pt_levels}"


@mutation(
    "xc-pvi-levels",
    ["XC-PVI-003"],
    "X86_PV_INFO pt_levels not 3 or 4 (XC-PVI-004 judges only values XC-PVI-002/003 allow)",
    tags=PVI,
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    _, pvi = _pvi(g)
    pvi.pt_levels = other_than(ch, [3, 4], 0, 255)
    return f"pt_levels {pvi.pt_levels}"


@mutation(
    "xc-pvi-reserved",
    ["XC-PVI-005"],
    "X86_PV_INFO reserved octets not zero",
    tags=("reserved-bits", *PVI),
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    _, pvi = _pvi(g)
    res = bytearray(6)
    k = ch.integer(0, 5)
    res[k] = ch.integer(1, 255)
    pvi.reserved = bytes(res)
    return f"reserved octet {k} = {res[k]:#x}"


@mutation(
    "xc-pvi-duplicate",
    ["XC-PVI-006"],
    "a second X86_PV_INFO right after the first",
    tags=("duplicate-record", *PVI),
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    i, pvi = _pvi(g)
    xc_recs(g).insert(i + 1, Record(X.X86_PV_INFO, PvInfo(pvi.guest_width, pvi.pt_levels)))
    return f"X86_PV_INFO repeated as record #{i + 1}"


@mutation(
    "xc-pvi-after-p2m",
    ["XC-ORD-001"],
    "X86_PV_INFO moved after the first X86_PV_P2M_FRAMES (still before SHARED_INFO)",
    tags=("ordering", *PVI),
    when=is_pv,
    sometimes=["XC-PVI-007"],
)
def _(ch: Chooser, g: Generated) -> Applied:
    recs = xc_recs(g)
    i, _ = _pvi(g)
    rec = recs.pop(i)
    p2m = where(recs, X.X86_PV_P2M_FRAMES)[0]
    shared = where(recs, X.SHARED_INFO)[0]
    at = ch.integer(p2m + 1, shared)
    recs.insert(at, rec)
    return Applied(f"X86_PV_INFO moved to #{at}", breaks=("XC-PVI-007",) if v3(g) else ())


P2M = ("p2m",)


def _p2m(g: Generated) -> tuple[int, P2mFrames]:
    i = where(xc_recs(g), X.X86_PV_P2M_FRAMES)[0]
    return i, typed(xc_recs(g)[i], P2mFrames)


@mutation(
    "xc-p2m-short",
    ["XC-P2M-001"],
    "X86_PV_P2M_FRAMES body shorter than 8 octets",
    tags=("off-by-one", *P2M),
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    i, _ = _p2m(g)
    n = ch.integer(0, 7)
    xc_recs(g)[i].body = bytes(n)
    return f"body of {n} octets"


@mutation(
    "xc-p2m-range",
    ["XC-P2M-002"],
    "X86_PV_P2M_FRAMES start pfn above its end pfn (frames as many as if swapped)",
    tags=P2M,
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    _, p2m = _p2m(g)
    lo, hi = p2m.start_pfn, p2m.end_pfn
    if lo == hi:
        hi += 1
        p2m.frames = [0x1A2B00 + k for k in range(hi // 512 - lo // 512 + 1)]
    p2m.start_pfn, p2m.end_pfn = hi, lo
    return f"start {hi} > end {lo}"


@mutation(
    "xc-p2m-frames-off",
    ["XC-P2M-003"],
    "X86_PV_P2M_FRAMES with a frame too many or too few",
    tags=("off-by-one", *P2M),
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    _, p2m = _p2m(g)
    if len(p2m.frames) > 1 and ch.integer(0, 1):
        p2m.frames.pop()
        return f"{len(p2m.frames)} frames, one too few"
    p2m.frames.append(0x1A2BFF)
    return f"{len(p2m.frames)} frames, one too many"


@mutation(
    "xc-p2m-after-pages",
    ["XC-ORD-002"],
    "X86_PV_P2M_FRAMES moved after the first PAGE_DATA",
    tags=("ordering", *P2M),
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i, _ = _p2m(g)
    rec = recs.pop(i)
    first = where(recs, X.PAGE_DATA)[0]
    last = where(recs, X.PAGE_DATA)[-1]
    at = ch.integer(first + 1, last + 1)
    recs.insert(at, rec)
    return f"moved to #{at}"


# --- vCPU records, SHARED_INFO, TSC ---------------------------------------------------------

VC = ("vcpu",)


def _vcpus(g: Generated, *types: int) -> list[int]:
    return where(xc_recs(g), *(types or _VCPU))


@mutation(
    "xc-vcpu-reserved",
    ["XC-VCPU-002"],
    "a vCPU record's reserved word not zero",
    tags=("reserved-bits", *VC),
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    i = pick(ch, _vcpus(g))
    ctx = typed(xc_recs(g)[i], VcpuContext)
    ctx.reserved = nonzero(ch, 32)
    return f"record #{i} reserved {ctx.reserved:#x}"


@mutation(
    "xc-vcpu-short",
    ["XC-VCPU-001"],
    "a vCPU record shorter than its 8-octet header",
    tags=("off-by-one", *VC),
    when=is_pv,
    sometimes=["XC-VCPU-009"],
)
def _(ch: Chooser, g: Generated) -> Applied:
    recs = xc_recs(g)
    i = pick(ch, _vcpus(g))
    n = ch.integer(0, 7)
    vcpu0_basic = recs[i].type == X.X86_PV_VCPU_BASIC and typed(recs[i], VcpuContext).vcpu_id == 0
    recs[i].body = bytes(n)
    # a BASIC of vCPU 0 that cannot be read no longer counts as one
    return Applied(
        f"record #{i} body of {n} octets", breaks=("XC-VCPU-009",) if vcpu0_basic else ()
    )


def _ctx_size(
    rtype: XcRecType, rule: str, doc: str, good: Callable[[Generated, int], bool], lo: int, hi: int
) -> None:
    @mutation(
        f"xc-vcpu-{rtype.name.lower().removeprefix('x86_pv_vcpu_')}-size",
        [rule],
        doc,
        tags=("off-by-one", *VC),
        when=lambda g: is_pv(g) and bool(_vcpus(g, rtype)),
    )
    def _(ch: Chooser, g: Generated) -> str:
        i = pick(ch, _vcpus(g, rtype))
        ctx = typed(xc_recs(g)[i], VcpuContext)
        ctx.context = resize(ch, ctx.context, lambda n: good(g, n), lo, hi)
        return f"record #{i} context of {len(ctx.context)} octets"


_ctx_size(
    X.X86_PV_VCPU_BASIC,
    "XC-VCPU-003",
    "X86_PV_VCPU_BASIC context not the size of the guest's vcpu_guest_context",
    lambda g, n: n == (2800 if g.guest == "x86_32-pv" else 5168),
    1,
    6000,
)
_ctx_size(
    X.X86_PV_VCPU_EXTENDED,
    "XC-VCPU-004",
    "X86_PV_VCPU_EXTENDED context over 128 octets",
    lambda g, n: n <= 128,
    129,
    300,
)
_ctx_size(
    X.X86_PV_VCPU_XSAVE,
    "XC-VCPU-005",
    "X86_PV_VCPU_XSAVE context of 1-15 octets",
    lambda g, n: n == 0 or n >= 16,
    1,
    15,
)
_ctx_size(
    X.X86_PV_VCPU_MSRS,
    "XC-VCPU-006",
    "X86_PV_VCPU_MSRS context not a multiple of 16",
    lambda g, n: n % 16 == 0,
    1,
    100,
)


@mutation(
    "xc-vcpu-empty-context",
    ["XC-VCPU-007"],
    "an X86_PV_VCPU_EXTENDED, _XSAVE or _MSRS record with an empty context (SHOULD)",
    tags=("errata", *VC),
    when=lambda g: (
        is_pv(g)
        and bool(_vcpus(g, X.X86_PV_VCPU_EXTENDED, X.X86_PV_VCPU_XSAVE, X.X86_PV_VCPU_MSRS))
    ),
)
def _(ch: Chooser, g: Generated) -> str:
    i = pick(ch, _vcpus(g, X.X86_PV_VCPU_EXTENDED, X.X86_PV_VCPU_XSAVE, X.X86_PV_VCPU_MSRS))
    typed(xc_recs(g)[i], VcpuContext).context = b""
    return f"record #{i} context emptied"


@mutation(
    "xc-vcpu0-basic-drop",
    ["XC-VCPU-009"],
    "no X86_PV_VCPU_BASIC for vCPU 0",
    tags=("missing-record", *VC),
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = next(k for k in _vcpus(g, X.X86_PV_VCPU_BASIC) if typed(recs[k], VcpuContext).vcpu_id == 0)
    del recs[i]
    return f"record #{i} dropped"


# --- the PV vCPU context (spec/pv-context.md) ------------------------------------------------

PVC = ("pv-context", "vcpu")


def _basic(g: Generated, vcpu0: bool = False) -> list[int]:
    recs = xc_recs(g)
    return [
        k
        for k in _vcpus(g, X.X86_PV_VCPU_BASIC)
        if isinstance(recs[k].body, PvBasicContext)
        and (not vcpu0 or typed(recs[k], PvBasicContext).vcpu_id == 0)
    ]


def _width(g: Generated) -> int:
    return 4 if g.guest == "x86_32-pv" else 8


def _p2m_end(g: Generated) -> int:
    body = next(r.body for r in xc_recs(g) if r.type == X.X86_PV_P2M_FRAMES)
    assert isinstance(body, P2mFrames)
    return body.end_pfn


def _pv_field(
    name: str,
    rule: str,
    doc: str,
    change: Callable[[Chooser, Generated, pv_context.PvContext], dict[str, Any]],
    *,
    width: int | None = None,
    vcpu0: bool = False,
) -> None:
    """A mutation that changes fields of one vCPU's BASIC context."""

    @mutation(
        name,
        [rule],
        doc,
        tags=PVC,
        when=lambda g: (
            is_pv(g) and (width is None or _width(g) == width) and bool(_basic(g, vcpu0))
        ),
    )
    def _(ch: Chooser, g: Generated) -> str:
        i = pick(ch, _basic(g, vcpu0))
        body = typed(xc_recs(g)[i], PvBasicContext)
        w = _width(g)
        changes = change(ch, g, pv_context.decode(body.context, w))
        body.context = pv_context.replace(body.context, w, **changes)
        return f"record #{i} " + ", ".join(f"{k} {v}" for k, v in changes.items())


_pv_field(
    "pv-gdt-ents-over",
    "PV-GDT-001",
    "gdt_ents over 7168",
    lambda ch, g, c: {"gdt_ents": ch.integer(7169, 1 << 16)},
)
_pv_field(
    "pv-gdt-frame-page-table",
    "PV-GDT-002",
    "the first GDT frame is the top-level page table's pfn",
    lambda ch, g, c: {"gdt_frames": {0: c.cr3_pfn}},
)
_pv_field(
    "pv-gdt-unused-frame",
    "PV-GDT-003",
    "the last gdt_frames entry set though the GDT uses one frame (SHOULD)",
    lambda ch, g, c: {"gdt_frames": {15: c.gdt_frames[0] or 1}},
)
_pv_field(
    "pv-cr3-above-p2m",
    "PV-CR3-001",
    "ctrlreg[3] names a pfn above p2m_end_pfn",
    lambda ch, g, c: {
        "ctrlreg": {3: pv_context.pfn_to_cr3(_p2m_end(g) + ch.integer(1, 64), _width(g))}
    },
)
_pv_field(
    "pv-cr1-data-page",
    "PV-CR3-002",
    "ctrlreg[1] (bit 0 set) names the GDT's NOTAB page as the user page table",
    lambda ch, g, c: {"ctrlreg": {1: (c.gdt_frames[0] << 12) | 1}},
    width=8,
)
_pv_field(
    "pv-user-mode-without-cr1",
    "PV-CR3-003",
    "a 64-bit vCPU in user mode (in_kernel clear) with ctrlreg[1] zero",
    lambda ch, g, c: {"flags": c.flags & ~pv_context.VGCF_IN_KERNEL, "ctrlreg": {1: 0}},
    width=8,
)
_pv_field(
    "pv-start-info-page-table",
    "PV-SIF-001",
    "vCPU 0's start-info pfn is the top-level page table",
    lambda ch, g, c: {("rdx" if c.width == 8 else "edx"): c.cr3_pfn},
    vcpu0=True,
)
_pv_field(
    "pv-ldt-ents-over",
    "PV-LDT-001",
    "ldt_ents over 8192",
    lambda ch, g, c: {"ldt_ents": ch.integer(8193, 1 << 16)},
)
_pv_field(
    "pv-ldt-base-unaligned",
    "PV-LDT-002",
    "ldt_base not a multiple of 4096",
    lambda ch, g, c: {"ldt_base": 0x10000 + ch.integer(1, 4095)},
)
_pv_field(
    "pv-rip-non-canonical",
    "PV-ADR-001",
    "a 64-bit rip with bits 47-63 not all equal",
    lambda ch, g, c: {"rip": (1 << 47) + ch.integer(0, 1 << 20)},
    width=8,
)
_pv_field(
    "pv-dr7-high",
    "PV-DBG-001",
    "debugreg[7] of a 64-bit context over 32 bits",
    lambda ch, g, c: {"debugreg": {7: 1 << ch.integer(32, 63)}},
    width=8,
)
_pv_field(
    "pv-flags-undefined",
    "PV-FLG-001",
    "flags has a bit that is no VGCF_* flag (SHOULD)",
    lambda ch, g, c: {"flags": c.flags | 1 << ch.integer(9, 31)},
)
_pv_field(
    "pv-eflags-vm",
    "PV-FLG-002",
    "a 32-bit eflags with VM (bit 17) set",
    lambda ch, g, c: {"eflags": c.user_regs["eflags"] | 1 << 17},
    width=4,
)


@mutation(
    "xc-vcpu-before-pages",
    ["XC-ORD-003", "XC-ORD-005"],
    "a vCPU record moved before the first PAGE_DATA (after X86_PV_P2M_FRAMES)",
    tags=("ordering", *VC),
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = pick(ch, _vcpus(g))
    rec = recs.pop(i)
    at = where(recs, X.PAGE_DATA)[0]
    recs.insert(at, rec)
    return f"record #{i} moved to #{at}"


@mutation(
    "xc-pages-after-vcpu",
    ["XC-ORD-005"],
    "a PAGE_DATA (not the first) moved after a vCPU record (SHOULD)",
    tags=("ordering", *PD),
    when=lambda g: is_pv(g) and len(_pages(g)) > 1,
)
def _(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = pick(ch, _pages(g)[1:])
    rec = recs.pop(i)
    at = ch.integer(_vcpus(g)[0] + 1, end_of(recs))
    recs.insert(at, rec)
    return f"record #{i} moved to #{at}"


@mutation(
    "xc-shared-info-size",
    ["XC-SHI-001"],
    "SHARED_INFO not one page long",
    tags=("off-by-one", "shared-info"),
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = where(recs, X.SHARED_INFO)[0]
    body = recs[i].body_bytes("<")
    recs[i].body = resize(ch, body, lambda n: n == PAGE, 0, 2 * PAGE)
    return f"body of {len(recs[i].body_bytes('<'))} octets"


@mutation(
    "xc-shared-info-first",
    ["XC-ORD-004"],
    "SHARED_INFO moved before X86_PV_INFO",
    tags=("ordering", "shared-info"),
    when=is_pv,
    sometimes=["XC-SDE-004"],
)
def _(ch: Chooser, g: Generated) -> Applied:
    recs = xc_recs(g)
    i = where(recs, X.SHARED_INFO)[0]
    rec = recs.pop(i)
    at = ch.integer(0, where(recs, X.X86_PV_INFO)[0])
    recs.insert(at, rec)
    return Applied(f"moved to #{at}", breaks=("XC-SDE-004",) if v3(g) else ())


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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
    _, tsc = _tsc(g)
    tsc.reserved = nonzero(ch, 32)
    return f"reserved {tsc.reserved:#x}"


@mutation("xc-tsc-mode", ["XC-TSC-003"], "X86_TSC_INFO mode above 3", tags=TSC)
def _(ch: Chooser, g: Generated) -> str:
    _, tsc = _tsc(g)
    tsc.mode = other_than(ch, [0, 1, 2, 3], 4, 0xFFFFFFFF)
    return f"mode {tsc.mode}"


# --- HVM records -------------------------------------------------------------------------------


@mutation(
    "xc-hvm-context-empty",
    ["XC-HVMC-001"],
    "HVM_CONTEXT with an empty body",
    tags=("hvm-context",),
    when=is_hvm,
)
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
    _, items = _hvm_items(g)
    return _hvm_insert(ch, g, 1, 0, items[0][2])


@mutation(
    "hvm-ctx-unknown-typecode",
    ["HVM-TYPE-001"],
    "an HVM context entry of a typecode x86 Xen does not restore",
    tags=(*HC, "unknown-record"),
    when=is_hvm,
)
def _(ch: Chooser, g: Generated) -> str:
    return _hvm_insert(ch, g, ch.integer(21, 0xFFFF), ch.integer(0, 3), ch.binary(32))


@mutation(
    "hvm-ctx-fixed-size",
    ["HVM-SIZE-001"],
    "an HVM context entry of a fixed-size typecode at another length",
    tags=HC,
    when=is_hvm,
)
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
    code = pick(ch, sorted(_HVM_AT_MOST))
    return _hvm_insert(ch, g, code, 0, bytes(_HVM_AT_MOST[code] + ch.integer(1, 16)))


@mutation(
    "hvm-ctx-cpu-pad0",
    ["HVM-CPU-001"],
    "a 1032-octet CPU entry with a non-zero pad0",
    tags=(*HC, "reserved-bits"),
    when=is_hvm,
)
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
    return _hvm_insert(ch, g, 3, ch.integer(2, 0xFFFF), bytes(8))


@mutation(
    "hvm-ctx-pci-link",
    ["HVM-LINK-001"],
    "a PCI_LINK entry routing a link past IRQ 15 (a non-zero pad0 octet is HVM-LINK-002)",
    tags=HC,
    when=is_hvm,
)
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
    return _hvm_insert(ch, g, 16, 0, _xsave(1, 1, 1)[: ch.integer(0, 599)])


@mutation(
    "hvm-ctx-xsave-format",
    ["HVM-XSAVE-002"],
    "a CPU_XSAVE entry with xcomp_bv or a reserved header word set",
    tags=HC,
    when=is_hvm,
)
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
    count = ch.integer(1, 3)
    bad = ch.integer(0, count - 1)
    body = b"".join(
        struct.pack("<IIQ", 0x48, ch.integer(1, 0xFFFFFFFF) if i == bad else 0, 1)
        for i in range(count)
    )
    return _hvm_insert(ch, g, 20, 0, struct.pack("<I4x", count) + body)


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
def _(ch: Chooser, g: Generated) -> Applied:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
    i, _ = _params(g)
    xc_recs(g)[i].body = HvmParams([])
    return "count 0"


# --- records of the other guest, STATIC_DATA_END, policies, the rest ----------------------------


@mutation(
    "xc-pv-record-in-hvm",
    ["XC-GUEST-001"],
    "SHARED_INFO (a PV-only record) in an HVM stream, after STATIC_DATA_END",
    tags=("wrong-guest", "shared-info"),
    when=is_hvm,
)
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    recs.insert(end_of(recs), Record(X.VERIFY, ch.binary(16) or b"\x00"))
    return "VERIFY with a body before END"


@mutation(
    "xc-verify-twice",
    ["XC-VER-002"],
    "two VERIFY records just before END (SHOULD)",
    tags=("verify", "duplicate-record"),
)
def _(ch: Chooser, g: Generated) -> str:
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
def _(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    first = where(recs, X.STATIC_DATA_END)[0] + 1 if v3(g) else 0
    pfns = [ch.integer(0, 0xFFFFF) for _ in range(ch.integer(0, 3))]
    at = insert_before_end(ch, recs, Record(X.CHECKPOINT_DIRTY_PFN_LIST, PfnList(pfns)), first)
    return f"record #{at} with {len(pfns)} pfns"


# --- libxl stream ----------------------------------------------------------------------------

XLH = ("libxl-header",)


def libxl_in(g: Generated) -> bool:
    return g.has_libxl


def _damage_ident(ch: Chooser, g: Generated) -> str:
    h = g.libxl.header
    k = ch.integer(0, 2)
    raw = bytearray(h.ident.to_bytes(8, "big"))
    raw[5 + k] ^= ch.integer(1, 255)
    h.ident = int.from_bytes(raw, "big")
    return f"ident {bytes(raw)!r}"


mutation(
    "xl-ident",
    ["XL-HDR-001"],
    "a bare libxl stream whose ident 'LibxlFmt' is damaged after its first five octets",
    tags=("magic", *XLH),
    when=lambda g: g.layer == "libxl",
)(_damage_ident)
mutation(
    "xlf-stream-ident",
    ["XLF-NEST-001"],
    "an xl file whose libxl ident is damaged (after its first five octets): no libxl "
    "stream where the header says",
    tags=("magic", "nesting", *XLH),
    when=lambda g: g.layer == "xl",
)(_damage_ident)
mutation(
    "lvf-stream-ident",
    ["LVF-STR-002"],
    "a libvirt file whose libxl ident is damaged (after its first five octets): no libxl "
    "stream after the XML",
    tags=("magic", "libvirt", *XLH),
    when=lambda g: g.layer == "libvirt",
)(_damage_ident)


@mutation(
    "xl-version",
    ["XL-HDR-002"],
    "libxl header version not 2",
    tags=("version", *XLH),
    when=libxl_in,
)
def _(ch: Chooser, g: Generated) -> str:
    h = g.libxl.header
    h.version = other_than(ch, [2], 0, 0xFFFFFFFF)
    return f"version {h.version}"


@mutation(
    "xl-options-reserved",
    ["XL-HDR-003"],
    "a reserved bit (2-31) of the libxl header options set",
    tags=("reserved-bits", *XLH),
    when=libxl_in,
)
def _(ch: Chooser, g: Generated) -> str:
    bit = ch.integer(2, 31)
    g.libxl.header.options |= 1 << bit
    return f"options bit {bit}"


@mutation(
    "xl-padding",
    ["XL-REC-002"],
    "a padding octet of a libxl record not zero",
    tags=("reserved-bits", *FRAMING),
    when=lambda g: g.has_libxl and bool(_unaligned(xl_recs(g))),
)
def _(ch: Chooser, g: Generated) -> str:
    recs = xl_recs(g)
    i = pick(ch, _unaligned(recs))
    n = padding_for(body_len(recs[i]))
    pad = bytearray(n)
    at = ch.integer(0, n - 1)
    pad[at] = ch.integer(1, 255)
    recs[i].padding = bytes(pad)
    return f"libxl {L(recs[i].type).name if recs[i].type < 6 else hex(recs[i].type)} padding"


def _insert_xl(ch: Chooser, g: Generated, rec: Record) -> int:
    """Insert a libxl record somewhere after the libxc stream, before END."""
    items = g.libxl.items
    first = next(k for k, it in enumerate(items) if isinstance(it, LibxcStream)) + 1
    at = ch.integer(first, len(items) - 1)
    items.insert(at, rec)
    return at


@mutation(
    "xl-reserved-type",
    ["XL-REC-004"],
    "a libxl record of a type in the reserved mandatory range 0x6-0x7FFFFFFF",
    tags=("unknown-record",),
    when=libxl_in,
)
def _(ch: Chooser, g: Generated) -> str:
    rtype = ch.integer(6, 0x7FFFFFFF)
    _insert_xl(ch, g, Record(rtype, _some_body(ch)))
    return f"libxl record of type {rtype:#x}"


@mutation(
    "xl-optional-record",
    [],
    "a libxl record of an unknown optional type (readers may skip or reject it)",
    tags=("optional-record", "unknown-record"),
    when=libxl_in,
    permits=["XL-REC-006"],
)
def _(ch: Chooser, g: Generated) -> str:
    rtype = OPTIONAL | ch.integer(0, 0x7FFFFFFF)
    _insert_xl(ch, g, Record(rtype, ch.binary(24)))
    return f"libxl record of optional type {rtype:#x}"


@mutation(
    "xl-end-body", ["XL-END-001"], "libxl END with a body", tags=("end-record",), when=libxl_in
)
def _(ch: Chooser, g: Generated) -> str:
    end = g.libxl.items[-1]
    assert isinstance(end, Record)
    end.body = ch.binary(16) or b"\x00"
    return f"END body of {len(end.body_bytes('<'))} octets"


@mutation(
    "xl-drop-end",
    ["XL-END-002"],
    "a libxl stream (bare or in an xl file) without its END",
    tags=("end-record", "missing-record"),
    when=lambda g: g.layer in ("libxl", "xl"),
)
def _(ch: Chooser, g: Generated) -> str:
    g.libxl.items.pop()
    return "libxl END dropped"


@mutation(
    "xl-trailing",
    ["XL-END-003"],
    "octets after the libxl END (bare or in an xl file)",
    tags=("trailing-data",),
    when=lambda g: g.layer in ("libxl", "xl"),
)
def _(ch: Chooser, g: Generated) -> str:
    g.libxl.trailer = ch.binary(24) or b"\x00"
    return f"{len(g.libxl.trailer)} octets after END"


@mutation(
    "xl-context-body",
    ["XL-CTX-001"],
    "LIBXC_CONTEXT with a body (before the libxc stream)",
    tags=("nesting",),
    when=libxl_in,
)
def _(ch: Chooser, g: Generated) -> str:
    ctx = g.libxl.items[0]
    assert isinstance(ctx, Record) and ctx.type == L.LIBXC_CONTEXT
    ctx.body = ch.binary(16) or b"\x00"
    return f"LIBXC_CONTEXT body of {len(ctx.body_bytes('<'))} octets"


EMU = ("emulator",)


def _emu(g: Generated, *types: int) -> list[Record]:
    types = types or (L.EMULATOR_XENSTORE_DATA, L.EMULATOR_CONTEXT)
    return [r for r in xl_recs(g) if r.type in types]


@mutation(
    "xl-emulator-short",
    ["XL-EMU-001"],
    "an emulator record shorter than its 8-octet sub-header",
    tags=("off-by-one", *EMU),
    when=lambda g: g.has_libxl and bool(_emu(g)),
)
def _(ch: Chooser, g: Generated) -> str:
    rec = pick(ch, _emu(g))
    rec.body = bytes(ch.integer(0, 7))
    return f"{L(rec.type).name} body of {len(rec.body_bytes('<'))} octets"


@mutation(
    "xl-emulator-id",
    ["XL-EMU-002"],
    "an emulator record with emulator_id above 2",
    tags=EMU,
    when=lambda g: g.has_libxl and bool(_emu(g)),
)
def _(ch: Chooser, g: Generated) -> str:
    rec = pick(ch, _emu(g))
    body = typed(rec, EmulatorRecord)
    body.emulator_id = other_than(ch, [0, 1, 2], 3, 0xFFFFFFFF)
    return f"emulator_id {body.emulator_id}"


@mutation(
    "xl-emulator-id-unknown",
    ["XL-EMU-003"],
    "emulator_id 0 (unknown) without the legacy bit (SHOULD)",
    tags=EMU,
    when=lambda g: g.has_libxl and bool(_emu(g)) and not g.libxl.header.options & 2,
)
def _(ch: Chooser, g: Generated) -> str:
    rec = pick(ch, _emu(g))
    typed(rec, EmulatorRecord).emulator_id = EmulatorId.UNKNOWN
    return f"{L(rec.type).name} emulator_id 0"


@mutation(
    "xl-emulator-in-pv",
    ["XL-EMU-004"],
    "an EMULATOR_CONTEXT in the libxl stream of a PV guest",
    tags=("wrong-guest", *EMU),
    when=lambda g: g.has_libxl and is_pv(g),
)
def _(ch: Chooser, g: Generated) -> str:
    rec = Record(L.EMULATOR_CONTEXT, EmulatorRecord(2, 0, b"QEVM" + ch.binary(16)))
    _insert_xl(ch, g, rec)
    return "EMULATOR_CONTEXT in a PV stream"


@mutation(
    "xl-emulator-context-drop",
    ["XL-EMC-001"],
    "an HVM stream without EMULATOR_CONTEXT (SHOULD)",
    tags=("missing-record", *EMU),
    when=lambda g: g.has_libxl and is_hvm(g),
)
def _(ch: Chooser, g: Generated) -> str:
    items = g.libxl.items
    items[:] = [i for i in items if not (isinstance(i, Record) and i.type == L.EMULATOR_CONTEXT)]
    return "EMULATOR_CONTEXT dropped"


XS = ("xenstore", *EMU)


def _xs(g: Generated) -> list[Record]:
    return _emu(g, L.EMULATOR_XENSTORE_DATA)


def _xs_pairs(ch: Chooser, g: Generated) -> EmulatorRecord:
    return typed(pick(ch, _xs(g)), EmulatorRecord)


def _has_xs(g: Generated) -> bool:
    return g.has_libxl and bool(_xs(g))


@mutation(
    "xl-xenstore-no-nul",
    ["XL-XSD-001", "XL-XSD-002"],
    "xenstore data whose last value is not NUL-terminated (so the NUL-terminated "
    "strings are odd in number too)",
    tags=XS,
    when=_has_xs,
    sometimes=["XL-XSD-007"],
)
def _(ch: Chooser, g: Generated) -> Applied:
    body = _xs_pairs(ch, g)
    pairs = body.data.count(b"\x00") // 2
    body.data = body.data[:-1]
    if body.data.endswith(b"\x00"):  # the last value was empty: give it a character
        body.data += b"x"
    # with one pair only, no complete pair is left
    more = ("XL-XSD-007",) if pairs == 1 else ()
    return Applied(f"xenstore data ends {body.data[-8:]!r}", breaks=more)


@mutation(
    "xl-xenstore-odd",
    ["XL-XSD-002"],
    "xenstore data with a key and no value",
    tags=XS,
    when=_has_xs,
)
def _(ch: Chooser, g: Generated) -> str:
    body = _xs_pairs(ch, g)
    body.data += b"dangling\x00"
    return "a key without a value"


def _xs_edit(rule: str, name: str, doc: str, key: bytes | None, value: bytes | None) -> None:
    @mutation(name, [rule], doc, tags=XS, when=_has_xs)
    def _(ch: Chooser, g: Generated) -> str:
        body = _xs_pairs(ch, g)
        k = key if key is not None else b"state"
        v = value if value is not None else b"running"
        body.data = body.data + encode_xenstore([(k, v)])
        return f"pair {k!r}={v!r}"


for _rule, _name, _doc, _key, _value in (
    ("XL-XSD-003", "xl-xenstore-empty-key", "xenstore data with an empty key", b"", None),
    ("XL-XSD-004", "xl-xenstore-absolute-key", "xenstore key starting with '/'",
     b"/local/domain/7/state", None),
    ("XL-XSD-005", "xl-xenstore-key-chars", "xenstore key with a character outside the "
     "alphabet", b"bad key!", None),
    ("XL-XSD-006", "xl-xenstore-value", "xenstore value that is not printable ASCII (SHOULD)",
     None, b"\x01\xff"),
):  # fmt: skip
    _xs_edit(_rule, _name, _doc, _key, _value)


@mutation(
    "xl-xenstore-empty",
    ["XL-XSD-007"],
    "an EMULATOR_XENSTORE_DATA record with no pairs (SHOULD)",
    tags=XS,
    when=_has_xs,
)
def _(ch: Chooser, g: Generated) -> str:
    _xs_pairs(ch, g).data = b""
    return "no pairs"


@mutation(
    "xl-libxc-byte-order",
    ["XL-NEST-002"],
    "a libxc stream of the other byte order than the libxl stream around it",
    tags=("nesting", "big-endian"),
    when=libxl_in,
    permits=["XC-HDR-006"],
)
def _(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    h.options ^= 1
    return f"libxc {'big' if h.options & 1 else 'little'}-endian in a libxl stream"


@mutation(
    "xl-legacy-bit",
    ["XL-NEST-006"],
    "the libxl legacy bit set over a stream whose xen_major is not 0 (SHOULD)",
    tags=("nesting", "converted"),
    when=lambda g: g.has_libxl and not g.libxl.header.options & 2,
)
def _(ch: Chooser, g: Generated) -> str:
    g.libxl.header.options |= 2
    return "legacy bit set"


@mutation(
    "xl-checkpoint-end-stray",
    ["XL-NEST-004", "XL-END-002"],
    "a CHECKPOINT_END just before the libxl END of a stream that no CHECKPOINT opened; "
    "libxc records resume after a CHECKPOINT_END, so END reads as libxc's and the libxl "
    "stream has none",
    tags=("nesting", "checkpointed"),
    when=libxl_in,
)
def _(ch: Chooser, g: Generated) -> str:
    items = g.libxl.items
    items.insert(len(items) - 1, Record(L.CHECKPOINT_END))
    return "CHECKPOINT_END before libxl END"


# --- xl save file ------------------------------------------------------------------------------

XLF = ("xl-header",)


def xl_of(g: Generated) -> XlFile:
    assert isinstance(g.image, XlFile)
    return g.image


def is_xl(g: Generated) -> bool:
    return g.layer == "xl"


@mutation(
    "xlf-magic",
    ["XLF-HDR-001"],
    "xl magic damaged after its first 16 octets",
    tags=("magic", *XLF),
    when=is_xl,
)
def _(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    raw = bytearray(f.magic)
    k = ch.integer(16, 31)
    raw[k] ^= ch.integer(1, 255)
    f.magic = bytes(raw)
    return f"magic octet {k} = {raw[k]:#x}"


@mutation(
    "xlf-byteorder",
    ["XLF-HDR-002"],
    "xl byteorder word not 0x01020304 in either byte order (a little-endian file: the "
    "byte order of a big-endian one is then unknowable)",
    tags=XLF,
    when=lambda g: is_xl(g) and not xl_of(g).big_endian,
)
def _(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    f.byteorder = other_than(ch, [0x01020304, 0x04030201], 0, 0xFFFFFFFF)
    return f"byteorder {f.byteorder:#x}"


@mutation(
    "xlf-mandatory-unknown",
    ["XLF-HDR-004"],
    "an undefined mandatory_flags bit (2-31) set",
    tags=XLF,
    when=is_xl,
)
def _(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    bit = ch.integer(2, 31)
    f.mandatory_flags = f.effective_mandatory_flags() | 1 << bit
    return f"mandatory_flags bit {bit}"


@mutation(
    "xlf-optional-flags",
    ["XLF-HDR-006"],
    "optional_flags not zero",
    tags=("reserved-bits", *XLF),
    when=is_xl,
)
def _(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    f.optional_flags = nonzero(ch, 32)
    return f"optional_flags {f.optional_flags:#x}"


@mutation(
    "xlf-optional-data-len",
    ["XLF-OPT-002"],
    "1-3 octets of optional data (no room for a config length), no config",
    tags=("optional-data", *XLF),
    when=is_xl,
    permits=["XLF-CFG-005"],
)
def _(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    f.config = None
    f.mandatory_flags = None
    f.optional_extra = bytes(ch.integer(1, 3))
    return f"optional_data_len {len(f.optional_extra)}"


def has_config(g: Generated) -> bool:
    return is_xl(g) and xl_of(g).config is not None


def json_config(g: Generated) -> bool:
    return has_config(g) and bool(xl_of(g).effective_mandatory_flags() & 1)


@mutation(
    "xlf-config-len-over",
    ["XLF-OPT-003"],
    "config_len larger than the optional data holds",
    tags=("optional-data", "config"),
    when=has_config,
)
def _(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    assert f.config is not None
    room = len(f.config) + len(f.optional_extra)
    f.config_len = ch.integer(room + 1, room + 64)
    return f"config_len {f.config_len} with {room} octets of room"


@mutation(
    "xlf-config-no-nul",
    ["XLF-CFG-002"],
    "a JSON config whose last octet is not NUL (the JSON kept whole)",
    tags=("config",),
    when=json_config,
)
def _(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    assert f.config is not None
    f.config = f.config[:-1] + b" "
    return "config ends with a space instead of NUL"


@mutation(
    "xlf-config-not-json",
    ["XLF-CFG-003"],
    "a JSON-flagged config that is not a JSON object",
    tags=("config",),
    when=json_config,
)
def _(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    bad = (b"[1, 2]", b'{"c_info": ', b'name = "x"', json.dumps("x").encode(), b"\xff\xfe")
    f.config = pick(ch, bad) + b"\x00"
    return f"config {f.config!r}"


@mutation(
    "xlf-config-empty",
    ["XLF-CFG-001"],
    "the JSON flag set with config_len 0",
    tags=("config",),
    when=json_config,
)
def _(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    f.config = b""
    f.mandatory_flags = 3
    return "config_len 0"


@mutation(
    "xlf-byte-order-mismatch",
    ["XLF-NEST-002"],
    "xl header words of the other byte order than the libxl stream",
    tags=("nesting", "big-endian", *XLF),
    when=is_xl,
    permits=["XLF-HDR-003"],
)
def _(ch: Chooser, g: Generated) -> str:
    f = xl_of(g)
    f.big_endian = not f.big_endian
    return f"xl header {'big' if f.big_endian else 'little'}-endian"


# --- wrappers ------------------------------------------------------------------------------------


def lv_of(g: Generated) -> LibvirtFile:
    assert isinstance(g.image, LibvirtFile)
    return g.image


def is_lv(g: Generated) -> bool:
    return g.layer == "libvirt"


@mutation(
    "lvf-version",
    ["LVF-HDR-003"],
    "libvirt header version not 1 or 2",
    tags=("libvirt", "version"),
    when=is_lv,
)
def _(ch: Chooser, g: Generated) -> str:
    f = lv_of(g)
    f.version = other_than(ch, [1, 2, 0x01000000, 0x02000000], 3, 0xFFFFFFFF)
    return f"version {f.version}"


@mutation(
    "lvf-unused",
    ["LVF-HDR-005"],
    "a libvirt header unused word not zero",
    tags=("libvirt", "reserved-bits"),
    when=is_lv,
)
def _(ch: Chooser, g: Generated) -> str:
    f = lv_of(g)
    raw = bytearray(40)
    k = ch.integer(0, 39)
    raw[k] = ch.integer(1, 255)
    f.unused = bytes(raw)
    return f"unused octet {k} = {raw[k]:#x}"


@mutation(
    "lvf-xml-no-nul",
    ["LVF-XML-003"],
    "libvirt XML whose last octet is not NUL",
    tags=("libvirt",),
    when=is_lv,
)
def _(ch: Chooser, g: Generated) -> str:
    f = lv_of(g)
    f.xml = f.xml[:-1] + b"\n"
    return "XML ends with a newline instead of NUL"


@mutation(
    "lvf-xml-not-domain",
    ["LVF-XML-004"],
    "libvirt XML that is not a domain document",
    tags=("libvirt",),
    when=is_lv,
)
def _(ch: Chooser, g: Generated) -> str:
    f = lv_of(g)
    bad = (b"<network/>", b"<domain>", b"not xml at all", b"<domain/>\x00<x/>")
    f.xml = pick(ch, bad) + b"\x00"
    return f"XML {f.xml!r}"


@mutation(
    "lvf-trailing",
    ["LVF-STR-004"],
    "octets after the libxl END of a libvirt file",
    tags=("libvirt", "trailing-data"),
    when=is_lv,
)
def _(ch: Chooser, g: Generated) -> str:
    lv_of(g).trailer = ch.binary(24) or b"\x00"
    return f"{len(lv_of(g).trailer)} octets after END"


def xapi_of(g: Generated) -> XapiImage:
    assert isinstance(g.image, XapiImage)
    return g.image


def is_xapi(g: Generated) -> bool:
    return g.layer == "xapi"


@mutation(
    "xapi-stream-length",
    ["XAPI-SEC-004"],
    "a LIBXC or END_OF_IMAGE section header with a length other than 0",
    tags=("xapi",),
    when=is_xapi,
    permits=["XAPI-SEC-005"],
)
def _(ch: Chooser, g: Generated) -> str:
    secs = xapi_of(g).sections
    sec = pick(ch, [s for s in secs if s.kind in (0x00F0, 0xFFFF)])
    sec.length = nonzero(ch, 32)
    return f"section {sec.kind:#06x} length {sec.length}"


@mutation(
    "xapi-no-end",
    ["XAPI-END-001"],
    "a XAPI image without END_OF_IMAGE",
    tags=("xapi", "missing-record"),
    when=is_xapi,
)
def _(ch: Chooser, g: Generated) -> str:
    xapi_of(g).sections.pop()
    return "END_OF_IMAGE dropped"


@mutation(
    "xapi-trailing",
    ["XAPI-END-002"],
    "octets after END_OF_IMAGE",
    tags=("xapi", "trailing-data"),
    when=is_xapi,
)
def _(ch: Chooser, g: Generated) -> str:
    xapi_of(g).trailer = ch.binary(24) or b"\x00"
    return f"{len(xapi_of(g).trailer)} octets after END_OF_IMAGE"


@mutation(
    "xapi-qemu-xen",
    ["XAPI-SEC-006"],
    "a QEMU_XEN section, which xenopsd refuses to restore (SHOULD)",
    tags=("xapi",),
    when=is_xapi,
)
def _(ch: Chooser, g: Generated) -> str:
    secs = xapi_of(g).sections
    secs.insert(len(secs) - 1, XapiSection(0x0F01, b"QEVM" + ch.binary(28)))
    return "QEMU_XEN section before END_OF_IMAGE"


# --- more framing: libxl cuts, wrappers' own framing ----------------------------------------------


def _xl_record_offsets(g: Generated) -> tuple[bytes, list[tuple[int, int, int]]]:
    """The bytes of a bare libxl stream and (start, header end, record end) of each
    libxl record after its libxc stream."""
    data = to_bytes(g.image)
    s = g.libxl
    e = ">" if s.header.big_endian else "<"
    spans = []
    off = 16
    for item in s.items:
        if isinstance(item, LibxcStream):
            off += len(to_bytes(item))
            continue
        n = len(encode_record(item, e))
        if item.type != L.LIBXC_CONTEXT:
            spans.append((off, off + 8, off + n))
        off += n
    return data, spans


def bare_xl(g: Generated) -> bool:
    return g.layer == "libxl"


@mutation(
    "xl-cut-in-header",
    ["XL-REC-001"],
    "a bare libxl stream cut inside the header of a libxl record after the libxc stream",
    tags=("truncated", *FRAMING),
    when=bare_xl,
)
def _(ch: Chooser, g: Generated) -> Applied:
    data, spans = _xl_record_offsets(g)
    i = ch.integer(0, len(spans) - 1)
    cut = spans[i][0] + ch.integer(1, 7)
    return Applied(f"cut {cut - spans[i][0]} octets into a libxl record header", data[:cut])


@mutation(
    "xl-cut-in-body",
    ["XL-REC-003"],
    "a bare libxl stream cut inside the body of a libxl record after the libxc stream",
    tags=("truncated", *FRAMING),
    when=lambda g: bare_xl(g) and any(e > h for _, h, e in _xl_record_offsets(g)[1]),
)
def _(ch: Chooser, g: Generated) -> Applied:
    data, spans = _xl_record_offsets(g)
    _, h, e = pick(ch, [s for s in spans if s[2] > s[1]])
    cut = ch.integer(h, e - 1)
    return Applied(f"cut {cut - h} octets into a libxl record's body", data[:cut])


@mutation(
    "xl-optional-first",
    ["XL-CTX-003"],
    "an optional libxl record before LIBXC_CONTEXT (SHOULD be first)",
    tags=("optional-record", "ordering"),
    when=libxl_in,
    permits=["XL-REC-006"],
)
def _(ch: Chooser, g: Generated) -> str:
    rtype = OPTIONAL | ch.integer(0, 0x7FFFFFFF)
    g.libxl.items.insert(0, Record(rtype, ch.binary(16)))
    return f"optional libxl record {rtype:#x} first"


@mutation(
    "xl-libxc-missing",
    ["XL-NEST-001"],
    "LIBXC_CONTEXT followed by something other than a libxc image header (its marker "
    "and id both damaged)",
    tags=("nesting",),
    when=libxl_in,
)
def _(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    h.marker = other_than(ch, [2**64 - 1], 0, 2**64 - 1)
    h.ident = other_than(ch, [0x58454E46], 0, 0xFFFFFFFF)
    return f"marker {h.marker:#x}, id {h.ident:#x}"


_CKS_DEFECTS = ("none", "short", "long-zero", "long-nonzero", "back-channel", "unknown")


@mutation(
    "xl-checkpoint-state-stray",
    ["XL-CKS-005"],
    "a CHECKPOINT_STATE not directly after a CHECKPOINT_END, perhaps with a defect of "
    "its own (short, long, a back-channel or unknown control_id)",
    tags=("colo",),
    when=libxl_in,
    sometimes=["XL-CKS-001", "XL-CKS-002", "XL-CKS-003", "XL-CKS-004", "XL-CKS-006"],
)
def _(ch: Chooser, g: Generated) -> Applied:
    defect = _CKS_DEFECTS[ch.integer(0, len(_CKS_DEFECTS) - 1)]
    e = "<" if not g.libxl.header.big_endian else ">"
    control, extra = 0, b""
    more: tuple[str, ...] = ()
    if defect == "back-channel":
        control, more = ch.integer(1, 3), ("XL-CKS-004",)
    elif defect == "unknown":
        control, more = ch.integer(4, 0xFFFFFFFF), ("XL-CKS-003",)
    body = struct.pack(f"{e}I", control)
    if defect == "short":
        body, more = body[: ch.integer(0, 3)], ("XL-CKS-001",)
    elif defect == "long-zero":
        extra, more = bytes(ch.integer(1, 12)), ("XL-CKS-002",)
    elif defect == "long-nonzero":
        n = ch.integer(1, 12)
        extra = bytes(n - 1) + bytes([ch.integer(1, 255)])
        more = ("XL-CKS-002", "XL-CKS-006")
    at = _insert_xl(ch, g, Record(L.CHECKPOINT_STATE, body + extra))
    return Applied(f"CHECKPOINT_STATE ({defect}) as libxl item #{at}", breaks=more)


@mutation(
    "lvf-magic",
    ["LVF-HDR-001"],
    "libvirt magic damaged after its first 11 octets",
    tags=("libvirt", "magic"),
    when=is_lv,
)
def _(ch: Chooser, g: Generated) -> str:
    f = lv_of(g)
    raw = bytearray(f.magic)
    k = ch.integer(11, 15)
    raw[k] ^= ch.integer(1, 255)
    f.magic = bytes(raw)
    return f"magic octet {k} = {raw[k]:#x}"


@mutation(
    "lvf-byte-order-mismatch",
    ["LVF-STR-003"],
    "libvirt header words big-endian over a little-endian libxl stream",
    tags=("libvirt", "big-endian"),
    when=is_lv,
    permits=["LVF-HDR-004"],
)
def _(ch: Chooser, g: Generated) -> str:
    lv_of(g).big_endian = True
    return "libvirt header big-endian"


@mutation(
    "lvf-cut-in-header",
    ["LVF-HDR-002"],
    "a libvirt file cut inside its 64-octet header, after the magic",
    tags=("libvirt", "truncated"),
    when=is_lv,
)
def _(ch: Chooser, g: Generated) -> Applied:
    cut = ch.integer(16, 63)
    return Applied(f"cut at octet {cut}", to_bytes(g.image)[:cut])


@mutation(
    "lvf-xml-beyond-file",
    ["LVF-XML-002"],
    "libvirt xml_len larger than the rest of the file",
    tags=("libvirt", "declared-only"),
    when=is_lv,
)
def _(ch: Chooser, g: Generated) -> str:
    f = lv_of(g)
    rest = len(to_bytes(g.image)) - 64
    f.xml_len = ch.integer(rest + 1, 0xFFFFFFFF)
    return f"xml_len {f.xml_len} with {rest} octets left"


def is_xapi_hvm(g: Generated) -> bool:
    return is_xapi(g) and is_hvm(g)


@mutation(
    "xapi-signature",
    ["XAPI-HDR-001"],
    "XAPI signature damaged after its first 13 octets",
    tags=("xapi", "magic"),
    when=is_xapi,
)
def _(ch: Chooser, g: Generated) -> str:
    x = xapi_of(g)
    raw = bytearray(x.magic)
    k = ch.integer(13, 14)
    raw[k] ^= ch.integer(1, 255)
    x.magic = bytes(raw)
    return f"signature octet {k} = {raw[k]:#x}"


def _xapi_spans(g: Generated) -> tuple[bytes, list[tuple[int, int, int, int]]]:
    """The image's bytes and (kind, start, header end, body end) of each section; a
    stream section's body is its stream."""
    data = to_bytes(g.image)
    x = xapi_of(g)
    off = len(x.magic)
    spans = []
    for sec in x.sections:
        body = sec.body if isinstance(sec.body, bytes) else to_bytes(sec.body)
        spans.append((sec.kind, off, off + 16, off + 16 + len(body)))
        off += 16 + len(body)
    return data, spans


@mutation(
    "xapi-cut-in-section-header",
    ["XAPI-SEC-001"],
    "a XAPI image cut inside a section header",
    tags=("xapi", "truncated"),
    when=is_xapi,
)
def _(ch: Chooser, g: Generated) -> Applied:
    data, spans = _xapi_spans(g)
    kind, start, _, _ = pick(ch, spans)
    cut = start + ch.integer(1, 15)
    return Applied(f"cut {cut - start} octets into section {kind:#06x}'s header", data[:cut])


@mutation(
    "xapi-cut-in-section-body",
    ["XAPI-SEC-003"],
    "a XAPI image cut inside the body of a length-framed section",
    tags=("xapi", "truncated"),
    when=is_xapi,
)
def _(ch: Chooser, g: Generated) -> Applied:
    data, spans = _xapi_spans(g)
    framed = [s for s in spans if s[0] in (0x000F, 0x0F00, 0x0F01, 0x0F11) and s[3] > s[2]]
    kind, _, h, e = pick(ch, framed)
    cut = ch.integer(h, e - 1)
    return Applied(f"cut {cut - h} octets into section {kind:#06x}'s body", data[:cut])


@mutation(
    "xapi-libxc-missing",
    ["XAPI-STR-001"],
    "a LIBXC section followed by something other than a libxc image header",
    tags=("xapi", "nesting"),
    when=is_xapi,
)
def _(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    h.marker = other_than(ch, [2**64 - 1], 0, 2**64 - 1)
    h.ident = other_than(ch, [0x58454E46], 0, 0xFFFFFFFF)
    return f"marker {h.marker:#x}, id {h.ident:#x}"


@mutation(
    "xapi-no-memory",
    ["XAPI-STR-002"],
    "a XAPI image without its LIBXC section",
    tags=("xapi", "missing-record"),
    when=is_xapi,
)
def _(ch: Chooser, g: Generated) -> str:
    x = xapi_of(g)
    x.sections = [s for s in x.sections if s.kind != 0x00F0]
    return "LIBXC section dropped"


@mutation(
    "xlf-cut-in-optional-data",
    ["XLF-OPT-001"],
    "an xl file cut inside its optional data",
    tags=("optional-data", "truncated"),
    when=lambda g: is_xl(g) and xl_of(g).config is not None,
)
def _(ch: Chooser, g: Generated) -> Applied:
    f = xl_of(g)
    assert f.config is not None
    n = 4 + len(f.config) + len(f.optional_extra)
    cut = 48 + ch.integer(0, n - 1)
    return Applied(
        f"cut {cut - 48} octets into {n} octets of optional data", to_bytes(g.image)[:cut]
    )


@mutation(
    "xc-domain-type",
    ["XC-DOM-001"],
    "domain header type neither 1 (x86 PV) nor 2 (x86 HVM)",
    tags=XC_HDR,
)
def _(ch: Chooser, g: Generated) -> str:
    h = g.libxc.domain_header
    assert h is not None
    h.type = other_than(ch, [1, 2], 0, 0xFFFFFFFF)
    return f"type {h.type:#x}"


@mutation(
    "xc-pvi-width",
    ["XC-PVI-002"],
    "X86_PV_INFO guest_width neither 4 nor 8",
    tags=PVI,
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    _, pvi = _pvi(g)
    pvi.guest_width = other_than(ch, [4, 8], 0, 255)
    return f"guest_width {pvi.guest_width}"


@mutation(
    "xc-p2m-drop",
    ["XC-P2M-004", "XC-ORD-002"],
    "a PV stream without X86_PV_P2M_FRAMES (so none precedes the first PAGE_DATA)",
    tags=("missing-record", *P2M),
    when=is_pv,
)
def _(ch: Chooser, g: Generated) -> str:
    i, _ = _p2m(g)
    del xc_recs(g)[i]
    return f"record #{i} dropped"


@mutation(
    "xc-dirty-pfn-list-length",
    ["XC-DIRTY-001", "XC-DIRTY-002"],
    "a CHECKPOINT_DIRTY_PFN_LIST whose body is not a multiple of 8",
    tags=("dirty-pfn-list", "off-by-one"),
)
def _(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    first = where(recs, X.STATIC_DATA_END)[0] + 1 if v3(g) else 0
    n = ch.integer(1, 30)
    n += n % 8 == 0
    at = insert_before_end(ch, recs, Record(X.CHECKPOINT_DIRTY_PFN_LIST, bytes(n)), first)
    return f"record #{at} of {n} octets"


@mutation(
    "lvf-xml-empty",
    ["LVF-XML-001"],
    "a libvirt file with no XML (xml_len 0, the libxl stream right after the header)",
    tags=("libvirt",),
    when=is_lv,
)
def _(ch: Chooser, g: Generated) -> str:
    lv_of(g).xml = b""
    return "xml_len 0"


@mutation(
    "xapi-section-unknown",
    ["XAPI-SEC-002"],
    "a XAPI section of a type xenopsd does not define, before END_OF_IMAGE",
    tags=("xapi", "unknown-record"),
    when=is_xapi,
)
def _(ch: Chooser, g: Generated) -> str:
    secs = xapi_of(g).sections
    known = (0x000F, 0x00F0, 0x00F1, 0x00F2, 0x0F00, 0x0F01, 0x0F10, 0x0F11, 0xFFFF)
    kind = other_than(ch, known, 0, 0xFFFF)
    secs.insert(len(secs) - 1, XapiSection(kind, ch.binary(16)))
    return f"section {kind:#06x}"
