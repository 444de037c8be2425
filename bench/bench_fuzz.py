"""Benchmark of ``xensave fuzz``: cases per second against the reference checker over
the persistent protocol, the way ``xensave fuzz --adapter reference`` runs, and how
the rate scales from one core to two.

    python bench/bench_fuzz.py [--cases N] [--repeat K] [--seed S] [--jobs 1c,1co,1,1s,2]

Each run is a whole search through the harness: build a case (a valid image, most of
the time mutated), hand it over as a private read-only copy, send it to the testee,
judge its answer. The kinds of run named by ``--jobs`` take turns (each round starts
one kind further on), so a change in the machine's load hits all alike; the figure
for each is the median of ``--repeat`` runs.

A kind is a worker count (``xensave fuzz -j N``: the same cases whatever N), then
``c`` to confine the whole run (this process, its workers and their testees: the
affinity set before the run starts is inherited) to N CPUs, then ``s`` to build each
case in turn with its testee's judging (``--no-overlap``) or ``o`` to build the next
case while the testee judges (``--overlap``); without either, the fuzzer's default
(overlap only when the workers leave a CPU free, so one worker on one CPU builds in
turn). Scaling is throughput on N cores over throughput on one core, so the bench
measures the one-core rate on one core (``1c``, ``1co``) and divides ``-j N`` by the
best of those.

Targets (issue 21): 500 cases per second with one worker (``-j 1``, unconfined), and
near-linear scaling: N workers on N cores at least 85% of N times the best one-worker
rate on one core. Exits 1 when one is missed. Also prints the CPU time a case costs
in all processes (the figure the machine's load moves least), where it goes
(building and writing the image, and the reference checker judging it, each
measured alone in this process; the rest is the harness and the protocol) and the
load average, since the machine is shared.

``--fingerprint N`` instead prints a hash of the first N cases of ``--seed`` (their
octets, mutations, declarations and choices): a change that makes building cheaper
must leave it as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import re
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from xensave.checker import check_bytes
from xensave.conformance.adapters import load_adapter
from xensave.fuzz.cases import build_case, select_mutations
from xensave.fuzz.choices import RandomChooser
from xensave.fuzz.driver import FuzzConfig, _cases, spec_for
from xensave.fuzz.parallel import run

ROOT = Path(__file__).resolve().parent.parent
ADAPTER = ROOT / "conformance" / "adapters" / "reference.json"
TARGET = 500.0
#: With N workers on N cores, at least this share of N times one worker on one core.
EFFICIENCY = 0.85


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


@dataclass(frozen=True)
class Kind:
    """A kind of run: its name in --jobs, the workers, the overlap (None: the
    fuzzer's default) and whether it is confined to as many CPUs as workers."""

    name: str
    jobs: int
    overlap: bool | None
    confined: bool

    @property
    def label(self) -> str:
        flag = {None: "", True: " --overlap", False: " --no-overlap"}[self.overlap]
        where = f" on {self.jobs} CPU{'s' if self.jobs > 1 else ''}" if self.confined else ""
        return f"-j {self.jobs}{flag}{where}"


def parse_kinds(text: str) -> list[Kind]:
    """``1c,1co,1,1s,2`` as kinds of run (see the module's doc)."""
    out: list[Kind] = []
    for word in text.split(","):
        word = word.strip()
        m = re.fullmatch(r"([0-9]+)(c?)([so]?)", word)
        if m is None:
            raise argparse.ArgumentTypeError(f"{word}: N, then c, then s or o (e.g. 1cs)")
        n = int(m[1])
        if n < 1:
            raise argparse.ArgumentTypeError(f"{word}: at least one worker")
        overlap = {"s": False, "o": True, "": None}[m[3]]
        out.append(Kind(word, n, overlap, bool(m[2])))
    return out


@contextlib.contextmanager
def confined(cpus: set[int] | None) -> Iterator[None]:
    """This thread, and every process it starts meanwhile, on ``cpus`` only (children
    inherit the affinity); everything it may use again afterwards."""
    if cpus is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@dataclass
class Run:
    rate: float  # cases per second
    cases: int
    failures: int
    stopped: str  # why the search stopped
    me: float  # CPU ms a case in this process
    kids: float  # CPU ms a case in the workers and testees

    @property
    def cpu(self) -> float:
        return self.me + self.kids


def one_run(
    cases: int,
    seed: int,
    jobs: int = 1,
    overlap: bool | None = None,
    cpus: set[int] | None = None,
) -> Run:
    """One search of ``cases`` cases with ``jobs`` workers, on ``cpus`` (None: where
    this process may run)."""
    adapter = load_adapter(ADAPTER)
    config = FuzzConfig(seed=seed, max_examples=cases, max_time=None, shrink=False, jobs=jobs)
    config.overlap = overlap
    config.spec = spec_for(adapter)
    with confined(cpus):
        me, kids = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        result = run(adapter, config)
        me = (_cpu(resource.RUSAGE_SELF) - me) * 1e3 / max(result.cases, 1)
        kids = (_cpu(resource.RUSAGE_CHILDREN) - kids) * 1e3 / max(result.cases, 1)
    failures = len(result.failures) + len(result.warnings)
    return Run(result.rate, result.cases, failures, result.stopped, me, kids)


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


def fingerprint(cases: int, seed: int) -> str:
    """A hash of the search's first ``cases`` cases (as ``xensave fuzz --adapter
    reference`` builds them): octets, mutation, declarations, detail and choices."""
    config = FuzzConfig(seed=seed, max_examples=cases)
    config.spec = spec_for(load_adapter(ADAPTER))
    h = hashlib.sha256()
    for index, case, choices in _cases(config, select_mutations(None)):
        what = (index, case.mutation, case.breaks, case.permits, case.relies, case.tags)
        h.update(repr((what, case.detail, case.role, choices)).encode())
        h.update(hashlib.sha256(case.data).digest())
    return h.hexdigest()


def _cpus_for(kind: Kind, allowed: list[int], first: int) -> set[int] | None:
    if not kind.confined:
        return None
    if kind.jobs > len(allowed):
        raise SystemExit(f"{kind.name}: {kind.jobs} CPUs asked, {len(allowed)} available")
    at = allowed.index(first)
    return {allowed[(at + i) % len(allowed)] for i in range(kind.jobs)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=3000, help="cases per run (default 3000)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each kind, for the median")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--jobs",
        type=parse_kinds,
        default=parse_kinds("1c,1co,1,1s,2"),
        help="kinds of run, comma-separated: workers, then c to confine the run to as "
        "many CPUs, then s to build in turn (--no-overlap) or o ahead (--overlap); "
        "default 1c,1co,1,1s,2",
    )
    p.add_argument(
        "--cpu",
        type=int,
        default=None,
        help="the (first) CPU a confined run uses (default the lowest this process may use)",
    )
    p.add_argument(
        "--fingerprint",
        type=int,
        metavar="N",
        help="print a hash of the first N cases of --seed and exit (no runs)",
    )
    args = p.parse_args(argv)
    if args.fingerprint is not None:
        digest = fingerprint(args.fingerprint, args.seed)
        print(f"{args.fingerprint} cases of seed {args.seed}: {digest}")
        return 0
    kinds: list[Kind] = args.jobs
    allowed = sorted(os.sched_getaffinity(0))
    first = allowed[0] if args.cpu is None else args.cpu
    if first not in allowed:
        p.error(f"--cpu {first}: not one of this process's CPUs {allowed}")

    runs: dict[str, list[Run]] = {k.name: [] for k in kinds}
    cores = len(allowed)
    print(f"{cores} CPUs, load average {os.getloadavg()[0]:.1f} before the runs")
    for r in range(args.repeat):
        for i in range(len(kinds)):
            kind = kinds[(r + i) % len(kinds)]
            cpus = _cpus_for(kind, allowed, first)
            one = one_run(args.cases, args.seed + r, kind.jobs, kind.overlap, cpus)
            runs[kind.name].append(one)
            note = f", {one.failures} failure(s)!" if one.failures else ""
            where = f" (CPU {', '.join(map(str, sorted(cpus)))})" if cpus is not None else ""
            print(
                f"run {r + 1}, {kind.label}{where}: {one.cases} cases, {one.rate:.0f} cases/s; "
                f"CPU a case: this process {one.me:.2f} ms, workers and testees "
                f"{one.kids:.2f} ms ({one.stopped}{note})"
            )
    print(f"load average {os.getloadavg()[0]:.1f} after the runs")
    per_case, check, size = build_cost(min(args.cases, 1000), args.seed)
    print(
        f"CPU a case in one process: building and writing it {per_case:.2f} ms, the "
        f"reference checker judging it {check:.2f} ms (mean image {size / 1024:.0f} KiB); "
        "the rest of a run's CPU a case is the harness and the protocol"
    )
    return report(kinds, runs, cores)


