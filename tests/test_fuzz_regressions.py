"""``xensave fuzz --add-to-corpus``: reproducers filed into a copy of the checkout
become corpus cases that the corpus's gates hold.

The generator rebuilds the corpus byte for byte with them, names and verdicts follow
from what the fuzz cases declared (under the corpus's policy: reserved-field faults
alone make an ``i_`` case), and the reference checker agrees with every verdict.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

from xensave.checker import check_bytes
from xensave.conformance.adapters import adapter_from_command
from xensave.conformance.execute import RawResult
from xensave.fuzz.build import Spec
from xensave.fuzz.cases import build_case, select_mutations
from xensave.fuzz.choices import RandomChooser
from xensave.fuzz.driver import Failure, FuzzConfig, FuzzResult, Outcome, write_reproducers
from xensave.fuzz.regressions import add_to_corpus, find_root

ROOT = Path(__file__).resolve().parents[1]


def _failure(mutation: str | None, seed: int, outcome: str) -> Failure:
    pool = select_mutations([mutation] if mutation else None)
    ch = RandomChooser(random.Random(seed))
    case = build_case(ch, Spec(layers=("libxc", "xl")), mutate=100 if mutation else 0, pool=pool)
    raw = RawResult("accept" if outcome == "false-accept" else "signal", "", signal=11)
    out = Outcome(outcome, "accept" if outcome == "false-accept" else None, "", raw)
    sig = out.signature(case)
    return Failure(sig, seed, case, out, ch.choices, first=seed, original_size=len(case.data))


def test_add_to_corpus(tmp_path: Path) -> None:
    root = tmp_path / "checkout"
    shutil.copytree(ROOT / "generators", root / "generators")
    shutil.copytree(ROOT / "conformance", root / "conformance")
    assert find_root(root / "conformance") == root
    adapter = adapter_from_command("planted=./planted {file}", "exit-code")
    result = FuzzResult(adapter, FuzzConfig(seed=1))
    result.failures = [
        _failure(None, 1, "signal"),  # a crash on a valid image: a y_ case
        _failure("xc-page-pfn-reserved-bits", 2, "false-accept"),  # reserved bits: i_
        _failure("xc-tsc-mode", 3, "false-accept"),  # a MUST rule: n_
    ]
    written = write_reproducers(result, tmp_path / "out")
    filed, note = add_to_corpus(written, root=root)
    assert len(filed) == 3, note
    assert "i_ case" in note  # the reserved-bits one is i_ in the corpus
    again, _ = add_to_corpus(written, root=root)
    assert again == []
    index = json.loads((root / "conformance" / "regressions" / "regressions.json").read_text())
    assert {r["slug"] for r in index["regressions"]} == set(filed)
    manifest = json.loads((root / "conformance" / "manifest.json").read_text())
    new = {c["name"][:2]: c for c in manifest["cases"] if "regressions.py" in c["recipe"]}
    assert set(new) == {"y_", "i_", "n_"}
    assert new["n_"]["rules"] == ["XC-TSC-003"] and new["i_"]["rules"] == ["XC-PAGE-004"]
    assert len(new["y_"]["rules"]) > 10  # a valid cell: the rules it exercises
    for c in new.values():
        report = check_bytes((root / "conformance" / c["file"]).read_bytes())
        assert report.valid == (c["verdict"] == "accept"), c["name"]
        if c["verdict"] != "accept":
            assert set(c["rules"]) <= {d.rule for d in report.diagnostics}, c["name"]
    check = subprocess.run(
        [sys.executable, "-m", "generators.corpus", "--check"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
