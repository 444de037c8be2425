"""Benchmark of ``xensave fuzz``: cases per second against the reference checker over
the persistent protocol, the way ``xensave fuzz --adapter reference`` runs.

    python bench/bench_fuzz.py [--cases N] [--repeat K] [--seed S] [--jobs 1,2]

Each run is a whole search through the harness: build a case (a valid image, most of
the time mutated), hand it over as a private read-only copy, send it to the testee,
judge its answer. Runs with each ``--jobs`` worker count (``xensave fuzz -j N``, the
same cases whatever N) take turns, so a change in the machine's load hits all alike;
the figure for each is the median of ``--repeat`` runs. Targets (from the fuzzing
issues): 500 cases per second with one worker, and scaling near-linearly with the
cores: with N workers at least 85% of N times the one-worker rate, for N up to the
cores. (One worker builds its next case while its testee judges the current one, so
it keeps two processes busy: on two cores the second target asks for little overlap
in one worker, and docs/fuzzing.md says why the two pull against each other.)
Also prints where a case's CPU time goes (building and writing the image, and
the reference checker judging it, each measured alone in this process; the rest is
the harness and the protocol) and the load average, since the machine is shared.
Exits 1 when a target is missed.
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

from xensave.checker import check_bytes
from xensave.conformance.adapters import load_adapter
from xensave.fuzz.cases import build_case
from xensave.fuzz.choices import RandomChooser
from xensave.fuzz.driver import FuzzConfig, spec_for
from xensave.fuzz.parallel import run

ROOT = Path(__file__).resolve().parent.parent
ADAPTER = ROOT / "conformance" / "adapters" / "reference.json"
TARGET = 500.0
#: With N workers (N at most the cores), at least this share of N times one worker's rate.
EFFICIENCY = 0.85


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def one_run(cases: int, seed: int, jobs: int = 1) -> tuple[float, int, int, str, float, float]:
    """(cases per second, cases, failures, why it stopped, CPU ms per case of the
    fuzzer, of the testee and workers) of one search."""
    adapter = load_adapter(ADAPTER)
    config = FuzzConfig(seed=seed, max_examples=cases, max_time=None, shrink=False, jobs=jobs)
    config.spec = spec_for(adapter)
    me, kids = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    result = run(adapter, config)
    me = (_cpu(resource.RUSAGE_SELF) - me) * 1e3 / max(result.cases, 1)
    kids = (_cpu(resource.RUSAGE_CHILDREN) - kids) * 1e3 / max(result.cases, 1)
    failures = len(result.failures) + len(result.warnings)
    return result.rate, result.cases, failures, result.stopped, me, kids


def build_cost(cases: int, seed: int) -> tuple[float, float, float]:
    """CPU milliseconds per case to build a case and write its bytes, and for the
    reference checker to judge it, in this process; the mean image size."""
    t0 = time.process_time()
    built = [build_case(RandomChooser(random.Random(f"{seed}:{i}"))) for i in range(cases)]
    t1 = time.process_time()
    for c in built:
        check_bytes(c.data)
    t2 = time.process_time()
    size = sum(len(c.data) for c in built)
    return (t1 - t0) * 1e3 / cases, (t2 - t1) * 1e3 / cases, size / cases


def _jobs(text: str) -> list[int]:
    return [int(j) for j in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=3000, help="cases per run (default 3000)")
    p.add_argument("--repeat", type=int, default=3, help="runs to take the median of")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--jobs", type=_jobs, default=[1, 2], help="worker counts, comma-separated (default 1,2)"
    )
    args = p.parse_args(argv)

    rates: dict[int, list[float]] = {j: [] for j in args.jobs}
    cpu: dict[int, list[float]] = {j: [] for j in args.jobs}  # CPU ms per case, all processes
    cores = len(os.sched_getaffinity(0))
    print(f"{cores} CPUs, load average {os.getloadavg()[0]:.1f} before the runs")
    for k in range(args.repeat):
        for j in args.jobs:
            rate, n, failures, stopped, me, kids = one_run(args.cases, args.seed + k, j)
            rates[j].append(rate)
            cpu[j].append(me + kids)
            note = f", {failures} failure(s)!" if failures else ""
            print(
                f"run {k + 1}, -j {j}: {n} cases, {rate:.0f} cases/s; CPU per case: "
                f"this process {me:.2f} ms, workers and testees {kids:.2f} ms ({stopped}{note})"
            )
    print(f"load average {os.getloadavg()[0]:.1f} after the runs")
    per_case, check, size = build_cost(min(args.cases, 1000), args.seed)
    print(
        f"CPU per case in one process: building and writing it {per_case:.2f} ms, the "
        f"reference checker judging it {check:.2f} ms (mean image {size / 1024:.0f} KiB); "
        "the rest of -j 1's CPU per case is the harness and the protocol"
    )
    ok = True
    medians = {j: statistics.median(r) for j, r in rates.items()}
    for j, m in medians.items():
        line = f"median -j {j}: {m:.0f} cases/s against the reference checker, persistent protocol"
        if j == 1:
            good = m >= TARGET
            line += f" (target {TARGET:.0f}): {'ok' if good else 'MISSED'}"
            ok &= good
        elif 1 in medians and j <= cores:
            scale = m / medians[1]
            good = scale >= EFFICIENCY * j
            line += (
                f"; {scale:.2f} times -j 1 (target {EFFICIENCY * j:.2f}, "
                f"{EFFICIENCY:.0%} of linear): {'ok' if good else 'MISSED'}"
            )
            ok &= good
        print(line)
    if 1 in cpu:
        # what N workers cost beyond one, whatever else runs; and the most any number
        # of workers can do on this machine's idle cores: one worker already runs its
        # builder and its testee side by side, so -j 1 can take up to two cores itself
        base = statistics.median(cpu[1])
        for j in args.jobs:
            if j != 1:
                c, n = statistics.median(cpu[j]), min(j, cores)
                print(f"CPU per case, -j {j} over -j 1: {c / base:.2f}; {n} idle cores "
                      f"run at most {n / c * 1e3:.0f} cases/s at this cost")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
