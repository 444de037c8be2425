"""The wrapper rules (spec/wrappers.md) and the whole-image rule (spec/image.md).

Each case builds a libvirt save file or a XAPI suspend image with the writer, around
inner streams from ``xensave.samples``, breaks exactly one rule, and states where the
checker must report it. Expected offsets come from the structure built (header sizes,
the lengths of what precedes), never from the checker.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from xensave import samples
from xensave.checker import CHECKS, Report, check_bytes
from xensave.constants import LIBVIRT_MAGIC, XAPI_MAGIC
from xensave.model import (
    LibvirtFile,
    LibxcStream,
    LibxlStream,
    XapiImage,
    XapiSection,
)
from xensave.reader import XapiKind
from xensave.rules import load_rules
from xensave.writer import to_bytes

RULES = load_rules()
K = XapiKind

#: Notes that the inner sample streams carry whatever the wrapper does.
BACKGROUND = frozenset({"XC-ORD-006", "XC-HDR-006", "XL-HDR-004"})
WRAPPER_PREFIXES = ("LVF-", "XAPI-", "IMG-")

LVF_HDR = 64
XAPI_SIG = len(XAPI_MAGIC)
XAPI_HDR = 16
XML = b"<domain type='xen'><name>wrapped</name><memory>131072</memory></domain>\x00"
XENOPS = b'((time 20240101T00:00:00Z)(word_size 64)(vm_str "(ty PV)"))'
QEMU = b"QEVM\x00\x00\x00\x03" + bytes(120)
VARS = b"VARS" + bytes(60)

Key = tuple[str, int]


def libxl(guest: str = "x86_64-pv", big: bool = False) -> LibxlStream:
    s = samples.build(guest, 3, "libxl", big, small=True)
    assert isinstance(s, LibxlStream)
    return s


def libxc(guest: str = "x86_64-pv", big: bool = False) -> LibxcStream:
    s = samples.build(guest, 3, "libxc", big, small=True)
    assert isinstance(s, LibxcStream)
    return s


def libvirt(big: bool = False, guest: str = "x86_64-pv", **kw: object) -> LibvirtFile:
    f = LibvirtFile(libxl(guest, big), XML, big_endian=big)
    for k, v in kw.items():
        setattr(f, k, v)
    return f


def xapi(guest: str = "x86_64-pv", *more: XapiSection) -> XapiImage:
    """What xenopsd writes: XENOPS, LIBXC and its stream, ``more``, END_OF_IMAGE."""
    return XapiImage(
        [
            XapiSection(K.XENOPS, XENOPS),
            XapiSection(K.LIBXC, libxc(guest)),
            *more,
            XapiSection(K.END_OF_IMAGE),
        ]
    )


def section_size(sec: XapiSection) -> int:
    """Header plus what the writer puts after it: the body bytes or the whole stream."""
    body = sec.body
    return XAPI_HDR + (len(body) if isinstance(body, bytes) else len(to_bytes(body)))


def section_at(img: XapiImage, i: int) -> int:
    """Offset of section ``i``'s header: the signature, then the sections before it."""
    return len(img.magic) + sum(section_size(s) for s in img.sections[:i])


def stream_at(f: LibvirtFile) -> int:
    return LVF_HDR + len(f.xml)


def found(report: Report, only_wrapper: bool = False) -> set[Key]:
    return {
        (d.rule, d.offset)
        for d in report.diagnostics
        if d.rule not in BACKGROUND and (not only_wrapper or d.rule.startswith(WRAPPER_PREFIXES))
    }


def check(data: bytes) -> Report:
    report = check_bytes(data)
    for d in report.diagnostics:
        assert not d.message.startswith("internal error"), d
        if d.rule:
            level = str(RULES[d.rule].level)
            assert d.level == level
            assert d.severity == {"MUST": "error", "SHOULD": "warning", "MAY": "note"}[level]
    return report


