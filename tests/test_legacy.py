"""Legacy images: autodetection, reading, the LEG rules, and the ksy against the writer."""

from __future__ import annotations

import io
import struct

import pytest
from kaitaistruct import KaitaiStream

from xensave.checker import check_bytes
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
from xensave.legacy.read import LegacyEnd, LegacyHeader
from xensave.legacy.samples import Sample, build, standard_samples
from xensave.reader import Reader, ReadError

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
