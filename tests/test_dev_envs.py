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
    assert "PYTHONPATH = {tox_root}" in _lines(main["setenv"])
    assert main["commands"].startswith("python -m xensave conformance run ")


def test_reference_exit_runs_what_the_console_script_runs(tmp_path: Path) -> None:
    """The exit-code column's command is the ``xensave`` console script's entry point,
    taken from pyproject.toml, and answers as ``python -m xensave verify`` does: 0 for a
    valid image, 1 for a broken one, 2 for a missing file."""
    import json
    import subprocess
    import sys

    from xensave import samples

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, func = scripts["xensave"].split(":")
    adapter = json.loads((ROOT / "conformance" / "adapters" / "reference-exit.json").read_text())
    command = adapter["command"]
    assert command[:3] == ["{python}", "-c", f"from {module} import {func}; {func}()"]
    assert command[3:] == ["verify", "-q", "{file}"]
    good = tmp_path / "good.bin"
    good.write_bytes(samples.valid_samples()[0].data)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(good.read_bytes()[:-7])
    for image, want in ((good, 0), (bad, 1), (tmp_path / "missing.bin", 2)):
        argv = [sys.executable, *command[1:-1], str(image)]
        via_m = [sys.executable, "-m", "xensave", "verify", "-q", str(image)]
        got = subprocess.run(argv, capture_output=True, cwd=ROOT)
        ref = subprocess.run(via_m, capture_output=True, cwd=ROOT)
        assert (got.returncode, got.stdout, got.stderr) == (ref.returncode, ref.stdout, ref.stderr)
        assert got.returncode == want, (image.name, got.stderr)
