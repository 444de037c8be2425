"""Legacy (Xen 4.5 and older) images, bare and inside a legacy xl file, and what
converting them gives: valid images of each guest from 32- and 64-bit toolstacks,
one broken image per LEG rule, and the v3 conversions (spec/legacy.md)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from xensave import pv_context, pv_records
from xensave.constants import XcRecType
from xensave.legacy.format import (
    DM_RECORD_0002,
    XTAB_FILLER,
    Chunk,
    HvmTail,
    LegacyImage,
    PageBatch,
    PvTail,
    RawChunk,
    compressed,
    encode,
    ext_xcnt_block,
    has_data,
    hvm_param,
    toolstack,
    tsc_info,
    vcpu_info,
)
from xensave.legacy.samples import (
    SMALL_START_INFO,
    XL_CONFIG,
    Sample,
    add_xsave,
    page,
    small,
)
from xensave.model import Image, LibvirtFile, XapiImage, XapiSection, XlFile
from xensave.reader import XapiKind
from xensave.rules import load_rules
from xensave.target import format_releases, release_set
from xensave.writer import to_bytes

from . import hvm_context as _hvm_context  # its recipes (HVM_REPLAYS), entries, pack
from . import pv_context as _pvc
from .framework import REGISTRY, Built, Restore, libxc_of, recipe
from .wrappers import domain_xml

#: The MUST rules every valid legacy image exercises.
LEG = (
    "LEG-HDR-001",
    "LEG-HDR-002",
    "LEG-CHK-001",
    "LEG-CHK-003",
    "LEG-CHK-004",
    "LEG-CHK-005",
    "LEG-CHK-006",
    "LEG-PAGE-001",
    "LEG-PAGE-002",
    "LEG-PAGE-003",
    "LEG-PAGE-005",
    "LEG-END-001",
    "LEG-END-002",
)
LEG_PV = (
    *LEG,
    "LEG-EXT-002",
    "LEG-EXT-003",
    "LEG-EXT-004",
    "LEG-EXT-005",
    "LEG-P2M-001",
    "LEG-TAIL-001",
    "LEG-TAIL-002",
    "LEG-PAGE-004",
)
LEG_HVM = (*LEG, "LEG-CHK-002", "LEG-DM-001", "LEG-PAGE-004")
GUEST = {4: "x86_64-pv", 3: "x86_32-pv", 2: "x86_32-pv"}
#: Each sample kind's legacy cell guest (rules.LEGACY_GUESTS).
KIND = {"pv4": "x86_64-pv", "pv3": "x86_32-pae-pv", "pv2": "x86_32-nonpae-pv", "hvm": "hvm"}


def _guest(kind: str) -> str:
    return "hvm" if kind == "hvm" else GUEST[int(kind[-1])]


def _valid(
    width: int,
    kind: str,
    *,
    remus: bool = False,
    dm: bytes = DM_RECORD_0002,
    xl_config: bytes | None = None,
) -> Sample:
    """The valid cases' image: the small base with two vCPUs (xensave.legacy.samples.small)."""
    return small(
        32 if width == 32 else 64,
        "hvm" if kind == "hvm" else "pv",
        levels=None if kind == "hvm" else int(kind[-1]),
        vcpus=2,
        remus=remus,
        dm=dm,
        xl_config=xl_config,
    )


def _sample(width: int, kind: str, xl: bool = False) -> LegacyImage | XlFile:
    s = _valid(width, kind, xl_config=XL_CONFIG if xl else None)
    if xl:
        return XlFile(encode(s.image), config=XL_CONFIG, mandatory_flags=1)
    return s.image


def _bytes(image: LegacyImage | XlFile) -> Built:
    data = to_bytes(image) if isinstance(image, XlFile) else encode(image)
    # an xl file's header (its flags) is the model: readable() reads xl's JSON flag there
    return Built(image if isinstance(image, XlFile) else XlFile(b""), data)


# --- valid images ------------------------------------------------------------------------


def legacy_image(width: int, kind: str) -> Built:
    return _bytes(_sample(width, kind))


def legacy_xl_file(width: int, kind: str) -> Built:
    return _bytes(_sample(width, kind, xl=True))


for _w in (32, 64):
    for _kind in ("pv4", "pv3", "hvm"):
        _g = _guest(_kind)
        _ex = LEG_HVM if _kind == "hvm" else LEG_PV
        _name = {"pv4": "", "pv3": "pae-", "hvm": ""}[_kind]
        recipe(
            f"{_name}toolstack-{_w}",
            f"a saved {_g} guest from a {_w}-bit toolstack (Xen 4.5 layout)",
            tags=("legacy-stream", "page-data"),
            args=(_w, _kind),
            exercises=_ex,
            guest=_g,
            profile=None,
            layers=("legacy",),
            legacy=(KIND[_kind], _w),
        )(legacy_image)
        recipe(
            f"{_name}xl-toolstack-{_w}",
            f"a legacy xl save file (STREAMv2 clear) holding a {_g} guest "
            f"from a {_w}-bit toolstack",
            tags=("legacy-stream", "xl-header"),
            args=(_w, _kind),
            exercises=_ex,
            permits=("XLF-STR-001",),
            guest=_g,
            profile=None,
            layers=("xl",),
            legacy=(KIND[_kind], _w),
        )(legacy_xl_file)
    recipe(
        f"non-pae-toolstack-{_w}",
        f"a 2-level (non-PAE) 32-bit PV guest from a {_w}-bit toolstack: valid, not convertible",
        tags=("legacy-stream", "page-type"),
        args=(_w, "pv2"),
        exercises=LEG_PV,
        permits=("LEG-GUEST-001",),
        guest="x86_32-pv",
        profile=None,
        layers=("legacy",),
        legacy=("x86_32-nonpae-pv", _w),
    )(legacy_image)


@recipe(
    "remus-compressed",
    "a Remus stream of two checkpoints, the second compressed (no LAST_CHECKPOINT)",
    tags=("legacy-stream", "checkpointed"),
    exercises=(*LEG_PV, "LEG-CMP-001", "LEG-CMP-002", "LEG-CMP-003", "LEG-END-003"),
    guest="x86_64-pv",
    profile=None,
    layers=("legacy",),
    # libxl's path from 4.6 converts first, and convert-legacy-stream's read_chunks raises
    # RuntimeError("todo") at ENABLE_COMPRESSION
    restore=Restore(
        "4.0-4.5",
        (
            "tools/libxc/xc_domain_restore.c:xc_domain_restore",
            "tools/python/scripts/convert-legacy-stream:read_chunks",
        ),
    ),
    legacy=("x86_64-pv", 64),
)
def remus() -> Built:
    return _bytes(_valid(64, "pv4", remus=True).image)


@recipe(
    "qemu-to-eof",
    "an HVM image whose device-model record runs to the end of the file (xend)",
    tags=("legacy-stream", "emulator"),
    exercises=(*LEG_HVM, "LEG-DM-002"),
    guest="hvm",
    profile=None,
    layers=("legacy",),
    legacy=("hvm", 32),
)
def qemu_to_eof() -> Built:
    return _bytes(_valid(32, "hvm", dm=b"QemuDeviceModelRecord").image)


# --- what the valid images convert to -----------------------------------------------------------


def expected_conversions() -> dict[str, tuple[str, Image]]:
    """Each valid legacy case (bare or in a legacy xl file) -> the target ``xensave
    convert`` picks by default and the image it must then write, as the sample that
    built the case declares it (``xensave.legacy.samples.Expected``: never the
    converter's output). tests/test_convert.py converts every case and compares."""
    out: dict[str, tuple[str, Image]] = {}
    for w in (32, 64):
        for kind in ("pv4", "pv3", "hvm"):
            g = _guest(kind)
            name = {"pv4": "", "pv3": "pae-", "hvm": ""}[kind]
            s = _valid(w, kind)
            out[f"y_legacy-legacy_{g}_{name}toolstack-{w}"] = ("libxl", s.expected.libxl(3))
            s = _valid(w, kind, xl_config=XL_CONFIG)
            out[f"i_xl-legacy_{g}_{name}xl-toolstack-{w}"] = ("xl", s.expected.xl(3))
    s = _valid(64, "pv4", remus=True)
    out["y_legacy-legacy_x86_64-pv_remus-compressed"] = ("libxl", s.expected.libxl(3))
    s = _valid(32, "hvm", dm=b"QemuDeviceModelRecord")
    out["y_legacy-legacy_hvm_qemu-to-eof"] = ("libxl", s.expected.libxl(3))
    from .hvm_context import legacy_expected  # its legacy HVM context cases

    out.update(legacy_expected())
    return out


#: Valid legacy cases that cannot be converted, and what the refusal must say.
NOT_CONVERTIBLE = {f"i_legacy-legacy_x86_32-pv_non-pae-toolstack-{w}": "non-PAE" for w in (32, 64)}


# --- one broken image per rule ------------------------------------------------------------------

Mutation = Callable[[LegacyImage], None]
#: A legacy cell a broken case is built in: the sample kind and the toolstack's width.
LegCell = tuple[str, int]
#: Added with corpus 2.1.0: the broken cases outside their recipe's first cell.
SINCE_CELLS = "2.1.0"
#: The corpus version of the legacy cells the catalogue allowed once its xen_refuses said
#: that Xen 4.0-4.5 refuse them too (the rules once listed in coverage's _LEG_CATALOGUE).
SINCE_CATALOGUE = "3.0.0"
PV_KINDS = ("pv4", "pv3", "pv2")
#: The corpus version of the copies in a XAPI image's LIBXC_LEGACY section.
SINCE_XAPI = "3.1.0"


def _cell_suffix(kind: str, width: int) -> str:
    """The slug's tail naming a cell other than the recipe's first one (the manifest's
    guest already tells x86_64 PV, x86_32 PV and HVM apart): a 2-level guest and a
    32-bit toolstack say so."""
    return ("-non-pae" if kind == "pv2" else "") + ("-ts32" if width == 32 else "")


def _cells(kinds: tuple[str, ...], widths: tuple[int, ...] = (64,)) -> tuple[LegCell, ...]:
    return tuple((k, w) for w in widths for k in kinds)


