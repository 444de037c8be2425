"""``xensave verify`` process start-up against ``python3 -c pass``, in the same run.

The exit-code protocol of the conformance harness starts one ``xensave verify -q``
process per case, so its cost per case is the interpreter's start plus what verify
imports and sets up; the check of a small image is next to nothing. This runs, for a
small valid image of each kind (libxc v3 HVM, libxc v3 PV, xl, legacy, libvirt: each
reaches other checks and decoders), alternately: ``python -c pass`` (the floor), ``xensave
verify -q`` as the installed console script runs it (``xensave.cli:run``) and as
``python -m xensave``, RUNS times each, and prints the medians of wall and CPU time
(user + system: on a loaded machine the honest measure) and the start-up overhead
over the floor. Byte-code caching is on, as for an installed package.

Goal (issue 21 item 3): the overhead at most half of what it was when the issue was
filed. ``--before DIR`` runs the package found in DIR in the same loop (both ways)
and prints the ratio per image and way, their mean and the worst, e.g.::

    git archive 2d4b748 xensave spec | tar -x -C /tmp/old
    python bench/bench_startup.py [--runs 41] [--image v3-hvm] --before /tmp/old

``--instructions`` counts instead the instructions each process executes (valgrind's
callgrind, once per command): unlike time, the count does not depend on what else
the machine runs, so it compares two packages exactly on a loaded machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
#: The directory holding this checkout's package.
HERE = Path(__file__).resolve().parent.parent
CORPUS = HERE / "conformance" / "corpus"
#: One valid corpus image of each kind the checker tells apart at start-up.
IMAGES = {
    "v3-hvm": "y_libxc-v3_hvm_typical.bin",
    "v3-pv": "y_libxc-v3_x86_64-pv_typical.bin",
    "xl": "y_xl-v3_hvm_typical.bin",
    "legacy": "y_legacy-legacy_x86_64-pv_toolstack-64.bin",
    "libvirt": "y_libvirt-v3_hvm_in-libvirt.bin",
}
GOAL = 0.5


def _once(cmd: list[str], path: str, cwd: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run. On a loaded machine the
    wall time is mostly waiting for a core; the CPU time is what the process costs.
    The process runs in ``cwd`` (no package there): ``-c`` and ``-m`` put the current
    directory first on sys.path, which would shadow PYTHONPATH's package."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env={**ENV, "PYTHONPATH": path}, stdout=subprocess.DEVNULL, cwd=cwd
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped above
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench_startup: {' '.join(cmd)} (PYTHONPATH={path}) failed")
    return time.perf_counter() - t, usage.ru_utime + usage.ru_stime


def _instructions(cmd: list[str], path: str, cwd: str) -> int:
    """Instructions the process executes (callgrind's total, its "Collected" line)."""
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        env={**ENV, "PYTHONPATH": path},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or found is None:
        raise SystemExit(f"bench_startup: valgrind {' '.join(cmd)} failed: {proc.stderr[-500:]}")
    return int(found.group(1))


def _report(label: str, med: dict[tuple[str, str], float], unit: str, fmt: str) -> None:
    floor = med["", "python -c pass"]
    print(f"{label}; python -c pass {floor:{fmt}}")
    ratios = []
    for (kind, what), v in med.items():
        if kind:
            print(f"  {kind:7} {what:37} {v:{fmt}}  overhead {v - floor:+{fmt}}")
        if what.endswith(" (before)"):
            over = med[kind, what.removesuffix(" (before)")] - floor
            old = v - floor
            ratios.append(over / old)
            print(
                f"  {kind:7} {what.removesuffix(' verify -q (before)')}: overhead "
                f"{over:{fmt}} {unit} vs {old:{fmt}} {unit} before: {over / old:.0%}"
            )
    if ratios:
        mean = statistics.fmean(ratios)
        ok = "OK" if max(ratios) <= GOAL else "MISSED"
        print(
            f"  verify start-up overhead: mean {mean:.0%}, worst {max(ratios):.0%} of before "
            f"({ok}: goal <= {GOAL:.0%} for each image and way)"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=41)
    ap.add_argument("--image", choices=sorted(IMAGES), action="append", help="(repeatable)")
    ap.add_argument("--before", default=None, help="a directory holding the old package")
    ap.add_argument(
        "--instructions", action="store_true", help="count instructions (valgrind), not time"
    )
    a = ap.parse_args(argv)
    py = sys.executable
    script = (  # the console script's entry point (main before it had run)
        "import sys, xensave.cli as c; c.run() if hasattr(c, 'run') else sys.exit(c.main())"
    )
    here = str(HERE)
    cwd = "/"
    cmds: dict[tuple[str, str], tuple[list[str], str]] = {
        ("", "python -c pass"): ([py, "-c", "pass"], here)
    }
    for kind in a.image or IMAGES:
        img = str(CORPUS / IMAGES[kind])
        cmds[kind, "xensave verify -q"] = ([py, "-c", script, "verify", "-q", img], here)
        cmds[kind, "python -m xensave verify -q"] = (
            [py, "-m", "xensave", "verify", "-q", img],
            here,
        )
        if a.before:
            old = str(Path(a.before).resolve())
            cmds[kind, "xensave verify -q (before)"] = (
                [py, "-c", script, "verify", "-q", img],
                old,
            )
            cmds[kind, "python -m xensave verify -q (before)"] = (
                [py, "-m", "xensave", "verify", "-q", img],
                old,
            )
    for cmd, path in cmds.values():  # warm the byte-code cache and the page cache
        _once(cmd, path, cwd)
    if a.instructions:
        if shutil.which("valgrind") is None:
            raise SystemExit("bench_startup: --instructions needs valgrind")
        counts = {k: float(_instructions(cmd, path, cwd)) for k, (cmd, path) in cmds.items()}
        _report("instructions executed (callgrind)", counts, "instructions", ",.0f")
        return 0
    walls: dict[tuple[str, str], list[float]] = {k: [] for k in cmds}
    cpus: dict[tuple[str, str], list[float]] = {k: [] for k in cmds}
    for _ in range(a.runs):
        for k, (cmd, path) in cmds.items():
            w, c = _once(cmd, path, cwd)
            walls[k].append(w)
            cpus[k].append(c)
    for label, times in (("wall", walls), ("CPU (user + system)", cpus)):
        med = {k: statistics.median(v) for k, v in times.items()}
        _report(f"{a.runs} runs each, median {label} time (s)", med, "s", ".4f")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
