"""Images inside the wrappers seen in the field: libvirt's libxl-driver save file
(``libvirt-xml`` header, domain XML, libxl stream) and XAPI's (xenopsd's) suspend
image (``XenSavedDomv2-`` signature, typed sections). The valid cases show the layers
inside them; the others break one rule of the wrappers themselves (spec/wrappers.md,
``LVF`` and ``XAPI`` rules) or of the image as a whole (spec/image.md)."""

from __future__ import annotations

import struct
from collections.abc import Callable

from xensave.bodies import PageData, pfn_entry, split_pfn_entry
from xensave.constants import LIBVIRT_MAGIC, XAPI_MAGIC
from xensave.model import LibvirtFile, LibxcStream, LibxlStream, XapiImage, XapiSection
from xensave.reader import XapiKind
from xensave.writer import to_bytes

from . import bases as B
from .bases import X
from .framework import Built, Restore, recipe
from .valid import XC, XC_HVM, XC_PV, XC_V3, exercised
from .xl_file import legacy_hvm_stream

K = XapiKind

#: The MUST rules of the libvirt file that every valid one exercises.
LVF = (
    "LVF-HDR-001",
    "LVF-HDR-002",
    "LVF-HDR-003",
    "LVF-HDR-005",
    "LVF-XML-001",
    "LVF-XML-002",
    "LVF-XML-003",
    "LVF-XML-004",
    "LVF-STR-002",
    "LVF-STR-003",
    "LVF-STR-004",
    "IMG-FMT-001",
)
#: The MUST rules of the XAPI image that every valid one exercises.
XAPI = (
    "XAPI-HDR-001",
    "XAPI-SEC-001",
    "XAPI-SEC-002",
    "XAPI-SEC-003",
    "XAPI-SEC-004",
    "XAPI-STR-001",
    "XAPI-STR-002",
    "XAPI-END-001",
    "XAPI-END-002",
    "IMG-FMT-001",
)

GUEST_OS = {
    "hvm": "<type arch='x86_64' machine='xenfv'>hvm</type>\n"
    "    <loader type='rom'>/usr/lib/xen/boot/hvmloader</loader>\n    <boot dev='hd'/>",
    "x86_64-pv": "<type arch='x86_64' machine='xenpv'>linux</type>\n"
    "    <kernel>/var/lib/xen/vmlinuz</kernel>\n    <cmdline>root=/dev/xvda1 ro</cmdline>",
    "x86_32-pv": "<type arch='i686' machine='xenpv'>linux</type>\n"
    "    <kernel>/var/lib/xen/vmlinuz-pae</kernel>\n    <cmdline>root=/dev/xvda1 ro</cmdline>",
}


def domain_xml(guest: str) -> bytes:
    """The domain XML libvirt stores, NUL-terminated (xmlLen counts the NUL)."""
    emulator = (
        "\n    <emulator>/usr/lib/xen/bin/qemu-system-i386</emulator>" if guest == "hvm" else ""
    )
    xml = f"""<domain type='xen' id='7'>
  <name>sample-{guest}</name>
  <uuid>8c1f3a52-6d0e-4b7a-9f21-3e5d7c9a0b14</uuid>
  <memory unit='KiB'>131072</memory>
  <currentMemory unit='KiB'>131072</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    {GUEST_OS[guest]}
  </os>
  <clock offset='utc' adjustment='reset'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>{emulator}
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/xen/images/sample-{guest}.img'/>
      <target dev='xvda' bus='xen'/>
    </disk>
    <interface type='bridge'>
      <mac address='00:16:3e:5a:01:02'/>
      <source bridge='xenbr0'/>
    </interface>
  </devices>
</domain>
"""
    return xml.encode() + b"\x00"


def libvirt_file(guest: str, version: int, small: bool = True) -> LibvirtFile:
    """libvirt's file around a small libxl stream (the replayed cell's, in a replay)."""
    guest, version = B.replay_cell(guest, version)
    stream = B.small(guest, version, "libxl", small=small, vcpus=1 if small else 2)
    assert isinstance(stream, LibxlStream)
    return LibvirtFile(stream, domain_xml(guest))