#: The wrappers a broken legacy image is also carried in (LAYER rows of issue 17): a
#: legacy xl file (mandatory flags: xl's JSON config) and a libvirt file of version 1,
#: each running to the end of the file, and a XAPI image's LIBXC_LEGACY section, where
#: the image is one checkpoint and the next section header follows its tail
#: (spec/wrappers.md, "Finding the streams").
WRAPS = ("xl", "libvirt", "xapi")
#: For faults with no place in a XAPI image: octets after the tail (LEG-END-002), a
#: qemu state running to the end of the input (LEG-DM-002) or a second checkpoint
#: (LEG-CMP-002, LEG-CMP-003) are, there, the next section header (coverage's
#: LAYER_EXEMPT says so for each rule).
WRAPS_NOT_XAPI = ("xl", "libvirt")
#: For faults that stop a bare image from being recognised as legacy (``xl=True``):
#: the home case is already in an xl file.
WRAPS_NOT_XL = ("libvirt", "xapi")
#: The guest types ("hvm", "pv") whose XAPI copies the corpus holds, within its size
#: budget: an HVM copy is about 6 KiB, a PV one about 25 KiB on the legacy PV base of
#: corpus 3.1.0 (the 8 PV copies, of the LEG-EXT, LEG-P2M, LEG-TAIL rules and
#: LEG-CHK-002); coverage's LAYER_PENDING would count the rules left out.
XAPI_COPIES: tuple[str, ...] = ("hvm", "pv")
#: xenopsd's metadata in a XAPI copy: the record its releases of the LIBXC_LEGACY era
#: wrote (lib/suspend_image.ml, Xenops_record: the save time and the word size).
XAPI_LEGACY_META = b"((time 20150601T12:00:00Z)(word_size 64))"
_WRAP_TAG = {"": (), "xl": ("xl-header",), "libvirt": ("libvirt",), "xapi": ("xapi",)}
_WRAP_PERMITS = {
    "": (),
    "xl": ("XLF-STR-001",),
    "libvirt": ("LVF-STR-001",),
    "xapi": ("XAPI-STR-003",),
}
#: xl's JSON flag (mandatory_flags 1) arrived in 4.5: older xl refuses the file
#: (readable in framework.py); a recipe's own Restore is narrowed to it.
_XL_FROM = "4.5-"


def _wrapped(data: bytes, wrap: str, guest: str) -> Built:
    if wrap == "xl":
        xl_file = XlFile(data, config=XL_CONFIG, mandatory_flags=1)
        return Built(xl_file, to_bytes(xl_file))
    if wrap == "libvirt":
        lv = LibvirtFile(data, domain_xml(guest), version=1)
        return Built(lv, to_bytes(lv))
    if wrap == "xapi":
        x = XapiImage(
            [
                XapiSection(XapiKind.XENOPS, XAPI_LEGACY_META),
                XapiSection(XapiKind.LIBXC_LEGACY, data, length=0),
                XapiSection(XapiKind.END_OF_IMAGE),
            ]
        )
        return Built(x, to_bytes(x))
    return Built(XlFile(b""), data)


def _restore_in(rest: Restore | None, wrap: str) -> Restore | None:
    if rest is None or wrap != "xl":
        return rest
    rels = format_releases(release_set(rest.releases) & release_set(_XL_FROM))
    by = rest.by + (() if _XL_FLAGS in rest.by else (_XL_FLAGS,))
    return Restore(rels, by)


def _broken(
    slug: str,
    what: str,
    kind: str,
    breaks: tuple[str, ...],
    tags: tuple[str, ...],
    mutate: Mutation,
    *,
    cut: int = 0,
    permits: tuple[str, ...] = (),
    xl: bool = False,
    patch: Callable[[bytes], bytes] | None = None,
    restore: Restore | None = None,
    cells: tuple[LegCell, ...] = (),
    cells_restore: Restore | None = None,
    home: bool = True,
    wraps: tuple[str, ...] = (),
    wrap_kind: str | None = None,
    new_restore: Restore | None = None,
    wrap_slug: str | None = None,
    since: str = "1.0.0",
    cells_since: str = SINCE_CELLS,
) -> None:
    """One broken image on the small legacy base (``xensave.legacy.samples.small``),
    first of ``kind`` from a 64-bit toolstack (``home``), then in each of ``cells``,
    then inside each of ``wraps`` (of ``wrap_kind``, default ``kind``, 64-bit).
    ``xl``: the home case and ``cells`` inside a legacy xl file, for faults that stop a
    bare image from being recognised as legacy at all (the xl file says a legacy image
    follows), or where the recipe chose the xl file. ``restore``: the case's own
    restorability where it differs from what the rule's ``xen_refuses`` says, for cells
    of ``kind``'s guest type; ``cells_restore`` for the others; ``new_restore``, when
    given, for every case but the first; ``wrap_slug``: the wrapped copies' slug where
    the wrapper's own recipes use ``slug`` (a replay's home is found by slug);
    ``since``: the first case's corpus version, ``cells_since`` that of ``cells``. A
    2-level (non-PAE) guest also shows LEG-GUEST-001, which no release restores."""

    def make(k: str, width: int, wrap: str) -> Built:
        s = small(
            32 if width == 32 else 64,
            "hvm" if k == "hvm" else "pv",
            levels=None if k == "hvm" else int(k[-1]),
        )
        mutate(s.image)
        data = encode(s.image)
        data = data[: len(data) - cut] if cut else data
        if patch is not None:
            data = patch(data)
        return _wrapped(data, wrap, _guest(k))

    make.__name__ = "broken_" + slug.replace("-", "_")
    first_wrap = "xl" if xl else ""
    todo = [((kind, 64), first_wrap, True, since)] if home else []
    todo += [(c, first_wrap, False, cells_since) for c in cells]
    wk = wrap_kind or kind
    xapi_ok = ("hvm" if wk == "hvm" else "pv") in XAPI_COPIES
    todo += [
        ((wk, 64), w, False, SINCE_XAPI if w == "xapi" else SINCE_CELLS)
        for w in wraps
        if w != "xapi" or xapi_ok
    ]
    for (k, width), wrap, first, case_since in todo:
        name = wrap_slug if wrap and wrap_slug and not first else slug
        same = (k == "hvm") == (kind == "hvm")
        rest = _restore_in(restore if same else cells_restore, wrap)
        if new_restore is not None and not first:
            rest = _restore_in(new_restore, wrap)
        recipe(
            name + _cell_suffix(k, width),
            what,
            tags=("legacy-stream", *tags) + _WRAP_TAG[wrap],
            args=(k, width, wrap),
            breaks=breaks,
            permits=permits + _WRAP_PERMITS[wrap] + (("LEG-GUEST-001",) if k == "pv2" else ()),
            guest=_guest(k),
            profile=None,
            layers=(wrap,) if wrap else ("legacy",),
            restore=None if k == "pv2" else rest,
            legacy=(KIND[k], width),
            since=case_since,
        )(make)


#: Xen 4.0-4.5's xc_domain_restore does not restore these HVM faults (apply_batch
#: indexes its p2m_size-long p2m and pfn_type arrays by the pfn before its off-by-one
#: ``pfn > p2m_size`` test, so a pfn at or beyond p2m_size reads beyond them); libxl's path from 4.6
#: (convert-legacy-stream, then libxenguest) never looks: for an HVM guest the script
#: reads p2m_size and the VCPU_INFO map but uses them only for PV (read_legacy_stream,
#: read_chunks), and the HVM restorer takes any pfn (x86_hvm_pfn_is_valid). Xen 4.17's
#: own code restores them (conformance/expected-failures/xen-4.17-restore*.txt).
def _hvm_from_46(*by: str) -> Restore:
    return Restore("4.6-", ("tools/libxc/xc_domain_restore.c:xc_domain_restore", *by))


_CLS = "tools/python/scripts/convert-legacy-stream"
_XCDR = "tools/libxc/xc_domain_restore.c"
_XL_FLAGS = "tools/xl/xl_vmcontrol.c:create_domain"
_HVM_PFN = "tools/libs/guest/xg_sr_restore_x86_hvm.c:x86_hvm_pfn_is_valid"


def _first_body(img: LegacyImage) -> list[PageBatch | RawChunk]:
    return img.checkpoints[0].body


def _replace_chunk(img: LegacyImage, new: RawChunk) -> None:
    """Put ``new`` where the first body has a chunk of its type."""
    body = _first_body(img)
    at = next(i for i, c in enumerate(body) if isinstance(c, RawChunk) and c.type == new.type)
    body[at] = new


def _p2m_size_zero(img: LegacyImage) -> None:
    img.p2m_size = 0
    img.p2m_frames = []  # a PV image's p2m frame list has p2m_size's frames: none


#: Every legacy cell but the recipes' first (x86_64 PV or HVM from a 64-bit toolstack),
#: for the rules on the toolstack's words.
_ALL7 = (*_cells((*PV_KINDS, "hvm"), (32,)), *_cells(PV_KINDS))


def _vcpu_map_beyond(img: LegacyImage) -> None:
    """max_vcpu_id 1 and vCPUs 0-2 in the map (an HVM image); for a PV image, whose tail
    holds a context per vCPU up to max_vcpu_id, max_vcpu_id 0 and vCPUs 0-1."""
    top, bits = (1, 7) if img.guest == "hvm" else (0, 3)
    _replace_chunk(img, RawChunk(Chunk.VCPU_INFO, struct.pack("<iQ", top, bits)))


def _set(attr: str, value: object) -> Mutation:
    return lambda img: setattr(img, attr, value)


_broken(
    "p2m-size-zero",
    "p2m_size is 0, so every pfn lies beyond it",
    "hvm",
    ("LEG-HDR-001", "LEG-PAGE-002"),
    ("off-by-one",),
    _p2m_size_zero,
    restore=_hvm_from_46(f"{_CLS}:read_legacy_stream", _HVM_PFN),
    cells=_ALL7,
    wraps=WRAPS,
)
_broken(
    "p2m-size-high",
    "a 64-bit toolstack's p2m_size with bit 32 set",
    "hvm",
    ("LEG-HDR-002",),
    ("off-by-one",),
    _set("p2m_size", (1 << 32) + 64),
    restore=_hvm_from_46(f"{_CLS}:read_legacy_stream"),
    cells=_cells(PV_KINDS),
    wraps=WRAPS,
)


def _no_sig(img: LegacyImage) -> None:
    img.guest = "hvm"  # written without the extended info: a PV image must have it


_broken(
    "ext-info-overrun",
    "an extended-info length shorter than its blocks",
    "pv4",
    ("LEG-EXT-002",),
    ("declared-only",),
    _set("ext_total", 100),
    xl=True,
    cells=_cells(("pv3", "pv2")),
    wraps=WRAPS_NOT_XL,
)


def _second_vcpu(img: LegacyImage) -> None:
    img.ext_blocks.append(img.ext_blocks[0])
    img.ext_total = None


