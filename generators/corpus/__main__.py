"""``python -m generators.corpus [--out DIR | --check]`` (run from the repository root).

Without options, regenerates ``conformance/corpus/*.bin``, ``conformance/manifest.json``,
``conformance/manifest.schema.json``, ``conformance/tags.json`` and
``conformance/TAGS.md``. ``--out DIR`` writes them under DIR instead. ``--check`` builds
into a temporary directory and exits 1 if any file differs by a byte from what is in
``conformance/`` (or is missing, or is left over).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .build import CONFORMANCE, check, write


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m generators.corpus", description=__doc__)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--out", type=Path, default=CONFORMANCE, help="output directory")
    g.add_argument("--check", action="store_true", help="compare with conformance/")
    args = p.parse_args(argv)
    start = time.monotonic()
    if args.check:
        problems = check()
        for line in problems:
            print(line, file=sys.stderr)
        took = time.monotonic() - start
        if problems:
            print(f"corpus: {len(problems)} difference(s) ({took:.1f} s)", file=sys.stderr)
            return 1
        print(f"corpus: identical to {CONFORMANCE} ({took:.1f} s)")
        return 0
    n = write(args.out)
    print(f"corpus: {n} cases written to {args.out} ({time.monotonic() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
