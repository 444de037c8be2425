"""``xensave edit IN OUT``: change a saved image safely.

What can change: the domain configuration (``--config``: xl JSON in an xl save file,
libvirt XML in a libvirt file, xend's S-expression in an ``xm save`` file), vCPU
registers (``--set vcpu0.rip=...``), HVM context fields (``--hvm-set
HPET[0].config=...``) and HVM params (``--param NAME=VALUE``).
Names are those ``dump`` and ``diff`` print (:mod:`xensave.edit_fields`).

How: IN is read once by the streaming reader without its page contents, and the few
structures an edit touches (a header, the records that hold the fields) are rebuilt
in memory; OUT is IN with those byte ranges replaced, everything else (page data
above all) moved with ``copy_file_range``, never read into memory. OUT goes to a
temporary file beside it, is checked with the reference checker, and takes OUT's
name only when it verifies clean (the policy of ``convert``: xensave/outputs.py).
An edit that would break a rule is refused with the rule named and nothing written.
Every copy of a field is changed: a checkpointed image (Remus, COLO) carries a vCPU's
registers once per checkpoint, and the restorer keeps the last one.
"""

from __future__ import annotations

import json
import os
import re
import struct
import sys
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from . import edit_fields as ef
from . import hvm_context, pv_context
from .console import EXIT_ERROR, EXIT_INVALID, EXIT_VALID, reason
from .constants import (
    LIBVIRT_HEADER_SIZE,
    XL_HEADER_SIZE,
    DomainType,
    XcRecType,
    XlMandatoryFlag,
)
from .outputs import OutputError

#: The largest configuration --config reads (the reader keeps headers up to this too).
CONFIG_MAX = 16 << 20
_COPY_CHUNK = 1 << 24


class EditError(Exception):
    """The edit is refused; nothing was written. ``code``: the exit status."""

    code = EXIT_INVALID

    def __init__(self, message: str, rule: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule


class EditUsage(EditError):
    """A request that names nothing IN has, or a value its field cannot hold (exit 2)."""

    code = EXIT_ERROR


@dataclass
class Change:
    """One changed field (for the report and ``--json``)."""

    kind: str  # "config", "register", "hvm_context", "hvm_param"
    target: str  # vcpu0.rip, HPET[0].config, STORE_PFN, xl configuration
    old: Any
    new: Any
    where: str  # the structure changed: "libxc record #12 HVM_CONTEXT", "xl header"
    offset: int  # of that structure in IN

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "old": self.old,
            "new": self.new,
            "where": self.where,
            "offset": self.offset,
        }

    def text(self) -> str:
        if self.kind == "config":
            size = len(str(self.new).encode())
            return f"{self.target}: replaced ({size} octets)  ({self.where})"

        def show(v: Any) -> str:
            if isinstance(v, int):
                return f"{v:#x}"
            return "(none)" if v is None else str(v)

        where = f"({self.where} at {self.offset:#x})"
        return f"{self.target}: {show(self.old)} -> {show(self.new)}  {where}"


@dataclass
class EditResult:
    changes: list[Change]
    bytes_written: int
    notes: list[str] = field(default_factory=list)


# --- requests ------------------------------------------------------------------------

_SET_RE = re.compile(r"vcpu(\d+)\.([A-Za-z_][\w\[\]]*)=(.+)\Z")
_HVM_SET_RE = re.compile(r"([A-Za-z_]\w*)\[(\d+)\]\.([\w\[\]\.]+)=(.+)\Z")
_PARAM_RE = re.compile(r"([\w]+)=(.+)\Z")


