"""How convert's output takes page data (xensave._writeback, xensave.convert_out):
the bounce buffer's place within a page, and the bytes arriving whatever the phase."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xensave._writeback import NEAR, PAGE, bounce_phase
from xensave.convert_out import OutFile


def near(a: int, b: int) -> bool:
    """A copy from page offset ``a`` to ``b`` is the slow case: b just ahead of a."""
    return 0 < (b - a) % PAGE < NEAR


@pytest.mark.parametrize("src", [0, 4, 12, 8204, 4092, 2048, 2052, 4096 * 7 + 60])
def test_bounce_phase_keeps_both_copies_out_of_the_slow_case(src: int) -> None:
    for dst in range(0, 2 * PAGE, 4):
        p = bounce_phase(src, dst)
        assert 0 <= p < PAGE
        assert not near(src, p), (src, dst, p)  # IN -> buffer
        assert not near(p, dst), (src, dst, p)  # buffer -> OUT
        if not near(src, dst):
            assert p == src % PAGE  # the read then copies page onto page


@pytest.mark.parametrize(("src_off", "dst_off"), [(4, 0), (12, 16), (0, 8), (4096, 0), (3, 4093)])
def test_out_copy_in_moves_the_bytes(tmp_path: Path, src_off: int, dst_off: int) -> None:
    """Whatever the phases (same: copy_file_range; near: the buffer half a page on;
    others: the buffer at the source's phase), OUT gets IN's bytes."""
    n = 3 * (256 << 10) + 1234  # several buffers' worth
    data = os.urandom(src_off + n + 50)
    (tmp_path / "in").write_bytes(data)
    fd_in = os.open(tmp_path / "in", os.O_RDONLY)
    fd_out = os.open(tmp_path / "out", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        out = OutFile(fd_out)
        out.write(b"h" * dst_off)
        out.copy_in(fd_in, src_off, n)
        assert out.pos == dst_off + n
    finally:
        os.close(fd_in)
        os.close(fd_out)
    got = (tmp_path / "out").read_bytes()
    assert got == b"h" * dst_off + data[src_off : src_off + n]


@pytest.mark.parametrize(
    ("name", "to", "align"),
    [
        ("libxc-v3_hvm", "libxc-v2", False),  # OUT shorter than IN: the rest cut off
        ("libxc-v2_x86_64-pv", "libxc-v3", True),  # OUT longer than IN (padding)
        ("xl-v3_hvm", "libxl", False),  # a toolstack move
    ],
)
def test_reserved_output_is_the_same_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, to: str, align: bool
) -> None:
    """OUT's blocks reserved up front (fallocate, size set) or not, OUT is the same
    octets and ends where the writing did."""
    from xensave import _writeback, samples
    from xensave.convert import convert

    s = next(x for x in samples.valid_samples() if x.name == name)
    src = tmp_path / "in"
    src.write_bytes(s.data)
    convert(str(src), str(tmp_path / "plain"), to, allow_loss=True, align_pages=align)  # type: ignore[arg-type]
    calls: list[bool] = []
    real = _writeback.reserve

    def spy(fd: int, n: int) -> bool:
        calls.append(real(fd, n))
        return calls[-1]

    monkeypatch.setattr(_writeback, "RESERVE_MIN", 0)
    monkeypatch.setattr("xensave.convert_out.RESERVE_AT", 0)  # these samples' pages are small
    monkeypatch.setattr("xensave.convert_out.reserve", spy)
    convert(str(src), str(tmp_path / "reserved"), to, allow_loss=True, align_pages=align)  # type: ignore[arg-type]
    assert calls  # asked (whether the filesystem did it or not)
    assert (tmp_path / "reserved").read_bytes() == (tmp_path / "plain").read_bytes()