_broken(
    "two-vcpu-blocks",
    "the extended info has two 'vcpu' blocks",
    "pv4",
    ("LEG-EXT-003",),
    ("duplicate-record",),
    _second_vcpu,
    cells=_cells(("pv3", "pv2")),
    wraps=WRAPS,
    wrap_kind="pv3",
)
_broken(
    "extv-with-data",
    "an 'extv' block with 4 octets of data",
    "pv4",
    ("LEG-EXT-004",),
    ("reserved-bits",),
    lambda img: img.ext_blocks.__setitem__(1, (b"extv", b"\x00" * 4)),
    cells=_cells(("pv3", "pv2")),
    wraps=WRAPS,
    wrap_kind="pv3",
)


def _xcnt_small(img: LegacyImage) -> None:
    img.ext_blocks.append(ext_xcnt_block(8))  # the small base has no xcnt of its own
    img.ext_total = None
    tail = img.checkpoints[0].tail
    assert isinstance(tail, PvTail)
    # the tail then holds 8 octets of XSAVE state per vCPU
    tail.extended = [e + b"\x00" * 8 for e in tail.extended]


_broken(
    "xcnt-below-16",
    "an 'xcnt' size of 8, less than its own header",
    "pv4",
    ("LEG-EXT-005",),
    ("off-by-one",),
    _xcnt_small,
    cells=_cells(("pv3", "pv2")),
    wraps=WRAPS,
    wrap_kind="pv3",
)


def _unknown_block(img: LegacyImage) -> None:
    img.ext_blocks.append((b"abcd", b"\x01\x02"))
    img.ext_total = None


_broken(
    "unknown-ext-block",
    "an extended-info block 'abcd' the restorer would skip",
    "pv4",
    ("LEG-EXT-006",),
    ("unknown-record",),
    _unknown_block,
)
_broken(
    "p2m-frame-beyond",
    "a p2m frame list entry beyond p2m_size",
    "pv4",
    ("LEG-P2M-001",),
    ("p2m",),
    lambda img: img.p2m_frames.__setitem__(0, 0x1000),
    cells=(*_cells(PV_KINDS, (32,)), *_cells(("pv3", "pv2"))),
    wraps=WRAPS,
    wrap_kind="pv3",
)
_broken(
    "chunk-type-unknown",
    "a chunk of type -21",
    "hvm",
    ("LEG-CHK-001",),
    ("unknown-record",),
    lambda img: _first_body(img).insert(0, RawChunk(-21, b"")),
    xl=True,
    cells=_cells(PV_KINDS),
    wraps=WRAPS_NOT_XL,
)
_broken(
    "batch-over-1024",
    "a page batch announcing 1025 pfns",
    "hvm",
    ("LEG-CHK-001",),
    ("off-by-one",),
    lambda img: _first_body(img).insert(0, PageBatch([1], [], count=1025)),
    xl=True,
)
_broken(
    "hvm-chunk-in-pv",
    "an HVM_VIRIDIAN chunk in a PV image",
    "pv4",
    ("LEG-CHK-002",),
    ("wrong-guest",),
    lambda img: _first_body(img).insert(0, hvm_param(Chunk.HVM_VIRIDIAN, 1)),
    cells=_cells(("pv3", "pv2")),
    wraps=WRAPS,
    wrap_kind="pv3",
)
_broken(
    "hvm-param-padding",
    "a non-zero padding word in an HVM parameter chunk",
    "hvm",
    ("LEG-CHK-003",),
    ("reserved-bits",),
    lambda img: _first_body(img).insert(0, hvm_param(Chunk.HVM_VIRIDIAN, 1, pad=1)),
    wraps=WRAPS,
)
_NO_VCPU_4096 = Restore("none", (f"{_XCDR}:pagebuf_get_one", f"{_CLS}:read_chunks"))
_broken(
    "vcpu-id-4096",
    "VCPU_INFO with max_vcpu_id 4096",
    "hvm",
    ("LEG-CHK-004",),
    ("off-by-one",),
    lambda img: _first_body(img).insert(
        0, RawChunk(Chunk.VCPU_INFO, struct.pack("<i", 4096) + bytes(8 * 65))
    ),
    xl=True,
    wraps=WRAPS_NOT_XL,
    # no release restores it, of either guest type: 4.0-4.1's pagebuf_get_one refuses
    # max_vcpu_id 64 or more, 4.2-4.5's 4096 (XC_SR_MAX_VCPUS) or more, and 4.6 on
    # read_chunks (the rule's own)
    restore=_NO_VCPU_4096,
    cells=_cells(PV_KINDS),
    cells_restore=_NO_VCPU_4096,
    cells_since=SINCE_CATALOGUE,
)
_broken(
    "vcpu-map-beyond",
    "a VCPU_INFO map with a vCPU above max_vcpu_id",
    "hvm",
    ("LEG-CHK-005",),
    ("vcpu",),
    _vcpu_map_beyond,
    # every release restores it: 4.0-4.5 read the map only up to max_vcpu_id
    # (buffer_tail_hvm), and 4.6 on checks it for PV only (read_chunks)
    restore=Restore("4.0-", (f"{_XCDR}:buffer_tail_hvm", f"{_CLS}:read_chunks")),
    cells=_cells(PV_KINDS),
    wraps=WRAPS,
)
_broken(
    "tsc-mode-4",
    "TSC_INFO with mode 4",
    "hvm",
    ("LEG-CHK-006",),
    ("tsc",),
    lambda img: _first_body(img).insert(0, tsc_info(4, 0, 0, 0)),
    cells=_cells(PV_KINDS),
    wraps=WRAPS,
)
_broken(
    "toolstack-not-physmap",
    "TOOLSTACK data that is not libxl's physmap record",
    "hvm",
    ("LEG-CHK-008",),
    ("toolstack",),
    lambda img: _first_body(img).insert(0, toolstack(b"xend data")),
)
_broken(
    "page-type-5",
    "a pfn word with the reserved page type 5",
    "hvm",
    ("LEG-PAGE-001",),
    ("page-type",),
    lambda img: _first_body(img).insert(0, PageBatch([(5 << 28) | 1], [bytes(4096)])),
    cells=_ALL7,
    wraps=WRAPS,
)
_broken(
    "pfn-beyond-p2m",
    "a pfn at p2m_size",
    "hvm",
    ("LEG-PAGE-002",),
    ("off-by-one",),
    lambda img: _first_body(img).insert(0, PageBatch([64], [bytes(4096)])),
    restore=_hvm_from_46(_HVM_PFN),
    cells=_ALL7,
)
_broken(
    "pfn-high-bits",
    "a 64-bit toolstack's pfn word with bit 32 set",
    "hvm",
    ("LEG-PAGE-003",),
    ("reserved-bits",),
    lambda img: _first_body(img).insert(0, PageBatch([(1 << 32) | 1], [bytes(4096)])),
    restore=_hvm_from_46(_HVM_PFN),
    wraps=WRAPS,
    # PV too from 4.6: convert-legacy-stream's write_page_data keeps bits 0-31 of the
    # word alone, so the page lands at pfn 1, which the guest has (4.0-4.5's
    # apply_batch: "pfn out of range")
    cells=_cells(PV_KINDS),
    cells_restore=Restore("4.6-", (f"{_XCDR}:apply_batch", f"{_CLS}:write_page_data")),
    cells_since=SINCE_CATALOGUE,
)
_broken(
    "pfn-twice",
    "the same pfn twice in one batch",
    "hvm",
    ("LEG-PAGE-005",),
    ("duplicate-record",),
    lambda img: _first_body(img).insert(0, PageBatch([1, 1], [bytes(4096)] * 2)),
    cells=_ALL7,
    wraps=WRAPS,
)
_broken(
    "compressed-without-enable",
    "COMPRESSED_DATA in an image that never enabled compression",
    "hvm",
    ("LEG-CMP-001",),
    ("page-data",),
    lambda img: _first_body(img).insert(0, compressed(b"\x00", img.width)),
    cells=_cells(PV_KINDS),
    wraps=WRAPS,
)


def _remus_mutation(fault: str) -> Callable[[str, int], Built]:
    """A small two-checkpoint Remus image of ``kind`` whose second, compressed body is
    broken: its compressed data (``encoding``) or one chunk of it too many (``count``)."""

    def make(kind: str, width: int, wrap: str = "") -> Built:
        s = small(
            32 if width == 32 else 64,
            "hvm" if kind == "hvm" else "pv",
            levels=None if kind == "hvm" else int(kind[-1]),
            remus=True,
        )
        body = s.image.checkpoints[1].body
        if fault == "encoding":
            body[1] = compressed(b"\x05" + b"\x00" * 8, width)  # a 5-word run, then nothing
        else:
            body.insert(1, compressed(b"\x00", width))  # one page more than the pfns
        return _wrapped(encode(s.image), wrap, _guest(kind))

    make.__name__ = f"remus_{fault}"
    return make


for _k, _wrap in (
    ("pv4", ""),
    ("pv3", ""),
    ("pv2", ""),
    ("hvm", ""),
    *(("hvm", w) for w in WRAPS_NOT_XAPI),
):
    recipe(
        "compressed-run-short" + ("" if _k == "pv4" else _cell_suffix(_k, 64)),
        "compressed data whose page stops before 4096 octets",
        tags=("legacy-stream", "checkpointed", "truncated", *_WRAP_TAG[_wrap]),
        args=(_k, 64, _wrap),
        breaks=("LEG-CMP-002", "LEG-CMP-003"),
        permits=_WRAP_PERMITS[_wrap] + (("LEG-GUEST-001",) if _k == "pv2" else ()),
        guest=_guest(_k),
        profile=None,
        layers=(_wrap or "legacy",),
        legacy=(KIND[_k], 64),
        since="1.0.0" if _k == "pv4" else SINCE_CELLS,
    )(_remus_mutation("encoding"))
recipe(
    "compressed-too-many",
    "more compressed pages than pfns waiting for them",
    tags=("legacy-stream", "checkpointed"),
    args=("pv4", 64),
    breaks=("LEG-CMP-003",),
    guest="x86_64-pv",
    profile=None,
    layers=("legacy",),
    legacy=("x86_64-pv", 64),
)(_remus_mutation("count"))


def _unmapped(img: LegacyImage) -> None:
    tail = img.checkpoints[0].tail
    assert isinstance(tail, PvTail)
    tail.unmapped_count = (1 << 28) + 1


_broken(
    "unmapped-over-2-28",
    "an unmapped pfn count of 2^28 + 1",
    "pv4",
    ("LEG-TAIL-001",),
    ("off-by-one",),
    _unmapped,
    xl=True,
    cells=_cells(("pv3", "pv2")),
    wraps=WRAPS_NOT_XL,
)