XENOPS_META = (
    b'((vm_str "((id 8c1f3a52-6d0e-4b7a-9f21-3e5d7c9a0b14)(name sample)(ssidref 0)'
    b"(xsdata())(platformdata((acpi 1)(apic true)(pae true)(viridian false)))"
    b"(bios_strings())(ty(HVM((hap true)(shadow_multiplier 1)(timeoffset 0)"
    b"(video_mib 4)(video Cirrus)(acpi true)(serial(pty))(keymap())(vnc_ip())"
    b"(pci_emulations())(pci_passthrough false)(boot_order cd)(qemu_disk_cmdline false)"
    b"(qemu_stubdom false)(firmware Bios))))(suppress_spurious_page_faults false)"
    b"(machine_address_size())(memory_static_max 134217728)(memory_dynamic_max 134217728)"
    b"(memory_dynamic_min 134217728)(vcpu_max 1)(vcpus 1)(shadow_multiplier 1)"
    b'(has_vendor_device false))")(xs_subtree())(vtpm()))'
)
QEMU_STATE = b"QEVM\x00\x00\x00\x03" + bytes(120)


def xapi_image(
    guest: str, version: int, *, kind: int = XapiKind.LIBXC, uefi: bool = False
) -> XapiImage:
    """XAPI's image around a small stream (the replayed cell's, in a replay)."""
    guest, version = B.replay_cell(guest, version)
    wrap = "libxc" if kind == XapiKind.LIBXC else "libxl"
    stream = B.small(guest, version, wrap)
    assert isinstance(stream, LibxcStream | LibxlStream)
    sections = [XapiSection(XapiKind.XENOPS, XENOPS_META), XapiSection(kind, stream)]
    if uefi:
        sections.append(XapiSection(XapiKind.VARSTORED, b"VARS" + bytes(60)))
    if guest == "hvm" and kind == XapiKind.LIBXC:  # xenopsd files either device model here
        sections.append(XapiSection(XapiKind.QEMU_TRAD, QEMU_STATE))
    sections.append(XapiSection(XapiKind.END_OF_IMAGE))
    return XapiImage(sections)


# --- valid ---------------------------------------------------------------------------------


@recipe(
    "in-libvirt",
    "an HVM guest saved by libvirt's libxl driver: libvirt-xml header (version 2), the "
    "domain XML, then libxl's stream",
    tags=("libvirt",),
    args=("hvm", 3),
    exercises=(*LVF, *exercised("libvirt", "hvm", 3)),
)
@recipe(
    "in-libvirt",
    "a 64-bit PV guest saved by libvirt's libxl driver (libxc v2 inside)",
    tags=("libvirt",),
    args=("x86_64-pv", 2),
    exercises=(*LVF, *exercised("libvirt", "x86_64-pv", 2)),
)
def in_libvirt(guest: str, version: int) -> LibvirtFile:
    return libvirt_file(guest, version)


@recipe(
    "in-xapi",
    "an HVM guest suspended by XAPI: signature, xenopsd metadata, a LIBXC section with the "
    "libxc stream, the device model's state (QEMU_TRAD), END_OF_IMAGE",
    tags=("xapi",),
    args=("hvm", 3, XapiKind.LIBXC, False),
    exercises=(*XAPI, *XC, *XC_HVM, *XC_V3),
)
@recipe(
    "in-xapi",
    "a 64-bit PV guest suspended by XAPI (libxc v2): metadata, LIBXC section, END_OF_IMAGE",
    tags=("xapi",),
    args=("x86_64-pv", 2, XapiKind.LIBXC, False),
    exercises=(*XAPI, *XC, *XC_PV),
)
@recipe(
    "in-xapi-uefi",
    "a UEFI HVM guest suspended by XAPI: a VARSTORED section (the UEFI variables) after the "
    "libxc stream, then the qemu state",
    tags=("xapi",),
    args=("hvm", 3, XapiKind.LIBXC, True),
    exercises=(*XAPI, *XC, *XC_HVM, *XC_V3),
)
def in_xapi(guest: str, version: int, kind: int, uefi: bool) -> XapiImage:
    return xapi_image(guest, version, kind=kind, uefi=uefi)


# --- broken inside the wrapper -------------------------------------------------------------


@recipe(
    "in-libvirt-libxl-version-3",
    "libvirt's save file around a libxl stream whose header version is 3",
    tags=("libvirt", "libxl-header", "version"),
    breaks=("XL-HDR-002",),
)
def in_libvirt_libxl_version_3() -> LibvirtFile:
    f = libvirt_file("hvm", 3)
    B.inner_xl(f).header.version = 3
    return f


@recipe(
    "in-xapi-page-type-7",
    "a XAPI image whose libxc stream has a pfn of the reserved page type 7",
    tags=("xapi", "page-data", "page-type"),
    breaks=("XC-PAGE-005",),
    replay_since="2.0.0",
)
def in_xapi_page_type_7() -> XapiImage:
    x = xapi_image("hvm", 3)
    stream = x.sections[1].body
    assert isinstance(stream, LibxcStream)
    pd = B.body(stream.records, X.PAGE_DATA)
    assert isinstance(pd, PageData)
    # the XTAB entry (no contents) becomes type 7 (no contents either)
    i = next(k for k, e in enumerate(pd.entries) if split_pfn_entry(e)[1] == 0xF)
    pd.entries[i] = pfn_entry(split_pfn_entry(pd.entries[i])[0], 7)
    return x


