"""The conformance corpus (``conformance/``) and its gates.

* the wrapper models (libvirt, XAPI) the corpus needs round-trip through the writer;
* the manifest is what the schema says, its hashes and sizes match the files, and the
  corpus holds nothing else;
* tags come from the controlled list, which the manifest, tags.json, TAGS.md and the
  schema all repeat;
* coverage: every MUST image rule has an ``n_`` case (``i_`` for reserved-field rules)
  and a ``y_`` case that exercises it; every SHOULD/MAY image rule has a case; every
  guest x libxc version x wrapping cell, each wrapper, each release profile and each
  kind of stream the issue names has a ``y_`` case;
* the reference checker agrees with every declared verdict and cites the declared
  rules (the verdicts come from the recipes, never from the checker);
* the generated Kaitai parser accepts every ``y_`` case of the layers it covers;
* regenerating the corpus gives the same bytes.

Known disagreements are listed below with the reason; each is asserted to still
disagree, so a fix shows up as a failure that asks for the entry to be removed.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from xensave import samples
from xensave.checker import check_bytes
from xensave.loader import load_bytes, normalise
from xensave.model import LibvirtFile, XapiImage, XapiSection
from xensave.reader import XapiKind
from xensave.rules import Level, load_rules
from xensave.writer import to_bytes

ROOT = Path(__file__).resolve().parents[1]
CONFORMANCE = ROOT / "conformance"
if str(ROOT) not in sys.path:  # the recipes live in generators/, outside the package
    sys.path.insert(0, str(ROOT))

from generators.corpus import build  # noqa: E402
from generators.corpus.framework import derive  # noqa: E402
from generators.corpus.policy import (  # noqa: E402
    ACCEPTED_VARIATIONS,
    PROFILES,
    RESERVED,
    TAGS,
    UNCOVERABLE,
)

Case = dict[str, Any]

#: Cases where the reference checker does not (yet) say what the recipe declares.
CHECKER_DISAGREES: dict[str, str] = {}

#: y_ cases the generated Kaitai parsers cannot read (layers xl, libxl, libxc).
KAITAI_REJECTS: dict[str, str] = {}

#: Reader rules cannot be cited by a checker of images.
RULES = load_rules()


@cache
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONFORMANCE / "manifest.json").read_text())
    return data


def cases() -> list[Case]:
    return list(manifest()["cases"])


def case_ids() -> list[str]:
    return [c["name"] for c in cases()]


@cache
def data_of(name: str) -> bytes:
    case = next(c for c in cases() if c["name"] == name)
    return (CONFORMANCE / case["file"]).read_bytes()


def of_kind(prefix: str) -> Iterator[Case]:
    return (c for c in cases() if c["name"].startswith(prefix + "_"))


# --- wrapper models ----------------------------------------------------------------------


@pytest.mark.parametrize("big", [False, True])
def test_libvirt_file_round_trip(big: bool) -> None:
    xml = b"<domain type='xen'>\n  <name>guest</name>\n</domain>\n\x00"
    image = LibvirtFile(samples.build("hvm", 3, "libxl", big, small=True), xml, big_endian=big)
    data = to_bytes(image)
    assert data[:16] == b"libvirt-xml\n \x00 \r"
    assert len(data) == 64 + len(xml) + len(to_bytes(image.payload))
    assert load_bytes(data) == normalise(image)


@pytest.mark.parametrize("guest", samples.GUESTS)
@pytest.mark.parametrize("kind", [XapiKind.LIBXC, XapiKind.LIBXL])
def test_xapi_image_round_trip(guest: str, kind: int) -> None:
    wrap = "libxc" if kind == XapiKind.LIBXC else "libxl"
    stream = samples.build(guest, 3, wrap, small=True)
    assert not isinstance(stream, LibvirtFile | XapiImage)
    sections = [XapiSection(XapiKind.XENOPS, b"((word_size 64))"), XapiSection(kind, stream)]
    if guest == "hvm":
        sections.append(XapiSection(XapiKind.QEMU_XEN, b"QEVM\x00\x00\x00\x03"))
    sections.append(XapiSection(XapiKind.END_OF_IMAGE))
    image = XapiImage(sections)
    data = to_bytes(image)
    assert data.startswith(b"XenSavedDomv2-\n")
    assert load_bytes(data) == normalise(image)


def test_wrapper_fields_as_given() -> None:
    """The writer writes declared lengths and unused words as given, never fixing them."""
    image = LibvirtFile(b"", b"<x/>\x00", xml_len=9, unused=b"\x01" * 40, version=1)
    data = to_bytes(image)
    assert data[16:24] == b"\x01\x00\x00\x00\x09\x00\x00\x00" and data[24:64] == b"\x01" * 40
    x = to_bytes(XapiImage([XapiSection(XapiKind.XENOPS, b"abc", length=7)], trailer=b"T"))
    assert x == b"XenSavedDomv2-\n" + bytes([0x0F]) + bytes(7) + bytes([7]) + bytes(7) + b"abcT"


# --- the manifest and the files --------------------------------------------------------------


def test_manifest_matches_its_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((CONFORMANCE / "manifest.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(manifest())


def test_manifest_shape_without_jsonschema() -> None:
    """The essentials of the schema, checked by hand (for runs without jsonschema)."""
    m = manifest()
    assert (m["format"], m["manifest_version"]) == ("xensave-corpus", 1)
    keys = [
        "name",
        "file",
        "sha256",
        "size",
        "verdict",
        "level",
        "rules",
        "layer",
        "layers",
        "version",
        "guest",
        "profile",
        "restorable",
        "restore_decided_by",
        "tags",
        "description",
        "recipe",
        "since",
        "fault_offset",
    ]
    names = {c["name"] for c in cases()}
    for c in cases():
        optional = [
            k for k in ("legacy_guest", "toolstack", "replay_of", "wrap_of", "only_here") if k in c
        ]
        assert list(c) == keys + optional, c["name"]
        if "replay_of" in c:  # the same recipe and declarations as the case it replays
            home = next(h for h in cases() if h["name"] == c["replay_of"])
            assert c["replay_of"] in names and "replay_of" not in home
            assert (c["recipe"], c["verdict"], c["rules"]) == (
                home["recipe"],
                home["verdict"],
                home["rules"],
            )
            assert c["name"].rsplit("_", 1)[1] == home["name"].rsplit("_", 1)[1]
            assert (c["guest"], c["version"]) != (home["guest"], home["version"])
        assert c["file"] == f"corpus/{c['name']}.bin"
        assert c["layer"] == c["layers"][0]
        assert c["profile"] in (*PROFILES, None)
        assert c["rules"], c["name"]
        assert "\n" not in c["description"]


def test_files_match_the_manifest() -> None:
    listed = set()
    for c in cases():
        data = data_of(c["name"])
        assert len(data) == c["size"], c["name"]
        assert hashlib.sha256(data).hexdigest() == c["sha256"], c["name"]
        listed.add(Path(c["file"]).name)
    on_disk = {p.name for p in (CONFORMANCE / "corpus").iterdir()}
    assert on_disk == listed
    assert len(listed) == len(cases())


def test_names_follow_verdict_layer_version_guest() -> None:
    prefix = {"accept": "y", "reject": "n", "either": "i"}
    for c in cases():
        stem = f"{c['layer']}-v{c['version']}" if c["version"] else f"{c['layer']}-legacy"
        assert re.fullmatch(
            rf"{prefix[c['verdict']]}_{re.escape(stem)}_{re.escape(c['guest'])}_[a-z0-9-]+",
            c["name"],
        ), c["name"]


def test_corpus_size_budget() -> None:
    # 32 MiB (issue 17): every breaking recipe replayed where a rule it breaks has no
    # case yet in a (guest, libxc version) cell it applies to
    assert sum(c["size"] for c in cases()) <= 32 << 20


# --- tags --------------------------------------------------------------------------------------


def test_tags_are_controlled() -> None:
    m = manifest()
    assert m["tags"] == TAGS
    assert json.loads((CONFORMANCE / "tags.json").read_text()) == TAGS
    schema = json.loads((CONFORMANCE / "manifest.schema.json").read_text())
    enum = schema["$defs"]["case"]["properties"]["tags"]["items"]["enum"]
    assert set(enum) == set(TAGS)
    table = re.findall(r"^\| `([a-z0-9-]+)` \| ", (CONFORMANCE / "TAGS.md").read_text(), re.M)
    assert table == sorted(TAGS)
    used: set[str] = set()
    for c in cases():
        assert c["tags"] and set(c["tags"]) <= set(TAGS), c["name"]
        used |= set(c["tags"])
    assert used == set(TAGS), f"tags no case uses: {sorted(set(TAGS) - used)}"


# --- declarations and verdicts ------------------------------------------------------------------


def test_rules_exist_and_levels_fit_the_verdict() -> None:
    for c in cases():
        for rid in c["rules"]:
            assert rid in RULES, (c["name"], rid)
        levels = {RULES[r].level for r in c["rules"] if RULES[r].subject == "image"}
        if c["verdict"] == "reject":
            assert c["level"] == "required"
            assert any(RULES[r].level == Level.MUST and r not in RESERVED for r in c["rules"])
        if c["verdict"] == "either" and c["level"] == "required":
            assert levels and all(
                r in RESERVED or RULES[r].level != Level.MUST for r in c["rules"]
            ), c["name"]


def test_policy_lists_name_the_right_rules() -> None:
    for rid in RESERVED:
        r = RULES[rid]
        assert (r.level, r.subject) == (Level.MUST, "image"), rid
        assert re.search(r"zero|reserved|padding", r.summary, re.I), rid
    for rid in (*ACCEPTED_VARIATIONS, *UNCOVERABLE):
        assert RULES[rid].subject == "image" and RULES[rid].level != Level.MUST, rid


def test_derive() -> None:
    assert derive(("XC-PAGE-005",), (), ()).verdict == "reject"
    assert derive(("XC-PAGE-004",), (), ()) == derive(("XC-HDR-005", "XC-REC-002"), (), ())
    assert derive(("XC-PAGE-004",), (), ()).prefix == "i"
    assert derive(("XC-PAGE-004", "XC-PAGE-006"), (), ()).prefix == "n"
    assert derive(("XC-TOOL-001",), (), ()).level == "recommended"
    assert derive((), ("XC-HDR-006",), ()).verdict == "either"
    assert derive((), (), ("XC-REC-007",)).level == "recommended"
    assert derive((), (), ()).verdict == "accept"


# --- coverage -------------------------------------------------------------------------------------


def _covering(prefix: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for c in of_kind(prefix):
        for rid in c["rules"]:
            out.setdefault(rid, []).append(c["name"])
    return out


def test_every_must_image_rule_has_a_failing_and_a_passing_case() -> None:
    bad, good, either = _covering("n"), _covering("y"), _covering("i")
    missing = []
    for rid, r in RULES.items():
        if r.subject != "image" or r.level != Level.MUST:
            continue
        failing = either if rid in RESERVED else bad
        if rid not in failing:
            missing.append(f"{rid}: no {'i_' if rid in RESERVED else 'n_'} case")
        if rid not in good:
            missing.append(f"{rid}: no y_ case exercising it")
    assert not missing, "\n".join(missing)


def test_every_should_and_may_image_rule_has_a_case() -> None:
    good, either = _covering("y"), _covering("i")
    missing = []
    for rid, r in RULES.items():
        if r.subject != "image" or r.level == Level.MUST or rid in UNCOVERABLE:
            continue
        where = good if rid in ACCEPTED_VARIATIONS else either
        if rid not in where:
            missing.append(f"{rid} ({r.level}): no {'y_' if where is good else 'i_'} case")
    assert not missing, "\n".join(missing)
    for rid in UNCOVERABLE:  # still without a case, or it should leave the list
        assert rid not in good and rid not in either, rid


def test_every_cell_has_a_valid_case() -> None:
    have = {(c["layer"], c["version"], c["guest"]) for c in of_kind("y")}
    for layer in ("libxc", "libxl", "xl"):
        for version in (2, 3):
            for guest in samples.GUESTS:
                assert (layer, version, guest) in have, (layer, version, guest)
    assert any(c["layer"] == "libvirt" for c in of_kind("y"))
    assert any(c["layer"] == "xapi" for c in of_kind("y"))


def test_release_profiles_checkpoints_and_more_have_valid_cases() -> None:
    valid = list(of_kind("y"))
    for profile in PROFILES:
        guests = {c["guest"] for c in valid if c["profile"] == profile}
        assert guests == set(samples.GUESTS), profile

    def has(tag: str, layer: str | None = None) -> bool:
        return any(tag in c["tags"] and layer in (None, c["layer"]) for c in valid)

    assert has("checkpointed", "libxc") and has("checkpointed", "libxl")
    assert has("colo")
    assert has("verify") and has("optional-record") and has("converted")
    # the 52-bit pfn field's largest value: conforming, but no restorer can back it
    # (XC-PAGE-010 lets a reader refuse it; Xen's pfn_set_populated cannot)
    assert [c["name"][:2] for c in cases() if c["name"].endswith("_largest-pfn")] == ["i_"]
    # the errata's empty records, as Xen 4.6-4.8 wrote them (SHOULD rules: i_)
    errata = [c for c in cases() if "errata" in c["tags"]]
    assert {c["profile"] for c in errata} == {"xen-4.6-4.8"}
    assert {"XC-VCPU-007", "XC-HVMP-004"} <= {r for c in errata for r in c["rules"]}


# --- the reference checker agrees ---------------------------------------------------------------


@pytest.mark.parametrize("name", case_ids())
def test_checker_agrees(name: str) -> None:
    case = next(c for c in cases() if c["name"] == name)
    report = check_bytes(data_of(name))
    cited = {d.rule for d in report.diagnostics}
    problems = []
    if case["verdict"] == "accept" and not report.valid:
        problems.append(f"rejects: {[d.format(name) for d in report.errors]}")
    if case["verdict"] == "reject" and report.valid:
        problems.append("accepts")
    if case["verdict"] != "accept":
        image_rules = {r for r in case["rules"] if RULES[r].subject == "image"}
        if not image_rules <= cited:
            problems.append(f"does not cite {sorted(image_rules - cited)} (cites {sorted(cited)})")
    if name in CHECKER_DISAGREES:
        assert problems, f"{name} now agrees: remove it from CHECKER_DISAGREES"
        return
    assert not problems, f"{name}: the checker {'; '.join(problems)}"


# --- the generated Kaitai parsers accept every valid case they cover --------------------------


def _inner_stream(case: Case, data: bytes) -> tuple[str, bytes] | None:
    """The stream a wrapper carries, found from the wrapper's own framing."""
    if case["layer"] == "libvirt":
        xml_len = struct.unpack_from("<I", data, 20)[0]
        return "libxl", data[64 + xml_len :]
    if case["layer"] == "xapi":
        at = 15
        while at + 16 <= len(data):
            kind, length = struct.unpack_from("<QQ", data, at)
            at += 16
            if kind in (XapiKind.LIBXC, XapiKind.LIBXL):
                return ("libxc" if kind == XapiKind.LIBXC else "libxl"), data[at:]
            at += length
    return None


