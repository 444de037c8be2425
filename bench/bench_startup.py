"""``xensave verify`` process start-up against ``python3 -c pass``, in the same run.

The exit-code protocol of the conformance harness starts one ``xensave verify -q``
process per case, so its cost per case is the interpreter's start plus what verify
imports and sets up; the check of a small image is next to nothing. This runs, on a
small valid image, alternately: ``python -c pass`` (the floor), ``xensave verify -q``
as the installed console script runs it (``xensave.cli:run``) and as
``python -m xensave``, RUNS times each, and prints the medians and the start-up
overhead over the floor. Byte-code caching is on, as for an installed package.
Goal (issue 21): the overhead at most half of what it was: ``--before DIR`` runs
the package found in DIR (e.g. ``git archive BASE xensave | tar -x -C DIR``) in the
same loop and compares.

    python bench/bench_startup.py [--runs 41] [--before DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
#: The directory holding this checkout's package.
HERE = str(Path(__file__).resolve().parent.parent)


def _once(cmd: list[str], path: str | None, cwd: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run. On a loaded machine the
    wall time is mostly waiting for a core; the CPU time is what the process costs.
    The process runs in ``cwd`` (no package there): ``-c`` and ``-m`` put the current
    directory first on sys.path, which would shadow PYTHONPATH's package."""
    env = {**ENV, "PYTHONPATH": HERE if path is None else path}
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, cwd=cwd)
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped above
    return time.perf_counter() - t, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=41)
    ap.add_argument("--before", default=None, help="a directory holding the old package")
    a = ap.parse_args(argv)
    from xensave.samples import valid_samples

    with tempfile.TemporaryDirectory(prefix="xensave-bench-startup-") as d:
        img = Path(d) / "small.bin"
        img.write_bytes(valid_samples()[0].data)
        py = sys.executable
        script = (  # the console script's entry point (main before it had run)
            "import sys, xensave.cli as c; c.run() if hasattr(c, 'run') else sys.exit(c.main())"
        )
        verify = [py, "-c", script, "verify", "-q", str(img)]
        cmds: dict[str, tuple[list[str], str | None]] = {
            "python -c pass": ([py, "-c", "pass"], None),
            "xensave verify -q": (verify, None),
            "python -m xensave verify -q": ([py, "-m", "xensave", "verify", "-q", str(img)], None),
        }
        if a.before:
            cmds["xensave verify -q (before)"] = (verify, a.before)
        for cmd, path in cmds.values():  # warm the byte-code cache and the page cache
            _once(cmd, path, d)
        walls: dict[str, list[float]] = {k: [] for k in cmds}
        cpus: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(a.runs):
            for k, (cmd, path) in cmds.items():
                w, c = _once(cmd, path, d)
                walls[k].append(w)
                cpus[k].append(c)
    for label, times in (("wall", walls), ("CPU (user + system)", cpus)):
        med = {k: statistics.median(v) for k, v in times.items()}
        floor = med["python -c pass"]
        print(f"{a.runs} runs each, median {label} time (s)")
        for k, v in med.items():
            print(f"  {k:30} {v:.4f}  overhead {v - floor:+.4f}")
        over = med["xensave verify -q"] - floor
        if a.before:
            old = med["xensave verify -q (before)"] - floor
            ok = over <= old / 2
            print(
                f"  verify start-up overhead ({label}) {over:.4f} s vs {old:.4f} s before: "
                f"{over / old:.0%} ({'OK' if ok else 'MISSED'}: goal <= 50%)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
