"""The ``XL-`` rules of ``spec/libxl-stream.md``: the libxl stream's header, record
framing and records (``ksy/xen_libxl_stream.ksy``). How it nests in its carrier and
carries the libxc stream is :mod:`.nesting`."""

from __future__ import annotations

import struct

from .._slots import replace
from ..constants import LIBXL_HEADER_SIZE, LIBXL_IDENT_BYTES, DomainType, LibxlRecType
from ..reader import LibxlHeader, ReadError, RecordEvent, Trailer
from . import nesting, wrappers
from .emit import (
    MAX_NAMED,
    ZEROS,
    CheckState,
    LibxlState,
    Stop,
    field_rule,
    first_nonzero,
    named,
    record_name,
)

CHECKS: dict[str, str] = {
    "XL-HDR-001": "libxl header: ident; truncated ident",
    "XL-HDR-002": "libxl header: version 2; truncated version",
    "XL-HDR-003": "libxl header: options bits 2-31 zero; truncated options",
    "XL-HDR-004": "libxl header: note a big-endian stream",
    "XL-HDR-006": "libxl header: note the legacy-conversion bit",
    "XL-REC-001": "libxl record: truncated record header (framing loss)",
    "XL-REC-002": "libxl record: padding zero",
    "XL-REC-003": "libxl record: body and padding within the stream (framing loss)",
    "XL-REC-004": "libxl record: no type in the reserved mandatory range",
    "XL-REC-006": "libxl record: note an optional record",
    "XL-END-001": "libxl END: body_length 0",
    "XL-END-002": "libxl stream: ends with END (EOF at a record boundary)",
    "XL-END-003": "libxl stream: no bytes after END (Trailer event)",
    "XL-CTX-001": "LIBXC_CONTEXT: body_length 0",
    "XL-CTX-002": "libxl stream: exactly one LIBXC_CONTEXT (second one; none at END)",
    "XL-CTX-003": "libxl stream: LIBXC_CONTEXT is the first record (warning)",
    "XL-EMU-001": "emulator records: body_length >= 8",
    "XL-EMU-002": "emulator records: emulator_id 0, 1 or 2",
    "XL-EMU-003": "emulator records: id 0 only with the legacy bit (warning)",
    "XL-EMU-004": "emulator records: none in an x86 PV stream (cross-layer, deferred)",
    "XL-XSD-001": "xenstore data: ends with NUL",
    "XL-XSD-002": "xenstore data: even number of strings",
    "XL-XSD-003": "xenstore data: keys non-empty",
    "XL-XSD-004": "xenstore data: keys relative",
    "XL-XSD-005": "xenstore data: key alphabet",
    "XL-XSD-006": "xenstore data: values printable ASCII (warning)",
    "XL-XSD-007": "xenstore data: at least one pair (warning)",
    "XL-EMC-001": "libxl stream: an HVM stream has EMULATOR_CONTEXT (warning, at END)",
    "XL-CKE-001": "CHECKPOINT_END: body_length 0",
    "XL-CKS-001": "CHECKPOINT_STATE: body_length >= 4",
    "XL-CKS-002": "CHECKPOINT_STATE: body_length exactly 4 (warning)",
    "XL-CKS-003": "CHECKPOINT_STATE: control_id 0-3",
    "XL-CKS-004": "CHECKPOINT_STATE: control_id 0 in a forward stream (values 1-3)",
    "XL-CKS-005": "CHECKPOINT_STATE: directly after CHECKPOINT_END",
    "XL-CKS-006": "CHECKPOINT_STATE: body octets after control_id zero",
}

# Truncated header: (end of field, rule) for the first field that is incomplete.
_HDR_FIELDS = ((8, "XL-HDR-001"), (12, "XL-HDR-002"), (LIBXL_HEADER_SIZE, "XL-HDR-003"))
_XS_KEY_CHARS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_@"
_PRINTABLE = bytes(range(0x20, 0x7F))
assert max(LibxlRecType) == LibxlRecType.CHECKPOINT_STATE  # record() knows them all


