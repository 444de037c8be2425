"""The rules catalogue, the spec chapters and the ksy must not drift apart.

Every rule lives in two places (a line in a chapter, a table in
``spec/rules.toml``) and may point into a third (the ksy). These tests hold
the three together.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from xensave.rules import Level, Rule, load_rules, parse_catalogue, rule

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec"
KSY = ROOT / "ksy"

ID_RE = re.compile(r"^(XLF|XL|XC|LVF|XAPI|IMG|LEG|PV|HVM|XEND)-[A-Z0-9]+-\d{3}$")
LAYER_OF_PREFIX = {
    "XLF": "xl-file",
    "XL": "libxl",
    "XC": "libxc",
    "LVF": "libvirt",
    "XAPI": "xapi",
    "IMG": "image",
    "LEG": "legacy",
    "HVM": "libxc",
    "PV": "libxc",
    "XEND": "xend",
}
# A rule line: anchor, bold ID, level in parentheses, then the rule text.
RULE_LINE_RE = re.compile(
    r"^<a id=\"(?P<anchor>[a-z0-9-]+)\"></a>\*\*(?P<id>[A-Z]+-[A-Z0-9]+-\d{3})\*\* "
    r"\((?P<level>MUST|SHOULD|MAY)\): (?P<text>\S.*)$"
)
# Anything that looks like a bold rule ID, to catch malformed rule lines.
BOLD_ID_RE = re.compile(r"\*\*[A-Z]+-[A-Z0-9]+-\d{3}\*\*")
KSY_POINTER_RE = re.compile(
    r"^(?P<file>[a-z0-9_]+\.ksy)#(?P<type>[a-z0-9_]+)(?:\.(?P<field>[a-z0-9_]+))?$"
)

RULES = load_rules()


def chapters() -> list[Path]:
    """Every spec chapter; README.md explains conventions and holds no rules."""
    return sorted(p for p in SPEC.glob("*.md") if p.name != "README.md")


@cache
def rule_lines() -> list[tuple[str, int, re.Match[str]]]:
    """(chapter, line number, match) for every rule line outside code fences."""
    found: list[tuple[str, int, re.Match[str]]] = []
    for path in chapters():
        in_fence = False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("```"):
                in_fence = not in_fence
                continue
            if in_fence or not BOLD_ID_RE.search(line):
                continue
            match = RULE_LINE_RE.match(line)
            assert match, f"{path.name}:{number}: malformed rule line: {line[:100]}"
            found.append((path.name, number, match))
    return found


# --- the catalogue itself ---------------------------------------------------


def test_catalogue_is_not_empty() -> None:
    assert len(RULES) >= 100


@pytest.mark.parametrize("r", RULES.values(), ids=list(RULES))
def test_rule_fields_are_valid(r: Rule) -> None:
    assert ID_RE.match(r.id), r.id
    assert r.layer == LAYER_OF_PREFIX[r.id.split("-")[0]]
    assert isinstance(r.level, Level)
    assert r.subject in ("image", "reader", "writer")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.area), r.area
    assert r.summary.strip() == r.summary and r.summary and "\n" not in r.summary
    assert r.spec == f"{r.spec.split('#')[0]}#{r.id.lower()}"
    assert (SPEC / r.spec.split("#")[0]).is_file(), r.spec
    assert r.ksy == "" or KSY_POINTER_RE.match(r.ksy), r.ksy
    assert not (r.kaitai and not r.ksy), "kaitai = true needs a ksy pointer"
    assert not (r.kaitai and r.subject != "image"), "only image rules can be enforced by the ksy"
    if r.versions:
        assert r.layer == "libxc", "versions are libxc stream versions"
        assert set(r.versions) <= {2, 3}


def test_every_table_has_every_required_key() -> None:
    import tomllib

    data = tomllib.loads((SPEC / "rules.toml").read_text(encoding="utf-8"))
    required = {"id", "level", "layer", "area", "subject", "summary", "ksy", "kaitai", "spec"}
    for table in data["rule"]:
        assert required <= set(table), f"{table.get('id')}: missing {required - set(table)}"


def test_ids_are_unique_in_the_file() -> None:
    # parse_catalogue would refuse duplicates; count the raw text too, so a
    # duplicate cannot hide behind a loader change.
    text = (SPEC / "rules.toml").read_text(encoding="utf-8")
    ids = re.findall(r'^id = "([^"]+)"$', text, flags=re.M)
    assert len(ids) == len(RULES)
    assert [i for i, n in Counter(ids).items() if n > 1] == []


# --- catalogue and chapters ---------------------------------------------------


def test_every_rule_line_is_in_the_catalogue_with_the_same_level() -> None:
    for chapter, number, m in rule_lines():
        rid = m["id"]
        assert rid in RULES, f"{chapter}:{number}: {rid} is not in spec/rules.toml"
        assert m["anchor"] == rid.lower(), f"{chapter}:{number}: anchor must be {rid.lower()}"
        assert m["level"] == RULES[rid].level, (
            f"{chapter}:{number}: {rid} is {m['level']} in prose, {RULES[rid].level} in catalogue"
        )
        assert RULES[rid].spec == f"{chapter}#{rid.lower()}", f"{rid}: spec points elsewhere"


def test_every_catalogue_rule_has_exactly_one_rule_line() -> None:
    counts = Counter(m["id"] for _, _, m in rule_lines())
    missing = [rid for rid in RULES if counts[rid] == 0]
    repeated = [rid for rid, n in counts.items() if n > 1]
    assert missing == [], f"rules with no line in any chapter: {missing}"
    assert repeated == [], f"rules with more than one line: {repeated}"


def test_prose_keyword_matches_level() -> None:
    # The rule text should use its own key word, so a reader of the prose
    # and a reader of the catalogue see the same strength.
    for chapter, number, m in rule_lines():
        assert m["level"] in m["text"], f"{chapter}:{number}: {m['id']} text lacks {m['level']}"


# --- catalogue and ksy --------------------------------------------------------


@cache
def load_ksy(name: str) -> dict[str, Any]:
    data = yaml.safe_load((KSY / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def ksy_types(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """All types of a ksy by name, the root type under its meta id, nested types included."""
    found: dict[str, dict[str, Any]] = {spec["meta"]["id"]: spec}

    def walk(node: dict[str, Any]) -> None:
        for tname, tspec in (node.get("types") or {}).items():
            found[tname] = tspec
            walk(tspec)

    walk(spec)
    return found


def ksy_field(tspec: dict[str, Any], field: str) -> dict[str, Any] | None:
    for attr in tspec.get("seq") or []:
        if attr.get("id") == field:
            return dict(attr)
    instance = (tspec.get("instances") or {}).get(field)
    return dict(instance) if instance is not None else None


POINTED = [r for r in RULES.values() if r.ksy]


@pytest.mark.parametrize("r", POINTED, ids=[r.id for r in POINTED])
def test_ksy_pointer_resolves(r: Rule) -> None:
    m = KSY_POINTER_RE.match(r.ksy)
    assert m, r.ksy
    assert (KSY / m["file"]).is_file(), f"{r.id}: no file ksy/{m['file']}"
    types = ksy_types(load_ksy(m["file"]))
    assert m["type"] in types, f"{r.id}: no type {m['type']} in {m['file']}"
    if m["field"]:
        field = ksy_field(types[m["type"]], m["field"])
        assert field is not None, f"{r.id}: no field {m['type']}.{m['field']} in {m['file']}"
        if r.kaitai:
            assert "valid" in field or "contents" in field, (
                f"{r.id}: kaitai = true but {m['type']}.{m['field']} has no valid/contents"
            )
    else:
        assert not r.kaitai, f"{r.id}: kaitai = true needs a field, not a whole type"


# --- the loader ---------------------------------------------------------------


def test_rule_lookup() -> None:
    assert rule("XC-PAGE-004").level is Level.MUST
    assert rule("XC-PAGE-004") is RULES["XC-PAGE-004"]
    assert load_rules() is load_rules()


def test_unknown_rule_raises_key_error_naming_the_id() -> None:
    with pytest.raises(KeyError, match="XC-NOPE-999"):
        rule("XC-NOPE-999")


def test_versions_gate_rules() -> None:
    assert rule("XC-SDE-002").applies_to_version(3)
    assert not rule("XC-SDE-002").applies_to_version(2)
    assert rule("XC-PAGE-004").applies_to_version(2)


TABLE = """
[[rule]]
id = "XC-TEST-001"
level = "MUST"
layer = "libxc"
area = "test"
subject = "image"
summary = "s"
ksy = ""
kaitai = false
spec = "libxc-stream.md#xc-test-001"
"""


def test_parse_catalogue_accepts_a_minimal_rule() -> None:
    parsed = parse_catalogue(TABLE)
    assert parsed["XC-TEST-001"].versions == ()
    assert parsed["XC-TEST-001"].errata is False


@pytest.mark.parametrize(
    "text",
    [
        TABLE + TABLE,  # duplicate ID
        TABLE.replace('level = "MUST"', 'level = "MUST NOT"'),
        TABLE.replace('layer = "libxc"', 'layer = "xen"'),
        TABLE.replace('subject = "image"', 'subject = "checker"'),
        TABLE.replace("kaitai = false\n", ""),
        TABLE.replace("kaitai = false", 'kaitai = "no"'),
        TABLE + "versions = 3\n",
        TABLE + "colour = 1\n",
        TABLE + 'xen_refuses = "4.6-"\n',  # without xen_function
        TABLE + 'xen_function = "tools/x.c:f"\n',  # without xen_refuses
        TABLE + 'xen_refuses = "from 4.6"\nxen_function = "tools/x.c:f"\n',
        TABLE + 'xen_refuses = "4.6-,"\nxen_function = "tools/x.c:f"\n',
    ],
)
def test_parse_catalogue_rejects_bad_entries(text: str) -> None:
    with pytest.raises(ValueError, match="rules catalogue"):
        parse_catalogue(text)


# --- what Xen does with each image rule (notes/rules-xen-keys convention) ----

IMAGE_RULES = [r for r in RULES.values() if r.subject == "image"]
# FILE:FUNCTION in Xen's tree; a wrapper's reader (outside Xen) is prefixed "libvirt:"/"xenopsd:"
FUNCTION_RE = re.compile(
    r"^((libvirt|xenopsd):)?[a-z][A-Za-z0-9_./-]*/[A-Za-z0-9_.-]+:[A-Za-z_]\w*$"
)


@pytest.mark.parametrize("r", IMAGE_RULES, ids=[r.id for r in IMAGE_RULES])
def test_every_image_rule_says_what_xen_does(r: Rule) -> None:
    assert r.xen_refuses, f"{r.id}: no xen_refuses"
    assert r.xen_function, f"{r.id}: no xen_function"


@pytest.mark.parametrize("r", [r for r in RULES.values() if r.xen_refuses], ids=lambda r: r.id)
def test_xen_keys_are_well_formed(r: Rule) -> None:
    from xensave.target import FIRST_RELEASE, LAST_RELEASE, release_set

    assert r.subject == "image", f"{r.id}: only image rules say what Xen does"
    releases = release_set(r.xen_refuses)  # raises for a bad range or release
    assert all(FIRST_RELEASE <= x <= LAST_RELEASE for x in releases)
    assert (r.xen_refuses == "none") == (not releases)
    assert FUNCTION_RE.match(r.xen_function), f"{r.id}: {r.xen_function!r} is not FILE:FUNCTION"


def _rule_prose(r: Rule) -> str:
    """The rule's line in its chapter and what follows up to the next rule line."""
    chapter = (SPEC / r.spec.split("#")[0]).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(chapter) if f"**{r.id}**" in line)
    end = next(
        (
            i
            for i in range(start + 1, len(chapter))
            if BOLD_ID_RE.match(chapter[i].split("</a>")[-1])
        ),
        len(chapter),
    )
    return "\n".join(chapter[start:end])


