"""What libxenguest's PV restorer refuses in X86_PV_P2M_FRAMES and PAGE_DATA records
(tools/libs/guest/xg_sr_restore_x86_pv.c, formerly tools/libxc/xc_sr_restore_x86_pv.c,
and xg_sr_restore.c), as pure functions over record bodies and a small per-stream state.

The restorer's ``max_pfn`` is the highest ``p2m_end_pfn`` of the X86_PV_P2M_FRAMES
records so far (``expand_p2m`` only grows it). A PAGE_DATA pfn above it is refused
(``x86_pv_pfn_is_valid``, XC-PAGE-008); a present entry of a page-table page above it
cannot be localised (``x86_pv_localise_page``, XC-PAGE-009). When the stream completes,
the restorer rewrites the guest's P2M through the frame list (``update_guest_p2m``,
XC-P2M-005) and the start-info page's XenStore and console frames, which must be pfns
it has populated (``process_start_info``, PV-SIF-002).

The caller (the checker) passes bodies that passed the record's own framing rules, and
gets problems with offsets relative to the body. Memory: the frame list (one word per
P2M frame, 1/512 of the pfns, up to ``limit`` pfns, the same bound as the checker's
page-type table) and, for the start-info fields, two guest words per pfn sent with
contents, held in blocks of 512 pfns that exist only where pages came: never more
than twice the page contents read.

Reading: when the caller can read the image at an offset (``PageReader``), only the
pages these rules look at are read: the page-table pages of each record (XC-PAGE-009)
and, when the stream ends, the one start-info page a vCPU names (PV-SIF-002, found by
the offset its pfn's contents were last sent at). Otherwise (a pipe) the caller hands
every record's page contents over and the start-info words of every page are kept.
"""

from __future__ import annotations

import struct
import sys

from ._slots import Struct, field
from .pv_context import Problem

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from array import array
    from collections.abc import Callable, Iterable
    from typing import Literal, TypeAlias

    #: Reads ``n`` octets of the image at an offset (``os.pread`` on its descriptor).
    PageReader: TypeAlias = Callable[[int, int], bytes]


def _array(code: str, init: Iterable[int] | bytes = ()) -> array[int]:
    """``array.array``, imported on first use: ``array`` imports ``collections`` (a tenth
    of a verify's start-up), which an image without a PV guest never needs."""
    from array import array

    return array(code, init)


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


class PvRestoreState(Struct):
    """What the PV restorer knows about one stream, as far as these rules need."""

    width: int
    limit: int = 1 << 32
    max_pfn: int = -1  # -1: no X86_PV_P2M_FRAMES record yet
    #: The P2M frame list: for each frame index, the pfn the last record gave it.
    frames: array[int] = field(default_factory=lambda: _array("Q"))
    #: Where frames came from: (tag, first frame index, how many, body offset of the
    #: first), one per record.
    frame_records: list[tuple[object, int, int, int]] = field(default_factory=list)
    #: Per pfn, as last sent with contents: the words at store_mfn and
    #: console.domU.mfn, were it the start-info page (judged when the stream ends,
    #: against the max_pfn of then, as process_start_info does).
    start_info_words: PfnWords = field(default_factory=lambda: PfnWords())
    #: With a ``PageReader``: per pfn, the image offset its contents were last sent
    #: at (0: never, or not known), read for the start-info words when the stream ends.
    contents_at: PfnWords = field(default_factory=lambda: PfnWords())
    read: PageReader | None = None

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
    if end >= state.limit:
        return
    first = start // state.fpp
    n = end // state.fpp - first + 1
    need = end // state.fpp + 1
    if len(state.frames) < need:
        state.frames.extend([NO_FRAME] * (need - len(state.frames)))
    from array import array  # PV only: array loads collections, not needed for HVM

    values = array("Q", body[8 : 8 + 8 * n])
    if endian != _NATIVE:
        values.byteswap()
    state.frames[first : first + n] = values
    state.frame_records.append((tag, first, n, 8))


