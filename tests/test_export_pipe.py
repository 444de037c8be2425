"""``export raw|elf -`` from a pipe: each page is spliced straight to its place in OUT
as it is read (no spool). What it writes must be what the file export writes, for
batches of consecutive pfns, scattered pfns, entries without contents and pages sent
again (last copy wins): the same bytes for a raw image; for a core the same notes and
pages at the same addresses, in the layout of a core written as the stream goes (pages
in stream order from 64 KiB on, then notes and program headers, the ELF
header last); an image that would be over 1 TiB is refused as from a file, leaving
nothing behind.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from export_images import CASES, LEGACY, case, core_contents, export_from_pipe

from xensave import samples, writer
from xensave.bodies import PageData
from xensave.constants import PageType, XcRecType
from xensave.model import Record

PAGE = 4096


def _export(
    src: Path, out: Path, *, pipe: bool, force: bool = False, kind: str = "raw"
) -> subprocess.CompletedProcess[bytes]:
    cmd = [sys.executable, "-m", "xensave", "export", kind, "-q"]
    if force:
        cmd.append("--force")
    if not pipe:
        return subprocess.run([*cmd, str(src), str(out)], capture_output=True, check=False)
    with open(src, "rb") as f:
        cat = subprocess.Popen(["cat"], stdin=f, stdout=subprocess.PIPE)
        assert cat.stdout is not None
        r = subprocess.run(
            [*cmd, "-", str(out)], stdin=cat.stdout, capture_output=True, check=False
        )
        cat.stdout.close()
        cat.wait()
    return r


def _data_extents(path: Path) -> list[tuple[int, int]]:
    """The file's data (non-hole) extents, by SEEK_DATA / SEEK_HOLE."""
    out: list[tuple[int, int]] = []
    fd = os.open(path, os.O_RDONLY)
    try:
        size, at = os.fstat(fd).st_size, 0
        while at < size:
            try:
                start = os.lseek(fd, at, os.SEEK_DATA)
            except OSError:
                break  # only a hole is left
            at = os.lseek(fd, start, os.SEEK_HOLE)
            out.append((start, at))
    finally:
        os.close(fd)
    return out


def _same_sparse(a: Path, b: Path) -> bool:
    """Whether two (sparse) raw images hold the same bytes, reading only where either
    has data (a raw image of an HVM guest spans 4 GiB)."""
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        for start, end in _data_extents(a) + _data_extents(b):
            fa.seek(start)
            fb.seek(start)
            if fa.read(end - start) != fb.read(end - start):
                return False
    return True


def _scattered() -> samples.LibxcStream:
    """HVM: a record of scattered pfns with XTAB and BROKEN entries among them, and
    pages sent again in a later record."""
    xc = samples.libxc_stream("hvm", 3)
    xc.records = [r for r in xc.records if r.type != XcRecType.PAGE_DATA]  # low pfns only
    end = next(i for i, r in enumerate(xc.records) if r.type == XcRecType.X86_TSC_INFO)
    odd = [
        (40, PageType.NOTAB),
        (7, PageType.XTAB),
        (41, PageType.NOTAB),
        (90, PageType.NOTAB),
        (8, PageType.BROKEN),
        (3, PageType.NOTAB),
        (4, PageType.NOTAB),
    ]
    xc.records.insert(end, Record(XcRecType.PAGE_DATA, PageData.of(odd, fill=b"o")))
    again = [(41, PageType.NOTAB), (3, PageType.NOTAB)]
    xc.records.insert(end + 1, Record(XcRecType.PAGE_DATA, PageData.of(again, fill=b"z")))
    return xc


@pytest.mark.parametrize("name", [c for c in CASES if c not in LEGACY])
def test_pipe_raw_same_as_file(tmp_path: Path, name: str) -> None:
    src = tmp_path / "in"
    src.write_bytes(case(name).data)
    a, b = tmp_path / "a.raw", tmp_path / "b.raw"
    assert _export(src, a, pipe=False).returncode == 0
    r = _export(src, b, pipe=True)
    assert r.returncode == 0, r.stderr
    assert _same_sparse(a, b)


