"""The ELF core ``xensave export elf`` writes, in the layout of QEMU's
``dump-guest-memory`` (without paging): ET_CORE, EM_X86_64, a PT_NOTE first holding
every vCPU's NT_PRSTATUS and then every vCPU's "QEMU" note (QEMUCPUState v1: segments,
control registers), then one PT_LOAD per contiguous guest-physical range with p_paddr
= p_vaddr = the guest-physical address (so gdb reads guest-physical addresses),
PN_XNUM via section header 0 past 65534 segments.

Written with ``struct``: pyelftools only reads, and lief builds the whole file in
memory (a 1 GiB image would cost 1 GiB of RAM) and is a large binary dependency for
some 60 bytes of headers.
"""

from __future__ import annotations

import bisect
import os
import struct
from collections.abc import Iterator

from .page_index import Index, WriteObserver, replay
from .vcpu_regs import Vcpu

#: x86_64 elf_prstatus.pr_reg order (struct user_regs_struct).
PR_REGS = [
    "r15",
    "r14",
    "r13",
    "r12",
    "rbp",
    "rbx",
    "r11",
    "r10",
    "r9",
    "r8",
    "rax",
    "rcx",
    "rdx",
    "rsi",
    "rdi",
    "orig_rax",
    "rip",
    "cs",
    "eflags",
    "rsp",
    "ss",
    "fs_base",
    "gs_base",
    "ds",
    "es",
    "fs",
    "gs",
]

ET_CORE = 4
EM_X86_64 = 62
PT_LOAD = 1
PT_NOTE = 4
NT_PRSTATUS = 1
PN_XNUM = 0xFFFF
_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_PRSTATUS_SIZE = 336


def vcpu_notes(idx: Index) -> list[str]:
    """What the core's notes cannot say for a vCPU (no usable context), or that the
    image had no vCPU context at all."""
    if not idx.vcpus:
        return [
            "no vCPU context in the image (no X86_PV_VCPU_BASIC, no HVM CPU record): "
            "one NT_PRSTATUS with zero registers written for vCPU 0"
        ]
    return [
        f"vCPU {v.vcpu_id}: no usable context; registers are zero"
        for v in idx.vcpus.values()
        if v.source == "none"
    ]


def prstatus(vcpu_id: int, regs: dict[str, int]) -> bytes:
    """An x86_64 elf_prstatus: pr_pid = vCPU id + 1 (as QEMU numbers them), pr_reg."""
    head = bytearray(112)
    struct.pack_into("<I", head, 32, vcpu_id + 1)
    reg = struct.pack("<27Q", *(regs.get(n, 0) & 0xFFFFFFFFFFFFFFFF for n in PR_REGS))
    return bytes(head) + reg + b"\x00" * 8


QEMU_SEGS = ("cs", "ds", "es", "fs", "gs", "ss", "ldt", "tr", "gdt", "idt")
QEMU_CPUSTATE_SIZE = 440  # version 1 with kernel_gs_base


def qemu_cpustate(regs: dict[str, int]) -> bytes:
    """QEMU's QEMUCPUState (version 1, with kernel_gs_base), the desc of its "QEMU"
    note: general registers, rip, rflags, ten segments (selector, limit, flags in
    descriptor-high-word form, base), cr0-cr4."""
    m = 0xFFFFFFFFFFFFFFFF
    gp = [
        "rax",
        "rbx",
        "rcx",
        "rdx",
        "rsi",
        "rdi",
        "rsp",
        "rbp",
        "r8",
        "r9",
        "r10",
        "r11",
        "r12",
        "r13",
        "r14",
        "r15",
        "rip",
        "eflags",
    ]
    out = struct.pack("<II", 1, QEMU_CPUSTATE_SIZE)
    out += struct.pack("<18Q", *(regs.get(n, 0) & m for n in gp))
    for sg in QEMU_SEGS:
        out += struct.pack(
            "<IIIIQ",
            regs.get(sg, 0) & 0xFFFFFFFF,
            regs.get(f"{sg}_limit", 0) & 0xFFFFFFFF,
            regs.get(f"{sg}_flags", 0) & 0xFFFFFFFF,
            0,
            regs.get(f"{sg}_base", 0) & m,
        )
    out += struct.pack("<5Q", *(regs.get(f"cr{i}", 0) & m for i in range(5)))
    return out + struct.pack("<Q", regs.get("kernel_gs_base", 0) & m)


def elf_note(name: bytes, ntype: int, desc: bytes) -> bytes:
    n = name + b"\x00"
    return (
        struct.pack("<III", len(n), len(desc), ntype)
        + n.ljust(-(-len(n) // 4) * 4, b"\x00")
        + desc.ljust(-(-len(desc) // 4) * 4, b"\x00")
    )


def elf_layout(
    ranges: list[tuple[int, int]], vcpus: dict[int, Vcpu], ps: int
) -> tuple[bytes, list[int]]:
    """The ELF headers and notes, and each range's file offset."""
    cpus = sorted(vcpus.values(), key=lambda v: v.vcpu_id) or [Vcpu(0, "none")]
    # as QEMU: every vCPU's NT_PRSTATUS, then every vCPU's QEMU CPU state
    notes = b"".join(elf_note(b"CORE", NT_PRSTATUS, prstatus(v.vcpu_id, v.regs)) for v in cpus)
    notes += b"".join(elf_note(b"QEMU", 0, qemu_cpustate(v.regs)) for v in cpus)
    phnum = 1 + len(ranges)
    xnum = phnum >= PN_XNUM
    phoff = _EHDR.size
    shoff = phoff + phnum * _PHDR.size if xnum else 0
    note_off = (shoff + _SHDR.size) if xnum else phoff + phnum * _PHDR.size
    data = -(-(note_off + len(notes)) // ps) * ps
    offsets = []
    here = data
    for s, e in ranges:
        offsets.append(here)
        here += (e - s) * ps
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    out = bytearray(
        _EHDR.pack(
            ident,
            ET_CORE,
            EM_X86_64,
            1,
            0,
            phoff,
            shoff,
            0,
            _EHDR.size,
            _PHDR.size,
            PN_XNUM if xnum else phnum,
            _SHDR.size if xnum else 0,
            1 if xnum else 0,
            0,
        )
    )
    out += _PHDR.pack(PT_NOTE, 0, note_off, 0, 0, len(notes), len(notes), 0)
    for (s, e), off in zip(ranges, offsets, strict=True):
        addr = s * ps
        length = (e - s) * ps
        out += _PHDR.pack(PT_LOAD, 7, off, addr, addr, length, length, 0)
    if xnum:
        out += _SHDR.pack(0, 0, 0, 0, 0, 0, 0, phnum, 0, 0)
    out += notes
    return bytes(out), offsets


def write_elf(
    idx: Index, ranges: list[tuple[int, int]], src_fd: int, dst_fd: int, wb: WriteObserver | None
) -> int:
    ps = idx.page_size
    head, offsets = elf_layout(ranges, idx.vcpus, ps)
    size = (offsets[-1] + (ranges[-1][1] - ranges[-1][0]) * ps) if ranges else len(head)
    os.ftruncate(dst_fd, size)
    os.pwrite(dst_fd, head, 0)
    starts = [s for s, _ in ranges]

    def place(pfn: int, n: int) -> Iterator[tuple[int, int, int]]:
        i = bisect.bisect_right(starts, pfn) - 1  # a run of sent pfns lies in one range
        yield 0, offsets[i] + (pfn - starts[i]) * ps, n

    replay(idx, src_fd, dst_fd, place, wb)
    return size
