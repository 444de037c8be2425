"""The libxl stream (``XL-`` rules): header, record framing, END, LIBXC_CONTEXT,
emulator records and xenstore data, and how the libxc stream nests inside."""

from __future__ import annotations

from xensave.bodies import EmulatorRecord, encode_xenstore
from xensave.constants import EmulatorId
from xensave.model import LibxlStream, Record

from . import bases as B
from .bases import L
from .framework import Built, recipe


def _items(s: LibxlStream) -> list[Record]:
    """The libxl records of a stream, in order (the libxc stream left out)."""
    return [i for i in s.items if isinstance(i, Record)]


def _find(s: LibxlStream, rtype: int, nth: int = 0) -> int:
    """Position in ``s.items`` of the ``nth`` libxl record of ``rtype``."""
    hits = [k for k, i in enumerate(s.items) if isinstance(i, Record) and i.type == rtype]
    return hits[nth]


def _emu(s: LibxlStream, rtype: int) -> EmulatorRecord:
    body = s.items[_find(s, rtype)]
    assert isinstance(body, Record) and isinstance(body.body, EmulatorRecord)
    return body.body


# --- header -----------------------------------------------------------------------------


@recipe(
    "ident-wrong",
    "the libxl header ident reads 'LibxlFmX'",
    tags=("libxl-header", "magic"),
    breaks=("XL-HDR-001",),
)
def ident_wrong() -> LibxlStream:
    s = B.libxl("hvm", 3)
    s.header.ident = int.from_bytes(b"LibxlFmX", "big")
    return s


@recipe(
    "version-1",
    "the libxl header version is 1",
    tags=("libxl-header", "version", "off-by-one"),
    args=(1,),
    breaks=("XL-HDR-002",),
)
@recipe(
    "version-3",
    "the libxl header version is 3",
    tags=("libxl-header", "version", "off-by-one"),
    args=(3,),
    breaks=("XL-HDR-002",),
)
def version(value: int) -> LibxlStream:
    s = B.libxl("hvm", 3)
    s.header.version = value
    return s


@recipe(
    "options-reserved-bit",
    "the libxl header options have bit 2 set (reserved)",
    tags=("libxl-header", "reserved-bits"),
    breaks=("XL-HDR-003",),
)
def options_reserved_bit() -> LibxlStream:
    s = B.libxl("hvm", 3)
    s.header.options = 1 << 2
    return s


@recipe(
    "truncated-in-ident",
    "a bare libxl stream that ends after 6 octets, inside the ident",
    tags=("libxl-header", "truncated"),
    args=(6,),
    breaks=("XL-HDR-001",),
)
@recipe(
    "truncated-in-version",
    "a bare libxl stream that ends after 10 octets, inside the version",
    tags=("libxl-header", "truncated", "version"),
    args=(10,),
    breaks=("XL-HDR-002",),
)
def truncated_header(at: int) -> Built:
    s = B.libxl("hvm", 3)
    return Built(s, B.to_bytes(s)[:at])


@recipe(
    "big-endian",
    "a bare libxl stream with big-endian records (options bit 0), its libxc stream big-endian too",
    tags=("libxl-header", "big-endian"),
    permits=("XL-HDR-004", "XC-HDR-006"),
)
def big_endian() -> LibxlStream:
    return B.libxl("hvm", 3, big_endian=True)


# --- record framing ---------------------------------------------------------------------


@recipe(
    "padding-nonzero",
    "the padding after the EMULATOR_XENSTORE_DATA body holds a non-zero octet",
    tags=("record-framing", "reserved-bits", "emulator"),
    breaks=("XL-REC-002",),
)
def padding_nonzero() -> LibxlStream:
    s = B.libxl("hvm", 3)
    rec = s.items[_find(s, L.EMULATOR_XENSTORE_DATA)]
    assert isinstance(rec, Record)
    n = len(rec.body_bytes("<"))
    pad = -n % 8
    assert pad > 0
    rec.padding = b"\x00" * (pad - 1) + b"\x01"
    return s


def _libxl_cut(where: str) -> Built:
    s = B.libxl("hvm", 3)
    data = B.to_bytes(s)
    sp = B.spans(s)
    recs = _items(s)
    ctx = sp[("libxl", next(k for k, r in enumerate(recs) if r.type == L.EMULATOR_CONTEXT))]
    xsd = sp[("libxl", next(k for k, r in enumerate(recs) if r.type == L.EMULATOR_XENSTORE_DATA))]
    assert xsd.padding >= 2
    end = sp[("libxl", len(_items(s)) - 1)]
    at = {
        "record-header": end.offset + 4,
        "body": ctx.body + 10,
        "padding": xsd.body + xsd.length + 1,
        "before-end": end.offset,
    }[where]
    return Built(s, data[:at])


