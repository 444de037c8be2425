"""Deterministic legacy images, each with the v2/v3 content it stands for.

``build`` returns a legacy image model and, built independently from the same
parameters, the libxc records and libxl emulator records a faithful conversion must
produce. Tests compare a converter's output with ``Expected``, never with the
converter's own earlier output.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

from .. import pv_context
from ..bodies import EmulatorRecord, HvmParams, P2mFrames, PageData, PvInfo, TscInfo, VcpuContext
from ..constants import DomainType, EmulatorId, HvmParam, LibxlRecType, XcRecType
from ..model import DomainHeader, ImageHeader, LibxcStream, LibxlHeader, LibxlStream, Record, XlFile
from ..samples import QEMU_STATE_SIZE, hvm_context_blob, pv_extended, pv_xsave
from .format import CONVERTER_VERSION as CONVERTER_VERSION
from .format import (
    DM_QEMU_TO_EOF,
    DM_RECORD_0002,
    EXT_VCPU_SIZE,
    HVM_PARAM_CHUNKS,
    PAGE_SIZE,
    VCPU_SIZE_X86_32,
    VCPU_SIZE_X86_64,
    XTAB_FILLER,
    Checkpoint,
    Chunk,
    HvmTail,
    LegacyImage,
    PageBatch,
    PhysmapEntry,
    PvTail,
    RawChunk,
    compress_page,
    compressed,
    encode_physmap,
    ext_vcpu_block,
    ext_xcnt_block,
    has_data,
    hvm_param,
    marker,
    p2m_frame_count,
    physmap_xenstore,
    toolstack,
    tsc_info,
    vcpu_info,
)

TYPE_CHECKING = False  # mypy reads this as true
if TYPE_CHECKING:
    from .format import Guest, Width

LIBXL_OPT_LEGACY = 2
#: Octets of each vCPU's XSAVE state: xcr0, xcr0_accum (x87|SSE|YMM) and that area.
XSAVE_AREA = 16 + 576 + 256


def blob(seed: str, size: int) -> bytes:
    out = bytearray()
    n = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}/{n}".encode()).digest()
        n += 1
    return bytes(out[:size])


def page(pfn: int, generation: int = 0) -> bytes:
    return struct.pack("<QQ", pfn, generation) * (PAGE_SIZE // 16)


def to_entry(word: int) -> int:
    return ((word & 0xF0000000) << 32) | (word & 0x0FFFFFFF)


@dataclass
class Expected:
    """The content a conversion must carry: libxc records after the headers (without
    STATIC_DATA_END, which depends on the version), emulator records, config."""

    guest: Guest
    records: list[Record] = field(default_factory=list)
    emulator: list[Record] = field(default_factory=list)
    config: bytes | None = None

    def libxc(self, version: int = 3) -> LibxcStream:
        recs = list(self.records)
        if version >= 3:
            at = 1 if recs and recs[0].type == XcRecType.X86_PV_INFO else 0
            recs.insert(at, Record(XcRecType.STATIC_DATA_END))
        dtype = DomainType.X86_PV if self.guest == "pv" else DomainType.X86_HVM
        return LibxcStream(
            ImageHeader(version=version),
            DomainHeader(dtype, 12, 0, CONVERTER_VERSION),
            recs,
        )

    def libxl(self, version: int = 3) -> LibxlStream:
        items: list[Record | LibxcStream] = [
            Record(LibxlRecType.LIBXC_CONTEXT),
            self.libxc(version),
        ]
        items += self.emulator
        items.append(Record(LibxlRecType.END))
        return LibxlStream(LibxlHeader(options=LIBXL_OPT_LEGACY), items)

    def xl(self, version: int = 3) -> XlFile:
        return XlFile(self.libxl(version), config=self.config)


@dataclass
class Sample:
    name: str
    image: LegacyImage
    expected: Expected
    xl_config: bytes | None = None  # wrap in a legacy xl file with this config

    def data(self) -> bytes:
        from .format import encode

        raw = encode(self.image)
        if self.xl_config is None:
            return raw
        from ..writer import to_bytes

        return to_bytes(XlFile(raw, config=self.xl_config, mandatory_flags=1))


def _pv_types(levels: int) -> list[int]:
    """Page-type nibbles of the first pfns: a top-level table pinned, then tables."""
    if levels == 4:
        return [0xC, 0x3, 0x2, 0x1, 0x1]
    if levels == 3:
        return [0xB, 0x2, 0x2, 0x1, 0x1]
    return [0xA, 0x1, 0x1, 0x1, 0x1]


def _vcpu_context(guest_width: int, vcpu: int, checkpoint: int, start_info: int) -> bytes:
    """A realistic vcpu_guest_context (xensave.pv_context.sample): CR3 on the top-level
    table at pfn 0, the GDT on pfn 5 and the start-info page on pfn ``start_info``
    (NOTAB pfns of the first batch); rax/eax counts the checkpoint."""
    ctx = pv_context.sample(guest_width, vcpu, top_pfn=0, gdt_pfn=5, start_info_pfn=start_info)
    if guest_width == 8:
        return pv_context.replace(ctx, 8, rax=checkpoint)
    return pv_context.replace(ctx, 4, eax=checkpoint)


def build(
    width: Width,
    guest: Guest,
    *,
    levels: int | None = None,
    vcpus: int = 2,
    xsave: bool = True,
    remus: bool = False,
    dm: bytes = DM_RECORD_0002,
    physmap: bool = True,
    xl_config: bytes | None = None,
    unmapped: tuple[int, ...] = (),
    pages: frozenset[int] | None = None,
    start_info: int = 6,
    qemu_size: int = 3000,
) -> Sample:
    """A legacy image and what it converts to. ``levels`` (PV): 4 for an x86_64 guest,
    3 (PAE) or 2 (non-PAE) for an x86_32 guest; ``pages``: send only these pfns (the
    rest of the batches' pfns are left out, filler and XTAB words stay); ``start_info``:
    the start-info pfn vCPU 0's context names (the GDT is on pfn 5); ``qemu_size``: the
    octets of an HVM tail's qemu state after its "QEVM" magic."""
    p2m_size = 64
    exp = Expected(guest, config=xl_config)
    img = LegacyImage(width, guest, p2m_size)
    seed = f"{width}-{guest}-{levels}"
    if guest == "pv":
        levels = levels or 4
        gw = 8 if levels == 4 else 4
        vsize = VCPU_SIZE_X86_64 if gw == 8 else VCPU_SIZE_X86_32
        ctxs = [_vcpu_context(gw, v, 0, start_info) for v in range(vcpus)]
        assert len(ctxs[0]) == vsize
        img.ext_blocks = [ext_vcpu_block(ctxs[0]), (b"extv", b"")]
        if xsave:
            img.ext_blocks.append(ext_xcnt_block(XSAVE_AREA + 16))
        nframes = p2m_frame_count(p2m_size, gw)
        img.p2m_frames = [32 + i for i in range(nframes)]  # NOTAB pages it sends
        exp.records.append(Record(XcRecType.X86_PV_INFO, PvInfo(gw, levels)))
        exp.records.append(
            Record(XcRecType.X86_PV_P2M_FRAMES, P2mFrames(0, p2m_size - 1, img.p2m_frames))
        )
    cps = 2 if remus else 1
    history: dict[int, bytes] = {}
    for c in range(cps):
        cp = Checkpoint()
        compressing = remus and c > 0
        types = _pv_types(levels or 4) if guest == "pv" else []
        # batch 1: 16 pfns from 8*c, with tables first (PV), a ballooned pfn and fillers
        pfns = [p for p in range(8 * c, 8 * c + 16) if pages is None or p in pages]
        words = []
        for pfn in pfns:
            i = pfn - 8 * c
            t = types[i] if i < len(types) and c == 0 else 0
            words.append((t << 28) | pfn)
        words.append((0xF << 28) | 50)  # a real XTAB entry: kept
        words += [XTAB_FILLER, XTAB_FILLER]  # spurious: dropped
        new_pages = {
            pfn: page(pfn, c)
            if not compressing or pfn % 2
            else page(pfn, 0)[:2048] + page(pfn, c)[2048:]
            for pfn in pfns
        }
        kept = [w for w in words if w != XTAB_FILLER]
        data_pfns = [w & 0x0FFFFFFF for w in kept if has_data(w)]
        if not compressing:
            cp.body.append(PageBatch(words, [new_pages[p] for p in data_pfns]))
        else:
            cp.body.append(PageBatch(words))
        batch2 = [] if compressing else [p for p in range(32, 40) if pages is None or p in pages]
        if batch2:
            cp.body.append(PageBatch(batch2, [page(p, c) for p in batch2]))
            for p in batch2:
                new_pages[p] = page(p, c)
        if compressing:
            comp = b"".join(compress_page(new_pages[p], history.get(p)) for p in data_pfns)
            cp.body.append(compressed(comp, width))
        exp.records.append(
            Record(
                XcRecType.PAGE_DATA,
                PageData([to_entry(w) for w in kept], [new_pages[p] for p in data_pfns]),
            )
        )
        if batch2:
            exp.records.append(
                Record(
                    XcRecType.PAGE_DATA,
                    PageData([to_entry(p) for p in batch2], [page(p, c) for p in batch2]),
                )
            )
        history.update(new_pages)
        online = list(range(vcpus))
        cp.body.append(vcpu_info(max(online), online))
        params: list[tuple[int, int]] = []
        if guest == "hvm":
            for ctype in (Chunk.HVM_IDENT_PT, Chunk.HVM_CONSOLE_PFN, Chunk.HVM_VIRIDIAN):
                value = 0xFEFFC000 + int(-ctype) + c
                if ctype == Chunk.HVM_VIRIDIAN:  # base_freq: hvm_set_param refuses a value
                    value = 1  # without it (XC-HVMP-009), and any change once set
                cp.body.append(hvm_param(ctype, value))
                params.append((HVM_PARAM_CHUNKS[ctype], value))
        if c == cps - 1:
            cp.body.append(tsc_info(0, 123456789 + c, 2400000, 7))
            exp.records.append(
                Record(XcRecType.X86_TSC_INFO, TscInfo(0, 2400000, 123456789 + c, 7))
            )
        phys = [
            PhysmapEntry(0xF0000000, 0xF0000000, 0x800000, b"vga.vram"),
            PhysmapEntry(0xF1000000, 0xC0000, 0x20000, b"xen.rom"),
        ]
        if guest == "hvm" and physmap:
            cp.body.append(toolstack(encode_physmap(phys, width)))
        if remus and c == 0:
            cp.body.append(marker(Chunk.ENABLE_COMPRESSION))
        if not remus:
            cp.body.append(marker(Chunk.LAST_CHECKPOINT))
        if guest == "pv":
            tail = PvTail(
                list(unmapped),
                [_vcpu_context(gw, v, c, start_info) for v in range(vcpus)],
                # what the hypervisor hands out (the restore path checks them: PV-EXT, -XSV)
                [_legacy_extended(gw, v) for v in range(vcpus)],
                [(7, pv_xsave(v)) for v in range(vcpus)] if xsave else [],
                blob(f"{seed}/shinfo/{c}", PAGE_SIZE),
            )
            cp.tail = tail
            if c == cps - 1:
                if unmapped:
                    exp.records.append(
                        Record(
                            XcRecType.PAGE_DATA,
                            PageData([to_entry((0xF << 28) | p) for p in unmapped]),
                        )
                    )
                for v in range(vcpus):
                    exp.records.append(
                        Record(XcRecType.X86_PV_VCPU_BASIC, VcpuContext(v, tail.vcpus[v]))
                    )
                    exp.records.append(
                        Record(XcRecType.X86_PV_VCPU_EXTENDED, VcpuContext(v, tail.extended[v]))
                    )
                    if xsave:
                        exp.records.append(
                            Record(XcRecType.X86_PV_VCPU_XSAVE, VcpuContext(v, tail.xsave[v][1]))
                        )
                exp.records.append(Record(XcRecType.SHARED_INFO, tail.shared_info))
        else:
            ctx = hvm_context_blob(1 + c)  # well-formed (HVM-*), one vCPU more each time
            dm_data = b"QEVM" + blob(f"{seed}/qemu/{c}", qemu_size)
            sig = dm if c == cps - 1 else b"RemusDeviceModelState"
            magic = (0xFEFF0 + c, 0xFEFF1, 0xFEFF2)
            cp.tail = HvmTail(magic, ctx, sig, dm_data)
            if c == cps - 1:
                exp.records.append(Record(XcRecType.HVM_CONTEXT, ctx))
                allp = [
                    *params,
                    (HvmParam.IOREQ_PFN, magic[0]),
                    (HvmParam.BUFIOREQ_PFN, magic[1]),
                    (HvmParam.STORE_PFN, magic[2]),
                ]
                exp.records.append(Record(XcRecType.HVM_PARAMS, HvmParams(allp)))
                if physmap:
                    exp.emulator.append(
                        Record(
                            LibxlRecType.EMULATOR_XENSTORE_DATA,
                            EmulatorRecord(EmulatorId.UNKNOWN, 0, physmap_xenstore(phys)),
                        )
                    )
                exp.emulator.append(
                    Record(
                        LibxlRecType.EMULATOR_CONTEXT,
                        EmulatorRecord(EmulatorId.UNKNOWN, 0, dm_data),
                    )
                )
        img.checkpoints.append(cp)
    exp.records.append(Record(XcRecType.END))
    name = f"{'pv' if guest == 'pv' else 'hvm'}"
    if guest == "pv":
        name = {4: "x86_64-pv", 3: "x86_32-pae-pv", 2: "x86_32-nonpae-pv"}[levels or 4]
    name = f"{name}_ts{width}" + ("_remus" if remus else "") + ("_xl" if xl_config else "")
    if dm == DM_QEMU_TO_EOF and guest == "hvm":
        name += "_qemu-to-eof"
    return Sample(name, img, exp, xl_config)


#: The pfns a small image sends: for PV the top-level table its vCPU context's CR3
#: names (0), the page that is both its GDT and its start-info page (5, as in the
#: libxc bases of xensave.samples) and its p2m frame (32), each of which every
#: release's restorer wants sent (see :func:`small`); for HVM pfn 0. A Remus image
#: also sends pfns 8 and 9, which its second, compressed checkpoint resends.
SMALL_PAGES = {"pv": frozenset({0, 5, 32}), "hvm": frozenset({0})}
#: The start-info pfn of the small base (its GDT frame too).
SMALL_START_INFO = 5
SMALL_REMUS = frozenset({8, 9})


def small(
    width: Width,
    guest: Guest,
    *,
    levels: int | None = None,
    remus: bool = False,
    dm: bytes = DM_RECORD_0002,
    xl_config: bytes | None = None,
    vcpus: int = 1,
) -> Sample:
    """The small base of the legacy corpus cases: :func:`build` with only what a
    restore needs, one vCPU unless told (an x86_64 PV image is about 26 KiB, an HVM
    one about 6 KiB, where the full samples are 100-125 KiB).

    What a PV image keeps, and the Xen function that wants it:

    - the ``vcpu`` extended-info block: 4.0-4.5's ``load_p2m_frame_list`` would take the
      toolstack's width without it, but convert-legacy-stream (4.6 on) takes the guest's
      width and the tail's context size from it alone (``read_pv_extended_info``);
    - the pinned top-level table CR3 names, sent with its table type
      (``xc_domain_restore`` 4.0-4.5, ``process_vcpu_basic`` from 4.6);
    - the start-info page vCPU 0's edx/rdx names, sent as NOTAB, whose store and
      console pfns (both 0 here) lie within the guest (``xc_domain_restore``,
      ``process_start_info``); the one GDT frame (gdt_ents 32) is that same NOTAB
      page, which is all the restorers ask of a GDT frame (``xc_domain_restore``,
      ``process_vcpu_basic``);
    - each p2m frame, sent as NOTAB (``xc_domain_restore``, ``update_guest_p2m``);
    - the tail: a context per online vCPU and the shared-info page (both read whole).

    An HVM image's tail carries the small samples' qemu state (``QEMU_STATE_SIZE``
    octets after "QEVM", as the libxl bases' EMULATOR_CONTEXT): Xen reads the device
    model's record by its length, or to the end for the old signature, and hands the
    octets to qemu unread (``buffer_qemu`` and ``compat_buffer_qemu`` in
    xc_domain_restore.c to 4.5, convert-legacy-stream's ``read_qemu`` from 4.6), so
    their size decides no rule.

    What it leaves out: the XSAVE state (no ``xcnt`` block: XSAVE records are optional
    from 4.6, and 4.0-4.5 read the state only when ``xcnt`` says so); :func:`add_xsave`
    puts it back for the recipes on it. The ``extv`` block and the 128-octet extended
    contexts stay (136 octets a vCPU): recipes break them."""
    pages = SMALL_PAGES[guest] | (SMALL_REMUS if remus else frozenset())
    return build(
        width,
        guest,
        levels=levels,
        vcpus=vcpus,
        xsave=False,
        remus=remus,
        dm=dm,
        xl_config=xl_config,
        pages=pages,
        start_info=SMALL_START_INFO,
        qemu_size=QEMU_STATE_SIZE,
    )


def _legacy_extended(width: int, vcpu: int) -> bytes:
    """The tail's 128-octet extended context with ``size`` 32, no vMCE state: the one size
    every release restores. Xen 4.0-4.1's XEN_DOMCTL_set_ext_vcpucontext takes only
    ``sizeof`` its struct then (32), 4.2-4.5 any size from 32 (the offset of ``mcg_cap``,
    then of ``vmce``), and from 4.6 ``vcpu_set_vmce`` sets no vMCE state for it."""
    ext = bytearray(pv_extended(width, vcpu)[:32])
    struct.pack_into("<I", ext, 4, 32)
    return bytes(ext).ljust(EXT_VCPU_SIZE, b"\0")


def add_xsave(img: LegacyImage) -> None:
    """Give a PV image built without XSAVE state the ``xcnt`` block and, in each tail,
    each vCPU's XSAVE area that :func:`build` writes by default."""
    img.ext_blocks.append(ext_xcnt_block(XSAVE_AREA + 16))
    img.ext_total = None
    for cp in img.checkpoints:
        if isinstance(cp.tail, PvTail):
            cp.tail.xsave = [(7, pv_xsave(v)) for v in range(len(cp.tail.vcpus))]


XL_CONFIG = b'{"c_info": {"name": "legacy-guest"}}\x00'


def standard_samples() -> list[Sample]:
    out = []
    for width in (32, 64):
        w: Width = 32 if width == 32 else 64
        out.append(build(w, "pv", levels=4))
        out.append(build(w, "pv", levels=3))
        out.append(build(w, "pv", levels=2))
        out.append(build(w, "hvm"))
        out.append(build(w, "hvm", xl_config=XL_CONFIG))
        out.append(build(w, "pv", levels=4, xl_config=XL_CONFIG))
    return out


_ = RawChunk  # re-exported for callers building odd bodies