TOLERATED = [r for r in RULES.values() if r.xen_refuses == "none"]


@pytest.mark.parametrize("r", TOLERATED, ids=[r.id for r in TOLERATED])
def test_a_rule_xen_tolerates_says_so_in_its_chapter(r: Rule) -> None:
    assert "tolerates" in _rule_prose(r), f"{r.id}: its prose must say Xen's restorer tolerates it"


@pytest.mark.parametrize(
    "rid",
    ["XC-HDR-005", "XC-REC-002", "XL-REC-002", "XC-END-001", "XC-SDE-001", "XC-VER-001",
     "XL-END-001", "XC-ORD-003", "XL-END-003", "XC-END-003"],
)  # fmt: skip
def test_rules_stricter_than_xen_on_purpose(rid: str) -> None:
    """Issue 14: reserved fields, padding, bodies on END/STATIC_DATA_END/VERIFY,
    XC-ORD-003 and XL-END-003 are spec MUSTs Xen's restore path does not enforce."""
    r = rule(rid)
    assert r.level == Level.MUST and r.xen_refuses == "none"


# --- cells: where each image rule applies -------------------------------------

PV_GUESTS = {"x86_32-pv", "x86_64-pv"}
#: What each chapter allows a rule's cells to claim (its section's scope).
CHAPTER_CELLS: dict[str, dict[str, set[str]]] = {
    "pv-context.md": {"guests": PV_GUESTS},
    "hvm-context.md": {"guests": {"hvm"}},
    "legacy.md": {
        "streams": {"legacy", "legacy-32", "legacy-64"},
        "outer": {"legacy", "xl", "libvirt", "xapi"},
    },
    "libxc-stream.md": {"streams": {"v2", "v3"}},
    "libxl-stream.md": {"streams": {"v2", "v3"}, "outer": {"libxl", "xl", "libvirt", "xapi"}},
    "xl-file.md": {"outer": {"xl"}},
}


