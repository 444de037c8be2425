"""Mutations of the wrappers around a libxl or libxc stream (``spec/wrappers.md``):
the libvirt save file and the XAPI image."""

from __future__ import annotations

from ...model import LibvirtFile, XapiImage, XapiSection
from ...writer import to_bytes
from ..build import Generated
from ..choices import Chooser
from . import Applied, mutation
from .helpers import XLH, damage_libxl_ident, is_hvm, nonzero, other_than, pick

# --- the libvirt save file ------------------------------------------------------------------


def lv_of(g: Generated) -> LibvirtFile:
    assert isinstance(g.image, LibvirtFile)
    return g.image


def is_lv(g: Generated) -> bool:
    return g.layer == "libvirt"


@mutation(
    "lvf-version",
    ["LVF-HDR-003"],
    "libvirt header version not 1 or 2",
    tags=("libvirt", "version"),
    when=is_lv,
)
def libvirt_version(ch: Chooser, g: Generated) -> str:
    f = lv_of(g)
    f.version = other_than(ch, [1, 2, 0x01000000, 0x02000000], 3, 0xFFFFFFFF)
    return f"version {f.version}"


@mutation(
    "lvf-unused",
    ["LVF-HDR-005"],
    "a libvirt header unused word not zero",
    tags=("libvirt", "reserved-bits"),
    when=is_lv,
)
def libvirt_unused_word(ch: Chooser, g: Generated) -> str:
    f = lv_of(g)
    raw = bytearray(40)
    k = ch.integer(0, 39)
    raw[k] = ch.integer(1, 255)
    f.unused = bytes(raw)
    return f"unused octet {k} = {raw[k]:#x}"


@mutation(
    "lvf-xml-no-nul",
    ["LVF-XML-003"],
    "libvirt XML whose last octet is not NUL",
    tags=("libvirt",),
    when=is_lv,
)
def libvirt_xml_without_nul(ch: Chooser, g: Generated) -> str:
    f = lv_of(g)
    f.xml = f.xml[:-1] + b"\n"
    return "XML ends with a newline instead of NUL"


@mutation(
    "lvf-xml-not-domain",
    ["LVF-XML-004"],
    "libvirt XML that is not a domain document",
    tags=("libvirt",),
    when=is_lv,
)
def libvirt_xml_not_domain(ch: Chooser, g: Generated) -> str:
    f = lv_of(g)
    bad = (b"<network/>", b"<domain>", b"not xml at all", b"<domain/>\x00<x/>")
    f.xml = pick(ch, bad) + b"\x00"
    return f"XML {f.xml!r}"


libvirt_libxl_ident = mutation(
    "lvf-stream-ident",
    ["LVF-STR-002"],
    "a libvirt file whose libxl ident is damaged (after its first five octets): no libxl "
    "stream after the XML",
    tags=("magic", "libvirt", *XLH),
    when=lambda g: g.layer == "libvirt",
)(damage_libxl_ident)


@mutation(
    "lvf-trailing",
    ["LVF-STR-004"],
    "octets after the libxl END of a libvirt file",
    tags=("libvirt", "trailing-data"),
    when=is_lv,
)
def libvirt_octets_after_end(ch: Chooser, g: Generated) -> str:
    lv_of(g).trailer = ch.binary(24) or b"\x00"
    return f"{len(lv_of(g).trailer)} octets after END"


@mutation(
    "lvf-magic",
    ["LVF-HDR-001"],
    "libvirt magic damaged after its first 11 octets",
    tags=("libvirt", "magic"),
    when=is_lv,
)
def libvirt_magic(ch: Chooser, g: Generated) -> str:
    f = lv_of(g)
    raw = bytearray(f.magic)
    k = ch.integer(11, 15)
    raw[k] ^= ch.integer(1, 255)
    f.magic = bytes(raw)
    return f"magic octet {k} = {raw[k]:#x}"


