"""``xensave convert`` of a legacy (Xen 4.5 and older) image: its events, as
xensave.legacy.read yields them, become a libxc v3 or v2 stream, bare or inside a
libxl stream or an xl save file (an xend file's configuration made xl's on the way,
by xensave.xend_config). Page batches become PAGE_DATA records whose pfn entries are
rewritten without unpacking them and whose page contents the reader's page sink
copies (xensave.convert_out); Remus compressed pages are decoded against the pages
already written, which a pfn -> output offset table finds (8 octets a guest pfn,
built only when a compressed body appears).
"""

from __future__ import annotations

import os
import struct
from array import array

from .constants import (
    LIBXL_OPT_LEGACY,
    PV_VCPU_CONTEXT_SIZE,
    XL_MAGIC,
    DomainType,
    EmulatorId,
    HvmParam,
    LibxlRecType,
    XcRecType,
    XlMandatoryFlag,
)
from .convert_out import ConvertError, OutFile
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

TYPE_CHECKING = False  # typing stays off the start-up; mypy reads this as true
if TYPE_CHECKING:
    from collections.abc import Iterator

    from .convert_out import Target
    from .legacy.read import (
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
    from .reader import Event, Reader, XlHeader


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


class LegacyConverter:
    """Turns legacy events into a libxc stream (wrapped as the target asks)."""

    def __init__(
        self, reader: Reader, out: OutFile, target: Target, xl: XlHeader | None, allow_loss: bool
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
        self.header_offset = 0

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
        self.header_offset = ev.offset
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
        if not 0 < self.p2m_size <= 1 << 32:
            # X86_PV_P2M_FRAMES names the last pfn in 32 bits; no such record can say
            # "none" or a pfn beyond them (convert-legacy-stream fails here too)
            rule = "LEG-HDR-001" if self.p2m_size == 0 else "LEG-HDR-002"
            raise ConvertError(
                f"{self.header_offset:#x}: {rule}: p2m_size {self.p2m_size:#x} leaves a PV "
                "guest no last pfn that an X86_PV_P2M_FRAMES record can name"
            )
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
            if ev.pages is None:  # the reader's sink copies them from IN: keep their phase
                self.out.keep_page_phase(ev.offset + 4 + len(ev.raw), 16 + 8 * n, "<")
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
