"""The legacy (Xen 4.5 and older) libxc image: constants, a model and a writer.

The legacy image has no magic and no version. Its words come in two widths: the
toolstack's ``unsigned long`` (4 octets for a 32-bit toolstack, 8 for a 64-bit one)
and fixed 32/64-bit fields. Everything is little-endian (x86 only). The layout is
normative in ``ksy/xen_legacy_libxc_image.ksy``; the rules are in ``spec/legacy.md``.

The writer exists because no real legacy images are at hand: tests and the corpus
build them from a model, deterministically, and compare conversions with the model.
"""

from __future__ import annotations

import struct

from .._codes import IntEnum
from .._slots import Struct, field
from ..constants import HvmParam

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from typing import Literal

    Guest = Literal["pv", "hvm"]
    Width = Literal[32, 64]

#: What a conversion writes as the libxc domain header's xen_minor (xen_major is 0).
CONVERTER_VERSION = 1

PAGE_SIZE = 4096
#: The largest page batch Xen's legacy restorer accepts.
MAX_BATCH = 1024
#: vCPU ids must stay below this (the restorer's bitmap size).
MAX_VCPUS = 4096
#: The restorer's limit on the number of unmapped pfns in the PV tail.
MAX_UNMAPPED = 1 << 28
#: Octets of each vCPU's extended context in the PV tail (present with ``extv``).
EXT_VCPU_SIZE = 128
#: Size of vcpu_guest_context for a 32-bit and a 64-bit PV guest.
VCPU_SIZE_X86_32 = 2800
VCPU_SIZE_X86_64 = 5168
#: The pfn-type nibble lives in bits 28-31 of each pfn word; the pfn in bits 0-27.
LEGACY_TYPE_SHIFT = 28
LEGACY_PFN_MASK = (1 << 28) - 1
#: What xc_domain_save writes for pfns it could not map: type XTAB, pfn 0.
XTAB_FILLER = 0xF0000000
QEVM_MAGIC = b"QEVM"


class Chunk(IntEnum):
    """Negative chunk types of the legacy body (XC_SAVE_ID_* in Xen's sources)."""

    END = 0
    ENABLE_VERIFY_MODE = -1
    VCPU_INFO = -2
    HVM_IDENT_PT = -3
    HVM_VM86_TSS = -4
    TMEM = -5
    TMEM_EXTRA = -6
    TSC_INFO = -7
    HVM_CONSOLE_PFN = -8
    LAST_CHECKPOINT = -9
    HVM_ACPI_IOPORTS_LOCATION = -10
    HVM_VIRIDIAN = -11
    COMPRESSED_DATA = -12
    ENABLE_COMPRESSION = -13
    HVM_GENERATION_ID_ADDR = -14
    HVM_PAGING_RING_PFN = -15
    HVM_MONITOR_RING_PFN = -16
    HVM_SHARING_RING_PFN = -17
    TOOLSTACK = -18
    HVM_IOREQ_SERVER_PFN = -19
    HVM_NR_IOREQ_SERVER_PAGES = -20


#: Chunks that carry one HVM parameter (a zero u32, then the u64 value), and which.
HVM_PARAM_CHUNKS: dict[int, int] = {
    Chunk.HVM_IDENT_PT: HvmParam.IDENT_PT,
    Chunk.HVM_VM86_TSS: HvmParam.VM86_TSS,
    Chunk.HVM_CONSOLE_PFN: HvmParam.CONSOLE_PFN,
    Chunk.HVM_ACPI_IOPORTS_LOCATION: HvmParam.ACPI_IOPORTS_LOCATION,
    Chunk.HVM_VIRIDIAN: HvmParam.VIRIDIAN,
    Chunk.HVM_GENERATION_ID_ADDR: HvmParam.VM_GENERATION_ID_ADDR,
    Chunk.HVM_PAGING_RING_PFN: HvmParam.PAGING_RING_PFN,
    Chunk.HVM_MONITOR_RING_PFN: HvmParam.MONITOR_RING_PFN,
    Chunk.HVM_SHARING_RING_PFN: HvmParam.SHARING_RING_PFN,
    Chunk.HVM_IOREQ_SERVER_PFN: HvmParam.IOREQ_SERVER_PFN,
    Chunk.HVM_NR_IOREQ_SERVER_PAGES: HvmParam.NR_IOREQ_SERVER_PAGES,
}

