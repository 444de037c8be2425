"""What the xensave site is made of, found from the sources (no Sphinx needed).

The site must show every spec chapter, every ksy file and every CLI command
without anyone editing a list when one is added. This module finds them: the
Sphinx extension (``xensave_docs``) builds its pages and toctrees from these
lists, and ``tests/test_docs_site.py`` checks them in the ordinary test run,
without a Sphinx build.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent
ROOT = DOCS.parent
SPEC = ROOT / "spec"
KSY = ROOT / "ksy"

#: the docs page of a spec chapter: docs/spec/<stem>.md, an include of spec/<stem>.md
SPEC_PAGES = DOCS / "spec"
#: the generated toctree of the chapters, included by docs/index.md
SPEC_TOCTREE = "_gen/include/spec-toctree.md"

_LINK = re.compile(r"\]\(([A-Za-z0-9_.-]+)\.md(?:#[^)]*)?\)")


def spec_chapters() -> list[str]:
    """Every ``spec/*.md`` by stem, in reading order: ``README`` first, then the
    chapters in the order of the table in ``spec/README.md``, then those its text
    links to, then any other by name (a chapter nobody has linked to yet is still
    published)."""
    stems = sorted(p.stem for p in SPEC.glob("*.md"))
    order = [s for s in ("README",) if s in stems]
    readme = SPEC / "README.md"
    if readme.is_file():
        lines = readme.read_text(encoding="utf-8").splitlines()
        table = [ln for ln in lines if ln.startswith("|")]
        for m in _LINK.finditer("\n".join([*table, *lines])):
            if m.group(1) in stems and m.group(1) not in order:
                order.append(m.group(1))
    return order + [s for s in stems if s not in order]


def spec_page(stem: str) -> str:
    """The docs page of one chapter: the chapter itself, included."""
    return f"```{{include}} ../../spec/{stem}.md\n```\n"


def spec_toctree(chapters: list[str]) -> str:
    """The Specification toctree of the landing page."""
    lines = ["```{toctree}", ":caption: Specification", ":maxdepth: 1", ""]
    lines += [f"spec/{s}" for s in chapters]
    return "\n".join([*lines, "```", ""])


def ksy_files() -> list[Path]:
    """Every ksy file; each gets a reference page and a diagram."""
    return sorted(KSY.glob("*.ksy"))


def cli_commands() -> list[list[str]]:
    """Every command and sub-command of ``xensave``, from the parser itself (all
    lazily loaded commands included): ``[]`` for the top level, then ``["verify"]``,
    ``["export", "elf"]``, …, in the order ``--help`` lists them."""
    from xensave.cli import build_parser

    out: list[list[str]] = [[]]

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        seen: set[int] = set()
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):
                continue
            for name, sub in action.choices.items():
                if id(sub) in seen:  # an alias of a command already listed
                    continue
                seen.add(id(sub))
                out.append([*path, name])
                walk(sub, [*path, name])

    walk(build_parser(full=True), [])
    return out
