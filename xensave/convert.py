"""``xensave convert``: legacy images (bare, in an xl file or in an xend file) to libxc
v3/v2, libxl or xl; libxc v3 <-> v2.

Safety first: the input is opened read-only and never written; the output goes to a
temporary file beside OUT, which is checked with the reference checker and renamed
over OUT only when complete and clean; an OUT it replaces is on disk first (fsync).
Converting onto the input is refused.

Page data is never decoded on the way: on regular files the kernel moves it
(``copy_file_range`` as ``cp`` does, or ``splice`` through a pipe: one copy either
way), through a buffer only where a single copy is the CPU's slow case; elsewhere
through one bounded buffer (xensave.convert_out). The output's disk writes start
while the conversion runs (``sync_file_range`` on Linux), so the disk works during the
conversion instead of only in the fsync after it. Memory stays bounded by the largest
single chunk (a 4 MiB page batch, a Remus compression buffer, a device-model record)
plus a pfn -> output offset table that Remus decompression needs (8 octets per guest
pfn).

The modules: this one (the entry point, v3 <-> v2, the command line),
xensave.convert_out (OUT and the copying), xensave.convert_legacy (legacy images),
xensave.moves (toolstack moves).
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Iterator

from .console import EXIT_ERROR, EXIT_INVALID, EXIT_VALID, add_legacy_flags, reason
from .constants import REC_LENGTH_MAX, XC_REC_ALIGN_PAD, XcRecType
from .convert_legacy import LegacyConverter
from .convert_out import ConvertError, OutFile, feed, fileno
from .legacy.read import LegacyHeader, LegacyOptions
from .outputs import OutputError
from .reader import (
    Event,
    LegacyAmbiguous,
    LibxlHeader,
    Reader,
    ReadError,
    ReadOptions,
    RecordEvent,
    Trailer,
    XcDomainHeader,
    XcImageHeader,
    XlHeader,
)

TYPE_CHECKING = False  # typing stays off the start-up; mypy reads this as true
if TYPE_CHECKING:
    from typing import Any, BinaryIO, Literal, TypeGuard

    from .convert_out import Target
    from .progress import Progress
    from .xend import XendHeader

__all__ = ["TARGETS", "ConvertError", "ConvertResult", "convert"]

TARGETS: tuple[Target, ...] = ("libxc-v3", "libxc-v2", "libxl", "xl", "libvirt", "xapi")
_STATIC = frozenset({XcRecType.X86_PV_INFO, XcRecType.X86_CPUID_POLICY, XcRecType.X86_MSR_POLICY})
#: The names the tests reach (and patch) here.
_Out = OutFile
_Legacy = LegacyConverter


class ConvertResult:
    """What a conversion did (a plain class: ``dataclasses`` costs a start-up that a
    command run for one file notices)."""

    __slots__ = ("bytes_written", "notes", "source", "target")

    def __init__(
        self, source: str, target: str, bytes_written: int, notes: list[str] | None = None
    ) -> None:
        self.source = source  # what the input was
        self.target = target
        self.bytes_written = bytes_written
        self.notes: list[str] = [] if notes is None else notes

    def __repr__(self) -> str:
        return (
            f"ConvertResult({self.source!r}, {self.target!r}, {self.bytes_written}, {self.notes!r})"
        )


# --- v3 <-> v2 -----------------------------------------------------------------------------------


class _Version:
    def __init__(self, reader: Reader, out: OutFile, version: int, in_fd: int | None) -> None:
        self.reader = reader
        self.out = out
        self.version = version
        self.in_fd = in_fd
        self.notes: list[str] = []
        self.src_versions: set[int] = set()
        self.sde_done = True
        self.dropped: dict[str, int] = {}
        self.pads = 0  # alignment padding records of the input, left out
        self.guest = 0

    def run(self, events: Iterator[Event]) -> None:
        for ev in events:
            self.event(ev)
        for name, n in self.dropped.items():
            self.notes.append(
                f"dropped {n} {name} record{'s' if n != 1 else ''} (a Xen < 4.14 receiver "
                "does not know it; the domain's CPU policy is then the receiver's default)"
                if name != "STATIC_DATA_END"
                else f"dropped {n} STATIC_DATA_END record{'s' if n != 1 else ''} (implied in v2)"
            )
        if self.pads:
            self.notes.append(
                f"left out {self.pads} alignment padding record{'s' if self.pads != 1 else ''} "
                "of IN (they pad for IN's layout; --align-pages pads OUT anew)"
            )

    def event(self, ev: Event) -> None:
        out = self.out
        if isinstance(ev, XlHeader):
            e = ">" if ev.big_endian else "<"
            out.write(ev.magic)
            out.write(
                struct.pack(
                    f"{e}IIII",
                    ev.byteorder,
                    ev.mandatory_flags,
                    ev.optional_flags,
                    ev.optional_data_len,
                )
            )
            if len(ev.optional_data) != ev.optional_data_len:
                raise ConvertError("the xl optional data is too large to carry over")
            out.write(ev.optional_data)
        elif isinstance(ev, LibxlHeader):
            out.write(struct.pack(">8sII", ev.ident, ev.version, ev.options))
        elif isinstance(ev, XcImageHeader):
            self.src_versions.add(ev.version)
            out.write(
                struct.pack(
                    ">QIIHHI",
                    ev.marker,
                    ev.ident,
                    self.version,
                    ev.options,
                    ev.reserved1,
                    ev.reserved2,
                )
            )
            self.sde_done = self.version < 3
            self.endian = ">" if ev.big_endian else "<"
        elif isinstance(ev, XcDomainHeader):
            self.guest = ev.type
            out.write(
                struct.pack(
                    f"{self.endian}IHHII",
                    ev.type,
                    ev.page_shift,
                    ev.reserved,
                    ev.xen_major,
                    ev.xen_minor,
                )
            )
        elif isinstance(ev, RecordEvent):
            self.record(ev)
        elif isinstance(ev, Trailer):
            raise ConvertError(f"{ev.offset:#x}: {ev.length} octets follow the end of the image")
        else:
            raise ConvertError(f"cannot convert {type(ev).__name__}")

    def record(self, ev: RecordEvent) -> None:
        out = self.out
        if ev.layer == "libxc":
            t = ev.type
            if t == XC_REC_ALIGN_PAD:
                self.pads += 1
                return
            if ev.length > REC_LENGTH_MAX:  # refused before copying gigabytes
                raise ConvertError(
                    f"{ev.offset:#x}: record #{ev.index} {ev.name}: XC-REC-008: body_length "
                    f"{ev.length} is over {REC_LENGTH_MAX} (REC_LENGTH_MAX), which Xen's "
                    "restorer refuses (read_record, xg_sr_common.c): not converted"
                )
            if self.version < 3 and t in (
                XcRecType.STATIC_DATA_END,
                XcRecType.X86_CPUID_POLICY,
                XcRecType.X86_MSR_POLICY,
            ):
                name = XcRecType(t).name
                self.dropped[name] = self.dropped.get(name, 0) + 1
                return
            if t == XcRecType.STATIC_DATA_END:
                if self.sde_done:
                    return  # one is enough (a v2 source may carry a stray one)
                self.sde_done = True
            elif not self.sde_done and t not in _STATIC:
                out.record(XcRecType.STATIC_DATA_END, b"", ev.endian)
                self.sde_done = True
        if ev.page_bytes and ev.layer == "libxc" and ev.type == XcRecType.PAGE_DATA:
            out.page_data((len(ev.body) - 8) // 8, ev.endian)
            if ev.pages is None:  # copied from IN: keep its place within a page
                out.keep_page_phase(ev.body_offset + len(ev.body), 8 + len(ev.body), ev.endian)
        out.write(struct.pack(f"{ev.endian}II", ev.type, ev.length))
        if ev.page_bytes:
            out.write(ev.body)
            if ev.pages is not None:
                out.write(ev.pages)
            else:
                assert self.in_fd is not None
                out.copy_in(self.in_fd, ev.body_offset + len(ev.body), ev.page_bytes)
        elif ev.body_complete:
            out.write(ev.body)
        else:
            if self.in_fd is None:
                raise ConvertError("a record too large to buffer on a non-seekable input")
            out.copy_in(self.in_fd, ev.body_offset, ev.length)
        out.write(ev.padding)


# --- entry point --------------------------------------------------------------------------------


def convert(
    src: str,
    dst: str,
    to: Target | None = None,
    *,
    legacy_width: Literal[32, 64] | None = None,
    legacy_guest: Literal["pv", "hvm"] | None = None,
    allow_loss: bool = False,
    verify: bool = True,
    sync: bool | None = None,
    force: bool = False,
    progress: Progress | None = None,
    config: str | None = None,
    emulator: str | None = None,
    align_pages: bool = False,
    keep_page_offsets: bool = False,
) -> ConvertResult:
    """Convert the image at ``src`` into ``dst``. Raises ConvertError (nothing written)
    or OSError.

    ``sync``: fsync the output before it takes ``dst``'s name: True always, False
    never, None (the default, as ``xensave export`` does) only when it replaces an
    existing ``dst``. A replaced file is then never lost to a crash before the new one
    is on disk; a new file costs no fsync, whose price is the disk's write speed, and a
    crash can lose only the new file, which the untouched input can make again.
    ``force``: replace an existing regular ``dst`` (never anything else); without it
    an existing ``dst`` is refused (OutputError). ``progress``: shown while reading
    and while verifying the output. ``config`` (a file) and ``emulator`` apply to
    toolstack moves (xensave.moves).
    ``align_pages``: put an alignment padding record (optional, which Xen's restorer
    skips) before each PAGE_DATA so that its page contents start on a 4096-octet
    boundary of ``dst``, in a toolstack move too (xensave.moves).
    ``keep_page_offsets``: put one such padding record where the layout shifts, so
    that page contents keep their offset within a 4096-octet page from ``src``: the
    kernel then copies them page onto page (``copy_file_range``, as ``cp``), the
    fastest copy there is; ignored with ``align_pages``."""
    from .outputs import check_output, create_temp

    move_opts = _move_options(config, emulator)

    exists = check_output(src, dst, force)  # OutputError: exit 2
    fin: BinaryIO = (
        open(src, "rb", buffering=0)  # noqa: SIM115 (closed in the finally below)
        if src != "-"
        else open(0, "rb", buffering=0, closefd=False)  # noqa: SIM115
    )
    if sync is None:
        sync = exists
    try:
        fd, tmp = create_temp(dst)
    except BaseException:
        fin.close()
        raise
    ok = False
    out: OutFile | None = None
    try:
        out = OutFile(fd, writeback=sync, align=align_pages, keep_phase=keep_page_offsets)
        if src != "-":  # OUT is about as long as IN, whatever the conversion
            out.reserve(os.fstat(fin.fileno()).st_size)
        result = _convert(fin, out, to, legacy_width, legacy_guest, allow_loss, progress, move_opts)
        out.finish()
        if out.pads:
            result.notes.append(
                f"page contents aligned to 4096 bytes: {out.pads} padding record"
                f"{'s' if out.pads != 1 else ''} added ({out.pad_bytes} bytes)"
            )
        if out.unaligned:
            result.notes.append(
                f"{out.unaligned} PAGE_DATA record{'s' if out.unaligned != 1 else ''} not "
                "aligned: the libxc stream starts off an 8-byte boundary of OUT (the xl "
                "header's optional data is not a multiple of 8 bytes long), and records "
                "are multiples of 8 from their stream's start"
            )
        if out.phase_pads:
            result.notes.append(
                f"page contents kept at IN's offsets within a page: {out.phase_pads} padding "
                f"record{'s' if out.phase_pads != 1 else ''} added ({out.phase_pad_bytes} bytes)"
            )
        if out.phase_unkept:
            result.notes.append(
                f"{out.phase_unkept} PAGE_DATA record{'s' if out.phase_unkept != 1 else ''} "
                "not kept at IN's offsets within a page: OUT shifts them by a number of "
                "octets that is not a multiple of 8, which no padding record can undo"
            )
        if out.cloner is not None and out.cloner.shared:
            result.notes.append(
                f"{out.cloner.shared} bytes of page data share IN's blocks (reflink), not copied"
            )
        umask = os.umask(0)  # the mode a new file gets (mkstemp's is 0600)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        if sync:  # on disk before it takes OUT's name: a crash cannot leave half an OUT
            os.fsync(fd)
        os.close(fd)
        fd = -1
        if verify:
            from .checker import check_stream

            if progress is not None:
                progress.restart("converting: verifying OUT: ", result.bytes_written)
            with open(tmp, "rb") as check:
                report = check_stream(check, progress=progress.update if progress else None)
            if not report.valid:
                first = "; ".join(x.format("OUT") for x in report.errors[:3])
                raise ConvertError(f"the converted image does not verify clean: {first}")
        from .outputs import install

        install(tmp, dst, replace=force)
        ok = True
        return result
    except ReadError as e:
        if isinstance(e, LegacyAmbiguous):
            raise  # not a fault of the image: the caller must choose (exit status 2)
        raise ConvertError(f"{e.offset:#x}: {e.rule + ': ' if e.rule else ''}{e.message}") from None
    finally:
        fin.close()
        if out is not None:
            out.release()
        if fd >= 0:
            os.close(fd)
        if not ok:
            from .outputs import remove_temp

            remove_temp(tmp)


def _convert(
    fin: BinaryIO,
    out: OutFile,
    to: Target | None,
    width: Literal[32, 64] | None,
    guest: Literal["pv", "hvm"] | None,
    allow_loss: bool,
    progress: Progress | None = None,
    move_opts: dict[str, Any] | None = None,
) -> ConvertResult:
    opts = LegacyOptions(width, guest, want_pages=True)
    reader = Reader(fin, ReadOptions(legacy=opts))
    in_fd = fileno(fin) if reader.src.size is not None else None
    opts.page_sink = lambda n: feed(reader, out, n)
    events: Iterator[Event] = iter(reader)
    if progress is not None:
        progress.restart("converting: ", reader.src.size)
        events = _shown(events, reader, progress)
    first = next(events, None)
    if first is None:
        raise ConvertError("empty input")
    xl: XlHeader | None = None
    ahead: list[Event] = [first]
    notes: list[str] = []
    if _is_xend(first):  # xend (xm save): its configuration becomes xl's
        xl, notes, ahead = _from_xend(first, events)
    elif isinstance(first, XlHeader):
        xl = first
        second = next(events, None)
        if second is None:
            raise ConvertError("the xl file holds no stream")
        ahead = [second] if isinstance(second, LegacyHeader) else [first, second]
    if isinstance(ahead[0], LegacyHeader):
        config = (move_opts or {}).get("config")
        if to == "xapi" or (config is not None and to != "libvirt"):
            raise ConvertError(
                "a legacy image moves in two steps: convert it first (--to xl or --to "
                "libxl), then move the result (--config and --to xapi apply to v2/v3 images)"
            )
        if to == "libvirt":  # converted to a libxl stream behind a version 2 header
            from .moves import MoveError, libvirt_prefix

            try:
                out.write(libvirt_prefix(config, (move_opts or {}).get("config_name", "")))
            except MoveError as e:
                raise ConvertError(str(e)) from None
            lc = LegacyConverter(reader, out, "libxl", xl, allow_loss)
            lc.run(_chain(ahead, events))
            lc.notes.append("the legacy stream became a libxl stream: libvirt header version 2")
            return ConvertResult("legacy", "libvirt", out.pos, lc.notes)
        target: Target = to or ("xl" if xl is not None else "libxl")
        lc = LegacyConverter(reader, out, target, xl, allow_loss)
        lc.notes += notes
        lc.run(_chain(ahead, events))
        return ConvertResult("xend" if notes else "legacy", target, out.pos, lc.notes)
    if to in ("libxl", "xl", "libvirt", "xapi"):
        return _move(_chain(ahead, events), in_fd, out, to, allow_loss, move_opts or {})
    if move_opts and move_opts.get("config") is not None:
        raise ConvertError("--config applies to --to xl, libvirt (toolstack moves)")
    version = {"libxc-v3": 3, "libxc-v2": 2}.get(to or "", 0)
    vc = _Version(reader, out, version or 3, in_fd)
    if in_fd is None:
        raise ConvertError("converting between v2 and v3 needs a regular file as input")
    if not version:
        # no --to: flip the version, found on the first libxc image header
        pre = list(ahead)
        while not any(isinstance(e, XcImageHeader) for e in pre):
            nxt = next(events, None)
            if nxt is None:
                raise ConvertError("no libxc stream in this image")
            pre.append(nxt)
        ih = next(e for e in pre if isinstance(e, XcImageHeader))
        vc.version = 2 if ih.version >= 3 else 3
        ahead = pre
    vc.run(_chain(ahead, events))
    target_name = f"libxc-v{vc.version}"
    if vc.src_versions == {vc.version} and not vc.pads and not out.pads and not out.phase_pads:
        vc.notes.append(f"the image already is {target_name}: copied unchanged")
    return ConvertResult(
        "/".join(f"libxc-v{v}" for v in sorted(vc.src_versions)), target_name, out.pos, vc.notes
    )


def _shown(events: Iterator[Event], reader: Reader, progress: Progress) -> Iterator[Event]:
    """``events``, with the input offset shown as each goes by."""
    for ev in events:
        progress.update(reader.src.offset)
        yield ev


def _move_options(config: str | None, emulator: str | None) -> dict[str, Any]:
    opts: dict[str, Any] = {"emulator": emulator, "config": None, "config_name": config or ""}
    if config is not None:
        from .console import InputError
        from .edit import EditError, read_config

        try:
            opts["config"] = read_config(config)
        except EditError as e:  # unreadable or too large: a usage error (exit 2)
            raise InputError(str(e)) from None
    return opts


def _move(
    events: Iterator[Event],
    in_fd: int | None,
    out: OutFile,
    to: Target,
    allow_loss: bool,
    opts: dict[str, Any],
) -> ConvertResult:
    """A toolstack move (xensave.moves): the stream copied, the wrapper rebuilt."""
    from .moves import MoveError, move

    if in_fd is None:
        raise ConvertError("a toolstack move needs a regular file as input")
    try:
        layer, notes = move(events, in_fd, out, to, allow_loss=allow_loss, **opts)
    except MoveError as e:
        raise ConvertError(str(e)) from None
    return ConvertResult(layer, to, out.pos, notes)


def _is_xend(ev: Event) -> TypeGuard[XendHeader]:
    """Whether ``ev`` is an xend file's header. The reader imports xensave.xend when it
    meets one; loading it (and ``typing`` with it) for every other image would cost
    the start-up of every conversion."""
    xend = sys.modules.get("xensave.xend")
    return xend is not None and isinstance(ev, xend.XendHeader)


def _from_xend(h: XendHeader, events: Iterator[Event]) -> tuple[XlHeader, list[str], list[Event]]:
    """An xend file: the xl header its configuration becomes (xensave.xend), the notes
    on it, and the legacy image's first event."""
    from .xend_config import XendConfigError, xl_header_of

    second = next(events, None)
    if not isinstance(second, LegacyHeader):
        raise ConvertError("the xend file holds no legacy image after its configuration")
    try:
        xl, notes = xl_header_of(h, second.guest)
    except XendConfigError as e:
        raise ConvertError(str(e)) from None
    return xl, notes, [second]


