"""Benchmark of ``xensave fuzz``: cases per second against the reference checker over
the persistent protocol, the way ``xensave fuzz --adapter reference`` runs.

    python bench/bench_fuzz.py [--cases N] [--repeat K] [--seed S] [--jobs 1,1s,2]

Each run is a whole search through the harness: build a case (a valid image, most of
the time mutated), hand it over as a private read-only copy, send it to the testee,
judge its answer. Runs with each ``--jobs`` worker count (``xensave fuzz -j N``, the
same cases whatever N) take turns, so a change in the machine's load hits all alike;
the figure for each is the median of ``--repeat`` runs. Targets (from the fuzzing
issues): 500 cases per second with one worker, and scaling near-linearly with the
cores: with N workers at least 85% of N times the one-worker rate, for N up to the
cores. A worker builds its next case while its testee judges the current one when the
workers leave a core free (``xensave fuzz --overlap``): so ``-j 1`` keeps two
processes busy on two cores and ``-j 2`` runs each worker in turn. ``1s`` in
``--jobs`` is one worker building in turn (``--no-overlap``), ``1o``/``2o`` force the
overlap: the ratio of ``-j 2`` to ``1s`` is how the workers themselves scale, the
ratio to ``-j 1`` what a second core adds to the default (docs/fuzzing.md says why
the two differ on two cores).
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


def one_run(
    cases: int, seed: int, jobs: int = 1, overlap: bool | None = None
) -> tuple[float, int, int, str, float, float]:
    """(cases per second, cases, failures, why it stopped, CPU ms per case of the
    fuzzer, of the testee and workers) of one search."""
    adapter = load_adapter(ADAPTER)
    config = FuzzConfig(seed=seed, max_examples=cases, max_time=None, shrink=False, jobs=jobs)
    config.overlap = overlap
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


#: A run's kind: its name in --jobs, the workers, and the overlap (None: the default).
Kind = tuple[str, int, bool | None]


def _jobs(text: str) -> list[Kind]:
    out: list[Kind] = []
    for word in text.split(","):
        word = word.strip()
        overlap = {"s": False, "o": True}.get(word[-1:])
        n = int(word[:-1] if overlap is not None else word)
        if n < 1:
            raise argparse.ArgumentTypeError(f"{word}: at least one worker")
        out.append((word, n, overlap))
    return out


def _label(kind: Kind) -> str:
    _name, n, overlap = kind
    return f"-j {n}" + {None: "", True: " --overlap", False: " --no-overlap"}[overlap]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=3000, help="cases per run (default 3000)")
    p.add_argument("--repeat", type=int, default=3, help="runs to take the median of")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=_jobs("1,1s,2"),
        help="worker counts, comma-separated; a suffix s builds in turn (--no-overlap), "
        "o ahead (--overlap); default 1,1s,2",
    )
    args = p.parse_args(argv)
    kinds: list[Kind] = args.jobs

    rates: dict[str, list[float]] = {k[0]: [] for k in kinds}
    cpu: dict[str, list[float]] = {k[0]: [] for k in kinds}  # CPU ms per case, all processes
    cores = len(os.sched_getaffinity(0))
    print(f"{cores} CPUs, load average {os.getloadavg()[0]:.1f} before the runs")
    for r in range(args.repeat):
        for kind in kinds:
            name, j, overlap = kind
            rate, n, failures, stopped, me, kids = one_run(args.cases, args.seed + r, j, overlap)
            rates[name].append(rate)
            cpu[name].append(me + kids)
            note = f", {failures} failure(s)!" if failures else ""
            print(
                f"run {r + 1}, {_label(kind)}: {n} cases, {rate:.0f} cases/s; CPU per case: "
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
    medians = {name: statistics.median(r) for name, r in rates.items()}
    for kind in kinds:
        name, j, overlap = kind
        m = medians[name]
        c = statistics.median(cpu[name])
        line = f"median {_label(kind)}: {m:.0f} cases/s, {c:.2f} ms of CPU a case"
        if name == "1":
            good = m >= TARGET
            line += f" (target {TARGET:.0f} cases/s): {'ok' if good else 'MISSED'}"
            ok &= good
        elif j > 1 and j <= cores and overlap is None:
            if "1" in medians:
                scale = m / medians["1"]
                good = scale >= EFFICIENCY * j
                line += (
                    f"; {scale:.2f} times -j 1 (target {EFFICIENCY * j:.2f}, "
                    f"{EFFICIENCY:.0%} of linear): {'ok' if good else 'MISSED'}"
                )
                ok &= good
            if "1s" in medians:
                line += f"; {m / medians['1s']:.2f} times -j 1 --no-overlap"
        if j > 1 or overlap is False:
            # the most this machine's idle cores can give at this cost: every core
            # busy building or judging, none waiting
            line += f"; {min(j, cores)} idle cores run at most {min(j, cores) / c * 1e3:.0f}/s"
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