# --- the libvirt save file (spec/wrappers.md) ----------------------------------------------


@recipe(
    "magic",
    "the libvirt magic's thirteenth octet is 'X' instead of the NUL",
    tags=("libvirt", "magic"),
    breaks=("LVF-HDR-001",),
    replay_since="2.0.0",
)
def libvirt_magic() -> LibvirtFile:
    f = libvirt_file("hvm", 3)
    f.magic = LIBVIRT_MAGIC[:13] + b"X" + LIBVIRT_MAGIC[14:]
    return f


@recipe(
    "header-truncated",
    "the file ends 40 octets into the 64-octet libvirt header",
    tags=("libvirt", "truncated"),
    breaks=("LVF-HDR-002",),
    layers=("libvirt", "libxl", "libxc"),
)
def libvirt_header_truncated() -> Built:
    f = libvirt_file("hvm", 3)
    return Built(f, to_bytes(f)[:40])


@recipe(
    "version-3",
    "the libvirt header's version is 3 (only 1 and 2 are defined)",
    tags=("libvirt", "version", "off-by-one"),
    args=(3,),
    breaks=("LVF-HDR-003",),
    replay_since="2.0.0",
)
@recipe(
    "version-0",
    "the libvirt header's version is 0 (libvirt's own reader lets it through to libxl)",
    tags=("libvirt", "version", "off-by-one"),
    args=(0,),
    breaks=("LVF-HDR-003",),
    replay_since="2.0.0",
)
def libvirt_version(version: int) -> LibvirtFile:
    f = libvirt_file("hvm", 3)
    f.version = version
    return f


@recipe(
    "big-endian",
    "a libvirt save file written on a big-endian host: header words and the streams "
    "inside big-endian",
    tags=("libvirt", "big-endian"),
    permits=("LVF-HDR-004", "XL-HDR-004", "XC-HDR-006"),
)
def libvirt_big_endian() -> LibvirtFile:
    stream = B.small("x86_64-pv", 3, "libxl", True)
    assert isinstance(stream, LibxlStream)
    return LibvirtFile(stream, domain_xml("x86_64-pv"), big_endian=True)


@recipe(
    "unused-nonzero",
    "the seventh unused word of the libvirt header is 1 (libvirt writes zeros, never reads them)",
    tags=("libvirt", "reserved-bits"),
    breaks=("LVF-HDR-005",),
    permits=("LVF-HDR-006",),
    replay_since="2.0.0",
)
def libvirt_unused_nonzero() -> LibvirtFile:
    f = libvirt_file("hvm", 3)
    f.unused = bytes(24) + struct.pack("<I", 1) + bytes(12)
    return f


@recipe(
    "xml-len-zero",
    "xml_len is 0: no domain XML, the libxl stream follows the header directly",
    tags=("libvirt", "domain-xml"),
    breaks=("LVF-XML-001",),
    replay_since="2.0.0",
)
def libvirt_xml_len_zero() -> LibvirtFile:
    f = libvirt_file("hvm", 3)
    f.xml = b""
    return f


@recipe(
    "xml-beyond-file",
    "xml_len claims one octet more than the whole rest of the file",
    tags=("libvirt", "domain-xml", "declared-only"),
    breaks=("LVF-XML-002",),
    replay_since="2.0.0",
)
def libvirt_xml_beyond_file() -> LibvirtFile:
    f = libvirt_file("hvm", 3)
    f.xml_len = len(to_bytes(f)) - 64 + 1
    return f


@recipe(
    "xml-without-nul",
    "the domain XML does not end with NUL (xml_len counts only the text)",
    tags=("libvirt", "domain-xml"),
    breaks=("LVF-XML-003",),
    replay_since="2.0.0",
)
def libvirt_xml_without_nul() -> LibvirtFile:
    f = libvirt_file("hvm", 3)
    f.xml = f.xml[:-1]
    return f


@recipe(
    "xml-inner-nul",
    "a NUL in the middle of the domain XML cuts the document short",
    tags=("libvirt", "domain-xml"),
    breaks=("LVF-XML-004",),
    replay_since="2.0.0",
)
def libvirt_xml_inner_nul() -> LibvirtFile:
    f = libvirt_file("hvm", 3)
    at = f.xml.index(b"<devices>")
    f.xml = f.xml[:at] + b"\x00" + f.xml[at:]
    return f


