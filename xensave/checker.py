"""The reference checker: applies every image rule of the catalogue to an image.

The reader frames, the checker judges. ``check_stream`` walks the reader's events
once, keeps a small amount of state per layer (nothing proportional to the image)
and turns every broken rule into a :class:`Diagnostic` that cites the rule's ID,
level, byte offset and record. Framing loss (``ReadError``) ends the walk with a
final diagnostic; everything else is reported and the walk goes on, so one run
shows every problem the framing lets it find.

The rules live in :mod:`xensave.check`, one module per spec chapter, each with the
slice of :data:`CHECKS` it cites (``spec/libxc-stream.md`` is ``check/libxc*.py``,
``spec/pv-context.md`` is ``check/pv_context.py``, and so on); this module holds the
entry points, the dispatch of the reader's events to them, the dispatch of the end
of input (a trailer, a framing loss) to the layer it happened in, and the rule of
``spec/image.md``. Every image rule of the catalogue is either in :data:`CHECKS` or
in :data:`UNCHECKED` with the reason; ``tests/test_checker.py`` holds the three in
step, and ``tests/test_check_chapters.py`` each module to its chapter.

Speed: per record the work is a handful of Python operations; a PAGE_DATA pfn array
is judged with bytes slicing and ``translate``/``count`` and only walked entry by
entry once a violation is known to be there.
"""

from __future__ import annotations

import io
import sys

from .check.emit import MAX_PER_RULE, CheckState, Diagnostic, Report, Stop
from .constants import (
    LIBVIRT_HEADER_SIZE,
    LIBXL_HEADER_SIZE,
    XC_DOMAIN_HEADER_SIZE,
    XC_IMAGE_HEADER_SIZE,
    XL_HEADER_SIZE,
)
from .reader import (
    XAPI_LENGTH_FRAMED,
    Event,
    LibvirtHeader,
    LibxlHeader,
    Reader,
    ReadError,
    ReadOptions,
    RecordEvent,
    Trailer,
    XapiHeader,
    XcDomainHeader,
    XcImageHeader,
    XlHeader,
)

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from types import ModuleType
    from typing import BinaryIO, TypeGuard

    from .check.legacy import LegacyChecker
    from .legacy.read import LegacyOptions
    from .xend import XendHeader

__all__ = [
    "CHECKS",
    "MAX_PER_RULE",
    "UNCHECKED",
    "Diagnostic",
    "Report",
    "check_bytes",
    "check_events",
    "check_stream",
]

# --- the rule table -----------------------------------------------------------------

#: The chapter modules, outermost layer first. Each module's ``CHECKS`` is the slice
#: of the rules of its chapter that it cites. A walk imports only the modules of the
#: layers it meets (a libxc stream needs neither the legacy nor the xend checks), so
#: :data:`CHAPTER_MODULES` and :data:`CHECKS` are made on first use (``__getattr__``).
CHAPTER_NAMES = (
    "xend",
    "xl_file",
    "libxl",
    "nesting",
    "libxc",
    "libxc_static",
    "libxc_pages",
    "libxc_pv",
    "pv_context",
    "libxc_hvm",
    "hvm_context",
    "legacy",
    "wrappers",
)

#: ``spec/image.md``: the image as a whole (no layer's bytes where they should be).
IMAGE_CHECKS: dict[str, str] = {
    "IMG-FMT-001": "input: some layer's identifying bytes, or a legacy guess (framing loss)",
}


def _assemble(modules: tuple[ModuleType, ...], own: dict[str, str]) -> dict[str, str]:
    table: dict[str, str] = {}
    for slice_ in (*(m.CHECKS for m in modules), own):
        twice = table.keys() & slice_.keys()
        assert not twice, f"rules owned by two modules: {sorted(twice)}"
        table.update(slice_)
    return table


if TYPE_CHECKING:
    CHAPTER_MODULES: tuple[ModuleType, ...]
    #: Every rule the checker can cite, with the check that cites it. The keys are the
    #: only rule IDs that appear in the checker's diagnostics.
    CHECKS: dict[str, str]


def __getattr__(name: str) -> object:
    """``CHAPTER_MODULES`` and ``CHECKS``, made (and kept) at their first use."""
    if name == "CHAPTER_MODULES":
        import importlib

        value: object = tuple(
            importlib.import_module(f"{__package__}.check.{m}") for m in CHAPTER_NAMES
        )
    elif name == "CHECKS":
        value = _assemble(__getattr__("CHAPTER_MODULES"), IMAGE_CHECKS)  # type: ignore[arg-type]
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


