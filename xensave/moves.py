"""Toolstack moves for ``xensave convert``: an image's stream re-wrapped for another
toolstack (xl save file, libvirt save file, XAPI suspend image, bare libxl stream).

The stream itself is not rewritten: its octets are copied by offset (page data never
read into memory), only the framing around it is built. Each wrapper holds different
things beside the stream, and what the target has no place for is a loss, refused
unless ``--allow-loss`` (each loss then listed):

- **xl** (tools/xl/xl_saverestore.c, ``save_domain_core_writeconfig``): a header,
  libxl's JSON configuration, a libxl stream. The configuration comes from ``--config``
  (JSON) or from an xl source; a libvirt XML or xenopsd metadata is not translated.
  Without one the file says so (``config_len`` 0, as xl writes when it has none) and
  ``xl restore CONFIG FILE`` must supply it.
- **libvirt** (libvirt's src/libxl/libxl_conf.h ``libxlSavefileHeader``,
  ``libxlDoDomainSave`` in libxl_driver.c, ``libxlDomainSaveImageOpen`` in
  libxl_domain.c): a 64-octet header whose version says which stream follows (1 a
  legacy stream, 2 a libxl stream: ``LIBXL_SAVE_VERSION`` is 2 when libvirt is built
  against a libxl with ``LIBXL_HAVE_SRM_V2``, Xen 4.6 and later) and the domain XML,
  which libvirt's restorer requires (it refuses ``xmlLen`` 0). The version written is
  2: a v2/v3 image always carries a libxl stream here.
- **XAPI** (xenopsd's suspend image, spec/wrappers.md): xenopsd restores a ``LIBXC``
  section and refuses ``LIBXL`` ones (XAPI-SEC-006), so the libxc stream is taken out
  of the libxl stream; the device model's state (libxl's EMULATOR_CONTEXT) becomes a
  ``QEMU_TRAD`` section, the name xenopsd writes whichever device model ran. libxl's
  EMULATOR_XENSTORE_DATA has no XAPI home; a checkpointed stream (Remus, COLO) is
  refused, since xenopsd restores one plain stream.
- **libxl**: the bare stream; from a XAPI image or a bare libxc stream it is built:
  header, an empty LIBXC_CONTEXT, the libxc stream, one EMULATOR_CONTEXT per device
  model section (emulator id from ``--emulator``, else 0 "unknown", which libxl never
  reads: ``write_emulator_blob``, tools/libs/light/libxl_stream_read.c), END.

With ``--align-pages`` the libxc stream is copied in runs between its PAGE_DATA
records, each given a padding record before it (xensave.convert_out) and any old one
left out; where the wrapper puts the stream off an 8-octet boundary (XAPI's 15-octet
signature, an xl configuration of odd length) nothing can align it.

A legacy (Xen <= 4.5) image is converted on the way to libvirt (a libxl stream behind
a version 2 header: libvirt labels the stream that follows, and xensave writes no
version 1 file, whose legacy stream it does not read); moving it into XAPI takes two
``convert`` runs (to xl or libxl, then to XAPI).
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_left
from collections.abc import Iterable

from .constants import (
    LIBVIRT_MAGIC,
    LIBXL_IDENT,
    LIBXL_OPT_BIG_ENDIAN,
    LIBXL_VERSION,
    XAPI_MAGIC,
    XC_REC_ALIGN_PAD,
    XL_BYTEORDER_VALUE,
    XL_MAGIC,
    EmulatorId,
    LibxlRecType,
    XcRecType,
    XlMandatoryFlag,
)

MOVE_TARGETS = ("xl", "libxl", "libvirt", "xapi")
#: libvirt's LIBXL_SAVE_VERSION for a libxl (v2) stream; 1 labels a legacy stream.
LIBVIRT_VERSION_LIBXL = 2
LIBVIRT_VERSION_LEGACY = 1
#: xenopsd's section types written here (reader.XapiKind holds them all).
_XAPI_XENOPS = 0x000F
_XAPI_LIBXC = 0x00F0
_XAPI_QEMU_TRAD = 0x0F00
_XAPI_VARSTORED = 0x0F11
_XAPI_END = 0xFFFF
#: The largest device model section xenopsd's restorer accepts (XAPI-SEC-007).
XAPI_QEMU_MAX = 1 << 20
EMULATORS = {"qemu-traditional": EmulatorId.QEMU_TRADITIONAL, "qemu-xen": EmulatorId.QEMU_UPSTREAM}


_KINDS = {
    "xl": "an xl save file",
    "libvirt": "a libvirt save file",
    "xapi": "a XAPI suspend image",
    "libxl": "a bare libxl stream",
}


class MoveError(Exception):
    """The move is refused; nothing is written."""


TYPE_CHECKING = False  # typing stays off the start-up; mypy reads this as true
if TYPE_CHECKING:
    from typing import Any, Protocol

    class Out(Protocol):
        """What a move writes through: convert's output file."""

        pos: int
        align: bool  # --align-pages
        keep_phase: bool  # --keep-page-offsets

        def write(self, data: bytes | memoryview) -> None: ...

        def copy_in(self, in_fd: int, offset: int, n: int) -> None: ...

        def page_data(self, entries: int, endian: str) -> None: ...

        def keep_page_phase(self, src_off: int, ahead: int, endian: str) -> None: ...