@pytest.mark.parametrize("r", [r for r in RULES.values() if r.subject == "image"], ids=str)
def test_cells_within_the_chapter(r: Rule) -> None:
    """A rule cannot claim a cell its chapter's scope excludes (a PV-context rule on
    an HVM guest, a legacy rule in a v3 stream, an xl-file rule in bare libxc)."""
    chapter = r.spec.split("#")[0]
    allowed = CHAPTER_CELLS.get(chapter, {})
    assert r.guests and r.streams and r.outer
    for key, values in allowed.items():
        got = set(getattr(r, key))
        assert got <= values, f"{r.id} ({chapter}) claims {key} {sorted(got - values)}"
    if r.versions:
        assert set(r.streams) == {f"v{v}" for v in r.versions}, r.id
    if r.layer == "libvirt":
        assert r.outer == ("libvirt",), r.id
    if r.layer == "xapi":
        assert r.outer == ("xapi",), r.id


@pytest.mark.parametrize(
    ("words", "guests"),
    [("x86 HVM stream", {"hvm"}), ("x86 PV stream", PV_GUESTS), ("x86 PV", PV_GUESTS)],
)
def test_cells_follow_the_guest_the_summary_names(words: str, guests: set[str]) -> None:
    """A rule whose text says it is about one guest type's stream applies to that type
    only ("No emulator record appears in a stream whose libxc domain type is x86 PV")."""
    named = [
        r for r in RULES.values() if r.subject == "image" and r.summary.rstrip(".").endswith(words)
    ]
    for r in named:
        assert set(r.guests) == guests, f"{r.id}: {r.summary}"


