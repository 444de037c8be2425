"""The text form of ``xensave diff``'s differences (``--json`` prints them as they are)."""

from __future__ import annotations

import json
from typing import Any, Protocol

#: Lines of each list the text output shows (--json lists everything).
TEXT_LIMIT = 20


class Named(Protocol):
    """What the text needs of each compared image (``diff.Side``)."""

    name: str
    layers: list[str]
    notes: list[str]


def _dm_text(d: dict[str, Any]) -> str:
    digest = d.get("sha256")
    dg = f"sha256 {digest[:16]}..." if digest else "sha256 not computed"
    version = f" v{d['qevm_version']}" if d.get("qevm_version") is not None else ""
    where = f" in {d['in']}" if d.get("in") else ""
    return f"{d['writer']}{where}, {d['format']}{version}, {d['size']} bytes, {dg}"


def _v(x: Any) -> str:
    if isinstance(x, bool) or x is None:
        return json.dumps(x)
    if isinstance(x, int):
        return f"{x:#x}" if x >= 0x10000 else str(x)
    return x if isinstance(x, str) else json.dumps(x)


def _change(item: dict[str, Any], key: str, v: Any = _v) -> str:
    if item.get("only_in") == "a":
        return f"{item[key]}: {v(item['a'])} only in A"
    if item.get("only_in") == "b":
        return f"{item[key]}: {v(item['b'])} only in B"
    return f"{item[key]}: {v(item['a'])} -> {v(item['b'])}"


def _ranges(pairs: list[list[int]]) -> str:
    parts = [f"{s:#x}" if s == e else f"{s:#x}-{e:#x}" for s, e in pairs[:TEXT_LIMIT]]
    if len(pairs) > TEXT_LIMIT:
        parts.append(f"... {len(pairs) - TEXT_LIMIT} more ranges (--json lists all)")
    return ", ".join(parts)


def _limited(lines: list[str], indent: str = "  ") -> list[str]:
    out = [indent + x for x in lines[:TEXT_LIMIT]]
    if len(lines) > TEXT_LIMIT:
        out.append(f"{indent}... {len(lines) - TEXT_LIMIT} more (--json lists all)")
    return out


def format_text(d: dict[str, Any], a: Named, b: Named) -> list[str]:
    lines = [
        f"--- A: {a.name} ({', '.join(a.layers)})",
        f"+++ B: {b.name} ({', '.join(b.layers)})",
        *(f"note: {n}" for n in a.notes + b.notes),
    ]
    if "layers" in d:
        lines.append(f"layers: {' > '.join(a.layers)} -> {' > '.join(b.layers)}")
    if "headers" in d:
        lines.append("headers:")
        lines += _limited(
            [
                f"{h['header']}: only in {h['only_in'].upper()}"
                if "field" not in h
                else f"{h['header']}.{_change(h, 'field')}"
                for h in d["headers"]
            ]
        )
    if "config" in d:
        lines.append("xl configuration:")
        lines += _limited([_change(c, "key", json.dumps) for c in d["config"]])
    if "xml" in d:
        lines.append("libvirt XML:")
        lines += _limited(d["xml"])
    if "records" in d:
        r = d["records"]
        lines.append("records:")
        if "counts" in r:
            lines += _limited([f"{c['record']}: {c['a']} -> {c['b']}" for c in r["counts"]])
        for key, word in (("removed", "only in A"), ("added", "only in B")):
            if key in r:
                lines += _limited(
                    [f"{word}: {x['record']} (non-page record {x['position']})" for x in r[key]]
                )
        if r.get("order"):
            lines.append("  the same records in another order")
        if "bodies_differ" in r:
            lines += _limited([f"body differs: {k}" for k in r["bodies_differ"]])
        if "sequence_not_compared" in r:
            lines.append(f"  (order not compared: {r['sequence_not_compared']})")
    if "hvm_params" in d:
        lines.append("HVM parameters:")
        lines += _limited([_change(p, "param") for p in d["hvm_params"]])
    if "hvm_context" in d:
        lines.append("HVM context:")
        lines += _limited([_change(x, "field") for x in d["hvm_context"]])
    if "pv_context" in d:
        lines.append("PV vCPU context (beside the registers):")
        lines += _limited([_change(x, "field") for x in d["pv_context"]])
    if "registers" in d:
        lines.append("registers:")
        lines += _limited(
            [
                f"vcpu {x['vcpu']}: only in {x['only_in'].upper()}"
                if "register" not in x
                else f"vcpu {x['vcpu']} {_change(x, 'register')}"
                for x in d["registers"]
            ]
        )
    for key, title, field_ in (("cpuid", "CPUID policy", "leaf"), ("msr", "MSR policy", "msr")):
        if key in d:
            lines.append(f"{title}:")
            lines += _limited([_change(x, field_) for x in d[key]])
    if "page_types" in d:
        lines.append("page types (pfn entries, repeats included):")
        lines += _limited([f"{t['type']}: {t['a']} -> {t['b']}" for t in d["page_types"]])
    if "pages" in d:
        p = d["pages"]
        lines.append(
            f"pages: A has {p['a_pfns']} pfns, B {p['b_pfns']}: {p['same']} the same, "
            f"{p['differ']} differ, {p['only_in_a']} only in A, {p['only_in_b']} only in B"
        )
        for key, word in (
            ("differ_ranges", "differ"),
            ("only_in_a_ranges", "only in A"),
            ("only_in_b_ranges", "only in B"),
        ):
            if p[key]:
                lines.append(f"  {word}: {_ranges(p[key])}")
    if "device_model" in d:
        lines.append("device-model state (QEMU's bytes, compared by digest):")
        lines += _limited(
            [
                f"{x['record']}: only in {x['only_in'].upper()}"
                if "only_in" in x
                else f"{x['record']}: {_dm_text(x['a'])} -> {_dm_text(x['b'])}"
                for x in d["device_model"]
            ]
        )
    if "trailing_bytes" in d:
        t = d["trailing_bytes"]
        lines.append(f"bytes after the stream: {t['a'] or 'none'} -> {t['b'] or 'none'}")
    return lines
