"""The ``HVM-`` rules of ``spec/hvm-context.md`` on an HVM context blob
(``ksy/xen_hvm_context.ksy``). :func:`xensave.hvm_context.decode` judges the blob
and names the rule of each problem; this module places them in the image."""

from __future__ import annotations

from ..reader import RecordEvent
from .emit import CheckState

CHECKS: dict[str, str] = {
    "HVM-FRAME-001": "HVM context: each payload within the blob",
    "HVM-FRAME-002": "HVM context: ends with an END entry",
    "HVM-FRAME-003": "HVM context: END has instance 0 and length 0 (warning)",
    "HVM-FRAME-004": "HVM context: nothing after END (warning)",
    "HVM-HDR-001": "HVM context: HEADER first, 24 octets",
    "HVM-HDR-002": "HVM context: HEADER magic 0x54381286",
    "HVM-HDR-003": "HVM context: HEADER version 1",
    "HVM-HDR-004": "HVM context: no second HEADER",
    "HVM-TYPE-001": "HVM context: typecodes 0-20 only",
    "HVM-SIZE-001": "HVM context: fixed-size typecodes at their exact size",
    "HVM-SIZE-002": "HVM context: zero-extended typecodes no longer than their structure",
    "HVM-CPU-001": "HVM context: CPU pad0 zero",
    "HVM-PIC-001": "HVM context: PIC instance 0 or 1",
    "HVM-LINK-001": "HVM context: PCI_LINK routes 0-15",
    "HVM-LINK-002": "HVM context: PCI_LINK pad0 zero",
    "HVM-PIT-001": "HVM context: PIT speaker_data_on 0/1, pad0 zero",
    "HVM-XSAVE-001": "HVM context: CPU_XSAVE >= 600 octets",
    "HVM-XSAVE-002": "HVM context: CPU_XSAVE standard format (xcomp_bv, reserved zero)",
    "HVM-XSAVE-003": "HVM context: CPU_XSAVE xcr0 has x87; xcr0, xstate_bv within xcr0_accum",
    "HVM-MSR-001": "HVM context: CPU_MSR count >= 1, length 8 + 16 * count",
    "HVM-MSR-002": "HVM context: CPU_MSR reserved words zero",
    "HVM-CPU-002": "HVM context: CPU cr0 has ET, no PG without PE, no reserved bit",
    "HVM-CPU-003": "HVM context: CPU flags only bit 0",
    "HVM-CPU-004": "HVM context: CPU msr_tsc_aux within 32 bits",
    "HVM-CPU-005": "HVM context: CPU dr6, dr7 within 32 bits",
    "HVM-PIC-002": "HVM context: PIC state reachable (int_output, is_master, elcr)",
    "HVM-LAPIC-001": "HVM context: LAPIC no EXTD without EN",
    "HVM-MTRR-001": "HVM context: MTRR VCNT at most 8",
    "HVM-VIRIDIAN-001": "HVM context: VIRIDIAN_VCPU _pad zero",
    "HVM-VMCE-001": "HVM context: VMCE_VCPU caps within what some host offers",
    "HVM-PIT-002": "HVM context: PIT counter states reachable",
    "HVM-XSAVE-004": "HVM context: CPU_XSAVE xcr0, xcr0_accum valid XCR0 values",
    "HVM-XSAVE-005": "HVM context: CPU_XSAVE both AMX components or neither",
    "HVM-XSAVE-006": "HVM context: CPU_XSAVE octets past the size xcr0_accum needs are zero",
    "HVM-XSAVE-007": "HVM context: CPU_XSAVE not shorter than xcr0_accum needs",
    "HVM-MSR-003": "HVM context: CPU_MSR indices Xen restores",
}


def record(c: CheckState, ev: RecordEvent) -> None:
    """The HVM-* rules on the (whole, non-empty) body of an HVM_CONTEXT record."""
    judge(c, ev.body, ev.body_offset, "libxc", "", ev)


def judge(
    c: CheckState, blob: bytes, base: int, layer: str, where: str, ev: RecordEvent | None
) -> None:
    """The HVM-* rules on a blob at ``base`` in ``layer``'s bytes (``where`` names its
    place when no record does)."""
    from .. import hvm_context  # loaded only for an image with an HVM context

    for p in hvm_context.decode(blob).problems:
        entry = "" if p.entry is None else f"entry #{p.entry}: "
        c.emit(p.rule, base + p.offset, layer, f"{where}HVM context {entry}{p.message}", ev)
