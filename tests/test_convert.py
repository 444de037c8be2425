"""xensave convert: outputs compared with the model the legacy image was built from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xensave.cli import main
from xensave.convert import ConvertError, convert
from xensave.legacy.format import Chunk, RawChunk, encode
from xensave.legacy.samples import XL_CONFIG, Sample, build, standard_samples
from xensave.loader import load_bytes, normalise

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
    assert main(["convert", str(p), str(p)]) == 1
    assert p.read_bytes() == before


def test_existing_output_untouched_on_failure(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(build(32, "pv", levels=2).data())
    (tmp_path / "b").write_bytes(b"keep me")
    assert main(["convert", "-q", str(tmp_path / "a"), str(tmp_path / "b")]) == 1
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
