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

from ._codes import StrEnum
from ._slots import Struct

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from typing import Any, Literal, cast

    Layer = Literal["xl-file", "libxl", "libxc", "libvirt", "xapi", "image", "legacy", "xend"]
    Subject = Literal["image", "reader", "writer"]
else:

    def cast(_type: object, value: object) -> object:
        return value


__all__ = [
    "CATALOGUE_NAME",
    "GUESTS",
    "LEGACY_GUESTS",
    "LEGACY_STREAMS",
    "OUTER",
    "STREAMS",
    "Level",
    "Rule",
    "catalogue_loaded",
    "catalogue_text",
    "default_cells",
    "load_rules",
    "parse_catalogue",
    "rule",
]

CATALOGUE_NAME = "rules.toml"

_LAYERS: frozenset[str] = frozenset(
    {"xl-file", "libxl", "libxc", "libvirt", "xapi", "image", "legacy", "xend"}
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
_OPTIONAL_KEYS = ("versions", "since", "errata", "xen_refuses", "xen_function", "cells")

#: The cells of the corpus matrix: guest types, stream kinds (libxc v2, v3, or a
#: pre-4.6 legacy stream) and the outermost wrapping of an image.
GUESTS: tuple[str, ...] = ("x86_32-pv", "x86_64-pv", "hvm")
STREAMS: tuple[str, ...] = ("v2", "v3", "legacy")
#: A legacy stream's cells tell apart what the image's words depend on (legacy.md): the
#: 32-bit guest's paging (2-level non-PAE or 3-level PAE), and, for a rule on the
#: toolstack's words ("legacy-32", "legacy-64" in its ``cells.versions``), the width of
#: the toolstack that wrote it. "legacy" is either toolstack.
LEGACY_STREAMS: tuple[str, ...] = ("legacy", "legacy-32", "legacy-64")
LEGACY_GUESTS: dict[str, tuple[str, ...]] = {
    "x86_32-pv": ("x86_32-nonpae-pv", "x86_32-pae-pv"),
    "x86_64-pv": ("x86_64-pv",),
    "hvm": ("hvm",),
}
OUTER: tuple[str, ...] = ("libxc", "legacy", "libxl", "xl", "libvirt", "xapi", "xend")
_PV = ("x86_32-pv", "x86_64-pv")
#: Areas whose records exist for one kind of guest only (libxc-stream.md "Guest types",
#: pv-context.md, hvm-context.md, libxl-stream.md "Emulator records", legacy.md).
_GUESTS_OF_AREA: dict[str, tuple[str, ...]] = {
    "pv-context": _PV,
    "x86-pv-info": _PV,
    "x86-pv-p2m-frames": _PV,
    "x86-pv-vcpu": _PV,
    "shared-info": _PV,
    "hvm-context": ("hvm",),
    "hvm-params": ("hvm",),
    "emulator": ("hvm",),
    "xenstore-data": ("hvm",),  # EMULATOR_XENSTORE_DATA, an emulator record
    "emulator-context": ("hvm",),
    "device-model": ("hvm",),
}
#: Where a rule of each layer can be broken: the stream kinds that carry that layer,
#: and the outermost wrappings an image breaking it can have (nesting.md, wrappers.md:
#: an xl file and libvirt carry a libxl stream or a legacy stream; XAPI carries either).
_STREAMS_OF_LAYER: dict[str, tuple[str, ...]] = {
    "libxc": ("v2", "v3"),
    "libxl": ("v2", "v3"),
    "legacy": ("legacy",),
    "xend": ("legacy",),  # an xend save file carries a legacy image (xend.md)
    "xl-file": STREAMS,
    "libvirt": STREAMS,
    "xapi": STREAMS,
    "image": STREAMS,
}
_OUTER_OF_LAYER: dict[str, tuple[str, ...]] = {
    "libxc": ("libxc", "libxl", "xl", "libvirt", "xapi"),
    "libxl": ("libxl", "xl", "libvirt", "xapi"),
    "legacy": ("legacy", "xl", "libvirt", "xapi"),
    "xl-file": ("xl",),
    "libvirt": ("libvirt",),
    "xapi": ("xapi",),
    "xend": ("xend",),
    "image": OUTER,
}
#: ``xen_refuses``: "none", or comma-separated releases and ranges ("4.6-", "4.0-4.5,4.14-",
#: "4.12"). Only the syntax is checked here; ``xensave.target.release_set`` gives the
#: releases (it knows the first and last release xensave describes).
#: (A pattern, compiled only when the TOML is parsed: ``re`` is not on the verify path.)
XEN_REFUSES_PATTERN = r"^(none|\d+\.\d+(-(\d+\.\d+)?)?(,\d+\.\d+(-(\d+\.\d+)?)?)*)$"


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
    version; otherwise it lists the versions it applies to. ``xen_refuses`` says
    which Xen releases' restore path refuses an image breaking the rule ("none":
    Xen tolerates it, the spec is stricter on purpose; "" not recorded), and
    ``xen_function`` names the Xen ``file:function`` that decides it.
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
    xen_refuses: str = ""
    xen_function: str = ""
    guests: tuple[str, ...] = GUESTS
    streams: tuple[str, ...] = ("v2", "v3")
    outer: tuple[str, ...] = ("libxc",)

    def cells(self) -> list[tuple[str, str]]:
        """The (guest, stream) cells the rule applies to, in matrix order; in a legacy
        stream an x86_32 PV guest is two cells, non-PAE and PAE (LEGACY_GUESTS)."""
        out: list[tuple[str, str]] = []
        for v in self.streams:
            for g in self.guests:
                kinds = LEGACY_GUESTS[g] if v in LEGACY_STREAMS else (g,)
                out += [(k, v) for k in kinds]
        return out

    @property
    def xen_tolerates(self) -> bool:
        """Xen's restore path accepts an image that breaks this rule (in every release)."""
        return self.xen_refuses == "none"

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


