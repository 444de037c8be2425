"""The rules catalogue (``spec/rules.toml``) as Python objects.

The checker cites rules, the corpus manifest names them and the docs index
them; all of them read the one catalogue through this module so that a rule
has a single definition. Only the standard library is used (``tomllib``), so
the catalogue loads wherever the package does.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

__all__ = [
    "CATALOGUE_NAME",
    "Layer",
    "Level",
    "Rule",
    "Subject",
    "catalogue_text",
    "load_rules",
    "parse_catalogue",
    "rule",
]

CATALOGUE_NAME = "rules.toml"

Layer = Literal["xl-file", "libxl", "libxc"]
Subject = Literal["image", "reader", "writer"]

_LAYERS: frozenset[str] = frozenset({"xl-file", "libxl", "libxc"})
_SUBJECTS: frozenset[str] = frozenset({"image", "reader", "writer"})
_REQUIRED_KEYS = (
    "id",
    "level",
    "layer",
    "area",
    "subject",
    "summary",
    "ksy",
    "kaitai",
    "spec",
)
_OPTIONAL_KEYS = ("versions", "since", "errata")


class Level(StrEnum):
    """Requirement level of a rule (BCP 14 key words).

    The level decides what a broken image rule means: an error (MUST), a
    warning (SHOULD) or merely a note (MAY).
    """

    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"


@dataclass(frozen=True, slots=True)
class Rule:
    """One numbered rule of the specification.

    ``versions`` is empty when the rule applies to every libxc stream
    version; otherwise it lists the versions it applies to.
    """

    id: str
    level: Level
    layer: Layer
    area: str
    subject: Subject
    summary: str
    ksy: str
    kaitai: bool
    spec: str
    versions: tuple[int, ...] = ()
    errata: bool = False
    since: str = ""

    def applies_to_version(self, version: int) -> bool:
        """Whether the rule constrains a libxc stream of ``version``."""
        return not self.versions or version in self.versions


def _source_checkout_path() -> Path:
    # In a source checkout the package sits next to spec/.
    return Path(__file__).resolve().parent.parent / "spec" / CATALOGUE_NAME


def catalogue_text() -> str:
    """Return the catalogue's TOML text.

    Wheels carry the catalogue as package data (``xensave/data/rules.toml``,
    force-included by pyproject); a source checkout or editable install reads
    ``spec/rules.toml`` directly, so edits to the spec take effect at once.
    """
    packaged = resources.files("xensave").joinpath("data").joinpath(CATALOGUE_NAME)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    path = _source_checkout_path()
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"rules catalogue not found: neither package data xensave/data/{CATALOGUE_NAME} "
            f"nor {path} exists"
        ) from None


def _expect(cond: bool, rid: str, message: str) -> None:
    if not cond:
        raise ValueError(f"rules catalogue: rule {rid}: {message}")


def _rule_from_table(table: dict[str, Any]) -> Rule:
    rid = str(table.get("id", "<no id>"))
    for key in _REQUIRED_KEYS:
        _expect(key in table, rid, f"missing key {key!r}")
    unknown = set(table) - set(_REQUIRED_KEYS) - set(_OPTIONAL_KEYS)
    _expect(not unknown, rid, f"unknown keys {sorted(unknown)}")
    for key in ("id", "level", "layer", "area", "subject", "summary", "ksy", "spec"):
        _expect(isinstance(table[key], str), rid, f"{key!r} must be a string")
    _expect(isinstance(table["kaitai"], bool), rid, "'kaitai' must be a boolean")
    _expect(table["level"] in Level.__members__, rid, f"bad level {table['level']!r}")
    _expect(table["layer"] in _LAYERS, rid, f"bad layer {table['layer']!r}")
    _expect(table["subject"] in _SUBJECTS, rid, f"bad subject {table['subject']!r}")
    versions = table.get("versions", [])
    _expect(
        isinstance(versions, list)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in versions),
        rid,
        "'versions' must be a list of integers",
    )
    errata = table.get("errata", False)
    _expect(isinstance(errata, bool), rid, "'errata' must be a boolean")
    since = table.get("since", "")
    _expect(isinstance(since, str), rid, "'since' must be a string")
    return Rule(
        id=rid,
        level=Level(table["level"]),
        layer=cast(Layer, table["layer"]),
        area=table["area"],
        subject=cast(Subject, table["subject"]),
        summary=table["summary"],
        ksy=table["ksy"],
        kaitai=table["kaitai"],
        spec=table["spec"],
        versions=tuple(versions),
        errata=errata,
        since=since,
    )


def parse_catalogue(text: str) -> dict[str, Rule]:
    """Parse catalogue TOML into rules keyed by ID, in catalogue order.

    Raises ``ValueError`` for a malformed entry or a duplicate ID, so a bad
    edit to the catalogue fails loudly instead of dropping a rule.
    """
    data = tomllib.loads(text)
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        raise ValueError("rules catalogue: 'rule' must be an array of tables")
    rules: dict[str, Rule] = {}
    for table in tables:
        if not isinstance(table, dict):
            raise ValueError("rules catalogue: every [[rule]] entry must be a table")
        r = _rule_from_table(table)
        if r.id in rules:
            raise ValueError(f"rules catalogue: duplicate rule ID {r.id}")
        rules[r.id] = r
    return rules


@cache
def load_rules() -> dict[str, Rule]:
    """Load the catalogue once per process; callers must not mutate the result."""
    return parse_catalogue(catalogue_text())


def rule(rule_id: str) -> Rule:
    """Look up one rule by ID; an unknown ID is a programming error, hence KeyError."""
    try:
        return load_rules()[rule_id]
    except KeyError:
        raise KeyError(
            f"unknown rule ID {rule_id!r}: not in the rules catalogue (spec/{CATALOGUE_NAME})"
        ) from None