def _chain(first: list[Event], rest: Iterator[Event]) -> Iterator[Event]:
    yield from first
    yield from rest


# --- command line ------------------------------------------------------------------------------


CONVERT_EPILOG = """\
exit status: 0 OUT written, 1 IN is invalid or cannot be converted (OUT untouched),
2 usage or I/O error, OUT refused (it is IN, it exists without --force, or it is not
a regular file: a device, FIFO, socket, directory or symlink is never replaced), or a
legacy image that reads as several variants (the message names them and the
--legacy-width/--legacy-guest options that choose one)

examples:
  xensave convert old.img new.libxl                 # legacy -> libxl stream (detected)
  xensave convert --to libxc-v3 old.img new.xc      # legacy -> bare libxc v3
  xensave convert --legacy-width 32 --legacy-guest hvm odd.img new.libxl
  xensave convert --to libxc-v2 guest.xl guest-v2.xl  # v3 -> v2 for Xen < 4.14
  xensave convert --json old.img new.libxl | jq .notes

Progress is shown on stderr when it is a terminal (reading IN, then verifying OUT).

toolstack moves (v2/v3 images; a legacy image goes to libvirt converted to a libxl
stream, and to XAPI in two steps: convert it to xl first):
  xensave convert --to libvirt --config dom.xml --allow-loss guest.xl guest.libvirt
  xensave convert --to xl --config dom.json --allow-loss guest.libvirt guest.xl
  xensave convert --to xapi --allow-loss guest.xl guest.xapi  # LIBXC + QEMU_TRAD
  xensave convert --to xl --emulator qemu-xen --allow-loss vm.xapi vm.xl
A libvirt file gets version 2 (a libxl stream follows), as libvirt built for Xen 4.6
and later writes; a XAPI image a LIBXC section (xenopsd refuses LIBXL sections) and
the device model state as QEMU_TRAD. Losses (the other toolstack's configuration,
xenopsd's metadata, EMULATOR_XENSTORE_DATA, a UEFI variable store) are listed;
a checkpointed (Remus/COLO) stream does not move to XAPI. See docs: toolstack moves.
"""


