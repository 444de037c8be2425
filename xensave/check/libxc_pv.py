"""``spec/libxc-stream.md``, the PV records: X86_PV_INFO (``XC-PVI-``),
X86_PV_P2M_FRAMES (``XC-P2M-``), the four X86_PV_VCPU_* records (``XC-VCPU-``) and
SHARED_INFO (``XC-SHI-``), with their place in a PV stream's order and what a whole
PV stream must hold. The context inside X86_PV_VCPU_BASIC is :mod:`.pv_context`."""

from __future__ import annotations

import struct

from .. import pv_records
from ..constants import PV_VCPU_CONTEXT_SIZE, DomainType, XcRecType
from ..reader import RecordEvent
from . import pv_context
from .emit import CheckState, XcState, first_nonzero
from .libxc_pages import PFN_TABLE_LIMIT
from .libxc_static import static_point

CHECKS: dict[str, str] = {
    "XC-PVI-001": "X86_PV_INFO: body_length 8",
    "XC-PVI-002": "X86_PV_INFO: guest_width 4 or 8",
    "XC-PVI-003": "X86_PV_INFO: pt_levels 3 or 4",
    "XC-PVI-004": "X86_PV_INFO: width/levels pairing",
    "XC-PVI-005": "X86_PV_INFO: reserved bytes zero",
    "XC-PVI-006": "PV stream: exactly one X86_PV_INFO (second one; none at END)",
    "XC-PVI-007": "v3: X86_PV_INFO before STATIC_DATA_END (warning)",
    "XC-P2M-001": "X86_PV_P2M_FRAMES: body_length >= 8",
    "XC-P2M-002": "X86_PV_P2M_FRAMES: start <= end",
    "XC-P2M-003": "X86_PV_P2M_FRAMES: body_length from start, end and fpp",
    "XC-P2M-004": "PV stream: at least one X86_PV_P2M_FRAMES (at END)",
    "XC-P2M-005": "P2M frame list entries <= max_pfn, sent NOTAB (at END)",
    "XC-PVI-008": "X86_PV_INFO: body_length >= 8",
    "XC-VCPU-001": "X86_PV_VCPU_*: body_length >= 8",
    "XC-VCPU-002": "X86_PV_VCPU_*: reserved zero",
    "XC-VCPU-003": "X86_PV_VCPU_BASIC: context size for the guest width",
    "XC-VCPU-004": "X86_PV_VCPU_EXTENDED: context <= 128",
    "XC-VCPU-005": "X86_PV_VCPU_XSAVE: non-empty context >= 16",
    "XC-VCPU-006": "X86_PV_VCPU_MSRS: context multiple of 16",
    "XC-VCPU-007": "X86_PV_VCPU_{EXTENDED,XSAVE,MSRS}: empty context (warning, erratum)",
    "XC-VCPU-009": "PV stream: X86_PV_VCPU_BASIC for vCPU 0 (at END)",
    "XC-SHI-001": "SHARED_INFO: body_length == page size",
    "XC-ORD-001": "PV: X86_PV_INFO before the first X86_PV_P2M_FRAMES",
    "XC-ORD-003": "PV: no vCPU record before the first PAGE_DATA",
    "XC-ORD-004": "PV: X86_PV_INFO before every SHARED_INFO",
}


