"""Export guest memory: ``xensave export raw|elf IN OUT`` and ``xensave pages IN --pfn``.

One pass over the image builds a small index: the copy operations (where each run of
pages lies in the input, which pfn it starts at, how many pages), the set of pfns
sent (as runs), and the vCPU registers. Page contents are never held in memory: on
a seekable input they are copied straight from it (``copy_file_range`` where the
kernel allows, ``pread``/``pwrite`` otherwise); a pipe is spooled to a temporary
file next to the output first. Operations replay in stream order, so when live
migration sent a page several times the last copy wins.

Outputs are written to a temporary file in the output's directory and renamed only
when complete; the input is opened read-only and is never the output (same path or
same inode is refused); an existing output is refused unless ``force``.

The ELF core follows QEMU's ``dump-guest-memory`` (without paging): ET_CORE,
EM_X86_64, a PT_NOTE first holding every vCPU's NT_PRSTATUS and then every vCPU's
"QEMU" note (QEMUCPUState v1: segments, control registers), then one PT_LOAD per
contiguous guest-physical range with p_paddr = p_vaddr = the guest-physical address
(so gdb reads guest-physical addresses), PN_XNUM via section header 0 past 65534
segments. The ELF is written with ``struct``: pyelftools only reads, and lief
builds the whole file in memory (a 1 GiB image would cost 1 GiB of RAM) and is a
large binary dependency for some 60 bytes of headers.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import io
import json
import os
import stat
import struct
import sys
import tempfile
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from ._writeback import SYNC_FILE_RANGE_WRITE, WRITEBACK_STEP, sync_file_range
from .bodies import has_data
from .constants import PAGE_DATA_PFN_MASK, PAGE_DATA_TYPE_SHIFT, XcRecType

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_ERROR = 2

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


class ExportError(Exception):
    """The export is refused or cannot be done; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


# --- registers ----------------------------------------------------------------------


@dataclass
class Vcpu:
    vcpu_id: int
    source: str  # "pv64", "pv32", "hvm" or "none"
    regs: dict[str, int] = field(default_factory=dict)


def pv_regs(ctx: bytes, endian: str) -> tuple[str, dict[str, int]] | None:
    """Registers from a PV vcpu_guest_context (x86_64: 5168 bytes, x86_32: 2800), under
    the 64-bit names the core notes use; decoded by :mod:`xensave.pv_context`."""
    from .pv_context import CONTEXT_SIZE, decode

    width = 8 if len(ctx) >= CONTEXT_SIZE[8] else 4 if len(ctx) >= CONTEXT_SIZE[4] else None
    if width is None:
        return None
    c = decode(ctx[: CONTEXT_SIZE[width]], width, endian)
    u, main = c.user_regs, c.registers()
    if width == 8:
        names = ["r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8"]
        r = {n: u[n] for n in [*names, "rax", "rcx", "rdx", "rsi", "rdi"]}
    else:
        r = {"r" + n[1:]: u[n] for n in ("ebx", "ecx", "edx", "esi", "edi", "ebp", "eax")}
    r["rip"], r["eflags"], r["rsp"] = main["rip"], main["rflags"], main["rsp"]
    for name in ("cs", "ss", "es", "ds", "fs", "gs"):
        r[name] = main[name]
    if width == 8:
        for name in ("fs_base", "gs_base", "kernel_gs_base"):
            r[name] = main[name]
    r["cr0"], r["cr2"], r["cr4"] = main["cr0"], main["cr2"], main["cr4"]
    r["cr3"] = main["cr3"]  # the pfn the saver stored, unfolded to an address
    return ("pv64" if width == 8 else "pv32"), r