def _xsave_size(img: LegacyImage) -> None:
    add_xsave(img)  # the small base has no XSAVE state
    tail = img.checkpoints[0].tail
    assert isinstance(tail, PvTail)
    mask, area = tail.xsave[0]
    tail.xsave[0] = (mask, area[:-8])
    tail.extended[0] = tail.extended[0] + b"\x00" * 8  # keeps the framing


_broken(
    "xsave-size-mismatch",
    "a vCPU's XSAVE size that disagrees with 'xcnt'",
    "pv4",
    ("LEG-TAIL-002",),
    ("vcpu",),
    _xsave_size,
    cells=_cells(("pv3", "pv2")),
    wraps=WRAPS,
    wrap_kind="pv3",
)


def _dm(sig: bytes, data: bytes | None = None) -> Mutation:
    def m(img: LegacyImage) -> None:
        tail = img.checkpoints[0].tail
        assert isinstance(tail, HvmTail)
        tail.dm_signature = sig
        if data is not None:
            tail.dm_data = data

    return m


_broken(
    "dm-signature",
    "an unknown device-model signature",
    "hvm",
    ("LEG-DM-001",),
    ("magic",),
    _dm(b"DeviceModelRecord0003"),
    xl=True,
    wraps=WRAPS_NOT_XL,
)
_broken(
    "qemu-magic",
    "qemu state after QemuDeviceModelRecord without 'QEVM'",
    "hvm",
    ("LEG-DM-002",),
    ("magic",),
    _dm(b"QemuDeviceModelRecord", b"QEMU" + bytes(60)),
    wraps=WRAPS_NOT_XAPI,
)
_broken(
    "truncated-tail",
    "an HVM image cut inside its HVM context",
    "hvm",
    ("LEG-END-001",),
    ("truncated",),
    lambda img: None,
    cut=3200,
    wraps=WRAPS,
)
_broken(
    "truncated-tail",
    "a PV image cut inside the shared-info page that ends its tail",
    "pv4",
    ("LEG-END-001",),
    ("truncated",),
    lambda img: None,
    cut=3200,
    home=False,
    cells=_cells(PV_KINDS),
)
_broken(
    "trailing-data",
    "octets after the tail of the last checkpoint",
    "hvm",
    ("LEG-END-002",),
    ("trailing-data",),
    _set("trailer", b"\x00" * 8),
    cells=_cells(PV_KINDS),
    wraps=WRAPS_NOT_XAPI,
    wrap_slug="legacy-trailing-data",
)


# --- the state in the tails: the PV context and HVM context rules (verify and convert agree)


def _pv_tail(img: LegacyImage) -> PvTail:
    tail = img.checkpoints[-1].tail
    assert isinstance(tail, PvTail)
    return tail


def _cr3_on_lower(img: LegacyImage) -> None:
    """Send pfn 1 as the page table one level below the guest's top (L3 under an L4,
    L2 under a PAE L3, L1 under a 2-level L2) and point vCPU 0's CR3 at it."""
    first = _first_body(img)[0]
    assert isinstance(first, PageBatch)
    top = first.words[0] >> 28  # pfn 0: the pinned top-level table
    lower = {0xC: 0x3, 0xB: 0x2, 0xA: 0x1}[top]
    _first_body(img).insert(0, PageBatch([(lower << 28) | 1], [page(1)]))
    gw = img.guest_width
    tail = _pv_tail(img)
    tail.vcpus[0] = pv_context.replace(tail.vcpus[0], gw, ctrlreg={3: pv_context.pfn_to_cr3(1, gw)})


def _ctx(**changes: Any) -> Mutation:
    """vCPU 0's context in the PV tail with ``changes`` (xensave.pv_context.replace);
    a field named for both widths (``rdx``/``edx``) takes the guest's."""

    def m(img: LegacyImage) -> None:
        gw = img.guest_width
        tail = _pv_tail(img)
        mine = {
            k: v
            for k, v in changes.items()
            if not (gw == 8 and k in _REGS_32) and not (gw == 4 and k in _REGS_64)
        }
        tail.vcpus[0] = pv_context.replace(tail.vcpus[0], gw, **mine)

    return m


def _ldt(ents: int, offset: int) -> Mutation:
    """vCPU 0's LDT of ``ents`` entries, ``offset`` octets past a page of the guest's
    kernel (0xc1230000 for x86_32, 0xffff888001230000 for x86_64)."""

    def m(img: LegacyImage) -> None:
        base = 0xFFFF888001230000 if img.guest_width == 8 else 0xC1230000
        _ctx(ldt_ents=ents, ldt_base=base + offset)(img)

    return m


_REGS_32 = frozenset({"edx", "esp", "eip"})
_PV_BASIC = "tools/libs/guest/xg_sr_restore_x86_pv.c:process_vcpu_basic"
_REGS_64 = frozenset({"rdx", "rsp", "rip"})


def _hvm_context_no_end(img: LegacyImage) -> None:
    tail = img.checkpoints[-1].tail
    assert isinstance(tail, HvmTail)
    tail.context = tail.context[:-8]


_broken(
    "pv-context-gdt-ents",
    "vCPU 0's context in the PV tail has gdt_ents 7169, one over the hypervisor's limit",
    "pv4",
    ("PV-GDT-001",),
    ("pv-context", "vcpu", "off-by-one"),
    _ctx(gdt_ents=7169),
    cells=_cells(("pv3", "pv2")),
    cells_since=SINCE_CATALOGUE,
    # no release restores it: 4.0-4.5's xc_domain_restore lets up to 8192 entries by, but
    # the hypervisor's set_gdt (from arch_set_info_guest) refuses more than 7168, and 4.6
    # on process_vcpu_basic does (the rule's own)
    restore=Restore(
        "none",
        ("xen/arch/x86/mm.c:set_gdt", _PV_BASIC),
    ),
)
_broken(
    "pv-context-cr3-on-l3",
    "vCPU 0's CR3 in the PV tail names a pfn the batches sent as a page table one level "
    "below the guest's top (an L3 under the L4 of x86_64)",
    "pv4",
    ("PV-CR3-001",),
    ("pv-context", "vcpu", "page-type"),
    _cr3_on_lower,
    cells=_cells(("pv3",)),  # the non-PAE cell: its own block below
    cells_since=SINCE_CATALOGUE,
    # no release restores it: 4.0-4.5's xc_domain_restore wants CR3's pfn typed as a table
    # of pt_levels ("PT base is bad"), 4.6 on process_vcpu_basic does (the rule's own)
    restore=Restore(
        "none",
        (f"{_XCDR}:xc_domain_restore", _PV_BASIC),
    ),
)

#: The PV context rules whose check Xen 4.0-4.5 also make, in a legacy PV tail of every
#: PV cell (the pfns are the small base's: 0 the top page table, 5 the GDT and start
#: info page); the rules on the frames a context names have the non-PAE cell in a
#: block of their own below.
#: No release restores them: 4.0-4.5's xc_domain_restore ("GDT frame number ... is
#: bad", "User PT base is bad", "Suspend record frame number is bad") or the
#: hypervisor's arch_set_info_guest (the LDT checks), 4.6 on the rule's own function.
_FRAMED = ("pv4", "pv3")
_PV_CATALOGUE: list[tuple[str, str, str, tuple[str, ...], Mutation, tuple[str, ...], str]] = [
    ("pv-context-gdt-frame-page-table", "vCPU 0's GDT frame in the PV tail is pfn 0, the "
     "top-level page table", "PV-GDT-002", ("pv-context", "vcpu", "page-type"),
     _ctx(gdt_frames={0: 0}), _FRAMED, f"{_XCDR}:xc_domain_restore"),
    ("pv-context-start-info-page-table", "vCPU 0's edx/rdx (start info) in the PV tail is "
     "pfn 0, the top-level page table", "PV-SIF-001", ("pv-context", "vcpu", "page-type"),
     _ctx(edx=0, rdx=0), _FRAMED, f"{_XCDR}:xc_domain_restore"),
    ("pv-context-ldt-ents-8193", "vCPU 0's ldt_ents in the PV tail is 8193, one over 8192",
     "PV-LDT-001", ("pv-context", "vcpu", "off-by-one"), _ldt(8193, 0), PV_KINDS,
     "xen/arch/x86/domain.c:arch_set_info_guest"),
    ("pv-context-ldt-base-unaligned", "vCPU 0's ldt_base in the PV tail is 8 octets past "
     "a page boundary", "PV-LDT-002", ("pv-context", "vcpu"), _ldt(16, 8), PV_KINDS,
     "xen/arch/x86/domain.c:arch_set_info_guest"),
    ("pv-context-cr1-data-page", "vCPU 0's ctrlreg[1] in the PV tail names pfn 5, the "
     "start info page, as the user page table", "PV-CR3-002", ("pv-context", "vcpu",
     "page-type"), _ctx(ctrlreg={1: (5 << 12) | 1}), ("pv4",),
     f"{_XCDR}:xc_domain_restore"),
]  # fmt: skip
for _slug, _what, _rid, _tags, _mutate, _kinds, _by in _PV_CATALOGUE:
    _decl = Restore("none", tuple(dict.fromkeys((_by, load_rules()[_rid].xen_function))))
    _broken(
        _slug,
        _what,
        _kinds[0],
        (_rid,),
        _tags,
        _mutate,
        restore=_decl,
        cells=_cells(_kinds[1:]),
        since=SINCE_CATALOGUE,
        cells_since=SINCE_CATALOGUE,
    )
# --- the frames a 2-level (non-PAE) guest's context names (issue 17) ---------------------
# The checker judges them as for a PAE guest, but for CR3 against the guest's own top
# level, an L2 table (PV-CR3-001's pt_levels for it; xensave/check/legacy.py). No
# release restores such a guest (LEG-GUEST-001, which each case also shows): 4.0-4.5's
# xc_domain_restore takes pt_levels 3 from the 2800-octet 'vcpu' block and refuses a CR3
# on an L2 ("PT base is bad"), and from 4.6 convert-legacy-stream's read_pv_extended_info
# says 3 levels too, so that libxenguest's process_vcpu_basic refuses it. Each case's
# own fault is one of the frame checks both make (GDT frame, CR3, start info).
_NON_PAE_FRAMES: list[tuple[str, str, str, tuple[str, ...], Mutation]] = [
    ("pv-context-cr3-on-l3", "vCPU 0's CR3 in the PV tail of a 2-level guest names a pfn "
     "the batches sent as an L1 table, one level below the guest's top (its L2)",
     "PV-CR3-001", ("pv-context", "vcpu", "page-type"), _cr3_on_lower),
    ("pv-context-gdt-frame-page-table", "vCPU 0's GDT frame in the PV tail of a 2-level "
     "guest is pfn 0, its top-level (L2) page table", "PV-GDT-002",
     ("pv-context", "vcpu", "page-type"), _ctx(gdt_frames={0: 0})),
    ("pv-context-start-info-page-table", "vCPU 0's edx (start info) in the PV tail of a "
     "2-level guest is pfn 0, its top-level (L2) page table", "PV-SIF-001",
     ("pv-context", "vcpu", "page-type"), _ctx(edx=0)),
]  # fmt: skip
for _slug, _what, _rid, _tags, _mutate in _NON_PAE_FRAMES:
    _broken(
        _slug,
        _what,
        "pv2",
        (_rid,),
        _tags,
        _mutate,
        home=False,
        cells=_cells(("pv2",)),
        cells_since="3.1.0",
    )
