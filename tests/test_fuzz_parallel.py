"""``xensave fuzz -j N``: how the workers' findings become one corpus of failures, and
the option itself. (That two workers find what one finds is in test_fuzz_planted.py.)"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from xensave.conformance.adapters import load_adapter
from xensave.conformance.execute import RawResult
from xensave.fuzz.cases import build_case
from xensave.fuzz.choices import RandomChooser
from xensave.fuzz.driver import Failure, FuzzConfig, FuzzResult, Outcome
from xensave.fuzz.parallel import _merge, default_jobs

ROOT = Path(__file__).resolve().parents[1]
ADAPTER = load_adapter(ROOT / "conformance" / "adapters" / "reference.json")


def _failure(sig: str, index: int, size: int, count: int = 1) -> Failure:
    case = build_case(RandomChooser(random.Random(index)))
    case.data = bytes(size)
    out = Outcome("false-accept", "accept", "", RawResult("accept"))
    return Failure((sig,), index, case, out, [], count=count, first=index)


def _result(
    failures: list[Failure], warnings: Sequence[Failure] = (), cases: int = 10
) -> FuzzResult:
    r = FuzzResult(ADAPTER, FuzzConfig(seed=1), cases=cases)
    r.failures, r.warnings = list(failures), list(warnings)
    r.outcomes["pass"] = cases
    return r


def test_merge_keeps_the_smallest_case_of_each_kind() -> None:
    a_big, a_small, a_tie = (
        _failure("a", 3, 500, 2),
        _failure("a", 8, 100, 1),
        _failure("a", 9, 100),
    )
    b = _failure("b", 5, 50)
    w = _failure("w", 1, 10)
    into = _result([], cases=0)
    _merge([_result([a_big, b]), _result([a_small, a_tie], [w])], into)
    assert into.cases == 20 and into.outcomes["pass"] == 20
    # listed by first discovery, as one process lists them
    assert [f.signature for f in into.failures] == [("a",), ("b",)]
    a = into.failures[0]
    assert (a.index, len(a.case.data)) == (8, 100)  # smallest; the earlier of two equals
    assert (a.first, a.count) == (3, 4)
    assert into.warnings == [w]


def test_jobs_option(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "xensave", "fuzz", "--out", str(tmp_path), "-q", *args]
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)

    bad = run("--adapter", "reference", "-j", "-1")
    assert bad.returncode == 2 and "-j" in bad.stderr
    ok = run("--adapter", "reference", "-j", "0", "--seed", "4", "--max-examples", "120")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "120 cases" in ok.stdout and "no failures" in ok.stdout
    assert default_jobs() >= 1


def test_interrupt_ends_every_worker(tmp_path: Path) -> None:
    """Ctrl-C during a -j 2 search ends the run at once (exit 130), workers and their
    testees with it, instead of leaving them to finish the budget."""
    import os
    import signal
    import time

    cmd = [sys.executable, "-m", "xensave", "fuzz", "--out", str(tmp_path), "-q"]
    cmd += ["--adapter", "reference", "-j", "2", "--max-examples", "100000", "--max-time", "300"]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, to find what it started
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(6)
    proc.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert time.monotonic() - t0 < 10
    time.sleep(1)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # nothing of the run's group is left


_ECHO_TESTEE = (
    "from xensave.conformance.testee import serve\n"
    "serve(lambda image, header: {'verdict': 'accept' if image else 'reject'})\n"
)


def test_the_next_case_is_built_while_the_testee_judges(tmp_path: Path) -> None:
    """The harness calls the fuzzer back once per request, after sending it and before
    the answer is in; what the call-back does is not the harness's business."""
    from xensave.conformance.execute import ExecOptions, PersistentSession

    session = PersistentSession([sys.executable, "-c", _ECHO_TESTEE], ExecOptions(2.0))
    try:
        calls: list[int] = []
        for k, image in enumerate([b"x" * 100, b"", b"y" * (300 << 10)]):  # > a pipe's buffer
            before = len(calls)
            raw = session.run({"name": f"c{k}"}, image, lambda: calls.append(len(calls)))
            assert len(calls) == before + 1
            assert raw.kind == ("accept" if image else "reject")
        # the fuzzer's own work, however long, is not the testee's time
        raw = session.run({"name": "slow"}, b"z", lambda: time.sleep(2.5))
        assert raw.kind == "accept", raw.message
    finally:
        session.close()


def test_a_case_that_cannot_be_built_ends_the_search_after_the_answer() -> None:
    """An error while building ahead waits for the current request's answer, then
    surfaces where the search takes its next case."""
    from xensave.fuzz.driver import _Ahead

    def cases() -> Iterator[tuple[int, Any, list[int | bytes]]]:
        yield 0, None, []
        raise ValueError("no such image")

    ahead = _Ahead(cases())
    first = ahead.take()
    assert first is not None and first[0] == 0
    ahead.build()  # what the harness calls while the testee judges case 0: no raise
    with pytest.raises(ValueError, match="no such image"):
        ahead.take()


def test_a_worker_overlaps_only_with_a_core_to_spare(monkeypatch: pytest.MonkeyPatch) -> None:
    """By default a worker builds ahead only when the workers leave a core free; the
    option overrides that either way."""
    from xensave.fuzz import driver

    monkeypatch.setattr(driver, "cores", lambda: 2)
    assert driver.overlaps(FuzzConfig(seed=1, jobs=1))
    assert not driver.overlaps(FuzzConfig(seed=1, jobs=2))
    assert not driver.overlaps(FuzzConfig(seed=1, jobs=1, overlap=False))
    assert driver.overlaps(FuzzConfig(seed=1, jobs=2, overlap=True))
    monkeypatch.setattr(driver, "cores", lambda: 1)
    assert not driver.overlaps(FuzzConfig(seed=1, jobs=1))


def test_overlapping_searches_the_same_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building ahead or in turn, one worker hands the testee the same images in the
    same order, and calls back while it judges only when overlapping."""
    from xensave.fuzz import driver

    seen: dict[bool, list[tuple[str, bytes, bool]]] = {True: [], False: []}

    def run(self: Any, name: str, data: bytes, meanwhile: Any = None) -> RawResult:
        seen[overlap].append((name, data, meanwhile is not None))
        if meanwhile is not None:
            meanwhile()
        return RawResult("accept")

    monkeypatch.setattr(driver.Testee, "run", run)
    for overlap in (True, False):
        config = FuzzConfig(seed=9, max_examples=40, max_time=None, shrink=False)
        config.overlap = overlap
        result = driver.fuzz(ADAPTER, config)
        assert result.cases == 40
    assert [s[:2] for s in seen[True]] == [s[:2] for s in seen[False]]
    assert all(s[2] for s in seen[True]) and not any(s[2] for s in seen[False])