# --- cases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], tuple[bytes, set[Key]]]
    #: the image carries something no rule of this spec lets the checker judge (a
    #: legacy stream, DEMU state): compare only the wrapper rules' diagnostics
    only_wrapper: bool = False


CASES: list[Case] = []


Builder = Callable[..., tuple[bytes, set[Key]]]


def case(*params: str, only_wrapper: bool = False) -> Callable[[Builder], Builder]:
    """Register a builder, once per parameter (or once, called without one)."""

    def deco(fn: Builder) -> Builder:
        base = fn.__name__.removeprefix("case_")
        if not params:
            CASES.append(Case(base, fn, only_wrapper))
        for p in params:
            CASES.append(Case(f"{base}[{p}]", functools.partial(fn, p), only_wrapper))
        return fn

    return deco


BOTH = ("little-endian", "big-endian")


def _big(order: str) -> bool:
    return order == "big-endian"


def _be_note(big: bool) -> set[Key]:
    return {("LVF-HDR-004", 0x10)} if big else set()


# libvirt: header


@case(*BOTH)
def case_lvf_magic(order: str) -> tuple[bytes, set[Key]]:
    big = _big(order)
    f = libvirt(big, magic=LIBVIRT_MAGIC[:12] + b"X" + LIBVIRT_MAGIC[13:])
    return to_bytes(f), {("LVF-HDR-001", 12)} | _be_note(big)


@case()
def case_lvf_magic_truncated() -> tuple[bytes, set[Key]]:
    return to_bytes(libvirt())[:14], {("LVF-HDR-001", 0)}


@case(*BOTH)
def case_lvf_header_truncated(order: str) -> tuple[bytes, set[Key]]:
    return to_bytes(libvirt(_big(order)))[:40], {("LVF-HDR-002", 0)}


@case("little-endian")
def case_lvf_version(order: str) -> tuple[bytes, set[Key]]:
    # Only the version word tells the byte order: with a version of neither 1 nor 2 the
    # words are read little-endian, so in a big-endian file xml_len goes wrong as well.
    f = libvirt(_big(order), version=3)
    return to_bytes(f), {("LVF-HDR-003", 0x10)}


@case(*BOTH)
def case_lvf_unused_word(order: str) -> tuple[bytes, set[Key]]:
    big = _big(order)
    f = libvirt(big, unused=bytes(8) + b"\x01" + bytes(31))
    return to_bytes(f), {("LVF-HDR-005", 0x18 + 8)} | _be_note(big)


# libvirt: XML


@case(*BOTH)
def case_lvf_xml_len_zero(order: str) -> tuple[bytes, set[Key]]:
    big = _big(order)
    f = libvirt(big, xml=b"")
    return to_bytes(f), {("LVF-XML-001", 0x14)} | _be_note(big)


@case(*BOTH)
def case_lvf_xml_beyond_file(order: str) -> tuple[bytes, set[Key]]:
    big = _big(order)
    f = libvirt(big)
    f.xml_len = len(to_bytes(f)) - LVF_HDR + 1  # one more than all that follows the header
    return to_bytes(f), {("LVF-XML-002", 0x14)} | _be_note(big)


@case(*BOTH)
def case_lvf_xml_without_nul(order: str) -> tuple[bytes, set[Key]]:
    big = _big(order)
    xml = XML[:-1]
    f = libvirt(big, xml=xml)
    return to_bytes(f), {("LVF-XML-003", LVF_HDR + len(xml) - 1)} | _be_note(big)


@case(*BOTH)
def case_lvf_xml_inner_nul(order: str) -> tuple[bytes, set[Key]]:
    big = _big(order)
    at = XML.index(b"<name>")
    f = libvirt(big, xml=XML[:at] + b"\x00" + XML[at:])
    return to_bytes(f), {("LVF-XML-004", LVF_HDR + at)} | _be_note(big)


