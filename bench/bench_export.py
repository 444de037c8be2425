"""``xensave export elf|raw`` throughput against ``cp`` of the same file, and memory.

Writes a libxc v3 HVM image of SIZE (default 1 GiB; the same generator as
bench/bench.py), then alternates ``cp``, ``xensave export raw`` and ``xensave export
elf`` on it RUNS times (and once each from a pipe) under ``/usr/bin/time -v``;
reports median wall time, throughput, the ratio to cp and peak RSS. With ``--big
GIB`` a second, larger image shows whether RSS grows with image size. Goal (issue 9):
export with its default settings at >= 50% of cp's throughput, memory bounded by the
pfn index. The default writes a new OUT atomically without fsync, as cp does;
``--sync`` (fsync before the rename) is measured against ``cp`` followed by ``sync``
of the copy, which is bound by the disk's write speed the same way.

    python bench/bench_export.py [--size-mib 1024] [--runs 5] [--big 4] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import Run, timed, write_image

MIB = 1 << 20


def measure(img: Path, tmp: Path, runs: int) -> dict[str, list[Run]]:
    out = tmp / "out"
    xs = [sys.executable, "-m", "xensave", "export"]
    cmds = {
        "cp": ["cp", str(img), str(out)],
        "cp + sync OUT": ["sh", "-c", f"cp {img} {out} && sync {out}"],
        "export raw": [*xs, "raw", "-q", str(img), str(out)],
        "export elf": [*xs, "elf", "-q", str(img), str(out)],
        "export raw --sync": [*xs, "raw", "-q", "--sync", str(img), str(out)],
        "export elf --sync": [*xs, "elf", "-q", "--sync", str(img), str(out)],
    }
    res: dict[str, list[Run]] = {k: [] for k in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            if out.exists():
                out.unlink()
            r = timed(cmd, tmp=tmp)
            if r.status != 0:
                raise SystemExit(f"{name} failed with status {r.status}")
            res[name].append(r)
    for kind in ("raw", "elf"):
        if out.exists():
            out.unlink()
        cmd = [sys.executable, "-m", "xensave", "export", kind, "-q", "-", str(out)]
        r = timed(cmd, tmp=tmp, stdin_from=["cat", str(img)])
        if r.status != 0:
            raise SystemExit(f"export {kind} from a pipe failed with status {r.status}")
        res[f"cat | export {kind} -"] = [r]
    if out.exists():
        out.unlink()
    return res


def report(size: int, res: dict[str, list[Run]]) -> dict[str, float]:
    cp = statistics.median(r.wall for r in res["cp"])
    rss: dict[str, float] = {}
    print(f"image: {size / MIB:.0f} MiB of libxc v3 HVM stream")
    print(f"{'command':<22} {'median s':>9} {'MiB/s':>8} {'vs cp':>7} {'peak RSS MiB':>13}")
    for name, rs in res.items():
        wall = statistics.median(r.wall for r in rs)
        peak = max(r.rss_kib for r in rs) / 1024
        rss[name] = peak
        ratio = cp / wall
        print(f"{name:<22} {wall:>9.3f} {size / MIB / wall:>8.0f} {ratio:>6.0%} {peak:>13.1f}")
    cps = statistics.median(r.wall for r in res["cp + sync OUT"])
    for name, base, label, goal in (
        ("export raw", cp, "cp", True),
        ("export elf", cp, "cp", True),
        ("export raw --sync", cps, "cp + sync", False),
        ("export elf --sync", cps, "cp + sync", False),
    ):
        wall = statistics.median(r.wall for r in res[name])
        verdict = ("OK" if base / wall >= 0.5 else "BELOW") + " (goal 50%)" if goal else ""
        print(f"  {name}: {base / wall:.0%} of {label} throughput {verdict}".rstrip())
    return rss


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--big", type=int, default=0, help="also a GIB-sized image (RSS growth)")
    ap.add_argument("--dir", default=os.environ.get("TMPDIR"))
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=a.dir, prefix="xensave-bench-export-") as d:
        tmp = Path(d)
        img = tmp / "image.xc"
        size = a.size_mib * MIB
        write_image(img, size)
        rss = report(size, measure(img, tmp, a.runs))
        if a.big:
            img.unlink()
            big = a.big << 30
            write_image(img, big)
            rss_big = report(big, measure(img, tmp, max(1, a.runs // 2)))
            for name in ("export raw", "export elf"):
                grow = rss_big[name] - rss[name]
                print(
                    f"  {name}: peak RSS {rss[name]:.1f} -> {rss_big[name]:.1f} MiB (+{grow:.1f})"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