def report(kinds: list[Kind], runs: dict[str, list[Run]], cores: int) -> int:
    """Print each kind's medians, the scaling and the targets; 1 when one is missed."""
    ok = True
    rate = {k.name: statistics.median(r.rate for r in runs[k.name]) for k in kinds}
    cpu = {k.name: statistics.median(r.cpu for r in runs[k.name]) for k in kinds}
    one_core = [k for k in kinds if k.jobs == 1 and k.confined]
    base = max(one_core, key=lambda k: rate[k.name], default=None)
    for kind in kinds:
        r, c = rate[kind.name], cpu[kind.name]
        line = f"median {kind.label}: {r:.0f} cases/s, {c:.2f} ms of CPU a case"
        if kind.name == "1":
            good = rate["1"] >= TARGET
            line += f" (target {TARGET:.0f} cases/s): {'ok' if good else 'MISSED'}"
            ok &= good
            if base is not None:
                line += f"; {rate['1'] / rate[base.name]:.2f} times {base.label}"
        if kind.jobs > 1 and kind.overlap is None and kind.jobs <= cores and base is not None:
            scale = rate[kind.name] / rate[base.name]
            want = EFFICIENCY * kind.jobs
            good = scale >= want
            line += (
                f"; scaling {scale:.2f} (over {base.label}, the best one-core run; target "
                f"{want:.2f}, {EFFICIENCY:.0%} of linear): {'ok' if good else 'MISSED'}"
            )
            ok &= good
            if "1" in rate:
                line += f"; {rate[kind.name] / rate['1']:.2f} times -j 1 on all CPUs"
        if kind.jobs > 1 or kind.overlap is False or kind.confined:
            # the most this many idle cores can give at this cost: every core busy
            # building or judging, none waiting
            n = min(kind.jobs, cores)
            line += f"; {n} idle core{'s' if n > 1 else ''} run at most {n / c * 1e3:.0f}/s"
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
