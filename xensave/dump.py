"""``xensave dump``: every layer and record of an image, with offsets and decoded fields.

Built on the streaming reader, so memory stays flat whatever the image size: page
contents are never read (they are skipped by seek, or through one reusable buffer on
a pipe), and both outputs are written as the events arrive. The text output folds
runs of consecutive PAGE_DATA records into one line (``--all`` lists each); the JSON
output lists every item.

Register state is decoded too: each X86_PV_VCPU_BASIC through :mod:`.pv_context` (the
guest width from X86_PV_INFO), each HVM_CONTEXT through :mod:`.hvm_context` (every
entry, and the registers of each vCPU's CPU entry); CPUID and MSR policies are listed
entry by entry and HVM parameters by name. The text shows the main registers; the JSON
holds every decoded field.

This module describes what the bytes say; it does not judge (``xensave verify`` does).
A field that cannot be decoded (a body too short for it) is shown as such rather
than raising.
"""

from __future__ import annotations

import json
import re
import struct
import sys
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from . import devmodel, pv_context
from .console import error_json, plural
from .constants import (
    PAGE_TYPES_WITHOUT_DATA,
    PV_VCPU_CONTEXT_SIZE,
    VCPU_RECORDS,
    CheckpointControl,
    DomainType,
    EmulatorId,
    HvmParam,
    LibxlRecType,
    PageType,
    TscMode,
    XcRecType,
    XlMandatoryFlag,
)
from .reader import (
    Event,
    LibvirtHeader,
    LibxlHeader,
    Reader,
    ReadError,
    ReadOptions,
    RecordEvent,
    Trailer,
    XapiHeader,
    XapiKind,
    XcDomainHeader,
    XcImageHeader,
    XlHeader,
)
from .xend import XendHeader

if TYPE_CHECKING:
    from .legacy.read import LegacyOptions

Item = dict[str, Any]

_PAGE_TYPE_NAMES = {int(t): t.name for t in PageType}
#: The type nibble of each possible top byte of a pfn entry, as a translate table.
_TOP_TO_TYPE = bytes(b >> 4 for b in range(256))
_LOW_NIBBLE = bytes(b & 0x0F for b in range(256))
_DESCRIPTOR_LIMIT = 4096  # HVM context descriptors listed at most
#: Where page contents fall is reported modulo this (the page size, and the block
#: size of the filesystems that share blocks between files).
ALIGN = 4096


def _enum_name(enum: Any, value: int) -> str:
    try:
        return str(enum(value).name)
    except ValueError:
        return f"unknown ({value:#x})"


# --- decoding record bodies -------------------------------------------------------