@dataclass
class Request:
    """What to change, parsed from the command line (EditUsage on bad syntax)."""

    config: bytes | None = None
    config_name: str = ""
    regs: list[tuple[int, str, int]] = field(default_factory=list)
    hvm: list[tuple[int, int, str, int]] = field(default_factory=list)
    params: list[tuple[int, str, int]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.config is None and not (self.regs or self.hvm or self.params)


def parse_request(
    sets: list[str], hvm_sets: list[str], params: list[str], config: str | None
) -> Request:
    r = Request()
    try:
        for s in sets:
            m = _SET_RE.match(s)
            if not m:
                raise EditUsage(f"--set {s!r}: expected vcpuN.REGISTER=VALUE (vcpu0.rip=0x1000)")
            r.regs.append((int(m.group(1)), m.group(2), ef.parse_int(m.group(3))))
        for s in hvm_sets:
            m = _HVM_SET_RE.match(s)
            if not m:
                raise EditUsage(
                    f"--hvm-set {s!r}: expected TYPE[INSTANCE].FIELD=VALUE (HPET[0].config=0x2)"
                )
            tc = ef.typecode_of(m.group(1))
            r.hvm.append((tc, int(m.group(2)), m.group(3), ef.parse_int(m.group(4))))
        for s in params:
            m = _PARAM_RE.match(s)
            if not m:
                raise EditUsage(f"--param {s!r}: expected NAME=VALUE (TIMER_MODE=1)")
            index, name = ef.hvm_param(m.group(1))
            r.params.append((index, name, ef.parse_int(m.group(2))))
    except ef.FieldError as e:
        raise EditUsage(str(e)) from None
    if config is not None:
        r.config_name = config
        r.config = read_config(config)
    return r


def read_config(path: str) -> bytes:
    """A configuration file, read whole but never past CONFIG_MAX."""
    try:
        with open(path, "rb") as f:
            data = f.read(CONFIG_MAX + 1)
    except OSError as e:
        raise EditUsage(f"--config {path}: {reason(e)}") from None
    if len(data) > CONFIG_MAX:
        raise EditUsage(f"--config {path}: over {CONFIG_MAX} octets")
    return data


# --- configurations ------------------------------------------------------------------


def config_kind(data: bytes) -> str:
    """What a configuration file holds: "json", "xml", "sxp" or "text"."""
    t = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if t.startswith((b"{", b"[")):
        return "json"
    if t.startswith(b"<"):
        return "xml"
    if t.startswith(b"("):
        return "sxp"
    return "text"


def xl_config_bytes(data: bytes, name: str) -> bytes:
    """The octets an xl save file stores for a JSON configuration: the text and one
    NUL (xl counts it in config_len: save_domain_core_begin, tools/xl/xl_saverestore.c).
    Refused unless it is a JSON object (XLF-CFG-003), as libxl's parser needs."""
    text = data.rstrip(b"\x00")
    if b"\x00" in text:
        raise EditError(
            f"{name}: holds a NUL octet; xl reads the configuration as a C string", "XLF-CFG-002"
        )
    try:
        value = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise EditError(
            f"{name}: not UTF-8 JSON ({e}); an xl save file holds libxl's JSON form of the "
            "configuration (xl's own syntax is not read back from the file)",
            "XLF-CFG-003",
        ) from None
    if not isinstance(value, dict):
        raise EditError(f"{name}: the JSON is not an object", "XLF-CFG-003")
    return text + b"\x00"


def libvirt_xml_bytes(data: bytes, name: str) -> bytes:
    """The octets a libvirt file stores: the XML and one NUL (libvirt's saver counts it
    in xmlLen: libxlDoDomainSave, src/libxl/libxl_driver.c). Refused unless it is
    well-formed XML whose root is ``domain`` (LVF-XML-004); DTDs are refused outright,
    so no entity is ever expanded."""
    import xml.etree.ElementTree as ET

    text = data.rstrip(b"\x00")
    if b"\x00" in text:
        raise EditError(
            f"{name}: holds a NUL octet; libvirt reads the XML as a C string", "LVF-XML-004"
        )
    if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
        raise EditError(f"{name}: a DTD or entity declaration; refused", "LVF-XML-004")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise EditError(f"{name}: not well-formed XML ({e})", "LVF-XML-004") from None
    if root.tag != "domain":
        raise EditError(f"{name}: the root element is <{root.tag}>, not <domain>", "LVF-XML-004")
    return text + b"\x00"


# --- scanning IN -------------------------------------------------------------------------


@dataclass
class _Rec:
    """A record an edit may touch, its body held (all are small)."""

    offset: int
    index: int
    type: int
    endian: str
    body: bytearray
    padding: bytes
    name: str
    orig_len: int = 0
    changed: bool = False

    @property
    def end(self) -> int:
        return self.offset + 8 + self.orig_len + len(self.padding)

    def where(self) -> str:
        return f"libxc record #{self.index} {self.name}"


@dataclass
class _Scan:
    layer: str = ""
    size: int = 0
    xl: Any = None  # XlHeader
    libvirt: Any = None  # LibvirtHeader
    guest: int | None = None
    guest_width: int | None = None
    vcpus: dict[int, list[_Rec]] = field(default_factory=dict)  # PV: X86_PV_VCPU_BASIC
    hvm_context: list[_Rec] = field(default_factory=list)
    hvm_params: list[_Rec] = field(default_factory=list)
    checkpointed: bool = False
    legacy: bool = False  # a legacy (pre-4.6) stream: only the wrapper's config is edited
    headers: list[Any] = field(default_factory=list)  # every event before the legacy one
    xend: Any = None  # xensave.xend.XendHeader of an xm save file


_WANTED = frozenset({XcRecType.X86_PV_VCPU_BASIC, XcRecType.HVM_CONTEXT, XcRecType.HVM_PARAMS})


#: The most record octets an edit holds in memory (every copy of the records it
#: changes: a checkpointed image repeats them once per checkpoint).
HELD_MAX = 256 << 20


def scan(f: BinaryIO, size: int, wanted: frozenset[int] = _WANTED) -> _Scan:
    """One pass over IN (pages skipped): its headers and the records of the ``wanted``
    types (those the edit touches), held up to HELD_MAX octets in all."""
    from .reader import (
        LibvirtHeader,
        Reader,
        ReadError,
        RecordEvent,
        Trailer,
        XapiHeader,
        XcDomainHeader,
        XcImageHeader,
        XlHeader,
    )

    s = _Scan(size=size)
    held = 0
    reader = Reader(f)
    try:
        for ev in reader:
            if isinstance(ev, RecordEvent):
                if ev.type == XcRecType.CHECKPOINT or (ev.layer == "libxl" and ev.type == 4):
                    s.checkpointed = True  # libxc CHECKPOINT, libxl CHECKPOINT_END
                if ev.layer != "libxc":
                    continue
                if ev.type == XcRecType.X86_PV_INFO and ev.body:
                    s.guest_width = ev.body[0]
                if ev.type not in wanted:
                    continue
                if not ev.body_complete:
                    raise EditError(
                        f"{ev.offset:#x}: record #{ev.index} {ev.name} is over 16 MiB; not edited"
                    )
                held += ev.length
                if held > HELD_MAX:
                    raise EditError(
                        f"{ev.offset:#x}: the records this edit changes hold over "
                        f"{HELD_MAX >> 20} MiB in all (one copy per checkpoint); not edited"
                    )
                rec = _Rec(
                    ev.offset,
                    ev.index,
                    ev.type,
                    ev.endian,
                    bytearray(ev.body),
                    ev.padding,
                    ev.name,
                    ev.length,
                )
                if ev.type == XcRecType.X86_PV_VCPU_BASIC and len(ev.body) >= 8:
                    vid = struct.unpack_from(ev.endian + "I", ev.body)[0]
                    s.vcpus.setdefault(vid, []).append(rec)
                elif ev.type == XcRecType.HVM_CONTEXT:
                    s.hvm_context.append(rec)
                elif ev.type == XcRecType.HVM_PARAMS:
                    s.hvm_params.append(rec)
            elif isinstance(ev, XlHeader):
                s.xl = ev
                if not ev.stream_v2:
                    s.legacy = True  # a legacy stream follows: not read here
                    break
            elif isinstance(ev, LibvirtHeader):
                s.libvirt = ev
            elif isinstance(ev, XcDomainHeader):
                s.guest = ev.type
            elif isinstance(ev, XcImageHeader | XapiHeader | Trailer):
                pass
            elif type(ev).__name__ == "XendHeader":  # xensave.xend: the configuration
                s.xend = ev
            elif type(ev).__module__ != "xensave.reader":
                s.legacy = True  # a legacy (pre-4.6) stream: not read here
                break
            if not isinstance(ev, RecordEvent):
                s.headers.append(ev)
    except ReadError as e:
        # a checkpointed stream may stop after a complete checkpoint (XC-CKPT-003)
        if s.checkpointed and e.rule in ("XC-END-002", "XL-END-002"):
            s.layer = reader.layer or ""
            return s
        rule = f"{e.rule}: " if e.rule else ""
        raise EditError(
            f"IN cannot be read as an image: {e.offset:#x}: {rule}{e.message}", e.rule
        ) from None
    s.layer = reader.layer or ""
    return s


# --- applying -------------------------------------------------------------------------


Patch = tuple[int, int, bytes]  # replace IN[start:end] with the octets


def _config_patch(s: _Scan, req: Request, changes: list[Change]) -> Patch:
    """The new outer header holding ``req.config`` (CONFIG_WRITERS: one per layer)."""
    assert req.config is not None
    writer = CONFIG_WRITERS.get(s.layer)
    if writer is None:
        why = {
            "libxl": "a bare libxl stream carries no domain configuration (the toolstack "
            "keeps it beside the stream); wrap it first: xensave convert --to xl "
            "--config FILE IN OUT",
            "libxc": "a bare libxc stream carries no domain configuration; wrap it first: "
            "xensave convert --to xl --config FILE IN OUT",
            "xapi": "a XAPI image's configuration is xenopsd's metadata (its XENOPS "
            "section), not an xl or libvirt configuration; it is not edited here",
        }.get(s.layer, f"a {s.layer or 'this'} image has no configuration xensave can replace")
        raise EditUsage(f"--config: {why}")
    return writer(s, req.config, req.config_name, changes)


def _xl_config(s: _Scan, data: bytes, name: str, changes: list[Change]) -> Patch:
    h = s.xl
    kind = config_kind(data)
    if kind != "json":
        raise EditUsage(
            f"--config {name}: an xl save file holds libxl's JSON configuration "
            f"(this file looks like {'libvirt XML' if kind == 'xml' else kind}); give the "
            "JSON that `xl save` stores (libxl_domain_config_to_json)"
        )
    config = xl_config_bytes(data, name)
    if len(h.optional_data) != h.optional_data_len:
        raise EditError("the xl optional data is over 16 MiB; not edited")
    e = ">" if h.big_endian else "<"
    old_len = h.config_len if h.config_len is not None else 0
    tail = h.optional_data[4 + old_len :] if h.config_len is not None else b""
    opt = struct.pack(e + "I", len(config)) + config + tail
    flags = h.mandatory_flags | XlMandatoryFlag.JSON
    head = h.magic + struct.pack(e + "IIII", h.byteorder, flags, h.optional_flags, len(opt))
    old = (h.config or b"").rstrip(b"\x00").decode("utf-8", "replace") or None
    changes.append(
        Change("config", "xl configuration", old, config[:-1].decode("utf-8"), "xl header", 0)
    )
    return 0, XL_HEADER_SIZE + h.optional_data_len, head + opt


def _libvirt_config(s: _Scan, data: bytes, name: str, changes: list[Change]) -> Patch:
    h = s.libvirt
    if config_kind(data) != "xml":
        raise EditUsage(f"--config {name}: a libvirt save file holds the domain's libvirt XML")
    xml = libvirt_xml_bytes(data, name)
    if len(h.xml) != h.xml_len:
        raise EditError("the libvirt XML is over 16 MiB; not edited")
    e = ">" if h.big_endian else "<"
    head = h.magic + struct.pack(e + "II", h.version, len(xml)) + h.unused
    old = h.xml.rstrip(b"\x00").decode("utf-8", "replace")
    changes.append(
        Change("config", "libvirt XML", old, xml[:-1].decode("utf-8"), "libvirt header", 0)
    )
    return 0, LIBVIRT_HEADER_SIZE + h.xml_len, head + xml


def _xend_config(s: _Scan, data: bytes, name: str, changes: list[Change]) -> Patch:
    """An xm save file: the signature, the new length (big-endian, as xend's
    XendCheckpoint.save writes it) and the new S-expression, which must parse as one
    ``(domain ...)`` list as xend's restore needs (XEND-CFG-002)."""
    from .xend import CONFIG_LEN_FMT, SIGNATURE
    from .xend_config import XendConfigError, config_bytes

    h = s.xend
    if config_kind(data) != "sxp":
        raise EditUsage(
            f"--config {name}: an xm save file holds xend's S-expression configuration "
            "(a `(domain ...)` list, as `xm list --long` prints it)"
        )
    try:
        config = config_bytes(data)
    except XendConfigError as e:
        raise EditError(f"--config {name}: {e}", "XEND-CFG-002") from None
    if not h.config_complete:
        raise EditError("the xend configuration is too long or truncated; not edited")
    old = h.config.decode("latin-1")
    changes.append(Change("config", "xend configuration", old, config.decode("latin-1"), "xend", 0))
    head = SIGNATURE + struct.pack(CONFIG_LEN_FMT, len(config))
    return h.offset, h.stream_offset, head + config


#: Configuration writers by outer layer (``Reader.layer``): each gets the scan, the new
#: configuration and its file name, appends a Change, and returns the patch (start and
#: end of the old header, new header octets).
CONFIG_WRITERS = {"xl": _xl_config, "libvirt": _libvirt_config, "xend": _xend_config}


def _set_registers(s: _Scan, req: Request, changes: list[Change]) -> None:
    for vid, reg, value in req.regs:
        if s.guest == DomainType.X86_PV:
            recs = s.vcpus.get(vid)
            if not recs:
                raise EditUsage(
                    f"--set vcpu{vid}.{reg}: no vCPU {vid} (vCPUs: "
                    f"{', '.join(map(str, sorted(s.vcpus))) or 'none'})"
                )
            for rec in recs:
                ctx = rec.body[8:]
                width = s.guest_width or pv_width(len(ctx))
                if width not in (4, 8) or len(ctx) != pv_context.CONTEXT_SIZE[width]:
                    raise EditError(
                        f"{rec.offset:#x}: {rec.where()}: a context of {len(ctx)} "
                        "octets, not one xensave can edit"
                    )
                _set(
                    rec,
                    8,
                    ef.pv_register(reg, width, bytes(ctx), rec.endian),
                    rec.endian,
                    value,
                    f"vcpu{vid}.{reg}",
                    "register",
                    changes,
                )
        elif s.guest == DomainType.X86_HVM:
            slot = ef.hvm_register(reg)
            hits = _hvm_entries(s, hvm_context.Typecode.CPU, vid)
            if not hits:
                raise EditUsage(
                    f"--set vcpu{vid}.{reg}: no CPU entry for vCPU {vid} in the HVM context"
                )
            for rec, entry in hits:
                if entry.length == hvm_context.CPU_COMPAT_SIZE and slot.offset >= 1000:
                    raise EditError(
                        f"vcpu{vid}.{reg}: the CPU entry has the older 1016-octet "
                        "layout; fields after msr_efer are not edited there"
                    )
                _set_payload(rec, entry, slot, value, f"vcpu{vid}.{reg}", "register", changes)
        else:
            raise EditUsage("--set: the image's guest type is neither x86 PV nor x86 HVM")


def pv_width(size: int) -> int:
    return pv_context.width_of_size(size) or 0


def _hvm_entries(s: _Scan, typecode: int, instance: int) -> list[tuple[_Rec, Any]]:
    out = []
    for rec in s.hvm_context:
        for e in hvm_context.decode(bytes(rec.body)).entries:
            if e.typecode == typecode and e.instance == instance and not e.truncated:
                out.append((rec, e))
    return out


def _set(
    rec: _Rec,
    base: int,
    slot: ef.Slot,
    endian: str,
    value: int,
    target: str,
    kind: str,
    changes: list[Change],
) -> None:
    moved = ef.Slot(slot.name, base + slot.offset, slot.code, slot.to_raw, slot.from_raw)
    old = ef.read(rec.body, moved, endian)
    try:
        ef.write(rec.body, moved, endian, value)
    except ef.FieldError as e:
        raise EditUsage(f"{target}: {e}") from None
    rec.changed = True
    changes.append(Change(kind, target, old, value, rec.where(), rec.offset))


def _set_payload(
    rec: _Rec,
    entry: Any,
    slot: ef.Slot,
    value: int,
    target: str,
    kind: str,
    changes: list[Change],
) -> None:
    if slot.offset + slot.size > entry.length:
        raise EditError(
            f"{target}: the {entry.name} entry is {entry.length} octets, too short to hold "
            f"this field (offset {slot.offset}); an older layout, not edited"
        )
    _set(rec, entry.payload_offset, slot, "<", value, target, kind, changes)


def _set_hvm(s: _Scan, req: Request, changes: list[Change]) -> None:
    for tc, inst, name, value in req.hvm:
        tname = hvm_context.typecode_name(tc)
        target = f"{tname}[{inst}].{name}"
        if s.guest != DomainType.X86_HVM or not s.hvm_context:
            raise EditUsage(f"--hvm-set {target}: the image has no HVM context (not an HVM guest)")
        try:
            slot = ef.hvm_field(tc, name)
        except ef.FieldError as e:
            raise EditUsage(f"--hvm-set {target}: {e}") from None
        hits = _hvm_entries(s, tc, inst)
        if not hits:
            have = sorted(
                {
                    f"{e.name}[{e.instance}]"
                    for rec in s.hvm_context
                    for e in hvm_context.decode(bytes(rec.body)).entries
                    if e.typecode == tc
                }
            )
            raise EditUsage(
                f"--hvm-set {target}: no {tname} entry with instance {inst} "
                f"(present: {', '.join(have) or 'none'})"
            )
        for rec, entry in hits:
            _set_payload(rec, entry, slot, value, target, "hvm_context", changes)


def _set_params(s: _Scan, req: Request, changes: list[Change]) -> None:
    for index, name, value in req.params:
        if not s.hvm_params:
            raise EditUsage(
                f"--param {name}: the image has no HVM_PARAMS record (not an HVM guest)"
            )
        if value >= 1 << 64:
            raise EditUsage(f"--param {name}: {value:#x} does not fit 64 bits")
        for rec in s.hvm_params:
            e = rec.endian
            if len(rec.body) < 8:
                raise EditError(
                    f"{rec.offset:#x}: {rec.where()}: shorter than its header", "XC-HVMP-001"
                )
            count = struct.unpack_from(e + "I", rec.body)[0]
            if 8 + 16 * count != len(rec.body):
                raise EditError(
                    f"{rec.offset:#x}: {rec.where()}: count {count} does not match "
                    "its length; not edited",
                    "XC-HVMP-002",
                )
            old = None
            for i in range(count):
                off = 8 + 16 * i
                idx, val = struct.unpack_from(e + "QQ", rec.body, off)
                if idx == index:
                    old = val
                    struct.pack_into(e + "Q", rec.body, off + 8, value)
            if old is None:  # a param the saver did not send: added
                rec.body += struct.pack(e + "QQ", index, value)
                struct.pack_into(e + "I", rec.body, 0, count + 1)
            rec.changed = True
            changes.append(Change("hvm_param", name, old, value, rec.where(), rec.offset))


def plan(s: _Scan, req: Request) -> tuple[list[Patch], list[Change]]:
    """The byte ranges of IN to replace, and what each edit changes."""
    changes: list[Change] = []
    patches: list[Patch] = []
    if s.legacy and (req.regs or req.hvm or req.params):
        raise EditError(
            "IN holds a legacy (Xen 4.5 and older) stream; registers, HVM context fields "
            "and params are edited in v2/v3 images: convert it first (xensave convert IN "
            "NEW), then edit NEW (a wrapper's --config can be edited as it is)"
        )
    if req.config is not None:
        patches.append(_config_patch(s, req, changes))
    try:
        _set_registers(s, req, changes)
        _set_hvm(s, req, changes)
        _set_params(s, req, changes)
    except ef.FieldError as e:
        raise EditUsage(str(e)) from None
    recs = [*s.hvm_context, *s.hvm_params, *(r for rs in s.vcpus.values() for r in rs)]
    for rec in recs:
        if not rec.changed:
            continue
        body = bytes(rec.body)
        pad = rec.padding if len(body) == rec.orig_len else bytes(-len(body) % 8)
        head = struct.pack(rec.endian + "II", rec.type, len(body))
        patches.append((rec.offset, rec.end, head + body + pad))
    patches.sort()
    return patches, changes


# --- writing OUT ------------------------------------------------------------------------


def _write_all(fd: int, data: bytes) -> int:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
    return len(data)


def _copy(in_fd: int, out_fd: int, offset: int, n: int) -> int:
    """Move ``n`` octets of IN from ``offset`` to OUT's end, in the kernel where it can."""
    done = 0
    while done < n:
        try:
            got = os.copy_file_range(in_fd, out_fd, n - done, offset + done)
        except OSError:
            got = 0
        if got <= 0:
            data = os.pread(in_fd, min(n - done, _COPY_CHUNK), offset + done)
            if not data:
                raise EditError("IN changed size while it was copied")
            got = _write_all(out_fd, data)
        done += got
    return done


def splice(in_fd: int, size: int, out_fd: int, patches: list[Patch]) -> int:
    """Write IN with ``patches`` applied to ``out_fd``; returns the octets written."""
    pos = written = 0
    for start, end, data in patches:
        written += _copy(in_fd, out_fd, pos, start - pos)
        written += _write_all(out_fd, data)
        pos = end
    return written + _copy(in_fd, out_fd, pos, size - pos)


def _new(out: list[Any], before: list[Any]) -> list[Any]:
    """Diagnostics of OUT beyond IN's, counted by rule (offsets move with an edit)."""
    from collections import Counter

    left = Counter(d.rule for d in before)
    new = []
    for d in out:
        if left[d.rule]:
            left[d.rule] -= 1
        else:
            new.append(d)
    return new


def _verdict(tmp: str, src: str) -> list[str]:
    """Refuse OUT unless it verifies clean, naming the rule the edit breaks (or saying
    that IN did not verify clean either); return notes for SHOULD rules the edit
    breaks (warnings: OUT is still valid)."""
    from .checker import check_stream

    with open(tmp, "rb") as f:
        out = check_stream(f)
    if not (out.errors or out.warnings):
        return []
    with open(src, "rb") as f:
        before = check_stream(f)
    new = _new(out.errors, before.errors)
    if new:
        d = new[0]
        more = f" (and {len(new) - 1} more)" if len(new) > 1 else ""
        raise EditError(
            f"the edit would break {d.rule or 'the image'}: {d.format('OUT')}{more}", d.rule
        )
    if out.errors:
        d = out.errors[0]
        raise EditError(
            f"IN does not verify clean itself ({d.format('IN')}), and OUT would carry the "
            "same fault; nothing written",
            d.rule,
        )
    return [f"warning: {d.format('OUT')}" for d in _new(out.warnings, before.warnings)]


def edit(
    src: str,
    dst: str,
    req: Request,
    *,
    force: bool = False,
    sync: bool | None = None,
) -> EditResult:
    """Apply ``req`` to the image at ``src``, writing ``dst``. Raises EditError
    (nothing written), OutputError (exit 2) or OSError."""
    from .outputs import check_output, create_temp, install, remove_temp

    if req.empty:
        raise EditUsage("nothing to change: give --config, --set, --hvm-set or --param")
    if src == "-":
        raise EditUsage("IN must be a file (its page data is copied by offset)")
    exists = check_output(src, dst, force)
    with open(src, "rb") as f:
        st = os.fstat(f.fileno())
        import stat as _stat

        if not _stat.S_ISREG(st.st_mode):
            raise EditUsage(f"{src}: not a regular file (its page data is copied by offset)")
        wanted = {XcRecType.X86_PV_VCPU_BASIC} if req.regs else set()
        if req.regs or req.hvm:
            wanted.add(XcRecType.HVM_CONTEXT)
        if req.params:
            wanted.add(XcRecType.HVM_PARAMS)
        s = scan(f, st.st_size, frozenset(wanted))
        patches, changes = plan(s, req)
        fd, tmp = create_temp(dst)
        ok = False
        try:
            written = splice(f.fileno(), st.st_size, fd, patches)
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)
            if exists if sync is None else sync:
                os.fsync(fd)
            os.close(fd)
            fd = -1
            warnings = _verdict(tmp, src)
            install(tmp, dst, replace=force)
            ok = True
        finally:
            if fd >= 0:
                os.close(fd)
            if not ok:
                remove_temp(tmp)
    notes = warnings
    copies = {c.target for c in changes}
    if len(changes) > len(copies):
        notes.append("a field held in several records (one per checkpoint) was set in each")
    return EditResult(changes, written, notes)


