"""Sphinx extension for the xensave site.

At ``config-inited`` it writes every generated page into ``docs/_gen/`` (never
committed): the layout reference from ``ksy/*.ksy``, the rule index from
``spec/rules.toml``, the corpus browser from ``conformance/manifest.json``, the
conformance results from a harness run, the CLI reference from the CLI's own
``--help``, and the captured output the guides include. Nothing in those pages
is written by hand, so they cannot drift from their sources. It also writes
``docs/spec/<chapter>.md`` (an include of each ``spec/*.md``) and the landing
page's Specification toctree of them. What exists (chapters, ksy files, CLI
commands) is found by ``xensave_docs_plan``; nothing is listed by hand.

It also turns the ``<a id="xc-page-004"></a>`` anchors of the spec chapters
into real targets, so that Markdown links such as ``libxc-stream.md#xc-page-004``
are checked by Sphinx like any other cross-reference.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import xensave_docs_plan as plan
import yaml
from docutils import nodes
from docutils.transforms import Transform
from sphinx import addnodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

DOCS = plan.DOCS
ROOT = plan.ROOT
GEN = DOCS / "_gen"

LAYER_TITLES = {
    "image": "The image as a whole",
    "xl-file": "xl save file",
    "libxl": "libxl stream",
    "libxc": "libxc stream",
    "legacy": "Legacy (Xen 4.5 and older)",
    "libvirt": "libvirt save file",
    "xapi": "XAPI suspend image",
}

# --------------------------------------------------------------------------
# spec chapters: <a id="..."></a> anchors become targets
# --------------------------------------------------------------------------

ANCHOR_RE = re.compile(r'^<a id="([A-Za-z0-9_.-]+)">(</a>)?$')


_RULE_IDS: set[str] = set()


def rule_ids() -> set[str]:
    if not _RULE_IDS:
        from xensave.rules import load_rules

        _RULE_IDS.update(load_rules())
    return _RULE_IDS


class RawAnchors(Transform):
    """Give every ``<a id="X"></a>`` raw node a docutils id and a MyST slug."""

    default_priority = 500  # before MyST's ResolveAnchorIds (879)

    def apply(self, **kwargs: Any) -> None:
        env = self.document.settings.env
        slugs = getattr(self.document, "myst_slugs", None)
        if slugs is None:
            slugs = {}
            self.document.myst_slugs = slugs
        meta = env.metadata[env.docname]
        meta.setdefault("myst_slugs", slugs)
        for raw in list(self.document.findall(nodes.raw)):
            m = ANCHOR_RE.match(raw.astext().strip())
            if not m or "html" not in raw.get("format", ""):
                continue
            anchor = m.group(1)
            if not m.group(2):  # MyST splits <a id="x"></a> into two raw nodes
                nxt = raw.next_node(descend=False, siblings=True)
                if isinstance(nxt, nodes.raw) and nxt.astext().strip() == "</a>":
                    nxt.parent.remove(nxt)
            target = nodes.inline("", "", ids=[anchor])
            self.document.ids[anchor] = target
            raw.replace_self(target)
            line = raw.line or 0
            entry = (line, anchor, anchor.upper())
            slugs[anchor] = entry
            meta["myst_slugs"][anchor] = entry
            rid = anchor.upper()
            para = target.parent
            if rid in rule_ids() and isinstance(para, nodes.paragraph):
                para += nodes.Text(" ")
                para += addnodes.pending_xref(
                    "",
                    nodes.inline("", "[index and cases]", classes=["rule-index-link"]),
                    refdomain="std",
                    reftype="ref",
                    reftarget=rule_label(rid),
                    refexplicit=True,
                    refdoc=env.docname,
                )
        # the spec's link to the machine-readable catalogue goes to the rule index
        for x in list(self.document.findall(addnodes.pending_xref)):
            if x.get("reftype") == "myst" and x.get("reftarget") == "rules.toml":
                x.replace_self(
                    addnodes.pending_xref(
                        "",
                        *x.children,
                        refdomain="std",
                        reftype="doc",
                        reftarget="/_gen/rules",
                        refexplicit=True,
                        refdoc=env.docname,
                    )
                )


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def cell(text: Any) -> str:
    """One Markdown table cell: a single line, pipes escaped."""
    s = " ".join(str(text).split()) if text is not None else ""
    return s.replace("|", "\\|")


def code(text: Any) -> str:
    s = " ".join(str(text).split())
    if "`" in s:
        return "``" + s + " ``"
    return "`" + s + "`"


def num(v: Any) -> str:
    """A number as written in a table: decimal, and hex when that says more."""
    if isinstance(v, int) and not isinstance(v, bool) and v > 9:
        return f"{v} (0x{v:x})"
    return str(v)


def contents_text(c: Any) -> str:
    parts = c if isinstance(c, list) else [c]
    out = []
    for p in parts:
        if isinstance(p, int):
            out.append(f"{p:02x}")
        else:
            out.append(json.dumps(str(p)))
    return code(" ".join(out))


_WRITTEN: set[Path] = set()


def write(path: Path, text: str) -> None:
    _WRITTEN.add(path.resolve())
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text() == text:
        return  # unchanged pages are not rebuilt
    path.write_text(text)


def run(argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, **kw)


def xensave_cmd() -> list[str]:
    return [sys.executable, "-c", "import sys; from xensave.cli import main; sys.exit(main())"]


# --------------------------------------------------------------------------
# layout reference from ksy
# --------------------------------------------------------------------------

PRIM = re.compile(r"^([usf])([1248])(le|be)?$")


class Ksy:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = yaml.safe_load(path.read_text())
        self.id = self.data["meta"]["id"]
        self.types: dict[str, dict[str, Any]] = {}
        self._collect(self.data.get("types", {}) or {})
        self.enums: dict[str, dict[Any, Any]] = dict(self.data.get("enums", {}) or {})
        self._collect_enums(self.data.get("types", {}) or {})

    def _collect(self, types: dict[str, Any]) -> None:
        for name, t in types.items():
            self.types[name] = t
            self._collect(t.get("types", {}) or {})

    def _collect_enums(self, types: dict[str, Any]) -> None:
        for t in types.values():
            for name, e in (t.get("enums", {}) or {}).items():
                self.enums[name] = e
            self._collect_enums(t.get("types", {}) or {})


class Reference:
    def __init__(self) -> None:
        self.ksys = {p.stem: Ksy(p) for p in plan.ksy_files()}
        self._size_memo: dict[tuple[str, str], int | None] = {}
        # (ksy stem, type or ksy id, field or "") -> rule IDs whose `ksy` points there
        self.rules_at: dict[tuple[str, str, str], list[str]] = {}
        from xensave.rules import load_rules

        for r in load_rules().values():
            if not r.ksy or "#" not in r.ksy:
                continue
            kfile, _, path = r.ksy.partition("#")
            tname, _, field = path.partition(".")
            key = (kfile.removesuffix(".ksy"), tname, field)
            self.rules_at.setdefault(key, []).append(r.id)

    def rules_cell(self, ksy: Ksy, tname: str, field: str) -> str:
        ids = self.rules_at.get((ksy.path.stem, tname or ksy.id, field), [])
        return ", ".join(f"{{ref}}`{i} <{rule_label(i)}>`" for i in ids)

    def owner(self, ksy: Ksy, tname: str) -> tuple[Ksy, str] | None:
        base = tname.split("(")[0].strip()
        if "::" in base:
            base = base.split("::")[-1]
        if base in ksy.types:
            return ksy, base
        if base in self.ksys:
            return self.ksys[base], ""
        for other in self.ksys.values():
            if base in other.types:
                return other, base
        return None

    @staticmethod
    def doc_ref_links(spec: dict[str, Any]) -> str:
        """A type's doc-refs as links: ``spec/<chapter>.md#<section>`` to that section
        of the chapter's page (docs/spec/<chapter>.md, two levels up from the
        reference pages), a URL as itself."""
        refs = spec.get("doc-ref") or []
        out = []
        for ref in [refs] if isinstance(refs, str) else refs:
            if ref.startswith("spec/") and ".md" in ref:
                out.append(f"[{ref}](../../{ref})")
            else:
                out.append(f"<{ref}>")
        return ", ".join(out)

    def type_label(self, ksy: Ksy, tname: str) -> str:
        return f"ksy-{ksy.id}-{tname}" if tname else f"ksy-{ksy.id}"

    def fixed_size(self, ksy: Ksy, tname: str) -> int | None:
        key = (ksy.id, tname)
        if key in self._size_memo:
            return self._size_memo[key]
        self._size_memo[key] = None  # recursion guard
        spec = ksy.types[tname] if tname else ksy.data
        total = 0
        for f in spec.get("seq", []) or []:
            s = self.field_size(ksy, f)
            if s is None:
                return None
            total += s
        self._size_memo[key] = total
        return total

    def field_size(self, ksy: Ksy, f: dict[str, Any]) -> int | None:
        if "if" in f or "repeat" in f:
            return None
        if "contents" in f:
            c = f["contents"]
            if isinstance(c, str):
                return len(c.encode())
            n = 0
            for part in c:
                n += len(part.encode()) if isinstance(part, str) else 1
            return n
        if "size" in f:
            return f["size"] if isinstance(f["size"], int) else None
        t = f.get("type")
        if t is None:
            return None
        if isinstance(t, dict):
            return None
        m = PRIM.match(str(t))
        if m:
            return int(m.group(2))
        if str(t) in ("b1",) or str(t).startswith("b"):
            return None
        own = self.owner(ksy, str(t))
        if own is None:
            return None
        return self.fixed_size(*own)

    def type_text(self, ksy: Ksy, f: dict[str, Any]) -> str:
        t = f.get("type")
        if "contents" in f:
            out = "magic " + contents_text(f["contents"])
        elif t is None and "value" in f:
            out = "computed"
        elif t is None:
            out = "octets"
        elif isinstance(t, dict):
            cases = ", ".join(
                f"{code(k)} → {self.type_ref(ksy, str(v))}"
                for k, v in (t.get("cases", {}) or {}).items()
            )
            out = f"switch on {code(t.get('switch-on'))}: {cases}"
        else:
            out = self.type_ref(ksy, str(t))
        if "enum" in f:
            out += f" (enum {{ref}}`{f['enum']} <{self.enum_label(ksy, f['enum'])}>`)"
        rep = f.get("repeat")
        if rep == "expr":
            out += f", repeated {code(f.get('repeat-expr'))} times"
        elif rep == "eos":
            out += ", repeated to the end"
        elif rep == "until":
            out += f", repeated until {code(f.get('repeat-until'))}"
        if "if" in f:
            out += f", only if {code(f['if'])}"
        return out

    def type_ref(self, ksy: Ksy, t: str) -> str:
        if PRIM.match(t) or t in ("str", "strz") or re.match(r"^b\d+$", t):
            return code(t)
        own = self.owner(ksy, t)
        if own is None:
            return code(t)
        # the arguments go after the link: a `<` in them (`.as<u2>`) would end the
        # role's title
        name, paren, args = t.partition("(")
        link = f"{{ref}}`{cell(name.strip())} <{self.type_label(*own)}>`"
        return f"{link} {code(paren + args)}" if paren else link

    def enum_label(self, ksy: Ksy, name: str) -> str:
        base = name.split("::")[-1]
        for k in [ksy, *self.ksys.values()]:
            if base in k.enums:
                return f"ksy-{k.id}-enum-{base}"
        return f"ksy-{ksy.id}-enum-{base}"

    @staticmethod
    def valid_text(f: dict[str, Any]) -> str:
        v = f.get("valid")
        if v is None:
            return ""
        if isinstance(v, dict):
            parts = []
            for k in ("eq", "min", "max", "any-of", "expr", "in-enum"):
                if k in v:
                    val = v[k]
                    val = ", ".join(num(x) for x in val) if k == "any-of" else num(val)
                    parts.append(f"{k} {code(val)}")
            return "; ".join(parts)
        return f"= {code(num(v))}"

    def size_text(self, ksy: Ksy, f: dict[str, Any]) -> str:
        s = self.field_size(ksy, f)
        if s is not None:
            return str(s)
        if "size" in f:
            return code(f["size"])
        if f.get("size-eos"):
            return "to the end"
        t = f.get("type")
        if isinstance(t, str) and re.match(r"^b\d+(le|be)?$", t):
            return f"{t[1:].removesuffix('le').removesuffix('be')} bits"
        return "varies"

    def seq_table(self, ksy: Ksy, tname: str, seq: list[dict[str, Any]]) -> list[str]:
        out = [
            "| offset | size | field | type | valid values | doc | rules |",
            "|---|---|---|---|---|---|---|",
        ]
        off: int | None = 0
        bits = 0  # bits used of the run of bit fields at ``off``
        for f in seq:
            s = self.field_size(ksy, f)
            width = bit_width(f)
            if width is None and bits:  # a byte-aligned field ends the run of bits
                off, bits = (off + (bits + 7) // 8 if off is not None else None), 0
            offtxt = f"{off} (0x{off:x})" if off is not None else "—"
            if width is not None:
                order = str(f["type"])[-2:] if str(f["type"])[-2:] in ("le", "be") else None
                endian = order or ksy.data["meta"].get("bit-endian", "be")
                offtxt = bit_position(off, bits, width, endian)
                bits += width
                s = 0
            name = code(f.get("id", "(unnamed)"))
            if "-orig-id" in f:
                name += f" <br>Xen: {code(f['-orig-id'])}"
            out.append(
                f"| {offtxt} | {cell(self.size_text(ksy, f))} | {name} | "
                f"{cell(self.type_text(ksy, f))} | {cell(self.valid_text(f))} | "
                f"{cell(f.get('doc', ''))} | {self.rules_cell(ksy, tname, f.get('id', ''))} |"
            )
            off = off + s if (off is not None and s is not None) else None
        return out

    def instances_table(self, ksy: Ksy, tname: str, inst: dict[str, Any]) -> list[str]:
        out = [
            "| instance | position or value | type | doc | rules |",
            "|---|---|---|---|---|",
        ]
        for name, i in inst.items():
            where = "value " + code(i["value"]) if "value" in i else "at " + code(i.get("pos", "?"))
            out.append(
                f"| {code(name)} | {cell(where)} | {cell(self.type_text(ksy, i))} | "
                f"{cell(i.get('doc', ''))} | {self.rules_cell(ksy, tname, name)} |"
            )
        return out

    def page(self, ksy: Ksy, diagram: str) -> str:
        d = ksy.data
        title = d["meta"].get("title", ksy.id)
        lines = [
            f"({self.type_label(ksy, '')})=",
            f"# {title}",
            "",
            f"Generated at build time from `ksy/{ksy.path.name}`; do not edit. "
            "Offsets are in octets from the start of the type and are shown while "
            "every field before them has a fixed size.",
            "",
            d.get("doc", "").strip(),
            "",
        ]
        if d.get("doc-ref"):
            lines += [f"Specification and Xen's description: {self.doc_ref_links(d)}", ""]
        sections = [(ksy.id, "", d)] + [(n, n, t) for n, t in ksy.types.items()]
        for heading, tname, spec in sections:
            lines.append(f"({self.type_label(ksy, tname)})=" if tname else "")
            lines.append(f"## Type `{heading}`" if tname else f"## Top level `{heading}`")
            lines.append("")
            if tname and spec.get("doc"):
                lines += [spec["doc"].strip(), ""]
            if tname and spec.get("doc-ref"):
                lines += [f"Specification: {self.doc_ref_links(spec)}.", ""]
            whole = self.rules_cell(ksy, tname, "")
            if whole:
                lines += [f"Rules about the type as a whole: {whole}.", ""]
            if spec.get("params"):
                ps = ", ".join(f"{code(p['id'])} ({p.get('type', 'any')})" for p in spec["params"])
                lines += [f"Parameters: {ps}.", ""]
            size = self.fixed_size(ksy, tname)
            if size is not None:
                lines += [f"Fixed size: {size} octets.", ""]
            if spec.get("seq"):
                lines += [*self.seq_table(ksy, tname, spec["seq"]), ""]
            if spec.get("instances"):
                lines += ["Computed values and fields read elsewhere:", ""]
                lines += [*self.instances_table(ksy, tname, spec["instances"]), ""]
        if ksy.enums:
            lines += ["## Enumerations", ""]
            for ename, e in ksy.enums.items():
                lines += [f"({self.enum_label(ksy, ename)})=", f"### Enum `{ename}`", ""]
                lines += ["| value | name | Xen name | doc |", "|---|---|---|---|"]
                for val, v in e.items():
                    if isinstance(v, dict):
                        vid, orig, doc = v.get("id"), v.get("-orig-id", ""), v.get("doc", "")
                    else:
                        vid, orig, doc = v, "", ""
                    shown = f"{val} (0x{val:x})" if isinstance(val, int) else str(val)
                    lines.append(
                        f"| {shown} | {code(vid)} | {code(orig) if orig else ''} | {cell(doc)} |"
                    )
                lines.append("")
        lines += ["## Diagram", "", diagram, ""]
        return "\n".join(lines) + "\n"


def bit_width(f: dict[str, Any]) -> int | None:
    """N for a plain bit field (``type: bN``), else None."""
    t = f.get("type")
    m = re.fullmatch(r"b(\d+)(le|be)?", t) if isinstance(t, str) else None
    if m and "repeat" not in f and "if" not in f:
        return int(m.group(1))
    return None


def bit_position(off: int | None, used: int, width: int, bit_endian: str) -> str:
    """Where a bit field lies: its octet(s) and bit numbers (bit 0 the least significant
    of an octet). Kaitai fills octets from the most significant bit down (``be``, the
    default) or from bit 0 up (``le``); a run of bit fields starts at an octet boundary."""
    first, last = used, used + width - 1
    where = f"{off + first // 8} (0x{off + first // 8:x})" if off is not None else "—"
    if first // 8 == last // 8:
        if bit_endian == "le":
            hi, lo = last % 8, first % 8
        else:
            hi, lo = 7 - first % 8, 7 - last % 8
        bitspec = f"bit {lo}" if hi == lo else f"bits {hi}-{lo}"
        return f"{where}, {bitspec}"
    order = "filled from bit 0 up" if bit_endian == "le" else "filled from bit 7 down"
    return f"{where}, bits {first}-{last} of a run of bit fields ({order})"


def diagrams(static: Path) -> dict[str, str]:
    """ksy id -> Markdown for its diagram (or an explicit note that it is skipped)."""
    dot = shutil.which("dot")
    node = shutil.which("node")
    if dot is None or node is None:
        missing = "Graphviz (`dot`)" if dot is None else "Node.js (`node`)"
        note = (
            f"```{{note}}\nNo diagram in this build: {missing} was not found when the site "
            "was built. Install it (on Debian or Ubuntu: `apt-get install graphviz`) "
            "and rebuild to get the structure diagram generated from the ksy.\n```"
        )
        logger.info("xensave docs: diagrams skipped, %s not found", missing)
        return {k: note for k in ("*",)}
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # the graphviz target only: every target (the regen environment's check) costs
        # six times as much, and its output here was thrown away
        r = run([node, "generators/ksc.js", "--target", "graphviz", "--out", tmp])
        if r.returncode != 0:
            raise RuntimeError("node generators/ksc.js --target graphviz failed:\n" + r.stderr)
        static.mkdir(parents=True, exist_ok=True)
        for dotfile in sorted(Path(tmp, "graphviz").glob("*.dot")):
            svg = static / f"{dotfile.stem}.svg"
            r = run([dot, "-Tsvg", "-o", str(svg), str(dotfile)])
            if r.returncode != 0:
                raise RuntimeError(f"dot failed on {dotfile.name}:\n{r.stderr}")
            out[dotfile.stem] = (
                "The Kaitai compiler's Graphviz output for this file, rendered with "
                "`dot` at build time:\n\n"
                f"```{{image}} /_gen/_static/diagrams/{svg.name}\n:alt: structure of "
                f"{dotfile.stem}\n:class: ksy-diagram\n:width: 100%\n```\n\n"
                "Click the diagram to open it full size."
            )
    return out


def gen_reference() -> Reference:
    ref = Reference()
    dia = diagrams(GEN / "_static" / "diagrams")
    toc = []
    for stem, ksy in ref.ksys.items():
        if stem not in dia and "*" not in dia:
            raise RuntimeError(f"no Graphviz output for ksy/{stem}.ksy (is its meta.id {stem}?)")
        write(GEN / "reference" / f"{stem}.md", ref.page(ksy, dia.get(stem, dia.get("*", ""))))
        toc.append(stem)
    idx = [
        "# Layout reference",
        "",
        "One page per ksy file, generated from `ksy/` each time the site is built: "
        "every type with its fields (offset, size, type, valid values, doc), its "
        "computed values, every enumeration, and a diagram from the Kaitai compiler's "
        "Graphviz output. The ksy files are the normative layout; these pages only "
        "present them.",
        "",
        "| ksy file | title |",
        "|---|---|",
    ]
    for stem, ksy in ref.ksys.items():
        idx.append(f"| [`{stem}.ksy`]({stem}.md) | {cell(ksy.data['meta'].get('title', ''))} |")
    idx += ["", "```{toctree}", ":hidden:", "", *toc, "```", ""]
    write(GEN / "reference" / "index.md", "\n".join(idx))
    return ref


# --------------------------------------------------------------------------
# rules index and corpus browser
# --------------------------------------------------------------------------


def case_label(name: str) -> str:
    return "case-" + name


def rule_label(rid: str) -> str:
    return "rule-" + rid.lower()


def layer_title(layer: str, rules: list[Any]) -> str:
    """The heading of a layer in the rule index: a known title, else the title of
    the chapter that states the layer's first rule (so a new layer needs no edit)."""
    if layer in LAYER_TITLES:
        return LAYER_TITLES[layer]
    for r in rules:
        chapter = ROOT / "spec" / (r.spec or "").split("#")[0]
        if r.spec and chapter.is_file():
            for line in chapter.read_text(encoding="utf-8").splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return layer


