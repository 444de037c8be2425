"""Build valid images from a :class:`~xensave.fuzz.choices.Chooser`'s choices.

Every image is a model written by :mod:`xensave.writer`. A valid image respects every
image rule of the catalogue, MUST and SHOULD: the records each guest needs and no
others, their order, P2M frames and page counts that agree, version gating, byte
orders that agree across layers. Variations that the rules allow but let a reader
refuse (big-endian streams, TSC mode 3, a file without config...) are declared in
``permits``; acceptance that rests on a reader rule (skipping unknown optional
records) in ``relies``. Every choice shrinks towards a smaller, plainer image: index
0 of each choice is the simplest option.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .. import pv_context
from ..bodies import (
    CpuidPolicy,
    EmulatorRecord,
    HvmParams,
    MsrPolicy,
    P2mFrames,
    PageData,
    PvBasicContext,
    PvInfo,
    TscInfo,
    VcpuContext,
    encode_xenstore,
    has_data,
    pfn_entry,
)
from ..constants import (
    PAGE_DATA_PFN_MASK,
    PAGE_TYPES_WITHOUT_DATA,
    DomainType,
    EmulatorId,
    HvmParam,
    LibxlRecType,
    PageType,
    XcRecType,
    XlMandatoryFlag,
)
from ..model import (
    DomainHeader,
    Image,
    ImageHeader,
    LibvirtFile,
    LibxcStream,
    LibxlHeader,
    LibxlStream,
    Record,
    XapiImage,
    XapiSection,
    XlFile,
)
from ..samples import pv_extended, pv_xsave
from ..writer import to_bytes
from .choices import Chooser
from .verdicts import Verdict, derive

__all__ = [
    "GUESTS",
    "LAYERS",
    "VERSIONS",
    "Generated",
    "Spec",
    "build_image",
    "domain_xml",
]

GUESTS = ("x86_32-pv", "x86_64-pv", "hvm")
VERSIONS = (2, 3)
#: Outermost layers: the stream layers, then the two wrappers seen in the field.
LAYERS = ("libxc", "libxl", "xl", "libvirt", "xapi")

PAGE = 4096
#: Xen's saver puts at most this many pfns in one PAGE_DATA record.
MAX_BATCH = 1024
OPTIONAL = 0x80000000

X = XcRecType
L = LibxlRecType

# XAPI section kinds (xensave.reader.XapiKind; repeated to keep the reader unimported).
XAPI_XENOPS, XAPI_LIBXC, XAPI_QEMU_TRAD, XAPI_VARSTORED, XAPI_END = (
    0x000F,
    0x00F0,
    0x0F00,
    0x0F11,
    0xFFFF,
)


@dataclass(frozen=True)
class Spec:
    """What images to build: the allowed outermost layers, guests and libxc versions
    (empty: all), and whether big-endian images may be built."""

    layers: tuple[str, ...] = LAYERS
    guests: tuple[str, ...] = GUESTS
    versions: tuple[int, ...] = VERSIONS
    big_endian: bool = True

    def __post_init__(self) -> None:
        for what, got, known in (
            ("layer", self.layers, LAYERS),
            ("guest", self.guests, GUESTS),
            ("version", self.versions, VERSIONS),
        ):
            bad = [x for x in got if x not in known]
            if bad or not got:
                raise ValueError(f"no such {what}: {bad or 'none given'} (known: {known})")


@dataclass
class Generated:
    """A valid image and what it declares.

    ``permits``: MAY/SHOULD rules that let a conforming reader refuse it (its verdict
    is then ``either``); ``relies``: SHOULD rules for readers that accepting it rests
    on. ``image`` is the model; :attr:`data` writes it.
    """

    image: Image
    layer: str  # outermost: libxc, libxl, xl, libvirt, xapi
    guest: str
    version: int
    big_endian: bool = False
    permits: list[str] = field(default_factory=list)
    relies: list[str] = field(default_factory=list)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        """Hypothesis prints examples with this: the short form, never the bytes."""
        p.text(repr(self))

    def __repr__(self) -> str:
        big = ", big-endian" if self.big_endian else ""
        return f"<Generated {self.layer} image, {self.guest}, libxc v{self.version}{big}>"

    @property
    def data(self) -> bytes:
        return to_bytes(self.image)

    @property
    def layers(self) -> tuple[str, ...]:
        """Every layer present, outermost first."""
        return {
            "libxc": ("libxc",),
            "libxl": ("libxl", "libxc"),
            "xl": ("xl", "libxl", "libxc"),
            "libvirt": ("libvirt", "libxl", "libxc"),
            "xapi": ("xapi", "libxc"),
        }[self.layer]

    def verdict(self, role: str = "validator") -> Verdict:
        return derive((), self.permits, self.relies, role=role)

    # -- where things are (for mutations)

    @property
    def libxc(self) -> LibxcStream:
        """The libxc stream (with its headers)."""
        img = self.image
        if isinstance(img, LibxcStream):
            return img
        if isinstance(img, XapiImage):
            for sec in img.sections:
                if isinstance(sec.body, LibxcStream):
                    return sec.body
            raise LookupError("no libxc stream")
        for item in self.libxl.items:
            if isinstance(item, LibxcStream):
                return item
        raise LookupError("no libxc stream")

    @property
    def libxl(self) -> LibxlStream:
        img = self.image
        if isinstance(img, LibxlStream):
            return img
        if isinstance(img, XlFile | LibvirtFile) and isinstance(img.payload, LibxlStream):
            return img.payload
        raise LookupError("no libxl stream")

    @property
    def has_libxl(self) -> bool:
        return self.layer in ("libxl", "xl", "libvirt")


# --- small deterministic contents --------------------------------------------------------


@cache
def fill(seed: int, size: int) -> bytes:
    """Filler octets standing in for opaque state; seed 0 gives zeros."""
    if seed == 0:
        return bytes(size)
    unit = struct.pack("<Q", (seed * 0x9E3779B97F4A7C15) & (2**64 - 1))
    return (unit * (size // 8 + 1))[:size]


# --- libxc records -------------------------------------------------------------------------

#: Page types by how a shrink should simplify them: XTAB (no contents) first, so a
#: failing case shrinks towards a small image.
HVM_TYPES = (PageType.XTAB, PageType.NOTAB, PageType.BROKEN, PageType.XALLOC)


@cache
def pv_types(levels: int) -> tuple[PageType, ...]:
    tables = [PageType(lvl) for lvl in range(1, levels + 1)]
    pinned = [PageType(lvl | 0x8) for lvl in range(1, levels + 1)]
    return (*HVM_TYPES, *tables, *pinned)


def _one_page_record(ch: Chooser, types: Sequence[PageType], pfn: int) -> tuple[PageData, int]:
    entries: list[int] = []
    pages: list[bytes] = []
    if ch.integer(0, 9) == 9:  # a bulk batch, up to Xen's 1024 pfns
        count = ch.integer(9, MAX_BATCH)
        # 0: unpopulated pfns (no contents); 1: every 64th present; 2: all present (at
        # most 256 pages, to keep images small)
        style = ch.integer(0, 9)
        style = 0 if style < 5 else 1 if style < 9 else 2
        if style == 2:
            count = min(count, 256)
        page = fill(ch.integer(0, 3), PAGE)
        # the entries of pfn, pfn + 1, ... with their types' bits or-ed in: a batch can
        # have a thousand, and this runs for one case in ten
        notab, xtab = pfn_entry(0, PageType.NOTAB), pfn_entry(0, PageType.XTAB)
        if style == 2:
            entries = [notab | p for p in range(pfn, pfn + count)]
        elif style == 1:
            entries = [(xtab if i % 64 else notab) | (pfn + i) for i in range(count)]
        else:
            entries = [xtab | p for p in range(pfn, pfn + count)]
        pages = [page] * (count if style == 2 else (count + 63) // 64 if style == 1 else 0)
        pfn += count
    else:
        for _ in range(ch.integer(1, 6)):
            ptype = types[ch.integer(0, len(types) - 1)]
            entries.append(pfn_entry(pfn, ptype))
            if ptype not in PAGE_TYPES_WITHOUT_DATA:
                seed = ch.integer(0, 3)
                # a page table's present entries must name pfns the guest has
                # (XC-PAGE-009): tables stay empty
                pages.append(bytes(PAGE) if ptype & 7 else fill(seed, PAGE))
            pfn += 1 + ch.integer(0, 2)
    return PageData(entries, pages), pfn


def page_records(ch: Chooser, types: Sequence[PageType], max_records: int = 3) -> list[PageData]:
    """1 to ``max_records`` PAGE_DATA bodies over increasing pfns. Most hold a few
    entries; one in ten is a bulk batch of up to 1024."""
    out: list[PageData] = []
    pfn = ch.integer(0, 0x100)
    for _ in range(ch.integer(1, max_records)):
        pd, pfn = ch.sub(_one_page_record, types, pfn)
        out.append(pd)
        pfn += ch.integer(0, 64)
    return out


def max_pfn(pages: Sequence[PageData]) -> int:
    pfn = PAGE_DATA_PFN_MASK.__and__  # one C-level pass a record, not a generator
    return max(max(map(pfn, pd.entries)) for pd in pages)


_LEAVES = (0x0, 0x1, 0x7, 0xD)
_MSRS = (0xCE, 0x10A)  # the two x86_msr_copy_from_buffer knows (XC-POL-009)
# Values of fields no rule constrains come from small tables: one small choice each,
# where a full-width integer would cost a shrink dozens of runs for nothing.
_CPUID_VALUES = (
    (0, 0, 0, 0),
    (0xD, 0x756E6547, 0x6C65746E, 0x49656E69),
    (0x000806EC, 0x00100800, 0xFEDA3203, 0x178BFBFF),
    (0x7, 0x0, 0x340, 0x0),
)
_MSR_VALUES = (0, 1, 0x80000000, 2**32 - 1)  # 0xce's field is 32 bits (XC-POL-011)
#: X86_TSC_INFO (khz, nsec, incarnation).
_TSC_VALUES = (
    (0, 0, 0),
    (2_400_000, 123_456_789, 1),
    (3_000_000, 2**63, 7),
    (1, 2**64 - 1, 2**32 - 1),
)


def policies(ch: Chooser) -> list[Record]:
    """Zero, one or both policy records (version 3, before STATIC_DATA_END)."""
    recs: list[Record] = []
    if ch.integer(0, 1):
        leaves = [
            (leaf, 0 if leaf in (7, 0xD) else 0xFFFFFFFF, *_CPUID_VALUES[ch.integer(0, 3)])
            for leaf in _LEAVES[: ch.integer(1, len(_LEAVES))]
        ]
        recs.append(Record(X.X86_CPUID_POLICY, CpuidPolicy(leaves)))
    if ch.integer(0, 1):
        msrs = [
            (idx, 0, _MSR_VALUES[ch.integer(0, 3)]) for idx in _MSRS[: ch.integer(1, len(_MSRS))]
        ]
        recs.append(Record(X.X86_MSR_POLICY, MsrPolicy(msrs)))
    return recs


def tsc_record(ch: Chooser, permits: list[str]) -> Record:
    # modes 0-2: mode 3 (PVRDTSCP) draws XC-TSC-005's warning (Xen 4.12 and later refuse
    # it); the corpus shows it (tsc-mode-pvrdtscp)
    mode = ch.integer(0, 2)
    return Record(X.X86_TSC_INFO, TscInfo(mode, *_TSC_VALUES[ch.integer(0, 3)]))


def _pv_anchors(pages: list[PageData], levels: int) -> tuple[int, int]:
    """The pfns a vCPU context names: the last top-level page table and the last NOTAB
    page the records send (PV-CR3-001, PV-GDT-002, PV-SIF-001). When the chosen pages
    have none, one more PAGE_DATA record sends them after the others (no choice made).

    :func:`page_records` sends each pfn once, in increasing order, so the last of a
    type is the first found from the end (a bulk batch holds a thousand entries; the
    tables are in the small records); ``tests/test_fuzz_mutations.py`` holds this to
    the long way."""
    top = notab = None
    tops = (levels, levels | 0x8)
    for pd in reversed(pages):
        for e in reversed(pd.entries):
            t = e >> 60
            if top is None and t in tops:
                top = e & PAGE_DATA_PFN_MASK
            elif notab is None and t == PageType.NOTAB:
                notab = e & PAGE_DATA_PFN_MASK
            else:
                continue
            if top is not None and notab is not None:
                return top, notab
    nxt = max_pfn(pages) + 1
    pages.append(
        PageData(
            [pfn_entry(nxt, levels | 0x8), pfn_entry(nxt + 1, PageType.NOTAB)],
            [bytes(PAGE), fill(0, PAGE)],
        )
    )
    return nxt, nxt + 1


def _start_info_in_range(pages: list[PageData], pfn: int, width: int) -> None:
    """The start-info page (``pfn``, as last sent) names itself as XenStore and console
    page, frames the guest has (PV-SIF-002)."""
    for pd in reversed(pages):
        with_data = [e & PAGE_DATA_PFN_MASK for e in pd.entries if has_data(e >> 60)]
        if pfn in with_data:
            k = with_data.index(pfn)
            page = bytearray(pd.pages[k])
            fmt, at = ("<Q", (56, 72)) if width == 8 else ("<I", (44, 52))
            for offset in at:
                struct.pack_into(fmt, page, offset, pfn)
            pd.pages[k] = bytes(page)
            return


@cache
def _pv_template(width: int, vcpu: int) -> bytes:
    return pv_context.sample(width, vcpu, top_pfn=0, gdt_pfn=0, start_info_pfn=0)


def pv_sample(width: int, vcpu: int, top: int, gdt: int, start_info: int) -> bytes:
    """``pv_context.sample`` of those anchors, made by writing them into the sample of
    anchors 0 (encoding a whole context for each vCPU of each case cost more than the
    rest of its record): only ``ctrlreg[3]``, ``gdt_frames[0]`` and vCPU 0's
    edx/rdx depend on them. ``tests/test_fuzz_mutations.py`` holds the two equal."""
    ctx = bytearray(_pv_template(width, vcpu))
    word = "<Q" if width == 8 else "<I"
    at = pv_context.offset_of
    struct.pack_into(word, ctx, at(width, "ctrlreg[3]"), pv_context.pfn_to_cr3(top, width))
    struct.pack_into(word, ctx, at(width, "gdt_frames[0]"), gdt)
    if vcpu == 0:
        dx = "user_regs.rdx" if width == 8 else "user_regs.edx"
        struct.pack_into(word, ctx, at(width, dx), start_info)
    return bytes(ctx)


#: The sample EXTENDED and XSAVE contexts of a vCPU: the same octets every time, and
#: hashing the XSAVE area's filler cost a tenth of building a PV case.
_extended = cache(pv_extended)
_xsave = cache(pv_xsave)


def _pv_vcpu(ch: Chooser, width: int, v: int, top: int, notab: int) -> list[Record]:
    ch.integer(0, 3)  # was the blobs' filler seed: kept, so stored choices still line up
    basic = pv_sample(width, v, top, notab, notab)
    recs = [Record(X.X86_PV_VCPU_BASIC, PvBasicContext(v, basic))]
    # what the hypervisor takes back (PV-EXT, PV-XSV, PV-MSR): an ext_vcpucontext of 32
    # to 128 octets that says its size, an XSAVE state of one of the sizes
    # x87|SSE|YMM make, the MSRs set_vcpu_msrs restores
    if ch.integer(0, 1):
        size = 32 + (ch.integer(1, 128) - 1) % 97
        ext = bytearray(_extended(width, v).ljust(128, b"\0")[:size])
        struct.pack_into("<I", ext, 4, size)
        recs.append(Record(X.X86_PV_VCPU_EXTENDED, VcpuContext(v, bytes(ext))))
    if ch.integer(0, 1):
        kind = ch.integer(16, 1100) % 3
        xsave = bytes(16) if kind == 0 else _xsave(v)
        if kind == 1:  # x87|SSE only: the FXSAVE region and header
            xsave = struct.pack("<QQ", 3, 3) + xsave[16 : 16 + 512] + struct.pack("<Q", 3)
            xsave = xsave.ljust(16 + 576, b"\0")
        recs.append(Record(X.X86_PV_VCPU_XSAVE, VcpuContext(v, xsave)))
    if ch.integer(0, 1):
        body = b"".join(struct.pack("<IIQ", _PV_MSRS[i], 0, v + i) for i in range(ch.integer(1, 4)))
        recs.append(Record(X.X86_PV_VCPU_MSRS, VcpuContext(v, body)))
    return recs


#: MSRs XEN_DOMCTL_set_vcpu_msrs restores (PV-MSR-002): TSC_AUX, SPEC_CTRL,
#: MISC_FEATURES_ENABLES, the AMD DR0 address mask.
_PV_MSRS = (0xC0000103, 0x48, 0x140, 0xC0011027)


@cache
def hvm_context(vcpus: int, seed: int) -> bytes:
    """A plausible HVM context blob: HEADER, a CPU entry per vCPU, END (made once for
    each of the few arguments the builder gives)."""

    def desc(code: int, inst: int, payload: bytes) -> bytes:
        return struct.pack("<HHI", code, inst, len(payload)) + payload

    out = desc(1, 0, struct.pack("<IIQII", 0x54381286, 1, 0, 0x000806EC, 2_400_000))
    for v in range(vcpus):
        cpu = bytearray(fill(seed + v, 1024))
        # what hvm_load_cpu_ctxt checks: CR0 (HVM-CPU-002), DR6/DR7 and TSC_AUX in 32 bits
        struct.pack_into("<Q", cpu, 656, 0x80050033)
        struct.pack_into("<QQ", cpu, 720, 0xFFFF0FF0, 0x400)
        struct.pack_into("<Q", cpu, 1000, 0)
        out += desc(2, v, bytes(cpu))
    return out + desc(0, 0, b"")


HVM_PARAMS = (
    (HvmParam.STORE_PFN, 0xFEFFC),
    (HvmParam.CALLBACK_IRQ, 1 << 56 | 0x5C),
    (HvmParam.STORE_EVTCHN, 1),
    (HvmParam.IOREQ_PFN, 0xFEFFF),
    (HvmParam.BUFIOREQ_PFN, 0xFEFFE),
    (HvmParam.TIMER_MODE, 1),
    (HvmParam.CONSOLE_PFN, 0xFEFFD),
    (HvmParam.IDENT_PT, 0xFC009000),
    (HvmParam.VM86_TSS_SIZED, (0x80 << 32) | 0xFC00A000),
    (HvmParam.X87_FIP_WIDTH, 8),
)


def insert_optional(ch: Chooser, recs: list[Record], tail: int) -> int:
    """Insert optional records of unknown types (none most of the time) anywhere
    before the last ``tail`` records; return how many."""
    n = ch.integer(1, 2) if ch.integer(0, 3) == 3 else 0
    for _ in range(n):
        rtype = OPTIONAL | ch.integer(0, 0x7FFFFFFF)
        body = ch.binary(24)
        recs.insert(ch.integer(0, len(recs) - tail), Record(rtype, body))
    return n


def _hvm_records(ch: Chooser, static: list[Record], permits: list[str]) -> list[Record]:
    recs = [*static, *(Record(X.PAGE_DATA, pd) for pd in ch.sub(page_records, HVM_TYPES))]
    recs.append(tsc_record(ch, permits))
    ctx = Record(X.HVM_CONTEXT, hvm_context(ch.integer(1, 3), ch.integer(0, 3)))
    n = ch.integer(1, len(HVM_PARAMS))
    params = Record(X.HVM_PARAMS, HvmParams([(int(i), v) for i, v in HVM_PARAMS[:n]]))
    recs += [params, ctx] if ch.integer(0, 1) else [ctx, params]
    return recs


def _pv_records(ch: Chooser, width: int, static: list[Record], permits: list[str]) -> list[Record]:
    levels = 4 if width == 8 else 3
    recs = [Record(X.X86_PV_INFO, PvInfo(width, levels)), *static]
    pages = ch.sub(page_records, pv_types(levels))
    top, notab = _pv_anchors(pages, levels)
    fpp = PAGE // width
    end = max_pfn(pages)
    # a start in the first P2M frame: the list must cover frame 0 on (XC-P2M-005)
    start = ch.integer(0, end) % fpp if ch.integer(0, 3) == 3 else 0
    # every frame of the list on the NOTAB page the contexts use (XC-P2M-005)
    frames = [notab] * (end // fpp - start // fpp + 1)
    recs.append(Record(X.X86_PV_P2M_FRAMES, P2mFrames(start, end, frames)))
    _start_info_in_range(pages, notab, width)
    recs += [Record(X.PAGE_DATA, pd) for pd in pages]
    recs.append(tsc_record(ch, permits))
    recs.append(Record(X.SHARED_INFO, fill(ch.integer(0, 3), PAGE)))
    for v in range(ch.integer(1, 3)):
        recs += ch.sub(_pv_vcpu, width, v, top, notab)
    return recs


def libxc_stream(
    ch: Chooser,
    guest: str,
    version: int,
    big_endian: bool,
    permits: list[str],
    relies: list[str],
    converted: bool = False,
) -> LibxcStream:
    """A valid libxc stream. ``converted``: as converted from a legacy image
    (xen_major 0)."""
    static = [*ch.sub(policies), Record(X.STATIC_DATA_END)] if version >= 3 else []
    if guest == "hvm":
        recs = _hvm_records(ch, static, permits)
        dom = DomainType.X86_HVM
    else:
        recs = _pv_records(ch, 4 if guest == "x86_32-pv" else 8, static, permits)
        dom = DomainType.X86_PV
    recs.append(Record(X.END))
    if ch.sub(insert_optional, recs, 1):
        relies.append("XC-REC-007")
    if converted:
        xen = (0, ch.integer(1, 3))
    elif version >= 3:
        xen = (4, ch.integer(14, 20))
    else:
        xen = (4, ch.integer(6, 13))
    if big_endian:
        permits.append("XC-HDR-006")
    return LibxcStream(
        ImageHeader(version=version, options=1 if big_endian else 0),
        DomainHeader(dom, 12, *xen),
        recs,
    )


# --- libxl, xl and the wrappers ------------------------------------------------------------

XS_KEYS = (
    "state",
    "physmap/f0000000/start_addr",
    "physmap/f0000000/size",
    "physmap/f0000000/name",
    "@vnc",
    "device-model/7/state",
)
XS_VALUES = ("running", "f0000000", "1000000", "vga.vram", "", "x86_64")


def emulator_records(ch: Chooser, converted: bool, permits: list[str]) -> list[Record]:
    ids = [EmulatorId.QEMU_UPSTREAM, EmulatorId.QEMU_TRADITIONAL]
    if converted:
        ids.append(EmulatorId.UNKNOWN)  # only with the legacy bit (XL-EMU-003)
    emu = ids[ch.integer(0, len(ids) - 1)]
    if emu == EmulatorId.QEMU_TRADITIONAL:
        permits.append("XL-EMU-005")
    recs: list[Record] = []
    if ch.integer(0, 1):
        pairs = [
            (XS_KEYS[ch.integer(0, len(XS_KEYS) - 1)], XS_VALUES[ch.integer(0, len(XS_VALUES) - 1)])
            for _ in range(ch.integer(1, 3))
        ]
        recs.append(
            Record(L.EMULATOR_XENSTORE_DATA, EmulatorRecord(emu, 0, encode_xenstore(pairs)))
        )
    context = b"QEVM" + fill(7, ch.integer(0, 600))
    recs.append(Record(L.EMULATOR_CONTEXT, EmulatorRecord(emu, 0, context)))
    return recs


def libxl_stream(
    ch: Chooser,
    guest: str,
    version: int,
    big_endian: bool,
    permits: list[str],
    relies: list[str],
    converted: bool = False,
) -> LibxlStream:
    """A valid libxl stream; ``converted``: from a legacy image (version 2 only)."""
    xc = ch.sub(libxc_stream, guest, version, big_endian, permits, relies, converted)
    after: list[Record] = []
    if guest == "hvm":
        after += ch.sub(emulator_records, converted, permits)
    after.append(Record(L.END))
    if ch.sub(insert_optional, after, 1):
        permits.append("XL-REC-006")
    if big_endian:
        permits.append("XL-HDR-004")
    options = (1 if big_endian else 0) | (2 if converted else 0)
    return LibxlStream(LibxlHeader(options=options), [Record(L.LIBXC_CONTEXT), xc, *after])


_NAMES = ("guest", "web-01", "db")


@cache
def config_json(guest: str, name: str) -> bytes:
    """The JSON domain configuration xl stores, NUL-terminated."""
    cfg = {
        "c_info": {"type": "hvm" if guest == "hvm" else "pv", "name": name},
        "b_info": {"max_vcpus": 2, "max_memkb": 131072, "target_memkb": 131072},
    }
    return json.dumps(cfg, sort_keys=True).encode() + b"\x00"


def xl_file(
    ch: Chooser, libxl: LibxlStream, guest: str, big_endian: bool, permits: list[str]
) -> XlFile:
    name = _NAMES[ch.integer(0, len(_NAMES) - 1)]
    kind = ch.integer(0, 5)
    if big_endian:
        permits.append("XLF-HDR-003")
    if kind == 5:  # no config at all: the restorer needs one from elsewhere
        permits.append("XLF-CFG-005")
        return XlFile(libxl, config=None, big_endian=big_endian)
    extra = ch.binary(12) if kind == 4 else b""
    if kind == 3:  # xl configuration-file syntax, no JSON flag
        config = f'name = "{name}"\nmemory = 128\n'.encode() + b"\x00"
        flags = int(XlMandatoryFlag.STREAM_V2)
        return XlFile(
            libxl, config=config, big_endian=big_endian, mandatory_flags=flags,
            optional_extra=extra,
        )  # fmt: skip
    return XlFile(
        libxl, config=config_json(guest, name), big_endian=big_endian, optional_extra=extra
    )


@cache
def domain_xml(guest: str, name: str) -> bytes:
    """A small libvirt domain definition, NUL-terminated as libvirt stores it."""
    os_type = "hvm" if guest == "hvm" else "linux"
    arch = "i686" if guest == "x86_32-pv" else "x86_64"
    xml = (
        f"<domain type='xen'>\n  <name>{name}</name>\n"
        "  <memory unit='KiB'>131072</memory>\n  <vcpu>2</vcpu>\n"
        f"  <os>\n    <type arch='{arch}'>{os_type}</type>\n  </os>\n</domain>\n"
    )
    return xml.encode() + b"\x00"


#: xenopsd's metadata (an S-expression) and a device model state blob.
XENOPS_META = b'((vm_str "((id 8c1f3a52-6d0e-4b7a-9f21-3e5d7c9a0b14)(name fuzz))"))'
QEMU_STATE = b"QEVM\x00\x00\x00\x03" + bytes(56)


def xapi_image(ch: Chooser, xc: LibxcStream, guest: str) -> XapiImage:
    sections = [XapiSection(XAPI_XENOPS, XENOPS_META), XapiSection(XAPI_LIBXC, xc)]
    if ch.integer(0, 1):
        sections.append(XapiSection(XAPI_VARSTORED, b"VARS" + bytes(28)))
    if guest == "hvm":
        sections.append(XapiSection(XAPI_QEMU_TRAD, QEMU_STATE))
    sections.append(XapiSection(XAPI_END))
    return XapiImage(sections)


_BY_SIZE = ("hvm", "x86_32-pv", "x86_64-pv")


def build_image(ch: Chooser, spec: Spec | None = None) -> Generated:
    """A valid image within ``spec``."""
    spec = spec or Spec()
    # Choice 0 of each is the smallest image, so shrinking makes images smaller.
    layers = sorted(spec.layers, key=LAYERS.index)
    guests = sorted(spec.guests, key=_BY_SIZE.index)
    versions = sorted(spec.versions)
    layer = layers[ch.integer(0, len(layers) - 1)]
    guest = guests[ch.integer(0, len(guests) - 1)]
    version = versions[ch.integer(0, len(versions) - 1)]
    # Drawn whatever the layer, so that a shrink changing the layer keeps the rest of
    # the choices where they were. Neither wrapper is written on a big-endian host;
    # only a version 2 stream can be converted from a legacy image.
    big = ch.integer(0, 15) == 15 and spec.big_endian and layer not in ("libvirt", "xapi")
    converted = ch.integer(0, 7) == 7 and version == 2
    permits: list[str] = []
    relies: list[str] = []
    image: Image
    if layer in ("libxc", "xapi"):
        xc = ch.sub(libxc_stream, guest, version, big, permits, relies)
        image = ch.sub(xapi_image, xc, guest) if layer == "xapi" else xc
    else:
        libxl = ch.sub(libxl_stream, guest, version, big, permits, relies, converted)
        if layer == "xl":
            image = ch.sub(xl_file, libxl, guest, big, permits)
        elif layer == "libvirt":
            image = LibvirtFile(libxl, domain_xml(guest, _NAMES[ch.integer(0, 1)]))
        else:
            image = libxl
    return Generated(
        image, layer, guest, version, big, list(dict.fromkeys(permits)), list(dict.fromkeys(relies))
    )
