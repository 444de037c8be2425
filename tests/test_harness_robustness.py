"""The harness against misbehaving testees (``tests/testees/``): hangs, signals,
floods, odd exit codes, garbage and half frames, input tampering. Each is reported
as its own outcome against the case in flight, the run goes on, and afterwards the
corpus is byte-identical. Timeouts are short to keep the suite quick, but never so
short that a well-behaved testee on a slow or loaded machine (CI) would miss them: the
misbehaving testees hang for far longer than any bound checked here."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from testees.support import (
    EXIT_TESTEE,
    PERSISTENT_TESTEE,
    PY,
    go,
    impl,
    outcomes,
)

from xensave.conformance.adapters import Adapter
from xensave.conformance.runner import CaseResult, RunResult

FIVE = [
    "y_libxc-v3_hvm",
    "n_libxc_bad-id",
    "y_xl-v2_x86_64-pv",
    "n_libxc-v3_hvm_data-after-end",
    "i_libxc-v3_hvm_big-endian",
]
VICTIM = "n_libxc_bad-id"

#: the fixtures ``corpus`` and ``intact``
pytest_plugins = ("testees.fixtures",)


def result_of(result: RunResult, name: str, i: int = 0) -> CaseResult:
    return next(r for r in result.impls[i].results if r.case.name == name)


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].startswith("Z")
    except FileNotFoundError:
        return True


# --- exit-code protocol -------------------------------------------------------------------


def test_hang_kills_the_whole_process_group(
    intact: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pids = tmp_path / "pids"
    monkeypatch.setenv("TESTEE_PIDS", str(pids))
    t0 = time.monotonic()
    # the testee must start Python, fork its grandchild and write both pids first
    result = go(intact, [impl("h", "hang")], names=["y_libxc-v3_hvm", VICTIM], timeout=3)
    assert time.monotonic() - t0 < 40  # not the 60 s the testee sleeps
    for name in ("y_libxc-v3_hvm", VICTIM):
        r = result_of(result, name)
        assert r.outcome == "timeout" and r.status == "fail"
        assert "process group killed" in r.message
    lines = pids.read_text().split()
    assert len(lines) == 4  # testee and its sleeping grandchild, twice
    deadline = time.monotonic() + 20
    while not all(gone(int(p)) for p in lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(gone(int(p)) for p in lines), "a process of the group survived"


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL, signal.SIGABRT])
def test_death_by_signal(intact: Path, sig: int) -> None:
    result = go(intact, [impl("s", f"signal:{int(sig)}")], names=[VICTIM])
    r = result_of(result, VICTIM)
    assert r.outcome == "signal" and r.status == "fail"
    assert r.raw is not None and r.raw.signal == sig
    assert signal.Signals(sig).name in r.message


@pytest.mark.parametrize("code", [2, 3, 42, 127, 139, 255])
def test_exit_codes_other_than_0_and_1_are_crashes(intact: Path, code: int) -> None:
    result = go(intact, [impl("c", f"code:{code}")], names=["y_libxc-v3_hvm", VICTIM])
    for name in ("y_libxc-v3_hvm", VICTIM):
        r = result_of(result, name)
        assert r.outcome == "crash" and r.status == "fail", r
        assert r.raw is not None and r.raw.exit_code == code
    if code == 139:
        assert "SIGSEGV" in result_of(result, VICTIM).message


def test_flood_of_100_mb_is_capped(intact: Path) -> None:
    result = go(intact, [impl("f", "flood:100")], names=["y_libxc-v3_hvm", VICTIM], timeout=20)
    for name in ("y_libxc-v3_hvm", VICTIM):
        r = result_of(result, name)
        assert r.outcome == "pass"  # the flood is no verdict; the exit status is
        assert r.raw is not None
        assert r.raw.stdout_total == 100 << 20
        assert len(r.raw.stdout) == 1 << 20  # the default cap


def test_tampering_with_the_input(intact: Path) -> None:
    result = go(intact, [impl("t", "tamper")], names=FIVE)
    for name in FIVE:
        r = result_of(result, name)
        assert r.outcome == "input-modified" and r.status == "fail"
        assert "rewrote its input copy" in r.message or "deleted" in r.message
    # intact (the fixture) checks the corpus afterwards


def test_stdin_handover_is_a_private_copy(intact: Path) -> None:
    """It reopens its stdin for writing through /proc and writes to it: the write
    fails (a read-only file) or lands in the private copy, which the harness notices
    (root ignores file modes)."""
    script = "cat > /dev/null; printf x > /proc/self/fd/0 2>/dev/null && exit 0; exit 1"
    a = Adapter("w", ["sh", "-c", script])
    result = go(intact, [a], names=["y_libxc-v3_hvm"])
    r = result_of(result, "y_libxc-v3_hvm")
    assert r.outcome == ("input-modified" if os.geteuid() == 0 else "false-reject")


def test_memory_limit_is_set_in_the_child(intact: Path) -> None:
    script = (
        "import resource, sys; "
        "sys.stderr.write(str(resource.getrlimit(resource.RLIMIT_AS)[0])); sys.exit(0)"
    )
    a = Adapter("m", [PY, "-S", "-c", script, "{file}"])
    result = go(intact, [a], names=["y_libxc-v3_hvm"], jobs=1)
    from xensave.conformance.execute import ExecOptions
    from xensave.conformance.manifest import Filters, load_manifest
    from xensave.conformance.runner import RunOptions, run

    opts = RunOptions(jobs=1, exec=ExecOptions(memory_limit=300 << 20))
    result = run(load_manifest(intact), [a], Filters(names=["y_libxc-v3_hvm"]), opts)
    r = result_of(result, "y_libxc-v3_hvm")
    assert r.raw is not None and r.raw.stderr == str(300 << 20).encode()
    # the harness's own limit is untouched
    import resource

    assert resource.getrlimit(resource.RLIMIT_AS)[0] != 300 << 20


# --- persistent protocol -------------------------------------------------------------------


def persistent(deeds: str = "") -> Adapter:
    return impl("p", deeds, "persistent")


MISDEEDS = {
    "garbage": ("protocol-error", "over the 16 MiB limit"),
    "half": ("protocol-error", "half a response"),
    "half-hang": ("timeout", "bytes of a response had arrived"),
    "exit": ("crash", "exit code 3 before answering"),
    "segv": ("signal", "SIGSEGV"),
    "hang": ("timeout", "no answer within"),
    "badjson": ("protocol-error", "not UTF-8 JSON"),
    "badverdict": ("protocol-error", "verdict 'maybe'"),
    "wrongid": ("protocol-error", "answer to request"),
    "extra": ("protocol-error", "more bytes after the response"),
    "flood": ("protocol-error", "over the 16 MiB limit"),
    "tamper": ("input-modified", "its input copy"),
    "error": ("error", "error on purpose"),
    "wrong": ("false-accept", "accepted; expected reject"),
}


@pytest.mark.parametrize("deed", sorted(MISDEEDS))
def test_persistent_misdeed_is_blamed_on_the_case_in_flight(
    intact: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    deed: str,
) -> None:
    log = tmp_path / "starts"
    monkeypatch.setenv("TESTEE_LOG", str(log))
    result = go(
        intact, [persistent(f"{deed}:{VICTIM}")], names=FIVE, jobs=1, timeout=2, probe=False
    )
    want_outcome, want_text = MISDEEDS[deed]
    r = result_of(result, VICTIM)
    assert r.outcome == want_outcome, r.message
    assert want_text in r.message
    assert r.status == "fail"
    others = {n: o for n, o in outcomes(result).items() if n != VICTIM}
    assert set(others.values()) == {"pass"}, others
    starts = len(log.read_text().splitlines())
    # a breach of the protocol costs a restart; a well-framed answer does not
    restarted = want_outcome in ("protocol-error", "crash", "signal", "timeout")
    assert starts == (2 if restarted else 1)
    assert result.impls[0].starts == starts


def test_persistent_stderr_flood_is_capped(intact: Path) -> None:
    result = go(intact, [persistent(f"stderr:{VICTIM}")], names=FIVE, jobs=1, timeout=20)
    r = result_of(result, VICTIM)
    assert r.outcome == "pass"
    assert r.raw is not None and len(r.raw.stderr) == 1 << 20
    assert r.raw.stderr_total >= 1 << 20
    assert set(outcomes(result).values()) == {"pass"}
    # the reports stay small
    import json

    from xensave.conformance.html import render_html
    from xensave.conformance.report import to_json

    assert len(render_html(result)) < 300_000
    assert len(json.dumps(to_json(result))) < 100_000


def test_persistent_many_misdeeds_in_parallel(intact: Path) -> None:
    deeds = "segv:n_libxc_bad-id garbage:y_xl-v2_x86_64-pv hang:i_libxc-v3_hvm_big-endian"
    result = go(intact, [persistent(deeds)], names=[], jobs=2, timeout=2)
    out = outcomes(result)
    assert out["n_libxc_bad-id"] == "signal"
    assert out["y_xl-v2_x86_64-pv"] == "protocol-error"
    assert out["i_libxc-v3_hvm_big-endian"] == "timeout"
    assert sum(o == "pass" for o in out.values()) == len(out) - 3


def test_persistent_testee_that_dies_at_once(intact: Path) -> None:
    """Found by the probe before the run: unavailable, nothing started for a case. Past
    the probe (it exits only once a case is in flight), each case is its crash."""
    a = Adapter("d", [PY, "-S", "-c", "import sys; sys.exit(5)"], protocol="persistent")
    result = go(intact, [a], names=FIVE, jobs=1)
    assert result.impls[0].status == "unavailable"
    assert "exits with status 5 before the first case" in (result.impls[0].unavailable or "")
    assert result.impls[0].starts == 0
    result = go(intact, [a], names=FIVE, jobs=1, probe=False)
    for name in FIVE:
        r = result_of(result, name)
        assert r.outcome == "crash" and "exit code 5" in r.message
    assert result.impls[0].starts == len(FIVE)


def test_persistent_testee_that_talks_on_stdout_at_start(intact: Path) -> None:
    script = (
        f"import sys; print('hello'); sys.stdout.flush(); exec(open({PERSISTENT_TESTEE!r}).read())"
    )
    a = Adapter("chatty", [PY, "-S", "-c", script], protocol="persistent")
    result = go(intact, [a], names=FIVE[:2], jobs=1)
    assert {r.outcome for r in result.impls[0].results} == {"protocol-error"}


def test_exit_testee_module_is_the_one_used() -> None:
    assert Path(EXIT_TESTEE).is_file() and os.access(EXIT_TESTEE, os.R_OK)


def test_persistent_testee_that_never_reads(intact: Path) -> None:
    """The request does not fit in the pipe: the harness must not block writing it."""
    a = Adapter("deaf", ["sleep", "30"], protocol="persistent")
    t0 = time.monotonic()
    result = go(intact, [a], names=["y_libxc-v3_hvm"], jobs=1, timeout=0.5, probe=False)
    assert time.monotonic() - t0 < 20  # not the 30 s it sleeps
    assert result.impls[0].results[0].outcome == "timeout"
