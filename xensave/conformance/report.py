"""Reports of a conformance run: terminal summary, JSON, JUnit XML.

JUnit XML is written with the standard library's ``xml.etree.ElementTree`` in the
shape CI systems read (Jenkins, GitLab, GitHub actions' test reporters): one
``<testsuite>`` per implementation, one ``<testcase>`` per case, ``<failure>`` for a
wrong verdict or an unexpected pass, ``<error>`` for a crash, signal, timeout or
protocol error, ``<skipped>`` for unsupported cases and expected failures.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .adapters import Adapter
from .manifest import as_jsonable
from .runner import OUTCOMES, STATUSES, CaseResult, ImplRun, RunResult, rule_catalogue

__all__ = ["reproduce", "to_json", "write_junit", "write_terminal"]

REPORT_FORMAT = "xensave-conformance-report"
_SHOWN_FAILURES = 10
_ERROR_OUTCOMES = frozenset({"crash", "signal", "timeout", "protocol-error", "error"})


def _rel(p: Path) -> str:
    try:
        r = os.path.relpath(p)
    except ValueError:
        return str(p)
    # relative only below the working directory; anything else reads better absolute
    return r if not r.startswith("..") else str(p)


def reproduce(run: RunResult, impl: ImplRun, r: CaseResult) -> str:
    """One shell line that shows what the implementation does with the case."""
    a = impl.adapter
    path = _rel(run.manifest.case_path(r.case))
    if a.protocol == "exit-code":
        if a.takes_file and r.outcome == "input-modified":
            # it changes the file it is given: never hand it the committed corpus file
            mark = "\x00case\x00"
            words = [
                '"$t/case"' if w == mark else shlex.quote(w.replace(mark, "$t/case"))
                for w in a.argv(mark)
            ]
            return (
                f't=$(mktemp -d) && cp {shlex.quote(path)} "$t/case" && chmod 444 "$t/case" '
                f'&& {" ".join(words)}; echo "exit $?"; rm -rf "$t"'
            )
        if a.takes_file:
            cmd = shlex.join(a.argv(path))
        else:
            cmd = f"{shlex.join(a.command)} < {shlex.quote(path)}"
        return f'{cmd}; echo "exit $?"'
    origin = a.origin or ["--persistent-impl", f"{a.name}={a.display_command()}"]
    parts = ["xensave", "conformance", "run", *origin, "-k", r.case.name]
    default_manifest = Path("conformance/manifest.json").resolve()
    if run.manifest.path.resolve() != default_manifest:
        parts += ["--manifest", _rel(run.manifest.path)]
    return shlex.join(parts)


def _counts(counter: dict[str, int], order: tuple[str, ...]) -> str:
    return ", ".join(f"{k} {counter[k]}" for k in order if counter.get(k))


def _one_line(s: str, n: int = 160) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 3] + "..."


def _rules_short(rules: tuple[str, ...], n: int = 4) -> str:
    more = f", ... (+{len(rules) - n})" if len(rules) > n else ""
    return ", ".join(rules[:n]) + more


def _stderr_line(r: CaseResult) -> str:
    if r.raw is None or not r.raw.stderr:
        return ""
    text = r.raw.stderr.decode("utf-8", "replace").strip().splitlines()
    return _one_line(text[-1]) if text else ""


_NOT_PASSING = ("fail", "warning", "xfail", "xpass")


def _cell_order(label: str) -> tuple[int, str]:
    from .coverage import CELLS, cell_label

    order = [cell_label(c) for c in CELLS]
    return (order.index(label) if label in order else len(order), label)


def _where(cells: dict[str, Counter[str]]) -> str:
    """ " in x86_32 PV v2 only" / " in HVM v2, HVM v3 (passes in 4 other cells)": where a
    rule's cases do not pass, so a cell-specific bug shows as one."""
    bad = sorted((k for k, c in cells.items() if any(c[s] for s in _NOT_PASSING)), key=_cell_order)
    good = [k for k, c in cells.items() if k not in bad and c["pass"]]
    if not bad or bad == [""]:
        return ""
    names = ", ".join(b or "no guest" for b in bad)
    if not good:
        return f" (in {names})"
    only = " only" if len(bad) == 1 else ""
    return f" in {names}{only} (passes in {len(good)} other cell{'s' if len(good) > 1 else ''})"