@case("unclosed", "root-network", "not-xml")
def case_lvf_xml_not_a_domain(what: str) -> tuple[bytes, set[Key]]:
    xml = {
        "unclosed": b"<domain type='xen'><name>w</name>\x00",
        "root-network": b"<network><name>default</name></network>\x00",
        "not-xml": b"name = 'guest'\nmemory = 128\n\x00",
    }[what]
    return to_bytes(libvirt(xml=xml)), {("LVF-XML-004", LVF_HDR)}


# libvirt: stream


@case(only_wrapper=True)
def case_lvf_version_1_legacy() -> tuple[bytes, set[Key]]:
    # A legacy stream follows: the note is the wrapper's word; the stream itself is the
    # legacy reader's business.
    f = LibvirtFile(struct.pack("<Q", 0x40000) + b"\xff" * 8 + bytes(48), XML, version=1)
    return to_bytes(f), {("LVF-STR-001", 0x10)}


@case(*BOTH)
def case_lvf_no_libxl_stream(order: str) -> tuple[bytes, set[Key]]:
    big = _big(order)
    f = libvirt(big)
    f.payload = b"NotLibxl" + bytes(8) + to_bytes(libxc(big=big))
    return to_bytes(f), {("LVF-STR-002", stream_at(f))} | _be_note(big)


@case(*BOTH)
def case_lvf_libxl_header_truncated(order: str) -> tuple[bytes, set[Key]]:
    big = _big(order)
    f = libvirt(big)
    f.payload = to_bytes(libxl(big=big))[:10]
    return to_bytes(f), {("LVF-STR-002", stream_at(f))} | _be_note(big)


@case(*BOTH)
def case_lvf_byte_order_mismatch(order: str) -> tuple[bytes, set[Key]]:
    big = _big(order)
    f = libvirt(big)
    f.payload = libxl(big=not big)  # the stream in the other byte order
    return to_bytes(f), {("LVF-STR-003", stream_at(f) + 12)} | _be_note(big)


@case(*BOTH)
def case_lvf_bytes_after_end(order: str) -> tuple[bytes, set[Key]]:
    big = _big(order)
    f = libvirt(big, trailer=b"junk")
    data = to_bytes(f)
    return data, {("LVF-STR-004", len(data) - 4)} | _be_note(big)


# XAPI: signature and section framing


@case()
def case_xapi_signature() -> tuple[bytes, set[Key]]:
    img = xapi()
    img.magic = XAPI_MAGIC[:14] + b"\r"
    return to_bytes(img), {("XAPI-HDR-001", 14)}


@case()
def case_xapi_signature_truncated() -> tuple[bytes, set[Key]]:
    return XAPI_MAGIC[:14], {("XAPI-HDR-001", 0)}


@case()
def case_xapi_section_header_truncated() -> tuple[bytes, set[Key]]:
    img = xapi()
    end = section_at(img, len(img.sections) - 1)
    return to_bytes(img)[: end + 5], {("XAPI-SEC-001", end)}


@case()
def case_xapi_unknown_type() -> tuple[bytes, set[Key]]:
    img = xapi("x86_64-pv", XapiSection(0x0F20, b""))
    return to_bytes(img), {("XAPI-SEC-002", section_at(img, 2))}


@case()
def case_xapi_body_beyond_file() -> tuple[bytes, set[Key]]:
    img = xapi()
    img.sections[0].length = 1 << 20  # XENOPS: far more than the image holds
    return to_bytes(img), {("XAPI-SEC-003", section_at(img, 0) + 8)}


@case()
def case_xapi_varstored_truncated() -> tuple[bytes, set[Key]]:
    img = XapiImage([XapiSection(K.XENOPS, XENOPS), XapiSection(K.LIBXC, libxc())])
    img.sections.append(XapiSection(K.VARSTORED, VARS))
    data = to_bytes(img)
    return data[:-1], {("XAPI-SEC-003", section_at(img, 2) + 8)}


@case("LIBXC", "END_OF_IMAGE")
def case_xapi_unused_length(which: str) -> tuple[bytes, set[Key]]:
    img = xapi()
    i = 1 if which == "LIBXC" else len(img.sections) - 1
    img.sections[i].length = 8
    return to_bytes(img), {("XAPI-SEC-004", section_at(img, i) + 8)}


