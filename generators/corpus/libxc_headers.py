"""The libxc stream's headers, record framing and END (``XC-HDR``, ``XC-DOM``,
``XC-REC``, ``XC-END`` rules)."""

from __future__ import annotations

from xensave.model import LibxcStream, Record

from . import bases as B
from .bases import X
from .framework import Built, recipe

# --- image header -------------------------------------------------------------------------


@recipe(
    "marker-wrong",
    "the image header marker is 0xffffffff00000000 instead of all ones",
    tags=("libxc-header", "magic"),
    args=("marker", 0xFFFFFFFF00000000),
    breaks=("XC-HDR-001",),
)
@recipe(
    "id-wrong",
    "the image header id reads 'XENG' (0x58454e47)",
    tags=("libxc-header", "magic"),
    args=("ident", 0x58454E47),
    breaks=("XC-HDR-002",),
)
@recipe(
    "version-1",
    "the image header version is 1",
    tags=("libxc-header", "version", "off-by-one"),
    args=("version", 1),
    breaks=("XC-HDR-003",),
    version=2,
)
@recipe(
    "version-4",
    "the image header version is 4",
    tags=("libxc-header", "version", "off-by-one"),
    args=("version", 4),
    breaks=("XC-HDR-003",),
    version=3,
)
@recipe(
    "options-reserved-bit",
    "the image header options have bit 1 set (reserved)",
    tags=("libxc-header", "reserved-bits"),
    args=("options", 2),
    breaks=("XC-HDR-004",),
)
@recipe(
    "reserved-16-nonzero",
    "the image header's reserved 16-bit field is 1",
    tags=("libxc-header", "reserved-bits"),
    args=("reserved1", 1),
    breaks=("XC-HDR-005",),
)
@recipe(
    "reserved-32-nonzero",
    "the image header's reserved 32-bit field is 0x80000000",
    tags=("libxc-header", "reserved-bits"),
    args=("reserved2", 0x80000000),
    breaks=("XC-HDR-005",),
)
def image_header(field: str, value: int) -> LibxcStream:
    base_version = 2 if field == "version" and value == 1 else 3
    s = B.xc("hvm", base_version)
    assert s.image_header is not None
    setattr(s.image_header, field, value)
    return s


@recipe(
    "truncated-in-id",
    "a bare libxc stream that ends after 10 octets, inside the id",
    tags=("libxc-header", "truncated", "magic"),
    args=(10,),
    breaks=("XC-HDR-002",),
)
@recipe(
    "truncated-in-version",
    "a bare libxc stream that ends after 14 octets, inside the version",
    tags=("libxc-header", "truncated", "version"),
    args=(14,),
    breaks=("XC-HDR-003",),
)
@recipe(
    "truncated-in-domain-type",
    "a bare libxc stream that ends 2 octets into the domain header",
    tags=("libxc-header", "truncated"),
    args=(26,),
    breaks=("XC-DOM-001",),
)
@recipe(
    "truncated-in-page-shift",
    "a bare libxc stream that ends 5 octets into the domain header, inside page_shift",
    tags=("libxc-header", "truncated"),
    args=(29,),
    breaks=("XC-DOM-002",),
)
@recipe(
    "truncated-in-xen-version",
    "a bare libxc stream that ends 12 octets into the domain header, inside xen_minor: "
    "no record, no END",
    tags=("libxc-header", "truncated"),
    args=(36,),
    breaks=("XC-END-002",),
)
def truncated_header(at: int) -> Built:
    s = B.xc("hvm", 3)
    return Built(s, B.to_bytes(s)[:at])


# --- domain header --------------------------------------------------------------------------


