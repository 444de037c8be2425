"""The corpus's wrapped copies (generators/corpus/wrapped.py, issue 17): a libxc or libxl
rule's breaking case, its faulty stream put inside another outer layer.

Read from the manifest and the corpus files as shipped; what each copy must be follows
from its home case (the case ``wrap_of`` names), never from the generator's code.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from xensave.rules import load_rules

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance"
RULES = load_rules()
#: A libxc CHECKPOINT record (type 0x0E, no body), little-endian.
CHECKPOINT = bytes([0x0E]) + bytes(7)
#: What each outer layer carries, outermost first, around the inner stream's layers.
AROUND = {"libxl": ("libxl",), "xl": ("xl", "libxl"), "libvirt": ("libvirt", "libxl")}


@cache
def manifest() -> dict[str, dict[str, Any]]:
    cases = json.loads((CONFORMANCE / "manifest.json").read_text())["cases"]
    return {c["name"]: c for c in cases}


def copies() -> list[dict[str, Any]]:
    return [c for c in manifest().values() if "wrap_of" in c]


def data(case: dict[str, Any]) -> bytes:
    return (CONFORMANCE / case["file"]).read_bytes()


def test_there_are_copies_in_every_outer_layer() -> None:
    assert {c["layer"] for c in copies()} == {"libxl", "xl", "libvirt", "xapi"}


@pytest.mark.parametrize("name", [c["name"] for c in copies()])
def test_a_copy_declares_what_its_home_declares(name: str) -> None:
    c = manifest()[name]
    home = manifest()[c["wrap_of"]]
    assert "wrap_of" not in home
    inner = RULES[next(r for r in c["rules"] if not r.startswith("XAPI-"))].layer
    # the name: the home's, with the outer layer and the inner stream's layer before the slug
    prefix = home["name"][0]
    slug = home["name"].removeprefix(
        f"{prefix}_{home['layer']}-v{home['version']}_{home['guest']}_"
    )
    assert name == f"{prefix}_{c['layer']}-v{home['version']}_{home['guest']}_{inner}-{slug}"
    assert (c["verdict"], c["level"], c["recipe"]) == (
        home["verdict"],
        home["level"],
        home["recipe"],
    )
    assert (c["guest"], c["version"], c["since"]) == (home["guest"], home["version"], "2.1.0")
    extra = ["XAPI-SEC-006"] if c["layer"] == "xapi" and inner == "libxl" else []
    assert c["rules"] == home["rules"] + extra
    # restorable where the home is, but a libxl stream in XAPI: xenopsd refuses it
    assert c["restorable"] == ("none" if extra else home["restorable"])
    assert c["layer"] != home["layer"] and c["layer"] in RULES[home["rules"][0]].outer
    if c["layer"] in AROUND:
        assert c["layers"][: len(AROUND[c["layer"]])] == list(AROUND[c["layer"]])


def of_bare_homes() -> list[str]:
    return [c["name"] for c in copies() if manifest()[c["wrap_of"]]["layer"] in AROUND["xl"]]


@pytest.mark.parametrize("name", of_bare_homes())
def test_a_copy_carries_its_homes_faulty_stream(name: str) -> None:
    """A bare home's octets appear whole in its copy: the faulty stream itself, not a
    rebuilt one. (A home that is itself wrapped has its stream inside its file.)"""
    c = manifest()[name]
    home = manifest()[c["wrap_of"]]
    pieces = [data(home)]
    if "checkpointed" in home["tags"] and data(home) not in data(c):
        # libxl carries a checkpointed libxc stream in pieces, one per checkpoint, its
        # own records between them: cut the home after each (aligned) CHECKPOINT record
        octets, cut = data(home), [0]
        cut += [k + 8 for k in range(0, len(octets), 8) if octets[k : k + 8] == CHECKPOINT]
        pieces = [octets[a:b] for a, b in zip(cut, [*cut[1:], len(octets)], strict=True)]
        pieces = [p for p in pieces if p]
        assert len(pieces) > 1
    at, where = 0, []
    for piece in pieces:
        at = data(c).index(piece, at)
        where.append(at)
        at += len(piece)
    if c["fault_offset"] is not None and home["fault_offset"] is not None and len(pieces) == 1:
        assert c["fault_offset"] == where[0] + home["fault_offset"]


def test_one_copy_per_home_and_outer_layer() -> None:
    seen = [(c["wrap_of"], c["layer"]) for c in copies()]
    assert len(seen) == len(set(seen))


def test_pv_homes_only_for_rules_without_an_hvm_case() -> None:
    """A rule that applies to HVM gets an HVM home (the smaller image) in every outer
    layer; only a rule with no HVM case has its PV home wrapped."""
    for c in copies():
        if c["guest"] != "hvm":
            assert any("hvm" not in RULES[r].guests for r in c["rules"]), c["name"]


def test_the_copies_stay_within_their_share_of_the_size_budget() -> None:
    assert sum(c["size"] for c in copies()) <= 7 << 20
