"""What libxenguest's PV restorer refuses in X86_PV_P2M_FRAMES and PAGE_DATA records
(tools/libs/guest/xg_sr_restore_x86_pv.c, formerly tools/libxc/xc_sr_restore_x86_pv.c,
and xg_sr_restore.c), as pure functions over record bodies and a small per-stream state.

The restorer's ``max_pfn`` is the highest ``p2m_end_pfn`` of the X86_PV_P2M_FRAMES
records so far (``expand_p2m`` only grows it). A PAGE_DATA pfn above it is refused
(``x86_pv_pfn_is_valid``, XC-PAGE-008); a present entry of a page-table page above it
cannot be localised (``x86_pv_localise_page``, XC-PAGE-009). When the stream completes,
the restorer rewrites the guest's P2M through the frame list (``update_guest_p2m``,
XC-P2M-005) and the start-info page's XenStore and console frames
(``process_start_info``, PV-SIF-002).

The caller (the checker) passes bodies that passed the record's own framing rules, and
gets problems with offsets relative to the body. Memory: the frame list (one word per
P2M frame, 1/512 of the pfns) and one octet per pfn for the start-info fields, both only
up to ``limit`` pfns, the same bound as the checker's page-type table.
"""

from __future__ import annotations

import struct
import sys
from array import array
from dataclasses import dataclass, field
from typing import Literal

from .pv_context import Problem

#: A P2M frame list slot no X86_PV_P2M_FRAMES record has filled.
NO_FRAME = (1 << 64) - 1
#: Bits 12-51 of a page-table entry: the frame (PTE_FRAME_MASK of
#: xg_sr_common_x86_pv.h); bit 0 is _PAGE_PRESENT.
PTE_FRAME_MASK = 0x000FFFFFFFFFF000
PTE_PRESENT = 1
PAGE_SIZE = 4096
#: Offsets of ``store_mfn`` and ``console.domU.mfn`` in Xen's ``start_info``
#: (xen/include/public/xen.h) per guest width: after magic[32], nr_pages, shared_info
#: (words) and flags (u32), each field a guest word aligned to its size.
START_INFO_FIELDS = {4: (44, 52), 8: (56, 72)}
_HIGH_NIBBLE = bytes(b >> 4 for b in range(256))
_LOW_NIBBLE = bytes(b & 0x0F for b in range(256))
_HAS_DATA = bytes(1 if t <= 4 or 9 <= t <= 12 else 0 for t in range(256))
_IS_TABLE = bytes(1 if 1 <= t <= 4 or 9 <= t <= 12 else 0 for t in range(256))
_NATIVE = "<" if sys.byteorder == "little" else ">"


@dataclass
class PvRestoreState:
    """What the PV restorer knows about one stream, as far as these rules need."""

    width: int
    limit: int = 1 << 32
    max_pfn: int = -1  # -1: no X86_PV_P2M_FRAMES record yet
    #: The P2M frame list: for each frame index, the pfn the last record gave it.
    frames: array[int] = field(default_factory=lambda: array("Q"))
    #: Where frames came from: (tag, first frame index, how many, body offset of the
    #: first), one per record.
    frame_records: list[tuple[object, int, int, int]] = field(default_factory=list)
    #: Per pfn, as last sent with contents: bit 0 store_mfn, bit 1 console.domU.mfn
    #: above max_pfn (of that moment). Cleared when max_pfn grows (no stale errors).
    start_info_flags: bytearray = field(default_factory=bytearray)
    flagged: bool = False

    @property
    def fpp(self) -> int:
        return PAGE_SIZE // self.width


