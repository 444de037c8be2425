"""Valid base images for recipes to start from, and small tools to change one thing.

Bases come from :mod:`xensave.samples` (the same builders the tests and the main job
use); ``small`` bases keep the corpus small. The tools edit record lists by type and
compute byte offsets from the model itself (never from our reader), so a cut lands
where the recipe says.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from xensave import samples
from xensave.bodies import Body, VcpuContext
from xensave.constants import LibxlRecType, XcRecType
from xensave.model import (
    Image,
    LibvirtFile,
    LibxcStream,
    LibxlStream,
    Record,
    XapiImage,
    XlFile,
    padding_for,
)
from xensave.writer import encode_record as encode_record
from xensave.writer import libxc_big_endian
from xensave.writer import to_bytes as to_bytes

X = XcRecType
L = LibxlRecType

#: While a recipe is replayed in another cell: ((home guest, home version), (guest,
#: version)). The bases then give the cell's guest and version wherever the recipe
#: asks for its home ones (a donor of another guest type stays what it is).
_REPLAY: list[tuple[tuple[str, int], tuple[str, int]]] = []


@contextmanager
def replay(home: tuple[str, int], cell: tuple[str, int]) -> Iterator[None]:
    """Build in ``cell`` what a recipe builds in ``home``."""
    _REPLAY.append((home, cell))
    try:
        yield
    finally:
        _REPLAY.pop()


def _cell(guest: str, version: int) -> tuple[str, int]:
    if not _REPLAY:
        return guest, version
    (g0, v0), (g1, v1) = _REPLAY[-1]
    return (g1 if guest == g0 else guest), (v1 if version == v0 else version)


#: For recipes that build their own wrapper around the cell's stream (wrappers.py).
replay_cell = _cell


def small(guest: str, version: int, wrap: str, big_endian: bool = False, /, **kw: object) -> Image:
    """The small valid image every breaking recipe starts from: ``samples.build`` with
    one vCPU, the small page layout and, for a PV guest, no X86_PV_VCPU_XSAVE record
    (no restorer needs one: update_vcpu_context in xg_sr_restore_x86_pv.c sets XSAVE
    state only for a vCPU that sent it, from 4.6 on; the saver leaves it out for a vCPU
    without XSAVE state). Recipes about XSAVE state add it (:func:`add_xsave`); the
    typical valid images (valid.py) keep it. Keywords as for ``samples.build``."""
    kw.setdefault("vcpus", 1)
    kw.setdefault("small", True)
    kw.setdefault("xsave", False)
    big = bool(kw.pop("big_endian", big_endian))
    return samples.build(guest, version, wrap, big, **kw)  # type: ignore[arg-type]


def _home(guest: str, version: int, kw: dict[str, object]) -> tuple[str, int]:
    if _REPLAY and _cell(guest, version)[1] != version:
        kw.pop("release", None)  # a release of the home version: the cell's own default
    return _cell(guest, version)


def xc(guest: str = "hvm", version: int = 3, **kw: object) -> LibxcStream:
    """A small valid bare libxc stream (one vCPU unless ``vcpus`` says otherwise)."""
    guest, version = _home(guest, version, kw)
    image = small(guest, version, "libxc", **kw)
    assert isinstance(image, LibxcStream)
    return image


def libxl(guest: str = "hvm", version: int = 3, **kw: object) -> LibxlStream:
    """A small valid bare libxl stream carrying a libxc stream (and, for HVM, the
    emulator records)."""
    guest, version = _home(guest, version, kw)
    image = small(guest, version, "libxl", **kw)
    assert isinstance(image, LibxlStream)
    return image


def xl(guest: str = "hvm", version: int = 3, **kw: object) -> XlFile:
    """A small valid xl save file."""
    guest, version = _home(guest, version, kw)
    image = small(guest, version, "xl", **kw)
    assert isinstance(image, XlFile)
    return image


def add_xsave(s: LibxcStream | LibxlStream | XlFile) -> LibxcStream:
    """Give each vCPU of a PV stream built by :func:`small` the X86_PV_VCPU_XSAVE record
    the typical images carry (``samples.pv_xsave``), where Xen's saver puts it: after
    the vCPU's EXTENDED record. Returns the libxc stream it changed."""
    stream = s if isinstance(s, LibxcStream) else inner_xc(s)
    recs = stream.records
    at = [i for i, r in enumerate(recs) if r.type == X.X86_PV_VCPU_EXTENDED]
    assert at, "add_xsave wants a PV stream"
    for i in reversed(at):
        vcpu = recs[i].body
        assert isinstance(vcpu, VcpuContext)
        recs.insert(i + 1, samples.pv_xsave_record(vcpu.vcpu_id))
    return stream


def inner_xc(s: LibxlStream | XlFile) -> LibxcStream:
    """The libxc stream a libxl stream (or xl file) carries."""
    stream = s.payload if isinstance(s, XlFile) else s
    assert isinstance(stream, LibxlStream)
    return next(i for i in stream.items if isinstance(i, LibxcStream))


