"""The HVM context blob inside HVM_CONTEXT (spec/hvm-context.md, rules HVM-*).

The blobs here are packed field by field from the structures in Xen's public header
``arch-x86/hvm/save.h`` (never through :mod:`xensave.hvm_context`), with the values a
freshly booted x86-64 guest would have, so the tests can check the decoder against
them. :func:`entries` gives one blob as a list of ``(typecode, instance, payload)``
that a recipe changes before :func:`pack` lays it out.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from xensave.bodies import PageData
from xensave.constants import PageType
from xensave.legacy.samples import Sample
from xensave.model import Image, LibxcStream, Record, XlFile

from . import bases as B
from .bases import X
from .framework import Built, Restore, recipe

Entry = tuple[int, int, bytes]

# typecodes, as numbered in Xen's public header
END, HEADER, CPU, PIC, IOAPIC, LAPIC, LAPIC_REGS = 0, 1, 2, 3, 4, 5, 6
PCI_IRQ, ISA_IRQ, PCI_LINK, PIT, RTC, HPET, PMTIMER, MTRR = 7, 8, 9, 10, 11, 12, 13, 14
VIRIDIAN_DOMAIN, CPU_XSAVE, VIRIDIAN_VCPU, VMCE_VCPU, TSC_ADJUST, CPU_MSR = 15, 16, 17, 18, 19, 20

MAGIC = 0x54381286
#: What each vCPU's CPU entry holds, for the tests: rip, rsp, cr3 per vCPU id.
RIP = 0xFFFFFFFF81000000
CR3 = 0x1A2B000


def cpu_rip(vcpu: int) -> int:
    return RIP + 0x100 * vcpu


def cpu_rsp(vcpu: int) -> int:
    return 0xFFFFC90000004000 + 0x4000 * vcpu


def header(cpuid: int = 0x000806EC, gtsc_khz: int = 2_400_000) -> bytes:
    return struct.pack("<IIQII", MAGIC, 1, 0xFFFFFFFFFFFFFFFF, cpuid, gtsc_khz)


def cpu(vcpu: int, size: int = 1032) -> bytes:
    """struct hvm_hw_cpu of a vCPU in 64-bit mode (or a shorter, older layout)."""
    fx = bytearray(512)
    struct.pack_into("<HH", fx, 0, 0x037F, 0)  # FCW, FSW
    struct.pack_into("<I", fx, 24, 0x1F80)  # MXCSR
    gprs = [0x1000 * vcpu + i for i in range(16)]  # rax .. r15
    gprs[7] = cpu_rsp(vcpu)  # rsp
    out = bytes(fx)
    out += struct.pack("<16Q", *gprs)
    out += struct.pack("<2Q", cpu_rip(vcpu), 0x246)  # rip, rflags
    out += struct.pack("<4Q", 0x80050033, 0x7F0000001000 + vcpu, CR3, 0x3506F0)  # cr0 cr2 cr3 cr4
    out += struct.pack("<6Q", 0, 0, 0, 0, 0xFFFF0FF0, 0x400)  # dr0-3, dr6, dr7
    out += struct.pack("<8I", 0x10, 0x18, 0x18, 0, 0, 0x18, 0x40, 0)  # selectors
    out += struct.pack("<10I", *([0xFFFFFFFF] * 6), 0x206F, 0, 0xFFF, 0x7F)  # limits
    gs_base = 0xFFFF888007C00000 + 0x40000 * vcpu
    out += struct.pack(
        "<10Q",
        0,
        0,
        0,
        0,
        gs_base,
        0,
        0xFFFFFE0000003000,
        0,
        0xFFFFFE0000000000,
        0xFFFFFE0000001000,
    )
    out += struct.pack(
        "<8I", 0xA9B, 0xC93, 0xC93, 0x1C000, 0x1C000, 0xC93, 0x8B, 0x1C000
    )  # arbytes
    out += struct.pack("<4Q", 0, 0, 0, 0x7F0011223000)  # sysenter_cs/esp/eip, shadow_gs
    out += struct.pack(
        "<6Q", 0, 0xFFFFFFFF81A00080, 0x23001000000000, 0xFFFFFFFF81A01000, 0x47700, 0xD01
    )
    if size == 1016:  # the compat layout: no msr_tsc_aux, flags or pad0
        return out + struct.pack("<QII", 0x123456789A + vcpu, 0, 0)
    out += struct.pack("<QQIIII", vcpu, 0x123456789A + vcpu, 0, 0, 1, 0)
    return out[:size]


def pic(master: bool) -> bytes:
    # irr imr isr irq_base, init_state/priority_add, mode bits (is_master = bit 6), elcr, int_output
    return struct.pack(
        "<8B",
        0,
        0xB8 if master else 0x8E,
        0,
        0x08 if master else 0x70,
        0,
        0x40 if master else 0,
        0,
        0,
    )


def ioapic() -> bytes:
    redir = [(1 << 16) | 0x30 + pin for pin in range(48)]  # masked, vector 0x30 + pin
    redir[2] = 0x32  # the timer, unmasked
    return struct.pack("<QII48Q", 0xFEC00000, 0, 0, *redir)


def lapic(vcpu: int, size: int = 24) -> bytes:
    """struct hvm_hw_lapic as Xen 4.6 to 4.20 write it (24 octets, no pending_esr: Xen
    4.14 to 4.20 refuse the 32-octet form of 4.21, hvm_load_entry_zeroextend)."""
    base = 0xFEE00000 | 0x800 | (0x100 if vcpu == 0 else 0)  # enable, BSP
    return struct.pack("<QIIQI4x", base, 0, 0, 0, 0)[:size]


def lapic_regs(vcpu: int) -> bytes:
    regs = bytearray(1024)
    struct.pack_into("<I", regs, 0x20, vcpu << 24)  # APIC ID
    struct.pack_into("<I", regs, 0x30, 0x50014)  # version
    struct.pack_into("<I", regs, 0xF0, 0x1FF)  # spurious vector, enabled
    return bytes(regs)


def pci_link() -> bytes:
    return struct.pack("<4B4x", 5, 10, 11, 5)


def pit() -> bytes:
    ch = b""
    for c, gate in ((0, 1), (1, 1), (2, 0)):
        count = 0x10000 if c == 2 else 0x4A9 * (c + 1)
        # count latched_count count_latched status_latched status read_state write_state
        # write_latch rw_mode mode bcd gate
        ch += struct.pack("<IH10B", count, 0, 0, 0, 0, 3, 3, 0, 3, 2 if c == 0 else 3, 0, gate)
    return ch + struct.pack("<II", 0, 0)


def rtc(size: int = 24) -> bytes:
    cmos = bytes([0x30, 0, 0x15, 0, 0x09, 0, 4, 0x25, 0x11, 0x26, 0x26, 0x02, 0, 0x80])
    return (cmos + struct.pack("<BBq", 0x0B, 0, -3600))[:size]


def hpet() -> bytes:
    regs = [0] * 128
    regs[0] = 0x8086A201 | (10_000_000 << 32)  # vendor, 3 timers, 64-bit; period 10 ns
    regs[2] = 1  # enabled
    regs[30] = 0x123456789  # main counter
    for t in range(3):
        regs[32 + 4 * t] = 0xF0000030 + (t << 9)  # timer config
        regs[33 + 4 * t] = 0xFFFFFFFFFFFFFFFF
    return struct.pack("<128Q", *regs) + struct.pack("<3Q", 0, 0, 0)


def pmtimer() -> bytes:
    return struct.pack("<IHH", 0x00ABCDEF, 0x0001, 0x0100)


def mtrr() -> bytes:
    var = [0] * 16
    var[0], var[1] = 0x0000000000000006, 0x0000000F80000800  # 0-2 GiB write-back
    fixed = [0x0606060606060606] * 11
    return struct.pack("<Q16Q11QQQ", 0x0007040600070406, *var, *fixed, 0x508, 0xC00)


def viridian_domain(size: int = 32) -> bytes:
    return struct.pack("<4Q", 0x3F001, 0x1040A00003839, 0x5F5E100, 0x7000001)[:size]


def xsave(vcpu: int) -> bytes:
    """An x87 + SSE + AVX guest: 24 octets, the 512-octet area, the header, 256 octets of YMM."""
    area = bytearray(512)
    struct.pack_into("<HH", area, 0, 0x037F, 0)
    struct.pack_into("<I", area, 24, 0x1F80)
    hdr = struct.pack("<8Q", 0x7, 0, 0, 0, 0, 0, 0, 0)  # xstate_bv, xcomp_bv, reserved
    ymm = bytes((vcpu + i) & 0xFF for i in range(256))
    return struct.pack("<3Q", 0x7, 0x7, 0x7) + bytes(area) + hdr + ymm


def viridian_vcpu(vcpu: int, size: int = 216) -> bytes:
    sint = [0x10000] * 16  # masked
    out = struct.pack("<QB7xQ", 0x2000001 + (vcpu << 12), 0, 0x3000001 + (vcpu << 12))
    return (out + struct.pack("<16Q4Q4Q", *sint, *([0] * 4), *([0] * 4)))[:size]


def vmce(size: int = 32) -> bytes:
    return struct.pack("<4Q", 0x1000802, 0, 0, 0)[:size]


def msrs(pairs: list[tuple[int, int]]) -> bytes:
    return struct.pack("<I4x", len(pairs)) + b"".join(
        struct.pack("<IIQ", i, 0, v) for i, v in pairs
    )


#: MSR_SPEC_CTRL (IBRS|STIBP) and MSR_VIRT_SPEC_CTRL... as Xen's msrs_to_send lists them.
MSRS = [(0x48, 0x3), (0x140, 0x1)]


def entries(vcpus: int = 2, *, cpu_size: int = 1032, everything: bool = True) -> list[Entry]:
    """A blob in the order Xen writes it: HEADER, typecodes in increasing order (per-vCPU
    ones for each vCPU), END. ``everything`` False keeps HEADER, CPU, PIC and END."""
    out: list[Entry] = [(HEADER, 0, header())]
    out += [(CPU, v, cpu(v, cpu_size)) for v in range(vcpus)]
    out += [(PIC, 0, pic(True)), (PIC, 1, pic(False))]
    if everything:
        out += [(IOAPIC, 0, ioapic())]
        out += [(LAPIC, v, lapic(v)) for v in range(vcpus)]
        out += [(LAPIC_REGS, v, lapic_regs(v)) for v in range(vcpus)]
        out += [(PCI_IRQ, 0, struct.pack("<2Q", 0, 0)), (ISA_IRQ, 0, struct.pack("<Q", 0x0001))]
        out += [(PCI_LINK, 0, pci_link()), (PIT, 0, pit()), (RTC, 0, rtc()), (HPET, 0, hpet())]
        out += [(PMTIMER, 0, pmtimer())]
        out += [(MTRR, v, mtrr()) for v in range(vcpus)]
        out += [(VIRIDIAN_DOMAIN, 0, viridian_domain())]
        out += [(CPU_XSAVE, v, xsave(v)) for v in range(vcpus)]
        out += [(VIRIDIAN_VCPU, v, viridian_vcpu(v)) for v in range(vcpus)]
        out += [(VMCE_VCPU, v, vmce()) for v in range(vcpus)]
        out += [(TSC_ADJUST, v, struct.pack("<q", -1000 * v)) for v in range(vcpus)]
        out += [(CPU_MSR, v, msrs(MSRS)) for v in range(vcpus)]
    return [*out, (END, 0, b"")]


def pack(items: list[Entry]) -> bytes:
    return b"".join(struct.pack("<HHI", t, i, len(p)) + p for t, i, p in items)


def blob(vcpus: int = 2, **kw: object) -> bytes:
    return pack(entries(vcpus, **kw))  # type: ignore[arg-type]


def _with(body: bytes, vcpus: int = 1, version: int = 3) -> LibxcStream:
    s = B.xc("hvm", version, vcpus=vcpus)
    if s.image_header is not None and s.image_header.version == 2 and version != 2:
        # replayed into a version 2 cell (read from Xen 4.6): as _lean does, leave out
        # the MSRs 4.6's hvm_load_cpu_msrs cannot restore, where the recipe left them be
        body = _without_untouched_base_msrs(body)
    B.get(s.records, X.HVM_CONTEXT).body = body
    return s


def _without_base_msrs(body: bytes) -> bytes:
    """The blob less :data:`MSRS` in its CPU_MSR entries (an entry left empty goes)."""
    out, off = [], 0
    while off + 8 <= len(body):
        t, inst, n = struct.unpack_from("<HHI", body, off)
        payload = body[off + 8 : off + 8 + n]
        off += 8 + n
        if t == CPU_MSR:
            count = struct.unpack_from("<I", payload)[0]
            kept = [
                (i, v)
                for i, _r, v in (
                    struct.unpack_from("<IIQ", payload, 8 + 16 * k) for k in range(count)
                )
                if (i, v) not in MSRS
            ]
            if not kept:
                continue
            payload = msrs(kept)
        out.append((t, inst, payload))
    return pack(out) + body[off:]


def _without_untouched_base_msrs(body: bytes) -> bytes:
    """:func:`_without_base_msrs` when the blob parses to its end and every CPU_MSR entry
    holds just :data:`MSRS` (a recipe about the MSRs themselves keeps its entries)."""
    off, seen = 0, False
    while off + 8 <= len(body):
        t, _inst, n = struct.unpack_from("<HHI", body, off)
        payload = body[off + 8 : off + 8 + n]
        if len(payload) < n:
            return body
        off += 8 + n
        if t == CPU_MSR:
            count = struct.unpack_from("<I", payload)[0] if n >= 4 else -1
            if n != 8 + 16 * count:
                return body
            got = [(i, r, v) for i, r, v in struct.iter_unpack("<IIQ", payload[8:])]
            if payload[4:8] != bytes(4) or sorted(got) != sorted((i, 0, v) for i, v in MSRS):
                return body
            seen = True
    return _without_base_msrs(body) if seen and off == len(body) else body


def _lean(body: bytes, version: int = 3) -> LibxcStream:
    """:func:`_with`, and only the XTAB pfn in PAGE_DATA (no page contents), as in
    ``page-data-without-contents``: the case is about the blob. A version 2 stream is
    read from Xen 4.6, whose hvm_load_cpu_msrs restores neither SPEC_CTRL (4.11) nor
    MISC_FEATURES_ENABLES (4.10): its blob leaves :data:`MSRS` out, so that 4.6-4.10
    refuse it only for the fault the case is about."""
    if version == 2:
        body = _without_base_msrs(body)
    s = _with(body, version=version)
    at = B.index(s.records, X.PAGE_DATA)
    s.records = [r for r in s.records if r.type != X.PAGE_DATA]
    s.records.insert(at, Record(X.PAGE_DATA, PageData.of([(0xFEFFB, PageType.XTAB)])))
    return s


def _find(items: list[Entry], typecode: int, nth: int = 0) -> int:
    return [k for k, e in enumerate(items) if e[0] == typecode][nth]


# --- valid blobs --------------------------------------------------------------------------

_ALL_MUST = (
    "HVM-FRAME-001",
    "HVM-FRAME-002",
    "HVM-HDR-001",
    "HVM-HDR-002",
    "HVM-HDR-003",
    "HVM-HDR-004",
    "HVM-TYPE-001",
    "HVM-SIZE-001",
    "HVM-SIZE-002",
    "HVM-CPU-001",
    "HVM-PIC-001",
    "HVM-LINK-001",
    "HVM-PIT-001",
    "HVM-XSAVE-001",
    "HVM-XSAVE-002",
    "HVM-XSAVE-003",
    "HVM-MSR-001",
    "HVM-MSR-002",
    "HVM-CPU-002",
    "HVM-CPU-003",
    "HVM-CPU-004",
    "HVM-CPU-005",
    "HVM-PIC-002",
    "HVM-LINK-002",
    "HVM-PIT-002",
    "HVM-LAPIC-001",
    "HVM-MTRR-001",
    "HVM-VIRIDIAN-001",
    "HVM-XSAVE-004",
    "HVM-XSAVE-005",
    "HVM-XSAVE-006",
    "HVM-XSAVE-007",
    "HVM-MSR-003",
    "HVM-VMCE-001",
)


@recipe(
    "hvm-context-every-typecode",
    "an HVM context with every x86 typecode (HEADER to CPU_MSR) for three vCPUs, in Xen's order",
    tags=("hvm-context",),
    exercises=_ALL_MUST,
)
def every_typecode() -> LibxcStream:
    return _with(blob(3), vcpus=3)


@recipe(
    "hvm-context-older-sizes",
    "an HVM context from an older Xen: CPU in the 1016-octet compat layout and 1024 octets, "
    "LAPIC 24, RTC 16, VIRIDIAN_DOMAIN 16, VIRIDIAN_VCPU 16, VMCE_VCPU 8 (Xen zero-extends them)",
    tags=("hvm-context",),
    exercises=("HVM-SIZE-002",),
)
def older_sizes() -> LibxcStream:
    items = entries(2)
    items[_find(items, CPU, 0)] = (CPU, 0, cpu(0, 1016))
    items[_find(items, CPU, 1)] = (CPU, 1, cpu(1, 1024))
    for code, payload in (
        (LAPIC, lapic(0, 24)),
        (RTC, rtc(16)),
        (VIRIDIAN_DOMAIN, viridian_domain(16)),
        (VIRIDIAN_VCPU, viridian_vcpu(0, 16)),
        (VMCE_VCPU, vmce(8)),
    ):
        k = _find(items, code)
        items[k] = (code, items[k][1], payload)
    return _with(pack(items), vcpus=2)


@recipe(
    "hvm-context-shuffled",
    "an HVM context whose entries between HEADER and END are in reverse order, "
    "with no optional typecode but CPU and PIC",
    tags=("hvm-context",),
    exercises=("HVM-HDR-001", "HVM-FRAME-002"),
)
def shuffled() -> LibxcStream:
    items = entries(2, everything=False)
    return _with(pack([items[0], *reversed(items[1:-1]), items[-1]]), vcpus=2)


# --- framing ------------------------------------------------------------------------------


@recipe(
    "hvm-context-payload-past-end",
    "the HVM context's last descriptor declares a 1024-octet LAPIC_REGS payload, and the "
    "blob ends right after it",
    tags=("hvm-context", "record-framing", "declared-only"),
    breaks=("HVM-FRAME-001",),
)
def payload_past_end() -> LibxcStream:
    items = entries(1, everything=False)
    return _with(pack(items[:-1]) + struct.pack("<HHI", LAPIC_REGS, 0, 1024))


@recipe(
    "hvm-context-truncated-entry",
    "the HVM context ends inside a CPU entry's payload",
    tags=("hvm-context", "record-framing", "truncated"),
    breaks=("HVM-FRAME-001",),
)
def truncated_entry() -> LibxcStream:
    body = pack(entries(1, everything=False)[:2])
    return _with(body[:-100])


@recipe(
    "hvm-context-no-end",
    "an HVM context with no END entry",
    tags=("hvm-context", "end-record"),
    breaks=("HVM-FRAME-002",),
)
def no_end() -> LibxcStream:
    return _with(pack(entries(1, everything=False)[:-1]))


@recipe(
    "hvm-context-short-tail",
    "an HVM context that ends with 4 octets, too few for the END descriptor",
    tags=("hvm-context", "end-record"),
    breaks=("HVM-FRAME-002",),
)
def short_tail() -> LibxcStream:
    return _with(pack(entries(1, everything=False)[:-1]) + bytes(4))


@recipe(
    "hvm-context-end-length",
    "the HVM context's END descriptor has instance 1 and length 8 (with 8 octets after it)",
    tags=("hvm-context", "end-record"),
    breaks=("HVM-FRAME-003", "HVM-FRAME-004"),
)
def end_length() -> LibxcStream:
    body = pack(entries(1, everything=False)[:-1]) + struct.pack("<HHI", END, 1, 8) + bytes(8)
    return _with(body)


@recipe(
    "hvm-context-after-end",
    "an HVM context with a PIC entry after END",
    tags=("hvm-context", "end-record", "trailing-data"),
    breaks=("HVM-FRAME-004",),
)
def after_end() -> LibxcStream:
    return _with(pack([*entries(1, everything=False), (PIC, 0, pic(True))]))


# --- HEADER -------------------------------------------------------------------------------


@recipe(
    "hvm-context-header-missing",
    "an HVM context that opens with CPU: no HEADER",
    tags=("hvm-context", "missing-record"),
    breaks=("HVM-HDR-001",),
)
def header_missing() -> LibxcStream:
    return _with(pack(entries(1, everything=False)[1:]))


@recipe(
    "hvm-context-header-late",
    "an HVM context whose HEADER comes after the CPU entry",
    tags=("hvm-context", "ordering"),
    breaks=("HVM-HDR-001", "HVM-HDR-004"),
)
def header_late() -> LibxcStream:
    items = entries(1, everything=False)
    items[0], items[1] = items[1], items[0]
    return _with(pack(items))


@recipe(
    "hvm-context-header-twice",
    "an HVM context with a second HEADER before END",
    tags=("hvm-context",),
    breaks=("HVM-HDR-004",),
)
def header_twice() -> LibxcStream:
    items = entries(1, everything=False)
    return _with(pack([*items[:-1], items[0], items[-1]]))


@recipe(
    "hvm-context-header-length",
    "the HVM context's HEADER is 32 octets (8 zero octets appended)",
    tags=("hvm-context",),
    breaks=("HVM-HDR-001",),
)
def header_length() -> LibxcStream:
    items = entries(1, everything=False)
    items[0] = (HEADER, 0, header() + bytes(8))
    return _with(pack(items))


@recipe(
    "hvm-context-header-magic",
    "the HVM context's HEADER has magic 0x54381287",
    tags=("hvm-context", "magic"),
    breaks=("HVM-HDR-002",),
)
def header_magic() -> LibxcStream:
    items = entries(1, everything=False)
    items[0] = (HEADER, 0, struct.pack("<I", MAGIC + 1) + header()[4:])
    return _with(pack(items))


@recipe(
    "hvm-context-header-version",
    "the HVM context's HEADER has version 2",
    tags=("hvm-context", "version"),
    breaks=("HVM-HDR-003",),
)
def header_version() -> LibxcStream:
    items = entries(1, everything=False)
    items[0] = (HEADER, 0, header()[:4] + struct.pack("<I", 2) + header()[8:])
    return _with(pack(items))


# --- typecodes and sizes ------------------------------------------------------------------


@recipe(
    "hvm-context-unknown-typecode",
    "an HVM context with an entry of typecode 21 (unknown to x86 Xen)",
    tags=("hvm-context", "unknown-record"),
    breaks=("HVM-TYPE-001",),
)
@recipe(
    "hvm-context-amazon-typecode",
    "an HVM context with an entry of typecode 22 (set aside for an out-of-tree user)",
    tags=("hvm-context", "unknown-record"),
    args=(22,),
    breaks=("HVM-TYPE-001",),
)
def unknown_typecode(code: int = 21) -> LibxcStream:
    items = entries(1, everything=False)
    return _with(pack([*items[:-1], (code, 0, bytes(16)), items[-1]]))


@recipe(
    "hvm-context-pic-length",
    "the HVM context's slave PIC entry is 16 octets instead of 8",
    tags=("hvm-context",),
    breaks=("HVM-SIZE-001",),
)
def pic_length() -> LibxcStream:
    items = entries(1, everything=False)
    items[_find(items, PIC, 1)] = (PIC, 1, pic(False) + bytes(8))
    return _with(pack(items))


@recipe(
    "hvm-context-tsc-adjust-short",
    "the HVM context's TSC_ADJUST entry is 4 octets instead of 8",
    tags=("hvm-context",),
    breaks=("HVM-SIZE-001",),
)
def tsc_adjust_short() -> LibxcStream:
    items = entries(1)
    items[_find(items, TSC_ADJUST)] = (TSC_ADJUST, 0, bytes(4))
    return _with(pack(items))


@recipe(
    "hvm-context-cpu-length",
    "the HVM context's CPU entry is 1040 octets, 8 more than struct hvm_hw_cpu",
    tags=("hvm-context",),
    breaks=("HVM-SIZE-002",),
)
def cpu_length() -> LibxcStream:
    items = entries(1, everything=False)
    items[_find(items, CPU)] = (CPU, 0, cpu(0) + bytes(8))
    return _with(pack(items))


@recipe(
    "hvm-context-cpu-pad0",
    "the HVM context's CPU entry has pad0 = 1",
    tags=("hvm-context", "reserved-bits"),
    breaks=("HVM-CPU-001",),
)
def cpu_pad0() -> LibxcStream:
    items = entries(1, everything=False)
    items[_find(items, CPU)] = (CPU, 0, cpu(0)[:1028] + struct.pack("<I", 1))
    return _with(pack(items))


@recipe(
    "hvm-context-pic-instance",
    "the HVM context has a PIC entry with instance 2",
    tags=("hvm-context",),
    breaks=("HVM-PIC-001",),
)
def pic_instance() -> LibxcStream:
    items = entries(1, everything=False)
    items[_find(items, PIC, 1)] = (PIC, 2, pic(False))
    return _with(pack(items))


@recipe(
    "hvm-context-pci-link-route",
    "the HVM context's PCI_LINK routes link 2 to IRQ 16",
    tags=("hvm-context",),
    breaks=("HVM-LINK-001",),
)
def pci_link_route() -> LibxcStream:
    items = entries(1)
    items[_find(items, PCI_LINK)] = (PCI_LINK, 0, struct.pack("<4B4x", 5, 10, 16, 5))
    return _with(pack(items))


@recipe(
    "hvm-context-pci-link-pad",
    "the HVM context's PCI_LINK has a non-zero pad0 octet",
    tags=("hvm-context", "reserved-bits"),
    breaks=("HVM-LINK-002",),
)
def pci_link_pad() -> LibxcStream:
    items = entries(1)
    items[_find(items, PCI_LINK)] = (PCI_LINK, 0, pci_link()[:7] + b"\x01")
    return _with(pack(items))


@recipe(
    "hvm-context-pit-speaker",
    "the HVM context's PIT has speaker_data_on = 2",
    tags=("hvm-context",),
    breaks=("HVM-PIT-001",),
)
def pit_speaker() -> LibxcStream:
    items = entries(1)
    items[_find(items, PIT)] = (PIT, 0, pit()[:48] + struct.pack("<II", 2, 0))
    return _with(pack(items))


# --- CPU_XSAVE, CPU_MSR -------------------------------------------------------------------


@recipe(
    "hvm-context-xsave-short",
    "the HVM context's CPU_XSAVE entry is 536 octets: no XSAVE header",
    tags=("hvm-context",),
    breaks=("HVM-XSAVE-001",),
)
def xsave_short() -> LibxcStream:
    items = entries(1)
    items[_find(items, CPU_XSAVE)] = (CPU_XSAVE, 0, xsave(0)[:536])
    return _with(pack(items))


@recipe(
    "hvm-context-xsave-compacted",
    "the HVM context's CPU_XSAVE area is in the compacted format (xcomp_bv bit 63)",
    tags=("hvm-context",),
    breaks=("HVM-XSAVE-002",),
)
def xsave_compacted() -> LibxcStream:
    items = entries(1)
    x = bytearray(xsave(0))
    struct.pack_into("<Q", x, 24 + 512 + 8, (1 << 63) | 0x7)
    items[_find(items, CPU_XSAVE)] = (CPU_XSAVE, 0, bytes(x))
    return _with(pack(items))


@recipe(
    "hvm-context-xsave-reserved",
    "the HVM context's CPU_XSAVE header has a non-zero reserved word",
    tags=("hvm-context", "reserved-bits"),
    breaks=("HVM-XSAVE-002",),
)
def xsave_reserved() -> LibxcStream:
    items = entries(1)
    x = bytearray(xsave(0))
    struct.pack_into("<Q", x, 24 + 512 + 16, 1)
    items[_find(items, CPU_XSAVE)] = (CPU_XSAVE, 0, bytes(x))
    return _with(pack(items))


@recipe(
    "hvm-context-xsave-xcr0",
    "the HVM context's CPU_XSAVE has xcr0 0x7 but xcr0_accum 0x3",
    tags=("hvm-context",),
    breaks=("HVM-XSAVE-003",),
)
def xsave_xcr0() -> LibxcStream:
    items = entries(1)
    x = bytearray(xsave(0)[: 24 + 576])  # the size an x87 + SSE xcr0_accum needs
    struct.pack_into("<Q", x, 16, 0x3)
    struct.pack_into("<Q", x, 24 + 512, 0x3)  # xstate_bv within the accumulated set
    items[_find(items, CPU_XSAVE)] = (CPU_XSAVE, 0, bytes(x))
    return _with(pack(items))


@recipe(
    "hvm-context-msr-count",
    "the HVM context's CPU_MSR entry says count 3 but holds two MSRs",
    tags=("hvm-context",),
    breaks=("HVM-MSR-001",),
)
def msr_count() -> LibxcStream:
    items = entries(1)
    items[_find(items, CPU_MSR)] = (CPU_MSR, 0, struct.pack("<I", 3) + msrs(MSRS)[4:])
    return _with(pack(items))


@recipe(
    "hvm-context-msr-empty",
    "the HVM context's CPU_MSR entry holds no MSR (count 0, 8 octets)",
    tags=("hvm-context",),
    breaks=("HVM-MSR-001",),
)
def msr_empty() -> LibxcStream:
    items = entries(1)
    items[_find(items, CPU_MSR)] = (CPU_MSR, 0, msrs([]))
    return _with(pack(items))


@recipe(
    "hvm-context-msr-reserved",
    "an MSR in the HVM context's CPU_MSR entry has a non-zero reserved word",
    tags=("hvm-context", "reserved-bits"),
    breaks=("HVM-MSR-002",),
)
def msr_reserved() -> LibxcStream:
    items = entries(1)
    m = bytearray(msrs(MSRS))
    struct.pack_into("<I", m, 8 + 16 + 4, 1)
    items[_find(items, CPU_MSR)] = (CPU_MSR, 0, bytes(m))
    return _with(pack(items))


# --- what the load handlers refuse (hvm.c, vpic.c, emul-i8254.c, vlapic.c, mtrr.c, ...) ---
#
# One case per rule in a version 2 and a version 3 stream: Xen 4.6 to 4.13 restore v2,
# 4.14 and later both. Each changes one field of a blob that is otherwise as Xen writes it.


def _patched(typecode: int, at: int, fmt: str, *values: int, nth: int = 0) -> list[Entry]:
    items = entries(1)
    k = _find(items, typecode, nth)
    t, inst, payload = items[k]
    p = bytearray(payload)
    struct.pack_into(fmt, p, at, *values)
    items[k] = (t, inst, bytes(p))
    return items


_Build = Callable[[int], LibxcStream]


def _v23(slug: str, description: str, rule: str) -> Callable[[_Build], _Build]:
    """Register ``fn(version)`` for a version 2 and a version 3 stream, breaking ``rule``."""

    def deco(fn: _Build) -> _Build:
        for version in (2, 3):
            recipe(slug, description, tags=("hvm-context",), args=(version,), breaks=(rule,))(fn)
        return fn

    return deco


@_v23("hvm-context-cpu-cr0-no-et", "the CPU entry's cr0 lacks ET (bit 4)", "HVM-CPU-002")
def cpu_cr0_no_et(version: int) -> LibxcStream:
    return _lean(pack(_patched(CPU, 656, "<Q", 0x80050023)), version=version)


@_v23("hvm-context-cpu-cr0-pg-without-pe", "the CPU entry's cr0 has PG without PE", "HVM-CPU-002")
def cpu_cr0_pg_without_pe(version: int) -> LibxcStream:
    return _lean(pack(_patched(CPU, 656, "<Q", 0x80050032)), version=version)


@_v23("hvm-context-cpu-cr0-bit-32", "the CPU entry's cr0 has bit 32 set", "HVM-CPU-002")
def cpu_cr0_bit_32(version: int) -> LibxcStream:
    return _lean(pack(_patched(CPU, 656, "<Q", (1 << 32) | 0x80050033)), version=version)


@_v23("hvm-context-cpu-flags", "the CPU entry's flags is 3 (bit 1 set)", "HVM-CPU-003")
def cpu_flags(version: int) -> LibxcStream:
    return _lean(pack(_patched(CPU, 1024, "<I", 3)), version=version)


@_v23("hvm-context-cpu-tsc-aux", "the CPU entry's msr_tsc_aux is 0x100000000", "HVM-CPU-004")
def cpu_tsc_aux(version: int) -> LibxcStream:
    return _lean(pack(_patched(CPU, 1000, "<Q", 1 << 32)), version=version)


@_v23("hvm-context-cpu-dr7", "the CPU entry's dr7 has bit 32 set", "HVM-CPU-005")
def cpu_dr7(version: int) -> LibxcStream:
    return _lean(pack(_patched(CPU, 728, "<Q", (1 << 32) | 0x400)), version=version)


@_v23(
    "hvm-context-pic-master-bit",
    "the master PIC (instance 0) has is_master clear",
    "HVM-PIC-002",
)
def pic_master_bit(version: int) -> LibxcStream:
    return _lean(pack(_patched(PIC, 5, "<B", 0)), version=version)


@_v23("hvm-context-pit-gate", "PIT counter 0 has gate 0 (it is always gated on)", "HVM-PIT-002")
def pit_gate(version: int) -> LibxcStream:
    return _lean(pack(_patched(PIT, 15, "<B", 0)), version=version)


@_v23(
    "hvm-context-lapic-extd-without-en",
    "the LAPIC's apic_base_msr has x2APIC mode (EXTD) but not the enable bit (EN)",
    "HVM-LAPIC-001",
)
def lapic_extd_without_en(version: int) -> LibxcStream:
    return _lean(pack(_patched(LAPIC, 0, "<Q", 0xFEE00000 | 0x400 | 0x100)), version=version)


@_v23(
    "hvm-context-mtrr-vcnt-9",
    "the MTRR entry's MTRRcap says 9 variable ranges (the entry holds 8)",
    "HVM-MTRR-001",
)
def mtrr_vcnt_9(version: int) -> LibxcStream:
    return _lean(pack(_patched(MTRR, 224, "<Q", 0x509)), version=version)


@_v23("hvm-context-viridian-pad", "VIRIDIAN_VCPU has a non-zero _pad octet", "HVM-VIRIDIAN-001")
def viridian_pad(version: int) -> LibxcStream:
    return _lean(pack(_patched(VIRIDIAN_VCPU, 9, "<B", 1)), version=version)


@_v23(
    "hvm-context-vmce-caps",
    "VMCE_VCPU's caps has MCG_EXT_P (bit 9), which no host's vMCE offers",
    "HVM-VMCE-001",
)
def vmce_caps(version: int) -> LibxcStream:
    return _lean(pack(_patched(VMCE_VCPU, 0, "<Q", 0x1000802 | 1 << 9)), version=version)


def _xsave_items(x: bytes) -> list[Entry]:
    items = entries(1)
    items[_find(items, CPU_XSAVE)] = (CPU_XSAVE, 0, x)
    return items


@_v23(
    "hvm-context-xsave-ymm-without-sse",
    "CPU_XSAVE has xcr0 and xcr0_accum 0x5: AVX without SSE",
    "HVM-XSAVE-004",
)
def xsave_ymm_without_sse(version: int) -> LibxcStream:
    x = bytearray(xsave(0))
    struct.pack_into("<3Q", x, 0, 0x5, 0x5, 0x5)
    struct.pack_into("<Q", x, 24 + 512, 0x5)
    return _lean(pack(_xsave_items(bytes(x))), version=version)


@_v23(
    "hvm-context-xsave-tile-half",
    "CPU_XSAVE's xcr0_accum has TILE_DATA (bit 18) without TILE_CFG (bit 17)",
    "HVM-XSAVE-005",
)
def xsave_tile_half(version: int) -> LibxcStream:
    x = bytearray(xsave(0))
    struct.pack_into("<Q", x, 16, 0x7 | (1 << 18))
    return _lean(pack(_xsave_items(bytes(x))), version=version)


@_v23(
    "hvm-context-xsave-nonzero-tail",
    "CPU_XSAVE is 8 octets longer than x87 + SSE + AVX need, and they are not zero",
    "HVM-XSAVE-006",
)
def xsave_nonzero_tail(version: int) -> LibxcStream:
    return _lean(pack(_xsave_items(xsave(0) + bytes(7) + b"\x01")), version=version)


@_v23(
    "hvm-context-xsave-short-for-accum",
    "CPU_XSAVE's xcr0_accum has AVX but the entry stops after the XSAVE header (600 "
    "octets, not 856)",
    "HVM-XSAVE-007",
)
def xsave_short_for_accum(version: int) -> LibxcStream:
    return _lean(pack(_xsave_items(xsave(0)[:600])), version=version)


@_v23(
    "hvm-context-msr-unknown-index",
    "CPU_MSR holds MSR 0x8b (IA32_BIOS_SIGN_ID), which no Xen restores from it",
    "HVM-MSR-003",
)
def msr_unknown_index(version: int) -> LibxcStream:
    items = entries(1)
    items[_find(items, CPU_MSR)] = (CPU_MSR, 0, msrs([*MSRS, (0x8B, 0x1)]))
    return _lean(pack(items), version=version)


@recipe(
    "hvm-context-xsave-zero-tail",
    "CPU_XSAVE is 64 octets longer than x87 + SSE + AVX need, all zero, as Xen 4.3.0 and "
    "older wrote it",
    tags=("hvm-context", "boundary"),
    exercises=("HVM-XSAVE-006",),
)
def xsave_zero_tail() -> LibxcStream:
    return _lean(pack(_xsave_items(xsave(0) + bytes(64))))


@recipe(
    "hvm-context-every-msr",
    "CPU_MSR with every MSR index current Xen restores from it; PKRS (0x6e1) came with "
    "Xen 4.18, so older releases refuse it (-ENXIO)",
    tags=("hvm-context", "boundary"),
    exercises=("HVM-MSR-003",),
    restore=Restore("4.18-", ("xen/arch/x86/hvm/hvm.c:hvm_load_cpu_msrs",)),
)
def every_msr() -> LibxcStream:
    every = [0x48, 0x140, 0x6E1, 0xD90, 0xDA0, 0xC001011F, 0xC0011019, 0xC001101A, 0xC001101B]
    items = entries(1)
    items[_find(items, CPU_MSR)] = (CPU_MSR, 0, msrs([(i, 0) for i in [*every, 0xC0011027]]))
    return _lean(pack(items))


# --- legacy HVM images: what each release's hvm_load takes -------------------------------


def _legacy_sample(extra: list[Entry]) -> Sample:
    """A small legacy (Xen 4.5 layout) HVM image, one pfn of memory, whose HVM context
    carries ``extra`` entries before its END, and what converting it must give."""
    from xensave.legacy.format import HvmTail, PageBatch
    from xensave.legacy.samples import build as build_legacy
    from xensave.samples import QEMU_STATE_SIZE

    s = build_legacy(64, "hvm", qemu_size=QEMU_STATE_SIZE)  # qemu's state as the small base
    context = b""
    for cp in s.image.checkpoints:
        body = [b for b in cp.body if not isinstance(b, PageBatch)]
        cp.body = [PageBatch([0], [bytes(4096)]), *body]
        tail = cp.tail
        assert isinstance(tail, HvmTail) and tail.context[-8:] == struct.pack("<HHI", END, 0, 0)
        tail.context = context = tail.context[:-8] + pack([*extra, (END, 0, b"")])
    recs = s.expected.records
    at = next(k for k, r in enumerate(recs) if r.type == X.PAGE_DATA)
    recs = [r for r in recs if r.type != X.PAGE_DATA]
    recs.insert(at, Record(X.PAGE_DATA, PageData([0], [bytes(4096)])))  # pfn 0, NOTAB
    s.expected.records = [
        Record(X.HVM_CONTEXT, context) if r.type == X.HVM_CONTEXT else r for r in recs
    ]
    return s


def _legacy_with(extra: list[Entry]) -> Built:
    from xensave.legacy.format import encode

    return Built(XlFile(b""), encode(_legacy_sample(extra).image))


#: The legacy HVM context cases' entries, by case name (legacy_expected).
_LEGACY_EXTRA: dict[str, list[Entry]] = {
    "y_legacy-legacy_hvm_hvm-context-tsc-adjust": [(TSC_ADJUST, 0, struct.pack("<q", -1000))],
    "y_legacy-legacy_hvm_hvm-context-cpu-msr-bndcfgs": [(CPU_MSR, 0, msrs([(0xD90, 0)]))],
    "y_legacy-legacy_hvm_hvm-context-cpu-msr-xss": [(CPU_MSR, 0, msrs([(0xDA0, 0)]))],
}


def legacy_expected() -> dict[str, tuple[str, Image]]:
    """What converting each legacy HVM context case must give (legacy.expected_conversions)."""
    return {n: ("libxl", _legacy_sample(e).expected.libxl(3)) for n, e in _LEGACY_EXTRA.items()}


#: hvm_load (xen/common/hvm/save.c up to 4.9) refuses a typecode above the release's
#: HVM_SAVE_CODE_MAX; hvm_load_cpu_msrs an MSR the release does not restore.
_HVM_LOAD_OLD = "xen/common/hvm/save.c:hvm_load"
_LOAD_MSRS = "xen/arch/x86/hvm/hvm.c:hvm_load_cpu_msrs"


@recipe(
    "hvm-context-tsc-adjust",
    "a legacy HVM image whose HVM context has a TSC_ADJUST entry (typecode 19), as Xen "
    "4.3-4.5 save it: 4.0-4.2 do not know the typecode (HVM_SAVE_CODE_MAX 15-18) and refuse",
    tags=("legacy-stream", "hvm-context"),
    exercises=("HVM-TYPE-001",),
    restore=Restore("4.3-", (_HVM_LOAD_OLD,)),
    guest="hvm",
    profile=None,
    layers=("legacy",),
    legacy=("hvm", 64),
    since="2.0.0",
)
def legacy_tsc_adjust() -> Built:
    return _legacy_with(_LEGACY_EXTRA["y_legacy-legacy_hvm_hvm-context-tsc-adjust"])


@recipe(
    "hvm-context-cpu-msr-bndcfgs",
    "a legacy HVM image whose HVM context has a CPU_MSR entry (typecode 20) with "
    "MSR_IA32_BNDCFGS, as Xen 4.5 saves it: 4.0-4.4 do not know the typecode",
    tags=("legacy-stream", "hvm-context"),
    exercises=("HVM-TYPE-001", "HVM-MSR-003"),
    restore=Restore("4.5-", (_HVM_LOAD_OLD, _LOAD_MSRS)),
    guest="hvm",
    profile=None,
    layers=("legacy",),
    legacy=("hvm", 64),
    since="2.0.0",
)
def legacy_cpu_msr_bndcfgs() -> Built:
    return _legacy_with(_LEGACY_EXTRA["y_legacy-legacy_hvm_hvm-context-cpu-msr-bndcfgs"])


@recipe(
    "hvm-context-cpu-msr-xss",
    "a legacy HVM image whose CPU_MSR entry has MSR_IA32_XSS (0xda0), which no legacy "
    "saver wrote: valid, but hvm_load_cpu_msrs restores it from Xen 4.7 only (4.5 and 4.6 "
    "answer -ENXIO, 4.0-4.4 do not know CPU_MSR)",
    tags=("legacy-stream", "hvm-context"),
    exercises=("HVM-MSR-003",),
    restore=Restore("4.7-", (_HVM_LOAD_OLD, _LOAD_MSRS)),
    guest="hvm",
    profile=None,
    layers=("legacy",),
    legacy=("hvm", 64),
    since="2.0.0",
)
def legacy_cpu_msr_xss() -> Built:
    return _legacy_with(_LEGACY_EXTRA["y_legacy-legacy_hvm_hvm-context-cpu-msr-xss"])
