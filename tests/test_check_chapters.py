"""Each module of ``xensave/check/`` holds the rules of one spec chapter, and only those.

The chapter of a module follows from its name (``libxc_pages.py`` belongs to
``spec/libxc-stream.md``, ``pv_context.py`` to ``spec/pv-context.md``); the chapter
of a rule is its ``spec`` key in ``spec/rules.toml``. A module owns the slice of
``CHECKS`` for some rules of its chapter and cites no other rule: in its source, and
in the diagnostics it emits over the whole corpus.
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType, ModuleType

import pytest

from xensave import checker
from xensave.check import emit
from xensave.checker import CHECKS, check_bytes
from xensave.rules import load_rules

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "xensave" / "check"
CORPUS = ROOT / "conformance" / "corpus"
RULE_ID = re.compile(r"(?:XLF|XL|XC|LVF|XAPI|IMG|LEG|HVM|PV|XEND)-[A-Z0-9]+-\d{3}")
RULES = load_rules()
NOT_CHAPTERS = {"emit", "__init__"}  # shared results and state; the package


def chapter_of(module: str) -> str:
    """The one chapter whose name the module's name reads as: the file name without
    ``-stream``, ``-`` as ``_``, alone or before ``_`` and the module's own part."""
    found = [
        p.name
        for p in (ROOT / "spec").glob("*.md")
        if (key := p.stem.removesuffix("-stream").replace("-", "_")) == module
        or module.startswith(key + "_")
    ]
    assert len(found) == 1, (module, found)
    return found[0]


def chapter_modules() -> list[str]:
    return sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in NOT_CHAPTERS)


def module(name: str) -> ModuleType:
    return importlib.import_module(f"xensave.check.{name}")


def cited(path: Path) -> Iterator[tuple[int, str]]:
    """(line, rule ID) of every string literal naming a rule outside the ``CHECKS``
    table (whose keys are the slice, not citations)."""
    tree = ast.parse(path.read_text())
    table: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign | ast.Assign) and isinstance(node.value, ast.Dict):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id.endswith("CHECKS") for t in targets):
                table |= {id(k) for k in node.value.keys}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in table:
            for rid in RULE_ID.findall(node.value):
                yield node.lineno, rid


def test_every_module_is_a_chapter_module_of_the_checker() -> None:
    names = chapter_modules()
    assert names, "no chapter modules found"
    assert {m.__name__.rsplit(".", 1)[1] for m in checker.CHAPTER_MODULES} == set(names)


@pytest.mark.parametrize("name", chapter_modules())
def test_module_owns_only_rules_of_its_chapter(name: str) -> None:
    chapter = chapter_of(name)
    own = module(name).CHECKS
    assert own, name
    elsewhere = {r: RULES[r].spec for r in own if RULES[r].spec.split("#")[0] != chapter}
    assert not elsewhere, f"check/{name}.py owns rules of other chapters than {chapter}"


@pytest.mark.parametrize("name", chapter_modules())
def test_module_cites_only_its_own_rules(name: str) -> None:
    own = module(name).CHECKS
    foreign = [(line, r) for line, r in cited(PACKAGE / f"{name}.py") if r not in own]
    assert not foreign, f"check/{name}.py cites rules it does not own: {foreign}"


def test_emit_and_checker_cite_no_chapter_rule() -> None:
    assert not list(cited(PACKAGE / "emit.py"))
    entry = {r for _line, r in cited(ROOT / "xensave" / "checker.py")}
    assert entry <= set(checker.IMAGE_CHECKS)
    assert {RULES[r].spec.split("#")[0] for r in checker.IMAGE_CHECKS} == {"image.md"}


def test_checks_is_the_union_of_disjoint_slices() -> None:
    slices = [m.CHECKS for m in checker.CHAPTER_MODULES] + [checker.IMAGE_CHECKS]
    assert sum(len(s) for s in slices) == len(CHECKS)
    assert {r for s in slices for r in s} == set(CHECKS)


def test_chapter_of_reads_the_name() -> None:
    assert chapter_of("libxc_pages") == "libxc-stream.md"
    assert chapter_of("pv_context") == "pv-context.md"
    assert chapter_of("xl_file") == "xl-file.md"
    assert chapter_of("libxl") == "libxl-stream.md"


# --- what the modules emit, over the corpus


def _owner(frame: FrameType | None) -> str:
    """The module of the first caller outside emit.py (emit_once calls emit)."""
    while frame is not None and frame.f_globals["__name__"] == emit.__name__:
        frame = frame.f_back
    assert frame is not None
    return str(frame.f_globals["__name__"])


def test_corpus_diagnostics_come_from_the_modules_that_own_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owners: dict[str, str] = {}
    for m in checker.CHAPTER_MODULES:
        owners |= dict.fromkeys(m.CHECKS, m.__name__)
    owners |= dict.fromkeys(checker.IMAGE_CHECKS, checker.__name__)
    wrong: set[tuple[str, str]] = set()
    seen: set[str] = set()
    real_emit, real_at = emit.CheckState.emit, emit.CheckState.diag_at_record

    def spy_emit(self: emit.CheckState, rid: str, *args: object, **kw: object) -> None:
        seen.add(rid)
        if owners.get(rid) != (who := _owner(sys._getframe(1))):
            wrong.add((rid, who))
        real_emit(self, rid, *args, **kw)  # type: ignore[arg-type]

    def spy_at(self: emit.CheckState, rid: str, *args: object) -> None:
        seen.add(rid)
        if owners.get(rid) != (who := _owner(sys._getframe(1))):
            wrong.add((rid, who))
        real_at(self, rid, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(emit.CheckState, "emit", spy_emit)
    monkeypatch.setattr(emit.CheckState, "diag_at_record", spy_at)
    for path in sorted(CORPUS.iterdir()):
        check_bytes(path.read_bytes())
    assert not wrong, sorted(wrong)
    # the corpus reaches (nearly) every rule, so this says something about each module
    assert len(seen) > 0.9 * len(CHECKS), sorted(set(CHECKS) - seen)