def p2m_frames(state: PvRestoreState, body: bytes, endian: str, tag: object = None) -> None:
    """Take one X86_PV_P2M_FRAMES body that passed XC-P2M-001 to -003: grow
    ``max_pfn`` (``expand_p2m``) and store the frame list entries it carries
    (``handle_x86_pv_p2m_frames``)."""
    start, end = struct.unpack_from(endian + "II", body)
    if end > state.max_pfn:
        state.max_pfn = end
        if state.flagged:  # judged against a smaller max_pfn: no longer telling
            state.start_info_flags = bytearray(len(state.start_info_flags))
            state.flagged = False
    if end >= state.limit:
        return
    first = start // state.fpp
    n = end // state.fpp - first + 1
    need = end // state.fpp + 1
    if len(state.frames) < need:
        state.frames.extend([NO_FRAME] * (need - len(state.frames)))
    values = array("Q", body[8 : 8 + 8 * n])
    if endian != _NATIVE:
        values.byteswap()
    state.frames[first : first + n] = values
    state.frame_records.append((tag, first, n, 8))
    if len(state.start_info_flags) <= end:
        state.start_info_flags.extend(bytes(end + 1 - len(state.start_info_flags)))


def page_data(
    state: PvRestoreState, body: bytes, endian: str, pages: bytes | None = None
) -> list[Problem]:
    """Problems of one PAGE_DATA record that passed XC-PAGE-001 to -006: XC-PAGE-008 (a
    pfn above ``max_pfn``; the restorer stops there) and XC-PAGE-009 (a present entry
    of a page-table page naming a pfn above ``max_pfn``). Also notes, for every page
    with contents, whether its start-info fields are in range (PV-SIF-002).

    ``body`` is the record body up to the end of the pfn array or the whole body;
    ``pages`` the page contents when ``body`` stops before them (None and a short
    body: not known, only XC-PAGE-008 is judged). Offsets are from the body's start."""
    if state.max_pfn < 0:
        return []  # no X86_PV_P2M_FRAMES yet: XC-ORD-002's business
    (count,) = struct.unpack_from(endian + "I", body)
    raw = array("Q", body[8 : 8 + 8 * count])
    if endian != _NATIVE:
        raw.byteswap()
    pfns = array("Q", raw.tobytes())  # bits 0-51 of each entry, at C speed:
    top = 7 if _NATIVE == "<" else 0
    mv = memoryview(pfns).cast("B")
    mv[top::8] = bytes(count)
    mv[top - 1 if top else 1 :: 8] = bytes(mv[top - 1 if top else 1 :: 8]).translate(_LOW_NIBBLE)
    types = bytes(memoryview(raw).cast("B")[top::8]).translate(_HIGH_NIBBLE)
    limit = state.max_pfn
    out: list[Problem] = []
    if count and max(pfns) > limit:
        over = [i for i, pfn in enumerate(pfns) if pfn > limit]
        i = over[0]
        more = f" (and {len(over) - 1} more)" if len(over) > 1 else ""
        out.append(
            Problem(
                "XC-PAGE-008",
                8 + 8 * i,
                f"pfn[{i}] {pfns[i]:#x} is above max_pfn {limit:#x}, the highest "
                f"p2m_end_pfn so far{more}",
            )
        )
        return out
    base = 8 + 8 * count
    contents = memoryview(pages if pages is not None else body)[0 if pages is not None else base :]
    if not contents:
        return out  # no contents, or none given
    # contents follow types 0-4 and 9-12 (XC-PAGE-006); tables are 1-4 and 9-12
    if types.translate(_HAS_DATA).count(1) == count:
        data_pfns = pfns.tolist()
    else:
        data_pfns = [pfn for pfn, t in zip(pfns, types, strict=True) if _HAS_DATA[t]]
    if types.translate(_IS_TABLE).count(1):
        k = 0
        for pfn, ptype in zip(pfns, types, strict=True):
            if _IS_TABLE[ptype]:
                found = _pte_problem(contents, PAGE_SIZE * k, ptype, pfn, limit)
                if found:
                    out.append(found._replace(offset=base + found.offset))
                    break
            k += _HAS_DATA[ptype]
    _note_start_info(state, contents, data_pfns)
    return out


def _pte_problem(contents: memoryview, at: int, ptype: int, pfn: int, limit: int) -> Problem | None:
    """XC-PAGE-009 in one page-table page: its first present entry above ``limit``
    (offset from ``contents``). Page contents are guest memory, little-endian whatever
    the stream's byte order."""
    ptes = struct.unpack_from("<512Q", contents, at)
    for j, pte in enumerate(ptes):
        if pte & PTE_PRESENT and (pte & PTE_FRAME_MASK) >> 12 > limit:
            return Problem(
                "XC-PAGE-009",
                at + 8 * j,
                f"entry {j} of the L{ptype & 7} page table at pfn {pfn:#x} is present "
                f"({pte:#018x}) and names pfn {(pte & PTE_FRAME_MASK) >> 12:#x}, above "
                f"max_pfn {limit:#x}",
            )
    return None


