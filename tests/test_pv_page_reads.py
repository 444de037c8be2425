"""The PV page checks (XC-PAGE-009, PV-SIF-002) on a file read only the pages they
judge, and judge exactly as when every page's contents come with the events.

A regular file is read at offsets (page-table pages per record, the start-info page
when the stream ends); an image held in memory or read from a pipe hands every page
over. Both must give the same diagnostics on every corpus case, and the file must
cost a few pages of reading, not the image.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import pytest

from xensave import samples
from xensave.bodies import P2mFrames, PageData
from xensave.checker import check_bytes, check_stream
from xensave.constants import PageType, XcRecType
from xensave.model import Record
from xensave.writer import to_bytes

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "conformance" / "corpus"
PAGE = 4096


def _diags(report: object) -> list[tuple[str, int, str]]:
    return [(d.rule, d.offset, d.message) for d in report.diagnostics]  # type: ignore[attr-defined]


def _pv_cases() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*.bin") if "-pv" in p.name)


@pytest.mark.parametrize("path", _pv_cases(), ids=lambda p: p.name)
def test_corpus_file_and_memory_agree(path: Path) -> None:
    data = path.read_bytes()
    with open(path, "rb") as f:
        from_file = check_stream(f)
    assert _diags(from_file) == _diags(check_bytes(data))
    assert from_file.valid == check_bytes(data).valid


def test_corpus_has_pv_cases_that_read_pages() -> None:
    """The comparison above means something: PV cases with each rule exist."""
    names = " ".join(p.name for p in _pv_cases())
    assert len(_pv_cases()) > 50
    rules = set()
    for p in _pv_cases():
        rules |= {d[0] for d in _diags(check_bytes(p.read_bytes()))}
    assert {"XC-PAGE-009", "PV-SIF-002"} <= rules, names[:200]


def _big_pv(tmp_path: Path, data_pages: int, bad_table: bool, bad_start_info: bool) -> Path:
    """The sample 64-bit PV stream with ``data_pages`` more NOTAB pages after its own
    (max_pfn raised to cover them) and an L1 table after them; optionally with a
    present entry above max_pfn in that table, or the start-info page sent again
    naming a XenStore frame above max_pfn."""
    stream = samples.libxc_stream("x86_64-pv", 3)
    first = 32
    top = first + data_pages + 1  # pfns 0 .. top - 1
    out: list[Record] = []
    for r in stream.records:
        if r.type == XcRecType.X86_PV_P2M_FRAMES:
            assert isinstance(r.body, P2mFrames)
            frames = [27] * (top // 512 + 1)  # pfn 27: a NOTAB page of the sample
            out.append(Record(r.type, P2mFrames(0, top - 1, frames)))
            continue
        out.append(r)
        if r.type == XcRecType.PAGE_DATA and isinstance(r.body, PageData):
            if r.body.entries[-1] & 0xFFFFFFFFFF != 31:
                continue  # the sample's last PAGE_DATA ends with pfn 31
            entries = [first + i for i in range(data_pages)]
            pages = [bytes([i & 0xFF]) * PAGE for i in range(data_pages)]
            table = bytearray(PAGE)
            frame = top + 5 if bad_table else 6
            struct.pack_into("<Q", table, 8 * 3, (frame << 12) | 0x67)
            entries.append((first + data_pages) | (int(PageType.L1TAB) << 60))
            pages.append(bytes(table))
            out.append(Record(XcRecType.PAGE_DATA, PageData(entries, pages)))
            if bad_start_info:  # pfn 5 is the sample's start-info page: sent again
                info = bytearray(PAGE)
                struct.pack_into("<QQQ", info, 56, top + 100, 0, 0)
                out.append(Record(XcRecType.PAGE_DATA, PageData([5], [bytes(info)])))
    stream.records = out
    path = tmp_path / "pv.img"
    path.write_bytes(to_bytes(stream))
    return path


@pytest.mark.parametrize(
    ("bad_table", "bad_start_info", "rule"),
    [(False, False, None), (True, False, "XC-PAGE-009"), (False, True, "PV-SIF-002")],
)
def test_file_reads_only_judged_pages(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    bad_table: bool,
    bad_start_info: bool,
    rule: str | None,
) -> None:
    path = _big_pv(tmp_path, 2048, bad_table, bad_start_info)
    data = path.read_bytes()
    expected = _diags(check_bytes(data))
    assert [d[0] for d in expected if d[0] in ("XC-PAGE-009", "PV-SIF-002")] == (
        [rule] if rule else []
    )
    read = {"calls": 0, "bytes": 0}
    real = os.pread

    def counting(fd: int, n: int, offset: int) -> bytes:
        got = real(fd, n, offset)
        read["calls"] += 1
        read["bytes"] += len(got)
        return got

    monkeypatch.setattr(os, "pread", counting)
    with open(path, "rb") as f:
        got = check_stream(f)
    assert _diags(got) == expected
    assert read["calls"] >= 1  # the file path was taken
    # the sample's own 4 tables, the L1 table, the start-info words: not 2048 pages
    assert read["bytes"] <= 8 * PAGE
    # through a pipe-like stream (no file offsets) every page comes with the events
    with io.BufferedReader(io.BytesIO(data)) as f:  # type: ignore[arg-type]
        assert _diags(check_stream(f)) == expected
