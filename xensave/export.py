"""Export guest memory: ``xensave export raw|elf IN OUT`` and ``xensave pages IN --pfn``.

The command: it opens the input (a legacy image is converted to a temporary file next
to the output first; from a pipe each page is spliced straight to its place in the
output as it is read, nothing spooled: see :class:`xensave.elf_core.StreamCore` for
the core's layout then), builds the page index
(:mod:`xensave.page_index`, registers from :mod:`xensave.vcpu_regs`) and writes the
raw image or the ELF core (:mod:`xensave.elf_core`); from a file the page copies
start on a second thread while the index is still being read (``_copy_from_file``).

Outputs are written to a temporary file in the output's directory and renamed only
when complete; the input is opened read-only and is never the output (same path or
same inode is refused); an existing output is refused unless ``force``.
"""

from __future__ import annotations

import io
import os
import stat
import sys

from ._slots import Struct, field
from ._writeback import SYNC_FILE_RANGE_WRITE, WRITEBACK_STEP, sync_file_range
from .console import EXIT_ERROR, EXIT_INVALID, EXIT_VALID
from .constants import PAGE_DATA_PFN_MASK
from .elf_core import PR_REGS, EarlyCore, StreamCore, elf_layout, finish_early, vcpu_notes
from .outputs import OutputError, check_output, create_temp, install, remove_temp
from .page_index import (
    COPY_CHUNK,
    ExportError,
    Index,
    Pipeline,
    Placer,
    build_index,
    fmt_ranges,
    gaps,
    note_shared,
    replay,
)
from .vcpu_regs import Vcpu, hvm_context_cpus, hvm_cpu_regs, pv_regs

#: typing, tempfile and contextlib stay off the start-up (some 30 ms of a 1 GiB
#: export's 0.4 s with the modules they load); mypy reads this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import BinaryIO, Literal

    from .page_index import EarlyCopy, WriteObserver
    from .progress import Progress

__all__ = [  # the page index, registers and ELF writer are importable from here too
    "PR_REGS",
    "AtomicOutput",
    "ExportError",
    "Index",
    "Input",
    "Summary",
    "Vcpu",
    "Writeback",
    "build_index",
    "check_paths",
    "cmd_export",
    "cmd_pages",
    "elf_layout",
    "export",
    "extract_pages",
    "fast_args",
    "fmt_ranges",
    "gaps",
    "hvm_context_cpus",
    "hvm_cpu_regs",
    "parse_pfn_range",
    "pv_regs",
    "register",
]

# --- writing the output ------------------------------------------------------------------


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


class _Shown:
    """A write observer that shows the bytes copied so far, then tells ``inner``."""

    def __init__(self, progress: Progress, inner: WriteObserver | None) -> None:
        self.progress = progress
        self.inner = inner
        self.done = 0

    def wrote(self, n: int) -> None:
        self.done += n
        self.progress.update(self.done)
        if self.inner is not None:
            self.inner.wrote(n)


def _observer(
    progress: Progress | None, label: str, total: int, inner: WriteObserver | None
) -> WriteObserver | None:
    if progress is None:
        return inner
    progress.restart(label, total)
    return _Shown(progress, inner)


def _reading(progress: Progress | None, label: str, f: BinaryIO) -> Callable[[int], None] | None:
    if progress is None:
        return None
    try:
        size: int | None = os.fstat(f.fileno()).st_size if _is_seekable_file(f) else None
    except (OSError, ValueError, io.UnsupportedOperation):
        size = None
    progress.restart(label, size)
    return progress.update


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return a.st_dev == b.st_dev and a.st_ino == b.st_ino


def check_paths(inp: str, out: str, force: bool) -> None:
    """The one output policy (:mod:`xensave.outputs`); ``-`` is refused because the
    output is written out of order."""
    if out == "-":
        raise ExportError("OUT must be a file (the output is written out of order), not -")
    try:
        check_output(inp, out, force)
    except OutputError as e:
        raise ExportError(str(e), EXIT_ERROR) from None


