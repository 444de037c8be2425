"""What ``convert`` and ``export`` share to write OUT fast (Linux).

Reservation: OUT's blocks allocated in one call before it is written (``reserve``).
Early writeback: starting the disk write of each finished stretch of OUT while the
rest is still being produced leaves little for the fsync before the rename to wait
for. Reflink: where IN and OUT are on a filesystem that shares blocks between files
(btrfs, XFS, bcachefs...) and a stretch of page data sits at the same offset within a
block in both, OUT takes IN's blocks instead of a copy (``FICLONERANGE``); a page
aligned stream (``convert --align-pages``) makes every page that case.
One copy: where a stretch sits at different offsets within a page in IN and OUT, the
kernel moves it through a pipe (``Splicer``: IN's page cache into the pipe by
reference, then one copy into OUT), not through a buffer in user space (two copies),
unless OUT lies a few octets ahead of IN within a page (``near``), where any one copy
is the CPU's slow case and the buffer (``Bounce``) is placed to avoid it.
"""

from __future__ import annotations

import errno
import mmap
import os
import struct
import sys
from collections.abc import Callable, Iterator

TYPE_CHECKING = False  # typing stays off the start-up; mypy reads this as true
if TYPE_CHECKING:
    from typing import Any

#: Start the disk write of each completed stretch of output this long.
WRITEBACK_STEP = 32 << 20
#: linux/fs.h SYNC_FILE_RANGE_WRITE: start writeback of dirty pages, do not wait.
SYNC_FILE_RANGE_WRITE = 2


def sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """Linux's sync_file_range(2) from the C library (``os`` has no binding), or None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    fn: Callable[[int, int, int, int], int] | None = _libc(
        "sync_file_range", ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint
    )
    return fn


def _libc(name: str, *argtypes: Any) -> Any:
    """The C library's function ``name`` returning an int, or None where it has none.
    ``ctypes`` is loaded by the caller, only on the paths that need it."""
    import ctypes

    try:
        fn = getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):
        return None
    fn.argtypes = list(argtypes)
    fn.restype = ctypes.c_int
    return fn


#: Reserve OUT's blocks up front only for an output at least this long: below it the
#: C library's loading (some 7 ms) costs more than the reservation saves.
RESERVE_MIN = 64 << 20


def reserve(fd: int, n: int) -> bool:
    """Allocate the first ``n`` octets of the file ``fd`` in one call (Linux
    ``fallocate``, mode 0: what it holds stays, its size becomes ``n``; truncate to
    what was written at the end). The writes that follow then land in allocated
    blocks instead of each page reserving its own delayed allocation, which
    measured some 15% less system time for a 512 MiB write on ext4. Not
    ``posix_fallocate``: where the filesystem cannot, the C library emulates it by
    writing every block. False: not done (not Linux, too short, or refused:
    EOPNOTSUPP, ENOSPC...), and nothing changed."""
    if n < RESERVE_MIN or not sys.platform.startswith("linux"):
        return False
    import ctypes

    fn = _libc("fallocate", ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64)
    return fn is not None and bool(fn(fd, 0, 0, n) == 0)


#: The buffer a copy goes through when its destination lies just ahead of its source
#: within a page (``near``), where a single copy is slow: a read into a buffer placed
#: half a page from both, then a write from it (two copies, each at full speed).
BOUNCE_SIZE = 256 << 10
PAGE = 4096
#: A copy whose destination lies 1 to NEAR - 1 octets ahead of its source within a
#: page is the slow case of the kernel's copy (``rep movsb``) on the CPU measured
#: (AMD EPYC, family 25): 256 MiB read from the page cache into a buffer took 0.10-0.13
#: s of CPU with the buffer 1 to 31 octets ahead, 0.022-0.026 s at 0 and at every
#: distance from 32 to 4095 tried (32, 36, 40, 48, 56, 60, 76, 128 ... 4088); a
#: splice of 256 MiB into a file 0.17-0.18 s at 8, 24 and 31 octets, 0.09-0.11 s at
#: 0, 32, 40, 64, 128, 4064, 4080 and 4088. A store a few octets behind the next load
#: at the same offset within a page makes the CPU wait for it (4K aliasing).
NEAR = 32


def same_phase(src_off: int, dst_off: int) -> bool:
    """Whether a copy from ``src_off`` to ``dst_off`` moves whole pages onto whole
    pages (the case ``copy_file_range`` and reflink are fast for)."""
    return (src_off - dst_off) % CLONE_ALIGN == 0


def near(src_off: int, dst_off: int) -> bool:
    """Whether a copy from ``src_off`` to ``dst_off`` is the CPU's slow case (the
    destination 1 to NEAR - 1 octets ahead within a page): then it goes through the
    bounce buffer, placed by ``bounce_phase``; otherwise one copy (``Splicer``)."""
    return 0 < (dst_off - src_off) % PAGE < NEAR


def bounce_phase(src_off: int, dst_off: int | None) -> int:
    """Where within a page the buffer should start for a copy from ``src_off`` to
    ``dst_off``: at the source's offset (the read then copies page onto page), unless
    the destination lies just ahead of it, where the write would be the slow case; then
    half a page on, so that neither copy is near."""
    src = src_off % PAGE
    if dst_off is not None and near(src_off, dst_off):
        return (src + PAGE // 2) % PAGE
    return src


#: The pipe a ``Splicer`` moves page contents through. Copies of 1 GiB between
#: different offsets within a page (not near), whole commands interleaved on the
#: 2-core machine at load 8-10, median CPU of 4-5 runs: export raw 0.45 s through a 1
#: MiB pipe, 0.54 s through 256 KiB, 0.61 s through the old 256 KiB buffer; convert
#: v3 -> xl 0.44 s through 1 MiB, 0.76 s through 64 KiB, 0.59 s through the 1 MiB
#: buffer; ``cp`` 0.43-0.48 s. 1 MiB is what an unprivileged process may ask for
#: (/proc/sys/fs/pipe-max-size's default); a smaller pipe still works, slower.
PIPE_SIZE = 1 << 20
#: linux/fcntl.h F_SETPIPE_SZ (``fcntl`` has the name from Python 3.10 on Linux only).
F_SETPIPE_SZ = 1031


class Splicer:
    """Moves byte ranges between files through a pipe with ``splice(2)``: IN's page
    cache goes into the pipe by reference and is copied once, into OUT (a copy through
    a buffer in user space copies twice). ``on`` is False where there is no splice
    (not Linux) or the first attempt was refused (a filesystem without it): the caller
    then copies another way. Only the pipe is held, never the data: the pages in it
    belong to IN's page cache."""

    def __init__(self) -> None:
        self.on = hasattr(os, "splice")
        self.pipe: tuple[int, int] | None = None
        self.size = PIPE_SIZE

    def _open(self) -> tuple[int, int]:
        r, w = os.pipe()
        try:
            import fcntl

            self.size = fcntl.fcntl(w, F_SETPIPE_SZ, PIPE_SIZE)
        except OSError:  # over pipe-max-size or the user's pipe pages: the default size
            self.size = 64 << 10
        self.pipe = (r, w)
        return r, w

    def move(self, src: int, src_off: int, dst: int, dst_off: int | None, n: int) -> int | None:
        """Move up to ``n`` octets (at most the pipe's size) of ``src`` at ``src_off``
        to ``dst`` at ``dst_off`` (None: at its file position, which moves on). Returns
        how many (0: ``src`` ends at ``src_off``), or None when splice is refused here
        (nothing written; ``on`` is False from then on)."""
        r, w = self.pipe or self._open()
        try:
            got = os.splice(src, w, min(n, self.size), offset_src=src_off)
        except OSError as e:
            if e.errno in _REFUSED:
                self.close()
                self.on = False
                return None
            raise
        left = got
        try:
            while left:
                if dst_off is None:
                    done = os.splice(r, dst, left)
                else:
                    done = os.splice(r, dst, left, offset_dst=dst_off + got - left)
                left -= done
        except OSError as e:
            self.close()  # its contents are not OUT's to keep
            if left == got and e.errno in _REFUSED:
                self.on = False
                return None
            raise
        return got

    def close(self) -> None:
        if self.pipe is not None:
            for fd in self.pipe:
                os.close(fd)
            self.pipe = None


#: What a file that cannot be spliced answers (EINVAL: no splice_read or an O_APPEND
#: output; ENOSYS, EOPNOTSUPP: no splice here).
_REFUSED = frozenset((errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP))


class Bounce:
    """A cache-sized buffer for the copies a single copy is slow for (``near``) or that
    cannot be spliced, placed within a page as ``bounce_phase`` says (an anonymous
    mapping: page-aligned, so the phase is known without asking for its address)."""

    def __init__(self, size: int = BOUNCE_SIZE) -> None:
        self.size = size
        self.area = mmap.mmap(-1, size + PAGE)
        self.whole = memoryview(self.area)

    def read(self, fd: int, offset: int, n: int, dst_off: int | None = None) -> memoryview:
        """Up to ``size`` octets of ``fd`` at ``offset`` (empty at its end), for
        writing at ``dst_off`` of the output (None: unknown)."""
        at = bounce_phase(offset, dst_off)
        view = self.whole[at : at + min(n, self.size)]
        got = os.preadv(fd, [view], offset)
        return view[:got]