def header(c: CheckState, h: LibxlHeader) -> None:
    c.layer = c.layer or "libxl"
    carrier = c.carrier
    off = h.offset
    if h.ident != LIBXL_IDENT_BYTES:
        where = f"no libxl stream at offset {off:#x}: ident is {h.ident!r}, not b'LibxlFmt'"
        if carrier == "xl":
            nesting.no_libxl_in_xl(c, off, where)
            raise Stop
        if carrier == "libvirt":
            wrappers.no_libxl_in_libvirt(c, off, where)
            raise Stop
        if carrier == "xapi":
            wrappers.no_stream_in_xapi(c, off, f"LIBXL section: {where}")
            raise Stop
        c.emit("XL-HDR-001", off, "libxl", f"ident is {h.ident!r}, not b'LibxlFmt'")
    if h.version != 2:
        c.emit("XL-HDR-002", off + 8, "libxl", f"version is {h.version}, not 2")
    if h.options & ~3:
        c.emit(
            "XL-HDR-003",
            off + 12,
            "libxl",
            f"options {h.options:#010x} has reserved bits {h.options & ~3:#010x} set",
        )
    if h.big_endian:
        c.emit("XL-HDR-004", off + 12, "libxl", "the records are big-endian")
    if h.options & 2:
        c.emit("XL-HDR-006", off + 12, "libxl", "the stream was converted from a legacy image")
    if carrier == "xl":
        nesting.xl_byte_order(c, h)
    elif carrier == "libvirt":
        wrappers.libvirt_byte_order(c, h)
    c.libxl = LibxlState(off, carrier, h.big_endian, bool(h.options & 2))
    c.carrier = None


def record(c: CheckState, ev: RecordEvent) -> None:
    s = c.libxl
    if s is None:  # a reader never yields one without a header
        return
    s.records += 1
    rtype, length = ev.type, ev.length
    if ev.padding and ev.padding != ZEROS[: len(ev.padding)]:
        at = first_nonzero(ev.padding)
        c.emit(
            "XL-REC-002",
            ev.body_offset + length + at,
            "libxl",
            f"padding byte {at} is {ev.padding[at]:#04x}, not zero",
            ev,
        )
    if rtype == LibxlRecType.END:
        end(c, s, ev)
    elif rtype == LibxlRecType.LIBXC_CONTEXT:
        libxc_context(c, s, ev)
    elif rtype in (LibxlRecType.EMULATOR_XENSTORE_DATA, LibxlRecType.EMULATOR_CONTEXT):
        emulator(c, s, ev)
    elif rtype == LibxlRecType.CHECKPOINT_END:
        if length:
            c.emit("XL-CKE-001", ev.offset + 4, "libxl", f"body_length is {length}, not 0", ev)
        if s.in_section:
            s.in_section = False
        else:
            nesting.checkpoint_end_outside_section(c, ev)
    elif rtype == LibxlRecType.CHECKPOINT_STATE:
        checkpoint_state(c, s, ev)
    elif rtype & 0x80000000:
        c.emit(
            "XL-REC-006",
            ev.offset,
            "libxl",
            f"optional record type {rtype:#010x} (unknown; a reader may skip it)",
            ev,
        )
    else:
        c.emit(
            "XL-REC-004",
            ev.offset,
            "libxl",
            f"type {rtype:#010x} is in the reserved mandatory range",
            ev,
        )
    s.last_type = rtype


def end(c: CheckState, s: LibxlState, ev: RecordEvent) -> None:
    if ev.length:
        c.emit("XL-END-001", ev.offset + 4, "libxl", f"body_length is {ev.length}, not 0", ev)
    if s.in_section:
        nesting.end_in_section(c, ev)
    if s.contexts == 0:
        c.emit(
            "XL-CTX-002",
            ev.offset,
            "libxl",
            "the libxl stream has no LIBXC_CONTEXT record (no libxc stream)",
            ev,
        )
    stream_complete(c, s, ev.offset, ev)


def stream_complete(c: CheckState, s: LibxlState, offset: int, ev: RecordEvent | None) -> None:
    """Checks of what a whole libxl stream must contain, at its END (or clean end)."""
    if c.guest == DomainType.X86_HVM and s.xc_started and not s.emulator_context:
        c.emit(
            "XL-EMC-001",
            offset,
            "libxl",
            "the stream holds an x86 HVM guest but no EMULATOR_CONTEXT record",
            ev,
        )


