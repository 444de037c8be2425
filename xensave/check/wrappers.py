"""The ``LVF-`` and ``XAPI-`` rules of ``spec/wrappers.md``: libvirt's save file
(header, XML, the libxl stream after it) and XAPI's suspend image (sections)."""

from __future__ import annotations

from ..constants import LIBVIRT_HEADER_SIZE, LIBVIRT_MAGIC
from ..reader import LibvirtHeader, LibxlHeader, ReadError, Trailer, XapiHeader, XapiKind
from .emit import CheckState, field_rule, first_nonzero, order

CHECKS: dict[str, str] = {
    # libvirt save file
    "LVF-HDR-001": "libvirt header: the 16-byte magic (first differing byte); truncated magic",
    "LVF-HDR-002": "libvirt header: the whole 64-byte header present (framing loss)",
    "LVF-HDR-003": "libvirt header: version 1 or 2 in either byte order",
    "LVF-HDR-004": "libvirt header: note big-endian header words",
    "LVF-HDR-005": "libvirt header: the ten unused words zero",
    "LVF-XML-001": "libvirt XML: xml_len > 0",
    "LVF-XML-002": "libvirt XML: xml_len bytes present (framing loss)",
    "LVF-XML-003": "libvirt XML: last byte NUL",
    "LVF-XML-004": "libvirt XML: no NUL before the last byte; well-formed, root element domain",
    "LVF-STR-001": "libvirt header: note a legacy stream (version 1)",
    "LVF-STR-002": "libvirt file, version 2: a libxl header (ident, complete) at 64 + xml_len",
    "LVF-STR-003": "libvirt file: header byte order equals the libxl options byte order",
    "LVF-STR-004": "libvirt file: no bytes after the libxl END (Trailer event)",
    # XAPI suspend image
    "XAPI-HDR-001": "XAPI: the 15-byte signature (framing loss, first differing byte)",
    "XAPI-SEC-001": "XAPI section header: complete (framing loss)",
    "XAPI-SEC-002": "XAPI section header: known type (framing loss)",
    "XAPI-SEC-003": "XAPI length-framed section: body present in full (framing loss)",
    "XAPI-SEC-004": "XAPI LIBXC/LIBXL/LIBXC_LEGACY/DEMU/END_OF_IMAGE section: length 0",
    "XAPI-SEC-006": "XAPI: no LIBXL or QEMU_XEN section (warning)",
    "XAPI-SEC-007": "XAPI QEMU_TRAD/QEMU_XEN section: length <= 1 MiB (warning)",
    "XAPI-STR-001": "XAPI LIBXC/LIBXL section: a libxc/libxl header (complete) follows",
    "XAPI-STR-002": "XAPI: exactly one memory section (second one; none at END_OF_IMAGE)",
    "XAPI-STR-003": "XAPI: note a LIBXC_LEGACY section (its legacy image: LEG rules)",
    "XAPI-STR-004": "XAPI: note a DEMU section (nothing after it is checked)",
    "XAPI-END-001": "XAPI: END_OF_IMAGE present (EOF at a section boundary)",
    "XAPI-END-002": "XAPI: no bytes after END_OF_IMAGE (Trailer event)",
}

# --- libvirt save file

_LIBVIRT_HDR_FIELDS = ((16, "LVF-HDR-001"),)
_XML = LIBVIRT_HEADER_SIZE  # the XML follows the header


