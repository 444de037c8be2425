"""Which rules the corpus tests in which cells (issue 17).

A *cell* is a guest type and a stream kind: ``x86_32-pv``, ``x86_64-pv`` or ``hvm``
with a libxc ``v2`` or ``v3`` stream; or, for a pre-4.6 legacy stream, the guest's kind
(``x86_32-nonpae-pv``, ``x86_32-pae-pv``, ``x86_64-pv``, ``hvm``) with ``legacy`` (either
toolstack) or, for the rules on the toolstack's words, ``legacy-32`` and ``legacy-64``
(the width of the toolstack that wrote it). Every image rule
says which cells it applies to (``spec/rules.toml``: defaults by layer and area, or
a ``cells`` line); this module counts the corpus's ``y_``, ``n_`` and ``i_`` cases
of each rule in each cell, by outer layer too, and lists the applicable cells where
a MUST rule has no failing case. ``xensave conformance coverage`` prints it, the
docs show it, and ``tests/test_corpus.py`` gates on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..rules import GUESTS, LEGACY_GUESTS, LEGACY_STREAMS, OUTER, Level, Rule, load_rules
from .manifest import Case

__all__ = [
    "CELLS",
    "EXEMPT",
    "LAYER_EXEMPT",
    "LAYER_PENDING",
    "PENDING",
    "PENDING_AREAS",
    "Coverage",
    "RuleCoverage",
    "cell_label",
    "cell_of",
    "coverage",
]

Cell = tuple[str, str]  # (guest, stream)
#: The guest kinds of a legacy stream's cells: an x86_32 PV guest is non-PAE or PAE.
LEGACY_KINDS: tuple[str, ...] = tuple(k for g in GUESTS for k in LEGACY_GUESTS[g])
#: Every cell, in matrix order: each guest type with a libxc v2 or v3 stream, then each
#: legacy guest kind with a legacy stream from either toolstack ("legacy", for a rule
#: that does not depend on the toolstack's width) or from a 32- or 64-bit one.
CELLS: tuple[Cell, ...] = tuple((g, s) for s in ("v2", "v3") for g in GUESTS) + tuple(
    (k, s) for s in LEGACY_STREAMS for k in LEGACY_KINDS
)

_GUEST_LABEL = {
    "x86_32-pv": "x86_32 PV",
    "x86_64-pv": "x86_64 PV",
    "hvm": "HVM",
    "x86_32-nonpae-pv": "x86_32 non-PAE PV",
    "x86_32-pae-pv": "x86_32 PAE PV",
}


def cells_of(case: Case) -> list[Cell]:
    """The cells a corpus case counts in: its guest and libxc version; for a legacy
    stream its guest kind both in "legacy" and in its toolstack's own cell. None for an
    image with no guest, or a legacy one whose manifest entry does not say its kind."""
    if case.guest is None:
        return []
    if case.version is not None:
        return [(case.guest, f"v{case.version}")]
    if case.legacy_guest is None or case.toolstack is None:
        return []
    return [(case.legacy_guest, "legacy"), (case.legacy_guest, f"legacy-{case.toolstack}")]


def cell_of(case: Case) -> Cell | None:
    """The one cell reports file a case under: the most specific of :func:`cells_of`."""
    cells = cells_of(case)
    return cells[-1] if cells else None


def cell_label(cell: Cell) -> str:
    """ "x86_32 PV v2", "x86_32 PAE PV legacy-64": how reports name a cell."""
    return f"{_GUEST_LABEL.get(cell[0], cell[0])} {cell[1]}"


#: Applicable cells where no failing case can exist, by rule: (cells, reason). The
#: recipe cannot apply there, so the gate does not ask for one.
EXEMPT: dict[str, tuple[tuple[Cell, ...], str]] = {}

_PV = ("x86_32-pv", "x86_64-pv")


def _cells(guests: Iterable[str], streams: Iterable[str]) -> tuple[Cell, ...]:
    return tuple((g, s) for s in streams for g in guests)


def _but(*cells: Cell) -> tuple[Cell, ...]:
    """Every cell of a rule of the default streams (v2, v3, legacy) but these."""
    return tuple(c for c in CELLS if c[1] in ("v2", "v3", "legacy") and c not in cells)


def _each(rids: str, cells: tuple[Cell, ...], why: str) -> dict[str, tuple[tuple[Cell, ...], str]]:
    return {rid: (cells, why) for rid in rids.split()}


#: The legacy PV cells (either toolstack).
_LEG_PV: tuple[Cell, ...] = (
    ("x86_32-nonpae-pv", "legacy"),
    ("x86_32-pae-pv", "legacy"),
    ("x86_64-pv", "legacy"),
)


EXEMPT.update(
    {
        "IMG-FMT-001": (
            _but(("hvm", "v3")),
            "an image of no known format holds no guest and no stream: one case is every cell",
        ),
        "LVF-HDR-002": (
            _but(("hvm", "v3")),
            "the file ends inside the libvirt header, before any stream: one case is every cell",
        ),
        "XAPI-STR-001": (
            _but(),
            "the LIBXC section holds no stream, so no guest or stream version: one case is "
            "every cell",
        ),
        "XLF-NEST-002": (
            (*_LEG_PV, ("hvm", "legacy")),
            "the rule compares the xl header's byte order with the one a libxl stream "
            "header declares; a legacy stream after an xl file (STREAMv2 clear) has no "
            "header and declares none (xl reads it natively up to 4.5, through "
            "convert-legacy-stream after)",
        ),
        **_each(
            "LVF-STR-003 LVF-STR-004",
            (*_LEG_PV, ("hvm", "legacy")),
            "both rules are on the libxl stream of a version 2 file (the byte order its "
            "header declares, the octets after its END); a version 1 file holds a legacy "
            "image instead, which declares no byte order and runs to the end of the file "
            "(libxl reads it to EOF): octets after its tail are the image's own "
            "(LEG-END-002, n_libvirt-legacy_hvm_legacy-trailing-data)",
        ),
        "LVF-STR-002": (
            (
                ("x86_32-pv", "v2"),
                ("x86_64-pv", "v2"),
                ("hvm", "v2"),
                ("x86_32-pv", "v3"),
                ("x86_64-pv", "v3"),
                *_LEG_PV,
            ),
            "the rule looks only for a libxl header at 64 + xml_len (libxl's stream "
            "reader refuses the ident before anything else, stream_header_done); what "
            "stands there instead is never read as a stream, so its guest and version do "
            "not matter: one case of each kind of stray data stands for every cell (a "
            "libxc stream: n_libvirt-v3_hvm_no-libxl-stream; a legacy image: "
            "n_libvirt-legacy_hvm_no-libxl-stream)",
        ),
        **_each(
            "PV-MSR-001 PV-MSR-002 PV-MSR-003 PV-MSR-004",
            (("x86_32-nonpae-pv", "legacy"), ("x86_32-pae-pv", "legacy"), ("x86_64-pv", "legacy")),
            "a legacy PV tail holds each vCPU's basic and extended contexts and XSAVE state, "
            "no MSRs: xc_domain_restore's buffer_tail_pv (4.0-4.5) and convert-legacy-stream's "
            "read_pv_tail (4.6 on) read none, so there is no X86_PV_VCPU_MSRS to break",
        ),
        **_each(
            "XC-SDE-001 XC-POL-001 XC-POL-002 XC-POL-006 XC-POL-007 XC-POL-008 XC-POL-009 "
            "XC-POL-010 XC-POL-011",
            _cells((*_PV, "hvm"), ("v2",)),
            "a version 2 stream has no STATIC_DATA_END or CPU policy record to break "
            "(XC-SDE-005, XC-POL-005: Xen wrote them from 4.14, in v3); adding one breaks "
            "those rules first",
        ),
    }
)


#: Applicable cells that still want a failing case: the recipes build their own images
#: (not on the cell bases) or place their change where only their own cell has it. The
#: gate holds this list exactly, so it can only shrink. Work left for issue 17 (none:
#: corpus 5.1.0 filled the last five, the wrapper rules around a non-PAE legacy image).
PENDING: dict[str, tuple[tuple[Cell, ...], str]] = {}

#: The legacy cells of the HVM and PV context rules still without a failing case,
#: merged into PENDING (a rule pending elsewhere keeps its own cells and reason).
_LEGACY_PENDING: dict[str, tuple[tuple[Cell, ...], str]] = {}
for _rid, (_cells_left, _why) in _LEGACY_PENDING.items():
    if _rid in PENDING:
        _had, _had_why = PENDING[_rid]
        PENDING[_rid] = (_had + _cells_left, f"{_had_why}; in legacy cells: {_why}")
    else:
        PENDING[_rid] = (_cells_left, _why)


#: Whole chapters pending in one stream kind: (chapter, stream) -> why.
PENDING_AREAS: dict[tuple[str, str], str] = {}


def _each_layer(
    rids: str, outers: tuple[str, ...], why: str
) -> dict[str, tuple[tuple[str, ...], str]]:
    return {rid: (outers, why) for rid in rids.split()}


#: Declared outer layers (``rules.OUTER``) where a MUST rule has no failing case and
#: cannot have one, by rule: (outer layers, reason).
_CUT = (
    "a stream cut short (or a libxl stream without its ident) inside a wrapper is, to a "
    "reader of the wrapper, a wrapper that holds no whole stream: the wrapper's nesting "
    "rule (XL-NEST-001, XLF-NEST-001, LVF-STR-002, XAPI-STR-001), which its own cases show"
)
_PLAIN = (
    "xenopsd restores what a XAPI image holds as a plain stream, never a checkpointed "
    "one, so any CHECKPOINT record there is refused whatever its body (handle_checkpoint, "
    "xg_sr_restore.c: XC-CKPT-002) and so is any CHECKPOINT_END or CHECKPOINT_STATE "
    "(process_record, libxl_stream_read.c: no checkpoint is open): these rules cannot be "
    "broken alone in a XAPI image"
)
_ONE_CHECKPOINT = (
    "xenopsd hands a LIBXC_LEGACY section to its restore helper, which restores a plain "
    "stream (xc_domain_restore, checkpointed_stream 0, finishes after the first tail), "
    "then reads the next section header where the helper stopped (restore_common): "
    "octets after the tail (LEG-END-002) or a second, compressed checkpoint (LEG-CMP-002, "
    "LEG-CMP-003) are read as that header, and qemu's state after QemuDeviceModelRecord "
    "(LEG-DM-002) has no length and runs to the end of the input (compat_buffer_qemu), "
    "taking END_OF_IMAGE with it: the fault is a XAPI framing error there, never the rule "
    "alone (spec/wrappers.md, Finding the streams)"
)
_UNRECOGNISED = (
    "a legacy image names neither its toolstack's width nor its guest type (Xen's "
    "toolstack tells xc_domain_restore and convert-legacy-stream both); a reader tries "
    "the four variants (xensave.legacy.read.detect), and this fault makes the right one "
    "fail, so a bare image with it reads as another variant or as none and cannot show "
    "the rule; an xl file with STREAMv2 clear, a libvirt version 1 file and a XAPI "
    "LIBXC_LEGACY section each say a legacy image follows, and the cases there show it"
)
LAYER_EXEMPT: dict[str, tuple[tuple[str, ...], str]] = {
    "IMG-FMT-001": (
        ("libxc", "legacy", "libxl", "libvirt", "xapi", "xend"),
        "an image of no known format is no layer's: one case stands for every wrapping",
    ),
    "XC-END-003": (
        ("libxl", "xl", "libvirt", "xapi"),
        "the rule is the bare stream's: inside a wrapper the octets after the libxc END are "
        "the libxl stream's next record or the XAPI image's next section",
    ),
    "XL-END-003": (
        ("libvirt", "xapi"),
        "octets after the libxl END end a libvirt file (LVF-STR-004, the libvirt rule, "
        "shown by n_libvirt-*_trailing-data) or are a XAPI image's next section header",
    ),
    **_each_layer("XC-REC-001 XC-END-002", ("libxl", "xl", "libvirt", "xapi"), _CUT),
    **_each_layer("XL-HDR-001 XL-REC-001 XL-END-002", ("xl", "libvirt", "xapi"), _CUT),
    **_each_layer(
        "XC-CKPT-001 XL-CKE-001 XL-CKS-001 XL-CKS-003 XL-CKS-004 XL-CKS-005 XL-CKS-006",
        ("xapi",),
        _PLAIN,
    ),
    **_each_layer("LEG-END-002 LEG-DM-002 LEG-CMP-002 LEG-CMP-003", ("xapi",), _ONE_CHECKPOINT),
    **_each_layer(
        "LEG-EXT-002 LEG-CHK-001 LEG-CHK-004 LEG-TAIL-001 LEG-DM-001", ("legacy",), _UNRECOGNISED
    ),
}

#: Declared outer layers still without a failing case, by (outer layer, the rule's own
#: layer): (how many MUST rules of that layer, why). The gate holds each count exactly,
#: so it can only go down; a group whose count reaches 0 is dropped. Work left for
#: issue 17. The libxc and libxl rows count what generators/corpus/wrapped.py leaves.
LAYER_PENDING: dict[tuple[str, str], tuple[int, str]] = {}


@dataclass
class RuleCoverage:
    rule: Rule
    #: cell -> {"y": n, "n": n, "i": n}
    cells: dict[Cell, dict[str, int]] = field(default_factory=dict)
    #: outer layer -> {"y": n, "n": n, "i": n}
    layers: dict[str, dict[str, int]] = field(default_factory=dict)

    def failing(self, cell: Cell) -> int:
        """Cases in ``cell`` that break the rule (``n_``, or ``i_`` for a reserved field)."""
        got = self.cells.get(cell, {})
        return got.get("n", 0) + got.get("i", 0)

    def uncovered(self) -> list[Cell]:
        """Applicable cells with no case of the rule at all."""
        return [c for c in self.rule.cells() if not sum(self.cells.get(c, {}).values())]

    def layers_without_failing(self) -> list[str]:
        """Declared outer layers where no case breaks the rule (exempt ones aside)."""
        exempt = LAYER_EXEMPT.get(self.rule.id, ((), ""))[0]
        return [
            k
            for k in self.rule.outer
            if k not in exempt
            and not (self.layers.get(k, {}).get("n", 0) + self.layers.get(k, {}).get("i", 0))
        ]

    def without_failing(self) -> list[Cell]:
        """Applicable cells where no case breaks the rule (exempt cells aside)."""
        exempt = EXEMPT.get(self.rule.id, ((), ""))[0]
        return [c for c in self.rule.cells() if not self.failing(c) and c not in exempt]


@dataclass
class Coverage:
    rules: dict[str, RuleCoverage]

    def gaps(self, must_only: bool = True) -> dict[str, list[Cell]]:
        """Applicable cells of each (MUST) image rule with no failing case."""
        out: dict[str, list[Cell]] = {}
        for rid, rc in self.rules.items():
            if must_only and rc.rule.level != Level.MUST:
                continue
            missing = rc.without_failing()
            if missing:
                out[rid] = missing
        return out

    def unexplained(self) -> dict[str, list[Cell]]:
        """MUST gaps that neither EXEMPT nor PENDING (nor PENDING_AREAS) names."""
        out: dict[str, list[Cell]] = {}
        for rid, cells in self.gaps().items():
            pending = PENDING.get(rid, ((), ""))[0]
            chapter = self.rules[rid].rule.spec.split("#")[0]
            left = [c for c in cells if c not in pending and (chapter, c[1]) not in PENDING_AREAS]
            if left:
                out[rid] = left
        return out

    def layer_gaps(self) -> dict[tuple[str, str], list[str]]:
        """MUST rules with no failing case in a declared outer layer, by (outer layer,
        the rule's own layer)."""
        out: dict[tuple[str, str], list[str]] = {}
        for rid, rc in self.rules.items():
            if rc.rule.level != Level.MUST:
                continue
            for outer in rc.layers_without_failing():
                out.setdefault((outer, str(rc.rule.layer)), []).append(rid)
        return out

    def layers_unexplained(self) -> dict[tuple[str, str], list[str]]:
        """Layer gaps LAYER_PENDING does not count: a group it does not name, or more
        rules in a group than its count (fewer is a shrink the gate asks to record)."""
        out: dict[tuple[str, str], list[str]] = {}
        for key, rids in self.layer_gaps().items():
            allowed = LAYER_PENDING.get(key, (0, ""))[0]
            if len(rids) > allowed:
                out[key] = rids
        return out

    def totals(self) -> dict[str, int]:
        applicable = sum(len(rc.rule.cells()) for rc in self.rules.values())
        gaps = sum(len(v) for v in self.gaps().values())
        must = sum(
            len(rc.rule.cells()) for rc in self.rules.values() if rc.rule.level == Level.MUST
        )
        layer_gaps = sum(len(v) for v in self.layer_gaps().values())
        return {
            "rules": len(self.rules),
            "applicable": applicable,
            "must": must,
            "gaps": gaps,
            "layer_gaps": layer_gaps,
        }


def coverage(cases: Iterable[Case], rules: dict[str, Rule] | None = None) -> Coverage:
    """Count the cases of each image rule by cell and by outer layer."""
    rules = load_rules() if rules is None else rules
    table = {
        rid: RuleCoverage(r)
        for rid, r in rules.items()
        if r.subject == "image" and not r.summary.startswith("WITHDRAWN")
    }
    for case in cases:
        cells = cells_of(case)
        layer = case.layer if case.layer in OUTER else None
        for rid in case.rules:
            rc = table.get(rid)
            if rc is None:
                continue
            for cell in cells:
                counts = rc.cells.setdefault(cell, {"y": 0, "n": 0, "i": 0})
                counts[case.prefix] += 1
            if layer is not None:
                counts = rc.layers.setdefault(layer, {"y": 0, "n": 0, "i": 0})
                counts[case.prefix] += 1
    return Coverage(table)


def to_json(cov: Coverage) -> dict[str, object]:
    """The matrix as JSON: per rule, per cell, the counts and whether it applies."""
    rules = []
    for rid, rc in cov.rules.items():
        applicable = set(rc.rule.cells())
        rules.append(
            {
                "rule": rid,
                "level": str(rc.rule.level),
                "cells": {
                    f"{g}/{s}": {
                        **rc.cells.get((g, s), {"y": 0, "n": 0, "i": 0}),
                        "applies": (g, s) in applicable,
                    }
                    for g, s in CELLS
                },
                "layers": {k: rc.layers.get(k, {"y": 0, "n": 0, "i": 0}) for k in OUTER},
                "applies_in_layers": list(rc.rule.outer),
                "without_failing_case": [f"{g}/{s}" for g, s in rc.without_failing()],
                "layers_without_failing_case": rc.layers_without_failing(),
                "exempt": [f"{g}/{s}" for g, s in EXEMPT.get(rid, ((), ""))[0]],
            }
        )
    return {"cells": [f"{g}/{s}" for g, s in CELLS], "totals": cov.totals(), "rules": rules}


def render_text(cov: Coverage, *, all_rules: bool = False) -> str:
    """A terminal table: one line per rule, one column per cell, ``n/i/y`` counts;
    ``-`` where the rule does not apply, ``!`` where a MUST rule has no failing case."""
    head = ["rule".ljust(13)] + [cell_label(c).rjust(14) for c in CELLS]
    lines = [" ".join(head)]
    for rid, rc in cov.rules.items():
        missing = set(rc.without_failing()) if rc.rule.level == Level.MUST else set()
        if not all_rules and not missing:
            continue
        row = [rid.ljust(13)]
        for c in CELLS:
            if c not in rc.rule.cells():
                row.append("-".rjust(14))
                continue
            k = rc.cells.get(c, {"y": 0, "n": 0, "i": 0})
            text = f"{k['n']}/{k['i']}/{k['y']}" + ("!" if c in missing else "")
            row.append(text.rjust(14))
        lines.append(" ".join(row))
    t = cov.totals()
    lines.append(
        f"{t['rules']} image rules; {t['applicable']} applicable rule cells "
        f"({t['must']} of MUST rules); {t['gaps']} MUST rule cells without a failing case"
        " (n/i/y: cases that must be rejected / may go either way / must be accepted)"
    )
    lines.append(layer_summary(cov))
    return "\n".join(lines) + "\n"


def layer_summary(cov: Coverage) -> str:
    """One line per declared outer layer: how many MUST rules that apply in it have a
    failing case wrapped that way."""
    out = ["by outer layer (MUST rules with a failing case / applying there):"]
    for outer in OUTER:
        rules = [
            rc
            for rc in cov.rules.values()
            if rc.rule.level == Level.MUST and outer in rc.rule.outer
        ]
        gaps = sum(1 for rc in rules if outer in rc.layers_without_failing())
        exempt = sum(1 for rc in rules if outer in LAYER_EXEMPT.get(rc.rule.id, ((), ""))[0])
        out.append(f"  {outer:8} {len(rules) - gaps - exempt:4} / {len(rules)} ({exempt} exempt)")
    return "\n".join(out)


def render_markdown(cov: Coverage) -> str:
    """The docs page: every image rule x cell with n/i/y counts, then the gaps."""
    head = "| rule | level | " + " | ".join(cell_label(c) for c in CELLS) + " |"
    lines = [
        "# Corpus coverage by cell",
        "",
        "Each image rule applies to some cells: a guest type (x86_32 PV, x86_64 PV, HVM) "
        "with a libxc v2 or v3 stream; or a pre-4.6 legacy stream of an x86_32 non-PAE, "
        "x86_32 PAE, x86_64 PV or HVM guest, from either toolstack (*legacy*) or, for the "
        "rules on the toolstack's words, from a 32- or a 64-bit one (*legacy-32*, "
        "*legacy-64*) (`cells` in `spec/rules.toml`, or the defaults by layer and area in "
        "`xensave/rules.py`). "
        "Each cell shows the corpus's cases of the rule as *n/i/y*: must be rejected / "
        "either verdict conforms / must be accepted; `-` where the rule does not apply; "
        "**!** where a MUST rule has no failing case. The same table is printed by "
        "`xensave conformance coverage --all`.",
        "",
    ]
    t = cov.totals()
    lines += [
        f"{t['rules']} image rules, {t['applicable']} applicable rule cells "
        f"({t['must']} of MUST rules), {t['gaps']} MUST rule cells without a failing case "
        "(each exempt or pending, below).",
        "",
        head,
        "|" + "---|" * (2 + len(CELLS)),
    ]
    for rid, rc in cov.rules.items():
        missing = set(rc.without_failing()) if rc.rule.level == Level.MUST else set()
        row = [rid, str(rc.rule.level)]
        for c in CELLS:
            if c not in rc.rule.cells():
                row.append("-")
                continue
            k = rc.cells.get(c, {"y": 0, "n": 0, "i": 0})
            row.append(f"{k['n']}/{k['i']}/{k['y']}" + (" **!**" if c in missing else ""))
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "## Applicable cells with no case", ""]
    for rid, rc in cov.rules.items():
        if rc.uncovered():
            lines.append(f"- {rid}: {', '.join(cell_label(c) for c in rc.uncovered())}")
    for title, table in (("Exempt cells", EXEMPT), ("Pending cells", PENDING)):
        lines += ["", f"## {title}", ""]
        for rid, (cells, why) in table.items():
            lines.append(f"- {rid} in {', '.join(cell_label(c) for c in cells)}: {why}")
    for (chapter, stream), why in PENDING_AREAS.items():
        lines.append(f"- every rule of {chapter} in the {stream} cells: {why}")
    lines += [
        "",
        "## By outer layer",
        "",
        "Each rule also says which outermost wrappings an image breaking it can have (bare "
        "libxc, legacy, libxl, xl, libvirt, XAPI). Cases of each MUST rule by the outer "
        "layer of the image, *n/i/y*; **!** where that layer has no failing case. A libxc "
        "or libxl rule's cases in the other outer layers are mostly *wrapped copies* of its "
        "smallest breaking case (`wrap_of` in the manifest; generators/corpus/wrapped.py).",
        "",
        "| rule | " + " | ".join(OUTER) + " |",
        "|" + "---|" * (1 + len(OUTER)),
    ]
    for rid, rc in cov.rules.items():
        if rc.rule.level != Level.MUST:
            continue
        bare = set(rc.layers_without_failing())
        row = [rid]
        for outer in OUTER:
            if outer not in rc.rule.outer:
                row.append("-")
                continue
            k = rc.layers.get(outer, {"y": 0, "n": 0, "i": 0})
            row.append(f"{k['n']}/{k['i']}/{k['y']}" + (" **!**" if outer in bare else ""))
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "### Exempt and pending outer layers", ""]
    for rid, (outers, why) in LAYER_EXEMPT.items():
        lines.append(f"- exempt: {rid} in {', '.join(outers)}: {why}")
    for (outer, inner), (count, why) in LAYER_PENDING.items():
        lines.append(f"- pending: {count} MUST rules of the {inner} layer in {outer}: {why}")
    return "\n".join(lines) + "\n"
