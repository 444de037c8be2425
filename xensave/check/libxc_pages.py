"""``spec/libxc-stream.md``, PAGE_DATA: the ``XC-PAGE-`` rules and PAGE_DATA's place
in a PV stream's order; for a PV guest, the page type each pfn was last sent with
(what :mod:`.pv_context` judges the vCPU contexts' frames by).

Speed: this is the hot path of a large image. A pfn array is judged with bytes
slicing and ``translate`` and only walked entry by entry once a violation is known
to be there; the page types of a batch of consecutive pfns are stored at C speed.
"""

from __future__ import annotations

import struct
import sys

from .. import pv_records
from ..constants import DomainType
from ..reader import PAGES_KEEP_MAX, RecordEvent, data_pfn_count
from .emit import MAX_NAMED, CheckState, XcState, named
from .libxc_static import static_point

CHECKS: dict[str, str] = {
    "XC-PAGE-001": "PAGE_DATA: body_length >= 8",
    "XC-PAGE-002": "PAGE_DATA: count >= 1",
    "XC-PAGE-003": "PAGE_DATA: reserved word zero",
    "XC-PAGE-004": "PAGE_DATA: pfn bits 52-59 zero (vectorised)",
    "XC-PAGE-005": "PAGE_DATA: no reserved page type 5-8 (vectorised)",
    "XC-PAGE-006": "PAGE_DATA: body_length == 8 + 8*count + page_size*N",
    "XC-ORD-002": "PV: X86_PV_P2M_FRAMES before the first PAGE_DATA",
    "XC-ORD-005": "PV: no PAGE_DATA after a vCPU record in one section (warning)",
    "XC-PAGE-008": "PV PAGE_DATA: pfn <= max_pfn",
    "XC-PAGE-009": "PV PAGE_DATA: present PTEs of page tables name pfns <= max_pfn",
}

#: Top byte of a LE pfn entry (bits 56-63) that is fine: bits 56-59 clear, type not 5-8.
_GOOD_TOP = bytes(b for b in range(256) if not b & 0x0F and not 5 <= b >> 4 <= 8)
#: Byte of bits 48-55 that is fine: bits 52-55 clear.
_GOOD_SECOND = bytes(range(16))
_HIGH_NIBBLE = bytes(b >> 4 for b in range(256))
_LOW_NIBBLE = bytes(b & 0x0F for b in range(256))

#: The most pfns the checker keeps a page type for (16 TiB of 4 KiB pages).
PFN_TABLE_LIMIT = 1 << 32


