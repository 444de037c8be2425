"""One copy where IN's and OUT's offsets within a page differ (xensave._writeback.Splicer):
which way each copy goes, the bytes that arrive, the fallbacks, and no pipe left open."""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from xensave import _writeback
from xensave._writeback import PAGE, Splicer, near
from xensave.convert_out import ConvertError, OutFile
from xensave.page_index import Copier, ExportError

pytestmark = pytest.mark.skipif(not hasattr(os, "splice"), reason="splice(2) is Linux's")

#: (IN offset, OUT offset): the same offset within a page, OUT 8 octets ahead (v2 -> v3:
#: the CPU's slow case), 76 ahead (v3 -> xl), 52 behind (xl -> libxl), a raw export of
#: a record whose pages start 16 octets into a page, and the edge of the slow case.
PHASES = [(0, 0), (0, 8), (0, 76), (52, 0), (16, 4096), (4, 4096 + 35), (4, 4096 + 36)]


class Spy:
    """Counts the octets each way moved."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ways: dict[str, int] = {}
        real_move, real_read = Splicer.move, _writeback.Bounce.read
        real_cfr = os.copy_file_range

        def move(s: Splicer, *a: int | None) -> int | None:
            got = real_move(s, *a)  # type: ignore[arg-type]
            self.ways["splice"] = self.ways.get("splice", 0) + (got or 0)
            return got

        def read(b: _writeback.Bounce, *a: int | None) -> memoryview:
            got = real_read(b, *a)  # type: ignore[arg-type]
            self.ways["buffer"] = self.ways.get("buffer", 0) + len(got)
            return got

        def cfr(*a: int) -> int:
            got = real_cfr(*a)
            self.ways["copy_file_range"] = self.ways.get("copy_file_range", 0) + got
            return got

        real_chunks = _writeback.ReadAhead.chunks

        def chunks(r: _writeback.ReadAhead, *a: int | None) -> Iterator[memoryview]:
            for piece in real_chunks(r, *a):  # type: ignore[arg-type]
                self.ways["buffer"] = self.ways.get("buffer", 0) + len(piece)
                yield piece

        monkeypatch.setattr(_writeback.ReadAhead, "chunks", chunks)
        monkeypatch.setattr(Splicer, "move", move)
        monkeypatch.setattr(_writeback.Bounce, "read", read)
        monkeypatch.setattr(os, "copy_file_range", cfr)


def expected_way(src: int, dst: int) -> str:
    if (src - dst) % PAGE == 0:
        return "copy_file_range"
    return "buffer" if 0 < (dst - src) % PAGE < 32 else "splice"


def test_near_is_the_measured_slow_case() -> None:
    """OUT 1 to 31 octets ahead within a page: the slow case; at 0, 32 and beyond, or
    behind, one copy is fast (the figures: xensave._writeback.NEAR)."""
    assert [d for d in range(-64, 4200) if near(1000, 1000 + d)] == [
        d for d in range(-64, 4200) if 0 < d % PAGE < 32
    ]


@pytest.mark.parametrize(("src_off", "dst_off"), PHASES)
def test_copier_takes_one_copy_unless_near(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, src_off: int, dst_off: int
) -> None:
    spy = Spy(monkeypatch)
    n = 3 * (1 << 20) + 777  # more than one pipe's worth
    data = os.urandom(src_off + n + 99)
    (tmp_path / "in").write_bytes(data)
    with open(tmp_path / "in", "rb") as src, open(tmp_path / "out", "w+b") as dst:
        cp = Copier(src.fileno(), dst.fileno())
        cp.copy(src_off, dst_off, n)
        cp.close()
        assert cp.splicer.pipe is None
    assert spy.ways == {expected_way(src_off, dst_off): n}
    got = (tmp_path / "out").read_bytes()
    assert got == bytes(dst_off) + data[src_off : src_off + n]


@pytest.mark.parametrize(("src_off", "dst_off"), PHASES)
def test_convert_output_takes_one_copy_unless_near(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, src_off: int, dst_off: int
) -> None:
    """OUT is written at its file position: a splice moves it on as a write does."""
    spy = Spy(monkeypatch)
    n = 2 * (1 << 20) + 4100
    data = os.urandom(src_off + n + 10)
    (tmp_path / "in").write_bytes(data)
    fd_in = os.open(tmp_path / "in", os.O_RDONLY)
    fd_out = os.open(tmp_path / "out", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        out = OutFile(fd_out)
        out.write(b"h" * dst_off)
        out.copy_in(fd_in, src_off, n)
        out.write(b"tail")  # after the splices, at the right place
        out.finish()
        assert out.pos == dst_off + n + 4
        assert out.splicer.pipe is None
    finally:
        os.close(fd_in)
        os.close(fd_out)
    assert spy.ways == {expected_way(src_off, dst_off): n}
    got = (tmp_path / "out").read_bytes()
    assert got == b"h" * dst_off + data[src_off : src_off + n] + b"tail"


@pytest.mark.parametrize("refuse_at", [1, 2])
def test_a_refused_splice_falls_back_to_the_buffer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refuse_at: int
) -> None:
    """A file splice does not work on (EINVAL: reading it, or writing OUT once the pipe
    holds IN's octets) is copied through the buffer instead, every byte once."""
    calls = []
    real = os.splice

    def splice(*a: object, **k: object) -> int:
        calls.append(a)
        if len(calls) == refuse_at:
            raise OSError(errno.EINVAL, "no splice here")
        return real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "splice", splice)
    data = os.urandom(3 << 20)
    (tmp_path / "in").write_bytes(data)
    with open(tmp_path / "in", "rb") as src, open(tmp_path / "out", "w+b") as dst:
        cp = Copier(src.fileno(), dst.fileno())
        cp.copy(100, 0, len(data) - 100)
        assert not cp.splicer.on and cp.splicer.pipe is None
        cp.close()
    assert (tmp_path / "out").read_bytes() == data[100:]
    assert len(calls) == refuse_at  # never tried again


