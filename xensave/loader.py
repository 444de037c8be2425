"""Read an image back into model objects: the inverse of the writer.

Used where a whole image is wanted in memory (round-trip tests, converters on small
images). ``normalise`` puts a writer-side model in the same canonical form
(bodies as bytes, defaults made explicit) so the two can be compared with ``==``.
"""

from __future__ import annotations

import copy
import io
from typing import BinaryIO

from .constants import XcRecType
from .model import (
    DomainHeader,
    Image,
    ImageHeader,
    LibvirtFile,
    LibxcStream,
    LibxlHeader,
    LibxlStream,
    Record,
    XapiImage,
    XapiSection,
    XlFile,
    padding_for,
)
from .reader import (
    LibvirtHeader,
    Reader,
    ReadOptions,
    RecordEvent,
    Trailer,
    XapiHeader,
    XapiKind,
    XcDomainHeader,
    XcImageHeader,
    XlHeader,
)
from .reader import LibxlHeader as LibxlHeaderEvent
from .writer import libxc_big_endian


def _record(ev: RecordEvent) -> Record:
    body = ev.body + (ev.pages or b"")
    pad = None if ev.padding == b"\x00" * padding_for(ev.length) else ev.padding
    return Record(ev.type, body, None, pad)


def read_image(f: BinaryIO) -> Image:
    """The whole image as a model (page contents included)."""
    xl: XlFile | None = None
    libvirt: LibvirtFile | None = None
    xapi: XapiImage | None = None
    section: XapiSection | None = None  # the XAPI stream section waiting for its stream
    libxl: LibxlStream | None = None
    xc: LibxcStream | None = None  # the libxc stream or section being filled
    top: LibxcStream | None = None
    trailer = b""
    for ev in Reader(f, ReadOptions(want_pages=True)):
        if isinstance(ev, XlHeader):
            extra = (
                ev.optional_data if ev.config is None else ev.optional_data[4 + len(ev.config) :]
            )
            xl = XlFile(
                payload=LibxlStream(),
                config=ev.config,
                big_endian=ev.big_endian,
                magic=ev.magic,
                byteorder=ev.byteorder,
                mandatory_flags=ev.mandatory_flags,
                optional_flags=ev.optional_flags,
                optional_data_len=None,
                optional_extra=extra,
            )
        elif isinstance(ev, LibvirtHeader):
            libvirt = LibvirtFile(
                payload=LibxlStream(),
                xml=ev.xml,
                big_endian=ev.big_endian,
                magic=ev.magic,
                version=ev.version,
                xml_len=None if ev.xml_len == len(ev.xml) else ev.xml_len,
                unused=ev.unused,
            )
        elif isinstance(ev, XapiHeader):
            if xapi is None:
                xapi = XapiImage()
            libxl = xc = None  # any stream of an earlier section is complete
            if ev.kind in (XapiKind.LIBXC, XapiKind.LIBXL):
                section = XapiSection(ev.kind, b"", ev.length or None)
            else:
                framed = len(ev.data) == ev.length
                section = XapiSection(ev.kind, ev.data, None if framed else ev.length)
            xapi.sections.append(section)
        elif isinstance(ev, LibxlHeaderEvent):
            libxl = LibxlStream(
                LibxlHeader(ev.options, int.from_bytes(ev.ident, "big"), ev.version), []
            )
            if xl is not None:
                xl.payload = libxl
            elif libvirt is not None:
                libvirt.payload = libxl
            elif section is not None:
                section.body = libxl
        elif isinstance(ev, XcImageHeader):
            xc = LibxcStream(
                ImageHeader(
                    ev.version, ev.options, ev.marker, ev.ident, ev.reserved1, ev.reserved2
                ),
                None,
                [],
            )
            if libxl is not None:
                libxl.items.append(xc)
            elif section is not None:
                section.body = xc
            else:
                top = xc
        elif isinstance(ev, XcDomainHeader):
            assert xc is not None
            xc.domain_header = DomainHeader(
                ev.type, ev.page_shift, ev.xen_major, ev.xen_minor, ev.reserved
            )
        elif isinstance(ev, RecordEvent):
            if ev.layer == "libxc":
                if xc is None:  # a headerless section after CHECKPOINT_END
                    xc = LibxcStream(None, None, [], big_endian=ev.endian == ">")
                    assert libxl is not None
                    libxl.items.append(xc)
                xc.records.append(_record(ev))
                if ev.type in (XcRecType.END, XcRecType.CHECKPOINT):
                    xc = None
            else:
                assert libxl is not None
                libxl.items.append(_record(ev))
        elif isinstance(ev, Trailer):
            trailer = _trailer_bytes(f, ev)
    result: Image
    if xl is not None:
        result = xl
    elif libvirt is not None:
        result = libvirt
    elif xapi is not None:
        result = xapi
    elif libxl is not None:
        result = libxl
    else:
        assert top is not None
        result = top
    result.trailer = trailer
    return result


def _trailer_bytes(f: BinaryIO, ev: Trailer) -> bytes:
    """Trailing bytes are reported by offset; fetch them again where the file seeks."""
    if not f.seekable():
        return b""
    here = f.tell()
    f.seek(ev.offset)
    data = f.read(ev.length)
    f.seek(here)
    return data


def load_bytes(data: bytes) -> Image:
    return read_image(io.BytesIO(data))


def _norm_libxc(s: LibxcStream, big_default: bool) -> tuple[LibxcStream, bool]:
    big = libxc_big_endian(s, big_default)
    e = ">" if big else "<"
    recs = [
        Record(
            r.type,
            r.body_bytes(e),
            None,
            None if r.padding == b"\x00" * padding_for(len(r.body_bytes(e))) else r.padding,
        )
        for r in s.records
    ]
    section_big = None if s.image_header is not None else big
    return LibxcStream(s.image_header, s.domain_header, recs, s.trailer, section_big), big


def normalise(image: Image) -> Image:
    """A copy with typed bodies encoded and derived fields made explicit."""
    image = copy.deepcopy(image)
    if isinstance(image, LibvirtFile):
        if image.xml_len == len(image.xml):
            image.xml_len = None
        if isinstance(image.payload, LibxlStream):
            image.payload = _norm_libxl(image.payload)
        return image
    if isinstance(image, XapiImage):
        for sec in image.sections:
            if isinstance(sec.body, LibxlStream):
                sec.body = _norm_libxl(sec.body)
            elif isinstance(sec.body, LibxcStream):
                sec.body = _norm_libxc(sec.body, False)[0]
            if (
                sec.length is not None
                and sec.length == XapiSection(sec.kind, sec.body).effective_length()
            ):
                sec.length = None
        return image
    if isinstance(image, XlFile):
        image.mandatory_flags = image.effective_mandatory_flags()
        if isinstance(image.payload, LibxlStream):
            image.payload = _norm_libxl(image.payload)
        return image
    if isinstance(image, LibxlStream):
        return _norm_libxl(image)
    return _norm_libxc(image, False)[0]


def _norm_libxl(s: LibxlStream) -> LibxlStream:
    e = ">" if s.header.big_endian else "<"
    big = s.header.big_endian
    items: list[Record | LibxcStream] = []
    for item in s.items:
        if isinstance(item, LibxcStream):
            norm, big = _norm_libxc(item, big)
            items.append(norm)
        else:
            body = item.body_bytes(e)
            pad = None if item.padding == b"\x00" * padding_for(len(body)) else item.padding
            items.append(Record(item.type, body, None, pad))
    return LibxlStream(s.header, items, s.trailer)
