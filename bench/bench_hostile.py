"""Hostile length fields: peak RSS and time of every command on the 4 GiB sparse file
whose PAGE_DATA says length 0xFFFFFFF0 and count 0x1FFFFFFF (issue 19), and on a legal
stream with one record just under 128 MiB (REC_LENGTH_MAX) of pages, and one whose
record is a pfn array of almost 128 MiB (16 Mi XTAB entries).

The goal: under 64 MiB of resident memory and a few seconds each, whatever the length
fields say. Each command runs in a child that reports its own peak RSS (ru_maxrss);
its address space is capped (1 GiB) so a regression fails fast instead of swapping.
The files are sparse: they cost no disk.

    python bench/bench_hostile.py [--dir DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from hostile_images import (  # noqa: E402 (after the path is set)
    LYING_COUNT,
    run_measured,
    write_big_record,
    write_long_array,
    write_lying,
)

GOAL_KIB = 64 * 1024
AS_LIMIT = 1 << 30


def commands(img: Path, other: Path, out: Path) -> dict[str, list[str]]:
    return {
        "verify": ["verify", str(img)],
        "dump": ["dump", str(img)],
        "dump --json": ["dump", "--json", str(img)],
        "export raw": ["export", "raw", "--force", str(img), str(out)],
        "export elf": ["export", "elf", "--force", str(img), str(out)],
        "pages": ["pages", "--force", "--pfn", "0", "-o", str(out), str(img)],
        "convert": ["convert", "--force", str(img), str(out)],
        "diff": ["diff", str(img), str(other)],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", help="where to put the sparse files (default: a temp dir)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        tmp = Path(d)
        lying, lying2 = tmp / "lying.bin", tmp / "lying2.bin"
        write_lying(lying)
        write_lying(lying2, count=LYING_COUNT - 1)
        big, big2 = tmp / "big.bin", tmp / "big2.bin"
        write_big_record(big)
        write_big_record(big2, pages=32 * 1024 - 17)
        longa, longb = tmp / "long.bin", tmp / "long2.bin"
        write_long_array(longa)
        write_long_array(longb, entries=(128 << 20) // 8 - 3)
        for label, img, other in (
            ("lying 4 GiB", lying, lying2),
            ("legal 128 MiB", big, big2),
            ("16 Mi pfns", longa, longb),
        ):
            for name, argv in commands(img, other, tmp / "out").items():
                rc, wall, rss, err = run_measured(argv, timeout=300, limit=AS_LIMIT)
                rows.append(
                    {
                        "file": label,
                        "command": name,
                        "exit": rc,
                        "seconds": round(wall, 2),
                        "rss_kib": rss,
                        "ok": 0 < rss < GOAL_KIB and "internal error" not in err,
                        "message": err.strip().splitlines()[-1][:120] if err.strip() else "",
                    }
                )
                (tmp / "out").unlink(missing_ok=True)
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
    else:
        print(f"{'file':14} {'command':12} {'exit':>4} {'seconds':>8} {'peak RSS':>10}  goal")
        for r in rows:
            mib = int(r["rss_kib"]) / 1024  # type: ignore[call-overload]
            ok = "ok" if r["ok"] else "OVER"
            print(
                f"{r['file']:14} {r['command']:12} {r['exit']:>4} {r['seconds']:>8} "
                f"{mib:>7.1f} MiB  {ok}"
            )
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