def libvirt_header(c: CheckState, h: LibvirtHeader) -> None:
    c.layer = c.layer or "libvirt"
    c.carrier = "libvirt"
    c.lv = h
    if h.magic != LIBVIRT_MAGIC:
        at = next(
            (i for i, (a, b) in enumerate(zip(h.magic, LIBVIRT_MAGIC, strict=False)) if a != b),
            min(len(h.magic), 16),
        )
        c.emit(
            "LVF-HDR-001",
            at,
            "libvirt",
            f"magic is {h.magic!r}, not {LIBVIRT_MAGIC!r} (first difference at byte {at})",
        )
    if h.version not in (1, 2):
        c.emit(
            "LVF-HDR-003",
            0x10,
            "libvirt",
            f"version is {h.version:#x} read little-endian, and not 1 or 2 read big-endian",
        )
    elif h.big_endian:
        c.emit("LVF-HDR-004", 0x10, "libvirt", "the header words are big-endian")
    if any(h.unused):
        at = first_nonzero(h.unused)
        c.emit(
            "LVF-HDR-005",
            0x18 + at,
            "libvirt",
            f"unused word {at // 4} is not zero (byte {at} of the unused words is "
            f"{h.unused[at]:#04x})",
        )
    if h.version == 1:
        c.emit("LVF-STR-001", 0x10, "libvirt", "version is 1: a legacy stream follows the XML")
    xml, n = h.xml, h.xml_len
    if n == 0:
        c.emit("LVF-XML-001", 0x14, "libvirt", "xml_len is 0: the file holds no XML")
        return
    if len(xml) != n:  # truncated (reported as LVF-XML-002), or only a prefix is kept
        return
    if xml[-1]:
        c.emit(
            "LVF-XML-003",
            _XML + n - 1,
            "libvirt",
            f"the XML does not end with NUL (last byte {xml[-1]:#04x})",
        )
        return
    nul = xml.find(0, 0, n - 1)
    if nul >= 0:
        c.emit(
            "LVF-XML-004",
            _XML + nul,
            "libvirt",
            f"the XML has a NUL at byte {nul}, before its last byte: a reader stops there",
        )
        return
    problem = _xml_domain_problem(xml[:-1])
    if problem is not None:
        c.emit("LVF-XML-004", _XML, "libvirt", f"the XML is not a domain document: {problem}")


def no_libxl_in_libvirt(c: CheckState, offset: int, message: str) -> None:
    """No libxl stream after the XML: only version 2 promises one (any other version,
    LVF-HDR-003 or LVF-STR-001 has said what is there)."""
    if c.lv is not None and c.lv.version == 2:
        c.emit("LVF-STR-002", offset, "libvirt", message)


def libvirt_byte_order(c: CheckState, h: LibxlHeader) -> None:
    lv = c.lv
    if lv is not None and lv.version in (1, 2) and lv.big_endian != h.big_endian:
        c.emit(
            "LVF-STR-003",
            h.offset + 12,
            "libxl",
            f"the libvirt header words are {order(lv.big_endian)} but the libxl stream "
            f"declares {order(h.big_endian)} records",
        )


def libvirt_read_error(c: CheckState, e: ReadError, present: int) -> None:
    if e.rule == "LVF-XML-002":
        c.emit("LVF-XML-002", 0x14, "libvirt", e.message)
    elif c.lv is None:
        rid = field_rule(_LIBVIRT_HDR_FIELDS, present, "LVF-HDR-002")
        c.emit(rid, e.offset, "libvirt", e.message)
    else:  # version 1: a legacy stream follows (LVF-STR-001)
        c.unruled(e.offset, "libvirt", f"{e.message}; it is not checked")


def libvirt_trailer(c: CheckState, t: Trailer) -> None:
    c.emit(
        "LVF-STR-004",
        t.offset,
        "libvirt",
        f"{t.length} bytes follow the libxl END record that ends the libvirt file",
    )


def _xml_domain_problem(text: bytes) -> str | None:
    """Why ``text`` is not a well-formed XML document with root element ``domain``.
    Expat refuses entity expansion beyond a small amplification, and ElementTree
    never fetches external entities, so hostile XML costs little."""
    from .._xmlfast import plain_root  # expat alone: xml.etree only when it must judge

    if plain_root(text) == "domain":
        return None
    from xml.etree.ElementTree import ParseError, XMLParser

    parser = XMLParser()
    try:
        parser.feed(text)
        root = parser.close()
    except ParseError as exc:
        return f"not well-formed XML ({exc})"
    except (ValueError, LookupError) as exc:  # e.g. an unknown declared encoding
        return f"not readable XML ({exc})"
    if root.tag != "domain":
        return f"the root element is <{root.tag}>, not <domain>"
    return None


