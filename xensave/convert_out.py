"""The output file of ``xensave convert`` and how octets of IN move into it.

OUT is written strictly in order. Page data is never decoded on the way: between
regular files it moves with ``copy_file_range`` where source and destination sit at
the same offset within a page (as ``cp`` does), or is shared with IN (reflink) where
the filesystem allows; at other offsets the kernel moves it through a pipe (one copy,
``splice``), except where OUT lies 1-31 octets ahead of IN within a page, the CPU's
slow case for any single copy: there through a buffer placed within a page where both
of its copies are fast (with ``READ_AHEAD``, the next piece read on a second thread;
xensave._writeback).
Elsewhere (a pipe) it goes through one bounded buffer.
"""

from __future__ import annotations

import os
import struct

from ._writeback import (
    CLONE_ALIGN,
    SYNC_FILE_RANGE_WRITE,
    WRITEBACK_STEP,
    Bounce,
    Cloner,
    ReadAhead,
    Splicer,
    near,
    reserve,
    same_phase,
    sync_file_range,
)

TYPE_CHECKING = False  # typing stays off the start-up; mypy reads this as true
if TYPE_CHECKING:
    from typing import BinaryIO, Literal

    from .reader import Reader

    #: What ``convert --to`` names.
    Target = Literal["libxc-v3", "libxc-v2", "libxl", "xl", "libvirt", "xapi"]

_COPY_CHUNK = 1 << 24
PAGE = 4096
#: convert's bounce buffer (xensave._writeback.Bounce). Copies of 1 GiB across page
#: phases, interleaved in one run on the 2-core machine (load 12-14, 5-6 runs, CPU
#: of the copy alone): 256 KiB 0.55 s, 512 KiB 0.49 s, 1 MiB 0.45 s, 2 MiB 0.40 s,
#: 4 MiB 1.1 s (a cliff); copy_file_range between equal phases 0.42 s, cp's copy
#: (the same without reserving OUT's blocks) 0.46-0.53 s. 1 MiB keeps clear of the
#: cliff, and a quarter of the system calls of 256 KiB. Only the copies a pipe cannot
#: make fast (``_writeback.near``: OUT 1-31 octets ahead of IN within a page) use it now.
BOUNCE = 1 << 20
#: Long copies that need two (OUT just ahead of IN within a page) read IN on a second
#: thread (xensave._writeback.ReadAhead); False: on this one. Off: on the shared 2-core
#: machine it cost about 10% more CPU for v2 -> v3 of 1 GiB (0.596 s against 0.540 s,
#: six runs interleaved at load 5) and took no wall time off where the other core was
#: busy (docs/performance.md, 8 December 2026, one copy through a pipe); an idle
#: machine may say otherwise.
READ_AHEAD = False
#: The shortest copy not shared with IN that makes OUT reserve its blocks (OutFile.reserve):
#: page contents, not a stretch of headers before the first shared ones.
RESERVE_AT = 1 << 20


class ConvertError(Exception):
    """The conversion is refused or failed; nothing was written to OUT."""


