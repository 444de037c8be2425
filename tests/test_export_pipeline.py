"""Export from a file with the copies on a second thread (page_index.Pipeline) and a
core's layout guessed before the index is complete (elf_core.EarlyCore): the output is
the one the whole index gives (``write_elf`` after ``build_index``, the path the guess
falls back to), whether the guess held or not; the pfn-batch check and the plain
command line read without argparse agree with what they stand for.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xensave.elf_core as elf_core
from xensave import cli, samples, writer
from xensave.bodies import PageData, pfn_entry
from xensave.constants import PAGE_DATA_PFN_MASK, PageType, XcRecType
from xensave.export import fast_args
from xensave.model import Record
from xensave.page_index import ExportError, Pipeline, build_index, consecutive

PAGE = 4096


def _image(tmp_path: Path, batches: list[list[int]], guest: str = "hvm") -> Path:
    """A v3 stream whose PAGE_DATA records send ``batches`` (lists of pfns) in order,
    each page filled with its batch number and pfn, so that a misplaced or stale copy
    shows."""
    xc = samples.libxc_stream(guest, 3)
    recs = [r for r in xc.records if r.type != XcRecType.PAGE_DATA]
    first = next(i for i, r in enumerate(xc.records) if r.type == XcRecType.PAGE_DATA)
    pages = [
        Record(
            XcRecType.PAGE_DATA,
            PageData(
                [pfn_entry(p, PageType.NOTAB) for p in b],
                [struct.pack("<II", n, p) * (PAGE // 8) for p in b],
            ),
        )
        for n, b in enumerate(batches)
    ]
    xc.records = recs[:first] + pages + recs[first:]
    path = tmp_path / "in.xc"
    path.write_bytes(writer.to_bytes(xc))
    return path


def _core_from_whole_index(src: Path, out: Path) -> bytes:
    """The core as written from the complete index, the layout the guess must meet."""
    with open(src, "rb") as f:
        idx = build_index(f, None)
        fd = os.open(out, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            elf_core.write_elf(idx, idx.ranges(), f.fileno(), fd, None)
        finally:
            os.close(fd)
    return out.read_bytes()


def _export(src: Path, out: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Export; whether the core had to be written again (the guess failed)."""
    again: list[int] = []
    real = elf_core.write_elf
    monkeypatch.setattr(
        elf_core,
        "write_elf",
        lambda *a: again.append(1) or real(*a),  # type: ignore[func-returns-value]
    )
    assert cli.main(["export", kind, "-q", str(src), str(out)]) == 0
    return bool(again)


@pytest.mark.parametrize(
    ("batches", "redone"),
    [
        ([list(range(0, 40)), list(range(40, 80))], False),  # up the pfns: Xen's saver
        ([list(range(0, 8)), list(range(20, 30)), [3, 4, 25], list(range(30, 33))], False),
        ([list(range(10, 20)), list(range(0, 5))], True),  # new pfns below: every place moves
        ([list(range(0, 10)), [5, 6, 7, 8, 9, 10, 11]], False),  # sent again, then above
        ([list(range(0, 10)), [12, 11]], True),  # 11 comes after 12
        ([list(range(0, 1200, 2)), list(range(1200, 2400, 2))], True),  # 1200 PT_LOADs: past 64 KiB
    ],
)
def test_core_is_the_whole_index_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batches: list[list[int]], redone: bool
) -> None:
    src = _image(tmp_path, batches)
    want = _core_from_whole_index(src, tmp_path / "want.core")
    assert _export(src, tmp_path / "got.core", "elf", monkeypatch) is redone
    assert (tmp_path / "got.core").read_bytes() == want