#: The three device-model record signatures of the HVM tail.
DM_QEMU_TO_EOF = b"QemuDeviceModelRecord"  # qemu's state to the end of the input
DM_RECORD_0002 = b"DeviceModelRecord0002"  # u32 length, then the state
DM_REMUS = b"RemusDeviceModelState"  # same framing as DeviceModelRecord0002
DM_SIGNATURES = (DM_QEMU_TO_EOF, DM_RECORD_0002, DM_REMUS)
DM_SIG_SIZE = 21

#: Page types (bits 28-31) without page data.
NO_DATA_TYPES = frozenset({0xD, 0xE, 0xF})


def chunk_name(ctype: int) -> str:
    if ctype > 0:
        return "PAGE_BATCH"
    try:
        return Chunk(ctype).name
    except ValueError:
        return f"UNKNOWN_{ctype}"


def word_size(width: int) -> int:
    return 4 if width == 32 else 8


def word_fmt(width: int) -> str:
    return "I" if width == 32 else "Q"


def p2m_frame_count(p2m_size: int, guest_width: int) -> int:
    """Entries of the PV p2m frame list: one per page of the p2m table."""
    per_page = PAGE_SIZE // guest_width
    return (p2m_size + per_page - 1) // per_page


def has_data(word: int) -> bool:
    return ((word >> LEGACY_TYPE_SHIFT) & 0xF) not in NO_DATA_TYPES


# --- model ------------------------------------------------------------------------


class PageBatch(Struct):
    """A positive chunk: pfn words (type in bits 28-31) and one page per data pfn.
    In a compressed body (after ENABLE_COMPRESSION) ``pages`` stays empty."""

    words: list[int]
    pages: list[bytes] = field(default_factory=list)
    count: int | None = None  # None: len(words)


class RawChunk(Struct):
    """A negative chunk: its type and the payload octets as written."""

    type: int
    payload: bytes = b""


BodyItem = PageBatch | RawChunk


class PvTail(Struct):
    unmapped: list[int] = field(default_factory=list)
    vcpus: list[bytes] = field(default_factory=list)  # one context per online vCPU
    extended: list[bytes] = field(default_factory=list)  # 128 octets each, with extv
    xsave: list[tuple[int, bytes]] = field(default_factory=list)  # (mask, area), with xcnt
    shared_info: bytes = bytes(PAGE_SIZE)
    unmapped_count: int | None = None


class HvmTail(Struct):
    magic_pfns: tuple[int, int, int] = (0, 0, 0)  # ioreq, bufioreq, store
    context: bytes = b""
    dm_signature: bytes = DM_RECORD_0002
    dm_data: bytes = b""
    dm_length: int | None = None  # None: len(dm_data); unused for QemuDeviceModelRecord


class Checkpoint(Struct):
    body: list[BodyItem] = field(default_factory=list)
    tail: PvTail | HvmTail | None = None


class LegacyImage(Struct):
    width: Width = 64
    guest: Guest = "hvm"
    p2m_size: int = 0
    ext_blocks: list[tuple[bytes, bytes]] = field(default_factory=list)  # PV only
    ext_total: int | None = None  # None: what the blocks add up to
    p2m_frames: list[int] = field(default_factory=list)  # PV only
    checkpoints: list[Checkpoint] = field(default_factory=list)
    trailer: bytes = b""

    @property
    def guest_width(self) -> int:
        """4 or 8, from the size of the ``vcpu`` extended-info block (PV)."""
        for bid, data in self.ext_blocks:
            if bid == b"vcpu":
                return 8 if len(data) == VCPU_SIZE_X86_64 else 4
        return 8


# --- chunk payload helpers -------------------------------------------------------------