@pytest.mark.parametrize("name", [c["name"] for c in of_kind("y")])
def test_kaitai_parser_accepts_valid_cases(name: str) -> None:
    from xensave.kaitai_tree import parse

    case = next(c for c in cases() if c["name"] == name)
    data = data_of(name)
    if case["layer"] in ("legacy", "xend"):
        _legacy_kaitai(name, data)
        return
    if case["layer"] in ("xl", "libxl", "libxc"):
        layer, stream = case["layer"], data
    else:
        inner = _inner_stream(case, data)
        assert inner is not None, name
        layer, stream = inner
    try:
        parse(stream, layer)
    except Exception as exc:
        assert name in KAITAI_REJECTS, f"{name}: the {layer} parser fails: {exc!r}"
        return
    assert name not in KAITAI_REJECTS, f"{name} now parses: remove it from KAITAI_REJECTS"


def _legacy_kaitai(name: str, data: bytes) -> None:
    """The legacy ksy takes the variant (toolstack width, guest type, vCPU count) as
    parameters, as a restorer is told them; the reference reader's autodetection
    supplies them here, and the generated parser must then read the whole image."""
    from kaitaistruct import KaitaiStream

    from xensave.kaitai.xen_legacy_libxc_image import XenLegacyLibxcImage
    from xensave.legacy.read import LegacyHeader, LegacyPvTail
    from xensave.reader import Reader

    events = list(Reader(io.BytesIO(data)))
    hdr = next(e for e in events if isinstance(e, LegacyHeader))
    tails = [e for e in events if isinstance(e, LegacyPvTail)]
    vcpus = len(tails[0].vcpus) if tails else 0
    ks = KaitaiStream(io.BytesIO(data))
    try:
        if data.startswith(b"LinuxGuestRecord"):  # an xend file around the legacy image
            from xensave.kaitai.xen_xend_save_file import XenXendSaveFile

            XenXendSaveFile(hdr.width, hdr.guest == "hvm", vcpus, ks)
        else:
            XenLegacyLibxcImage(hdr.width, hdr.guest == "hvm", vcpus, ks)
    except Exception as exc:
        assert name in KAITAI_REJECTS, f"{name}: the legacy parser fails: {exc!r}"
        return
    assert name not in KAITAI_REJECTS, f"{name} now parses: remove it from KAITAI_REJECTS"
    assert ks.pos() == len(data), f"{name}: the legacy parser stops at {ks.pos()} of {len(data)}"