#: Image rules of the catalogue that the checker does not cite, with the reason.
UNCHECKED: dict[str, str] = {}

PROGRESS_STEP = 64 << 20


# --- the walk ---------------------------------------------------------------------------


class _Checker(CheckState):
    """One walk: each event goes to the chapter module of its layer, imported when the
    walk first needs it (the record checks once, at the first record)."""

    legacy: LegacyChecker | None = None  # made at a legacy image's first event
    _record: Callable[[CheckState, RecordEvent], None] | None = None  # libxc.record
    _libxl_record: Callable[[CheckState, RecordEvent], None] | None = None

    def _record_checks(
        self,
    ) -> tuple[
        Callable[[CheckState, RecordEvent], None], Callable[[CheckState, RecordEvent], None]
    ]:
        from .check import libxc, libxl

        self._record, self._libxl_record = libxc.record, libxl.record
        return libxc.record, libxl.record

    def event(self, ev: Event) -> None:
        if isinstance(ev, RecordEvent):
            xc_record, xl_record = self._record, self._libxl_record
            if xc_record is None or xl_record is None:
                xc_record, xl_record = self._record_checks()
            if ev.layer == "libxc":
                xc_record(self, ev)
            else:
                xl_record(self, ev)
            self.pos = ev.body_offset + ev.length + len(ev.padding)
        elif isinstance(ev, XcImageHeader):
            from .check import libxc

            libxc.image_header(self, ev)
            self.pos = ev.offset + XC_IMAGE_HEADER_SIZE
        elif isinstance(ev, XcDomainHeader):
            from .check import libxc

            libxc.domain_header(self, ev)
            self.pos = ev.offset + XC_DOMAIN_HEADER_SIZE
        elif isinstance(ev, LibxlHeader):
            from .check import libxl

            libxl.header(self, ev)
            self.pos = ev.offset + LIBXL_HEADER_SIZE
        elif isinstance(ev, XlHeader):
            from .check import xl_file

            xl_file.header(self, ev)
            self.pos = XL_HEADER_SIZE + len(ev.optional_data)
        elif isinstance(ev, Trailer):
            self.trailer(ev)
            self.pos = ev.offset + ev.length
        elif isinstance(ev, LibvirtHeader):
            from .check import wrappers

            wrappers.libvirt_header(self, ev)
            self.pos = LIBVIRT_HEADER_SIZE + len(ev.xml)
        elif isinstance(ev, XapiHeader):
            from .check import wrappers

            wrappers.xapi_section(self, ev)
            framed = ev.kind in XAPI_LENGTH_FRAMED
            self.pos = ev.body_offset + (ev.length if framed else 0)
        elif _is_xend_header(ev):
            from .check import xend

            xend.header(self, ev)
            self.pos = ev.config_offset + len(ev.config)
        else:  # a legacy image's events
            self.legacy_event(ev)

    def legacy_event(self, ev: object) -> None:
        lc = self.legacy
        if lc is None:
            from .check import legacy

            lc = self.legacy = legacy.LegacyChecker(self)
            self.layer = self.layer or "legacy"
        lc.event(ev)  # type: ignore[arg-type]  # the reader yields only legacy events here
        if self.carrier == "xend":
            from .check import xend

            xend.legacy_event(self, ev)
        self.pos = max(self.pos, getattr(ev, "offset", 0))

    # -- end of input

    def trailer(self, t: Trailer) -> None:
        """Bytes after the outermost END: each layer's rule says so."""
        from .check import libxc, libxl, wrappers

        if t.layer == "libxc":
            libxc.trailer(self, t)
        elif t.layer == "libxl":
            libxl.trailer(self, t)
        elif t.layer == "libvirt":
            wrappers.libvirt_trailer(self, t)
        elif t.layer == "xapi":
            wrappers.xapi_trailer(self, t)
        else:  # a layer with no rules for it
            self.unruled(
                t.offset, t.layer, f"{t.length} bytes follow the end of the {t.layer} image"
            )

    def read_error(self, e: ReadError, eof: int | None) -> None:
        """Turn the framing loss into the final diagnostic(s), by the layer it is in."""
        layer = e.layer
        present = 0 if eof is None else max(0, eof - e.offset)
        if layer == "legacy" and e.rule:
            from .check import legacy

            legacy.read_error(self, e)
        elif layer == "libxc":
            from .check import libxc

            libxc.read_error(self, e, present)
        elif layer == "libxl":
            from .check import libxl

            libxl.read_error(self, e, present)
        elif layer == "xl":
            from .check import xl_file

            xl_file.read_error(self, e, present)
        elif layer == "libvirt":
            from .check import wrappers

            wrappers.libvirt_read_error(self, e, present)
        elif layer == "xapi":
            from .check import wrappers

            wrappers.xapi_read_error(self, e)
        elif layer == "xend":
            from .check import xend

            xend.read_error(self, e)
        elif e.rule == "IMG-FMT-001":
            self.emit("IMG-FMT-001", e.offset, "image", e.message)
        else:
            # a bare legacy image the reader could not frame, without a rule
            self.unruled(e.offset, "libxc" if layer == "legacy" else layer or "image", e.message)

    # -- progress

    def tick(self, progress: Callable[[int], None] | None) -> None:
        if progress is not None and self.pos - self.last_progress >= PROGRESS_STEP:
            self.last_progress = self.pos
            progress(self.pos)


