"""Hostile images for tests/test_hostile.py and bench/bench_hostile.py: a libxc v3 HVM
stream whose PAGE_DATA length and count fields lie (the bytes they claim are really
present, as a sparse run of zeros), and a legal stream with one 128 MiB record.

Also: run a command in a child and report its peak RSS (``ru_maxrss`` of the child)."""

from __future__ import annotations

import os
import resource
import struct
import subprocess
import sys
import time
from pathlib import Path

from xensave.bodies import CpuidPolicy, MsrPolicy
from xensave.constants import DomainType, XcRecType
from xensave.model import DomainHeader, ImageHeader, Record
from xensave.writer import RecordWriter, encode_domain_header, encode_image_header

GIB = 1 << 30
MIB = 1 << 20
#: The lying PAGE_DATA of issue 19: length 0xFFFFFFF0, count 0x1FFFFFFF.
LYING_LENGTH = 0xFFFFFFF0
LYING_COUNT = 0x1FFFFFFF


def _prefix(w: RecordWriter) -> None:
    w.raw(encode_image_header(ImageHeader(version=3)))
    w.raw(encode_domain_header(DomainHeader(DomainType.X86_HVM, 12, 4, 19), "<"))
    cpuid = CpuidPolicy([(0x0, 0xFFFFFFFF, 0xD, 0x756E6547, 0x6C65746E, 0x49656E69)])
    w.record(Record(XcRecType.X86_CPUID_POLICY, cpuid))
    w.record(Record(XcRecType.X86_MSR_POLICY, MsrPolicy([(0xCE, 0, 0)])))
    w.record(Record(XcRecType.STATIC_DATA_END))


def write_lying(path: Path, length: int = LYING_LENGTH, count: int = LYING_COUNT) -> int:
    """The PAGE_DATA record header says ``length``, its body ``count``; the file then
    really holds all ``length`` bytes (sparse zeros). Returns the file size."""
    with open(path, "wb") as out:
        w = RecordWriter(out)
        _prefix(w)
        out.write(struct.pack("<IIII", XcRecType.PAGE_DATA, length, count, 0))
        here = out.tell()
    size = here - 8 + length + (-length % 8)
    os.truncate(path, size)
    return size


def write_big_record(path: Path, pages: int = 32 * 1024 - 16) -> int:
    """A legal stream (as far as framing goes) with one PAGE_DATA record of ``pages``
    pages, just under 128 MiB (REC_LENGTH_MAX), contents sparse zeros."""
    with open(path, "wb") as out:
        w = RecordWriter(out)
        _prefix(w)
        entries = struct.pack(f"<{pages}Q", *range(pages))
        length = 8 + len(entries) + pages * 4096
        out.write(struct.pack("<IIII", XcRecType.PAGE_DATA, length, pages, 0))
        out.write(entries)
        out.seek(pages * 4096, os.SEEK_CUR)
        out.write(struct.pack("<II", XcRecType.END, 0))
        return out.tell()


def write_long_array(path: Path, entries: int = (128 << 20) // 8 - 2) -> int:
    """A legal stream with one PAGE_DATA record of ``entries`` XTAB pfns (no page data):
    a pfn array of almost 128 MiB, which the reader counts in chunks, never holds."""
    from array import array

    with open(path, "wb") as out:
        w = RecordWriter(out)
        _prefix(w)
        length = 8 + 8 * entries
        out.write(struct.pack("<IIII", XcRecType.PAGE_DATA, length, entries, 0))
        step = 1 << 20
        for first in range(0, entries, step):
            chunk = array("Q", range(first, min(first + step, entries)))
            chunk = array("Q", (0xF << 60 | p for p in chunk))
            if sys.byteorder != "little":
                chunk.byteswap()
            out.write(chunk.tobytes())
        out.write(bytes(-length % 8))
        out.write(struct.pack("<II", XcRecType.END, 0))
        return out.tell()


# The child's own peak: VmHWM of its address space (Linux). ru_maxrss would not do: the
# kernel carries the pre-exec peak of the forked parent copy into it, so a child of a
# big pytest process would seem big.
_CHILD = """
import resource, sys
from xensave.cli import main
rc = main(sys.argv[1:])
sys.stdout.flush()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    with open("/proc/self/status") as f:
        peak = next(int(ln.split()[1]) for ln in f if ln.startswith("VmHWM:"))
except (OSError, StopIteration):
    pass
sys.stderr.write(f"\\n@@maxrss {peak}\\n")
sys.exit(rc)
"""


def run_measured(
    argv: list[str], *, timeout: float = 120, limit: int | None = None
) -> tuple[int, float, int, str]:
    """Run ``xensave *argv`` in a child; (exit status, seconds, peak RSS in KiB as the
    child measured it (0 if it died first), stderr). ``limit`` caps the child's address
    space (RLIMIT_AS) in bytes."""

    def cap() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=cap,
        env=env,
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - start
    err = proc.stderr.decode(errors="replace")
    rss = 0
    if "@@maxrss " in err:
        err, _, tail = err.rpartition("\n@@maxrss ")
        rss = int(tail.split()[0])
    return proc.returncode, wall, rss, err
