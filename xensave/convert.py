"""``xensave convert``: legacy images (bare, in an xl file or in an xend file) to libxc
v3/v2, libxl or xl; libxc v3 <-> v2.

Safety first: the input is opened read-only and never written; the output goes to a
temporary file beside OUT, which is checked with the reference checker and renamed
over OUT only when complete and clean; an OUT it replaces is on disk first (fsync).
Converting onto the input is refused.

Page data is never decoded on the way: on regular files it moves with
``copy_file_range`` (as ``cp`` does), elsewhere through one bounded buffer. The
output's disk writes start while the conversion runs (``sync_file_range`` on Linux),
so the disk works during the conversion instead of only in the fsync after it. Memory
stays bounded by the largest single chunk (a 4 MiB page batch, a Remus compression
buffer, a device-model record) plus a pfn -> output offset table that Remus
decompression needs (8 octets per guest pfn).
"""

from __future__ import annotations

import os
import struct
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

if TYPE_CHECKING:
    from .progress import Progress

from ._writeback import (
    SYNC_FILE_RANGE_WRITE,
    WRITEBACK_STEP,
    Bounce,
    Cloner,
    same_phase,
    sync_file_range,
)
from .console import EXIT_ERROR, EXIT_INVALID, EXIT_VALID, add_legacy_flags, reason
from .constants import (
    LIBXL_OPT_LEGACY,
    PV_VCPU_CONTEXT_SIZE,
    REC_LENGTH_MAX,
    XC_REC_ALIGN_PAD,
    XL_MAGIC,
    DomainType,
    EmulatorId,
    HvmParam,
    LibxlRecType,
    XcRecType,
    XlMandatoryFlag,
)
from .legacy.format import (
    CONVERTER_VERSION,
    PAGE_SIZE,
    XTAB_FILLER,
    CompressionError,
    PhysmapError,
    apply_compressed,
    decode_physmap,
    has_data,
    physmap_xenstore,
    split_compressed,
)
from .legacy.format import (
    HVM_PARAM_CHUNKS as LEGACY_HVM_PARAMS,
)
from .legacy.format import (
    Chunk as LegacyChunkType,
)
from .legacy.read import (
    LegacyBatch,
    LegacyBodyEnd,
    LegacyChunk,
    LegacyEnd,
    LegacyExtInfo,
    LegacyHeader,
    LegacyHvmTail,
    LegacyOptions,
    LegacyP2mFrames,
    LegacyPvTail,
    LegacyTrailer,
)
from .outputs import OutputError
from .reader import (
    Event,
    LegacyAmbiguous,
    LibxlHeader,
    Reader,
    ReadError,
    ReadOptions,
    RecordEvent,
    Trailer,
    XcDomainHeader,
    XcImageHeader,
    XlHeader,
)
from .xend import XendHeader

Target = Literal["libxc-v3", "libxc-v2", "libxl", "xl", "libvirt", "xapi"]
TARGETS: tuple[Target, ...] = ("libxc-v3", "libxc-v2", "libxl", "xl", "libvirt", "xapi")
_STATIC = frozenset({XcRecType.X86_PV_INFO, XcRecType.X86_CPUID_POLICY, XcRecType.X86_MSR_POLICY})
_COPY_CHUNK = 1 << 24


class ConvertError(Exception):
    """The conversion is refused or failed; nothing was written to OUT."""


@dataclass
class ConvertResult:
    source: str  # what the input was
    target: str
    bytes_written: int
    notes: list[str] = field(default_factory=list)


# --- output --------------------------------------------------------------------------------


class _Out:
    """The output file, written strictly in order.

    With ``writeback`` (when OUT is to be fsynced), each completed 32 MiB is handed to
    the kernel for writing as soon as it is complete, so the disk works while the
    conversion goes on and the fsync before the rename waits for what the disk has not
    yet written, not for the whole image."""

    def __init__(self, fd: int, writeback: bool = False, align: bool = False) -> None:
        self.fd = fd
        self.pos = 0
        self.flushed = 0  # output below this offset has had its writeback started
        self.sfr = sync_file_range() if writeback else None
        self.align = align  # page contents on 4096-octet boundaries (--align-pages)
        self.cloner: Cloner | None = None  # made on the first copy from the input
        self.pads = self.pad_bytes = 0  # alignment padding records written
        self.unaligned = 0  # PAGE_DATA records that no padding can align
        self.bounce: Bounce | None = None  # for copies copy_file_range is slow at

    def page_data(self, entries: int, endian: str) -> None:
        """Before a PAGE_DATA record with ``entries`` pfn entries and page contents:
        with ``align``, the padding record that puts its contents on a page boundary."""
        if self.align:
            from .writer import align_pad

            if self.pos % 8:
                self.unaligned += 1
                return
            pad = align_pad(self.pos, entries, endian)
            if pad:
                self.write(pad)
                self.pads += 1
                self.pad_bytes += len(pad)

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
            self.pos += n
        if self.sfr is not None and self.pos - self.flushed >= WRITEBACK_STEP:
            self.writeback()

    def writeback(self) -> None:
        """Start (not wait for) the disk write of what was written since the last call."""
        assert self.sfr is not None
        if self.sfr(self.fd, self.flushed, self.pos - self.flushed, SYNC_FILE_RANGE_WRITE):
            self.sfr = None  # unsupported here (or failed): the final fsync does it all
        self.flushed = self.pos

    def record(self, rtype: int, body: bytes, endian: str = "<") -> None:
        pad = -len(body) % 8
        self.write(struct.pack(f"{endian}II", rtype, len(body)) + body + b"\x00" * pad)

    def copy_in(self, in_fd: int, offset: int, n: int) -> None:
        """Copy ``n`` input octets from ``offset`` (positioned reads: the input's own
        file position is left alone)."""
        if self.cloner is None or self.cloner.src != in_fd:
            self.cloner = Cloner(in_fd, self.fd)
        shared = self.cloner.clone(offset, self.pos, n)
        if shared:  # OUT now shares these blocks with IN: nothing was written
            self.pos += shared
            os.lseek(self.fd, self.pos, os.SEEK_SET)
            offset += shared
            n -= shared
        while n > 0:
            got = 0
            if same_phase(offset, self.pos):
                try:
                    step = _COPY_CHUNK if self.sfr is not None else 1 << 30
                    got = os.copy_file_range(in_fd, self.fd, min(n, step), offset)
                except OSError:
                    got = 0
            if got <= 0:  # through a buffer (pages land off their page boundaries)
                if self.bounce is None:
                    self.bounce = Bounce()
                data = self.bounce.read(in_fd, offset, n, self.pos)
                if not data:
                    raise ConvertError("the input ended early while copying page data")
                self.write(data)
                got = len(data)
            else:
                self.pos += got
                if self.sfr is not None and self.pos - self.flushed >= WRITEBACK_STEP:
                    self.writeback()
            offset += got
            n -= got


def _feed(reader: Reader, out: _Out, n: int) -> None:
    """Move the next ``n`` octets of the reader's input to ``out``."""
    head = reader._head
    if head:
        k = min(n, len(head))
        out.write(head[:k])
        reader._head = head[k:]
        n -= k
    src = reader.src
    if not n:
        return
    if src.size is not None and _fileno(src.f) is not None:
        fd = _fileno(src.f)
        assert fd is not None
        if src.size - src.offset < n:
            raise ConvertError("the input ended inside page data")
        out.copy_in(fd, src.offset, n)
        src.skip(n)
        return
    while n:
        data = src.read(min(n, _COPY_CHUNK))
        if not data:
            raise ConvertError("the input ended inside page data")
        out.write(data)
        n -= len(data)


def _fileno(f: BinaryIO) -> int | None:
    try:
        return f.fileno()
    except (OSError, ValueError, AttributeError):
        return None


# --- legacy -> v2/v3 --------------------------------------------------------------------------


def _entry(word: int) -> int:
    return ((word & 0xF0000000) << 32) | (word & 0x0FFFFFFF)


_LOW_NIBBLE = bytes(b & 0x0F for b in range(256))
_HIGH_NIBBLE = bytes(b & 0xF0 for b in range(256))
_NO_DATA = bytes(1 if (b >> 4) in (0xD, 0xE, 0xF) else 0 for b in range(256))


def _no_data_only(raw: bytes, ws: int) -> bool:
    tops = raw[3::ws]
    return tops.translate(_NO_DATA).count(1) == len(tops)


def _entries(raw: bytes, ws: int) -> tuple[bytes, int | None]:
    """The v2 pfn entries (type moved from bits 28-31 to 60-63) of a batch's pfn words,
    without unpacking them; (b"", None) when filler words must be dropped first."""
    n = len(raw) // ws
    if XTAB_FILLER.to_bytes(ws, "little") in raw:
        return b"", None
    if ws == 8 and any(raw[i::8] != bytes(n) for i in (4, 5, 6, 7)):
        return b"", None  # bits 32-63 set (LEG-PAGE-003): the slow path keeps them
    out = bytearray(8 * n)
    out[0::8] = raw[0::ws]
    out[1::8] = raw[1::ws]
    out[2::8] = raw[2::ws]
    out[3::8] = raw[3::ws].translate(_LOW_NIBBLE)
    out[7::8] = raw[3::ws].translate(_HIGH_NIBBLE)
    return bytes(out), n