def gen_rules_and_corpus(ref: Reference) -> None:
    from xensave.rules import load_rules

    rules = load_rules()
    manifest = json.loads((ROOT / "conformance" / "manifest.json").read_text())
    cases = manifest["cases"]
    by_rule: dict[str, dict[str, list[str]]] = {}
    for c in cases:
        for r in c["rules"]:
            by_rule.setdefault(r, {"y": [], "n": [], "i": []})[c["name"][0]].append(c["name"])

    lines = [
        "# Rule index",
        "",
        f"Every rule of `spec/rules.toml` ({len(rules)} rules), generated at build "
        "time. Each entry gives the rule's level and text, the chapter that states "
        "it, the ksy field it concerns, what Xen's restore path does with an image "
        "that breaks it (which releases refuse it, and the Xen function that decides; "
        "*tolerated* where the spec is stricter than Xen on purpose), and the corpus "
        "cases that exercise it: `y_` cases must be accepted, `n_` rejected, and `i_` "
        "may go either way.",
        "",
    ]
    by_layer: dict[str, list[Any]] = {}
    for r in rules.values():
        by_layer.setdefault(r.layer, []).append(r)
    for layer, rs in by_layer.items():
        lines += [f"## {layer_title(layer, rs)}", ""]
        for r in rs:
            level = r.level.value if hasattr(r.level, "value") else str(r.level)
            lines += [f"({rule_label(r.id)})=", f"### {r.id}", ""]
            lines += [f"**{level}** · {r.subject} · area {r.area}", ""]
            lines += [r.summary, ""]
            meta = []
            if r.spec:
                meta.append(f"stated in [{r.spec.split('#')[0]}](../spec/{r.spec})")
            if r.ksy:
                kfile, _, path = r.ksy.partition("#")
                stem = kfile.removesuffix(".ksy")
                tname = path.split(".")[0] if path else ""
                k = ref.ksys.get(stem)
                if k is not None and tname in k.types:
                    label = ref.type_label(k, tname)
                else:
                    label = f"ksy-{stem}"
                meta.append(f"layout {{ref}}`{cell(r.ksy)} <{label}>`")
            meta.append("the ksy enforces it" if r.kaitai else "beyond what the ksy expresses")
            if r.versions:
                meta.append("versions " + ", ".join(str(v) for v in r.versions))
            if r.errata:
                meta.append("erratum")
            lines += ["; ".join(meta) + ".", ""]
            if r.xen_refuses == "none":
                lines += [
                    f"Xen's restorer tolerates an image that breaks it (`{r.xen_function}`): "
                    "the spec is stricter than Xen here, so such an image is invalid but "
                    "restorable.",
                    "",
                ]
            elif r.xen_refuses:
                lines += [
                    f"Refused by Xen's restore path in releases **{r.xen_refuses}** "
                    f"(`{r.xen_function}`).",
                    "",
                ]
            cs = by_rule.get(r.id, {"y": [], "n": [], "i": []})
            for kind, what in (("y", "accepted"), ("n", "rejected"), ("i", "either")):
                names = cs[kind]
                if names:
                    links = ", ".join(f"{{ref}}`{n} <{case_label(n)}>`" for n in names)
                    lines += [f"- `{kind}_` ({what}, {len(names)}): {links}"]
                else:
                    lines += [f"- `{kind}_` ({what}): none"]
            lines.append("")
    write(GEN / "rules.md", "\n".join(lines))

    # corpus browser: one page per outermost layer
    groups: dict[str, list[dict[str, Any]]] = {}
    for c in cases:
        groups.setdefault(c["layer"], []).append(c)
    idx = [
        "# Corpus browser",
        "",
        f"The {len(cases)} images of `conformance/corpus/`, from its manifest, by "
        "outermost layer. Each case shows its expected verdict, the Xen releases that "
        "restore it (declared by its recipe, with the Xen functions that decide), the "
        "rules it exercises, its tags, size, SHA-256, the octets around its fault (the "
        "manifest's `fault_offset`: where its recipe changed the valid base image; the "
        "first 64 octets when there is none) and a download link.",
        "",
        "| layer | y_ | n_ | i_ |",
        "|---|---|---|---|",
    ]
    toc = []
    for layer, cs in groups.items():
        n = {k: sum(1 for c in cs if c["name"].startswith(k + "_")) for k in "yni"}
        idx.append(f"| [{layer}]({layer}.md) | {n['y']} | {n['n']} | {n['i']} |")
        toc.append(layer)
        page = [
            f"# Corpus: outermost layer `{layer}`",
            "",
            f"{len(cs)} cases. Verdicts: `accept` (y_), `reject` (n_), `either` (i_).",
            "",
        ]
        for c in cs:
            path = ROOT / "conformance" / c["file"]
            data = path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            status = "" if sha == c["sha256"] else " **(differs from the manifest!)**"
            rules_txt = ", ".join(
                f"{{ref}}`{r} <{rule_label(r)}>`" if r in rules else code(r) for r in c["rules"]
            )
            page += [
                f"({case_label(c['name'])})=",
                f"## {c['name']}",
                "",
                c["description"],
                "",
                "| property | value |",
                "|---|---|",
                f"| verdict | **{c['verdict']}** ({c['level']}) |",
                f"| restorable by Xen | **{c.get('restorable', '?')}** "
                f"({', '.join(code(f) for f in c.get('restore_decided_by', []))}) |",
                f"| rules | {rules_txt} |",
                f"| tags | {', '.join(code(t) for t in c['tags'])} |",
                f"| layers | {', '.join(c['layers'])}; version {c['version']}; guest "
                f"{c['guest']} |",
                f"| size | {c['size']} octets |",
                f"| sha256 | `{sha}`{status} |",
                f"| recipe | `{c.get('recipe', '')}` |",
                f"| download | {{download}}`{c['name']}.bin <../../../conformance/{c['file']}>` |",
                "",
                *fault_window(data, c.get("fault_offset")),
            ]
        write(GEN / "corpus" / f"{layer}.md", "\n".join(page))
    idx += ["", "```{toctree}", ":hidden:", "", *toc, "```", ""]
    write(GEN / "corpus" / "index.md", "\n".join(idx))


