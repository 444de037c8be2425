"""``spec/libxc-stream.md``: the libxc stream's headers (``XC-HDR-``, ``XC-DOM-``),
record framing (``XC-REC-``), END, the records by guest type (``XC-GUEST-``), the
small records (X86_TSC_INFO, TOOLSTACK, VERIFY, CHECKPOINT,
CHECKPOINT_DIRTY_PFN_LIST) and the record dispatch (``ksy/xen_libxc_stream.ksy``).

The other records of the chapter have a module each: :mod:`.libxc_pages`
(PAGE_DATA), :mod:`.libxc_pv` (the PV records), :mod:`.libxc_hvm` (the HVM records)
and :mod:`.libxc_static` (STATIC_DATA_END and the CPU policies).
"""

from __future__ import annotations

import struct

from ..constants import (
    HVM_ONLY_RECORDS,
    PV_ONLY_RECORDS,
    REC_LENGTH_MAX,
    VCPU_RECORDS,
    XC_ID,
    XC_IMAGE_HEADER_SIZE,
    XC_MARKER,
    XC_REC_ALIGN_PAD,
    DomainType,
    LibxlRecType,
    XcRecType,
)
from ..reader import ReadError, RecordEvent, Trailer, XcDomainHeader, XcImageHeader
from . import libxc_hvm, libxc_pages, libxc_pv, libxc_static, libxl, nesting, pv_context, wrappers
from .emit import ZEROS, CheckState, Stop, XcState, field_rule, first_nonzero, record_name

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from collections.abc import Callable

CHECKS: dict[str, str] = {
    "XC-HDR-001": "image header: marker; truncated marker",
    "XC-HDR-002": "image header: id; truncated id",
    "XC-HDR-003": "image header: version 2 or 3; truncated version",
    "XC-HDR-004": "image header: options bits 1-15 zero; truncated options",
    "XC-HDR-005": "image header: reserved fields zero; truncated reserved",
    "XC-HDR-006": "image header: note a big-endian stream",
    "XC-DOM-001": "domain header: type 1 or 2; truncated type",
    "XC-DOM-002": "domain header: page_shift 12 for x86; truncated page_shift",
    "XC-DOM-003": "domain header: reserved zero; truncated reserved",
    "XC-DOM-004": "domain header: note xen_major 0",
    "XC-REC-001": "libxc record: truncated record header (framing loss)",
    "XC-REC-002": "libxc record: padding zero",
    "XC-REC-003": "libxc record: body and padding within the stream (framing loss)",
    "XC-REC-004": "libxc record: no type in the reserved mandatory range",
    "XC-REC-006": "libxc record: note an optional record (skipped)",
    "XC-REC-008": "libxc record: body_length <= 128 MiB (warning)",
    "XC-END-001": "libxc END: body_length 0",
    "XC-END-002": "libxc stream: ends with END (EOF at a record boundary, or in the "
    "domain header's version words)",
    "XC-END-003": "bare libxc stream: no bytes after END (Trailer event)",
    "XC-TSC-001": "X86_TSC_INFO: body_length 24",
    "XC-TSC-002": "X86_TSC_INFO: reserved zero",
    "XC-TSC-003": "X86_TSC_INFO: mode 0-3",
    "XC-TOOL-001": "TOOLSTACK: deprecated (warning)",
    "XC-VER-001": "VERIFY: body_length 0",
    "XC-VER-002": "VERIFY: at most one (warning)",
    "XC-VER-003": "VERIFY: not in a checkpointed stream (warning)",
    "XC-CKPT-001": "CHECKPOINT: body_length 0",
    "XC-CKPT-003": "checkpointed stream: note an end without END after a checkpoint",
    "XC-DIRTY-001": "CHECKPOINT_DIRTY_PFN_LIST: never in an image (forward stream)",
    "XC-DIRTY-002": "CHECKPOINT_DIRTY_PFN_LIST: body_length multiple of 8",
    "XC-GUEST-001": "no PV-only record in an HVM stream",
    "XC-GUEST-002": "no HVM-only record in a PV stream",
    "XC-TSC-005": "X86_TSC_INFO: mode not 3 (warning)",
}