def register(sub: object) -> None:
    """Add the ``convert`` subcommand to the CLI's subparsers."""
    import argparse

    p = sub.add_parser(  # type: ignore[attr-defined]
        "convert",
        help="convert a legacy image to v3/v2, libxc v3 <-> v2, or move between toolstacks",
        description="Convert IN into OUT. A legacy (Xen 4.5 and older) image becomes a "
        "libxc v3 or v2 stream, a libxl stream or an xl save file (default: xl for a "
        "legacy xl file or an xend (xm save) file, libxl otherwise); its toolstack "
        "width and guest type are detected, and an xend file's S-expression "
        "configuration becomes xl's JSON where the mapping is clear (the notes name "
        "the rest). A libxc v3 image becomes v2 and a v2 image v3 (default: the other "
        "version), its other layers kept. --to xl, libvirt, xapi or libxl on a v2/v3 image "
        "moves it between toolstacks: its stream copied as it is, the wrapper around it "
        "rebuilt (the configuration from --config or IN; what OUT has no place for is "
        "refused unless --allow-loss). IN is never modified; OUT is written only "
        "when the conversion is complete and verifies clean, an existing OUT replaced "
        "only with --force and only if it is a regular file.",
        epilog=CONVERT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", metavar="IN", help="the image to convert")
    p.add_argument("output", metavar="OUT", help="where to write the converted image")
    p.add_argument("--to", choices=TARGETS, help="the output format")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace OUT if it is an existing regular file (anything else is refused)",
    )
    add_legacy_flags(p)
    p.add_argument(
        "--config",
        metavar="FILE",
        help="toolstack moves: the domain configuration OUT carries (libxl JSON for "
        "--to xl, libvirt XML for --to libvirt)",
    )
    p.add_argument(
        "--emulator",
        choices=("qemu-xen", "qemu-traditional"),
        help="toolstack moves from a XAPI image or a bare libxc stream: the device model "
        "whose state it holds (libxl's EMULATOR_CONTEXT emulator id; default 0, unknown)",
    )
    p.add_argument(
        "--allow-loss",
        action="store_true",
        help="convert even where OUT cannot hold everything IN has (each loss is listed)",
    )
    durable = p.add_mutually_exclusive_group()
    durable.add_argument(
        "--sync",
        action="store_true",
        help="fsync OUT before renaming it into place even when it is a new file (by "
        "default only a replaced OUT is synced first); the disk's write speed then "
        "bounds the conversion",
    )
    durable.add_argument(
        "--no-sync",
        action="store_true",
        help="never fsync OUT, not even when it replaces a file (a crash may then leave "
        "an incomplete OUT in place of the old one)",
    )
    pages = p.add_mutually_exclusive_group()
    pages.add_argument(
        "--align-pages",
        action="store_true",
        help="start the page contents of every PAGE_DATA record on a 4096-byte boundary "
        "of OUT, with an optional padding record before it (Xen's restorer skips it); "
        "costs under 4 KiB per record, lets export share or map pages. Any target, "
        "toolstack moves too; not where the wrapper puts the libxc stream off an 8-byte "
        "boundary (a XAPI image, an xl file whose configuration is not a multiple of 8 "
        "long): the notes then say so",
    )
    pages.add_argument(
        "--keep-page-offsets",
        action="store_true",
        help="keep page contents at the offset within a 4096-byte page they have in IN, "
        "with an optional padding record (as --align-pages) where the conversion shifts "
        "them, so that on btrfs or XFS OUT shares IN's blocks instead of copying them "
        "(on ext4 it measured slower than the default: see docs/performance.md). "
        "Costs under 4 KiB per shift: one for "
        "v2 <-> v3 and bare libxc <-> libxl, one per batch for legacy images, where "
        "every other batch cannot be kept (a shift that is not a multiple of 8 cannot "
        "be padded, as that of an xl header without configuration or of a XAPI "
        "wrapper: the notes then say so). Xen's restorer skips the padding; Xen's "
        "verify-stream-v2 refuses it, which is why it is not the default",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument(
        "--json", action="store_true", help="print the result (formats, bytes, notes) as JSON"
    )
    out.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing on success, show no progress"
    )


