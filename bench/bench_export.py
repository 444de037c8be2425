"""``xensave export elf|raw`` throughput against ``cp`` of the same file, and memory.

Writes a libxc v3 HVM image of SIZE (default 1 GiB; the same generator as
bench/bench.py) and its page-aligned copy (``convert --align-pages``), then
alternates ``cp``, ``xensave export raw`` and ``xensave export elf`` on them RUNS
times (and, RUNS times too, ``cat IMG | cp /dev/stdin OUT`` against ``cat IMG |
xensave export raw|elf -``) under ``/usr/bin/time -v``; reports median wall time,
throughput, the ratio to cp, CPU seconds (user + system; the ratio to cp's says how
much work the copy takes whatever else loads the machine) and peak RSS. With
``--big GIB`` a second, larger image (and its page-aligned copy) shows the same
ratios at that size and whether RSS grows with image size. Goals
(issue 21): export at >= 90% of cp's throughput, from a pipe at >= 50% of ``cat |
cp``, memory bounded by the pfn index.
The default writes a new OUT atomically without fsync, as cp does; ``--sync`` (fsync
before the rename) is measured against ``cp`` followed by ``sync`` of the copy, which
is bound by the disk's write speed the same way.

With ``--reflink-dir DIR`` (a directory on btrfs or XFS; a loop-mounted image file
will do) the aligned image is also exported there, where the output shares the
image's blocks instead of copying them, and the line says whether export reported it.

    python bench/bench_export.py [--size-mib 1024] [--runs 5] [--big 4] [--dir DIR]
                                 [--reflink-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import Run, timed, write_image

MIB = 1 << 20
#: CPU seconds (user + system) of each command's last run, by ``timed``'s report file:
#: on a machine others load, the wall time says how long one waited, the CPU time how
#: much work the copy took.
CPU: dict[int, float] = {}


def timed_cpu(cmd: list[str], *, tmp: Path, stdin_from: list[str] | None = None) -> Run:
    """``bench.timed``, noting the command's user + system CPU seconds in CPU."""
    r = timed(cmd, tmp=tmp, stdin_from=stdin_from)
    text = (tmp / "time.txt").read_text()
    got = [float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", text)]
    CPU[id(r)] = sum(got)
    return r


def cpu(r: Run) -> float:
    return CPU[id(r)]


def align(img: Path, aligned: Path) -> None:
    """The page-aligned copy of ``img`` (``convert --align-pages``)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "xensave",
            "convert",
            "-q",
            "--to",
            "libxc-v3",
            "--align-pages",
            str(img),
            str(aligned),
        ],
        check=True,
    )


def measure(img: Path, tmp: Path, runs: int, aligned: Path | None = None) -> dict[str, list[Run]]:
    out = tmp / "out"
    xs = [sys.executable, "-m", "xensave", "export"]
    cmds: dict[str, tuple[list[str], list[str] | None]] = {
        "cp": (["cp", str(img), str(out)], None),
        "cp + sync OUT": (["sh", "-c", f"cp {img} {out} && sync {out}"], None),
        "export raw": ([*xs, "raw", "-q", str(img), str(out)], None),
        "export elf": ([*xs, "elf", "-q", str(img), str(out)], None),
        "export raw --sync": ([*xs, "raw", "-q", "--sync", str(img), str(out)], None),
        "export elf --sync": ([*xs, "elf", "-q", "--sync", str(img), str(out)], None),
        "cat | cp /dev/stdin": (["cp", "/dev/stdin", str(out)], ["cat", str(img)]),
        "cat | export raw -": ([*xs, "raw", "-q", "-", str(out)], ["cat", str(img)]),
        "cat | export elf -": ([*xs, "elf", "-q", "-", str(out)], ["cat", str(img)]),
    }
    if aligned is not None:
        cmds["export raw (aligned)"] = ([*xs, "raw", "-q", str(aligned), str(out)], None)
        cmds["export elf (aligned)"] = ([*xs, "elf", "-q", str(aligned), str(out)], None)
    res: dict[str, list[Run]] = {k: [] for k in cmds}
    print("load average (1, 5, 15 min) before:", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    for _ in range(runs):  # alternate, so that drift hits every command alike
        for name, (cmd, feed) in cmds.items():
            if out.exists():
                out.unlink()
            # the last run's gigabyte written back first: else the kernel's writeback of
            # it lands in this run's time (it swung a pipe export 0.8-1.6 s run to run)
            os.sync()
            r = timed_cpu(cmd, tmp=tmp, stdin_from=feed)
            if r.status != 0:
                raise SystemExit(f"{name} failed with status {r.status}")
            res[name].append(r)
    if out.exists():
        out.unlink()
    print("load average (1, 5, 15 min) after:", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    return res


def reflink(aligned: Path, where: Path, runs: int) -> None:
    """Export the aligned image on a reflink filesystem: time, and whether it shared."""
    img = where / "xensave-bench-aligned.xc"
    out = where / "xensave-bench-out"
    shutil.copyfile(aligned, img)
    try:
        walls: dict[str, list[float]] = {"cp": [], "export raw": [], "export elf": []}
        said = ""
        for _ in range(runs):
            for name in walls:
                if out.exists():
                    out.unlink()
                if name == "cp":
                    cmd = ["cp", str(img), str(out)]
                else:
                    cmd = [sys.executable, "-m", "xensave", "export", name.split()[1], "-q"]
                    cmd += [str(img), str(out)]
                r = timed(cmd, tmp=where)
                walls[name].append(r.wall)
        done = subprocess.run(
            [sys.executable, "-m", "xensave", "export", "raw", str(img), str(out) + ".2"],
            capture_output=True,
            text=True,
        )
        said = next((ln.strip() for ln in done.stderr.splitlines() if "reflink" in ln), "")
        print(f"on {where} (reflink filesystem), aligned image, median of {runs}:")
        cp = statistics.median(walls["cp"])
        for name, ws in walls.items():
            w = statistics.median(ws)
            print(f"  {name:<12} {w:8.3f} s   {cp / w:5.0%} of cp")
        print(f"  export says: {said or 'NO reflink reported'}")
    finally:
        for p in (img, out, Path(str(out) + ".2")):
            if p.exists():
                p.unlink()


def report(size: int, res: dict[str, list[Run]]) -> dict[str, float]:
    cp = statistics.median(r.wall for r in res["cp"])
    rss: dict[str, float] = {}
    print(f"image: {size / MIB:.0f} MiB of libxc v3 HVM stream")
    cp_cpu = statistics.median(cpu(r) for r in res["cp"])
    print(
        f"{'command':<22} {'median s':>9} {'MiB/s':>8} {'vs cp':>7} {'CPU s':>7} "
        f"{'CPU vs cp':>9} {'peak RSS MiB':>13}"
    )
    for name, rs in res.items():
        wall = statistics.median(r.wall for r in rs)
        work = statistics.median(cpu(r) for r in rs)
        peak = max(r.rss_kib for r in rs) / 1024
        rss[name] = peak
        ratio = cp / wall
        print(
            f"{name:<22} {wall:>9.3f} {size / MIB / wall:>8.0f} {ratio:>6.0%} {work:>7.2f} "
            f"{cp_cpu / work:>8.0%} {peak:>13.1f}"
        )
    print(
        "  (each run's walls: "
        + "; ".join(f"{n} {' '.join(f'{r.wall:.2f}' for r in rs)}" for n, rs in res.items())
        + ")"
    )
    cps = statistics.median(r.wall for r in res["cp + sync OUT"])
    cat = statistics.median(r.wall for r in res["cat | cp /dev/stdin"])
    for name, base, label, goal in (
        ("export raw", cp, "cp", 0.9),
        ("export elf", cp, "cp", 0.9),
        ("export raw (aligned)", cp, "cp", 0.9),
        ("export elf (aligned)", cp, "cp", 0.9),
        ("cat | export raw -", cat, "cat | cp", 0.5),
        ("cat | export elf -", cat, "cat | cp", 0.5),
        ("export raw --sync", cps, "cp + sync", None),
        ("export elf --sync", cps, "cp + sync", None),
    ):
        if name not in res:
            continue
        wall = statistics.median(r.wall for r in res[name])
        verdict = ""
        if goal is not None:
            verdict = f"{'OK' if base / wall >= goal else 'BELOW'} (goal {goal:.0%})"
        print(f"  {name}: {base / wall:.0%} of {label} throughput {verdict}".rstrip())
    return rss


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--big", type=int, default=0, help="also a GIB-sized image (RSS growth)")
    ap.add_argument("--dir", default=os.environ.get("TMPDIR"))
    ap.add_argument("--reflink-dir", default=None, help="a directory on btrfs or XFS")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=a.dir, prefix="xensave-bench-export-") as d:
        tmp = Path(d)
        img = tmp / "image.xc"
        aligned = tmp / "aligned.xc"
        size = a.size_mib * MIB
        write_image(img, size)
        align(img, aligned)
        rss = report(size, measure(img, tmp, a.runs, aligned))
        if a.reflink_dir:
            reflink(aligned, Path(a.reflink_dir), a.runs)
        aligned.unlink()
        if a.big:
            img.unlink()
            big = a.big << 30
            write_image(img, big)
            align(img, aligned)
            rss_big = report(big, measure(img, tmp, max(1, a.runs // 2), aligned))
            aligned.unlink()
            for name in ("export raw", "export elf"):
                grow = rss_big[name] - rss[name]
                print(
                    f"  {name}: peak RSS {rss[name]:.1f} -> {rss_big[name]:.1f} MiB (+{grow:.1f})"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
