"""The ``XLF-NEST-`` and ``XL-NEST-`` rules of ``spec/nesting.md``: how the layers
sit inside one another (the libxl stream after the xl file's optional data, the
libxc stream after LIBXC_CONTEXT, checkpoint sections across the two streams, byte
orders that must agree). The layer modules keep the state and call these where a
rule is broken; the wrappers' own nesting rules are in :mod:`.wrappers`."""

from __future__ import annotations

from ..reader import LibxlHeader, RecordEvent, XcDomainHeader, XcImageHeader
from .emit import CheckState, LibxlState, order

CHECKS: dict[str, str] = {
    "XLF-NEST-001": "xl file: a libxl header (ident, complete) at 48 + optional_data_len",
    "XLF-NEST-002": "xl file: xl byte order equals the libxl options byte order",
    "XL-NEST-001": "libxl stream: LIBXC_CONTEXT followed by a libxc image header",
    "XL-NEST-002": "libxl stream: libxc byte order equals libxl byte order",
    "XL-NEST-003": "checkpoint sections: closed by CHECKPOINT_END, no new libxc headers",
    "XL-NEST-004": "CHECKPOINT_END: only in a section a libxc CHECKPOINT opened",
    "XL-NEST-005": "libxl END: not inside a checkpoint section",
    "XL-NEST-006": "legacy bit <=> xen_major 0 (warning)",
}


# --- the libxl stream in the xl file


def no_libxl_in_xl(c: CheckState, offset: int, message: str) -> None:
    c.emit("XLF-NEST-001", offset, "xl", message)


def xl_byte_order(c: CheckState, h: LibxlHeader) -> None:
    """The xl header's byte order against the libxl stream's (when both are known)."""
    if c.xl_big is not None and c.xl_big != h.big_endian:
        c.emit(
            "XLF-NEST-002",
            h.offset + 12,
            "libxl",
            f"the xl header is {order(c.xl_big)} but the libxl stream declares "
            f"{order(h.big_endian)} records",
        )


# --- the libxc stream in the libxl stream


def no_libxc_in_libxl(c: CheckState, offset: int, message: str) -> None:
    c.emit("XL-NEST-001", offset, "libxl", message)


def libxc_byte_order(c: CheckState, h: XcImageHeader, s: LibxlState) -> None:
    if s.big != h.big_endian:
        c.emit(
            "XL-NEST-002",
            h.offset + 16,
            "libxc",
            f"the libxc stream is {order(h.big_endian)} but the libxl stream that "
            f"carries it is {order(s.big)}",
        )


def legacy_bit(c: CheckState, h: XcDomainHeader, s: LibxlState) -> None:
    """The libxl legacy-conversion bit against the libxc xen_major 0 of a conversion."""
    if s.legacy != (h.xen_major == 0):
        c.emit(
            "XL-NEST-006",
            h.offset + 8,
            "libxc",
            f"xen_major is {h.xen_major} but the libxl legacy bit is "
            f"{'set' if s.legacy else 'clear'}",
        )


# --- checkpoint sections (a libxc CHECKPOINT opens one, libxl CHECKPOINT_END closes it)


def context_in_section(c: CheckState, ev: RecordEvent) -> None:
    c.emit(
        "XL-NEST-003",
        ev.offset,
        "libxl",
        "a LIBXC_CONTEXT (and new libxc headers) inside a checkpoint section; "
        "the section must end with CHECKPOINT_END and libxc resume headerless",
        ev,
    )


def ends_in_section(c: CheckState, offset: int) -> None:
    c.emit(
        "XL-NEST-003",
        offset,
        "libxl",
        "the stream ends inside a checkpoint section, before its CHECKPOINT_END",
    )


def checkpoint_end_outside_section(c: CheckState, ev: RecordEvent) -> None:
    c.emit(
        "XL-NEST-004",
        ev.offset,
        "libxl",
        "CHECKPOINT_END outside a checkpoint section (no libxc CHECKPOINT opened one)",
        ev,
    )


def end_in_section(c: CheckState, ev: RecordEvent) -> None:
    c.emit(
        "XL-NEST-005",
        ev.offset,
        "libxl",
        "the libxl END comes inside a checkpoint section, before CHECKPOINT_END "
        "and without a libxc END",
        ev,
    )