def hvm_cpu_regs(payload: bytes, endian: str) -> dict[str, int] | None:
    """Registers from an HVM context CPU entry (struct hvm_hw_cpu), named for the notes.

    The decoding is xensave.hvm_context's; the blob is x86 hypervisor state and
    little-endian whatever the stream's byte order, so ``endian`` is not used.
    """
    from xensave import hvm_context

    d = hvm_context.cpu_registers(payload)
    if d is None:
        return None
    r = {name: d[name] for name in (*_HVM_GPRS, "rip")}
    r["eflags"] = d["rflags"]
    segs = ("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt")
    for name in (*segs, "idt", "gdt"):
        xen = (
            "ldtr"
            if name == "ldt"
            else "idtr"
            if name == "idt"
            else "gdtr"
            if name == "gdt"
            else name
        )
        if name in segs:
            r[name] = d[f"{xen}_sel"] & 0xFFFF
            ar = d[
                f"{xen}_arbytes"
            ]  # Xen's packed attributes: type s dpl p (0-7), avl l db g (8-11)
            r[f"{name}_flags"] = ((ar & 0xFF) << 8) | ((ar & 0xF00) << 12)
        r[f"{name}_limit"] = d[f"{xen}_limit"]
        r[f"{name}_base"] = d[f"{xen}_base"]
    for cr in ("cr0", "cr2", "cr3", "cr4"):
        r[cr] = d[cr]
    r["kernel_gs_base"] = d["shadow_gs"]
    return r


_HVM_GPRS: tuple[str, ...] = ("rax", "rbx", "rcx", "rdx", "rbp", "rsi", "rdi", "rsp")
_HVM_GPRS += ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")


def hvm_context_cpus(blob: bytes, endian: str) -> Iterator[tuple[int, dict[str, int]]]:
    """(vcpu id, registers) of each CPU entry of an HVM context blob (little-endian
    whatever ``endian`` says: see hvm_cpu_regs)."""
    from xensave import hvm_context

    ctx = hvm_context.decode(blob)
    for e in ctx.entries:
        if e.typecode == hvm_context.Typecode.CPU and not e.truncated:
            regs = hvm_cpu_regs(e.raw, endian)
            if regs is not None:
                yield e.instance, regs


# --- the index ------------------------------------------------------------------------


@dataclass
class Index:
    page_size: int = 4096
    ops: array[int] = field(default_factory=lambda: array("Q"))  # src_off, pfn, n
    runs: array[int] = field(default_factory=lambda: array("Q"))  # start, end (exclusive)
    copies: int = 0  # data pages in the stream, repeats included
    no_data: int = 0  # entries of a type without contents (XTAB, BROKEN, XALLOC)
    vcpus: dict[int, Vcpu] = field(default_factory=dict)
    layer: str = ""
    notes: list[str] = field(default_factory=list)

    def ranges(self) -> list[tuple[int, int]]:
        """Sorted, merged [start, end) ranges of the pfns sent with data."""
        pairs = sorted(zip(self.runs[0::2], self.runs[1::2], strict=True))
        out: list[tuple[int, int]] = []
        for s, e in pairs:
            if out and s <= out[-1][1]:
                if e > out[-1][1]:
                    out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        return out


def gaps(
    ranges: list[tuple[int, int]], lo: int = 0, hi: int | None = None
) -> list[tuple[int, int]]:
    """[start, end) ranges in [lo, hi) that ``ranges`` (sorted, merged) do not cover."""
    end = hi if hi is not None else (ranges[-1][1] if ranges else lo)
    out: list[tuple[int, int]] = []
    here = lo
    for s, e in ranges:
        if e <= here:
            continue
        if s >= end:
            break
        if s > here:
            out.append((here, min(s, end)))
        here = max(here, e)
    if here < end:
        out.append((here, end))
    return out


def fmt_ranges(rs: list[tuple[int, int]], limit: int | None = None) -> str:
    parts = [f"{s:#x}" if e - s == 1 else f"{s:#x}-{e - 1:#x}" for s, e in rs[:limit]]
    if limit is not None and len(rs) > limit:
        parts.append(f"... and {len(rs) - limit} more ranges (--json lists all)")
    return ", ".join(parts)


