"""The generated rules table is exactly what spec/rules.toml makes, and is used."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from xensave import rules

ROOT = Path(__file__).resolve().parents[1]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("catalogue_gen", ROOT / "generators/catalogue.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_table_is_current() -> None:
    text = (ROOT / "spec" / "rules.toml").read_bytes()
    assert (ROOT / "xensave" / "_catalogue.py").read_text() == _generator().render(text)


def test_table_and_toml_give_the_same_rules() -> None:
    raw = rules.catalogue_bytes()
    table = rules._from_table(raw)
    assert table is not None
    assert table == rules.parse_catalogue(raw.decode())


def test_a_stale_table_is_never_used() -> None:
    raw = rules.catalogue_bytes()
    assert rules._from_table(raw + b"\n# edited\n") is None


def test_one_rule_is_the_catalogues_rule_without_loading_the_catalogue() -> None:
    """``rules.rule`` (what the checker calls per diagnostic) makes only the rule asked
    for until the whole catalogue is loaded, and it is the catalogue's rule."""
    code = (
        "import sys; from xensave import rules; "
        "one = rules.rule(sys.argv[1]); loaded = rules.catalogue_loaded(); "
        "print(loaded, one == rules.load_rules()[sys.argv[1]], rules.rule(sys.argv[1]) is one)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, "XC-HVMP-008"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "True", "True"]
    every = rules.load_rules()
    assert all(rules.rule(rid) == r for rid, r in every.items())
    with pytest.raises(KeyError, match="XX-NONE-001"):
        rules.rule("XX-NONE-001")
