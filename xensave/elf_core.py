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
from array import array

from .page_index import WRITE_STEP, Index, record_runs, replay
from .vcpu_regs import Vcpu

TYPE_CHECKING = False  # typing stays off the export's start-up; mypy reads this as true
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .page_index import Pipeline, WriteObserver

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
#: Where page contents start in the core: on a boundary of the writes that fill it, so
#: each write covers whole folios of OUT's page cache. Starting one page in, the
#: kernel cut them into single pages: 1 GiB copied took 0.83-0.88 s of CPU against
#: 0.58-0.66 s at offset 0 or 64 KiB (copy_file_range, ext4, Linux 6.18). The octets
#: between the notes and the pages are a hole.
DATA_ALIGN = WRITE_STEP


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


def _notes(vcpus: dict[int, Vcpu]) -> bytes:
    """The PT_NOTE contents: as QEMU, every vCPU's NT_PRSTATUS, then every vCPU's QEMU
    CPU state (one vCPU 0 of zero registers when the image had no context)."""
    cpus = sorted(vcpus.values(), key=lambda v: v.vcpu_id) or [Vcpu(0, "none")]
    notes = b"".join(elf_note(b"CORE", NT_PRSTATUS, prstatus(v.vcpu_id, v.regs)) for v in cpus)
    return notes + b"".join(elf_note(b"QEMU", 0, qemu_cpustate(v.regs)) for v in cpus)


def _ehdr(phoff: int, phnum: int, shoff: int) -> bytes:
    """The ELF header; ``shoff`` is the one section header's offset when there are
    PN_XNUM or more program headers (it then holds their count), else unused."""
    xnum = phnum >= PN_XNUM
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    return _EHDR.pack(
        ident,
        ET_CORE,
        EM_X86_64,
        1,
        0,
        phoff,
        shoff if xnum else 0,
        0,
        _EHDR.size,
        _PHDR.size,
        PN_XNUM if xnum else phnum,
        _SHDR.size if xnum else 0,
        1 if xnum else 0,
        0,
    )


def _phdrs(note_off: int, note_len: int, loads: list[tuple[int, int, int]]) -> bytes:
    """PT_NOTE, then a PT_LOAD per (guest-physical address, file offset, length)."""
    out = [_PHDR.pack(PT_NOTE, 0, note_off, 0, 0, note_len, note_len, 0)]
    out += [_PHDR.pack(PT_LOAD, 7, off, a, a, n, n, 0) for a, off, n in loads]
    return b"".join(out)


def _shdr(phnum: int) -> bytes:
    """Section header 0, which carries the program header count past PN_XNUM."""
    return _SHDR.pack(0, 0, 0, 0, 0, 0, 0, phnum, 0, 0) if phnum >= PN_XNUM else b""


