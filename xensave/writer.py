"""Turn model objects into bytes: valid images, or images broken exactly as asked.

The writer never "fixes" a model: a declared length, flag or padding that lies is
written as given. That is what lets corpus recipes and fuzzers build invalid images
whose defect is known in advance.
"""

from __future__ import annotations

import io
import struct
from typing import BinaryIO

from .constants import XC_REC_ALIGN_PAD, LibxlRecType
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
    XlFile,
    padding_for,
)


def _endian(big: bool) -> str:
    return ">" if big else "<"


def encode_image_header(h: ImageHeader) -> bytes:
    return struct.pack(">QIIHHI", h.marker, h.ident, h.version, h.options, h.reserved1, h.reserved2)


def encode_domain_header(h: DomainHeader, endian: str) -> bytes:
    return struct.pack(f"{endian}IHHII", h.type, h.page_shift, h.reserved, h.xen_major, h.xen_minor)


def encode_libxl_header(h: LibxlHeader) -> bytes:
    return struct.pack(">QII", h.ident, h.version, h.options)


def encode_record(rec: Record, endian: str) -> bytes:
    body = rec.body_bytes(endian)
    length = len(body) if rec.length is None else rec.length
    pad = b"\x00" * padding_for(len(body)) if rec.padding is None else rec.padding
    return struct.pack(f"{endian}II", rec.type, length) + body + pad


def align_pad(pos: int, entries: int, endian: str = "<", page_size: int = 4096) -> bytes:
    """The padding record (XC_REC_ALIGN_PAD, zero body) to write at stream offset
    ``pos`` so that the page contents of a PAGE_DATA record of ``entries`` pfn entries
    written right after it start on a ``page_size`` boundary; b"" when they would
    already, and b"" too when ``pos`` is not a multiple of 8: records are whole
    multiples of 8 from the start of their stream, so a stream that starts off an
    8-octet boundary of the file (an xl file whose optional data is not a multiple of 8
    long) can never put contents on a page boundary. ``pos`` counts from wherever the
    file's page boundaries are (the start of the file)."""
    first = pos + 16 + 8 * entries  # record header, count and reserved, the entries
    if first % page_size == 0 or pos % 8:
        return b""
    body = -(first + 8) % page_size  # the padding record's own header comes first
    return struct.pack(f"{endian}II", XC_REC_ALIGN_PAD, body) + bytes(body)