def _is_seekable_file(f: BinaryIO) -> bool:
    try:
        mode = os.fstat(f.fileno()).st_mode
    except (OSError, ValueError, io.UnsupportedOperation):
        return False
    return stat.S_ISREG(mode) or stat.S_ISBLK(mode)


def build_index(
    f: BinaryIO,
    spool: BinaryIO | None,
    *,
    want: Callable[[int, int], bool] | None = None,
) -> Index:
    """Read the image once. Without ``spool`` the input must be a seekable file and
    ops point into it; with ``spool`` page contents are appended there and ops point
    into the spool. ``want(start, end)`` limits the copied runs (not the index of what
    was sent)."""
    from .bodies import PageData
    from .reader import Reader, ReadError, ReadOptions, RecordEvent

    idx = Index()
    reader = Reader(f, ReadOptions(want_pages=spool is not None))
    try:
        for ev in reader:
            if not isinstance(ev, RecordEvent) or ev.layer != "libxc":
                continue
            if ev.type == XcRecType.PAGE_DATA and len(ev.body) >= 8:
                _page_data(idx, reader.st.page_size, ev, spool, want, PageData)
            elif ev.type == XcRecType.X86_PV_VCPU_BASIC and len(ev.body) >= 8:
                vid = struct.unpack_from(f"{ev.endian}I", ev.body)[0]
                got = pv_regs(ev.body[8:], ev.endian)
                if got is not None:
                    idx.vcpus[vid] = Vcpu(vid, got[0], got[1])
                else:
                    idx.notes.append(
                        f"vCPU {vid}: X86_PV_VCPU_BASIC of {len(ev.body) - 8} bytes is "
                        "neither a 64-bit nor a 32-bit context; registers left zero"
                    )
                    idx.vcpus[vid] = Vcpu(vid, "none")
            elif ev.type == XcRecType.HVM_CONTEXT:
                for vid, regs in hvm_context_cpus(ev.body, ev.endian):
                    idx.vcpus[vid] = Vcpu(vid, "hvm", regs)
    except ReadError as e:
        raise ExportError(f"{e.offset:#x}: {e.message}", EXIT_INVALID) from e
    idx.layer = reader.layer or ""
    idx.page_size = reader.st.page_size
    return idx


def _page_data(
    idx: Index,
    ps: int,
    ev: object,
    spool: BinaryIO | None,
    want: Callable[[int, int], bool] | None,
    page_data: type,
) -> None:
    from .reader import RecordEvent

    assert isinstance(ev, RecordEvent)
    _, _, entries = page_data.decode_header(ev.body, ev.endian)  # type: ignore[attr-defined]
    avail = ev.page_bytes // ps
    pages = ev.pages or b""
    base = ev.body_offset + len(ev.body)
    k = 0
    run_pfn = run_k = run_n = 0

    def flush() -> None:
        if not run_n:
            return
        idx.runs.extend((run_pfn, run_pfn + run_n))
        if want is None or want(run_pfn, run_pfn + run_n):
            if spool is not None:
                src = spool.tell()
                spool.write(pages[run_k * ps : (run_k + run_n) * ps])
            else:
                src = base + run_k * ps
            idx.ops.extend((src, run_pfn, run_n))

    n = len(entries)
    if (
        n
        and n <= avail
        and entries[-1] - entries[0] == n - 1
        and max(entries) <= PAGE_DATA_PFN_MASK
        and entries == list(range(entries[0], entries[0] + n))
    ):
        # the usual batch, checked at C speed: consecutive pfns of plain data pages
        # (type bits and reserved bits zero), one run
        run_pfn, run_n = entries[0], n
        flush()
        idx.copies += n
        return
    for ent in entries:
        ptype = ent >> PAGE_DATA_TYPE_SHIFT
        if not has_data(ptype):
            idx.no_data += 1
            continue
        pfn = ent & PAGE_DATA_PFN_MASK
        if k >= avail:
            idx.notes.append(
                f"{ev.offset:#x}: record #{ev.index} PAGE_DATA: {k} of its data pfns have "
                "contents; the rest are left out"
            )
            break
        if run_n and pfn == run_pfn + run_n:
            run_n += 1
        else:
            flush()
            run_pfn, run_k, run_n = pfn, k, 1
        k += 1
    flush()
    idx.copies += k