def test_raw_places_every_copy_in_stream_order(tmp_path: Path) -> None:
    batches = [list(range(30, 40)), list(range(0, 10)), [35, 36, 2], [36]]
    src = _image(tmp_path, batches)
    out = tmp_path / "out.raw"
    assert cli.main(["export", "raw", "-q", str(src), str(out)]) == 0
    mem = out.read_bytes()
    assert len(mem) == 40 * PAGE  # the hole at 10-29 is in the size, as zeros
    last = {p: n for n, b in enumerate(batches) for p in b}
    for pfn in range(40):
        page = mem[pfn * PAGE : (pfn + 1) * PAGE]
        if pfn in last:
            assert page == struct.pack("<II", last[pfn], pfn) * (PAGE // 8), pfn
        else:
            assert page == bytes(PAGE), pfn


def test_pipeline_hands_over_the_copiers_error(tmp_path: Path) -> None:
    """IN ending early under the copier: the main thread raises it; cancel after it
    (the export's finally) does nothing more."""
    src = tmp_path / "short"
    src.write_bytes(b"x" * PAGE)
    dst = tmp_path / "dst"
    with open(src, "rb") as s, open(dst, "wb") as d:
        pipe = Pipeline(s.fileno(), d.fileno())
        pipe.put(0, 0, PAGE)
        pipe.put(PAGE, PAGE, PAGE)  # past IN's end
        with pytest.raises(ExportError, match="ends early"):
            pipe.close()
        pipe.cancel()
    assert dst.read_bytes()[:PAGE] == b"x" * PAGE


def test_pipeline_cancel_stops_a_waiting_copier(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(b"y" * PAGE)
    with open(src, "rb") as s, open(tmp_path / "dst", "wb") as d:
        pipe = Pipeline(s.fileno(), d.fileno())
        pipe.cancel()  # nothing put: the copier was waiting for work
        pipe.cancel()
        pipe.close()  # after cancel: nothing to wait for, nothing raised


_entries = st.lists(st.integers(0, (1 << 64) - 1), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    start=st.one_of(st.integers(0, 1 << 20), st.just(PAGE_DATA_PFN_MASK - 5)),
    n=st.integers(1, 40),
    tweak=st.one_of(st.none(), st.tuples(st.integers(0, 39), st.integers(0, (1 << 64) - 1))),
    endian=st.sampled_from("<>"),
)
def test_consecutive_is_the_plain_check(
    start: int, n: int, tweak: tuple[int, int] | None, endian: str
) -> None:
    """``consecutive`` says what unpacking the entries and comparing them says."""
    entries = [start + i for i in range(n)]
    if tweak is not None and tweak[0] < n:
        entries[tweak[0]] = tweak[1]
    if max(entries) >= 1 << 64:
        return
    body = struct.pack(f"{endian}II{n}Q", n, 0, *entries)
    plain = all(e <= PAGE_DATA_PFN_MASK for e in entries) and entries == list(
        range(entries[0], entries[0] + n)
    )
    assert consecutive(body, n, endian) == (entries[0] if plain else None)


@settings(max_examples=200, deadline=None)
@given(entries=_entries, endian=st.sampled_from("<>"))
def test_consecutive_on_any_entries(entries: list[int], endian: str) -> None:
    n = len(entries)
    body = struct.pack(f"{endian}II{n}Q", n, 0, *entries)
    plain = all(e <= PAGE_DATA_PFN_MASK for e in entries) and entries == list(
        range(entries[0], entries[0] + n)
    )
    assert consecutive(body, n, endian) == (entries[0] if plain else None)


def test_fast_args_read_as_argparse_does() -> None:
    """A plain export skips argparse; whatever it accepts, argparse reads the same way,
    and whatever else goes to argparse."""
    for argv in (
        ["export", "raw", "in", "out"],
        ["export", "elf", "-q", "in", "out"],
        ["export", "raw", "-", "out", "--json", "--force"],
        ["export", "--sync", "elf", "in", "out", "--quiet"],
        ["export", "raw", "--no-sync", "--force", "in", "out"],
    ):
        fast = fast_args(argv)
        assert fast is not None, argv
        assert vars(fast) == vars(cli.build_parser("export").parse_args(argv)), argv
    for argv in (
        ["export", "raw", "in"],
        ["export", "raw", "in", "out", "more"],
        ["export", "core", "in", "out"],
        ["export", "raw", "--forc", "in", "out"],  # an abbreviation argparse accepts
        ["export", "raw", "--sync", "--no-sync", "in", "out"],  # an error argparse reports
        ["export", "raw", "--", "-in", "out"],
        ["export", "--help"],
        ["pages", "in", "--pfn", "1"],
    ):
        assert fast_args(argv) is None, argv