class _Span:
    """Where a stream starts and ends in IN (end -1: not found yet)."""

    __slots__ = ("big", "end", "start")

    def __init__(self, start: int, end: int = -1, big: bool = False) -> None:
        self.start = start
        self.end = end
        self.big = big


class Source:
    """What an image holds, as far as a move needs it (offsets into IN). Plain classes
    here, not dataclasses: their import is a start-up cost every conversion would pay."""

    def __init__(self) -> None:
        self.layer = ""
        self.xl: Any = None  # XlHeader
        self.libvirt: Any = None  # LibvirtHeader
        self.xenops: tuple[int, int] | None = None  # XAPI XENOPS section: (start, end)
        self.varstored: list[tuple[int, int]] = []  # (body start, length)
        self.qemu: list[tuple[str, int, int]] = []  # (name, body, length)
        self.libxl: _Span | None = None
        self.libxc: _Span | None = None
        self.libxc_streams = 0
        self.checkpointed = False
        self.emulator: list[tuple[int, int, int]] = []  # (id, body, len)
        self.xenstore_records = 0
        # --align-pages: per libxc PAGE_DATA record with page contents, three numbers:
        # where the copy stops before it (the record, or an ALIGN_PAD record right
        # before it, which pads for IN's layout and is left out), the record's offset,
        # and its pfn entries times 2 plus 1 if big-endian. 24 octets a record of at
        # least 4120.
        self.pages: array[int] = array("q")
        self.pads_dropped = 0


def collect(events: Iterable[Any], align: bool = False, pages: bool = False) -> Source:
    """Walk the reader's events once (pages skipped) and note where everything is (with
    ``align`` or ``pages``, each PAGE_DATA record too; with ``align``, the padding
    records before them, to be left out)."""
    from .reader import ReadError

    s = Source()
    try:
        _walk(s, events, align, pages or align)
    except ReadError as e:
        # a checkpointed stream may stop after a complete checkpoint (XC-CKPT-003)
        if not (s.checkpointed and e.rule in ("XC-END-002", "XL-END-002")):
            raise
        for span in (s.libxl, s.libxc):
            if span is not None and span.end < 0:
                span.end = e.offset
    if s.libxc is None:
        raise MoveError("no libxc stream in this image")
    return s


