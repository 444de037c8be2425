"""Implementations under test: adapter files, ``--impl`` commands, expected failures.

An adapter file (``conformance/adapters/*.json``) describes one implementation::

    {
      "name": "reference",
      "description": "what it is",
      "protocol": "persistent",                      # or "exit-code"
      "command": ["{python}", "-m", "xensave.conformance.testee", "reference"],
      "supports": {"layers": ["xl", "libxl", "libxc"], "versions": [2, 3], "guests": null},
      "expected_failures": "../expected-failures/reference.txt",
      "timeout": 10,
      "role": "validator",                           # or "restorer", with "xen_release"
      "setup": "what makes it runnable, e.g. run npm ci"
    }

``role`` says what the implementation is judged by. A *validator* (the default) by
each case's ``verdict``: accept a valid image, reject an invalid one. A *restorer*
(``"role": "restorer", "xen_release": "4.17"``) stands for that Xen release's restore
path and is judged by the case's declared ``restorable`` releases: it must accept
exactly the images that release restores (every such verdict is required), whether or
not they are valid.

``command`` is a list of arguments or one string split like a shell would (no shell
runs it). Placeholders: ``{file}`` the case's private read-only copy (exit-code
protocol; without it the image comes on stdin), ``{python}`` the interpreter running
the harness, ``{here}`` the adapter file's directory. ``supports`` lists what the
implementation claims to handle (a missing or null key claims everything); cases
outside are reported as unsupported. Paths are relative to the adapter file.

``setup`` is the fix shown when the implementation cannot start here (see
:func:`xensave.conformance.execute.probe`): a missing interpreter, a missing file, a
testee that exits at once; ``{here}`` and ``{python}`` are replaced in it too.

An expected-failure list holds one case name per line; ``#`` starts a comment.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .manifest import Case

__all__ = [
    "PROTOCOLS",
    "Adapter",
    "AdapterError",
    "ExpectedFailures",
    "adapter_from_command",
    "add_implementation_options",
    "bundled_adapters",
    "chosen_adapters",
    "find_adapter",
    "load_adapter",
    "read_expected_failures",
    "write_expected_failures",
]

PROTOCOLS = ("exit-code", "persistent")
ROLES = ("validator", "restorer")
DEFAULT_TIMEOUT = 10.0
_SUPPORT_KEYS = ("layers", "versions", "guests")


class AdapterError(Exception):
    """An adapter file or an ``--impl`` option that cannot be used."""


@dataclass
class Adapter:
    name: str
    command: list[str]
    protocol: str = "exit-code"
    description: str = ""
    supports: dict[str, list[str]] = field(default_factory=dict)  # key -> allowed values
    expected_failures: Path | None = None
    timeout: float | None = None
    source: Path | None = None  # the adapter file, if any
    origin: list[str] = field(default_factory=list)  # options that name it on a command line
    role: str = "validator"  # or "restorer"
    xen_release: str | None = None  # a restorer's Xen release, "X.Y"
    setup: str = ""  # the fix when it cannot start here ("run npm ci")
    files: list[str] = field(default_factory=list)  # {here}/... arguments that must exist

    @property
    def role_label(self) -> str:
        """``validator``, or ``restorer (Xen X.Y)``."""
        return f"restorer (Xen {self.xen_release})" if self.role == "restorer" else self.role

    def expects(self, case: Case) -> tuple[str, str] | None:
        """(verdict, level) this implementation is judged by for ``case``; None when the
        manifest gives nothing to judge it by (a restorer and no ``restorable``)."""
        if self.role != "restorer":
            return case.verdict, case.level
        if case.restorable is None or self.xen_release is None:
            return None
        from ..target import parse_release, release_set

        restores = parse_release(self.xen_release) in release_set(case.restorable)
        return ("accept" if restores else "reject"), "required"

    @property
    def takes_file(self) -> bool:
        return any("{file}" in a for a in self.command)

    def argv(self, file: str) -> list[str]:
        return [a.replace("{file}", file) for a in self.command]

    def supported(self, case: Case) -> tuple[bool, str]:
        """Whether the case is inside the claimed support, and if not why."""
        if self.role == "restorer" and case.restorable is None:
            return False, "the manifest declares no restorability for it"
        for key, attr in (("layers", "layer"), ("versions", "version"), ("guests", "guest")):
            allowed = self.supports.get(key)
            if allowed is None:
                continue
            value = getattr(case, attr)
            if value is None:
                continue  # not applicable to this case (say, no libxc stream reached)
            if str(value) not in allowed:
                return False, f"{attr} {value} is outside the claimed {key} ({', '.join(allowed)})"
        return True, ""

    def display_command(self) -> str:
        return " ".join(a if a == "{file}" else shlex.quote(a) for a in self.command)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "protocol": self.protocol,
            "command": self.command,
            "supports": self.supports or None,
            "role": self.role,
            "xen_release": self.xen_release,
            "expected_failures": str(self.expected_failures) if self.expected_failures else None,
            "adapter_file": str(self.source) if self.source else None,
            "setup": self.setup or None,
        }


def _expand(arg: str, here: Path) -> str:
    return arg.replace("{python}", sys.executable).replace("{here}", str(here))


def _split(command: object, where: str) -> list[str]:
    if isinstance(command, str):
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise AdapterError(f"{where}: command: {exc}") from None
    elif isinstance(command, list) and all(isinstance(a, str) for a in command):
        argv = list(command)
    else:
        raise AdapterError(f"{where}: command is neither a string nor a list of strings")
    if not argv:
        raise AdapterError(f"{where}: command is empty")
    return argv


def _check_name(name: object, where: str) -> str:
    if not isinstance(name, str) or not name or any(c in name for c in "=/\\ \t\n"):
        raise AdapterError(f"{where}: name {name!r} is empty or has '=', '/' or spaces")
    return name


def load_adapter(path: str | os.PathLike[str]) -> Adapter:
    p = Path(path)
    where = str(p)
    try:
        obj = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AdapterError(f"cannot read the adapter file {p}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise AdapterError(f"{where}: not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise AdapterError(f"{where}: not a JSON object")
    known = {"name", "description", "protocol", "command", "supports", "expected_failures"}
    known |= {"role", "xen_release", "setup"}
    unknown = set(obj) - known - {"timeout", "$comment"}
    if unknown:
        raise AdapterError(f"{where}: unknown keys {sorted(unknown)}")
    here = p.resolve().parent
    name = _check_name(obj.get("name"), where)
    protocol = obj.get("protocol", "exit-code")
    if protocol not in PROTOCOLS:
        raise AdapterError(f"{where}: protocol {protocol!r} is not one of {PROTOCOLS}")
    raw_argv = _split(obj.get("command"), where)
    argv = [_expand(a, here) for a in raw_argv]
    files = [_expand(a, here) for a in raw_argv[1:] if a.startswith("{here}")]
    setup = obj.get("setup", "")
    if not isinstance(setup, str):
        raise AdapterError(f"{where}: setup is not a string")
    setup = _expand(setup, here)
    supports: dict[str, list[str]] = {}
    sup = obj.get("supports") or {}
    if not isinstance(sup, dict) or set(sup) - set(_SUPPORT_KEYS):
        raise AdapterError(f"{where}: supports must be an object with keys {_SUPPORT_KEYS}")
    for key, values in sup.items():
        if values is None:
            continue
        if not isinstance(values, list):
            raise AdapterError(f"{where}: supports.{key} is not a list or null")
        supports[key] = [str(v) for v in values]
    xf = obj.get("expected_failures")
    if xf is not None and not isinstance(xf, str):
        raise AdapterError(f"{where}: expected_failures is not a path")
    timeout = obj.get("timeout")
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        raise AdapterError(f"{where}: timeout is not a positive number")
    description = obj.get("description", "")
    role = obj.get("role", "validator")
    if role not in ROLES:
        raise AdapterError(f"{where}: role {role!r} is not one of {ROLES}")
    release = obj.get("xen_release")  # a validator may name one too; only a restorer uses it
    if role == "restorer" and not isinstance(release, str):
        raise AdapterError(f'{where}: a restorer needs "xen_release": "X.Y"')
    if release is not None:
        from ..target import parse_release

        try:
            parse_release(release if isinstance(release, str) else "")
        except ValueError as exc:
            raise AdapterError(f"{where}: xen_release: {exc}") from None
    return Adapter(
        name=name,
        command=argv,
        protocol=protocol,
        description=description if isinstance(description, str) else "",
        supports=supports,
        expected_failures=Path(os.path.normpath(here / xf)) if xf else None,
        timeout=float(timeout) if timeout is not None else None,
        source=p,
        origin=["--adapter", str(p)],
        role=role,
        xen_release=release.strip() if isinstance(release, str) else None,
        setup=setup,
        files=files,
    )


def bundled_adapters(directory: Path) -> list[Adapter]:
    """Every ``*.json`` adapter file directly in ``directory``, by file name."""
    out = [load_adapter(p) for p in sorted(directory.glob("*.json"))]
    for a in out:
        a.origin = ["--adapter", a.name]
    return out


def find_adapter(spec: str, directory: Path) -> Adapter:
    """``--adapter NAME`` (a bundled adapter's name or file stem) or ``--adapter FILE``."""
    p = Path(spec)
    if p.suffix == ".json" or os.sep in spec:
        return load_adapter(p)
    if directory.is_dir():
        for a in bundled_adapters(directory):
            if a.name == spec or (a.source is not None and a.source.stem == spec):
                a.origin = ["--adapter", spec]
                return a
        names = ", ".join(a.name for a in bundled_adapters(directory))
        raise AdapterError(f"no adapter named {spec!r} in {directory} (there are: {names})")
    raise AdapterError(f"no adapter named {spec!r}: {directory} does not exist")


def adapter_from_command(spec: str, protocol: str) -> Adapter:
    """``NAME=COMMAND`` from the command line."""
    name, sep, command = spec.partition("=")
    if not sep:
        raise AdapterError(f"{spec!r}: expected NAME=COMMAND, e.g. mytool='./mytool {{file}}'")
    opt = "--persistent-impl" if protocol == "persistent" else "--impl"
    name = _check_name(name, opt)
    argv = [_expand(a, Path.cwd()) for a in _split(command, f"{opt} {name}")]
    return Adapter(
        name=name,
        command=argv,
        protocol=protocol,
        description=f"{opt} {spec}",
        origin=[opt, spec],
    )


def add_implementation_options(group: Any) -> None:
    """The options that name implementations, shared by ``conformance run`` and
    ``xensave fuzz`` so that both spell and read them alike."""
    group.add_argument("-a", "--adapter", action="append", default=[], metavar="NAME|FILE")
    group.add_argument("--impl", action="append", default=[], metavar="NAME=CMD")
    group.add_argument("--persistent-impl", action="append", default=[], metavar="NAME=CMD")


def chosen_adapters(args: Any, directory: Path) -> list[Adapter]:
    """The implementations named by :func:`add_implementation_options`, adapters first;
    bare adapter names are looked up in ``directory``."""
    chosen = [find_adapter(spec, directory) for spec in args.adapter]
    chosen += [adapter_from_command(s, "exit-code") for s in args.impl]
    chosen += [adapter_from_command(s, "persistent") for s in args.persistent_impl]
    return chosen


# --- expected-failure lists --------------------------------------------------------


@dataclass
class ExpectedFailures:
    path: Path | None
    entries: dict[str, int]  # case name -> line number
    exists: bool = True

    @classmethod
    def empty(cls, path: Path | None = None) -> ExpectedFailures:
        return cls(path, {}, exists=False)


def read_expected_failures(path: Path | None) -> ExpectedFailures:
    """The list at ``path``; an empty one when there is no path or no file yet."""
    if path is None:
        return ExpectedFailures.empty()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ExpectedFailures.empty(path)
    except OSError as exc:
        raise AdapterError(f"cannot read {path}: {exc.strerror or exc}") from None
    entries: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        if name in entries:
            raise AdapterError(f"{path}:{lineno}: {name} is listed twice")
        entries[name] = lineno
    return ExpectedFailures(path, entries)


@dataclass(frozen=True)
class Entry:
    case: str
    rules: tuple[str, ...]
    note: str


def write_expected_failures(
    path: Path,
    impl: str,
    entries: Iterable[Entry],
    rule_info: Mapping[str, tuple[str, str, bool | None]],
    command: Sequence[str],
) -> None:
    """Rewrite the list: entries grouped under the first rule each case exercises,
    every group headed by the rule's level and summary (``rule_info``: ID -> (level,
    summary, kaitai-expressible)), so the file reads as a list of what the
    implementation does not do."""
    groups: dict[str, list[Entry]] = {}
    for e in entries:
        groups.setdefault(e.rules[0] if e.rules else "", []).append(e)
    lines = [
        f"# Expected failures of {impl}: cases it is known to get wrong.",
        "# One case name per line; '#' starts a comment. A listed case that passes, or a",
        "# name that matches no case, fails the run as much as an unlisted failure does.",
        f"# Rewritten by: {shlex.join(command)}",
    ]
    if not groups:
        lines.append("# (none)")
    for rule in sorted(groups, key=lambda r: (r == "", r)):
        lines.append("")
        if rule:
            level, summary, kaitai = rule_info.get(rule, ("?", "(not in the catalogue)", None))
            flag = " [layout: the ksy does not express it]" if kaitai is False else ""
            lines.append(f"# {rule} ({level}){flag}: {summary}")
        else:
            lines.append("# cases that name no rule, or many (valid images of a whole layer)")
        for e in sorted(groups[rule], key=lambda e: e.case):
            lines.append(f"{e.case}  # {e.note}" if e.note else e.case)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
