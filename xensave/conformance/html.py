"""The HTML matrix: cases x implementations, one self-contained page.

Rows are grouped by the case's outermost layer, then by the first rule it exercises;
cells are coloured by outcome. The pruned view (the default) folds the rows whose
results agree across every implementation that ran them, leaving one line per group
that counts them; a checkbox shows everything (pure CSS, works without scripts).
Each case opens to its description, rules, first bytes in hex, and per
implementation what it answered and how to reproduce it. No network, no scripts.
"""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path
from typing import Any

from .. import __version__
from .manifest import Case
from .report import reproduce
from .runner import (
    FOCUS_MAX,
    STATUSES,
    CaseResult,
    ImplRun,
    RunResult,
    focus_rules,
    rule_catalogue,
)

__all__ = ["render_html", "write_html"]

_HEX_BYTES = 64
_LAYER_ORDER = ("xl", "libvirt", "xapi", "libxl", "libxc", "legacy")

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.6em 0 .4em}
code,pre,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}
th{background:#f3f3f3;text-align:left}
table.matrix{table-layout:fixed}
table.matrix td.cell{text-align:center;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
table.matrix col.case{width:34em}table.matrix col.want{width:3.5em}table.matrix col.impl{width:9em}
td.zero{background:none;color:#999}
tr.rule th{background:#e8eef7;font-weight:600}
tr.fold td{color:#555;font-style:italic;background:#fafafa}
.ok{color:#1b5e20;font-weight:700}.bad{color:#b71c1c;font-weight:700}
.legend span{display:inline-block;padding:1px 6px;margin:2px;border:1px solid #bbb}
details>summary{cursor:pointer}
details .more{max-width:70em;white-space:normal;padding:.3em 0 .5em 1em}
pre.hex{margin:.3em 0;background:#f7f7f7;padding:.3em}
.want{font-weight:700;text-align:center}
#all:not(:checked)~section tr.agree{display:none}
#all:checked~section tr.fold{display:none}
.s-pass{background:#b7e4b0}.s-pass.a-accept{background:#b3d4f5}.s-pass.a-reject{background:#f0dfae}
.s-fail{background:#f4a3a3}.s-fail.hard{background:#8e1b1b;color:#fff}
.s-warning{background:#ffd08a}.s-xfail{background:#ddd5ee}.s-xpass{background:#fff176}
.s-unsupported{background:#eee;color:#888}
"""

_LEGEND = (
    ("s-pass", "pass"),
    ("s-pass a-accept", "i_ accepted"),
    ("s-pass a-reject", "i_ rejected"),
    ("s-fail", "wrong verdict"),
    ("s-fail hard", "crash / signal / timeout / protocol error"),
    ("s-warning", "wrong verdict on a SHOULD case (warning)"),
    ("s-xfail", "expected failure (listed)"),
    ("s-xpass", "unexpected pass (listed, but passes)"),
    ("s-unsupported", "unsupported"),
)

_SHORT = {
    "false-accept": "accepted",
    "false-reject": "rejected",
    "crash": "crash",
    "timeout": "timeout",
    "protocol-error": "protocol",
    "error": "error",
    "input-modified": "modified input",
    "unsupported": "—",
}


def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


def _hexdump(data: bytes) -> str:
    lines = []
    for off in range(0, min(len(data), _HEX_BYTES), 16):
        chunk = data[off : off + 16]
        hx = " ".join(f"{b:02x}" for b in chunk)
        asc = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{off:04x}  {hx:<47}  {asc}")
    more = f"\n… {len(data) - _HEX_BYTES} more bytes" if len(data) > _HEX_BYTES else ""
    return "\n".join(lines) + more


def _role_note(impl: ImplRun) -> str:
    """Under a restorer's column head: its cells answer "restorable?", not "valid?"."""
    if impl.adapter.role == "validator":
        return ""
    return f"<br><small>{_e(impl.adapter.role_label)}</small>"


def _label(r: CaseResult) -> str:
    if r.outcome == "pass":
        if r.expected == "either":
            return "accepted" if r.answer == "accept" else "rejected"
        return "✓"
    if r.outcome == "signal" and r.raw is not None and r.raw.signal:
        return f"signal {r.raw.signal}"
    return _SHORT.get(r.outcome, r.outcome)


def _cell(r: CaseResult) -> str:
    classes = [f"s-{r.status}"]
    if r.outcome == "pass" and r.expected == "either" and r.answer:
        classes.append(f"a-{r.answer}")
    if r.outcome in ("crash", "signal", "timeout", "protocol-error", "error", "input-modified"):
        classes.append("hard")
    title = f"{r.status}: {r.outcome}" + (f" — {r.message}" if r.message else "")
    text = _label(r)
    if r.status == "xfail":
        text += " (x)"
    elif r.status == "xpass":
        text += " (!)"
    return f'<td class="cell {" ".join(classes)}" title="{_e(title)}">{_e(text)}</td>'


def _what(counts: Counter[str]) -> str:
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))


def _agrees(results: list[CaseResult]) -> bool:
    ran = {(r.outcome, r.answer) for r in results if r.outcome != "unsupported"}
    return len(ran) <= 1


def _details(
    run: RunResult, case: Case, row: list[tuple[ImplRun, CaseResult]], rules: dict[str, Any]
) -> str:
    parts = [f"<p>{_e(case.description or '(no description)')}</p>"]
    meta = [
        f"expected <b>{_e(case.verdict)}</b> ({_e(case.level)})",
        f"layer {_e(case.layer)}",
        f"version {_e(case.version)}",
        f"guest {_e(case.guest)}",
    ]
    if case.profile:
        meta.append(f"profile {_e(case.profile)}")
    if case.restorable is not None:
        by = ", ".join(f"<code>{_e(f)}</code>" for f in case.restore_decided_by)
        meta.append(f"restored by Xen <b>{_e(case.restorable)}</b>" + (f" ({by})" if by else ""))
    if case.tags:
        meta.append("tags " + ", ".join(f"<code>{_e(t)}</code>" for t in case.tags))
    parts.append("<p>" + " · ".join(meta) + "</p>")
    if case.rules:
        items = []
        for rid in case.rules:
            rule = rules.get(rid)
            text = f"{rule.level}: {rule.summary}" if rule is not None else "(not in the catalogue)"
            items.append(f"<li><code>{_e(rid)}</code> {_e(text)}</li>")
        parts.append("<ul>" + "".join(items) + "</ul>")
    data = run.data.get(case.name, b"")
    parts.append(
        f"<p class=mono>{_e(case.file)} · {len(data)} bytes · sha256 {_e(case.sha256[:16])}…"
        + (f" · recipe {_e(case.recipe)}" if case.recipe else "")
        + "</p>"
    )
    parts.append(f'<pre class="hex">{_e(_hexdump(data))}</pre>')
    items = []
    for impl, r in row:
        line = f"<b>{_e(impl.adapter.name)}</b>: {_e(r.status)} — {_e(r.outcome)}"
        if impl.adapter.role != "validator":
            line += f" (as {_e(impl.adapter.role_label)}: expected {_e(r.expected)})"
        if r.message:
            line += f": {_e(r.message)}"
        if r.cites is not None:
            line += (
                " (cites the declared rule)" if r.cites else " (cites none of the declared rules)"
            )
        sub = []
        if r.raw is not None:
            for d in r.raw.diagnostics[:5]:
                rid = d.get("rule") or "-"
                sub.append(f"<code>{_e(rid)}</code> {_e(d.get('message', ''))}")
            if r.raw.stderr:
                tail = " / ".join(r.raw.stderr[-2000:].decode("utf-8", "replace").splitlines()[-3:])
                if len(tail) > 300:
                    tail = "…" + tail[-300:]
                sub.append("stderr: <code>" + _e(tail) + "</code>")
        if r.status != "unsupported":
            sub.append(f"<code>$ {_e(reproduce(run, impl, r))}</code>")
        if sub:
            line += "<br>" + "<br>".join(sub)
        items.append(f"<li>{line}</li>")
    parts.append("<ul>" + "".join(items) + "</ul>")
    return "".join(parts)


def _by_cell(impls: list[ImplRun], w: Any) -> None:
    """The matrix by cell (guest type x stream): for each implementation its status
    counts in each cell, and the rules whose cases do not pass there, so a bug of one
    cell ("fails XC-PAGE-004 on x86_32 PV v2 only") shows as one cell."""
    from .coverage import CELLS, cell_label

    labels = [cell_label(c) for c in CELLS]
    per_impl = [(impl, impl.cell_counts(), impl.rule_cell_counts(focused=True)) for impl in impls]
    present = [x for x in [*labels, ""] if any(x in cells for _, cells, _ in per_impl)]
    if not present:
        return
    w('<section><h2 id="cells">by cell (guest type \u00d7 stream)</h2><table>')
    w("<tr><th>cell</th>" + "".join(f"<th>{_e(i.adapter.name)}</th>" for i, _, _ in per_impl))
    w("</tr>")
    bad = ("fail", "warning", "xfail", "xpass")
    for label in present:
        w(f"<tr><th>{_e(label or 'no guest')}</th>")
        for _impl, cells, rule_cells in per_impl:
            counts = cells.get(label, Counter())
            text = ", ".join(f"{counts[k]} {k}" for k in STATUSES if counts.get(k)) or "-"
            failing = sorted(
                rid or "(no rule)"
                for rid, by in rule_cells.items()
                if any(by.get(label, Counter())[k] for k in bad)
            )
            more = f"<br><small>{_e(', '.join(failing))}</small>" if failing else ""
            cls = ' class="s-fail"' if any(counts.get(k) for k in ("fail", "xpass")) else ""
            w(f"<td{cls}>{_e(text)}{more}</td>")
        w("</tr>")
    w("</table></section>")


def render_html(run: RunResult) -> str:
    rules = rule_catalogue()
    impls = run.impls
    results: dict[str, list[tuple[ImplRun, CaseResult]]] = {}
    for impl in impls:
        for r in impl.results:
            results.setdefault(r.case.name, []).append((impl, r))
    ncols = 2 + len(impls)
    out: list[str] = []
    w = out.append
    w("<!doctype html><html lang=en><head><meta charset=utf-8>")
    w('<meta name="viewport" content="width=device-width, initial-scale=1">')
    w(f"<title>xensave conformance: {len(run.cases)} cases</title>")
    w(f"<style>{_CSS}</style></head><body>")
    w("<h1>xensave conformance</h1>")
    status = '<span class="ok">OK</span>' if run.ok else '<span class="bad">FAIL</span>'
    filtered = ""
    if run.filters:
        filtered = f" · filtered: <code>{_e(' '.join(run.filters.describe()))}</code>"
    w(
        f"<p>{status} · {len(run.cases)} cases \u00d7 {len(impls)} implementations · manifest "
        f"<code>{_e(run.manifest.path)}</code> (sha256 {_e(run.manifest.raw_sha256[:16])}…)"
        f"{filtered}"
        f"{' · strict' if run.options.strict else ''} · xensave {_e(__version__)}</p>"
    )
    if run.corpus_error:
        w(f'<p class="bad">CORPUS ALTERED DURING THE RUN: {_e(run.corpus_error)}</p>')
    # summary table
    heads = ["pass", "fail", "warning", "xfail", "xpass", "unsupported"]
    w("<table><tr><th>implementation</th><th>protocol</th>")
    w("".join(f"<th>{h}</th>" for h in heads))
    w("<th>stale entries</th><th>result</th><th>command</th></tr>")
    for impl in impls:
        counts = impl.status_counts()
        res = '<span class="ok">OK</span>' if impl.ok else '<span class="bad">FAIL</span>'
        if impl.unavailable is not None:  # it could not run here: say why, and the fix
            res = (
                f"<b>unavailable</b><br><small>{_e(impl.unavailable)}; "
                f"fix: {_e(impl.fix or 'see the cause')}</small>"
            )
        w(
            f"<tr><td><b>{_e(impl.adapter.name)}</b> <i>{_e(impl.adapter.role_label)}</i>"
            f"<br><small>{_e(impl.adapter.description)}</small></td>"
        )
        w(f"<td>{_e(impl.adapter.protocol)}</td>")
        w(
            "".join(
                f'<td class="s-{h}">{counts[h]}</td>'
                if counts.get(h)
                else '<td class="zero">0</td>'
                for h in heads
            )
        )
        stale = "<br>".join(f"{_e(n)}: {_e(why)}" for n, why in impl.stale) or "0"
        w(
            f"<td>{stale}</td><td>{res}</td><td><code>{_e(impl.adapter.display_command())}</code></td></tr>"
        )
    w("</table>")
    w('<p class="legend">')
    w("".join(f'<span class="{cls}">{_e(t)}</span>' for cls, t in _LEGEND))
    w("</p>")
    w(
        '<input type="checkbox" id="all"> <label for="all">show every case '
        "(unchecked: the pruned view folds cases whose results agree everywhere)</label>"
    )
    _by_cell(impls, w)
    # sections per layer
    by_layer: dict[str, list[Case]] = {}
    for c in run.cases:
        by_layer.setdefault(c.layer or "unknown", []).append(c)
    order = sorted(by_layer, key=lambda x: (_LAYER_ORDER.index(x) if x in _LAYER_ORDER else 99, x))
    for layer in order:
        cases = by_layer[layer]
        w(f'<section><h2 id="layer-{_e(layer)}">layer {_e(layer)} · {len(cases)} cases</h2>')
        w('<table class="matrix"><colgroup><col class="case"><col class="want">')
        w('<col class="impl">' * len(impls) + "</colgroup>")
        w("<thead><tr><th>case</th><th>want</th>")
        w("".join(f"<th>{_e(i.adapter.name)}{_role_note(i)}</th>" for i in impls))
        w("</tr></thead><tbody>")
        groups: dict[str, list[Case]] = {}
        for c in cases:
            focus = focus_rules(c)
            groups.setdefault(focus[0] if focus else "", []).append(c)
        whole_groups: Counter[str] = Counter()
        whole_rules = 0
        for rid in sorted(groups, key=lambda r: (r != "", r)):
            members = sorted(groups[rid], key=lambda c: c.name)
            rows = [(c, results.get(c.name, [])) for c in members]
            agrees = [_agrees([r for _, r in row]) for _, row in rows]
            all_agree = all(agrees)
            head_cls = "rule agree" if all_agree else "rule"
            if rid:
                rule = rules.get(rid)
                text = (
                    f"{rule.level} · {rule.summary}"
                    if rule is not None
                    else "(not in the catalogue)"
                )
                w(f'<tr class="{head_cls}"><th colspan={ncols}><code>{_e(rid)}</code> ')
                w(f"{_e(text)}</th></tr>")
            else:
                w(
                    f'<tr class="{head_cls}"><th colspan={ncols}>no rule in particular: images '
                    f"that name no rule or more than {FOCUS_MAX} (valid images of a whole "
                    "layer)</th></tr>"
                )
            folded: Counter[str] = Counter()
            for (c, row), agree in zip(rows, agrees, strict=True):
                if agree:
                    first = next((r for _, r in row if r.outcome != "unsupported"), None)
                    folded[first.status if first else "unsupported"] += 1
                cls = "case agree" if agree else "case"
                w(f'<tr class="{cls}"><td><details><summary class="mono">{_e(c.name)}</summary>')
                w(f'<div class="more">{_details(run, c, row, rules)}</div></details></td>')
                w(f'<td class="want">{_e(c.prefix)}</td>')
                w("".join(_cell(r) for _, r in row))
                w("</tr>")
            if all_agree:
                whole_rules += 1
                whole_groups.update(folded)
            elif folded:
                n = sum(folded.values())
                w(
                    f'<tr class="fold"><td colspan={ncols}>{n} more case{"s" if n != 1 else ""} '
                    f"where every implementation agrees ({_e(_what(folded))}) folded</td></tr>"
                )
        if whole_rules:
            n = sum(whole_groups.values())
            w(
                f'<tr class="fold"><td colspan={ncols}>{whole_rules} rule group'
                f"{'s' if whole_rules != 1 else ''} whose {n} case{'s' if n != 1 else ''} "
                f"every implementation agrees on ({_e(_what(whole_groups))}) folded</td></tr>"
            )
        w("</tbody></table></section>")
    w("</body></html>\n")
    return "".join(out)


def write_html(run: RunResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_html(run), encoding="utf-8")
    tmp.replace(path)
