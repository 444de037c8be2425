"""Early writeback of an output file (Linux): shared by ``convert`` and ``export``.

Starting the disk write of each finished stretch of OUT while the rest is still being
produced leaves little for the fsync before the rename to wait for.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

#: Start the disk write of each completed stretch of output this long.
WRITEBACK_STEP = 32 << 20
#: linux/fs.h SYNC_FILE_RANGE_WRITE: start writeback of dirty pages, do not wait.
SYNC_FILE_RANGE_WRITE = 2


def sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """Linux's sync_file_range(2) from the C library (``os`` has no binding), or None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        fn = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn
