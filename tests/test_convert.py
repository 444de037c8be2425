"""xensave convert: outputs compared with the model the legacy image was built from."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from xensave.cli import main
from xensave.convert import ConvertError, convert
from xensave.legacy.format import Chunk, RawChunk, encode
from xensave.legacy.samples import XL_CONFIG, Sample, build, standard_samples
from xensave.loader import load_bytes, normalise
from xensave.outputs import OutputError

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the recipes live in generators/, outside the package
    sys.path.insert(0, str(ROOT))

from generators.corpus.legacy import NOT_CONVERTIBLE, expected_conversions  # noqa: E402

CASES = [
    s
    for s in [
        *standard_samples(),
        build(64, "pv", remus=True),
        build(32, "hvm", remus=True),
        build(64, "pv", unmapped=(60, 61)),
    ]
    if s.image.guest == "hvm" or "nonpae" not in s.name
]


def _targets(s: Sample) -> list[str]:
    if s.xl_config:
        return ["xl"]
    if s.image.guest == "hvm":
        return ["libxl"]
    return ["libxc-v3", "libxc-v2", "libxl"]


@pytest.mark.parametrize(
    "s,to",
    [(s, t) for s in CASES for t in _targets(s)],
    ids=lambda x: x if isinstance(x, str) else x.name,
)
def test_legacy_converts_to_the_model(tmp_path: Path, s: Sample, to: str) -> None:
    src = tmp_path / "in.bin"
    src.write_bytes(s.data())
    before = src.read_bytes()
    out = tmp_path / "out.bin"
    convert(str(src), str(out), to)  # type: ignore[arg-type]
    assert src.read_bytes() == before
    version = 2 if to == "libxc-v2" else 3
    exp = {
        "libxc-v3": s.expected.libxc,
        "libxc-v2": s.expected.libxc,
        "libxl": s.expected.libxl,
        "xl": s.expected.xl,
    }[to](version)
    assert normalise(load_bytes(out.read_bytes())) == normalise(exp)


def test_default_target(tmp_path: Path) -> None:
    s = build(64, "hvm", xl_config=XL_CONFIG)
    (tmp_path / "a").write_bytes(s.data())
    assert convert(str(tmp_path / "a"), str(tmp_path / "b")).target == "xl"
    s = build(32, "hvm")
    (tmp_path / "c").write_bytes(s.data())
    assert convert(str(tmp_path / "c"), str(tmp_path / "d")).target == "libxl"


def test_nonpae_refused_and_nothing_written(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(build(32, "pv", levels=2).data())
    with pytest.raises(ConvertError, match="non-PAE"):
        convert(str(tmp_path / "a"), str(tmp_path / "b"), "libxc-v3")
    assert sorted(os.listdir(tmp_path)) == ["a"]


def test_tmem_refused(tmp_path: Path) -> None:
    s = build(64, "pv")
    s.image.checkpoints[0].body.insert(0, RawChunk(Chunk.TMEM, bytes(16)))
    (tmp_path / "a").write_bytes(encode(s.image))
    with pytest.raises(ConvertError, match="TMEM"):
        convert(str(tmp_path / "a"), str(tmp_path / "b"))
    assert sorted(os.listdir(tmp_path)) == ["a"]


def test_loss_refused_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(build(64, "hvm").data())
    with pytest.raises(ConvertError, match="lose"):
        convert(str(tmp_path / "a"), str(tmp_path / "b"), "libxc-v3")
    r = convert(str(tmp_path / "a"), str(tmp_path / "b"), "libxc-v3", allow_loss=True)
    assert any("dropped" in n for n in r.notes)


def test_same_path_refused(tmp_path: Path) -> None:
    p = tmp_path / "a"
    p.write_bytes(build(64, "pv").data())
    before = p.read_bytes()
    assert (
        main(["convert", str(p), str(p)]) == 2
    )  # refused as usage, like export and pages (issue 19)
    assert p.read_bytes() == before


def test_existing_output_untouched_on_failure(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(build(32, "pv", levels=2).data())
    (tmp_path / "b").write_bytes(b"keep me")
    assert main(["convert", "-q", "--force", str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    assert (tmp_path / "b").read_bytes() == b"keep me"
    # without --force an existing OUT is refused as usage, before reading IN
    assert main(["convert", "-q", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    assert (tmp_path / "b").read_bytes() == b"keep me"


@pytest.mark.parametrize("guest", ["pv", "hvm"])
def test_v3_v2_v3_is_lossless_without_policies(tmp_path: Path, guest: str) -> None:
    s = build(64, guest, xl_config=XL_CONFIG)  # type: ignore[arg-type]
    (tmp_path / "leg").write_bytes(s.data())
    convert(str(tmp_path / "leg"), str(tmp_path / "v3"), "xl")
    convert(str(tmp_path / "v3"), str(tmp_path / "v2"), "libxc-v2")
    assert normalise(load_bytes((tmp_path / "v2").read_bytes())) == normalise(s.expected.xl(2))
    convert(str(tmp_path / "v2"), str(tmp_path / "v3b"), "libxc-v3")
    assert (tmp_path / "v3b").read_bytes() == (tmp_path / "v3").read_bytes()


def test_v3_to_v2_drops_policies_and_says_so(tmp_path: Path) -> None:
    from xensave import samples, writer

    img = samples.build("hvm", 3, "xl")
    (tmp_path / "a").write_bytes(writer.to_bytes(img))
    r = convert(str(tmp_path / "a"), str(tmp_path / "b"), "libxc-v2")
    assert any("X86_CPUID_POLICY" in n for n in r.notes)
    assert any("X86_MSR_POLICY" in n for n in r.notes)
    r = convert(str(tmp_path / "b"), str(tmp_path / "c"))
    assert r.target == "libxc-v3"


# --- the corpus's legacy cases and their expected conversions ----------------------------------

_CORPUS = ROOT / "conformance"
EXPECTED = expected_conversions()


def _legacy_case_names() -> dict[str, str]:
    """Case name -> verdict of every bare legacy image and legacy xl file."""
    import json

    cases = json.loads((_CORPUS / "manifest.json").read_text())["cases"]
    return {
        c["name"]: c["verdict"]
        for c in cases
        if c["name"].split("_")[1] in ("legacy-legacy", "xl-legacy")
    }


def test_every_valid_legacy_case_has_an_expected_conversion() -> None:
    """Deliverable 6: every guest, both toolstack widths, bare and in a legacy xl file,
    each with what it converts to (or why it cannot be)."""
    cases = _legacy_case_names()
    declared = set(EXPECTED) | set(NOT_CONVERTIBLE)
    assert declared <= set(cases)
    assert {n for n, v in cases.items() if v == "accept"} <= declared
    for guest in ("x86_32-pv_pae-", "x86_64-pv_", "hvm_"):
        for w in (32, 64):
            assert f"y_legacy-legacy_{guest}toolstack-{w}" in EXPECTED
            assert f"i_xl-legacy_{guest}xl-toolstack-{w}" in EXPECTED
    assert {f"i_legacy-legacy_x86_32-pv_non-pae-toolstack-{w}" for w in (32, 64)} <= declared


@pytest.mark.parametrize("name", sorted(EXPECTED) + sorted(NOT_CONVERTIBLE))
def test_corpus_legacy_case_converts_as_declared(tmp_path: Path, name: str) -> None:
    from xensave.checker import check_bytes

    src = _CORPUS / "corpus" / f"{name}.bin"
    out = tmp_path / "out.bin"
    if name in NOT_CONVERTIBLE:
        with pytest.raises(ConvertError, match=NOT_CONVERTIBLE[name]):
            convert(str(src), str(out))
        assert not out.exists()
        return
    target, model = EXPECTED[name]
    r = convert(str(src), str(out))
    assert r.target == target
    data = out.read_bytes()
    assert check_bytes(data).valid
    assert normalise(load_bytes(data)) == normalise(model)


def test_output_verified_before_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker reads the finished temporary file while OUT does not exist yet; a
    conversion whose output does not verify leaves neither OUT nor a temporary file."""
    import xensave.checker
    import xensave.convert as conv

    (tmp_path / "a").write_bytes(build(64, "hvm").data())
    out = tmp_path / "b"
    seen: list[tuple[str, bool]] = []
    real = xensave.checker.check_stream

    def spy(f: object, **kw: object) -> object:
        seen.append((os.path.basename(f.name), out.exists()))  # type: ignore[attr-defined]
        return real(f, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(xensave.checker, "check_stream", spy)
    convert(str(tmp_path / "a"), str(out))
    ((checked, existed),) = seen
    assert checked.startswith(".b.xensave-") and checked.endswith(".tmp") and not existed
    out.unlink()

    def no_end(self: object, ev: object) -> None:  # the records of the end (END too) vanish
        self.out.record = lambda *a, **k: None  # type: ignore[attr-defined]
        orig_end(self, ev)

    orig_end = conv._Legacy.on_LegacyEnd
    monkeypatch.setattr(conv._Legacy, "on_LegacyEnd", no_end)
    with pytest.raises(ConvertError, match="does not verify clean"):
        convert(str(tmp_path / "a"), str(out))
    assert sorted(os.listdir(tmp_path)) == ["a"]


def test_same_file_by_another_name_refused(tmp_path: Path) -> None:
    p = tmp_path / "a"
    p.write_bytes(build(64, "pv").data())
    os.link(p, tmp_path / "hard")
    os.symlink(p, tmp_path / "soft")
    before = p.read_bytes()
    for other in ("hard", "soft"):
        with pytest.raises(OutputError, match=r"is the input|symbolic link"):
            convert(str(p), str(tmp_path / other), force=True)
    assert p.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["a", "hard", "soft"]


def test_fsync_only_where_a_crash_could_lose_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new OUT is renamed into place without fsync (the untouched IN can make it
    again); one that replaces a file is synced first; --sync and --no-sync decide."""
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    src = tmp_path / "a"
    src.write_bytes(build(64, "hvm").data())
    out = tmp_path / "b"
    for argv, existed, want in (
        ([], False, 0),
        ([], True, 1),
        (["--sync"], False, 1),
        (["--no-sync"], True, 0),
    ):
        if existed:
            out.write_bytes(b"old")
        elif out.exists():
            out.unlink()
        synced.clear()
        assert main(["convert", "-q", "--force", *argv, str(src), str(out)]) == 0
        assert len(synced) == want, (argv, existed)
        assert out.read_bytes()[:8] != b"old"


def test_output_mode_is_a_new_file_s(tmp_path: Path) -> None:
    """Not mkstemp's 0600: OUT gets the mode any new file gets under the umask."""
    umask = os.umask(0o022)
    try:
        (tmp_path / "a").write_bytes(build(64, "pv").data())
        convert(str(tmp_path / "a"), str(tmp_path / "b"))
    finally:
        os.umask(umask)
    assert (tmp_path / "b").stat().st_mode & 0o777 == 0o644


_BROKEN_LEGACY = sorted(n for n, v in _legacy_case_names().items() if v != "accept")


@pytest.mark.parametrize("name", _BROKEN_LEGACY)
def test_broken_legacy_case_converts_or_is_refused_cleanly(tmp_path: Path, name: str) -> None:
    """A legacy image that breaks a rule either converts or gives a ConvertError that says
    where; never another exception (a p2m_size of 0 once ended in struct.error)."""
    out = tmp_path / "out.bin"
    try:
        convert(str(_CORPUS / "corpus" / f"{name}.bin"), str(out), allow_loss=True)
    except ConvertError:
        assert not out.exists()


@pytest.mark.parametrize("width", ["", "-ts32"])
def test_pv_p2m_size_zero_is_refused_naming_the_rule(tmp_path: Path, width: str) -> None:
    src = _CORPUS / "corpus" / f"n_legacy-legacy_x86_64-pv_p2m-size-zero{width}.bin"
    with pytest.raises(ConvertError, match=r"^0x0: LEG-HDR-001: p2m_size 0x0"):
        convert(str(src), str(tmp_path / "out.bin"))
