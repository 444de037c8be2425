"""The ``LEG-`` rules of ``spec/legacy.md`` (``ksy/xen_legacy_libxc_image.ksy``) that
the legacy reader's framing (:mod:`xensave.legacy.read`) does not already decide.

:class:`LegacyChecker` takes a legacy image's events one by one. ``xensave.legacy``
is imported only once a legacy image is there (inside the methods), so that
checking a modern image never loads it (``tests/test_cli_lazy.py``); this module's
``CHECKS`` slice is needed by every check.
"""

from __future__ import annotations

import struct
import sys
from array import array

from .. import pv_records
from ..constants import PV_VCPU_CONTEXT_SIZE, PageType
from ..reader import ReadError, RecordEvent
from . import hvm_context, pv_context
from .emit import CheckState, FrameRef
from .libxc_pages import PFN_TABLE_LIMIT

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from typing import Literal

    from ..legacy.read import (
        LegacyBatch,
        LegacyChunk,
        LegacyEvent,
        LegacyExtInfo,
        LegacyPvTail,
    )

CHECKS: dict[str, str] = {
    "LEG-HDR-001": "p2m_size is not zero.",
    "LEG-HDR-002": "In an image from a 64-bit toolstack, bits 32-63 of p2m_size are zero.",
    "LEG-EXT-002": "The extended-info blocks, 8 octets of header each plus their data, fill len...",
    "LEG-EXT-003": "The extended info has exactly one vcpu block, of 2800 octets (x86_32 guest)...",
    "LEG-EXT-004": "An extv block has no data.",
    "LEG-EXT-005": "An xcnt block holds one u32 of at least 16.",
    "LEG-EXT-006": "Extended-info block ids are vcpu, extv or xcnt.",
    "LEG-P2M-001": "Every p2m frame list entry names a pfn below p2m_size, last sent in a page ...",
    "LEG-CHK-001": "Every chunk type is 0, a page count 1-1024, or a defined negative type -1 t...",
    "LEG-CHK-002": "HVM parameter chunks do not appear in a PV image.",
    "LEG-CHK-003": "The padding word of every HVM parameter chunk is zero.",
    "LEG-CHK-004": "VCPU_INFO's max_vcpu_id is 0 to 4095.",
    "LEG-CHK-005": "VCPU_INFO's map has at least one bit set and none above max_vcpu_id.",
    "LEG-CHK-006": "The TSC_INFO mode is 0 to 3.",
    "LEG-CHK-008": "The TOOLSTACK data of an HVM image decodes as libxl's physmap record.",
    "LEG-PAGE-001": "No pfn word has a page type of 5 to 8.",
    "LEG-PAGE-002": "The pfn (bits 0-27) of every pfn word is below p2m_size.",
    "LEG-PAGE-003": "In an image from a 64-bit toolstack, bits 32-63 of every pfn word are zero.",
    "LEG-PAGE-004": "A batch may hold filler words 0xF0000000 for pfns the saver could not map.",
    "LEG-PAGE-005": "No pfn appears twice in one batch, filler words aside.",
    "LEG-CMP-001": "COMPRESSED_DATA appears only in a body after the checkpoint whose body had...",
    "LEG-CMP-002": "Compressed data splits into whole pages: empty, full, or runs of non-zero l...",
    "LEG-CMP-003": "A compressed body's pages match its data-bearing pfns in number.",
    "LEG-TAIL-001": "The PV tail's unmapped pfn count is at most 2^28.",
    "LEG-TAIL-002": "Each vCPU's XSAVE size field is the xcnt value less 16.",
    "LEG-DM-001": "The device-model signature is QemuDeviceModelRecord, DeviceModelRecord0002 o...",
    "LEG-DM-002": "qemu state after QemuDeviceModelRecord starts with QEVM.",
    "LEG-END-001": "The image does not end inside its header, a chunk or a tail.",
    "LEG-END-002": "Nothing follows the tail of a checkpoint whose body had LAST_CHECKPOINT.",
    "LEG-END-003": "An image may lack LAST_CHECKPOINT (Remus streams, Xen before 4.1); it then...",
    "LEG-GUEST-001": "A 32-bit PV image may describe a 2-level (non-PAE) guest; it cannot be co...",
}