#: Records that carry running state: STATIC_DATA_END should precede them (v3).
_AFTER_STATIC = frozenset(
    {
        XcRecType.SHARED_INFO,
        XcRecType.X86_TSC_INFO,
        XcRecType.HVM_CONTEXT,
        XcRecType.HVM_PARAMS,
        XcRecType.VERIFY,
        XcRecType.CHECKPOINT,
    }
    | VCPU_RECORDS
)
_KNOWN_MAX = max(XcRecType)

# Truncated headers: (end of field, rule) for the first field that is incomplete.
_IHDR_FIELDS = (
    (8, "XC-HDR-001"),
    (12, "XC-HDR-002"),
    (16, "XC-HDR-003"),
    (18, "XC-HDR-004"),
    (XC_IMAGE_HEADER_SIZE, "XC-HDR-005"),
)
_DHDR_FIELDS = ((4, "XC-DOM-001"), (6, "XC-DOM-002"), (8, "XC-DOM-003"))


# --- headers


def image_header(c: CheckState, h: XcImageHeader) -> None:
    c.layer = c.layer or "libxc"
    carrier = c.carrier
    c.carrier = None
    off = h.offset
    if carrier == "libxl" and h.marker != XC_MARKER and h.ident != XC_ID:
        nesting.no_libxc_in_libxl(
            c,
            off,
            f"LIBXC_CONTEXT is not followed by a libxc image header (marker "
            f"{h.marker:#018x}, id {h.ident:#010x})",
        )
        raise Stop
    if carrier == "xapi" and h.marker != XC_MARKER and h.ident != XC_ID:
        wrappers.no_stream_in_xapi(
            c,
            off,
            f"LIBXC section: no libxc image header follows (marker {h.marker:#018x}, "
            f"id {h.ident:#010x})",
        )
        raise Stop
    version = h.version if h.version in (2, 3) else None
    c.xc = XcState(off, carrier, h.big_endian, version)
    c.in_dom_hdr = True
    if c.libxl is not None and carrier == "libxl":
        c.libxl.last_type = None
    if h.marker != XC_MARKER:
        c.emit("XC-HDR-001", off, "libxc", f"marker is {h.marker:#018x}, not all ones")
    if h.ident != XC_ID:
        c.emit(
            "XC-HDR-002",
            off + 8,
            "libxc",
            f"id is {h.ident:#010x} ({h.ident.to_bytes(4, 'big')!r}), not 0x58454e46 (b'XENF')",
        )
    if version is None:
        c.emit("XC-HDR-003", off + 12, "libxc", f"version is {h.version}, not 2 or 3")
    if h.options & 0xFFFE:
        c.emit(
            "XC-HDR-004",
            off + 16,
            "libxc",
            f"options {h.options:#06x} has reserved bits {h.options & 0xFFFE:#06x} set",
        )
    if h.reserved1:
        c.emit(
            "XC-HDR-005",
            off + 18,
            "libxc",
            f"the reserved 16-bit field is {h.reserved1:#06x}, not zero",
        )
    if h.reserved2:
        c.emit(
            "XC-HDR-005",
            off + 20,
            "libxc",
            f"the reserved 32-bit field is {h.reserved2:#010x}, not zero",
        )
    if h.big_endian:
        c.emit("XC-HDR-006", off + 16, "libxc", "the domain header and records are big-endian")
    if carrier == "libxl" and c.libxl is not None:
        nesting.libxc_byte_order(c, h, c.libxl)


