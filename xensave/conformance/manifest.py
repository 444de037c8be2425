"""The corpus manifest (``conformance/manifest.json``), its cases and their files.

The manifest is read as plain JSON, the same way a third party would read it. The
harness never trusts the files blindly: :func:`snapshot` reads every file the
manifest names and checks its size and SHA-256 against the manifest, once before a
run and again after it, so a testee that managed to touch the corpus is caught.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Case",
    "CorpusError",
    "Filters",
    "Manifest",
    "Snapshot",
    "find_manifest",
    "load_manifest",
    "snapshot",
]

MANIFEST_FORMAT = "xensave-corpus"
VERDICTS = ("accept", "reject", "either")
LEVELS = ("required", "recommended")


class CorpusError(Exception):
    """The manifest cannot be read, or a corpus file is missing or differs from it."""


@dataclass(frozen=True)
class Case:
    name: str
    file: str  # relative to the manifest's directory
    sha256: str
    size: int
    verdict: str  # accept | reject | either
    level: str  # required | recommended
    rules: tuple[str, ...] = ()
    layer: str | None = None
    layers: tuple[str, ...] = ()
    version: int | None = None
    guest: str | None = None
    profile: str | None = None
    tags: tuple[str, ...] = ()
    description: str = ""
    recipe: str = ""
    restorable: str | None = None  # the Xen releases that restore it ("4.6-", "none")
    restore_decided_by: tuple[str, ...] = ()
    since: str | None = None  # the corpus version that added the case
    legacy_guest: str | None = None  # a legacy stream's guest kind (x86_32 non-PAE, PAE...)
    toolstack: int | None = None  # and the width of the toolstack that wrote it

    @property
    def prefix(self) -> str:
        """``y``, ``n`` or ``i``: what the verdict asks for, as in the file names."""
        return {"accept": "y", "reject": "n"}.get(self.verdict, "i")


@dataclass
class Manifest:
    path: Path
    cases: list[Case]
    tags: dict[str, str] = field(default_factory=dict)
    raw_sha256: str = ""
    corpus_version: str | None = None  # MAJOR.MINOR.PATCH; None in a manifest before 1.0.0

    @property
    def root(self) -> Path:
        return self.path.parent

    def case_path(self, case: Case) -> Path:
        return self.root / case.file

    def by_name(self) -> dict[str, Case]:
        return {c.name: c for c in self.cases}


def _str_tuple(v: object, what: str) -> tuple[str, ...]:
    if v is None:
        return ()
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise CorpusError(f"{what} is not a list of strings")
    return tuple(v)


def _opt_str(v: object, what: str) -> str | None:
    if v is None or isinstance(v, str):
        return v
    raise CorpusError(f"{what} is not a string or null")


def _case(obj: object, index: int) -> Case:
    if not isinstance(obj, dict):
        raise CorpusError(f"cases[{index}] is not an object")
    where = f"cases[{index}] ({obj.get('name', '?')})"
    for key in ("name", "file", "sha256", "verdict"):
        if not isinstance(obj.get(key), str):
            raise CorpusError(f"{where}: {key} is missing or not a string")
    size = obj.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise CorpusError(f"{where}: size is missing or not a non-negative integer")
    if obj["verdict"] not in VERDICTS:
        raise CorpusError(f"{where}: verdict {obj['verdict']!r} is not one of {VERDICTS}")
    level = obj.get("level", "required")
    if level not in LEVELS:
        raise CorpusError(f"{where}: level {level!r} is not one of {LEVELS}")
    version = obj.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise CorpusError(f"{where}: version is not an integer or null")
    toolstack = obj.get("toolstack")
    if toolstack not in (None, 32, 64) or isinstance(toolstack, bool):
        raise CorpusError(f"{where}: toolstack is not 32, 64 or null")
    file = obj["file"]
    if os.path.isabs(file) or ".." in Path(file).parts:
        raise CorpusError(f"{where}: file {file!r} is not a path inside the corpus")
    return Case(
        name=obj["name"],
        file=file,
        sha256=obj["sha256"].lower(),
        size=size,
        verdict=obj["verdict"],
        level=level,
        rules=_str_tuple(obj.get("rules"), f"{where}: rules"),
        layer=_opt_str(obj.get("layer"), f"{where}: layer"),
        layers=_str_tuple(obj.get("layers"), f"{where}: layers"),
        version=version,
        guest=_opt_str(obj.get("guest"), f"{where}: guest"),
        profile=_opt_str(obj.get("profile"), f"{where}: profile"),
        tags=_str_tuple(obj.get("tags"), f"{where}: tags"),
        description=obj.get("description") or "",
        recipe=obj.get("recipe") or "",
        restorable=_opt_str(obj.get("restorable"), f"{where}: restorable"),
        restore_decided_by=_str_tuple(
            obj.get("restore_decided_by"), f"{where}: restore_decided_by"
        ),
        since=_opt_str(obj.get("since"), f"{where}: since"),
        legacy_guest=_opt_str(obj.get("legacy_guest"), f"{where}: legacy_guest"),
        toolstack=toolstack,
    )


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise CorpusError(f"cannot read the manifest {p}: {exc.strerror or exc}") from None
    try:
        obj = json.loads(raw)
    except ValueError as exc:
        raise CorpusError(f"{p}: not JSON: {exc}") from None
    if not isinstance(obj, dict) or obj.get("format") != MANIFEST_FORMAT:
        raise CorpusError(f"{p}: not a corpus manifest (format is not {MANIFEST_FORMAT!r})")
    if obj.get("manifest_version") != 1:
        raise CorpusError(f"{p}: manifest_version {obj.get('manifest_version')!r} is not 1")
    cases_obj = obj.get("cases")
    if not isinstance(cases_obj, list):
        raise CorpusError(f"{p}: cases is not a list")
    cases = [_case(c, i) for i, c in enumerate(cases_obj)]
    seen: set[str] = set()
    for c in cases:
        if c.name in seen:
            raise CorpusError(f"{p}: case {c.name!r} appears twice")
        seen.add(c.name)
    tags = obj.get("tags") or {}
    if not isinstance(tags, dict):
        raise CorpusError(f"{p}: tags is not an object")
    return Manifest(
        path=p,
        cases=cases,
        tags={str(k): str(v) for k, v in tags.items()},
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        corpus_version=_opt_str(obj.get("corpus_version"), f"{p}: corpus_version"),
    )


#: Where a wheel puts the conformance suite (pyproject force-includes conformance/).
PACKAGED_MANIFEST = Path(__file__).resolve().parents[1] / "data" / "conformance" / "manifest.json"


def find_manifest(start: Path | None = None) -> Path | None:
    """The corpus manifest to use when none is named: a checkout's own
    ``conformance/manifest.json`` (in the current directory or one above it, else in
    the source tree this package is imported from), else the copy an installed wheel
    carries as package data."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        cand = d / "conformance" / "manifest.json"
        if cand.is_file():
            return cand
    cand = Path(__file__).resolve().parents[2] / "conformance" / "manifest.json"
    if cand.is_file():
        return cand
    return PACKAGED_MANIFEST if PACKAGED_MANIFEST.is_file() else None