def page_data(
    state: PvRestoreState,
    body: bytes,
    endian: str,
    pages: bytes | None = None,
    read: PageReader | None = None,
    at: int = 0,
) -> list[Problem]:
    """Problems of one PAGE_DATA record that passed XC-PAGE-001 to -006: XC-PAGE-008 (a
    pfn above ``max_pfn``; the restorer stops there) and XC-PAGE-009 (a present entry
    of a page-table page naming a pfn above ``max_pfn``). Also notes, for every page
    with contents, whether its start-info fields are in range (PV-SIF-002).

    ``body`` is the record body up to the end of the pfn array or the whole body;
    ``pages`` the page contents when ``body`` stops before them. Neither: with ``read``
    the contents are in the image from offset ``at`` and only the page tables are read
    (the start-info page later, by :func:`start_info_problem`); without, they are not
    known and only XC-PAGE-008 is judged. Offsets are from the body's start."""
    if state.max_pfn < 0:
        return []  # no X86_PV_P2M_FRAMES yet: XC-ORD-002's business
    from array import array  # PV only (see _array)

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
    if not contents and (read is None or pages is not None):
        return out  # no contents, or none given
    # contents follow types 0-4 and 9-12 (XC-PAGE-006); tables are 1-4 and 9-12
    if types.translate(_HAS_DATA).count(1) == count:
        data_pfns = pfns.tolist()
    else:
        data_pfns = [pfn for pfn, t in zip(pfns, types, strict=True) if _HAS_DATA[t]]
    if not data_pfns:
        return out
    tables = types.translate(_IS_TABLE)
    all_data = len(data_pfns) == count
    i = tables.find(1)
    while i >= 0:  # the page-table pages only, found at C speed
        # the page's place among those with contents
        k = i if all_data else types[:i].translate(_HAS_DATA).count(1)
        found = _table_problem(contents, read, at, k, types[i], pfns[i], limit)
        if found:
            out.append(found._replace(offset=base + found.offset))
            break
        i = tables.find(1, i + 1)
    if contents:
        _note_start_info(state, contents, data_pfns)
    else:
        state.read = read
        _note_contents_at(state, at, data_pfns)
    return out


def _table_problem(
    contents: memoryview, read: PageReader | None, at: int, k: int, ptype: int, pfn: int, limit: int
) -> Problem | None:
    """XC-PAGE-009 in the ``k``-th page with contents of a record: in ``contents`` when
    given, else read from the image (``at`` is where the record's contents start)."""
    if contents:
        return _pte_problem(contents, PAGE_SIZE * k, ptype, pfn, limit)
    assert read is not None
    page = memoryview(read(at + PAGE_SIZE * k, PAGE_SIZE))
    if len(page) < PAGE_SIZE:
        return None  # the file shrank under us: nothing to judge
    found = _pte_problem(page, 0, ptype, pfn, limit)
    return found._replace(offset=found.offset + PAGE_SIZE * k) if found else None