def _note_start_info(state: PvRestoreState, contents: memoryview, pfns: list[int]) -> None:
    """Per page, whether its store_mfn / console.domU.mfn would be out of range were it
    the start-info page: at C speed for the fields, per page only when needed. Page
    contents are guest memory, little-endian whatever the stream's byte order."""
    if not pfns:
        return
    w, m = state.width, state.max_pfn
    store_at, console_at = START_INFO_FIELDS[w]
    code: Literal["I", "Q"] = "I" if w == 4 else "Q"
    size = PAGE_SIZE * len(pfns)
    if _NATIVE == "<":
        words = contents[:size].cast(code)
    else:
        swapped = array(code, contents[:size])
        swapped.byteswap()
        words = memoryview(swapped)
    per_page = PAGE_SIZE // w
    stores = words[store_at // w :: per_page]
    consoles = words[console_at // w :: per_page]
    if not state.flagged and max(stores) <= m and max(consoles) <= m:
        return
    flags = state.start_info_flags
    bad_store = bytes(map(m.__lt__, stores))
    bad_console = bytes(map(m.__lt__, consoles))
    both = (
        int.from_bytes(bad_store, "little") | int.from_bytes(bad_console, "little") << 1
    ).to_bytes(len(pfns), "little")
    first, n = pfns[0], len(pfns)
    if first + n <= len(flags) and pfns == list(range(first, first + n)):
        flags[first : first + n] = both
    else:
        for pfn, value in zip(pfns, both, strict=True):
            if pfn < len(flags):
                flags[pfn] = value
    if any(both):
        state.flagged = True


def start_info_problem(state: PvRestoreState, pfn: int) -> str | None:
    """PV-SIF-002 for the start-info page at ``pfn``: what is out of range in it as last
    sent (None: nothing, or nothing known)."""
    if not 0 <= pfn < len(state.start_info_flags):
        return None
    value = state.start_info_flags[pfn]
    names = [n for bit, n in ((1, "store_mfn"), (2, "console.domU.mfn")) if value & bit]
    if not names:
        return None
    what = " and ".join(names)
    return (
        f"the start-info page (pfn {pfn:#x}) as last sent has {what} above max_pfn "
        f"{state.max_pfn:#x}"
    )


def frame_list_problem(
    state: PvRestoreState, page_types: bytearray | None
) -> tuple[object, int, str] | None:
    """XC-P2M-005 when the stream completes: the first entry of the P2M frame list that
    is unfilled, above ``max_pfn`` or not a page last sent as NOTAB (``page_types``: the
    checker's table of last page types, 0xff never sent). Returns (tag of the record
    that gave the entry, offset in its body, message), or None."""
    if state.max_pfn < 0 or state.max_pfn >= state.limit or page_types is None:
        return None
    need = state.max_pfn // state.fpp + 1
    bad: list[tuple[int, str]] = []
    for i in range(need):
        pfn = state.frames[i] if i < len(state.frames) else NO_FRAME
        if pfn == NO_FRAME:
            why = "was never given a frame by an X86_PV_P2M_FRAMES record"
        elif pfn > state.max_pfn:
            why = f"is pfn {pfn:#x}, above max_pfn {state.max_pfn:#x}"
        elif pfn >= len(page_types) or page_types[pfn] == 0xFF:
            why = f"is pfn {pfn:#x}, never sent in PAGE_DATA"
        elif page_types[pfn] != 0:
            why = f"is pfn {pfn:#x}, last sent with page type {page_types[pfn]:#x}, not NOTAB"
        else:
            continue
        bad.append((i, why))
    if not bad:
        return None
    i, why = bad[0]
    more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
    message = f"P2M frame list entry {i} {why}{more}"
    for tag, first, n, at in reversed(state.frame_records):
        if first <= i < first + n:
            return tag, at + 8 * (i - first), message
    return None, 0, message
