"""``convert --keep-page-offsets``: page contents stay at their input offset within a
4096-octet page (one optional padding record where the conversion shifts them), so
the kernel's copy_file_range moves them page onto page, as ``cp`` does.

Where contents fall is read back with the reader from IN and OUT, not taken from the
code that computes the padding; that Xen's restorer skips the padding record is
shown by Xen itself (tests/test_xen_oracle.py, the same record as --align-pages).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

import xensave.convert_out as convert_out
from xensave import samples
from xensave.checker import check_stream
from xensave.cli import main
from xensave.constants import XC_REC_ALIGN_PAD
from xensave.convert import convert
from xensave.export import export
from xensave.legacy.samples import standard_samples
from xensave.reader import Reader, ReadOptions, RecordEvent

PAGE = 4096


def contents(data: bytes) -> list[int]:
    """Where the page contents of each libxc PAGE_DATA record start."""
    return [
        ev.body_offset + ev.length - ev.page_bytes
        for ev in Reader(io.BytesIO(data), ReadOptions())
        if isinstance(ev, RecordEvent) and ev.layer == "libxc" and ev.page_bytes
    ]


def pads(data: bytes) -> int:
    return sum(
        1
        for ev in Reader(io.BytesIO(data), ReadOptions())
        if isinstance(ev, RecordEvent) and ev.layer == "libxc" and ev.type == XC_REC_ALIGN_PAD
    )


def sample(name: str) -> samples.Sample:
    return next(s for s in samples.valid_samples() if s.name == name)


def shifts(a: bytes, b: bytes) -> list[int]:
    """How far each PAGE_DATA's contents moved within a page from ``a`` to ``b``."""
    return [(x - y) % PAGE for x, y in zip(contents(a), contents(b), strict=True)]


def same_pages(tmp_path: Path, a: Path, b: Path) -> bool:
    for n, img in (("a", a), ("b", b)):
        export("elf", str(img), str(tmp_path / f"{n}.core"))
    return (tmp_path / "a.core").read_bytes() == (tmp_path / "b.core").read_bytes()


BOUNCED: list[tuple[int, int]] = []


class _Watched(convert_out.Bounce):
    """The bounce buffer, noting what it copies: a stretch that went through it was
    not copied page onto page."""

    def read(self, fd: int, offset: int, n: int, dst_off: int | None = None) -> memoryview:
        got = super().read(fd, offset, n, dst_off)
        BOUNCED.append((offset, len(got)))
        return got


def page_spans(data: bytes) -> list[tuple[int, int]]:
    return [
        (ev.body_offset + ev.length - ev.page_bytes, ev.page_bytes)
        for ev in Reader(io.BytesIO(data), ReadOptions())
        if isinstance(ev, RecordEvent) and ev.layer == "libxc" and ev.page_bytes
    ]


CASES = [  # (sample, --to): conversions that shift the stream by a multiple of 8
    ("libxc-v2_x86_64-pv", "libxc-v3"),  # STATIC_DATA_END inserted (8 octets)
    ("libxc-v3_hvm", "libxc-v2"),  # STATIC_DATA_END dropped
    ("libxl-v2_hvm", "libxc-v3"),
    ("libxc-v3_hvm", "libxl"),  # a libxl header and LIBXC_CONTEXT around it (24)
    ("libxc-v3_x86_32-pv", "libxl"),
]


@pytest.mark.parametrize(("name", "to"), CASES)
def test_keep_page_offsets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, to: str
) -> None:
    s = sample(name)
    src = tmp_path / "in.bin"
    src.write_bytes(s.data)
    plain, kept = tmp_path / "plain.bin", tmp_path / "kept.bin"
    convert(str(src), str(plain), to, allow_loss=True)  # type: ignore[arg-type]
    before = shifts(s.data, plain.read_bytes())
    assert any(before), "the premise: the plain conversion shifts the pages"
    monkeypatch.setattr(convert_out, "Bounce", _Watched)
    BOUNCED.clear()
    res = convert(str(src), str(kept), to, allow_loss=True, keep_page_offsets=True)  # type: ignore[arg-type]
    data = kept.read_bytes()
    theirs, ours = contents(s.data), contents(data)
    assert len(ours) == len(theirs)
    assert all((a - b) % PAGE == 0 for a, b in zip(theirs, ours, strict=True))
    spans = page_spans(s.data)  # none of IN's page contents went through the buffer
    assert not [(o, n) for o, n in BOUNCED for a, m in spans if o < a + m and a < o + n]
    assert pads(data) == 1  # one shift, one padding record
    assert 8 <= len(data) - len(plain.read_bytes()) <= PAGE
    assert any("kept at IN's offsets within a page: 1 padding record" in n for n in res.notes)
    assert check_stream(io.BytesIO(data)).valid
    assert same_pages(tmp_path, plain, kept)


def test_nothing_to_keep_adds_nothing(tmp_path: Path) -> None:
    """A conversion that does not shift the pages (v3 -> v3) writes no padding."""
    s = sample("libxc-v3_hvm")
    src, out = tmp_path / "in.bin", tmp_path / "out.bin"
    src.write_bytes(s.data)
    res = convert(str(src), str(out), "libxc-v3", keep_page_offsets=True)
    assert out.read_bytes() == s.data
    assert not any("padding" in n for n in res.notes)