def page_data(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    if not xc.sde_seen:
        static_point(c, xc, ev)
    if xc.guest == DomainType.X86_PV:
        if not xc.p2m:
            c.emit_once(
                "XC-ORD-002",
                ev.offset,
                "libxc",
                "PAGE_DATA before the first X86_PV_P2M_FRAMES",
                ev,
            )
        if xc.vcpu_in_section:
            c.emit_once(
                "XC-ORD-005",
                ev.offset,
                "libxc",
                "PAGE_DATA after a vCPU record in the same checkpoint section",
                ev,
            )
    xc.page = True
    length = ev.length
    if length < 8:
        c.emit(
            "XC-PAGE-001",
            ev.offset + 4,
            "libxc",
            f"body_length {length} is too short for count and reserved",
            ev,
        )
        xc.pfn_types = None  # the restorer stops here: no telling what it holds
        return
    body = ev.body
    e = ev.endian
    base = ev.body_offset
    count, reserved = struct.unpack_from(e + "II", body)
    if count == 0:
        c.emit("XC-PAGE-002", base, "libxc", "count is 0", ev)
        xc.pfn_types = None
    if reserved:
        c.emit("XC-PAGE-003", base + 4, "libxc", f"reserved is {reserved:#010x}, not 0", ev)
    entries = body[8:]
    # A pfn array over the reader's PFN_KEEP_MAX arrives as a prefix with the whole
    # array's counts (memory must not follow the count field): reserved bits and types
    # are judged on the prefix, the length on the counts.
    complete = ev.body_complete
    n = len(entries) >> 3 if complete else ev.pfn_entries
    if e == "<":
        top, second = entries[7::8], entries[6::8]
    else:
        top, second = entries[0::8], entries[1::8]
    bad = top.translate(None, _GOOD_TOP) or second.translate(None, _GOOD_SECOND)
    if bad and pfn_violations(c, ev, entries, n, base + 8):
        xc.pfn_types = None  # a reserved type: the restorer stops here
    if count > n:
        c.emit(
            "XC-PAGE-006",
            ev.offset + 4,
            "libxc",
            f"body_length {length} is too short for count {count}: the pfn array alone "
            f"needs {8 + 8 * count}",
            ev,
        )
        xc.pfn_types = None
        return
    # reserved types count as sending none
    with_data = data_pfn_count(entries, e) if complete else ev.data_entries
    expected = 8 + 8 * count + xc.page_size * with_data
    if with_data < 0:
        xc.pfn_types = None  # over REC_LENGTH_MAX (XC-REC-008): not counted, refused anyway
    elif length != expected:
        c.emit(
            "XC-PAGE-006",
            ev.offset + 4,
            "libxc",
            f"body_length is {length}, expected {expected} = 8 + 8*{count} pfns + "
            f"{xc.page_size}*{with_data} pages with data",
            ev,
        )
        xc.pfn_types = None
    elif not complete:
        xc.pfn_types = None  # types beyond the prefix unknown: no telling what it holds
    else:
        found = (
            pv_records.page_data(xc.pv, body, e, ev.pages, *_page_reader(c, ev))
            if xc.pv is not None
            else []
        )
        for p in found:
            c.emit(p.rule, base + p.offset, "libxc", p.message, ev)
        if any(p.rule == "XC-PAGE-008" for p in found):
            xc.pfn_types = None  # the restorer stops here
        elif xc.pfn_types is not None:
            # A record the restorer accepts: its pfns now have these types.
            note_pfn_types(xc.pfn_types, body, e)


def _page_reader(c: CheckState, ev: RecordEvent) -> tuple[pv_records.PageReader | None, int]:
    """How pv_records reads this record's page contents itself: from the image at the
    offset they start at, when the checker reads a file (no contents came with the
    event). Records longer than the reader would hand over are left unread, as when the
    contents come with the events."""
    if c.page_reader is None or ev.pages is not None or ev.page_bytes > PAGES_KEEP_MAX:
        return None, 0
    return c.page_reader, ev.body_offset + len(ev.body)


def new_section(xc: XcState) -> None:
    """A CHECKPOINT starts a section: PAGE_DATA may follow vCPU records again."""
    xc.vcpu_in_section = False
    xc.once.discard("XC-ORD-005")


def pfn_violations(c: CheckState, ev: RecordEvent, entries: bytes, n: int, base: int) -> int:
    """Name the entries with reserved bits or types (slow path, only on a violation);
    return how many have a reserved type."""
    e = ev.endian
    bad_bits: list[int] = []
    bad_types: list[int] = []
    for i, (entry,) in enumerate(struct.iter_unpack(e + "Q", entries[: n * 8])):
        if entry & 0x0FF0_0000_0000_0000:
            bad_bits.append(i)
        if 5 <= entry >> 60 <= 8:
            bad_types.append(i)
    if bad_bits:
        i = bad_bits[0]
        bits = (struct.unpack_from(e + "Q", entries, i * 8)[0] >> 52) & 0xFF
        c.emit(
            "XC-PAGE-004",
            base + 8 * i,
            "libxc",
            f"{named(bad_bits[:MAX_NAMED], len(bad_bits), 'pfn')} "
            f"{'has' if len(bad_bits) == 1 else 'have'} reserved bits 52-59 set "
            f"(pfn[{i}]: {bits:#04x})",
            ev,
        )
    if bad_types:
        i = bad_types[0]
        ptype = struct.unpack_from(e + "Q", entries, i * 8)[0] >> 60
        c.emit(
            "XC-PAGE-005",
            base + 8 * i,
            "libxc",
            f"{named(bad_types[:MAX_NAMED], len(bad_types), 'pfn')} "
            f"{'has' if len(bad_types) == 1 else 'have'} a reserved page type "
            f"(pfn[{i}]: {ptype:#x})",
            ev,
        )
    return len(bad_types)


def note_pfn_types(table: bytearray, body: bytes, endian: str) -> None:
    """Record the page type of every pfn entry of a PAGE_DATA body in ``table``: at C
    speed for a batch of consecutive pfns (what Xen's saver sends), else entry by entry."""
    (count,) = struct.unpack_from(endian + "I", body)
    n = min(count, (len(body) - 8) >> 3)
    if not n:
        return
    raw = bytearray(body[8 : 8 + 8 * n])
    top, second = (7, 6) if endian == "<" else (0, 1)
    types = bytes(raw[top::8]).translate(_HIGH_NIBBLE)
    raw[top::8] = bytes(n)  # clear bits 52-63, leaving the pfn
    raw[second::8] = raw[second::8].translate(_LOW_NIBBLE)
    from array import array  # PV only: array loads collections, not needed for HVM

    pfns = array("Q", raw)
    if (endian == "<") != (sys.byteorder == "little"):
        pfns.byteswap()
    first, limit = pfns[0], len(table)
    if first + n <= limit and pfns.tobytes() == array("Q", range(first, first + n)).tobytes():
        table[first : first + n] = types
        return
    for pfn, ptype in zip(pfns, types, strict=True):
        if pfn < limit:
            table[pfn] = ptype