def elf_layout(
    ranges: list[tuple[int, int]], vcpus: dict[int, Vcpu], ps: int
) -> tuple[bytes, list[int]]:
    """The ELF headers and notes, and each range's file offset: headers, notes, then
    the ranges in pfn order from the next DATA_ALIGN boundary (the layout of an export from
    a file, where the ranges are known before anything is written)."""
    notes = _notes(vcpus)
    phnum = 1 + len(ranges)
    xnum = phnum >= PN_XNUM
    phoff = _EHDR.size
    shoff = phoff + phnum * _PHDR.size
    note_off = shoff + (_SHDR.size if xnum else 0)
    step = max(ps, DATA_ALIGN)
    data = -(-(note_off + len(notes)) // step) * step
    offsets = []
    here = data
    for s, e in ranges:
        offsets.append(here)
        here += (e - s) * ps
    loads = [(s * ps, off, (e - s) * ps) for (s, e), off in zip(ranges, offsets, strict=True)]
    head = _ehdr(phoff, phnum, shoff) + _phdrs(note_off, len(notes), loads) + _shdr(phnum)
    return head + notes, offsets


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


class EarlyCore:
    """Starts a core's page copies while IN's index is still being read (a
    :class:`xensave.page_index.Pipeline`), wherever the final layout is already
    certain: that of ``elf_layout``, the ranges in pfn order from the first DATA_ALIGN
    boundary, where a page's offset is that boundary plus one page for every pfn sent
    below it. As long as each new pfn comes above all those sent before (Xen's saver
    goes up the pfns; a live migration's later passes send pages again), that count
    never changes for a page already placed. ``held`` says at the end whether it
    stayed so, and whether the headers and notes fitted below the boundary; if not,
    the caller starts again from an empty OUT with the whole index (``write_elf``).
    Memory: three integers per stretch of pfns, as the index."""

    def __init__(self, pipe: Pipeline) -> None:
        self.pipe = pipe
        self.on = True
        self.page_size = 0
        # the stretches sent so far, in pfn order, never touching: [start, end) and the
        # pfns sent below each
        self.starts: array[int] = array("Q")
        self.ends: array[int] = array("Q")
        self.below: array[int] = array("Q")
        self.sent = 0  # pfns sent so far
        self.top = 0  # one past the highest

    def __call__(self, src: int, pfn: int, n: int, ps: int) -> None:
        """A run of ``n`` pages for ``pfn`` on, at ``src`` in IN."""
        if not self.on:
            return
        if self.page_size != ps:
            if self.page_size:
                self.on = False  # never in one stream; the layout is not guessed then
                return
            self.page_size = ps
        data = max(ps, DATA_ALIGN)
        end = pfn + n
        starts, ends, below = self.starts, self.ends, self.below
        while pfn < end:
            if pfn >= self.top:  # new pfns above all: appended
                if starts and ends[-1] == pfn:
                    ends[-1] = end
                else:
                    starts.append(pfn)
                    ends.append(end)
                    below.append(self.sent)
                self.pipe.put(src, data + self.sent * ps, (end - pfn) * ps)
                self.sent += end - pfn
                self.top = end
                return
            i = bisect.bisect_right(starts, pfn) - 1
            if i < 0 or ends[i] <= pfn:  # a new pfn below one sent: every place moves
                self.on = False
                return
            e = min(end, ends[i])  # pages sent again: over their first copy
            self.pipe.put(src, data + (below[i] + pfn - starts[i]) * ps, (e - pfn) * ps)
            src += (e - pfn) * ps
            pfn = e

    def held(self, ranges: list[tuple[int, int]], offsets: list[int]) -> bool:
        """Whether every page went where ``elf_layout`` puts it (``ranges``, the
        index's, at ``offsets``)."""
        if not self.on or not ranges:
            return self.on
        return offsets[0] == max(self.page_size, DATA_ALIGN) and self.sent == sum(
            e - s for s, e in ranges
        )


def finish_early(
    core: EarlyCore,
    idx: Index,
    ranges: list[tuple[int, int]],
    src_fd: int,
    dst_fd: int,
    wb: WriteObserver | None,
) -> int:
    """Complete a core whose pages ``core`` placed (the pipeline closed): write its
    headers and notes, or when the guess did not hold, write it again from the start
    (``write_elf``). Its size."""
    ps = idx.page_size
    head, offsets = elf_layout(ranges, idx.vcpus, ps)
    if not core.held(ranges, offsets):
        os.ftruncate(dst_fd, 0)
        return write_elf(idx, ranges, src_fd, dst_fd, wb)
    size = (offsets[-1] + (ranges[-1][1] - ranges[-1][0]) * ps) if ranges else len(head)
    os.pwrite(dst_fd, head, 0)
    os.ftruncate(dst_fd, size)
    return size


class StreamCore:
    """An ELF core written as a pipe is read, nothing spooled: page contents go in
    stream order from DATA_ALIGN on, each new run of pfns appended where
    the last ended and a page sent again written over its earlier copy (the last copy
    wins); ``finish`` then appends the notes (the vCPU registers come after the pages
    in a stream) and the program headers, one PT_LOAD per stretch contiguous in both
    pfns and file offsets, sorted by address, and writes the ELF header, which points
    at them, last. gdb, readelf and Volatility read program headers wherever e_phoff
    says (tests/test_export_tools.py). Memory: three integers per stretch."""

    def __init__(self, fd: int, observer: WriteObserver | None) -> None:
        self.fd = fd
        self.page_size: Callable[[], int] = lambda: 4096  # the reader's, once reading
        self.observer = observer
        # the stretches written so far, sorted by first pfn: [start, end) and offset
        self.starts: array[int] = array("Q")
        self.ends: array[int] = array("Q")
        self.offs: array[int] = array("Q")
        self.here = 0  # where the next new pages go (0: before the first record)

    def places(self, ev: object) -> list[tuple[int | None, int]]:
        ps = self.page_size()
        if not self.here:
            self.here = max(ps, DATA_ALIGN)  # the ELF header before it, then a hole
        out: list[tuple[int | None, int]] = []
        for pfn, m in record_runs(ev, ps):
            self._place(pfn, pfn + m, ps, out)
            if self.observer is not None:
                self.observer.wrote(m * ps)
        return out

    def _place(self, a: int, b: int, ps: int, out: list[tuple[int | None, int]]) -> None:
        """Places for pfns [a, b): pages already written where they are, new ones
        appended as stretches of their own."""
        starts, ends, offs = self.starts, self.ends, self.offs
        i = bisect.bisect_right(starts, a) - 1
        if i < 0 or ends[i] <= a:
            i += 1  # the first stretch that could hold a pfn of [a, b)
        while a < b:
            if i < len(starts) and starts[i] <= a:  # a is already written: overwrite
                e = min(b, ends[i])
                out.append((offs[i] + (a - starts[i]) * ps, (e - a) * ps))
                a = e
                i += 1
                continue
            e = min(b, starts[i]) if i < len(starts) else b  # new pfns up to the next
            out.append((self.here, (e - a) * ps))
            if i > 0 and ends[i - 1] == a and offs[i - 1] + (a - starts[i - 1]) * ps == self.here:
                ends[i - 1] = e  # continues the stretch before it, in pfns and offsets
            else:
                starts.insert(i, a)
                ends.insert(i, e)
                offs.insert(i, self.here)
                i += 1
            self.here += (e - a) * ps
            a = e

    def finish(self, vcpus: dict[int, Vcpu]) -> int:
        """Append the notes and program headers, write the ELF header; the core's size."""
        ps = self.page_size()
        notes = _notes(vcpus)
        note_off = max(self.here, _EHDR.size)
        phoff = note_off + len(notes)  # notes are whole 4-byte words: phoff stays 8-aligned
        phoff += -phoff % 8
        loads: list[tuple[int, int, int]] = []
        for s, e, off in zip(self.starts, self.ends, self.offs, strict=True):
            loads.append((s * ps, off, (e - s) * ps))
        phnum = 1 + len(loads)
        shoff = phoff + phnum * _PHDR.size
        tail = _phdrs(note_off, len(notes), loads) + _shdr(phnum)
        os.pwrite(self.fd, notes + bytes(phoff - note_off - len(notes)) + tail, note_off)
        os.pwrite(self.fd, _ehdr(phoff, phnum, shoff), 0)
        return phoff + len(tail)
