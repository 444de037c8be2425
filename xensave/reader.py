"""Streaming reader: walks an image of any layer and yields what it meets, in order.

The reader frames; it does not judge. It reports what the bytes say (headers as
read, records with their declared lengths and padding) and stops only where the
framing itself is lost (truncation, an unrecognised outer format). Judging is the
checker's job. Page contents are skipped unless asked for: on a seekable file by
seeking, on a pipe by reading into one reusable buffer. No allocation is sized by a
length field the bytes do not back.
"""

from __future__ import annotations

import os
import struct

from ._codes import IntEnum
from ._slots import Struct, field
from .constants import (
    LIBVIRT_MAGIC,
    LIBXL_HEADER_SIZE,
    LIBXL_IDENT_BYTES,
    PAGE_TYPES_WITHOUT_DATA,
    PFN_ENTRY_SIZE,
    REC_ALIGN,
    REC_HEADER_SIZE,
    REC_LENGTH_MAX,
    XAPI_MAGIC,
    XC_DOMAIN_HEADER_SIZE,
    XC_ID,
    XC_IMAGE_HEADER_SIZE,
    XC_REC_ALIGN_PAD,
    XL_BYTEORDER_VALUE,
    XL_HEADER_SIZE,
    XL_MAGIC,
    LibxlRecType,
    XcRecType,
    XlMandatoryFlag,
)
from .source import LegacyAmbiguous as LegacyAmbiguous  # re-exported: callers catch it here
from .source import ReadError as ReadError
from .source import Source

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import BinaryIO, Literal

    from .legacy.read import LegacyOptions

    Layer = Literal["xl", "libvirt", "xapi", "libxl", "libxc", "legacy", "xend"]

#: Bodies up to this size are read whole; larger ones keep only a prefix.
BODY_KEEP_MAX = 16 << 20
BODY_PREFIX = 64 << 10
_XL_MAGIC_PREFIX = XL_MAGIC[:16]
#: What detection reads first: enough for the longest magic it compares (xl's).
_HEAD_SIZE = len(XL_MAGIC)
#: PAGE_DATA's body starts with a u32 count and a u32 reserved word; pfns follow.
_PAGE_DATA_HEAD_SIZE = 8
#: The most of a PAGE_DATA pfn array an event holds (128 Ki entries; Xen's saver sends
#: at most MAX_BATCH_SIZE = 1024 per record, xg_save_restore.h). A longer array is read
#: in chunks of this size, its data-bearing entries counted, and only this prefix kept
#: (``body_complete`` False, ``pfn_entries``/``data_entries`` give the whole array's
#: counts), so that memory never follows a record's length or count field.
PFN_KEEP_MAX = 1 << 20
#: The most page contents an event holds when ``want_pages`` (Xen's saver sends 4 MiB
#: per record). Longer page data is skipped (``pages`` None) or, with a ``page_sink``,
#: handed to it in chunks of this size.
PAGES_KEEP_MAX = 16 << 20


# --- events -------------------------------------------------------------------


class XlHeader(Struct):
    offset: int
    magic: bytes
    byteorder: int
    big_endian: bool
    mandatory_flags: int
    optional_flags: int
    optional_data_len: int
    optional_data: bytes  # as much as the file holds of it
    config_len: int | None  # None: no config length word present
    config: bytes | None  # the configuration bytes present (may be truncated)

    @property
    def stream_v2(self) -> bool:
        return bool(self.mandatory_flags & XlMandatoryFlag.STREAM_V2)


class LibvirtHeader(Struct):
    offset: int
    magic: bytes
    version: int
    xml_len: int
    unused: bytes
    xml: bytes  # as much of the XML as is kept (a prefix when xml_len > BODY_KEEP_MAX)
    big_endian: bool = False  # the header words read big-endian (a big-endian host)