@case()
def case_xapi_libxl_section() -> tuple[bytes, set[Key]]:
    img = xapi()
    img.sections[1] = XapiSection(K.LIBXL, libxl())
    return to_bytes(img), {("XAPI-SEC-006", section_at(img, 1))}


@case()
def case_xapi_qemu_xen_section() -> tuple[bytes, set[Key]]:
    img = xapi("hvm", XapiSection(K.QEMU_XEN, QEMU))
    return to_bytes(img), {("XAPI-SEC-006", section_at(img, 2))}


@case()
def case_xapi_qemu_over_1mib() -> tuple[bytes, set[Key]]:
    img = xapi("hvm", XapiSection(K.QEMU_TRAD, QEMU + bytes((1 << 20) + 1 - len(QEMU))))
    return to_bytes(img), {("XAPI-SEC-007", section_at(img, 2) + 8)}


# XAPI: streams


@case()
def case_xapi_libxc_section_without_stream() -> tuple[bytes, set[Key]]:
    img = xapi()
    img.sections[1] = XapiSection(K.LIBXC, bytes(24) + XENOPS, length=0)
    return to_bytes(img), {("XAPI-STR-001", section_at(img, 1) + XAPI_HDR)}


@case()
def case_xapi_libxc_stream_truncated_header() -> tuple[bytes, set[Key]]:
    img = XapiImage([XapiSection(K.XENOPS, XENOPS), XapiSection(K.LIBXC, b"\xff" * 10, length=0)])
    return to_bytes(img), {("XAPI-STR-001", section_at(img, 1) + XAPI_HDR)}


@case()
def case_xapi_libxl_section_without_stream() -> tuple[bytes, set[Key]]:
    img = xapi()
    img.sections[1] = XapiSection(K.LIBXL, b"NotLibxl" + bytes(8), length=0)
    at = section_at(img, 1)
    return to_bytes(img), {("XAPI-SEC-006", at), ("XAPI-STR-001", at + XAPI_HDR)}


@case()
def case_xapi_two_memory_sections() -> tuple[bytes, set[Key]]:
    img = xapi("x86_64-pv", XapiSection(K.LIBXC, libxc()))
    return to_bytes(img), {("XAPI-STR-002", section_at(img, 2))}


@case()
def case_xapi_no_memory_section() -> tuple[bytes, set[Key]]:
    img = XapiImage([XapiSection(K.XENOPS, XENOPS), XapiSection(K.END_OF_IMAGE)])
    return to_bytes(img), {("XAPI-STR-002", section_at(img, 1))}


@case()
def case_xapi_end_missing() -> tuple[bytes, set[Key]]:
    img = xapi()
    img.sections.pop()
    data = to_bytes(img)
    return data, {("XAPI-END-001", len(data))}


@case()
def case_xapi_bytes_after_end() -> tuple[bytes, set[Key]]:
    img = xapi()
    img.trailer = b"tail"
    data = to_bytes(img)
    return data, {("XAPI-END-002", len(data) - 4)}


@case(only_wrapper=True)
def case_xapi_libxc_legacy() -> tuple[bytes, set[Key]]:
    legacy = struct.pack("<Q", 0x40000) + b"\xff" * 8 + bytes(48)
    img = XapiImage(
        [
            XapiSection(K.XENOPS, XENOPS),
            XapiSection(K.LIBXC_LEGACY, legacy, length=0),
            XapiSection(K.END_OF_IMAGE),
        ]
    )
    return to_bytes(img), {("XAPI-STR-003", section_at(img, 1))}


@case(only_wrapper=True)
def case_xapi_demu() -> tuple[bytes, set[Key]]:
    img = xapi("x86_64-pv", XapiSection(K.DEMU, b"vGPU state of no published format"))
    img.sections[2].length = 0
    return to_bytes(img), {("XAPI-STR-004", section_at(img, 2))}


