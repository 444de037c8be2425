"""The xl save file (``XLF-`` rules): header, optional data, configuration, and how
the header and the stream after it must agree."""

from __future__ import annotations

import struct

from xensave import samples
from xensave.constants import XL_MAGIC, XlMandatoryFlag
from xensave.model import XlFile

from . import bases as B
from .framework import Built, recipe

JSON_AND_V2 = XlMandatoryFlag.JSON | XlMandatoryFlag.STREAM_V2


def _cut(f: XlFile, at: int) -> Built:
    return Built(f, B.to_bytes(f)[:at])


# --- header --------------------------------------------------------------------------


@recipe(
    "magic-wrong-letter",
    "the magic reads 'Xen saved domain, xl formaT': one letter differs",
    tags=("xl-header", "magic"),
    args=(b"Xen saved domain, xl formaT\n \x00 \r",),
    breaks=("XLF-HDR-001",),
)
@recipe(
    "magic-wrong-last-octet",
    "the magic ends with a newline instead of the carriage return (octet 31)",
    tags=("xl-header", "magic"),
    args=(XL_MAGIC[:31] + b"\n",),
    breaks=("XLF-HDR-001",),
)
def magic(value: bytes) -> XlFile:
    f = B.xl("hvm", 3)
    f.magic = value
    return f


@recipe(
    "truncated-in-magic",
    "the file ends after 20 octets, inside the magic",
    tags=("xl-header", "magic", "truncated"),
    args=(20,),
    breaks=("XLF-HDR-001",),
)
@recipe(
    "truncated-in-byteorder",
    "the file ends after 34 octets, inside the byteorder word",
    tags=("xl-header", "truncated"),
    args=(34,),
    breaks=("XLF-HDR-002",),
)
@recipe(
    "truncated-in-mandatory-flags",
    "the file ends after 38 octets, inside mandatory_flags",
    tags=("xl-header", "truncated"),
    args=(38,),
    breaks=("XLF-HDR-004",),
)
def truncated_header(at: int) -> Built:
    return _cut(B.xl("hvm", 3), at)


@recipe(
    "truncated-in-config",
    "the file ends inside the JSON configuration, short of optional_data_len",
    tags=("optional-data", "config", "truncated"),
    breaks=("XLF-OPT-001",),
)
def truncated_in_config() -> Built:
    return _cut(B.xl("hvm", 3), 48 + 4 + 20)


@recipe(
    "optional-data-len-past-end",
    "optional_data_len (0x100000) declares more optional data than the file holds",
    tags=("optional-data", "declared-only"),
    breaks=("XLF-OPT-001",),
)
def optional_data_len_past_end() -> XlFile:
    f = B.xl("hvm", 3)
    f.optional_data_len = 0x100000
    return f


@recipe(
    "byteorder-wrong",
    "the byteorder word is 0xdeadbeef, 0x01020304 in neither byte order",
    tags=("xl-header",),
    breaks=("XLF-HDR-002",),
)
def byteorder_wrong() -> XlFile:
    f = B.xl("hvm", 3)
    f.byteorder = 0xDEADBEEF
    return f


@recipe(
    "mandatory-flag-unknown",
    "mandatory_flags has bit 2 set besides JSON and STREAMv2 (0x7)",
    tags=("xl-header", "reserved-bits"),
    breaks=("XLF-HDR-004",),
)
def mandatory_flag_unknown() -> XlFile:
    f = B.xl("hvm", 3)
    f.mandatory_flags = JSON_AND_V2 | 4
    return f


@recipe(
    "optional-flags-nonzero",
    "optional_flags is 1 although no optional flag is defined (xl ignores it)",
    tags=("xl-header", "reserved-bits"),
    breaks=("XLF-HDR-006",),
    permits=("XLF-HDR-007",),
)
def optional_flags_nonzero() -> XlFile:
    f = B.xl("hvm", 3)
    f.optional_flags = 1
    return f


