"""Typed record bodies: encode to and decode from the bytes a record carries.

Each class keeps every field a writer could get wrong (counts, reserved words) as a
field of its own, so a test or corpus recipe can build a body that lies on purpose.
``decode`` never trusts a count to size an allocation: it reads only what the
bytes hold.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, Self

from .constants import (
    PAGE_DATA_PFN_MASK,
    PAGE_DATA_TYPE_SHIFT,
    PAGE_TYPES_WITHOUT_DATA,
    XcRecType,
)

Endian = str  # "<" or ">"


class Body(Protocol):
    """Anything a writer can turn into record body bytes."""

    def encode(self, endian: Endian) -> bytes: ...


def pfn_entry(pfn: int, page_type: int, reserved: int = 0) -> int:
    """Pack a PAGE_DATA entry: type in bits 63-60, reserved 59-52, pfn 51-0."""
    return (page_type << PAGE_DATA_TYPE_SHIFT) | ((reserved & 0xFF) << 52) | pfn


def split_pfn_entry(entry: int) -> tuple[int, int, int]:
    """Return (pfn, type, reserved bits) of a PAGE_DATA entry."""
    return entry & PAGE_DATA_PFN_MASK, entry >> PAGE_DATA_TYPE_SHIFT, (entry >> 52) & 0xFF


def has_data(page_type: int) -> bool:
    return page_type not in PAGE_TYPES_WITHOUT_DATA


@dataclass
class PageData:
    """PAGE_DATA: ``entries`` are raw 64-bit pfn entries; ``pages`` the page contents."""

    TYPE: ClassVar[int] = XcRecType.PAGE_DATA
    entries: list[int] = field(default_factory=list)
    pages: list[bytes] = field(default_factory=list)
    count: int | None = None  # None: len(entries)
    reserved: int = 0

    @classmethod
    def of(
        cls, pfns: Iterable[tuple[int, int]], page_size: int = 4096, fill: bytes | None = None
    ) -> PageData:
        """Build a record for (pfn, type) pairs, with one page for each data-bearing pfn.

        Pages default to a pattern derived from the pfn, so every page differs.
        """
        entries, pages = [], []
        for pfn, ptype in pfns:
            entries.append(pfn_entry(pfn, ptype))
            if has_data(ptype):
                if fill is not None:
                    pages.append((fill * (page_size // len(fill) + 1))[:page_size])
                else:
                    pages.append(struct.pack("<Q", pfn) * (page_size // 8))
        return cls(entries, pages)

    def encode(self, endian: Endian) -> bytes:
        n = len(self.entries) if self.count is None else self.count
        head = struct.pack(f"{endian}II{len(self.entries)}Q", n, self.reserved, *self.entries)
        return head + b"".join(self.pages)

    @classmethod
    def decode_header(cls, body: bytes, endian: Endian) -> tuple[int, int, list[int]]:
        """(count, reserved, entries) from the first bytes of a body; entries capped by bytes."""
        count, reserved = struct.unpack_from(f"{endian}II", body, 0)
        avail = min(count, (len(body) - 8) // 8)
        return count, reserved, list(struct.unpack_from(f"{endian}{avail}Q", body, 8))


@dataclass
class PvInfo:
    TYPE: ClassVar[int] = XcRecType.X86_PV_INFO
    guest_width: int = 8
    pt_levels: int = 4
    reserved: bytes = b"\x00" * 6

    def encode(self, endian: Endian) -> bytes:
        return struct.pack("BB", self.guest_width, self.pt_levels) + self.reserved

    @classmethod
    def decode(cls, body: bytes, endian: Endian) -> Self:
        return cls(body[0], body[1], bytes(body[2:8]))


@dataclass
class P2mFrames:
    TYPE: ClassVar[int] = XcRecType.X86_PV_P2M_FRAMES
    start_pfn: int = 0
    end_pfn: int = 0
    frames: list[int] = field(default_factory=list)

    def encode(self, endian: Endian) -> bytes:
        return struct.pack(
            f"{endian}II{len(self.frames)}Q", self.start_pfn, self.end_pfn, *self.frames
        )

    @classmethod
    def decode(cls, body: bytes, endian: Endian) -> Self:
        s, e = struct.unpack_from(f"{endian}II", body)
        n = (len(body) - 8) // 8
        return cls(s, e, list(struct.unpack_from(f"{endian}{n}Q", body, 8)))


@dataclass
class VcpuContext:
    """X86_PV_VCPU_{BASIC,EXTENDED,XSAVE,MSRS}: a vCPU id and an opaque blob."""

    vcpu_id: int = 0
    context: bytes = b""
    reserved: int = 0

    def encode(self, endian: Endian) -> bytes:
        return struct.pack(f"{endian}II", self.vcpu_id, self.reserved) + self.context

    @classmethod
    def decode(cls, body: bytes, endian: Endian) -> Self:
        vid, res = struct.unpack_from(f"{endian}II", body)
        return cls(vid, bytes(body[8:]), res)


@dataclass
class PvBasicContext(VcpuContext):
    """X86_PV_VCPU_BASIC built from a little-endian vcpu_guest_context: written in the
    stream's byte order (the sample and corpus builders use it; a loaded image keeps
    its context as :class:`VcpuContext` octets)."""

    def encode(self, endian: Endian) -> bytes:
        from . import pv_context

        ctx = self.context
        width = pv_context.width_of_size(len(ctx))
        if endian == ">" and width is not None:
            ctx = pv_context.byteswap(ctx, width)
        return struct.pack(f"{endian}II", self.vcpu_id, self.reserved) + ctx


@dataclass
class TscInfo:
    TYPE: ClassVar[int] = XcRecType.X86_TSC_INFO
    mode: int = 0
    khz: int = 0
    nsec: int = 0
    incarnation: int = 0
    reserved: int = 0

    def encode(self, endian: Endian) -> bytes:
        return struct.pack(
            f"{endian}IIQII", self.mode, self.khz, self.nsec, self.incarnation, self.reserved
        )

    @classmethod
    def decode(cls, body: bytes, endian: Endian) -> Self:
        return cls(*struct.unpack_from(f"{endian}IIQII", body))


@dataclass
class HvmParams:
    TYPE: ClassVar[int] = XcRecType.HVM_PARAMS
    params: list[tuple[int, int]] = field(default_factory=list)
    count: int | None = None
    reserved: int = 0

    def encode(self, endian: Endian) -> bytes:
        n = len(self.params) if self.count is None else self.count
        flat = [x for pair in self.params for x in pair]
        return struct.pack(f"{endian}II{len(flat)}Q", n, self.reserved, *flat)

    @classmethod
    def decode(cls, body: bytes, endian: Endian) -> Self:
        count, res = struct.unpack_from(f"{endian}II", body)
        n = min(count, (len(body) - 8) // 16)
        flat = struct.unpack_from(f"{endian}{2 * n}Q", body, 8)
        return cls(list(zip(flat[0::2], flat[1::2], strict=True)), count, res)


@dataclass
class CpuidPolicy:
    """X86_CPUID_POLICY: xen_cpuid_leaf_t entries (leaf, subleaf, a, b, c, d)."""

    TYPE: ClassVar[int] = XcRecType.X86_CPUID_POLICY
    leaves: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)

    def encode(self, endian: Endian) -> bytes:
        return b"".join(struct.pack(f"{endian}6I", *leaf) for leaf in self.leaves)

    @classmethod
    def decode(cls, body: bytes, endian: Endian) -> Self:
        return cls(
            [struct.unpack_from(f"{endian}6I", body, o) for o in range(0, len(body) - 23, 24)]
        )


@dataclass
class MsrPolicy:
    """X86_MSR_POLICY: xen_msr_entry_t entries (idx, flags, val)."""

    TYPE: ClassVar[int] = XcRecType.X86_MSR_POLICY
    entries: list[tuple[int, int, int]] = field(default_factory=list)

    def encode(self, endian: Endian) -> bytes:
        return b"".join(struct.pack(f"{endian}IIQ", *e) for e in self.entries)

    @classmethod
    def decode(cls, body: bytes, endian: Endian) -> Self:
        return cls(
            [struct.unpack_from(f"{endian}IIQ", body, o) for o in range(0, len(body) - 15, 16)]
        )


@dataclass
class PfnList:
    """CHECKPOINT_DIRTY_PFN_LIST: a bare array of u64 pfns."""

    TYPE: ClassVar[int] = XcRecType.CHECKPOINT_DIRTY_PFN_LIST
    pfns: list[int] = field(default_factory=list)

    def encode(self, endian: Endian) -> bytes:
        return struct.pack(f"{endian}{len(self.pfns)}Q", *self.pfns)

    @classmethod
    def decode(cls, body: bytes, endian: Endian) -> Self:
        return cls(list(struct.unpack_from(f"{endian}{len(body) // 8}Q", body)))


# --- libxl bodies -------------------------------------------------------------


def encode_xenstore(pairs: Sequence[tuple[str | bytes, str | bytes]]) -> bytes:
    """Pack key/value pairs as consecutive NUL-terminated strings."""
    out = bytearray()
    for key, value in pairs:
        for s in (key, value):
            out += (s.encode() if isinstance(s, str) else s) + b"\x00"
    return bytes(out)


def decode_xenstore(data: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Split packed strings into pairs; returns (pairs, leftover) where leftover is a
    dangling key or unterminated tail the caller should report."""
    parts = data.split(b"\x00")
    tail = parts.pop()  # after the last NUL: b"" when well terminated
    pairs = list(zip(parts[0::2], parts[1::2], strict=False))
    leftover = (parts[-1] + b"\x00" if len(parts) % 2 else b"") + tail
    return pairs, leftover


@dataclass
class EmulatorRecord:
    """EMULATOR_XENSTORE_DATA / EMULATOR_CONTEXT: emulator sub-header, then data."""

    emulator_id: int = 2
    index: int = 0
    data: bytes = b""

    def encode(self, endian: Endian) -> bytes:
        return struct.pack(f"{endian}II", self.emulator_id, self.index) + self.data

    @classmethod
    def decode(cls, body: bytes, endian: Endian) -> Self:
        eid, idx = struct.unpack_from(f"{endian}II", body)
        return cls(eid, idx, bytes(body[8:]))


@dataclass
class CheckpointState:
    """CHECKPOINT_STATE: libxl writes only the 4-byte control_id (the record padding
    follows); ``extra`` lets a test append the octets a longer body would carry."""

    control_id: int = 0
    extra: bytes = b""

    def encode(self, endian: Endian) -> bytes:
        return struct.pack(f"{endian}I", self.control_id) + self.extra

    @classmethod
    def decode(cls, body: bytes, endian: Endian) -> Self:
        return cls(struct.unpack_from(f"{endian}I", body)[0], bytes(body[4:]))