# --- command line --------------------------------------------------------------------

EDIT_EPILOG = """\
exit status: 0 OUT written and verified, 1 refused (the edit would break a rule, named
in the message, or IN is not an image that verifies clean; OUT untouched), 2 usage or
I/O error (a field, vCPU, entry or param IN does not have, a value its field cannot
hold, OUT refused as convert refuses it)

examples:
  xensave edit --set vcpu0.rip=0xffffffff81000000 guest.xl fixed.xl
  xensave edit --hvm-set 'HPET[0].config=0x1' guest.xl fixed.xl
  xensave edit --hvm-set 'HPET[0].timers[1].config=0x0' --param TIMER_MODE=1 a.xl b.xl
  xensave edit --config domain.json guest.xl renamed.xl     # xl: libxl's JSON
  xensave edit --config domain.xml guest.libvirt new.libvirt  # libvirt: its XML
  xensave edit --json --set vcpu1.cr3=0x1234000 guest.xl out.xl | jq .changes
  xensave diff guest.xl fixed.xl                          # shows exactly the edit

Names: registers as `xensave dump` prints them (rip, eflags, cs_flags, cr3, and each
structure's own fields: rflags, msr_efer, ctrlreg[4], kernel_sp...); HVM context
fields as dump's JSON names them (HPET[0].timers[0].config, PIT[0].channels[2].mode,
CPU_MSR[0].msr[1].val), octet strings by octet (RTC[0].cmos_data[11]); HVM params by
Xen's name (STORE_PFN, TIMER_MODE) or number.
"""


