"""What ``convert`` and ``export`` share to write OUT fast (Linux).

Reservation: OUT's blocks allocated in one call before it is written (``reserve``).
Early writeback: starting the disk write of each finished stretch of OUT while the
rest is still being produced leaves little for the fsync before the rename to wait
for. Reflink: where IN and OUT are on a filesystem that shares blocks between files
(btrfs, XFS, bcachefs...) and a stretch of page data sits at the same offset within a
block in both, OUT takes IN's blocks instead of a copy (``FICLONERANGE``); a page
aligned stream (``convert --align-pages``) makes every page that case.
"""

from __future__ import annotations

import mmap
import os
import struct
import sys
from collections.abc import Callable

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


#: The buffer a copy goes through when its source and destination sit at different
#: offsets within a page: there ``copy_file_range`` (the kernel's splice, page by
#: page) costs some 45% more CPU than a read into a buffer that stays in the CPU's
#: cache and a write from it, which costs what ``cp``'s aligned copy_file_range does.
#: A buffer of 4 MiB falls out of the cache and costs three times as much.
BOUNCE_SIZE = 256 << 10
PAGE = 4096
#: A copy whose destination lies this little ahead of its source within a page
#: (0 < distance < NEAR) is the slow case on the CPUs measured (AMD EPYC, the kernel's
#: ``rep movsb``): a destination 8 octets ahead took 1.5-2 times as long as one 2048
#: octets away or at the same offset, and a move's 76 octets some 5% longer (an xl
#: file's header before the stream). Half a page away costs nothing either way.
NEAR = 1024


def same_phase(src_off: int, dst_off: int) -> bool:
    """Whether a copy from ``src_off`` to ``dst_off`` moves whole pages onto whole
    pages (the case ``copy_file_range`` and reflink are fast for)."""
    return (src_off - dst_off) % CLONE_ALIGN == 0


def bounce_phase(src_off: int, dst_off: int | None) -> int:
    """Where within a page the buffer should start for a copy from ``src_off`` to
    ``dst_off``: at the source's offset (the read then copies page onto page), unless
    the destination lies just ahead of it, where the write would be the slow case; then
    half a page on, so that neither copy is near."""
    src = src_off % PAGE
    if dst_off is not None and 0 < (dst_off - src_off) % PAGE < NEAR:
        return (src + PAGE // 2) % PAGE
    return src


class Bounce:
    """A cache-sized buffer for the copies ``same_phase`` rejects, placed within a
    page as ``bounce_phase`` says (an anonymous mapping: page-aligned, so the phase is
    known without asking for its address)."""

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