def write_terminal(run: RunResult, out: TextIO, verbose: bool = False) -> None:
    w: Callable[[str], Any] = out.write
    rules = rule_catalogue()
    m = run.manifest
    w(
        f"xensave conformance: {len(run.cases)} of {len(m.cases)} cases from {_rel(m.path)}"
        f"{' (filtered)' if run.filters else ''}, {len(run.impls)} implementation"
        f"{'' if len(run.impls) == 1 else 's'}, {run.seconds:.1f} s\n"
    )
    for impl in run.impls:
        a = impl.adapter
        w(f"\n== {a.name} ({a.protocol}, {a.role_label})  {a.display_command()}\n")
        if a.source:
            w(f"   adapter {_rel(a.source)}\n")
        n_run = sum(1 for r in impl.results if r.outcome != "unsupported" or r.raw is not None)
        procs = "process" if impl.starts == 1 else "processes"
        w(f"   {n_run} cases run in {impl.seconds:.2f} s of testee time, {impl.starts} {procs}\n")
        w(f"   outcomes: {_counts(impl.outcome_counts(), OUTCOMES) or 'none'}\n")
        w(f"   statuses: {_counts(impl.status_counts(), STATUSES) or 'none'}\n")
        per_rule = impl.rule_counts(focused=True)
        per_cell = impl.rule_cell_counts(focused=True)
        bad_rules = {
            rid: c
            for rid, c in per_rule.items()
            if any(c[k] for k in ("fail", "warning", "xfail", "xpass"))
        }
        if bad_rules:
            items = []
            for rid in sorted(bad_rules):
                c = bad_rules[rid]
                lvl = rules[rid].level if rid in rules else "?"
                label = f"{rid} ({lvl})" if rid else "cases naming no rule or many"
                items.append(
                    f"{label}: "
                    + ", ".join(
                        f"{c[k]} {k}"
                        for k in STATUSES
                        if c.get(k) and k not in ("pass", "unsupported")
                    )
                    + _where(per_cell.get(rid, {}))
                )
            w("   rules with cases not passing:\n")
            for item in items if verbose or len(items) <= 12 else items[:12]:
                w(f"     {item}\n")
            if not verbose and len(items) > 12:
                w(f"     ... and {len(items) - 12} more rules (--verbose, or the HTML matrix)\n")
        if verbose:
            cells = impl.cell_counts()
            w("   by cell (guest, stream):\n")
            for cell in sorted(cells, key=_cell_order):
                c = cells[cell]
                w(f"     {cell or 'no guest':<17} {_counts(c, STATUSES)}\n")
        xf = impl.expected
        if impl.updated:
            w(f"   expected failures rewritten: {_rel(impl.updated)} ({len(xf.entries)} entries)\n")
        elif xf.path and xf.exists:
            w(f"   expected failures: {_rel(xf.path)} ({len(xf.entries)} entries)\n")
        elif xf.path:
            w(f"   expected failures: {_rel(xf.path)} (no such file yet: none expected)\n")
        bad = [r for r in impl.results if r.status in ("fail", "xpass")]
        warns = [r for r in impl.results if r.status == "warning"]
        shown = bad if verbose else bad[:_SHOWN_FAILURES]
        if shown:
            w("   first failures:\n" if len(shown) < len(bad) else "   failures:\n")
        for r in shown:
            if r.status == "xpass":
                what = f"unexpected pass: listed in {_rel(xf.path) if xf.path else 'the list'}"
            else:
                what = f"{r.outcome}: {_one_line(r.message, 120)}"
            rule_s = f" [{_rules_short(r.case.rules)}]" if r.case.rules else ""
            w(f"     {r.case.name}{rule_s}\n       {what}\n")
            err = _stderr_line(r)
            if err and r.status == "fail":
                w(f"       stderr: {err}\n")
            w(f"       $ {reproduce(run, impl, r)}\n")
        if len(bad) > len(shown):
            w(f"     ... and {len(bad) - len(shown)} more (--verbose, --json, or the HTML)\n")
        for name, why in impl.stale:
            w(f"   stale expected-failure entry {name}: {why}\n")
        if impl.unavailable:
            w(f"   unavailable: {impl.unavailable}; fix: {impl.fix or 'see the cause'}\n")
        if warns:
            names = ", ".join(r.case.name for r in warns[:5])
            more = f" and {len(warns) - 5} more" if len(warns) > 5 else ""
            w(f"   warnings (SHOULD-level, --strict makes them failures): {names}{more}\n")
        verdict = {"ok": "OK", "fail": "FAIL", "unavailable": "UNAVAILABLE"}[impl.status]
        nbad = sum(1 for r in impl.results if r.status == "fail")
        nx = sum(1 for r in impl.results if r.status == "xpass")
        detail = []
        if nbad:
            detail.append(f"{nbad} unexpected failure{'s' if nbad != 1 else ''}")
        if nx:
            detail.append(f"{nx} unexpected pass{'es' if nx != 1 else ''}")
        if impl.stale:
            detail.append(f"{len(impl.stale)} stale entr{'ies' if len(impl.stale) != 1 else 'y'}")
        w(f"   {verdict}" + (f": {', '.join(detail)}" if detail else "") + "\n")
        if nbad or nx or impl.stale:
            w(f"   (to pin these as known, rerun with {pin_hint(a)})\n")
    if run.corpus_error:
        w(f"\nCORPUS ALTERED: {run.corpus_error}\n")
    else:
        w(f"\ncorpus: {len(m.cases)} files checked against the manifest before and after\n")
    summary = ", ".join(f"{i.adapter.name} {i.status.upper()}" for i in run.impls)
    ran = [i for i in run.impls if i.unavailable is None]
    word = "FAIL" if not run.ok else "OK" if ran or not run.impls else "UNAVAILABLE"
    w(f"result: {word} ({summary})\n")