@recipe(
    "xml-not-a-domain",
    "the XML is a well-formed libvirt network definition, not a domain definition",
    tags=("libvirt", "domain-xml"),
    breaks=("LVF-XML-004",),
    replay_since="2.0.0",
)
def libvirt_xml_not_a_domain() -> LibvirtFile:
    f = libvirt_file("hvm", 3)
    f.xml = b"<network>\n  <name>default</name>\n  <bridge name='xenbr0'/>\n</network>\n\x00"
    return f


@recipe(
    "legacy-stream",
    "libvirt header version 1: a legacy (Xen 4.5) HVM stream follows the domain XML",
    tags=("libvirt", "legacy-stream", "version"),
    permits=("LVF-STR-001",),
    guest="hvm",
    profile=None,
    layers=("libvirt",),
    legacy=("hvm", 64),
)
def libvirt_legacy_stream() -> LibvirtFile:
    return LibvirtFile(legacy_hvm_stream(), domain_xml("hvm"), version=1)


@recipe(
    "no-libxl-stream",
    "libvirt header version 2, but a bare libxc stream follows the XML instead of a libxl stream",
    tags=("libvirt", "nesting"),
    breaks=("LVF-STR-002",),
    guest="hvm",
    version=3,
    layers=("libvirt", "libxc"),
)
def libvirt_no_libxl_stream() -> LibvirtFile:
    return LibvirtFile(to_bytes(B.xc("hvm", 3)), domain_xml("hvm"))


@recipe(
    "byte-order-mismatch",
    "little-endian libvirt header words around a big-endian libxl stream",
    tags=("libvirt", "nesting", "big-endian"),
    breaks=("LVF-STR-003",),
    permits=("XL-HDR-004", "XC-HDR-006"),
    replay_since="2.0.0",
)
def libvirt_byte_order_mismatch() -> LibvirtFile:
    guest, version = B.replay_cell("x86_64-pv", 3)
    stream = B.small(guest, version, "libxl", True)
    assert isinstance(stream, LibxlStream)
    return LibvirtFile(stream, domain_xml(guest))


@recipe(
    "trailing-data",
    "16 octets follow the libxl END record at the end of the libvirt file",
    tags=("libvirt", "trailing-data"),
    breaks=("LVF-STR-004",),
    replay_since="2.0.0",
)
def libvirt_trailing_data() -> LibvirtFile:
    f = libvirt_file("hvm", 3)
    f.trailer = b"\x00" * 8 + b"trailing"
    return f


# --- the XAPI suspend image (spec/wrappers.md) ----------------------------------------------


@recipe(
    "signature",
    "the XAPI signature ends in a carriage return instead of the newline",
    tags=("xapi", "magic"),
    breaks=("XAPI-HDR-001",),
    replay_since="2.0.0",
)
def xapi_signature() -> XapiImage:
    x = xapi_image("hvm", 3)
    x.magic = XAPI_MAGIC[:14] + b"\r"
    return x


@recipe(
    "section-header-truncated",
    "the image ends 5 octets into the END_OF_IMAGE section header",
    tags=("xapi", "section-framing", "truncated"),
    breaks=("XAPI-SEC-001",),
    replay_since="2.0.0",
)
def xapi_section_header_truncated() -> Built:
    x = xapi_image("hvm", 3)
    return Built(x, to_bytes(x)[: -16 + 5])


@recipe(
    "unknown-section",
    "a section of type 0x0F20, which xenopsd does not define, before END_OF_IMAGE",
    tags=("xapi", "section-framing", "unknown-record"),
    breaks=("XAPI-SEC-002",),
    replay_since="2.0.0",
)
def xapi_unknown_section() -> XapiImage:
    x = xapi_image("hvm", 3)
    x.sections.insert(-1, XapiSection(0x0F20, b"\x00" * 8))
    return x


@recipe(
    "xenops-beyond-file",
    "the XENOPS section's length claims 1 MiB, more than the whole image",
    tags=("xapi", "section-framing", "declared-only"),
    breaks=("XAPI-SEC-003",),
    replay_since="2.0.0",
)
def xapi_xenops_beyond_file() -> XapiImage:
    x = xapi_image("hvm", 3)
    x.sections[0].length = 1 << 20
    return x


@recipe(
    "libxc-length-nonzero",
    "the LIBXC section header's length word, which is not used, is 8 instead of 0",
    tags=("xapi", "section-framing", "reserved-bits"),
    breaks=("XAPI-SEC-004",),
    permits=("XAPI-SEC-005",),
    replay_since="2.0.0",
)
def xapi_libxc_length_nonzero() -> XapiImage:
    x = xapi_image("hvm", 3)
    x.sections[1].length = 8
    return x