class RecordWriter:
    """Writes records one by one to a file, for images too large to model in memory.

    With ``align_pages``, each PAGE_DATA record written by ``page_data_record`` is
    preceded, where needed, by an alignment padding record (:func:`align_pad`) so that
    its page contents start on a 4096-octet boundary of the file; ``written`` must
    then count from the start of the file (``start``: octets already in it)."""

    def __init__(
        self, out: BinaryIO, big_endian: bool = False, align_pages: bool = False, start: int = 0
    ) -> None:
        self.out = out
        self.endian = _endian(big_endian)
        self.written = start
        self.align_pages = align_pages

    def raw(self, data: bytes) -> None:
        self.out.write(data)
        self.written += len(data)

    def record(self, rec: Record) -> None:
        self.raw(encode_record(rec, self.endian))

    def page_data_record(self, entries_blob: bytes, count: int, pages: bytes) -> None:
        """A PAGE_DATA record from pre-packed parts, without building one big bytes."""
        body_len = 8 + len(entries_blob) + len(pages)
        if self.align_pages and pages:
            self.raw(align_pad(self.written, len(entries_blob) // 8, self.endian))
        self.raw(struct.pack(f"{self.endian}IIII", 1, body_len, count, 0))
        self.raw(entries_blob)
        self.raw(pages)
        self.raw(b"\x00" * padding_for(body_len))


def _write_libxc(s: LibxcStream, w: RecordWriter, big: bool) -> None:
    if s.image_header is not None:
        w.raw(encode_image_header(s.image_header))
    if s.domain_header is not None:
        w.raw(encode_domain_header(s.domain_header, _endian(big)))
    for rec in s.records:
        w.record(rec)


def libxc_big_endian(s: LibxcStream, default: bool = False) -> bool:
    """The byte order of a libxc stream's records: its header says, else the section's."""
    if s.image_header is not None:
        return s.image_header.big_endian
    return default if s.big_endian is None else s.big_endian


def _write_libxl(s: LibxlStream, out: BinaryIO) -> None:
    big = s.header.big_endian
    w = RecordWriter(out, big)
    w.raw(encode_libxl_header(s.header))
    xc_big = big
    for item in s.items:
        if isinstance(item, LibxcStream):
            xc_big = libxc_big_endian(item, xc_big)
            _write_libxc(item, RecordWriter(out, xc_big), xc_big)
        else:
            w.record(item)
    out.write(s.trailer)


def _write_xl(f: XlFile, out: BinaryIO) -> None:
    e = _endian(f.big_endian)
    opt = b""
    if f.config is not None:
        clen = len(f.config) if f.config_len is None else f.config_len
        opt = struct.pack(f"{e}I", clen) + f.config
    opt += f.optional_extra
    opt_len = len(opt) if f.optional_data_len is None else f.optional_data_len
    out.write(f.magic)
    out.write(
        struct.pack(
            f"{e}IIII", f.byteorder, f.effective_mandatory_flags(), f.optional_flags, opt_len
        )
    )
    out.write(opt)
    if isinstance(f.payload, LibxlStream):
        _write_libxl(f.payload, out)
    else:
        out.write(f.payload)
    out.write(f.trailer)


def _write_libvirt(f: LibvirtFile, out: BinaryIO) -> None:
    e = _endian(f.big_endian)
    xml_len = len(f.xml) if f.xml_len is None else f.xml_len
    out.write(f.magic)
    out.write(struct.pack(f"{e}II", f.version, xml_len))
    out.write(f.unused)
    out.write(f.xml)
    if isinstance(f.payload, LibxlStream):
        _write_libxl(f.payload, out)
    else:
        out.write(f.payload)
    out.write(f.trailer)


def _write_xapi(x: XapiImage, out: BinaryIO) -> None:
    out.write(x.magic)
    for sec in x.sections:
        out.write(struct.pack("<QQ", sec.kind, sec.effective_length()))
        body = sec.body
        if isinstance(body, LibxlStream):
            _write_libxl(body, out)
        elif isinstance(body, LibxcStream):
            big = libxc_big_endian(body)
            _write_libxc(body, RecordWriter(out, big), big)
            out.write(body.trailer)
        else:
            out.write(body)
    out.write(x.trailer)


def write(image: Image, out: BinaryIO) -> None:
    """Write any image model to a binary file object."""
    if isinstance(image, XlFile):
        _write_xl(image, out)
    elif isinstance(image, LibvirtFile):
        _write_libvirt(image, out)
    elif isinstance(image, XapiImage):
        _write_xapi(image, out)
    elif isinstance(image, LibxlStream):
        _write_libxl(image, out)
    else:
        big = libxc_big_endian(image)
        _write_libxc(image, RecordWriter(out, big), big)
        out.write(image.trailer)


def to_bytes(image: Image) -> bytes:
    buf = io.BytesIO()
    write(image, buf)
    return buf.getvalue()


def libxl_wrap(
    xc: LibxcStream,
    after: list[Record] | None = None,
    options: int = 0,
) -> LibxlStream:
    """The usual libxl stream around one libxc stream: LIBXC_CONTEXT, the stream, then
    ``after`` (emulator records), then END."""
    items: list[Record | LibxcStream] = [Record(LibxlRecType.LIBXC_CONTEXT), xc]
    items += after or []
    items.append(Record(LibxlRecType.END))
    return LibxlStream(LibxlHeader(options=options), items)
