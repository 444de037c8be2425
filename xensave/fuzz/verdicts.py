"""From what a case declares to the verdict an implementation owes it.

A fuzz case declares, like a corpus recipe (``generators/corpus/framework.py``):

``breaks``
    image rules (MUST or SHOULD) the image breaks;
``permits``
    MAY or SHOULD rules that let a conforming reader refuse the image (a big-endian
    stream, TSC mode 3, a libxl record it does not know...);
``relies``
    SHOULD rules for readers that acceptance rests on (XC-REC-007: skip unknown
    optional records).

:func:`derive` turns that into a verdict with the corpus's policy, so a reproducer
filed into the corpus keeps its meaning. The one choice is the *role* of the
implementation under test, for images whose only fault is a non-zero reserved field
or padding (spec/README.md, "Reserved bits and padding"):

``validator`` (the default of ``xensave fuzz``)
    a checker or parser that judges images, as the reference checker does: such an
    image is non-conforming and must be rejected;
``restorer``
    a restoring reader, which must ignore those octets (XC-REC-010): either answer
    conforms, as in the corpus (``i_`` cases).

Nothing here runs an implementation or the checker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..rules import Level, Rule, load_rules

__all__ = ["RESERVED", "ROLES", "Verdict", "derive"]

ROLES = ("validator", "restorer")

#: MUST image rules that only ask for zero in a reserved field, reserved flag bits or
#: padding: the same set as the corpus's policy (``generators/corpus/policy.py``;
#: ``tests/test_fuzz_mutations.py`` keeps the two equal).
RESERVED: frozenset[str] = frozenset(
    {
        "XLF-HDR-006",
        "XL-HDR-003",
        "XL-REC-002",
        "XL-CKS-006",
        "XC-HDR-004",
        "XC-HDR-005",
        "XC-DOM-003",
        "XC-REC-002",
        "XC-PAGE-003",
        "XC-PAGE-004",
        "XC-PVI-005",
        "XC-VCPU-002",
        "XC-TSC-002",
        "XC-HVMP-003",
        "LVF-HDR-005",
        "XAPI-SEC-004",
        "LEG-CHK-003",
    }
)


@dataclass(frozen=True)
class Verdict:
    """``verdict`` is ``accept``, ``reject`` or ``either``; ``level`` is ``required``
    (it follows from MUST rules, or the image is valid) or ``recommended``."""

    verdict: str
    level: str

    @property
    def prefix(self) -> str:
        """``y``, ``n`` or ``i``, as in the corpus's file names."""
        return {"accept": "y", "reject": "n"}.get(self.verdict, "i")


def derive(
    breaks: Iterable[str],
    permits: Iterable[str] = (),
    relies: Iterable[str] = (),
    *,
    role: str = "validator",
    rules: Mapping[str, Rule] | None = None,
) -> Verdict:
    """The verdict the declarations imply for an implementation of ``role``.

    * a broken MUST rule: reject; for a restorer, either when every broken MUST rule
      is a reserved-field rule (:data:`RESERVED`);
    * only SHOULD rules broken, or a variation some rule lets a reader refuse: either
      (recommended);
    * otherwise accept (recommended when acceptance rests on a SHOULD rule for
      readers).
    """
    if role not in ROLES:
        raise ValueError(f"role {role!r} is not one of {ROLES}")
    cat = load_rules() if rules is None else rules
    breaks, permits, relies = tuple(breaks), tuple(permits), tuple(relies)
    must = [r for r in breaks if cat[r].level == Level.MUST]
    if must:
        if role == "restorer" and all(r in RESERVED for r in must):
            return Verdict("either", "required")
        return Verdict("reject", "required")
    if breaks or permits:
        return Verdict("either", "recommended")
    return Verdict("accept", "recommended" if relies else "required")
