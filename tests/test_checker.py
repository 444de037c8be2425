"""The reference checker: every image rule of the catalogue, broken on purpose.

Each case builds an image with the writer that breaks one rule (sometimes a rule
cannot be broken alone; the case then names every rule its defect breaks, and says
why), and states the diagnostics it expects as (rule, offset, record index). The
offsets come from the model that built the image (sums of encoded record sizes),
never from the checker. The valid bases must pass, and every rule the checker can
cite is exercised by at least one case.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xensave import samples
from xensave._slots import replace
from xensave.bodies import (
    CpuidPolicy,
    EmulatorRecord,
    HvmParams,
    MsrPolicy,
    P2mFrames,
    PageData,
    PvInfo,
    TscInfo,
    VcpuContext,
    pfn_entry,
)
from xensave.checker import (
    CHECKS,
    MAX_PER_RULE,
    UNCHECKED,
    Diagnostic,
    Report,
    check_bytes,
    check_events,
    check_stream,
)
from xensave.constants import (
    LIBVIRT_MAGIC,
    REC_LENGTH_MAX,
    XAPI_MAGIC,
    XL_MAGIC,
    LibxlRecType,
    PageType,
    XcRecType,
    XlMandatoryFlag,
)
from xensave.model import (
    LibxcStream,
    LibxlHeader,
    LibxlStream,
    Record,
    XlFile,
)
from xensave.reader import Reader, RecordEvent
from xensave.rules import load_rules
from xensave.writer import encode_record, libxc_big_endian, libxl_wrap, to_bytes

Key = tuple[str, int, int | None]  # (rule, offset, record index)
RULES = load_rules()
IMAGE_RULES = {rid for rid, r in RULES.items() if r.subject == "image"}
X = XcRecType
L = LibxlRecType

#: Notes the valid bases themselves draw (derived from the rule texts): Xen's order
#: HVM_CONTEXT then HVM_PARAMS (XC-ORD-006), and big-endian streams (XC-HDR-006,
#: XL-HDR-004, XLF-HDR-003). A case that is about one of them expects it explicitly.
BACKGROUND = frozenset({"XC-ORD-006", "XC-HDR-006", "XL-HDR-004", "XLF-HDR-003"})


def keys(report: Report, keep: frozenset[str] = frozenset()) -> set[Key]:
    return {
        (d.rule, d.offset, d.record_index)
        for d in report.diagnostics
        if d.rule not in BACKGROUND or d.rule in keep
    }


def _e(big: bool) -> str:
    return ">" if big else "<"


def size(rec: Record, big: bool) -> int:
    return len(encode_record(rec, _e(big)))


def find(records: list[Record], rtype: int, nth: int = 0) -> int:
    hits = [i for i, r in enumerate(records) if r.type == rtype]
    return hits[nth]


# --- layouts computed from the model ----------------------------------------------------


@dataclass
class Layout:
    """Offsets of everything in an image, from the model that built it."""

    data: bytes
    xl: list[int] = field(default_factory=list)  # libxl record offsets, in order
    xc: list[int] = field(default_factory=list)  # libxc record offsets, all sections
    xc_headers: list[int] = field(default_factory=list)  # libxc image header offsets
    libxl_start: int = 0
    end: int = 0  # end of the last stream (before any trailer)

    def at(self, rule: str, where: str, n: int, delta: int = 0) -> Key:
        """A diagnostic at libxl ('xl') or libxc ('xc') record n, ``delta`` bytes in."""
        offsets = self.xl if where == "xl" else self.xc
        return (rule, offsets[n] + delta, n)


def xc_layout(s: LibxcStream, base: int, big: bool, lay: Layout) -> int:
    if s.image_header is not None:
        lay.xc_headers.append(base)
        base += 24
    if s.domain_header is not None:
        base += 16
    for rec in s.records:
        lay.xc.append(base)
        base += size(rec, big)
    return base


def layout(image: LibxcStream | LibxlStream | XlFile) -> Layout:
    lay = Layout(to_bytes(image))
    if isinstance(image, LibxcStream):
        lay.end = xc_layout(image, 0, libxc_big_endian(image), lay)
        return lay
    stream = image
    base = 0
    if isinstance(image, XlFile):
        base = len(to_bytes(dataclasses.replace(image, payload=b"", trailer=b"")))
        assert isinstance(image.payload, LibxlStream)
        stream = image.payload
    assert isinstance(stream, LibxlStream)
    lay.libxl_start = base
    big = stream.header.big_endian
    base += 16
    xc_big = big
    for item in stream.items:
        if isinstance(item, LibxcStream):
            xc_big = libxc_big_endian(item, xc_big)
            base = xc_layout(item, base, xc_big, lay)
        else:
            lay.xl.append(base)
            base += size(item, big)
    lay.end = base
    return lay


# --- bases --------------------------------------------------------------------------------


def pv(version: int = 3, big: bool = False, width: int = 8) -> LibxcStream:
    return samples.libxc_stream("x86_64-pv" if width == 8 else "x86_32-pv", version, big)


def hvm(version: int = 3, big: bool = False) -> LibxcStream:
    return samples.libxc_stream("hvm", version, big)


def hvm_libxl(version: int = 3, big: bool = False) -> LibxlStream:
    s = samples.build("hvm", version, "libxl", big)
    assert isinstance(s, LibxlStream)
    return s


def pv_libxl(version: int = 3, big: bool = False) -> LibxlStream:
    s = samples.build("x86_64-pv", version, "libxl", big)
    assert isinstance(s, LibxlStream)
    return s


def xl_file(guest: str = "x86_64-pv", **changes: object) -> XlFile:
    f = samples.build(guest, 3, "xl")
    assert isinstance(f, XlFile)
    return dataclasses.replace(f, **changes)  # type: ignore[arg-type]


def checkpointed(end: bool = True, big: bool = False) -> LibxlStream:
    """A libxl-carried PV stream with two checkpoints, closed by END when ``end``:
    [CTX] libxc(headers, static, memory, state, CHECKPOINT) [CHECKPOINT_END]
    libxc(PAGE_DATA, TSC, vCPU 0, CHECKPOINT) [CHECKPOINT_END] libxc(END) [END]."""
    first = pv(3, big)
    first.records[-1] = Record(X.CHECKPOINT)
    basic0 = first.records[find(first.records, X.X86_PV_VCPU_BASIC)]
    second = [
        Record(X.PAGE_DATA, PageData.of([(5, PageType.NOTAB)])),
        Record(X.X86_TSC_INFO, TscInfo(0, 2_400_000, 1)),
        basic0,
        Record(X.CHECKPOINT),
    ]
    items: list[Record | LibxcStream] = [
        Record(L.LIBXC_CONTEXT),
        first,
        Record(L.CHECKPOINT_END),
        LibxcStream(None, None, second),
        Record(L.CHECKPOINT_END),
    ]
    if end:
        items += [LibxcStream(None, None, [Record(X.END)]), Record(L.END)]
    return LibxlStream(LibxlHeader(options=1 if big else 0), items)


# --- the cases -------------------------------------------------------------------------------

Built = tuple[bytes, set[Key]]


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], Built]


CASES: list[Case] = []


def case(*variants: bool) -> Callable[[Callable[..., Built]], Callable[..., Built]]:
    """Register a builder; with variants (False, True) it is run little- and big-endian."""

    def register(fn: Callable[..., Built]) -> Callable[..., Built]:
        name = fn.__name__.removeprefix("case_")
        if variants:
            for big in variants:
                CASES.append(Case(f"{name}-{'be' if big else 'le'}", functools.partial(fn, big)))
        else:
            CASES.append(Case(name, fn))
        return fn

    return register


BOTH = (False, True)


def bare(s: LibxcStream, *expect: tuple[str, int | str, int]) -> Built:
    """Bytes of a bare libxc stream and the expected keys: (rule, record index, delta),
    (rule, 'eof', 0) for the end of input, (rule, 'abs', offset) for a header field."""
    lay = layout(s)
    out: set[Key] = set()
    for rule, where, delta in expect:
        if where == "abs":
            out.add((rule, delta, None))
        elif where == "eof":
            out.add((rule, lay.end + delta, None))
        else:
            assert isinstance(where, int)
            out.add(lay.at(rule, "xc", where, delta))
    return lay.data, out


# xl save file -----------------------------------------------------------------------------


@case()
def case_xlf_magic() -> Built:
    magic = XL_MAGIC[:20] + b"?" + XL_MAGIC[21:]
    return to_bytes(xl_file(magic=magic)), {("XLF-HDR-001", 20, None)}


@case()
def case_xlf_byteorder() -> Built:
    return to_bytes(xl_file(byteorder=0xDEADBEEF)), {("XLF-HDR-002", 0x20, None)}


@case()
def case_xlf_big_endian_everywhere() -> Built:
    # MAY notes of all three layers: an xl file, libxl and libxc stream all big-endian.
    f = samples.build("x86_64-pv", 3, "xl", big_endian=True)
    lay = layout(f)
    return lay.data, {
        ("XLF-HDR-003", 0x20, None),
        ("XL-HDR-004", lay.libxl_start + 12, None),
        ("XC-HDR-006", lay.xc_headers[0] + 16, None),
    }


@case()
def case_xlf_unknown_mandatory_flag() -> Built:
    flags = XlMandatoryFlag.JSON | XlMandatoryFlag.STREAM_V2 | 0x100
    return to_bytes(xl_file(mandatory_flags=flags)), {("XLF-HDR-004", 0x24, None)}


@case()
def case_xlf_optional_flags() -> Built:
    return to_bytes(xl_file(optional_flags=4)), {("XLF-HDR-006", 0x28, None)}


@case()
def case_xlf_optional_data_truncated() -> Built:
    f = xl_file()
    data = to_bytes(f)
    return data[: 48 + 10], {("XLF-OPT-001", 0x2C, None)}


@case()
def case_xlf_optional_data_len_huge() -> Built:
    # optional_data_len promises 4 GiB on a small file: the rest of the file is
    # swallowed as optional data and the file still ends short of it.
    return to_bytes(xl_file(optional_data_len=0xFFFFFFF0)), {("XLF-OPT-001", 0x2C, None)}


@case()
def case_xlf_optional_data_len_short() -> Built:
    f = xl_file(config=None, optional_extra=b"\x00\x00")
    return to_bytes(f), {("XLF-OPT-002", 0x2C, None)}


@case()
def case_xlf_config_len_too_big() -> Built:
    f = xl_file()
    assert f.config is not None
    return to_bytes(dataclasses.replace(f, config_len=len(f.config) + 100)), {
        ("XLF-OPT-003", 0x30, None)
    }


@case()
def case_xlf_trailing_optional_data() -> Built:
    f = xl_file(optional_extra=b"extra data")
    assert f.config is not None
    return to_bytes(f), {("XLF-OPT-004", 0x34 + len(f.config), None)}


@case()
def case_xlf_json_flag_empty_config() -> Built:
    flags = XlMandatoryFlag.JSON | XlMandatoryFlag.STREAM_V2
    return to_bytes(xl_file(config=b"", mandatory_flags=flags)), {("XLF-CFG-001", 0x30, None)}


@case()
def case_xlf_json_flag_no_optional_data() -> Built:
    flags = XlMandatoryFlag.JSON | XlMandatoryFlag.STREAM_V2
    return to_bytes(xl_file(config=None, mandatory_flags=flags)), {("XLF-CFG-001", 0x24, None)}


@case()
def case_xlf_json_without_nul() -> Built:
    cfg = b'{"c_info": {}}'
    return to_bytes(xl_file(config=cfg)), {("XLF-CFG-002", 0x34 + len(cfg) - 1, None)}


@case()
def case_xlf_json_not_an_object() -> Built:
    return to_bytes(xl_file(config=b"[1, 2]\x00")), {("XLF-CFG-003", 0x34, None)}


@case()
def case_xlf_json_not_json() -> Built:
    return to_bytes(xl_file(config=b"{name: 'x'}\x00")), {("XLF-CFG-003", 0x34, None)}


@case()
def case_xlf_json_not_utf8() -> Built:
    return to_bytes(xl_file(config=b'{"n": "\xff"}\x00')), {("XLF-CFG-003", 0x34, None)}


@case()
def case_xlf_text_config() -> Built:
    f = xl_file(config=b'name = "guest"\n', mandatory_flags=XlMandatoryFlag.STREAM_V2)
    return to_bytes(f), {("XLF-CFG-004", 0x34, None)}


@case()
def case_xlf_no_optional_data() -> Built:
    return to_bytes(xl_file(config=None)), {("XLF-CFG-005", 0x2C, None)}


@case()
def case_xlf_empty_config() -> Built:
    f = xl_file(config=b"", mandatory_flags=XlMandatoryFlag.STREAM_V2)
    return to_bytes(f), {("XLF-CFG-005", 0x30, None)}


@case()
def case_xlf_legacy_stream() -> Built:
    # STREAMv2 clear: allowed (MAY), so a legacy image must follow; a libxl stream
    # parses as none of the four legacy variants, and the one octets 4-7 suggest (a
    # 32-bit HVM image, whose first chunk type they would be) says why.
    f = xl_file(mandatory_flags=XlMandatoryFlag.JSON)
    lay = layout(f)
    return lay.data, {("XLF-STR-001", 0x24, None), ("LEG-CHK-001", lay.libxl_start + 4, None)}


@case()
def case_xlf_no_libxl_stream() -> Built:
    f = xl_file()
    assert isinstance(f.payload, LibxlStream)
    f.payload.header.ident = int.from_bytes(b"NotLibxl", "big")
    lay = layout(f)
    return lay.data, {("XLF-NEST-001", lay.libxl_start, None)}


@case()
def case_xlf_libxl_stream_missing() -> Built:
    f = xl_file()
    lay = layout(f)
    return lay.data[: lay.libxl_start + 6], {("XLF-NEST-001", lay.libxl_start, None)}


@case()
def case_xlf_byte_order_mismatch() -> Built:
    inner = pv_libxl(3, big=True)
    f = xl_file(payload=inner)  # little-endian xl header around a big-endian stream
    lay = layout(f)
    return lay.data, {("XLF-NEST-002", lay.libxl_start + 12, None)}


# libxl stream ---------------------------------------------------------------------------


@case()
def case_xl_ident() -> Built:
    s = pv_libxl()
    s.header.ident = int.from_bytes(b"LibxlFmX", "big")
    return to_bytes(s), {("XL-HDR-001", 0, None)}


@case()
def case_xl_version() -> Built:
    s = pv_libxl()
    s.header.version = 1
    return to_bytes(s), {("XL-HDR-002", 8, None)}


@case()
def case_xl_options_reserved() -> Built:
    s = pv_libxl()
    s.header.options = 1 << 9
    return to_bytes(s), {("XL-HDR-003", 12, None)}


@case()
def case_xl_big_endian() -> Built:
    s = pv_libxl(big=True)
    return to_bytes(s), {("XL-HDR-004", 12, None), ("XC-HDR-006", 24 + 16, None)}


@case()
def case_xl_legacy_converted() -> Built:
    # The legacy bit with xen_major 0, as Xen's converter writes: two MAY notes.
    s = pv_libxl()
    s.header.options = 2
    xc = s.items[1]
    assert isinstance(xc, LibxcStream) and xc.domain_header is not None
    xc.domain_header.xen_major, xc.domain_header.xen_minor = 0, 1
    lay = layout(s)
    return lay.data, {("XL-HDR-006", 12, None), ("XC-DOM-004", lay.xc_headers[0] + 32, None)}


@case()
def case_xl_record_header_truncated() -> Built:
    lay = layout(pv_libxl())
    end = lay.xl[-1]
    return lay.data[: end + 3], {("XL-REC-001", end, len(lay.xl) - 1)}


@case()
def case_xl_padding() -> Built:
    s = hvm_libxl()
    rec = Record(L.EMULATOR_CONTEXT, EmulatorRecord(2, 0, b"QEVM!"), padding=b"\x00\x00\x07")
    s.items.insert(-1, rec)
    lay = layout(s)
    n = len(lay.xl) - 2
    return lay.data, {lay.at("XL-REC-002", "xl", n, 8 + 13 + 2)}


@case()
def case_xl_body_truncated() -> Built:
    lay = layout(hvm_libxl())
    n = len(lay.xl) - 2  # EMULATOR_CONTEXT
    return lay.data[: lay.xl[n] + 20], {lay.at("XL-REC-003", "xl", n, 4)}


@case()
def case_xl_length_huge() -> Built:
    s = pv_libxl()
    s.items[-1] = Record(L.END, length=0xFFFFFFFF)
    lay = layout(s)
    n = len(lay.xl) - 1
    return lay.data, {lay.at("XL-REC-003", "xl", n, 4)}


@case()
def case_xl_reserved_type() -> Built:
    s = pv_libxl()
    s.items.insert(-1, Record(0x42, b"abc"))
    lay = layout(s)
    return lay.data, {lay.at("XL-REC-004", "xl", len(lay.xl) - 2)}


@case()
def case_xl_optional_record() -> Built:
    s = pv_libxl()
    s.items.insert(-1, Record(0x80000042, b"abc"))
    lay = layout(s)
    return lay.data, {lay.at("XL-REC-006", "xl", len(lay.xl) - 2)}


@case()
def case_xl_end_body() -> Built:
    s = pv_libxl()
    s.items[-1] = Record(L.END, bytes(8))
    lay = layout(s)
    return lay.data, {lay.at("XL-END-001", "xl", len(lay.xl) - 1, 4)}


@case()
def case_xl_no_end() -> Built:
    s = pv_libxl()
    s.items.pop()
    lay = layout(s)
    return lay.data, {("XL-END-002", lay.end, None)}


@case()
def case_xl_trailer() -> Built:
    s = pv_libxl()
    s.trailer = b"junk"
    lay = layout(s)
    return lay.data, {("XL-END-003", lay.end, None)}


@case()
def case_xl_trailer_in_xl_file() -> Built:
    f = xl_file(trailer=b"\x00" * 9)
    lay = layout(f)
    return lay.data, {("XL-END-003", lay.end, None)}


@case()
def case_xl_libxc_context_body() -> Built:
    s = pv_libxl()
    s.items[0] = Record(L.LIBXC_CONTEXT, bytes(8))
    return to_bytes(s), {("XL-CTX-001", 16 + 4, 0)}


@case()
def case_xl_no_libxc_context() -> Built:
    s = LibxlStream(LibxlHeader(), [Record(L.END)])
    return to_bytes(s), {("XL-CTX-002", 16, 0)}


@case()
def case_xl_two_libxc_contexts() -> Built:
    s = pv_libxl()
    s.items[2:2] = [Record(L.LIBXC_CONTEXT), pv()]
    lay = layout(s)
    return lay.data, {lay.at("XL-CTX-002", "xl", 1)}


@case()
def case_xl_libxc_context_not_first() -> Built:
    s = hvm_libxl()
    xsd = s.items[2]
    del s.items[2]
    s.items.insert(0, xsd)
    lay = layout(s)
    return lay.data, {lay.at("XL-CTX-003", "xl", 1)}


def _emulator(s: LibxlStream, rec: Record) -> int:
    s.items.insert(2, rec)
    return 1  # its libxl record index


@case()
def case_xl_emulator_short() -> Built:
    s = hvm_libxl()
    n = _emulator(s, Record(L.EMULATOR_CONTEXT, b"\x02\x00\x00"))
    lay = layout(s)
    return lay.data, {lay.at("XL-EMU-001", "xl", n, 4)}


@case()
def case_xl_emulator_id() -> Built:
    s = hvm_libxl()
    n = _emulator(s, Record(L.EMULATOR_CONTEXT, EmulatorRecord(7, 0, b"state")))
    lay = layout(s)
    return lay.data, {lay.at("XL-EMU-002", "xl", n, 8)}


@case()
def case_xl_emulator_unknown_without_legacy() -> Built:
    s = hvm_libxl()
    n = _emulator(s, Record(L.EMULATOR_CONTEXT, EmulatorRecord(0, 0, b"state")))
    lay = layout(s)
    return lay.data, {lay.at("XL-EMU-003", "xl", n, 8)}


@case()
def case_xl_emulator_in_pv() -> Built:
    s = pv_libxl()
    emu = hvm_libxl().items[2:4]
    s.items[2:2] = emu
    lay = layout(s)
    return lay.data, {lay.at("XL-EMU-004", "xl", 1), lay.at("XL-EMU-004", "xl", 2)}


@case()
def case_xl_emulator_in_pv_before_libxc() -> Built:
    # Judged once the libxc domain header says PV; also breaks XL-CTX-003.
    s = pv_libxl()
    s.items.insert(0, hvm_libxl().items[3])
    lay = layout(s)
    return lay.data, {lay.at("XL-EMU-004", "xl", 0), lay.at("XL-CTX-003", "xl", 1)}


def _xenstore(data: bytes) -> tuple[Layout, int, int]:
    s = hvm_libxl()
    s.items[2] = Record(L.EMULATOR_XENSTORE_DATA, EmulatorRecord(2, 0, data))
    lay = layout(s)
    return lay, 1, lay.xl[1] + 16  # layout, record index, offset of the data


@case()
def case_xl_xenstore_unterminated() -> Built:
    data = b"k\x00v\x00x"
    lay, n, base = _xenstore(data)
    return lay.data, {("XL-XSD-001", base + len(data) - 1, n)}


@case()
def case_xl_xenstore_odd() -> Built:
    lay, n, base = _xenstore(b"k\x00v\x00k2\x00")
    return lay.data, {("XL-XSD-002", base + 4, n)}


@case()
def case_xl_xenstore_empty_key() -> Built:
    lay, n, base = _xenstore(b"a\x00b\x00\x00v\x00")
    return lay.data, {("XL-XSD-003", base + 4, n)}


@case()
def case_xl_xenstore_absolute_key() -> Built:
    lay, n, base = _xenstore(b"/local/domain/0\x00v\x00")
    return lay.data, {("XL-XSD-004", base, n)}


@case()
def case_xl_xenstore_key_alphabet() -> Built:
    lay, n, base = _xenstore(b"ok\x00v\x00bad key\x00v\x00")
    return lay.data, {("XL-XSD-005", base + 5, n)}


@case()
def case_xl_xenstore_value_not_printable() -> Built:
    lay, n, base = _xenstore(b"k\x00v\x01\x00")
    return lay.data, {("XL-XSD-006", base + 2, n)}


@case()
def case_xl_xenstore_no_pairs() -> Built:
    lay, n, base = _xenstore(b"")
    return lay.data, {("XL-XSD-007", base, n)}


@case()
def case_xl_hvm_without_emulator_context() -> Built:
    s = hvm_libxl()
    del s.items[3]
    lay = layout(s)
    return lay.data, {lay.at("XL-EMC-001", "xl", len(lay.xl) - 1)}


@case()
def case_checkpointed_base() -> Built:
    return to_bytes(checkpointed()), set()


@case()
def case_checkpoint_end_body() -> Built:
    s = checkpointed()
    s.items[2] = Record(L.CHECKPOINT_END, bytes(8))
    lay = layout(s)
    return lay.data, {lay.at("XL-CKE-001", "xl", 1, 4)}


def _checkpoint_state(body: bytes) -> tuple[Layout, int]:
    """A CHECKPOINT_STATE in the first checkpoint section (before CHECKPOINT_END): the
    only place the reader reads one as a libxl record, so XL-CKS-005 comes with it."""
    s = checkpointed()
    s.items.insert(2, Record(L.CHECKPOINT_STATE, body))
    return layout(s), 1


@case()
def case_checkpoint_state_short() -> Built:
    lay, n = _checkpoint_state(b"\x00\x00")
    return lay.data, {lay.at("XL-CKS-001", "xl", n, 4), lay.at("XL-CKS-005", "xl", n)}


@case()
def case_checkpoint_state_long() -> Built:
    lay, n = _checkpoint_state(bytes(8))
    return lay.data, {lay.at("XL-CKS-002", "xl", n, 4), lay.at("XL-CKS-005", "xl", n)}


@case()
def case_checkpoint_state_trailing_octets() -> Built:
    lay, n = _checkpoint_state(b"\x00\x00\x00\x00\x00\x00\x01\x00")
    return lay.data, {
        lay.at("XL-CKS-002", "xl", n, 4),
        lay.at("XL-CKS-006", "xl", n, 8 + 6),
        lay.at("XL-CKS-005", "xl", n),
    }


@case()
def case_checkpoint_state_unknown_id() -> Built:
    lay, n = _checkpoint_state(struct.pack("<I", 9))
    return lay.data, {lay.at("XL-CKS-003", "xl", n, 8), lay.at("XL-CKS-005", "xl", n)}


@case()
def case_checkpoint_state_back_channel_id() -> Built:
    lay, n = _checkpoint_state(struct.pack("<I", 2))
    return lay.data, {lay.at("XL-CKS-004", "xl", n, 8), lay.at("XL-CKS-005", "xl", n)}


@case()
def case_checkpoint_state_misplaced() -> Built:
    lay, n = _checkpoint_state(struct.pack("<I", 0))
    return lay.data, {lay.at("XL-CKS-005", "xl", n)}


@case()
def case_libxc_context_not_libxc() -> Built:
    s = pv_libxl()
    xc = s.items[1]
    assert isinstance(xc, LibxcStream) and xc.image_header is not None
    xc.image_header.marker, xc.image_header.ident = 0x1234, 0x5678
    return to_bytes(s), {("XL-NEST-001", 24, None)}


@case()
def case_libxc_context_then_eof() -> Built:
    data = to_bytes(pv_libxl())
    return data[: 24 + 10], {("XL-NEST-001", 24, None)}


@case()
def case_libxc_byte_order_differs() -> Built:
    s = libxl_wrap(pv(3, big=True))
    return to_bytes(s), {("XL-NEST-002", 24 + 16, None)}


@case()
def case_checkpoint_section_not_closed() -> Built:
    s = checkpointed()
    del s.items[2:]
    lay = layout(s)
    return lay.data, {("XL-NEST-003", lay.end, None)}


@case()
def case_checkpoint_section_new_headers() -> Built:
    s = checkpointed()
    s.items[2:5] = [Record(L.LIBXC_CONTEXT), pv(), Record(L.CHECKPOINT_END)]
    lay = layout(s)
    # a second LIBXC_CONTEXT also breaks "exactly one LIBXC_CONTEXT"
    return lay.data, {lay.at("XL-NEST-003", "xl", 1), lay.at("XL-CTX-002", "xl", 1)}


@case()
def case_checkpoint_end_outside_section() -> Built:
    # Before LIBXC_CONTEXT, so that LIBXC_CONTEXT is no longer first (XL-CTX-003).
    s = pv_libxl()
    s.items.insert(0, Record(L.CHECKPOINT_END))
    lay = layout(s)
    return lay.data, {lay.at("XL-NEST-004", "xl", 0), lay.at("XL-CTX-003", "xl", 1)}


@case()
def case_libxl_end_inside_section() -> Built:
    s = checkpointed()
    s.items[2:] = [Record(L.END)]
    lay = layout(s)
    return lay.data, {lay.at("XL-NEST-005", "xl", 1)}


@case()
def case_legacy_mark_mismatch() -> Built:
    s = pv_libxl()
    xc = s.items[1]
    assert isinstance(xc, LibxcStream) and xc.domain_header is not None
    xc.domain_header.xen_major = 0
    lay = layout(s)
    dom = lay.xc_headers[0] + 24
    return lay.data, {("XL-NEST-006", dom + 8, None), ("XC-DOM-004", dom + 8, None)}


# libxc stream: headers -------------------------------------------------------------------


@case(*BOTH)
def case_xc_marker(big: bool) -> Built:
    s = pv(big=big)
    assert s.image_header is not None
    s.image_header.marker = 0xFFFFFFFF00000000
    return to_bytes(s), {("XC-HDR-001", 0, None)}


@case(*BOTH)
def case_xc_id(big: bool) -> Built:
    s = pv(big=big)
    assert s.image_header is not None
    s.image_header.ident = 0x58454E47
    return to_bytes(s), {("XC-HDR-002", 8, None)}


@case(*BOTH)
def case_xc_version(big: bool) -> Built:
    # An unknown version: version-gated rules (STATIC_DATA_END, policies) stay silent.
    s = pv(big=big)
    assert s.image_header is not None
    s.image_header.version = 4
    return to_bytes(s), {("XC-HDR-003", 12, None)}


@case(*BOTH)
def case_xc_options(big: bool) -> Built:
    s = pv(big=big)
    assert s.image_header is not None
    s.image_header.options |= 4
    return to_bytes(s), {("XC-HDR-004", 16, None)}


@case(*BOTH)
def case_xc_reserved(big: bool) -> Built:
    s = pv(big=big)
    assert s.image_header is not None
    s.image_header.reserved1 = 1
    s.image_header.reserved2 = 2
    return to_bytes(s), {("XC-HDR-005", 18, None), ("XC-HDR-005", 20, None)}


@case()
def case_xc_big_endian() -> Built:
    return to_bytes(pv(big=True)), {("XC-HDR-006", 16, None)}


@case(*BOTH)
def case_xc_domain_type(big: bool) -> Built:
    s = pv(big=big)
    assert s.domain_header is not None
    s.domain_header.type = 3
    return to_bytes(s), {("XC-DOM-001", 24, None)}


@case(*BOTH)
def case_xc_page_shift(big: bool) -> Built:
    s = hvm(big=big)
    assert s.domain_header is not None
    s.domain_header.page_shift = 13
    return to_bytes(s), {("XC-DOM-002", 28, None)}


@case(*BOTH)
def case_xc_domain_reserved(big: bool) -> Built:
    s = pv(big=big)
    assert s.domain_header is not None
    s.domain_header.reserved = 0x100
    return to_bytes(s), {("XC-DOM-003", 30, None)}


@case(*BOTH)
def case_xc_converted(big: bool) -> Built:
    s = pv(big=big)
    assert s.domain_header is not None
    s.domain_header.xen_major = 0
    return to_bytes(s), {("XC-DOM-004", 32, None)}


# libxc stream: framing ----------------------------------------------------------------------


@case(*BOTH)
def case_xc_record_header_truncated(big: bool) -> Built:
    s = pv(big=big)
    lay = layout(s)
    end = len(s.records) - 1
    return lay.data[: lay.xc[end] + 4], {lay.at("XC-REC-001", "xc", end)}


@case(*BOTH)
def case_xc_padding(big: bool) -> Built:
    s = pv(big=big)
    i = find(s.records, X.X86_PV_VCPU_XSAVE)
    s.records[i] = Record(
        X.X86_PV_VCPU_XSAVE, VcpuContext(0, bytes(849)), padding=b"\x00\x00\x00\x05\x00\x00\x00"
    )
    return bare(s, ("XC-REC-002", i, 8 + 857 + 3))


@case(*BOTH)
def case_xc_body_truncated(big: bool) -> Built:
    s = pv(big=big)
    lay = layout(s)
    i = find(s.records, X.SHARED_INFO)
    return lay.data[: lay.xc[i] + 100], {lay.at("XC-REC-003", "xc", i, 4)}


@case(*BOTH)
def case_xc_page_data_truncated(big: bool) -> Built:
    s = pv(big=big)
    lay = layout(s)
    i = find(s.records, X.PAGE_DATA)
    return lay.data[: lay.xc[i] + 8 + 8 + 8 * 16 + 5000], {lay.at("XC-REC-003", "xc", i, 4)}


@case(*BOTH)
def case_xc_padding_truncated(big: bool) -> Built:
    s = pv(big=big)
    i = find(s.records, X.X86_PV_VCPU_XSAVE)
    s.records[i] = Record(X.X86_PV_VCPU_XSAVE, VcpuContext(0, bytes(849)))
    lay = layout(s)
    return lay.data[: lay.xc[i] + 8 + 857 + 2], {lay.at("XC-REC-003", "xc", i, 4)}


@case(*BOTH)
def case_xc_length_huge(big: bool) -> Built:
    s = pv(big=big)
    i = find(s.records, X.X86_TSC_INFO)
    s.records[i] = Record(X.X86_TSC_INFO, TscInfo(), length=0xFFFFFFFF)
    return bare(s, ("XC-REC-003", i, 4))


@case(*BOTH)
def case_xc_page_count_huge(big: bool) -> Built:
    # count 2**32-1 with a one-page body: judged from the bytes there, at once.
    s = pv(big=big)
    i = find(s.records, X.PAGE_DATA, 1)
    s.records[i] = Record(X.PAGE_DATA, PageData([pfn_entry(40, 0)], [bytes(4096)], count=2**32 - 1))
    return bare(s, ("XC-PAGE-006", i, 4))


@case(*BOTH)
def case_xc_reserved_mandatory_type(big: bool) -> Built:
    s = pv(big=big)
    s.records.insert(-1, Record(0x13, b"?"))
    s.records.insert(-1, Record(0x7FFFFFFF))
    n = len(s.records)
    return bare(s, ("XC-REC-004", n - 3, 0), ("XC-REC-004", n - 2, 0))


@case(*BOTH)
def case_xc_optional_record(big: bool) -> Built:
    s = pv(big=big)
    s.records.insert(-1, Record(0x80001234, b"opaque"))
    return bare(s, ("XC-REC-006", len(s.records) - 2, 0))


@case(*BOTH)
def case_xc_end_body(big: bool) -> Built:
    s = pv(big=big)
    s.records[-1] = Record(X.END, bytes(8))
    return bare(s, ("XC-END-001", len(s.records) - 1, 4))


@case(*BOTH)
def case_xc_no_end(big: bool) -> Built:
    s = pv(big=big)
    s.records.pop()
    return bare(s, ("XC-END-002", "eof", 0))


@case(*BOTH)
def case_xc_trailer(big: bool) -> Built:
    s = pv(big=big)
    s.trailer = b"\x00" * 16
    return bare(s, ("XC-END-003", "eof", 0))


# libxc stream: PAGE_DATA ------------------------------------------------------------------


@case(*BOTH)
def case_page_data_short(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.PAGE_DATA, 1) + 1
    s.records.insert(i, Record(X.PAGE_DATA, b"\x01\x00\x00\x00"))
    return bare(s, ("XC-PAGE-001", i, 4))


@case(*BOTH)
def case_page_data_count_zero(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.PAGE_DATA, 1) + 1
    s.records.insert(i, Record(X.PAGE_DATA, PageData()))
    return bare(s, ("XC-PAGE-002", i, 8))


@case(*BOTH)
def case_page_data_reserved(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.PAGE_DATA)
    body = s.records[i].body
    assert isinstance(body, PageData)
    body.reserved = 0x80
    return bare(s, ("XC-PAGE-003", i, 12))


def _pages(entries: list[int], with_data: int) -> PageData:
    return PageData(entries, [bytes([n]) * 4096 for n in range(with_data)])


@case(*BOTH)
def case_page_data_reserved_bits(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.PAGE_DATA, 1)
    entries = [pfn_entry(0x200 + n, PageType.NOTAB) for n in range(6)]
    entries[3] = pfn_entry(0x203, PageType.NOTAB, reserved=0x01)  # bit 52
    entries[5] = pfn_entry(0x205, PageType.NOTAB, reserved=0x80)  # bit 59
    s.records[i] = Record(X.PAGE_DATA, _pages(entries, 6))
    return bare(s, ("XC-PAGE-004", i, 8 + 8 + 8 * 3))


@case(*BOTH)
def case_page_data_reserved_type(big: bool) -> Built:
    # A reserved type carries no page contents (XC-PAGE-006 counts 0x0-0x4, 0x9-0xC).
    s = hvm(big=big)
    i = find(s.records, X.PAGE_DATA, 1)
    entries = [pfn_entry(0x200 + n, PageType.NOTAB) for n in range(4)]
    entries[2] = pfn_entry(0x202, 6)
    s.records[i] = Record(X.PAGE_DATA, _pages(entries, 3))
    return bare(s, ("XC-PAGE-005", i, 8 + 8 + 8 * 2))


@case(*BOTH)
def case_page_data_type_eight(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.PAGE_DATA)
    entries = [pfn_entry(0x300, 8), pfn_entry(0x301, PageType.XTAB)]
    s.records.insert(i, Record(X.PAGE_DATA, _pages(entries, 0)))
    return bare(s, ("XC-PAGE-005", i, 16))


@case(*BOTH)
def case_page_data_missing_page(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.PAGE_DATA)
    body = s.records[i].body
    assert isinstance(body, PageData)
    body.pages.pop()
    return bare(s, ("XC-PAGE-006", i, 4))


@case(*BOTH)
def case_page_data_page_for_xtab(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.PAGE_DATA, 1)
    body = s.records[i].body
    assert isinstance(body, PageData)
    body.pages.append(bytes(4096))  # one page too many: XTAB and XALLOC carry none
    return bare(s, ("XC-PAGE-006", i, 4))


# libxc stream: PV records ----------------------------------------------------------------------


@case(*BOTH)
def case_pv_info_length(big: bool) -> Built:
    s = pv(big=big)
    s.records[0] = Record(X.X86_PV_INFO, PvInfo(8, 4, bytes(7)))
    return bare(s, ("XC-PVI-001", 0, 4))


@case(*BOTH)
def case_pv_info_short(big: bool) -> Built:
    # 2 + 5 octets: Xen reads 8 (handle_x86_pv_info), so it refuses; both rules cite it
    s = pv(big=big)
    s.records[0] = Record(X.X86_PV_INFO, PvInfo(8, 4, bytes(5)))
    return bare(s, ("XC-PVI-001", 0, 4), ("XC-PVI-008", 0, 4))


@case(*BOTH)
def case_pv_info_width(big: bool) -> Built:
    s = pv(big=big)
    s.records[0] = Record(X.X86_PV_INFO, PvInfo(2, 4))
    return bare(s, ("XC-PVI-002", 0, 8))


@case(*BOTH)
def case_pv_info_levels(big: bool) -> Built:
    s = pv(big=big)
    s.records[0] = Record(X.X86_PV_INFO, PvInfo(8, 5))
    return bare(s, ("XC-PVI-003", 0, 9))


@case(*BOTH)
def case_pv_info_pairing(big: bool) -> Built:
    s = pv(big=big)
    s.records[0] = Record(X.X86_PV_INFO, PvInfo(8, 3))
    return bare(s, ("XC-PVI-004", 0, 8))


@case(*BOTH)
def case_pv_info_reserved(big: bool) -> Built:
    s = pv(big=big)
    s.records[0] = Record(X.X86_PV_INFO, PvInfo(8, 4, b"\x00\x00\x01\x00\x00\x00"))
    return bare(s, ("XC-PVI-005", 0, 8 + 4))


@case(*BOTH)
def case_pv_info_twice(big: bool) -> Built:
    s = pv(big=big)
    s.records.insert(1, Record(X.X86_PV_INFO, PvInfo(8, 4)))
    return bare(s, ("XC-PVI-006", 1, 0))


@case(*BOTH)
def case_pv_info_missing(big: bool) -> Built:
    # Without X86_PV_INFO the P2M frames and SHARED_INFO come before it, too.
    s = pv(big=big)
    del s.records[0]
    recs = s.records
    return bare(
        s,
        ("XC-PVI-006", len(recs) - 1, 0),
        ("XC-ORD-001", find(recs, X.X86_PV_P2M_FRAMES), 0),
        ("XC-ORD-004", find(recs, X.SHARED_INFO), 0),
    )


@case(*BOTH)
def case_pv_info_after_static_data_end(big: bool) -> Built:
    s = pv(big=big)
    info = s.records.pop(0)
    i = find(s.records, X.STATIC_DATA_END) + 1
    s.records.insert(i, info)
    return bare(s, ("XC-PVI-007", i, 0))


@case(*BOTH)
def case_p2m_short(big: bool) -> Built:
    s = pv(big=big)
    i = find(s.records, X.X86_PV_P2M_FRAMES)
    s.records.insert(i + 1, Record(X.X86_PV_P2M_FRAMES, b"\x00\x00\x00\x00"))
    return bare(s, ("XC-P2M-001", i + 1, 4))


@case(*BOTH)
def case_p2m_start_after_end(big: bool) -> Built:
    s = pv(big=big)
    i = find(s.records, X.X86_PV_P2M_FRAMES)
    s.records[i] = Record(X.X86_PV_P2M_FRAMES, P2mFrames(40, 31, [27]))
    return bare(s, ("XC-P2M-002", i, 8))


@case(*BOTH)
def case_p2m_frame_count(big: bool) -> Built:
    s = pv(big=big)
    i = find(s.records, X.X86_PV_P2M_FRAMES)
    s.records[i] = Record(X.X86_PV_P2M_FRAMES, P2mFrames(0, 31, [27, 26]))
    return bare(s, ("XC-P2M-003", i, 4))


@case(*BOTH)
def case_p2m_frame_count_32bit(big: bool) -> Built:
    # 1024 entries per frame for a 32-bit guest: pfns 0-2047 need two frames.
    s = pv(big=big, width=4)
    i = find(s.records, X.X86_PV_P2M_FRAMES)
    s.records[i] = Record(X.X86_PV_P2M_FRAMES, P2mFrames(0, 2047, [27]))
    return bare(s, ("XC-P2M-003", i, 4))


@case(*BOTH)
def case_p2m_missing(big: bool) -> Built:
    s = pv(big=big)
    del s.records[find(s.records, X.X86_PV_P2M_FRAMES)]
    return bare(
        s,
        ("XC-P2M-004", len(s.records) - 1, 0),
        ("XC-ORD-002", find(s.records, X.PAGE_DATA), 0),
    )


@case(*BOTH)
def case_p2m_frame_not_notab(big: bool) -> Built:
    # The samples' guest: pfns 0-31, pfn 28 sent as XTAB. A frame list entry there is
    # refused at the end (update_guest_p2m): reported at the entry, record + 16.
    s = pv(big=big)
    i = find(s.records, X.X86_PV_P2M_FRAMES)
    s.records[i] = Record(X.X86_PV_P2M_FRAMES, P2mFrames(0, 31, [28]))
    return bare(s, ("XC-P2M-005", i, 16))


@case(*BOTH)
def case_page_data_above_max_pfn(big: bool) -> Built:
    # max_pfn is p2m_end_pfn 31: pfn 32 is outside (x86_pv_pfn_is_valid)
    s = pv(big=big)
    i = find(s.records, X.PAGE_DATA) + 1
    s.records.insert(i, Record(X.PAGE_DATA, PageData.of([(32, PageType.NOTAB)])))
    return bare(s, ("XC-PAGE-008", i, 16))


@case(*BOTH)
def case_page_table_entry_above_max_pfn(big: bool) -> Built:
    # an L1 table whose entry 3 is present (bit 0) and names pfn 40 (bits 12-51)
    page = bytearray(4096)
    struct.pack_into("<Q", page, 3 * 8, 40 << 12 | 0x67)  # guest memory: little-endian
    struct.pack_into("<Q", page, 4 * 8, 41 << 12 | 0x66)  # not present: not looked at
    s = pv(big=big)
    i = find(s.records, X.PAGE_DATA) + 1
    table = PageData([pfn_entry(20, PageType.L1TAB)], [bytes(page)])
    s.records.insert(i, Record(X.PAGE_DATA, table))
    return bare(s, ("XC-PAGE-009", i, 8 + 8 + 8 + 3 * 8))


def _vcpu(big: bool, rtype: int, rec: Record) -> tuple[LibxcStream, int]:
    s = pv(big=big)
    i = find(s.records, rtype, 1)  # vCPU 1's record
    s.records[i] = rec
    return s, i


@case(*BOTH)
def case_vcpu_short(big: bool) -> Built:
    s, i = _vcpu(big, X.X86_PV_VCPU_EXTENDED, Record(X.X86_PV_VCPU_EXTENDED, b"\x01\x00\x00\x00"))
    return bare(s, ("XC-VCPU-001", i, 4))


@case(*BOTH)
def case_vcpu_reserved(big: bool) -> Built:
    tsc_aux = struct.pack("<IIQ", 0xC0000103, 0, 0)  # xen_domctl_vcpu_msr: TSC_AUX, 0
    rec = Record(X.X86_PV_VCPU_MSRS, VcpuContext(1, tsc_aux, reserved=3))
    s, i = _vcpu(big, X.X86_PV_VCPU_MSRS, rec)
    return bare(s, ("XC-VCPU-002", i, 12))


@case(*BOTH)
def case_vcpu_basic_size(big: bool) -> Built:
    rec = Record(X.X86_PV_VCPU_BASIC, VcpuContext(1, bytes(2800)))  # 32-bit size, 64-bit guest
    s, i = _vcpu(big, X.X86_PV_VCPU_BASIC, rec)
    return bare(s, ("XC-VCPU-003", i, 4))


@case(*BOTH)
def case_vcpu_extended_size(big: bool) -> Built:
    rec = Record(X.X86_PV_VCPU_EXTENDED, VcpuContext(1, bytes(136)))
    s, i = _vcpu(big, X.X86_PV_VCPU_EXTENDED, rec)
    return bare(s, ("XC-VCPU-004", i, 4))


@case(*BOTH)
def case_vcpu_xsave_size(big: bool) -> Built:
    rec = Record(X.X86_PV_VCPU_XSAVE, VcpuContext(1, bytes(8)))
    s, i = _vcpu(big, X.X86_PV_VCPU_XSAVE, rec)
    return bare(s, ("XC-VCPU-005", i, 4))


@case(*BOTH)
def case_vcpu_msrs_size(big: bool) -> Built:
    rec = Record(X.X86_PV_VCPU_MSRS, VcpuContext(1, bytes(20)))
    s, i = _vcpu(big, X.X86_PV_VCPU_MSRS, rec)
    return bare(s, ("XC-VCPU-006", i, 4))


@case(*BOTH)
def case_vcpu_empty_context(big: bool) -> Built:
    s, i = _vcpu(big, X.X86_PV_VCPU_XSAVE, Record(X.X86_PV_VCPU_XSAVE, VcpuContext(1)))
    return bare(s, ("XC-VCPU-007", i, 4))


@case(*BOTH)
def case_vcpu0_basic_missing(big: bool) -> Built:
    s = pv(big=big)
    del s.records[find(s.records, X.X86_PV_VCPU_BASIC)]
    return bare(s, ("XC-VCPU-009", len(s.records) - 1, 0))


@case(*BOTH)
def case_shared_info_size(big: bool) -> Built:
    s = pv(big=big)
    i = find(s.records, X.SHARED_INFO)
    s.records[i] = Record(X.SHARED_INFO, bytes(4095))
    return bare(s, ("XC-SHI-001", i, 4))


# libxc stream: other records ---------------------------------------------------------------------


@case(*BOTH)
def case_tsc_length(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.X86_TSC_INFO)
    s.records[i] = Record(X.X86_TSC_INFO, TscInfo().encode(_e(big)) + bytes(8))
    return bare(s, ("XC-TSC-001", i, 4))


@case(*BOTH)
def case_tsc_reserved(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.X86_TSC_INFO)
    s.records[i] = Record(X.X86_TSC_INFO, TscInfo(reserved=1))
    return bare(s, ("XC-TSC-002", i, 8 + 20))


@case(*BOTH)
def case_tsc_mode(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.X86_TSC_INFO)
    s.records[i] = Record(X.X86_TSC_INFO, TscInfo(mode=4))
    return bare(s, ("XC-TSC-003", i, 8))


@case(*BOTH)
def case_tsc_mode_pvrdtscp(big: bool) -> Built:
    # Mode 3 is in the image's range; Xen 4.12 and later refuse it: a warning (XC-TSC-005).
    s = hvm(big=big)
    i = find(s.records, X.X86_TSC_INFO)
    s.records[i] = Record(X.X86_TSC_INFO, TscInfo(mode=3))
    return bare(s, ("XC-TSC-005", i, 8))


@case(*BOTH)
def case_hvm_context_empty(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.HVM_CONTEXT)
    s.records.insert(i + 1, Record(X.HVM_CONTEXT))
    return bare(s, ("XC-HVMC-001", i + 1, 4))


@case(*BOTH)
def case_hvm_context_missing(big: bool) -> Built:
    s = hvm(big=big)
    del s.records[find(s.records, X.HVM_CONTEXT)]
    return bare(s, ("XC-HVMC-002", len(s.records) - 1, 0))


@case(*BOTH)
def case_hvm_params_short(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.HVM_PARAMS)
    s.records.insert(i, Record(X.HVM_PARAMS, b"\x00\x00"))
    return bare(s, ("XC-HVMP-001", i, 4))


@case(*BOTH)
def case_hvm_params_count(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.HVM_PARAMS)
    body = s.records[i].body
    assert isinstance(body, HvmParams)
    body.count = len(body.params) + 1
    return bare(s, ("XC-HVMP-002", i, 4), ("XC-HVMP-015", i, 4))


@case(*BOTH)
def case_hvm_params_longer_than_count(big: bool) -> Built:
    # Xen 4.6-4.8 ignore octets after the last entry; 4.9 and later refuse them
    s = hvm(big=big)
    i = find(s.records, X.HVM_PARAMS)
    body = s.records[i].body
    assert isinstance(body, HvmParams)
    body.count = len(body.params) - 1
    return bare(s, ("XC-HVMP-002", i, 4))


@case(*BOTH)
def case_hvm_params_reserved(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.HVM_PARAMS)
    body = s.records[i].body
    assert isinstance(body, HvmParams)
    body.reserved = 5
    return bare(s, ("XC-HVMP-003", i, 12))


@case(*BOTH)
def case_hvm_params_empty(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.HVM_PARAMS)
    s.records.insert(i, Record(X.HVM_PARAMS, HvmParams()))
    return bare(s, ("XC-HVMP-004", i, 8))


@case(*BOTH)
def case_toolstack(big: bool) -> Built:
    s = hvm(big=big)
    s.records.insert(-1, Record(X.TOOLSTACK, b"xl toolstack blob"))
    return bare(s, ("XC-TOOL-001", len(s.records) - 2, 0))


def _after_pages(s: LibxcStream) -> int:
    return find(s.records, X.PAGE_DATA, 1) + 1


@case(*BOTH)
def case_verify_body(big: bool) -> Built:
    s = pv(big=big)
    i = _after_pages(s)
    s.records.insert(i, Record(X.VERIFY, bytes(8)))
    return bare(s, ("XC-VER-001", i, 4))


@case(*BOTH)
def case_verify_twice(big: bool) -> Built:
    s = pv(big=big)
    i = _after_pages(s)
    s.records[i:i] = [Record(X.VERIFY), Record(X.VERIFY)]
    return bare(s, ("XC-VER-002", i + 1, 0))


@case()
def case_verify_in_checkpointed_stream() -> Built:
    s = checkpointed()
    first = s.items[1]
    assert isinstance(first, LibxcStream)
    i = _after_pages(first)
    first.records.insert(i, Record(X.VERIFY))
    lay = layout(s)
    return lay.data, {lay.at("XC-VER-003", "xc", len(first.records) - 1)}


@case()
def case_checkpoint_body() -> Built:
    s = checkpointed()
    first = s.items[1]
    assert isinstance(first, LibxcStream)
    first.records[-1] = Record(X.CHECKPOINT, bytes(8))
    lay = layout(s)
    return lay.data, {lay.at("XC-CKPT-001", "xc", len(first.records) - 1, 4)}


@case()
def case_checkpointed_without_end() -> Built:
    lay = layout(checkpointed(end=False))
    return lay.data, {("XC-CKPT-003", lay.end, None)}


@case()
def case_checkpointed_without_end_incomplete() -> Built:
    # Records after the last CHECKPOINT and then the end of input: not a complete
    # checkpoint, so XC-END-002.
    s = checkpointed(end=False)
    s.items.append(LibxcStream(None, None, [Record(X.X86_TSC_INFO, TscInfo())]))
    lay = layout(s)
    return lay.data, {("XC-END-002", lay.end, None)}


@case(*BOTH)
def case_bare_checkpointed(big: bool) -> Built:
    # A bare checkpointed libxc stream read on to its END: no diagnostic at all.
    s = pv(big=big)
    s.records[-1:] = [
        Record(X.CHECKPOINT),
        Record(X.PAGE_DATA, PageData.of([(5, PageType.NOTAB)])),
        Record(X.CHECKPOINT),
        Record(X.END),
    ]
    return bare(s)


@case(*BOTH)
def case_bare_checkpointed_without_end(big: bool) -> Built:
    s = pv(big=big)
    s.records[-1:] = [
        Record(X.CHECKPOINT),
        Record(X.PAGE_DATA, PageData.of([(5, PageType.NOTAB)])),
        Record(X.CHECKPOINT),
    ]
    return bare(s, ("XC-CKPT-003", "eof", 0))


@case(*BOTH)
def case_dirty_pfn_list(big: bool) -> Built:
    s = hvm(big=big)
    s.records.insert(-1, Record(X.CHECKPOINT_DIRTY_PFN_LIST, struct.pack("<2Q", 1, 2)))
    return bare(s, ("XC-DIRTY-001", len(s.records) - 2, 0))


@case(*BOTH)
def case_dirty_pfn_list_length(big: bool) -> Built:
    # Any CHECKPOINT_DIRTY_PFN_LIST in an image also breaks XC-DIRTY-001.
    s = hvm(big=big)
    s.records.insert(-1, Record(X.CHECKPOINT_DIRTY_PFN_LIST, bytes(12)))
    n = len(s.records) - 2
    return bare(s, ("XC-DIRTY-001", n, 0), ("XC-DIRTY-002", n, 4))


@case(*BOTH)
def case_static_data_end_body(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.STATIC_DATA_END)
    s.records[i] = Record(X.STATIC_DATA_END, bytes(8))
    return bare(s, ("XC-SDE-001", i, 4))


@case(*BOTH)
def case_static_data_end_twice(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.STATIC_DATA_END)
    s.records.insert(i + 1, Record(X.STATIC_DATA_END))
    return bare(s, ("XC-SDE-002", i + 1, 0))


@case(*BOTH)
def case_static_data_end_missing(big: bool) -> Built:
    # Missing in v3: none at END, so none before the first P2M frames or state either.
    s = pv(big=big)
    del s.records[find(s.records, X.STATIC_DATA_END)]
    r = s.records
    return bare(
        s,
        ("XC-SDE-002", len(r) - 1, 0),
        ("XC-SDE-003", find(r, X.X86_PV_P2M_FRAMES), 0),
        ("XC-SDE-004", find(r, X.X86_TSC_INFO), 0),
    )


@case(*BOTH)
def case_static_data_end_after_pages(big: bool) -> Built:
    s = hvm(big=big)
    sde = s.records.pop(find(s.records, X.STATIC_DATA_END))
    first = find(s.records, X.PAGE_DATA)
    s.records.insert(first + 1, sde)
    return bare(s, ("XC-SDE-003", first, 0))


@case(*BOTH)
def case_static_data_end_after_tsc(big: bool) -> Built:
    s = hvm(big=big)
    tsc = s.records.pop(find(s.records, X.X86_TSC_INFO))
    s.records.insert(0, tsc)
    return bare(s, ("XC-SDE-004", 0, 0))


@case(*BOTH)
def case_static_data_end_in_v2(big: bool) -> Built:
    s = pv(2, big=big)
    s.records.insert(1, Record(X.STATIC_DATA_END))
    return bare(s, ("XC-SDE-005", 1, 0))


@case(*BOTH)
def case_cpuid_policy_length(big: bool) -> Built:
    s = hvm(big=big)
    s.records[find(s.records, X.X86_CPUID_POLICY)] = Record(X.X86_CPUID_POLICY, bytes(25))
    return bare(s, ("XC-POL-001", find(s.records, X.X86_CPUID_POLICY), 4))


@case(*BOTH)
def case_msr_policy_length(big: bool) -> Built:
    s = hvm(big=big)
    s.records[find(s.records, X.X86_MSR_POLICY)] = Record(X.X86_MSR_POLICY, bytes(20))
    return bare(s, ("XC-POL-002", find(s.records, X.X86_MSR_POLICY), 4))


@case(*BOTH)
def case_msr_policy_empty(big: bool) -> Built:
    s = hvm(big=big)
    s.records[find(s.records, X.X86_MSR_POLICY)] = Record(X.X86_MSR_POLICY, b"")
    return bare(s, ("XC-POL-002", find(s.records, X.X86_MSR_POLICY), 4))


@case(*BOTH)
def case_policy_after_static_data_end(big: bool) -> Built:
    s = hvm(big=big)
    msr = s.records.pop(find(s.records, X.X86_MSR_POLICY))
    i = find(s.records, X.STATIC_DATA_END) + 1
    s.records.insert(i, msr)
    return bare(s, ("XC-POL-003", i, 0))


@case(*BOTH)
def case_policy_after_inferred_static_data_end(big: bool) -> Built:
    # Version 2: the policy after the first PAGE_DATA (the inferred STATIC_DATA_END);
    # any policy in version 2 also draws XC-POL-005.
    s = hvm(2, big=big)
    i = find(s.records, X.PAGE_DATA) + 1
    s.records.insert(i, Record(X.X86_CPUID_POLICY, CpuidPolicy([(0, 0xFFFFFFFF, 1, 2, 3, 4)])))
    return bare(s, ("XC-POL-003", i, 0), ("XC-POL-005", i, 0))


@case(*BOTH)
def case_policy_twice(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.X86_CPUID_POLICY)
    s.records.insert(i + 1, s.records[i])
    return bare(s, ("XC-POL-004", i + 1, 0))


@case(*BOTH)
def case_policy_in_v2(big: bool) -> Built:
    s = pv(2, big=big)
    s.records[1:1] = [
        Record(X.X86_CPUID_POLICY, CpuidPolicy([(0, 0xFFFFFFFF, 1, 2, 3, 4)])),
        Record(X.X86_MSR_POLICY, MsrPolicy([(0xCE, 0, 0)])),
    ]
    return bare(s, ("XC-POL-005", 1, 0), ("XC-POL-005", 2, 0))


@case(*BOTH)
def case_hvm_params_refused_values(big: bool) -> Built:
    # what hvm_set_param refuses, at the entry (index) or at its value (index + 8)
    s = hvm(big=big)
    i = find(s.records, X.HVM_PARAMS)
    body = s.records[i].body
    assert isinstance(body, HvmParams)
    n = len(body.params)
    body.params += [(39, 1), (20, 1), (10, 4), (9, 0), (4, 1), (9, 1), (9, 3)]
    at = 8 + 8 + 16 * n  # record header, count and reserved, the sample's entries
    return bare(
        s,
        ("XC-HVMP-006", i, at),
        ("XC-HVMP-007", i, at + 16),
        ("XC-HVMP-008", i, at + 32 + 8),
        ("XC-HVMP-009", i, at + 48 + 8),
        ("XC-HVMP-011", i, at + 64),
        ("XC-HVMP-010", i, at + 96 + 8),
    )


@case(*BOTH)
def case_cpu_policy_out_of_range(big: bool) -> Built:
    # what x86_cpuid_copy_from_buffer / x86_msr_copy_from_buffer refuse whatever the host
    s = hvm(big=big)
    i = find(s.records, X.X86_CPUID_POLICY)
    s.records[i] = Record(
        X.X86_CPUID_POLICY,
        CpuidPolicy(
            [(0, 0xFFFFFFFF, 1, 2, 3, 4), (0xE, 0xFFFFFFFF, 0, 0, 0, 0), (1, 0, 0, 0, 0, 0)]
        ),
    )
    j = find(s.records, X.X86_MSR_POLICY)
    s.records[j] = Record(X.X86_MSR_POLICY, MsrPolicy([(0xCE, 0, 1 << 32), (0x8B, 0, 0)]))
    return bare(
        s,
        ("XC-POL-007", i, 8 + 24),
        ("XC-POL-007", i, 8 + 48),
        ("XC-POL-011", j, 8 + 8),
        ("XC-POL-009", j, 8 + 16),
    )


@case(*BOTH)
def case_msr_policy_flags(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.X86_MSR_POLICY)
    s.records[i] = Record(X.X86_MSR_POLICY, MsrPolicy([(0xCE, 0, 0), (0x10A, 1, 0)]))
    return bare(s, ("XC-POL-006", i, 8 + 16 + 4))


@case(*BOTH)
def case_pv_record_in_hvm(big: bool) -> Built:
    s = hvm(big=big)
    i = find(s.records, X.X86_TSC_INFO)
    s.records.insert(i, Record(X.SHARED_INFO, bytes(4096)))
    return bare(s, ("XC-GUEST-001", i, 0))


@case(*BOTH)
def case_hvm_record_in_pv(big: bool) -> Built:
    s = pv(big=big)
    s.records.insert(-1, Record(X.HVM_PARAMS, HvmParams([(1, 2)])))
    return bare(s, ("XC-GUEST-002", len(s.records) - 2, 0))


@case(*BOTH)
def case_p2m_before_pv_info(big: bool) -> Built:
    s = pv(2, big=big)
    s.records[0], s.records[1] = s.records[1], s.records[0]
    return bare(s, ("XC-ORD-001", 0, 0))


@case(*BOTH)
def case_pages_before_p2m(big: bool) -> Built:
    s = pv(2, big=big)
    p2m = s.records.pop(1)
    s.records.insert(2, p2m)
    return bare(s, ("XC-ORD-002", 1, 0))


@case(*BOTH)
def case_vcpu_before_pages(big: bool) -> Built:
    # The vCPU record before the first PAGE_DATA is also in the same section as it.
    s = pv(big=big)
    xsave = s.records.pop(find(s.records, X.X86_PV_VCPU_XSAVE, 1))
    i = find(s.records, X.PAGE_DATA)
    s.records.insert(i, xsave)
    return bare(s, ("XC-ORD-003", i, 0), ("XC-ORD-005", i + 1, 0))


@case(*BOTH)
def case_shared_info_before_pv_info(big: bool) -> Built:
    s = pv(2, big=big)
    shi = s.records.pop(find(s.records, X.SHARED_INFO))
    s.records.insert(0, shi)
    return bare(s, ("XC-ORD-004", 0, 0))


@case(*BOTH)
def case_pages_after_vcpus(big: bool) -> Built:
    s = pv(big=big)
    pages = s.records.pop(find(s.records, X.PAGE_DATA, 1))
    s.records.insert(-1, pages)
    return bare(s, ("XC-ORD-005", len(s.records) - 2, 0))


@case(*BOTH)
def case_hvm_context_before_params(big: bool) -> Built:
    s = hvm(big=big)
    return bare(s, ("XC-ORD-006", find(s.records, X.HVM_PARAMS), 0))


@case(*BOTH)
def case_hvm_params_before_context(big: bool) -> Built:
    # The order of the Xen text: no note.
    s = hvm(big=big)
    params = s.records.pop(find(s.records, X.HVM_PARAMS))
    s.records.insert(find(s.records, X.HVM_CONTEXT), params)
    data, exp = bare(s)
    return data, exp


# --- the tests ---------------------------------------------------------------------------


def _check(data: bytes) -> Report:
    report = check_bytes(data)
    for d in report.diagnostics:
        assert d.rule == "" or d.rule in CHECKS, d
        if d.rule:
            level = str(RULES[d.rule].level)
            assert d.level == level
            assert d.severity == {"MUST": "error", "SHOULD": "warning", "MAY": "note"}[level]
        assert not d.message.startswith("internal error"), d
    return report


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_case(c: Case) -> None:
    data, expected = c.build()
    report = _check(data)
    keep = frozenset(rule for rule, _, _ in expected)
    assert keys(report, keep) == expected, [d.format("image") for d in report.diagnostics]
    must_break = any(r == "" or RULES[r].level == "MUST" for r, _, _ in expected)
    assert report.valid is not must_break


#: Rules exercised outside CASES, by the test named.
COVERED_ELSEWHERE = {
    "XC-REC-008": "test_huge_record_limit_is_a_warning",
    # the wrapper and whole-image rules: one case each in tests/test_wrappers.py
    **{r: "tests/test_wrappers.py" for r in CHECKS if r.startswith(("LVF-", "XAPI-", "IMG-"))},
    # the legacy rules: one case each in tests/test_legacy.py
    **{r: "tests/test_legacy.py" for r in CHECKS if r.startswith("LEG-")},
    # the HVM context rules: the corpus cases and tests/test_hvm_context.py
    **{r: "tests/test_hvm_context.py" for r in CHECKS if r.startswith("HVM-")},
    # the HVM_PARAMS and CPU policy rules not in CASES: tests/test_hvm_params.py and
    # tests/test_cpu_policy.py (which build the bodies from Xen's layouts)
    **{r: "tests/test_hvm_params.py" for r in ("XC-HVMP-012", "XC-HVMP-013", "XC-HVMP-014")},
    **{r: "tests/test_cpu_policy.py" for r in ("XC-POL-008", "XC-POL-010", "XC-POL-012")},
    # the PV vCPU context rules: one case each in tests/test_pv_context.py
    **{r: "tests/test_pv_context.py" for r in CHECKS if r.startswith("PV-")},
    # the xend file rules: one case each in tests/test_xend.py
    **{r: "tests/test_xend.py" for r in CHECKS if r.startswith("XEND-")},
}


def test_cases_cover_every_rule_the_checker_cites() -> None:
    covered = {r for c in CASES for r, _, _ in c.build()[1]} | set(COVERED_ELSEWHERE)
    assert covered >= set(CHECKS), sorted(set(CHECKS) - covered)


# the rule table against the catalogue


def test_checks_cite_only_catalogue_image_rules() -> None:
    for rid in CHECKS:
        assert rid in RULES, rid
        assert RULES[rid].subject == "image", rid


def test_every_image_rule_is_checked_or_listed() -> None:
    assert not set(CHECKS) & set(UNCHECKED)
    assert set(CHECKS) | set(UNCHECKED) == IMAGE_RULES, sorted(
        IMAGE_RULES - set(CHECKS) - set(UNCHECKED)
    )
    for rid, why in UNCHECKED.items():
        assert rid in IMAGE_RULES and why


def test_checker_source_names_no_other_rule() -> None:
    package = Path(__file__).parent.parent / "xensave"
    files = [package / "checker.py", *(package / "check").glob("*.py")]
    src = "".join(p.read_text() for p in files)
    cited = set(re.findall(r'"((?:XLF|XL|XC|LVF|XAPI|IMG|LEG|HVM|PV|XEND)-[A-Z0-9]+-\d{3})"', src))
    assert cited == set(CHECKS), sorted(cited ^ set(CHECKS))


# samples


@pytest.mark.parametrize("sample", samples.valid_samples(), ids=lambda s: s.name)
def test_valid_sample(sample: samples.Sample) -> None:
    report = _check(sample.data)
    assert report.valid
    assert report.layer == sample.layer
    assert report.bytes_read == len(sample.data)
    expected = set()
    if sample.guest == "hvm":
        expected.add(("XC-ORD-006", "note"))  # Xen's saver order, HVM_CONTEXT first
    if "big-endian" in sample.name:
        expected.add(("XC-HDR-006", "note"))
    assert {(d.rule, d.severity) for d in report.diagnostics} == expected


BROKEN_RULE = {
    "image header id": "XC-HDR-002",
    "image header marker": "XC-HDR-001",
    "image header version": "XC-HDR-003",
    "image header reserved": "XC-HDR-005",
    "libxl header ident": "XL-HDR-001",
    "libxl header version": "XL-HDR-002",
    "libxl header options reserved bits": "XL-HDR-003",
    "xl magic": "XLF-HDR-001",
    "xl byte-order word": "XLF-HDR-002",
}


@pytest.mark.parametrize(
    ("sample", "what"), samples.broken_samples(), ids=lambda x: getattr(x, "name", "")
)
def test_broken_sample(sample: samples.Sample, what: str) -> None:
    report = _check(sample.data)
    assert not report.valid
    assert {d.rule for d in report.errors} == {BROKEN_RULE[what]}


# truncation: every part of an image, as the framing rule of the part it cuts


def _truncations() -> Iterator[tuple[str, bytes, Key]]:
    f = samples.build("hvm", 3, "xl")
    assert isinstance(f, XlFile)
    lay = layout(f)
    d = lay.data
    yield "empty", b"", ("IMG-FMT-001", 0, None)
    yield "xl-magic", d[:20], ("XLF-HDR-001", 0, None)
    yield "xl-byteorder", d[:34], ("XLF-HDR-002", 0, None)
    yield "xl-mandatory-flags", d[:38], ("XLF-HDR-004", 0, None)
    yield "xl-optional-len", d[:44], ("XLF-OPT-001", 0, None)
    yield "xl-optional-data", d[:60], ("XLF-OPT-001", 0x2C, None)
    ls = lay.libxl_start
    yield "libxl-header", d[: ls + 9], ("XLF-NEST-001", ls, None)
    yield "libxl-record-header", d[: ls + 16 + 5], ("XL-REC-001", ls + 16, 0)
    xh = lay.xc_headers[0]
    yield "libxc-image-header", d[: xh + 12], ("XL-NEST-001", xh, None)
    yield "libxc-domain-type", d[: xh + 26], ("XC-DOM-001", xh + 24, None)
    yield "libxc-domain-page-shift", d[: xh + 29], ("XC-DOM-002", xh + 24, None)
    yield "libxc-domain-reserved", d[: xh + 31], ("XC-DOM-003", xh + 24, None)
    yield "libxc-domain-xen-version", d[: xh + 36], ("XC-END-002", xh + 24, None)
    first = lay.xc[0]
    yield "libxc-record-boundary", d[:first], ("XC-END-002", first, None)
    yield "libxc-record-header", d[: first + 6], ("XC-REC-001", first, 0)
    yield "libxc-record-body", d[: first + 30], ("XC-REC-003", first + 4, 0)
    page = lay.xc[3]
    yield "libxc-pfn-array", d[: page + 8 + 8 + 20], ("XC-REC-003", page + 4, 3)
    yield "libxc-page-data", d[: page + 8 + 8 + 8 * 24 + 100], ("XC-REC-003", page + 4, 3)
    after = lay.xc[-1] + 8  # libxc END complete
    yield "libxl-after-libxc", d[:after], ("XL-END-002", after, None)
    xsd = lay.xl[1]  # EMULATOR_XENSTORE_DATA: 59-byte body, 5 bytes of padding
    yield "libxl-padding", d[: xsd + 8 + 59 + 2], ("XL-REC-003", xsd + 4, 1)
    yield "libxl-end-header", d[: lay.xl[-1] + 7], ("XL-REC-001", lay.xl[-1], 3)
    xc = to_bytes(pv())
    for cut, rid in ((10, "XC-HDR-002"), (14, "XC-HDR-003"), (17, "XC-HDR-004")):
        yield f"bare-libxc-{cut}", xc[:cut], (rid, 0, None)
    yield "bare-libxc-reserved", xc[:21], ("XC-HDR-005", 0, None)
    xl = to_bytes(pv_libxl())
    for cut, rid in ((6, "XL-HDR-001"), (10, "XL-HDR-002"), (14, "XL-HDR-003")):
        yield f"bare-libxl-{cut}", xl[:cut], (rid, 0, None)


TRUNCATIONS = list(_truncations())


@pytest.mark.parametrize(("name", "data", "key"), TRUNCATIONS, ids=[t[0] for t in TRUNCATIONS])
def test_truncation(name: str, data: bytes, key: Key) -> None:
    report = _check(data)
    assert not report.valid
    assert report.bytes_read <= len(data)
    last = report.diagnostics[-1]
    assert (last.rule, last.offset, last.record_index) == key
    assert last.severity == "error"


def test_truncated_through_a_pipe_too() -> None:
    """Without a size to compare against, the reader meets the end mid-body."""
    data = to_bytes(pv())
    cut = layout(pv()).xc[4] + 9

    class Pipe(io.RawIOBase):
        def __init__(self, b: bytes) -> None:
            self.src = io.BytesIO(b)

        def readable(self) -> bool:
            return True

        def readinto(self, buf: memoryview) -> int:  # type: ignore[override]
            chunk = self.src.read(min(len(buf), 777))
            buf[: len(chunk)] = chunk
            return len(chunk)

    report = check_stream(io.BufferedReader(Pipe(data[:cut])))
    assert [(d.rule, d.offset, d.record_index) for d in report.diagnostics] == [
        ("XC-REC-003", layout(pv()).xc[4] + 4, 4)
    ]


# length fields that promise more than the input holds are rejected at once


def test_huge_record_limit_is_a_warning(tmp_path: Path) -> None:
    """An HVM_CONTEXT of 128 MiB + 8 bytes, written sparse: XC-REC-008, a warning."""
    s = hvm()
    i = find(s.records, X.HVM_CONTEXT)
    lay = layout(s)
    big = REC_LENGTH_MAX + 8
    path = tmp_path / "big.bin"
    with path.open("wb") as out:
        out.write(lay.data[: lay.xc[i]])
        out.write(struct.pack("<II", X.HVM_CONTEXT, big))
        out.seek(big, io.SEEK_CUR)
        out.write(lay.data[lay.xc[i + 1] :])
    with path.open("rb") as f:
        report = check_stream(f)
    assert keys(report) == {("XC-REC-008", lay.xc[i] + 4, i)}
    assert report.valid
    assert report.warnings[0].level == "SHOULD"


def test_many_violations_are_counted_not_listed() -> None:
    s = hvm()
    s.records[-1:-1] = [Record(X.TOOLSTACK, b"x")] * (MAX_PER_RULE + 7)
    report = _check(to_bytes(s))
    tool = [d for d in report.diagnostics if d.rule == "XC-TOOL-001"]
    assert len(tool) == MAX_PER_RULE + 1
    assert tool[-1].message.startswith("7 further violations")


def test_several_pfn_violations_name_the_first_few() -> None:
    s = hvm()
    i = find(s.records, X.PAGE_DATA)
    entries = [pfn_entry(n, PageType.NOTAB, reserved=0x10 if n % 2 else 0) for n in range(12)]
    s.records[i] = Record(X.PAGE_DATA, _pages(entries, 12))
    lay = layout(s)
    report = _check(lay.data)
    (d,) = [d for d in report.diagnostics if d.rule == "XC-PAGE-004"]
    assert d.offset == lay.xc[i] + 16 + 8
    assert d.message.startswith("pfn[1], pfn[3], pfn[5], pfn[7] and 2 more have reserved bits")


# the API


def test_diagnostic_format_and_json() -> None:
    d = Diagnostic("XC-PAGE-004", "MUST", "error", 0x1A2B8, "libxc", 37, "PAGE_DATA", "m")
    assert d.format("image.xl") == "image.xl:0x1a2b8: record #37 PAGE_DATA: XC-PAGE-004: m"
    w = Diagnostic("XL-CTX-003", "SHOULD", "warning", 16, "libxl", 1, "LIBXC_CONTEXT", "m")
    assert w.format("f") == "f:0x10: warning: libxl record #1 LIBXC_CONTEXT: XL-CTX-003: m"
    n = Diagnostic("XC-HDR-006", "MAY", "note", 16, "libxc", None, None, "m")
    assert n.format("f") == "f:0x10: note: XC-HDR-006: m"
    assert json.loads(json.dumps(d.to_json())) == {
        "rule": "XC-PAGE-004",
        "level": "MUST",
        "severity": "error",
        "offset": 0x1A2B8,
        "layer": "libxc",
        "record_index": 37,
        "record_type": "PAGE_DATA",
        "message": "m",
    }


def test_report_properties_and_json() -> None:
    data, _ = case_xl_libxc_context_not_first()
    report = _check(data)
    assert report.valid
    assert [d.rule for d in report.warnings] == ["XL-CTX-003"]
    assert [d.rule for d in report.notes] == ["XC-ORD-006"]
    assert report.errors == []
    j = json.loads(json.dumps(report.to_json()))
    assert j["valid"] is True and j["layer"] == "libxl" and j["bytes_read"] == len(data)
    assert (j["errors"], j["warnings"], j["notes"]) == (0, 1, 1)
    assert [x["rule"] for x in j["diagnostics"]] == ["XL-CTX-003", "XC-ORD-006"]


def test_check_events_matches_check_stream() -> None:
    data, _ = case_pages_after_vcpus(False)
    events = list(Reader(io.BytesIO(data)))
    a = check_events(events)
    b = check_bytes(data)
    assert a.diagnostics == b.diagnostics
    assert a.bytes_read == len(data)


def test_check_events_takes_a_synthetic_record() -> None:
    """Events need not come from bytes: a record too big to build is judged by length."""
    events = list(Reader(io.BytesIO(to_bytes(hvm()))))
    i = next(k for k, ev in enumerate(events) if isinstance(ev, RecordEvent) and ev.type == 9)
    ev = events[i]
    assert isinstance(ev, RecordEvent)
    events[i] = replace(ev, length=0xFFFFFFF8, body_complete=False)
    report = check_events(events)
    assert ("XC-REC-008", ev.offset + 4, ev.index) in keys(report)


def test_progress_is_called_with_the_bytes_read() -> None:
    data = to_bytes(pv())
    seen: list[int] = []
    report = check_stream(io.BytesIO(data), progress=seen.append)
    assert seen and seen[-1] == len(data) == report.bytes_read
    assert seen == sorted(seen)


def test_not_an_image() -> None:
    report = _check(b"\x7fELF" + bytes(100))
    assert not report.valid
    assert [(d.rule, d.offset, d.severity) for d in report.diagnostics] == [("", 0, "error")]


# never an exception


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([s.data for s in samples.valid_samples()] + [to_bytes(checkpointed())]),
    st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, 1 << 20),
)
def test_never_raises_on_corrupted_images(
    base: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(base)
    for at, value in flips:
        data[at % len(data)] = value
    report = _check(bytes(data[: max(cut, len(data) // 2)]))
    if not report.valid:
        assert report.errors


# wrappers: the stream inside is checked as usual (the wrappers' own rules:
# tests/test_wrappers.py)


def _libvirt(inner: bytes) -> bytes:
    xml = b"<domain type='xen'><name>w</name></domain>\x00"
    return LIBVIRT_MAGIC + struct.pack("<II", 2, len(xml)) + bytes(40) + xml + inner


def _xapi(inner: bytes, tail: bytes = b"") -> bytes:
    meta = b"((word_size 64))"
    return (
        XAPI_MAGIC
        + struct.pack("<QQ", 0x000F, len(meta))
        + meta
        + struct.pack("<QQ", 0x00F0, 0)
        + inner
        + struct.pack("<QQ", 0xFFFF, 0)
        + tail
    )


def test_libvirt_wrapped_stream_is_checked() -> None:
    inner = pv_libxl()
    inner.header.options = 1 << 5
    data = _libvirt(to_bytes(inner))
    report = _check(data)
    assert report.layer == "libvirt"
    offset = len(data) - len(to_bytes(inner))
    assert keys(report) == {("XL-HDR-003", offset + 12, None)}


def test_xapi_wrapped_stream_is_checked() -> None:
    assert _check(_xapi(to_bytes(pv()))).valid
    broken = pv()
    broken.records[-1] = Record(X.END, bytes(8))
    data = _xapi(to_bytes(broken))
    start = data.index(to_bytes(broken))
    end_at = start + layout(broken).xc[-1]
    report = _check(data)
    assert report.layer == "xapi"
    assert keys(report) == {("XC-END-001", end_at + 4, len(broken.records) - 1)}


def test_wrapper_framing_names_a_rule() -> None:
    data = _xapi(to_bytes(pv()), tail=b"tail")
    report = _check(data)
    assert [(d.rule, d.offset, d.layer) for d in report.diagnostics] == [
        ("XAPI-END-002", len(data) - 4, "xapi")
    ]
    assert not report.valid


def test_legacy_image_is_not_passed_as_valid() -> None:
    # Octets 4-7 zero: what a 64-bit toolstack's legacy image starts with.
    report = _check(struct.pack("<Q", 0x40000) + bytes(64))
    assert [(d.rule, d.layer, d.severity) for d in report.diagnostics] == [("", "libxc", "error")]