def register(sub: Any) -> None:
    """Add the ``edit`` subcommand to the CLI's subparsers."""
    import argparse

    p = sub.add_parser(
        "edit",
        help="change a configuration, register, HVM context field or HVM param",
        description="Write OUT: IN with the requested changes. Each change is checked: "
        "OUT is written to a temporary file, verified against every rule, and takes "
        "OUT's name only when it verifies clean; page data is copied, never read into "
        "memory. IN is never modified. An existing OUT is replaced only with --force and "
        "only if it is a regular file.",
        epilog=EDIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", metavar="IN", help="the image to edit (a regular file)")
    p.add_argument("output", metavar="OUT", help="where to write the edited image")
    p.add_argument(
        "--config",
        metavar="FILE",
        help="replace the domain configuration: libxl JSON for an xl save file, "
        "libvirt XML for a libvirt file, a (domain ...) S-expression for an xm save "
        "(xend) file",
    )
    p.add_argument(
        "--set",
        dest="sets",
        metavar="vcpuN.REG=VALUE",
        action="append",
        default=[],
        help="set a vCPU register (PV or HVM); repeatable",
    )
    p.add_argument(
        "--hvm-set",
        dest="hvm_sets",
        metavar="TYPE[N].FIELD=VALUE",
        action="append",
        default=[],
        help="set a field of an HVM context entry; repeatable",
    )
    p.add_argument(
        "--param",
        dest="params",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="set (or add) an HVM param; repeatable",
    )
    p.add_argument(
        "--force", action="store_true", help="replace OUT if it is an existing regular file"
    )
    durable = p.add_mutually_exclusive_group()
    durable.add_argument(
        "--sync",
        action="store_true",
        help="fsync OUT before renaming it into place even when it is new",
    )
    durable.add_argument(
        "--no-sync", action="store_true", help="never fsync OUT, not even when it replaces a file"
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="report what changed as JSON")
    out.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def cmd_edit(args: Any) -> int:
    a = args
    try:
        req = parse_request(a.sets, a.hvm_sets, a.params, a.config)
        r = edit(
            a.input,
            a.output,
            req,
            force=a.force,
            sync=True if a.sync else False if a.no_sync else None,
        )
    except EditError as e:
        if a.json:
            print(
                json.dumps(
                    {
                        "input": a.input,
                        "output": a.output,
                        "written": False,
                        "error": {"message": str(e), "rule": e.rule},
                    }
                )
            )
        msg = str(e) if not e.rule or e.rule in str(e) else f"{e.rule}: {e}"
        print(f"xensave: edit: {a.input}: {msg}", file=sys.stderr)
        return e.code
    except OutputError as e:
        print(f"xensave: edit: {e}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as e:
        name = e.filename if isinstance(e.filename, str) else a.output
        if ".xensave-" in os.path.basename(name):
            name = a.output
        print(f"xensave: edit: {name}: {reason(e)}", file=sys.stderr)
        return EXIT_ERROR
    if a.json:
        json.dump(
            {
                "input": a.input,
                "output": a.output,
                "written": True,
                "bytes_written": r.bytes_written,
                "changes": [c.to_json() for c in r.changes],
                "notes": r.notes,
            },
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
    elif not a.quiet:
        print(
            f"{a.output}: {len(r.changes)} change{'s' if len(r.changes) != 1 else ''}, "
            f"{r.bytes_written} bytes, verified"
        )
        for c in r.changes:
            print(f"  {c.text()}")
        for n in r.notes:
            print(f"  {n}" if n.startswith("warning:") else f"  note: {n}")
    return EXIT_VALID