@recipe(
    "libxl-section",
    "a LIBXL section with a libxl stream: the type is defined, but xenopsd refuses it",
    tags=("xapi", "nesting"),
    breaks=("XAPI-SEC-006",),
    args=("x86_64-pv", 3),
)
def xapi_libxl_section(guest: str, version: int) -> XapiImage:
    return xapi_image(guest, version, kind=K.LIBXL)


@recipe(
    "qemu-over-1mib",
    "the QEMU_TRAD section holds 1 MiB + 1 octets, one more than xenopsd's restorer takes",
    tags=("xapi", "section-framing", "off-by-one"),
    breaks=("XAPI-SEC-007",),
    only_here="a 1 MiB section: one cell shows it",
)
def xapi_qemu_over_1mib() -> XapiImage:
    x = xapi_image("hvm", 3)
    qemu = next(s for s in x.sections if s.kind == K.QEMU_TRAD)
    qemu.body = QEMU_STATE + bytes((1 << 20) + 1 - len(QEMU_STATE))
    return x


@recipe(
    "libxc-section-without-stream",
    "a LIBXC section header followed by the device model's state instead of a libxc stream",
    tags=("xapi", "nesting"),
    breaks=("XAPI-STR-001",),
    guest="hvm",
)
def xapi_libxc_section_without_stream() -> XapiImage:
    x = xapi_image("hvm", 3)
    x.sections[1] = XapiSection(K.LIBXC, QEMU_STATE, length=0)
    return x


@recipe(
    "two-memory-sections",
    "two LIBXC sections, each with a whole libxc stream",
    tags=("xapi", "duplicate-record"),
    breaks=("XAPI-STR-002",),
    replay_since="2.0.0",
)
def xapi_two_memory_sections() -> XapiImage:
    x = xapi_image("x86_64-pv", 3)
    x.sections.insert(2, XapiSection(K.LIBXC, B.xc("x86_64-pv", 3)))
    return x


@recipe(
    "no-memory-section",
    "metadata and the device model's state but no LIBXC section: no memory image",
    tags=("xapi", "missing-record"),
    breaks=("XAPI-STR-002",),
    guest="hvm",
    profile=None,
)
def xapi_no_memory_section() -> XapiImage:
    x = xapi_image("hvm", 3)
    del x.sections[1]
    return x


@recipe(
    "libxc-legacy",
    "a LIBXC_LEGACY section: a legacy (Xen 4.5) HVM stream with its device model record",
    tags=("xapi", "legacy-stream"),
    permits=("XAPI-STR-003",),
    guest="hvm",
    profile=None,
    layers=("xapi",),
    legacy=("hvm", 64),
)
def xapi_libxc_legacy() -> XapiImage:
    return XapiImage(
        [
            XapiSection(K.XENOPS, XENOPS_META),
            XapiSection(K.LIBXC_LEGACY, legacy_hvm_stream(), length=0),
            XapiSection(K.END_OF_IMAGE),
        ]
    )


@recipe(
    "demu",
    "a DEMU section (vGPU state, no length, no published format) after the libxc stream",
    tags=("xapi", "nesting"),
    permits=("XAPI-STR-004",),
)
def xapi_demu() -> XapiImage:
    x = xapi_image("hvm", 3)
    x.sections.insert(2, XapiSection(K.DEMU, b"vGPU migration state" + bytes(44), length=0))
    return x


@recipe(
    "without-end-of-image",
    "the image ends after the device model's state, without an END_OF_IMAGE section",
    tags=("xapi", "missing-record", "truncated"),
    breaks=("XAPI-END-001",),
    replay_since="2.0.0",
)
def xapi_without_end_of_image() -> XapiImage:
    x = xapi_image("hvm", 3)
    x.sections.pop()
    return x


@recipe(
    "trailing-data",
    "16 octets follow the END_OF_IMAGE section header",
    tags=("xapi", "trailing-data"),
    breaks=("XAPI-END-002",),
    replay_since="2.0.0",
)
def xapi_trailing_data() -> XapiImage:
    x = xapi_image("hvm", 3)
    x.trailer = b"\x00" * 8 + b"trailing"
    return x


# --- the image as a whole (spec/image.md) ----------------------------------------------------


