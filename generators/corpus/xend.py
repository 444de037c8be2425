"""xend save files (``xm save``, Xen 4.4 and older): the signature, the S-expression
configuration and the legacy image after them (spec/xend.md, ``XEND`` rules). The
valid files hold a small legacy image of each guest type (the legacy samples with
their pages cut to those the guest's state refers to); each broken one breaks one
XEND rule in every guest cell it applies to.

Restorability is declared here, not derived: only xend restored these files, and xend
shipped with Xen 4.0 to 4.4 (removed by commit 9e8672f1c3, first absent from 4.5.0);
xl, from 4.5 on, refuses a file without its own magic (tools/xl/xl_vmcontrol.c)."""

from __future__ import annotations

import struct
from collections.abc import Callable

from xensave.legacy.format import (
    HvmTail,
    LegacyImage,
    PageBatch,
    encode,
    has_data,
)
from xensave.legacy.samples import build
from xensave.model import XlFile
from xensave.xend import SIGNATURE

from .framework import Built, Restore, recipe
from .legacy import LEG_HVM, LEG_PV

#: Guest variants: the manifest's guest, the slug's suffix and the legacy cell (every
#: small image comes from a 64-bit toolstack); x86_32 PV is PAE, and a 2-level
#: (non-PAE) variant stands for the other legacy x86_32 cell.
VARIANTS: dict[str, tuple[str, str, tuple[str, int]]] = {
    "hvm": ("hvm", "", ("hvm", 64)),
    "x86_64-pv": ("x86_64-pv", "", ("x86_64-pv", 64)),
    "x86_32-pv": ("x86_32-pv", "", ("x86_32-pae-pv", 64)),
    "x86_32-nonpae-pv": ("x86_32-pv", "-non-pae", ("x86_32-nonpae-pv", 64)),
}
GUESTS = tuple(VARIANTS)
#: Added with corpus 2.0.0, as every xend case.
SINCE = "2.0.0"
#: The MUST rules of the xend file that every valid one exercises.
XEND = ("XEND-HDR-001", "XEND-CFG-001", "XEND-CFG-002", "XEND-CFG-005")
_RESTORE = "tools/python/xen/xend/XendCheckpoint.py:restore"
_XL_REFUSES = "tools/xl/xl_vmcontrol.c:create_domain"
#: What xend restores (4.0-4.4) and what nothing restores.
XEND_RESTORES = Restore("4.0-4.4", (_RESTORE, _XL_REFUSES))
NOTHING_RESTORES = Restore("none", (_RESTORE, _XL_REFUSES))
#: A 2-level (non-PAE) 32-bit guest: declared as the legacy non-PAE cases are (legacy.py).
NON_PAE_RESTORES = Restore(
    "none", (_RESTORE, "tools/libxc/xc_domain_restore.c:xc_domain_restore", _XL_REFUSES)
)

#: pfns a small image keeps: the top-level page table, GDT and start-info page the vCPU
#: context names (0, 5, 6) and the p2m frame (32) for a PV guest; two pages for HVM.
_KEEP = {"pv": frozenset({0, 5, 32}), "hvm": frozenset({0, 1})}


def qemu_state() -> bytes:
    """A qemu savevm stream as qemu-dm wrote it: the QEVM magic, version 3, one
    SECTION_FULL (type, section id, id string, instance and version ids, the device's
    fields) and QEMU_VM_EOF."""
    fields = struct.pack(">QQQI", 0x12345678, 0x9ABCDEF0, 0x1000, 1)
    section = struct.pack(">BIB", 0x04, 0, 5) + b"timer" + struct.pack(">II", 0, 2) + fields
    return b"QEVM" + struct.pack(">I", 3) + section + b"\x00"


def config(guest: str, kind: str | None = None, *, head: str = "domain", tail: str = "") -> bytes:
    """The configuration xend's XendDomainInfo.sxpr() writes, for ``guest``; ``kind``
    overrides the image kind (hvm or linux)."""
    kind = kind or ("hvm" if guest == "hvm" else "linux")
    if kind == "hvm":
        image = "(image (hvm (kernel '') (device_model /usr/lib/xen/bin/qemu-dm) (vnc 1)))"
        disk = "(device (vbd (uname file:/var/lib/xen/images/sample.img) (dev hda:disk) (mode w)))"
        vif = "(device (vif (mac 00:16:3e:5a:01:02) (bridge xenbr0) (type ioemu)))"
    else:
        image = (
            "(image (linux (kernel /boot/vmlinuz-xen) (ramdisk /boot/initrd-xen) "
            '(args "root=/dev/xvda1 ro")))'
        )
        disk = "(device (vbd (uname phy:/dev/vg0/sample) (dev xvda:disk) (mode w)))"
        vif = "(device (vif (mac 00:16:3e:5a:01:02) (bridge xenbr0)))"
    text = (
        f"({head} (domid 7) (name sample-{guest}) "
        "(uuid 8c1f3a52-6d0e-4b7a-9f21-3e5d7c9a0b14) (vcpus 1) (memory 128) (maxmem 128) "
        "(on_poweroff destroy) (on_reboot restart) (on_crash restart) "
        f"{image} {disk} {vif}){tail}"
    )
    return text.encode()