# --- regeneration --------------------------------------------------------------------------------


@cache
def built() -> list[build.Resolved]:
    """The recipes' cases, built once for the tests that need a build (a build of the
    whole corpus is the costliest step of this file)."""
    return build.cases()


def test_recipes_make_exactly_the_committed_corpus() -> None:
    problems = build.check(CONFORMANCE, built())
    assert not problems, "\n".join(problems) + "\n(run: python -m generators.corpus)"


@pytest.mark.parametrize("at", [0, 1, 4095, 4096, 4097, 9000, 12287, None])
def test_first_difference_is_the_first_octet_that_differs(at: int | None) -> None:
    """fault_offsets' comparison in blocks finds what an octet-by-octet scan finds."""
    a = bytes(range(256)) * 48  # 12288 octets
    b = bytearray(a)
    if at is not None:
        b[at] ^= 0xFF
        if at + 1 < len(b):
            b[-1] ^= 0xFF  # a later difference too
    assert build.first_difference(a, bytes(b)) == at
    assert build.first_difference(a, bytes(b) + b"more") == at
    early = at if at is not None and at < 100 else None
    assert build.first_difference(a[:100], bytes(b)) == early


def test_recipes_are_deterministic() -> None:
    """A second build in the same process makes the same files as the first."""
    first = build.render(built())
    again = build.render(build.cases())
    assert first == again