def _walk(s: Source, events: Iterable[Any], align: bool, pages: bool) -> None:
    from .reader import (
        LibvirtHeader,
        LibxlHeader,
        RecordEvent,
        Trailer,
        XapiHeader,
        XcDomainHeader,
        XcImageHeader,
        XlHeader,
    )

    pad_at = pad_end = -1  # the last libxc ALIGN_PAD record: where it starts and ends
    for ev in events:
        if isinstance(ev, XlHeader):
            s.layer = s.layer or "xl"
            s.xl = ev
        elif isinstance(ev, LibvirtHeader):
            s.layer = s.layer or "libvirt"
            s.libvirt = ev
        elif isinstance(ev, XapiHeader):
            s.layer = s.layer or "xapi"
            if ev.name == "XENOPS":
                s.xenops = (ev.offset, ev.body_offset + ev.length)
            elif ev.name in ("QEMU_TRAD", "QEMU_XEN"):
                s.qemu.append((ev.name, ev.body_offset, ev.length))
            elif ev.name == "VARSTORED":
                s.varstored.append((ev.body_offset, ev.length))
        elif isinstance(ev, LibxlHeader):
            s.layer = s.layer or "libxl"
            if s.libxl is None:
                s.libxl = _Span(ev.offset, big=ev.big_endian)
        elif isinstance(ev, XcImageHeader):
            s.layer = s.layer or "libxc"
            s.libxc_streams += 1
            if s.libxc is None:
                s.libxc = _Span(ev.offset, big=ev.big_endian)
        elif isinstance(ev, RecordEvent):
            end = ev.offset + 8 + ev.length + len(ev.padding)
            if ev.layer == "libxc":
                if align and ev.type == XC_REC_ALIGN_PAD:
                    pad_at, pad_end = ev.offset, end
                elif pages and ev.type == XcRecType.PAGE_DATA and ev.page_bytes:
                    entries = (ev.length - ev.page_bytes - 8) // 8
                    cut = pad_at if pad_end == ev.offset else ev.offset
                    s.pages.extend((cut, ev.offset, 2 * entries + (ev.endian == ">")))
                    s.pads_dropped += cut != ev.offset
                if ev.type == XcRecType.CHECKPOINT:
                    s.checkpointed = True
                elif ev.type == XcRecType.END and s.libxc is not None and s.libxc.end < 0:
                    s.libxc.end = end
            else:
                t = ev.type
                if t in (LibxlRecType.CHECKPOINT_END, LibxlRecType.CHECKPOINT_STATE):
                    s.checkpointed = True
                elif t == LibxlRecType.EMULATOR_CONTEXT and ev.length >= 8:
                    emu = struct.unpack_from(ev.endian + "I", ev.body)[0]
                    s.emulator.append((emu, ev.body_offset + 8, ev.length - 8))
                elif t == LibxlRecType.EMULATOR_XENSTORE_DATA:
                    s.xenstore_records += 1
                elif t == LibxlRecType.END and s.libxl is not None and s.libxl.end < 0:
                    s.libxl.end = end
        elif isinstance(ev, XcDomainHeader):
            pass
        elif isinstance(ev, Trailer):
            raise MoveError(f"{ev.offset:#x}: {ev.length} octets follow the end of the image")
        else:
            raise MoveError(f"cannot move {type(ev).__name__}")


