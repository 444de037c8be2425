"""``xensave fuzz``: differential fuzzing of any implementation through the harness.

A run has two phases.

*Search.* Case after case is built from a fast random chooser (seeded from the run's
seed and the case's number, so one seed reproduces the whole run) and handed to the
implementation exactly as ``xensave conformance run`` hands corpus cases: a private
read-only copy, over the exit-code or the persistent protocol
(:mod:`xensave.conformance.execute`), judged against the case's declared verdict
(:func:`xensave.conformance.runner.classify`). Every disagreement, crash, signal,
timeout and protocol error is a failure; failures of the same kind (the outcome and
the rules the case declares broken, or the exit code or signal) count as one.

*Shrink.* Each distinct failure is handed to hypothesis as a recorded choice
sequence and shrunk, keeping only candidates that fail the same way, to a minimal
image. Each is written with a manifest entry (rules, expected verdict, seed, how to
reproduce) in the corpus manifest format, so ``xensave conformance run --manifest``
reruns them; ``--add-to-corpus`` files them into ``conformance/regressions/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shlex
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..conformance.adapters import Adapter
from ..conformance.execute import (
    ExecOptions,
    PersistentSession,
    RawResult,
    Workspace,
)
from ..conformance.manifest import Case as ManifestCase
from ..conformance.runner import FAILURE_OUTCOMES, classify, run_one
from .build import GUESTS, LAYERS, VERSIONS, Spec
from .cases import Case, build_case, select_mutations
from .choices import RandomChooser, ReplayChooser
from .defaults import (
    DEFAULT_EXPLORE_TIME,
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_TIME,
    DEFAULT_SHRINK_TIME,
    DEFAULT_TIMEOUT,
)
from .mutations import Mutation

__all__ = [
    "Failure",
    "FuzzConfig",
    "FuzzResult",
    "Testee",
    "case_name",
    "fuzz",
    "shrink_all",
    "spec_for",
    "write_reproducers",
]

MANIFEST_FORMAT = "xensave-corpus"


# --- the implementation under test -------------------------------------------------------


class Testee:
    """One implementation, run case by case as the conformance harness runs it: a
    private read-only copy of each image, the adapter's protocol, a persistent
    session kept across cases (restarted by the harness when it dies or hangs)."""

    def __init__(self, adapter: Adapter, opts: ExecOptions) -> None:
        self.adapter = adapter
        self.opts = opts
        self.workspace = Workspace()  # in RAM where Linux offers it (its own choice)
        self.session: PersistentSession | None = None
        self.runs = 0
        self._warm: bytes | None = None
        self._warm_ok = True  # off once a warm-up itself fails: then it only costs time

    @property
    def starts(self) -> int:
        if self.adapter.protocol == "persistent":
            return self.session.starts if self.session is not None else 0
        return self.runs

    def run(self, name: str, data: bytes, meanwhile: Callable[[], None] | None = None) -> RawResult:
        """The testee's answer; ``meanwhile`` runs while it judges, over the
        persistent protocol (see :meth:`PersistentSession.run`), or not at all."""
        if self.adapter.protocol == "persistent":
            if self.session is None:
                self.session = PersistentSession(self.adapter.command, self.opts)
            if self.session.proc is None and self._warm_ok:
                self._warm_up(self.session)
        raw = run_one(
            self.adapter, name, data, self.workspace, self.opts, self.session, meanwhile=meanwhile
        )
        self.runs += 1
        return raw

    def _warm_up(self, session: PersistentSession) -> None:
        """After a (re)start, one small valid image the answer to which is ignored: the
        process has then started when a case's time limit runs, so a slow start is
        not taken for a hang (the harness's start-up grace covers this request)."""
        from .build import build_image
        from .choices import ReplayChooser

        if self._warm is None:
            self._warm = build_image(ReplayChooser([])).data
        path = self.workspace.hand_over("warm-up.bin", self._warm)
        try:
            header = {"protocol": 1, "name": "warm-up", "file": str(path), "size": len(self._warm)}
            raw = session.run(header, self._warm)
            self._warm_ok = raw.kind in ("accept", "reject", "unsupported")
        finally:
            self.workspace.take_back(path, self._warm)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None
        self.workspace.close()


# --- configuration and results -------------------------------------------------------------


@dataclass
class FuzzConfig:
    seed: int
    max_examples: int = DEFAULT_MAX_EXAMPLES
    max_time: float | None = DEFAULT_MAX_TIME
    shrink_time: float = DEFAULT_SHRINK_TIME
    explore_time: float = DEFAULT_EXPLORE_TIME
    shrink: bool = True
    role: str = "validator"
    strict: bool = False  # recommended-level disagreements are failures too
    mutate: int = 75
    mutations: Sequence[str] | None = None
    spec: Spec = field(default_factory=Spec)
    exec: ExecOptions = field(default_factory=lambda: ExecOptions(DEFAULT_TIMEOUT))
    jobs: int = 1  # worker processes (xensave.fuzz.parallel); each runs its own testee
    #: build the next case while the testee judges this one (None: when the workers
    #: leave a core free for it; see :func:`overlaps`)
    overlap: bool | None = None
    database: Path | None = None  # hypothesis example database shared by the workers


def spec_for(
    adapter: Adapter,
    layers: Sequence[str] = (),
    guests: Sequence[str] = (),
    versions: Sequence[int] = (),
) -> Spec:
    """What to build: the command line's filters within what the adapter claims.
    Raises ValueError when nothing is left."""

    def narrow(
        known: tuple[Any, ...], claimed: list[str] | None, asked: Sequence[Any]
    ) -> tuple[Any, ...]:
        out = [k for k in known if claimed is None or str(k) in claimed]
        return tuple(k for k in out if not asked or k in asked)

    s = adapter.supports
    return Spec(
        narrow(LAYERS, s.get("layers"), layers),
        narrow(GUESTS, s.get("guests"), guests),
        narrow(VERSIONS, s.get("versions"), versions),
    )


@dataclass
class Outcome:
    outcome: str  # as the harness classifies: pass, false-accept, crash, ...
    answer: str | None
    message: str
    raw: RawResult

    def signature(self, case: Case) -> tuple[str, ...]:
        """What makes two failures the same failure."""
        if self.outcome in ("false-accept", "false-reject"):
            return (self.outcome, *sorted(case.breaks))
        if self.outcome == "crash" and self.raw.exit_code is not None:
            return (self.outcome, f"exit {self.raw.exit_code}")
        if self.outcome == "signal" and self.raw.signal is not None:
            return (self.outcome, f"signal {self.raw.signal}")
        return (self.outcome,)


@dataclass
class Failure:
    signature: tuple[str, ...]
    index: int  # the number of the (smallest) case of the search that failed this way
    case: Case
    outcome: Outcome
    choices: list[int | bytes]
    count: int = 1  # cases of the search that failed this way
    first: int = -1  # the number of the first of them
    shrunk: bool = False
    shrink_runs: int = 0  # runs of the testee while shrinking
    hypothesis_runs: int = 0  # of which hypothesis asked for
    original_size: int = 0

    @property
    def kind(self) -> str:
        return self.signature[0]

    def title(self) -> str:
        o = self.outcome
        if o.outcome in ("false-accept", "false-reject"):
            want = self.case.verdict
            what = f"{o.answer}ed; expected {want.verdict} ({want.level})"
        else:
            what = o.message
        return f"{o.outcome}: {what}"


@dataclass
class FuzzResult:
    adapter: Adapter
    config: FuzzConfig
    cases: int = 0
    seconds: float = 0.0
    search_seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)  # recommended-level disagreements
    starts: int = 0
    stopped: str = ""  # why the search stopped

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def rate(self) -> float:
        return self.cases / self.search_seconds if self.search_seconds else 0.0