# --- coverage by cell (issue 17) ---------------------------------------------------------------


@cache
def _loaded() -> Any:
    """The manifest as the harness loads it, once (the tests only read it)."""
    from xensave.conformance.manifest import load_manifest

    return load_manifest(CONFORMANCE / "manifest.json")


@cache
def _coverage() -> Any:
    from xensave.conformance.coverage import coverage

    return coverage(_loaded().cases)


def test_every_applicable_cell_of_a_must_rule_has_a_failing_case() -> None:
    """The corpus gate: each MUST image rule has an n_ case (i_ for a reserved field) in
    every (guest, stream) cell it applies to, but for the exempt cells (the change has
    no place there) and the pending ones (work left, held exactly so the list shrinks)."""
    from xensave.conformance.coverage import PENDING

    cov = _coverage()
    left = cov.unexplained()
    assert not left, "\n".join(f"{r}: no failing case in {c}" for r, c in left.items())
    gaps = cov.gaps()
    for rid, (cells, why) in PENDING.items():
        assert why
        done = [c for c in cells if c not in gaps.get(rid, [])]
        assert not done, f"{rid} now has a failing case in {done}: drop it from PENDING"


def test_exemptions_name_applicable_cells_with_a_reason() -> None:
    from xensave.conformance.coverage import EXEMPT, PENDING

    for table in (EXEMPT, PENDING):
        for rid, (cells, why) in table.items():
            r = RULES[rid]
            assert r.level == Level.MUST and r.subject == "image", rid
            assert why and set(cells) <= set(r.cells()), rid
    for rid, (cells, _) in EXEMPT.items():  # an exempt cell really has no failing case
        cov = _coverage().rules[rid]
        assert all(not cov.failing(c) for c in cells), rid