def _shown(err: OSError, out: str) -> str:
    """The file an I/O error is about, as the user knows it: OUT for our temporary
    file beside it."""
    name = err.filename
    if not isinstance(name, str) or ".xensave-" in os.path.basename(name):
        return out
    return name


class AtomicOutput:
    """A temporary file next to ``path`` (:func:`xensave.outputs.create_temp`);
    ``commit`` renames it into place.

    ``sync`` says whether to fsync it first: True always, False never, None (the
    default) only when it replaces an existing ``path``. A replaced file is then never
    lost to a crash before the new one is on disk; a new file costs no fsync, whose
    price is the disk's write speed (a 1 GiB export would wait seconds for it), and a
    crash can lose only the new file, which the untouched input can make again."""

    def __init__(self, path: str, force: bool, sync: bool | None = True) -> None:
        self.path = path
        self.force = force
        self.sync = os.path.lexists(path) if sync is None else sync
        try:
            self.fd, self.tmp = create_temp(path)
        except OutputError as e:
            raise ExportError(str(e), EXIT_ERROR) from None
        self.done = False

    def commit(self) -> None:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(self.fd, 0o666 & ~umask)
        if self.sync:
            os.fsync(self.fd)
        os.close(self.fd)
        self.fd = -1
        try:
            install(self.tmp, self.path, self.force)
        except OutputError as e:
            raise ExportError(str(e), EXIT_ERROR) from None
        self.done = True

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if not self.done:
            remove_temp(self.tmp)


# --- opening the input (pipes spooled, legacy converted) ----------------------------------


def _is_seekable_file(f: BinaryIO) -> bool:
    try:
        mode = os.fstat(f.fileno()).st_mode
    except (OSError, ValueError, io.UnsupportedOperation):
        return False
    return stat.S_ISREG(mode) or stat.S_ISBLK(mode)


class Input:
    """The image as something ``build_index`` can read, plus the fd the ops point at."""

    def __init__(self, path: str, out_dir: str) -> None:
        self.path = path
        self.out_dir = out_dir
        self._cleanup: list[Callable[[], None]] = []
        self.f: BinaryIO
        self.spool: BinaryIO | None = None
        self.notes: list[str] = []

    @property
    def name(self) -> str:
        """IN as messages name it (never the temporary file a legacy image becomes)."""
        return "<stdin>" if self.path == "-" else self.path

    def open(self) -> None:
        from .reader import detect

        if self.path == "-":
            self.f = io.FileIO(sys.stdin.fileno(), "rb", closefd=False)
            try:
                fifo = stat.S_ISFIFO(os.fstat(self.f.fileno()).st_mode)
            except OSError:
                fifo = False
            if fifo:
                from .console import _grow_pipe

                _grow_pipe(self.f.fileno())  # fewer, larger splices
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
            import tempfile

            self.spool = tempfile.TemporaryFile(dir=self.out_dir)  # noqa: SIM115
            self._cleanup.append(self.spool.close)

    def _convert_legacy(self) -> None:
        """A legacy image is converted to a libxl stream next to the output first."""
        from .convert import ConvertError, convert

        fd, tmp = create_temp(os.path.join(self.out_dir, "xensave-legacy"))
        os.close(fd)
        os.unlink(tmp)  # convert writes it itself and refuses an existing file

        def remove() -> None:
            remove_temp(tmp)

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
            try:  # noqa: SIM105 (contextlib is not on the start-up path)
                fn()
            except OSError:
                pass


# --- the exports ------------------------------------------------------------------------