def default_cells(
    layer: str, area: str, versions: tuple[int, ...], chapter: str = ""
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Where a rule applies unless its table says otherwise (``cells``): every guest
    but for the areas of one guest type, the stream kinds and wrappings of its layer,
    and for a libxc rule the versions its ``versions`` key names."""
    guests = _GUESTS_OF_AREA.get(area, GUESTS)
    streams = _STREAMS_OF_LAYER[layer]
    if chapter in ("hvm-context.md", "pv-context.md"):
        streams = STREAMS  # a legacy image carries the same contexts (legacy.md)
    if versions:
        streams = tuple(f"v{v}" for v in versions)
    return guests, streams, _OUTER_OF_LAYER[layer]


def _cells_from_table(rid: str, table: dict[str, Any], versions: tuple[int, ...]) -> Any:
    chapter = str(table["spec"]).split("#")[0]
    guests, streams, outer = default_cells(table["layer"], table["area"], versions, chapter)
    cells = table.get("cells")
    if cells is None:
        return guests, streams, outer
    _expect(isinstance(cells, dict), rid, "'cells' must be an inline table")
    unknown = set(cells) - {"guests", "versions", "layers"}
    _expect(not unknown, rid, f"unknown 'cells' keys {sorted(unknown)}")
    if "guests" in cells:
        guests = tuple(cells["guests"])
        _expect(bool(guests) and set(guests) <= set(GUESTS), rid, f"bad cells.guests {guests}")
    if "versions" in cells:
        raw = cells["versions"]
        streams = tuple(v if v in LEGACY_STREAMS else f"v{v}" for v in raw)
        known = {*STREAMS, *LEGACY_STREAMS}
        _expect(bool(streams) and set(streams) <= known, rid, f"bad cells.versions {raw}")
    if "layers" in cells:
        outer = tuple(cells["layers"])
        _expect(bool(outer) and set(outer) <= set(OUTER), rid, f"bad cells.layers {outer}")
    return guests, streams, outer


def _rule_from_table(table: dict[str, Any]) -> Rule:
    import re  # only when the generated table is stale or missing

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
    xen_refuses = table.get("xen_refuses", "")
    xen_function = table.get("xen_function", "")
    _expect(
        isinstance(xen_refuses, str)
        and (not xen_refuses or bool(re.match(XEN_REFUSES_PATTERN, xen_refuses))),
        rid,
        f'\'xen_refuses\' must be "none" or release ranges like "4.6-", not {xen_refuses!r}',
    )
    _expect(isinstance(xen_function, str), rid, "'xen_function' must be a string")
    _expect(
        bool(xen_refuses) == bool(xen_function), rid, "xen_refuses and xen_function go together"
    )
    guests, streams, outer = _cells_from_table(rid, table, tuple(versions))
    return Rule(
        id=rid,
        level=Level(table["level"]),
        layer=cast("Layer", table["layer"]),
        area=table["area"],
        subject=cast("Subject", table["subject"]),
        summary=table["summary"],
        ksy=table["ksy"],
        kaitai=table["kaitai"],
        spec=table["spec"],
        versions=tuple(versions),
        errata=errata,
        since=since,
        xen_refuses=xen_refuses,
        xen_function=xen_function,
        guests=guests,
        streams=streams,
        outer=outer,
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


def _rows_for(raw: bytes) -> dict[str, tuple[Any, ...]] | None:
    """The generated table's rows by rule ID, or None unless it was made from exactly
    ``raw``."""
    try:
        from . import _catalogue
    except ImportError:
        return None
    if len(raw) != _catalogue.SIZE or zlib.crc32(raw) != _catalogue.CRC32:
        return None
    return {row[0]: row for row in _catalogue.RULES}


#: Once per process (plain globals, not functools.cache: functools and the collections
#: it imports are a seventh of a verify's start-up): the generated table's rows
#: (``_NOT_YET`` until asked for) and the whole catalogue (None until loaded).
_NOT_YET: dict[str, tuple[Any, ...]] = {}
_ROWS: dict[str, tuple[Any, ...]] | None = _NOT_YET
_RULES: dict[str, Rule] | None = None


def _table_rows() -> dict[str, tuple[Any, ...]] | None:
    """``_rows_for`` the catalogue as stored, once per process."""
    global _ROWS
    if _ROWS is _NOT_YET:
        _ROWS = _rows_for(catalogue_bytes())
    return _ROWS


def _from_table(raw: bytes) -> dict[str, Rule] | None:
    """The generated table's rules, or None unless it was made from exactly ``raw``."""
    rows = _rows_for(raw)
    if rows is None:
        return None
    return {rid: _from_row(row) for rid, row in rows.items()}


def _from_row(row: tuple[Any, ...]) -> Rule:
    (
        rid,
        level,
        layer,
        area,
        subject,
        summary,
        ksy,
        kaitai,
        spec,
        versions,
        errata,
        since,
        xen_refuses,
        xen_function,
        guests,
        streams,
        outer,
    ) = row
    return Rule(
        rid, Level(level), cast("Layer", layer), area, cast("Subject", subject), summary,
        ksy, kaitai, spec,
        tuple(versions), errata, since, xen_refuses, xen_function,
        tuple(guests), tuple(streams), tuple(outer),
    )  # fmt: skip


def load_rules() -> dict[str, Rule]:
    """Load the catalogue once per process; callers must not mutate the result."""
    global _RULES
    if _RULES is None:
        rows = _table_rows()
        if rows is None:
            _RULES = parse_catalogue(catalogue_text())
        else:
            _RULES = {rid: _from_row(row) for rid, row in rows.items()}
    return _RULES


def catalogue_loaded() -> bool:
    """Whether something has loaded the whole catalogue in this process yet."""
    return _RULES is not None


#: The rules ``rule`` has looked up so far, by ID.
_LOOKED_UP: dict[str, Rule] = {}


def rule(rule_id: str) -> Rule:
    """Look up one rule by ID; an unknown ID is a programming error, hence KeyError.
    Until something loads the whole catalogue, only that rule is made from the
    generated table: the checker cites a few rules per image, and making all of them
    would cost a fifth of a verify's start-up."""
    found = _LOOKED_UP.get(rule_id)
    if found is None:
        rows = None if _RULES is not None else _table_rows()
        if rows is None:
            found = load_rules().get(rule_id)
        elif rule_id in rows:
            found = _from_row(rows[rule_id])
        if found is not None:
            _LOOKED_UP[rule_id] = found
    if found is None:
        raise KeyError(
            f"unknown rule ID {rule_id!r}: not in the rules catalogue (spec/{CATALOGUE_NAME})"
        )
    return found
