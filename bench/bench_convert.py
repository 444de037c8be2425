"""Legacy -> v3 conversion throughput against ``cp`` on the same file, and its memory.

Writes a legacy HVM image of SIZE (default 1 GiB) from a 64-bit toolstack, page batch
by page batch (never held in memory), then alternates ``cp``, the default ``xensave
convert --to libxl`` (a new OUT: no fsync, as cp), ``cp`` followed by an fsync of the
copy, ``xensave convert --sync`` and ``xensave convert --align-pages`` (its page
contents put on 4096-byte boundaries) on it RUNS times, and reports the median
throughput of each, their ratios and the converter's peak RSS. Run by hand: ``python
bench/bench_convert.py [--size MiB] [--runs N] [--dir DIR]``. The goal (issue 21):
convert at >= 90% of cp, in bounded memory.

Plain ``cp`` leaves its copy in the page cache; ``--sync`` (and the default when OUT
replaces a file) waits until the output is on the disk, so its floor is the disk's
write rate, which ``cp + fsync`` measures: it is compared with that.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xensave.legacy.format import (
    Chunk,
    PhysmapEntry,
    encode_physmap,
    hvm_param,
    toolstack,
    tsc_info,
    vcpu_info,
)
from xensave.samples import hvm_context_blob

PAGE = 4096
BATCH = 1024


def write_image(path: Path, size: int) -> int:
    """A legacy 64-bit-toolstack HVM image with ``size`` octets of pages; returns pages."""
    pages = size // PAGE
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", pages))
        base = bytes(range(256)) * (PAGE // 256)
        for start in range(0, pages, BATCH):
            n = min(BATCH, pages - start)
            f.write(struct.pack(f"<i{n}Q", n, *range(start, start + n)))
            f.write(b"".join(struct.pack("<Q", p) + base[8:] for p in range(start, start + n)))
        for chunk in (
            vcpu_info(1, [0, 1]),
            hvm_param(Chunk.HVM_IDENT_PT, 0xFEFFC000),
            tsc_info(0, 1, 2400000, 0),
            toolstack(encode_physmap([PhysmapEntry(0xF0000000, 0xF0000000, 1 << 23, b"vga")], 64)),
            vcpu_info(1, [0, 1]).__class__(Chunk.LAST_CHECKPOINT),
        ):
            f.write(struct.pack("<i", chunk.type) + chunk.payload)
        f.write(struct.pack("<i", 0))
        ctx = hvm_context_blob(2)  # well-formed: the output must verify clean
        f.write(struct.pack("<3QI", 0xFEFF0, 0xFEFF1, 0xFEFF2, len(ctx)) + ctx)
        qemu = b"QEVM" + bytes(100_000)
        f.write(b"DeviceModelRecord0002" + struct.pack("<I", len(qemu)) + qemu)
    return pages


#: Children run with byte-code caching on, as an installed xensave does (a machine that
#: sets PYTHONDONTWRITEBYTECODE would otherwise charge every run a full compile).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall time and the child's peak RSS (KiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=CHILD_ENV)
    dt = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return dt, max(before, after)


def _load() -> str:
    """The machine's load average: ratios from a loaded machine say less."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024, help="MiB of guest pages (1024)")
    ap.add_argument("--runs", type=int, default=5, help="runs of each command (5)")
    ap.add_argument("--dir", default=None, help="where to put the files (a temp dir)")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=a.dir) as d:
        src = Path(d) / "legacy.img"
        write_image(src, a.size << 20)
        size = src.stat().st_size
        copy, out = str(Path(d) / "copy.img"), str(Path(d) / "out.img")
        conv = [sys.executable, "-m", "xensave", "convert", "-q", "--to", "libxl", str(src), out]
        cp_sync = [
            sys.executable,
            "-c",
            f"import os, shutil; shutil.copyfile({str(src)!r}, "
            f"{copy!r}); fd = os.open({copy!r}, os.O_RDONLY); os.fsync(fd)",
        ]
        times: dict[str, list[float]] = {
            "cp": [],
            "convert": [],
            "cp + fsync": [],
            "convert --sync": [],
            "convert --align-pages": [],
        }
        rss = 0
        load0 = _load()
        for _ in range(a.runs):  # alternate, so drift hits every command alike
            for name, cmd, made in (
                ("cp", ["cp", str(src), copy], copy),
                ("convert", conv, out),
                ("cp + fsync", cp_sync, copy),
                ("convert --sync", [*conv[:4], "--sync", *conv[4:]], out),
                ("convert --align-pages", [*conv[:4], "--align-pages", *conv[4:]], out),
            ):
                t, r = timed(cmd)
                times[name].append(t)
                if name.startswith("convert"):
                    rss = max(rss, r)
                os.unlink(made)
        mbs = {k: size / statistics.median(v) / 1e6 for k, v in times.items()}
        print(f"image: {size} octets ({a.size} MiB of pages), {a.runs} runs each, median")
        print(f"load average (1, 5, 15 min) before: {load0}, after: {_load()}")
        for k, v in times.items():
            runs = " ".join(f"{t:.2f}" for t in v)
            print(f"  {k:22} {statistics.median(v):6.3f} s  {mbs[k]:6.0f} MB/s   ({runs})")
        for k in ("convert", "convert --align-pages"):
            ratio = mbs[k] / mbs["cp"]
            verdict = "OK" if ratio >= 0.9 else "BELOW"
            print(f"{k + ' vs cp:':29} {ratio:.0%} ({verdict}: goal >= 90%)")
        print(f"convert --sync vs cp + fsync: {mbs['convert --sync'] / mbs['cp + fsync']:.0%}")
        print(f"convert --sync vs cp:         {mbs['convert --sync'] / mbs['cp']:.0%}")
        print(f"peak RSS of the converter: {rss / 1024:.0f} MiB (output verification included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
