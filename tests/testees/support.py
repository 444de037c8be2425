"""Shared by the harness's tests: paths, the sample corpus fixtures, and helpers
that build test adapters around the misbehaving testees of this directory and run
them."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from xensave.conformance.adapters import Adapter
from xensave.conformance.execute import ExecOptions
from xensave.conformance.manifest import Filters, load_manifest
from xensave.conformance.runner import RunOptions, RunResult, run

ROOT = Path(__file__).resolve().parents[2]
TESTEES = Path(__file__).resolve().parent
PY = sys.executable
EXIT_TESTEE = str(TESTEES / "exit_testee.py")
PERSISTENT_TESTEE = str(TESTEES / "persistent_testee.py")
ADAPTERS = ROOT / "conformance" / "adapters"

SMALL = [
    "y_libxc-v3_hvm",
    "y_xl-v2_x86_64-pv",
    "n_libxc_bad-id",
    "n_libxc-v3_hvm_data-after-end",
    "y_libxl-v3_hvm_context-not-first",
    "i_libxc-v3_hvm_big-endian",
]


def corpus_digest(manifest_path: Path) -> dict[str, str]:
    root = manifest_path.parent
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".txt")
    }


def impl(name: str, mode: str, protocol: str = "exit-code", **kw: object) -> Adapter:
    if protocol == "persistent":
        cmd = [PY, "-S", PERSISTENT_TESTEE, *mode.split()]
    else:
        cmd = [PY, "-S", EXIT_TESTEE, mode] + ([] if mode == "stdin" else ["{file}"])
    return Adapter(name=name, command=cmd, protocol=protocol, **kw)  # type: ignore[arg-type]


def go(
    corpus: Path,
    adapters: list[Adapter],
    names: list[str] | None = None,
    timeout: float = 5.0,
    **kw: object,
) -> RunResult:
    # a generous start-up grace: a loaded machine (CI) can take seconds to start Python
    opts = RunOptions(jobs=kw.pop("jobs", 2), exec=ExecOptions(timeout=timeout, startup_grace=5.0))  # type: ignore[arg-type]
    for k, v in kw.items():
        setattr(opts, k, v)
    filters = Filters(names=names if names is not None else SMALL)
    result = run(load_manifest(corpus), adapters, filters, opts)
    assert result.corpus_error is None
    return result


def outcomes(result: RunResult, i: int = 0) -> dict[str, str]:
    return {r.case.name: r.outcome for r in result.impls[i].results}


def statuses(result: RunResult, i: int = 0) -> dict[str, str]:
    return {r.case.name: r.status for r in result.impls[i].results}