class LegacyChecker:
    """The state of one legacy image's check (a legacy image is not records, so its
    events keep their own state here rather than in :class:`~.emit.CheckState`)."""

    def __init__(self, c: CheckState) -> None:
        self.c = c
        self.width = 64
        self.guest = "hvm"
        self.p2m_size = 0
        self.compress_enabled = False  # ENABLE_COMPRESSION seen in an earlier body
        self.compress_pending = False  # seen in the current body
        self.waiting = 0  # data pfns of a compressed body still waiting for pages
        self.in_compressed_body = False
        self.last_checkpoint = False
        self.xcnt = 0
        self.notes_once: set[str] = set()
        #: PV: the page type last sent for each pfn below p2m_size (0xff: never sent),
        #: and the frames the contexts of the latest PV tail name (judged at the end).
        self.pfn_types: bytearray | None = None
        self.frames: dict[int, tuple[RecordEvent | None, list[FrameRef]]] = {}
        self.frames_where = ""
        self.unmapped: list[int] = []  # the latest PV tail's unmapped pfns
        self.unmapped_at = 0  # where its list's first word is
        #: The p2m frame list and where it is (judged against the batches at the end).
        self.p2m_frames: list[int] = []
        self.p2m_frames_at = 0
        #: The start-info page's words, found when the last tail names it
        #: (StartInfoPages: kept per pfn from the contents on a pipe, read back on a file).
        self.start_info: StartInfoPages | None = None

    def emit(self, rid: str, offset: int, message: str) -> None:
        self.c.emit(rid, offset, "legacy", message)

    def once(self, rid: str, offset: int, message: str) -> None:
        if rid not in self.notes_once:
            self.notes_once.add(rid)
            self.emit(rid, offset, message)

    def event(self, ev: LegacyEvent) -> None:
        from ..legacy.format import DM_QEMU_TO_EOF, QEVM_MAGIC
        from ..legacy.read import (
            LegacyBatch,
            LegacyBodyEnd,
            LegacyChunk,
            LegacyEnd,
            LegacyExtInfo,
            LegacyHeader,
            LegacyHvmTail,
            LegacyP2mFrames,
            LegacyPvTail,
            LegacyTrailer,
        )

        if isinstance(ev, LegacyHeader):
            self.width, self.guest, self.p2m_size = ev.width, ev.guest, ev.p2m_size
            if ev.guest == "pv":
                c = self.c
                self.start_info = StartInfoPages(ev.width, c.page_reader)
                if c.page_reader is None and c.read_options is not None:
                    c.read_options.want_pages = True  # the reader hands page contents over
            if ev.p2m_size == 0:
                self.emit("LEG-HDR-001", ev.offset, "p2m_size is 0")
            if ev.width == 64 and ev.p2m_size >> 32:
                self.emit(
                    "LEG-HDR-002", ev.offset + 4, f"p2m_size {ev.p2m_size:#x} is 2^32 or more"
                )
        elif isinstance(ev, LegacyExtInfo):
            self.ext_info(ev)
        elif isinstance(ev, LegacyP2mFrames):
            self.p2m_frames, self.p2m_frames_at = ev.frames, ev.offset
            if self.guest == "pv":  # one octet per pfn the frames can cover (1024 each)
                size = min(self.p2m_size, len(ev.frames) * 1024, PFN_TABLE_LIMIT)
                self.pfn_types = bytearray(b"\xff") * size
            bad = [i for i, f in enumerate(ev.frames) if f >= self.p2m_size]
            if bad:
                self.emit(
                    "LEG-P2M-001",
                    ev.offset,
                    f"{len(bad)} p2m frame list entries name pfns beyond p2m_size "
                    f"{self.p2m_size:#x} (first: entry {bad[0]}, {ev.frames[bad[0]]:#x})",
                )
        elif isinstance(ev, LegacyBatch):
            self.batch(ev)
        elif isinstance(ev, LegacyChunk):
            self.chunk(ev)
        elif isinstance(ev, LegacyBodyEnd):
            if self.in_compressed_body and self.waiting:
                self.emit(
                    "LEG-CMP-003",
                    ev.offset,
                    f"the body ends with {self.waiting} pfns whose compressed pages never came",
                )
            self.waiting = 0
            self.in_compressed_body = False
        elif isinstance(ev, LegacyPvTail):
            self.pv_contexts(ev)
            for v in ev.vcpus:
                if v.xsave is not None and len(v.xsave) >= 16:
                    _mask, size = struct.unpack_from("<QQ", v.xsave)
                    if size != len(v.xsave) - 16:
                        self.emit(
                            "LEG-TAIL-002",
                            v.offset,
                            f"vCPU {v.vcpu_id}: XSAVE size {size}, but the 'xcnt' block "
                            f"says {len(v.xsave) - 16}",
                        )
            self.end_of_checkpoint()
        elif isinstance(ev, LegacyHvmTail):
            where = self.tail_name("HVM", ev.checkpoint)
            hvm_context.judge(self.c, ev.context, ev.context_offset, "legacy", where, None)
            if ev.dm_signature == DM_QEMU_TO_EOF and not ev.dm_data.startswith(QEVM_MAGIC):
                self.emit(
                    "LEG-DM-002",
                    ev.dm_offset + 21,
                    f"qemu state begins {ev.dm_data[:4]!r}, not {QEVM_MAGIC!r}",
                )
            self.end_of_checkpoint()
        elif isinstance(ev, LegacyEnd):
            self.frames_at_end(ev.pt_levels)
            if not ev.last_checkpoint_seen:
                self.emit(
                    "LEG-END-003",
                    ev.offset,
                    "no LAST_CHECKPOINT chunk: a checkpointed (Remus) stream, or an image "
                    "from a Xen older than 4.1",
                )
            if ev.pt_levels == 2:
                self.emit(
                    "LEG-GUEST-001",
                    ev.offset,
                    "a 32-bit PV guest with 2-level (non-PAE) page tables: it cannot be "
                    "converted to the v2 format",
                )
        elif isinstance(ev, LegacyTrailer):
            self.emit(
                "LEG-END-002", ev.offset, f"{ev.length} octets follow the end of the legacy image"
            )

    @staticmethod
    def tail_name(kind: str, checkpoint: int) -> str:
        """How a diagnostic names a tail (its body numbered as ``dump`` does)."""
        return f"{kind} tail after body {checkpoint}: "

    def pv_contexts(self, ev: LegacyPvTail) -> None:
        """The PV- rules on each vCPU's context (``spec/pv-context.md``), as on an
        X86_PV_VCPU_BASIC record: its own values now, the frames it names at the end
        (the last tail's contexts are the ones a restorer applies)."""
        where = self.tail_name("PV", ev.checkpoint)
        self.frames = {}
        self.frames_where = where
        self.unmapped = ev.unmapped
        self.unmapped_at = ev.offset + 4  # after the u32 count
        for v in ev.vcpus:
            width = next((w for w, n in PV_VCPU_CONTEXT_SIZE.items() if n == len(v.basic)), None)
            if width is not None:  # else LEG-EXT-003 (the vcpu block's size)
                refs = pv_context.judge(
                    self.c, v.basic, v.offset, width, "<", v.vcpu_id, "legacy", where, None
                )
                self.frames[v.vcpu_id] = (None, refs)
            # the extended context and the XSAVE state (pv-context.md's rules on them)
            pv_context.tail_blobs(
                self.c, v.vcpu_id, v.extended, v.xsave, v.offset + len(v.basic), where
            )

    def frames_at_end(self, pt_levels: int | None) -> None:
        """The frames the last tail's contexts name; a 2-level (non-PAE) guest's CR3
        against its L2 table (no release restores such a guest anyway)."""
        if pt_levels == 2:
            self.frames = pv_context.two_level(self.frames)
        table = self.pfn_types  # what the batches sent: the unmapped list apart
        self.p2m_frames_at_end(table)
        names = ("the image's last pfn", "a page batch")
        pv_context.judge_frames(self.c, self.frames, table, "legacy", self.frames_where, names)
        pages = self.start_info
        si_words = None
        if table is not None and pages is not None:
            known, pfn_types = pages, table

            def si_words(pfn: int) -> tuple[int, int] | None:
                words = known.words(pfn)
                return None if start_info_problem(pfn, words, pfn_types) else words

        pv_context.unmapped_frames(
            self.c,
            self.frames,
            table,
            names,
            self.frames_where,
            self.unmapped,
            self.unmapped_at,
            4 if self.width == 32 else 8,
            si_words,
        )
        if table is not None and pages is not None:
            # what the restorer reads in the start-info page: its words as last sent
            pv_context.start_info_at_end(
                self.c,
                self.frames,
                table,
                names,
                self.frames_where,
                lambda pfn: start_info_problem(pfn, pages.words(pfn), table),
            )
        self.frames = {}

    def p2m_frames_at_end(self, table: bytearray | None) -> None:
        """LEG-P2M-001's page types: the restorer maps the p2m frames once the stream
        ends, each a pfn last sent as NOTAB (4.0-4.5's xc_domain_restore, checking its
        page type, then xc_map_foreign_pages; from 4.6 update_guest_p2m, after
        convert-legacy-stream). One a batch populated but the last tail lists as
        unmapped is reported at the list's entry: 4.0-4.5 free it before they map the
        frames, 4.6 on never see the list (as pv_context.unmapped_frames)."""
        frames = self.p2m_frames
        if table is None or not frames:
            return
        ws = 4 if self.width == 32 else 8
        bad = [
            i for i, pfn in enumerate(frames) if pfn < len(table) and table[pfn] != PageType.NOTAB
        ]  # a pfn at or beyond p2m_size: reported with the list
        if bad:
            i, pfn = bad[0], frames[bad[0]]
            got = table[pfn]
            what = (
                "was never sent in a page batch"
                if got == 0xFF
                else f"was last sent as {pv_context.page_type_name(got)}"
            )
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            self.emit(
                "LEG-P2M-001",
                self.p2m_frames_at + ws * i,
                f"p2m frame list entry {i} names pfn {pfn:#x}, which {what}, not NOTAB{more}",
            )
        fine = {pfn for pfn in frames if pfn < len(table) and table[pfn] == PageType.NOTAB}
        entry: dict[int, int] = {}
        for k, pfn in enumerate(self.unmapped):
            if pfn in fine and pfn not in entry:
                entry[pfn] = k
        listed = [(i, pfn) for i, pfn in enumerate(frames) if pfn in entry]
        if listed:
            i, pfn = listed[0]
            more = f" (and {len(listed) - 1} more)" if len(listed) > 1 else ""
            self.emit(
                "LEG-P2M-001",
                self.unmapped_at + ws * entry[pfn],
                f"p2m frame list entry {i} names pfn {pfn:#x}, which is entry {entry[pfn]} "
                f"of the last PV tail's unmapped pfns{more}: Xen 4.0-4.5 free those before "
                "they map the p2m frames (from 4.6 convert-legacy-stream drops the list)",
            )

    def end_of_checkpoint(self) -> None:
        if self.compress_pending:
            self.compress_enabled = True

    def ext_info(self, ev: LegacyExtInfo) -> None:
        vcpu = 0
        for off, bid, data in ev.blocks:
            if bid == b"vcpu":
                vcpu += 1
                if vcpu == 1 and self.start_info is not None:
                    self.start_info.guest_width = 8 if len(data) == PV_VCPU_CONTEXT_SIZE[8] else 4
                if vcpu == 2:
                    self.emit("LEG-EXT-003", off, "a second 'vcpu' block")
            elif bid == b"extv":
                if data:
                    self.emit("LEG-EXT-004", off, f"'extv' block of {len(data)} octets, not 0")
            elif bid == b"xcnt":
                if len(data) != 4:
                    self.emit("LEG-EXT-005", off, f"'xcnt' block of {len(data)} octets, not 4")
                elif struct.unpack("<I", data)[0] < 16:
                    self.emit(
                        "LEG-EXT-005",
                        off,
                        f"'xcnt' size {struct.unpack('<I', data)[0]} is below 16",
                    )
            else:
                self.emit("LEG-EXT-006", off, f"unknown extended-info block {bid!r}")

    def batch(self, ev: LegacyBatch) -> None:
        from ..legacy.format import XTAB_FILLER, has_data

        bad_type = bad_pfn = high = 0
        first: dict[str, int] = {}
        seen: set[int] = set()
        dup = 0
        fillers = 0
        for i, w in enumerate(ev.words):
            if w == XTAB_FILLER:
                fillers += 1
                continue
            if 5 <= (w >> 28) & 0xF <= 8:
                bad_type += 1
                first.setdefault("t", i)
            if w >> 32:
                high += 1
                first.setdefault("h", i)
            pfn = w & 0x0FFFFFFF
            if pfn >= self.p2m_size:
                bad_pfn += 1
                first.setdefault("p", i)
            if pfn in seen:
                dup += 1
                first.setdefault("d", i)
            seen.add(pfn)
        ws = 4 if self.width == 32 else 8
        at = ev.offset + 4
        if bad_type:
            self.pfn_types = None  # a reserved type: a restorer stops there
            i = first["t"]
            self.emit(
                "LEG-PAGE-001",
                at + ws * i,
                f"chunk {ev.index}: {bad_type} pfn words have reserved type "
                f"{(ev.words[i] >> 28) & 0xF} (first: word {i})",
            )
        elif self.pfn_types is not None:
            _note_types(self.pfn_types, ev.words, ev.raw, ws, fillers == 0, XTAB_FILLER)
            if self.start_info is not None:
                self.start_info.batch(ev, len(self.pfn_types))
        if bad_pfn:
            i = first["p"]
            self.emit(
                "LEG-PAGE-002",
                at + ws * i,
                f"chunk {ev.index}: {bad_pfn} pfns at or beyond p2m_size {self.p2m_size:#x} "
                f"(first: word {i}, pfn {ev.words[i] & 0x0FFFFFFF:#x})",
            )
        if high:
            i = first["h"]
            self.emit(
                "LEG-PAGE-003",
                at + ws * i,
                f"chunk {ev.index}: {high} pfn words have bits 32-63 set (first: word {i})",
            )
        if dup:
            i = first["d"]
            self.emit(
                "LEG-PAGE-005",
                at + ws * i,
                f"chunk {ev.index}: {dup} pfns appear twice (first: word {i}, "
                f"pfn {ev.words[i] & 0x0FFFFFFF:#x})",
            )
        if fillers:
            self.once(
                "LEG-PAGE-004",
                ev.offset,
                f"chunk {ev.index}: {fillers} filler words 0xf0000000 (dropped on conversion)",
            )
        if ev.data_pages == 0 and self.compress_enabled:
            self.in_compressed_body = True
            self.waiting += sum(1 for w in ev.words if w != XTAB_FILLER and has_data(w))

    def chunk(self, ev: LegacyChunk) -> None:
        from ..legacy.format import (
            HVM_PARAM_CHUNKS,
            Chunk,
            CompressionError,
            PhysmapError,
            decode_physmap,
            split_compressed,
        )

        t = ev.type
        p = ev.payload
        if t in HVM_PARAM_CHUNKS:
            if self.guest == "pv":
                self.emit(
                    "LEG-CHK-002", ev.offset, f"chunk {ev.index}: {Chunk(t).name} in a PV image"
                )
            if struct.unpack_from("<I", p)[0]:
                self.emit(
                    "LEG-CHK-003",
                    ev.offset + 4,
                    f"chunk {ev.index}: {Chunk(t).name}: padding word is "
                    f"{struct.unpack_from('<I', p)[0]:#x}, not 0",
                )
        elif t == Chunk.VCPU_INFO:
            (max_id,) = struct.unpack_from("<i", p)
            words = struct.unpack_from(f"<{max_id // 64 + 1}Q", p, 4)
            extra = words[-1] >> (max_id % 64 + 1) if max_id % 64 != 63 else 0
            if extra:
                self.emit(
                    "LEG-CHK-005",
                    ev.offset,
                    f"chunk {ev.index}: VCPU_INFO map has vCPUs above max_vcpu_id {max_id}",
                )
            elif not any(words):
                self.emit("LEG-CHK-005", ev.offset, f"chunk {ev.index}: VCPU_INFO map is empty")
        elif t == Chunk.TSC_INFO:
            (mode,) = struct.unpack_from("<I", p)
            if mode > 3:
                self.emit("LEG-CHK-006", ev.offset + 4, f"chunk {ev.index}: TSC mode {mode}")
        elif t == Chunk.TOOLSTACK:
            if self.guest == "hvm" and len(p) > 4:
                try:
                    decode_physmap(p[4:], self.width)
                except PhysmapError as e:
                    self.emit(
                        "LEG-CHK-008",
                        ev.offset + 8,
                        f"chunk {ev.index}: TOOLSTACK data is not libxl's physmap record: {e}",
                    )
        elif t == Chunk.ENABLE_COMPRESSION:
            self.compress_pending = True
        elif t == Chunk.LAST_CHECKPOINT:
            self.last_checkpoint = True
        elif t == Chunk.COMPRESSED_DATA:
            ws = 4 if self.width == 32 else 8
            if not self.compress_enabled:
                self.emit(
                    "LEG-CMP-001",
                    ev.offset,
                    f"chunk {ev.index}: COMPRESSED_DATA before compression was enabled",
                )
                return
            try:
                n = len(split_compressed(p[ws:]))
            except CompressionError as e:
                self.emit("LEG-CMP-002", ev.offset + 4 + ws, f"chunk {ev.index}: {e}")
                return
            if n > self.waiting:
                self.emit(
                    "LEG-CMP-003",
                    ev.offset,
                    f"chunk {ev.index}: {n} compressed pages but only {self.waiting} pfns wait",
                )
                self.waiting = 0
            else:
                self.waiting -= n