def libxc_context(c: CheckState, s: LibxlState, ev: RecordEvent) -> None:
    if ev.length:
        c.emit("XL-CTX-001", ev.offset + 4, "libxl", f"body_length is {ev.length}, not 0", ev)
    s.contexts += 1
    if s.contexts > 1:
        if s.in_section:
            nesting.context_in_section(c, ev)
        c.emit(
            "XL-CTX-002",
            ev.offset,
            "libxl",
            f"a second LIBXC_CONTEXT (number {s.contexts}): a libxl stream has exactly one",
            ev,
        )
    elif s.records != 1:
        c.emit(
            "XL-CTX-003",
            ev.offset,
            "libxl",
            f"LIBXC_CONTEXT is record {s.records} of the libxl stream, not the first",
            ev,
        )
    s.xc_started = True
    c.carrier = "libxl"


def emulator(c: CheckState, s: LibxlState, ev: RecordEvent) -> None:
    if ev.type == LibxlRecType.EMULATOR_CONTEXT:
        s.emulator_context = True
    if c.guest is None:
        if len(s.pending_emu) < MAX_NAMED:  # judged at the domain header; no body kept
            s.pending_emu.append(replace(ev, body=b"", padding=b""))
    elif c.guest == DomainType.X86_PV:
        emulator_in_pv(c, ev)
    if ev.length < 8:
        c.emit(
            "XL-EMU-001",
            ev.offset + 4,
            "libxl",
            f"body_length {ev.length} is too short for the 8-byte emulator sub-header",
            ev,
        )
        return
    body = ev.body
    eid = struct.unpack_from(ev.endian + "I", body)[0]
    if eid > 2:
        c.emit(
            "XL-EMU-002",
            ev.body_offset,
            "libxl",
            f"emulator_id {eid} is not 0 (unknown), 1 (qemu-traditional) or 2 (qemu-upstream)",
            ev,
        )
    elif eid == 0 and not s.legacy:
        c.emit(
            "XL-EMU-003",
            ev.body_offset,
            "libxl",
            "emulator_id 0 (unknown) in a stream without the legacy option bit",
            ev,
        )
    if ev.type == LibxlRecType.EMULATOR_XENSTORE_DATA and ev.body_complete:
        xenstore_data(c, ev, body[8 : ev.length], ev.body_offset + 8)


def emulator_in_pv(c: CheckState, ev: RecordEvent) -> None:
    """XL-EMU-004, at the record or (when it came first) at the libxc domain header."""
    c.emit(
        "XL-EMU-004",
        ev.offset,
        "libxl",
        "an emulator record in a stream whose libxc domain type is x86 PV",
        ev,
    )