@recipe(
    "not-an-image",
    "the JSON domain configuration of an xl save file on its own, without the xl header "
    "and without a stream: no layer's identifying octets",
    tags=("magic", "config"),
    breaks=("IMG-FMT-001",),
    layers=("xl",),
    profile=None,
)
def not_an_image() -> Built:
    f = B.xl("hvm", 3)
    assert f.config is not None
    return Built(f, f.config[:-1] + b"\n")


# --- the wrapper rules around a legacy image (issue 17: the legacy cells) -------------------

#: The legacy cells whose copies of the wrapper recipes the corpus holds: each kind's
#: small legacy image (xensave.legacy.samples.small, one vCPU, from a 64-bit toolstack)
#: in a libvirt file of version 1 or a XAPI image's LIBXC_LEGACY section. An HVM image
#: is 5,794 octets, an x86_64 PV one 27,000 and an x86_32 one 22,264, so the x86_64
#: kind's 15 cases cost 438,565 octets and each 32-bit kind's 362,801 (corpus 5.0.0 made
#: room for them: the libxc PV base lost its XSAVE record, bases.small; corpus 5.1.0 for
#: the non-PAE kind's last five: the small legacy HVM tail's qemu state shrank to the
#: libxl bases' stand-in).
LEGACY_WRAP_KINDS: tuple[str, ...] = ("hvm", "pv4", "pv3", "pv2")
#: The corpus version that added each kind's copies of a rule, where it is not the
#: kind's own (``SINCE_LEGACY_KIND``): the non-PAE kind's five that waited for room.
SINCE_LEGACY_RULE: dict[tuple[str, str], str] = {
    ("pv2", rule): "5.1.0"
    for rule in ("LVF-HDR-005", "LVF-XML-002", "LVF-XML-003", "LVF-XML-004", "XAPI-STR-002")
}
#: The corpus version that added each kind's copies.
SINCE_LEGACY_KIND = {"hvm": "3.1.0", "pv4": "3.1.0", "pv3": "5.0.0", "pv2": "5.0.0"}
#: Each legacy kind: its guest, the legacy cell's guest kind, and its page-table levels.
LEGACY_KIND = {
    "hvm": ("hvm", "hvm", None),
    "pv4": ("x86_64-pv", "x86_64-pv", 4),
    "pv3": ("x86_32-pv", "x86_32-pae-pv", 3),
    "pv2": ("x86_32-pv", "x86_32-nonpae-pv", 2),
}


def legacy_bytes(kind: str) -> bytes:
    """The small legacy image of ``kind`` (one vCPU, 64-bit toolstack), as octets."""
    from xensave.legacy.format import encode
    from xensave.legacy.samples import small

    levels = LEGACY_KIND[kind][2]
    return encode(small(64, "hvm" if kind == "hvm" else "pv", levels=levels).image)


def legacy_libvirt_file(kind: str, version: int = 1) -> LibvirtFile:
    """libvirt's version 1 file around a legacy image: what its libxl driver wrote when
    libxl was older than 4.6 (LVF-STR-001)."""
    return LibvirtFile(legacy_bytes(kind), domain_xml(LEGACY_KIND[kind][0]), version=version)


def legacy_xapi_image(kind: str) -> XapiImage:
    """XAPI's image of the LIBXC_LEGACY era: metadata, a LIBXC_LEGACY section holding a
    legacy image of one checkpoint (an HVM one ends with its DeviceModelRecord0002
    record), END_OF_IMAGE. xenopsd then had no QEMU_TRAD section to write: the device
    model's record is in the legacy image's tail (spec/wrappers.md)."""
    from .legacy import XAPI_LEGACY_META

    return XapiImage(
        [
            XapiSection(K.XENOPS, XAPI_LEGACY_META),
            XapiSection(K.LIBXC_LEGACY, legacy_bytes(kind), length=0),
            XapiSection(K.END_OF_IMAGE),
        ]
    )


LvfChange = Callable[[LibvirtFile], "LibvirtFile | Built"]
XapiChange = Callable[[XapiImage], "XapiImage | Built"]


def _lvf_magic(f: LibvirtFile) -> LibvirtFile:
    f.magic = LIBVIRT_MAGIC[:13] + b"X" + LIBVIRT_MAGIC[14:]
    return f


def _lvf_version_3(f: LibvirtFile) -> LibvirtFile:
    f.version = 3
    return f


def _lvf_unused(f: LibvirtFile) -> LibvirtFile:
    f.unused = bytes(24) + struct.pack("<I", 1) + bytes(12)
    return f


def _lvf_xml_len_zero(f: LibvirtFile) -> LibvirtFile:
    f.xml = b""
    return f


def _lvf_xml_beyond(f: LibvirtFile) -> LibvirtFile:
    f.xml_len = len(to_bytes(f)) - 64 + 1
    return f