@recipe(
    "domain-type-0",
    "the domain header type is 0 (reserved)",
    tags=("libxc-header",),
    args=("type", 0),
    breaks=("XC-DOM-001",),
    guest="hvm",
)
@recipe(
    "domain-type-3",
    "the domain header type is 3 (reserved; not x86)",
    tags=("libxc-header",),
    args=("type", 3),
    breaks=("XC-DOM-001",),
    guest="hvm",
)
@recipe(
    "page-shift-13",
    "the domain header page_shift is 13 (8 KiB pages) for an x86 guest",
    tags=("libxc-header", "off-by-one"),
    args=("page_shift", 13),
    breaks=("XC-DOM-002",),
)
@recipe(
    "page-shift-11",
    "the domain header page_shift is 11 (2 KiB pages) for an x86 guest",
    tags=("libxc-header", "off-by-one"),
    args=("page_shift", 11),
    breaks=("XC-DOM-002",),
)
@recipe(
    "domain-reserved-nonzero",
    "the domain header's reserved 16-bit field is 0x8000",
    tags=("libxc-header", "reserved-bits"),
    args=("reserved", 0x8000),
    breaks=("XC-DOM-003",),
)
def domain_header(field: str, value: int) -> LibxcStream:
    s = B.xc("hvm", 3)
    assert s.domain_header is not None
    setattr(s.domain_header, field, value)
    return s


@recipe(
    "big-endian",
    "a bare libxc stream whose domain header and records are big-endian (options bit 0)",
    tags=("libxc-header", "big-endian"),
    args=("hvm",),
    permits=("XC-HDR-006",),
)
@recipe(
    "big-endian",
    "a 32-bit PV guest's bare libxc stream, big-endian",
    tags=("libxc-header", "big-endian"),
    args=("x86_32-pv",),
    permits=("XC-HDR-006",),
)
def big_endian(guest: str) -> LibxcStream:
    return B.xc(guest, 3, big_endian=True)


# --- record framing -------------------------------------------------------------------------


def with_odd_record() -> LibxcStream:
    """The small HVM base with an unknown optional record of 5 octets (3 of padding)
    before X86_TSC_INFO: libxc records of the known types are all multiples of 8 long."""
    s = B.xc("hvm", 3)
    B.insert_before(s.records, X.X86_TSC_INFO, Record(0x80000123, b"hello"))
    return s


@recipe(
    "padding-nonzero",
    "the padding after a 5-octet optional record holds 0xff",
    tags=("record-framing", "reserved-bits", "optional-record"),
    breaks=("XC-REC-002",),
    relies=("XC-REC-007",),
)
def padding_nonzero() -> LibxcStream:
    s = with_odd_record()
    B.get(s.records, 0x80000123).padding = b"\x00\xff\x00"
    return s


def _cut_at(s: LibxcStream, rtype: int, where: str) -> Built:
    sp = B.span_of(s, "libxc", s.records, rtype)
    at = {
        "header": sp.offset + 5,
        "body": sp.body + sp.length // 2,
        "padding": sp.body + sp.length + 1,
        "start": sp.offset,
        "pfns": sp.body + 8 + 12,
        "pages": sp.body + sp.length - 100,
    }[where]
    return Built(s, B.to_bytes(s)[:at])


@recipe(
    "truncated-in-record-header",
    "the stream ends 5 octets into the header of X86_TSC_INFO",
    tags=("record-framing", "truncated"),
    args=(X.X86_TSC_INFO, "header"),
    breaks=("XC-REC-001",),
)
@recipe(
    "truncated-in-record-body",
    "the stream ends in the middle of the HVM_CONTEXT body",
    tags=("record-framing", "truncated", "hvm-context"),
    args=(X.HVM_CONTEXT, "body"),
    breaks=("XC-REC-003",),
)
@recipe(
    "truncated-in-pfn-array",
    "the stream ends inside the pfn array of PAGE_DATA",
    tags=("record-framing", "truncated", "page-data"),
    args=(X.PAGE_DATA, "pfns"),
    breaks=("XC-REC-003",),
)
@recipe(
    "truncated-in-page-contents",
    "the stream ends 100 octets before the end of the last page of PAGE_DATA",
    tags=("record-framing", "truncated", "page-data"),
    args=(X.PAGE_DATA, "pages"),
    breaks=("XC-REC-003",),
)
@recipe(
    "missing-end",
    "a bare libxc stream that stops after HVM_PARAMS, without END",
    tags=("end-record", "missing-record", "truncated"),
    args=(X.END, "start"),
    breaks=("XC-END-002",),
)
def truncated(rtype: int, where: str) -> Built:
    return _cut_at(B.xc("hvm", 3), rtype, where)