@recipe(
    "truncated-in-record-header",
    "the stream ends 4 octets into the header of the libxl END record",
    tags=("record-framing", "truncated"),
    args=("record-header",),
    breaks=("XL-REC-001",),
)
@recipe(
    "truncated-in-record-body",
    "the stream ends 10 octets into the body of EMULATOR_CONTEXT",
    tags=("record-framing", "truncated", "emulator"),
    args=("body",),
    breaks=("XL-REC-003",),
)
@recipe(
    "truncated-in-padding",
    "the stream ends inside the padding of EMULATOR_XENSTORE_DATA",
    tags=("record-framing", "truncated", "emulator"),
    args=("padding",),
    breaks=("XL-REC-003",),
)
@recipe(
    "missing-end",
    "the libxl stream stops after EMULATOR_CONTEXT, without its END record",
    tags=("end-record", "missing-record", "truncated"),
    args=("before-end",),
    breaks=("XL-END-002",),
)
def cut(where: str) -> Built:
    return _libxl_cut(where)


@recipe(
    "pv-truncated-in-end-header",
    "a PV guest's libxl stream ends 4 octets into the header of its END record",
    tags=("record-framing", "truncated"),
    args=("record-header",),
    breaks=("XL-REC-001",),
)
@recipe(
    "pv-missing-end",
    "a PV guest's libxl stream stops after the libxc stream, without its END record",
    tags=("end-record", "missing-record", "truncated"),
    args=("before-end",),
    breaks=("XL-END-002",),
)
def pv_cut(where: str) -> Built:
    """The cuts of :func:`cut` that a PV stream (no emulator records) has a place for."""
    s = B.libxl("x86_64-pv", 3)
    end = B.spans(s)[("libxl", len(_items(s)) - 1)]
    assert _items(s)[-1].type == L.END
    at = end.offset + 4 if where == "record-header" else end.offset
    return Built(s, B.to_bytes(s)[:at])


@recipe(
    "body-length-past-end",
    "EMULATOR_CONTEXT declares body_length 0x7ffffff0, far more than the stream holds",
    tags=("record-framing", "declared-only", "emulator"),
    breaks=("XL-REC-003",),
)
def body_length_past_end() -> LibxlStream:
    s = B.libxl("hvm", 3)
    rec = s.items[_find(s, L.EMULATOR_CONTEXT)]
    assert isinstance(rec, Record)
    rec.length = 0x7FFFFFF0
    return s


@recipe(
    "record-type-6",
    "a record of type 0x00000006, the first of the reserved mandatory range",
    tags=("record-framing", "unknown-record"),
    args=(0x6,),
    breaks=("XL-REC-004",),
)
@recipe(
    "record-type-7fffffff",
    "a record of type 0x7fffffff, the last of the reserved mandatory range",
    tags=("record-framing", "unknown-record"),
    args=(0x7FFFFFFF,),
    breaks=("XL-REC-004",),
)
def reserved_type(rtype: int) -> LibxlStream:
    s = B.libxl("hvm", 3)
    s.items.insert(_find(s, L.END), Record(rtype, b"\x00" * 8))
    return s


@recipe(
    "unknown-optional-record",
    "an optional libxl record of a type no Xen defines (0x80000001) before END; libxl "
    "itself rejects it",
    tags=("optional-record", "unknown-record"),
    permits=("XL-REC-006",),
)
def unknown_optional_record() -> LibxlStream:
    s = B.libxl("hvm", 3)
    s.items.insert(_find(s, L.END), Record(0x80000001, b"opt"))
    return s


# --- END and LIBXC_CONTEXT ----------------------------------------------------------------


@recipe(
    "end-with-body",
    "the libxl END record has an 8-octet body",
    tags=("end-record",),
    breaks=("XL-END-001",),
)
def end_with_body() -> LibxlStream:
    s = B.libxl("hvm", 3)
    s.items[_find(s, L.END)] = Record(L.END, b"\x00" * 8)
    return s


@recipe(
    "trailing-data",
    "a bare libxl stream with 8 octets after its END record",
    tags=("trailing-data", "end-record"),
    breaks=("XL-END-003",),
)
def trailing_data() -> LibxlStream:
    s = B.libxl("x86_64-pv", 3)
    s.trailer = b"\x00" * 8
    return s


@recipe(
    "records-after-end",
    "emulator records follow the libxl END record, and a second END",
    tags=("trailing-data", "end-record"),
    breaks=("XL-END-003",),
)
def records_after_end() -> LibxlStream:
    s = B.libxl("hvm", 3)
    i = _find(s, L.EMULATOR_XENSTORE_DATA)
    emu = [s.items.pop(i), s.items.pop(i)]
    assert all(isinstance(r, Record) for r in emu)
    s.trailer = b"".join(
        B.encode_record(r, "<") for r in [*emu, Record(L.END)] if isinstance(r, Record)
    )
    return s