def _lvf_xml_without_nul(f: LibvirtFile) -> LibvirtFile:
    f.xml = f.xml[:-1]
    return f


def _lvf_xml_inner_nul(f: LibvirtFile) -> LibvirtFile:
    at = f.xml.index(b"<devices>")
    f.xml = f.xml[:at] + b"\x00" + f.xml[at:]
    return f


def _lvf_version_2(f: LibvirtFile) -> LibvirtFile:
    f.version = 2
    return f


def _xapi_signature(x: XapiImage) -> XapiImage:
    x.magic = XAPI_MAGIC[:14] + b"\r"
    return x


def _xapi_header_cut(x: XapiImage) -> Built:
    return Built(x, to_bytes(x)[: -16 + 5])


def _xapi_unknown(x: XapiImage) -> XapiImage:
    x.sections.insert(-1, XapiSection(0x0F20, b"\x00" * 8))
    return x


def _xapi_xenops_beyond(x: XapiImage) -> XapiImage:
    x.sections[0].length = 1 << 20
    return x


def _xapi_length_nonzero(x: XapiImage) -> XapiImage:
    x.sections[1].length = 8
    return x


def _xapi_two_memory(x: XapiImage) -> XapiImage:
    x.sections.insert(2, XapiSection(K.LIBXC_LEGACY, x.sections[1].body, length=0))
    return x


def _xapi_no_end(x: XapiImage) -> XapiImage:
    x.sections.pop()
    return x


def _xapi_trailing(x: XapiImage) -> XapiImage:
    x.trailer = b"\x00" * 8 + b"trailing"
    return x


#: One case per wrapper rule: (slug, description, tags, breaks, permits, change). The
#: slugs are those of the recipes above that show the rule around a libxc stream.
LEGACY_LVF: tuple[tuple[str, str, tuple[str, ...], str, tuple[str, ...], LvfChange], ...] = (
    (
        "magic",
        "the libvirt magic's thirteenth octet is 'X'",
        ("magic",),
        "LVF-HDR-001",
        (),
        _lvf_magic,
    ),
    (
        "version-3",
        "the libvirt header's version is 3",
        ("version", "off-by-one"),
        "LVF-HDR-003",
        (),
        _lvf_version_3,
    ),
    (
        "unused-nonzero",
        "the seventh unused word of the libvirt header is 1",
        ("reserved-bits",),
        "LVF-HDR-005",
        ("LVF-HDR-006",),
        _lvf_unused,
    ),
    (
        "xml-len-zero",
        "xml_len is 0: the legacy image follows the header directly",
        ("domain-xml",),
        "LVF-XML-001",
        (),
        _lvf_xml_len_zero,
    ),
    (
        "xml-beyond-file",
        "xml_len claims one octet more than the whole rest of the file",
        ("domain-xml", "declared-only"),
        "LVF-XML-002",
        (),
        _lvf_xml_beyond,
    ),
    (
        "xml-without-nul",
        "the domain XML does not end with NUL",
        ("domain-xml",),
        "LVF-XML-003",
        (),
        _lvf_xml_without_nul,
    ),
    (
        "xml-inner-nul",
        "a NUL in the middle of the domain XML",
        ("domain-xml",),
        "LVF-XML-004",
        (),
        _lvf_xml_inner_nul,
    ),
    (
        "no-libxl-stream",
        "version 2, but a legacy image follows the XML instead of a libxl stream",
        ("nesting", "version"),
        "LVF-STR-002",
        (),
        _lvf_version_2,
    ),
)
LEGACY_XAPI: tuple[tuple[str, str, tuple[str, ...], str, tuple[str, ...], XapiChange], ...] = (
    (
        "signature",
        "the XAPI signature ends in a carriage return",
        ("magic",),
        "XAPI-HDR-001",
        (),
        _xapi_signature,
    ),
    (
        "section-header-truncated",
        "the image ends 5 octets into the END_OF_IMAGE section header",
        ("section-framing", "truncated"),
        "XAPI-SEC-001",
        (),
        _xapi_header_cut,
    ),
    (
        "unknown-section",
        "a section of type 0x0F20 before END_OF_IMAGE",
        ("section-framing", "unknown-record"),
        "XAPI-SEC-002",
        (),
        _xapi_unknown,
    ),
    (
        "xenops-beyond-file",
        "the XENOPS section's length claims 1 MiB, more than the whole image",
        ("section-framing", "declared-only"),
        "XAPI-SEC-003",
        (),
        _xapi_xenops_beyond,
    ),
    (
        "libxc-legacy-length-nonzero",
        "the LIBXC_LEGACY section header's length word is 8 instead of 0",
        ("section-framing", "reserved-bits"),
        "XAPI-SEC-004",
        ("XAPI-SEC-005",),
        _xapi_length_nonzero,
    ),
    (
        "two-memory-sections",
        "two LIBXC_LEGACY sections, each with the whole legacy image",
        ("duplicate-record",),
        "XAPI-STR-002",
        (),
        _xapi_two_memory,
    ),
    (
        "without-end-of-image",
        "the image ends after the legacy image, without END_OF_IMAGE",
        ("missing-record", "truncated"),
        "XAPI-END-001",
        (),
        _xapi_no_end,
    ),
    (
        "trailing-data",
        "16 octets follow the END_OF_IMAGE section header",
        ("trailing-data",),
        "XAPI-END-002",
        (),
        _xapi_trailing,
    ),
)