class Summary(Struct):
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
    progress: Progress | None = None,
) -> Summary:
    """Write the guest memory of ``inp`` to ``out`` as ``kind``; ``sync`` as for
    :class:`AtomicOutput` (None: fsync only when replacing an existing ``out``);
    ``progress`` shown while reading IN and while writing OUT."""
    check_paths(inp, out, force)
    out_dir = os.path.dirname(os.path.abspath(out))
    src = Input(inp, out_dir)
    dst: AtomicOutput | None = None
    try:
        src.open()
        # from a pipe, each page goes straight to its place in OUT as it is read (the
        # kernel splices it), nothing spooled: reading IN is writing OUT (the progress
        # says so, counting IN's bytes)
        direct = src.spool is not None
        label = "exporting: writing: " if direct else "exporting: reading: "
        reading = _reading(progress, label, src.f)
        if direct:
            dst = AtomicOutput(out, force, sync)
            sync_as_written = Writeback(dst.fd) if dst.sync else None
            if kind == "raw":
                placer = Placer(dst.fd, OFF_MAX if force else BIG_OUTPUT, sync_as_written)
                idx = build_index(src.f, None, name=src.name, progress=reading, direct=placer)
                ranges = idx.ranges()
                size = ranges[-1][1] * idx.page_size if ranges else 0
                _check_size(out, size, force)
                os.ftruncate(dst.fd, size)
            else:
                core = StreamCore(dst.fd, sync_as_written)
                idx = build_index(src.f, None, name=src.name, progress=reading, direct=core)
                ranges = idx.ranges()
                size = core.finish(idx.vcpus)
        else:
            dst = AtomicOutput(out, force, sync)
            idx, ranges, size = _copy_from_file(kind, src, dst, force, out, reading, progress)
        dst.commit()
    except OSError as e:
        raise ExportError(f"{_shown(e, out)}: {e.strerror or e}") from e
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
        notes=src.notes + idx.notes + (vcpu_notes(idx) if kind == "elf" else []),
    )


#: A file offset the OS can address (off_t is signed 64-bit).
OFF_MAX = (1 << 63) - 1
#: Outputs larger than this are made only with --force (a raw image is sparse, but a
#: file that size surprises whoever copies or backs it up).
BIG_OUTPUT = 1 << 40


def _check_size(name: str, size: int, force: bool) -> None:
    """Refuse an output no file can hold, and one over BIG_OUTPUT without --force, before
    anything is written."""
    if size > OFF_MAX:
        raise ExportError(
            f"{name}: refused: it would be {size} bytes, beyond what a file can address "
            f"({OFF_MAX}): the image's pfns (or the range asked for) reach too high"
        )
    if size > BIG_OUTPUT and not force:
        raise ExportError(
            f"{name}: refused: it would be {size} bytes ({size / (1 << 40):.1f} TiB, sparse "
            "where pages were never sent); use --force to make it anyway"
        )