@recipe(
    "truncated-in-padding",
    "the stream ends inside the padding of a 5-octet optional record",
    tags=("record-framing", "truncated", "optional-record"),
    breaks=("XC-REC-003",),
)
def truncated_in_padding() -> Built:
    return _cut_at(with_odd_record(), 0x80000123, "padding")


@recipe(
    "body-length-past-end",
    "HVM_CONTEXT declares body_length 0x00ffffff, more than the rest of the stream",
    tags=("record-framing", "declared-only", "hvm-context"),
    breaks=("XC-REC-003",),
)
def body_length_past_end() -> LibxcStream:
    s = B.xc("hvm", 3)
    B.get(s.records, X.HVM_CONTEXT).length = 0x00FFFFFF
    return s


@recipe(
    "record-over-128mib-declared-only",
    "HVM_CONTEXT declares body_length 0x08000008 (over Xen's 128 MiB limit) but the file "
    "ends long before: a truncated record, rejected whatever a reader thinks of the limit",
    tags=("record-framing", "declared-only", "hvm-context", "truncated"),
    breaks=("XC-REC-003",),
)
def record_over_128mib_declared_only() -> Built:
    s = B.xc("hvm", 3)
    rec = B.get(s.records, X.HVM_CONTEXT)
    rec.length = 0x08000008
    # the file: everything up to and including the HVM_CONTEXT body as written, no more
    sp = B.span_of(s, "libxc", s.records, X.HVM_CONTEXT)
    return Built(s, B.to_bytes(s)[: sp.body + len(B.raw(rec))])


@recipe(
    "record-type-13",
    "a record of type 0x00000013, the first of the reserved mandatory range",
    tags=("record-framing", "unknown-record"),
    args=(0x13,),
    breaks=("XC-REC-004",),
)
@recipe(
    "record-type-7fffffff",
    "a record of type 0x7fffffff, the last of the reserved mandatory range",
    tags=("record-framing", "unknown-record"),
    args=(0x7FFFFFFF,),
    breaks=("XC-REC-004",),
)
def reserved_type(rtype: int) -> LibxcStream:
    s = B.xc("hvm", 3)
    B.insert_before(s.records, X.X86_TSC_INFO, Record(rtype, b"\x00" * 16))
    return s


# --- END --------------------------------------------------------------------------------------


@recipe(
    "end-with-body",
    "the libxc END record has an 8-octet body",
    tags=("end-record",),
    breaks=("XC-END-001",),
)
def end_with_body() -> LibxcStream:
    s = B.xc("hvm", 3)
    s.records[-1] = Record(X.END, b"\x00" * 8)
    return s


@recipe(
    "trailing-octet",
    "one zero octet follows the END record of a bare libxc stream",
    tags=("trailing-data", "end-record"),
    args=(b"\x00",),
    breaks=("XC-END-003",),
)
@recipe(
    "trailing-record",
    "a whole record (X86_TSC_INFO) follows the END record of a bare libxc stream",
    tags=("trailing-data", "end-record"),
    args=(None,),
    breaks=("XC-END-003",),
)
def trailing(data: bytes | None) -> LibxcStream:
    s = B.xc("x86_64-pv", 3)
    s.trailer = data if data is not None else B.encode_record(B.get(s.records, X.X86_TSC_INFO), "<")
    return s


@recipe(
    "two-streams",
    "two whole bare libxc streams one after the other",
    tags=("trailing-data", "end-record"),
    breaks=("XC-END-003",),
)
def two_streams() -> LibxcStream:
    s = B.xc("hvm", 3)
    s.trailer = B.to_bytes(B.xc("hvm", 3))
    return s