def fault_window(data: bytes, fault: int | None) -> list[str]:
    """The octets a reader of a case wants to see: 48 before and 64 after the fault
    the manifest declares (``fault_offset``), the fault's octet marked; else the first
    64. Lines stay aligned on 16 so offsets read as in ``xxd``."""
    if fault is None:
        return ["First 64 octets:", "", "```text", hexdump(data[:64]), "```", ""]
    start = max(0, (fault // 16) * 16 - 48)
    end = min(len(data), (fault // 16) * 16 + 64)
    lines = hexdump(data[start:end], base=start).splitlines() if end > start else []
    out: list[str] = []
    for line in lines:
        out.append(line)
        line_off = int(line[:8], 16)
        if line_off <= fault < line_off + 16:
            out.append(" " * (10 + 3 * (fault - line_off)) + f"^^ fault_offset {fault:#x}")
    if fault >= len(data):
        out.append(f"(the image ends here, at {len(data):#x}: fault_offset {fault:#x})")
    head = f"Octets around the fault, at offset {fault:#x} ({fault}):"
    return [head, "", "```text", "\n".join(out), "```", ""]


def hexdump(data: bytes, base: int = 0) -> str:
    out = []
    for off in range(0, len(data), 16):
        chunk = data[off : off + 16]
        hexs = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        out.append(f"{base + off:08x}  {hexs:<47}  |{text}|")
    return "\n".join(out) if out else "(empty file)"


# --------------------------------------------------------------------------
# conformance results
# --------------------------------------------------------------------------


def gen_conformance(extra: Path) -> None:
    html_out = extra / "conformance-matrix.html"
    extra.mkdir(parents=True, exist_ok=True)
    if os.environ.get("XENSAVE_DOCS_SKIP_CONFORMANCE") and html_out.exists():
        r = None
    else:
        r = run([*xensave_cmd(), "conformance", "run", "-q", "--html", str(html_out)])
        if r.returncode not in (0, 1):
            raise RuntimeError("xensave conformance run failed:\n" + r.stdout + r.stderr)
    summary_file = GEN / "conformance-summary.txt"
    if r is not None or not summary_file.exists():
        write(summary_file, (r.stdout.strip() if r is not None else "(not run)") + "\n")
    verdict = (
        "every bundled implementation failed exactly its expected-failure list"
        if r is None or r.returncode == 0
        else "**at least one implementation deviated from its expected-failure list**"
    )
    write(
        GEN / "include" / "conformance-verdict.md", f"In the run made for this build, {verdict}.\n"
    )

    # what the Kaitai lists say
    from xensave.rules import load_rules

    rules = load_rules()
    lines = [
        "| adapter | listed cases | false accepts (`n_` accepted) | false rejects "
        "(`y_` rejected) | rules behind the false accepts |",
        "|---|---|---|---|---|",
    ]
    for name in ("kaitai-python", "kaitai-js"):
        p = ROOT / "conformance" / "expected-failures" / f"{name}.txt"
        entries = [
            ln.split("#")[0].strip()
            for ln in p.read_text().splitlines()
            if ln.split("#")[0].strip()
        ]
        rule_heads = re.findall(r"^# ([A-Z]+-[A-Z]+-\d+) ", p.read_text(), re.M)
        fa = sum(1 for e in entries if e.startswith("n_"))
        fr = sum(1 for e in entries if e.startswith("y_"))
        lines.append(f"| `{name}` | {len(entries)} | {fa} | {fr} | {len(set(rule_heads))} |")
    not_kaitai = [r for r in rules.values() if not r.kaitai and r.subject == "image"]
    by_area: dict[str, int] = {}
    for r in not_kaitai:
        by_area[f"{r.layer} / {r.area}"] = by_area.get(f"{r.layer} / {r.area}", 0) + 1
    lines += [
        "",
        f"Of the {sum(1 for r in rules.values() if r.subject == 'image')} rules about "
        f"images, {len(not_kaitai)} are marked in `spec/rules.toml` as beyond what the "
        "ksy expresses; by layer and area:",
        "",
        "| layer / area | rules |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in sorted(by_area.items())]
    write(GEN / "include" / "kaitai-table.md", "\n".join(lines) + "\n")


# --------------------------------------------------------------------------
# the published matrix as part of the site; downloads; the corpus version
# --------------------------------------------------------------------------

_LINKED = "<!-- xensave-docs: linked -->"


def build_paths() -> list[tuple[str, str]]:
    """Paths of the machine that builds the site, and what a reader sees instead."""
    pairs = [(str(ROOT) + os.sep, ""), (str(ROOT), ".")]
    for exe in {sys.executable, os.path.realpath(sys.executable)}:
        pairs.append((exe, "python"))
    pairs.append((sys.prefix + os.sep, ""))
    return sorted(pairs, key=lambda p: -len(p[0]))


def link_matrix(html_out: Path) -> None:
    """The harness's HTML matrix, published at the site's root, made part of the site:
    each case name links to its corpus page and each rule ID to the rule index, and no
    path of the build machine is shown (the checkout's own paths become relative, the
    Python that ran becomes ``python``)."""
    from docutils.nodes import make_id

    from xensave.rules import load_rules

    html = html_out.read_text(encoding="utf-8")
    if _LINKED in html:
        return
    for old, new in build_paths():
        html = html.replace(old, new)
    rules = set(load_rules())
    manifest = json.loads((ROOT / "conformance" / "manifest.json").read_text())
    layer_of = {c["name"]: c["layer"] for c in manifest["cases"]}

    def case_link(m: re.Match[str]) -> str:
        name = m.group(2)
        if name not in layer_of:
            return m.group(0)
        href = f"_gen/corpus/{layer_of[name]}.html#{make_id(case_label(name))}"
        return f'{m.group(1)}{name} <a class="case-page" href="{href}">case page</a></summary>'

    html = re.sub(r'(<summary class="mono">)([^<]+)</summary>', case_link, html)
    rule_re = re.compile(r"\b([A-Z]+-[A-Z0-9]+-\d{3})\b")

    def rule_links(text: str) -> str:
        return rule_re.sub(
            lambda m: (
                f'<a href="_gen/rules.html#{make_id(rule_label(m.group(1)))}">{m.group(1)}</a>'
                if m.group(1) in rules
                else m.group(1)
            ),
            text,
        )

    parts = re.split(r"(<[^>]*>)", html)
    in_skip = 0
    for i, part in enumerate(parts):
        if part.startswith("<"):
            tag = part[1:].split(None, 1)[0].lower().rstrip(">") if len(part) > 2 else ""
            if tag in ("a", "title", "style", "script", "summary"):
                in_skip += 1
            elif tag in ("/a", "/title", "/style", "/script", "/summary"):
                in_skip -= 1
        elif not in_skip:
            parts[i] = rule_links(part)
    html = "".join(parts).replace("</body>", f"{_LINKED}</body>", 1)
    html_out.write_text(html, encoding="utf-8")


def link_chapters_and_ksy() -> None:
    """Each spec chapter links the layout reference pages of the ksy files its rules
    concern, and each reference page the chapters whose rules concern it (both from
    the catalogue's ``spec`` and ``ksy`` of every rule: nothing listed by hand)."""
    from xensave.rules import load_rules

    pairs: dict[str, set[str]] = {}
    for r in load_rules().values():
        if r.spec and r.ksy:
            chapter = r.spec.split("#")[0].removesuffix(".md")
            pairs.setdefault(chapter, set()).add(r.ksy.split("#")[0].removesuffix(".ksy"))
    chapters = set(plan.spec_chapters())
    ksys = {p.stem for p in plan.ksy_files()}
    by_ksy: dict[str, set[str]] = {}
    for chapter, stems in sorted(pairs.items()):
        stems &= ksys
        if chapter not in chapters or not stems:
            continue
        links = ", ".join(f"[`{k}.ksy`](../_gen/reference/{k}.md)" for k in sorted(stems))
        write(
            plan.SPEC_PAGES / f"{chapter}.md",
            plan.spec_page(chapter) + f"\n**Layout reference of this chapter:** {links}.\n",
        )
        for k in stems:
            by_ksy.setdefault(k, set()).add(chapter)
    for k in sorted(ksys):
        page = GEN / "reference" / f"{k}.md"
        links = ", ".join(f"[{c}](../../spec/{c}.md)" for c in sorted(by_ksy.get(k, ())))
        text = page.read_text(encoding="utf-8").rstrip("\n")
        head, sep, rest = text.partition("\n\n")  # after the label line and the title
        title_end = rest.find("\n\n")
        intro = f'Download: <a href="../../downloads/ksy/{k}.ksy">the ksy source</a>. ' + (
            f"The rules about this layout are stated in {links}." if links else ""
        )
        if title_end >= 0:
            text = f"{head}{sep}{rest[:title_end]}\n\n{intro}{rest[title_end:]}"
        write(page, text + "\n")


def _release_module() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("xensave_release", ROOT / ".ci" / "release.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gen_downloads(extra: Path) -> None:
    """Files a reader can take away, under ``downloads/`` at the site's root: the corpus
    manifest and tarball (the same tarball as ``tox -e release``), the ksy sources and
    the parsers generated from them; the front page's corpus version and the list of
    downloads as includes."""
    release = _release_module()
    version = release.corpus_version()
    down = extra / "downloads"
    shutil.rmtree(down, ignore_errors=True)
    down.mkdir(parents=True)
    tar = release.tarball(down, version)
    manifest = down / f"xensave-corpus-{version}.manifest.json"
    groups: list[tuple[str, str, list[Path]]] = [
        ("ksy", "Kaitai Struct sources (normative layout)", plan.ksy_files()),
        (
            "parsers/python",
            "Python parsers generated from them (need the kaitaistruct runtime)",
            sorted((ROOT / "xensave" / "kaitai").glob("*.py")),
        ),
        (
            "parsers/javascript",
            "JavaScript parsers generated from them (need the kaitai-struct runtime)",
            sorted((ROOT / "conformance" / "adapters" / "kaitai-js" / "generated").glob("*.js")),
        ),
    ]
    kib = tar.stat().st_size // 1024
    lines = [
        f'- <a href="downloads/{tar.name}"><b>{tar.name}</b></a> ({kib} KiB): the corpus '
        "images, `manifest.json`, its schema, the tag list, `SHA256SUMS` and the corpus "
        "README, in one directory `xensave-corpus-" + version + "/`.",
        f'- <a href="downloads/{manifest.name}">{manifest.name}</a>: the manifest alone, '
        "to pin the version or to read the verdicts.",
    ]
    for sub, what, files in groups:
        files = [f for f in files if f.name != "__init__.py"]
        (down / sub).mkdir(parents=True, exist_ok=True)
        links = []
        for f in files:
            shutil.copyfile(f, down / sub / f.name)
            links.append(f'<a href="downloads/{sub}/{f.name}"><code>{f.name}</code></a>')
        lines.append(f"- {what}: " + ", ".join(links))
    write(GEN / "include" / "downloads.md", "\n".join(lines) + "\n")
    cases = len(json.loads((ROOT / "conformance" / "manifest.json").read_text())["cases"])
    write(
        GEN / "include" / "corpus-version.md",
        f"This site documents **corpus version {version}** ({cases} cases) and "
        f"xensave {_package_version()}; the corpus and its manifest are on the "
        "{doc}`/downloads` page, and the {doc}`/changelog` says what each corpus "
        "version changed.\n",
    )


def _package_version() -> str:
    import tomllib

    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


# --------------------------------------------------------------------------
# CLI reference and guide outputs
# --------------------------------------------------------------------------


def gen_cli() -> None:
    cmds = plan.cli_commands()  # every command the parser has, none listed by hand
    lines = [
        "# CLI reference",
        "",
        "The text below is what `xensave … --help` prints, captured when this site was built.",
        "",
    ]
    for c in cmds:
        r = run([*xensave_cmd(), *c, "--help"])
        if r.returncode != 0:
            raise RuntimeError(f"xensave {' '.join(c)} --help failed:\n{r.stderr}")
        title = " ".join(["xensave", *c])
        lines += [f"## `{title}`", "", "```text", r.stdout.rstrip(), "```", ""]
    write(GEN / "cli.md", "\n".join(lines))


def gen_guide_outputs() -> None:
    from xensave import samples

    out = GEN / "guide"
    imgdir = out / "images"
    imgdir.mkdir(parents=True, exist_ok=True)
    valid = {s.name: s for s in samples.valid_samples()}
    broken = {s.name: s for s, _ in samples.broken_samples()}
    chosen = {
        "guest.xl": valid["xl-v3_hvm"].data,
        "pv64.libxc": valid["libxc-v3_x86_64-pv"].data,
        "broken.libxc": broken["libxc_bad-version"].data,
    }
    for name, data in chosen.items():
        (imgdir / name).write_bytes(data)

    def show(args: list[str], fname: str, limit: int = 60) -> None:
        r = subprocess.run([*xensave_cmd(), *args], capture_output=True, text=True, cwd=imgdir)
        text = (r.stdout + r.stderr).rstrip().splitlines()
        if len(text) > limit:
            text = [*text[:limit], f"… ({len(text) - limit} more lines)"]
        body = "\n".join(["$ xensave " + " ".join(args), *text, "$ echo $?", str(r.returncode)])
        write(out / fname, body + "\n")

    # the guide's node testee, judged by the harness on part of the corpus
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is needed to run the guide's testee (docs/guides/testee.js)")
    r = run(
        [
            *xensave_cmd(),
            "conformance",
            "run",
            "-q",
            "--no-html",
            "--persistent-impl",
            "mini=node docs/guides/testee.js",
            "-k",
            "*_libxc-v3_hvm_*",
        ]
    )
    text = r.stdout.rstrip().splitlines()
    keep = text[:14] + (["…"] if len(text) > 20 else []) + text[-6:]
    write(
        out / "testee-run.txt",
        "$ xensave conformance run --persistent-impl 'mini=node docs/guides/testee.js' "
        "-k '*_libxc-v3_hvm_*'\n" + "\n".join(keep) + f"\n$ echo $?\n{r.returncode}\n",
    )

    show(["verify", "guest.xl"], "verify.txt")
    show(["verify", "broken.libxc"], "verify-broken.txt")
    show(["verify", "--json", "broken.libxc"], "verify-json.txt")
    show(["dump", "guest.xl"], "dump.txt", limit=80)
    show(["convert", "--help"], "convert-help.txt", limit=40)
    # a v3 -> v2 conversion, then verify the result
    for f in imgdir.glob("pv64-v2.libxc"):
        f.unlink()
    conv_help = run([*xensave_cmd(), "convert", "--help"]).stdout
    if "--to" in conv_help:
        show(["convert", "--to", "libxc-v2", "pv64.libxc", "pv64-v2.libxc"], "convert.txt")
    else:
        write(out / "convert.txt", "(this build of xensave has no --to option)\n")
    # could an older Xen restore the v3 sample, and what did the conversion change?
    show(["verify", "--target-xen", "4.13", "guest.xl"], "verify-target.txt")
    if (imgdir / "pv64-v2.libxc").is_file():
        show(["diff", "pv64.libxc", "pv64-v2.libxc"], "diff.txt", limit=40)
    else:
        write(out / "diff.txt", "(no converted image to compare)\n")
    # a legacy (Xen <= 4.5) image from the corpus, converted to libxc v3 and verified
    manifest = json.loads((ROOT / "conformance" / "manifest.json").read_text())
    legacy = [
        c
        for c in manifest["cases"]
        if c["name"].startswith("y_legacy-")
        and "x86_64-pv" in c["name"]
        and "checkpointed" not in c["tags"]
        and "remus" not in c["name"]
    ]
    if not legacy:
        raise RuntimeError("no valid legacy x86_64 PV case in the corpus for the guide")
    shutil.copyfile(ROOT / "conformance" / legacy[0]["file"], imgdir / "old.legacy")
    for f in imgdir.glob("new.libxc"):
        f.unlink()
    write(out / "legacy-source.txt", f"old.legacy is the corpus case {legacy[0]['name']}\n")
    show(["verify", "old.legacy"], "legacy-verify.txt")
    show(["convert", "--to", "libxc-v3", "old.legacy", "new.libxc"], "legacy-convert.txt")
    show(["verify", "new.libxc"], "legacy-verify-new.txt")


# --------------------------------------------------------------------------


def gen_spec() -> None:
    """One page per spec chapter (an include of it) and the landing page's toctree
    of them, so a chapter added to spec/ is published without editing docs/."""
    chapters = plan.spec_chapters()
    for stem in chapters:
        write(plan.SPEC_PAGES / f"{stem}.md", plan.spec_page(stem))
    write(DOCS / plan.SPEC_TOCTREE, plan.spec_toctree(chapters))


def gen_coverage() -> None:
    """The corpus coverage page: rules x cells (xensave.conformance.coverage)."""
    from xensave.conformance.coverage import coverage, render_markdown
    from xensave.conformance.manifest import load_manifest

    cases = load_manifest(ROOT / "conformance" / "manifest.json").cases
    write(GEN / "coverage.md", render_markdown(coverage(cases)))


def generate(app: Any, config: Any) -> None:
    sys.path.insert(0, str(ROOT))
    GEN.mkdir(exist_ok=True)
    gen_spec()
    ref = gen_reference()
    link_chapters_and_ksy()
    gen_rules_and_corpus(ref)
    gen_coverage()
    gen_conformance(GEN / "_extra")
    link_matrix(GEN / "_extra" / "conformance-matrix.html")
    gen_downloads(GEN / "_extra")
    gen_cli()
    gen_guide_outputs()
    # pages of a ksy, layer or command that no longer exists must not linger
    for page in [*GEN.rglob("*.md"), *plan.SPEC_PAGES.glob("*.md")]:
        if page.resolve() not in _WRITTEN:
            page.unlink()


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", generate)
    app.add_transform(RawAnchors)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
