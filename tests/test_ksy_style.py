"""The ksy files follow the Kaitai style guide and the project's own rules.

The style guide: https://doc.kaitai.io/ksy_style_guide.html (key order, ids, docs).
The project adds: a doc on everything (fields, instances, params, types, enum
values), MIT licence, quoted ks-version, relative imports, no bare YAML integer of
2^31 or more (JavaScript), no bit field wider than 32 bits, a `valid` (or
`contents`) on every magic, version, reserved and padding field, links to the
spec (the top-level doc names the chapter; every type's `doc-ref` names a
section that exists, as the Kaitai format gallery's files point at their
specifications), and no name that some compiler target cannot compile.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
KSY_DIR = ROOT / "ksy"
KSY_FILES = sorted(KSY_DIR.glob("*.ksy"))
EXPECTED = {
    "xen_libxc_stream",
    "xen_libxl_stream",
    "xen_xl_save_file",
    "xen_legacy_libxc_image",
    "xen_legacy_libxl_toolstack",
    "xen_legacy_xl_save_file",
    "xen_xend_save_file",
    "xen_hvm_context",
    "xen_pv_vcpu_context",
}

# snake_case with no underscore before a digit: the generated JavaScript spells
# ids in lowerCamelCase, and dump.js turns them back; `a_1` would not round-trip.
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z][a-z0-9]*)*$")

META_ORDER = [
    "id",
    "title",
    "application",
    "file-extension",
    "xref",
    "tags",
    "license",
    "ks-version",
    "imports",
    "encoding",
    "endian",
    "bit-endian",
]
TYPE_ORDER = ["meta", "doc", "doc-ref", "to-string", "params", "seq", "instances", "types", "enums"]
ATTR_ORDER = [
    "id",
    "-orig-id",
    "io",
    "pos",
    "value",
    "size",
    "size-eos",
    "type",
    "enum",
    "terminator",
    "include",
    "consume",
    "eos-error",
    "pad-right",
    "encoding",
    "process",
    "valid",
    "contents",
    "repeat",
    "repeat-expr",
    "repeat-until",
    "if",
    "doc",
    "doc-ref",
]
#: Fields whose ids say they hold fixed values; each needs `valid` or `contents`.
MUST_VALIDATE = re.compile(r"^(magic\d*|marker|version|reserved\w*|padding|byteorder)$")


@cache
def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: not a YAML mapping"
    return data


def walk_types(spec: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every type spec (the top level included) with a readable path."""
    yield path or "/", spec
    for name, sub in (spec.get("types") or {}).items():
        yield from walk_types(sub, f"{path}/types/{name}")


def all_enums(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[Any, Any]]]:
    for tpath, t in walk_types(spec):
        for name, values in (t.get("enums") or {}).items():
            yield tpath, name, values


