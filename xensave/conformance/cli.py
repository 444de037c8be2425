"""``xensave conformance``: run the corpus against implementations and report.

:func:`register` adds the sub-command to the ``xensave`` parser; :func:`main` runs it.
This module imports nothing heavy at load time, so ``xensave verify`` stays fast.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["main", "register"]

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2

RUN_EPILOG = """\
exit status: 0 every implementation matches its expected-failure list, 1 it does not
(an unexpected failure, an unexpected pass, or a stale list entry), 2 usage or I/O
error, a corpus that does not match its manifest, or an implementation named by
--impl, --persistent-impl or --adapter that cannot start here.

An implementation that cannot start (its program or script missing, a persistent
testee that exits at once when its input is empty, a runtime its answers say it
cannot have) is reported once as "unavailable" with the cause and the fix, and its
cases are skipped. Run without implementations, the bundled adapters that cannot start
are reported the same way and do not change the exit status.

implementations (any number; without any, every bundled adapter runs):
  --impl NAME='CMD {file}'      one process per case; {file} is the image, or it comes
                                on stdin when there is no {file}; exit 0 accepts,
                                1 rejects, anything else is a crash
  --persistent-impl NAME='CMD'  one long-lived process speaking the persistent protocol
                                (spec/harness-protocol.md)
  --adapter NAME|FILE           an adapter file: command, protocol, claimed support
                                and an expected-failure list (conformance/adapters/)

examples:
  xensave conformance run --html out/conformance.html       # the main job
  xensave conformance run --impl mine='./mychecker {file}' --junit out/junit.xml
  xensave conformance run --impl mine='./mychecker {file}' --expected-failures \\
      mine=mine.xfail --update-expected-failures         # pin what it fails today
  xensave conformance run --adapter kaitai-js -k 'n_libxc-*' --layer libxc
  xensave conformance run --adapter my-adapter.json --update-expected-failures
"""


CONFORMANCE_EPILOG = """\
exit status: that of the action (xensave conformance ACTION --help); 2 usage error
"""
LIST_EPILOG = """\
exit status: 0 listed, 2 usage or I/O error (no manifest, an adapter file that
cannot be read)
"""
COVERAGE_EPILOG = """\
exit status: 0 every MUST rule cell has a failing case or an explanation, 1 some
have neither, 2 usage or I/O error
"""


def _size(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    t = text.strip().lower().removesuffix("ib").removesuffix("b")
    mult = units.get(t[-1:], 1)
    if t[-1:] in units:
        t = t[:-1]
    try:
        n = int(float(t) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1048576, 512K, 1M)") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"not a positive size: {text!r}")
    return n


#: The longest time option accepted (seconds: a week). Larger values, inf and nan would
#: reach time arithmetic (deadlines, select timeouts) that raises OverflowError.
MAX_SECONDS = 7 * 86400.0


def positive_number(text: str) -> float:
    """argparse type: a finite number of seconds above zero and at most a week (shared
    by conformance and fuzz)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    if v <= 0:
        raise argparse.ArgumentTypeError(f"not positive: {text!r}")
    if v > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"over a week ({MAX_SECONDS:g} s): {text!r}")
    return v