@dataclass
class PageStats:
    """What a PAGE_DATA record (or a run of them) holds, without its page contents."""

    records: int = 0
    count: int = 0  # sum of the declared counts
    entries: int = 0  # pfn entries present
    pages: int = 0  # entries whose type carries data
    page_bytes: int = 0
    pfn_min: int | None = None
    pfn_max: int | None = None
    types: dict[int, int] = field(default_factory=dict)
    reserved_nonzero: int = 0  # records whose reserved word is not zero
    sampled: int = 0  # entries of long arrays of which only a prefix was read
    #: offset of the page contents modulo ALIGN -> records (those with contents)
    mods: dict[int, int] = field(default_factory=dict)
    aligned_bytes: int = 0  # page contents that start on an ALIGN boundary

    def add_record(self, ev: RecordEvent) -> None:
        self.records += 1
        self.page_bytes += ev.page_bytes
        if ev.page_bytes:
            mod = (ev.body_offset + ev.length - ev.page_bytes) % ALIGN
            self.mods[mod] = self.mods.get(mod, 0) + 1
            if not mod:
                self.aligned_bytes += ev.page_bytes
        body = ev.body
        if len(body) < 8:
            return
        count, reserved = struct.unpack_from(f"{ev.endian}II", body)
        self.count += count
        if reserved:
            self.reserved_nonzero += 1
        n = (len(body) - 8) // 8
        if not n:
            return
        self.entries += n
        raw = body[8 : 8 + 8 * n]
        tops = raw[7::8] if ev.endian == "<" else raw[0::8]
        nibbles = tops.translate(_TOP_TO_TYPE)
        pages = 0
        for t in set(nibbles):
            c = nibbles.count(t)
            self.types[t] = self.types.get(t, 0) + c
            if t not in PAGE_TYPES_WITHOUT_DATA:
                pages += c
        if not ev.body_complete and ev.pfn_entries > n:
            # the reader kept a prefix of a long array (types and pfn range are the
            # prefix's) and counted the rest; -1: not counted (over REC_LENGTH_MAX)
            self.entries += ev.pfn_entries - n
            self.sampled += ev.pfn_entries - n
            pages = max(ev.data_entries, pages)
        self.pages += pages
        lo, hi = _pfn_min_max(raw, ev.endian)
        self.pfn_min = lo if self.pfn_min is None else min(self.pfn_min, lo)
        self.pfn_max = hi if self.pfn_max is None else max(self.pfn_max, hi)

    def type_counts(self) -> dict[str, int]:
        return {
            _PAGE_TYPE_NAMES.get(t, f"RESERVED_{t}"): c
            for t, c in sorted(self.types.items(), key=lambda kv: (-kv[1], kv[0]))
        }

    def to_json(self) -> Item:
        return {
            "count": self.count,
            "entries": self.entries,
            "pages": self.pages,
            "page_bytes": self.page_bytes,
            "pfn_min": self.pfn_min,
            "pfn_max": self.pfn_max,
            "types": self.type_counts(),
            **(
                {"records_with_reserved_set": self.reserved_nonzero}
                if self.reserved_nonzero
                else {}
            ),
            **({"entries_not_in_types": self.sampled} if self.sampled else {}),
            **({"contents_offset_mod_4096": self.mods} if self.mods else {}),
        }

    def alignment(self) -> str:
        """Where the page contents start, modulo ALIGN: the alignment report."""
        with_pages = sum(self.mods.values())
        if not with_pages:
            return ""
        if with_pages == 1:
            mod = next(iter(self.mods))
            return "contents page-aligned" if not mod else f"contents at {mod:#x} mod 4096"
        aligned = self.mods.get(0, 0)
        text = f"contents page-aligned in {aligned} of {with_pages}"
        others = sorted((m, n) for m, n in self.mods.items() if m)
        if others:
            shown = ", ".join(f"{m:#x} x{n}" if n > 1 else f"{m:#x}" for m, n in others[:4])
            more = f", {len(others) - 4} more" if len(others) > 4 else ""
            text += f" (others at {shown}{more} mod 4096)"
        return text

    def text(self) -> str:
        pfns = f"{self.entries} pfns"
        if self.pfn_min is not None:
            pfns += f" {self.pfn_min:#x}-{self.pfn_max:#x}"
        if self.count != self.entries:
            pfns += f" (counts declare {self.count})"
        types = ", ".join(f"{k} {v}" for k, v in self.type_counts().items())
        out = f"{pfns}, {self.pages} pages"
        if types:
            out += f", types: {types}"
        if self.reserved_nonzero:
            out += f", reserved word set in {self.reserved_nonzero}"
        if self.sampled:
            out += f" (pfn range and types leave out {self.sampled} entries of long arrays)"
        where = self.alignment()
        return f"{out}, {where}" if where else out

    def total(self) -> str:
        """The whole image's alignment line (empty without page contents)."""
        with_pages = sum(self.mods.values())
        if not with_pages:
            return ""
        aligned = self.mods.get(0, 0)
        share = self.aligned_bytes / self.page_bytes if self.page_bytes else 0.0
        return (
            f"page contents: {aligned} of {with_pages} PAGE_DATA records start on a "
            f"4096-byte boundary ({self.aligned_bytes} of {self.page_bytes} bytes, {share:.0%})"
        )