def _is_xend_header(ev: object) -> TypeGuard[XendHeader]:
    """Whether ``ev`` is an xend header. Only the reader of an xend image imports
    :mod:`xensave.xend` (whose S-expression parser compiles regular expressions), so
    an event is one only if that module is loaded."""
    xend = sys.modules.get(f"{__package__}.xend")
    return xend is not None and isinstance(ev, xend.XendHeader)


# --- entry points ----------------------------------------------------------------------


def _run(
    events: Iterable[Event],
    progress: Callable[[int], None] | None,
    reader: Reader | None,
    ambiguous_raises: bool = False,
) -> Report:
    c = _Checker()
    c.read_options = reader.opts if reader is not None else None
    c.page_reader = _page_reader(reader)
    it: Iterator[Event] = iter(events)
    try:
        for ev in it:
            c.event(ev)
            c.tick(progress)
    except ReadError as e:
        from .source import LegacyAmbiguous  # loaded with the reader already

        if ambiguous_raises and isinstance(e, LegacyAmbiguous):
            raise
        eof = reader.src.offset if reader is not None else None
        c.read_error(e, eof)
    except Stop:
        pass
    except (OSError, MemoryError):
        raise  # our failure, not the image's: exit 2 from the command line, never "invalid"
    except Exception as exc:  # a checker bug must not become a traceback for the user
        c.unruled(c.pos, c.layer or "xl", f"internal error in the checker: {exc!r}")
    layer = c.layer
    if reader is not None:
        layer = layer or reader.layer
        bytes_read = reader.src.offset
    else:
        bytes_read = c.pos
    if progress is not None:
        progress(bytes_read)
    return Report(c.finish(), layer, bytes_read)


def _page_reader(reader: Reader | None) -> Callable[[int, int], bytes] | None:
    """``os.pread`` on the image when it is a regular file the reader's offsets are
    file offsets of (the PV page checks then read only the pages they judge)."""
    import os
    import stat

    if reader is None or reader.src.size is None or reader.opts.want_pages:
        return None
    try:
        fd = reader.src.f.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
    except (OSError, ValueError, AttributeError):
        return None
    return lambda offset, n: os.pread(fd, n, offset)


def check_stream(
    f: BinaryIO,
    *,
    progress: Callable[[int], None] | None = None,
    legacy: LegacyOptions | None = None,
    ambiguous_raises: bool = False,
    stop_at_end: bool = False,
) -> Report:
    """Check the image that ``f`` holds (a file, a pipe or a socket), reading it once.

    ``progress(bytes_so_far)`` is called about every 64 MiB and once at the end.
    Never raises on bad input; I/O errors (``OSError``) propagate. ``legacy`` narrows
    a legacy image's toolstack width and guest type (the command line's flags). With
    ``ambiguous_raises`` a legacy image that reads as several variants raises
    ``LegacyAmbiguous`` (the caller must choose) instead of being
    reported as invalid. With ``stop_at_end`` reading stops at the outermost END (a
    live migration socket stays open after it), so bytes after it go unchecked.
    """
    reader = Reader(f, ReadOptions(stop_at_end=stop_at_end, legacy=legacy))
    return _run(reader, progress, reader, ambiguous_raises)


def check_bytes(data: bytes) -> Report:
    """Check an image held in memory."""
    return check_stream(io.BytesIO(data))


def check_events(events: Iterable[Event], reader: Reader | None = None) -> Report:
    """Check a sequence of reader events (a ``ReadError`` raised while iterating ends
    the check, as in ``check_stream``). ``bytes_read`` is the end of the last event.
    Give the ``reader`` the events come from (a caller that tees them, as
    ``--target-xen`` does) so that the checker may ask it for page contents."""
    return _run(events, None, reader)