#: No release restores a version 2 file holding a legacy image: libvirt built on a libxl
#: without the v2 stream (Xen 4.0-4.5) knows save files up to version 1 and refuses a
#: later one (LIBXL_SAVE_VERSION), and from 4.6 libxl reads a libxl stream header there.
_V2_BUT_LEGACY = Restore(
    "none",
    (
        "libvirt:src/libxl/libxl_domain.c:libxlDomainSaveImageOpen",
        "tools/libs/light/libxl_stream_read.c:stream_header_done",
    ),
)


def _legacy_suffix(kind: str) -> str:
    """An x86_32 PV guest is PAE or non-PAE: the non-PAE case says so in its slug."""
    return "-non-pae" if kind == "pv2" else ""


def _legacy_lvf_case(change: LvfChange) -> Callable[[str], LibvirtFile | Built]:
    def make(kind: str) -> LibvirtFile | Built:
        return change(legacy_libvirt_file(kind))

    make.__name__ = "legacy_libvirt" + change.__name__.removeprefix("_lvf")
    return make


def _legacy_xapi_case(change: XapiChange) -> Callable[[str], XapiImage | Built]:
    def make(kind: str) -> XapiImage | Built:
        return change(legacy_xapi_image(kind))

    make.__name__ = "legacy" + change.__name__
    return make


def _legacy_wrap_cases() -> None:
    """Each wrapper recipe's fault around a legacy image, in each emitted legacy kind.
    A version 1 libvirt file announces the legacy image (LVF-STR-001), a LIBXC_LEGACY
    section too (XAPI-STR-003); a 2-level guest shows LEG-GUEST-001 as well. Who
    restores them is derived as for any case (the releases that read a legacy image,
    natively to 4.5 and through convert-legacy-stream from 4.6, less those the broken
    rule's own Xen, libvirt or xenopsd function refuses), but for the version 2 file,
    which libvirt itself decides for 4.0-4.5 (``_V2_BUT_LEGACY``)."""
    for kind in LEGACY_WRAP_KINDS:
        guest, cell, _levels = LEGACY_KIND[kind]
        guest_permits = ("LEG-GUEST-001",) if kind == "pv2" else ()
        for slug, what, tags, rule, permits, lvf in LEGACY_LVF:
            if rule == "LVF-STR-002" and kind != "hvm":
                continue  # one case stands for every cell (coverage's EXEMPT says why)
            announced = () if rule == "LVF-STR-002" else ("LVF-STR-001",)
            recipe(
                slug + _legacy_suffix(kind),
                f"{what} (a legacy image in the file)",
                tags=("libvirt", "legacy-stream", *tags),
                args=(kind,),
                breaks=(rule,),
                permits=(*permits, *announced, *guest_permits),
                guest=guest,
                profile=None,
                layers=("libvirt",),
                restore=_V2_BUT_LEGACY if rule == "LVF-STR-002" else None,
                legacy=(cell, 64),
                since=SINCE_LEGACY_RULE.get((kind, rule), SINCE_LEGACY_KIND[kind]),
            )(_legacy_lvf_case(lvf))
        for slug, what, tags, rule, permits, xapi in LEGACY_XAPI:
            recipe(
                slug + _legacy_suffix(kind),
                f"{what} (a legacy image in a LIBXC_LEGACY section)",
                tags=("xapi", "legacy-stream", *tags),
                args=(kind,),
                breaks=(rule,),
                permits=(*permits, "XAPI-STR-003", *guest_permits),
                guest=guest,
                profile=None,
                layers=("xapi",),
                legacy=(cell, 64),
                since=SINCE_LEGACY_RULE.get((kind, rule), SINCE_LEGACY_KIND[kind]),
            )(_legacy_xapi_case(xapi))


_legacy_wrap_cases()