class XapiKind(IntEnum):
    """Section types of a XAPI (xenopsd) suspend image, as xenopsd numbers them."""

    XENOPS = 0x000F  # xenopsd metadata (an S-expression), length-framed
    LIBXC = 0x00F0  # a libxc stream follows; the length word is not used (0)
    LIBXL = 0x00F1  # a libxl stream follows; the length word is not used
    LIBXC_LEGACY = 0x00F2  # a legacy (pre-4.6) libxc stream follows
    QEMU_TRAD = 0x0F00  # qemu-traditional device model state, length-framed
    QEMU_XEN = 0x0F01  # qemu-upstream device model state, length-framed
    DEMU = 0x0F10  # vGPU emulator state; no length, format not described
    VARSTORED = 0x0F11  # UEFI variable store, length-framed
    END_OF_IMAGE = 0xFFFF  # the footer: nothing follows


#: Sections whose length word frames an opaque body.
XAPI_LENGTH_FRAMED = frozenset(
    {XapiKind.XENOPS, XapiKind.QEMU_TRAD, XapiKind.QEMU_XEN, XapiKind.VARSTORED}
)
XAPI_SECTION_HEADER_SIZE = 16
#: libvirt's header: the 16-octet magic, u32 version, u32 xml_len, ten unused u32.
LIBVIRT_HEADER_SIZE = 64
XAPI_LEGACY_MAGIC = b"XenSavedDomain\n"


class XapiHeader(Struct):
    """One typed header of a XAPI suspend image (``XenSavedDomv2-`` framing): two
    little-endian u64 words, type then length. For a length-framed section ``data``
    holds the body (a prefix of at most BODY_PREFIX bytes when ``data_complete`` is
    False); a LIBXC or LIBXL section's stream follows as its own events."""

    offset: int
    kind: int
    length: int
    data: bytes = b""
    data_complete: bool = True

    @property
    def name(self) -> str:
        try:
            return XapiKind(self.kind).name
        except ValueError:
            return f"UNKNOWN_{self.kind:#06x}"

    @property
    def body_offset(self) -> int:
        return self.offset + XAPI_SECTION_HEADER_SIZE


class LibxlHeader(Struct):
    offset: int
    ident: bytes
    version: int
    options: int

    @property
    def big_endian(self) -> bool:
        return bool(self.options & 1)


class XcImageHeader(Struct):
    offset: int
    marker: int
    ident: int
    version: int
    options: int
    reserved1: int
    reserved2: int

    @property
    def big_endian(self) -> bool:
        return bool(self.options & 1)


class XcDomainHeader(Struct):
    offset: int
    type: int
    page_shift: int
    reserved: int
    xen_major: int
    xen_minor: int


class RecordEvent(Struct):
    """One record. ``body`` is the whole body, except: for PAGE_DATA only the count,
    reserved word and pfn array (``page_bytes`` tells how much page data followed),
    and for bodies over BODY_KEEP_MAX only a prefix (``body_complete`` False)."""

    layer: Literal["libxl", "libxc"]
    offset: int
    index: int
    type: int
    length: int
    endian: str
    body: bytes
    padding: bytes
    body_complete: bool = True
    page_bytes: int = 0
    pages: bytes | None = None  # page contents, only when asked for (and not too long)
    # PAGE_DATA: entries of the whole pfn array and how many of them carry data (the
    # array in ``body`` is a prefix when it is longer than PFN_KEEP_MAX; -1: not
    # counted, in a record longer than REC_LENGTH_MAX)
    pfn_entries: int = 0
    data_entries: int = 0

    @property
    def name(self) -> str:
        return record_name(self.layer, self.type)

    @property
    def optional(self) -> bool:
        return bool(self.type & 0x80000000)

    @property
    def body_offset(self) -> int:
        return self.offset + REC_HEADER_SIZE


class Trailer(Struct):
    """Bytes after the outermost stream's end."""

    offset: int
    length: int
    layer: str


Event = (
    XlHeader
    | LibvirtHeader
    | XapiHeader
    | LibxlHeader
    | XcImageHeader
    | XcDomainHeader
    | RecordEvent
    | Trailer
)


def record_name(layer: str, rtype: int) -> str:
    enum: type[XcRecType] | type[LibxlRecType] = XcRecType if layer == "libxc" else LibxlRecType
    try:
        return enum(rtype).name
    except ValueError:
        if rtype == XC_REC_ALIGN_PAD and layer == "libxc":
            return "ALIGN_PAD"  # xensave's, not Xen's (spec/libxc-stream.md)
        kind = "optional" if rtype & 0x80000000 else "mandatory"
        return f"UNKNOWN_{kind.upper()}_{rtype:#010x}"


