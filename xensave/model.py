"""Model objects for every layer of a save image.

A model is what the writer turns into bytes and what the reader gives back. Every
field that a broken image could get wrong is a field here (declared lengths,
padding, reserved words, flags), with ``None`` meaning "whatever is consistent",
so a test can build exactly the image it wants, valid or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .bodies import Body
from .constants import (
    LIBVIRT_MAGIC,
    LIBXL_IDENT,
    LIBXL_OPT_BIG_ENDIAN,
    LIBXL_VERSION,
    REC_ALIGN,
    REC_TYPE_OPTIONAL,
    XAPI_MAGIC,
    XC_ID,
    XC_MARKER,
    XC_OPT_BIG_ENDIAN,
    XL_BYTEORDER_VALUE,
    XL_MAGIC,
    DomainType,
    XlMandatoryFlag,
)


def padding_for(length: int) -> int:
    """Octets of zero padding that follow a body of ``length`` octets."""
    return -length % REC_ALIGN


@dataclass
class Record:
    """One framed record (libxl or libxc): type, body and what the header declares."""

    type: int
    body: bytes | Body = b""
    length: int | None = None  # declared body_length; None: the body's real length
    padding: bytes | None = None  # None: zeros up to the next 8-octet boundary

    @property
    def optional(self) -> bool:
        return bool(self.type & REC_TYPE_OPTIONAL)

    def body_bytes(self, endian: str) -> bytes:
        return self.body if isinstance(self.body, bytes) else self.body.encode(endian)


@dataclass
class ImageHeader:
    """libxc image header (always big-endian on the wire)."""

    version: int = 3
    options: int = 0
    marker: int = XC_MARKER
    ident: int = XC_ID
    reserved1: int = 0  # u16 after options
    reserved2: int = 0  # u32 after that

    @property
    def big_endian(self) -> bool:
        return bool(self.options & XC_OPT_BIG_ENDIAN)


@dataclass
class DomainHeader:
    type: int = DomainType.X86_HVM
    page_shift: int = 12
    xen_major: int = 4
    xen_minor: int = 19
    reserved: int = 0


@dataclass
class LibxcStream:
    """A libxc stream, or (headers None) a headerless section that resumes one after a
    libxl CHECKPOINT_END."""

    image_header: ImageHeader | None = field(default_factory=ImageHeader)
    domain_header: DomainHeader | None = field(default_factory=DomainHeader)
    records: list[Record] = field(default_factory=list)
    trailer: bytes = b""  # bytes after the stream (only meaningful at top level)
    big_endian: bool | None = None  # for headerless sections: the stream's byte order


@dataclass
class LibxlHeader:
    options: int = 0
    ident: int = LIBXL_IDENT
    version: int = LIBXL_VERSION

    @property
    def big_endian(self) -> bool:
        return bool(self.options & LIBXL_OPT_BIG_ENDIAN)


@dataclass
class LibxlStream:
    """A libxl stream: its own records with libxc streams/sections placed inline."""

    header: LibxlHeader = field(default_factory=LibxlHeader)
    items: list[Record | LibxcStream] = field(default_factory=list)
    trailer: bytes = b""


@dataclass
class XlFile:
    """The xl save file: header, optional data (domain config), then a stream."""

    payload: LibxlStream | bytes = field(default_factory=LibxlStream)  # bytes: legacy/raw
    config: bytes | None = None  # the domain configuration as stored (JSON + NUL)
    big_endian: bool = False
    magic: bytes = XL_MAGIC
    byteorder: int = XL_BYTEORDER_VALUE
    mandatory_flags: int | None = None  # None: STREAMv2 for a libxl payload, JSON if config
    optional_flags: int = 0
    optional_data_len: int | None = None  # None: the real length of what follows
    config_len: int | None = None  # None: len(config)
    optional_extra: bytes = b""  # optional data after the config (skippable)
    trailer: bytes = b""

    def effective_mandatory_flags(self) -> int:
        if self.mandatory_flags is not None:
            return self.mandatory_flags
        flags = XlMandatoryFlag.STREAM_V2 if isinstance(self.payload, LibxlStream) else 0
        if self.config:
            flags |= XlMandatoryFlag.JSON
        return int(flags)


#: The save-image layers proper, outermost first: what ``xl save`` and libxl write.
StreamImage = XlFile | LibxlStream | LibxcStream


#: libvirt's save file version whose payload is a libxl (migration v2) stream; version 1
#: carried a legacy (pre-Xen 4.6) stream.
LIBVIRT_VERSION = 2
#: The header's ten unused 32-bit words.
LIBVIRT_UNUSED_SIZE = 40


@dataclass
class LibvirtFile:
    """The save file of libvirt's libxl driver: a 64-octet header (16-octet magic, then
    the u32 words version and xml_len, then ten unused u32 words, all in the saving
    host's byte order), the domain XML (``xml_len`` octets counting its NUL), then the
    stream libxl wrote."""

    payload: LibxlStream | bytes = field(default_factory=LibxlStream)  # bytes: raw/legacy
    xml: bytes = b""  # the domain XML as stored, NUL included
    big_endian: bool = False
    magic: bytes = LIBVIRT_MAGIC
    version: int = LIBVIRT_VERSION
    xml_len: int | None = None  # None: len(xml)
    unused: bytes = bytes(LIBVIRT_UNUSED_SIZE)
    trailer: bytes = b""


@dataclass
class XapiSection:
    """One section of a XAPI (xenopsd) suspend image: a header of two little-endian u64
    words (kind, length) and what follows it. ``kind`` takes the values of
    :class:`xensave.reader.XapiKind`. A section whose body is a stream (LIBXC, LIBXL)
    is not framed by its length: xenopsd writes 0 there and the stream delimits itself."""

    kind: int
    body: bytes | LibxcStream | LibxlStream = b""
    length: int | None = None  # None: len(body) for bytes, 0 for a stream

    def effective_length(self) -> int:
        if self.length is not None:
            return self.length
        return len(self.body) if isinstance(self.body, bytes) else 0


@dataclass
class XapiImage:
    """A XAPI suspend image: the 15-octet signature ``XenSavedDomv2-\\n``, then sections
    up to and including END_OF_IMAGE."""

    sections: list[XapiSection] = field(default_factory=list)
    magic: bytes = XAPI_MAGIC
    trailer: bytes = b""


#: Anything the writer can write: a stream image, or one inside a wrapper seen in the
#: field (libvirt, XAPI).
Image = StreamImage | LibvirtFile | XapiImage