def domain_header(c: CheckState, h: XcDomainHeader) -> None:
    c.in_dom_hdr = False
    xc = c.xc
    if xc is None:
        return
    off = h.offset
    if h.type in (DomainType.X86_PV, DomainType.X86_HVM):
        xc.guest = h.type
        if h.type == DomainType.X86_PV and c.read_options is not None and c.page_reader is None:
            c.read_options.want_pages = True  # XC-PAGE-009, PV-SIF-002 read them
        if h.page_shift != 12:
            c.emit(
                "XC-DOM-002",
                off + 4,
                "libxc",
                f"page_shift is {h.page_shift}, not 12 (x86 pages are 4096 bytes)",
            )
    else:
        c.emit(
            "XC-DOM-001",
            off,
            "libxc",
            f"domain type {h.type:#x} is not 1 (x86 PV) or 2 (x86 HVM)",
        )
    if xc.guest is None and 9 <= h.page_shift <= 30:
        xc.page_size = 1 << h.page_shift
    # x86 pages are 4096 bytes whatever page_shift claims (XC-DOM-002 reports it),
    # so that one wrong field makes one diagnostic, not one per record.
    c.guest = xc.guest
    if h.reserved:
        c.emit("XC-DOM-003", off + 6, "libxc", f"the reserved field is {h.reserved:#06x}, not 0")
    if h.xen_major == 0:
        c.emit(
            "XC-DOM-004",
            off + 8,
            "libxc",
            f"xen_major is 0: converted from a legacy image by converter version {h.xen_minor}",
        )
    s = c.libxl
    if xc.carrier == "libxl" and s is not None:
        nesting.legacy_bit(c, h, s)
        if xc.guest == DomainType.X86_PV:
            for ev in s.pending_emu:
                libxl.emulator_in_pv(c, ev)
        s.pending_emu.clear()


# --- records


def record(c: CheckState, ev: RecordEvent) -> None:
    """Framing and guest-type rules of every record, then its type's handler."""
    xc = c.xc
    if xc is None:
        return
    if c.libxl is not None and xc.carrier == "libxl":
        c.libxl.last_type = None
    rtype, length = ev.type, ev.length
    if ev.padding and ev.padding != ZEROS[: len(ev.padding)]:
        at = first_nonzero(ev.padding)
        c.emit(
            "XC-REC-002",
            ev.body_offset + length + at,
            "libxc",
            f"padding byte {at} is {ev.padding[at]:#04x}, not zero",
            ev,
        )
    if length > REC_LENGTH_MAX:
        c.emit(
            "XC-REC-008",
            ev.offset + 4,
            "libxc",
            f"body_length {length} exceeds Xen's 128 MiB record limit "
            f"({REC_LENGTH_MAX}); Xen will not restore it",
            ev,
        )
    if rtype > _KNOWN_MAX:
        if rtype == XC_REC_ALIGN_PAD:
            pass  # this spec's page-alignment padding (libxc-stream.md#align-pad): no note
        elif rtype & 0x80000000:
            c.emit(
                "XC-REC-006",
                ev.offset,
                "libxc",
                f"optional record type {rtype:#010x} is not known; skipped",
                ev,
            )
        else:
            c.emit(
                "XC-REC-004",
                ev.offset,
                "libxc",
                f"type {rtype:#010x} is in the reserved mandatory range",
                ev,
            )
        xc.last_type = rtype
        return
    guest = xc.guest
    if guest == DomainType.X86_HVM and rtype in PV_ONLY_RECORDS:
        c.emit("XC-GUEST-001", ev.offset, "libxc", "a PV-only record in an x86 HVM stream", ev)
    elif guest == DomainType.X86_PV and rtype in HVM_ONLY_RECORDS:
        c.emit("XC-GUEST-002", ev.offset, "libxc", "an HVM-only record in an x86 PV stream", ev)
    if rtype in _AFTER_STATIC and xc.version == 3 and xc.sde_count == 0:
        libxc_static.running_state_first(c, ev)
    _HANDLERS[rtype](c, xc, ev)
    xc.last_type = rtype


