"""Images inside the wrappers seen in the field: libvirt's libxl-driver save file
(``libvirt-xml`` header, domain XML, libxl stream) and XAPI's (xenopsd's) suspend
image (``XenSavedDomv2-`` signature, typed sections). The wrappers have no rules of
their own yet (spec/nesting.md); these cases show the layers inside them."""

from __future__ import annotations

from xensave import samples
from xensave.bodies import PageData, pfn_entry, split_pfn_entry
from xensave.model import LibvirtFile, LibxcStream, LibxlStream, XapiImage, XapiSection
from xensave.reader import XapiKind

from . import bases as B
from .bases import X
from .framework import recipe
from .valid import XC, XC_HVM, XC_PV, XC_V3, exercised

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
    stream = samples.build(guest, version, "libxl", small=small, vcpus=1 if small else 2)
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
    wrap = "libxc" if kind == XapiKind.LIBXC else "libxl"
    stream = samples.build(guest, version, wrap, small=True, vcpus=1)
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
    exercises=exercised("libvirt", "hvm", 3),
)
@recipe(
    "in-libvirt",
    "a 64-bit PV guest saved by libvirt's libxl driver (libxc v2 inside)",
    tags=("libvirt",),
    args=("x86_64-pv", 2),
    exercises=exercised("libvirt", "x86_64-pv", 2),
)
def in_libvirt(guest: str, version: int) -> LibvirtFile:
    return libvirt_file(guest, version)


@recipe(
    "in-xapi",
    "an HVM guest suspended by XAPI: signature, xenopsd metadata, a LIBXC section with the "
    "libxc stream, the device model's state (QEMU_TRAD), END_OF_IMAGE",
    tags=("xapi",),
    args=("hvm", 3, XapiKind.LIBXC, False),
    exercises=(*XC, *XC_HVM, *XC_V3),
)
@recipe(
    "in-xapi",
    "a 64-bit PV guest suspended by XAPI (libxc v2): metadata, LIBXC section, END_OF_IMAGE",
    tags=("xapi",),
    args=("x86_64-pv", 2, XapiKind.LIBXC, False),
    exercises=(*XC, *XC_PV),
)
@recipe(
    "in-xapi-uefi",
    "a UEFI HVM guest suspended by XAPI: a VARSTORED section (the UEFI variables) after the "
    "libxc stream, then the qemu state",
    tags=("xapi",),
    args=("hvm", 3, XapiKind.LIBXC, True),
    exercises=(*XC, *XC_HVM, *XC_V3),
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