def pin_hint(a: Adapter) -> str:
    """The options that pin an implementation's failures as expected ones."""
    if a.expected_failures is not None:
        return f"--update-expected-failures (it rewrites {_rel(a.expected_failures)})"
    return f"--expected-failures {a.name}=FILE --update-expected-failures"


# --- JSON ---------------------------------------------------------------------------


def _text(b: bytes, limit: int = 4096) -> str:
    s = b[:limit].decode("utf-8", "replace")
    return s + ("..." if len(b) > limit else "")


def _result_json(run: RunResult, impl: ImplRun, r: CaseResult) -> dict[str, Any]:
    d: dict[str, Any] = {
        "case": r.case.name,
        "expected": r.expected,
        "outcome": r.outcome,
        "status": r.status,
        "answer": r.answer,
        "message": r.message,
        "listed": r.listed,
    }
    raw = r.raw
    if raw is not None:
        d.update(
            seconds=round(raw.seconds, 6),
            exit_code=raw.exit_code,
            signal=raw.signal,
            stdout=_text(raw.stdout),
            stdout_bytes=raw.stdout_total,
            stderr=_text(raw.stderr),
            stderr_bytes=raw.stderr_total,
            diagnostics=raw.diagnostics,
        )
        if raw.summary is not None:
            s = json.dumps(raw.summary)
            d["summary"] = raw.summary if len(s) <= 4096 else {"truncated": len(s)}
    if r.cites is not None:
        d["cites_declared_rule"] = r.cites
    if r.status in ("fail", "xpass", "warning", "xfail"):
        d["reproduce"] = reproduce(run, impl, r)
    return d


def to_json(run: RunResult) -> dict[str, Any]:
    return {
        "format": REPORT_FORMAT,
        "version": 1,
        "ok": run.ok,
        "manifest": str(run.manifest.path),
        "manifest_sha256": run.manifest.raw_sha256,
        "corpus_error": run.corpus_error,
        "filters": run.filters.describe(),
        "strict": run.options.strict,
        "seconds": round(run.seconds, 3),
        "cases": [as_jsonable(c) for c in run.cases],
        "implementations": [
            {
                **impl.adapter.to_json(),
                "ok": impl.ok,
                "processes": impl.starts,
                "outcomes": dict(impl.outcome_counts()),
                "statuses": dict(impl.status_counts()),
                "rules": {k: dict(v) for k, v in sorted(impl.rule_counts().items())},
                "cells": {k: dict(v) for k, v in sorted(impl.cell_counts().items())},
                "rule_cells": {
                    rule: {k: dict(v) for k, v in sorted(cells.items())}
                    for rule, cells in sorted(impl.rule_cell_counts().items())
                },
                "stale_expected_failures": [{"entry": n, "why": w} for n, w in impl.stale],
                "status": impl.status,
                "unavailable": impl.unavailable,
                "fix": impl.fix,
                "expected_failures_rewritten": bool(impl.updated),
                "results": [_result_json(run, impl, r) for r in impl.results],
            }
            for impl in run.impls
        ],
    }


