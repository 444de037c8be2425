"""Benchmark of the conformance harness: the whole corpus against the reference
checker, persistent protocol vs one process per case.

    python bench/bench_harness.py [--manifest FILE] [-j N] [--repeat K]

Uses ``conformance/manifest.json`` when it exists, else a stand-in corpus built from
the writer's samples (``--copies`` times over). Targets (from the harness issue):
the persistent run takes under 5 s, and is at least 10x faster than the exit-code
run on the same corpus and the same ``-j``. Prints the figures; exits 1 when a
target is missed. Wall-clock times of whole runs, corpus hash checks included.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from xensave.conformance.adapters import load_adapter
from xensave.conformance.execute import ExecOptions
from xensave.conformance.manifest import Filters, find_manifest, load_manifest
from xensave.conformance.runner import RunOptions, run

ROOT = Path(__file__).resolve().parent.parent
ADAPTERS = ROOT / "conformance" / "adapters"
TARGET_SECONDS = 5.0
TARGET_RATIO = 10.0


def timed(manifest_path: Path, adapter_file: str, jobs: int) -> tuple[float, int, int]:
    """(seconds, cases run, processes started)"""
    adapter = load_adapter(ADAPTERS / adapter_file)
    adapter.expected_failures = None
    opts = RunOptions(jobs=jobs, exec=ExecOptions(timeout=60))
    t0 = time.perf_counter()
    result = run(load_manifest(manifest_path), [adapter], Filters(), opts)
    seconds = time.perf_counter() - t0
    impl = result.impls[0]
    bad = [r for r in impl.results if r.outcome not in ("pass", "unsupported")]
    if bad:
        print(f"  note: {len(bad)} cases not passing with {adapter.name} (timing still valid)")
    return seconds, len(impl.results), impl.starts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--manifest", type=Path, help="default: conformance/manifest.json")
    p.add_argument("-j", "--jobs", type=int, default=1, help="parallel cases (default 1)")
    p.add_argument("--repeat", type=int, default=3, help="persistent runs to take the median of")
    p.add_argument("--copies", type=int, default=5, help="stand-in corpus: copies of the samples")
    args = p.parse_args(argv)

    tmp = None
    manifest = args.manifest or find_manifest(ROOT)
    if manifest is None:
        from xensave.conformance._samplecorpus import write_sample_corpus

        tmp = tempfile.TemporaryDirectory(prefix="bench-harness-")
        manifest = write_sample_corpus(Path(tmp.name), copies=args.copies)
        print(f"no conformance/manifest.json: stand-in corpus of the samples x{args.copies}")
    m = load_manifest(manifest)
    size = sum(c.size for c in m.cases)
    print(f"corpus: {manifest} ({len(m.cases)} cases, {size / 2**20:.1f} MiB), -j {args.jobs}")

    runs = [timed(manifest, "reference.json", args.jobs) for _ in range(max(1, args.repeat))]
    pers = statistics.median(r[0] for r in runs)
    n, starts = runs[0][1], runs[0][2]
    print(
        f"persistent (reference.json):      {pers:7.2f} s  {pers / n * 1e3:7.2f} ms/case  "
        f"{starts} process{'es' if starts != 1 else ''}  (median of {len(runs)})"
    )
    exit_s, n2, starts2 = timed(manifest, "reference-exit.json", args.jobs)
    print(
        f"exit-code  (reference-exit.json): {exit_s:7.2f} s  {exit_s / n2 * 1e3:7.2f} ms/case  "
        f"{starts2} processes"
    )
    ratio = exit_s / pers
    ok_time = pers < TARGET_SECONDS
    ok_ratio = ratio >= TARGET_RATIO
    print(
        f"persistent under {TARGET_SECONDS:g} s: {'yes' if ok_time else 'NO'}; "
        f"speed-up {ratio:.1f}x (target >= {TARGET_RATIO:g}x): {'yes' if ok_ratio else 'NO'}"
    )
    if tmp is not None:
        tmp.cleanup()
    return 0 if ok_time and ok_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
