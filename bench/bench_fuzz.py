"""Benchmark of ``xensave fuzz``: cases per second against the reference checker over
the persistent protocol, the way ``xensave fuzz --adapter reference`` runs.

    python bench/bench_fuzz.py [--cases N] [--repeat K] [--seed S]

Each run is a whole search through the harness: build a case (a valid image, most of
the time mutated), hand it over as a private read-only copy, send it to the testee,
judge its answer. The figure is the median of ``--repeat`` runs; the target (from the
fuzzing issue) is 500 cases per second. Also prints where a case's time goes (building
and writing the image in this process; the rest is the harness and the testee). Exits
1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

from xensave.conformance.adapters import load_adapter
from xensave.fuzz.cases import build_case
from xensave.fuzz.choices import RandomChooser
from xensave.fuzz.driver import FuzzConfig, fuzz, spec_for

ROOT = Path(__file__).resolve().parent.parent
ADAPTER = ROOT / "conformance" / "adapters" / "reference.json"
TARGET = 500.0


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def one_run(cases: int, seed: int) -> tuple[float, int, int, str, float, float]:
    """(cases per second, cases, failures, why it stopped, CPU ms per case of the
    fuzzer, of the testee) of one search."""
    adapter = load_adapter(ADAPTER)
    config = FuzzConfig(seed=seed, max_examples=cases, max_time=None, shrink=False)
    config.spec = spec_for(adapter)
    me, kids = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    result = fuzz(adapter, config)
    me = (_cpu(resource.RUSAGE_SELF) - me) * 1e3 / max(result.cases, 1)
    kids = (_cpu(resource.RUSAGE_CHILDREN) - kids) * 1e3 / max(result.cases, 1)
    failures = len(result.failures) + len(result.warnings)
    return result.rate, result.cases, failures, result.stopped, me, kids


def build_cost(cases: int, seed: int) -> tuple[float, float]:
    """Milliseconds per case to build a case and to write its bytes, in this process."""
    t0 = time.perf_counter()
    built = [build_case(RandomChooser(random.Random(f"{seed}:{i}"))) for i in range(cases)]
    t1 = time.perf_counter()
    size = sum(len(c.data) for c in built)
    return (t1 - t0) * 1e3 / cases, size / cases


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=3000, help="cases per run (default 3000)")
    p.add_argument("--repeat", type=int, default=3, help="runs to take the median of")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)

    rates = []
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} before the runs")
    for k in range(args.repeat):
        rate, n, failures, stopped, me, kids = one_run(args.cases, args.seed + k)
        rates.append(rate)
        note = f", {failures} failure(s)!" if failures else ""
        print(
            f"run {k + 1}: {n} cases, {rate:.0f} cases/s; CPU per case: fuzzer {me:.2f} ms, "
            f"testee {kids:.2f} ms ({stopped}{note})"
        )
    per_case, size = build_cost(min(args.cases, 1000), args.seed)
    median = statistics.median(rates)
    print(f"building and writing a case: {per_case:.2f} ms (mean image {size / 1024:.0f} KiB)")
    verdict = "ok" if median >= TARGET else "MISSED"
    print(f"median: {median:.0f} cases/s against the reference checker, persistent protocol "
          f"(target {TARGET:.0f}): {verdict}")  # fmt: skip
    return 0 if median >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