_broken(
    "pv-context-rsp-non-canonical",
    "vCPU 0's rsp in the PV tail, 0x0000800000000000, is not canonical",
    "pv4",
    ("PV-ADR-002",),
    ("pv-context", "vcpu"),
    _ctx(rsp=0x0000800000000000),
    home=False,
    cells=_cells(("pv4",)),
    # arch_set_info_guest tests rip and the callbacks for canonical form in 4.5 (none of
    # them in 4.0), rsp from 4.8 (the rule's xen_refuses): 4.0-4.7 restore it
)
# --- the PV context rules read in Xen 4.0-4.5 (issue 17: coverage's _LEG_OLD rows) ----------
#
# A recipe of pv_context.py replayed into vCPU 0's state in the PV tail of the small legacy
# base. What Xen 4.0-4.5 take was read at RELEASE-4.0.0 to RELEASE-4.5.0 (xc_domain_restore,
# then the hypervisor's arch_set_info_guest for the BASIC context, arch_do_domctl's
# XEN_DOMCTL_set_ext_vcpucontext and XEN_DOMCTL_setvcpuextstate for the tail's extended
# context and XSAVE state); from 4.6 convert-legacy-stream hands the same bytes to the
# libxc v2 path the v2 and v3 cases show. Each rule's catalogue xen_refuses says the
# releases that refuse every image breaking it, so every case's restorability follows from
# it; where a pv_context.py change behaves otherwise before 4.6, the case takes a change that
# does not (the LDT and XSAVE accum cases below, whose v2/v3 values 4.0-4.1 and 4.4 refuse).


def _pv_change(slug: str) -> dict[str, Any]:
    """The BASIC context change of pv_context.py's recipe ``pv-context-<slug>``."""
    rows = [(r[0], r[-1]) for r in (*_pvc._BROKEN, *_pvc._XEN_REFUSES)]
    return next(changes for s, changes in rows if s == slug)


def _pv_blob(slug: str) -> tuple[int, Callable[[bytearray], bytes]]:
    """The record type and edit of pv_context.py's recipe ``pv-vcpu-<slug>``."""
    return next((rtype, edit) for s, _w, _r, rtype, edit in _pvc._BLOBS if s == slug)


def _tail_blob(slug: str) -> Mutation:
    """vCPU 0's extended context or XSAVE state in the PV tail edited as the recipe
    ``pv-vcpu-<slug>`` edits the record; a new XSAVE length goes to 'xcnt' as well, the
    size every vCPU's state has (LEG-TAIL-002; the small base has one vCPU)."""
    rtype, edit = _pv_blob(slug)

    def m(img: LegacyImage) -> None:
        tail = _pv_tail(img)
        assert len(tail.vcpus) == 1
        if rtype == XcRecType.X86_PV_VCPU_EXTENDED:
            new = edit(bytearray(tail.extended[0]))
            assert len(new) == len(tail.extended[0])  # the tail's 128 octets
            tail.extended[0] = new
            return
        if not tail.xsave:
            add_xsave(img)  # the small base has no XSAVE state
        mask, area = tail.xsave[0]
        tail.xsave[0] = (mask, edit(bytearray(area)))
        at = next(i for i, (bid, _) in enumerate(img.ext_blocks) if bid == b"xcnt")
        img.ext_blocks[at] = ext_xcnt_block(16 + len(tail.xsave[0][1]))

    return m


def _accum_opmask_alone(img: LegacyImage) -> None:
    """xcr0_accum x87|SSE|YMM|OPMASK without ZMM and HI_ZMM; the tail's feature mask stays
    x87|SSE|YMM: 4.1-4.3's XEN_DOMCTL_setvcpuextstate refuses a mask beyond the host's,
    whose XCNTXT_MASK has no OPMASK, and 4.4 refuses the accum whatever the mask."""
    tail = _pv_tail(img)
    if not tail.xsave:
        add_xsave(img)  # the small base has no XSAVE state
    _mask, area = tail.xsave[0]
    ctx = bytearray(area)
    struct.pack_into("<Q", ctx, 8, 0x27)
    tail.xsave[0] = (_mask, bytes(ctx))


_PV64 = ("pv4",)
_PV32 = ("pv3", "pv2")
_PV_ALL = ("pv4", "pv3", "pv2")
_CTX_TAGS = ("pv-context", "vcpu")
#: (slug, what, rule, mutation, sample kinds). The Xen 4.0-4.5 reading of each rule (the
#: catalogue's xen_refuses, spec/pv-context.md) is in the rule's own words there.
OLD_PV: list[tuple[str, str, str, Mutation, tuple[str, ...]]] = [
    ("pv-context-user-mode-without-cr1", "vCPU 0 in the PV tail is in user mode (in_kernel "
     "clear) with ctrlreg[1] zero", "PV-CR3-003",
     _ctx(**_pv_change("user-mode-without-cr1")), _PV64),
    ("pv-context-rip-non-canonical", "vCPU 0's rip in the PV tail, 0x0000800000000000, is "
     "not canonical", "PV-ADR-001", _ctx(**_pv_change("rip-non-canonical")), _PV64),
    ("pv-context-dr7-high-bits", "vCPU 0's debugreg[7] in the PV tail, 0x100000400, has bit "
     "32 set", "PV-DBG-001", _ctx(**_pv_change("dr7-high-bits")), _PV64),
    ("pv-context-ldt-base-above-2-47", "vCPU 0's ldt_base in the PV tail is "
     "0x0000800000000000 (ldt_ents 0): in the range Xen keeps for itself, yet below 2^48, "
     "where Xen 4.0 and 4.1's __addr_ok ended the lower half", "PV-LDT-003",
     _ctx(ldt_base=0x0000800000000000), _PV64),
    ("pv-context-dr0-in-xen-range", "vCPU 0's debugreg[0] in the PV tail, 0xffff830000001000, "
     "is a breakpoint in Xen's own range", "PV-DBG-002",
     _ctx(**_pv_change("dr0-in-xen-range")), _PV64),
    ("pv-context-vm-assist-bit-6", "vCPU 0's vm_assist in the PV tail has bit 6 set, no "
     "VMASST type", "PV-VMA-001", _ctx(**_pv_change("vm-assist-bit-6")), _PV_ALL),
    ("pv-vcpu-extended-size-24", "vCPU 0's extended context in the PV tail says size 24, "
     "under the 32 octets before the vMCE state", "PV-EXT-001", _tail_blob("extended-size-24"),
     _PV_ALL),
    ("pv-vcpu-extended-sysenter-non-canonical", "vCPU 0's extended context in the PV tail "
     "has sysenter_callback_eip 0x0000800000000000, not canonical", "PV-EXT-002",
     _tail_blob("extended-sysenter-non-canonical"), _PV_ALL),
    ("pv-vcpu-xsave-xcr0-outside-accum", "vCPU 0's XSAVE state in the PV tail has xcr0 0x207 "
     "with PKRU (bit 9), which xcr0_accum 0x7 lacks", "PV-XSV-001",
     _tail_blob("xsave-xcr0-outside-accum"), _PV_ALL),
    ("pv-vcpu-xsave-area-missing", "vCPU 0's XSAVE state in the PV tail is the 16 octets of "
     "xcr0 and xcr0_accum 0x7 alone ('xcnt' 32)", "PV-XSV-002",
     _tail_blob("xsave-area-missing"), _PV_ALL),
    ("pv-vcpu-xsave-accum-opmask-alone", "vCPU 0's XSAVE state in the PV tail has xcr0_accum "
     "0x27: OPMASK without ZMM and HI_ZMM", "PV-XSV-003", _accum_opmask_alone, _PV_ALL),
    ("pv-vcpu-xsave-area-too-long", "vCPU 0's XSAVE state in the PV tail is 856 octets, 8 "
     "more than xcr0_accum 0x7 makes it ('xcnt' 872)", "PV-XSV-004",
     _tail_blob("xsave-area-too-long"), _PV_ALL),
    ("pv-vcpu-xsave-area-too-short", "vCPU 0's XSAVE state in the PV tail is 840 octets, 8 "
     "fewer than xcr0_accum 0x7 makes it ('xcnt' 856)", "PV-XSV-005",
     _tail_blob("xsave-area-too-short"), _PV_ALL),
    ("pv-vcpu-xsave-compacted", "the XSAVE header of vCPU 0's state in the PV tail has "
     "xcomp_bv 0x8000000000000007, the compacted form", "PV-XSV-006",
     _tail_blob("xsave-compacted"), _PV_ALL),
    ("pv-context-eflags-vm86", "vCPU 0's eflags in the PV tail, 0x20246, has VM (bit 17) set",
     "PV-FLG-002", _ctx(**_pv_change("eflags-vm86")), _PV32),
]  # fmt: skip
#: The corpus version the OLD_PV cases came in.
SINCE_OLD_PV = "3.1.0"


def old_pv_order() -> list[tuple[str, str]]:
    """Every (rule, sample kind) OLD_PV can build, in the order they are emitted: the
    x86_64 cell first, then PAE, then non-PAE, each in OLD_PV's order."""
    return [(rid, k) for k in _PV_ALL for _s, _w, rid, _m, kinds in OLD_PV if k in kinds]


#: How many of old_pv_order()'s cases the corpus holds: all 34 since the smaller legacy
#: PV base of corpus 3.1.0 (about 27 KiB an x86_64 case, 23 KiB an x86_32 one). Cells
#: left out would stay PENDING in coverage (reason "corpus budget"; a test holds the two
#: lists equal).
OLD_PV_EMIT = 34