def attrs(t: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for i, a in enumerate(t.get("seq") or []):
        yield f"seq/{i}({a.get('id')})", a
    for name, a in (t.get("instances") or {}).items():
        yield f"instances/{name}", a


def in_order(keys: list[str], order: list[str]) -> bool:
    known = [k for k in keys if k in order]
    return known == sorted(known, key=order.index)


def all_scalars(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield f"{where}/{k}(key)", k
            yield from all_scalars(v, f"{where}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from all_scalars(v, f"{where}[{i}]")
    else:
        yield where, node


@pytest.fixture(params=KSY_FILES, ids=[p.name for p in KSY_FILES])
def ksy(request: pytest.FixtureRequest) -> tuple[Path, dict[str, Any]]:
    path: Path = request.param
    return path, load(path)


def test_the_three_layers_are_there() -> None:
    assert {p.stem for p in KSY_FILES} == EXPECTED


def test_meta_is_complete(ksy: tuple[Path, dict[str, Any]]) -> None:
    path, spec = ksy
    meta = spec["meta"]
    assert meta["id"] == path.stem
    for key in ("title", "application", "file-extension", "license", "ks-version", "endian"):
        assert meta.get(key), f"{path.name}: meta/{key} missing"
    assert meta["license"] == "MIT"
    assert meta["ks-version"] == "0.11" and isinstance(meta["ks-version"], str)
    assert re.search(r"^  ks-version: '0\.11'$", path.read_text(), re.M), (
        "ks-version must be quoted"
    )
    assert in_order(list(meta), META_ORDER), f"{path.name}: meta keys out of order: {list(meta)}"
    assert set(meta) <= set(META_ORDER), f"{path.name}: unexpected meta keys"
    for imp in meta.get("imports") or []:
        assert not imp.startswith("/") and "/" not in imp, f"{path.name}: import {imp} not relative"
        assert (KSY_DIR / f"{imp}.ksy").is_file()
    assert spec.get("doc") and spec.get("doc-ref"), f"{path.name}: top-level doc / doc-ref"


def test_file_is_plain_yaml(ksy: tuple[Path, dict[str, Any]]) -> None:
    path, _ = ksy
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") and "\r" not in text and "\t" not in text
    assert not text.startswith("---") and not text.startswith("%")


def test_types_have_docs_and_order(ksy: tuple[Path, dict[str, Any]]) -> None:
    path, spec = ksy
    for tpath, t in walk_types(spec):
        keys = list(t)
        assert in_order(keys, TYPE_ORDER), f"{path.name}{tpath}: sections out of order: {keys}"
        assert t.get("doc"), f"{path.name}{tpath}: no doc"
        for name in t.get("types") or {}:
            assert SNAKE.match(name), f"{path.name}{tpath}: type id {name}"
        for p in t.get("params") or []:
            assert SNAKE.match(p["id"]), f"{path.name}{tpath}: param id {p['id']}"
            assert p.get("doc"), f"{path.name}{tpath}: param {p['id']} has no doc"


def test_fields_and_instances_have_docs_ids_and_order(ksy: tuple[Path, dict[str, Any]]) -> None:
    path, spec = ksy
    for tpath, t in walk_types(spec):
        for where, a in attrs(t):
            loc = f"{path.name}{tpath}/{where}"
            if where.startswith("seq/"):
                assert "id" in a and SNAKE.match(a["id"]), f"{loc}: id"
            else:
                assert SNAKE.match(where.split("/", 1)[1]), f"{loc}: id"
            assert a.get("doc"), f"{loc}: no doc"
            assert in_order(list(a), ATTR_ORDER), f"{loc}: keys out of order: {list(a)}"
            assert set(a) <= set(ATTR_ORDER), f"{loc}: unexpected keys {set(a) - set(ATTR_ORDER)}"


def test_fixed_fields_are_validated(ksy: tuple[Path, dict[str, Any]]) -> None:
    path, spec = ksy
    for tpath, t in walk_types(spec):
        for a in t.get("seq") or []:
            if MUST_VALIDATE.match(a["id"]):
                assert "valid" in a or "contents" in a, f"{path.name}{tpath}: {a['id']} unchecked"


def test_enum_values_have_ids_and_docs(ksy: tuple[Path, dict[str, Any]]) -> None:
    path, spec = ksy
    for tpath, name, values in all_enums(spec):
        assert SNAKE.match(name), f"{path.name}{tpath}: enum id {name}"
        assert values, f"{path.name}: enum {name} is empty"
        for value, entry in values.items():
            loc = f"{path.name}{tpath}/enums/{name}/{value}"
            assert isinstance(value, int) and not isinstance(value, bool), loc
            assert isinstance(entry, dict), f"{loc}: needs the long form with a doc"
            assert SNAKE.match(entry["id"]), f"{loc}: id {entry['id']}"
            assert entry.get("doc"), f"{loc}: no doc"


def test_no_bare_integer_of_2_pow_31_or_more(ksy: tuple[Path, dict[str, Any]]) -> None:
    path, spec = ksy
    for where, value in all_scalars(spec):
        if isinstance(value, int) and not isinstance(value, bool):
            assert -(1 << 31) <= value < (1 << 31), f"{path.name}{where}: bare {value}"


def test_no_bit_field_wider_than_32(ksy: tuple[Path, dict[str, Any]]) -> None:
    path, spec = ksy
    for tpath, t in walk_types(spec):
        for where, a in attrs(t):
            m = re.fullmatch(r"b(\d+)(le|be)?", str(a.get("type", "")))
            if m:
                assert int(m.group(1)) <= 32, f"{path.name}{tpath}/{where}: {a['type']}"


def test_enums_are_used(ksy: tuple[Path, dict[str, Any]]) -> None:
    path, spec = ksy
    text = path.read_text()
    for _, name, _ in all_enums(spec):
        assert re.search(rf"enum: {name}$", text, re.M), f"{path.name}: enum {name} unused"


# --- names that some compiler targets cannot compile ----------------------------------


def upper_camel(name: str) -> str:
    """The compiler's UpperCamelCase of an id: the C# and Java class and property name."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def name_clashes(spec: dict[str, Any], chain: tuple[str, ...] = ()) -> Iterator[str]:
    """Clashes C# (and for nesting, Java) refuses, within each type: a member (field,
    instance, parameter) named like a nested type or enum or like the type itself,
    two nested types or enums spelled alike, a type named like one enclosing it."""
    chain = chain or (spec["meta"]["id"],)
    where = "::".join(chain)
    members = [a["id"] for a in spec.get("seq") or [] if "id" in a]
    members += list(spec.get("instances") or {})
    members += [p["id"] for p in spec.get("params") or []]
    nested = [*(spec.get("types") or {}), *(spec.get("enums") or {})]
    for m in members:
        for n in nested:
            if upper_camel(m) == upper_camel(n):
                yield f"{where}: {m} and nested {n} are both {upper_camel(m)}"
        if upper_camel(m) == upper_camel(chain[-1]):
            yield f"{where}: {m} is named like its own type"
    seen: dict[str, str] = {}
    for n in nested:
        if upper_camel(n) in seen:
            yield f"{where}: nested {seen[upper_camel(n)]} and {n} are both {upper_camel(n)}"
        seen[upper_camel(n)] = n
    for n, sub in (spec.get("types") or {}).items():
        if upper_camel(n) in {upper_camel(c) for c in chain}:
            yield f"{where}: type {n} is named like a type enclosing it"
        yield from name_clashes(sub, (*chain, n))


def test_no_name_that_a_target_cannot_compile(ksy: tuple[Path, dict[str, Any]]) -> None:
    path, spec = ksy
    assert list(name_clashes(spec)) == [], path.name


CLASHING = """\
meta:
  id: clash
seq:
  - id: header
    type: header
  - id: clash
    type: u1
types:
  header:
    seq:
      - id: body
        type: u1
    types:
      header:
        seq: []
    enums:
      body:
        0: zero
"""


def test_the_name_lint_catches_each_clash() -> None:
    found = list(name_clashes(yaml.safe_load(CLASHING)))
    assert len(found) == 4, found
    assert any("header and nested header" in f for f in found)
    assert any("clash is named like its own type" in f for f in found)
    assert any("clash::header: body and nested body" in f for f in found)
    assert any("type header is named like a type enclosing it" in f for f in found)


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_ksc_js_lints_the_same(tmp_path: Path) -> None:
    """generators/ksc.js holds its own copy of the lint (the regen environment has
    no pytest); it passes ksy/ and refuses the same planted clashes."""
    ksc = [str(shutil.which("node")), str(ROOT / "generators" / "ksc.js"), "--lint"]
    ok = subprocess.run(ksc, capture_output=True, text=True, cwd=ROOT, check=False)
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "clash.ksy"
    bad.write_text(CLASHING)
    r = subprocess.run([*ksc, str(bad)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert r.returncode == 1
    lines = [x for x in r.stderr.splitlines() if x.startswith("clash.ksy: ")]
    assert len(lines) == 4, r.stderr
    assert "clash: field `header` and type `header`" in r.stderr
    assert "clash::header: field `body` and enum `body`" in r.stderr


# --- links to the spec ------------------------------------------------------------------

SPEC_DIR = ROOT / "spec"
#: a doc-ref into the spec: a chapter and a section anchor, from the repository root
SPEC_REF = re.compile(r"^spec/(?P<chapter>[a-z0-9-]+\.md)#(?P<anchor>[\w-]+)$")
#: headings at this level or above get an anchor (docs/conf.py's myst_heading_anchors)
HEADING_ANCHOR_LEVELS = 3


def heading_slug(title: str) -> str:
    """The anchor MyST gives a heading, as GitHub does: lower case, spaces to
    hyphens, every character that is not a word character, hyphen or space
    dropped (myst_parser's default_slugify). Markup is dropped first: MyST
    slugs the heading's text and inline code, not the backticks or link targets."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # [text](target) -> text
    text = text.replace("`", "").replace("*", "")
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", text.lower().replace(" ", "-"))


@cache
def heading_anchors(chapter: str) -> frozenset[str]:
    """The anchors of a chapter's headings; a repeated heading gets -1, -2, ... as in MyST."""
    seen: set[str] = set()
    fence = None
    for line in (SPEC_DIR / chapter).read_text(encoding="utf-8").splitlines():
        m = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1).startswith(fence):
                fence = None
            continue
        h = re.match(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+\s*)?$", line)
        if fence is None and h and len(h.group(1)) <= HEADING_ANCHOR_LEVELS:
            base = slug = heading_slug(h.group(2).strip())
            n = 1
            while slug in seen:
                slug, n = f"{base}-{n}", n + 1
            seen.add(slug)
    return frozenset(seen)


def doc_refs(t: dict[str, Any]) -> list[str]:
    ref = t.get("doc-ref")
    return [] if ref is None else [ref] if isinstance(ref, str) else list(ref)


def spec_refs(t: dict[str, Any]) -> list[re.Match[str]]:
    return [m for r in doc_refs(t) if (m := SPEC_REF.match(r))]


def test_heading_slug_follows_myst() -> None:
    assert heading_slug("X86_PV_VCPU_BASIC, _EXTENDED, _XSAVE, _MSRS") == (
        "x86_pv_vcpu_basic-_extended-_xsave-_msrs"
    )
    assert heading_slug("libxl's toolstack record") == "libxls-toolstack-record"
    assert heading_slug("The legacy image (Xen 4.5 and older)") == (
        "the-legacy-image-xen-45-and-older"
    )
    assert heading_slug("`xl` and [the spec](README.md)") == "xl-and-the-spec"
    conf = (ROOT / "docs" / "conf.py").read_text(encoding="utf-8")
    assert f"myst_heading_anchors = {HEADING_ANCHOR_LEVELS}\n" in conf
    myst = pytest.importorskip("myst_parser.mdit_to_docutils.base")  # the docs extra
    for chapter in sorted(p.name for p in SPEC_DIR.glob("*.md")):
        for line in (SPEC_DIR / chapter).read_text(encoding="utf-8").splitlines():
            h = re.match(r"^#{1,3} ([^`\[*]*)$", line)
            if h:
                assert heading_slug(h.group(1)) == myst.default_slugify(h.group(1)), line


def test_repeated_headings_are_numbered() -> None:
    # spec/xl-file.md has "Optional data" under Layout and again under Rules
    assert {"optional-data", "optional-data-1"} <= heading_anchors("xl-file.md")


def test_top_level_doc_names_the_chapter(ksy: tuple[Path, dict[str, Any]]) -> None:
    path, spec = ksy
    refs = spec_refs(spec)
    assert refs, f"{path.name}: the top-level doc-ref names no spec section"
    chapter = f"spec/{refs[0]['chapter']}"
    assert chapter in spec["doc"], f"{path.name}: the top-level doc does not name {chapter}"
    assert re.search(rf"`?ksy/{path.name}`?", (SPEC_DIR / refs[0]["chapter"]).read_text()), (
        f"{chapter} does not name ksy/{path.name} back"
    )


def test_every_type_links_to_its_spec_section(ksy: tuple[Path, dict[str, Any]]) -> None:
    path, spec = ksy
    for tpath, t in walk_types(spec):
        assert spec_refs(t), f"{path.name}{tpath}: no doc-ref to spec/<chapter>.md#<section>"


def test_every_spec_doc_ref_resolves(ksy: tuple[Path, dict[str, Any]]) -> None:
    path, spec = ksy
    for tpath, t in walk_types(spec):
        for ref in doc_refs(t):
            loc = f"{path.name}{tpath}: doc-ref {ref}"
            if ref.startswith("http"):
                continue
            m = SPEC_REF.match(ref)
            assert m, f"{loc}: neither a URL nor spec/<chapter>.md#<section>"
            assert (SPEC_DIR / m["chapter"]).is_file(), f"{loc}: no such chapter"
            assert m["anchor"] in heading_anchors(m["chapter"]), f"{loc}: no such heading"