# --- detection ----------------------------------------------------------------

LEGACY_NOT_IMPLEMENTED = "reading legacy (pre-Xen 4.6) images is not implemented yet"


def legacy_guess(head: bytes) -> str | None:
    """Why ``head`` (the first bytes of an image no known header claims) looks like a
    legacy pre-4.6 image, or None. Legacy images have no magic; Xen's libxc stream
    spec tells them apart by octets 4-7: zero for a 64-bit toolstack (the high half of
    a u64 p2m_size), 0xFFFFFFFF for a 32-bit toolstack's PV extended-info marker."""
    if head.startswith(XAPI_LEGACY_MAGIC):
        return "it starts with the legacy XAPI signature 'XenSavedDomain\\n'"
    if len(head) < 8:
        return None
    word = head[4:8]
    if word == b"\x00" * 4 and head[:4] != b"\x00" * 4:
        return "octets 4-7 are zero, as in a 64-bit toolstack's legacy p2m_size"
    if word == b"\xff" * 4:
        return "octets 4-7 are 0xFFFFFFFF, as in a 32-bit toolstack's legacy extended-info chunk"
    return None


def detect(head: bytes) -> Layer | None:
    """The outer layer from the first bytes, tolerant of a damaged magic so the checker
    can say *what* is wrong rather than "unknown format"."""
    if head.startswith(_XL_MAGIC_PREFIX) or head[:_HEAD_SIZE] == XL_MAGIC:
        return "xl"
    if head.startswith(LIBVIRT_MAGIC[:11]):
        return "libvirt"
    if head.startswith(XAPI_MAGIC[:13]):
        return "xapi"
    if head.startswith(LIBXL_IDENT_BYTES[:5]):
        return "libxl"
    if head[:8] == b"\xff" * 8 or (len(head) >= 12 and head[8:12] == XC_ID.to_bytes(4, "big")):
        return "libxc"
    if head.startswith(b"LinuxGuest"):  # xend's LinuxGuestRecord (xensave.xend)
        return "xend"
    return None


# --- the reader -----------------------------------------------------------------


class ReadOptions(Struct):
    want_pages: bool = False
    layer: Layer | None = None  # force the outer layer instead of detecting it
    # Stop at the outermost END instead of reading to EOF for trailing bytes: a live
    # migration socket stays open after END (the sender waits for the receiver).
    stop_at_end: bool = False
    # A legacy image's toolstack width and guest type when told (the command line's
    # --legacy-* flags), and how its pages are wanted; None: detect, pages skipped.
    legacy: LegacyOptions | None = None
    # With ``want_pages``: receive PAGE_DATA page contents in chunks of at most
    # PAGES_KEEP_MAX bytes as they are read, instead of in ``RecordEvent.pages``.
    page_sink: Callable[[bytes], None] | None = None
    # With ``want_pages``: append PAGE_DATA page contents to this file descriptor
    # instead (spliced from a pipe by the kernel; ``page_sink`` is then unused).
    page_fd: int | None = None
    # With ``page_fd``: where a record's page contents go instead of being appended,
    # told the event (its body is the pfn array): stretches (offset in page_fd, or
    # None to skip them; length), in order; fewer octets than the record has: the
    # rest is skipped.
    page_places: Callable[[RecordEvent], list[tuple[int | None, int]]] | None = None


class _State(Struct):
    xc_index: int = 0
    xl_index: int = 0
    xc_endian: str = "<"
    page_size: int = 4096
    xc_checkpointed: bool = False
    stack: list[str] = field(default_factory=list)