# --- running one case ------------------------------------------------------------------------


def case_name(case: Case) -> str:
    """A corpus-style name: ``n_libxc-v3_hvm_fuzz-xc-page-reserved-1a2b3c4d``."""
    b = case.base
    slug = case.mutation or "valid"
    digest = hashlib.sha256(case.data).hexdigest()[:8]
    return f"{case.verdict.prefix}_{b.layer}-v{b.version}_{b.guest}_fuzz-{slug}-{digest}"


def manifest_case(case: Case, name: str) -> ManifestCase:
    v = case.verdict
    return ManifestCase(
        name=name,
        file=f"corpus/{name}.bin",
        sha256=hashlib.sha256(case.data).hexdigest(),
        size=len(case.data),
        verdict=v.verdict,
        level=v.level,
        rules=case.rules,
        layer=case.base.layer,
        layers=case.base.layers,
        version=case.base.version,
        guest=case.base.guest,
        tags=case.tags,
        description=case.describe(),
    )


class _Runner:
    """Runs cases on the testee. With ``cache`` (while shrinking) answers are kept by
    image: a shrink asks for the same image more than once, and a flaky answer must
    not change what a known image did."""

    def __init__(self, testee: Testee) -> None:
        self.testee = testee
        self.cache: dict[bytes, RawResult] | None = None

    def known(self, data: bytes) -> bool:
        return self.cache is not None and hashlib.sha256(data).digest() in self.cache

    def run(self, case: Case, name: str, meanwhile: Callable[[], None] | None = None) -> Outcome:
        key = hashlib.sha256(case.data).digest() if self.cache is not None else b""
        raw = self.cache.get(key) if self.cache is not None else None
        if raw is None:
            raw = self.testee.run(name, case.data, meanwhile)
            if self.cache is not None and len(self.cache) < 100_000:
                self.cache[key] = raw
        outcome, answer, message = classify(_judged(case, name), raw)
        return Outcome(outcome, answer, message, raw)


