"""``xensave fuzz``: fuzz an implementation and write minimal reproducers.

:func:`register` adds the sub-command to the ``xensave`` parser; :func:`main` runs it.
Nothing heavy is imported until the command runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from ..conformance.cli import positive_number

__all__ = ["main", "register"]

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
DEFAULT_OUT = Path("out") / "fuzz"

EPILOG = """\
exit status: 0 no failure found, 1 failures found (each written with a manifest
entry), 2 usage error or an implementation that cannot start here (its program or
script missing, or a persistent testee that exits at once on empty input: reported
in one line with the cause and the fix, before any case runs).

the implementation (exactly one):
  --impl NAME='CMD {file}'      one process per case; {file} is the image, or it comes
                                on stdin when there is no {file}; exit 0 accepts,
                                1 rejects, anything else is a crash
  --persistent-impl NAME='CMD'  one long-lived process speaking the persistent protocol
                                (spec/harness-protocol.md); much faster
  --adapter NAME|FILE           an adapter file of the conformance harness; its claimed
                                support limits what is generated

Each case is a valid image (every layer, guest, libxc version and wrapping), most of
the time broken by one mutation that declares the rules it breaks, so its expected
verdict is known. Disagreements with it, crashes, signals, timeouts and protocol
errors are failures; each kind is shrunk to a minimal image, written to --out with a
manifest entry (rules, verdict, seed, how to reproduce) that `xensave conformance run
--manifest OUT/manifest.json` reads.

examples:
  xensave fuzz --persistent-impl mine='./mychecker --serve'
  xensave fuzz --impl mine='./mychecker {file}' --max-time 300 --seed 7
  xensave fuzz --adapter kaitai-python --layer libxc --version 3
  xensave fuzz --impl mine='./restore --dry-run {file}' --role restorer
  xensave fuzz --list-mutations