def test_pipe_raw_scattered_and_resent(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.write_bytes(writer.to_bytes(_scattered()))
    a, b = tmp_path / "a.raw", tmp_path / "b.raw"
    assert _export(src, a, pipe=False).returncode == 0
    r = _export(src, b, pipe=True)
    assert r.returncode == 0, r.stderr
    mem = b.read_bytes()
    assert mem == a.read_bytes()
    assert len(mem) == 91 * PAGE
    assert mem[41 * PAGE : 42 * PAGE] == b"z" * PAGE  # the last copy wins
    assert mem[3 * PAGE : 4 * PAGE] == b"z" * PAGE
    assert mem[90 * PAGE : 91 * PAGE] == mem[40 * PAGE : 41 * PAGE]  # both "o" pages


def test_pipe_raw_too_big_refused_like_a_file(tmp_path: Path) -> None:
    """A pfn whose page ends past 1 TiB: refused (exit 2) without --force, the same
    message as from a file, and no file left behind."""
    xc = samples.libxc_stream("hvm", 3)
    end = next(i for i, r in enumerate(xc.records) if r.type == XcRecType.X86_TSC_INFO)
    far = (1 << 40) // PAGE + 1
    xc.records.insert(end, Record(XcRecType.PAGE_DATA, PageData.of([(far, PageType.NOTAB)])))
    src = tmp_path / "in"
    src.write_bytes(writer.to_bytes(xc))
    out = tmp_path / "out.raw"
    from_file = _export(src, out, pipe=False)
    from_pipe = _export(src, out, pipe=True)
    assert from_pipe.returncode == from_file.returncode == 2
    assert b"1.0 TiB" in from_pipe.stderr
    assert from_pipe.stderr.replace(b"<stdin>", b"") == from_file.stderr.replace(
        str(src).encode(), b""
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


@pytest.mark.parametrize("name", [c for c in CASES if c not in LEGACY])
def test_pipe_elf_same_as_file(tmp_path: Path, name: str) -> None:
    src = tmp_path / "in"
    src.write_bytes(case(name).data)
    a, b = tmp_path / "a.core", tmp_path / "b.core"
    assert _export(src, a, pipe=False, kind="elf").returncode == 0
    export_from_pipe(src, b)
    notes, pages = core_contents(b)
    assert pages
    assert (notes, pages) == core_contents(a)


def _loads(path: Path) -> list[tuple[int, int, int]]:
    with open(path, "rb") as f:
        elf = ELFFile(f)
        return [
            (s["p_paddr"], s["p_offset"], s["p_filesz"])
            for s in elf.iter_segments()
            if s["p_type"] == "PT_LOAD"
        ]


def test_pipe_elf_scattered_and_resent(tmp_path: Path) -> None:
    """Pages written in stream order, a page sent again written over its first copy
    (the last copy wins, each address once); PT_LOADs sorted by address, one per
    stretch contiguous in addresses and in the file."""
    src = tmp_path / "in"
    src.write_bytes(writer.to_bytes(_scattered()))
    a, b = tmp_path / "a.core", tmp_path / "b.core"
    assert _export(src, a, pipe=False, kind="elf").returncode == 0
    export_from_pipe(src, b)
    notes, pages = core_contents(b)
    assert (notes, pages) == core_contents(a)
    assert pages[41 * PAGE] == b"z" * PAGE  # the last copy wins
    assert pages[3 * PAGE] == b"z" * PAGE
    loads = _loads(b)
    assert [p for p, _, _ in loads] == sorted(p for p, _, _ in loads)
    for (p1, o1, n1), (p2, o2, _) in itertools.pairwise(loads):
        assert not (p1 + n1 == p2 and o1 + n1 == o2), "two PT_LOADs that are one stretch"
    # the odd record's pages follow the earlier ones in the stream, in their order
    by_addr = {p: o for p, o, _ in loads}
    assert by_addr[40 * PAGE] < by_addr[90 * PAGE] < by_addr[3 * PAGE]
    assert max(o + n for _, o, n in loads) <= b.stat().st_size


def test_pipe_elf_without_pages(tmp_path: Path) -> None:
    """No PAGE_DATA at all: a core of notes only, still what the file gives."""
    xc = samples.libxc_stream("hvm", 3)
    xc.records = [r for r in xc.records if r.type != XcRecType.PAGE_DATA]
    src = tmp_path / "in"
    src.write_bytes(writer.to_bytes(xc))
    a, b = tmp_path / "a.core", tmp_path / "b.core"
    assert _export(src, a, pipe=False, kind="elf").returncode == 0
    export_from_pipe(src, b)
    notes, pages = core_contents(b)
    assert notes and not pages
    assert (notes, pages) == core_contents(a)


def test_core_pages_start_on_a_write_boundary(tmp_path: Path) -> None:
    """From a file and from a pipe a core's page contents start 64 KiB in (not one page
    in, where the kernel's writes into the page cache cost half as much again), so an
    image sent in aligned batches keeps every PT_LOAD of a batch on that boundary."""
    src = tmp_path / "in"
    src.write_bytes(case("hvm").data)
    a, b = tmp_path / "a.core", tmp_path / "b.core"
    assert _export(src, a, pipe=False, kind="elf").returncode == 0
    export_from_pipe(src, b)
    for core in (a, b):
        offsets = [o for _, o, _ in _loads(core)]
        assert min(offsets) == 64 << 10


def test_stream_core_past_pn_xnum(tmp_path: Path) -> None:
    """65,535 stretches and the PT_NOTE: e_phnum says PN_XNUM and section header 0
    holds the count, as in the file export's core; every PT_LOAD at its address."""
    from xensave.elf_core import StreamCore

    n = 0xFFFF
    with open(tmp_path / "c.core", "w+b") as f:
        core = StreamCore(f.fileno(), None)
        core.here = 64 << 10
        places: list[tuple[int | None, int]] = []
        for i in range(n):
            core._place(2 * i, 2 * i + 1, PAGE, places)  # every other pfn: no two touch
        size = core.finish({})
    assert [o for o, _ in places[:2]] == [64 << 10, (64 << 10) + PAGE]
    assert (tmp_path / "c.core").stat().st_size == size
    with open(tmp_path / "c.core", "rb") as f:
        elf = ELFFile(f)
        assert elf.header["e_phnum"] == 0xFFFF
        assert elf.get_section(0)["sh_info"] == n + 1
        assert elf.num_segments() == n + 1
        loads = [
            (s["p_paddr"], s["p_offset"]) for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"
        ]
    assert loads[0] == (0, 64 << 10)
    assert loads[-1] == (2 * (n - 1) * PAGE, (64 << 10) + (n - 1) * PAGE)
    assert len(loads) == n