def _judged(case: Case, name: str) -> ManifestCase:
    """What :func:`classify` needs to know of a case: its verdict (no hashing)."""
    v = case.verdict
    return ManifestCase(name, "", "", len(case.data), v.verdict, v.level, case.rules)


def _is_failure(out: Outcome, case: Case, strict: bool) -> bool | None:
    """True: a failure; None: a recommended-level disagreement (a warning unless
    strict); False: fine."""
    if out.outcome not in FAILURE_OUTCOMES:
        return False
    if out.outcome in ("false-accept", "false-reject") and case.verdict.level == "recommended":
        return True if strict else None
    return True


# --- the search ------------------------------------------------------------------------------


ProgressFn = Callable[[str], None]


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def overlaps(config: FuzzConfig) -> bool:
    """Whether a worker builds its next case while its testee judges the current one
    (``config.overlap``; by default when the workers leave a core free for it).

    Overlapping keeps a worker's two processes busy at once: with a spare core one
    worker runs up to twice as fast. When the workers already take every core it only
    makes them take turns on the cores, and each case costs more CPU (caches lost at
    each switch), so N workers on N cores build and judge in turn."""
    if config.overlap is not None:
        return config.overlap
    return config.jobs < cores()


def _case_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"xensave-fuzz:{seed}:{index}")


def _cases(
    config: FuzzConfig, pool: Sequence[Mutation], indices: range | None = None
) -> Iterator[tuple[int, Case, list[int | bytes]]]:
    """The search's cases in order, each built from its own seeded chooser (so the
    cases are the same whatever the timing or the number of workers), with the
    choices that built it."""
    c = config
    for index in range(c.max_examples) if indices is None else indices:
        ch = RandomChooser(_case_rng(c.seed, index))
        case = build_case(ch, c.spec, role=c.role, mutate=c.mutate, pool=pool)
        yield index, case, ch.choices


