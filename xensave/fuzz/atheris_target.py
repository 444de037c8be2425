"""Coverage-guided fuzzing of the reader and the checker with atheris (libFuzzer).

    python -m xensave.fuzz.atheris_target CORPUS_DIR [libFuzzer options]

``tox -e atheris`` runs it for a bounded time from a copy of the conformance corpus;
``.clusterfuzzlite/`` builds it for ClusterFuzzLite and OSS-Fuzz (docs: "Fuzzing").
Every input must leave the reader raising nothing but ``ReadError`` and the checker
raising nothing and citing no internal error; and when the checker finds an image
valid, the parser generated from the ksy must read the same records in it
(:mod:`xensave.fuzz.differential`). libFuzzer's own limits (``-timeout``,
``-rss_limit_mb``) catch hangs and over-allocation. A failing input is written by
libFuzzer as ``crash-*`` (or ``timeout-*``, ``oom-*``) in the working directory.
"""

from __future__ import annotations

import importlib
import io
import sys
from typing import Any


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


def main(argv: list[str] | None = None) -> int:
    try:
        lib: Any = importlib.import_module("atheris")
    except ImportError:
        print("xensave.fuzz.atheris_target needs atheris: pip install atheris", file=sys.stderr)
        return 2
    with lib.instrument_imports(include=["xensave"]):
        from .. import checker, kaitai_tree, reader  # noqa: F401
        from . import differential  # noqa: F401

    lib.Setup(sys.argv if argv is None else argv, check_one)
    lib.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