def _copy_from_file(
    kind: Literal["raw", "elf"],
    src: Input,
    dst: AtomicOutput,
    force: bool,
    out: str,
    reading: Callable[[int], None] | None,
    progress: Progress | None,
) -> tuple[Index, list[tuple[int, int]], int]:
    """Read IN's index and copy its pages into OUT at once, the copies starting on a
    second thread as soon as the index finds each run (:class:`Pipeline`): a raw image
    puts pfn N at N * page size whatever else the image holds; a core's layout is
    guessed (:class:`EarlyCore`) and written again if the guess fails. The index,
    the ranges sent and OUT's size."""
    pipe = Pipeline(src.src_fd, dst.fd, Writeback if dst.sync else None)
    early: EarlyCopy
    core: EarlyCore | None = None
    if kind == "raw":
        limit = OFF_MAX if force else BIG_OUTPUT

        def early(src_off: int, pfn: int, n: int, ps: int) -> None:
            if (pfn + n) * ps <= limit:  # else _check_size refuses the image below
                pipe.put(src_off, pfn * ps, n * ps)

    else:
        early = core = EarlyCore(pipe)
    try:
        idx = build_index(src.f, None, name=src.name, progress=reading, early=early)
        ranges = idx.ranges()
        ps = idx.page_size
        if kind == "raw":
            size = ranges[-1][1] * ps if ranges else 0
            _check_size(out, size, force)
        waiting = None
        if progress is not None:
            progress.restart("exporting: writing: ", sum(e - s for s, e in ranges) * ps)
            waiting = progress.update
        pipe.close(waiting)
    finally:
        pipe.cancel()
    note_shared(idx, pipe.copier.cloner.shared)
    if core is None:
        os.ftruncate(dst.fd, size)  # known once the index is read: a hole at the end
        return idx, ranges, size
    wb = Writeback(dst.fd) if dst.sync else None
    return idx, ranges, finish_early(core, idx, ranges, src.src_fd, dst.fd, wb)


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
    inp: str,
    want: list[tuple[int, int]],
    out: str | None,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> tuple[list[tuple[int, int]], int]:
    """Write the pages of ``want`` (in order, never-sent ones as zeros) to ``out`` or
    stdout; return the never-sent ranges and the page size. ``progress`` shown while
    reading IN and while copying the pages."""
    import tempfile

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
        idx = build_index(
            src.f,
            src.spool,
            want=lambda s, e: s < hi and e > lo,
            name=src.name,
            progress=_reading(progress, "pages: reading: ", src.f),
        )
        if src.spool is not None:
            src.spool.flush()
        ps = idx.page_size
        bases = []
        here = 0
        for s, e in want:
            bases.append(here)
            here += (e - s) * ps
        _check_size(out or "<stdout>", here, force)
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

        replay(idx, src.src_fd, fd, place, _observer(progress, "pages: copying: ", here, None))
        if dst is not None:
            dst.commit()
        else:
            _send_to_stdout(fd, here)
    except OSError as err:
        raise ExportError(f"{_shown(err, out or '<stdout>')}: {err.strerror or err}") from err
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
    import contextlib

    sys.stdout.flush()
    out = sys.stdout.fileno()
    off = 0
    with contextlib.suppress(OSError):  # the kernel moves it (pipe, file, socket)
        while off < size:
            sent = os.sendfile(out, fd, off, size - off)
            if sent <= 0:
                break
            off += sent
    while off < size:
        data = os.pread(fd, min(COPY_CHUNK, size - off), off)
        if not data:
            break
        view = memoryview(data)
        while view:
            view = view[os.write(out, view) :]
        off += len(data)


# --- CLI --------------------------------------------------------------------------------

EXPORT_EPILOG = """\
exit status: 0 written, 1 the image is unreadable (framing lost), 2 usage or I/O error,
or refused: OUT is the input, OUT exists without --force, OUT is not a regular file
(a device, FIFO, socket, directory or symlink is never replaced, whatever --force
says), or the output would be over 1 TiB without --force or beyond 2^63 bytes

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
From a pipe nothing is spooled: each page goes into OUT as it is read (in a core,
pages then come in stream order and the program headers after them).
"""

PAGES_EPILOG = """\
exit status: 0 written (pfns never sent included, as zeros), 1 the image is
unreadable (framing lost), 2 usage or I/O error, or refused: OUT is the input, OUT
exists without --force, OUT is not a regular file (never replaced, whatever --force
says), stdout is a terminal, or the output would be over 1 TiB without --force

examples:
  xensave pages guest.xl --pfn 0x100 -o page.bin
  xensave pages guest.xl --pfn 0-15 --pfn 0xfeffc | xxd | less
  xensave pages guest.xl --pfn 0-0xff -o low.bin --json | jq .never_sent

Pages are written in the order asked, one page per pfn; a pfn the image never sent
is written as zeros and named on stderr. Progress is shown on stderr when it is a
terminal (export and pages alike: reading IN, then writing OUT).
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
    p.add_argument(
        "--force",
        action="store_true",
        help="replace OUT if it is an existing regular file; make a raw image over 1 TiB",
    )
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
    g.add_argument(
        "--force",
        action="store_true",
        help="replace OUT if it is an existing regular file; write over 1 TiB",
    )
    g.add_argument(
        "--json",
        action="store_true",
        help="print a JSON summary on stdout (with -o OUT: stdout then carries no pages)",
    )


class ExportArgs:
    """The namespace of a plain export: the attributes argparse's would have."""

    def __init__(self, kind: str, inp: str, out: str) -> None:
        self.command = "export"
        self.kind = kind
        self.input = inp
        self.output = out
        self.force = False
        self.sync = False
        self.no_sync = False
        self.json = False
        self.quiet = False