@mutation(
    "lvf-byte-order-mismatch",
    ["LVF-STR-003"],
    "libvirt header words big-endian over a little-endian libxl stream",
    tags=("libvirt", "big-endian"),
    when=is_lv,
    permits=["LVF-HDR-004"],
)
def libvirt_byte_order_mismatch(ch: Chooser, g: Generated) -> str:
    lv_of(g).big_endian = True
    return "libvirt header big-endian"


@mutation(
    "lvf-cut-in-header",
    ["LVF-HDR-002"],
    "a libvirt file cut inside its 64-octet header, after the magic",
    tags=("libvirt", "truncated"),
    when=is_lv,
)
def libvirt_cut_in_header(ch: Chooser, g: Generated) -> Applied:
    cut = ch.integer(16, 63)
    return Applied(f"cut at octet {cut}", to_bytes(g.image)[:cut])


@mutation(
    "lvf-xml-beyond-file",
    ["LVF-XML-002"],
    "libvirt xml_len larger than the rest of the file",
    tags=("libvirt", "declared-only"),
    when=is_lv,
)
def libvirt_xml_beyond_file(ch: Chooser, g: Generated) -> str:
    f = lv_of(g)
    rest = len(to_bytes(g.image)) - 64
    f.xml_len = ch.integer(rest + 1, 0xFFFFFFFF)
    return f"xml_len {f.xml_len} with {rest} octets left"


@mutation(
    "lvf-xml-empty",
    ["LVF-XML-001"],
    "a libvirt file with no XML (xml_len 0, the libxl stream right after the header)",
    tags=("libvirt",),
    when=is_lv,
)
def libvirt_xml_empty(ch: Chooser, g: Generated) -> str:
    lv_of(g).xml = b""
    return "xml_len 0"


# --- the XAPI image -------------------------------------------------------------------------


def xapi_of(g: Generated) -> XapiImage:
    assert isinstance(g.image, XapiImage)
    return g.image


def is_xapi(g: Generated) -> bool:
    return g.layer == "xapi"


@mutation(
    "xapi-stream-length",
    ["XAPI-SEC-004"],
    "a LIBXC or END_OF_IMAGE section header with a length other than 0",
    tags=("xapi",),
    when=is_xapi,
    permits=["XAPI-SEC-005"],
)
def xapi_stream_section_length(ch: Chooser, g: Generated) -> str:
    secs = xapi_of(g).sections
    sec = pick(ch, [s for s in secs if s.kind in (0x00F0, 0xFFFF)])
    sec.length = nonzero(ch, 32)
    return f"section {sec.kind:#06x} length {sec.length}"


@mutation(
    "xapi-no-end",
    ["XAPI-END-001"],
    "a XAPI image without END_OF_IMAGE",
    tags=("xapi", "missing-record"),
    when=is_xapi,
)
def xapi_end_of_image_missing(ch: Chooser, g: Generated) -> str:
    xapi_of(g).sections.pop()
    return "END_OF_IMAGE dropped"


@mutation(
    "xapi-trailing",
    ["XAPI-END-002"],
    "octets after END_OF_IMAGE",
    tags=("xapi", "trailing-data"),
    when=is_xapi,
)
def xapi_octets_after_end(ch: Chooser, g: Generated) -> str:
    xapi_of(g).trailer = ch.binary(24) or b"\x00"
    return f"{len(xapi_of(g).trailer)} octets after END_OF_IMAGE"


@mutation(
    "xapi-qemu-xen",
    ["XAPI-SEC-006"],
    "a QEMU_XEN section, which xenopsd refuses to restore (SHOULD)",
    tags=("xapi",),
    when=is_xapi,
)
def xapi_qemu_xen_section(ch: Chooser, g: Generated) -> str:
    secs = xapi_of(g).sections
    secs.insert(len(secs) - 1, XapiSection(0x0F01, b"QEVM" + ch.binary(28)))
    return "QEMU_XEN section before END_OF_IMAGE"


def is_xapi_hvm(g: Generated) -> bool:
    return is_xapi(g) and is_hvm(g)