def _pfn_min_max(raw: bytes, endian: str) -> tuple[int, int]:
    """Smallest and largest pfn (bits 0-51) of packed u64 entries, at C speed: clear
    the type and reserved bits (52-63) in a copy, then let an array compare."""
    buf = bytearray(raw)
    top, next_byte = (7, 6) if endian == "<" else (0, 1)
    buf[top::8] = bytes(len(buf) // 8)
    buf[next_byte::8] = buf[next_byte::8].translate(_LOW_NIBBLE)
    values = array("Q", buf)
    if (endian == "<") != (sys.byteorder == "little"):
        values.byteswap()
    return min(values), max(values)


def _hvm_descriptors(blob: bytes) -> tuple[list[tuple[int, int, int]], int]:
    """(typecode, instance, length) of each HVM context descriptor the blob holds, and
    the number of bytes they account for."""
    out: list[tuple[int, int, int]] = []
    pos = 0
    while pos + 8 <= len(blob) and len(out) < _DESCRIPTOR_LIMIT:
        code, inst, length = struct.unpack_from("<HHI", blob, pos)
        out.append((code, inst, length))
        pos += 8 + length
        if code == 0:
            break
    return out, min(pos, len(blob))


def _compress(names: list[str]) -> str:
    """ "CPU, CPU, PIC" -> "CPU x2, PIC"."""
    parts: list[str] = []
    prev, n = None, 0
    for name in [*names, None]:
        if name == prev:
            n += 1
            continue
        if prev is not None:
            parts.append(prev if n == 1 else f"{prev} x{n}")
        prev, n = name, 1
    return ", ".join(parts)


def decode_record(ev: RecordEvent, guest_width: int | None = None) -> tuple[Item, str, list[str]]:
    """Decoded fields (for JSON), a one-line summary, and detail lines, of one record.
    PAGE_DATA is handled by PageStats instead. ``guest_width``: that of the stream's
    X86_PV_INFO, which picks the layout of X86_PV_VCPU_BASIC (without it, the size does)."""
    try:
        if ev.layer == "libxc":
            return _decode_xc(ev, guest_width)
        return _decode_xl(ev)
    except (struct.error, ValueError, IndexError) as exc:
        return {"undecodable": str(exc)}, f"undecodable body ({exc})", []


def _hex(value: int) -> str:
    return f"{value:#x}"


def _pv_basic(ctx: bytes, width: int | None, endian: str) -> tuple[Item | None, list[str]]:
    """JSON fields and text lines of a vcpu_guest_context (None, [] if it cannot be read
    in the guest's layout)."""
    c = pv_context.decode_or_none(ctx, width, endian)
    if c is None:
        return None, []
    r, u, w = c.registers(), c.user_regs, c.width
    item = c.to_json()
    item["fpu_ctxt"] = ctx[: pv_context.FPU_SIZE].hex()
    item["registers"] = r
    flags = "|".join(pv_context.flag_names(c.flags, w)) or "none"
    p = "e" if w == 4 else "r"
    lines = [
        f"{p}ip {_hex(r['rip'])}  {p}sp {_hex(r['rsp'])}  {p}flags {_hex(r['rflags'])}  "
        f"flags {_hex(c.flags)} [{flags}]",
        f"cr0 {_hex(r['cr0'])}  cr2 {_hex(r['cr2'])}  cr3 {_hex(c.ctrlreg[3])} "
        f"(pfn {_hex(c.cr3_pfn)})  cr4 {_hex(r['cr4'])}"
        + (f"  cr1 {_hex(c.ctrlreg[1])}" if c.ctrlreg[1] else ""),
        "  ".join(f"{s} {u[s]:#06x}" for s in ("cs", "ss", "ds", "es", "fs", "gs")),
    ]
    if w == 8:
        lines.append(
            f"fs_base {_hex(r['fs_base'])}  gs_base {_hex(r['gs_base'])}  "
            f"kernel_gs_base {_hex(r['kernel_gs_base'])}"
        )
    frames = ", ".join(_hex(f) for f in c.gdt_frames[: min(c.gdt_frames_used, 16)])
    lines.append(
        f"gdt {c.gdt_ents} entries in pfns [{frames}]  "
        f"ldt {c.word('ldt_ents')} entries at {_hex(c.word('ldt_base'))}  "
        f"kernel ss:sp {c.word('kernel_ss'):#x}:{_hex(c.word('kernel_sp'))}"
    )
    if w == 4:
        calls = (
            f"event {c.word('event_callback_cs'):#x}:{_hex(c.word('event_callback_eip'))}  "
            f"failsafe {c.word('failsafe_callback_cs'):#x}:"
            f"{_hex(c.word('failsafe_callback_eip'))}"
        )
    else:
        calls = "  ".join(
            f"{n} {_hex(c.word(n + '_callback_eip'))}" for n in ("event", "failsafe", "syscall")
        )
    traps = sum(1 for t in c.trap_ctxt if t[3])
    lines.append(f"callbacks: {calls}  traps {traps}  vm_assist {_hex(c.word('vm_assist'))}")
    return item, lines


def _hvm_regs_lines(vcpu: int, r: dict[str, int]) -> list[str]:
    """The main registers of an HVM CPU entry, in the layout of the PV lines."""
    return [
        f"vcpu {vcpu}: rip {_hex(r['rip'])}  rsp {_hex(r['rsp'])}  rflags {_hex(r['rflags'])}",
        f"  cr0 {_hex(r['cr0'])}  cr2 {_hex(r['cr2'])}  cr3 {_hex(r['cr3'])}  "
        f"cr4 {_hex(r['cr4'])}  efer {_hex(r['msr_efer'])}",
        "  "
        + "  ".join(
            f"{s} {r[s + '_sel']:#06x}" for s in ("cs", "ss", "ds", "es", "fs", "gs", "tr")
        ),
        f"  fs_base {_hex(r['fs_base'])}  gs_base {_hex(r['gs_base'])}  "
        f"shadow_gs {_hex(r['shadow_gs'])}",
    ]


def _hvm_typecode_name(typecode: int) -> str:
    """Xen's name for an HVM context typecode (``hvm_context.Typecode``), ``type<n>``
    for one it does not know."""
    from .hvm_context import Typecode

    try:
        return Typecode(typecode).name
    except ValueError:
        return f"type{typecode}"


def _hvm_context(body: bytes) -> tuple[Item, str, list[str]]:
    from . import hvm_context

    ctx = hvm_context.decode(body)
    names = [e.name for e in ctx.entries]
    text = plural(len(ctx.entries), "descriptor")
    if names:
        text += f": {_compress(names)}"
    if ctx.problems:
        text += f" ({plural(len(ctx.problems), 'problem')})"
    fields: Item = {
        "bytes": len(body),
        "descriptors": [
            {"typecode": e.typecode, "name": e.name, "instance": e.instance, "length": e.length}
            for e in ctx.entries
        ],
        **ctx.to_json(),
    }
    regs = ctx.cpu_registers()
    fields["registers"] = {str(v): r for v, r in regs.items()}
    labels = [f"{e.name}/{e.instance} ({e.length})" for e in ctx.entries]
    lines = ["entries: " + ", ".join(labels[i : i + 8]) for i in range(0, len(labels), 8)]
    for v, r in regs.items():
        lines += _hvm_regs_lines(v, r)
    return fields, text, lines


def _decode_xc(ev: RecordEvent, guest_width: int | None = None) -> tuple[Item, str, list[str]]:
    e, body, t = ev.endian, ev.body, ev.type
    if t == XcRecType.X86_PV_INFO:
        width, levels = body[0], body[1]
        return (
            {"guest_width": width, "pt_levels": levels},
            f"guest width {width} ({width * 8}-bit), {levels} page-table levels",
            [],
        )
    if t == XcRecType.X86_PV_P2M_FRAMES:
        start, end = struct.unpack_from(f"{e}II", body)
        frames = (len(body) - 8) // 8
        return (
            {"p2m_start_pfn": start, "p2m_end_pfn": end, "frames": frames},
            f"p2m pfns {start:#x}-{end:#x}, {plural(frames, 'frame')}",
            [],
        )
    if t in VCPU_RECORDS:
        vcpu, reserved = struct.unpack_from(f"{e}II", body)
        size = ev.length - 8
        fields: Item = {"vcpu_id": vcpu, "context_bytes": size}
        text = f"vcpu {vcpu}, context {size} bytes"
        details: list[str] = []
        if t == XcRecType.X86_PV_VCPU_BASIC:
            widths = [w for w, s in PV_VCPU_CONTEXT_SIZE.items() if s == size]
            if widths:
                text += f" ({widths[0] * 8}-bit vcpu_guest_context)"
            if ev.body_complete:
                ctx_fields, details = _pv_basic(body[8:], guest_width, e)
                if ctx_fields is not None:
                    fields["context"] = ctx_fields
        elif t == XcRecType.X86_PV_VCPU_MSRS and size % 16 == 0:
            fields["msrs"] = size // 16
            text += f", {plural(size // 16, 'MSR')}"
            n = (len(body) - 8) // 16
            msrs = list(struct.iter_unpack(f"{e}IIQ", body[8 : 8 + 16 * n]))
            fields["msr_list"] = [{"index": i, "flags": f, "value": v} for i, f, v in msrs]
            details = _columns([f"{i:#x} = {v:#x}" for i, _f, v in msrs])
        elif ev.body_complete:
            fields["context_hex"] = body[8:].hex()  # EXTENDED, XSAVE: opaque state
        if reserved:
            fields["reserved"] = reserved
            text += f", reserved {reserved:#x}"
        return fields, text, details
    if t == XcRecType.X86_TSC_INFO:
        mode, khz, nsec, incarnation, reserved = struct.unpack_from(f"{e}IIQII", body)
        fields = {
            "mode": mode,
            "mode_name": _enum_name(TscMode, mode),
            "khz": khz,
            "nsec": nsec,
            "incarnation": incarnation,
        }
        text = (
            f"mode {_enum_name(TscMode, mode)}, {khz} kHz, nsec {nsec}, incarnation {incarnation}"
        )
        if reserved:
            fields["reserved"] = reserved
            text += f", reserved {reserved:#x}"
        return fields, text, []
    if t == XcRecType.HVM_PARAMS:
        count, _reserved = struct.unpack_from(f"{e}II", body)
        n = min(count, (len(body) - 8) // 16)
        flat = struct.unpack_from(f"{e}{2 * n}Q", body, 8)
        params = [
            {"index": i, "name": _enum_name(HvmParam, i), "value": v}
            for i, v in zip(flat[0::2], flat[1::2], strict=True)
        ]
        text = plural(count, "param")
        if n != count:
            text += f" ({n} present)"
        details = [f"{p['name']} = {p['value']:#x}" for p in params]
        return {"count": count, "params": params}, text, details
    if t == XcRecType.HVM_CONTEXT:
        if not ev.body_complete:
            descs, _ = _hvm_descriptors(body)
            names = [_hvm_typecode_name(c) for c, _i, _l in descs]
            text = plural(len(descs), "descriptor") + (f": {_compress(names)}" if names else "")
            return {"bytes": ev.length}, text, []
        fields, text, details = _hvm_context(body)
        fields["bytes"] = ev.length
        return fields, text, details
    if t == XcRecType.X86_CPUID_POLICY:
        n = ev.length // 24
        leaves = list(struct.iter_unpack(f"{e}6I", body[: 24 * (len(body) // 24)]))
        fields = {
            "leaves": n,
            "leaf_list": [
                {"leaf": lf, "subleaf": sub, "a": a, "b": b, "c": c, "d": d}
                for lf, sub, a, b, c, d in leaves
            ],
        }
        details = [
            f"{lf:#010x}{'' if sub == 0xFFFFFFFF else f'/{sub:#x}'}: "
            f"a {a:#010x} b {b:#010x} c {c:#010x} d {d:#010x}"
            for lf, sub, a, b, c, d in leaves
        ]
        return fields, f"{n} leaf" if n == 1 else f"{n} leaves", details
    if t == XcRecType.X86_MSR_POLICY:
        n = ev.length // 16
        msrs = list(struct.iter_unpack(f"{e}IIQ", body[: 16 * (len(body) // 16)]))
        fields = {
            "entries": n,
            "msr_list": [{"index": i, "flags": f, "value": v} for i, f, v in msrs],
        }
        return fields, plural(n, "MSR"), _columns([f"{i:#x} = {v:#x}" for i, _f, v in msrs])
    if t == XcRecType.CHECKPOINT_DIRTY_PFN_LIST:
        n = ev.length // 8
        return {"pfns": n}, plural(n, "pfn"), []
    if t in (XcRecType.SHARED_INFO, XcRecType.TOOLSTACK) or ev.length:
        return {"bytes": ev.length}, f"{ev.length} bytes", []
    return {}, "", []


def _columns(cells: list[str], per_line: int = 4) -> list[str]:
    """Short items, ``per_line`` to a line."""
    return ["  ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]


def _decode_xl(ev: RecordEvent) -> tuple[Item, str, list[str]]:
    e, body, t = ev.endian, ev.body, ev.type
    if t in (LibxlRecType.EMULATOR_XENSTORE_DATA, LibxlRecType.EMULATOR_CONTEXT):
        eid, index = struct.unpack_from(f"{e}II", body)
        fields: Item = {
            "emulator_id": eid,
            "emulator": _enum_name(EmulatorId, eid),
            "index": index,
        }
        text = f"emulator {_enum_name(EmulatorId, eid)}, index {index}"
        details: list[str] = []
        if t == LibxlRecType.EMULATOR_XENSTORE_DATA:
            from .bodies import decode_xenstore

            pairs, leftover = decode_xenstore(body[8:])
            fields["xenstore"] = [
                [k.decode("utf-8", "replace"), v.decode("utf-8", "replace")] for k, v in pairs
            ]
            text += f", {plural(len(pairs), 'xenstore key')}"
            details = [f"{k} = {v}" for k, v in fields["xenstore"]]
            if leftover:
                fields["leftover"] = leftover.decode("utf-8", "replace")
                text += f", {len(leftover)} bytes left over"
        else:
            fields["state_bytes"] = ev.length - 8
            text += f", state {ev.length - 8} bytes"
            if ev.body_complete:
                dm = devmodel.describe(
                    body[8:],
                    ev.length - 8,
                    devmodel.EMULATOR_WRITERS.get(eid, "unknown"),
                    "the record's emulator_id",
                )
                fields["device_model"] = dm
                details = [devmodel.text(dm)]
        return fields, text, details
    if t == LibxlRecType.CHECKPOINT_STATE:
        (control,) = struct.unpack_from(f"{e}I", body)
        return (
            {"control_id": control, "control": _enum_name(CheckpointControl, control)},
            f"control {_enum_name(CheckpointControl, control)}",
            [],
        )
    if ev.length:
        return {"bytes": ev.length}, f"{ev.length} bytes", []
    return {}, "", []


# --- events -> items ----------------------------------------------------------------


def _flags(value: int) -> str:
    names = [f.name for f in XlMandatoryFlag if value & f]
    unknown = value & ~sum(XlMandatoryFlag)
    if unknown:
        names.append(f"{unknown:#x}")
    return "|".join(n.replace("STREAM_V2", "STREAMv2") for n in names if n) or "none"


def _endian_word(big: bool) -> str:
    return "big-endian" if big else "little-endian"


def _text_preview(data: bytes, limit: int = 72) -> str:
    text = data[:limit].decode("utf-8", "replace")
    text = "".join(c if c.isprintable() else "." for c in text)
    return text + ("..." if len(data) > limit else "")


def header_item(ev: Event) -> tuple[Item, str]:
    """JSON item and text line of a non-record event."""
    if isinstance(ev, XlHeader):
        item: Item = {
            "kind": "xl_header",
            "offset": ev.offset,
            "byteorder": ev.byteorder,
            "big_endian": ev.big_endian,
            "mandatory_flags": ev.mandatory_flags,
            "optional_flags": ev.optional_flags,
            "optional_data_len": ev.optional_data_len,
            "config_len": ev.config_len,
        }
        text = (
            f"xl save file: byteorder {ev.byteorder:#010x} ({_endian_word(ev.big_endian)}), "
            f"mandatory flags {ev.mandatory_flags:#x} [{_flags(ev.mandatory_flags)}], "
            f"optional flags {ev.optional_flags:#x}, optional data {ev.optional_data_len} bytes"
        )
        if ev.config_len is not None:
            text += f", config {ev.config_len} bytes"
            if ev.config:
                name = _config_name(ev.config)
                if name:
                    item["domain_name"] = name
                    text += f" (domain {name!r})"
        return item, text
    if isinstance(ev, LibvirtHeader):
        name = _xml_name(ev.xml)
        item = {
            "kind": "libvirt_header",
            "offset": ev.offset,
            "version": ev.version,
            "xml_len": ev.xml_len,
            "big_endian": ev.big_endian,
            "unused_zero": not any(ev.unused),
        }
        text = f"libvirt save file: version {ev.version}, XML {ev.xml_len} bytes"
        if name:
            item["domain_name"] = name
            text += f" (domain {name!r})"
        if ev.big_endian:
            text += ", big-endian"
        if any(ev.unused):
            text += ", unused words not zero"
        return item, text
    if isinstance(ev, XapiHeader):
        item = {
            "kind": "xapi_section",
            "offset": ev.offset,
            "type": ev.kind,
            "name": ev.name,
            "length": ev.length,
        }
        text = f"XAPI section {ev.name} (type {ev.kind:#06x}), length {ev.length}"
        if ev.kind == XapiKind.XENOPS and ev.data:
            item["text"] = ev.data.decode("utf-8", "replace")
            text += f": {_text_preview(ev.data)}"
        elif ev.kind in (XapiKind.QEMU_TRAD, XapiKind.QEMU_XEN):
            # xenopsd names every state QEMU_TRAD, whichever device model ran (wrappers.md)
            if ev.kind == XapiKind.QEMU_TRAD:
                writer, why = "unknown", "QEMU_TRAD, which xenopsd writes for either device model"
            else:
                writer, why = "qemu-upstream", "the XAPI section type"
            dm = devmodel.describe(ev.data, ev.length, writer, why)
            item["device_model"] = dm
            text += f"; {devmodel.text(dm)}"
        return item, text
    if isinstance(ev, LibxlHeader):
        item = {
            "kind": "libxl_header",
            "offset": ev.offset,
            "ident": ev.ident.decode("latin-1"),
            "version": ev.version,
            "options": ev.options,
            "big_endian": ev.big_endian,
        }
        text = (
            f"libxl stream: ident {ev.ident.decode('latin-1')!r}, version {ev.version}, "
            f"options {ev.options:#x} ({_endian_word(ev.big_endian)}"
            f"{', converted from legacy' if ev.options & 2 else ''})"
        )
        return item, text
    if isinstance(ev, XcImageHeader):
        ident = ev.ident.to_bytes(4, "big").decode("latin-1")
        item = {
            "kind": "libxc_image_header",
            "offset": ev.offset,
            "marker": ev.marker,
            "ident": ev.ident,
            "version": ev.version,
            "options": ev.options,
            "big_endian": ev.big_endian,
            "reserved1": ev.reserved1,
            "reserved2": ev.reserved2,
        }
        text = (
            f"libxc stream: marker {ev.marker:#x}, id {ident!r}, version {ev.version}, "
            f"options {ev.options:#x} ({_endian_word(ev.big_endian)})"
        )
        if ev.reserved1 or ev.reserved2:
            text += f", reserved {ev.reserved1:#x} {ev.reserved2:#x}"
        return item, text
    if isinstance(ev, XcDomainHeader):
        item = {
            "kind": "libxc_domain_header",
            "offset": ev.offset,
            "type": ev.type,
            "type_name": _enum_name(DomainType, ev.type),
            "page_shift": ev.page_shift,
            "reserved": ev.reserved,
            "xen_major": ev.xen_major,
            "xen_minor": ev.xen_minor,
        }
        text = (
            f"domain: {_enum_name(DomainType, ev.type)}, page_shift {ev.page_shift}, "
            f"saved by Xen {ev.xen_major}.{ev.xen_minor}"
        )
        if ev.xen_major == 0:
            text += " (converted from a legacy image)"
        return item, text
    if isinstance(ev, XendHeader):
        return _xend_item(ev)
    assert isinstance(ev, Trailer)
    return (
        {"kind": "trailer", "offset": ev.offset, "length": ev.length, "layer": ev.layer},
        f"{ev.length} bytes after the end of the {ev.layer} stream",
    )


def _xend_item(ev: XendHeader) -> tuple[Item, str]:
    from .xend import SxpSyntaxError, child_value, image_kind, parse_sxp

    item: Item = {
        "kind": "xend_header",
        "offset": ev.offset,
        "signature": ev.signature.decode("latin-1"),
        "config_len": ev.config_len,
        "config": ev.config.decode("latin-1"),
    }
    text = f"xend save file (xm save): configuration {ev.config_len} bytes"
    try:
        parsed = parse_sxp(ev.config) if ev.config_complete else None
    except SxpSyntaxError:
        parsed = None
    if parsed is not None and isinstance(parsed.value, list):
        name = child_value(parsed.value, "name")
        kind = image_kind(parsed.value)
        if isinstance(name, str):
            item["domain_name"] = name
            text += f" (domain {name!r}"
            text += f", image {kind})" if kind else ")"
        if kind:
            item["image_kind"] = kind
    else:
        text += f": {_text_preview(ev.config)}"
    return item, text


def _config_name(config: bytes) -> str | None:
    try:
        cfg = json.loads(config.rstrip(b"\x00"))
        name = cfg["c_info"]["name"]
    except (ValueError, KeyError, TypeError):
        return None
    return name if isinstance(name, str) else None


def _xml_name(xml: bytes) -> str | None:
    m = re.search(rb"<name>([^<]{1,256})</name>", xml[:65536])
    return m.group(1).decode("utf-8", "replace") if m else None


def record_item(ev: RecordEvent, fields: Item) -> Item:
    item: Item = {
        "kind": "record",
        "layer": ev.layer,
        "offset": ev.offset,
        "index": ev.index,
        "type": ev.type,
        "name": ev.name,
        "length": ev.length,
    }
    if ev.padding.strip(b"\x00"):
        item["padding"] = ev.padding.hex()
    if not ev.body_complete:
        item["body_kept"] = len(ev.body)
    item["fields"] = fields
    return item


# --- the dump -----------------------------------------------------------------------


@dataclass
class DumpResult:
    error: ReadError | None
    bytes_read: int


class _Depth:
    """Indentation: wrappers at 0, streams one deeper than what holds them."""

    def __init__(self) -> None:
        self.wrapped = False
        self.xapi = False
        self.libxl: int | None = None

    def legacy(self) -> int:
        """Where a stream starts: under its XAPI section, under an xl, libvirt or xend
        header, or at 0. A legacy image's events all sit there, its header as a libxc
        stream's does."""
        return 2 if self.xapi else (1 if self.wrapped else 0)

    def of(self, ev: Event) -> int:
        if isinstance(ev, XlHeader | LibvirtHeader | XendHeader):
            self.wrapped = True
            return 0
        if isinstance(ev, XapiHeader):
            self.xapi = True
            return 1
        base = self.legacy()
        if isinstance(ev, LibxlHeader):
            self.libxl = base
            return base
        if isinstance(ev, Trailer):
            return 0
        xc = base if self.libxl is None else self.libxl + 2
        if isinstance(ev, XcImageHeader | XcDomainHeader):
            return xc
        assert isinstance(ev, RecordEvent)
        if ev.layer == "libxl":
            return (self.libxl if self.libxl is not None else base) + 1
        return xc + 1


class TextDump:
    """Writes the human-readable listing, folding runs of PAGE_DATA records."""

    def __init__(self, out: IO[str], fold: bool = True) -> None:
        self.out = out
        self.fold = fold
        self.width = 8
        self._run: PageStats | None = None
        self._run_first: RecordEvent | None = None
        self._run_last: RecordEvent | None = None
        self._run_depth = 0
        self._seen_xapi = False
        self.guest_width: int | None = None
        self.pages_total = PageStats()  # every PAGE_DATA: the alignment total

    def line(self, offset: int | None, depth: int, text: str) -> None:
        where = f"{offset:#0{self.width + 2}x}" if offset is not None else " " * (self.width + 2)
        self.out.write(f"{where}  {'  ' * depth}{text}\n")

    def event(self, ev: Event, depth: int) -> None:
        if isinstance(ev, RecordEvent) and ev.layer == "libxc" and ev.type == XcRecType.PAGE_DATA:
            self.pages_total.add_record(ev)
            if self.fold:
                if self._run is None:
                    self._run = PageStats()
                    self._run_first = ev
                    self._run_depth = depth
                self._run.add_record(ev)
                self._run_last = ev
                return
            stats = PageStats()
            stats.add_record(ev)
            self.line(
                ev.offset, depth, f"#{ev.index} PAGE_DATA ({ev.length} bytes): {stats.text()}"
            )
            return
        self.flush()
        if isinstance(ev, RecordEvent):
            self.guest_width = _guest_width(ev, self.guest_width)
            _fields, summary, details = decode_record(ev, self.guest_width)
            text = f"#{ev.index} {ev.name}"
            if ev.length:
                text += f" ({ev.length} bytes)"
            if summary and summary != f"{ev.length} bytes":
                text += f": {summary}"
            if ev.padding.strip(b"\x00"):
                text += f" [padding {ev.padding.hex()}]"
            self.line(ev.offset, depth, text)
            for d in details:
                self.line(None, depth + 1, d)
            return
        if isinstance(ev, XapiHeader) and not self._seen_xapi:
            self._seen_xapi = True
            self.line(0, 0, "XAPI suspend image: signature 'XenSavedDomv2-\\n'")
        _item, text = header_item(ev)
        self.line(ev.offset, depth, text)

    def flush(self) -> None:
        run, first, last = self._run, self._run_first, self._run_last
        if run is None or first is None or last is None:
            return
        self._run = self._run_first = self._run_last = None
        if run.records == 1:
            head = f"#{first.index} PAGE_DATA ({first.length} bytes)"
        else:
            head = f"#{first.index}-#{last.index} PAGE_DATA x{run.records}"
        self.line(first.offset, self._run_depth, f"{head}: {run.text()}")


def _guest_width(ev: RecordEvent, width: int | None) -> int | None:
    """The guest width in force after ``ev``: set by X86_PV_INFO, reset by a new
    stream's first record."""
    if ev.layer != "libxc":
        return width
    if ev.index == 0:
        width = None
    if ev.type == XcRecType.X86_PV_INFO and ev.body[:1] in (b"\x04", b"\x08"):
        return ev.body[0]
    return width


class JsonDump:
    """Writes one JSON document, item by item, so memory does not grow with the image."""

    def __init__(self, out: IO[str], name: str, size: int | None) -> None:
        self.out = out
        self.pages_total = PageStats()  # every PAGE_DATA: the alignment total
        self._first = True
        self.guest_width: int | None = None
        head = json.dumps({"file": name, "size": size})[:-1]
        out.write(head + ', "items": [\n')

    def event(self, ev: Event, depth: int) -> None:
        if isinstance(ev, RecordEvent):
            if ev.layer == "libxc" and ev.type == XcRecType.PAGE_DATA:
                stats = PageStats()
                stats.add_record(ev)
                self.pages_total.add_record(ev)
                fields = stats.to_json()
            else:
                self.guest_width = _guest_width(ev, self.guest_width)
                fields = decode_record(ev, self.guest_width)[0]
            item = record_item(ev, fields)
        else:
            item = header_item(ev)[0]
        item["depth"] = depth
        self.out.write(("" if self._first else ",\n") + json.dumps(item))
        self._first = False

    def finish(self, err: ReadError | None, bytes_read: int) -> None:
        error = None if err is None else error_json(err)
        t = self.pages_total
        align = {
            "page_data_records_with_contents": sum(t.mods.values()),
            "page_aligned_records": t.mods.get(0, 0),
            "page_bytes": t.page_bytes,
            "page_aligned_bytes": t.aligned_bytes,
        }
        tail = json.dumps(
            {
                "complete": err is None,
                "bytes_read": bytes_read,
                "error": error,
                "page_alignment": align,
            }
        )
        self.out.write("\n], " + tail[1:] + "\n")


def dump(
    f: BinaryIO,
    out: IO[str],
    *,
    name: str,
    as_json: bool = False,
    fold: bool = True,
    progress: Callable[[int], None] | None = None,
    legacy: LegacyOptions | None = None,
    stop_at_end: bool = False,
) -> DumpResult:
    """Write the listing of ``f`` to ``out``; framing errors end it and are returned.
    ``legacy`` narrows a legacy image's toolstack width and guest type; with
    ``stop_at_end`` reading ends at the outermost END (a live socket stays open)."""
    reader = Reader(f, ReadOptions(stop_at_end=stop_at_end, legacy=legacy))
    depth = _Depth()
    sink: TextDump | JsonDump
    sink = JsonDump(out, name, reader.src.size) if as_json else TextDump(out, fold)
    if isinstance(sink, TextDump) and reader.src.size is not None:
        sink.width = max(8, len(f"{reader.src.size:x}"))
    err: ReadError | None = None
    events: Iterator[Event] = iter(reader)
    try:
        for ev in events:
            if type(ev).__name__.startswith("Legacy"):  # xensave.legacy's events
                _legacy(sink, ev, depth.legacy(), _fd_of(f, reader))
                continue
            sink.event(ev, depth.of(ev))
            if progress is not None:
                progress(reader.src.offset)
    except ReadError as exc:
        err = exc
    if isinstance(sink, JsonDump):
        sink.finish(err, reader.src.offset)
    else:
        sink.flush()
        total = sink.pages_total.total()
        if total:
            sink.line(None, 0, total)
    return DumpResult(err, reader.src.offset)


def _fd_of(f: BinaryIO, reader: Reader) -> int | None:
    """The input's descriptor when it is a regular file (to digest a long state)."""
    if reader.src.size is None:
        return None
    try:
        return f.fileno()
    except (OSError, ValueError, AttributeError):
        return None


def _legacy(sink: TextDump | JsonDump, ev: Any, depth: int, fd: int | None = None) -> None:
    from .legacy.dump import device_model, item

    fields, text = item(ev)
    dm = device_model(ev, fd) if type(ev).__name__ == "LegacyHvmTail" else None
    if dm is not None:
        fields["device_model"] = dm
    if isinstance(sink, TextDump):
        sink.flush()
        sink.line(ev.offset, depth, text)
        if dm is not None:
            sink.line(None, depth + 1, devmodel.text(dm))
    else:
        fields["depth"] = depth
        sink.out.write(("" if sink._first else ",\n") + json.dumps(fields))
        sink._first = False