class _Legacy:
    """Turns legacy events into a libxc stream (wrapped as the target asks)."""

    def __init__(
        self, reader: Reader, out: _Out, target: Target, xl: XlHeader | None, allow_loss: bool
    ) -> None:
        self.reader = reader
        self.out = out
        self.target = target
        self.version = 2 if target == "libxc-v2" else 3
        self.wrap = target in ("libxl", "xl")
        self.xl = xl
        self.allow_loss = allow_loss
        self.notes: list[str] = []
        self.guest = "hvm"
        self.p2m_size = 0
        # pfn -> output offset of its latest page; built when Remus compression needs it
        self.where: array[int] | None = None
        self.xc_start = 0
        self.pending: list[int] = []  # compressed body: pfn words awaiting pages
        self.params: dict[int, int] = {}
        self.toolstack: bytes | None = None
        self.pv_tail: LegacyPvTail | None = None
        self.hvm_tail: LegacyHvmTail | None = None
        self.width = 64

    def lost(self, what: str) -> None:
        if not self.allow_loss:
            raise ConvertError(
                f"{what}; converting to {self.target} would lose it (use --to libxl or "
                "--to xl, or --allow-loss to convert anyway)"
            )
        self.notes.append(f"dropped: {what}")

    def run(self, events: Iterator[Event]) -> None:
        for ev in events:
            handler = getattr(self, "on_" + type(ev).__name__, None)
            if handler is None:
                raise ConvertError(f"unexpected {type(ev).__name__} in a legacy image")
            handler(ev)

    # -- events

    def on_LegacyHeader(self, ev: LegacyHeader) -> None:
        self.guest = ev.guest
        self.width = ev.width
        self.p2m_size = ev.p2m_size
        self.notes.append(
            f"legacy image: {ev.guest.upper()} guest, {ev.width}-bit toolstack ({ev.how})"
        )
        out = self.out
        if self.xl is not None:
            if self.target == "xl":
                h = self.xl
                e = ">" if h.big_endian else "<"
                flags = h.mandatory_flags | XlMandatoryFlag.STREAM_V2
                out.write(XL_MAGIC)
                out.write(
                    struct.pack(
                        f"{e}IIII", h.byteorder, flags, h.optional_flags, h.optional_data_len
                    )
                )
                if len(h.optional_data) != h.optional_data_len:
                    raise ConvertError("the xl optional data is too large to carry over")
                out.write(h.optional_data)
            elif h_config(self.xl):
                self.lost("the xl file's domain configuration")
        elif self.target == "xl":
            raise ConvertError(
                "a bare legacy stream has no domain configuration for an xl file; "
                "use --to libxl (or libxc-v3)"
            )
        if self.wrap:
            out.write(struct.pack(">QII", 0x4C6962786C466D74, 2, LIBXL_OPT_LEGACY))
            out.record(LibxlRecType.LIBXC_CONTEXT, b"")
        out.write(struct.pack(">QIIHHI", 0xFFFFFFFFFFFFFFFF, 0x58454E46, self.version, 0, 0, 0))
        dtype = DomainType.X86_PV if ev.guest == "pv" else DomainType.X86_HVM
        out.write(struct.pack("<IHHII", dtype, 12, 0, 0, CONVERTER_VERSION))
        self.xc_start = out.pos
        if ev.guest == "hvm" and self.version >= 3:
            out.record(XcRecType.STATIC_DATA_END, b"")

    def on_LegacyExtInfo(self, ev: LegacyExtInfo) -> None:
        gw = 8
        for _off, bid, data in ev.blocks:
            if bid == b"vcpu":
                gw = 8 if len(data) == PV_VCPU_CONTEXT_SIZE[8] else 4
            elif bid not in (b"extv", b"xcnt"):
                self.notes.append(f"ignored extended-info block {bid!r}")
        self.gw = gw
        self.out.record(XcRecType.X86_PV_INFO, struct.pack("BB6x", gw, 4 if gw == 8 else 3))
        if self.version >= 3:
            self.out.record(XcRecType.STATIC_DATA_END, b"")

    def on_LegacyP2mFrames(self, ev: LegacyP2mFrames) -> None:
        body = struct.pack(f"<II{len(ev.frames)}Q", 0, self.p2m_size - 1, *ev.frames)
        self.out.record(XcRecType.X86_PV_P2M_FRAMES, body)

    def _build_index(self) -> None:
        """Index the pages written so far by reading back the PAGE_DATA records."""
        self.where = array("q")
        pos = self.xc_start
        fd = self.out.fd
        while pos + 8 <= self.out.pos:
            rtype, length = struct.unpack("<II", os.pread(fd, 8, pos))
            if rtype == XcRecType.PAGE_DATA:
                (count,) = struct.unpack("<I", os.pread(fd, 4, pos + 8))
                raw = os.pread(fd, 8 * count, pos + 16)
                ents = struct.unpack(f"<{count}Q", raw)
                pfns = [e & 0x0FFFFFFF for e in ents if (e >> 60) not in (0xD, 0xE, 0xF)]
                self._remember(pfns, pos + 16 + 8 * count)
            pos += 8 + length + (-length % 8)

    def _remember(self, pfns: list[int], start: int) -> None:
        where = self.where
        assert where is not None
        top = max(pfns) + 1 if pfns else 0
        if top > len(where):
            where.extend([-1] * (top - len(where)))
        for i, pfn in enumerate(pfns):
            where[pfn] = start + i * PAGE_SIZE

    def on_LegacyBatch(self, ev: LegacyBatch) -> None:
        ws = 4 if self.width == 32 else 8
        if ev.data_pages == 0 and not _no_data_only(ev.raw, ws):  # a compressed body
            self.pending += [w for w in ev.words if w != XTAB_FILLER]
            return
        entries, n = _entries(ev.raw, ws)
        if n is None:  # filler words to drop: the slow way
            kept = [w for w in ev.words if w != XTAB_FILLER]
            entries = struct.pack(f"<{len(kept)}Q", *[_entry(w) for w in kept])
            n = len(kept)
        if not n:
            return
        nbytes = ev.data_pages * PAGE_SIZE
        if nbytes:
            self.out.page_data(n, "<")
        self.out.write(struct.pack("<IIII", XcRecType.PAGE_DATA, 8 + 8 * n + nbytes, n, 0))
        self.out.write(entries)
        if self.where is not None:
            self._remember([w & 0x0FFFFFFF for w in ev.words if has_data(w)], self.out.pos)
        if ev.pages is not None:
            self.out.write(ev.pages)
        # otherwise the reader's page sink copies the pages right after this returns

    def on_LegacyChunk(self, ev: LegacyChunk) -> None:
        t = ev.type
        p = ev.payload
        if t in LEGACY_HVM_PARAMS:
            self.params.pop(LEGACY_HVM_PARAMS[t], None)
            self.params[LEGACY_HVM_PARAMS[t]] = struct.unpack_from("<Q", p, 4)[0]
        elif t == LegacyChunkType.TSC_INFO:
            mode, nsec, khz, inc = struct.unpack("<IQII", p)
            self.out.record(XcRecType.X86_TSC_INFO, struct.pack("<IIQII", mode, khz, nsec, inc, 0))
        elif t == LegacyChunkType.TOOLSTACK:
            self.toolstack = p[4:]
        elif t == LegacyChunkType.ENABLE_VERIFY_MODE:
            self.out.record(XcRecType.VERIFY, b"")
        elif t == LegacyChunkType.COMPRESSED_DATA:
            self._decompress(p[4 if self.width == 32 else 8 :], ev.offset)

    def _decompress(self, data: bytes, offset: int) -> None:
        if self.where is None:
            self._build_index()
        assert self.where is not None
        try:
            spans = split_compressed(data)
        except CompressionError as e:
            raise ConvertError(f"{offset:#x}: broken Remus compressed data: {e}") from None
        take: list[int] = []
        got = 0
        while self.pending and got < len(spans):
            w = self.pending.pop(0)
            take.append(w)
            if has_data(w):
                got += 1
        while self.pending and not has_data(self.pending[0]):
            take.append(self.pending.pop(0))
        if got < len(spans):
            raise ConvertError(
                f"{offset:#x}: compressed data holds {len(spans)} pages but only {got} "
                "pfns are waiting for them"
            )
        pages = []
        for (start, end, kind), pfn in zip(
            spans, [w & 0x0FFFFFFF for w in take if has_data(w)], strict=True
        ):
            old = bytes(PAGE_SIZE)
            if kind != 1:
                at = self.where[pfn] if pfn < len(self.where) else -1
                if at < 0 and (kind == 2 or kind == 0):
                    raise ConvertError(
                        f"{offset:#x}: compressed page for pfn {pfn:#x} is a delta, "
                        "but no earlier contents of that page are in the image"
                    )
                old = os.pread(self.out.fd, PAGE_SIZE, at)
            pages.append(apply_compressed(data, start, end, kind, old))
        self._page_record(take, pages)

    def _page_record(self, words: list[int], pages: list[bytes]) -> None:
        entries = [_entry(w) for w in words]
        body = struct.pack(f"<II{len(entries)}Q", len(entries), 0, *entries)
        self.out.write(struct.pack("<II", XcRecType.PAGE_DATA, len(body) + PAGE_SIZE * len(pages)))
        self.out.write(body)
        if self.where is not None:
            self._remember([w & 0x0FFFFFFF for w in words if has_data(w)], self.out.pos)
        for pg in pages:
            self.out.write(pg)

    def on_LegacyBodyEnd(self, ev: LegacyBodyEnd) -> None:
        if any(has_data(w) for w in self.pending):
            n = sum(1 for w in self.pending if has_data(w))
            raise ConvertError(
                f"{ev.offset:#x}: the compressed body ends with {n} pfns whose pages never came"
            )
        if self.pending:
            self._page_record(self.pending, [])
            self.pending = []

    def on_LegacyPvTail(self, ev: LegacyPvTail) -> None:
        self.pv_tail = ev

    def on_LegacyHvmTail(self, ev: LegacyHvmTail) -> None:
        self.hvm_tail = ev

    def on_LegacyTrailer(self, ev: LegacyTrailer) -> None:
        raise ConvertError(f"{ev.offset:#x}: {ev.length} octets follow the end of the legacy image")

    def on_LegacyEnd(self, ev: LegacyEnd) -> None:
        out = self.out
        if self.guest == "pv":
            if ev.pt_levels == 2:
                raise ConvertError(
                    "this is a 32-bit PV guest with 2-level (non-PAE) page tables: its page "
                    "types show L2 but no L3 tables. Xen 4.6 and later run 32-bit PV guests "
                    "only in PAE mode and the v2 format has no way to describe 2 levels, so "
                    "it cannot be converted"
                )
            t = self.pv_tail
            if t is None:
                raise ConvertError("the legacy image has no PV tail")
            if t.unmapped:
                for i in range(0, len(t.unmapped), 1024):
                    part = t.unmapped[i : i + 1024]
                    self._page_record([0xF0000000 | (p & 0x0FFFFFFF) for p in part], [])
                self.notes.append(
                    f"{len(t.unmapped)} unmapped pfns of the PV tail written as XTAB entries"
                )
            for v in t.vcpus:
                head = struct.pack("<II", v.vcpu_id, 0)
                out.record(XcRecType.X86_PV_VCPU_BASIC, head + v.basic)
                if v.extended is not None:
                    out.record(XcRecType.X86_PV_VCPU_EXTENDED, head + v.extended)
                if v.xsave is not None:
                    mask, size = struct.unpack_from("<QQ", v.xsave.ljust(16, b"\x00"))
                    if size != len(v.xsave) - 16:
                        raise ConvertError(
                            f"vCPU {v.vcpu_id}: XSAVE size {size} does not match the "
                            f"'xcnt' block ({len(v.xsave)} octets with its header)"
                        )
                    if mask:
                        out.record(XcRecType.X86_PV_VCPU_XSAVE, head + v.xsave[16:])
            out.record(XcRecType.SHARED_INFO, t.shared_info)
            if self.params:
                self.lost("HVM parameters in a PV image")
        else:
            h = self.hvm_tail
            if h is None:
                raise ConvertError("the legacy image has no HVM tail")
            out.record(XcRecType.HVM_CONTEXT, h.context)
            params = [
                *list(self.params.items()),
                (HvmParam.IOREQ_PFN, h.magic_pfns[0]),
                (HvmParam.BUFIOREQ_PFN, h.magic_pfns[1]),
                (HvmParam.STORE_PFN, h.magic_pfns[2]),
            ]
            flat = [x for kv in params for x in kv]
            out.record(XcRecType.HVM_PARAMS, struct.pack(f"<II{len(flat)}Q", len(params), 0, *flat))
        out.record(XcRecType.END, b"")
        emu: list[tuple[int, bytes]] = []
        if self.toolstack:
            try:
                entries = decode_physmap(self.toolstack, self.width)
            except PhysmapError as e:
                self.lost(f"toolstack data that is not libxl's physmap record ({e})")
            else:
                if entries:
                    emu.append((LibxlRecType.EMULATOR_XENSTORE_DATA, physmap_xenstore(entries)))
        if self.hvm_tail is not None and self.hvm_tail.dm_data:
            emu.append((LibxlRecType.EMULATOR_CONTEXT, self.hvm_tail.dm_data))
        if self.wrap:
            for rtype, data in emu:
                out.record(rtype, struct.pack("<II", EmulatorId.UNKNOWN, 0) + data)
            out.record(LibxlRecType.END, b"")
        elif emu:
            self.lost("the device-model state and toolstack data (they need a libxl stream)")