def _pte_problem(contents: memoryview, at: int, ptype: int, pfn: int, limit: int) -> Problem | None:
    """XC-PAGE-009 in one page-table page: its first present entry above ``limit``
    (offset from ``contents``). Page contents are guest memory, little-endian whatever
    the stream's byte order."""
    page = bytearray(contents[at : at + PAGE_SIZE])
    # bits 52-63 cleared at C speed: when no entry's frame is above the limit, present
    # or not, there is nothing to find entry by entry
    page[7::8] = bytes(PAGE_SIZE // 8)
    page[6::8] = page[6::8].translate(_LOW_NIBBLE)
    from array import array  # PV only (see _array)

    frames = array("Q", page)
    if _NATIVE != "<":
        frames.byteswap()
    if max(frames) >> 12 <= limit:
        return None
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


class PfnWords:
    """Two words per pfn (store_mfn, console.domU.mfn as sent), in blocks of
    :data:`BLOCK` pfns made as pages arrive: a scattered pfn costs one block, never
    an array up to it."""

    BLOCK = 512

    def __init__(self) -> None:
        self.blocks: dict[int, array[int]] = {}

    def put_run(self, first: int, store: array[int], console: array[int]) -> None:
        """pfns ``first``, ``first + 1``, ... get ``store[i]`` and ``console[i]``."""
        n, i = len(store), 0
        while i < n:
            pfn = first + i
            key, at = divmod(pfn, self.BLOCK)
            k = min(n - i, self.BLOCK - at)
            block = self.blocks.get(key)
            if block is None:
                block = self.blocks[key] = _array("Q", [0]) * (2 * self.BLOCK)
            block[2 * at : 2 * (at + k) : 2] = store[i : i + k]
            block[2 * at + 1 : 2 * (at + k) : 2] = console[i : i + k]
            i += k

    def get(self, pfn: int) -> tuple[int, int] | None:
        """(store, console) as last put for ``pfn``; None, or zeros, when never put."""
        key, at = divmod(pfn, self.BLOCK)
        block = self.blocks.get(key)
        return None if block is None else (block[2 * at], block[2 * at + 1])


def _note_start_info(state: PvRestoreState, contents: memoryview, pfns: list[int]) -> None:
    """Keep every page's store_mfn / console.domU.mfn words, were it the start-info
    page: at C speed for a run of consecutive pfns, per pfn otherwise. Page contents
    are guest memory, little-endian whatever the stream's byte order."""
    if not pfns:
        return
    from array import array  # PV only (see _array)

    w = state.width
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
    stores = array("Q", words[store_at // w :: per_page].tolist())
    consoles = array("Q", words[console_at // w :: per_page].tolist())
    first, n = pfns[0], len(pfns)
    if pfns[-1] == first + n - 1 and pfns == list(range(first, first + n)):
        state.start_info_words.put_run(first, stores, consoles)
        return
    for i, pfn in enumerate(pfns):
        state.start_info_words.put_run(pfn, stores[i : i + 1], consoles[i : i + 1])


def _note_contents_at(state: PvRestoreState, at: int, pfns: list[int]) -> None:
    """Keep where each page's contents start in the image (``at`` onwards, one page
    per pfn of ``pfns``): at C speed for a run of consecutive pfns, per pfn otherwise."""
    from array import array  # PV only (see _array)

    first, n = pfns[0], len(pfns)
    where = array("Q", range(at, at + PAGE_SIZE * n, PAGE_SIZE))
    zeros = array("Q", bytes(8 * n))
    if pfns[-1] == first + n - 1 and pfns == list(range(first, first + n)):
        state.contents_at.put_run(first, where, zeros)
        return
    for i, pfn in enumerate(pfns):
        state.contents_at.put_run(pfn, where[i : i + 1], zeros[i : i + 1])


def _start_info_words(state: PvRestoreState, pfn: int) -> tuple[int, int] | None:
    """store_mfn and console.domU.mfn of the page last sent for ``pfn``, were it the
    start-info page; None when its contents were never seen."""
    words = state.start_info_words.get(pfn)
    if state.read is None:
        return words
    at = state.contents_at.get(pfn)
    if at is None:
        return words  # not sent in a record read by offset: whatever was kept
    if not at[0]:
        return 0, 0  # among pages seen but not itself: what kept words would say
    w = state.width
    store_at, console_at = START_INFO_FIELDS[w]
    raw = state.read(at[0] + store_at, console_at + w - store_at)
    if len(raw) < console_at + w - store_at:
        return None
    code = "<I" if w == 4 else "<Q"  # guest memory: little-endian
    return (
        struct.unpack_from(code, raw, 0)[0],
        struct.unpack_from(code, raw, console_at - store_at)[0],
    )


#: Page types whose pfn the restorer populates (page_type_to_populate in
#: xg_sr_common.h): NOTAB, L1-L4 TAB with or without the pin bit, XALLOC; not XTAB,
#: BROKEN or the reserved values.
POPULATED_TYPES = frozenset({0, 1, 2, 3, 4, 9, 10, 11, 12, 14})


def start_info_problem(
    state: PvRestoreState, pfn: int, page_types: bytearray | None = None
) -> str | None:
    """PV-SIF-002 for the start-info page at ``pfn``, as last sent: its store_mfn and
    console.domU.mfn above ``max_pfn``, or (with ``page_types``, the last page type
    sent per pfn, 0xff never sent) naming a pfn not last sent with a type that
    populates it. None: nothing wrong, or nothing known."""
    words = _start_info_words(state, pfn) if pfn >= 0 else None
    if words is None:
        return None
    m = state.max_pfn
    problems = []
    for name, value in zip(("store_mfn", "console.domU.mfn"), words, strict=True):
        if value > m:
            problems.append(f"{name} {value:#x} above max_pfn {m:#x}")
        elif page_types is None:
            continue
        elif value >= len(page_types) or page_types[value] == 0xFF:
            problems.append(f"{name} {value:#x}, a pfn never sent in PAGE_DATA")
        elif page_types[value] not in POPULATED_TYPES:
            what = {13: "BROKEN", 15: "XTAB"}.get(page_types[value], f"type {page_types[value]:#x}")
            problems.append(f"{name} {value:#x}, a pfn last sent as {what} (not populated)")
    if not problems:
        return None
    return f"the start-info page (pfn {pfn:#x}) as last sent has " + " and ".join(problems)


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