# --- copying --------------------------------------------------------------------------

_CHUNK = 8 << 20


class Writeback:
    """Start writing OUT to disk while it is still being filled, every 32 MiB copied,
    so the fsync before the rename has little left to wait for: the disk works while
    the copy goes on instead of after it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = 0
        self.fn = sync_file_range()

    def wrote(self, n: int) -> None:
        self.pending += n
        if self.pending >= WRITEBACK_STEP and self.fn is not None:
            self.pending = 0
            if self.fn(self.fd, 0, 0, SYNC_FILE_RANGE_WRITE) != 0:
                self.fn = None  # not supported here: the fsync does it all


class Copier:
    """Copy byte ranges between file descriptors: copy_file_range where possible."""

    def __init__(self, src: int, dst: int, writeback: Writeback | None = None) -> None:
        self.src = src
        self.dst = dst
        self.cfr = hasattr(os, "copy_file_range")
        self.writeback = writeback

    def copy(self, src_off: int, dst_off: int, n: int) -> None:
        if self.writeback is not None:
            self.writeback.wrote(n)
        while n > 0 and self.cfr:
            try:
                done = os.copy_file_range(self.src, self.dst, min(n, 1 << 30), src_off, dst_off)
            except OSError as e:
                if e.errno in (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                    self.cfr = False
                    break
                raise
            if done <= 0:
                raise ExportError(f"input ends early at {src_off:#x}", EXIT_INVALID)
            src_off += done
            dst_off += done
            n -= done
        while n > 0:
            data = os.pread(self.src, min(n, _CHUNK), src_off)
            if not data:
                raise ExportError(f"input ends early at {src_off:#x}", EXIT_INVALID)
            os.pwrite(self.dst, data, dst_off)
            src_off += len(data)
            dst_off += len(data)
            n -= len(data)


def replay(
    idx: Index,
    src_fd: int,
    dst_fd: int,
    place: Callable[[int, int], Iterator[tuple[int, int, int]]],
    writeback: Writeback | None = None,
) -> None:
    """Copy every op in stream order; ``place(pfn, n)`` yields (page offset in the
    run, output offset, pages) for the parts of the run that go to the output."""
    ps = idx.page_size
    cp = Copier(src_fd, dst_fd, writeback)
    ops = idx.ops
    for i in range(0, len(ops), 3):
        src, pfn, n = ops[i], ops[i + 1], ops[i + 2]
        for k, out, m in place(pfn, n):
            cp.copy(src + k * ps, out, m * ps)


# --- atomic output ----------------------------------------------------------------------


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return a.st_dev == b.st_dev and a.st_ino == b.st_ino


def check_paths(inp: str, out: str, force: bool) -> None:
    if out == "-":
        raise ExportError("OUT must be a file (the output is written out of order), not -")
    if inp != "-" and os.path.abspath(inp) == os.path.abspath(out):
        raise ExportError(f"{out}: refusing to write over the input")
    try:
        ost = os.stat(out)
    except FileNotFoundError:
        return
    except OSError as e:
        raise ExportError(f"{out}: {e.strerror}") from e
    if inp != "-":
        try:
            if _same_file(os.stat(inp), ost):
                raise ExportError(f"{out}: is the input (same inode); refusing to write over it")
        except FileNotFoundError:
            pass
    if not force:
        raise ExportError(f"{out}: exists; use --force to replace it")
    if stat.S_ISDIR(ost.st_mode):
        raise ExportError(f"{out}: is a directory")


class AtomicOutput:
    """A temporary file next to ``path``; ``commit`` renames it into place.

    ``sync`` says whether to fsync it first: True always, False never, None (the
    default) only when it replaces an existing ``path``. A replaced file is then never
    lost to a crash before the new one is on disk; a new file costs no fsync, whose
    price is the disk's write speed (a 1 GiB export would wait seconds for it), and a
    crash can lose only the new file, which the untouched input can make again."""

    def __init__(self, path: str, force: bool, sync: bool | None = True) -> None:
        self.path = path
        self.force = force
        self.sync = os.path.lexists(path) if sync is None else sync
        d = os.path.dirname(os.path.abspath(path))
        fd, self.tmp = tempfile.mkstemp(dir=d, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        self.fd = fd
        self.done = False

    def commit(self) -> None:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(self.fd, 0o666 & ~umask)
        if self.sync:
            os.fsync(self.fd)
        os.close(self.fd)
        self.fd = -1
        if self.force:
            os.replace(self.tmp, self.path)
        else:
            try:
                os.link(self.tmp, self.path)  # fails if OUT appeared meanwhile
            except FileExistsError as e:
                raise ExportError(f"{self.path}: exists; use --force to replace it") from e
            os.unlink(self.tmp)
        self.done = True

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if not self.done:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmp)


# --- opening the input (pipes spooled, legacy converted) ----------------------------------


class Input:
    """The image as something ``build_index`` can read, plus the fd the ops point at."""

    def __init__(self, path: str, out_dir: str) -> None:
        self.path = path
        self.out_dir = out_dir
        self._cleanup: list[Callable[[], None]] = []
        self.f: BinaryIO
        self.spool: BinaryIO | None = None
        self.notes: list[str] = []

    def open(self) -> None:
        from .reader import detect

        if self.path == "-":
            self.f = io.FileIO(sys.stdin.fileno(), "rb", closefd=False)
        else:
            try:
                self.f = open(self.path, "rb")  # noqa: SIM115 (closed in close())
            except OSError as e:
                raise ExportError(f"{self.path}: {e.strerror}") from e
            self._cleanup.append(self.f.close)
            head = self.f.read(32)
            self.f.seek(0)
            if len(head) >= 8 and detect(head) is None:
                self._convert_legacy()
        if not _is_seekable_file(self.f):
            self.spool = tempfile.TemporaryFile(dir=self.out_dir)  # noqa: SIM115
            self._cleanup.append(self.spool.close)

    def _convert_legacy(self) -> None:
        """A legacy image is converted to a libxl stream next to the output first."""
        from .convert import ConvertError, convert

        fd, tmp = tempfile.mkstemp(dir=self.out_dir, prefix=".xensave-legacy.", suffix=".tmp")
        os.close(fd)
        os.unlink(tmp)  # convert writes it itself and refuses an existing file

        def remove() -> None:
            if os.path.exists(tmp):
                os.unlink(tmp)

        self._cleanup.append(remove)
        try:
            convert(self.path, tmp, "libxl")
        except ConvertError as e:
            raise ExportError(f"{self.path}: legacy image: {e}", EXIT_INVALID) from e
        self.notes.append("legacy (Xen <= 4.5) image: converted to a libxl stream first")
        self.f.close()
        self.f = open(tmp, "rb")  # noqa: SIM115
        self._cleanup.append(self.f.close)

    @property
    def src_fd(self) -> int:
        return (self.spool if self.spool is not None else self.f).fileno()

    def close(self) -> None:
        for fn in reversed(self._cleanup):
            with contextlib.suppress(OSError):
                fn()


# --- the exports ------------------------------------------------------------------------


@dataclass
class Summary:
    kind: str
    output: str
    layer: str
    page_size: int
    pages: int
    copies: int
    ranges: list[tuple[int, int]]
    never_sent: list[tuple[int, int]]
    no_data_entries: int
    output_bytes: int
    vcpus: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "output": self.output,
            "layer": self.layer,
            "page_size": self.page_size,
            "pages": self.pages,
            "page_copies": self.copies,
            "ranges": [[s, e - 1] for s, e in self.ranges],
            "never_sent": [[s, e - 1] for s, e in self.never_sent],
            "never_sent_pages": sum(e - s for s, e in self.never_sent),
            "entries_without_data": self.no_data_entries,
            "output_bytes": self.output_bytes,
            "vcpus": self.vcpus,
            "notes": self.notes,
        }


def export(
    kind: Literal["raw", "elf"],
    inp: str,
    out: str,
    *,
    force: bool = False,
    sync: bool | None = None,
) -> Summary:
    """Write the guest memory of ``inp`` to ``out`` as ``kind``; ``sync`` as for
    :class:`AtomicOutput` (None: fsync only when replacing an existing ``out``)."""
    check_paths(inp, out, force)
    out_dir = os.path.dirname(os.path.abspath(out))
    src = Input(inp, out_dir)
    dst: AtomicOutput | None = None
    try:
        src.open()
        idx = build_index(src.f, src.spool)
        if src.spool is not None:
            src.spool.flush()
        ranges = idx.ranges()
        dst = AtomicOutput(out, force, sync)
        wb = Writeback(dst.fd) if dst.sync else None
        if kind == "raw":
            size = _write_raw(idx, ranges, src.src_fd, dst.fd, wb)
        else:
            size = _write_elf(idx, ranges, src.src_fd, dst.fd, wb)
        dst.commit()
    except OSError as e:
        raise ExportError(f"{e.filename or out}: {e.strerror or e}") from e
    finally:
        if dst is not None:
            dst.close()
        src.close()
    return Summary(
        kind=kind,
        output=out,
        layer=idx.layer,
        page_size=idx.page_size,
        pages=sum(e - s for s, e in ranges),
        copies=idx.copies,
        ranges=ranges,
        never_sent=gaps(ranges),
        no_data_entries=idx.no_data,
        output_bytes=size,
        vcpus=[
            {"vcpu": v.vcpu_id, "source": v.source, "registers": v.regs}
            for v in sorted(idx.vcpus.values(), key=lambda v: v.vcpu_id)
        ]
        if kind == "elf"
        else [],
        notes=src.notes + idx.notes + (_vcpu_notes(idx) if kind == "elf" else []),
    )


def _write_raw(
    idx: Index, ranges: list[tuple[int, int]], src_fd: int, dst_fd: int, wb: Writeback | None
) -> int:
    ps = idx.page_size
    size = ranges[-1][1] * ps if ranges else 0
    os.ftruncate(dst_fd, size)

    def place(pfn: int, n: int) -> Iterator[tuple[int, int, int]]:
        yield 0, pfn * ps, n

    replay(idx, src_fd, dst_fd, place, wb)
    return size


# --- ELF ----------------------------------------------------------------------------------

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


def _vcpu_notes(idx: Index) -> list[str]:
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


def _write_elf(
    idx: Index, ranges: list[tuple[int, int]], src_fd: int, dst_fd: int, wb: Writeback | None
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


# --- pages ------------------------------------------------------------------------------


def parse_pfn_range(text: str) -> tuple[int, int]:
    """``N`` or ``N-M`` (decimal or 0x-hex, inclusive) as [start, end)."""
    try:
        if "-" in text:
            a, b = text.split("-", 1)
            s, e = int(a, 0), int(b, 0)
        else:
            s = e = int(text, 0)
    except ValueError as exc:
        raise ValueError(f"not a pfn or pfn range: {text!r}") from exc
    if s < 0 or e < s or e > PAGE_DATA_PFN_MASK:
        raise ValueError(f"not a pfn range: {text!r}")
    return s, e + 1


def extract_pages(
    inp: str, want: list[tuple[int, int]], out: str | None, *, force: bool = False
) -> tuple[list[tuple[int, int]], int]:
    """Write the pages of ``want`` (in order, never-sent ones as zeros) to ``out`` or
    stdout; return the never-sent ranges and the page size."""
    if out is not None:
        check_paths(inp, out, force)
    out_dir = os.path.dirname(os.path.abspath(out)) if out else tempfile.gettempdir()
    src = Input(inp, out_dir)
    dst: AtomicOutput | None = None
    tmp: BinaryIO | None = None
    lo = min(s for s, _ in want)
    hi = max(e for _, e in want)
    try:
        src.open()
        idx = build_index(src.f, src.spool, want=lambda s, e: s < hi and e > lo)
        if src.spool is not None:
            src.spool.flush()
        ps = idx.page_size
        bases = []
        here = 0
        for s, e in want:
            bases.append(here)
            here += (e - s) * ps
        if out is not None:
            dst = AtomicOutput(out, force)
            fd = dst.fd
        else:
            tmp = tempfile.TemporaryFile()  # noqa: SIM115
            fd = tmp.fileno()
        os.ftruncate(fd, here)

        def place(pfn: int, n: int) -> Iterator[tuple[int, int, int]]:
            for (s, e), base in zip(want, bases, strict=True):
                a, b = max(s, pfn), min(e, pfn + n)
                if a < b:
                    yield a - pfn, base + (a - s) * ps, b - a

        replay(idx, src.src_fd, fd, place)
        if dst is not None:
            dst.commit()
        else:
            _send_to_stdout(fd, here)
    except OSError as err:
        raise ExportError(f"{err.filename or out or '<stdout>'}: {err.strerror or err}") from err
    finally:
        if dst is not None:
            dst.close()
        if tmp is not None:
            tmp.close()
        src.close()
    ranges = idx.ranges()
    missing: list[tuple[int, int]] = []
    for w_lo, w_hi in sorted(want):
        for g in gaps(ranges, w_lo, w_hi):
            if missing and g[0] <= missing[-1][1]:
                missing[-1] = (missing[-1][0], max(missing[-1][1], g[1]))
            else:
                missing.append(g)
    return missing, ps


def _send_to_stdout(fd: int, size: int) -> None:
    sys.stdout.flush()
    out = sys.stdout.fileno()
    off = 0
    while off < size:
        data = os.pread(fd, min(_CHUNK, size - off), off)
        if not data:
            break
        view = memoryview(data)
        while view:
            view = view[os.write(out, view) :]
        off += len(data)


# --- CLI --------------------------------------------------------------------------------

EXPORT_EPILOG = """\
exit status: 0 written, 1 the image is unreadable (framing lost), 2 usage or I/O error,
or refused (OUT is the input, OUT exists without --force)

