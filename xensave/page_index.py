"""The page index of an image, and replaying it: one pass over the image notes where
each run of pages lies in the input (or a spool), which pfn it starts at and how many
pages it holds, the set of pfns sent (as runs) and the vCPU registers; page contents
are never held in memory. ``replay`` then copies the runs in stream order (so when live
migration sent a page several times the last copy wins) to wherever the output wants
them: shared blocks (reflink) where the filesystem has them and a run sits on block
boundaries in both files (a page-aligned stream), ``copy_file_range`` where a run sits
at the same offset within a page in both, a splice through a pipe (one copy) at other
offsets, ``pread``/``pwrite`` through a buffer where OUT lies 1-31 octets ahead of IN
within a page (xensave._writeback.near) or the kernel cannot splice. ``export`` from
a file does not wait for the whole index: a :class:`Pipeline` copies each run on a
second thread as soon as the index finds it.
"""

from __future__ import annotations

import errno
import os
import struct
from array import array

from ._slots import Struct, field
from ._writeback import Bounce, Cloner, Splicer, near, same_phase
from .console import EXIT_ERROR, EXIT_INVALID
from .constants import (
    PAGE_DATA_PFN_MASK,
    PAGE_DATA_TYPE_SHIFT,
    PAGE_TYPES_WITHOUT_DATA,
    REC_LENGTH_MAX,
    XcRecType,
)
from .source import SPLICE_STEP
from .vcpu_regs import Vcpu, hvm_context_cpus, pv_regs

#: typing stays off the export's start-up (with the ``re`` it loads, some 10 ms of a
#: 1 GiB export's 0.4 s); mypy reads this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import BinaryIO, Literal, Protocol

    class PagePlacer(Protocol):
        """Where a reader puts each record's page contents in ``fd`` as it reads them
        (``ReadOptions.page_places``): :class:`Placer` for a raw image,
        :class:`xensave.elf_core.StreamCore` for an ELF core."""

        fd: int
        page_size: Callable[[], int]

        def places(self, ev: object) -> list[tuple[int | None, int]]: ...

    class WriteObserver(Protocol):
        """Told of every byte copied to the output (``xensave.export.Writeback`` starts
        the disk writing as the copy goes)."""

        def wrote(self, n: int) -> None: ...

    #: Told of each run of pages as the index finds it, in stream order: its offset in
    #: IN, first pfn, pages, and the page size.
    EarlyCopy = Callable[[int, int, int, int], None]