def test_cells_lines_are_last_in_their_table() -> None:
    """A ``cells`` line closes its table (other keys are edited by other hands)."""
    tables = (SPEC / "rules.toml").read_text(encoding="utf-8").split("[[rule]]")[1:]
    for t in tables:
        lines = [ln for ln in t.strip().splitlines() if ln and not ln.startswith("#")]
        for i, ln in enumerate(lines):
            if ln.startswith("cells ="):
                assert i == len(lines) - 1, lines[0]


def test_cells_table_matches_the_defaults() -> None:
    """The explicit lines exist only where the defaults by area are wrong, and the
    loader reads them: XC-GUEST-002 (no HVM record in a PV stream) is PV-only though
    its area covers every guest."""
    assert RULES["XC-GUEST-002"].guests == ("x86_32-pv", "x86_64-pv")
    assert RULES["XC-GUEST-001"].guests == ("hvm",)
    assert RULES["XL-EMU-004"].guests == ("x86_32-pv", "x86_64-pv")
    assert RULES["XL-EMU-001"].guests == ("hvm",)
    assert RULES["XC-SDE-002"].streams == ("v3",)
    text = (
        (SPEC / "rules.toml")
        .read_text(encoding="utf-8")
        .replace('cells = { guests = ["hvm"] }', 'cells = { guests = ["arm"] }')
    )
    with pytest.raises(ValueError, match=r"cells\.guests"):
        parse_catalogue(text)