# --- JUnit XML ----------------------------------------------------------------------

_XML_BAD = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(s: str) -> str:
    """Text XML 1.0 can hold (control characters become U+FFFD)."""
    return _XML_BAD.sub("\ufffd", s)


def write_junit(run: RunResult, path: Path) -> None:
    root = ET.Element("testsuites", name="xensave conformance")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for impl in run.impls:
        suite = ET.SubElement(root, "testsuite", name=_x(impl.adapter.name))
        props = ET.SubElement(suite, "properties")
        for k, v in (
            ("protocol", impl.adapter.protocol),
            ("role", impl.adapter.role_label),
            ("command", impl.adapter.display_command()),
            ("manifest", str(run.manifest.path)),
            ("expected_failures", str(impl.expected.path or "")),
        ):
            ET.SubElement(props, "property", name=k, value=_x(v))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for r in impl.results:
            counts["tests"] += 1
            tc = ET.SubElement(
                suite,
                "testcase",
                classname=_x(f"{impl.adapter.name}.{r.case.layer or 'unknown'}"),
                name=_x(r.case.name),
                time=f"{r.raw.seconds:.6f}" if r.raw else "0",
            )
            rules = ", ".join(r.case.rules) or "none"
            role = impl.adapter
            as_role = f", as {role.role_label}" if role.role != "validator" else ""
            info = (
                f"{r.case.description}\nexpected: {r.expected} ({r.level or r.case.level}"
                f"{as_role}); "
                f"rules: {rules}\n{r.outcome}: {r.message}"
            )
            if r.status == "fail":
                tag = "error" if r.outcome in _ERROR_OUTCOMES else "failure"
                counts["errors" if tag == "error" else "failures"] += 1
                el = ET.SubElement(tc, tag, type=r.outcome, message=_x(_one_line(r.message)))
                el.text = _x(f"{info}\nreproduce: {reproduce(run, impl, r)}")
            elif r.status == "xpass":
                counts["failures"] += 1
                el = ET.SubElement(
                    tc,
                    "failure",
                    type="unexpected-pass",
                    message="passes, but is listed as an expected failure",
                )
                el.text = _x(f"{info}\nremove it from {impl.expected.path}")
            elif r.status in ("xfail", "unsupported"):
                counts["skipped"] += 1
                label = "expected failure" if r.status == "xfail" else "unsupported"
                ET.SubElement(tc, "skipped", message=_x(f"{label}: {_one_line(r.message)}"))
            elif r.status == "warning":
                out = ET.SubElement(tc, "system-out")
                out.text = _x(f"WARNING (SHOULD-level case): {info}")
            if r.raw is not None and r.raw.stderr and r.status != "pass":
                err = ET.SubElement(tc, "system-err")
                err.text = _x(_text(r.raw.stderr))
        for name, why in impl.stale:
            counts["tests"] += 1
            counts["failures"] += 1
            tc = ET.SubElement(
                suite,
                "testcase",
                classname=_x(f"{impl.adapter.name}.expected-failures"),
                name=_x(name),
            )
            ET.SubElement(tc, "failure", type="stale-entry", message=_x(f"stale entry: {why}"))
        for key, n in counts.items():
            suite.set(key, str(n))
            totals[key] += n
        suite.set("time", f"{impl.seconds:.3f}")
    if run.corpus_error:
        suite = ET.SubElement(root, "testsuite", name="corpus", tests="1", failures="1")
        tc = ET.SubElement(suite, "testcase", classname="corpus", name="integrity")
        ET.SubElement(tc, "failure", type="corpus-altered", message=_x(run.corpus_error))
        totals["tests"] += 1
        totals["failures"] += 1
    for key, n in totals.items():
        root.set(key, str(n))
    root.set("time", f"{run.seconds:.3f}")
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