def _old_pv() -> None:
    emitted = set(old_pv_order()[:OLD_PV_EMIT])
    for slug, what, rid, mutate, kinds in OLD_PV:
        mine = tuple(k for k in kinds if (rid, k) in emitted)
        if mine:
            _broken(
                slug,
                what,
                kinds[0],
                (rid,),
                _CTX_TAGS,
                mutate,
                home=False,
                cells=_cells(mine),
                cells_since=SINCE_OLD_PV,
            )


_old_pv()


# --- the start-info page of a legacy PV image (PV-SIF-002, issue 17) ------------------------
#
# The small base's start-info page is pfn 5 (SMALL_START_INFO; vCPU 0's edx/rdx), sent as
# NOTAB with store_mfn and console.domU.mfn 0; its first batch also sends pfn 50 as XTAB.
# The case points store_mfn at pfn 50, within p2m_size but never populated. Read at
# RELEASE-4.0.0 to RELEASE-4.5.0: xc_domain_restore marks every pfn invalid and allocates
# only those a batch sends with a type other than XTAB, refuses a store_mfn only above
# p2m_size (4.2-4.5; 4.0 and 4.1 not at all), and hands libxl the p2m entry of pfn 50,
# INVALID_P2M_ENTRY; xc_dom_gnttab_seed (4.2-4.5) skips a frame of -1, and libxl's
# libxl__build_post (build_post in 4.0) passes it to xs_introduce_domain without looking
# at the result: the domain is restored. From 4.6 convert-legacy-stream sends pfn 50 as an
# XTAB entry of PAGE_DATA, populate_pfns leaves it out, and process_start_info refuses
# ("XenStore pfn has bad mfn").
_SIF_XTAB = 50


def _start_info_store_xtab(img: LegacyImage) -> None:
    """store_mfn of the start-info page (pfn 5) is pfn 50, which the first batch sends
    as XTAB; console.domU.mfn stays 0 (the top-level table: populated)."""
    at = pv_records.START_INFO_FIELDS[img.guest_width][0]
    code = "<I" if img.guest_width == 4 else "<Q"
    batch = _first_body(img)[0]
    assert isinstance(batch, PageBatch)
    assert (0xF << 28) | _SIF_XTAB in batch.words  # XTAB in the base: nothing to add
    data = [w & 0x0FFFFFFF for w in batch.words if w != XTAB_FILLER and has_data(w)]
    k = data.index(SMALL_START_INFO)
    contents = bytearray(batch.pages[k])
    struct.pack_into(code, contents, at, _SIF_XTAB)
    batch.pages[k] = bytes(contents)


_broken(
    "pv-context-start-info-store-xtab",
    "the start-info page (pfn 5, vCPU 0's edx/rdx in the PV tail) names store_mfn 50, a "
    "pfn the batches send as XTAB, so the restorer never populates it",
    "pv4",
    ("PV-SIF-002",),
    _CTX_TAGS,
    _start_info_store_xtab,
    home=False,
    cells=_cells(_PV_ALL),
    cells_since="5.0.0",
    restore=Restore(
        "4.0-4.5",
        (
            f"{_XCDR}:xc_domain_restore",
            "tools/libxc/xc_dom_boot.c:xc_dom_gnttab_seed",
            "tools/libxl/libxl_dom.c:libxl__build_post",
            "tools/libs/guest/xg_sr_restore_x86_pv.c:process_start_info",
        ),
    ),
)
# The last PV tail's list of unmapped pfns (spec/legacy.md, "PV tail"), read at
# RELEASE-4.0.0 to RELEASE-4.5.0 and RELEASE-4.6.0: xc_domain_restore (4.0-4.5) frees every
# listed pfn the batches populated (xc_domain_decrease_reservation) and marks its p2m entry
# invalid before it maps the start-info page (xc_map_foreign_range fails) and hands vCPU 0's
# GDT frames to the hypervisor, and before it maps the p2m frames (xc_map_foreign_pages
# fails): refused. From 4.6 convert-legacy-stream's read_pv_tail reads the list and drops
# it, so the restorer sees the page the batches populated: restored. The small base's
# start-info page and GDT frame share pfn 5; its one p2m frame is pfn 32.
_UNMAPPED_BY = (f"{_XCDR}:xc_domain_restore", f"{_CLS}:read_pv_tail")


def _unmap(*pfns: int) -> Mutation:
    def mutate(img: LegacyImage) -> None:
        _pv_tail(img).unmapped = list(pfns)

    return mutate


_broken(
    "pv-context-start-info-unmapped",
    "the last PV tail lists pfn 5, the start-info page (vCPU 0's edx/rdx) and vCPU 0's "
    "GDT frame, as unmapped",
    "pv4",
    ("PV-GDT-002", "PV-SIF-001"),
    _CTX_TAGS,
    _unmap(SMALL_START_INFO),
    home=False,
    cells=_cells(_PV_ALL),
    cells_since="5.1.0",
    restore=Restore("4.6-", _UNMAPPED_BY),
)
_broken(
    "p2m-frame-unmapped",
    "the last PV tail lists pfn 32, the p2m frame list's one frame, as unmapped",
    "pv4",
    ("LEG-P2M-001",),
    ("p2m",),
    _unmap(32),
    home=False,
    # not the non-PAE cell (no release restores that guest): the corpus's size budget
    cells=_cells(("pv4", "pv3")),
    cells_since="5.1.0",
    restore=Restore("4.6-", _UNMAPPED_BY),
)


# The small base's first batch sends pfn 50 as XTAB. Read at RELEASE-4.0.0 to
# RELEASE-4.5.0, xc_domain_restore refuses a p2m frame whose last page type is not NOTAB
# ("PFN-to-MFN frame number is bad"); from 4.6 convert-legacy-stream hands the list on as
# X86_PV_P2M_FRAMES and update_guest_p2m refuses the frame's type ("has bad type").
_broken(
    "p2m-frame-sent-xtab",
    "the p2m frame list's one entry names pfn 50, which the batches send as XTAB",
    "pv4",
    ("LEG-P2M-001",),
    ("p2m", "page-type"),
    _set("p2m_frames", [_SIF_XTAB]),
    home=False,
    cells=_cells(_PV_ALL),
    cells_since="5.1.0",
    restore=Restore(
        "none",
        (f"{_XCDR}:xc_domain_restore", "tools/libs/guest/xg_sr_restore_x86_pv.c:update_guest_p2m"),
    ),
)
_broken(
    "hvm-context-no-end",
    "the HVM tail's context blob lacks its END entry",
    "hvm",
    ("HVM-FRAME-002",),
    ("hvm-context", "truncated"),
    _hvm_context_no_end,
)
_ = (vcpu_info, _no_sig)


# --- the HVM context rules in a legacy HVM image's tail (PENDING_AREAS, issue 17) ----------

_HVM_LOAD = "xen/common/hvm/save.c:hvm_load"
#: An HVM context recipe of hvm_context.py whose blob is carried here in the HVM tail of a
#: small legacy image, by the rule it breaks, with the Xen functions that refuse it in
#: every release: 4.0-4.5 load the blob through xc_domain_restore's
#: xc_domain_hvm_setcontext into the hypervisor's hvm_load, 4.6 on through
#: convert-legacy-stream (which copies the blob into HVM_CONTEXT) and libxenguest. Each
#: check was read in RELEASE-4.0.0 to RELEASE-4.5.0 (and the rule's xen_refuses from
#: 4.6); a typecode above a release's HVM_SAVE_CODE_MAX (xensave.hvm_context,
#: typecode_max: CPU_XSAVE 16 from 4.1, VMCE_VCPU 18 from 4.2, CPU_MSR 20 from 4.5)
#: is refused by hvm_load before any handler.
HVM_REPLAYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "HVM-FRAME-001": ("hvm-context-payload-past-end", (_HVM_LOAD,)),
    "HVM-HDR-001": ("hvm-context-header-missing", (_HVM_LOAD,)),
    "HVM-HDR-002": ("hvm-context-header-magic", ("xen/arch/x86/hvm/save.c:arch_hvm_load",)),
    "HVM-HDR-003": ("hvm-context-header-version", ("xen/arch/x86/hvm/save.c:arch_hvm_load",)),
    "HVM-HDR-004": ("hvm-context-header-twice", (_HVM_LOAD,)),
    "HVM-TYPE-001": ("hvm-context-unknown-typecode", (_HVM_LOAD,)),
    # a route above 15: -EINVAL in every release
    "HVM-LINK-001": ("hvm-context-pci-link-route", ("xen/arch/x86/hvm/irq.c:irq_load_link",)),
    # CPU_MSR: 4.0-4.4 do not know typecode 20; 4.5's hvm_load_cpu_msrs checks the
    # length against the count and the reserved words
    "HVM-MSR-001": (
        "hvm-context-msr-count",
        (_HVM_LOAD, "xen/arch/x86/hvm/hvm.c:hvm_load_cpu_msrs"),
    ),
    "HVM-MSR-002": (
        "hvm-context-msr-reserved",
        (_HVM_LOAD, "xen/arch/x86/hvm/hvm.c:hvm_load_cpu_msrs"),
    ),
}
_SAVE_C = "xen/common/hvm/save.c"
#: More HVM context recipes replayed in a legacy HVM tail (corpus 3.0.0), for the rules
#: whose xen_refuses the catalogue once started at 4.6 though 4.0-4.5 refuse them too
#: (read in RELEASE-4.0.0 to RELEASE-4.5.0): HVM-SIZE-001 and -002 (_hvm_check_entry,
#: in 4.0 an inline of xen/include/xen/hvm/save.h: exactly the structure's length in
#: 4.0, from 4.1 exactly for hvm_load_entry and no longer for the zero-extending load),
#: HVM-PIC-001 (vpic_load: an instance above 1 is -EINVAL), HVM-CPU-002
#: (hvm_load_cpu_ctxt: "bad CR0", with the same reserved bits), HVM-MSR-003 (typecode 20
#: is above HVM_SAVE_CODE_MAX before 4.5; 4.5's hvm_load_cpu_msrs takes only BNDCFGS,
#: -ENXIO for any other index) and HVM-VMCE-001 (typecode 18 is unknown before 4.2;
#: 4.2-4.5's vmce_restore_vcpu allows the bank count, MCG_CTL_P, and at most TES_P,
#: SER_P and CMCI_P: -EPERM).
HVM_CATALOGUE_REPLAYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "HVM-SIZE-001": ("hvm-context-pic-length", (f"{_SAVE_C}:_hvm_check_entry",)),
    "HVM-SIZE-002": ("hvm-context-cpu-length", (f"{_SAVE_C}:_hvm_check_entry",)),
    "HVM-PIC-001": ("hvm-context-pic-instance", ("xen/arch/x86/hvm/vpic.c:vpic_load",)),
    "HVM-CPU-002": (
        "hvm-context-cpu-cr0-no-et",
        ("xen/arch/x86/hvm/hvm.c:hvm_load_cpu_ctxt",),
    ),
    "HVM-MSR-003": (
        "hvm-context-msr-unknown-index",
        (_HVM_LOAD, "xen/arch/x86/hvm/hvm.c:hvm_load_cpu_msrs"),
    ),
    "HVM-VMCE-001": (
        "hvm-context-vmce-caps",
        (_HVM_LOAD, "xen/arch/x86/cpu/mcheck/vmce.c:vmce_restore_vcpu"),
    ),
}


