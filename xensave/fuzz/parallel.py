"""``xensave fuzz -j N``: one search, N worker processes.

Cases are numbered from the run's seed (:mod:`xensave.fuzz.driver`); worker ``k`` of
``N`` builds and runs cases ``k, k+N, k+2N, ...`` against a testee of its own, so the
cases searched are those of ``-j 1`` with the same seed and budget, only run side by
side. The workers share a start time, the time of the first failure any of them found
(``--explore-time`` counts from it for all), a stop flag and a case count (for
progress). Their failures make one corpus: merged by kind, each kind keeping the
smallest failing case (the earliest among equals), as one process would. The shrink
phase then shares the distinct failures out among the same workers (their testees
still running), and every shrink reads and writes one hypothesis example database.

Workers are forked where the platform allows (no re-import), else spawned.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import time
import traceback
from collections.abc import Sequence
from typing import Any

from ..conformance.adapters import Adapter
from ..conformance.execute import StartError
from ..rules import load_rules
from .cases import select_mutations
from .driver import (
    Failure,
    FuzzConfig,
    FuzzResult,
    Lane,
    ProgressFn,
    Testee,
    _Runner,
    cores,
    fuzz,
    shrink_all,
)

__all__ = ["default_jobs", "fuzz_parallel", "run"]


def default_jobs() -> int:
    """The cores this process may run on (``-j 0``)."""
    return cores()


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class _Shared:
    """What the workers share (picklable for spawned workers: all multiprocessing
    objects)."""

    def __init__(self, ctx: Any, t0: float) -> None:
        self.t0 = t0
        self.first_failure = ctx.Value("d", 0.0)
        self.cases = ctx.Value("q", 0)
        self.stop = ctx.Event()


def _worker(
    k: int,
    adapter: Adapter,
    config: FuzzConfig,
    shared: _Shared,
    inbox: Any,
    outbox: Any,
) -> None:
    """Search this worker's lane, send its result; then shrink the failures it is
    sent, send them back; then end."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    testee = Testee(adapter, config.exec)
    try:
        lane = Lane(range(k, config.max_examples, config.jobs), testee, shared)
        try:
            result = fuzz(adapter, config, None, lane)
        except StartError as exc:
            outbox.put(("start-error", k, str(exc)))
            return
        outbox.put(("searched", k, result))
        todo = inbox.get()
        if todo:
            pool = select_mutations(config.mutations)
            shrink_all(todo, _Runner(testee), config, pool)
        outbox.put(("shrunk", k, todo))
    except BaseException:
        outbox.put(("error", k, traceback.format_exc()))
    finally:
        testee.close()


def _merge(results: Sequence[FuzzResult], into: FuzzResult) -> None:
    """One corpus of failures from the workers': by kind, the smallest case (the
    earliest among equals) is kept and counts add up; listed by first discovery."""
    best: dict[tuple[str, ...], tuple[Failure, bool]] = {}
    for r in results:
        into.cases += r.cases
        into.outcomes.update(r.outcomes)
        into.starts += r.starts
        for f, is_failure in [(f, True) for f in r.failures] + [(f, False) for f in r.warnings]:
            have = best.get(f.signature)
            if have is None:
                best[f.signature] = (f, is_failure)
                continue
            g = have[0]
            first, count = min(g.first, f.first), g.count + f.count
            if (len(f.case.data), f.index) < (len(g.case.data), g.index):
                g = f
                best[f.signature] = (f, is_failure)
            g.first, g.count = first, count
    for f, is_failure in sorted(best.values(), key=lambda fi: fi[0].first):
        (into.failures if is_failure else into.warnings).append(f)


def _why_stopped(results: Sequence[FuzzResult], config: FuzzConfig) -> str:
    reasons = [r.stopped for r in results if r.stopped and r.stopped != "stopped"]
    for r in reasons:
        if not r.startswith("--max-examples"):
            return r
    return reasons[0] if reasons else f"--max-examples {config.max_examples} reached"


