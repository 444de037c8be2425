"""``spec/libxc-stream.md``, the HVM records: HVM_CONTEXT (``XC-HVMC-``) and
HVM_PARAMS (``XC-HVMP-``), with their order and what a whole HVM stream must hold.
The blob inside HVM_CONTEXT is :mod:`.hvm_context`."""

from __future__ import annotations

import struct

from ..constants import DomainType
from ..reader import RecordEvent
from . import hvm_context
from .emit import CheckState, XcState

CHECKS: dict[str, str] = {
    "XC-HVMC-001": "HVM_CONTEXT: non-empty",
    "XC-HVMC-002": "HVM stream: at least one HVM_CONTEXT (at END)",
    "XC-HVMP-001": "HVM_PARAMS: body_length >= 8",
    "XC-HVMP-002": "HVM_PARAMS: body_length == 8 + 16*count",
    "XC-HVMP-003": "HVM_PARAMS: reserved zero",
    "XC-HVMP-004": "HVM_PARAMS: count not zero (warning, erratum)",
    "XC-ORD-006": "HVM: note HVM_CONTEXT before HVM_PARAMS",
    "XC-HVMP-015": "HVM_PARAMS: body_length not less than 8 + 16*count",
    "XC-HVMP-006": "HVM_PARAMS: index below HVM_NR_PARAMS (39)",
    "XC-HVMP-007": "HVM_PARAMS: no index deprecated in every release",
    "XC-HVMP-008": "HVM_PARAMS: values of TIMER_MODE, ACPI_S_STATE, TRIPLE_FAULT_REASON, "
    "NR_IOREQ_SERVER_PAGES, X87_FIP_WIDTH",
    "XC-HVMP-009": "HVM_PARAMS: VIRIDIAN base_freq set, no unknown bit",
    "XC-HVMP-010": "HVM_PARAMS: once-only parameters not changed within a record",
    "XC-HVMP-011": "HVM_PARAMS: no PAE_ENABLED (warning)",
    "XC-HVMP-012": "HVM_PARAMS: no NESTEDHVM",
    "XC-HVMP-013": "HVM_PARAMS: no DM_DOMAIN",
    "XC-HVMP-014": "HVM_PARAMS: no ALTP2M",
}


def context(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    """HVM_CONTEXT."""
    xc.hvm_context += 1
    xc.hvm_context_in_section = True
    if ev.length == 0:
        c.emit("XC-HVMC-001", ev.offset + 4, "libxc", "the HVM context is empty", ev)
        return
    if not ev.body_complete:
        return  # only a prefix of a body over BODY_KEEP_MAX is kept: nothing to judge
    hvm_context.record(c, ev)


def params(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    """HVM_PARAMS."""
    if xc.guest == DomainType.X86_HVM and xc.hvm_context_in_section:
        c.emit_once(
            "XC-ORD-006",
            ev.offset,
            "libxc",
            "HVM_PARAMS follows HVM_CONTEXT (as Xen's saver writes them)",
            ev,
        )
    if ev.length < 8:
        c.emit(
            "XC-HVMP-001",
            ev.offset + 4,
            "libxc",
            f"body_length {ev.length} is too short for count and reserved",
            ev,
        )
        return
    count, reserved = struct.unpack_from(ev.endian + "II", ev.body)
    if reserved:
        c.emit(
            "XC-HVMP-003",
            ev.body_offset + 4,
            "libxc",
            f"reserved is {reserved:#010x}, not 0",
            ev,
        )
    if ev.length != 8 + 16 * count:
        c.emit(
            "XC-HVMP-002",
            ev.offset + 4,
            "libxc",
            f"body_length is {ev.length}, expected {8 + 16 * count} for count {count}",
            ev,
        )
    if ev.length < 8 + 16 * count:
        c.emit(
            "XC-HVMP-015",
            ev.offset + 4,
            "libxc",
            f"body_length {ev.length} is short of the {8 + 16 * count} count {count} needs",
            ev,
        )
    if count == 0:
        c.emit(
            "XC-HVMP-004",
            ev.body_offset,
            "libxc",
            "count is 0 (an erratum of Xen 4.6-4.8; readers ignore the record)",
            ev,
        )
    if ev.length != 8 + 16 * count:
        return  # Xen's restorer refuses the record before it sets any parameter
    from .. import hvm_params  # what hvm_set_param refuses in the entries

    for p in hvm_params.check(ev.body, ev.endian):
        c.emit(p.rule, ev.body_offset + p.offset, "libxc", p.message, ev)


def new_section(xc: XcState) -> None:
    """A CHECKPOINT starts a section: its HVM_PARAMS are judged against its own
    HVM_CONTEXT."""
    xc.hvm_context_in_section = False
    xc.once.discard("XC-ORD-006")


def complete(c: CheckState, xc: XcState, offset: int, ev: RecordEvent | None) -> None:
    """What a whole HVM stream must hold, at its END (or clean end)."""
    if xc.hvm_context == 0:
        c.emit("XC-HVMC-002", offset, "libxc", "the HVM stream has no HVM_CONTEXT", ev)