@recipe(
    "libxc-context-with-body",
    "LIBXC_CONTEXT has an 8-octet body; the libxc stream follows the body",
    tags=("nesting",),
    breaks=("XL-CTX-001",),
)
def libxc_context_with_body() -> LibxlStream:
    s = B.libxl("hvm", 3)
    s.items[_find(s, L.LIBXC_CONTEXT)] = Record(L.LIBXC_CONTEXT, b"\x00" * 8)
    return s


@recipe(
    "no-libxc-context",
    "a libxl stream with emulator records and END but no LIBXC_CONTEXT and no libxc stream",
    tags=("missing-record", "nesting"),
    breaks=("XL-CTX-002",),
)
def no_libxc_context() -> Built:
    s = B.libxl("hvm", 3)
    data = LibxlStream(s.header, [i for i in s.items if isinstance(i, Record) and i.type != 1])
    return Built(s, B.to_bytes(data))


@recipe(
    "two-libxc-contexts",
    "a second LIBXC_CONTEXT, with a second whole libxc stream, after the first",
    tags=("duplicate-record", "nesting"),
    breaks=("XL-CTX-002",),
)
def two_libxc_contexts() -> LibxlStream:
    s = B.libxl("hvm", 3)
    i = _find(s, L.EMULATOR_XENSTORE_DATA)
    s.items[i:i] = [Record(L.LIBXC_CONTEXT), B.xc("hvm", 3)]
    return s


@recipe(
    "libxc-context-not-first",
    "EMULATOR_XENSTORE_DATA comes before LIBXC_CONTEXT",
    tags=("ordering", "emulator"),
    breaks=("XL-CTX-003",),
)
def libxc_context_not_first() -> LibxlStream:
    s = B.libxl("hvm", 3)
    rec = s.items.pop(_find(s, L.EMULATOR_XENSTORE_DATA))
    s.items.insert(0, rec)
    return s


@recipe(
    "libxc-context-then-libxl-end",
    "LIBXC_CONTEXT is followed by the libxl END record instead of a libxc stream",
    tags=("nesting", "missing-record"),
    breaks=("XL-NEST-001",),
)
def libxc_context_then_end() -> Built:
    s = B.libxl("hvm", 3)
    data = LibxlStream(s.header, [Record(L.LIBXC_CONTEXT), Record(L.END)])
    return Built(s, B.to_bytes(data))


@recipe(
    "libxc-big-endian",
    "a little-endian libxl stream carrying a big-endian libxc stream",
    tags=("nesting", "big-endian"),
    breaks=("XL-NEST-002",),
)
def libxc_big_endian() -> LibxlStream:
    s = B.libxl("hvm", 3)
    xc = B.inner_xc(s)
    assert xc.image_header is not None
    xc.image_header.options = 1
    return s


# --- emulator records ---------------------------------------------------------------------


@recipe(
    "emulator-body-4",
    "EMULATOR_CONTEXT has body_length 4, too short for its 8-octet sub-header",
    tags=("emulator", "record-framing"),
    breaks=("XL-EMU-001",),
)
def emulator_body_4() -> LibxlStream:
    s = B.libxl("hvm", 3)
    s.items[_find(s, L.EMULATOR_CONTEXT)] = Record(L.EMULATOR_CONTEXT, b"\x02\x00\x00\x00")
    return s


@recipe(
    "emulator-id-3",
    "EMULATOR_CONTEXT names emulator_id 3, which is not defined",
    tags=("emulator",),
    breaks=("XL-EMU-002",),
)
def emulator_id_3() -> LibxlStream:
    s = B.libxl("hvm", 3)
    _emu(s, L.EMULATOR_CONTEXT).emulator_id = 3
    _emu(s, L.EMULATOR_XENSTORE_DATA).emulator_id = 3
    return s


@recipe(
    "emulator-id-0-not-legacy",
    "emulator records with emulator_id 0 (unknown) in a stream without the legacy bit",
    tags=("emulator",),
    breaks=("XL-EMU-003",),
)
def emulator_id_0() -> LibxlStream:
    s = B.libxl("hvm", 3)
    _emu(s, L.EMULATOR_CONTEXT).emulator_id = EmulatorId.UNKNOWN
    _emu(s, L.EMULATOR_XENSTORE_DATA).emulator_id = EmulatorId.UNKNOWN
    return s