# the whole image


@case("short", "long")
def case_not_an_image(what: str) -> tuple[bytes, set[Key]]:
    data = b"PK\x03\x04" if what == "short" else b"PK\x03\x04 a zip archive, not an image"
    return data, {("IMG-FMT-001", 0)}


# --- the tests -------------------------------------------------------------------------


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_case(c: Case) -> None:
    data, expected = c.build()
    report = check(data)
    got = found(report, c.only_wrapper)
    assert got == expected, [d.format("image") for d in report.diagnostics]
    must = any(RULES[r].level == "MUST" for r, _ in expected)
    if must:
        assert not report.valid
    elif not c.only_wrapper:
        assert report.valid


def test_what_follows_demu_is_not_passed_as_valid() -> None:
    # The checker cannot judge what follows DEMU state, so it never calls it valid.
    data, _ = case_xapi_demu()
    report = check(data)
    assert not report.valid
    assert [d.rule for d in report.errors] == [""]


def test_cases_cover_every_wrapper_rule() -> None:
    covered = {r for c in CASES for r, _ in c.build()[1]}
    wrapper = {r for r in CHECKS if r.startswith(WRAPPER_PREFIXES)}
    image = {
        rid
        for rid, r in RULES.items()
        if r.subject == "image" and r.layer in ("libvirt", "xapi", "image")
    }
    assert wrapper == image
    assert covered == wrapper, sorted(covered ^ wrapper)


# valid wrapped images


VALID: dict[str, Callable[[], LibvirtFile | XapiImage]] = {
    "libvirt_pv": lambda: libvirt(),
    "libvirt_hvm": lambda: libvirt(guest="hvm"),
    "libvirt_x86_32-pv": lambda: libvirt(guest="x86_32-pv"),
    "xapi_pv": lambda: xapi(),
    "xapi_x86_32-pv": lambda: xapi("x86_32-pv"),
    "xapi_hvm": lambda: xapi("hvm", XapiSection(K.QEMU_TRAD, QEMU)),
    "xapi_hvm_uefi": lambda: xapi(
        "hvm", XapiSection(K.VARSTORED, VARS), XapiSection(K.QEMU_TRAD, QEMU)
    ),
    "xapi_qemu_exactly_1mib": lambda: xapi(
        "hvm", XapiSection(K.QEMU_TRAD, QEMU + bytes((1 << 20) - len(QEMU)))
    ),
    "xapi_no_xenops_any_order": lambda: XapiImage(
        [
            XapiSection(K.QEMU_TRAD, QEMU),
            XapiSection(K.LIBXC, libxc("hvm")),
            XapiSection(K.END_OF_IMAGE),
        ]
    ),
    "xapi_empty_xenops": lambda: XapiImage(
        [XapiSection(K.XENOPS, b""), XapiSection(K.LIBXC, libxc()), XapiSection(K.END_OF_IMAGE)]
    ),
}


@pytest.mark.parametrize("name", VALID)
def test_valid_wrapped_image_is_clean(name: str) -> None:
    data = to_bytes(VALID[name]())
    report = check(data)
    assert report.valid
    assert found(report) == set(), [d.format("image") for d in report.diagnostics]
    assert report.bytes_read == len(data)
    assert report.layer == name.split("_")[0]


def test_big_endian_libvirt_file_has_only_notes() -> None:
    report = check(to_bytes(libvirt(big=True)))
    assert report.valid
    assert found(report) == {("LVF-HDR-004", 0x10)}


def test_wrapper_diagnostics_name_the_wrapper_layer() -> None:
    data, _ = next(c for c in CASES if c.name == "lvf_bytes_after_end[little-endian]").build()
    assert {d.layer for d in check(data).diagnostics} == {"libvirt"}
    data, _ = next(c for c in CASES if c.name == "xapi_unknown_type").build()
    assert {d.layer for d in check(data).diagnostics} == {"xapi"}
