"""The documentation site publishes every spec chapter, every ksy file and every CLI
command, with no list in docs/ to keep by hand. Cheap checks of what the Sphinx
extension builds its pages from (the full build and the browser check are
``tox -e docs``, part of ``./dev test``)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

from xensave.cli import main
from xensave.rules import load_rules

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
GENERATED = {"_build", "_gen", "spec"}

import xensave_docs_plan as plan  # noqa: E402


def toctree_entries(text: str) -> list[str]:
    """The entries of every toctree directive in a MyST page."""
    out = []
    for block in re.findall(r"```\{toctree\}\n(.*?)```", text, re.S):
        out += [ln.strip() for ln in block.splitlines() if ln.strip() and ln[0] != ":"]
    return out


def test_every_spec_chapter_is_in_the_specification_toctree() -> None:
    on_disk = {p.stem for p in (ROOT / "spec").glob("*.md")}
    chapters = plan.spec_chapters()
    assert sorted(chapters) == sorted(on_disk)
    assert chapters[0] == "README"
    toc = plan.spec_toctree(chapters)
    assert toctree_entries(toc) == [f"spec/{s}" for s in chapters]
    # the landing page includes that toctree, and lists no chapter by hand besides
    index = (DOCS / "index.md").read_text()
    assert f"```{{include}} {plan.SPEC_TOCTREE}\n```" in index
    # the pages written by hand (_gen/, _build/ and spec/ are written by the build)
    pages = [p for p in DOCS.rglob("*.md") if p.relative_to(DOCS).parts[0] not in GENERATED]
    hand = [e for p in pages for e in toctree_entries(p.read_text())]
    assert not [e for e in hand if e.startswith("spec/")], hand
    assert "_gen/include" in (DOCS / "conf.py").read_text()  # the fragment is no page itself


def test_spec_reading_order_follows_the_spec_readme() -> None:
    table = re.findall(r"^\| \[`([\w.-]+)\.md`\]", (ROOT / "spec" / "README.md").read_text(), re.M)
    chapters = plan.spec_chapters()
    listed = [chapters.index(s) for s in table if s in chapters]
    assert listed == sorted(listed) and listed == list(range(1, len(listed) + 1))


@pytest.mark.parametrize("stem", plan.spec_chapters())
def test_a_chapter_page_includes_its_chapter(stem: str) -> None:
    page = plan.spec_page(stem)
    (target,) = re.findall(r"```\{include\} (\S+)\n```", page)
    assert (plan.SPEC_PAGES / target).resolve() == ROOT / "spec" / f"{stem}.md"


def test_every_rule_is_stated_in_a_published_chapter() -> None:
    chapters = set(plan.spec_chapters())
    missing = {
        r.id: r.spec for r in load_rules().values() if r.spec.split("#")[0][:-3] not in chapters
    }
    assert not missing


def test_every_ksy_file_gets_a_reference_page_and_a_diagram() -> None:
    """The reference page is named after the file and the compiler's Graphviz output
    after ``meta.id``: they must agree or the page would have no diagram."""
    files = plan.ksy_files()
    assert {p.name for p in files} == {
        p.name for p in (ROOT / "ksy").iterdir() if p.suffix == ".ksy"
    }
    for p in files:
        meta = yaml.safe_load(p.read_text())["meta"]
        assert meta["id"] == p.stem, p.name
        assert meta.get("title"), f"{p.name}: the reference index shows meta.title"


def test_every_cli_command_is_in_the_cli_reference(capsys: pytest.CaptureFixture[str]) -> None:
    cmds = plan.cli_commands()
    top = {c[0] for c in cmds if len(c) == 1}
    from xensave.cli import LAZY_COMMANDS

    assert {"verify", "dump", *LAZY_COMMANDS} <= top
    # the reference prints each one's --help: each must work and name itself
    for cmd in cmds:
        try:
            rc = main([*cmd, "--help"])
        except SystemExit as exc:
            rc = exc.code
        assert rc == 0, cmd
        usage = capsys.readouterr().out
        assert usage.startswith("usage: " + " ".join(["xensave", *cmd])), (cmd, usage[:80])