@pytest.mark.parametrize(
    ("words", "guests"), [("64-bit", ("x86_64-pv",)), ("32-bit", ("x86_32-pv",))]
)
def test_cells_follow_the_context_width_the_rule_names(words: str, guests: tuple[str, ...]) -> None:
    """A PV-context rule that opens with "In a 64-bit context" (or "A 32-bit context")
    applies to guests of that width only, and a rule that names no width to both."""
    named = set()
    for chapter, _, m in rule_lines():
        if chapter != "pv-context.md":
            continue
        text = m.group("text")
        if text.startswith((f"In a {words} context", f"A {words} context")):
            named.add(m.group("id"))
            assert RULES[m.group("id")].guests == guests, m.group("id")
    assert named


def test_legacy_cells_follow_the_toolstack_and_the_section() -> None:
    """legacy.md: a rule "In an image from a 64-bit toolstack" applies to the 64-bit
    toolstack's cells only; a rule on the toolstack's words (p2m_size, pfn words, p2m
    frame list entries) has a cell for each width; the rules of a "(PV only)" section
    or of the PV tail apply to PV guests only; and an x86_32 PV guest is two legacy
    cells, non-PAE and PAE."""
    sections: dict[str, str] = {}
    section = ""
    for line in (SPEC / "legacy.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            section = line
        for rid in re.findall(r'<a id="(leg-[a-z]+-\d+)">', line):
            sections[rid.upper()] = section
    assert sections
    for rid, heading in sections.items():
        r = RULES[rid]
        if r.summary.startswith("In an image from a 64-bit toolstack"):
            assert r.streams == ("legacy-64",), rid
        if "(PV only)" in heading or heading.endswith("PV tail"):
            assert set(r.guests) == PV_GUESTS, rid
    for rid in ("LEG-HDR-001", "LEG-P2M-001", "LEG-PAGE-001", "LEG-PAGE-002", "LEG-PAGE-005"):
        assert RULES[rid].streams == ("legacy-32", "legacy-64"), rid
    assert ("x86_32-pae-pv", "legacy") in RULES["LEG-CHK-004"].cells()
    assert ("x86_32-nonpae-pv", "legacy") in RULES["LEG-CHK-004"].cells()
    assert ("x86_32-pv", "legacy") not in RULES["LEG-CHK-004"].cells()