@dataclass
class Snapshot:
    """What the corpus held at one moment: the manifest's hash and every file's bytes."""

    manifest_sha256: str
    data: dict[str, bytes]  # case name -> bytes, already checked against the manifest


def snapshot(manifest: Manifest, cases: Iterable[Case] | None = None) -> Snapshot:
    """Read and check the files of ``cases`` (default: every case). Raises CorpusError
    naming each file that is missing or differs from the manifest."""
    problems: list[str] = []
    data: dict[str, bytes] = {}
    for case in manifest.cases if cases is None else cases:
        path = manifest.case_path(case)
        try:
            blob = path.read_bytes()
        except OSError as exc:
            problems.append(f"{case.file}: cannot read: {exc.strerror or exc}")
            continue
        if len(blob) != case.size:
            problems.append(f"{case.file}: {len(blob)} bytes, the manifest says {case.size}")
            continue
        digest = hashlib.sha256(blob).hexdigest()
        if digest != case.sha256:
            problems.append(f"{case.file}: sha256 {digest}, the manifest says {case.sha256}")
            continue
        data[case.name] = blob
    try:
        raw = manifest.path.read_bytes()
    except OSError as exc:
        problems.append(f"{manifest.path}: cannot read: {exc.strerror or exc}")
        raw = b""
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise CorpusError(f"the corpus does not match its manifest:\n  {shown}{more}")
    return Snapshot(hashlib.sha256(raw).hexdigest(), data)


@dataclass
class Filters:
    """Which cases to run: values of one filter are alternatives, filters combine."""

    names: Sequence[str] = ()  # globs on the case name
    tags: Sequence[str] = ()
    layers: Sequence[str] = ()
    versions: Sequence[str] = ()  # "2", "3" or "none"
    guests: Sequence[str] = ()
    levels: Sequence[str] = ()

    def __bool__(self) -> bool:
        return any((self.names, self.tags, self.layers, self.versions, self.guests, self.levels))

    def match(self, c: Case) -> bool:
        if self.names and not any(fnmatch.fnmatchcase(c.name, g) for g in self.names):
            return False
        if self.tags and not set(self.tags) & set(c.tags):
            return False
        if self.layers and (c.layer or "none") not in self.layers:
            return False
        if self.versions and str(c.version).lower() not in self.versions:
            return False
        if self.guests and (c.guest or "none") not in self.guests:
            return False
        return not (self.levels and c.level not in self.levels)

    def apply(self, cases: Iterable[Case]) -> list[Case]:
        return [c for c in cases if self.match(c)]

    def describe(self) -> list[str]:
        """The filters as command-line options (for reproduction commands)."""
        out: list[str] = []
        for opt, values in (
            ("-k", self.names),
            ("--tag", self.tags),
            ("--layer", self.layers),
            ("--version", self.versions),
            ("--guest", self.guests),
            ("--level", self.levels),
        ):
            for v in values:
                out += [opt, v]
        return out


def as_jsonable(case: Case) -> dict[str, Any]:
    return {
        "name": case.name,
        "file": case.file,
        "verdict": case.verdict,
        "level": case.level,
        "rules": list(case.rules),
        "layer": case.layer,
        "version": case.version,
        "guest": case.guest,
        "profile": case.profile,
        "restorable": case.restorable,
        "since": case.since,
        "tags": list(case.tags),
        "description": case.description,
    }