def test_failing_cases_sit_in_cells_their_rules_apply_to() -> None:
    """An n_ case in a cell its rule does not apply to means a wrong cells declaration
    (or a recipe on the wrong base)."""
    from xensave.conformance.coverage import cells_of

    for c in _loaded().cases:
        if c.prefix != "n":
            continue
        if any(RULES[r].layer in ("xl-file", "libvirt", "xapi", "image") for r in c.rules):
            continue  # the wrapper rules: any stream inside
        cells = cells_of(c)
        assert cells, c.name
        assert any(cell in RULES[r].cells() for r in c.rules for cell in cells), (c.name, cells)


def test_legacy_cases_say_their_legacy_cell() -> None:
    """Every case holding a legacy stream names its guest kind (x86_32 non-PAE or PAE,
    x86_64, HVM) and toolstack width, and the valid ones cover all eight."""
    legacy = [c for c in cases() if c["version"] is None and "legacy-stream" in c["tags"]]
    assert legacy
    for c in legacy:
        assert c.get("toolstack") in (32, 64), c["name"]
        kind = c["legacy_guest"]
        assert kind == c["guest"] or (c["guest"], kind) in (
            ("x86_32-pv", "x86_32-nonpae-pv"),
            ("x86_32-pv", "x86_32-pae-pv"),
        ), c["name"]
    valid = {(c["legacy_guest"], c["toolstack"]) for c in legacy if c["verdict"] != "reject"}
    kinds = ("x86_32-nonpae-pv", "x86_32-pae-pv", "x86_64-pv", "hvm")
    assert valid == {(k, w) for k in kinds for w in (32, 64)}