"""


def _count(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"not at least 1: {text!r}")
    return v


def _seed(text: str) -> int:
    try:
        v = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= v < 2**64:
        raise argparse.ArgumentTypeError(f"not in 0..2**64-1: {text!r}")
    return v


def _percent(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= v <= 100:
        raise argparse.ArgumentTypeError(f"not a percentage: {text!r}")
    return v


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) > 256:
        raise argparse.ArgumentTypeError(f"not a whole number from 0 to 256: {text!r}")
    v = int(text)
    if v == 0:
        from .parallel import default_jobs

        return default_jobs()
    return v


def _size(text: str) -> int:
    from ..conformance.cli import _size as size

    return size(text)


def register(subparsers: Any) -> None:
    """Add ``fuzz`` to the ``xensave`` parser."""
    from ..conformance.adapters import add_implementation_options
    from .defaults import (
        DEFAULT_EXPLORE_TIME,
        DEFAULT_MAX_EXAMPLES,
        DEFAULT_MAX_TIME,
        DEFAULT_SHRINK_TIME,
        DEFAULT_TIMEOUT,
    )

    p = subparsers.add_parser(
        "fuzz",
        help="fuzz an implementation; shrink and keep what fails",
        description="Generate images (valid, and broken by mutations that declare the "
        "rules they break), run an implementation on them through the conformance "
        "harness, and shrink every disagreement, crash, signal or timeout to a minimal "
        "reproducer.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = p.add_argument_group("implementation")
    add_implementation_options(g)
    g.add_argument(
        "--role",
        choices=("validator", "restorer"),
        default="validator",
        help="validator (default): must reject an image whose only fault is a non-zero "
        "reserved field or padding; restorer: must ignore those (either answer passes)",
    )
    b = p.add_argument_group("budget")
    b.add_argument("--seed", type=_seed, help="the run's seed (default: random, printed)")
    b.add_argument(
        "--max-examples",
        type=_count,
        default=DEFAULT_MAX_EXAMPLES,
        metavar="N",
        help="cases to search at most (default %(default)s)",
    )
    b.add_argument(
        "--max-time",
        type=positive_number,
        default=DEFAULT_MAX_TIME,
        metavar="SECONDS",
        help="search for at most this long (default %(default)g)",
    )
    b.add_argument(
        "--shrink-time",
        type=positive_number,
        default=DEFAULT_SHRINK_TIME,
        metavar="SECONDS",
        help="time to shrink all failures, shared among them (default %(default)g)",
    )
    b.add_argument(
        "--explore-time",
        type=positive_number,
        default=DEFAULT_EXPLORE_TIME,
        metavar="SECONDS",
        help="after the first failure, search on this long for failures of other "
        "kinds (default %(default)g)",
    )
    b.add_argument("--no-shrink", action="store_true", help="keep failures as found")
    c = p.add_argument_group("cases")
    c.add_argument(
        "--layer",
        dest="layers",
        action="append",
        default=[],
        metavar="LAYER",
        help="outermost layer: libxc, libxl, xl, libvirt, xapi (default: all claimed)",
    )
    c.add_argument("--guest", dest="guests", action="append", default=[], metavar="GUEST")
    c.add_argument("--version", dest="versions", action="append", default=[], type=int, metavar="V")
    c.add_argument(
        "--mutation",
        dest="mutations",
        action="append",
        default=[],
        metavar="NAME",
        help="only these mutations (see --list-mutations)",
    )
    c.add_argument(
        "--mutate",
        type=_percent,
        default=75,
        metavar="PERCENT",
        help="how often a case is mutated (default %(default)s)",
    )
    c.add_argument("--list-mutations", action="store_true", help="list the mutations and exit")
    e = p.add_argument_group("execution")
    e.add_argument(
        "--timeout",
        type=positive_number,
        metavar="SECONDS",
        help=f"per case (default: the adapter's, else {DEFAULT_TIMEOUT:g})",
    )
    e.add_argument(
        "--memory-limit", type=_size, metavar="BYTES", help="address-space limit, e.g. 512M"
    )
    e.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="worker processes, each with its own testee, sharing the run's cases, its "
        "failures and the hypothesis database in OUT/hypothesis (default 1; 0: one per "
        "core); the same seed and budget search the same cases whatever N",
    )
    e.add_argument(
        "--overlap",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="build each worker's next case while its testee judges the current one "
        "(default: when the workers leave a core free; over the persistent protocol only)",
    )
    e.add_argument(
        "--strict",
        action="store_true",
        help="disagreements on recommended (SHOULD-level) cases are failures, not warnings",
    )
    o = p.add_argument_group("output")
    o.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"where reproducers and their manifest go (default {DEFAULT_OUT})",
    )
    o.add_argument(
        "--add-to-corpus",
        action="store_true",
        help="also file the reproducers into conformance/regressions/ and regenerate the "
        "corpus (in a source checkout)",
    )
    o.add_argument("--json", action="store_true", help="print the result as JSON")
    o.add_argument("-q", "--quiet", action="store_true", help="no progress")


def _err(msg: str) -> int:
    print(f"xensave fuzz: error: {msg}", file=sys.stderr)
    return EXIT_ERROR


def _list_mutations(out: TextIO) -> int:
    from ..rules import load_rules
    from .mutations.registry import MUTATIONS

    rules = load_rules()
    for m in MUTATIONS:
        what = ", ".join(f"{r} ({rules[r].level})" for r in m.breaks) or "nothing"
        extra = f"; sometimes also {', '.join(m.sometimes)}" if m.sometimes else ""
        out.write(f"{m.name}\n    {m.doc}\n    breaks {what}{extra}\n")
    return EXIT_OK


class _Progress:
    """Lines of text, so not :class:`xensave.progress.Progress`: redrawn on a terminal,
    one every 5 s into a log; ``XENSAVE_PROGRESS`` decides as it does there."""

    def __init__(self, enabled: bool) -> None:
        forced = os.environ.get("XENSAVE_PROGRESS", "")
        self.enabled = enabled and forced != "never"
        self.tty = forced == "always" or sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, line: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            sys.stderr.write(f"\r\x1b[K{line}")
        elif now - self.last >= 5 or line.startswith("fuzz: shrinking"):
            sys.stderr.write(line + "\n")
        else:
            return
        self.last = now
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _adapter(args: argparse.Namespace) -> Any:
    from ..conformance.adapters import AdapterError, chosen_adapters
    from ..conformance.manifest import find_manifest

    manifest = find_manifest() if args.adapter else None
    directory = manifest.parent / "adapters" if manifest else Path("conformance/adapters")
    chosen = chosen_adapters(args, directory)
    if len(chosen) != 1:
        raise AdapterError(
            "give exactly one implementation: --impl NAME=CMD, --persistent-impl NAME=CMD "
            "or --adapter NAME"
        )
    return chosen[0]


def main(args: argparse.Namespace) -> int:
    if args.list_mutations:
        return _list_mutations(sys.stdout)
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        return _err("xensave fuzz needs hypothesis, a dependency of xensave: pip install xensave")
    from ..conformance.adapters import AdapterError
    from ..conformance.execute import ExecOptions, StartError, probe
    from .defaults import DEFAULT_STARTUP_GRACE, DEFAULT_TIMEOUT
    from .driver import FuzzConfig, spec_for
    from .parallel import run

    try:
        adapter = _adapter(args)
        spec = spec_for(adapter, args.layers, args.guests, args.versions)
        from .cases import select_mutations

        select_mutations(args.mutations or None)
    except (AdapterError, ValueError, KeyError) as exc:
        return _err(str(exc).strip("'\""))
    timeout = args.timeout or adapter.timeout or DEFAULT_TIMEOUT
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    config = FuzzConfig(
        seed=seed,
        max_examples=args.max_examples,
        max_time=args.max_time,
        shrink_time=args.shrink_time,
        explore_time=args.explore_time,
        shrink=not args.no_shrink,
        role=args.role,
        strict=args.strict,
        mutate=args.mutate,
        mutations=args.mutations or None,
        spec=spec,
        jobs=args.jobs,
        overlap=args.overlap,
        database=args.out / "hypothesis",
        exec=ExecOptions(
            timeout=timeout,
            memory_limit=args.memory_limit,
            startup_grace=DEFAULT_STARTUP_GRACE,
        ),
    )
    down = probe(adapter, DEFAULT_STARTUP_GRACE)
    if down is None and adapter.protocol == "persistent":
        from ..conformance.runner import probe_answer
        from .build import build_image
        from .choices import ReplayChooser

        down = probe_answer(adapter, build_image(ReplayChooser([])).data, config.exec)
    if down is not None:  # one line, before any case: never a crash per case
        return _err(down.line(adapter.name))
    progress = _Progress(not args.quiet and not args.json)
    progress(f"fuzz: {adapter.name} ({adapter.protocol}), seed {seed}")
    try:
        result = run(adapter, config, progress)
    except StartError as exc:
        return _err(str(exc))
    finally:
        progress.close()
    from .driver import write_reproducers

    written = write_reproducers(result, args.out) if result.failures or result.warnings else []
    filed: list[str] = []
    corpus_note = ""
    if args.add_to_corpus and written:
        from .regressions import RegressionError, add_to_corpus

        try:
            filed, corpus_note = add_to_corpus(written)
        except RegressionError as exc:
            print(f"xensave fuzz: cannot add to the corpus: {exc}", file=sys.stderr)
    if args.json:
        json.dump(_json(result, written, filed), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        _report(result, written, args.out, filed, corpus_note, sys.stdout)
    sys.stdout.flush()
    return EXIT_OK if result.ok else EXIT_FAIL


def _json(result: Any, written: list[Any], filed: list[str]) -> dict[str, Any]:
    cfg = result.config
    return {
        "implementation": result.adapter.to_json(),
        "seed": cfg.seed,
        "role": cfg.role,
        "cases": result.cases,
        "seconds": round(result.seconds, 3),
        "cases_per_second": round(result.rate, 1),
        "stopped": result.stopped,
        "outcomes": dict(result.outcomes),
        "ok": result.ok,
        "failures": [
            {**entry, "path": str(path), "warning": failure in result.warnings}
            for failure, path, entry in written
        ],
        "added_to_corpus": filed,
    }


def _report(
    result: Any, written: list[Any], out: Path, filed: list[str], corpus_note: str, w: TextIO
) -> None:
    from ..rules import load_rules

    rules = load_rules()
    cfg = result.config
    a = result.adapter
    w.write(f"xensave fuzz: {a.name} ({a.protocol}), seed {cfg.seed}, role {cfg.role}\n")
    w.write(
        f"searched {result.cases} cases in {result.search_seconds:.1f} s "
        f"({result.rate:.0f} cases/s); {result.stopped}\n"
    )
    counts = ", ".join(f"{k} {v}" for k, v in result.outcomes.most_common())
    w.write(f"outcomes: {counts or 'none'}\n")
    if not written:
        w.write("no failures\n")
        return
    nf, nw = len(result.failures), len(result.warnings)
    w.write(f"{nf} failure(s), {nw} warning(s) (recommended-level disagreements)\n")
    for k, (failure, path, entry) in enumerate(written, 1):
        kind = "warning" if failure in result.warnings else "failure"
        w.write(f"\n{k}. {kind}: {failure.title()}\n")
        case = failure.case
        w.write(f"   {case.describe()}\n")
        for rid in case.breaks:
            r = rules.get(rid)
            w.write(f"   breaks {rid} ({r.level if r else '?'}): {r.summary if r else ''}\n")
        for rid in (*case.permits, *case.relies):
            r = rules.get(rid)
            w.write(f"   rests on {rid} ({r.level if r else '?'}): {r.summary if r else ''}\n")
        shrunk = (
            f"shrunk from {failure.original_size} in {failure.shrink_runs} runs"
            if failure.shrunk
            else "not shrunk"
        )
        w.write(
            f"   {failure.count} case(s) failed this way, first case #{failure.first}; "
            f"minimal image {len(case.data)} octets ({shrunk})\n"
        )
        if failure.outcome.raw.stderr:
            line = failure.outcome.raw.stderr.decode("utf-8", "replace").strip().splitlines()
            if line:
                w.write(f"   stderr: {line[-1][:160]}\n")
        w.write(f"   image: {path}\n")
        w.write(f"   reproduce: {entry['fuzz']['reproduce']['case']}\n")
    w.write(f"\nmanifest: {out / 'manifest.json'}\n")
    w.write(f"rerun this search: {written[0][2]['fuzz']['reproduce']['search']}\n")
    if filed:
        w.write(f"added to the corpus: {', '.join(filed)}\n")
    if corpus_note:
        w.write(corpus_note.rstrip("\n") + "\n")