def test_shift_off_a_multiple_of_8_is_said_and_left(tmp_path: Path) -> None:
    """xl file -> libxl drops a header of 52 octets with no configuration: records are
    multiples of 8, so no padding can put the pages back in phase; said, nothing
    padded, OUT as without the option."""
    s = sample("xl-v3_hvm")
    src, plain, kept = tmp_path / "in.bin", tmp_path / "plain", tmp_path / "kept"
    src.write_bytes(s.data)
    convert(str(src), str(plain), "libxl", allow_loss=True)
    moved = shifts(s.data, plain.read_bytes())
    assert moved and all(x % 8 for x in moved)  # the premise
    res = convert(str(src), str(kept), "libxl", allow_loss=True, keep_page_offsets=True)
    assert kept.read_bytes() == plain.read_bytes()
    assert any("not kept at IN's offsets" in n and "multiple of 8" in n for n in res.notes)


def test_legacy_keeps_every_batch_it_can(tmp_path: Path) -> None:
    """A legacy batch's pages follow a 4-octet count and 8-octet pfn words, so they sit
    alternately 0 and 4 octets off an 8-octet boundary of IN; those at 0 are kept in
    phase (a padding record each), the others said."""
    s = next(x for x in standard_samples() if x.image.guest == "hvm" and not x.xl_config)
    src, plain, kept = tmp_path / "legacy.bin", tmp_path / "plain", tmp_path / "kept"
    src.write_bytes(s.data())
    convert(str(src), str(plain), "libxl")
    res = convert(str(src), str(kept), "libxl", keep_page_offsets=True)
    data = kept.read_bytes()
    ours = contents(data)
    assert len(ours) == len(contents(plain.read_bytes()))
    # IN's page offsets, read from the legacy reader's batches
    from xensave.legacy.read import LegacyBatch

    theirs = [
        ev.offset + 4 + len(ev.raw)
        for ev in Reader(io.BytesIO(s.data()), ReadOptions())
        if isinstance(ev, LegacyBatch) and ev.data_pages
    ]
    assert len(theirs) == len(ours)
    kept_n = sum((a - b) % PAGE == 0 for a, b in zip(theirs, ours, strict=True))
    fixable = sum((a - b) % 8 == 0 for a, b in zip(theirs, ours, strict=True))
    assert kept_n == fixable and kept_n >= 1
    assert check_stream(io.BytesIO(data)).valid
    assert same_pages(tmp_path, plain, kept)
    if kept_n < len(ours):
        assert any("not kept at IN's offsets" in n for n in res.notes)


def test_cli_keep_page_offsets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = sample("libxc-v2_x86_64-pv")
    src = tmp_path / "in.bin"
    src.write_bytes(s.data)
    out = tmp_path / "out.bin"
    assert main(["convert", "--keep-page-offsets", "--to", "libxc-v3", str(src), str(out)]) == 0
    assert "kept at IN's offsets within a page" in capsys.readouterr().out
    # two answers to one question: a usage error
    argv = ["convert", "--keep-page-offsets", "--align-pages", str(src), str(tmp_path / "x")]
    assert main(argv) == 2
    assert "not allowed with" in capsys.readouterr().err


REFLINK_DIR = os.environ.get("XENSAVE_REFLINK_DIR")


@pytest.mark.skipif(
    not REFLINK_DIR,
    reason="needs XENSAVE_REFLINK_DIR: a directory on btrfs or XFS (a loop-mounted image "
    "file will do) to show blocks shared",
)
def test_kept_pages_share_blocks_on_a_reflink_filesystem() -> None:
    """Pages in phase but mid-block: all the whole blocks after the first boundary are
    shared, and OUT takes no space for them (no blocks reserved under them first)."""
    assert REFLINK_DIR
    d = Path(REFLINK_DIR)
    src, out = d / "xensave-test-v2.bin", d / "xensave-test-v3.bin"
    try:
        with open(src, "wb") as f:  # 64 MiB of pages: over the size OUT is reserved at
            f.write(_v2_image(64 << 20))
        os.sync()
        free = os.statvfs(d).f_bavail * os.statvfs(d).f_frsize
        res = convert(str(src), str(out), "libxc-v3", keep_page_offsets=True)
        os.sync()
        used = free - os.statvfs(d).f_bavail * os.statvfs(d).f_frsize
        shared = [n for n in res.notes if "share IN's blocks (reflink)" in n]
        # all but the part-blocks at each end of each PAGE_DATA's contents (16 records
        # of 1024 pages)
        assert shared and int(shared[0].split()[0]) >= (64 << 20) - 16 * 2 * PAGE
        assert used < (16 << 20), used  # a few blocks of its own, not 64 MiB reserved
        assert check_stream(io.BytesIO(out.read_bytes())).valid
    finally:
        for p in d.glob("xensave-test*"):
            p.unlink()


def _v2_image(size: int) -> bytes:
    """A libxc v2 HVM image with ``size`` octets of pages (bench/bench.py's generator,
    made v2 by convert)."""
    import sys
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from bench import write_image

    with tempfile.TemporaryDirectory() as t:
        v3, v2 = Path(t) / "v3", Path(t) / "v2"
        write_image(v3, size)
        convert(str(v3), str(v2), "libxc-v2")
        return v2.read_bytes()
