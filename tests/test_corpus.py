"""The conformance corpus: wrapper models round-trip, and the corpus gates."""

from __future__ import annotations

import pytest

from xensave import samples
from xensave.loader import load_bytes, normalise
from xensave.model import LibvirtFile, XapiImage, XapiSection
from xensave.reader import XapiKind
from xensave.writer import to_bytes

# --- wrapper models --------------------------------------------------------------------


@pytest.mark.parametrize("big", [False, True])
def test_libvirt_file_round_trip(big: bool) -> None:
    xml = b"<domain type='xen'>\n  <name>guest</name>\n</domain>\n\x00"
    image = LibvirtFile(samples.build("hvm", 3, "libxl", big, small=True), xml, big_endian=big)
    data = to_bytes(image)
    assert data[:16] == b"libvirt-xml\n \x00 \r"
    assert len(data) == 64 + len(xml) + len(to_bytes(image.payload))
    assert load_bytes(data) == normalise(image)


@pytest.mark.parametrize("guest", samples.GUESTS)
@pytest.mark.parametrize("kind", [XapiKind.LIBXC, XapiKind.LIBXL])
def test_xapi_image_round_trip(guest: str, kind: int) -> None:
    wrap = "libxc" if kind == XapiKind.LIBXC else "libxl"
    stream = samples.build(guest, 3, wrap, small=True)
    assert not isinstance(stream, LibvirtFile | XapiImage)
    sections = [XapiSection(XapiKind.XENOPS, b"((word_size 64))"), XapiSection(kind, stream)]
    if guest == "hvm":
        sections.append(XapiSection(XapiKind.QEMU_XEN, b"QEVM\x00\x00\x00\x03"))
    sections.append(XapiSection(XapiKind.END_OF_IMAGE))
    image = XapiImage(sections)
    data = to_bytes(image)
    assert data.startswith(b"XenSavedDomv2-\n")
    assert load_bytes(data) == normalise(image)


def test_wrapper_fields_as_given() -> None:
    """The writer writes declared lengths and unused words as given, never fixing them."""
    image = LibvirtFile(b"", b"<x/>\x00", xml_len=9, unused=b"\x01" * 40, version=1)
    data = to_bytes(image)
    assert data[16:24] == b"\x01\x00\x00\x00\x09\x00\x00\x00" and data[24:64] == b"\x01" * 40
    x = to_bytes(XapiImage([XapiSection(XapiKind.XENOPS, b"abc", length=7)], trailer=b"T"))
    assert x == b"XenSavedDomv2-\n" + bytes([0x0F]) + bytes(7) + bytes([7]) + bytes(7) + b"abcT"
