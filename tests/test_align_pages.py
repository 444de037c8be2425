"""Page-aligned streams (issue 21): ``convert --align-pages`` and the writer put an
optional padding record before each PAGE_DATA so its page contents start on a
4096-byte boundary; dump reports where contents fall; export shares blocks (reflink)
where the filesystem can, and copies the same bytes where it cannot.

Alignment is judged here from the reader's record offsets, not from the code that
computes the padding. That Xen's restorer skips the padding record is shown by Xen
itself in tests/test_xen_oracle.py (test_xen_restores_a_page_aligned_stream).
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from export_images import core_contents, export_from_pipe

from xensave import samples
from xensave.checker import check_stream
from xensave.cli import main
from xensave.constants import XC_REC_ALIGN_PAD, XcRecType
from xensave.convert import convert
from xensave.export import export
from xensave.legacy.samples import standard_samples
from xensave.reader import Reader, ReadOptions, RecordEvent
from xensave.writer import RecordWriter, align_pad

PAGE = 4096


def page_records(data: bytes) -> list[tuple[int, int]]:
    """(offset of the page contents, octets of them) of every libxc PAGE_DATA."""
    out = []
    for ev in Reader(io.BytesIO(data), ReadOptions()):
        if isinstance(ev, RecordEvent) and ev.layer == "libxc" and ev.page_bytes:
            assert ev.type == XcRecType.PAGE_DATA
            out.append((ev.body_offset + ev.length - ev.page_bytes, ev.page_bytes))
    return out


def pads(data: bytes) -> int:
    return sum(
        1
        for ev in Reader(io.BytesIO(data), ReadOptions())
        if isinstance(ev, RecordEvent) and ev.layer == "libxc" and ev.type == XC_REC_ALIGN_PAD
    )


ALIGNABLE = ("libxc-v3_hvm", "libxc-v2_x86_64-pv", "libxl-v3_x86_32-pv", "libxl-v2_hvm")


def some_samples() -> list[samples.Sample]:
    """A few of every layer, version and guest; the big-endian stream."""
    chosen = [s for s in samples.valid_samples() if s.name in ALIGNABLE]
    return [*chosen, samples.valid_samples()[-1]]


@pytest.mark.parametrize("pos", [0, 8, 16, 24, 4072, 4080, 4088, 4096, 12345 * 8])
@pytest.mark.parametrize("entries", [1, 2, 511, 512, 1024])
def test_align_pad_puts_contents_on_a_page_boundary(pos: int, entries: int) -> None:
    pad = align_pad(pos, entries)
    first = pos + len(pad) + 8 + 8 + 8 * entries  # record header, count + reserved, pfns
    assert first % PAGE == 0
    assert len(pad) % 8 == 0 and len(pad) < PAGE + 8
    if pad:
        rtype, length = struct.unpack_from("<II", pad)
        assert rtype == XC_REC_ALIGN_PAD and rtype & 0x80000000  # optional: Xen skips it
        assert length == len(pad) - 8 and pad[8:] == bytes(length)
    else:
        assert (pos + 16 + 8 * entries) % PAGE == 0


def test_pad_type_is_optional_and_clear_of_xen_types() -> None:
    assert XC_REC_ALIGN_PAD & 0x80000000
    assert XC_REC_ALIGN_PAD not in {int(t) for t in XcRecType}


@pytest.mark.parametrize("s", some_samples(), ids=lambda s: s.name)
def test_convert_align_pages(tmp_path: Path, s: samples.Sample) -> None:
    src = tmp_path / "in.bin"
    src.write_bytes(s.data)
    aligned = tmp_path / "aligned.bin"
    version = "libxc-v2" if "v2" in s.name else "libxc-v3"
    convert(str(src), str(aligned), version, align_pages=True)  # type: ignore[arg-type]
    data = aligned.read_bytes()
    recs = page_records(data)
    assert recs and all(off % PAGE == 0 for off, _ in recs)
    report = check_stream(io.BytesIO(data))
    assert report.valid
    # the padding is this spec's own record: no "unknown optional record" note for it
    assert not [d for d in report.diagnostics if d.rule == "XC-REC-006"]
    # the page contents are those of the input, pfn for pfn (an ELF core holds only
    # the pages sent; a raw image would be gigabytes of holes to compare)
    for name, img in (("a", src), ("b", aligned)):
        export("elf", str(img), str(tmp_path / f"{name}.core"))
    assert (tmp_path / "a.core").read_bytes() == (tmp_path / "b.core").read_bytes()
    # aligning again changes nothing; converting without it gives the input back
    again = tmp_path / "again.bin"
    convert(str(aligned), str(again), version, align_pages=True)  # type: ignore[arg-type]
    assert again.read_bytes() == data
    back = tmp_path / "back.bin"
    convert(str(aligned), str(back), version)  # type: ignore[arg-type]
    assert pads(back.read_bytes()) == 0
    assert back.read_bytes() == s.data


def test_xl_file_off_an_8_byte_boundary_is_left_unaligned(tmp_path: Path) -> None:
    """An xl file's optional data need not be a multiple of 8 long; then no record can
    put contents on a page boundary, and convert says so instead of breaking framing."""
    odd = [
        s
        for s in samples.valid_samples()
        if s.layer == "xl" and [off % 8 for off, _ in page_records(s.data)][:1] != [0]
    ]
    assert odd, "a sample whose libxc stream starts off an 8-byte boundary"
    s = odd[0]
    src = tmp_path / "in.xl"
    src.write_bytes(s.data)
    out = tmp_path / "out.xl"
    version = "libxc-v2" if "v2" in s.name else "libxc-v3"
    res = convert(str(src), str(out), version, align_pages=True)  # type: ignore[arg-type]
    assert any(
        "not aligned: the libxc stream starts off an 8-byte boundary" in n for n in res.notes
    )
    assert out.read_bytes() == s.data


def test_convert_legacy_align_pages(tmp_path: Path) -> None:
    s = next(x for x in standard_samples() if x.image.guest == "hvm" and not x.xl_config)
    src = tmp_path / "legacy.bin"
    src.write_bytes(s.data())
    out = tmp_path / "out.libxl"
    convert(str(src), str(out), "libxl", align_pages=True)
    data = out.read_bytes()
    recs = page_records(data)
    assert recs and all(off % PAGE == 0 for off, _ in recs)
    assert pads(data) >= 1
    assert check_stream(io.BytesIO(data)).valid


def test_record_writer_aligns(tmp_path: Path) -> None:
    buf = io.BytesIO()
    w = RecordWriter(buf, align_pages=True, start=40)  # 40 octets before the stream
    for first, n in ((0, 3), (3, 1024), (1027, 7)):
        entries = struct.pack(f"<{n}Q", *range(first, first + n))
        w.page_data_record(entries, n, bytes([first % 251]) * (n * PAGE))
    data = bytes(40) + buf.getvalue()
    offsets = []
    pos = 40
    while pos < len(data):
        rtype, length = struct.unpack_from("<II", data, pos)
        if rtype == XcRecType.PAGE_DATA:
            (count,) = struct.unpack_from("<I", data, pos + 8)
            offsets.append(pos + 16 + 8 * count)
        pos += 8 + length + (-length % 8)
    assert len(offsets) == 3 and all(o % PAGE == 0 for o in offsets)
    assert w.written == len(data)


def test_dump_reports_alignment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = next(x for x in samples.valid_samples() if x.name == "libxc-v3_hvm")
    src = tmp_path / "in.bin"
    src.write_bytes(s.data)
    aligned = tmp_path / "aligned.bin"
    convert(str(src), str(aligned), "libxc-v3", align_pages=True)
    for img in (src, aligned):
        recs = page_records(img.read_bytes())
        good = sum(1 for off, _ in recs if off % PAGE == 0)
        good_bytes = sum(n for off, n in recs if off % PAGE == 0)
        assert main(["dump", str(img)]) == 0
        text = capsys.readouterr().out
        assert (
            f"page contents: {good} of {len(recs)} PAGE_DATA records start on a 4096-byte "
            f"boundary ({good_bytes} of {sum(n for _, n in recs)} bytes"
        ) in text
        assert main(["dump", "--all", str(img)]) == 0
        lines = [ln for ln in capsys.readouterr().out.splitlines() if " PAGE_DATA (" in ln]
        assert len(lines) == len(recs)
        for ln, (off, _) in zip(lines, recs, strict=True):
            want = "contents page-aligned" if off % PAGE == 0 else f"contents at {off % PAGE:#x}"
            assert want in ln, ln
        assert main(["dump", "--json", str(img)]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["page_alignment"]["page_aligned_records"] == good
        assert doc["page_alignment"]["page_data_records_with_contents"] == len(recs)
    assert good == len(recs)  # the aligned image: every one


def test_dump_names_the_padding_record(tmp_path: Path) -> None:
    s = next(x for x in samples.valid_samples() if x.name == "libxc-v3_x86_64-pv")
    src = tmp_path / "in.bin"
    src.write_bytes(s.data)
    aligned = tmp_path / "aligned.bin"
    convert(str(src), str(aligned), "libxc-v3", align_pages=True)
    out = subprocess.run(
        [sys.executable, "-m", "xensave", "dump", str(aligned)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert " ALIGN_PAD (" in out


REFLINK_DIR = os.environ.get("XENSAVE_REFLINK_DIR")


@pytest.mark.skipif(
    not REFLINK_DIR,
    reason="needs XENSAVE_REFLINK_DIR: a directory on btrfs or XFS (a loop-mounted image "
    "file will do) to show blocks shared",
)
def test_export_and_convert_share_blocks_on_a_reflink_filesystem() -> None:
    assert REFLINK_DIR
    d = Path(REFLINK_DIR)
    s = next(x for x in samples.valid_samples() if x.name == "libxc-v3_hvm")
    src = d / "xensave-test-in.bin"
    aligned = d / "xensave-test-aligned.bin"
    core = d / "xensave-test.core"
    again = d / "xensave-test-again.bin"
    try:
        src.write_bytes(s.data)
        convert(str(src), str(aligned), "libxc-v3", align_pages=True)
        summary = export("elf", str(aligned), str(core))
        assert any("share the image's blocks (reflink)" in n for n in summary.notes)
        res = convert(str(aligned), str(again), "libxc-v3", align_pages=True)
        assert any("share IN's blocks (reflink)" in n for n in res.notes)
        assert again.read_bytes() == aligned.read_bytes()
        plain = export("elf", str(src), str(d / "xensave-test-plain.core"))
        assert not any("reflink" in n for n in plain.notes)  # unaligned: copied
        assert (d / "xensave-test-plain.core").read_bytes() == core.read_bytes()
    finally:
        for p in d.glob("xensave-test*"):
            p.unlink()


@pytest.mark.parametrize(
    "src_off,dst_off,n",
    [(40, 0, (1 << 20) + 123), (0, 0, 3 * PAGE), (4096 + 8, 8, 600_000), (8, 4096, 1)],
)
def test_copier_moves_the_bytes_whatever_the_phase(
    tmp_path: Path, src_off: int, dst_off: int, n: int
) -> None:
    """Same phase goes by copy_file_range, other phases through the bounce buffer (more
    than one buffer's worth here): the bytes arrive either way."""
    from xensave.page_index import Copier

    data = os.urandom(src_off + n + 100)
    (tmp_path / "src").write_bytes(data)
    with open(tmp_path / "src", "rb") as src, open(tmp_path / "dst", "w+b") as dst:
        Copier(src.fileno(), dst.fileno()).copy(src_off, dst_off, n)
    got = (tmp_path / "dst").read_bytes()
    assert got[dst_off:] == data[src_off : src_off + n]
    assert got[:dst_off] == bytes(dst_off)


def test_copier_writes_small_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the bounce buffer (OUT just ahead of IN within a page) OUT is written
    in pieces of at most 64 KiB (larger writes make the kernel allocate large folios,
    twice the CPU per octet measured)."""
    import xensave.page_index as pi

    sizes: list[int] = []
    real = os.pwrite

    def spy(fd: int, data: bytes, off: int) -> int:
        sizes.append(len(data))
        return real(fd, data, off)

    monkeypatch.setattr(pi.os, "pwrite", spy)
    data = os.urandom((1 << 20) + 5000)
    (tmp_path / "src").write_bytes(data)
    with open(tmp_path / "src", "rb") as src, open(tmp_path / "dst", "w+b") as dst:
        pi.Copier(src.fileno(), dst.fileno()).copy(0, 8, len(data))
    assert (tmp_path / "dst").read_bytes() == bytes(8) + data
    assert sizes and max(sizes) <= 64 << 10
    assert sum(sizes) == len(data)


@pytest.mark.parametrize("name", ["libxc-v3_hvm", "xl-v2_x86_32-pv", "libxl-v3_x86_64-pv"])
def test_export_from_a_pipe_splices_the_same_pages(tmp_path: Path, name: str) -> None:
    """From a pipe the page contents are spliced straight into the core by the kernel
    (after whatever the reader had read ahead): the core holds the notes and pages the
    file's does (its layout differs: see test_export_pipe.py)."""
    s = next(x for x in samples.valid_samples() if x.name == name)
    src = tmp_path / "in.bin"
    src.write_bytes(s.data)
    export("elf", str(src), str(tmp_path / "file.core"))
    export_from_pipe(src, tmp_path / "p.core")
    notes, pages = core_contents(tmp_path / "p.core")
    assert pages
    assert (notes, pages) == core_contents(tmp_path / "file.core")


MOVES = [  # (sample, --to): the stream copied, the wrapper rebuilt
    ("xl-v3_hvm", "libxl"),
    ("libxc-v3_x86_32-pv", "libxl"),
    ("libxl-v3_hvm", "libvirt"),
]


@pytest.mark.parametrize(("name", "to"), MOVES)
def test_toolstack_move_align_pages(tmp_path: Path, name: str, to: str) -> None:
    """A toolstack move honours --align-pages: every PAGE_DATA's contents land on a
    page boundary of OUT, the pages are IN's, and moving the aligned image again with
    it (IN's padding left out, new padding written) gives the same bytes."""
    s = next(x for x in samples.valid_samples() if x.name == name)
    src = tmp_path / "in.bin"
    src.write_bytes(s.data)
    xml = tmp_path / "dom.xml"
    xml.write_bytes(b"<domain type='xen'><name>guest-12345678</name></domain>")  # 56 with NUL
    config = str(xml) if to == "libvirt" else None
    plain, aligned, again = (tmp_path / n for n in ("plain.bin", "aligned.bin", "again.bin"))
    kw = {"allow_loss": True, "config": config}
    convert(str(src), str(plain), to, **kw)  # type: ignore[arg-type]
    res = convert(str(src), str(aligned), to, align_pages=True, **kw)  # type: ignore[arg-type]
    data = aligned.read_bytes()
    recs = page_records(data)
    assert data.index(bytes.fromhex("ffffffffffffffff") + b"XENF") % 8 == 0  # the premise
    assert recs and all(off % PAGE == 0 for off, _ in recs)
    assert len(recs) == len(page_records(s.data))
    assert pads(data) == len(recs) - sum(
        off % PAGE == 0 for off, _ in page_records(plain.read_bytes())
    )
    assert any("page contents aligned" in n for n in res.notes)
    assert check_stream(io.BytesIO(data)).valid
    for n, img in (("a", plain), ("b", aligned)):
        export("elf", str(img), str(tmp_path / f"{n}.core"))
    assert (tmp_path / "a.core").read_bytes() == (tmp_path / "b.core").read_bytes()
    if to != "libvirt":  # a libvirt file moves to libvirt only with a new --config
        res = convert(str(aligned), str(again), to, align_pages=True, **kw)  # type: ignore[arg-type]
        assert again.read_bytes() == data
        assert any("left out" in n and "padding" in n for n in res.notes)


@pytest.mark.parametrize(("name", "to"), [("libxl-v2_x86_64-pv", "xl"), ("xl-v3_hvm", "xapi")])
def test_toolstack_move_off_an_8_byte_boundary(tmp_path: Path, name: str, to: str) -> None:
    """Where the wrapper puts the libxc stream off an 8-byte boundary (an xl file
    whose header and configuration are not a multiple of 8 long, as a libxl stream
    moved without one: 52 octets; a XAPI image: its 15-octet signature and 16-octet
    section header) no padding can align its pages: said, and nothing padded."""
    s = next(x for x in samples.valid_samples() if x.name == name)
    src = tmp_path / "in.bin"
    src.write_bytes(s.data)
    plain, aligned = tmp_path / "plain", tmp_path / "aligned"
    convert(str(src), str(plain), to, allow_loss=True)  # type: ignore[arg-type]
    res = convert(str(src), str(aligned), to, allow_loss=True, align_pages=True)  # type: ignore[arg-type]
    assert plain.read_bytes().index(bytes.fromhex("ffffffffffffffff") + b"XENF") % 8
    assert any("not aligned: the libxc stream starts off" in n for n in res.notes)
    assert aligned.read_bytes() == plain.read_bytes()


def test_toolstack_move_align_pages_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = next(x for x in samples.valid_samples() if x.name == "xl-v3_hvm")
    src = tmp_path / "in.bin"
    src.write_bytes(s.data)
    out = tmp_path / "out.libxl"
    rc = main(["convert", "--to", "libxl", "--allow-loss", "--align-pages", str(src), str(out)])
    assert rc == 0
    assert "page contents aligned to 4096 bytes" in capsys.readouterr().out
    assert all(off % PAGE == 0 for off, _ in page_records(out.read_bytes()))
