"""The ``LEG-`` rules the reader's framing does not already decide.

``LegacyChecker`` takes the legacy events one by one and reports through an ``emit``
callback ``(rule_id, offset, message)``; the main checker supplies it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from .format import (
    DM_QEMU_TO_EOF,
    HVM_PARAM_CHUNKS,
    QEVM_MAGIC,
    XTAB_FILLER,
    Chunk,
    CompressionError,
    PhysmapError,
    decode_physmap,
    has_data,
    split_compressed,
)
from .read import (
    LegacyBatch,
    LegacyBodyEnd,
    LegacyChunk,
    LegacyEnd,
    LegacyEvent,
    LegacyExtInfo,
    LegacyHeader,
    LegacyHvmTail,
    LegacyP2mFrames,
    LegacyPvTail,
    LegacyTrailer,
)

Emit = Callable[[str, int, str], None]
_HVM_ONLY = frozenset(HVM_PARAM_CHUNKS)


class LegacyChecker:
    def __init__(self, emit: Emit) -> None:
        self.emit = emit
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

    def once(self, rid: str, offset: int, message: str) -> None:
        if rid not in self.notes_once:
            self.notes_once.add(rid)
            self.emit(rid, offset, message)

    def event(self, ev: LegacyEvent) -> None:
        if isinstance(ev, LegacyHeader):
            self.width, self.guest, self.p2m_size = ev.width, ev.guest, ev.p2m_size
            if ev.p2m_size == 0:
                self.emit("LEG-HDR-001", ev.offset, "p2m_size is 0")
            if ev.width == 64 and ev.p2m_size >> 32:
                self.emit(
                    "LEG-HDR-002", ev.offset + 4, f"p2m_size {ev.p2m_size:#x} is 2^32 or more"
                )
        elif isinstance(ev, LegacyExtInfo):
            self.ext_info(ev)
        elif isinstance(ev, LegacyP2mFrames):
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
            if ev.dm_signature == DM_QEMU_TO_EOF and not ev.dm_data.startswith(QEVM_MAGIC):
                self.emit(
                    "LEG-DM-002",
                    ev.dm_offset + 21,
                    f"qemu state begins {ev.dm_data[:4]!r}, not {QEVM_MAGIC!r}",
                )
            self.end_of_checkpoint()
        elif isinstance(ev, LegacyEnd):
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

    def end_of_checkpoint(self) -> None:
        if self.compress_pending:
            self.compress_enabled = True

    def ext_info(self, ev: LegacyExtInfo) -> None:
        vcpu = 0
        for off, bid, data in ev.blocks:
            if bid == b"vcpu":
                vcpu += 1
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
            i = first["t"]
            self.emit(
                "LEG-PAGE-001",
                at + ws * i,
                f"chunk {ev.index}: {bad_type} pfn words have reserved type "
                f"{(ev.words[i] >> 28) & 0xF} (first: word {i})",
            )
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
        t = ev.type
        p = ev.payload
        if t in _HVM_ONLY:
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
