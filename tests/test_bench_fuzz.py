"""bench/bench_fuzz.py measures what docs/fuzzing.md says: a confined run's whole
process tree on the CPUs asked for, the kinds of run its --jobs names, and scaling
as N workers over the best one-worker run on one core."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "bench") not in sys.path:  # the benches are scripts, outside the package
    sys.path.insert(0, str(ROOT / "bench"))

import bench_fuzz  # noqa: E402
from bench_fuzz import Kind, Run  # noqa: E402


def test_kinds_parse() -> None:
    got = bench_fuzz.parse_kinds("1c, 1co,1,1s,2,2o,2cs")
    assert got == [
        Kind("1c", 1, None, True),
        Kind("1co", 1, True, True),
        Kind("1", 1, None, False),
        Kind("1s", 1, False, False),
        Kind("2", 2, None, False),
        Kind("2o", 2, True, False),
        Kind("2cs", 2, False, True),
    ]
    assert got[1].label == "-j 1 --overlap on 1 CPU"
    assert got[4].label == "-j 2"


@pytest.mark.parametrize("bad", ["0", "1x", "c1", "1sc", ""])
def test_kinds_refused(bad: str) -> None:
    import argparse

    with pytest.raises(argparse.ArgumentTypeError):
        bench_fuzz.parse_kinds(bad)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="Linux affinity calls")
def test_confined_reaches_grandchildren_and_is_undone() -> None:
    before = os.sched_getaffinity(0)
    cpu = min(before)
    # a child that starts a child of its own, as a worker starts its testee
    code = (
        "import os, subprocess, sys; print(sorted(os.sched_getaffinity(0)));"
        "sys.stdout.flush(); subprocess.run([sys.executable, '-c', "
        "'import os; print(sorted(os.sched_getaffinity(0)))'])"
    )
    with bench_fuzz.confined({cpu}):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    assert out.split("\n")[:2] == [f"[{cpu}]", f"[{cpu}]"]
    assert os.sched_getaffinity(0) == before


def _runs(*rates: float) -> list[Run]:
    return [Run(r, 100, 0, "", 1.0, 1.0) for r in rates]


def test_scaling_is_over_the_best_one_core_run(capsys: pytest.CaptureFixture[str]) -> None:
    kinds = bench_fuzz.parse_kinds("1c,1co,1,2")
    runs = {
        "1c": _runs(400, 410, 420),  # median 410: the best one-core kind
        "1co": _runs(300, 390, 500),  # median 390
        "1": _runs(600, 600, 600),  # unconfined: not the baseline however fast
        "2": _runs(690, 700, 710),  # 700 / 410 = 1.71 >= 1.70
    }
    assert bench_fuzz.report(kinds, runs, cores=2) == 0
    out = capsys.readouterr().out
    assert "scaling 1.71 (over -j 1 on 1 CPU" in out
    runs["2"] = _runs(690, 690, 690)  # 1.68: under 85% of linear
    assert bench_fuzz.report(kinds, runs, cores=2) == 1
    assert "MISSED" in capsys.readouterr().out


def test_one_worker_target(capsys: pytest.CaptureFixture[str]) -> None:
    kinds = bench_fuzz.parse_kinds("1c,1")
    runs = {"1c": _runs(300), "1": _runs(499)}
    assert bench_fuzz.report(kinds, runs, cores=2) == 1
    runs["1"] = _runs(500)
    assert bench_fuzz.report(kinds, runs, cores=2) == 0
    assert "1.67 times -j 1 on 1 CPU" in capsys.readouterr().out
