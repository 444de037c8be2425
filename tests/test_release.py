"""The corpus's version and its release tarball (fast checks; the full release, built
and checked with the README's loop, is ``tox -e release``; the installed wheel is
tests/test_install.py)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import tarfile
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from generators.corpus.build import CORPUS_VERSION, version_key

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = json.loads((ROOT / "conformance" / "manifest.json").read_text())


def _release() -> ModuleType:
    spec = importlib.util.spec_from_file_location("release", ROOT / ".ci" / "release.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_manifest_carries_the_corpus_version() -> None:
    assert MANIFEST["corpus_version"] == CORPUS_VERSION
    assert re.fullmatch(r"\d+\.\d+\.\d+", CORPUS_VERSION)


def test_every_case_was_added_by_a_version_up_to_this_one() -> None:
    for case in MANIFEST["cases"]:
        assert version_key(case["since"]) <= version_key(CORPUS_VERSION), case["name"]


def test_the_changelog_has_an_entry_for_every_version_a_case_names() -> None:
    changelog = (ROOT / "docs" / "changelog.md").read_text()
    versions = {CORPUS_VERSION, *(c["since"] for c in MANIFEST["cases"])}
    for v in versions:
        assert f"### Corpus {v}\n" in changelog, f"docs/changelog.md: no '### Corpus {v}'"


def test_version_key_refuses_what_is_not_semantic() -> None:
    assert version_key("1.10.0") > version_key("1.9.3")
    for bad in ("1.0", "1.0.0-rc1", "v1.0.0", "1..0"):
        with pytest.raises(ValueError):
            version_key(bad)


def test_fault_offsets_point_into_or_at_the_end_of_the_image() -> None:
    for case in MANIFEST["cases"]:
        at = case["fault_offset"]
        if case["verdict"] == "accept":
            assert at is None, case["name"]
        elif at is not None:
            assert 0 <= at <= case["size"], case["name"]


def test_the_tarball_is_reproducible_and_complete(tmp_path: Path) -> None:
    release = _release()
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    a = release.tarball(one, CORPUS_VERSION)
    b = release.tarball(two, CORPUS_VERSION)
    assert a.name == f"xensave-corpus-{CORPUS_VERSION}.tar.gz"
    assert a.read_bytes() == b.read_bytes()
    top = f"xensave-corpus-{CORPUS_VERSION}"
    with tarfile.open(a) as tar:
        names = {m.name for m in tar.getmembers() if m.isfile()}
        sums = tar.extractfile(f"{top}/SHA256SUMS")
        assert sums is not None
        listed = dict(reversed(line.split("  ", 1)) for line in sums.read().decode().splitlines())
        for name, digest in listed.items():
            member = tar.extractfile(f"{top}/{name}")
            assert member is not None
            assert hashlib.sha256(member.read()).hexdigest() == digest, name
    want = {c["file"] for c in MANIFEST["cases"]}
    want |= {"README.md", "manifest.json", "manifest.schema.json", "tags.json", "TAGS.md"}
    assert set(listed) == want
    assert names == {f"{top}/{n}" for n in (*want, "SHA256SUMS")}
    assert (one / f"{top}.manifest.json").read_bytes() == (
        ROOT / "conformance" / "manifest.json"
    ).read_bytes()


def test_the_wheel_carries_the_conformance_suite_and_the_sdist_what_tests_need() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    hatch = project["tool"]["hatch"]["build"]["targets"]
    assert hatch["wheel"]["force-include"]["conformance"] == "xensave/data/conformance"
    sdist = set(hatch["sdist"]["include"])
    for needed in ("conformance", "docs", "tests", "generators", "ksy", "spec", ".ci", "dev"):
        assert needed in sdist, needed
    deps = project["project"]["dependencies"]
    assert any(d.startswith("hypothesis") for d in deps)
    for extra, reqs in project["project"]["optional-dependencies"].items():
        assert not any(r.startswith("hypothesis") for r in reqs), extra