def run(adapter: Adapter, config: FuzzConfig, progress: ProgressFn | None = None) -> FuzzResult:
    """A whole ``xensave fuzz`` run: :func:`xensave.fuzz.driver.fuzz` in this process,
    or with ``config.jobs`` worker processes."""
    if config.jobs > 1:
        return fuzz_parallel(adapter, config, progress)
    return fuzz(adapter, config, progress)


def fuzz_parallel(
    adapter: Adapter, config: FuzzConfig, progress: ProgressFn | None = None
) -> FuzzResult:
    """:func:`xensave.fuzz.driver.fuzz` with ``config.jobs`` worker processes."""
    ctx = _context()
    t0 = time.monotonic()
    shared = _Shared(ctx, t0)
    outbox = ctx.Queue()
    inboxes = [ctx.Queue() for _ in range(config.jobs)]
    workers = [
        ctx.Process(
            target=_worker,
            args=(k, adapter, config, shared, inboxes[k], outbox),
            name=f"xensave-fuzz-{k}",
            daemon=True,
        )
        for k in range(config.jobs)
    ]
    result = FuzzResult(adapter, config)
    sent = False  # the shrink phase's shares, or nothing when the run ends early
    if ctx.get_start_method() == "fork":
        # what every worker needs and would otherwise load on its own first case (the
        # rule catalogue, for each case's verdict: a quarter of a second): loaded
        # once, here, and inherited
        load_rules()
    try:
        for w in workers:
            w.start()
        searched = _collect(outbox, workers, "searched", shared, config, progress)
        result.search_seconds = time.monotonic() - t0
        done = [searched[k] for k in sorted(searched)]
        _merge(done, result)
        result.stopped = _why_stopped(done, config)
        todo = result.failures + result.warnings
        shares: list[list[Failure]] = [
            todo[k :: config.jobs] if config.shrink else [] for k in range(config.jobs)
        ]
        if progress is not None and config.shrink and todo:
            progress(
                f"fuzz: shrinking {len(todo)} failure(s) in {min(len(todo), config.jobs)} worker(s)"
            )
        for k, inbox in enumerate(inboxes):
            inbox.put(shares[k])
        sent = True
        shrunk = _collect(outbox, workers, "shrunk", shared, config, None)
        # the shrunk copies replace the originals, in the same places
        back = {id(f): s for k in shrunk for f, s in zip(shares[k], shrunk[k], strict=True)}
        result.failures = [back.get(id(f), f) for f in result.failures]
        result.warnings = [back.get(id(f), f) for f in result.warnings]
    finally:
        shared.stop.set()
        if not sent:  # let workers waiting for a share end (an error, Ctrl-C)
            for inbox in inboxes:
                inbox.put([])
        for w in workers:
            w.join(timeout=10)
            if w.is_alive():
                w.terminate()
                w.join()
    result.seconds = time.monotonic() - t0
    return result


def _collect(
    outbox: Any,
    workers: list[Any],
    what: str,
    shared: _Shared,
    config: FuzzConfig,
    progress: ProgressFn | None,
) -> dict[int, Any]:
    """Each worker's ``what`` message, reporting progress meanwhile. Raises StartError
    (the testee cannot start) or RuntimeError (a worker failed or died)."""
    got: dict[int, Any] = {}
    while len(got) < len(workers):
        try:
            kind, k, payload = outbox.get(timeout=0.2)
        except queue.Empty:
            dead = [w for i, w in enumerate(workers) if i not in got and not w.is_alive()]
            if dead and outbox.empty():
                raise RuntimeError(
                    f"fuzz worker {dead[0].name} ended without a result "
                    f"(exit code {dead[0].exitcode})"
                ) from None
            if progress is not None:
                n = int(shared.cases.value)
                rate = n / max(time.monotonic() - shared.t0, 1e-9)
                progress(
                    f"fuzz: {n}/{config.max_examples} cases, {rate:.0f}/s, {config.jobs} workers"
                )
            continue
        if kind == "start-error":
            raise StartError(payload)
        if kind == "error":
            raise RuntimeError(f"fuzz worker {k} failed:\n{payload}")
        assert kind == what, (kind, what)
        got[k] = payload
    return got