@recipe(
    "big-endian",
    "a file written on a big-endian host: big-endian xl header words, libxl and libxc "
    "streams big-endian too",
    tags=("xl-header", "big-endian"),
    args=("hvm",),
    permits=("XLF-HDR-003", "XL-HDR-004", "XC-HDR-006"),
)
@recipe(
    "big-endian",
    "a 64-bit PV guest in a file written on a big-endian host (every layer big-endian)",
    tags=("xl-header", "big-endian"),
    args=("x86_64-pv",),
    permits=("XLF-HDR-003", "XL-HDR-004", "XC-HDR-006"),
)
def big_endian(guest: str) -> XlFile:
    return B.xl(guest, 3, big_endian=True)


# --- optional data and configuration ----------------------------------------------------


@recipe(
    "optional-data-len-3",
    "optional_data_len is 3, too short for the config_len word (three zero octets follow)",
    tags=("optional-data", "off-by-one"),
    breaks=("XLF-OPT-002",),
)
def optional_data_len_3() -> XlFile:
    f = B.xl("hvm", 3)
    f.config = None
    f.mandatory_flags = XlMandatoryFlag.STREAM_V2
    f.optional_extra = b"\x00\x00\x00"
    return f


@recipe(
    "optional-data-len-one-more",
    "optional_data_len is one more than the optional data, so the libxl stream is looked "
    "for one octet too late",
    tags=("optional-data", "off-by-one", "nesting"),
    args=(1,),
    breaks=("XLF-NEST-001",),
)
@recipe(
    "optional-data-len-one-less",
    "optional_data_len is one less than 4 + config_len",
    tags=("optional-data", "off-by-one"),
    args=(-1,),
    breaks=("XLF-OPT-003",),
)
def optional_data_len_off_by_one(delta: int) -> XlFile:
    f = B.xl("hvm", 3)
    assert f.config is not None
    f.optional_data_len = 4 + len(f.config) + delta
    return f


@recipe(
    "config-len-one-more",
    "config_len is one more than the configuration: 4 + config_len exceeds optional_data_len",
    tags=("config", "off-by-one"),
    breaks=("XLF-OPT-003",),
)
def config_len_one_more() -> XlFile:
    f = B.xl("hvm", 3)
    assert f.config is not None
    f.config_len = len(f.config) + 1
    f.optional_data_len = 4 + len(f.config)
    return f


@recipe(
    "config-len-one-less",
    "config_len is one less than the configuration: the JSON config loses its NUL to the "
    "optional data after it",
    tags=("config", "off-by-one"),
    breaks=("XLF-CFG-002",),
)
def config_len_one_less() -> XlFile:
    f = B.xl("hvm", 3)
    assert f.config is not None
    f.config_len = len(f.config) - 1
    f.optional_data_len = 4 + len(f.config)
    return f


@recipe(
    "json-flag-config-len-0",
    "the JSON flag is set but config_len is 0",
    tags=("config",),
    args=(False,),
    breaks=("XLF-CFG-001",),
)
@recipe(
    "json-flag-no-optional-data",
    "the JSON flag is set but optional_data_len is 0, so there is no configuration",
    tags=("config", "optional-data"),
    args=(True,),
    breaks=("XLF-CFG-001",),
)
def json_flag_without_config(no_optional_data: bool) -> XlFile:
    f = B.xl("hvm", 3)
    f.mandatory_flags = JSON_AND_V2
    f.config = None if no_optional_data else b""
    return f


@recipe(
    "json-config-without-nul",
    "the JSON configuration does not end with a NUL octet",
    tags=("config",),
    args=(b'{"c_info": {"type": "hvm", "name": "sample-hvm"}}',),
    breaks=("XLF-CFG-002",),
)
@recipe(
    "json-config-not-object",
    "the JSON configuration is a JSON array, not an object",
    tags=("config",),
    args=(b'["sample-hvm"]\x00',),
    breaks=("XLF-CFG-003",),
)
@recipe(
    "json-config-not-utf8",
    "the JSON configuration holds an octet that is not UTF-8 (0xff in a string)",
    tags=("config",),
    args=(b'{"c_info": {"name": "sample-\xff"}}\x00',),
    breaks=("XLF-CFG-003",),
)
@recipe(
    "json-config-syntax-error",
    "the JSON configuration stops in the middle of an object",
    tags=("config",),
    args=(b'{"c_info": {"type": "hvm",\x00',),
    breaks=("XLF-CFG-003",),
)
@recipe(
    "json-config-nul-inside",
    "the JSON configuration has a NUL before its end, so the text before the final NUL is not JSON",
    tags=("config",),
    args=(b'{"c_info": {}}\x00{}\x00',),
    breaks=("XLF-CFG-003",),
)
def json_config(config: bytes) -> XlFile:
    f = B.xl("hvm", 3)
    f.config = config
    f.mandatory_flags = JSON_AND_V2
    return f