def pv_info(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    xc.pv_info += 1
    if xc.pv_info > 1 and xc.guest == DomainType.X86_PV:
        c.emit(
            "XC-PVI-006",
            ev.offset,
            "libxc",
            f"a second X86_PV_INFO (number {xc.pv_info}); a PV stream has exactly one",
            ev,
        )
    if xc.sde_count and xc.version == 3:
        c.emit("XC-PVI-007", ev.offset, "libxc", "X86_PV_INFO after STATIC_DATA_END", ev)
    body, base = ev.body, ev.body_offset
    if ev.length != 8:
        c.emit("XC-PVI-001", ev.offset + 4, "libxc", f"body_length is {ev.length}, not 8", ev)
    if ev.length < 8:
        c.emit("XC-PVI-008", ev.offset + 4, "libxc", f"body_length {ev.length} is under 8", ev)
    if len(body) < 2:
        return
    width, levels = body[0], body[1]
    ok = True
    if width not in (4, 8):
        c.emit("XC-PVI-002", base, "libxc", f"guest_width is {width}, not 4 or 8", ev)
        ok = False
    if levels not in (3, 4):
        c.emit("XC-PVI-003", base + 1, "libxc", f"pt_levels is {levels}, not 3 or 4", ev)
        ok = False
    if ok and levels != (4 if width == 8 else 3):
        c.emit(
            "XC-PVI-004",
            base,
            "libxc",
            f"guest_width {width} with pt_levels {levels} (8 goes with 4, 4 with 3)",
            ev,
        )
    if width in (4, 8) and xc.width is None:
        xc.width = width
    rest = body[2:8]
    if rest.strip(b"\x00"):
        at = first_nonzero(rest)
        c.emit(
            "XC-PVI-005",
            base + 2 + at,
            "libxc",
            f"reserved byte {at} is {rest[at]:#04x}, not zero",
            ev,
        )


def p2m_frames(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    if xc.guest == DomainType.X86_PV and xc.pv_info == 0:
        c.emit_once("XC-ORD-001", ev.offset, "libxc", "X86_PV_P2M_FRAMES before X86_PV_INFO", ev)
    static_point(c, xc, ev)
    xc.p2m = True
    if ev.length < 8:
        c.emit(
            "XC-P2M-001",
            ev.offset + 4,
            "libxc",
            f"body_length {ev.length} is too short for p2m_start_pfn and p2m_end_pfn",
            ev,
        )
        return
    start, end = struct.unpack_from(ev.endian + "II", ev.body)
    if start > end:
        c.emit(
            "XC-P2M-002",
            ev.body_offset,
            "libxc",
            f"p2m_start_pfn {start:#x} is greater than p2m_end_pfn {end:#x}",
            ev,
        )
    elif xc.width is not None:
        fpp = xc.page_size // xc.width
        frames = end // fpp - start // fpp + 1
        if ev.length != 8 + 8 * frames:
            c.emit(
                "XC-P2M-003",
                ev.offset + 4,
                "libxc",
                f"body_length is {ev.length}, expected {8 + 8 * frames} for {frames} "
                f"frames covering pfns {start:#x}-{end:#x} ({fpp} entries per frame)",
                ev,
            )
        elif xc.guest == DomainType.X86_PV and end < PFN_TABLE_LIMIT and not xc.page:
            # The frames back the table: one octet per pfn the record's frames cover.
            # (After PAGE_DATA, which XC-ORD-002 reports, there is no telling.)
            table = xc.pfn_types if xc.pfn_types is not None else bytearray()
            if len(table) <= end:
                table += b"\xff" * (end + 1 - len(table))
            xc.pfn_types = table
        if xc.guest == DomainType.X86_PV and ev.length == len(ev.body) == 8 + 8 * frames:
            if xc.pv is None:
                xc.pv = pv_records.PvRestoreState(xc.width, PFN_TABLE_LIMIT)
            pv_records.p2m_frames(xc.pv, ev.body, ev.endian, ev)


def vcpu(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    """X86_PV_VCPU_BASIC, _EXTENDED, _XSAVE and _MSRS."""
    rtype = ev.type
    if xc.guest == DomainType.X86_PV and not xc.page:
        c.emit_once(
            "XC-ORD-003", ev.offset, "libxc", "a vCPU record before the first PAGE_DATA", ev
        )
    xc.vcpu_in_section = True
    length = ev.length
    if length < 8:
        c.emit(
            "XC-VCPU-001",
            ev.offset + 4,
            "libxc",
            f"body_length {length} is too short for vcpu_id and reserved",
            ev,
        )
        return
    vcpu_id, reserved = struct.unpack_from(ev.endian + "II", ev.body)
    if reserved:
        c.emit(
            "XC-VCPU-002",
            ev.body_offset + 4,
            "libxc",
            f"reserved is {reserved:#010x}, not 0",
            ev,
        )
    size = length - 8
    at = ev.offset + 4
    if rtype == XcRecType.X86_PV_VCPU_BASIC:
        if vcpu_id == 0:
            xc.basic0 = True
        if xc.width is not None and size != PV_VCPU_CONTEXT_SIZE[xc.width]:
            c.emit(
                "XC-VCPU-003",
                at,
                "libxc",
                f"vCPU {vcpu_id}: context is {size} bytes, not "
                f"{PV_VCPU_CONTEXT_SIZE[xc.width]} for guest_width {xc.width}",
                ev,
            )
        elif xc.width is not None and len(ev.body) == length:
            pv_context.context(c, xc, ev, vcpu_id)
        return
    if size == 0:
        c.emit(
            "XC-VCPU-007",
            at,
            "libxc",
            f"vCPU {vcpu_id}: empty context (an erratum of Xen 4.6-4.8; readers ignore it)",
            ev,
        )
    elif rtype == XcRecType.X86_PV_VCPU_EXTENDED and size > 128:
        c.emit("XC-VCPU-004", at, "libxc", f"vCPU {vcpu_id}: context is {size} bytes, over 128", ev)
    elif rtype == XcRecType.X86_PV_VCPU_XSAVE and size < 16:
        c.emit("XC-VCPU-005", at, "libxc", f"vCPU {vcpu_id}: context is {size} bytes, under 16", ev)
    elif rtype == XcRecType.X86_PV_VCPU_MSRS and size % 16:
        c.emit(
            "XC-VCPU-006",
            at,
            "libxc",
            f"vCPU {vcpu_id}: context is {size} bytes, not a multiple of 16",
            ev,
        )
    elif xc.guest == DomainType.X86_PV and len(ev.body) == length:
        pv_context.blob(c, ev, vcpu_id)


def shared_info(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    if xc.guest == DomainType.X86_PV and xc.pv_info == 0:
        c.emit("XC-ORD-004", ev.offset, "libxc", "SHARED_INFO before X86_PV_INFO", ev)
    if ev.length != xc.page_size:
        c.emit(
            "XC-SHI-001",
            ev.offset + 4,
            "libxc",
            f"body_length is {ev.length}, not the page size {xc.page_size}",
            ev,
        )


def frame_list_at_end(c: CheckState, xc: XcState) -> None:
    """XC-P2M-005 when the stream completes: update_guest_p2m reads the frame list."""
    frame = pv_records.frame_list_problem(xc.pv, xc.pfn_types) if xc.pv else None
    if frame is not None:
        tag, offset, message = frame
        where = tag if isinstance(tag, RecordEvent) else None
        at = where.body_offset + offset if where else c.pos
        c.emit("XC-P2M-005", at, "libxc", message, where)


def complete(c: CheckState, xc: XcState, offset: int, ev: RecordEvent | None) -> None:
    """What a whole PV stream must hold, at its END (or clean end)."""
    if xc.pv_info == 0:
        c.emit("XC-PVI-006", offset, "libxc", "the PV stream has no X86_PV_INFO", ev)
    if not xc.p2m:
        c.emit("XC-P2M-004", offset, "libxc", "the PV stream has no X86_PV_P2M_FRAMES", ev)
    if not xc.basic0:
        c.emit(
            "XC-VCPU-009",
            offset,
            "libxc",
            "the PV stream has no X86_PV_VCPU_BASIC record for vCPU 0",
            ev,
        )