class _Ahead:
    """The search's cases, each built while the testee judges the one before: the
    harness calls :meth:`build` once the request is on its way (the ``meanwhile`` of
    :meth:`PersistentSession.run`), so a worker's two processes work side by side.

    In the one thread that runs the harness, not in a thread of its own: a builder
    thread held the GIL while the harness's system calls (writing the copy, the
    request, reading the answer) waited for it, up to the interpreter's switch
    interval each time, which cost more than building ahead saved."""

    _EMPTY = object()

    def __init__(self, cases: Iterator[tuple[int, Case, list[int | bytes]]]) -> None:
        self.cases = cases
        self.next: Any = self._EMPTY

    def build(self) -> None:
        """Build the next case now, if not yet; an error is kept for :meth:`take`
        (it must not interrupt the harness in the middle of a request)."""
        if self.next is self._EMPTY:
            try:
                self.next = next(self.cases, None)
            except BaseException as exc:
                self.next = exc

    def take(self) -> tuple[int, Case, list[int | bytes]] | None:
        """The next case (None after the last), built now unless built already."""
        self.build()
        item, self.next = self.next, self._EMPTY
        if isinstance(item, BaseException):
            raise item
        return item  # type: ignore[no-any-return]


class Lane:
    """One worker's share of a search that several processes run
    (:mod:`xensave.fuzz.parallel`): the case numbers it takes, its testee (kept for
    the shrink phase), and what the workers share: when the run started, when any of
    them first failed, a stop flag and a case count."""

    def __init__(self, indices: range, testee: Testee, shared: Any) -> None:
        self.indices = indices
        self.testee = testee
        self.shared = shared

    @property
    def t0(self) -> float:
        return float(self.shared.t0)

    def first_failure(self) -> float | None:
        t = float(self.shared.first_failure.value)
        return t if t else None

    def failed(self, when: float) -> None:
        with self.shared.first_failure.get_lock():
            if not self.shared.first_failure.value:
                self.shared.first_failure.value = when

    def ran(self) -> bool:
        """Count a case; False when the run is to stop (another worker said so)."""
        with self.shared.cases.get_lock():
            self.shared.cases.value += 1
        return not self.shared.stop.is_set()


def fuzz(
    adapter: Adapter,
    config: FuzzConfig,
    progress: ProgressFn | None = None,
    lane: Lane | None = None,
) -> FuzzResult:
    """Search, then shrink each distinct failure, in this process
    (:func:`xensave.fuzz.parallel.run` heeds ``config.jobs``). Raises
    :class:`xensave.conformance.execute.StartError` when the testee cannot be run.
    With ``lane`` only search, as one of several workers."""
    result = FuzzResult(adapter, config)
    pool = select_mutations(config.mutations)
    testee = lane.testee if lane is not None else Testee(adapter, config.exec)
    runner = _Runner(testee)
    t0 = lane.t0 if lane is not None else time.monotonic()
    found: dict[tuple[str, ...], Failure] = {}
    first_failure_at: float | None = None
    last_report = 0.0
    indices = lane.indices if lane is not None else None
    ahead = _Ahead(_cases(config, pool, indices))
    meanwhile = ahead.build if overlaps(config) else None
    try:
        while (item := ahead.take()) is not None:
            index, case, choices = item
            now = time.monotonic()
            if lane is not None:
                first_failure_at = first_failure_at or lane.first_failure()
                if not lane.ran():
                    result.stopped = "stopped"
                    break
            if config.max_time is not None and now - t0 >= config.max_time:
                result.stopped = f"--max-time {config.max_time:g} s reached"
                break
            if first_failure_at is not None and now - first_failure_at >= config.explore_time:
                result.stopped = (
                    f"searched {config.explore_time:g} s past the first failure for failures "
                    "of other kinds"
                )
                break
            out = runner.run(case, f"fuzz-{index}", meanwhile)
            result.cases += 1
            result.outcomes[out.outcome] += 1
            verdict = _is_failure(out, case, config.strict)
            if verdict is not False:
                sig = out.signature(case)
                if sig in found:
                    f = found[sig]
                    f.count += 1
                    if len(case.data) < len(f.case.data):  # shrink from the smallest seen
                        f.index, f.case, f.outcome, f.choices = index, case, out, choices
                        f.original_size = len(case.data)
                else:
                    found[sig] = Failure(
                        sig, index, case, out, choices, first=index,
                        original_size=len(case.data),
                    )  # fmt: skip
                    (result.failures if verdict else result.warnings).append(found[sig])
                    if verdict and first_failure_at is None:
                        first_failure_at = time.monotonic()
                        if lane is not None:
                            lane.failed(first_failure_at)
            if progress is not None and (now - last_report >= 0.2 or index == 0):
                last_report = now
                rate = result.cases / max(now - t0, 1e-9)
                progress(
                    f"fuzz: {result.cases}/{config.max_examples} cases, {rate:.0f}/s, "
                    f"{len(result.failures)} failure(s), {len(result.warnings)} warning(s)"
                )
        else:
            result.stopped = f"--max-examples {config.max_examples} reached"
        result.search_seconds = time.monotonic() - t0
        if config.shrink and lane is None:
            shrink_all(result.failures + result.warnings, runner, config, pool, progress)
    finally:
        result.starts = testee.starts
        if lane is None:
            testee.close()
    result.seconds = time.monotonic() - t0
    return result