def _hvm_context_replay(slug: str) -> Callable[[], Built]:
    def make() -> Built:
        home = next(c for c in REGISTRY if c.slug == slug and "hvm_context" in c.recipe)
        xc = libxc_of(home.build().image)
        assert xc is not None
        blob = next(r for r in xc.records if r.type == XcRecType.HVM_CONTEXT).body_bytes("<")
        s = small(64, "hvm")
        for cp in s.image.checkpoints:
            assert isinstance(cp.tail, HvmTail)
            cp.tail.context = blob
        return Built(XlFile(b""), encode(s.image))

    make.__name__ = "hvm_context_" + slug.removeprefix("hvm-context-").replace("-", "_")
    return make


def _hvm_replays() -> None:
    todo = [(r, v, SINCE_CELLS) for r, v in HVM_REPLAYS.items()]
    todo += [(r, v, SINCE_CATALOGUE) for r, v in HVM_CATALOGUE_REPLAYS.items()]
    for rid, (slug, by), since in todo:
        home = next(c for c in REGISTRY if c.slug == slug and "hvm_context" in c.recipe)
        assert rid in home.breaks, (rid, slug)
        recipe(
            slug,
            home.description + " (in a legacy HVM image's tail)",
            tags=tuple(dict.fromkeys(("legacy-stream", *home.tags))),
            breaks=home.breaks,
            permits=home.permits,
            guest="hvm",
            profile=None,
            layers=("legacy",),
            restore=Restore("none", (f"{_XCDR}:xc_domain_restore", *by, _HVM_SETCONTEXT)),
            legacy=("hvm", 64),
            since=since,
        )(_hvm_context_replay(slug))


_HVM_SETCONTEXT = f"{_CLS}:read_legacy_stream"
_hvm_replays()


# --- the HVM context rules read in Xen 4.0-4.5's load handlers (issue 17, corpus 3.1.0) ----

#: The corpus version of the legacy HVM cases of :data:`HVM_OLD_REPLAYS`.
SINCE_OLD_HVM = "3.1.0"
_HVM_C = "xen/arch/x86/hvm/hvm.c"
_CHECK_ENTRY = f"{_SAVE_C}:_hvm_check_entry"
_LOAD_CPU = f"{_HVM_C}:hvm_load_cpu_ctxt"
_LOAD_XSAVE = f"{_HVM_C}:hvm_load_cpu_xsave_states"
_VALIDATE_XSTATE = "xen/arch/x86/xstate.c:validate_xstate"
_OLD_CPU, _OLD_PIC, _OLD_LINK, _OLD_PIT = 2, 3, 9, 10
_OLD_LAPIC, _OLD_MTRR, _OLD_XSAVE, _OLD_VIRIDIAN_VCPU = 5, 14, 16, 17

#: An HVM context recipe of hvm_context.py replayed into a legacy HVM image by the rule it
#: breaks: (its slug, the typecode it changes, the length the entry is cut to or None,
#: the releases that restore the image, the Xen functions that decide). Only the changed
#: entry is carried: the rest of the blob stays the legacy sample's (HEADER, CPU, two
#: PICs, END: restored by every release), so that each release's answer is about the
#: fault. A changed CPU or PIC entry is the sample's with the octets the recipe changed.
#: Read in RELEASE-4.0.0 to RELEASE-4.5.0 (the 4.6 on half is the v2 path the rule's
#: xen_refuses says, with 4.6's entry sizes: xensave.hvm_typecodes):
#:
#: - CPU: exactly 1024 octets (hvm_load_entry) in 4.0 and 4.1, 1024 or the 1016 compat
#:   form in 4.2-4.6, 1032 from 4.7 (flags, pad0): a CPU entry long enough to hold pad0
#:   or flags is refused by _hvm_check_entry up to 4.6. hvm_load_cpu_ctxt and the vendor
#:   load_cpu_ctxt (vmx_vmcs_restore, svm_vmcb_restore) copy msr_tsc_aux, dr6 and dr7
#:   unchecked up to 4.11 and 4.17.
#: - PIC (vpic_load), PCI_LINK (irq_load_link: the routes only), PIT (pit_load): the
#:   same code from 4.0 to 4.6, no check of these fields, exact lengths 8, 8 and 56.
#: - LAPIC: 16 octets in 4.0 (hvm_load_entry, exact), 24 and zero-extended from 4.1; the
#:   entry is cut to 16. lapic_load_hidden refuses EXTD without EN from 4.5.
#: - MTRR: hvm_load_mtrr_msr keeps msr_mtrr_cap as it is up to 4.11; 240 octets, exact.
#: - VIRIDIAN_VCPU (typecode 17): unknown before 4.2 (HVM_SAVE_CODE_MAX 15, 16), 8
#:   octets exactly in 4.2-4.6 (apic_assist: no _pad); the entry is cut to the 16 of
#:   4.7-4.12, so every release refuses it, for its length or its pad.
#: - CPU_XSAVE (typecode 16): unknown in 4.0. 4.1-4.3's hvm_load_cpu_xsave_states
#:   checks only the host (XSAVE, its area size, xfeature_mask within the host's) and
#:   copies the host's area size: no minimum length, no xcr0 check. 4.4 refuses an entry
#:   under 600 octets, validate_xstate's bits (xcr0_accum within the entry's own
#:   xfeature_mask, xcr0 and xstate_bv within xcr0_accum, x87, YMM with SSE) and any
#:   entry longer than xcr0_accum needs; 4.5 checks valid_xcr0 of both and lets a longer
#:   entry's excess through when it is zero. Neither looks at xcomp_bv or the reserved
#:   words, nor at an entry shorter than xcr0_accum needs (from 600 octets). What the
#:   host decides is taken to allow the image (spec/hvm-context.md, CPU_XSAVE).
HVM_OLD_REPLAYS: dict[str, tuple[str, int, int | None, str, tuple[str, ...]]] = {
    "HVM-CPU-001": ("hvm-context-cpu-pad0", _OLD_CPU, None, "none", (_CHECK_ENTRY, _LOAD_CPU)),
    "HVM-CPU-003": ("hvm-context-cpu-flags", _OLD_CPU, None, "none", (_CHECK_ENTRY, _LOAD_CPU)),
    "HVM-CPU-004": ("hvm-context-cpu-tsc-aux", _OLD_CPU, None, "4.0-4.11", (_LOAD_CPU,)),
    "HVM-CPU-005": ("hvm-context-cpu-dr7", _OLD_CPU, None, "4.0-4.17", (_LOAD_CPU,)),
    "HVM-PIC-002": (
        "hvm-context-pic-master-bit",
        _OLD_PIC,
        None,
        "4.0-4.18",
        ("xen/arch/x86/hvm/vpic.c:vpic_load", "xen/arch/x86/hvm/vpic.c:vpic_check"),
    ),
    "HVM-LINK-002": (
        "hvm-context-pci-link-pad",
        _OLD_LINK,
        None,
        "4.0-4.18",
        ("xen/arch/x86/hvm/irq.c:irq_load_link", "xen/arch/x86/hvm/irq.c:irq_check_link"),
    ),
    "HVM-PIT-001": (
        "hvm-context-pit-speaker",
        _OLD_PIT,
        None,
        "4.0-4.18",
        ("xen/arch/x86/hvm/i8254.c:pit_load", "xen/arch/x86/emul-i8254.c:pit_check"),
    ),
    "HVM-PIT-002": (
        "hvm-context-pit-gate",
        _OLD_PIT,
        None,
        "4.0-4.18",
        ("xen/arch/x86/hvm/i8254.c:pit_load", "xen/arch/x86/emul-i8254.c:pit_check"),
    ),
    "HVM-LAPIC-001": (
        "hvm-context-lapic-extd-without-en",
        _OLD_LAPIC,
        16,
        "4.0-4.4",
        ("xen/arch/x86/hvm/vlapic.c:lapic_load_hidden",),
    ),
    "HVM-MTRR-001": (
        "hvm-context-mtrr-vcnt-9",
        _OLD_MTRR,
        None,
        "4.0-4.11",
        ("xen/arch/x86/hvm/mtrr.c:hvm_load_mtrr_msr",),
    ),
    "HVM-VIRIDIAN-001": (
        "hvm-context-viridian-pad",
        _OLD_VIRIDIAN_VCPU,
        16,
        "none",
        (
            _HVM_LOAD,
            _CHECK_ENTRY,
            "xen/arch/x86/hvm/viridian/viridian.c:viridian_load_vcpu_ctxt",
        ),
    ),
    "HVM-XSAVE-001": (
        "hvm-context-xsave-short",
        _OLD_XSAVE,
        None,
        "4.1-4.3",
        (_HVM_LOAD, _LOAD_XSAVE),
    ),
    "HVM-XSAVE-002": (
        "hvm-context-xsave-reserved",
        _OLD_XSAVE,
        None,
        "4.1-4.6",
        (_HVM_LOAD, _LOAD_XSAVE, _VALIDATE_XSTATE),
    ),
    "HVM-XSAVE-003": (
        "hvm-context-xsave-xcr0",
        _OLD_XSAVE,
        None,
        "4.1-4.3",
        (_HVM_LOAD, _LOAD_XSAVE, _VALIDATE_XSTATE),
    ),
    "HVM-XSAVE-004": (
        "hvm-context-xsave-ymm-without-sse",
        _OLD_XSAVE,
        None,
        "4.1-4.3",
        (_HVM_LOAD, _LOAD_XSAVE, _VALIDATE_XSTATE),
    ),
    "HVM-XSAVE-005": (
        "hvm-context-xsave-tile-half",
        _OLD_XSAVE,
        None,
        "4.1-4.3",
        (_HVM_LOAD, _LOAD_XSAVE, _VALIDATE_XSTATE),
    ),
    "HVM-XSAVE-006": (
        "hvm-context-xsave-nonzero-tail",
        _OLD_XSAVE,
        None,
        "4.1-4.3",
        (_HVM_LOAD, _LOAD_XSAVE),
    ),
    "HVM-XSAVE-007": (
        "hvm-context-xsave-short-for-accum",
        _OLD_XSAVE,
        None,
        "4.1-4.7",
        (_HVM_LOAD, _LOAD_XSAVE),
    ),
}