def test_a_pipe_that_cannot_grow_still_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the user's pipe allowance F_SETPIPE_SZ is refused: the default pipe does."""
    import fcntl

    def refuse(*a: object) -> int:
        raise OSError(errno.EPERM, "over pipe-user-pages-soft")

    monkeypatch.setattr(fcntl, "fcntl", refuse)
    data = os.urandom((1 << 20) + 3)
    (tmp_path / "in").write_bytes(data)
    with open(tmp_path / "in", "rb") as src, open(tmp_path / "out", "w+b") as dst:
        cp = Copier(src.fileno(), dst.fileno())
        cp.copy(12, 0, len(data) - 12)
        assert cp.splicer.size == 64 << 10
        cp.close()
    assert (tmp_path / "out").read_bytes() == data[12:]


def test_in_ending_early_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "in").write_bytes(os.urandom(10_000))
    with open(tmp_path / "in", "rb") as src, open(tmp_path / "out", "w+b") as dst:
        cp = Copier(src.fileno(), dst.fileno())
        with pytest.raises(ExportError, match="input ends early at 0x2710"):
            cp.copy(100, 0, 20_000)
        cp.close()
        out = OutFile(dst.fileno())
        with pytest.raises(ConvertError, match="ended early"):
            out.copy_in(src.fileno(), 100, 20_000)
        out.release()


def _fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/fd")
def test_no_pipe_left_open(tmp_path: Path) -> None:
    """convert and export (which copies on a second thread) close their pipe (and every
    other descriptor they opened), whether they succeed or fail."""
    from xensave import samples
    from xensave.convert import convert
    from xensave.export import export

    s = next(x for x in samples.valid_samples() if x.name == "libxc-v3_hvm")
    src = tmp_path / "in"
    src.write_bytes(s.data)
    before = _fds()
    convert(str(src), str(tmp_path / "a.xl"), "xl")
    export("raw", str(src), str(tmp_path / "a.raw"))
    export("elf", str(src), str(tmp_path / "a.core"))
    (tmp_path / "cut").write_bytes(s.data[: len(s.data) // 2])
    with pytest.raises(ConvertError):
        convert(str(tmp_path / "cut"), str(tmp_path / "b.xl"), "xl")
    with pytest.raises(ExportError):
        export("raw", str(tmp_path / "cut"), str(tmp_path / "b.raw"))
    # a failed export's copier thread is told to stop, not waited for (page_index.Pipeline
    # .cancel): it closes its descriptors as it ends
    for _ in range(100):
        if _fds() == before:
            break
        time.sleep(0.02)
    assert _fds() == before


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/task")
@pytest.mark.parametrize("n", [2 << 20, (5 << 20) + 3, 7 << 20])
def test_read_ahead_moves_the_bytes_and_ends_its_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    """With READ_AHEAD, a long copy with OUT just ahead of IN goes through two buffers,
    the next read on a second thread: OUT gets IN's bytes in order, and the thread ends
    with the output."""
    from xensave import convert_out

    monkeypatch.setattr(convert_out, "READ_AHEAD", True)
    data = os.urandom(n + 4096)
    (tmp_path / "in").write_bytes(data)
    threads = _threads()
    fd_in = os.open(tmp_path / "in", os.O_RDONLY)
    fd_out = os.open(tmp_path / "out", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        out = OutFile(fd_out)
        out.write(b"h" * 4100)  # 4 octets ahead of IN's 4096
        out.copy_in(fd_in, 4096, n)
        assert out.ahead is not None and out.ahead.alive  # used, and reusable
        out.copy_in(fd_in, 0, 2 << 20)  # again, the same thread
        assert _threads() == threads + 1
        out.finish()
    finally:
        os.close(fd_in)
        os.close(fd_out)
    got = (tmp_path / "out").read_bytes()
    assert got == b"h" * 4100 + data[4096 : 4096 + n] + data[: 2 << 20]
    for _ in range(100):
        if _threads() == threads:
            break
        time.sleep(0.01)
    assert _threads() == threads


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/task")
def test_read_ahead_after_in_ends_early_or_out_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IN shorter than the copy: an error, and that reader retired (its thread ends); a
    write that fails mid-copy likewise; the next copy makes a new reader."""
    from xensave import convert_out

    monkeypatch.setattr(convert_out, "READ_AHEAD", True)
    data = os.urandom(3 << 20)
    (tmp_path / "in").write_bytes(data)
    threads = _threads()
    fd_in = os.open(tmp_path / "in", os.O_RDONLY)
    fd_out = os.open(tmp_path / "out", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        out = OutFile(fd_out)
        out.write(b"h" * 8)
        with pytest.raises(ConvertError, match="ended early"):
            out.copy_in(fd_in, 0, 4 << 20)
        first = out.ahead
        assert first is not None and not first.alive
        failing = OutFile(os.open(tmp_path / "in", os.O_RDONLY))  # not writable: EBADF
        failing.pos = 8
        with pytest.raises(OSError):
            failing._copy(fd_in, 0, 3 << 20)
        assert failing.ahead is not None and not failing.ahead.alive
        os.close(failing.fd)
        out.copy_in(fd_in, 0, 3 << 20)  # a new reader
        assert out.ahead is not first and out.ahead is not None and out.ahead.alive
        out.finish()
    finally:
        os.close(fd_in)
        os.close(fd_out)
    for _ in range(100):
        if _threads() == threads:
            break
        time.sleep(0.01)
    assert _threads() == threads