def small_image(guest: str, dm: bytes = b"QemuDeviceModelRecord") -> LegacyImage:
    """The legacy sample of ``guest`` (64-bit toolstack, one vCPU) with only the pages
    its state refers to, and qemu-dm's state for an HVM guest."""
    kind = "hvm" if guest == "hvm" else "pv"
    levels = {"hvm": None, "x86_64-pv": 4, "x86_32-pv": 3, "x86_32-nonpae-pv": 2}[guest]
    # as the small legacy base: the GDT and start info on one page, pfn 5, no XSAVE state
    # (xensave.legacy.samples.small says which Xen functions ask for what)
    img = build(64, kind, levels=levels, vcpus=1, dm=dm, start_info=5, xsave=False).image
    keep = _KEEP[kind]
    for cp in img.checkpoints:
        body = []
        for item in cp.body:
            if not isinstance(item, PageBatch):
                body.append(item)
                continue
            pages = iter(item.pages)
            words, kept = [], []
            for w in item.words:
                page = next(pages) if has_data(w) else None
                if page is None or (w & 0x0FFFFFFF) in keep:
                    words.append(w)
                    if page is not None:
                        kept.append(page)
            if any(has_data(w) for w in words):
                body.append(PageBatch(words, kept))
        cp.body = body
        if isinstance(cp.tail, HvmTail):
            cp.tail.dm_data = qemu_state()
    return img


def xend_bytes(cfg: bytes, image: bytes, *, signature: bytes = SIGNATURE) -> bytes:
    return signature + struct.pack(">i", len(cfg)) + cfg + image


def _built(data: bytes) -> Built:
    return Built(XlFile(b""), data)


# --- valid -----------------------------------------------------------------------------------


def xm_save(guest: str) -> Built:
    return _built(xend_bytes(config(guest), encode(small_image(guest))))


for _g, (_guest, _suffix, _cell) in VARIANTS.items():
    recipe(
        "xm-save" + _suffix,
        f"what xm save wrote for a {_g} guest: signature, S-expression configuration, the "
        "legacy image" + (", qemu-dm's state to the end of the file" if _g == "hvm" else ""),
        tags=("xend", "legacy-stream", "config"),
        args=(_g,),
        exercises=(*XEND, *(LEG_HVM if _g == "hvm" else LEG_PV)),
        # a 2-level guest is valid but not convertible (LEG-GUEST-001), as in legacy.py
        permits=("LEG-GUEST-001",) if _suffix else (),
        guest=_guest,
        profile=None,
        layers=("xend",),
        restore=NON_PAE_RESTORES if _suffix else XEND_RESTORES,
        legacy=_cell,
        since=SINCE,
    )(xm_save)


# --- one broken file per rule and guest -------------------------------------------------------


def _broken(
    slug: str,
    what: str,
    breaks: tuple[str, ...],
    tags: tuple[str, ...],
    make: Callable[[str], bytes],
    guests: tuple[str, ...] = GUESTS,
    restore: Restore = NOTHING_RESTORES,
) -> None:
    def fn(guest: str) -> Built:
        return _built(make(guest))

    fn.__name__ = "broken_" + slug.replace("-", "_")
    for g in guests:
        guest, suffix, cell = VARIANTS[g]
        recipe(
            slug + suffix,
            what,
            tags=("xend", *tags),
            args=(g,),
            breaks=breaks,
            permits=("LEG-GUEST-001",) if suffix else (),
            guest=guest,
            profile=None,
            layers=("xend",),
            restore=NON_PAE_RESTORES if suffix else restore,
            legacy=cell,
            since=SINCE,
        )(fn)


_broken(
    "signature",
    "the signature's last octet is D, not d (LinuxGuestRecorD)",
    ("XEND-HDR-001",),
    ("magic",),
    lambda g: xend_bytes(config(g), encode(small_image(g)), signature=b"LinuxGuestRecorD"),
)
_broken(
    "config-length-beyond",
    "the configuration length counts 1000 octets more than the file holds (no image follows)",
    ("XEND-CFG-001",),
    ("declared-only", "truncated"),
    lambda g: SIGNATURE + struct.pack(">i", len(config(g)) + 1000) + config(g),
)
_broken(
    "config-stray-paren",
    "a ')' that closes no list after the configuration: xend's parser raises",
    ("XEND-CFG-002",),
    ("config",),
    lambda g: xend_bytes(config(g, tail=")"), encode(small_image(g))),
)
_broken(
    "image-kind-mismatch",
    "the configuration's image kind is the other guest type's (hvm for PV, linux for HVM)",
    ("XEND-CFG-005",),
    ("config", "wrong-guest"),
    lambda g: xend_bytes(config(g, "linux" if g == "hvm" else "hvm"), encode(small_image(g))),
)
_broken(
    "config-not-domain",
    "the configuration list is headed vm, not domain (xend reads its children anyway)",
    ("XEND-CFG-003",),
    ("config",),
    lambda g: xend_bytes(config(g, head="vm"), encode(small_image(g))),
    guests=("hvm",),
    restore=XEND_RESTORES,
)
_broken(
    "config-second-list",
    "a second list follows the configuration (xend restores from the first alone)",
    ("XEND-CFG-004",),
    ("config", "trailing-data"),
    lambda g: xend_bytes(config(g, tail="\n(extra (note 1))\n"), encode(small_image(g))),
    guests=("hvm",),
    restore=XEND_RESTORES,
)
_broken(
    "dm-record-0002",
    "the device-model record is DeviceModelRecord0002 (length-framed), which xend never wrote",
    ("XEND-DM-001",),
    ("emulator",),
    lambda g: xend_bytes(config(g), encode(small_image(g, dm=b"DeviceModelRecord0002"))),
    guests=("hvm",),
    restore=XEND_RESTORES,
)
