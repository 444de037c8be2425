"""Imports go one way (commands -> checker -> reader -> constants): no module of the
package imports, directly or through others, a module that imports it back.

Every ``import`` counts, wherever it stands: at module level, inside a function (the
lazy imports that keep ``xensave verify`` light), under ``if TYPE_CHECKING``. A lazy
cycle works at run time, but it hides which module is the lower one, and the next
module-level import along it breaks start-up.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _modules(top: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package's __init__) for every module under ``top``."""
    out: dict[str, tuple[Path, bool]] = {}
    for path in sorted(top.rglob("*.py")):
        parts = list(path.relative_to(top.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts.pop()
        out[".".join(parts)] = (path, is_pkg)
    return out


def import_graph(top: Path) -> dict[str, set[str]]:
    """Each module of the package at ``top`` -> the package's modules it imports."""
    modules = _modules(top)
    graph: dict[str, set[str]] = {}
    for name, (path, is_pkg) in modules.items():
        package = name if is_pkg else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    mod = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    mod = node.module or ""
                targets.add(mod)
                # ``from . import x`` and ``from .pkg import mod`` import submodules
                targets.update(f"{mod}.{alias.name}" for alias in node.names)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (first module repeated at the end) per strongly connected group of
    modules (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    group.append(m)
                    if m == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return [_path_through(graph, group) for group in groups]


def _path_through(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A shortest cycle from the group's first module back to it, within the group."""
    start = group[0]
    members = set(group)
    came: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came[path[-1]])
                    return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, start]
                if child not in came:
                    came[child] = node
                    nxt.append(child)
        frontier = nxt
    raise AssertionError(f"no cycle through {group}")  # pragma: no cover


def test_no_import_cycles() -> None:
    found = cycles(import_graph(ROOT / "xensave"))
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


#: The command layer: the command line, the commands and what only they share.
COMMANDS = {
    "xensave.cli",
    "xensave.console",
    "xensave.target",
    "xensave.dump",
    "xensave.diff",
    "xensave.convert",
    "xensave.export",
    "xensave.elf_core",
    "xensave.page_index",
}


def _reached(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for m in graph[todo.pop()] - seen:
            seen.add(m)
            todo.append(m)
    return seen


@pytest.mark.parametrize(
    "low", ["xensave.constants", "xensave.source", "xensave.reader", "xensave.legacy.read"]
)
def test_the_readers_import_no_command(low: str) -> None:
    """Downward only: nothing the readers load, directly or through others, is a
    command or the commands' shared console."""
    graph = import_graph(ROOT / "xensave")
    assert not _reached(graph, low) & COMMANDS, sorted(_reached(graph, low) & COMMANDS)


def test_the_checker_imports_no_command() -> None:
    graph = import_graph(ROOT / "xensave")
    assert not _reached(graph, "xensave.checker") & COMMANDS


def test_the_graph_sees_the_imports_that_matter() -> None:
    """The walk is not vacuous: lazy, relative and TYPE_CHECKING imports are edges."""
    graph = import_graph(ROOT / "xensave")
    assert "xensave.legacy.read" in graph["xensave.reader"]  # lazy, inside a function
    assert "xensave.target" in graph["xensave.cli"]  # lazy, for --target-xen only
    assert "xensave.legacy.read" in graph["xensave.console"]  # under TYPE_CHECKING
    assert "xensave.source" in graph["xensave.legacy.read"]  # relative, two dots
    assert "xensave.constants" in graph["xensave.reader"]


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    top = tmp_path / "pkg"
    for rel, text in files.items():
        path = top / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return top


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (  # a lazy import back, as cli <-> target was
            {
                "__init__.py": "",
                "a.py": "from . import b\n",
                "b.py": "def f():\n    from .a import x\n",
            },
            [["pkg.a", "pkg.b", "pkg.a"]],
        ),
        (  # through a subpackage and a TYPE_CHECKING import, as reader <-> legacy.read was
            {
                "__init__.py": "",
                "reader.py": "def f():\n    from .sub.read import g\n",
                "sub/__init__.py": "",
                "sub/read.py": "if TYPE_CHECKING:\n    from ..reader import R\n",
            },
            [["pkg.reader", "pkg.sub.read", "pkg.reader"]],
        ),
        (  # one way only: no cycle
            {
                "__init__.py": "",
                "a.py": "import pkg.b\nfrom .c import y\n",
                "b.py": "from pkg import c\n",
                "c.py": "from . import __doc__\n",
            },
            [],
        ),
    ],
)
def test_cycles_are_found_and_named(
    tmp_path: Path, files: dict[str, str], expected: list[list[str]]
) -> None:
    assert cycles(import_graph(_package(tmp_path, files))) == expected