# Each handler: (state, stream, record).


def end(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    if ev.length:
        c.emit("XC-END-001", ev.offset + 4, "libxc", f"body_length is {ev.length}, not 0", ev)
    xc.ended = True
    if xc.pfn_types is not None:
        pv_context.frames_at_end(c, xc)
        libxc_pv.frame_list_at_end(c, xc)
    complete(c, xc, ev.offset, ev)


def complete(c: CheckState, xc: XcState, offset: int, ev: RecordEvent | None) -> None:
    """Checks of what a whole stream must contain, at its END (or clean end)."""
    if xc.guest == DomainType.X86_PV:
        libxc_pv.complete(c, xc, offset, ev)
    elif xc.guest == DomainType.X86_HVM:
        libxc_hvm.complete(c, xc, offset, ev)
    libxc_static.complete(c, xc, offset, ev)


def tsc_info(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    if ev.length != 24:
        c.emit("XC-TSC-001", ev.offset + 4, "libxc", f"body_length is {ev.length}, not 24", ev)
    if len(ev.body) >= 4:
        mode = struct.unpack_from(ev.endian + "I", ev.body)[0]
        if mode > 3:
            c.emit(
                "XC-TSC-003",
                ev.body_offset,
                "libxc",
                f"mode {mode} is not 0 (default), 1 (always emulate), 2 (never emulate) "
                "or 3 (PVRDTSCP)",
                ev,
            )
        elif mode == 3:
            c.emit(
                "XC-TSC-005", ev.body_offset, "libxc", "mode 3 (PVRDTSCP): Xen 4.12+ refuse it", ev
            )
    if len(ev.body) >= 24:
        reserved = struct.unpack_from(ev.endian + "I", ev.body, 20)[0]
        if reserved:
            c.emit(
                "XC-TSC-002",
                ev.body_offset + 20,
                "libxc",
                f"reserved is {reserved:#010x}, not 0",
                ev,
            )


def toolstack(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    c.emit(
        "XC-TOOL-001",
        ev.offset,
        "libxc",
        "TOOLSTACK is deprecated; Xen's restorer refuses it",
        ev,
    )


def verify(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    if ev.length:
        c.emit("XC-VER-001", ev.offset + 4, "libxc", f"body_length is {ev.length}, not 0", ev)
    xc.verify += 1
    if xc.verify > 1:
        c.emit("XC-VER-002", ev.offset, "libxc", f"a VERIFY record again (number {xc.verify})", ev)
    if xc.checkpointed:
        c.emit_once("XC-VER-003", ev.offset, "libxc", "VERIFY in a checkpointed stream", ev)


def checkpoint(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    if ev.length:
        c.emit("XC-CKPT-001", ev.offset + 4, "libxc", f"body_length is {ev.length}, not 0", ev)
    xc.checkpointed = True
    if xc.verify:
        c.emit_once(
            "XC-VER-003",
            ev.offset,
            "libxc",
            "a CHECKPOINT in a stream that has a VERIFY record",
            ev,
        )
    libxc_pages.new_section(xc)
    libxc_hvm.new_section(xc)
    if c.libxl is not None and xc.carrier == "libxl":
        c.libxl.in_section = True


def dirty_pfn_list(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    c.emit(
        "XC-DIRTY-001",
        ev.offset,
        "libxc",
        "CHECKPOINT_DIRTY_PFN_LIST belongs to the back channel, never to an image",
        ev,
    )
    if ev.length % 8:
        c.emit(
            "XC-DIRTY-002",
            ev.offset + 4,
            "libxc",
            f"body_length {ev.length} is not a multiple of 8",
            ev,
        )


_HANDLERS: dict[int, Callable[[CheckState, XcState, RecordEvent], None]] = {
    XcRecType.END: end,
    XcRecType.PAGE_DATA: libxc_pages.page_data,
    XcRecType.X86_PV_INFO: libxc_pv.pv_info,
    XcRecType.X86_PV_P2M_FRAMES: libxc_pv.p2m_frames,
    XcRecType.X86_PV_VCPU_BASIC: libxc_pv.vcpu,
    XcRecType.X86_PV_VCPU_EXTENDED: libxc_pv.vcpu,
    XcRecType.X86_PV_VCPU_XSAVE: libxc_pv.vcpu,
    XcRecType.SHARED_INFO: libxc_pv.shared_info,
    XcRecType.X86_TSC_INFO: tsc_info,
    XcRecType.HVM_CONTEXT: libxc_hvm.context,
    XcRecType.HVM_PARAMS: libxc_hvm.params,
    XcRecType.TOOLSTACK: toolstack,
    XcRecType.X86_PV_VCPU_MSRS: libxc_pv.vcpu,
    XcRecType.VERIFY: verify,
    XcRecType.CHECKPOINT: checkpoint,
    XcRecType.CHECKPOINT_DIRTY_PFN_LIST: dirty_pfn_list,
    XcRecType.STATIC_DATA_END: libxc_static.static_data_end,
    XcRecType.X86_CPUID_POLICY: libxc_static.policy,
    XcRecType.X86_MSR_POLICY: libxc_static.policy,
}
assert len(_HANDLERS) == _KNOWN_MAX + 1


# --- end of input


def read_error(c: CheckState, e: ReadError, present: int) -> None:
    """The framing is lost in a libxc header, or in or between its records."""
    if e.index is not None:
        _record_read_error(c, e)
    elif c.in_dom_hdr:
        c.emit(field_rule(_DHDR_FIELDS, present, "XC-END-002"), e.offset, "libxc", e.message)
    elif c.carrier == "libxl":
        nesting.no_libxc_in_libxl(c, e.offset, e.message)
    elif c.carrier == "xapi":
        wrappers.no_stream_in_xapi(c, e.offset, e.message)
    else:
        c.emit(field_rule(_IHDR_FIELDS, present, "XC-HDR-005"), e.offset, "libxc", e.message)


def _record_read_error(c: CheckState, e: ReadError) -> None:
    xc = c.xc
    rtype = e.rtype
    name = None if rtype is None else rec_name(rtype)
    if e.rule == "XC-END-002":  # the input ends where a record header should be
        s = c.libxl
        if xc is not None and xc.checkpointed:
            bare_done = xc.carrier is None and xc.last_type == XcRecType.CHECKPOINT
            carried_done = (
                xc.carrier == "libxl"
                and s is not None
                and s.last_type in (LibxlRecType.CHECKPOINT_END, LibxlRecType.CHECKPOINT_STATE)
            )
            if bare_done or carried_done:
                c.emit(
                    "XC-CKPT-003",
                    e.offset,
                    "libxc",
                    "the checkpointed stream ends after a complete checkpoint, without END",
                )
                if xc.pfn_types is not None:  # the restorer applies the state here too
                    pv_context.frames_at_end(c, xc)
                    libxc_pv.frame_list_at_end(c, xc)
                complete(c, xc, e.offset, None)
                if carried_done and s is not None:
                    libxl.stream_complete(c, s, e.offset, None)
                return
        c.emit("XC-END-002", e.offset, "libxc", "the libxc stream ends without END")
        return
    rid = "XC-REC-001" if e.rule == "XC-REC-001" else "XC-REC-003"
    at = e.offset if rid == "XC-REC-001" else e.offset + 4
    c.diag_at_record(rid, at, "libxc", e.message, e.index, name)


def trailer(c: CheckState, t: Trailer) -> None:
    c.emit("XC-END-003", t.offset, "libxc", f"{t.length} bytes follow the libxc END record")


def rec_name(rtype: int) -> str:
    return record_name(XcRecType, rtype)
