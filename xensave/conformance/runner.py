"""A conformance run: every selected case against every implementation, judged.

The corpus is read and hash-checked first; each case is handed to each testee as a
private read-only copy (:class:`~xensave.conformance.execute.Workspace`); ``jobs``
worker threads share the work, each with its own persistent testees; afterwards the
corpus is hash-checked again. Then each answer becomes an *outcome* (what happened
against the declared verdict) and a *status* (what it means for the run, given the
case's level, ``strict`` and the implementation's expected-failure list).
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .adapters import (
    Adapter,
    Entry,
    ExpectedFailures,
    read_expected_failures,
    write_expected_failures,
)
from .execute import (
    ExecOptions,
    PersistentSession,
    RawResult,
    StartError,
    Unavailable,
    Workspace,
    kill_all,
    probe,
    run_exit_code,
)
from .manifest import Case, CorpusError, Filters, Manifest, snapshot

__all__ = [
    "FAILURE_OUTCOMES",
    "OUTCOMES",
    "STATUSES",
    "CaseResult",
    "ImplRun",
    "RunOptions",
    "RunResult",
    "probe_answer",
    "run",
    "run_one",
]

#: What happened, per case and implementation.
OUTCOMES = (
    "pass",
    "false-accept",  # accepted an image that must be rejected
    "false-reject",  # rejected an image that must be accepted
    "crash",  # exit code other than 0/1, or a persistent testee that exited mid-case
    "signal",  # killed by a signal
    "timeout",
    "protocol-error",  # garbage or half a frame from a persistent testee
    "error",  # the testee answered "error" (its own failure)
    "input-modified",  # deleted or rewrote its (private) input
    "unsupported",  # outside the claimed support, or the testee declined
)
FAILURE_OUTCOMES = frozenset(OUTCOMES) - {"pass", "unsupported"}
#: What it means for the run.
STATUSES = ("pass", "fail", "warning", "xfail", "xpass", "unsupported")
_BAD_STATUSES = frozenset({"fail", "xpass"})
#: A case naming more rules than this is about no rule in particular (a valid image
#: that exercises a whole layer): reports group and count it on its own.
FOCUS_MAX = 3


def focus_rules(case: Case) -> tuple[str, ...]:
    """The rules a case is about: all it names, or none when it names many."""
    return case.rules if len(case.rules) <= FOCUS_MAX else ()


@dataclass
class CaseResult:
    case: Case
    outcome: str
    status: str = "pass"
    answer: str | None = None  # "accept" / "reject" when the testee gave a verdict
    message: str = ""
    raw: RawResult | None = None
    listed: bool = False
    cites: bool | None = None  # n_ case: did a diagnostic cite one of its rules?
    want: str = ""  # the verdict it was judged by ("" = the case's own)
    level: str = ""  # the level it was judged at ("" = the case's own)

    @property
    def expected(self) -> str:
        """What the implementation had to answer: the case's verdict for a validator,
        the declared restorability for a restorer."""
        return self.want or self.case.verdict

    @property
    def failed(self) -> bool:
        return self.outcome in FAILURE_OUTCOMES


@dataclass
class ImplRun:
    adapter: Adapter
    results: list[CaseResult]
    expected: ExpectedFailures
    stale: list[tuple[str, str]] = field(default_factory=list)  # (entry, why)
    # it cannot start here (found by the probe before the run, a start failure, or
    # its answers' summary.unavailable): why, and what would make it start
    unavailable: str | None = None
    fix: str | None = None
    updated: Path | None = None
    starts: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.stale and not any(r.status in _BAD_STATUSES for r in self.results)

    @property
    def status(self) -> str:
        """``unavailable`` (it could not run here), ``ok`` or ``fail``."""
        if self.unavailable is not None:
            return "unavailable"
        return "ok" if self.ok else "fail"

    def outcome_counts(self) -> Counter[str]:
        return Counter(r.outcome for r in self.results)

    def status_counts(self) -> Counter[str]:
        return Counter(r.status for r in self.results)

    def rule_counts(self, focused: bool = False) -> dict[str, Counter[str]]:
        """rule -> status counts, over the cases that exercise it. ``focused``: only
        cases that name at most :data:`FOCUS_MAX` rules count for their rules; the
        others (valid images that touch a whole layer) count under ``""``."""
        out: dict[str, Counter[str]] = {}
        for r in self.results:
            rules = focus_rules(r.case) if focused else r.case.rules
            for rule in rules or (("",) if focused else ()):
                out.setdefault(rule, Counter())[r.status] += 1
        return out

    def cell_counts(self) -> dict[str, Counter[str]]:
        """cell ("x86_32 PV v2", "HVM legacy"; "" for no guest) -> status counts."""
        from .coverage import cell_label, cell_of

        out: dict[str, Counter[str]] = {}
        for r in self.results:
            cell = cell_of(r.case)
            out.setdefault(cell_label(cell) if cell else "", Counter())[r.status] += 1
        return out

    def rule_cell_counts(self, focused: bool = False) -> dict[str, dict[str, Counter[str]]]:
        """rule -> cell -> status counts (as :meth:`rule_counts`, split by cell)."""
        from .coverage import cell_label, cell_of

        out: dict[str, dict[str, Counter[str]]] = {}
        for r in self.results:
            cell = cell_of(r.case)
            label = cell_label(cell) if cell else ""
            rules = focus_rules(r.case) if focused else r.case.rules
            for rule in rules or (("",) if focused else ()):
                out.setdefault(rule, {}).setdefault(label, Counter())[r.status] += 1
        return out


@dataclass
class RunOptions:
    jobs: int = 1
    exec: ExecOptions = field(default_factory=ExecOptions)
    timeout_given: bool = False  # --timeout on the command line beats adapter files
    strict: bool = False
    update_expected: bool = False
    probe: bool = True  # find implementations that cannot start before the run


@dataclass
class RunResult:
    manifest: Manifest
    cases: list[Case]
    impls: list[ImplRun]
    filters: Filters
    options: RunOptions
    data: dict[str, bytes]
    corpus_error: str | None = None  # the corpus changed during the run
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.corpus_error is None and all(i.ok for i in self.impls)


# --- judging ------------------------------------------------------------------------


def classify(case: Case, raw: RawResult, want: str | None = None) -> tuple[str, str | None, str]:
    """(outcome, answer, message) for one answer, against ``want`` (default: the
    case's verdict)."""
    want = case.verdict if want is None else want
    if raw.input_modified:
        return "input-modified", None, f"the testee {raw.input_modified} its input copy"
    if raw.kind in ("accept", "reject"):
        answer = raw.kind
        if want in ("either", answer):
            return "pass", answer, raw.message
        outcome = "false-accept" if answer == "accept" else "false-reject"
        detail = f"{answer}ed; expected {want}"
        errors = [d for d in raw.diagnostics if d.get("severity", "error") == "error"]
        if answer == "reject" and errors:
            d = errors[0]
            rule = f"{d['rule']}: " if d.get("rule") else ""
            detail += f"; first error: {rule}{d.get('message', '')}"
        if raw.message and raw.message not in ("exit code 0", "exit code 1"):
            detail += f" ({raw.message})"
        return outcome, answer, detail
    if raw.kind == "unsupported":
        return "unsupported", None, raw.message or "the testee declined the case"
    if raw.kind == "error":
        return "error", None, raw.message or "the testee reported an error"
    return raw.kind, None, raw.message


def status_of(
    case: Case, outcome: str, listed: bool, strict: bool, level: str | None = None
) -> str:
    if outcome == "unsupported":
        return "unsupported"
    failed = outcome in FAILURE_OUTCOMES
    if listed:
        return "xfail" if failed else "xpass"
    if not failed:
        return "pass"
    level = case.level if level is None else level
    if level == "recommended" and not strict and outcome in ("false-accept", "false-reject"):
        return "warning"
    return "fail"


def _cites(case: Case, raw: RawResult) -> bool | None:
    if case.verdict != "reject" or not case.rules or raw.kind != "reject" or not raw.diagnostics:
        return None
    cited = {d.get("rule") for d in raw.diagnostics}
    return bool(cited & set(case.rules))


def _judge_all(impl: ImplRun, by_name: dict[str, Case], strict: bool, run_names: set[str]) -> None:
    entries = impl.expected.entries
    for r in impl.results:
        r.listed = r.case.name in entries and r.outcome != "unsupported"
        r.status = status_of(r.case, r.outcome, r.listed, strict, r.level or None)
    impl.stale = []
    for name in entries:
        case = by_name.get(name)
        if case is None:
            impl.stale.append((name, "no case of that name in the manifest"))
            continue
        ok, why = impl.adapter.supported(case)
        if not ok:
            impl.stale.append((name, f"outside the claimed support: {why}"))
        elif name in run_names:
            r = next(x for x in impl.results if x.case.name == name)
            if r.outcome == "unsupported" and impl.unavailable is None:
                impl.stale.append((name, f"the testee declined it: {r.message}"))


def _entry_note(r: CaseResult) -> str:
    msg = r.message.replace("\n", " ")
    if len(msg) > 100:
        msg = msg[:97] + "..."
    return f"{r.outcome}: {msg}" if msg else r.outcome


def _update_list(
    impl: ImplRun, by_name: dict[str, Case], run_names: set[str], opts: RunOptions
) -> None:
    adapter = impl.adapter
    path = adapter.expected_failures
    if path is None or impl.unavailable is not None:
        return  # a column that could not run here says nothing about its failures
    keep: dict[str, Entry] = {}
    for name in impl.expected.entries:  # entries for cases this run did not select
        case = by_name.get(name)
        if case is not None and name not in run_names and adapter.supported(case)[0]:
            keep[name] = Entry(name, focus_rules(case), "(not run this time; kept)")
    for r in impl.results:
        if r.failed:
            keep[r.case.name] = Entry(r.case.name, focus_rules(r.case), _entry_note(r))
    catalogue = rule_catalogue()
    info = {rid: (str(r.level), r.summary, r.kaitai) for rid, r in catalogue.items()}
    command = ["xensave", "conformance", "run", *adapter.origin, "--update-expected-failures"]
    write_expected_failures(path, adapter.name, keep.values(), info, command)
    impl.expected = read_expected_failures(path)
    impl.updated = path


# --- running ----------------------------------------------------------------------------


@dataclass
class _Task:
    impl: int
    case: Case


def _exec_options(adapter: Adapter, opts: RunOptions) -> ExecOptions:
    e = opts.exec
    if adapter.timeout is not None and not opts.timeout_given:
        return ExecOptions(adapter.timeout, e.output_cap, e.memory_limit, e.startup_grace)
    return e


def run_one(
    adapter: Adapter,
    name: str,
    data: bytes,
    workspace: Workspace,
    opts: ExecOptions,
    session: PersistentSession | None = None,
    *,
    file_name: str | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> RawResult:
    """Hand one image to one implementation exactly as a conformance run does (a
    private read-only copy, the adapter's protocol, the copy checked afterwards), so
    that other drivers such as ``xensave fuzz`` judge testees the same way. A
    persistent adapter needs its ``session``; :class:`StartError` propagates.
    ``meanwhile``: see :meth:`PersistentSession.run` (called there, or not at all)."""
    path = workspace.hand_over(file_name or f"{name}.bin", data)
    try:
        if adapter.protocol == "persistent":
            if session is None:
                raise ValueError(f"{adapter.name}: a persistent adapter needs a session")
            header = {"protocol": 1, "name": name, "file": str(path), "size": len(data)}
            raw = session.run(header, data, meanwhile)
        elif adapter.takes_file:
            raw = run_exit_code(adapter.argv(str(path)), None, opts)
        else:
            raw = run_exit_code(adapter.command, str(path), opts)
    finally:
        modified = workspace.take_back(path, data)
    if modified:
        raw.input_modified = modified
    return raw


def run(
    manifest: Manifest,
    adapters: Sequence[Adapter],
    filters: Filters,
    opts: RunOptions,
    progress: Callable[[int, int, str], None] | None = None,
) -> RunResult:
    """Run, judge and (with ``update_expected``) rewrite the expected-failure lists.
    Raises CorpusError when the corpus does not match its manifest before the run. An
    implementation that cannot start (:func:`~xensave.conformance.execute.probe`, a
    start failure, an answer saying its runtime cannot be had) has its cases skipped
    and its ``unavailable`` and ``fix`` set."""
    t0 = time.monotonic()
    before = snapshot(manifest)
    cases = filters.apply(manifest.cases)
    by_name = manifest.by_name()
    run_names = {c.name for c in cases}
    impls = [ImplRun(a, [], read_expected_failures(a.expected_failures)) for a in adapters]
    exec_opts = [_exec_options(a, opts) for a in adapters]
    down: dict[int, Unavailable] = _probe_all(adapters, exec_opts) if opts.probe else {}

    results: dict[tuple[int, str], RawResult] = {}
    tasks: queue.SimpleQueue[_Task] = queue.SimpleQueue()
    unsupported: dict[tuple[int, str], str] = {}
    total = 0
    for i, a in enumerate(adapters):
        if i in down:
            continue
        for c in cases:
            ok, why = a.supported(c)
            if ok:
                tasks.put(_Task(i, c))
                total += 1
            else:
                unsupported[(i, c.name)] = why
    workspace = Workspace()
    lock = threading.Lock()
    done = [0]
    stop = threading.Event()
    starts = [0] * len(adapters)
    elapsed = [0.0] * len(adapters)

    def worker() -> None:
        sessions: dict[int, PersistentSession] = {}
        try:
            while not stop.is_set():
                try:
                    task = tasks.get_nowait()
                except queue.Empty:
                    return
                a = adapters[task.impl]
                if task.impl in down:  # found unable to start during the run: skip
                    with lock:
                        done[0] += 1
                    continue
                data = before.data[task.case.name]
                sess = None
                if a.protocol == "persistent":
                    for other in [k for k in sessions if k != task.impl]:
                        sessions.pop(other).close()
                    sess = sessions.get(task.impl)
                    if sess is None:
                        sess = sessions[task.impl] = PersistentSession(
                            a.command, exec_opts[task.impl]
                        )
                before_starts = sess.starts if sess is not None else 0
                try:
                    raw = run_one(
                        a,
                        task.case.name,
                        data,
                        workspace,
                        exec_opts[task.impl],
                        sess,
                        file_name=os.path.basename(task.case.file),
                    )
                except StartError as exc:
                    with lock:
                        down.setdefault(
                            task.impl, Unavailable(str(exc), a.setup or "check the command")
                        )
                        done[0] += 1
                    continue
                why = raw.summary.get("unavailable") if isinstance(raw.summary, dict) else None
                if raw.kind == "unsupported" and isinstance(why, str):
                    with lock:  # the testee says its runtime cannot be had: once is enough
                        down.setdefault(task.impl, Unavailable(why, a.setup or "see its message"))
                with lock:
                    starts[task.impl] += sess.starts - before_starts if sess is not None else 1
                with lock:
                    results[(task.impl, task.case.name)] = raw
                    elapsed[task.impl] += raw.seconds
                    done[0] += 1
                    n = done[0]
                if progress:
                    progress(n, total, a.name)
        finally:
            for s in sessions.values():
                s.close()

    threads = [
        threading.Thread(target=worker, name=f"conformance-{k}", daemon=True)
        for k in range(max(1, min(opts.jobs, total or 1)))
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except BaseException:
        stop.set()
        kill_all()
        raise
    finally:
        workspace.close()

    corpus_error = None
    try:
        after = snapshot(manifest)
        if after.manifest_sha256 != before.manifest_sha256:
            corpus_error = "the manifest changed during the run"
    except CorpusError as exc:
        corpus_error = f"the corpus changed during the run: {exc}"

    for i, impl in enumerate(impls):
        impl.starts = starts[i]
        impl.seconds = elapsed[i]
        if i in down:
            impl.unavailable, impl.fix = down[i].cause, down[i].fix
        for c in cases:
            key = (i, c.name)
            if key in unsupported:
                impl.results.append(CaseResult(c, "unsupported", message=unsupported[key]))
                continue
            raw = results.get(key)
            if raw is None:  # skipped: the implementation cannot start here
                why = f"not run: unavailable: {impl.unavailable}"
                impl.results.append(CaseResult(c, "unsupported", message=why))
                continue
            expects = impl.adapter.expects(c)
            if expects is None:
                why = "the manifest declares no restorability for it"
                impl.results.append(CaseResult(c, "unsupported", message=why, raw=raw))
                continue
            want, level = expects
            outcome, answer, message = classify(c, raw, want)
            cites = _cites(c, raw) if impl.adapter.role == "validator" else None
            impl.results.append(
                CaseResult(
                    c,
                    outcome,
                    answer=answer,
                    message=message,
                    raw=raw,
                    cites=cites,
                    want=want,
                    level=level,
                )
            )
        if opts.update_expected:
            _update_list(impl, by_name, run_names, opts)
        _judge_all(impl, by_name, opts.strict, run_names)
    return RunResult(
        manifest=manifest,
        cases=cases,
        impls=impls,
        filters=filters,
        options=opts,
        data=before.data,
        corpus_error=corpus_error,
        seconds=time.monotonic() - t0,
    )


def probe_answer(adapter: Adapter, image: bytes, opts: ExecOptions) -> Unavailable | None:
    """For a driver that has no corpus to skip (``xensave fuzz``): hand a persistent
    testee one valid ``image`` and see whether it answers that its runtime cannot be
    had (``summary.unavailable``, spec/harness-protocol.md), as the Xen columns do
    where Debian's packages cannot be fetched."""
    if adapter.protocol != "persistent":
        return None
    workspace = Workspace()
    session = PersistentSession(adapter.command, opts)
    try:
        raw = run_one(adapter, "probe", image, workspace, opts, session)
    except StartError as exc:
        return Unavailable(str(exc), adapter.setup or "check the command")
    finally:
        session.close()
        workspace.close()
    why = raw.summary.get("unavailable") if isinstance(raw.summary, dict) else None
    if raw.kind == "unsupported" and isinstance(why, str):
        return Unavailable(why, adapter.setup or "see its message")
    return None


def _probe_all(
    adapters: Sequence[Adapter], exec_opts: Sequence[ExecOptions]
) -> dict[int, Unavailable]:
    """:func:`~xensave.conformance.execute.probe` every implementation at once (each
    may take its start-up time): index -> why it cannot start."""
    found: dict[int, Unavailable] = {}

    def one(i: int) -> None:
        u = probe(adapters[i], exec_opts[i].startup_grace)
        if u is not None:
            found[i] = u

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(adapters))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except BaseException:  # an interrupt: no probe outlives the harness
        kill_all()
        raise
    return found


def rule_catalogue() -> dict[str, Any]:
    """rule ID -> catalogue entry (level, summary, kaitai), for the reports; empty
    when the catalogue cannot be loaded (the run's verdicts do not depend on it)."""
    from ..rules import load_rules

    try:
        return dict(load_rules())
    except (OSError, ValueError):
        return {}