def xenstore_data(c: CheckState, ev: RecordEvent, data: bytes, base: int) -> None:
    if not data:
        c.emit("XL-XSD-007", base, "libxl", "the record carries no xenstore key/value pair", ev)
        return
    strings = data.split(b"\x00")
    tail = strings.pop()  # after the last NUL: empty when terminated
    if tail:
        c.emit(
            "XL-XSD-001",
            base + len(data) - 1,
            "libxl",
            f"the xenstore data does not end with NUL (unterminated {tail[:32]!r})",
            ev,
        )
    if len(strings) % 2:
        dangling = len(data) - len(tail) - len(strings[-1]) - 1
        c.emit(
            "XL-XSD-002",
            base + dangling,
            "libxl",
            f"{len(strings)} NUL-terminated strings: key {strings[-1][:64]!r} has no value",
            ev,
        )
    if len(strings) < 2:
        c.emit(
            "XL-XSD-007",
            base,
            "libxl",
            "the record carries no complete xenstore key/value pair",
            ev,
        )
    # Offsets of each string, computed only when some key or value is bad.
    keys, values = strings[0::2], strings[1::2]
    bad_empty = b"" in keys
    bad_abs = any(k[:1] == b"/" for k in keys)
    bad_chars = any(k.translate(None, _XS_KEY_CHARS) for k in keys)
    bad_vals = any(v.translate(None, _PRINTABLE) for v in values)
    if not (bad_empty or bad_abs or bad_chars or bad_vals):
        return
    found: dict[str, list[tuple[int, int, bytes]]] = {}
    pos = 0
    for i, s in enumerate(strings):
        if i % 2 == 0:
            if not s:
                found.setdefault("XL-XSD-003", []).append((i // 2, pos, s))
            else:
                if s[:1] == b"/":
                    found.setdefault("XL-XSD-004", []).append((i // 2, pos, s))
                if s.translate(None, _XS_KEY_CHARS):
                    found.setdefault("XL-XSD-005", []).append((i // 2, pos, s))
        elif s.translate(None, _PRINTABLE):
            found.setdefault("XL-XSD-006", []).append((i // 2, pos, s))
        pos += len(s) + 1
    what = {
        "XL-XSD-003": "is an empty key",
        "XL-XSD-004": "has an absolute key (starts with '/')",
        "XL-XSD-005": "has a key with characters outside A-Z a-z 0-9 - / _ @",
        "XL-XSD-006": "has a value that is not printable ASCII",
    }
    for rid, hits in found.items():
        first = hits[0]
        names = named([h[0] for h in hits[:MAX_NAMED]], len(hits), "pair")
        c.emit(rid, base + first[1], "libxl", f"{names} {what[rid]} (first: {first[2][:64]!r})", ev)


def checkpoint_state(c: CheckState, s: LibxlState, ev: RecordEvent) -> None:
    if ev.length < 4:
        c.emit(
            "XL-CKS-001",
            ev.offset + 4,
            "libxl",
            f"body_length {ev.length} is too short for control_id",
            ev,
        )
    else:
        if ev.length != 4:
            c.emit("XL-CKS-002", ev.offset + 4, "libxl", f"body_length is {ev.length}, not 4", ev)
        extra = ev.body[4:]
        if extra.strip(b"\x00"):
            at = first_nonzero(extra)
            c.emit(
                "XL-CKS-006",
                ev.body_offset + 4 + at,
                "libxl",
                f"body byte {4 + at} after control_id is {extra[at]:#04x}, not zero",
                ev,
            )
        cid = struct.unpack_from(ev.endian + "I", ev.body)[0]
        if cid > 3:
            c.emit("XL-CKS-003", ev.body_offset, "libxl", f"control_id {cid} is not 0-3", ev)
        elif cid:
            c.emit(
                "XL-CKS-004",
                ev.body_offset,
                "libxl",
                f"control_id {cid} belongs to the back channel; an image (a forward "
                "stream) only carries 0 (NEW)",
                ev,
            )
    if s.last_type != LibxlRecType.CHECKPOINT_END:
        c.emit(
            "XL-CKS-005",
            ev.offset,
            "libxl",
            "CHECKPOINT_STATE does not come directly after a CHECKPOINT_END",
            ev,
        )


# --- end of input


def read_error(c: CheckState, e: ReadError, present: int) -> None:
    """The framing is lost in the libxl header, or in or between its records."""
    if e.index is not None:
        _record_read_error(c, e)
        return
    carrier = c.carrier
    if carrier == "xl":
        nesting.no_libxl_in_xl(c, e.offset, f"no libxl stream: {e.message}")
    elif carrier == "libvirt":
        wrappers.no_libxl_in_libvirt(c, e.offset, f"no libxl stream: {e.message}")
    elif carrier == "xapi":
        wrappers.no_stream_in_xapi(c, e.offset, f"LIBXL section: {e.message}")
    else:
        rid = field_rule(_HDR_FIELDS, present, "XL-HDR-003")
        c.emit(rid, e.offset, "libxl", e.message)


def _record_read_error(c: CheckState, e: ReadError) -> None:
    s = c.libxl
    name = None if e.rtype is None else rec_name(e.rtype)
    if e.rule == "XL-END-002":
        if s is not None and s.in_section:
            nesting.ends_in_section(c, e.offset)
        else:
            c.emit("XL-END-002", e.offset, "libxl", "the libxl stream ends without END")
        return
    rid = "XL-REC-001" if e.rule == "XL-REC-001" else "XL-REC-003"
    at = e.offset if rid == "XL-REC-001" else e.offset + 4
    c.diag_at_record(rid, at, "libxl", e.message, e.index, name)


def trailer(c: CheckState, t: Trailer) -> None:
    c.emit("XL-END-003", t.offset, "libxl", f"{t.length} bytes follow the libxl END record")


def rec_name(rtype: int) -> str:
    return record_name(LibxlRecType, rtype)