def vcpu_info(max_id: int, online: list[int]) -> RawChunk:
    words = [0] * (max_id // 64 + 1)
    for v in online:
        words[v // 64] |= 1 << (v % 64)
    return RawChunk(Chunk.VCPU_INFO, struct.pack(f"<i{len(words)}Q", max_id, *words))


def hvm_param(ctype: int, value: int, pad: int = 0) -> RawChunk:
    return RawChunk(ctype, struct.pack("<IQ", pad, value))


def tsc_info(mode: int, nsec: int, khz: int, incarnation: int) -> RawChunk:
    return RawChunk(Chunk.TSC_INFO, struct.pack("<IQII", mode, nsec, khz, incarnation))


def toolstack(data: bytes) -> RawChunk:
    return RawChunk(Chunk.TOOLSTACK, struct.pack("<I", len(data)) + data)


def compressed(data: bytes, width: int) -> RawChunk:
    return RawChunk(Chunk.COMPRESSED_DATA, struct.pack(f"<{word_fmt(width)}", len(data)) + data)


def marker(ctype: int) -> RawChunk:
    return RawChunk(ctype)


def ext_vcpu_block(context: bytes) -> tuple[bytes, bytes]:
    return (b"vcpu", context)


def ext_xcnt_block(size: int) -> tuple[bytes, bytes]:
    return (b"xcnt", struct.pack("<I", size))


# --- physmap (libxl's legacy toolstack record) ----------------------------------------


class PhysmapEntry(Struct):
    phys_offset: int
    start_addr: int
    size: int
    name: bytes  # without the NUL


def encode_physmap(entries: list[PhysmapEntry], width: int, version: int = 1) -> bytes:
    """libxl's legacy toolstack record: version, count, then entries whose name carries
    four stray octets after its NUL when a 64-bit toolstack wrote it."""
    out = [struct.pack("<II", version, len(entries))]
    for e in entries:
        name = e.name + b"\x00"
        out.append(struct.pack("<QQQI", e.phys_offset, e.start_addr, e.size, len(name)))
        out.append(name + (b"\x00" * 4 if width == 64 else b""))
    return b"".join(out)


class PhysmapError(ValueError):
    pass


def decode_physmap(data: bytes, width: int) -> list[PhysmapEntry]:
    if len(data) < 8:
        raise PhysmapError(f"{len(data)} octets: too short for version and count")
    version, count = struct.unpack_from("<II", data)
    if version != 1:
        raise PhysmapError(f"version {version}; only version 1 is defined")
    pos = 8
    extra = 4 if width == 64 else 0
    entries = []
    for i in range(count):
        if len(data) - pos < 28:
            raise PhysmapError(f"entry {i}: header runs past the end of the record")
        phys, start, size, namelen = struct.unpack_from("<QQQI", data, pos)
        pos += 28
        if namelen == 0:
            raise PhysmapError(f"entry {i}: name length is 0")
        if len(data) - pos < namelen + extra:
            raise PhysmapError(f"entry {i}: name runs past the end of the record")
        name = data[pos : pos + namelen]
        pos += namelen + extra
        if name[-1] != 0:
            raise PhysmapError(f"entry {i}: name is not NUL-terminated")
        entries.append(PhysmapEntry(phys, start, size, name[:-1]))
    if pos != len(data):
        raise PhysmapError(f"{len(data) - pos} octets follow the last entry")
    return entries


def physmap_xenstore(entries: list[PhysmapEntry]) -> bytes:
    """The physmap as the key/value strings of an EMULATOR_XENSTORE_DATA record."""
    out = []
    for e in entries:
        root = f"physmap/{e.phys_offset:x}".encode()
        out += [
            root + b"/start_addr",
            f"{e.start_addr:x}".encode(),
            root + b"/size",
            f"{e.size:x}".encode(),
            root + b"/name",
            e.name,
        ]
    return b"".join(s + b"\x00" for s in out)


# --- Remus compression -------------------------------------------------------------------

RUN_SKIP = 0x80
RUN_LEN_MASK = 0x7F
PAGE_EMPTY = 0x00  # the page did not change
PAGE_FULL = 0x80  # a whole page follows


class CompressionError(ValueError):
    pass


def compress_page(new: bytes, old: bytes | None) -> bytes:
    """Encode one page against the receiver's copy (a test-side helper): a whole page
    when there is no copy, else runs of 4-octet words that changed (copied) or did not
    (skipped), at most 127 words per run."""
    if old is None:
        return bytes([PAGE_FULL]) + new
    if new == old:
        return bytes([PAGE_EMPTY])
    out = bytearray()
    n = PAGE_SIZE // 4
    i = 0
    while i < n:
        changed = new[4 * i : 4 * i + 4] != old[4 * i : 4 * i + 4]
        j = i
        while (
            j < n
            and j - i < RUN_LEN_MASK
            and (new[4 * j : 4 * j + 4] != old[4 * j : 4 * j + 4]) == changed
        ):
            j += 1
        out.append((j - i) | (0 if changed else RUN_SKIP))
        if changed:
            out += new[4 * i : 4 * j]
        i = j
    return bytes(out)


def split_compressed(data: bytes) -> list[tuple[int, int, int]]:
    """Page boundaries of a compressed buffer: (start, end, kind) with kind 0 empty,
    1 full page, 2 runs. Raises CompressionError where the encoding is broken."""
    pages = []
    pos = 0
    n = len(data)
    while pos < n:
        first = data[pos]
        if first == PAGE_EMPTY:
            pages.append((pos, pos + 1, 0))
            pos += 1
            continue
        if first == PAGE_FULL:
            if pos + 1 + PAGE_SIZE > n:
                raise CompressionError(f"whole page at {pos} runs past the buffer")
            pages.append((pos, pos + 1 + PAGE_SIZE, 1))
            pos += 1 + PAGE_SIZE
            continue
        start = pos
        pagepos = 0
        while pagepos < PAGE_SIZE and pos < n:
            b = data[pos]
            length = (b & RUN_LEN_MASK) * 4
            if not length:
                raise CompressionError(f"zero-length run at {pos}")
            pos += 1
            if pagepos + length > PAGE_SIZE:
                raise CompressionError(f"run at {pos - 1} overruns the page")
            if not b & RUN_SKIP:
                if pos + length > n:
                    raise CompressionError(f"run at {pos - 1} runs past the buffer")
                pos += length
            pagepos += length
        if pagepos < PAGE_SIZE:
            raise CompressionError(f"page at {start} ends before 4096 octets")
        pages.append((start, pos, 2))
    return pages


def apply_compressed(data: bytes, start: int, end: int, kind: int, old: bytes) -> bytes:
    """One page decoded from ``data[start:end]`` against the previous contents ``old``."""
    if kind == 0:
        return old
    if kind == 1:
        return data[start + 1 : end]
    page = bytearray(old)
    pos = start
    pagepos = 0
    while pos < end:
        b = data[pos]
        length = (b & RUN_LEN_MASK) * 4
        pos += 1
        if not b & RUN_SKIP:
            page[pagepos : pagepos + length] = data[pos : pos + length]
            pos += length
        pagepos += length
    return bytes(page)


# --- writer -------------------------------------------------------------------------------


def encode(image: LegacyImage) -> bytes:
    """The image as bytes, exactly as modelled (counts and lengths may lie)."""
    wf = "<" + word_fmt(image.width)
    ws = word_size(image.width)
    out = [struct.pack(wf, image.p2m_size)]
    if image.guest == "pv":
        blocks = b"".join(struct.pack("<4sI", bid, len(d)) + d for bid, d in image.ext_blocks)
        total = len(blocks) if image.ext_total is None else image.ext_total
        out.append(b"\xff" * ws + struct.pack("<I", total) + blocks)
        out.append(
            struct.pack(f"<{len(image.p2m_frames)}{word_fmt(image.width)}", *image.p2m_frames)
        )
    for cp in image.checkpoints:
        for item in cp.body:
            if isinstance(item, PageBatch):
                n = len(item.words) if item.count is None else item.count
                out.append(struct.pack("<i", n))
                out.append(struct.pack(f"<{len(item.words)}{word_fmt(image.width)}", *item.words))
                out.extend(item.pages)
            else:
                out.append(struct.pack("<i", item.type) + item.payload)
        out.append(struct.pack("<i", 0))
        tail = cp.tail
        if isinstance(tail, PvTail):
            n = len(tail.unmapped) if tail.unmapped_count is None else tail.unmapped_count
            out.append(
                struct.pack(f"<I{len(tail.unmapped)}{word_fmt(image.width)}", n, *tail.unmapped)
            )
            for i, ctx in enumerate(tail.vcpus):
                out.append(ctx)
                if i < len(tail.extended):
                    out.append(tail.extended[i])
                if i < len(tail.xsave):
                    mask, area = tail.xsave[i]
                    out.append(struct.pack("<QQ", mask, len(area)) + area)
            out.append(tail.shared_info)
        elif isinstance(tail, HvmTail):
            out.append(struct.pack("<3QI", *tail.magic_pfns, len(tail.context)) + tail.context)
            out.append(tail.dm_signature)
            if tail.dm_signature != DM_QEMU_TO_EOF:
                n = len(tail.dm_data) if tail.dm_length is None else tail.dm_length
                out.append(struct.pack("<I", n))
            out.append(tail.dm_data)
    out.append(image.trailer)
    return b"".join(out)