def _jobs(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError("-j needs at least 1")
    return v


def _filters(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("case filters (values of one filter are alternatives)")
    g.add_argument(
        "-k",
        "--case",
        dest="names",
        action="append",
        default=[],
        metavar="GLOB",
        help="case names matching GLOB, e.g. 'n_libxc-v3_*'",
    )
    g.add_argument("--tag", dest="tags", action="append", default=[], metavar="TAG")
    g.add_argument(
        "--layer",
        dest="layers",
        action="append",
        default=[],
        metavar="LAYER",
        help="outermost layer: xl, libvirt, xapi, libxl, libxc, legacy, xend",
    )
    g.add_argument(
        "--version",
        dest="versions",
        action="append",
        default=[],
        metavar="V",
        help="libxc stream version: 2, 3 or none",
    )
    g.add_argument(
        "--guest",
        dest="guests",
        action="append",
        default=[],
        metavar="GUEST",
        help="x86_32-pv, x86_64-pv, hvm or none",
    )
    g.add_argument(
        "--level", dest="levels", action="append", default=[], choices=("required", "recommended")
    )
    p.add_argument(
        "--manifest",
        metavar="FILE",
        help="the corpus manifest (default: conformance/manifest.json here or above)",
    )


def register(subparsers: Any) -> None:
    """Add ``conformance`` (with ``run`` and ``list``) to the ``xensave`` parser."""
    from .adapters import add_implementation_options

    fmt = argparse.RawDescriptionHelpFormatter
    conf = subparsers.add_parser(
        "conformance",
        help="run the conformance corpus against implementations",
        description="Run the conformance corpus against any implementation (a command "
        "in any language) and report where it deviates from the spec.",
        epilog=CONFORMANCE_EPILOG,
        formatter_class=fmt,
    )
    sub = conf.add_subparsers(dest="conformance_command", metavar="ACTION", parser_class=type(conf))
    sub.required = True
    run = sub.add_parser(
        "run",
        help="run the corpus (no arguments: every bundled adapter)",
        description="Run the corpus against implementations; print a summary; write "
        "JSON, JUnit XML and an HTML matrix on request.",
        epilog=RUN_EPILOG,
        formatter_class=fmt,
    )
    g = run.add_argument_group("implementations")
    add_implementation_options(g)
    g.add_argument(
        "--expected-failures",
        action="append",
        default=[],
        metavar="[NAME=]FILE",
        help="expected-failure list for an --impl (NAME= may be left out "
        "when there is one implementation)",
    )
    g.add_argument(
        "--update-expected-failures",
        action="store_true",
        help="rewrite each implementation's list to what it fails now",
    )
    _filters(run)
    e = run.add_argument_group("execution")
    e.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=os.cpu_count() or 1,
        metavar="N",
        help="run N cases at a time (default: %(default)s, the number of CPUs)",
    )
    e.add_argument(
        "--timeout",
        type=positive_number,
        metavar="SECONDS",
        help="per case (default: the adapter's, else 10)",
    )
    e.add_argument(
        "--output-cap",
        type=_size,
        default=1 << 20,
        metavar="BYTES",
        help="keep at most this much of each output stream (default 1M)",
    )
    e.add_argument(
        "--memory-limit",
        type=_size,
        metavar="BYTES",
        help="address-space limit of each testee process, e.g. 512M",
    )
    e.add_argument(
        "--strict",
        action="store_true",
        help="SHOULD-level (recommended) cases fail instead of warning",
    )
    o = run.add_argument_group("reports")
    o.add_argument("--json", action="store_true", help="print the JSON report instead")
    o.add_argument("--junit", metavar="FILE", help="write JUnit XML for CI systems")
    o.add_argument("--html", metavar="FILE", help="write the HTML matrix to FILE")
    # the HTML was once written by default; --no-html stays accepted for old scripts
    o.add_argument("--no-html", action="store_true", help=argparse.SUPPRESS)
    o.add_argument("-v", "--verbose", action="store_true", help="list every failure and rule")
    o.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")

    lst = sub.add_parser(
        "list",
        help="list the bundled adapters and the cases a filter selects",
        description="List the bundled adapters (name, protocol, claimed support) and "
        "the cases the filters select.",
        epilog=LIST_EPILOG,
        formatter_class=fmt,
    )
    _filters(lst)
    lst.add_argument("--json", action="store_true", help="print the adapters and cases as JSON")

    cov = sub.add_parser(
        "coverage",
        help="rules x cells: how many y_/n_/i_ cases test each rule in each cell",
        description="Show, for every image rule, the corpus cases in each cell (guest "
        "type x libxc v2 or v3 stream; for a legacy stream the guest's kind, x86_32 "
        "non-PAE or PAE, x86_64 or HVM, by toolstack width for the rules on the "
        "toolstack's words) as n/i/y counts (must reject / either / "
        "must accept), '-' where the rule does not apply and '!' where a MUST rule has "
        "no failing case; then the applicable cells with no case at all, and by outer "
        "layer (bare libxc, legacy, libxl, xl, libvirt, XAPI) how many MUST rules that "
        "apply there have a failing case wrapped that way. Exits 1 when a MUST rule cell, "
        "or a declared outer layer of a MUST rule, has no failing case and neither the "
        "exempt nor the pending lists (xensave/conformance/coverage.py) explain it.",
        epilog=COVERAGE_EPILOG,
        formatter_class=fmt,
    )
    cov.add_argument(
        "--manifest",
        metavar="FILE",
        help="the corpus manifest (default: conformance/manifest.json here or above)",
    )
    cov.add_argument("--json", action="store_true", help="print the matrix as JSON")
    cov.add_argument(
        "--all", action="store_true", help="every rule (default: the rules with a gap)"
    )


class _CaseProgress:
    """The run's ``progress(done, total, name)`` on :class:`xensave.progress.Progress`."""

    def __init__(self, enabled: bool) -> None:
        from ..progress import Progress

        self.bar = Progress(None, "conformance: ", enabled=None if enabled else False, unit="cases")

    def __call__(self, done: int, total: int, name: str) -> None:
        self.bar.total = total or None
        self.bar.update(done, name)

    def close(self) -> None:
        self.bar.close()


def _progress(enabled: bool) -> _CaseProgress:
    return _CaseProgress(enabled)


def _err(msg: str) -> int:
    print(f"xensave conformance: error: {msg}", file=sys.stderr)
    return EXIT_ERROR


def _manifest_path(arg: str | None) -> Path | None:
    from pathlib import Path

    from .manifest import find_manifest

    return Path(arg) if arg else find_manifest()


def main(args: argparse.Namespace) -> int:
    from .adapters import AdapterError
    from .manifest import CorpusError

    try:
        if args.conformance_command == "list":
            return _list(args)
        if args.conformance_command == "coverage":
            return _coverage(args)
        return _run(args)
    except (CorpusError, AdapterError) as exc:
        return _err(str(exc))


def _filters_of(args: argparse.Namespace) -> Any:
    from .manifest import Filters

    return Filters(
        names=args.names,
        tags=args.tags,
        layers=args.layers,
        versions=[v.lower() for v in args.versions],
        guests=args.guests,
        levels=args.levels,
    )


def _list(args: argparse.Namespace) -> int:
    from .adapters import bundled_adapters
    from .manifest import load_manifest

    mpath = _manifest_path(args.manifest)
    if mpath is None:
        return _err("no corpus manifest found (conformance/manifest.json); pass --manifest")
    manifest = load_manifest(mpath)
    adapters = bundled_adapters(manifest.root / "adapters")
    cases = _filters_of(args).apply(manifest.cases)
    if args.json:
        import json

        from .manifest import as_jsonable

        doc = {
            "corpus_version": manifest.corpus_version,
            "manifest": str(manifest.path),
            "adapters": [a.to_json() for a in adapters],
            "total_cases": len(manifest.cases),
            "cases": [as_jsonable(c) for c in cases],
        }
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return EXIT_OK
    version = manifest.corpus_version or "(no version)"
    print(f"corpus {version}: {manifest.path}")
    print("adapters:")
    for a in adapters:
        claims = "; ".join(f"{k}: {', '.join(v)}" for k, v in a.supports.items()) or "everything"
        print(f"  {a.name:<16} {a.protocol:<10} {a.role_label}, claims {claims}")
        print(f"  {'':<16} {a.display_command()}")
    print(f"cases: {len(cases)} of {len(manifest.cases)}")
    for c in cases:
        xen = f"; restorable by Xen {c.restorable}" if c.restorable is not None else ""
        print(f"  {c.name}  [{c.verdict}, {c.level}; {', '.join(c.rules) or 'no rule'}{xen}]")
    return EXIT_OK


def _coverage(args: argparse.Namespace) -> int:
    import json

    from .coverage import (
        EXEMPT,
        LAYER_PENDING,
        PENDING,
        PENDING_AREAS,
        cell_label,
        coverage,
        render_text,
        to_json,
    )
    from .manifest import load_manifest

    mpath = _manifest_path(args.manifest)
    if mpath is None:
        return _err("no corpus manifest found (conformance/manifest.json); pass --manifest")
    cov = coverage(load_manifest(mpath).cases)
    unexplained = cov.unexplained()
    layers_unexplained = cov.layers_unexplained()
    if args.json:
        print(json.dumps(to_json(cov), indent=2))
        return EXIT_FAIL if unexplained or layers_unexplained else EXIT_OK
    sys.stdout.write(render_text(cov, all_rules=args.all))
    empty = {rid: rc.uncovered() for rid, rc in cov.rules.items() if rc.uncovered()}
    if empty:
        print("applicable cells with no case at all:")
        for rid, cells in empty.items():
            print(f"  {rid}: {', '.join(cell_label(c) for c in cells)}")
    for title, table in (("exempt", EXEMPT), ("pending", PENDING)):
        groups: dict[tuple[str, str], list[str]] = {}
        for rid, (where_cells, why) in table.items():
            key = (why, ", ".join(cell_label(c) for c in where_cells))
            groups.setdefault(key, []).append(rid)
        for (why, where), rids in groups.items():
            print(f"{title}: {' '.join(rids)} in {where}: {why}")
    for (chapter, stream), why in PENDING_AREAS.items():
        print(f"pending: every {chapter} rule in {stream} cells: {why}")
    for (outer, inner), (count, why) in LAYER_PENDING.items():
        print(f"pending: {count} MUST rules of the {inner} layer wrapped in {outer}: {why}")
    if unexplained:
        print("MUST rule cells without a failing case, unexplained:")
        for rid, cells in unexplained.items():
            print(f"  {rid}: {', '.join(cell_label(c) for c in cells)}")
    if layers_unexplained:
        print("MUST rules without a failing case in a declared outer layer, unexplained:")
        for (outer, inner), rids in layers_unexplained.items():
            print(f"  {outer} ({inner} rules): {' '.join(rids)}")
    return EXIT_FAIL if unexplained or layers_unexplained else EXIT_OK


def _adapters(args: argparse.Namespace, root: Path) -> list[Any]:
    from pathlib import Path

    from .adapters import AdapterError, bundled_adapters, chosen_adapters

    adapters_dir = root / "adapters"
    chosen = chosen_adapters(args, adapters_dir)
    if not chosen:
        chosen = bundled_adapters(adapters_dir)
        if not chosen:
            raise AdapterError(f"no adapter files in {adapters_dir}; give --impl NAME=CMD")
    names = [a.name for a in chosen]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise AdapterError(f"two implementations named {', '.join(sorted(dup))}")
    for spec in args.expected_failures:
        name, sep, file = spec.partition("=")
        if not sep:
            if len(chosen) != 1:
                raise AdapterError(
                    "--expected-failures FILE needs NAME=FILE with several implementations"
                )
            name, file = chosen[0].name, spec
        target = next((a for a in chosen if a.name == name), None)
        if target is None:
            raise AdapterError(f"--expected-failures {spec}: no implementation named {name}")
        target.expected_failures = Path(file)
        target.origin = [*target.origin, "--expected-failures", f"{name}={file}"]
    if args.update_expected_failures:
        missing = [a.name for a in chosen if a.expected_failures is None]
        if missing:
            raise AdapterError(
                f"--update-expected-failures: no list to write for {', '.join(missing)} "
                "(give --expected-failures NAME=FILE)"
            )
    return chosen


def _run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from .execute import ExecOptions
    from .html import write_html
    from .manifest import load_manifest
    from .report import to_json, write_junit, write_terminal
    from .runner import RunOptions, run

    mpath = _manifest_path(args.manifest)
    if mpath is None:
        return _err(
            "no corpus manifest found (looked for conformance/manifest.json here and in "
            "the directories above); pass --manifest FILE"
        )
    manifest = load_manifest(mpath)
    adapters = _adapters(args, manifest.root)
    opts = RunOptions(
        jobs=args.jobs,
        exec=ExecOptions(
            timeout=args.timeout or 10.0,
            output_cap=args.output_cap,
            memory_limit=args.memory_limit,
        ),
        timeout_given=args.timeout is not None,
        strict=args.strict,
        update_expected=args.update_expected_failures,
    )
    progress = _progress(not args.quiet)
    try:
        result = run(manifest, adapters, _filters_of(args), opts, progress)
    finally:
        progress.close()
    info = sys.stderr if args.json else sys.stdout
    if args.json:
        json.dump(to_json(result), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        write_terminal(result, sys.stdout, verbose=args.verbose)
    if args.junit:
        write_junit(result, Path(args.junit))
        print(f"JUnit XML: {args.junit}", file=info)
    if args.html:
        write_html(result, Path(args.html))
        print(f"HTML matrix: {args.html}", file=info)
    sys.stdout.flush()
    named = bool(args.adapter or args.impl or args.persistent_impl)
    down = [i for i in result.impls if i.unavailable is not None]
    if named and down:  # asked for by name and cannot start: the run did not do its job
        return EXIT_ERROR
    return EXIT_OK if result.ok else EXIT_FAIL