examples:
  xensave export elf guest.xl guest.core
  gdb -batch -ex 'core-file guest.core' -ex 'x/s 0x1000' -ex 'info registers rip'
  vol -f guest.core banners.Banners        # Volatility 3 (pip install volatility3)
  xensave export raw guest.xl guest.mem    # pfn N at offset N*4096, holes sparse
  xensave export raw --json guest.xl guest.mem | jq .never_sent
  cat guest.xl | xensave export raw - guest.mem

In the core, addresses are guest-physical (p_paddr = p_vaddr) and gdb's thread N is
vCPU N-1. Page contents are copied, never held in memory. When a page was sent
several times (live migration) the last copy wins. PFNs the image never sent are
listed on stderr (holes in the raw image, gaps between PT_LOAD segments in the core).
OUT is written under a temporary name next to it and renamed when complete, so it
never exists half-written; a legacy (Xen <= 4.5) image is converted there first.
"""

PAGES_EPILOG = """\
examples:
  xensave pages guest.xl --pfn 0x100 -o page.bin
  xensave pages guest.xl --pfn 0-15 --pfn 0xfeffc | xxd | less

Pages are written in the order asked, one page per pfn; a pfn the image never sent
is written as zeros and named on stderr.
"""


def register(sub: object) -> None:
    """Add the ``export`` and ``pages`` subcommands to the CLI's subparsers."""
    import argparse

    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(  # type: ignore[attr-defined]
        "export",
        help="write guest memory as an ELF core (gdb) or a sparse raw image",
        description="Write the guest memory of IN as an ELF64 core in the layout of "
        "QEMU's dump-guest-memory (elf) or as a sparse raw image of guest-physical "
        "memory (raw). IN is any image the reader handles (- for stdin); OUT is "
        "written to a temporary file and renamed when complete.",
        epilog=EXPORT_EPILOG,
        formatter_class=fmt,
    )
    p.add_argument("kind", choices=("elf", "raw"), help="the output format")
    p.add_argument("input", metavar="IN", help="the image, or - for stdin")
    p.add_argument("output", metavar="OUT", help="the file to write")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    durable = p.add_mutually_exclusive_group()
    durable.add_argument(
        "--sync",
        action="store_true",
        help="fsync OUT before renaming it into place even when it is a new file (by "
        "default only a replaced OUT is synced first); the disk's write speed then "
        "bounds the export",
    )
    durable.add_argument(
        "--no-sync",
        action="store_true",
        help="never fsync OUT, not even when --force replaces a file (a crash may then "
        "leave an incomplete OUT in place of the old one)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")

    g = sub.add_parser(  # type: ignore[attr-defined]
        "pages",
        help="write chosen guest pages and say which were never sent",
        description="Write the pages of the given pfns (last copy sent) to OUT or stdout.",
        epilog=PAGES_EPILOG,
        formatter_class=fmt,
    )
    g.add_argument("input", metavar="IN", help="the image, or - for stdin")
    g.add_argument(
        "--pfn",
        action="append",
        required=True,
        metavar="N[-M]",
        help="a pfn or inclusive range (decimal or 0x hex); repeatable",
    )
    g.add_argument("-o", "--output", metavar="OUT", help="the file to write (default stdout)")
    g.add_argument("--force", action="store_true", help="replace OUT if it exists")


