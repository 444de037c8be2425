"""Where a conformance run's time goes: each bundled column alone over the corpus.

    python bench/bench_times.py [--jobs N] [--adapter NAME ...] [--filter GLOB]

For each column (every bundled adapter, or those named) this runs the harness in this
process over the corpus, one column at a time, and prints the cases run, the wall time,
and the CPU time of the harness (this process) and of the testees (its children, and
theirs: a persistent testee's Xen driver processes count once it has reaped them),
each also per case. On a shared machine wall time is what the load makes it; CPU time
is what the load moves least, and the sum over the columns divided by the cores is
the floor of ``./dev main``'s wall time. Byte-code caching is on for the testees, as
inside tox (PYTHONDONTWRITEBYTECODE is dropped from their environment): otherwise each
``python -m xensave verify`` would compile the package from source.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xensave.conformance.adapters import bundled_adapters  # noqa: E402
from xensave.conformance.execute import ExecOptions  # noqa: E402
from xensave.conformance.manifest import Filters, load_manifest  # noqa: E402
from xensave.conformance.runner import RunOptions, run  # noqa: E402


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("-a", "--adapter", action="append", default=[], metavar="NAME")
    p.add_argument("-k", "--filter", action="append", default=[], metavar="GLOB")
    args = p.parse_args(argv)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    manifest = load_manifest(ROOT / "conformance" / "manifest.json")
    adapters = bundled_adapters(ROOT / "conformance" / "adapters")
    if args.adapter:
        unknown = set(args.adapter) - {a.name for a in adapters}
        if unknown:
            p.error(f"no bundled adapter named {', '.join(sorted(unknown))}")
        adapters = [a for a in adapters if a.name in args.adapter]
    load = os.getloadavg()[0]
    print(f"{len(manifest.cases)} cases, -j {args.jobs}, {os.cpu_count()} CPUs, load {load:.1f}")
    print(
        f"{'column':30} {'cases':>6} {'wall s':>8} {'harness s':>10} {'testees s':>10} "
        f"{'ms/case':>8}"
    )
    totals = [0.0, 0.0, 0.0]
    for a in adapters:
        opts = RunOptions(jobs=args.jobs, exec=ExecOptions(timeout=60))
        h0, c0, t0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN), time.monotonic()
        result = run(manifest, [a], Filters(names=args.filter), opts)
        wall = time.monotonic() - t0
        harness = _cpu(resource.RUSAGE_SELF) - h0
        testees = _cpu(resource.RUSAGE_CHILDREN) - c0
        impl = result.impls[0]
        n = sum(1 for r in impl.results if r.raw is not None)
        per = 1000 * (harness + testees) / n if n else 0.0
        note = f"  ({impl.unavailable})" if impl.unavailable else ""
        print(f"{a.name:30} {n:6} {wall:8.1f} {harness:10.2f} {testees:10.2f} {per:8.2f}{note}")
        for i, v in enumerate((wall, harness, testees)):
            totals[i] += v
    wall, harness, testees = totals
    print(f"{'all':30} {'':6} {wall:8.1f} {harness:10.2f} {testees:10.2f}")
    cores = os.cpu_count() or 1
    print(
        f"CPU {harness + testees:.1f} s: at least {(harness + testees) / cores:.1f} s of wall "
        f"on {cores} idle cores; load now {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
