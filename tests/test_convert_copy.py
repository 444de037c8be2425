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