class OutFile:
    """The output file, written strictly in order.

    With ``writeback`` (when OUT is to be fsynced), each completed 32 MiB is handed to
    the kernel for writing as soon as it is complete, so the disk works while the
    conversion goes on and the fsync before the rename waits for what the disk has not
    yet written, not for the whole image."""

    def __init__(
        self, fd: int, writeback: bool = False, align: bool = False, keep_phase: bool = False
    ) -> None:
        self.fd = fd
        self.pos = 0
        self.flushed = 0  # output below this offset has had its writeback started
        self.sfr = sync_file_range() if writeback else None
        self.align = align  # page contents on 4096-octet boundaries (--align-pages)
        self.cloner: Cloner | None = None  # made on the first copy from the input
        self.pads = self.pad_bytes = 0  # alignment padding records written
        self.unaligned = 0  # PAGE_DATA records that no padding can align
        #: --keep-page-offsets: page contents at IN's offset within a page (congruent
        #: mod 4096), so that copy_file_range copies page onto page.
        self.keep_phase = keep_phase and not align
        self.phase_pads = self.phase_pad_bytes = 0  # padding records written for it
        self.phase_unkept = 0  # PAGE_DATA records whose shift no padding can undo
        self.splicer = Splicer()  # copies between different offsets within a page
        self.bounce: Bounce | None = None  # for copies where one copy is slow (near)
        self.ahead: ReadAhead | None = None  # the same, long ones, on two cores
        self.reserved = False  # OUT's blocks allocated up front (its size set)
        self.to_reserve = 0  # octets to reserve at the first copy not shared with IN

    def reserve(self, n: int) -> None:
        """Allocate about ``n`` octets of OUT before its page data is copied
        (xensave._writeback); ``finish`` then cuts what was not written. Done at the
        first copy from IN that the filesystem does not share (reflink): blocks
        reserved first would stay allocated under shared ones (btrfs frees a
        preallocated extent only when none of it is used), and OUT would take the
        space of a copy after all."""
        self.to_reserve = n

    def finish(self) -> None:
        """After the last write: OUT ends where the writing did."""
        self.release()
        if self.reserved:
            os.ftruncate(self.fd, self.pos)

    def release(self) -> None:
        """Close the pipe the copies went through and end the reading thread (also
        after an error)."""
        self.splicer.close()
        if self.ahead is not None:
            self.ahead.close()
            self.ahead = None

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

    def keep_page_phase(self, src_off: int, ahead: int, endian: str) -> None:
        """Before a PAGE_DATA record whose page contents start at ``src_off`` of IN and
        ``ahead`` octets after the record's start in OUT: with ``keep_phase``, the
        padding record (XC_REC_ALIGN_PAD, zero body) that puts them at the same offset
        within a page as in IN. A record is a multiple of 8 octets, so only a shift
        that is a multiple of 8 can be undone; the rest are counted. Once a stream is
        in phase, the records copied after it stay so: one padding record a stream,
        unless the converter changes the layout again further on."""
        if not self.keep_phase:
            return
        shift = (src_off - (self.pos + ahead)) % PAGE
        if not shift:
            return
        if shift % 8:
            self.phase_unkept += 1
            return
        from .constants import XC_REC_ALIGN_PAD

        body = (shift - 8) % PAGE  # the padding record's own 8-octet header counts too
        self.write(struct.pack(f"{endian}II", XC_REC_ALIGN_PAD, body) + bytes(body))
        self.phase_pads += 1
        self.phase_pad_bytes += 8 + body

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
        if self.cloner.on and same_phase(offset, self.pos):
            # in phase but mid-block (--keep-page-offsets): copy up to the next block
            # boundary, and the whole blocks after it can be shared
            head = -offset % CLONE_ALIGN
            if head and n - head >= CLONE_ALIGN:
                self._copy(in_fd, offset, head)
                offset += head
                n -= head
        shared = self.cloner.clone(offset, self.pos, n)
        if shared or self.cloner.shared:
            self.to_reserve = 0  # sharing: nothing to reserve
        elif self.to_reserve and n >= RESERVE_AT:
            self.reserved = reserve(self.fd, self.to_reserve)
            self.to_reserve = 0
        if shared:  # OUT now shares these blocks with IN: nothing was written
            self.pos += shared
            os.lseek(self.fd, self.pos, os.SEEK_SET)
            offset += shared
            n -= shared
        self._copy(in_fd, offset, n)

    def _copy(self, in_fd: int, offset: int, n: int) -> None:
        """Copy ``n`` octets of IN at ``offset`` to OUT's end: by the kernel, with
        ``copy_file_range`` between equal offsets within a page, else through a pipe
        (one copy), unless OUT lies just ahead of IN within a page (the CPU's slow
        case), where the bounce buffer makes two fast copies of one slow one."""
        splicer = self.splicer
        while n > 0:
            got: int | None = 0
            if same_phase(offset, self.pos):
                try:
                    step = _COPY_CHUNK if self.sfr is not None else 1 << 30
                    got = os.copy_file_range(in_fd, self.fd, min(n, step), offset)
                except OSError:
                    got = 0
            elif splicer.on and not near(offset, self.pos):
                got = splicer.move(in_fd, offset, self.fd, None, n)
                if got == 0:
                    raise ConvertError("the input ended early while copying page data")
            if not got and n >= 2 * BOUNCE and READ_AHEAD:  # two copies, on two cores
                self._read_ahead(in_fd, offset, n)
                return
            if not got:  # through a buffer (pages land just ahead of their offsets in IN)
                if self.bounce is None:
                    self.bounce = Bounce(BOUNCE)
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

    def _read_ahead(self, in_fd: int, offset: int, n: int) -> None:
        """Copy ``n`` octets of IN at ``offset`` to OUT's end through two buffers, the
        next one read on a second thread while this one is written."""
        ra = self.ahead
        if ra is None or not ra.alive:
            ra = self.ahead = ReadAhead(BOUNCE)
        for data in ra.chunks(in_fd, offset, n, self.pos):
            if not data:
                raise ConvertError("the input ended early while copying page data")
            self.write(data)


def feed(reader: Reader, out: OutFile, n: int) -> None:
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
    if src.size is not None and fileno(src.f) is not None:
        fd = fileno(src.f)
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


def fileno(f: BinaryIO) -> int | None:
    try:
        return f.fileno()
    except (OSError, ValueError, AttributeError):
        return None