class ReadAhead:
    """The bounce buffer's copies on two cores: a second thread reads the next piece of
    IN into one of two buffers while the caller writes the other to OUT (``pread`` and
    ``write`` both release the interpreter's lock). The CPU time is the same as one
    buffer's; the wall time is about that of the writes alone, where a machine has a
    core to spare. For long copies where OUT lies just ahead of IN within a page
    (``near``), the only ones that still take two copies. After a copy that did not
    run to its end (an error, IN ending early, a signal) it is not used again
    (``alive`` False): the caller makes another. Convert uses it only with
    ``convert_out.READ_AHEAD``, off: measured dearer on the shared machine."""

    def __init__(self, size: int) -> None:
        import _thread

        self.size = size
        self.area = mmap.mmap(-1, 2 * (size + PAGE))
        whole = memoryview(self.area)
        self.slots = (whole[: size + PAGE], whole[size + PAGE :])
        self.free = (_thread.allocate_lock(), _thread.allocate_lock())  # held: being filled
        self.full = (_thread.allocate_lock(), _thread.allocate_lock())  # free: filled
        for lock in self.full:
            lock.acquire()
        self.posted = _thread.allocate_lock()  # released: a job (or the end) is posted
        self.posted.acquire()
        self.got = [0, 0]
        self.error: BaseException | None = None
        self.job: tuple[int, int, int, int] | None = None
        self.alive = True
        _thread.start_new_thread(self._run, ())

    def _run(self) -> None:
        while True:
            self.posted.acquire()
            job = self.job
            if job is None:
                return
            fd, off, n, at = job
            i = 0
            while n > 0:
                k = i & 1
                self.free[k].acquire()
                if self.job is None:  # stopped
                    return
                try:
                    got = os.preadv(fd, [self.slots[k][at : at + min(n, self.size)]], off)
                except BaseException as e:  # handed to the caller
                    self.error = e
                    got = -1
                self.got[k] = got
                self.full[k].release()
                if got <= 0:
                    break
                off += got
                n -= got
                i += 1

    def chunks(self, fd: int, offset: int, n: int, dst_off: int | None) -> Iterator[memoryview]:
        """``n`` octets of ``fd`` from ``offset``, piece by piece (an empty piece: IN
        ends there, and nothing follows), for writing at ``dst_off``; each piece is
        valid until the next is asked for."""
        assert self.alive
        at = bounce_phase(offset, dst_off)
        self.error = None
        self.job = (fd, offset, n, at)
        self.posted.release()
        done = False
        try:
            i = 0
            while n > 0:
                k = i & 1
                self.full[k].acquire()
                got = self.got[k]
                if got < 0:
                    assert self.error is not None
                    raise self.error
                yield self.slots[k][at : at + got]
                if not got:
                    return
                self.free[k].release()
                n -= got
                i += 1
            done = True
        finally:
            if not done:
                self.close()

    def close(self) -> None:
        """Stop the reading thread (it ends at its next step) and retire this one."""
        self.alive = False
        self.job = None
        # only this thread releases these locks; the reader only takes them, so one held
        # now is released once, and one free now lets the reader through to its end
        for lock in (self.posted, *self.free):
            if lock.locked():
                lock.release()


#: linux/fs.h: _IOW(0x94, 13, struct file_clone_range).
FICLONERANGE = 0x4020940D
#: The granule a clone must be aligned to on the filesystems that have it (their
#: block size; 4096 on btrfs and XFS on x86). A larger one makes the kernel refuse
#: (EINVAL), and the copy then goes the usual way.
CLONE_ALIGN = 4096


class Cloner:
    """Shares byte ranges of one file into another with ``FICLONERANGE``; counts what
    it shared. The first refusal (no such ioctl here, another filesystem, a filesystem
    without reflink) turns it off for good: the caller copies instead."""

    def __init__(self, src_fd: int, dst_fd: int) -> None:
        self.src = src_fd
        self.dst = dst_fd
        self.on = sys.platform.startswith("linux")
        self.shared = 0  # octets OUT shares with IN

    def clone(self, src_off: int, dst_off: int, n: int) -> int:
        """Share the longest whole-block prefix of [src_off, src_off + n) at
        ``dst_off``; returns how many octets (0: copy them)."""
        m = n - n % CLONE_ALIGN
        if not self.on or m <= 0 or src_off % CLONE_ALIGN or dst_off % CLONE_ALIGN:
            return 0
        import fcntl

        try:
            fcntl.ioctl(self.dst, FICLONERANGE, struct.pack("=qQQQ", self.src, src_off, m, dst_off))
        except OSError:
            self.on = False  # EOPNOTSUPP, EXDEV, EINVAL, ENOTTY...: copy from now on
            return 0
        self.shared += m
        return m
