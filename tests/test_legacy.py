"""Legacy images: autodetection, reading, the LEG rules, and the ksy against the writer."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from kaitaistruct import KaitaiStream

from xensave.checker import check_bytes
from xensave.cli import main
from xensave.kaitai.xen_legacy_libxc_image import XenLegacyLibxcImage
from xensave.legacy.format import (
    XTAB_FILLER,
    Chunk,
    PageBatch,
    PhysmapEntry,
    RawChunk,
    apply_compressed,
    compress_page,
    decode_physmap,
    encode,
    encode_physmap,
    split_compressed,
)
from xensave.legacy.read import LegacyEnd, LegacyHeader, LegacyHvmTail, LegacyOptions
from xensave.legacy.samples import Sample, build, standard_samples
from xensave.reader import LegacyAmbiguous, Reader, ReadError, ReadOptions

SAMPLES = [*standard_samples(), build(64, "pv", remus=True), build(32, "hvm", remus=True)]


def _events(data: bytes) -> list[object]:
    return list(Reader(io.BytesIO(data)))


@pytest.mark.parametrize("s", SAMPLES, ids=lambda s: s.name)
def test_detected_without_flags(s: Sample) -> None:
    hdr = next(e for e in _events(s.data()) if isinstance(e, LegacyHeader))
    assert (hdr.width, hdr.guest) == (s.image.width, s.image.guest)


@pytest.mark.parametrize("s", SAMPLES, ids=lambda s: s.name)
def test_valid_samples_verify_clean(s: Sample) -> None:
    report = check_bytes(s.data())
    assert report.valid, [d.format("x") for d in report.errors]


def test_detected_on_a_pipe() -> None:
    import os
    import threading

    s = build(32, "hvm")
    data = s.data()
    r, w = os.pipe()
    t = threading.Thread(target=lambda: (os.write(w, data), os.close(w)))
    t.start()
    with open(r, "rb", buffering=0) as f:
        evs = list(Reader(f))
    t.join()
    hdr = next(e for e in evs if isinstance(e, LegacyHeader))
    assert (hdr.width, hdr.guest) == (32, "hvm")


def test_nonpae_levels() -> None:
    end = next(e for e in _events(build(32, "pv", levels=2).data()) if isinstance(e, LegacyEnd))
    assert end.pt_levels == 2
    end = next(e for e in _events(build(64, "pv", levels=3).data()) if isinstance(e, LegacyEnd))
    assert end.pt_levels == 3


def _rules(data: bytes) -> set[str]:
    return {d.rule for d in check_bytes(data).diagnostics}


def _bad(mutate: object, **kw: object) -> bytes:
    s = build(64, "hvm", **kw)  # type: ignore[arg-type]
    mutate(s.image)  # type: ignore[operator]
    return encode(s.image)


def test_rules_fire() -> None:
    def pad(img: object) -> None:
        img.checkpoints[0].body.insert(0, RawChunk(Chunk.HVM_VIRIDIAN, struct.pack("<IQ", 1, 5)))  # type: ignore[attr-defined]

    assert "LEG-CHK-003" in _rules(_bad(pad))

    def dup(img: object) -> None:
        img.checkpoints[0].body.insert(0, PageBatch([3, 3], [bytes(4096)] * 2))  # type: ignore[attr-defined]

    assert "LEG-PAGE-005" in _rules(_bad(dup))

    def beyond(img: object) -> None:
        img.checkpoints[0].body.insert(0, PageBatch([0x100], [bytes(4096)]))  # type: ignore[attr-defined]

    assert "LEG-PAGE-002" in _rules(_bad(beyond))

    def tsc(img: object) -> None:
        img.checkpoints[0].body.insert(
            0, RawChunk(Chunk.TSC_INFO, struct.pack("<IQII", 9, 0, 0, 0))
        )  # type: ignore[attr-defined]

    assert "LEG-CHK-006" in _rules(_bad(tsc))

    def trailer(img: object) -> None:
        img.trailer = b"junk"  # type: ignore[attr-defined]

    assert "LEG-END-002" in _rules(_bad(trailer))
    assert "LEG-END-001" in _rules(build(64, "pv").data()[:-100])
    assert not check_bytes(build(64, "pv").data()[:-100]).valid


def test_tmem_refused_with_reason() -> None:
    s = build(64, "pv")
    s.image.checkpoints[0].body.insert(0, RawChunk(Chunk.TMEM, b"\x00" * 16))
    with pytest.raises(ReadError, match=r"tmem|TMEM"):
        _events(encode(s.image))


def test_physmap_roundtrip_and_padding_quirk() -> None:
    e = [PhysmapEntry(1, 2, 3, b"vga.vram")]
    assert len(encode_physmap(e, 64)) == len(encode_physmap(e, 32)) + 4
    for w in (32, 64):
        assert decode_physmap(encode_physmap(e, w), w) == e


def test_compression_roundtrip() -> None:
    old = bytes(range(256)) * 16
    new = bytearray(old)
    new[100:108] = b"ABCDEFGH"
    new[4000:4096] = b"z" * 96
    for prev, cur in ((None, bytes(new)), (old, bytes(new)), (old, old)):
        data = compress_page(cur, prev)
        (span,) = split_compressed(data)
        assert apply_compressed(data, *span, prev or bytes(4096)) == cur


def test_filler_is_noted_not_an_error() -> None:
    assert XTAB_FILLER == 0xF0000000
    r = check_bytes(build(64, "pv").data())
    assert r.valid and "LEG-PAGE-004" in {d.rule for d in r.notes}


@pytest.mark.parametrize(
    "s", [s for s in SAMPLES if not s.xl_config and "remus" not in s.name], ids=lambda s: s.name
)
def test_ksy_parses_the_writer_output(s: Sample) -> None:
    data = encode(s.image)
    ks = KaitaiStream(io.BytesIO(data))
    k = XenLegacyLibxcImage(s.image.width, s.image.guest == "hvm", 2, ks)
    assert ks.pos() == len(data)
    body = k.first_checkpoint.body
    batches = [c for c in body if c.chunk_type > 0]
    model = [i for i in s.image.checkpoints[0].body if isinstance(i, PageBatch)]
    assert [[w.value for w in b.batch.pfn_words] for b in batches] == [m.words for m in model]
    pages = [p.contents for b in batches for p in b.batch.pages if p.contents]
    assert pages == [pg for m in model for pg in m.pages]


# --- an image that two variants read completely ------------------------------------------


#: The smallest well-formed HVM context blob (xen/include/public/arch-x86/hvm/save.h):
#: a HEADER descriptor {typecode 1, instance 0, length 24} with magic 0x54381286,
#: version 1, changeset, cpuid and gtsc_khz; then END {0, 0, 0}.
HVM_CTX = struct.pack("<HHI", 1, 0, 24) + struct.pack("<IIQII", 0x54381286, 1, 0, 0, 0)
HVM_CTX += struct.pack("<HHI", 0, 0, 0)
#: Where each reading of the ambiguous image finds its HVM context and device model.
AMB_CTX_AT = {32: 36, 64: 40}
AMB_DM_AT = 40 + len(HVM_CTX)


def _ambiguous_hvm() -> bytes:
    """Built by hand from the layout in spec/legacy.md, so that a 32-bit and a 64-bit
    toolstack's HVM reading both parse it to the end.

    32-bit reading: u32 p2m_size, chunk 0 (empty body) at 4, magic pfns at 8-31, u32
    context length at 32 (4 more than the 64-bit reading's), context from 36.
    64-bit reading: u64 p2m_size, chunk 0 at 8, magic pfns at 12-35, u32 context
    length at 36, context (well formed) from 40.
    Both contexts end where the same ``QemuDeviceModelRecord`` starts, whose state
    runs to EOF."""
    head = struct.pack("<II", 0x100, 0)  # p2m_size; 32: end of body / 64: high half
    head += struct.pack("<I", 0)  # 32: low half of the first magic pfn / 64: end of body
    head += struct.pack("<IQQ", 0xFEFF1, 0xFEFF2, 0xFEFF3)  # the rest of the magic pfns
    assert len(head) == 32
    ctx32 = struct.pack("<I", len(HVM_CTX)) + HVM_CTX
    dm = b"QemuDeviceModelRecord" + b"QEVM" + bytes(60)
    return head + struct.pack("<I", len(ctx32)) + ctx32 + dm


@pytest.mark.parametrize("command", ["verify", "dump", "convert"])
def test_ambiguous_image_names_the_candidates_and_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    src = tmp_path / "amb.bin"
    src.write_bytes(_ambiguous_hvm())
    out = tmp_path / "out.bin"
    argv = [command, str(src)] + ([str(out)] if command == "convert" else [])
    assert main(argv) == 2  # a usage matter: the image is not invalid, it needs a choice
    err = capsys.readouterr().err
    assert "ambiguous" in err
    assert "HVM guest from a 64-bit toolstack (--legacy-width 64)" in err
    assert "HVM guest from a 32-bit toolstack (--legacy-width 32)" in err
    assert "PV guest" not in err and "Traceback" not in err
    assert not out.exists()
    extra = [str(out)] if command == "convert" else ["-q"] if command == "verify" else []
    # the 64-bit reading is the one whose HVM context is well formed: it goes through
    assert main([command, "--legacy-width", "64", str(src), *extra]) == 0, capsys.readouterr()
    if command == "convert":
        assert check_bytes(out.read_bytes()).valid
        out.unlink()
    # the 32-bit reading is taken as told: no ambiguity left, whatever it then finds
    rc = main([command, "--legacy-width", "32", "--legacy-guest", "hvm", str(src), *extra])
    res = capsys.readouterr()
    assert rc in (0, 1) and "ambiguous legacy image" not in res.err + res.out
    if command == "dump":
        assert rc == 0 and "32-bit toolstack" in res.out


def test_ambiguity_is_a_typed_error_naming_the_candidates() -> None:
    """The reader raises LegacyAmbiguous, a ReadError the commands tell apart by type
    (exit 2, not 1) and that carries the variants which read the image whole."""
    with pytest.raises(LegacyAmbiguous) as e:
        list(Reader(io.BytesIO(_ambiguous_hvm())))
    assert isinstance(e.value, ReadError) and e.value.layer == "legacy"
    assert sorted(e.value.candidates) == [(32, "hvm"), (64, "hvm")]


def test_ambiguous_image_read_as_told() -> None:
    data = _ambiguous_hvm()
    for width in (32, 64):
        r = Reader(io.BytesIO(data), ReadOptions(legacy=LegacyOptions(width=width)))
        evs = list(r)
        hdr = next(e for e in evs if isinstance(e, LegacyHeader))
        assert (hdr.width, hdr.guest) == (width, "hvm")
        tail = next(e for e in evs if isinstance(e, LegacyHvmTail))
        assert tail.context_offset == AMB_CTX_AT[width] and tail.dm_offset == AMB_DM_AT
    # without options the library reports the ambiguity as a finding, never raises
    report = check_bytes(data)
    assert not report.valid
    assert any("ambiguous" in d.message for d in report.errors)


def test_both_flags_skip_detection_and_cite_rules() -> None:
    """Told the variant outright, a broken image gets the rule of its fault, not a
    'parses as none of the variants'."""
    data = build(64, "pv").data()[:-100]
    with pytest.raises(ReadError) as e:
        r = Reader(io.BytesIO(data), ReadOptions(legacy=LegacyOptions(64, "pv")))
        list(r)
    assert e.value.rule == "LEG-END-001"


def _apply_runs(runs: list[object], old: bytes) -> bytes:
    """A page from the ksy's reading of its compressed form (spec/legacy.md)."""
    first = runs[0]
    if first.is_unchanged_page:  # type: ignore[attr-defined]
        return old
    if first.is_full_page:  # type: ignore[attr-defined]
        return bytes(first.data)  # type: ignore[attr-defined]
    new = bytearray(old)
    for r in runs:
        if r.is_copy:  # type: ignore[attr-defined]
            new[r.page_start : r.page_end] = r.data  # type: ignore[attr-defined]
    assert runs[-1].page_end == 4096  # type: ignore[attr-defined]
    return bytes(new)


@pytest.mark.parametrize(
    "s", [build(64, "pv", remus=True), build(32, "hvm", remus=True)], ids=lambda s: s.name
)
def test_ksy_reads_remus_compressed_bodies(s: Sample) -> None:
    """The second checkpoint's pages exist only as COMPRESSED_DATA: the ksy must split it
    into pages and runs that rebuild exactly the pages the sample meant to send."""
    data = encode(s.image)
    ks = KaitaiStream(io.BytesIO(data))
    k = XenLegacyLibxcImage(s.image.width, s.image.guest == "hvm", 2, ks)
    assert ks.pos() == len(data)
    assert not k.first_checkpoint.body[0].batch.is_compressed
    assert k.first_checkpoint.compresses_next
    (cp,) = k.further_checkpoints
    have = {}  # pfn -> contents after the first checkpoint
    for c in k.first_checkpoint.body:
        if c.chunk_type > 0:
            for w, p in zip(c.batch.pfn_words, c.batch.pages, strict=True):
                if p.has_data:
                    have[w.value & 0x0FFFFFFF] = bytes(p.contents)
    words = [w.value for c in cp.body if c.chunk_type > 0 for w in c.batch.pfn_words]
    assert all(not p.contents for c in cp.body if c.chunk_type > 0 for p in c.batch.pages)
    pfns = [w & 0x0FFFFFFF for w in words if w != XTAB_FILLER and (w >> 28) < 13]
    pages = [pg for c in cp.body if c.chunk_type == -12 for pg in c.payload.data.items]
    assert len(pages) == len(pfns) == 16
    for pfn, pg in zip(pfns, pages, strict=True):
        got = _apply_runs(pg.runs, have.get(pfn, bytes(4096)))
        # what the sample sends in its second checkpoint: odd pfns changed all over,
        # even pfns only in their second half (struct.pack of pfn and generation)
        gen1 = struct.pack("<QQ", pfn, 1) * 256
        want = gen1 if pfn % 2 else struct.pack("<QQ", pfn, 0) * 128 + gen1[2048:]
        assert got == want, pfn
    kinds = {("full" if p.runs[0].is_full_page else "runs") for p in pages}
    assert kinds == {"full", "runs"}  # both encodings are exercised


@pytest.mark.parametrize("s", [s for s in SAMPLES if s.xl_config], ids=lambda s: s.name)
def test_legacy_xl_ksy_reads_the_xl_file_and_its_image(s: Sample) -> None:
    from xensave.kaitai.xen_legacy_xl_save_file import XenLegacyXlSaveFile

    data = s.data()
    ks = KaitaiStream(io.BytesIO(data))
    k = XenLegacyXlSaveFile(s.image.width, s.image.guest == "hvm", 2, ks)
    assert ks.pos() == len(data)
    assert not k.header.has_stream_v2
    assert k.header.optional_data.config == s.xl_config
    assert k.image.p2m_size.value == s.image.p2m_size


@pytest.mark.parametrize("width", [32, 64])
def test_physmap_ksy_reads_the_toolstack_record(width: int) -> None:
    """The layout of libxl's physmap record, built here from its C structure: three u64,
    a u32 name length, the name and its NUL, and on a 64-bit toolstack 4 octets of the
    structure's tail padding after each name."""
    from xensave.kaitai.xen_legacy_libxl_toolstack import XenLegacyLibxlToolstack

    names = [b"vga.vram\x00", b"xen.rom\x00"]
    raw = struct.pack("<II", 1, len(names))
    for i, name in enumerate(names):
        raw += struct.pack("<QQQI", 0xF0000000 + i, 0xC0000 * i, 0x800000 >> i, len(name))
        raw += name + (bytes(4) if width == 64 else b"")
    ks = KaitaiStream(io.BytesIO(raw))
    k = XenLegacyLibxlToolstack(width == 64, ks)
    assert ks.pos() == len(raw)
    got = [(e.phys_offset, e.start_addr, e.size, e.name) for e in k.entries]
    assert got == [
        (0xF0000000, 0, 0x800000, "vga.vram"),
        (0xF0000001, 0xC0000, 0x400000, "xen.rom"),
    ]
    # and the writer the samples use agrees with that layout, octet for octet
    entries = [PhysmapEntry(*g[:3], g[3].encode()) for g in got]
    assert encode_physmap(entries, width) == raw
