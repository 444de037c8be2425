"""``spec/libxc-stream.md``, STATIC_DATA_END and the CPU policy records: the ``XC-SDE-``
and ``XC-POL-`` rules, and where records stand against the end of the static data
(v3 marks it with STATIC_DATA_END; in v2 the first PAGE_DATA or X86_PV_P2M_FRAMES
stands for it)."""

from __future__ import annotations

import struct

from ..constants import XcRecType
from ..reader import RecordEvent
from .emit import MAX_NAMED, CheckState, XcState, named

CHECKS: dict[str, str] = {
    "XC-SDE-001": "STATIC_DATA_END: body_length 0",
    "XC-SDE-002": "v3: exactly one STATIC_DATA_END (second one; none at END)",
    "XC-SDE-003": "v3: STATIC_DATA_END before the first PAGE_DATA / X86_PV_P2M_FRAMES",
    "XC-SDE-004": "v3: STATIC_DATA_END before state records (warning)",
    "XC-SDE-005": "v2: no STATIC_DATA_END (warning)",
    "XC-POL-001": "X86_CPUID_POLICY: non-zero multiple of 24",
    "XC-POL-002": "X86_MSR_POLICY: non-zero multiple of 16",
    "XC-POL-003": "policies before (explicit or inferred) STATIC_DATA_END",
    "XC-POL-004": "at most one policy record of each kind (warning)",
    "XC-POL-005": "v2: no policy records (warning)",
    "XC-POL-006": "X86_MSR_POLICY: every entry's flags zero (vectorised)",
    "XC-POL-007": "X86_CPUID_POLICY: leaves and subleaves the policy holds",
    "XC-POL-008": "X86_CPUID_POLICY: at most 120 leaves",
    "XC-POL-009": "X86_MSR_POLICY: indices 0xce and 0x10a only",
    "XC-POL-010": "X86_MSR_POLICY: at most 2 entries",
    "XC-POL-011": "X86_MSR_POLICY: MSR 0xce value within 32 bits",
    "XC-POL-012": "X86_MSR_POLICY: MSR 0x10a value within 32 bits (warning)",
}


def static_point(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    """PAGE_DATA and X86_PV_P2M_FRAMES: STATIC_DATA_END must be behind us."""
    if xc.sde_seen:
        return
    if xc.version == 3:
        c.emit_once("XC-SDE-003", ev.offset, "libxc", f"{ev.name} comes before STATIC_DATA_END", ev)
    elif xc.version == 2:
        xc.sde_seen = True  # the inferred position (XC-SDE-006)


def running_state_first(c: CheckState, ev: RecordEvent) -> None:
    """A record of running state before STATIC_DATA_END in a v3 stream (the caller
    tests that, on every record, inline)."""
    c.emit_once(
        "XC-SDE-004",
        ev.offset,
        "libxc",
        f"{ev.name} comes before STATIC_DATA_END (the first record of running state to do so)",
        ev,
    )


def static_data_end(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    if ev.length:
        c.emit("XC-SDE-001", ev.offset + 4, "libxc", f"body_length is {ev.length}, not 0", ev)
    xc.sde_count += 1
    if xc.version == 2:
        c.emit("XC-SDE-005", ev.offset, "libxc", "STATIC_DATA_END in a version 2 stream", ev)
    elif xc.sde_count > 1:
        c.emit(
            "XC-SDE-002",
            ev.offset,
            "libxc",
            f"a second STATIC_DATA_END (number {xc.sde_count})",
            ev,
        )
    xc.sde_seen = True


def complete(c: CheckState, xc: XcState, offset: int, ev: RecordEvent | None) -> None:
    if xc.version == 3 and xc.sde_count == 0:
        c.emit(
            "XC-SDE-002",
            offset,
            "libxc",
            "the version 3 stream has no STATIC_DATA_END record",
            ev,
        )


def policy(c: CheckState, xc: XcState, ev: RecordEvent) -> None:
    cpuid = ev.type == XcRecType.X86_CPUID_POLICY
    size = 24 if cpuid else 16
    if ev.length == 0 or ev.length % size:
        c.emit(
            "XC-POL-001" if cpuid else "XC-POL-002",
            ev.offset + 4,
            "libxc",
            f"body_length {ev.length} is not a non-zero multiple of {size}",
            ev,
        )
    if cpuid:
        xc.cpuid += 1
        nth = xc.cpuid
    else:
        xc.msr += 1
        nth = xc.msr
    if nth > 1:
        c.emit("XC-POL-004", ev.offset, "libxc", f"{ev.name} again (number {nth})", ev)
    if xc.version == 2:
        c.emit("XC-POL-005", ev.offset, "libxc", f"{ev.name} in a version 2 stream", ev)
    if xc.sde_seen:
        where = "STATIC_DATA_END" if xc.sde_count else "the inferred STATIC_DATA_END"
        c.emit(
            "XC-POL-003",
            ev.offset,
            "libxc",
            f"{ev.name} after {where}: Xen has already applied the policy",
            ev,
        )
    if not cpuid:
        body = ev.body[: (len(ev.body) >> 4) << 4]
        flags = body[4::16] + body[5::16] + body[6::16] + body[7::16]
        if flags.count(0) != len(flags):
            bad = [
                i
                for i, (_idx, fl, _val) in enumerate(struct.iter_unpack(ev.endian + "IIQ", body))
                if fl
            ]
            c.emit(
                "XC-POL-006",
                ev.body_offset + 16 * bad[0] + 4,
                "libxc",
                f"{named(bad[:MAX_NAMED], len(bad), 'entry')} "
                f"{'has' if len(bad) == 1 else 'have'} non-zero flags",
                ev,
            )
    if ev.length == 0 or ev.length % size:
        return  # refused before the hypervisor sees it (XC-POL-001, XC-POL-002)
    from .. import cpu_policy  # what x86_{cpuid,msr}_copy_from_buffer refuse

    check = cpu_policy.check_cpuid if cpuid else cpu_policy.check_msr
    for p in check(ev.body, ev.endian):
        c.emit(p.rule, ev.body_offset + p.offset, "libxc", p.message, ev)