def shrink_all(
    todo: list[Failure],
    runner: _Runner,
    config: FuzzConfig,
    pool: Sequence[Mutation],
    progress: ProgressFn | None = None,
) -> None:
    """Shrink each failure in place within ``config.shrink_time`` in all, the time
    left shared evenly among the failures still to go."""
    runner.cache = {}
    budget_end = time.monotonic() + config.shrink_time
    for k, failure in enumerate(todo):
        left = budget_end - time.monotonic()
        if left <= 0:
            break
        if progress is not None:
            progress(f"fuzz: shrinking failure {k + 1} of {len(todo)}: {failure.title()}")
        _shrink(failure, runner, config, pool, left / (len(todo) - k))


# --- shrinking ----------------------------------------------------------------------------------


def _key(case: Case, choices: list[int | bytes]) -> tuple[int, int, list[int]]:
    """Smaller is simpler: image size, then choices, then their values."""
    return (len(case.data), len(choices), [c if isinstance(c, int) else len(c) for c in choices])


def _preshrink(
    failure: Failure,
    runner: _Runner,
    config: FuzzConfig,
    pool: Sequence[Mutation],
    deadline: float,
    max_runs: int = 400,
) -> None:
    """A quick first shrink with the fast chooser, before hypothesis: delete runs of
    choices, then lower each choice to its simplest value, keeping what still fails
    the same way. Hypothesis then starts near the minimum and has little left to do
    (each of its runs costs far more). Updates ``failure`` in place."""
    best = list(failure.choices)
    best_key = _key(failure.case, best)
    runs = 0

    def attempt(values: list[int | bytes]) -> bool:
        nonlocal best, best_key, runs
        if runs >= max_runs or time.monotonic() > deadline:
            return False
        ch = ReplayChooser(values)
        try:
            case = build_case(ch, config.spec, role=config.role, mutate=config.mutate, pool=pool)
        except Exception:  # an edited sequence a builder cannot use: not simpler
            return False
        key = _key(case, ch.choices)
        if key >= best_key:
            return False
        if not runner.known(case.data):
            runs += 1
        out = runner.run(case, f"shrink-{runs}")
        if _is_failure(out, case, True) is False or out.signature(case) != failure.signature:
            return False
        best, best_key = list(ch.choices), key
        failure.case, failure.outcome, failure.choices = case, out, best
        return True

    improved = True
    while improved and runs < max_runs and time.monotonic() < deadline:
        improved = False
        for k in (16, 8, 4, 2, 1):
            i = len(best) - k
            while i >= 0:
                if attempt(best[:i] + best[i + k :]):
                    improved = True
                i -= 1 if k == 1 else k
        i = 0
        while i < len(best):
            v = best[i]
            if isinstance(v, bytes):
                for w in (b"", v[: len(v) // 2], v[:-1]):
                    if w != v and attempt([*best[:i], w, *best[i + 1 :]]):
                        improved = True
                        break
            elif v > 0 and not attempt([*best[:i], 0, *best[i + 1 :]]):
                # the smallest value that still fails, by bisection
                low, high = 0, v
                while high - low > 1 and runs < max_runs:
                    mid = (low + high) // 2
                    if attempt([*best[:i], mid, *best[i + 1 :]]):
                        high = mid
                        improved = True
                    else:
                        low = mid
            elif v > 0:
                improved = True
            i += 1
    failure.shrink_runs += runs


def database_key(adapter: Adapter, config: FuzzConfig, signature: tuple[str, ...]) -> bytes:
    """Where a failure's examples live in the shared hypothesis database: one key per
    implementation, way of building cases and kind of failure, so a choice sequence
    is only replayed where it means the same case and the same failure."""
    what = [adapter.name, config.role, config.mutate, config.mutations, config.spec, signature]
    return b"xensave-fuzz:" + hashlib.sha256(repr(what).encode()).hexdigest()[:32].encode()


class _Reproduced(Exception):
    """Raised inside hypothesis's test when a candidate fails like the target."""

    def __init__(self, case: Case, outcome: Outcome) -> None:
        super().__init__(case.describe())
        self.case = case
        self.outcome = outcome


def _shrink(
    failure: Failure,
    runner: _Runner,
    config: FuzzConfig,
    pool: Sequence[Mutation],
    seconds: float,
) -> None:
    """Shrink ``failure`` in place with hypothesis, starting from its recorded choices
    and keeping only candidates that fail the same way. After ``seconds`` no new image
    is run (known ones still answer from the cache), so the shrink winds down with the
    smallest failing image so far."""
    try:
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings
        from hypothesis import strategies as st
        from hypothesis.database import ExampleDatabase, choices_to_bytes
    except ImportError:  # no hypothesis, or one without choice sequences: keep it unshrunk
        return

    from .choices import HypothesisChooser

    class SeedDatabase(ExampleDatabase):
        """Hands hypothesis the failing choice sequence as a known interesting example
        (replayed, then shrunk), after what the shared database holds under this
        failure's key (minimal examples of earlier shrinks, by any worker or run: when
        one still fails, shrinking starts from it). Keeps what hypothesis saves there,
        or nothing without a shared database."""

        def __init__(self, seed: bytes, shared: ExampleDatabase | None) -> None:
            super().__init__()
            self.seed = seed
            self.shared = shared

        def fetch(self, key: bytes) -> Any:
            if self.shared is not None:
                yield from self.shared.fetch(key)
            if key == db_key:
                yield self.seed

        def save(self, key: bytes, value: bytes) -> None:
            if self.shared is not None:
                self.shared.save(key, value)

        def delete(self, key: bytes, value: bytes) -> None:
            if self.shared is not None:
                self.shared.delete(key, value)

    shared = None
    if config.database is not None:
        from hypothesis.database import DirectoryBasedExampleDatabase

        shared = DirectoryBasedExampleDatabase(str(config.database))
    db_key = database_key(runner.testee.adapter, config, failure.signature)

    deadline = time.monotonic() + seconds
    before = failure.case.data
    _preshrink(failure, runner, config, pool, time.monotonic() + seconds / 2)
    runs = [0]
    target = failure.signature

    @st.composite
    def candidates(draw: Any) -> Case:
        return build_case(
            HypothesisChooser(draw), config.spec, role=config.role, mutate=config.mutate, pool=pool
        )

    @settings(
        database=SeedDatabase(choices_to_bytes(failure.choices), shared),
        phases=[Phase.reuse, Phase.shrink],
        max_examples=1,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
    )
    @given(candidates())
    def reproduce(case: Case) -> None:
        if not runner.known(case.data):
            if time.monotonic() > deadline:
                return  # out of time: only images already run can still fail
            runs[0] += 1
        out = runner.run(case, f"shrink-h{runs[0]}")
        if _is_failure(out, case, True) is not False and out.signature(case) == target:
            # Hypothesis orders candidates by their choices, not by image size, so a
            # "simpler" candidate can be a larger image: keep the smallest image seen.
            if len(case.data) < len(failure.case.data):
                failure.case, failure.outcome = case, out
            raise _Reproduced(case, out)

    reproduce._hypothesis_internal_database_key = db_key  # type: ignore[attr-defined]
    # _Reproduced ends the search; hypothesis giving up (a flaky testee) also leaves the
    # smallest failing image seen so far in ``failure``.
    with contextlib.suppress(Exception):
        reproduce()
    failure.shrunk = failure.case.data != before
    failure.shrink_runs += runs[0]
    failure.hypothesis_runs += runs[0]


# --- reproducers -------------------------------------------------------------------------------


def _reproduce_lines(
    adapter: Adapter, config: FuzzConfig, manifest: Path, name: str
) -> dict[str, str]:
    origin = adapter.origin or [
        "--persistent-impl" if adapter.protocol == "persistent" else "--impl",
        f"{adapter.name}={adapter.display_command()}",
    ]
    # an adapter named by a bundled name is looked up next to the manifest: name its
    # file instead, since the reproducers' manifest has no adapters beside it
    named = ["--adapter", str(adapter.source)] if adapter.source is not None else origin
    rerun = ["xensave", "conformance", "run", *named, "--manifest", str(manifest)]
    rerun += ["-k", name, "--no-html"]
    search = ["xensave", "fuzz", *origin, "--seed", str(config.seed)]
    search += ["--max-examples", str(config.max_examples)]
    if config.role != "validator":
        search += ["--role", config.role]
    return {"case": shlex.join(rerun), "search": shlex.join(search)}


def _entry(
    failure: Failure, name: str, adapter: Adapter, config: FuzzConfig, manifest: Path
) -> dict[str, Any]:
    case = failure.case
    mc = manifest_case(case, name)
    o = failure.outcome
    return {
        "name": name,
        "file": mc.file,
        "sha256": mc.sha256,
        "size": mc.size,
        "verdict": mc.verdict,
        "level": mc.level,
        "rules": list(case.rules),
        "layer": mc.layer,
        "layers": list(mc.layers),
        "version": mc.version,
        "guest": mc.guest,
        "profile": None,
        "tags": sorted(case.tags),
        "description": case.describe(),
        "recipe": "",
        "fuzz": {
            "implementation": adapter.name,
            "protocol": adapter.protocol,
            "outcome": o.outcome,
            "answer": o.answer,
            "message": o.message,
            "stderr": o.raw.stderr[:2000].decode("utf-8", "replace"),
            "signature": list(failure.signature),
            "seed": config.seed,
            "example": failure.index,
            "first_example": failure.first,
            "role": config.role,
            "mutation": case.mutation,
            "detail": case.detail,
            "breaks": list(case.breaks),
            "permits": list(case.permits),
            "relies": list(case.relies),
            "shrunk": failure.shrunk,
            "shrink_runs": failure.shrink_runs,
            "hypothesis_runs": failure.hypothesis_runs,
            "original_size": failure.original_size,
            "failing_cases": failure.count,
            "reproduce": _reproduce_lines(adapter, config, manifest, name),
        },
    }


def write_reproducers(result: FuzzResult, out: Path) -> list[tuple[Failure, Path, dict[str, Any]]]:
    """Write each failure's image to ``out/corpus/NAME.bin`` and its entry to
    ``out/manifest.json`` (entries of earlier runs are kept). Returns (failure, path,
    entry) for each."""
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    entries: dict[str, dict[str, Any]] = {}
    if manifest_path.is_file():
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
            for e in old.get("cases", []):
                if isinstance(e, dict) and isinstance(e.get("name"), str):
                    entries[e["name"]] = e
        except (OSError, ValueError):
            pass
    written = []
    for failure in result.failures + result.warnings:
        name = case_name(failure.case)
        path = corpus / f"{name}.bin"
        path.write_bytes(failure.case.data)
        entry = _entry(failure, name, result.adapter, result.config, manifest_path)
        entries[name] = entry
        written.append((failure, path, entry))
    manifest = {
        "format": MANIFEST_FORMAT,
        "manifest_version": 1,
        "tags": {},
        "cases": sorted(entries.values(), key=lambda e: e["name"]),
    }
    tmp = manifest_path.with_name("manifest.json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, manifest_path)
    return written