@recipe(
    "qemu-traditional",
    "emulator records of qemu-traditional (emulator_id 1), which Xen 4.21 no longer runs",
    tags=("emulator",),
    permits=("XL-EMU-005",),
    exercises=("XL-EMU-002",),
)
def qemu_traditional() -> LibxlStream:
    s = B.libxl("hvm", 3)
    _emu(s, L.EMULATOR_CONTEXT).emulator_id = EmulatorId.QEMU_TRADITIONAL
    _emu(s, L.EMULATOR_XENSTORE_DATA).emulator_id = EmulatorId.QEMU_TRADITIONAL
    return s


@recipe(
    "emulator-record-in-pv",
    "EMULATOR_XENSTORE_DATA and EMULATOR_CONTEXT in the stream of a 64-bit PV guest",
    tags=("emulator", "wrong-guest"),
    breaks=("XL-EMU-004",),
)
def emulator_record_in_pv() -> LibxlStream:
    s = B.libxl("x86_64-pv", 3)
    hvm = B.libxl("hvm", 3)
    emu = [i for i in hvm.items if isinstance(i, Record) and i.type in (2, 3)]
    s.items[_find(s, L.END) : _find(s, L.END)] = emu
    return s


@recipe(
    "no-emulator-context",
    "an HVM guest's libxl stream without EMULATOR_CONTEXT (xenstore data only)",
    tags=("emulator", "missing-record"),
    breaks=("XL-EMC-001",),
)
def no_emulator_context() -> LibxlStream:
    s = B.libxl("hvm", 3)
    s.items.pop(_find(s, L.EMULATOR_CONTEXT))
    return s


# --- xenstore data --------------------------------------------------------------------------


def _xenstore(data: bytes) -> LibxlStream:
    s = B.libxl("hvm", 3)
    _emu(s, L.EMULATOR_XENSTORE_DATA).data = data
    return s


GOOD = encode_xenstore([("physmap/f0000000/start_addr", "f0000000"), ("state", "running")])


@recipe(
    "xenstore-no-final-nul",
    "the xenstore data does not end with NUL: the last value is unterminated",
    tags=("xenstore", "emulator"),
    args=(GOOD[:-1],),
    breaks=("XL-XSD-001",),
)
@recipe(
    "xenstore-key-without-value",
    "the xenstore data has an odd number of strings: the last key has no value",
    tags=("xenstore", "emulator"),
    args=(GOOD + b"orphan\x00",),
    breaks=("XL-XSD-002",),
)
@recipe(
    "xenstore-empty-key",
    "a xenstore key is the empty string",
    tags=("xenstore", "emulator"),
    args=(GOOD + b"\x00value\x00",),
    breaks=("XL-XSD-003",),
)
@recipe(
    "xenstore-absolute-key",
    "a xenstore key starts with '/' (absolute)",
    tags=("xenstore", "emulator"),
    args=(GOOD + b"/local/domain/0/x\x001\x00",),
    breaks=("XL-XSD-004",),
)
@recipe(
    "xenstore-key-bad-character",
    "a xenstore key holds a space and a '.', outside the key alphabet",
    tags=("xenstore", "emulator"),
    args=(GOOD + b"bad key.x\x001\x00",),
    breaks=("XL-XSD-005",),
)
@recipe(
    "xenstore-value-not-printable",
    "a xenstore value holds control characters (0x01, 0x7f)",
    tags=("xenstore", "emulator"),
    args=(GOOD + b"blob\x00\x01\x7f\x00",),
    breaks=("XL-XSD-006",),
)
@recipe(
    "xenstore-no-pairs",
    "EMULATOR_XENSTORE_DATA with the sub-header only: no key/value pair",
    tags=("xenstore", "emulator"),
    args=(b"",),
    breaks=("XL-XSD-007",),
)
def xenstore(data: bytes) -> LibxlStream:
    return _xenstore(data)


# --- nesting ------------------------------------------------------------------------------


@recipe(
    "legacy-bit-with-xen-version",
    "the libxl legacy bit is set but the libxc domain header names Xen 4.19",
    tags=("nesting", "converted"),
    breaks=("XL-NEST-006",),
)
def legacy_bit_with_xen_version() -> LibxlStream:
    s = B.libxl("x86_64-pv", 3)
    s.header.options = 2
    return s


@recipe(
    "xen-major-0-without-legacy-bit",
    "the libxc domain header has xen_major 0 (converted) but the libxl legacy bit is clear",
    tags=("nesting", "converted"),
    breaks=("XL-NEST-006",),
    exercises=("XC-DOM-004",),
    profile=None,
)
def xen_major_0_without_legacy_bit() -> LibxlStream:
    s = B.libxl("x86_64-pv", 3)
    xc = B.inner_xc(s)
    assert xc.domain_header is not None
    xc.domain_header.xen_major, xc.domain_header.xen_minor = 0, 1
    return s
