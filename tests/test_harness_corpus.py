"""The bundled implementations against the real corpus (``conformance/``), when it
is there: each must match its expected-failure list, as the main job demands, and
an ``n_`` case in the Kaitai lists must break a rule the catalogue marks as beyond
the ksy (``kaitai = false``). The exit-code adapter runs on a sample only, for time."""

from __future__ import annotations

from pathlib import Path

import pytest

from xensave.conformance.adapters import bundled_adapters, read_expected_failures
from xensave.conformance.execute import ExecOptions
from xensave.conformance.manifest import Filters, load_manifest
from xensave.conformance.runner import RunOptions, run
from xensave.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "conformance" / "manifest.json"
ADAPTERS = ROOT / "conformance" / "adapters"

pytestmark = pytest.mark.skipif(not MANIFEST.is_file(), reason="no conformance/manifest.json yet")


def test_bundled_adapters_match_their_expected_failure_lists() -> None:
    manifest = load_manifest(MANIFEST)
    adapters = [a for a in bundled_adapters(ADAPTERS) if a.protocol == "persistent"]
    result = run(manifest, adapters, Filters(), RunOptions(jobs=2, exec=ExecOptions(timeout=30)))
    assert result.corpus_error is None
    for impl in result.impls:
        bad = [
            (r.case.name, r.status, r.message)
            for r in impl.results
            if r.status in ("fail", "xpass")
        ]
        fix = (
            f"{impl.adapter.name} does not match its expected-failure list (after a corpus or "
            "ksy change, review and run: xensave conformance run -a kaitai-python -a kaitai-js "
            "-a reference --update-expected-failures; commit conformance/expected-failures/)"
        )
        assert not bad and not impl.stale, (fix, bad[:5], impl.stale[:5])


def test_reference_exit_code_adapter_on_a_sample() -> None:
    manifest = load_manifest(MANIFEST)
    (adapter,) = [a for a in bundled_adapters(ADAPTERS) if a.name == "reference-exit"]
    sample = sorted(c.name for c in manifest.cases)[::30]
    result = run(
        manifest, [adapter], Filters(names=sample), RunOptions(jobs=2, exec=ExecOptions(timeout=30))
    )
    impl = result.impls[0]
    assert len(impl.results) == len(sample)
    assert not [r for r in impl.results if r.status in ("fail", "xpass")]


def test_kaitai_lists_hold_only_rules_beyond_the_ksy() -> None:
    manifest = load_manifest(MANIFEST).by_name()
    rules = load_rules()
    for name in ("kaitai-python", "kaitai-js"):
        xf = read_expected_failures(ROOT / "conformance" / "expected-failures" / f"{name}.txt")
        for entry in xf.entries:
            case = manifest[entry]
            if case.verdict != "reject":
                continue  # a valid image the parser refuses: a gap in the ksy, listed as such
            assert any(not rules[r].kaitai for r in case.rules if r in rules), (name, entry)