class ExportError(Exception):
    """The export is refused or cannot be done; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


# --- the index ------------------------------------------------------------------------


class Index(Struct):
    page_size: int = 4096
    ops: array[int] = field(default_factory=lambda: array("Q"))  # src_off, pfn, n
    runs: array[int] = field(default_factory=lambda: array("Q"))  # start, end (exclusive)
    copies: int = 0  # data pages in the stream, repeats included
    no_data: int = 0  # entries of a type without contents (XTAB, BROKEN, XALLOC)
    vcpus: dict[int, Vcpu] = field(default_factory=dict)
    layer: str = ""
    notes: list[str] = field(default_factory=list)

    def ranges(self) -> list[tuple[int, int]]:
        """Sorted, merged [start, end) ranges of the pfns sent with data."""
        pairs = sorted(zip(self.runs[0::2], self.runs[1::2], strict=True))
        out: list[tuple[int, int]] = []
        for s, e in pairs:
            if out and s <= out[-1][1]:
                if e > out[-1][1]:
                    out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        return out


def gaps(
    ranges: list[tuple[int, int]], lo: int = 0, hi: int | None = None
) -> list[tuple[int, int]]:
    """[start, end) ranges in [lo, hi) that ``ranges`` (sorted, merged) do not cover."""
    end = hi if hi is not None else (ranges[-1][1] if ranges else lo)
    out: list[tuple[int, int]] = []
    here = lo
    for s, e in ranges:
        if e <= here:
            continue
        if s >= end:
            break
        if s > here:
            out.append((here, min(s, end)))
        here = max(here, e)
    if here < end:
        out.append((here, end))
    return out


def fmt_ranges(rs: list[tuple[int, int]], limit: int | None = None) -> str:
    parts = [f"{s:#x}" if e - s == 1 else f"{s:#x}-{e - 1:#x}" for s, e in rs[:limit]]
    if limit is not None and len(rs) > limit:
        parts.append(f"... and {len(rs) - limit} more ranges (--json lists all)")
    return ", ".join(parts)


def build_index(
    f: BinaryIO,
    spool: BinaryIO | None,
    *,
    want: Callable[[int, int], bool] | None = None,
    name: str = "IN",
    progress: Callable[[int], None] | None = None,
    direct: PagePlacer | None = None,
    early: EarlyCopy | None = None,
) -> Index:
    """Read the image once. Without ``spool`` the input must be a seekable file and
    ops point into it; with ``spool`` page contents are appended there and ops point
    into the spool; with ``direct`` they go straight to their place in its output as
    they are read, and there are no ops. ``want(start, end)`` limits the copied runs
    (not the index of what was sent). ``progress(offset)`` is told the input offset as
    the reading goes. ``early(src_offset, pfn, pages, page_size)`` is told of each op
    as it is added, so that its copy can start while the reading goes on."""
    from .console import format_read_error
    from .reader import Reader, ReadError, ReadOptions, RecordEvent

    idx = Index()
    # a pipe's page contents go to the spool (or OUT) as they are read, spliced by the
    # kernel (the spool is written through its descriptor only)
    if direct is not None:
        opts = ReadOptions(want_pages=True, page_fd=direct.fd, page_places=direct.places)
        spool = None
        want = _nothing
    else:
        spool_fd = spool.fileno() if spool is not None else None
        opts = ReadOptions(want_pages=spool is not None, page_fd=spool_fd)
    reader = Reader(f, opts)
    if direct is not None:
        direct.page_size = lambda: reader.st.page_size
    try:
        for ev in reader:
            if progress is not None:
                progress(reader.src.offset)
            if not isinstance(ev, RecordEvent) or ev.layer != "libxc":
                continue
            if ev.type == XcRecType.PAGE_DATA and len(ev.body) >= 8:
                if not ev.body_complete:
                    raise ExportError(_too_long(name, ev), _too_long_code(ev))
                _page_data(idx, reader.st.page_size, ev, spool, want, early)
            elif ev.type == XcRecType.X86_PV_VCPU_BASIC and len(ev.body) >= 8:
                vid = struct.unpack_from(f"{ev.endian}I", ev.body)[0]
                got = pv_regs(ev.body[8:], ev.endian)
                if got is not None:
                    idx.vcpus[vid] = Vcpu(vid, got[0], got[1])
                else:
                    idx.notes.append(
                        f"vCPU {vid}: X86_PV_VCPU_BASIC of {len(ev.body) - 8} bytes is "
                        "neither a 64-bit nor a 32-bit context; registers left zero"
                    )
                    idx.vcpus[vid] = Vcpu(vid, "none")
            elif ev.type == XcRecType.HVM_CONTEXT:
                for vid, regs in hvm_context_cpus(ev.body, ev.endian):
                    idx.vcpus[vid] = Vcpu(vid, "hvm", regs)
    except ReadError as e:
        raise ExportError(format_read_error(e, name), EXIT_INVALID) from None
    idx.layer = reader.layer or ""
    idx.page_size = reader.st.page_size
    return idx


def _nothing(start: int, end: int) -> bool:
    return False


class Placer:
    """Where each page a stream sends goes in a raw image (pfn N at N * page size),
    for a reader that copies page contents there as it reads them (a pipe: the kernel
    splices them, nothing is spooled). The last copy of a page wins as the stream
    goes. A page that would put the image over ``limit`` octets is skipped and
    ``over`` set: the caller refuses the image on its size, as it would have before
    writing anything."""

    def __init__(self, fd: int, limit: int, observer: WriteObserver | None) -> None:
        self.fd = fd
        self.page_size: Callable[[], int] = lambda: 4096  # the reader's, once reading
        self.limit = limit
        self.observer = observer
        self.over = False

    def places(self, ev: object) -> list[tuple[int | None, int]]:
        ps = self.page_size()
        runs = record_runs(ev, ps)
        out: list[tuple[int | None, int]] = []
        for pfn, m in runs:
            if (pfn + m) * ps > self.limit:
                self.over = True
                out.append((None, m * ps))
                continue
            out.append((pfn * ps, m * ps))
            if self.observer is not None:
                self.observer.wrote(m * ps)
        return out


def record_runs(ev: object, ps: int) -> list[tuple[int, int]]:
    """The (first pfn, pages) runs of a PAGE_DATA record's contents, in the order its
    contents come: entries without contents skipped, as many pages as it carries."""
    from .reader import RecordEvent

    assert isinstance(ev, RecordEvent)
    if not ev.body_complete or len(ev.body) < 8:
        return []  # build_index refuses the record: nothing placed
    (count,) = struct.unpack_from(f"{ev.endian}I", ev.body)
    n = min(count, (len(ev.body) - 8) // 8)
    avail = ev.page_bytes // ps
    if not n:
        return []
    first = consecutive(ev.body, n, ev.endian) if n <= avail else None
    if first is not None:  # the usual batch: one run
        return [(first, n)]
    runs: list[tuple[int, int]] = []
    k = 0
    for ent in struct.unpack_from(f"{ev.endian}{n}Q", ev.body, 8):
        if ent >> PAGE_DATA_TYPE_SHIFT in PAGE_TYPES_WITHOUT_DATA:
            continue
        if k >= avail:
            break
        pfn = ent & PAGE_DATA_PFN_MASK
        if runs and runs[-1][0] + runs[-1][1] == pfn:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((pfn, 1))
        k += 1
    return runs


#: Per (entries, byte order): the two numbers ``consecutive`` compares with, cached
#: for the few counts an image uses (Xen's saver: 1024, and one last batch); cleared
#: when full, so a hostile image with every count costs time, not memory.
_RUN_KEYS: dict[tuple[int, str], tuple[int, int]] = {}


def consecutive(body: bytes, n: int, endian: str) -> int | None:
    """The first pfn when the ``n`` pfn entries at ``body[8:]`` are ``first,
    first + 1, ...`` of plain data pages (type and reserved bits zero), else None.

    Checked at C speed, as one comparison of big integers: the entries read as one
    integer in their byte order are ``first * R + S``, with R the number whose base
    2**64 digits are all 1 and S the one whose digits are 0, 1, 2...; every digit of
    both sides lies below 2**64, so they are equal exactly when every entry is. About
    a fifth of the cost of unpacking 1024 entries and comparing them with a range."""
    if not n:
        return None
    (first,) = struct.unpack_from(f"{endian}Q", body, 8)
    (last,) = struct.unpack_from(f"{endian}Q", body, 8 * n)
    if last - first != n - 1 or last > PAGE_DATA_PFN_MASK:
        return None
    order: Literal["little", "big"] = "little" if endian == "<" else "big"
    key = _RUN_KEYS.get((n, endian))
    if key is None:
        if len(_RUN_KEYS) >= 16:
            _RUN_KEYS.clear()
        ones = int.from_bytes(b"\x01\x00\x00\x00\x00\x00\x00\x00" * n, "little")
        steps = int.from_bytes(struct.pack(f"{endian}{n}Q", *range(n)), order)
        key = _RUN_KEYS[(n, endian)] = (ones, steps)
    got = int.from_bytes(memoryview(body)[8 : 8 + 8 * n], order)
    return first if got == first * key[0] + key[1] else None


def _too_long(name: str, ev: object) -> str:
    from .reader import PFN_KEEP_MAX, RecordEvent

    assert isinstance(ev, RecordEvent)
    return (
        f"{name}:{ev.offset:#x}: record #{ev.index} PAGE_DATA: a pfn array of "
        f"{ev.pfn_entries} entries (body_length {ev.length}) is more than export indexes "
        f"in one record ({PFN_KEEP_MAX // 8}; Xen's saver sends at most 1024)"
    )


def _too_long_code(ev: object) -> int:
    """Invalid when Xen's restorer refuses the record on its length (XC-REC-008)."""
    from .reader import RecordEvent

    assert isinstance(ev, RecordEvent)
    return EXIT_INVALID if ev.length > REC_LENGTH_MAX else EXIT_ERROR


