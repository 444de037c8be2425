"""The rules catalogue (``spec/rules.toml``) as Python objects.

The checker cites rules, the corpus manifest names them and the docs index
them; all of them read the one catalogue through this module so that a rule
has a single definition. Only the standard library is used (``tomllib``), so
the catalogue loads wherever the package does. A generated table
(``xensave/_catalogue.py``) stands in for the TOML parse while it matches the
catalogue byte for byte, because every ``xensave verify`` run pays for loading.
"""

from __future__ import annotations

import os
import zlib
from enum import StrEnum
from functools import cache
from typing import Any, Literal, cast

from ._slots import Struct

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

Layer = Literal["xl-file", "libxl", "libxc", "libvirt", "xapi", "image", "legacy"]
Subject = Literal["image", "reader", "writer"]

_LAYERS: frozenset[str] = frozenset(
    {"xl-file", "libxl", "libxc", "libvirt", "xapi", "image", "legacy"}
)
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
_OPTIONAL_KEYS = ("versions", "since", "errata", "xen_refuses", "xen_function")


class Level(StrEnum):
    """Requirement level of a rule (BCP 14 key words).

    The level decides what a broken image rule means: an error (MUST), a
    warning (SHOULD) or merely a note (MAY).
    """

    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"


class Rule(Struct, frozen=True):
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


_HERE = os.path.dirname(os.path.abspath(__file__))
#: Where a wheel puts the catalogue (pyproject force-includes it as package data).
PACKAGED_PATH = os.path.join(_HERE, "data", CATALOGUE_NAME)
#: Where it is in a source checkout or an editable install.
SOURCE_PATH = os.path.join(os.path.dirname(_HERE), "spec", CATALOGUE_NAME)


def catalogue_bytes() -> bytes:
    """The catalogue's TOML as stored: package data in a wheel, ``spec/rules.toml``
    in a source checkout (so edits to the spec take effect at once)."""
    for path in (PACKAGED_PATH, SOURCE_PATH):
        try:
            with open(path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            continue
    raise FileNotFoundError(
        f"rules catalogue not found: neither package data xensave/data/{CATALOGUE_NAME} "
        f"nor {SOURCE_PATH} exists"
    )


def catalogue_text() -> str:
    """Return the catalogue's TOML text."""
    return catalogue_bytes().decode("utf-8")


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
    import tomllib  # only when the generated table is stale or missing

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


def _from_table(raw: bytes) -> dict[str, Rule] | None:
    """The generated table's rules, or None unless it was made from exactly ``raw``."""
    try:
        from . import _catalogue
    except ImportError:
        return None
    if len(raw) != _catalogue.SIZE or zlib.crc32(raw) != _catalogue.CRC32:
        return None
    rules = {}
    for row in _catalogue.RULES:
        rid, level, layer, area, subject, summary, ksy, kaitai, spec, versions, errata, since = row
        rules[rid] = Rule(
            rid, Level(level), cast(Layer, layer), area, cast(Subject, subject), summary,
            ksy, kaitai, spec,
            tuple(versions), errata, since,
        )  # fmt: skip
    return rules


@cache
def load_rules() -> dict[str, Rule]:
    """Load the catalogue once per process; callers must not mutate the result."""
    raw = catalogue_bytes()
    table = _from_table(raw)
    return table if table is not None else parse_catalogue(raw.decode("utf-8"))


def rule(rule_id: str) -> Rule:
    """Look up one rule by ID; an unknown ID is a programming error, hence KeyError."""
    try:
        return load_rules()[rule_id]
    except KeyError:
        raise KeyError(
            f"unknown rule ID {rule_id!r}: not in the rules catalogue (spec/{CATALOGUE_NAME})"
        ) from None
