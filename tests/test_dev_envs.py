"""tox.ini against pyproject.toml: where an environment lists the package's dependencies
itself (``main`` runs the package from the checkout rather than installing the wheel,
to save ``./dev main`` building and installing it), the list is pyproject's, exactly."""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tox() -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(ROOT / "tox.ini")
    return cp


def _lines(value: str) -> list[str]:
    return [
        ln.strip() for ln in value.splitlines() if ln.strip() and not ln.strip().startswith("#")
    ]


def test_main_installs_exactly_the_package_dependencies() -> None:
    main = _tox()["testenv:main"]
    assert main.get("skip_install") == "true"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert sorted(_lines(main["deps"])) == sorted(project["dependencies"])


def test_main_runs_the_checkouts_package() -> None:
    """Without the wheel, the harness and the testees that are scripts (Xen's adapters)
    find the package through PYTHONPATH: without it they fail to import xensave."""
    main = _tox()["testenv:main"]
    assert _lines(main["setenv"]) == ["PYTHONPATH = {tox_root}"]
    assert main["commands"].startswith("python -m xensave conformance run ")