def cmd_convert(args: object) -> int:
    import sys

    from .progress import Progress

    a = args
    if a.config is not None and a.to not in ("xl", "libvirt"):  # type: ignore[attr-defined]
        # a usage error, found before IN is opened: only those files hold a configuration
        print(
            "xensave: convert: --config applies to --to xl and --to libvirt (the "
            "configuration an xl or libvirt save file holds)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    bar = Progress(None) if not a.quiet else None  # type: ignore[attr-defined]
    try:
        r = convert(
            a.input,  # type: ignore[attr-defined]
            a.output,  # type: ignore[attr-defined]
            a.to,  # type: ignore[attr-defined]
            legacy_width=a.legacy_width,  # type: ignore[attr-defined]
            legacy_guest=a.legacy_guest,  # type: ignore[attr-defined]
            allow_loss=a.allow_loss,  # type: ignore[attr-defined]
            sync=True if a.sync else False if a.no_sync else None,  # type: ignore[attr-defined]
            force=a.force,  # type: ignore[attr-defined]
            progress=bar,
            config=a.config,  # type: ignore[attr-defined]
            emulator=a.emulator,  # type: ignore[attr-defined]
            align_pages=a.align_pages,  # type: ignore[attr-defined]
            keep_page_offsets=a.keep_page_offsets,  # type: ignore[attr-defined]
        )
    except LegacyAmbiguous as e:
        print(f"xensave: convert: {a.input}: {e.message}", file=sys.stderr)  # type: ignore[attr-defined]
        return EXIT_ERROR
    except ConvertError as e:
        print(f"xensave: convert: {a.input}: {e}", file=sys.stderr)  # type: ignore[attr-defined]
        return EXIT_INVALID
    except OutputError as e:
        print(f"xensave: convert: {e}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as e:
        name = e.filename if isinstance(e.filename, str) else a.output  # type: ignore[attr-defined]
        if ".xensave-" in os.path.basename(name):
            name = a.output  # type: ignore[attr-defined]
        print(f"xensave: convert: {name}: {reason(e)}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if bar is not None:
            bar.close()
    if a.json:  # type: ignore[attr-defined]
        import json

        doc = {
            "input": a.input,  # type: ignore[attr-defined]
            "output": a.output,  # type: ignore[attr-defined]
            "source": r.source,
            "target": r.target,
            "bytes_written": r.bytes_written,
            "notes": r.notes,
        }
        print(json.dumps(doc, indent=2))
    elif not a.quiet:  # type: ignore[attr-defined]
        print(f"{a.output}: {r.source} -> {r.target}, {r.bytes_written} bytes")  # type: ignore[attr-defined]
        for note in r.notes:
            print(f"  {note}")
    return EXIT_VALID