def h_config(h: XlHeader) -> bool:
    return bool(h.optional_data_len)


# --- v3 <-> v2 -----------------------------------------------------------------------------------


class _Version:
    def __init__(self, reader: Reader, out: _Out, version: int, in_fd: int | None) -> None:
        self.reader = reader
        self.out = out
        self.version = version
        self.in_fd = in_fd
        self.notes: list[str] = []
        self.src_versions: set[int] = set()
        self.sde_done = True
        self.dropped: dict[str, int] = {}
        self.pads = 0  # alignment padding records of the input, left out
        self.guest = 0

    def run(self, events: Iterator[Event]) -> None:
        for ev in events:
            self.event(ev)
        for name, n in self.dropped.items():
            self.notes.append(
                f"dropped {n} {name} record{'s' if n != 1 else ''} (a Xen < 4.14 receiver "
                "does not know it; the domain's CPU policy is then the receiver's default)"
                if name != "STATIC_DATA_END"
                else f"dropped {n} STATIC_DATA_END record{'s' if n != 1 else ''} (implied in v2)"
            )
        if self.pads:
            self.notes.append(
                f"left out {self.pads} alignment padding record{'s' if self.pads != 1 else ''} "
                "of IN (they pad for IN's layout; --align-pages pads OUT anew)"
            )

    def event(self, ev: Event) -> None:
        out = self.out
        if isinstance(ev, XlHeader):
            e = ">" if ev.big_endian else "<"
            out.write(ev.magic)
            out.write(
                struct.pack(
                    f"{e}IIII",
                    ev.byteorder,
                    ev.mandatory_flags,
                    ev.optional_flags,
                    ev.optional_data_len,
                )
            )
            if len(ev.optional_data) != ev.optional_data_len:
                raise ConvertError("the xl optional data is too large to carry over")
            out.write(ev.optional_data)
        elif isinstance(ev, LibxlHeader):
            out.write(struct.pack(">8sII", ev.ident, ev.version, ev.options))
        elif isinstance(ev, XcImageHeader):
            self.src_versions.add(ev.version)
            out.write(
                struct.pack(
                    ">QIIHHI",
                    ev.marker,
                    ev.ident,
                    self.version,
                    ev.options,
                    ev.reserved1,
                    ev.reserved2,
                )
            )
            self.sde_done = self.version < 3
            self.endian = ">" if ev.big_endian else "<"
        elif isinstance(ev, XcDomainHeader):
            self.guest = ev.type
            out.write(
                struct.pack(
                    f"{self.endian}IHHII",
                    ev.type,
                    ev.page_shift,
                    ev.reserved,
                    ev.xen_major,
                    ev.xen_minor,
                )
            )
        elif isinstance(ev, RecordEvent):
            self.record(ev)
        elif isinstance(ev, Trailer):
            raise ConvertError(f"{ev.offset:#x}: {ev.length} octets follow the end of the image")
        else:
            raise ConvertError(f"cannot convert {type(ev).__name__}")

    def record(self, ev: RecordEvent) -> None:
        out = self.out
        if ev.layer == "libxc":
            t = ev.type
            if t == XC_REC_ALIGN_PAD:
                self.pads += 1
                return
            if ev.length > REC_LENGTH_MAX:  # refused before copying gigabytes
                raise ConvertError(
                    f"{ev.offset:#x}: record #{ev.index} {ev.name}: XC-REC-008: body_length "
                    f"{ev.length} is over {REC_LENGTH_MAX} (REC_LENGTH_MAX), which Xen's "
                    "restorer refuses (read_record, xg_sr_common.c): not converted"
                )
            if self.version < 3 and t in (
                XcRecType.STATIC_DATA_END,
                XcRecType.X86_CPUID_POLICY,
                XcRecType.X86_MSR_POLICY,
            ):
                name = XcRecType(t).name
                self.dropped[name] = self.dropped.get(name, 0) + 1
                return
            if t == XcRecType.STATIC_DATA_END:
                if self.sde_done:
                    return  # one is enough (a v2 source may carry a stray one)
                self.sde_done = True
            elif not self.sde_done and t not in _STATIC:
                out.record(XcRecType.STATIC_DATA_END, b"", ev.endian)
                self.sde_done = True
        if ev.page_bytes and ev.layer == "libxc" and ev.type == XcRecType.PAGE_DATA:
            out.page_data((len(ev.body) - 8) // 8, ev.endian)
        out.write(struct.pack(f"{ev.endian}II", ev.type, ev.length))
        if ev.page_bytes:
            out.write(ev.body)
            if ev.pages is not None:
                out.write(ev.pages)
            else:
                assert self.in_fd is not None
                out.copy_in(self.in_fd, ev.body_offset + len(ev.body), ev.page_bytes)
        elif ev.body_complete:
            out.write(ev.body)
        else:
            if self.in_fd is None:
                raise ConvertError("a record too large to buffer on a non-seekable input")
            out.copy_in(self.in_fd, ev.body_offset, ev.length)
        out.write(ev.padding)


# --- entry point --------------------------------------------------------------------------------


def convert(
    src: str,
    dst: str,
    to: Target | None = None,
    *,
    legacy_width: Literal[32, 64] | None = None,
    legacy_guest: Literal["pv", "hvm"] | None = None,
    allow_loss: bool = False,
    verify: bool = True,
    sync: bool | None = None,
    force: bool = False,
    progress: Progress | None = None,
    config: str | None = None,
    emulator: str | None = None,
    align_pages: bool = False,
) -> ConvertResult:
    """Convert the image at ``src`` into ``dst``. Raises ConvertError (nothing written)
    or OSError.

    ``sync``: fsync the output before it takes ``dst``'s name: True always, False
    never, None (the default, as ``xensave export`` does) only when it replaces an
    existing ``dst``. A replaced file is then never lost to a crash before the new one
    is on disk; a new file costs no fsync, whose price is the disk's write speed, and a
    crash can lose only the new file, which the untouched input can make again.
    ``force``: replace an existing regular ``dst`` (never anything else); without it
    an existing ``dst`` is refused (OutputError). ``progress``: shown while reading
    and while verifying the output. ``config`` (a file) and ``emulator`` apply to
    toolstack moves (xensave.moves).
    ``align_pages``: put an alignment padding record (optional, which Xen's restorer
    skips) before each PAGE_DATA so that its page contents start on a 4096-octet
    boundary of ``dst``."""
    from .outputs import check_output, create_temp

    move_opts = _move_options(config, emulator)

    exists = check_output(src, dst, force)  # OutputError: exit 2
    fin: BinaryIO = (
        open(src, "rb", buffering=0)  # noqa: SIM115 (closed in the finally below)
        if src != "-"
        else open(0, "rb", buffering=0, closefd=False)  # noqa: SIM115
    )
    if sync is None:
        sync = exists
    try:
        fd, tmp = create_temp(dst)
    except BaseException:
        fin.close()
        raise
    ok = False
    try:
        out = _Out(fd, writeback=sync, align=align_pages)
        result = _convert(fin, out, to, legacy_width, legacy_guest, allow_loss, progress, move_opts)
        if out.pads:
            result.notes.append(
                f"page contents aligned to 4096 bytes: {out.pads} padding record"
                f"{'s' if out.pads != 1 else ''} added ({out.pad_bytes} bytes)"
            )
        if out.unaligned:
            result.notes.append(
                f"{out.unaligned} PAGE_DATA record{'s' if out.unaligned != 1 else ''} not "
                "aligned: the libxc stream starts off an 8-byte boundary of OUT (the xl "
                "header's optional data is not a multiple of 8 bytes long), and records "
                "are multiples of 8 from their stream's start"
            )
        if out.cloner is not None and out.cloner.shared:
            result.notes.append(
                f"{out.cloner.shared} bytes of page data share IN's blocks (reflink), not copied"
            )
        umask = os.umask(0)  # the mode a new file gets (mkstemp's is 0600)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        if sync:  # on disk before it takes OUT's name: a crash cannot leave half an OUT
            os.fsync(fd)
        os.close(fd)
        fd = -1
        if verify:
            from .checker import check_stream

            if progress is not None:
                progress.restart("converting: verifying OUT: ", result.bytes_written)
            with open(tmp, "rb") as check:
                report = check_stream(check, progress=progress.update if progress else None)
            if not report.valid:
                first = "; ".join(x.format("OUT") for x in report.errors[:3])
                raise ConvertError(f"the converted image does not verify clean: {first}")
        from .outputs import install

        install(tmp, dst, replace=force)
        ok = True
        return result
    except ReadError as e:
        if isinstance(e, LegacyAmbiguous):
            raise  # not a fault of the image: the caller must choose (exit status 2)
        raise ConvertError(f"{e.offset:#x}: {e.rule + ': ' if e.rule else ''}{e.message}") from None
    finally:
        fin.close()
        if fd >= 0:
            os.close(fd)
        if not ok:
            from .outputs import remove_temp

            remove_temp(tmp)


def _convert(
    fin: BinaryIO,
    out: _Out,
    to: Target | None,
    width: Literal[32, 64] | None,
    guest: Literal["pv", "hvm"] | None,
    allow_loss: bool,
    progress: Progress | None = None,
    move_opts: dict[str, Any] | None = None,
) -> ConvertResult:
    opts = LegacyOptions(width, guest, want_pages=True)
    reader = Reader(fin, ReadOptions(legacy=opts))
    in_fd = _fileno(fin) if reader.src.size is not None else None
    opts.page_sink = lambda n: _feed(reader, out, n)
    events: Iterator[Event] = iter(reader)
    if progress is not None:
        progress.restart("converting: ", reader.src.size)
        events = _shown(events, reader, progress)
    first = next(events, None)
    if first is None:
        raise ConvertError("empty input")
    xl: XlHeader | None = None
    ahead: list[Event] = [first]
    notes: list[str] = []
    if isinstance(first, XendHeader):  # xend (xm save): its configuration becomes xl's
        xl, notes, ahead = _from_xend(first, events)
    elif isinstance(first, XlHeader):
        xl = first
        second = next(events, None)
        if second is None:
            raise ConvertError("the xl file holds no stream")
        ahead = [second] if isinstance(second, LegacyHeader) else [first, second]
    if isinstance(ahead[0], LegacyHeader):
        config = (move_opts or {}).get("config")
        if to == "xapi" or (config is not None and to != "libvirt"):
            raise ConvertError(
                "a legacy image moves in two steps: convert it first (--to xl or --to "
                "libxl), then move the result (--config and --to xapi apply to v2/v3 images)"
            )
        if to == "libvirt":  # converted to a libxl stream behind a version 2 header
            from .moves import MoveError, libvirt_prefix

            try:
                out.write(libvirt_prefix(config, (move_opts or {}).get("config_name", "")))
            except MoveError as e:
                raise ConvertError(str(e)) from None
            lc = _Legacy(reader, out, "libxl", xl, allow_loss)
            lc.run(_chain(ahead, events))
            lc.notes.append("the legacy stream became a libxl stream: libvirt header version 2")
            return ConvertResult("legacy", "libvirt", out.pos, lc.notes)
        target: Target = to or ("xl" if xl is not None else "libxl")
        lc = _Legacy(reader, out, target, xl, allow_loss)
        lc.notes += notes
        lc.run(_chain(ahead, events))
        return ConvertResult("xend" if notes else "legacy", target, out.pos, lc.notes)
    if to in ("libxl", "xl", "libvirt", "xapi"):
        return _move(_chain(ahead, events), in_fd, out, to, allow_loss, move_opts or {})
    if move_opts and move_opts.get("config") is not None:
        raise ConvertError("--config applies to --to xl, libvirt (toolstack moves)")
    version = {"libxc-v3": 3, "libxc-v2": 2}.get(to or "", 0)
    vc = _Version(reader, out, version or 3, in_fd)
    if in_fd is None:
        raise ConvertError("converting between v2 and v3 needs a regular file as input")
    if not version:
        # no --to: flip the version, found on the first libxc image header
        pre = list(ahead)
        while not any(isinstance(e, XcImageHeader) for e in pre):
            nxt = next(events, None)
            if nxt is None:
                raise ConvertError("no libxc stream in this image")
            pre.append(nxt)
        ih = next(e for e in pre if isinstance(e, XcImageHeader))
        vc.version = 2 if ih.version >= 3 else 3
        ahead = pre
    vc.run(_chain(ahead, events))
    target_name = f"libxc-v{vc.version}"
    if vc.src_versions == {vc.version} and not vc.pads and not out.pads:
        vc.notes.append(f"the image already is {target_name}: copied unchanged")
    return ConvertResult(
        "/".join(f"libxc-v{v}" for v in sorted(vc.src_versions)), target_name, out.pos, vc.notes
    )


def _shown(events: Iterator[Event], reader: Reader, progress: Progress) -> Iterator[Event]:
    """``events``, with the input offset shown as each goes by."""
    for ev in events:
        progress.update(reader.src.offset)
        yield ev


def _move_options(config: str | None, emulator: str | None) -> dict[str, Any]:
    opts: dict[str, Any] = {"emulator": emulator, "config": None, "config_name": config or ""}
    if config is not None:
        from .console import InputError
        from .edit import EditError, read_config

        try:
            opts["config"] = read_config(config)
        except EditError as e:  # unreadable or too large: a usage error (exit 2)
            raise InputError(str(e)) from None
    return opts


def _move(
    events: Iterator[Event],
    in_fd: int | None,
    out: _Out,
    to: Target,
    allow_loss: bool,
    opts: dict[str, Any],
) -> ConvertResult:
    """A toolstack move (xensave.moves): the stream copied, the wrapper rebuilt."""
    from .moves import MoveError, move

    if in_fd is None:
        raise ConvertError("a toolstack move needs a regular file as input")
    try:
        layer, notes = move(events, in_fd, out, to, allow_loss=allow_loss, **opts)
    except MoveError as e:
        raise ConvertError(str(e)) from None
    return ConvertResult(layer, to, out.pos, notes)


def _from_xend(h: XendHeader, events: Iterator[Event]) -> tuple[XlHeader, list[str], list[Event]]:
    """An xend file: the xl header its configuration becomes (xensave.xend), the notes
    on it, and the legacy image's first event."""
    from .xend_config import XendConfigError, xl_header_of

    second = next(events, None)
    if not isinstance(second, LegacyHeader):
        raise ConvertError("the xend file holds no legacy image after its configuration")
    try:
        xl, notes = xl_header_of(h, second.guest)
    except XendConfigError as e:
        raise ConvertError(str(e)) from None
    return xl, notes, [second]


def _chain(first: list[Event], rest: Iterator[Event]) -> Iterator[Event]:
    yield from first
    yield from rest


# --- command line ------------------------------------------------------------------------------


CONVERT_EPILOG = """\
exit status: 0 OUT written, 1 IN is invalid or cannot be converted (OUT untouched),
2 usage or I/O error, OUT refused (it is IN, it exists without --force, or it is not
a regular file: a device, FIFO, socket, directory or symlink is never replaced), or a
legacy image that reads as several variants (the message names them and the
--legacy-width/--legacy-guest options that choose one)

examples:
  xensave convert old.img new.libxl                 # legacy -> libxl stream (detected)
  xensave convert --to libxc-v3 old.img new.xc      # legacy -> bare libxc v3
  xensave convert --legacy-width 32 --legacy-guest hvm odd.img new.libxl
  xensave convert --to libxc-v2 guest.xl guest-v2.xl  # v3 -> v2 for Xen < 4.14
  xensave convert --json old.img new.libxl | jq .notes

Progress is shown on stderr when it is a terminal (reading IN, then verifying OUT).

toolstack moves (v2/v3 images; a legacy image goes to libvirt converted to a libxl
stream, and to XAPI in two steps: convert it to xl first):
  xensave convert --to libvirt --config dom.xml --allow-loss guest.xl guest.libvirt
  xensave convert --to xl --config dom.json --allow-loss guest.libvirt guest.xl
  xensave convert --to xapi --allow-loss guest.xl guest.xapi  # LIBXC + QEMU_TRAD
  xensave convert --to xl --emulator qemu-xen --allow-loss vm.xapi vm.xl
A libvirt file gets version 2 (a libxl stream follows), as libvirt built for Xen 4.6
and later writes; a XAPI image a LIBXC section (xenopsd refuses LIBXL sections) and
the device model state as QEMU_TRAD. Losses (the other toolstack's configuration,
xenopsd's metadata, EMULATOR_XENSTORE_DATA, a UEFI variable store) are listed;
a checkpointed (Remus/COLO) stream does not move to XAPI. See docs: toolstack moves.
"""


def register(sub: object) -> None:
    """Add the ``convert`` subcommand to the CLI's subparsers."""
    import argparse

    p = sub.add_parser(  # type: ignore[attr-defined]
        "convert",
        help="convert a legacy image to v3/v2, libxc v3 <-> v2, or move between toolstacks",
        description="Convert IN into OUT. A legacy (Xen 4.5 and older) image becomes a "
        "libxc v3 or v2 stream, a libxl stream or an xl save file (default: xl for a "
        "legacy xl file or an xend (xm save) file, libxl otherwise); its toolstack "
        "width and guest type are detected, and an xend file's S-expression "
        "configuration becomes xl's JSON where the mapping is clear (the notes name "
        "the rest). A libxc v3 image becomes v2 and a v2 image v3 (default: the other "
        "version), its other layers kept. --to xl, libvirt, xapi or libxl on a v2/v3 image "
        "moves it between toolstacks: its stream copied as it is, the wrapper around it "
        "rebuilt (the configuration from --config or IN; what OUT has no place for is "
        "refused unless --allow-loss). IN is never modified; OUT is written only "
        "when the conversion is complete and verifies clean, an existing OUT replaced "
        "only with --force and only if it is a regular file.",
        epilog=CONVERT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", metavar="IN", help="the image to convert")
    p.add_argument("output", metavar="OUT", help="where to write the converted image")
    p.add_argument("--to", choices=TARGETS, help="the output format")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace OUT if it is an existing regular file (anything else is refused)",
    )
    add_legacy_flags(p)
    p.add_argument(
        "--config",
        metavar="FILE",
        help="toolstack moves: the domain configuration OUT carries (libxl JSON for "
        "--to xl, libvirt XML for --to libvirt)",
    )
    p.add_argument(
        "--emulator",
        choices=("qemu-xen", "qemu-traditional"),
        help="toolstack moves from a XAPI image or a bare libxc stream: the device model "
        "whose state it holds (libxl's EMULATOR_CONTEXT emulator id; default 0, unknown)",
    )
    p.add_argument(
        "--allow-loss",
        action="store_true",
        help="convert even where OUT cannot hold everything IN has (each loss is listed)",
    )
    durable = p.add_mutually_exclusive_group()
    durable.add_argument(
        "--sync",
        action="store_true",
        help="fsync OUT before renaming it into place even when it is a new file (by "
        "default only a replaced OUT is synced first); the disk's write speed then "
        "bounds the conversion",
    )
    durable.add_argument(
        "--no-sync",
        action="store_true",
        help="never fsync OUT, not even when it replaces a file (a crash may then leave "
        "an incomplete OUT in place of the old one)",
    )
    p.add_argument(
        "--align-pages",
        action="store_true",
        help="start the page contents of every PAGE_DATA record on a 4096-byte boundary "
        "of OUT, with an optional padding record before it (Xen's restorer skips it); "
        "costs under 4 KiB per record, lets export share or map pages",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument(
        "--json", action="store_true", help="print the result (formats, bytes, notes) as JSON"
    )
    out.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing on success, show no progress"
    )


def cmd_convert(args: object) -> int:
    import sys

    from .progress import Progress

    a = args
    if a.config is not None and a.to not in ("xl", "libvirt"):  # type: ignore[attr-defined]
        # a usage error, found before IN is opened: only those files hold a configuration
        print(
            "xensave: convert: --config applies to --to xl and --to libvirt (the "
            "configuration an xl or libvirt save file holds)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    bar = Progress(None) if not a.quiet else None  # type: ignore[attr-defined]
    try:
        r = convert(
            a.input,  # type: ignore[attr-defined]
            a.output,  # type: ignore[attr-defined]
            a.to,  # type: ignore[attr-defined]
            legacy_width=a.legacy_width,  # type: ignore[attr-defined]
            legacy_guest=a.legacy_guest,  # type: ignore[attr-defined]
            allow_loss=a.allow_loss,  # type: ignore[attr-defined]
            sync=True if a.sync else False if a.no_sync else None,  # type: ignore[attr-defined]
            force=a.force,  # type: ignore[attr-defined]
            progress=bar,
            config=a.config,  # type: ignore[attr-defined]
            emulator=a.emulator,  # type: ignore[attr-defined]
            align_pages=a.align_pages,  # type: ignore[attr-defined]
        )
    except LegacyAmbiguous as e:
        print(f"xensave: convert: {a.input}: {e.message}", file=sys.stderr)  # type: ignore[attr-defined]
        return EXIT_ERROR
    except ConvertError as e:
        print(f"xensave: convert: {a.input}: {e}", file=sys.stderr)  # type: ignore[attr-defined]
        return EXIT_INVALID
    except OutputError as e:
        print(f"xensave: convert: {e}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as e:
        name = e.filename if isinstance(e.filename, str) else a.output  # type: ignore[attr-defined]
        if ".xensave-" in os.path.basename(name):
            name = a.output  # type: ignore[attr-defined]
        print(f"xensave: convert: {name}: {reason(e)}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if bar is not None:
            bar.close()
    if a.json:  # type: ignore[attr-defined]
        import json

        doc = {
            "input": a.input,  # type: ignore[attr-defined]
            "output": a.output,  # type: ignore[attr-defined]
            "source": r.source,
            "target": r.target,
            "bytes_written": r.bytes_written,
            "notes": r.notes,
        }
        print(json.dumps(doc, indent=2))
    elif not a.quiet:  # type: ignore[attr-defined]
        print(f"{a.output}: {r.source} -> {r.target}, {r.bytes_written} bytes")  # type: ignore[attr-defined]
        for note in r.notes:
            print(f"  {note}")
    return EXIT_VALID