#: The SHOULD rules on the END entry (HVM-FRAME-003, -004): the recipe's blob from its
#: END descriptor on replaces the sample's END. hvm_load returns at the first typecode 0
#: without reading its instance, length or anything after it, in every release.
HVM_OLD_END_REPLAYS: dict[str, str] = {
    "HVM-FRAME-003": "hvm-context-end-length",
    "HVM-FRAME-004": "hvm-context-after-end",
}


def _blob_entries(blob: bytes) -> tuple[list[tuple[int, int, bytes]], int]:
    """The entries of a blob up to and with its END, and the offset of END's descriptor."""
    out: list[tuple[int, int, bytes]] = []
    off = 0
    while True:
        code, inst, n = struct.unpack_from("<HHI", blob, off)
        if code == 0:
            return [*out, (0, inst, b"")], off
        out.append((code, inst, blob[off + 8 : off + 8 + n]))
        off += 8 + n


def _home_blob(slug: str) -> tuple[Any, bytes]:
    home = next(c for c in REGISTRY if c.slug == slug and "hvm_context" in c.recipe)
    xc = libxc_of(home.build().image)
    assert xc is not None
    return home, next(r for r in xc.records if r.type == XcRecType.HVM_CONTEXT).body_bytes("<")


def _splice_entry(base: bytes, home: bytes, code: int, size: int | None) -> bytes:
    """``base`` with the recipe's entry of ``code`` (instance 0): where ``base`` has one,
    the octets the recipe changed (against the unbroken blob) written over it, the
    entry lengthened to the recipe's only when a changed octet lies beyond it."""
    new = next(p for t, i, p in _blob_entries(home)[0] if (t, i) == (code, 0))
    items, _ = _blob_entries(base)
    at = next((k for k, (t, i, _p) in enumerate(items) if (t, i) == (code, 0)), None)
    if at is not None:
        old = next(p for t, i, p in _hvm_context.entries(1) if (t, i) == (code, 0))
        diff = [k for k, octet in enumerate(new) if k >= len(old) or octet != old[k]]
        mine = bytearray(items[at][2])
        if diff and diff[-1] >= len(mine):  # a field the sample's shorter entry lacks
            mine += new[len(mine) :]
        for k in diff:
            mine[k] = new[k]
        new = bytes(mine)
    new = new if size is None else new[:size]
    if at is None:
        at = next(k for k, (t, _i, _p) in enumerate(items) if t == 0 or t > code)
        items.insert(at, (code, 0, new))
    else:
        items[at] = (code, 0, new)
    return _hvm_context.pack(items)


def _old_hvm_case(slug: str, change: Callable[[bytes, bytes], bytes]) -> Callable[[], Built]:
    def make() -> Built:
        _, blob = _home_blob(slug)
        s = small(64, "hvm")
        for cp in s.image.checkpoints:
            assert isinstance(cp.tail, HvmTail)
            cp.tail.context = change(cp.tail.context, blob)
        return Built(XlFile(b""), encode(s.image))

    make.__name__ = "hvm_context_old_" + slug.removeprefix("hvm-context-").replace("-", "_")
    return make


def _old_hvm_replays() -> None:
    for rid, (slug, code, size, rels, by) in HVM_OLD_REPLAYS.items():
        home, _ = _home_blob(slug)
        assert rid in home.breaks, (rid, slug)
        cut = "" if size is None else f", the entry cut to {size} octets"
        recipe(
            slug,
            f"{home.description} (in a legacy HVM image's tail{cut})",
            tags=tuple(dict.fromkeys(("legacy-stream", *home.tags))),
            breaks=home.breaks,
            permits=home.permits,
            guest="hvm",
            profile=None,
            layers=("legacy",),
            restore=Restore(rels, (f"{_XCDR}:xc_domain_restore", *by, _HVM_SETCONTEXT)),
            legacy=("hvm", 64),
            since=SINCE_OLD_HVM,
        )(_old_hvm_case(slug, lambda base, blob, c=code, n=size: _splice_entry(base, blob, c, n)))
    for rid, slug in HVM_OLD_END_REPLAYS.items():
        home, _ = _home_blob(slug)
        assert rid in home.breaks, (rid, slug)

        def tail(base: bytes, blob: bytes) -> bytes:
            return base[: _blob_entries(base)[1]] + blob[_blob_entries(blob)[1] :]

        recipe(
            slug,
            f"{home.description} (in a legacy HVM image's tail)",
            tags=tuple(dict.fromkeys(("legacy-stream", *home.tags))),
            breaks=home.breaks,
            permits=home.permits,
            guest="hvm",
            profile=None,
            layers=("legacy",),
            restore=Restore("4.0-", (f"{_XCDR}:xc_domain_restore", _HVM_LOAD, _HVM_SETCONTEXT)),
            legacy=("hvm", 64),
            since=SINCE_OLD_HVM,
        )(_old_hvm_case(slug, tail))


_old_hvm_replays()


# --- the xl file's rules around a legacy stream (the XLF rows of PENDING, issue 17) --------

#: xl's mandatory flags: JSON (bit 0), STREAMv2 (bit 1, clear before a legacy stream).
_JSON, _STREAM_V2 = 1, 2


def _xlf_magic(f: XlFile) -> None:
    f.magic = b"Xen saved domain, xl formaT\n \x00 \r"


def _xlf_byteorder(f: XlFile) -> None:
    f.byteorder = 0xDEADBEEF


def _xlf_flag_unknown(f: XlFile) -> None:
    f.mandatory_flags = _JSON | 4


def _xlf_optional_flags(f: XlFile) -> None:
    f.optional_flags = 1


def _xlf_optional_past_end(f: XlFile) -> None:
    f.optional_data_len = 0x1000000


def _xlf_optional_3(f: XlFile) -> None:
    f.config = None
    f.mandatory_flags = 0
    f.optional_extra = b"\x00\x00\x00"


def _xlf_optional_one_less(f: XlFile) -> None:
    assert f.config is not None
    f.optional_data_len = 4 + len(f.config) - 1


def _xlf_json_config_len_0(f: XlFile) -> None:
    f.config = b""


def _xlf_config_len_one_less(f: XlFile) -> None:
    assert f.config is not None
    f.config_len = len(f.config) - 1
    f.optional_data_len = 4 + len(f.config)


def _xlf_config_not_object(f: XlFile) -> None:
    f.config = b'["legacy-guest"]\x00'


def _xlf_stream_v2(f: XlFile) -> None:
    f.mandatory_flags = _JSON | _STREAM_V2


#: The xl_file.py recipes' faults on a legacy xl file (JSON flag set, STREAMv2 clear,
#: the small legacy image after the configuration), one per XLF rule and legacy guest:
#: (slug, what, rule, tags, mutation). Restorability follows the catalogue and the
#: xl flags each release knows (framework.readable). XLF-NEST-002 compares the header's
#: byte order with the libxl stream's: a legacy stream declares none (coverage EXEMPT).
XLF_LEGACY: tuple[tuple[str, str, str, tuple[str, ...], Callable[[XlFile], None]], ...] = (
    ("magic-wrong-letter", "the magic reads 'Xen saved domain, xl formaT'", "XLF-HDR-001",
     ("magic",), _xlf_magic),
    ("byteorder-wrong", "the byteorder word is 0xdeadbeef", "XLF-HDR-002", (), _xlf_byteorder),
    ("mandatory-flag-unknown", "mandatory_flags has bit 2 set besides JSON (0x5)",
     "XLF-HDR-004", ("reserved-bits",), _xlf_flag_unknown),
    ("optional-flags-nonzero", "optional_flags is 1 although no optional flag is defined",
     "XLF-HDR-006", ("reserved-bits",), _xlf_optional_flags),
    ("optional-data-len-past-end", "optional_data_len (0x1000000) declares more optional "
     "data than the file holds", "XLF-OPT-001", ("optional-data", "declared-only"),
     _xlf_optional_past_end),
    ("optional-data-len-3", "optional_data_len is 3, too short for the config_len word",
     "XLF-OPT-002", ("optional-data", "off-by-one"), _xlf_optional_3),
    ("optional-data-len-one-less", "optional_data_len is one less than 4 + config_len",
     "XLF-OPT-003", ("optional-data", "off-by-one"), _xlf_optional_one_less),
    ("json-flag-config-len-0", "the JSON flag is set but config_len is 0", "XLF-CFG-001",
     ("config",), _xlf_json_config_len_0),
    ("config-len-one-less", "config_len is one less than the configuration: the JSON "
     "config loses its NUL", "XLF-CFG-002", ("config", "off-by-one"), _xlf_config_len_one_less),
    ("json-config-not-object", "the JSON configuration is a JSON array, not an object",
     "XLF-CFG-003", ("config",), _xlf_config_not_object),
    ("stream-v2-but-legacy", "the STREAMv2 flag is set but a legacy image follows the "
     "configuration instead of a libxl stream", "XLF-NEST-001", ("nesting",), _xlf_stream_v2),
)  # fmt: skip


def _xlf_legacy(slug: str) -> Callable[[str], Built]:
    mutate = next(m for s, _w, _r, _t, m in XLF_LEGACY if s == slug)

    def make(kind: str) -> Built:
        s = small(
            64,
            "hvm" if kind == "hvm" else "pv",
            levels=None if kind == "hvm" else int(kind[-1]),
        )
        f = XlFile(encode(s.image), config=XL_CONFIG, mandatory_flags=_JSON)
        mutate(f)
        return Built(f, to_bytes(f))

    make.__name__ = "xlf_" + slug.replace("-", "_")
    return make


for _slug, _what, _rule, _tags, _m in XLF_LEGACY:
    _make = _xlf_legacy(_slug)
    for _k in ("hvm", "pv4", "pv3", "pv2"):
        recipe(
            "legacy-" + _slug + _cell_suffix(_k, 64),
            _what + " (a legacy xl file)",
            tags=("xl-header", "legacy-stream", *_tags),
            args=(_k,),
            breaks=(_rule,),
            permits=(() if _rule == "XLF-NEST-001" else ("XLF-STR-001",))
            + (("LEG-GUEST-001",) if _k == "pv2" else ()),
            guest=_guest(_k),
            profile=None,
            layers=("xl",),
            legacy=(KIND[_k], 64),
            since=SINCE_CELLS,
        )(_make)
