"""Coverage-guided fuzzing with atheris (libFuzzer): two targets.

    python -m xensave.fuzz.atheris_target [--target check|cases] CORPUS_DIR [libFuzzer options]

* ``check`` (the default), :func:`check_one`: libFuzzer's bytes, as they come. The
  reader raises nothing but ``ReadError``, the checker raises nothing and cites no
  internal error, and when the checker finds an image valid the parser generated
  from the ksy reads the same records in it (:mod:`xensave.fuzz.differential`).
* ``cases``, :func:`case_holds`: libFuzzer's bytes drive hypothesis's choices
  (``fuzz_one_input``) through the fuzz case strategy, so every input is an image of
  some layer, guest and version, perhaps broken by one mutation: the checker must
  find exactly the rules the mutation declares, and reach the declared verdict.

``tox -e atheris`` runs ``check`` for a bounded time from a copy of the conformance
corpus; ``.clusterfuzzlite/`` builds both for ClusterFuzzLite and OSS-Fuzz (docs:
"Fuzzing"). libFuzzer's own limits (``-timeout``, ``-rss_limit_mb``) catch hangs and
over-allocation. A failing input is written by libFuzzer as ``crash-*`` (or
``timeout-*``, ``oom-*``) in the working directory.
"""

from __future__ import annotations

import importlib
import io
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cases import Case

TARGETS = ("check", "cases")


def check_one(data: bytes) -> None:
    """What every input must satisfy (also usable without atheris)."""
    from ..checker import check_bytes
    from ..reader import Reader, ReadError
    from .differential import compare_structure

    try:
        for _ in Reader(io.BytesIO(data)):
            pass
    except ReadError:
        pass
    report = check_bytes(data)
    internal = [d.message for d in report.diagnostics if "internal error" in d.message]
    if internal:
        raise AssertionError(f"the checker failed on its own account: {internal[0]}")
    if report.valid:
        compare_structure(data)


def case_holds(case: Case) -> None:
    """The checker finds exactly the rules a case's mutation declares broken, and, a
    validator, reaches the case's declared verdict (the checker tests the mutation
    here; nothing computes a verdict)."""
    from ..checker import check_bytes

    report = check_bytes(case.data)
    found = {d.rule for d in report.diagnostics if d.severity in ("error", "warning")}
    if found != set(case.breaks):
        shown = [d.format("image") for d in report.diagnostics if d.severity != "note"]
        raise AssertionError(
            f"{case.describe()}: declares {sorted(case.breaks)}, the checker finds "
            f"{sorted(found)}: {shown}"
        )
    want = case.verdict.verdict
    if (want == "accept" and not report.valid) or (want == "reject" and report.valid):
        raise AssertionError(f"{case.describe()}: declared {want}, the checker disagrees")


def cases_one_input() -> Callable[[bytes], Any]:
    """:func:`case_holds` over the fuzz case strategy, fed by raw bytes."""
    from hypothesis import HealthCheck, given, settings

    from .strategies import cases

    @settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(cases())
    def holds(case: Case) -> None:
        case_holds(case)

    run: Callable[[bytes], Any] = holds.hypothesis.fuzz_one_input  # type: ignore[attr-defined]
    return run


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv if argv is None else argv)
    target = "check"
    for k in range(len(args) - 1, 0, -1):  # ours, anywhere; the rest is libFuzzer's
        if args[k] == "--target" or args[k].startswith("--target="):
            value = args.pop(k).partition("=")[2] or (args.pop(k) if k < len(args) else "")
            if value not in TARGETS:
                print(f"--target: one of {', '.join(TARGETS)}, not {value!r}", file=sys.stderr)
                return 2
            target = value
    try:
        lib: Any = importlib.import_module("atheris")
    except ImportError:
        print("xensave.fuzz.atheris_target needs atheris: pip install atheris", file=sys.stderr)
        return 2
    with lib.instrument_imports(include=["xensave"]):
        from .. import checker, kaitai_tree, reader  # noqa: F401
        from . import cases, differential, mutations, strategies  # noqa: F401

    lib.Setup(args, check_one if target == "check" else cases_one_input())
    lib.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