class Reader:
    """Iterate ``Reader(f)`` for events; raises ReadError where framing is lost."""

    def __init__(self, f: BinaryIO, options: ReadOptions | None = None) -> None:
        self.src = Source(f)
        self.opts = options or ReadOptions()
        self.st = _State()
        self.layer: Layer | None = None

    def __iter__(self) -> Iterator[Event]:
        head = self.src.read(_HEAD_SIZE)
        self._head = head
        layer = self.opts.layer or detect(head)
        if layer is None:
            why = legacy_guess(head)
            if head.startswith(XAPI_LEGACY_MAGIC):
                raise ReadError(
                    0,
                    f"this looks like a legacy (pre-Xen 4.6) image: {why}; "
                    f"{LEGACY_NOT_IMPLEMENTED}",
                    layer="legacy",
                )
            if len(head) >= 8:
                self.layer = "legacy"
                yield from _legacy(self, "unknown" if why is None else "guessed")
                return
            raise ReadError(
                0,
                "not a Xen save image: no xl, libvirt, XAPI, libxl or libxc header, "
                "and not recognisably a legacy (pre-Xen 4.6) image either",
                rule="IMG-FMT-001",
            )
        self.layer = layer
        if layer == "xl":
            yield from self._xl()
        elif layer == "libvirt":
            yield from self._libvirt()
        elif layer == "xapi":
            yield from self._xapi()
        elif layer == "libxl":
            yield from self._libxl(0)
        elif layer == "xend":
            from .xend import xend_events

            yield from xend_events(self, self.opts.legacy)  # type: ignore[misc]
        else:
            yield from self._libxc_stream(0, top=True)

    # -- helpers

    def _take(self, n: int) -> bytes:
        """Bytes from the already-read head first, then the source."""
        if self._head:
            part, self._head = self._head[:n], self._head[n:]
            if len(part) == n:
                return part
            return part + self.src.read(n - len(part))
        return self.src.read(n)

    def _pos(self) -> int:
        return self.src.offset - len(self._head)

    def _need(self, n: int, what: str, **ctx: object) -> bytes:
        start = self._pos()
        data = self._take(n)
        if len(data) < n:
            raise ReadError(
                start,
                f"truncated {what}: {len(data)} of {n} bytes present",
                **ctx,  # type: ignore[arg-type]
            )
        return data

    def _trailer(self, layer: str) -> Iterator[Trailer]:
        start = self._pos()
        n = len(self._head)
        self._head = b""
        if not self.opts.stop_at_end:
            n += self.src.skip(1 << 62)
        if n:
            yield Trailer(start, n, layer)

    # -- xl save file

    def _xl(self) -> Iterator[Event]:
        raw = self._need(XL_HEADER_SIZE, "xl header", layer="xl")
        words = len(XL_MAGIC)  # four u32 words follow the magic
        magic = raw[:words]
        le = struct.unpack_from("<I", raw, words)[0]
        big = le != XL_BYTEORDER_VALUE and le == 0x04030201
        e = ">" if big else "<"
        byteorder, mflags, oflags, olen = struct.unpack_from(f"{e}IIII", raw, words)
        opt_start = self._pos()
        opt = self._take(min(olen, BODY_KEEP_MAX))
        config_len = config = None
        if len(opt) >= 4:
            config_len = struct.unpack_from(f"{e}I", opt)[0]
            config = opt[4 : 4 + config_len]
        hdr = XlHeader(0, magic, byteorder, big, mflags, oflags, olen, opt, config_len, config)
        yield hdr
        if len(opt) < min(olen, BODY_KEEP_MAX):
            raise ReadError(
                opt_start,
                f"truncated xl optional data: {len(opt)} of {olen} bytes present",
                layer="xl",
                rule="XLF-OPT-001",
            )
        if olen > BODY_KEEP_MAX:
            skipped = self.src.skip(olen - BODY_KEEP_MAX)
            if skipped < olen - BODY_KEEP_MAX:
                raise ReadError(
                    opt_start,
                    f"truncated xl optional data: {BODY_KEEP_MAX + skipped} of {olen} "
                    "bytes present",
                    layer="xl",
                    rule="XLF-OPT-001",
                )
        if not hdr.stream_v2:
            yield from _legacy(self, "xl")  # the STREAMv2 flag is clear (XLF-STR-001)
            return
        yield from self._libxl(self._pos())

    # -- libvirt wrapper

    def _libvirt(self) -> Iterator[Event]:
        """libvirt's libxl driver: a 64-byte header (16-byte magic, u32 version, u32
        xmlLen counting the XML's NUL, ten unused u32), the domain XML, then the stream
        libxl wrote: a legacy one for version 1, a libxl v2 stream for version 2. The
        words are in the saving host's byte order."""
        raw = self._need(LIBVIRT_HEADER_SIZE, "libvirt header", layer="libvirt")
        words = len(LIBVIRT_MAGIC)  # version and xml_len follow the magic, then unused
        version, xml_len = struct.unpack_from("<II", raw, words)
        big = False
        if version not in (1, 2):
            be_version = struct.unpack_from(">I", raw, words)[0]
            if be_version in (1, 2):
                big = True
                version, xml_len = struct.unpack_from(">II", raw, words)
        xml = self._take(min(xml_len, BODY_KEEP_MAX))
        unused = raw[words + 8 : LIBVIRT_HEADER_SIZE]
        yield LibvirtHeader(0, raw[:words], version, xml_len, unused, xml, big)
        got = len(xml)
        if got == BODY_KEEP_MAX and xml_len > BODY_KEEP_MAX:
            got += self.src.skip(xml_len - BODY_KEEP_MAX)
        if got < xml_len:
            raise ReadError(
                LIBVIRT_HEADER_SIZE,
                f"truncated libvirt XML description: {got} of {xml_len} bytes present",
                layer="libvirt",
                rule="LVF-XML-002",
            )
        if version == 1:  # libxl before 4.6 wrote a legacy image, to the end (LVF-STR-001)
            yield from _legacy(self, "xl")
            return
        yield from self._libxl(self._pos(), top=False)
        yield from self._trailer("libvirt")

    # -- XAPI wrapper

    def _xapi(self) -> Iterator[Event]:
        """xenopsd's suspend image: the 15-byte signature, then sections, each a header
        of two little-endian u64 words (type, length) and a body. Metadata and device
        model sections are framed by their length; LIBXC and LIBXL sections hold a
        stream that delimits itself (xenopsd writes length 0). END_OF_IMAGE closes."""
        sig = self._need(len(XAPI_MAGIC), "XAPI signature", layer="xapi", rule="XAPI-HDR-001")
        if sig == XAPI_LEGACY_MAGIC:
            raise ReadError(
                0,
                "this XAPI suspend image has the legacy signature 'XenSavedDomain\\n'; "
                f"{LEGACY_NOT_IMPLEMENTED}",
                layer="xapi",
            )
        if sig != XAPI_MAGIC:
            at = next(i for i, (a, b) in enumerate(zip(sig, XAPI_MAGIC, strict=True)) if a != b)
            raise ReadError(
                at,
                f"the XAPI signature is {sig!r}, not {XAPI_MAGIC!r}",
                layer="xapi",
                rule="XAPI-HDR-001",
            )
        while True:
            off = self._pos()
            raw = self._take(XAPI_SECTION_HEADER_SIZE)
            if len(raw) < XAPI_SECTION_HEADER_SIZE:
                if raw:
                    raise ReadError(
                        off,
                        f"truncated XAPI section header: {len(raw)} of "
                        f"{XAPI_SECTION_HEADER_SIZE} bytes present",
                        layer="xapi",
                        rule="XAPI-SEC-001",
                    )
                raise ReadError(
                    off,
                    "the XAPI image ends without END_OF_IMAGE",
                    layer="xapi",
                    rule="XAPI-END-001",
                )
            kind, length = struct.unpack("<QQ", raw)
            hdr = XapiHeader(off, kind, length)
            if kind in XAPI_LENGTH_FRAMED:
                remaining = self.src.remaining()
                if remaining is not None and remaining + len(self._head) < length:
                    yield hdr
                    raise ReadError(
                        off,
                        f"XAPI {hdr.name} section: length {length} but only "
                        f"{remaining + len(self._head)} bytes follow",
                        layer="xapi",
                        rule="XAPI-SEC-003",
                    )
                hdr.data = self._take(min(length, BODY_PREFIX))
                got = len(hdr.data)
                if length > BODY_PREFIX and got == BODY_PREFIX:
                    hdr.data_complete = False
                    got += self._skip(length - BODY_PREFIX)
                yield hdr
                if got < length:
                    raise ReadError(
                        off,
                        f"XAPI {hdr.name} section: truncated body: {got} of {length} bytes",
                        layer="xapi",
                        rule="XAPI-SEC-003",
                    )
                continue
            yield hdr
            if kind == XapiKind.LIBXC:
                yield from self._libxc_stream(self._pos(), top=False)
            elif kind == XapiKind.LIBXL:
                yield from self._libxl(self._pos(), top=False)
            elif kind == XapiKind.END_OF_IMAGE:
                break
            elif kind == XapiKind.LIBXC_LEGACY:
                # xenopsd hands the section to its restore helper as it does a LIBXC one
                # and reads the next section header where the helper stopped: a legacy
                # image of one checkpoint, ending after its first tail
                yield from _legacy(self, "xapi")
            elif kind == XapiKind.DEMU:
                raise ReadError(
                    off,
                    "XAPI DEMU (vGPU) section: its stream has no length and no published "
                    "format, so nothing after it can be located",
                    layer="xapi",
                )
            else:
                raise ReadError(
                    off,
                    f"XAPI section header has unknown type {kind:#x} (xenopsd refuses it); "
                    "nothing after it can be located",
                    layer="xapi",
                    rule="XAPI-SEC-002",
                )
        yield from self._trailer("xapi")

    # -- libxl stream

    def _libxl(self, start: int, top: bool = True) -> Iterator[Event]:
        raw = self._need(LIBXL_HEADER_SIZE, "libxl header", layer="libxl")
        ident = raw[: len(LIBXL_IDENT_BYTES)]
        version, options = struct.unpack_from(">II", raw, len(LIBXL_IDENT_BYTES))
        hdr = LibxlHeader(start, ident, version, options)
        yield hdr
        e = ">" if hdr.big_endian else "<"
        self.st.xc_endian = e
        xc_started = False
        while True:
            ev = self._record("libxl", e)
            yield ev
            if ev.type == LibxlRecType.END:
                break
            if ev.type == LibxlRecType.LIBXC_CONTEXT:
                # every LIBXC_CONTEXT (a second one is the checker's business) is
                # followed inline by a whole libxc stream
                xc_started = True
                yield from self._libxc_stream(self._pos(), top=False)
            elif ev.type == LibxlRecType.CHECKPOINT_END and xc_started:
                if self._colo_checkpoint_state_follows(e):
                    yield self._record("libxl", e)
                yield from self._libxc_records()
        if top:
            yield from self._trailer("libxl")

    def _colo_checkpoint_state_follows(self, e: str) -> bool:
        """Whether the record after CHECKPOINT_END is COLO's CHECKPOINT_STATE (libxl
        layer) rather than the first resumed libxc record. Both layers have a type 5
        (libxc's X86_PV_VCPU_EXTENDED), and Xen picks the layer by its mode, never from
        the record (spec/nesting.md): so a type-5 record here is libxl's, for every
        guest type and body length, as XL-NEST-003 places it; Xen's savers never
        resume a checkpoint with X86_PV_VCPU_EXTENDED."""
        raw = self._take(REC_HEADER_SIZE)
        self._head = raw + self._head
        if len(raw) < REC_HEADER_SIZE:
            return False
        (rtype,) = struct.unpack_from(f"{e}I", raw)
        return bool(rtype == LibxlRecType.CHECKPOINT_STATE)

    # -- libxc stream

    def _libxc_stream(self, start: int, top: bool) -> Iterator[Event]:
        raw = self._need(XC_IMAGE_HEADER_SIZE, "libxc image header", layer="libxc")
        marker, ident, version, options, r1, r2 = struct.unpack(">QIIHHI", raw)
        ih = XcImageHeader(start, marker, ident, version, options, r1, r2)
        yield ih
        e = ">" if ih.big_endian else "<"
        self.st.xc_endian = e
        dstart = self._pos()
        draw = self._need(XC_DOMAIN_HEADER_SIZE, "libxc domain header", layer="libxc")
        dtype, shift, dres, major, minor = struct.unpack(f"{e}IHHII", draw)
        yield XcDomainHeader(dstart, dtype, shift, dres, major, minor)
        self.st.page_size = 1 << shift if 9 <= shift <= 30 else 4096
        # A bare stream has no libxl layer to hand a CHECKPOINT to: read on to END.
        yield from self._libxc_records(through_checkpoints=top)
        if top:
            yield from self._trailer("libxc")

    def _libxc_records(self, through_checkpoints: bool = False) -> Iterator[Event]:
        """Records until END or CHECKPOINT (which hands the stream back to libxl)."""
        e = self.st.xc_endian
        while True:
            ev = self._record("libxc", e)
            yield ev
            if ev.type == XcRecType.END or (
                ev.type == XcRecType.CHECKPOINT and not through_checkpoints
            ):
                return

    # -- one record

    def _record(self, layer: Literal["libxl", "libxc"], e: str) -> RecordEvent:
        st = self.st
        if layer == "libxc":
            index = st.xc_index
            st.xc_index += 1
        else:
            index = st.xl_index
            st.xl_index += 1
        off = self._pos()
        raw = self._take(REC_HEADER_SIZE)
        if len(raw) < REC_HEADER_SIZE:
            xc = layer == "libxc"
            if raw:
                msg = (
                    f"truncated record header: {len(raw)} of {REC_HEADER_SIZE} bytes present "
                    "(no END record)"
                )
                rule = "XC-REC-001" if xc else "XL-REC-001"
            else:
                msg = f"the {layer} stream ends without an END record"
                rule = "XC-END-002" if xc else "XL-END-002"
            raise ReadError(off, msg, layer=layer, index=index, rule=rule)
        rtype, length = struct.unpack(f"{e}II", raw)
        rule = "XC-REC-003" if layer == "libxc" else "XL-REC-003"

        def lost(message: str) -> ReadError:
            return ReadError(off, message, layer=layer, index=index, rtype=rtype, rule=rule)

        remaining = self.src.remaining()
        if remaining is not None and remaining + len(self._head) < length:
            raise lost(f"body_length {length} but only {remaining + len(self._head)} bytes follow")
        ev = RecordEvent(layer, off, index, rtype, length, e, b"", b"")
        if layer == "libxc" and rtype == XcRecType.PAGE_DATA and length >= _PAGE_DATA_HEAD_SIZE:
            self._page_data(ev, length)
        elif length <= BODY_KEEP_MAX:
            ev.body = self._take(length)
            if len(ev.body) < length:
                raise lost(f"truncated body: {len(ev.body)} of {length} bytes")
        else:
            ev.body = self._take(BODY_PREFIX)
            ev.body_complete = False
            got = len(ev.body) + self._skip(length - BODY_PREFIX)
            if got < length:
                raise lost(f"truncated body: {got} of {length} bytes")
        pad = -length % REC_ALIGN  # zero to seven bytes up to the next 8-byte boundary
        ev.padding = self._take(pad)
        if len(ev.padding) < pad:
            raise lost(f"truncated padding: {len(ev.padding)} of {pad} bytes")
        return ev

    def _page_data(self, ev: RecordEvent, length: int) -> None:
        e = ev.endian
        head = self._take(_PAGE_DATA_HEAD_SIZE)
        if len(head) < _PAGE_DATA_HEAD_SIZE:
            raise ReadError(
                ev.offset,
                f"truncated body: {len(head)} of {length} bytes",
                layer="libxc",
                index=ev.index,
                rtype=ev.type,
                rule="XC-REC-003",
            )
        count = struct.unpack_from(f"{e}I", head)[0]
        n_entries = min(count, (length - _PAGE_DATA_HEAD_SIZE) // PFN_ENTRY_SIZE)
        want = PFN_ENTRY_SIZE * n_entries
        pfns = self._take(min(want, PFN_KEEP_MAX))
        got = len(pfns)
        with_data = data_pfn_count(pfns, e)
        if got == PFN_KEEP_MAX and got < want and length > REC_LENGTH_MAX:
            # Xen's restorer refuses the record on its length alone (read_record,
            # xg_sr_common.c; XC-REC-008): the rest of the array is skipped, uncounted.
            got += self._skip(want - got)
            with_data = -1
        while len(pfns) == PFN_KEEP_MAX and got < want:  # a long array: counted, not kept
            ask = min(want - got, PFN_KEEP_MAX)
            chunk = self._take(ask)
            got += len(chunk)
            with_data += data_pfn_count(chunk, e)
            if len(chunk) < ask:
                break
        if got < want:
            raise ReadError(
                ev.offset,
                f"truncated pfn array: {got // PFN_ENTRY_SIZE} of {n_entries} entries present",
                layer="libxc",
                index=ev.index,
                rtype=ev.type,
                rule="XC-REC-003",
            )
        ev.body = head + pfns
        ev.body_complete = len(pfns) == want
        ev.pfn_entries = n_entries
        ev.data_entries = with_data
        rest = length - _PAGE_DATA_HEAD_SIZE - want
        ev.page_bytes = rest
        sink = self.opts.page_sink
        if self.opts.want_pages and self.opts.page_fd is not None and self.opts.page_places:
            got = self._place_pages(ev, self.opts.page_fd, self.opts.page_places(ev), rest)
        elif self.opts.want_pages and self.opts.page_fd is not None:
            fd = self.opts.page_fd
            got = 0
            if self._head:  # octets read ahead come first
                ahead = memoryview(self._head[:rest])
                self._head = self._head[len(ahead) :]
                got = len(ahead)
                while ahead:
                    ahead = ahead[os.write(fd, ahead) :]
            got += self.src.copy_to(fd, rest - got)
        elif self.opts.want_pages and sink is None and rest <= PAGES_KEEP_MAX:
            ev.pages = self._take(rest)
            got = len(ev.pages)
        elif self.opts.want_pages and sink is not None:
            got = 0
            while got < rest:
                chunk = self._take(min(rest - got, PAGES_KEEP_MAX))
                if not chunk:
                    break
                sink(chunk)
                got += len(chunk)
        else:
            got = self._skip(rest)
        if got < rest:
            raise ReadError(
                ev.offset,
                f"truncated page data: {got} of {rest} bytes",
                layer="libxc",
                index=ev.index,
                rtype=ev.type,
                rule="XC-REC-003",
            )

    def _place_pages(
        self, ev: RecordEvent, fd: int, places: list[tuple[int | None, int]], rest: int
    ) -> int:
        """Copy ``rest`` octets of page contents to their ``places`` in ``fd`` (what
        no place covers is skipped); returns how many were there."""
        got = 0
        for at, n in places:
            n = min(n, rest - got)
            if n <= 0:
                break
            if at is None:
                done = self._skip(n)
            else:
                done = 0
                if self._head:  # octets read ahead come first
                    ahead = memoryview(self._head[:n])
                    self._head = self._head[len(ahead) :]
                    while ahead:
                        k = os.pwrite(fd, ahead, at + done)
                        ahead = ahead[k:]
                        done += k
                done += self.src.copy_to(fd, n - done, at + done)
            got += done
            if done < n:
                return got
        return got + self._skip(rest - got)

    def _skip(self, n: int) -> int:
        if self._head:
            k = min(n, len(self._head))
            self._head = self._head[k:]
            return k + self.src.skip(n - k)
        return self.src.skip(n)


_NO_DATA_TOP = bytes(1 if (b >> 4) in PAGE_TYPES_WITHOUT_DATA else 0 for b in range(256))


def data_pfn_count(entries: bytes, endian: str) -> int:
    """How many entries of a packed pfn array carry page data (types other than
    BROKEN, XALLOC, XTAB), judged on the top byte of each u64 without unpacking."""
    tops = entries[7::8] if endian == "<" else entries[0::8]
    return len(tops) - tops.translate(_NO_DATA_TOP).count(1)


def _legacy(reader: Reader, how: str) -> Iterator[Event]:
    """Legacy images are read by xensave.legacy, imported only when one turns up."""
    from .legacy.read import legacy_events

    yield from legacy_events(reader, how, reader.opts.legacy)  # type: ignore[misc]


def read_events(f: BinaryIO, options: ReadOptions | None = None) -> Iterator[Event]:
    return iter(Reader(f, options))