class _Move:
    def __init__(self, src: Source, in_fd: int, out: Out, to: str, allow_loss: bool) -> None:
        self.src = src
        self.in_fd = in_fd
        self.out = out
        self.to = to
        self.allow_loss = allow_loss
        self.notes: list[str] = []

    def lost(self, what: str) -> None:
        if not self.allow_loss:
            raise MoveError(
                f"{what}; {_KINDS[self.to]} has no place for it (use --allow-loss to move anyway)"
            )
        self.notes.append(f"dropped: {what}")

    def copy_stream(self, start: int, end: int) -> None:
        """Copy IN's octets [start, end), which hold libxc records: as they are, or with
        --align-pages each PAGE_DATA record with contents given a new padding record
        before it (an old one before it left out); with --keep-page-offsets one where
        the wrapper shifts the stream (IN's kept)."""
        pages = self.src.pages
        align = self.out.align
        if not (align or self.out.keep_phase) or not pages:
            self.out.copy_in(self.in_fd, start, end - start)
            return
        pos = start
        i = 3 * bisect_left(range(len(pages) // 3), start, key=lambda k: pages[3 * k + 1])
        while i < len(pages) and pages[i + 1] < end:
            cut, rec, word = pages[i], pages[i + 1], pages[i + 2]
            e = ">" if word & 1 else "<"
            if align:
                self.out.copy_in(self.in_fd, pos, cut - pos)
                self.out.page_data(word >> 1, e)
            else:  # contents 16 + 8 * entries octets into the record, in IN and OUT
                self.out.copy_in(self.in_fd, pos, rec - pos)
                ahead = 16 + 8 * (word >> 1)
                self.out.keep_page_phase(rec + ahead, ahead, e)
            pos = rec
            i += 3
        self.out.copy_in(self.in_fd, pos, end - pos)

    def config_losses(self, keep: str) -> None:
        """The source's configuration a target of kind ``keep`` does not carry."""
        s = self.src
        if s.xl is not None and s.xl.config and keep != "xl":
            self.lost("the xl file's domain configuration (libxl JSON)")
        if s.libvirt is not None and keep != "libvirt":
            self.lost("the libvirt domain XML")
        if s.xenops is not None and keep != "xapi":
            self.lost("xenopsd's metadata (the XAPI XENOPS section)")

    # -- the libxl stream (for xl, libvirt and bare libxl targets)

    def libxl_stream(self, emulator: EmulatorId | None) -> None:
        s, out = self.src, self.out
        for _body, _length in s.varstored:
            self.lost("the UEFI variable store (XAPI VARSTORED section; libxl has no record)")
        if s.libxl is not None and s.libxl.end >= 0:
            for name, _body, _length in s.qemu:  # the libxl stream has its own records
                self.lost(f"the device model state of the XAPI {name} section")
            self.copy_stream(s.libxl.start, s.libxl.end)
            return
        assert s.libxc is not None
        if s.checkpointed or s.libxc_streams > 1:
            raise MoveError(
                "a checkpointed libxc stream cannot be put in a libxl stream here (libxl "
                "frames each checkpoint with records of its own)"
            )
        e = ">" if s.libxc.big else "<"
        options = LIBXL_OPT_BIG_ENDIAN if s.libxc.big else 0
        out.write(struct.pack(">QII", LIBXL_IDENT, LIBXL_VERSION, options))
        out.write(struct.pack(e + "II", LibxlRecType.LIBXC_CONTEXT, 0))
        self.copy_stream(s.libxc.start, s.libxc.end)
        for name, body, length in s.qemu:
            emu = EmulatorId.UNKNOWN if emulator is None else emulator
            if emulator is None:
                self.notes.append(
                    f"the {name} section became EMULATOR_CONTEXT with emulator id 0 "
                    "(unknown; libxl never reads it): --emulator names the device model"
                )
            out.write(struct.pack(e + "IIII", LibxlRecType.EMULATOR_CONTEXT, 8 + length, emu, 0))
            out.copy_in(self.in_fd, body, length)
            out.write(bytes(-(8 + length) % 8))
        out.write(struct.pack(e + "II", LibxlRecType.END, 0))

    # -- targets

    def to_xl(self, config: bytes | None, emulator: EmulatorId | None) -> None:
        s, out = self.src, self.out
        big = s.libxl.big if s.libxl is not None else bool(s.libxc and s.libxc.big)
        e = ">" if big else "<"
        if config is not None:
            self.config_losses("xl")
            if s.xl is not None and s.xl.config:
                self.notes.append("the xl configuration replaced by --config")
            opt = struct.pack(e + "I", len(config)) + config
            flags = XlMandatoryFlag.STREAM_V2 | XlMandatoryFlag.JSON
        elif s.xl is not None:
            self.config_losses("xl")
            h = s.xl
            if len(h.optional_data) != h.optional_data_len:
                raise MoveError("the xl optional data is over 16 MiB; not carried over")
            opt, flags = h.optional_data, h.mandatory_flags
        else:
            self.config_losses("none")
            opt = struct.pack(e + "I", 0)  # xl writes the length word even with no config
            flags = XlMandatoryFlag.STREAM_V2
            self.notes.append(
                "no domain configuration: restore with `xl restore CONFIG FILE` (or give "
                "--config JSON)"
            )
        out.write(XL_MAGIC + struct.pack(e + "IIII", XL_BYTEORDER_VALUE, flags, 0, len(opt)))
        out.write(opt)
        self.libxl_stream(emulator)

    def to_libvirt(self, xml: bytes | None, emulator: EmulatorId | None) -> None:
        s = self.src
        if xml is None:
            if s.libvirt is None:
                raise MoveError(
                    "libvirt's restorer needs the domain's libvirt XML (it refuses a file "
                    "without: libxlDomainSaveImageOpen; LVF-XML-001): give --config FILE.xml"
                )
            if len(s.libvirt.xml) != s.libvirt.xml_len:
                raise MoveError("the libvirt XML is over 16 MiB; not carried over")
            xml = s.libvirt.xml
            self.config_losses("libvirt")
        else:
            self.config_losses("libvirt")
            if s.libvirt is not None:
                self.notes.append("the libvirt XML replaced by --config")
        big = s.libxl.big if s.libxl is not None else bool(s.libxc and s.libxc.big)
        self.out.write(_libvirt_header(xml, big))
        self.libxl_stream(emulator)

    def to_libxl(self, emulator: EmulatorId | None) -> None:
        self.config_losses("none")
        self.libxl_stream(emulator)

    def to_xapi(self) -> None:
        s, out = self.src, self.out
        assert s.libxc is not None
        if s.checkpointed or s.libxc_streams > 1:
            raise MoveError(
                "a checkpointed stream (Remus, COLO) has no XAPI form: xenopsd restores one "
                "plain libxc stream"
            )
        self.config_losses("xapi")
        out.write(XAPI_MAGIC)
        if s.xenops is not None:
            start, end = s.xenops
            out.copy_in(self.in_fd, start, end - start)
        else:
            self.notes.append(
                "no XENOPS section: xenopsd's restorer does not need one (XAPI supplies "
                "the VM's metadata)"
            )
        out.write(struct.pack("<QQ", _XAPI_LIBXC, 0))
        self.copy_stream(s.libxc.start, s.libxc.end)
        for body, length in s.varstored:
            out.write(struct.pack("<QQ", _XAPI_VARSTORED, length))
            out.copy_in(self.in_fd, body, length)
        if s.xenstore_records:
            self.lost("the device model's xenstore keys (libxl EMULATOR_XENSTORE_DATA)")
        dm = [(_emulator_name(e), b, n) for e, b, n in s.emulator] + list(s.qemu)
        if len(dm) > 1:
            raise MoveError(f"{len(dm)} device model states; xenopsd restores one")
        for who, body, length in dm:
            out.write(struct.pack("<QQ", _XAPI_QEMU_TRAD, length))
            out.copy_in(self.in_fd, body, length)
            if who == "QEMU_XEN":
                self.notes.append(
                    "the QEMU_XEN section became QEMU_TRAD: xenopsd refuses QEMU_XEN "
                    "(XAPI-SEC-006) and writes QEMU_TRAD whichever device model ran"
                )
            if who == "QEMU_UPSTREAM":
                self.notes.append(
                    "the device model state (qemu-upstream's) went into a QEMU_TRAD section, "
                    "the name xenopsd writes whichever device model ran"
                )
            if length > XAPI_QEMU_MAX:
                self.notes.append(
                    f"the device model state is {length} octets, over the 1 MiB xenopsd's "
                    "restorer accepts (XAPI-SEC-007)"
                )
        out.write(struct.pack("<QQ", _XAPI_END, 0))


def libvirt_prefix(config: bytes | None, name: str, big: bool = False) -> bytes:
    """A libvirt save file's header and XML for a libxl stream (version 2): the XML
    from ``config`` (a file's octets), which libvirt's restorer cannot do without."""
    from .edit import EditError, config_kind, libvirt_xml_bytes

    if config is None:
        raise MoveError(
            "libvirt's restorer needs the domain's libvirt XML (it refuses a file without: "
            "libxlDomainSaveImageOpen; LVF-XML-001): give --config FILE.xml"
        )
    if config_kind(config) != "xml":
        raise MoveError(f"--config {name}: a libvirt file holds libvirt XML")
    try:
        xml = libvirt_xml_bytes(config, name)
    except EditError as e:
        raise MoveError(f"{e.rule + ': ' if e.rule else ''}{e}") from None
    return _libvirt_header(xml, big)


def _libvirt_header(xml: bytes, big: bool) -> bytes:
    e = ">" if big else "<"  # LVF-STR-003: the header words in the stream's order
    return LIBVIRT_MAGIC + struct.pack(e + "II", LIBVIRT_VERSION_LIBXL, len(xml)) + bytes(40) + xml


def _emulator_name(emu: int) -> str:
    try:
        return EmulatorId(emu).name
    except ValueError:
        return f"emulator {emu}"


def _config_for(to: str, config: bytes, config_name: str) -> bytes:
    """``--config``'s octets as ``to`` holds them, checked (xensave.edit, loaded only
    when a configuration is given)."""
    from .edit import EditError, config_kind, libvirt_xml_bytes, xl_config_bytes

    try:
        kind = config_kind(config)
        if to == "xl":
            if kind != "json":
                raise MoveError(f"--config {config_name}: an xl file holds libxl's JSON")
            return xl_config_bytes(config, config_name)
        if to == "libvirt":
            if kind != "xml":
                raise MoveError(f"--config {config_name}: a libvirt file holds libvirt XML")
            return libvirt_xml_bytes(config, config_name)
        raise MoveError(f"--config: a {to} image holds no domain configuration")
    except EditError as e:
        raise MoveError(f"{e.rule + ': ' if e.rule else ''}{e}") from None


def move(
    events: Iterable[Any],
    in_fd: int,
    out: Out,
    to: str,
    *,
    config: bytes | None = None,
    config_name: str = "",
    emulator: str | None = None,
    allow_loss: bool = False,
) -> tuple[str, list[str]]:
    """Write the image ``events`` describe to ``out`` re-wrapped as ``to``; returns the
    source's layer and the notes. Raises MoveError (nothing usable written)."""
    src = collect(events, align=out.align, pages=out.keep_phase)
    m = _Move(src, in_fd, out, to, allow_loss)
    emu = EMULATORS[emulator] if emulator else None
    if config is not None:
        config = _config_for(to, config, config_name)
    if to == "xl":
        m.to_xl(config, emu)
    elif to == "libvirt":
        m.to_libvirt(config, emu)
    elif to == "libxl":
        m.to_libxl(emu)
    elif to == "xapi":
        if emulator:
            m.notes.append("--emulator does not apply to a XAPI image (its section is QEMU_TRAD)")
        m.to_xapi()
    else:
        raise MoveError(f"no move to {to}")
    if src.pads_dropped:
        n = src.pads_dropped
        m.notes.append(
            f"left out {n} alignment padding record{'s' if n != 1 else ''} of IN (they pad "
            "for IN's layout; --align-pages pads OUT anew)"
        )
    return src.layer, m.notes