@mutation(
    "xapi-signature",
    ["XAPI-HDR-001"],
    "XAPI signature damaged after its first 13 octets",
    tags=("xapi", "magic"),
    when=is_xapi,
)
def xapi_signature(ch: Chooser, g: Generated) -> str:
    x = xapi_of(g)
    raw = bytearray(x.magic)
    k = ch.integer(13, 14)
    raw[k] ^= ch.integer(1, 255)
    x.magic = bytes(raw)
    return f"signature octet {k} = {raw[k]:#x}"


def _xapi_spans(g: Generated) -> tuple[bytes, list[tuple[int, int, int, int]]]:
    """The image's bytes and (kind, start, header end, body end) of each section; a
    stream section's body is its stream."""
    data = to_bytes(g.image)
    x = xapi_of(g)
    off = len(x.magic)
    spans = []
    for sec in x.sections:
        body = sec.body if isinstance(sec.body, bytes) else to_bytes(sec.body)
        spans.append((sec.kind, off, off + 16, off + 16 + len(body)))
        off += 16 + len(body)
    return data, spans


@mutation(
    "xapi-cut-in-section-header",
    ["XAPI-SEC-001"],
    "a XAPI image cut inside a section header",
    tags=("xapi", "truncated"),
    when=is_xapi,
)
def xapi_cut_in_section_header(ch: Chooser, g: Generated) -> Applied:
    data, spans = _xapi_spans(g)
    kind, start, _, _ = pick(ch, spans)
    cut = start + ch.integer(1, 15)
    return Applied(f"cut {cut - start} octets into section {kind:#06x}'s header", data[:cut])


@mutation(
    "xapi-cut-in-section-body",
    ["XAPI-SEC-003"],
    "a XAPI image cut inside the body of a length-framed section",
    tags=("xapi", "truncated"),
    when=is_xapi,
)
def xapi_cut_in_section_body(ch: Chooser, g: Generated) -> Applied:
    data, spans = _xapi_spans(g)
    framed = [s for s in spans if s[0] in (0x000F, 0x0F00, 0x0F01, 0x0F11) and s[3] > s[2]]
    kind, _, h, e = pick(ch, framed)
    cut = ch.integer(h, e - 1)
    return Applied(f"cut {cut - h} octets into section {kind:#06x}'s body", data[:cut])


@mutation(
    "xapi-libxc-missing",
    ["XAPI-STR-001"],
    "a LIBXC section followed by something other than a libxc image header",
    tags=("xapi", "nesting"),
    when=is_xapi,
)
def xapi_libxc_image_header_missing(ch: Chooser, g: Generated) -> str:
    h = g.libxc.image_header
    assert h is not None
    h.marker = other_than(ch, [2**64 - 1], 0, 2**64 - 1)
    h.ident = other_than(ch, [0x58454E46], 0, 0xFFFFFFFF)
    return f"marker {h.marker:#x}, id {h.ident:#x}"


@mutation(
    "xapi-no-memory",
    ["XAPI-STR-002"],
    "a XAPI image without its LIBXC section",
    tags=("xapi", "missing-record"),
    when=is_xapi,
)
def xapi_libxc_section_missing(ch: Chooser, g: Generated) -> str:
    x = xapi_of(g)
    x.sections = [s for s in x.sections if s.kind != 0x00F0]
    return "LIBXC section dropped"


@mutation(
    "xapi-section-unknown",
    ["XAPI-SEC-002"],
    "a XAPI section of a type xenopsd does not define, before END_OF_IMAGE",
    tags=("xapi", "unknown-record"),
    when=is_xapi,
)
def xapi_section_unknown(ch: Chooser, g: Generated) -> str:
    secs = xapi_of(g).sections
    known = (0x000F, 0x00F0, 0x00F1, 0x00F2, 0x0F00, 0x0F01, 0x0F10, 0x0F11, 0xFFFF)
    kind = other_than(ch, known, 0, 0xFFFF)
    secs.insert(len(secs) - 1, XapiSection(kind, ch.binary(16)))
    return f"section {kind:#06x}"
