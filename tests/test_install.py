"""A third party's path, end to end: the wheel built from this tree, installed into a
fresh virtual environment, used from a directory outside any checkout.

Run by ``tox -e install`` (which sets XENSAVE_INSTALL_TEST=1); tests/conftest.py leaves
this file out of any other run, since building and installing takes most of a minute.
The wheel is built with the running Python's pip (``pip wheel --no-deps``: hatchling
comes from the package index, as it would for anyone building it); the fresh venv gets
its dependencies from the index too (kaitaistruct and hypothesis), or from
XENSAVE_INSTALL_FIND_LINKS (a directory of wheels, then offline) when it is set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A tiny exit-code testee (README: "exit 0 for an image it accepts, 1 for one it
# rejects"): accepts an image that starts with one of the three layers' magic numbers.
TOY = """\
import sys
MAGICS = (b"Xen saved domain, xl format\\n \\x00 \\r", b"LibxlFmt", b"\\xff" * 8)
with open(sys.argv[1], "rb") as f:
    head = f.read(32)
sys.exit(0 if head.startswith(MAGICS) else 1)
"""


def _run(argv: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _ok(proc: subprocess.CompletedProcess[str], what: str, status: int = 0) -> str:
    assert proc.returncode == status, (
        f"{what}: exit status {proc.returncode}, expected {status}\n"
        f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the fresh venv's xensave, a working directory outside any checkout)."""
    tmp = tmp_path_factory.mktemp("install")
    wheels = tmp / "wheels"
    _ok(
        _run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
            cwd=tmp,
        ),
        "pip wheel",
    )
    (wheel,) = wheels.glob("xensave-*.whl")
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)  # pip --python installs into it, faster than ensurepip
    python = env_dir / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)]
    links = os.environ.get("XENSAVE_INSTALL_FIND_LINKS")
    if links:
        install[5:5] = ["--no-index", "--find-links", links]
    _ok(_run(install, cwd=tmp), "pip install of the wheel into a fresh venv")
    work = tmp / "elsewhere"
    work.mkdir()
    (work / "toy.py").write_text(TOY)
    return env_dir / "bin" / "xensave", work


def test_the_package_and_its_corpus_come_from_the_venv(installed: tuple[Path, Path]) -> None:
    xensave, work = installed
    assert not any((d / "conformance").exists() for d in (work, *work.parents))
    code = "import xensave.conformance.manifest as m; print(m.find_manifest())"
    out = _ok(_run([str(xensave.parent / "python"), "-c", code], work), "find_manifest")
    found = Path(out.strip())
    assert found.is_relative_to(xensave.parents[1]), found  # inside the venv
    assert found.parts[-4:] == ("xensave", "data", "conformance", "manifest.json")
    wheel = json.loads(found.read_text())
    assert wheel == json.loads((ROOT / "conformance" / "manifest.json").read_text())


def test_conformance_list_finds_the_packaged_corpus(installed: tuple[Path, Path]) -> None:
    xensave, work = installed
    out = _ok(_run([str(xensave), "conformance", "list"], work), "conformance list")
    manifest = json.loads((ROOT / "conformance" / "manifest.json").read_text())
    assert f"cases: {len(manifest['cases'])} of {len(manifest['cases'])}" in out
    first = out.splitlines()[0]
    assert first.startswith(f"corpus {manifest['corpus_version']}: "), first
    assert first.endswith("/xensave/data/conformance/manifest.json"), first
    for name in ("reference", "reference-exit", "kaitai-python", "kaitai-js"):
        assert f"  {name} " in out
    assert str(ROOT) not in out  # the packaged copy, not this checkout's


def test_conformance_run_with_an_exit_code_testee(installed: tuple[Path, Path]) -> None:
    xensave, work = installed
    python = xensave.parent / "python"
    impl = f"mine={python} toy.py {{file}}"
    # valid bare libxc streams all start with the libxc marker: the toy accepts them all
    out = _ok(
        _run([str(xensave), "conformance", "run", "--impl", impl, "-k", "y_libxc-*"], work),
        "conformance run (the toy on y_libxc-*)",
    )
    manifest = json.loads((ROOT / "conformance" / "manifest.json").read_text())
    n = sum(c["name"].startswith("y_libxc-") for c in manifest["cases"])
    assert f"outcomes: pass {n}\n" in out
    assert "site-packages" in out  # the corpus came from the installed wheel
    # on n_ cases with a known magic the toy is wrong: the run says so and exits 1
    proc = _run([str(xensave), "conformance", "run", "--impl", impl, "-k", "n_libxc-*"], work)
    out = _ok(proc, "conformance run (the toy on n_libxc-*)", status=1)
    assert "false-accept" in out


def test_fuzz_with_an_exit_code_testee(installed: tuple[Path, Path]) -> None:
    xensave, work = installed
    python = xensave.parent / "python"
    argv = [str(xensave), "fuzz", "--impl", f"mine={python} toy.py {{file}}", "--seed", "1"]
    argv += ["--layer", "libxc", "--mutate", "0", "--max-examples", "10", "--max-time", "10"]
    out = _ok(_run([*argv, "-q"], work), "fuzz --impl (valid libxc streams only)")
    assert "no failures" in out
    # mutated images with a known magic: the toy accepts what it must reject
    argv[argv.index("--mutate") + 1] = "100"
    proc = _run([*argv, "-q", "--no-shrink", "--out", str(work / "fuzz")], work)
    out = _ok(proc, "fuzz --impl (mutated)", status=1)
    assert "false-accept" in out
    assert (work / "fuzz" / "manifest.json").is_file()


def test_fuzz_the_bundled_reference_adapter(installed: tuple[Path, Path]) -> None:
    xensave, work = installed
    argv = [str(xensave), "fuzz", "--adapter", "reference", "--seed", "1"]
    out = _ok(
        _run([*argv, "--max-examples", "20", "--max-time", "10", "-q"], work),
        "fuzz --adapter reference",
    )
    assert "xensave fuzz: reference (persistent)" in out
    assert "no failures" in out