def test_replay_names_come_from_the_home_case_and_the_cell() -> None:
    """A replay is named by its home case and its cell only; where several homes share a
    slug, the replay is the one of the home whose name sorts first, whatever order the
    recipes were registered or replayed in."""

    def slug(c: Case) -> str:
        stem = f"{c['layer']}-v{c['version']}" if c["version"] else f"{c['layer']}-legacy"
        return str(c["name"]).removeprefix(f"{c['name'][0]}_{stem}_{c['guest']}_")

    homes = {c["name"]: c for c in cases() if "replay_of" not in c}
    rivals: dict[tuple[str, str, str], list[str]] = {}  # homes by slug, prefix and layer
    for n, h in homes.items():
        if h["version"] is None:  # a legacy image's case is replayed nowhere (replays())
            continue
        rivals.setdefault((slug(h), n[0], h["layer"]), []).append(n)
    for c in cases():
        if "replay_of" not in c:
            continue
        home = homes[c["replay_of"]]
        want = f"{home['name'][0]}_{home['layer']}-v{c['version']}_{c['guest']}_{slug(home)}"
        assert c["name"] == want, c["name"]
        mine = rivals[(slug(home), home["name"][0], home["layer"])]
        assert c["replay_of"] == min(mine), (c["name"], mine)


def test_an_added_recipe_displaces_no_replay() -> None:
    """select(): a later recipe's replay (a later ``since``) fills only cells no older
    replay covers, even when its image is smaller."""
    from dataclasses import replace

    resolved = built()
    homes = [r for r in resolved if not r.case.replay_of and not r.case.wrap_of]
    kept = [r for r in resolved if r.case.replay_of]
    old = kept[0]
    newer = replace(old, name=old.name + "-newer", data=b"", case=replace(old.case, since="9.0.0"))
    again = build.select(homes, [newer, *kept])
    assert sorted(r.name for r in again) == sorted(r.name for r in kept)


def test_the_gate_sees_a_missing_cell() -> None:
    """Take away the failing cases of XC-PAGE-006 in x86_32 PV v2: the gate names that
    cell (and nothing else)."""
    from xensave.conformance.coverage import coverage

    m = _loaded()
    kept = [
        c
        for c in m.cases
        if not ("XC-PAGE-006" in c.rules and (c.guest, c.version) == ("x86_32-pv", 2))
    ]
    assert len(kept) < len(m.cases)
    assert coverage(kept).unexplained() == {"XC-PAGE-006": [("x86_32-pv", "v2")]}


def test_every_declared_outer_layer_of_a_must_rule_has_a_failing_case() -> None:
    """The gate by outer layer: each MUST image rule has a failing case wrapped in every
    outer layer it declares (bare libxc, legacy, libxl, xl, libvirt, XAPI), but for the
    exempt ones and the pending counts, which are held exactly so that they only go down."""
    from xensave.conformance.coverage import LAYER_EXEMPT, LAYER_PENDING

    cov = _coverage()
    left = cov.layers_unexplained()
    assert not left, "\n".join(f"{k}: no failing case for {v}" for k, v in left.items())
    gaps = cov.layer_gaps()
    for key, (count, why) in LAYER_PENDING.items():
        assert why and count > 0, key
        have = len(gaps.get(key, []))
        assert have == count, f"{key}: {have} rules left, not {count}: lower LAYER_PENDING"
    for rid, (outers, why) in LAYER_EXEMPT.items():
        rc = cov.rules[rid]
        assert why and set(outers) <= set(rc.rule.outer), rid
        assert all(not rc.layers.get(o, {}).get("n", 0) for o in outers), rid


def test_the_layer_gate_sees_a_missing_layer() -> None:
    """Take away the XAPI-wrapped failing cases of XC-PAGE-005: the gate names the XAPI
    layer for the libxc rules (one more than its pending count), and nothing else."""
    from xensave.conformance.coverage import coverage

    m = _loaded()
    kept = [c for c in m.cases if not ("XC-PAGE-005" in c.rules and c.layer == "xapi")]
    assert len(kept) < len(m.cases)
    left = coverage(kept).layers_unexplained()
    assert list(left) == [("xapi", "libxc")] and "XC-PAGE-005" in left[("xapi", "libxc")]