def _page_data(
    idx: Index,
    ps: int,
    ev: object,
    spool: BinaryIO | None,
    want: Callable[[int, int], bool] | None,
    early: EarlyCopy | None = None,
) -> None:
    from .reader import RecordEvent

    assert isinstance(ev, RecordEvent)
    (count,) = struct.unpack_from(f"{ev.endian}I", ev.body)
    n = min(count, (len(ev.body) - 8) // 8)
    avail = ev.page_bytes // ps
    base = ev.body_offset + len(ev.body)
    if spool is not None:  # the reader has appended them to the spool already
        base = os.lseek(spool.fileno(), 0, os.SEEK_CUR) - ev.page_bytes
    k = 0
    run_pfn = run_k = run_n = 0

    def flush() -> None:
        if not run_n:
            return
        idx.runs.extend((run_pfn, run_pfn + run_n))
        if want is None or want(run_pfn, run_pfn + run_n):
            src = base + run_k * ps
            idx.ops.extend((src, run_pfn, run_n))
            if early is not None:
                early(src, run_pfn, run_n, ps)

    first = consecutive(ev.body, n, ev.endian) if n <= avail else None
    if first is not None:  # the usual batch: one run
        run_pfn, run_n = first, n
        flush()
        idx.copies += n
        return
    for ent in struct.unpack_from(f"{ev.endian}{n}Q", ev.body, 8):
        ptype = ent >> PAGE_DATA_TYPE_SHIFT
        if ptype in PAGE_TYPES_WITHOUT_DATA:
            idx.no_data += 1
            continue
        pfn = ent & PAGE_DATA_PFN_MASK
        if k >= avail:
            idx.notes.append(
                f"{ev.offset:#x}: record #{ev.index} PAGE_DATA: {k} of its data pfns have "
                "contents; the rest are left out"
            )
            break
        if run_n and pfn == run_pfn + run_n:
            run_n += 1
        else:
            flush()
            run_pfn, run_k, run_n = pfn, k, 1
        k += 1
    flush()
    idx.copies += k


# --- copying ---------------------------------------------------------------------------

COPY_CHUNK = 8 << 20  # bytes per pread/pwrite, and per write to stdout
#: Octets per write into OUT's page cache: the kernel makes larger writes into large
#: folios, which cost about twice the CPU per octet on the Linux 6.x measured (a 1 GiB
#: export whose pages cannot be moved by copy_file_range: 1.2-1.6 s of CPU in writes
#: of 256 KiB, 0.6-0.7 s in writes of 64 KiB; ``cp`` 0.5 s). The same size as a splice
#: from a pipe, for the same reason.
WRITE_STEP = SPLICE_STEP


class Copier:
    """Copy byte ranges between file descriptors: shared blocks, else copy_file_range
    (equal offsets within a page), else a splice through a pipe (one copy), else (OUT
    just ahead of IN within a page, or no splice) pread/pwrite through a buffer placed
    where both copies are fast. ``cloner.shared`` says how much was shared; ``close``
    releases the pipe."""

    def __init__(self, src: int, dst: int, writeback: WriteObserver | None = None) -> None:
        self.src = src
        self.dst = dst
        self.cfr = hasattr(os, "copy_file_range")
        self.writeback = writeback
        self.cloner = Cloner(src, dst)
        self.splicer = Splicer()
        self.bounce: Bounce | None = None

    def close(self) -> None:
        self.splicer.close()

    def copy(self, src_off: int, dst_off: int, n: int) -> None:
        shared = self.cloner.clone(src_off, dst_off, n)
        src_off += shared
        dst_off += shared
        n -= shared
        if self.writeback is not None and n:
            self.writeback.wrote(n)
        while n > 0 and self.cfr and same_phase(src_off, dst_off):
            try:
                done = os.copy_file_range(self.src, self.dst, min(n, 1 << 30), src_off, dst_off)
            except OSError as e:
                if e.errno in (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                    self.cfr = False
                    break
                raise
            if done <= 0:
                raise ExportError(f"input ends early at {src_off:#x}", EXIT_INVALID)
            src_off += done
            dst_off += done
            n -= done
        splicer = self.splicer
        while n > 0 and splicer.on and not near(src_off, dst_off):
            moved = splicer.move(self.src, src_off, self.dst, dst_off, n)
            if moved is None:
                break  # not here: the buffer
            if not moved:
                raise ExportError(f"input ends early at {src_off:#x}", EXIT_INVALID)
            src_off += moved
            dst_off += moved
            n -= moved
        if n > 0 and self.bounce is None:
            self.bounce = Bounce()
        while n > 0:
            assert self.bounce is not None
            data = self.bounce.read(self.src, src_off, n, dst_off)
            if not data:
                raise ExportError(f"input ends early at {src_off:#x}", EXIT_INVALID)
            while data:  # in small writes: see WRITE_STEP
                done = os.pwrite(self.dst, data[:WRITE_STEP], dst_off)
                data = data[done:]
                src_off += done
                dst_off += done
                n -= done


class Pipeline:
    """Copies runs of pages into OUT on a second thread while the main one is still
    reading IN's index: the kernel copies (``copy_file_range`` and ``pwrite`` release
    the interpreter's lock) while Python parses the records that follow, so on a
    machine with a core to spare the index costs no time of its own. Copies are made
    in the order given, so the last copy of a page wins as in ``replay``.

    The work list is three integers per run, as the index is, and the copier reads it
    where the reader appends it: no queue of objects. ``close`` waits for the copies
    and raises what the copier met (an I/O error, IN ending early); ``cancel`` (an
    error or a signal in the main thread) tells it to stop and does not wait for the
    copy under way: the copier works on descriptors of its own, which it closes, so
    the caller may close and remove OUT at once. The thread comes from ``_thread``,
    the C core of ``threading``, whose import (with its own) is a few milliseconds of
    start-up."""

    #: While the reader and the copier share the interpreter: how soon the reader
    #: hands the lock to a copier whose system call has returned (the default 5 ms
    #: would leave the kernel idle for longer than a 4 MiB copy takes).
    SWITCH_INTERVAL = 0.0002

    def __init__(
        self,
        src_fd: int,
        dst_fd: int,
        writeback: Callable[[int], WriteObserver] | None = None,
    ) -> None:
        """``writeback(fd)`` makes the observer of OUT's copies, given the copier's
        descriptor of OUT."""
        import _thread
        import sys

        src, dst = os.dup(src_fd), os.dup(dst_fd)
        self.copier = Copier(src, dst, writeback(dst) if writeback is not None else None)
        self.work: array[int] = array("Q")  # src_off, dst_off, octets
        self.copied = 0  # octets copied so far (the main thread shows it)
        self.error: BaseException | None = None
        self.closed = False
        self.stopped = False
        self.wake = _thread.allocate_lock()  # released by put: work (or close) is there
        self.wake.acquire()
        self.ended = _thread.allocate_lock()  # held until the copier thread returns
        self.ended.acquire()
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(self.SWITCH_INTERVAL)
        _thread.start_new_thread(self._run, ())

    def put(self, src_off: int, dst_off: int, n: int) -> None:
        """Copy ``n`` octets of IN at ``src_off`` to OUT at ``dst_off``, after those
        put before."""
        self.work.extend((src_off, dst_off, n))
        self._signal()

    def _signal(self) -> None:
        # only this thread releases ``wake`` and only the copier takes it, so a held
        # lock stays held until this release; a free one is a wake-up still pending
        if self.wake.locked():
            self.wake.release()

    def _run(self) -> None:
        work, copy = self.work, self.copier.copy
        i = 0
        try:
            while not self.stopped:
                closed = self.closed  # read before the length: all work put before it
                end = len(work)
                while i < end and not self.stopped:
                    n = work[i + 2]
                    copy(work[i], work[i + 1], n)
                    self.copied += n
                    i += 3
                if closed and i >= end:
                    break
                if i >= end:
                    self.wake.acquire()
        except BaseException as e:  # handed to the main thread
            self.error = e
        finally:
            self.copier.close()
            os.close(self.copier.src)
            os.close(self.copier.dst)
            self.ended.release()

    def _end(self) -> None:
        import sys

        self.closed = True
        self._signal()
        sys.setswitchinterval(self._interval)

    def close(self, waiting: Callable[[int], None] | None = None) -> None:
        """No more work: wait for the copies (``waiting(octets copied)`` told every
        0.1 s meanwhile) and raise what the copier met."""
        if self.closed:
            return
        self._end()
        try:
            while not self.ended.acquire(timeout=0.1):
                if waiting is not None:
                    waiting(self.copied)
        except BaseException:  # a signal: the copier stops too
            self.stopped = True
            raise
        if self.error is not None:
            raise self.error

    def cancel(self) -> None:
        """Tell the copier to stop after the copy under way, without waiting for it
        (an error or a signal elsewhere); nothing once ``close`` has run."""
        if self.closed:
            return
        self.stopped = True
        self._end()


def replay(
    idx: Index,
    src_fd: int,
    dst_fd: int,
    place: Callable[[int, int], Iterator[tuple[int, int, int]]],
    writeback: WriteObserver | None = None,
) -> int:
    """Copy every op in stream order; ``place(pfn, n)`` yields (page offset in the
    run, output offset, pages) for the parts of the run that go to the output.
    Returns how many octets the output shares with the input (reflink)."""
    ps = idx.page_size
    cp = Copier(src_fd, dst_fd, writeback)
    ops = idx.ops
    try:
        for i in range(0, len(ops), 3):
            src, pfn, n = ops[i], ops[i + 1], ops[i + 2]
            for k, out, m in place(pfn, n):
                cp.copy(src + k * ps, out, m * ps)
    finally:
        cp.close()
    note_shared(idx, cp.cloner.shared)
    return cp.cloner.shared


def note_shared(idx: Index, shared: int) -> None:
    """Say how much of OUT shares IN's blocks (reflink), when any does."""
    if shared:
        idx.notes.append(
            f"{shared} bytes of page contents share the image's blocks (reflink), not copied"
        )