@recipe(
    "no-config",
    "the file carries no configuration: optional_data_len 0",
    tags=("config", "optional-data"),
    args=(None,),
    permits=("XLF-CFG-005",),
)
@recipe(
    "config-len-0",
    "the file carries no configuration: config_len 0 (JSON flag clear), as xl writes it "
    "when it has none",
    tags=("config",),
    args=(b"",),
    permits=("XLF-CFG-005",),
)
def no_config(config: bytes | None) -> XlFile:
    f = B.xl("hvm", 3)
    f.config = config
    f.mandatory_flags = XlMandatoryFlag.STREAM_V2
    return f


# --- the stream after the header --------------------------------------------------------


@recipe(
    "stream-v2-but-libxc-stream",
    "the STREAMv2 flag is set but a bare libxc stream follows the optional data instead of "
    "a libxl stream",
    tags=("nesting", "xl-header"),
    breaks=("XLF-NEST-001",),
    guest="hvm",
    version=3,
    layers=("xl", "libxc"),
)
def stream_v2_but_libxc() -> XlFile:
    f = B.xl("hvm", 3)
    f.payload = B.to_bytes(B.xc("hvm", 3))
    f.mandatory_flags = JSON_AND_V2
    return f


@recipe(
    "byte-order-mismatch",
    "big-endian xl header words, but the libxl stream declares little-endian records",
    tags=("nesting", "big-endian", "xl-header"),
    breaks=("XLF-NEST-002",),
)
def byte_order_mismatch() -> XlFile:
    f = B.xl("hvm", 3)
    f.big_endian = True
    return f


@recipe(
    "trailing-data",
    "16 octets follow the libxl END record at the end of the file",
    tags=("trailing-data", "end-record"),
    breaks=("XL-END-003",),
)
def trailing_data() -> XlFile:
    f = B.xl("hvm", 3)
    f.trailer = b"\x00" * 8 + b"trailing"
    return f


def legacy_hvm_stream() -> bytes:
    """A small legacy (Xen 4.5, 64-bit toolstack) HVM stream as libxl wrote it after the
    xl header: p2m size, one page batch (pfn entries with the type in bits 31-28),
    TSC and console chunks, the end chunk, the HVM tail (ioreq, bufioreq and xenstore
    pfns, the HVM context), then the device model record."""
    pfns = [0, 1, 0xFEFFC]
    pages = b"".join(struct.pack("<Q", pfn) * 512 for pfn in pfns)
    out = struct.pack("<Q", 0xFF000)  # p2m_size
    out += struct.pack(f"<i{len(pfns)}Q", len(pfns), *pfns) + pages
    out += struct.pack("<iIQII", -7, 0, 55_000_000, 2_400_000, 1)  # TSC info chunk
    out += struct.pack("<iIQ", -8, 0, 0xFEFFD)  # console pfn chunk
    out += struct.pack("<i", 0)  # end of the chunks
    out += struct.pack("<QQQ", 0xFEFFF, 0xFEFFE, 0xFEFFC)
    blob = samples.hvm_context_blob(1)
    out += struct.pack("<I", len(blob)) + blob
    qemu = b"QEVM" + bytes(60)
    return out + b"DeviceModelRecord0002" + struct.pack("<I", len(qemu)) + qemu


@recipe(
    "legacy-stream",
    "STREAMv2 clear: a legacy (Xen 4.5) HVM stream follows the configuration",
    tags=("legacy-stream", "xl-header"),
    permits=("XLF-STR-001",),
    guest="hvm",
    profile=None,
    layers=("xl",),
    legacy=("hvm", 64),
)
def legacy_stream() -> XlFile:
    return XlFile(
        legacy_hvm_stream(),
        config=samples.domain_config("hvm"),
        mandatory_flags=XlMandatoryFlag.JSON,
    )
