"""``xensave convert`` throughput against ``cp`` of the same file, and its memory.

The conversions users run, each timed against ``cp`` of its own input in the same
run (commands alternated RUNS times, so drift hits each alike), the input in the
page cache and OUT a new file (no fsync, as cp):

- legacy -> libxl: a legacy HVM image from a 64-bit toolstack (written page batch
  by page batch, never held in memory); also ``--align-pages``,
  ``--keep-page-offsets``, and ``--sync`` against ``cp`` followed by an fsync of
  the copy (both then wait for the disk);
- v2 -> v3 (also ``--keep-page-offsets``), libxc -> xl, xl -> libxl: a libxc v3 HVM
  image (bench/bench.py's generator), made v2 and an xl file by convert once,
  untimed.

Each line gives the median wall time and throughput, the ratio to cp's wall time
and to cp's CPU time (user + system of the process; on a machine shared with other
work the CPU ratio moves least), and the peak RSS. The goal (issue 21): convert at
>= 90% of cp, in bounded memory.

    python bench/bench_convert.py [--size 1024] [--big] [--runs 5] [--dir DIR]
                                  [--only NAME ...]

``--big`` repeats everything at 4 GiB (about 4 times as long: some 5 minutes on an
idle 2-core machine with 3 runs; the inputs are made one at a time, so the page cache
holds at most two 4 GiB files).
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import write_image as write_v3
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
MIB = 1 << 20


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
XENSAVE = [sys.executable, "-m", "xensave"]


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """Wall time, CPU time (user + system) and the peak RSS (KiB) of ``cmd``, from
    its own resource usage (``wait4``)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=CHILD_ENV)
    _pid, status, ru = os.wait4(proc.pid, 0)
    dt = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return dt, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def _load() -> str:
    """The machine's load average: ratios from a loaded machine say less."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def convert_cmd(src: Path, out: Path, to: str, *extra: str) -> list[str]:
    return [*XENSAVE, "convert", "-q", "--to", to, *extra, str(src), str(out)]


def cp_sync_cmd(src: Path, copy: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        f"import os, shutil; shutil.copyfile({str(src)!r}, {str(copy)!r}); "
        f"fd = os.open({str(copy)!r}, os.O_RDONLY); os.fsync(fd)",
    ]


def group(
    name: str, src: Path, d: Path, runs: int, commands: dict[str, list[str]]
) -> dict[str, tuple[list[float], list[float], int]]:
    """Run cp and ``commands`` (each writing d/out) alternately; their times and RSS."""
    copy, out = d / "copy.img", d / "out.img"
    allc = {"cp": ["cp", str(src), str(copy)], **commands}
    res: dict[str, tuple[list[float], list[float], int]] = {k: ([], [], 0) for k in allc}
    subprocess.run(["cat", str(src)], stdout=subprocess.DEVNULL, check=True)  # in the cache
    for _ in range(runs):
        for k, cmd in allc.items():
            os.sync()  # the last run's output written back first, not in this run's time
            wall, cpu, rss = timed(cmd)
            res[k] = (res[k][0] + [wall], res[k][1] + [cpu], max(rss, res[k][2]))
            for made in (copy, out):
                if made.exists():
                    made.unlink()
    return res


def show(name: str, size: int, res: dict[str, tuple[list[float], list[float], int]]) -> None:
    cp_wall = statistics.median(res["cp"][0])
    cp_cpu = statistics.median(res["cp"][1])
    print(f"{name} ({size / MIB:.0f} MiB input)")
    for k, (walls, cpus, rss) in res.items():
        w, c = statistics.median(walls), statistics.median(cpus)
        runs = " ".join(f"{t:.2f}" for t in walls)
        line = f"  {k:28} {w:6.3f} s {size / w / 1e6:6.0f} MB/s  cpu {c:6.3f} s"
        if k != "cp" and "sync" not in k:
            ok = "OK" if cp_wall / w >= 0.9 else "BELOW"
            line += f"  vs cp: wall {cp_wall / w:4.0%} ({ok}), cpu {cp_cpu / c:4.0%}"
        if k != "cp" and "fsync" not in k:
            line += f"  RSS {rss / 1024:.0f} MiB"
        print(f"{line}   ({runs})")
    if "cp + fsync" in res and "convert --sync" in res:
        s = statistics.median(res["cp + fsync"][0]) / statistics.median(res["convert --sync"][0])
        print(f"  convert --sync vs cp + fsync: wall {s:.0%}")


def bench_size(mib: int, runs: int, d: Path, only: set[str]) -> None:
    size = mib * MIB
    if "legacy" in only:
        src = d / "legacy.img"
        write_image(src, size)
        out = d / "out.img"
        cmds = {
            "convert": convert_cmd(src, out, "libxl"),
            "convert --align-pages": convert_cmd(src, out, "libxl", "--align-pages"),
            "convert --keep-page-offsets": convert_cmd(src, out, "libxl", "--keep-page-offsets"),
            "cp + fsync": cp_sync_cmd(src, d / "copy.img"),
            "convert --sync": convert_cmd(src, out, "libxl", "--sync"),
        }
        show("legacy -> libxl", src.stat().st_size, group("legacy", src, d, runs, cmds))
        src.unlink()
    if not only & {"v2", "xl", "libxl"}:
        return
    v3 = d / "v3.img"
    write_v3(v3, size)
    out = d / "out.img"
    if "v2" in only:
        v2 = d / "v2.img"
        subprocess.run(convert_cmd(v3, v2, "libxc-v2"), check=True, env=CHILD_ENV)
        cmds = {
            "convert": convert_cmd(v2, out, "libxc-v3"),
            "convert --keep-page-offsets": convert_cmd(v2, out, "libxc-v3", "--keep-page-offsets"),
        }
        res = group("v2", v2, d, runs, cmds)
        show("libxc v2 -> v3", v2.stat().st_size, res)
        v2.unlink()
    if "xl" in only:
        res = group("xl", v3, d, runs, {"convert": convert_cmd(v3, out, "xl")})
        show("libxc v3 -> xl file", v3.stat().st_size, res)
    if "libxl" in only:
        xl = d / "v3.xl"
        subprocess.run(convert_cmd(v3, xl, "xl"), check=True, env=CHILD_ENV)
        v3.unlink()
        res = group("libxl", xl, d, runs, {"convert": convert_cmd(xl, out, "libxl")})
        show("xl file -> libxl", xl.stat().st_size, res)
        xl.unlink()
    if v3.exists():
        v3.unlink()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024, help="MiB of guest pages (1024)")
    ap.add_argument("--big", action="store_true", help="then everything again at 4 GiB")
    ap.add_argument("--runs", type=int, default=5, help="runs of each command (5)")
    ap.add_argument("--dir", default=None, help="where to put the files (a temp dir)")
    ap.add_argument(
        "--only",
        nargs="+",
        choices=("legacy", "v2", "xl", "libxl"),
        default=["legacy", "v2", "xl", "libxl"],
        help="the conversions to measure (all)",
    )
    a = ap.parse_args(argv)
    started = time.perf_counter()
    print(f"{a.runs} runs each, median; load average (1, 5, 15 min) before: {_load()}")
    with tempfile.TemporaryDirectory(dir=a.dir) as d:
        for mib in (a.size, 4096) if a.big else (a.size,):
            bench_size(mib, a.runs, Path(d), set(a.only))
    took = time.perf_counter() - started
    print(f"load average after: {_load()}; the bench took {took:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