def cmd_export(args: object) -> int:
    a = args
    kind, inp, out = a.kind, a.input, a.output  # type: ignore[attr-defined]
    try:
        sync = True if a.sync else False if a.no_sync else None  # type: ignore[attr-defined]
        s = export(kind, inp, out, force=a.force, sync=sync)  # type: ignore[attr-defined]
    except ExportError as e:
        print(f"xensave: export: {e}", file=sys.stderr)
        return e.code
    if a.json:  # type: ignore[attr-defined]
        print(json.dumps(s.as_json(), indent=2))
    if not a.quiet:  # type: ignore[attr-defined]
        mib = s.pages * s.page_size / (1 << 20)
        print(
            f"{out}: {kind}, {s.pages} pages ({mib:.1f} MiB) in {len(s.ranges)} ranges, "
            f"{s.copies - s.pages} repeated copies superseded, {s.output_bytes} bytes",
            file=sys.stderr,
        )
        if s.never_sent:
            n = sum(e - b for b, e in s.never_sent)
            print(
                f"  never sent: {n} pfns: {fmt_ranges(s.never_sent, 16)}",
                file=sys.stderr,
            )
        for note in s.notes:
            print(f"  {note}", file=sys.stderr)
    return EXIT_OK


def cmd_pages(args: object) -> int:
    a = args
    try:
        want = [parse_pfn_range(t) for t in a.pfn]  # type: ignore[attr-defined]
    except ValueError as e:
        print(f"xensave: pages: {e}", file=sys.stderr)
        return EXIT_ERROR
    out = a.output  # type: ignore[attr-defined]
    if out is None and sys.stdout.isatty():
        print("xensave: pages: refusing to write pages to a terminal; use -o OUT", file=sys.stderr)
        return EXIT_ERROR
    try:
        missing, _ = extract_pages(a.input, want, out, force=a.force)  # type: ignore[attr-defined]
    except ExportError as e:
        print(f"xensave: pages: {e}", file=sys.stderr)
        return e.code
    if missing:
        n = sum(hi - lo for lo, hi in missing)
        print(
            f"xensave: pages: never sent (written as zeros): {n} pfns: {fmt_ranges(missing)}",
            file=sys.stderr,
        )
    return EXIT_OK
