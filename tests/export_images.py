"""Save images with known bytes and registers planted in them, for the export tests.

The export tests (pyelftools, readelf, gdb, Volatility 3) check that what a tool shows
is what was planted. So the registers are put at offsets computed here from the field
lists of Xen's public headers (``struct hvm_hw_cpu`` in arch-x86/hvm/save.h;
``struct vcpu_guest_context``, ``struct cpu_user_regs`` and ``struct trap_info`` in
arch-x86/xen.h, xen-x86_64.h and xen-x86_32.h), laid out by the C rules of the ABI,
and never taken from ``xensave.export``. The totals are checked against the sizes Xen
documents (1024, 5168 and 2800 octets), so a mistake in a field list shows at once.

The marker is a Linux-style banner, so Volatility 3's ``banners.Banners`` plugin finds
it with nothing but the memory layer its own automagic stacks on the core.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from xensave import samples, writer
from xensave.bodies import PageData, VcpuContext, has_data
from xensave.constants import PageType, XcRecType
from xensave.legacy import samples as legacy_samples
from xensave.legacy.format import HvmTail, PageBatch, PvTail, ext_vcpu_block
from xensave.model import Record, XlFile

PAGE = 4096
SIZES = {"u8": 1, "u16": 2, "u32": 4, "u64": 8}
# general registers in gdb's names; a 32-bit guest has the first eight (as eax...)
GP32 = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp")
GP64 = (*GP32, "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")
SEGS = ("cs", "ss", "ds", "es", "fs", "gs")


def layout(fields: list[tuple[str, str, int]], long: int) -> tuple[dict[str, int], int]:
    """Offsets of (name, type, count) fields and the total size, as a C compiler lays
    them out on x86 (each scalar aligned to its size, the struct to its largest; the
    i386 ABI aligns 8-octet scalars to 4, ``long`` is the word size). A type may be a
    nested (fields, size, align) triple from an earlier call."""
    off = 0
    biggest = 1
    out: dict[str, int] = {}
    for name, typ, count in fields:
        if typ == "long":
            size = align = long
        elif typ in SIZES:
            size = SIZES[typ]
            align = min(size, long)
        else:
            raise ValueError(typ)
        off = -(-off // align) * align
        out[name] = off
        off += size * count
        biggest = max(biggest, align)
    return out, -(-off // biggest) * biggest


def _struct(fields: list[tuple[str, str, int]], long: int) -> tuple[dict[str, int], int, int]:
    offs, size = layout(fields, long)
    align = max(min(SIZES.get(t, long), long) for _, t, _ in fields)
    return offs, size, align


# struct hvm_hw_cpu (HVM context typecode 2)
_HVM_FIELDS: list[tuple[str, str, int]] = [
    ("fpu_regs", "u8", 512),
    *((n, "u64", 1) for n in ("rax", "rbx", "rcx", "rdx", "rbp", "rsi", "rdi", "rsp")),
    *((f"r{i}", "u64", 1) for i in range(8, 16)),
    *((n, "u64", 1) for n in ("rip", "rflags", "cr0", "cr2", "cr3", "cr4")),
    *((n, "u64", 1) for n in ("dr0", "dr1", "dr2", "dr3", "dr6", "dr7")),
    *((f"{s}_sel", "u32", 1) for s in ("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldtr")),
    *(
        (f"{s}_limit", "u32", 1)
        for s in ("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldtr", "idtr", "gdtr")
    ),
    *(
        (f"{s}_base", "u64", 1)
        for s in ("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldtr", "idtr", "gdtr")
    ),
    *((f"{s}_arbytes", "u32", 1) for s in ("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldtr")),
    *((n, "u64", 1) for n in ("sysenter_cs", "sysenter_esp", "sysenter_eip", "shadow_gs")),
    *((f"msr_{n}", "u64", 1) for n in ("flags", "lstar", "star", "cstar", "syscall_mask")),
    *((n, "u64", 1) for n in ("msr_efer", "msr_tsc_aux", "tsc")),
    *((n, "u32", 1) for n in ("pending_event", "error_code", "flags", "pad0")),
]
HVM_CPU, HVM_CPU_SIZE = layout(_HVM_FIELDS, 8)
assert HVM_CPU_SIZE == 1032, HVM_CPU_SIZE
# struct hvm_hw_cpu_compat: Xen before 3.4, without msr_tsc_aux (restorers take both)
HVM_CPU_COMPAT, HVM_CPU_COMPAT_SIZE = layout([f for f in _HVM_FIELDS if f[0] != "msr_tsc_aux"], 8)
assert HVM_CPU_COMPAT_SIZE == 1024, HVM_CPU_COMPAT_SIZE

# struct cpu_user_regs, x86_64 and x86_32
_REGS64: list[tuple[str, str, int]] = [
    *((n, "u64", 1) for n in ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10")),
    *((n, "u64", 1) for n in ("r9", "r8", "rax", "rcx", "rdx", "rsi", "rdi")),
    ("error_code", "u32", 1),
    ("entry_vector", "u32", 1),
    ("rip", "u64", 1),
    ("cs", "u16", 1),
    ("_pad0", "u16", 1),
    ("saved_upcall_mask", "u8", 1),
    ("_pad1", "u8", 3),
    ("rflags", "u64", 1),
    ("rsp", "u64", 1),
    *(x for s in ("ss", "es", "ds", "fs", "gs") for x in ((s, "u16", 1), (f"_p{s}", "u16", 3))),
]
_REGS32: list[tuple[str, str, int]] = [
    *((n, "u32", 1) for n in ("ebx", "ecx", "edx", "esi", "edi", "ebp", "eax")),
    ("error_code", "u16", 1),
    ("entry_vector", "u16", 1),
    ("eip", "u32", 1),
    ("cs", "u16", 1),
    ("saved_upcall_mask", "u8", 1),
    ("_pad0", "u8", 1),
    ("eflags", "u32", 1),
    ("esp", "u32", 1),
    *(x for s in ("ss", "es", "ds", "fs", "gs") for x in ((s, "u16", 1), (f"_p{s}", "u16", 1))),
]


def vcpu_guest_context(width: int) -> tuple[dict[str, int], int]:
    """Offsets in struct vcpu_guest_context of a ``width``-octet PV guest (user_regs'
    fields prefixed ``user_regs.``) and its size."""
    regs, regs_size, regs_align = _struct(_REGS64 if width == 8 else _REGS32, width)
    _, trap_size, trap_align = _struct(
        [("vector", "u8", 1), ("flags", "u8", 1), ("cs", "u16", 1), ("address", "long", 1)],
        width,
    )
    # nested structs are placed by hand: layout() knows scalars only
    head, off = layout([("fpu_ctxt", "u8", 512), ("flags", "long", 1)], width)
    out = dict(head)
    off = -(-off // regs_align) * regs_align
    out.update({f"user_regs.{k}": off + v for k, v in regs.items()})
    off += regs_size
    off = -(-off // trap_align) * trap_align
    out["trap_ctxt"] = off
    off += 256 * trap_size
    callbacks = (
        ("event_callback_cs", "event_callback_eip", "failsafe_callback_cs", "failsafe_callback_eip")
        if width == 4
        else ("event_callback_eip", "failsafe_callback_eip", "syscall_callback_eip")
    )
    tail: list[tuple[str, str, int]] = [
        ("ldt_base", "long", 1),
        ("ldt_ents", "long", 1),
        ("gdt_frames", "long", 16),
        ("gdt_ents", "long", 1),
        ("kernel_ss", "long", 1),
        ("kernel_sp", "long", 1),
        ("ctrlreg", "long", 8),
        ("debugreg", "long", 8),
        *((n, "long", 1) for n in callbacks),
        ("vm_assist", "long", 1),
    ]
    if width == 8:
        tail += [("fs_base", "u64", 1), ("gs_base_kernel", "u64", 1), ("gs_base_user", "u64", 1)]
    rest, rest_size = layout(tail, width)
    out.update({k: off + v for k, v in rest.items()})
    return out, off + rest_size


assert vcpu_guest_context(8)[1] == 5168 and vcpu_guest_context(4)[1] == 2800


# --- planted values ---------------------------------------------------------------------


def planted_regs(kind: str, vcpu: int, start_info: int = 0) -> dict[str, int]:
    """The registers planted for vCPU ``vcpu`` of a guest of ``kind`` (hvm, pv64, pv32),
    in gdb's names as an x86_64 core shows them, plus cr0-cr4 and k_gs_base (the QEMU
    note's kernel_gs_base). The values differ from one another and from vCPU to vCPU,
    and are what a checker accepts: canonical addresses, and in a PV guest cr3 names
    the top-level page table (pfn 0 in the samples) and rdx the start-info pfn."""
    v = vcpu
    if kind == "pv32":
        regs = {n: 0xA0000000 + 0x01000000 * i + 0x10 * v + 1 for i, n in enumerate(GP32)}
        regs["rip"] = 0xC0101123 + 0x100 * v
        regs["rsp"] = 0xC1A3FF00 - 0x2000 * v
        regs["rdx"] = start_info
        regs.update(cs=0xE019, ss=0xE021, ds=0x7B, es=0x7B, fs=0xD8 + v * 8, gs=0xE0)
        regs.update(eflags=0x246, cr0=0x8005003B, cr2=0xB7F00000 + v, cr3=0, cr4=0x6F0)
        return regs
    regs = {n: 0x1111_0000_0000_0000 * (i + 1) + 0x100 * v + i for i, n in enumerate(GP64[:15])}
    regs["r15"] = 0xF0F0F0F0_00000000 + v
    regs["rsp"] = 0xFFFFC900_0123_3F58 - 0x4000 * v
    regs["rbp"] = 0xFFFFC900_0123_3F90 - 0x4000 * v
    regs["eflags"] = 0x10246 if kind == "hvm" else 0x246
    regs.update(cr0=0x80050033, cr2=0x7F0000001000 + v, cr4=0x3626E0)
    if kind == "hvm":
        regs["rip"] = 0xFFFFFFFF81A0C0DE + 0x10 * v
        regs["cr3"] = 0x1A2B3000 + 0x1000 * v
        regs.update(cs=0x10, ss=0x18, ds=0x18, es=0x18, fs=0x2B, gs=0x33 + 8 * v)
    else:
        regs["rip"] = 0xFFFFFFFF8100BEEF + 0x10 * v
        regs["rdx"] = start_info
        regs["cr3"] = 0
        regs.update(cs=0xE033, ss=0xE02B, ds=0x2B, es=0x2B, fs=0x63, gs=0x6B + 8 * v)
    regs["fs_base"] = 0x7F12_3456_7000 + 0x1000 * v
    regs["gs_base"] = 0xFFFF_8880_7FC0_0000 + 0x40000 * v  # the active one
    regs["k_gs_base"] = 0x7F99_0000_0000 + 0x1000 * v  # the swapped-out one
    return regs


def hvm_cpu(vcpu: int, compat: bool = False) -> tuple[bytes, dict[str, int]]:
    """An hvm_hw_cpu (1032 octets; ``compat``: hvm_hw_cpu_compat, 1024) holding
    :func:`planted_regs` (64-bit mode)."""
    regs = planted_regs("hvm", vcpu)
    offs = HVM_CPU_COMPAT if compat else HVM_CPU
    buf = bytearray(HVM_CPU_COMPAT_SIZE if compat else HVM_CPU_SIZE)

    def put(name: str, fmt: str, value: int) -> None:
        struct.pack_into(f"<{fmt}", buf, offs[name], value)

    for n in (*GP64, "rip"):
        put(n, "Q", regs[n])
    put("rflags", "Q", regs["eflags"])
    for n in ("cr0", "cr2", "cr3", "cr4"):
        put(n, "Q", regs[n])
    for s in SEGS:
        put(f"{s}_sel", "I", regs[s])
        put(f"{s}_limit", "I", 0xFFFFFFFF)
        put(f"{s}_arbytes", "I", 0xA9B if s == "cs" else 0xC93)  # 64-bit code; data
    put("fs_base", "Q", regs["fs_base"])
    put("gs_base", "Q", regs["gs_base"])
    put("shadow_gs", "Q", regs["k_gs_base"])
    put("msr_efer", "Q", 0xD01)  # LMA, LME, SCE, NXE
    return bytes(buf), regs


def hvm_context(vcpus: int, compat: bool = False) -> bytes:
    """An HVM context blob: HEADER, one CPU entry per vCPU, END."""

    def desc(code: int, inst: int, payload: bytes) -> bytes:
        return struct.pack("<HHI", code, inst, len(payload)) + payload

    out = desc(1, 0, struct.pack("<IIQII", 0x54381286, 1, 0, 0x000806EC, 2_400_000))
    for v in range(vcpus):
        out += desc(2, v, hvm_cpu(v, compat)[0])
    return out + desc(0, 0, b"")


def pv_context(width: int, vcpu: int, start_info: int) -> tuple[bytes, dict[str, int]]:
    """A vcpu_guest_context of a ``width``-octet PV guest holding :func:`planted_regs`,
    in kernel mode (VGCF_in_kernel: gs_base_kernel is the active gs base)."""
    kind = "pv64" if width == 8 else "pv32"
    regs = planted_regs(kind, vcpu, start_info)
    offs, size = vcpu_guest_context(width)
    buf = bytearray(size)
    w = "<Q" if width == 8 else "<I"
    struct.pack_into(w, buf, offs["flags"], 1 << 2 | 1 << 5)  # VGCF_in_kernel | VGCF_online
    names = GP64 if width == 8 else GP32
    for n in (*names, "rip"):
        c = n if width == 8 else "e" + n[1:]
        struct.pack_into(w, buf, offs[f"user_regs.{c}"], regs[n])
    struct.pack_into(w, buf, offs["user_regs.rflags" if width == 8 else "user_regs.eflags"],
                     regs["eflags"])  # fmt: skip
    for s in SEGS:
        struct.pack_into("<H", buf, offs[f"user_regs.{s}"], regs[s])
    cr = offs["ctrlreg"]
    for i in (0, 2, 4):
        struct.pack_into(w, buf, cr + width * i, regs[f"cr{i}"])
    pfn = regs["cr3"] >> 12
    # the saver stores xen_pfn_to_cr3(pfn): pfn << 12, or for a 32-bit guest the pfn
    # rotated left by 12 within 32 bits (its bits 20 and up land in the low 12 bits)
    cr3 = pfn << 12 if width == 8 else ((pfn << 12) | (pfn >> 20)) & 0xFFFFFFFF
    struct.pack_into(w, buf, cr + width * 3, cr3)
    if width == 8:
        struct.pack_into("<Q", buf, offs["fs_base"], regs["fs_base"])
        struct.pack_into("<Q", buf, offs["gs_base_kernel"], regs["gs_base"])
        struct.pack_into("<Q", buf, offs["gs_base_user"], regs["k_gs_base"])
    return bytes(buf), regs


# --- images -----------------------------------------------------------------------------

#: the pfn of the marker page, per guest: a plain data page of every sample
MARK_PFN = {"hvm": 0x11, "x86_64-pv": 0x13, "x86_32-pv": 0x13, "legacy": 0x9}
MARK_OFFSET = 0x2A8
#: the start-info pfn (a data page each sample sends) a PV vCPU's rdx holds
START_INFO = {"x86_64-pv": 0x14, "x86_32-pv": 0x14, "legacy": 0xA}


def marker(name: str) -> bytes:
    """A Linux-style banner (what Volatility's banners plugin looks for), NUL-ended."""
    return f"Linux version 6.1.99-xensave-{name} (planted@xensave) #1 SMP".encode() + b"\0"


@dataclass
class Planted:
    name: str
    data: bytes
    kind: str  # hvm, pv64, pv32: how the registers were planted
    mark_addr: int  # guest-physical address of ``mark``
    mark: bytes
    mark_page: bytes  # the whole page holding it, as last sent
    regs: dict[int, dict[str, int]] = field(default_factory=dict)
    stale: bytes = b""  # the first copy of the marker page, when it was sent twice

    @property
    def mark_pfn(self) -> int:
        return self.mark_addr // PAGE


def _with_mark(page: bytes, mark: bytes) -> bytes:
    return page[:MARK_OFFSET] + mark + page[MARK_OFFSET + len(mark) :]


def planted(guest: str, wrap: str = "xl", *, vcpus: int = 2, resend: bool = False) -> Planted:
    """A ``samples.build`` image of ``guest`` whose vCPU records hold planted registers
    and whose marker page holds a banner. ``resend``: as live migration does, the
    marker page is sent first with another banner, then again in a later PAGE_DATA
    record (with its neighbour) holding the real one; the last copy must win."""
    xc = samples.libxc_stream(guest, 3, vcpus=vcpus)
    name = guest + ("-resent" if resend else "")
    pfn = MARK_PFN[guest]
    mark = marker(name)
    stale = _with_mark(struct.pack("<Q", pfn) * (PAGE // 8), marker("stale-copy"))
    final = _with_mark(struct.pack("<Q", pfn) * (PAGE // 8), mark)
    regs: dict[int, dict[str, int]] = {}
    records: list[Record] = []
    for r in xc.records:
        body = r.body
        if r.type == XcRecType.PAGE_DATA:
            assert isinstance(body, PageData)
            data_pfns = [e & ((1 << 52) - 1) for e in body.entries if has_data(e >> 60)]
            pages = list(body.pages)
            if pfn in data_pfns:
                pages[data_pfns.index(pfn)] = stale if resend else final
            body = PageData(body.entries, pages)
        elif r.type == XcRecType.X86_PV_VCPU_BASIC:
            assert isinstance(body, VcpuContext)
            width = 4 if guest == "x86_32-pv" else 8
            ctx, regs[body.vcpu_id] = pv_context(width, body.vcpu_id, START_INFO[guest])
            body = VcpuContext(body.vcpu_id, ctx)
        elif r.type == XcRecType.HVM_CONTEXT:
            body = hvm_context(vcpus)
            regs = {v: hvm_cpu(v)[1] for v in range(vcpus)}
        elif r.type == XcRecType.X86_TSC_INFO and resend:
            again = PageData.of([(pfn, PageType.NOTAB), (pfn + 1, PageType.NOTAB)])
            again.pages[0] = final
            records.append(Record(XcRecType.PAGE_DATA, again))
        records.append(Record(r.type, body))
    xc.records = records
    image: object = xc
    if wrap != "libxc":
        xl = writer.libxl_wrap(xc, samples.emulator_records(guest))
        image = xl if wrap == "libxl" else XlFile(xl, config=samples.domain_config(guest))
    kind = "hvm" if guest == "hvm" else "pv32" if guest == "x86_32-pv" else "pv64"
    return Planted(
        name,
        writer.to_bytes(image),  # type: ignore[arg-type]
        kind,
        pfn * PAGE + MARK_OFFSET,
        mark,
        final,
        regs,
        stale if resend else b"",
    )


LEGACY = {
    "legacy-pv64": (64, "pv", 4),
    "legacy-pv32": (64, "pv", 3),
    "legacy-hvm": (64, "hvm", None),
}


def planted_legacy(name: str, vcpus: int = 2) -> Planted:
    """A legacy (Xen <= 4.5) image, ``name`` one of :data:`LEGACY`, with the marker in a
    data page of its first batch and planted registers in its vCPU contexts."""
    width, guest, levels = LEGACY[name]
    sample = legacy_samples.build(width, guest, levels=levels, vcpus=vcpus)  # type: ignore[arg-type]
    pfn = MARK_PFN["legacy"]
    mark = marker(name)
    final = b""
    cp = sample.image.checkpoints[0]
    for item in cp.body:
        if isinstance(item, PageBatch) and item.pages:
            data_pfns = [w & 0x0FFFFFFF for w in item.words if has_data(w >> 28)]
            if pfn in data_pfns:
                i = data_pfns.index(pfn)
                final = _with_mark(item.pages[i], mark)
                item.pages[i] = final
    assert final, "the legacy sample no longer sends the marker pfn in its first batch"
    regs: dict[int, dict[str, int]] = {}
    if isinstance(cp.tail, PvTail):
        gw = 8 if levels == 4 else 4
        ctxs = []
        for v in range(vcpus):
            ctx, regs[v] = pv_context(gw, v, START_INFO["legacy"])
            ctxs.append(ctx)
        cp.tail.vcpus = ctxs
        sample.image.ext_blocks[0] = ext_vcpu_block(ctxs[0])
        kind = "pv64" if gw == 8 else "pv32"
    else:
        assert isinstance(cp.tail, HvmTail)
        cp.tail.context = hvm_context(vcpus, compat=True)  # an old saver's size
        regs = {v: hvm_cpu(v)[1] for v in range(vcpus)}
        kind = "hvm"
    return Planted(name, sample.data(), kind, pfn * PAGE + MARK_OFFSET, mark, final, regs)


#: every planted image the tool tests open: each guest from an xl file, a live
#: migration whose marker page was sent twice, and legacy images converted internally
CASES = (
    "hvm",
    "x86_64-pv",
    "x86_32-pv",
    "hvm-resent",
    "x86_32-pv-resent",
    *LEGACY,
)


def case(name: str) -> Planted:
    if name in LEGACY:
        return planted_legacy(name)
    if name.endswith("-resent"):
        return planted(name.removesuffix("-resent"), resend=True)
    return planted(name)


def export_from_pipe(src: Path, out: Path, kind: str = "elf") -> None:
    """``cat SRC | xensave export KIND - OUT``: IN is a pipe, so nothing can be re-read
    (a raw image and a core are then written as the stream goes)."""
    with open(src, "rb") as f:
        cat = subprocess.Popen(["cat"], stdin=f, stdout=subprocess.PIPE)
        assert cat.stdout is not None
        r = subprocess.run(
            [sys.executable, "-m", "xensave", "export", kind, "-q", "-", str(out)],
            stdin=cat.stdout,
            capture_output=True,
            check=False,
        )
        cat.stdout.close()
        cat.wait()
    assert r.returncode == 0, r.stderr


def core_contents(path: Path) -> tuple[bytes, dict[int, bytes]]:
    """An ELF core as a reader sees it, whatever its layout: the PT_NOTE contents and
    guest-physical page address -> page, by pyelftools. PT_LOADs must not overlap."""
    from elftools.elf.elffile import ELFFile

    notes = b""
    pages: dict[int, bytes] = {}
    with open(path, "rb") as f:
        for seg in ELFFile(f).iter_segments():
            if seg["p_type"] == "PT_NOTE":
                notes += seg.data()
            elif seg["p_type"] == "PT_LOAD":
                assert seg["p_paddr"] == seg["p_vaddr"]
                data = seg.data()
                for k in range(0, len(data), PAGE):
                    assert seg["p_paddr"] + k not in pages, "PT_LOADs overlap"
                    pages[seg["p_paddr"] + k] = data[k : k + PAGE]
    return notes, pages