_FLAGS = {
    "-q": "quiet",
    "--quiet": "quiet",
    "--json": "json",
    "--force": "force",
    "--sync": "sync",
    "--no-sync": "no_sync",
}


def fast_args(argv: list[str]) -> ExportArgs | None:
    """The arguments of a plain ``export raw|elf [flags] IN OUT``, read without
    argparse (with the modules it loads, some 15 ms of a 1 GiB export's 0.4 s); anything
    else (other or abbreviated options, ``--``, help, an error) is None and goes through
    the full parser, which alone decides what is an error."""
    if argv[:1] != ["export"]:
        return None
    given: set[str] = set()
    pos: list[str] = []
    for a in argv[1:]:
        if a in _FLAGS:
            given.add(_FLAGS[a])
        elif a == "-" or not a.startswith("-"):
            pos.append(a)
        else:
            return None
    if len(pos) != 3 or pos[0] not in ("raw", "elf") or {"sync", "no_sync"} <= given:
        return None
    ns = ExportArgs(*pos)
    for name in given:
        setattr(ns, name, True)
    return ns


def cmd_export(args: object) -> int:
    a = args
    if a.quiet:  # type: ignore[attr-defined]
        bar = None
    else:
        from .progress import Progress

        bar = Progress(None)
    kind, inp, out = a.kind, a.input, a.output  # type: ignore[attr-defined]
    try:
        sync = True if a.sync else False if a.no_sync else None  # type: ignore[attr-defined]
        s = export(kind, inp, out, force=a.force, sync=sync, progress=bar)  # type: ignore[attr-defined]
    except ExportError as e:
        print(f"xensave: export: {e}", file=sys.stderr)
        return e.code
    finally:
        if bar is not None:
            bar.close()
    if a.json:  # type: ignore[attr-defined]
        import json

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
    return EXIT_VALID


def cmd_pages(args: object) -> int:
    a = args
    try:
        want = [parse_pfn_range(t) for t in a.pfn]  # type: ignore[attr-defined]
    except ValueError as e:
        print(f"xensave: pages: {e}", file=sys.stderr)
        return EXIT_ERROR
    out = a.output  # type: ignore[attr-defined]
    if out is None and a.json:  # type: ignore[attr-defined]
        print("xensave: pages: --json needs -o OUT (stdout carries the pages)", file=sys.stderr)
        return EXIT_ERROR
    if out is None and sys.stdout.isatty():
        print("xensave: pages: refusing to write pages to a terminal; use -o OUT", file=sys.stderr)
        return EXIT_ERROR
    from .progress import Progress

    bar = Progress(None)
    try:
        missing, ps = extract_pages(a.input, want, out, force=a.force, progress=bar)  # type: ignore[attr-defined]
    except ExportError as e:
        print(f"xensave: pages: {e}", file=sys.stderr)
        return e.code
    finally:
        bar.close()
    if a.json:  # type: ignore[attr-defined]
        import json

        doc = {
            "input": a.input,  # type: ignore[attr-defined]
            "output": out,
            "pfns": [[lo, hi - 1] for lo, hi in want],  # inclusive, as export's ranges
            "page_size": ps,
            "pages": sum(hi - lo for lo, hi in want),
            "output_bytes": sum(hi - lo for lo, hi in want) * ps,
            "never_sent": [[lo, hi - 1] for lo, hi in missing],
            "never_sent_pages": sum(hi - lo for lo, hi in missing),
        }
        print(json.dumps(doc, indent=2))
    if missing:
        n = sum(hi - lo for lo, hi in missing)
        print(
            f"xensave: pages: never sent (written as zeros): {n} pfns: {fmt_ranges(missing)}",
            file=sys.stderr,
        )
    return EXIT_VALID