def read_error(c: CheckState, e: ReadError) -> None:
    """A framing loss the legacy reader names a ``LEG-`` rule for."""
    assert e.rule is not None
    c.emit(e.rule, e.offset, "legacy", e.message)


assert array("I").itemsize == 4
_HIGH_NIBBLE = bytes(b >> 4 for b in range(256))
_LOW_NIBBLE = bytes(b & 0x0F for b in range(256))


def _note_types(
    table: bytearray, words: list[int], raw: bytes, ws: int, no_fillers: bool, filler: int
) -> None:
    """Record the page type of each pfn word of a batch in ``table``: at C speed for
    consecutive pfns without filler words (what a saver sends), else word by word."""
    n = len(words)
    if no_fillers and n and len(raw) == n * ws:
        low = bytearray(raw)
        types = bytes(low[3::ws]).translate(_HIGH_NIBBLE)  # bits 28-31 of each word
        low[3::ws] = low[3::ws].translate(_LOW_NIBBLE)  # leaves the pfn, bits 0-27
        pfns = array("I", low)[:: ws // 4]
        if sys.byteorder != "little":
            pfns.byteswap()
        first = pfns[0]
        if first + n <= len(table) and pfns == array("I", range(first, first + n)):
            table[first : first + n] = types
            return
    limit = len(table)
    for w in words:
        pfn = w & 0x0FFFFFFF
        if w != filler and pfn < limit:
            table[pfn] = (w >> 28) & 0xF


#: The rules of the diagnostics that lie in a legacy PV tail's unmapped pfn list: the
#: frames that list frees, reported at its entry (pv_context.unmapped_frames, and
#: LEG-P2M-001 from LegacyChecker.p2m_frames_at_end). ``verify --target-xen`` reads them
#: by release (xensave.target_legacy); a test holds every diagnostic there to this set.
UNMAPPED_LIST_RULES = pv_context.UNMAPPED_FRAME_RULES | {"LEG-P2M-001"}


#: A start-info word kept on a pipe is clamped to this (any such value is beyond every
#: pfn a legacy image can name: its p2m_size is below 2^32, LEG-HDR-002); a pfn whose
#: pair reads UNKNOWN has no contents known (never sent, or last sent compressed).
CLAMP = 0xFFFF_FFFE
UNKNOWN = 0xFFFF_FFFF


class StartInfoPages:
    """Where the start-info check finds the start-info page of a legacy PV image, whose pfn only
    the tail names, after every page. On a file (``read``: the checker's page reader)
    it keeps one (offset, count) pair per page batch with contents and, at the end,
    reads the batches' pfn words back from the last batch on until one sent the pfn,
    then the two words of that page: no state per pfn. On a pipe it keeps, for every
    pfn below the image's p2m_size sent with contents, the two words that page would
    give were it the start-info page (clamped to 32 bits, :data:`CLAMP`): 8 octets a
    pfn, in blocks of :attr:`BLOCK` pfns made only where pages came. Both answer the
    same: a page last sent in a compressed (Remus) body is not known either way."""

    BLOCK = 512

    def __init__(self, width: int, read: pv_records.PageReader | None) -> None:
        from ..legacy.format import LEGACY_PFN_MASK, NO_DATA_TYPES, PAGE_SIZE

        self.ws = 4 if width == 32 else 8
        self.guest_width = 8  # from the 'vcpu' block's size (ext_info)
        self.read = read
        self.batches = array("Q")  # file: per batch, its offset and count | compressed << 32
        self.blocks: dict[int, array[int]] = {}  # pipe: (store, console) per pfn
        self.pfn_mask = LEGACY_PFN_MASK
        self.page_size = PAGE_SIZE
        self.no_data = bytes(1 if b >> 4 in NO_DATA_TYPES else 0 for b in range(256))

    def batch(self, ev: LegacyBatch, limit: int) -> None:
        """Take one page batch (its pfns below ``limit`` on a pipe)."""
        tops = ev.raw[3 :: self.ws]  # bits 24-31 of each word: the type on top
        if len(tops) == tops.translate(self.no_data).count(1):
            return  # no contents: the start-info words stay those last sent
        compressed = ev.data_pages == 0  # the pages come in COMPRESSED_DATA chunks
        if self.read is not None:
            self.batches.extend((ev.offset, len(tops) | (int(compressed) << 32)))
            return
        mask, no_data = self.pfn_mask, self.no_data
        pfns = [w & mask for w in ev.words if not no_data[(w >> 24) & 0xFF]]
        pages = ev.pages
        if compressed or pages is None or len(pages) < self.page_size * len(pfns):
            for pfn in pfns:
                if pfn < limit:
                    self._put(pfn, UNKNOWN, UNKNOWN)
            return
        stores, consoles = self._fields(memoryview(pages), len(pfns))
        for pfn, store, console in zip(pfns, stores, consoles, strict=True):
            if pfn < limit:
                self._put(pfn, min(store, CLAMP), min(console, CLAMP))

    def _fields(self, pages: memoryview, n: int) -> tuple[list[int], list[int]]:
        """store_mfn and console.domU.mfn of each of ``n`` pages (guest memory:
        little-endian whatever the host)."""
        gw = self.guest_width
        store_at, console_at = pv_records.START_INFO_FIELDS[gw]
        code: Literal["I", "Q"] = "I" if gw == 4 else "Q"
        words: memoryview | array[int]
        if sys.byteorder == "little":
            words = pages[: self.page_size * n].cast(code)  # no copy of the batch
        else:
            words = array(code)
            words.frombytes(pages[: self.page_size * n])
            words.byteswap()
        per_page = self.page_size // gw
        return (
            words[store_at // gw :: per_page].tolist(),
            words[console_at // gw :: per_page].tolist(),
        )

    def _put(self, pfn: int, store: int, console: int) -> None:
        key, at = divmod(pfn, self.BLOCK)
        block = self.blocks.get(key)
        if block is None:
            block = self.blocks[key] = array("I", [UNKNOWN]) * (2 * self.BLOCK)
        block[2 * at] = store
        block[2 * at + 1] = console

    def words(self, pfn: int) -> tuple[int, int] | None:
        """store_mfn and console.domU.mfn (clamped) of ``pfn``'s page as last sent;
        None when its contents are not known."""
        if self.read is None:
            block = self.blocks.get(pfn // self.BLOCK)
            if block is None:
                return None
            at = 2 * (pfn % self.BLOCK)
            pair = (block[at], block[at + 1])
            return None if pair[0] == UNKNOWN else pair
        return self._read_back(pfn, self.read)

    def _read_back(self, pfn: int, read: pv_records.PageReader) -> tuple[int, int] | None:
        ws, mask, no_data = self.ws, self.pfn_mask, self.no_data
        b = self.batches
        for i in range(len(b) - 2, -1, -2):
            offset, count, compressed = b[i], b[i + 1] & 0xFFFF_FFFF, b[i + 1] >> 32
            raw = read(offset + 4, count * ws)
            if len(raw) < count * ws:
                return None  # the file shrank under us: nothing to judge
            words = array("I" if ws == 4 else "Q", raw)
            if sys.byteorder != "little":
                words.byteswap()
            k, found = 0, -1
            for w in words:
                if not no_data[(w >> 24) & 0xFF]:
                    if w & mask == pfn:
                        found = k  # the last of a pfn sent twice in a batch (LEG-PAGE-005)
                    k += 1
            if found < 0:
                continue
            if compressed:
                return None
            gw = self.guest_width
            store_at, console_at = pv_records.START_INFO_FIELDS[gw]
            at = offset + 4 + count * ws + self.page_size * found + store_at
            got = read(at, console_at + gw - store_at)
            if len(got) < console_at + gw - store_at:
                return None
            code = "<I" if gw == 4 else "<Q"
            store = struct.unpack_from(code, got, 0)[0]
            console = struct.unpack_from(code, got, console_at - store_at)[0]
            return min(store, CLAMP), min(console, CLAMP)
        return None


def start_info_problem(pfn: int, words: tuple[int, int] | None, table: bytearray) -> str | None:
    """What is wrong in a legacy image's start-info page at ``pfn``, holding ``words``
    (store_mfn, console.domU.mfn, clamped) naming pfns beyond the image's last pfn (the
    ``max_pfn`` its conversion has: p2m_size - 1) or not last sent with a type the
    restorer populates (``table``: the last page type per pfn, 0xff never sent)."""
    if words is None:
        return None
    last = len(table) - 1
    problems = []
    for name, value in zip(("store_mfn", "console.domU.mfn"), words, strict=True):
        shown = f"{value:#x}" if value < CLAMP else f"of at least {CLAMP:#x}"
        if value >= CLAMP or value > last:
            problems.append(f"{name} {shown} above the image's last pfn {last:#x}")
        elif table[value] == 0xFF:
            problems.append(f"{name} {shown}, a pfn never sent in a page batch")
        elif table[value] not in pv_records.POPULATED_TYPES:
            what = {13: "BROKEN", 15: "XTAB"}.get(table[value], f"type {table[value]:#x}")
            problems.append(f"{name} {shown}, a pfn last sent as {what} (not populated)")
    if not problems:
        return None
    return f"the start-info page (pfn {pfn:#x}) as last sent has " + " and ".join(problems)