def inner_xl(f: XlFile | LibvirtFile) -> LibxlStream:
    assert isinstance(f.payload, LibxlStream)
    return f.payload


# --- record lists ------------------------------------------------------------------------


def index(records: list[Record], rtype: int, nth: int = 0) -> int:
    """Position of the ``nth`` record of ``rtype``."""
    found = [i for i, r in enumerate(records) if r.type == rtype]
    return found[nth]


def get(records: list[Record], rtype: int, nth: int = 0) -> Record:
    return records[index(records, rtype, nth)]


def body(records: list[Record], rtype: int, nth: int = 0) -> Body:
    b = get(records, rtype, nth).body
    assert not isinstance(b, bytes)
    return b


def remove(records: list[Record], rtype: int, nth: int = 0) -> Record:
    return records.pop(index(records, rtype, nth))


def move_before(records: list[Record], rtype: int, before: int, nth: int = 0) -> None:
    """Move the ``nth`` record of ``rtype`` to just before the first record of
    ``before``."""
    rec = remove(records, rtype, nth)
    records.insert(index(records, before), rec)


def move_after(records: list[Record], rtype: int, after: int, nth: int = 0) -> None:
    rec = remove(records, rtype, nth)
    records.insert(index(records, after) + 1, rec)


def insert_before(records: list[Record], before: int, *new: Record) -> None:
    i = index(records, before)
    records[i:i] = list(new)


def insert_after(records: list[Record], after: int, *new: Record) -> None:
    i = index(records, after) + 1
    records[i:i] = list(new)


def raw(rec: Record, endian: str = "<") -> bytes:
    """A record's body as bytes."""
    return rec.body_bytes(endian)


# --- offsets, from the model ----------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Where one record sits in the written image."""

    offset: int  # of the record header
    length: int  # body length as written
    padding: int

    @property
    def body(self) -> int:
        return self.offset + 8

    @property
    def end(self) -> int:
        return self.offset + 8 + self.length + self.padding


def _size(rec: Record, endian: str) -> tuple[int, int]:
    b = rec.body_bytes(endian)
    pad = padding_for(len(b)) if rec.padding is None else len(rec.padding)
    return len(b), pad


def spans(image: Image) -> dict[tuple[str, int], Span]:
    """Spans of every record, keyed by (layer, index within that layer's records),
    indexes counted as the records appear in the file."""
    out: dict[tuple[str, int], Span] = {}
    counters = {"libxl": 0, "libxc": 0}

    def walk_xc(s: LibxcStream, at: int, big: bool) -> int:
        e = ">" if libxc_big_endian(s, big) else "<"
        if s.image_header is not None:
            at += 24
        if s.domain_header is not None:
            at += 16
        for rec in s.records:
            n, pad = _size(rec, e)
            out[("libxc", counters["libxc"])] = Span(at, n, pad)
            counters["libxc"] += 1
            at += 8 + n + pad
        return at + len(s.trailer)

    def walk_xl(s: LibxlStream, at: int) -> int:
        e = ">" if s.header.big_endian else "<"
        at += 16
        big = s.header.big_endian
        for item in s.items:
            if isinstance(item, LibxcStream):
                big = libxc_big_endian(item, big)
                at = walk_xc(item, at, big)
            else:
                n, pad = _size(item, e)
                out[("libxl", counters["libxl"])] = Span(at, n, pad)
                counters["libxl"] += 1
                at += 8 + n + pad
        return at + len(s.trailer)

    if isinstance(image, LibxcStream):
        walk_xc(image, 0, False)
    elif isinstance(image, LibxlStream):
        walk_xl(image, 0)
    elif isinstance(image, XlFile | LibvirtFile):
        head = len(to_bytes(_without_payload(image)))
        if isinstance(image.payload, LibxlStream):
            walk_xl(image.payload, head)
    elif isinstance(image, XapiImage):
        at = len(image.magic)
        for sec in image.sections:
            at += 16
            if isinstance(sec.body, LibxlStream):
                at = walk_xl(sec.body, at)
            elif isinstance(sec.body, LibxcStream):
                at = walk_xc(sec.body, at, False)
            else:
                at += len(sec.body)
    return out


def _without_payload(image: XlFile | LibvirtFile) -> XlFile | LibvirtFile:
    import copy

    bare = copy.copy(image)
    bare.payload = b""
    bare.trailer = b""
    return bare


def span_of(image: Image, layer: str, records: list[Record], rtype: int, nth: int = 0) -> Span:
    """The span of the ``nth`` record of ``rtype`` in ``records`` (which must be the
    only record list of that layer in ``image``, or its first one)."""
    return spans(image)[(layer, index(records, rtype, nth))]


def stream_offset(image: XlFile | LibvirtFile) -> int:
    """Where the payload stream starts."""
    return len(to_bytes(_without_payload(image)))


def u32(value: int, endian: str = "<") -> bytes:
    return struct.pack(f"{endian}I", value)


def u64(value: int, endian: str = "<") -> bytes:
    return struct.pack(f"{endian}Q", value)