# --- XAPI suspend image

#: XAPI sections whose length word is not used (xenopsd writes 0 and ignores it).
_XAPI_UNFRAMED = frozenset(
    {
        XapiKind.LIBXC,
        XapiKind.LIBXL,
        XapiKind.LIBXC_LEGACY,
        XapiKind.DEMU,
        XapiKind.END_OF_IMAGE,
    }
)
#: XAPI sections that carry the domain's memory image.
_XAPI_MEMORY = frozenset({XapiKind.LIBXC, XapiKind.LIBXL, XapiKind.LIBXC_LEGACY})
#: The longest device model section xenopsd's restorer accepts.
XAPI_QEMU_MAX = 1 << 20
#: XAPI framing losses the reader names a rule for (XAPI-SEC-003 is placed apart).
_XAPI_FRAMING = frozenset({"XAPI-HDR-001", "XAPI-SEC-001", "XAPI-SEC-002", "XAPI-END-001"})


def xapi_section(c: CheckState, h: XapiHeader) -> None:
    c.layer = c.layer or "xapi"
    kind, off, length = h.kind, h.offset, h.length
    c.carrier = "xapi" if kind in (XapiKind.LIBXC, XapiKind.LIBXL) else None
    if kind in _XAPI_UNFRAMED and length:
        c.emit(
            "XAPI-SEC-004",
            off + 8,
            "xapi",
            f"{h.name} section: length is {length}, not 0 (the word is not used)",
        )
    if kind in (XapiKind.LIBXL, XapiKind.QEMU_XEN):
        c.emit(
            "XAPI-SEC-006",
            off,
            "xapi",
            f"{h.name} section: xenopsd defines the type but refuses to restore it",
        )
    if kind in (XapiKind.QEMU_TRAD, XapiKind.QEMU_XEN) and length > XAPI_QEMU_MAX:
        c.emit(
            "XAPI-SEC-007",
            off + 8,
            "xapi",
            f"{h.name} section: length {length} is over 1 MiB ({XAPI_QEMU_MAX}), "
            "which xenopsd's restorer refuses",
        )
    if kind in _XAPI_MEMORY:
        c.xapi_memory += 1
        if c.xapi_memory > 1:
            c.emit(
                "XAPI-STR-002",
                off,
                "xapi",
                f"{h.name} section: a second section carrying the domain's memory "
                f"(number {c.xapi_memory})",
            )
    if kind == XapiKind.LIBXC_LEGACY:
        c.emit("XAPI-STR-003", off, "xapi", "LIBXC_LEGACY section: a legacy libxc stream follows")
    elif kind == XapiKind.DEMU:
        c.emit(
            "XAPI-STR-004",
            off,
            "xapi",
            "DEMU section: vGPU state with no length and no published format follows",
        )
    elif kind == XapiKind.END_OF_IMAGE and c.xapi_memory == 0:
        c.emit(
            "XAPI-STR-002",
            off,
            "xapi",
            "the image has no LIBXC, LIBXL or LIBXC_LEGACY section: no memory image",
        )


def no_stream_in_xapi(c: CheckState, offset: int, message: str) -> None:
    """A LIBXC or LIBXL section that is not followed by the stream it announces."""
    c.emit("XAPI-STR-001", offset, "xapi", message)


def xapi_read_error(c: CheckState, e: ReadError) -> None:
    if e.rule == "XAPI-SEC-003":  # at the length word of the section header
        c.emit("XAPI-SEC-003", e.offset + 8, "xapi", e.message)
    elif e.rule in _XAPI_FRAMING:
        c.emit(e.rule, e.offset, "xapi", e.message)
    else:  # a legacy signature or section, or DEMU state: nothing more to check
        c.unruled(e.offset, "xapi", f"{e.message}; the rest is not checked")


def xapi_trailer(c: CheckState, t: Trailer) -> None:
    c.emit(
        "XAPI-END-002",
        t.offset,
        "xapi",
        f"{t.length} bytes follow the END_OF_IMAGE section header",
    )
