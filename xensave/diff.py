"""``xensave diff A B``: what differs between two save images.

Each image is read once by the streaming reader, the two one after the other. What
is compared: the layers and their headers, the xl configuration (JSON, key by key)
or libvirt XML, the record sequence (counts by type, records added and removed, and
every non-page record's body by digest), HVM parameters by name, HVM context fields
and PV vCPU context fields by the names ``xensave edit`` takes, registers per vCPU,
CPUID and MSR policy entries, page-type counts, and guest memory page by page.

Memory is bounded by the pfn index, never by page contents: each page is hashed as
it is read (a 16-byte BLAKE2b that also covers its page type) into a table keyed by
pfn, where a later copy of the same pfn replaces the earlier one (the last copy
wins, as on restore). The table is kept in blocks of 16 pfns (16 bytes each plus a
presence mask), so a dense guest costs about 28 bytes a page (measured:
docs/performance.md), and pfns that lie far apart (one per block) up to about 400
bytes each. On a regular file page contents are read with ``pread`` in small
batches; on a pipe the reader hands over one record's pages at a time.

A legacy (Xen <= 4.5) image given as a file is converted to a libxl stream in a
temporary directory first, as ``xensave export`` does; on a pipe it is refused.

Exit status as ``cmp`` and ``diff``: 0 when nothing compared differs (a note says
when the files' bytes still do), 1 when something does, 2 on trouble (usage, I/O,
an image whose framing is lost, a legacy image on a pipe).
Two byte-identical regular files are recognised without reading them as images.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import hashlib
import json
import os
import stat
import struct
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from .console import EXIT_ERROR

if TYPE_CHECKING:
    from .progress import Progress
from .constants import (
    PAGE_DATA_PFN_MASK,
    PAGE_DATA_TYPE_SHIFT,
    PAGE_TYPES_WITHOUT_DATA,
    VCPU_RECORDS,
    HvmParam,
    LibxlRecType,
    PageType,
    XcRecType,
    XlMandatoryFlag,
)
from .diff_pages import DIGEST, PageDiff, PageIndex, compare_pages, pages_json
from .diff_text import format_text

__all__ = ["PageDiff", "PageIndex", "compare_pages", "format_text", "pages_json"]

EXIT_SAME = 0
EXIT_DIFFERENT = 1

#: Pages fetched per pread on a regular file.
_BATCH = 64
#: Record sequences longer than this are compared by counts only (difflib is quadratic).
SEQ_MAX = 20000

_PERSON = [f"xensave-pt{t}".encode() for t in range(16)]
_NO_DATA_DIGEST = [hashlib.blake2b(b"", digest_size=DIGEST, person=p).digest() for p in _PERSON]
_MISSING_DIGEST = [
    hashlib.blake2b(b"\x00missing", digest_size=DIGEST, person=p).digest() for p in _PERSON
]
_PAGE_TYPE_NAMES = {int(t): t.name for t in PageType}
#: Records after which a checkpointed stream may end without END (XC-CKPT-003).
_CHECKPOINT_ENDS = frozenset(
    {
        ("libxc", XcRecType.CHECKPOINT),
        ("libxl", LibxlRecType.CHECKPOINT_END),
        ("libxl", LibxlRecType.CHECKPOINT_STATE),
    }
)


class DiffError(Exception):
    """One image cannot be compared (exit 2)."""


class _LegacyImage(DiffError):
    """A legacy image: compared after conversion when it is a file, refused on a pipe."""


# --- one image ----------------------------------------------------------------------


@dataclass
class Side:
    """What one image holds, as far as the comparison needs it."""

    name: str
    layer: str = ""
    layers: list[str] = field(default_factory=list)
    headers: dict[str, dict[str, Any]] = field(default_factory=dict)
    config: Any = None  # the xl configuration: a JSON value, or text
    xml: str | None = None  # libvirt's domain XML
    counts: Counter[str] = field(default_factory=Counter)
    seq: list[str] | None = field(default_factory=list)  # non-page records, in order
    bodies: dict[str, bytes] = field(default_factory=dict)  # record key -> digest
    params: dict[str, int] = field(default_factory=dict)
    regs: dict[int, dict[str, int]] = field(default_factory=dict)
    hvm: dict[str, Any] = field(default_factory=dict)  # HVM context fields by name
    pv: dict[str, Any] = field(default_factory=dict)  # PV context fields not registers
    cpuid: dict[str, str] = field(default_factory=dict)
    msr: dict[str, str] = field(default_factory=dict)
    page_types: Counter[str] = field(default_factory=Counter)
    page_copies: int = 0
    pages: PageIndex = field(default_factory=PageIndex)
    trailers: list[tuple[str, int]] = field(default_factory=list)
    # EMULATOR_CONTEXT key -> the device-model state told apart (xensave.devmodel)
    device_models: dict[str, dict[str, Any]] = field(default_factory=dict)
    last: tuple[str, int] = ("", -1)  # (layer, type) of the latest record
    notes: list[str] = field(default_factory=list)


def _regular_fd(f: BinaryIO) -> int | None:
    try:
        fd = f.fileno()
        return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except (OSError, ValueError, AttributeError):
        return None


def collect(f: BinaryIO, name: str, progress: Callable[[int], None] | None = None) -> Side:
    """Read one image into a Side (``progress(offset)`` told as the reading goes).
    DiffError for lost framing or a legacy image."""
    from .console import format_read_error
    from .dump import header_item
    from .reader import (
        LibvirtHeader,
        Reader,
        ReadError,
        ReadOptions,
        RecordEvent,
        Trailer,
        XapiHeader,
        XcDomainHeader,
        XlHeader,
    )

    side = Side(name)
    fd = _regular_fd(f)
    reader = Reader(f, ReadOptions(want_pages=fd is None))
    occurrences: Counter[str] = Counter()
    try:
        for ev in reader:
            if progress is not None:
                progress(reader.src.offset)
            if isinstance(ev, RecordEvent):
                _record(side, ev, occurrences, reader.st.page_size, fd)
                continue
            if isinstance(ev, Trailer):
                side.trailers.append((ev.layer, ev.length))
                continue
            if not hasattr(ev, "offset") or type(ev).__module__ != "xensave.reader":
                raise _LegacyImage(
                    f"{name}: a legacy (pre-Xen 4.6) image, which diff converts only when "
                    "it is a file: give a file, or convert it first "
                    "(xensave convert --to libxc-v3 IN OUT)"
                )
            item, _text = header_item(ev)
            kind = str(item.pop("kind"))
            item.pop("offset", None)
            if isinstance(ev, XapiHeader):
                kind = f"xapi_section {ev.name}"
                dm = item.pop("device_model", None)
                if dm is not None:  # compared as a device-model state, not as a header
                    _device_model(
                        side, kind, str(dm["writer"]), ev.data, ev.length, ev.body_offset, fd
                    )
                elif ev.data:
                    item["data_blake2b"] = hashlib.blake2b(ev.data, digest_size=16).hexdigest()
            layer = "xapi" if isinstance(ev, XapiHeader) else _LAYER_OF_KIND.get(kind, kind)
            if kind == "libxc_image_header":
                layer = f"libxc v{item.get('version')}"
            if layer not in side.layers and kind != "libxc_domain_header":
                side.layers.append(layer)
            if isinstance(ev, XlHeader):
                side.config = _config(ev.config, ev.mandatory_flags)
                # the configuration is compared key by key; what follows it only by digest
                extra = ev.optional_data[4 + (ev.config_len or 0) :]
                if ev.config_len is None:
                    extra = ev.optional_data
                if extra:
                    item["optional_extra_blake2b"] = hashlib.blake2b(
                        extra, digest_size=16
                    ).hexdigest()
            elif isinstance(ev, LibvirtHeader):
                side.xml = ev.xml.rstrip(b"\x00").decode("utf-8", "replace")
                item["unused"] = ev.unused.hex()
            elif isinstance(ev, XcDomainHeader):
                pass
            key = kind
            n = 1
            while key in side.headers:  # a second libxc stream (checkpoints) etc.
                n += 1
                key = f"{kind}[{n}]"
            side.headers[key] = item
    except ReadError as exc:
        # a checkpointed stream may stop right after a complete checkpoint (XC-CKPT-003)
        if not (side.last in _CHECKPOINT_ENDS and exc.rule in ("XC-END-002", "XL-END-002")):
            raise DiffError(format_read_error(exc, name)) from None
    side.layer = reader.layer or ""
    return side


_LAYER_OF_KIND = {
    "xl_header": "xl",
    "libvirt_header": "libvirt",
    "libxl_header": "libxl",
}


def _side(
    f: BinaryIO, name: str, path: str, progress: Progress | None = None, size: int | None = None
) -> Side:
    """collect(), converting a legacy image given as a file to a libxl stream first (in
    a temporary directory, removed afterwards), as ``xensave export`` does."""
    if progress is not None:
        progress.restart(f"diff: reading {name}: ", size)
    try:
        return collect(f, name, progress.update if progress is not None else None)
    except _LegacyImage:
        if path == "-":
            raise
    import tempfile

    from .convert import ConvertError, convert

    xend = _xend_header(path)  # an xend file converts to xl, its configuration kept
    with tempfile.TemporaryDirectory(prefix="xensave-diff.") as tmp:
        out = os.path.join(tmp, "converted")
        try:
            convert(path, out, "libxl" if xend is None else "xl")
        except ConvertError as exc:
            raise DiffError(f"{name}: a legacy (pre-Xen 4.6) image: {exc}") from None
        with open(out, "rb") as g:
            side = collect(g, name)
    if xend is not None:
        side.headers = {"xend_header": xend, **side.headers}
        side.layers.insert(0, "xend")
        for dm in side.device_models.values():  # xend ran only qemu-dm (xend.md)
            if dm["writer"] == "unknown":
                dm["writer"] = "qemu-traditional"
        side.notes.append(f"{name}: xend (xm save) image, compared after conversion to xl")
        return side
    side.notes.append(
        f"{name}: legacy (Xen <= 4.5) image, compared after conversion to a libxl stream"
    )
    return side


def _xend_header(path: str) -> dict[str, Any] | None:
    """The header item of an xend file (its S-expression configuration as text), or
    None for any other image."""
    from .dump import header_item
    from .reader import Reader, ReadError
    from .xend import XendHeader

    with open(path, "rb") as f:
        try:
            first = next(iter(Reader(f)), None)
        except ReadError:
            return None
    if not isinstance(first, XendHeader):
        return None
    item, _ = header_item(first)
    item.pop("kind", None)
    item.pop("offset", None)
    return item


def _config(config: bytes | None, flags: int) -> Any:
    if config is None:
        return None
    raw = config.rstrip(b"\x00")
    if flags & XlMandatoryFlag.JSON:
        try:
            return json.loads(raw)
        except ValueError:
            pass
    return raw.decode("utf-8", "replace")


def _record(side: Side, ev: Any, occ: Counter[str], ps: int, fd: int | None) -> None:
    side.last = (ev.layer, ev.type)
    label = f"{ev.layer} {ev.name}"
    side.counts[label] += 1
    if ev.layer == "libxc" and ev.type == XcRecType.PAGE_DATA:
        _pages(side, ev, ps, fd)
        return
    if side.seq is not None:
        side.seq.append(label)
        if len(side.seq) > SEQ_MAX:
            side.seq = None
    e, body = ev.endian, ev.body
    key = label
    if ev.layer == "libxc" and ev.type in VCPU_RECORDS and len(body) >= 4:
        key += f" vcpu {struct.unpack_from(f'{e}I', body)[0]}"
    n = occ[key]
    occ[key] += 1
    h = hashlib.blake2b(body, digest_size=16)
    h.update(ev.padding)
    if not ev.body_complete:
        h.update(ev.length.to_bytes(8, "little"))
    side.bodies[f"{key} #{n}" if n else key] = h.digest()
    if ev.layer == "libxl" and ev.type == LibxlRecType.EMULATOR_CONTEXT and len(body) >= 8:
        eid = struct.unpack_from(f"{ev.endian}I", ev.body)[0]
        writer = devmodel_writer(eid)
        _device_model(side, label, writer, ev.body[8:], ev.length - 8, ev.body_offset + 8, fd)
    if ev.layer != "libxc":
        return
    with contextlib.suppress(struct.error, ValueError, IndexError):
        _decode(side, ev)  # an undecodable body still counts through its digest


def _dm_differ(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two states differ in their bytes (size, format, digest), or in their writer when
    both name one: "unknown" (emulator id 0, which libxl never reads) claims none, and
    where a state is held (a record or a XAPI section) is the wrappers' difference."""
    fields = ("size", "format", "qevm_version", "sha256")
    if any(a.get(k) != b.get(k) for k in fields):
        return True
    return "unknown" not in (a["writer"], b["writer"]) and a["writer"] != b["writer"]


def devmodel_writer(emulator_id: int) -> str:
    """The device model a libxl EMULATOR_CONTEXT record's emulator id names."""
    from . import devmodel

    return devmodel.EMULATOR_WRITERS.get(emulator_id, "unknown")


def _device_model(
    side: Side,
    where: str,
    writer: str,
    data: bytes,
    size: int,
    offset: int,
    fd: int | None,
) -> None:
    """The n-th device-model state, whatever holds it (a libxl EMULATOR_CONTEXT
    record, a XAPI QEMU section), so that a state moved between toolstacks is the
    same state: its writer, size and SHA-256 (of the whole state: read again from a
    regular file when the reader kept a prefix; else only its size is compared)."""
    from . import devmodel

    digest = None
    if len(data) < size and fd is not None:
        digest = devmodel.file_digest(fd, offset, size)
    d = devmodel.describe(data, size, writer, "container", digest)
    n = len(side.device_models)
    key = "device-model state" + (f" #{n}" if n else "")
    side.device_models[key] = {
        "in": where,
        **{k: d.get(k) for k in ("writer", "size", "format", "qevm_version", "sha256")},
    }


def _decode(side: Side, ev: Any) -> None:
    from .vcpu_regs import hvm_context_cpus, pv_regs

    e, body, t = ev.endian, ev.body, ev.type
    if t == XcRecType.HVM_PARAMS and len(body) >= 8:
        count = struct.unpack_from(f"{e}I", body)[0]
        n = min(count, (len(body) - 8) // 16)
        flat = struct.unpack_from(f"{e}{2 * n}Q", body, 8)
        for i, v in zip(flat[0::2], flat[1::2], strict=True):
            try:
                pname = HvmParam(i).name
            except ValueError:
                pname = f"param_{i}"
            side.params[pname] = v
    elif t == XcRecType.X86_PV_VCPU_BASIC and len(body) >= 8:
        vid = struct.unpack_from(f"{e}I", body)[0]
        got = pv_regs(body[8:], e)
        if got is not None:
            side.regs[vid] = got[1]
            side.pv.update(pv_fields(vid, body[8:], e))
    elif t == XcRecType.HVM_CONTEXT:
        for vid, regs in hvm_context_cpus(body, e):
            side.regs[vid] = regs
        side.hvm.update(hvm_fields(body))
    elif t == XcRecType.X86_CPUID_POLICY:
        for off in range(0, len(body) - 23, 24):
            leaf, sub, a, b, c, d = struct.unpack_from(f"{e}6I", body, off)
            side.cpuid[f"{leaf:#x}/{sub:#x}"] = f"{a:#010x} {b:#010x} {c:#010x} {d:#010x}"
    elif t == XcRecType.X86_MSR_POLICY:
        for off in range(0, len(body) - 15, 16):
            idx, flags, val = struct.unpack_from(f"{e}IIQ", body, off)
            side.msr[f"{idx:#x}"] = f"{val:#x}" + (f" flags {flags:#x}" if flags else "")


#: hvm_hw_cpu fields the registers section shows already (vcpu_regs.hvm_cpu_regs).
_CPU_REGISTER_FIELDS = frozenset(
    {"rax", "rbx", "rcx", "rdx", "rbp", "rsi", "rdi", "rsp", "rip", "rflags", "shadow_gs"}
    | {f"r{i}" for i in range(8, 16)}
    | {f"cr{i}" for i in (0, 2, 3, 4)}
    | {
        f"{s}_{p}"
        for s in ("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldtr")
        for p in ("sel", "arbytes", "limit", "base")
    }
    | {f"{s}_{p}" for s in ("idtr", "gdtr") for p in ("limit", "base")}
)


#: vcpu_guest_context fields the registers section shows already (vcpu_regs.pv_regs).
_PV_REGISTER_FIELDS = frozenset(
    {"ctrlreg[0]", "ctrlreg[2]", "ctrlreg[3]", "ctrlreg[4]", "fs_base"}
    | {"gs_base_kernel", "gs_base_user"}
)


def pv_fields(vid: int, ctx: bytes, endian: str) -> dict[str, Any]:
    """The PV context's fields beside its registers (flags, the tail words: kernel_sp,
    gdt_frames[i], ctrlreg[1], vm_assist...) as ``vcpuN.field``, the names
    ``xensave edit --set`` takes; the trap table by digest."""
    from . import pv_context

    c = pv_context.decode_or_none(ctx, None, endian)
    if c is None:
        return {}
    fields: dict[str, Any] = {"flags": c.flags}
    for k in ("error_code", "entry_vector", "saved_upcall_mask"):
        fields[k] = c.user_regs[k]
    for k, v in _flatten(c.words).items():
        if k not in _PV_REGISTER_FIELDS:
            fields[k] = v
    traps = hashlib.blake2b(repr(c.trap_ctxt).encode(), digest_size=8).hexdigest()
    fields["trap_ctxt"] = "blake2b:" + traps
    return {f"vcpu{vid}.{k}": v for k, v in fields.items()}


def hvm_fields(blob: bytes) -> dict[str, Any]:
    """Every decoded HVM context field as ``TYPE[instance].field`` (the names
    ``xensave edit --hvm-set`` takes); octet strings by digest, and CPU registers left
    to the registers section."""
    from . import hvm_context

    out: dict[str, Any] = {}
    for e in hvm_context.decode(blob).entries:
        if e.fields is None:
            continue
        cpu = e.typecode == hvm_context.Typecode.CPU
        for k, v in _flatten(e.fields).items():
            if cpu and k in _CPU_REGISTER_FIELDS:
                continue
            if isinstance(v, bytes | bytearray):
                v = "blake2b:" + hashlib.blake2b(v, digest_size=8).hexdigest()
            out[f"{e.name}[{e.instance}].{k}"] = v
    return out


def _pages(side: Side, ev: Any, ps: int, fd: int | None) -> None:
    body = ev.body
    if len(body) < 8:
        return
    if not ev.body_complete or (fd is None and ev.pages is None and ev.page_bytes):
        # what the reader does not hold (memory must not follow a length field)
        from .reader import PAGES_KEEP_MAX, PFN_KEEP_MAX

        what = (
            f"a pfn array of {ev.pfn_entries} entries (more than {PFN_KEEP_MAX // 8})"
            if not ev.body_complete
            else f"{ev.page_bytes} bytes of page data from a pipe (more than "
            f"{PAGES_KEEP_MAX}; give a file)"
        )
        raise DiffError(
            f"{side.name}:{ev.offset:#x}: record #{ev.index} PAGE_DATA: {what}: "
            "more than diff compares in one record (Xen's saver sends at most 1024 pages)"
        )
    n = (len(body) - 8) // 8
    entries = array("Q", body[8 : 8 + 8 * n])
    if (ev.endian == "<") != (sys.byteorder == "little"):
        entries.byteswap()
    pages = _page_source(ev, ps, fd)
    index, types, blake = side.pages, side.page_types, hashlib.blake2b
    for ent in entries:
        ptype = ent >> PAGE_DATA_TYPE_SHIFT
        pfn = ent & PAGE_DATA_PFN_MASK
        types[_PAGE_TYPE_NAMES.get(ptype, f"RESERVED_{ptype}")] += 1
        if ptype in PAGE_TYPES_WITHOUT_DATA:
            index.set(pfn, _NO_DATA_DIGEST[ptype])
            continue
        page = next(pages, None)
        if page is None:
            index.set(pfn, _MISSING_DIGEST[ptype])
            continue
        side.page_copies += 1
        index.set(pfn, blake(page, digest_size=DIGEST, person=_PERSON[ptype]).digest())


def _page_source(ev: Any, ps: int, fd: int | None) -> Iterator[memoryview]:
    """The record's pages in order: from the reader's copy (a pipe) or by pread."""
    avail = ev.page_bytes // ps
    if ev.pages is not None or fd is None:
        mv = memoryview(ev.pages or b"")
        for k in range(min(avail, len(mv) // ps)):
            yield mv[k * ps : (k + 1) * ps]
        return
    base = ev.body_offset + len(ev.body)
    k = 0
    while k < avail:
        want = min(_BATCH, avail - k)
        buf = os.pread(fd, want * ps, base + k * ps)
        got = len(buf) // ps
        mv = memoryview(buf)
        for j in range(got):
            yield mv[j * ps : (j + 1) * ps]
        if got < want:
            return
        k += got


# --- comparing --------------------------------------------------------------------


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out or {prefix: {}}
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}[{i}]"))
        return out or {prefix: []}
    return {prefix: value}


_ABSENT = object()


def _dict_diff(a: dict[str, Any], b: dict[str, Any], what: str) -> list[dict[str, Any]]:
    """Entries whose values differ or that only one side has (absent: None + only_in)."""
    out: list[dict[str, Any]] = []
    keys = list(a) + [k for k in b if k not in a]
    for k in keys:
        va, vb = a.get(k, _ABSENT), b.get(k, _ABSENT)
        if va == vb:
            continue
        item: dict[str, Any] = {what: k, "a": None if va is _ABSENT else va}
        item["b"] = None if vb is _ABSENT else vb
        if va is _ABSENT:
            item["only_in"] = "b"
        elif vb is _ABSENT:
            item["only_in"] = "a"
        out.append(item)
    return out


def compare(a: Side, b: Side) -> dict[str, Any]:
    """The differences between two images, as JSON-ready sections (empty: the same)."""
    d: dict[str, Any] = {}
    if a.layers != b.layers:
        d["layers"] = {"a": a.layers, "b": b.layers}
    headers: list[dict[str, Any]] = []
    for key in list(a.headers) + [k for k in b.headers if k not in a.headers]:
        ha, hb = a.headers.get(key), b.headers.get(key)
        if ha is None or hb is None:
            headers.append({"header": key, "only_in": "a" if hb is None else "b"})
            continue
        for item in _dict_diff(ha, hb, "field"):
            headers.append({"header": key, **item})
    if headers:
        d["headers"] = headers
    if a.config != b.config:
        if isinstance(a.config, dict | list) and isinstance(b.config, dict | list):
            d["config"] = _dict_diff(_flatten(a.config), _flatten(b.config), "key")
        else:
            d["config"] = [{"key": "(whole configuration)", "a": a.config, "b": b.config}]
    if a.xml != b.xml:
        d["xml"] = list(
            difflib.unified_diff(
                (a.xml or "").splitlines(), (b.xml or "").splitlines(), "a", "b", lineterm="", n=0
            )
        )
    records: dict[str, Any] = {}
    counts = _dict_diff(dict(a.counts), dict(b.counts), "record")
    if counts:
        records["counts"] = [
            {"record": c["record"], "a": c["a"] or 0, "b": c["b"] or 0} for c in counts
        ]
    if a.seq is not None and b.seq is not None and a.seq != b.seq:
        removed, added = [], []
        sm = difflib.SequenceMatcher(None, a.seq, b.seq, autojunk=False)
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op in ("delete", "replace"):
                removed += [{"position": i, "record": a.seq[i]} for i in range(i1, i2)]
            if op in ("insert", "replace"):
                added += [{"position": j, "record": b.seq[j]} for j in range(j1, j2)]
        if removed:
            records["removed"] = removed
        if added:
            records["added"] = added
        if not removed and not added:
            records["order"] = True
    elif (a.seq is None or b.seq is None) and a.counts != b.counts:
        records["sequence_not_compared"] = f"over {SEQ_MAX} records"
    bodies = [k for k in a.bodies if k in b.bodies and a.bodies[k] != b.bodies[k]]
    if bodies:
        records["bodies_differ"] = bodies
    if records:
        d["records"] = records
    params = _dict_diff(a.params, b.params, "param")
    if params:
        d["hvm_params"] = params
    hvm = _dict_diff(a.hvm, b.hvm, "field")
    if hvm:
        d["hvm_context"] = hvm
    pv = _dict_diff(a.pv, b.pv, "field")
    if pv:
        d["pv_context"] = pv
    regs: list[dict[str, Any]] = []
    for vid in sorted(a.regs.keys() | b.regs.keys()):
        ra, rb = a.regs.get(vid), b.regs.get(vid)
        if ra is None or rb is None:
            regs.append({"vcpu": vid, "only_in": "a" if rb is None else "b"})
            continue
        regs += [{"vcpu": vid, **x} for x in _dict_diff(ra, rb, "register")]
    if regs:
        d["registers"] = regs
    for name, pa, pb in (("cpuid", a.cpuid, b.cpuid), ("msr", a.msr, b.msr)):
        entries = _dict_diff(pa, pb, "leaf" if name == "cpuid" else "msr")
        if entries:
            d[name] = entries
    types = _dict_diff(dict(a.page_types), dict(b.page_types), "type")
    if types:
        d["page_types"] = [{"type": t["type"], "a": t["a"] or 0, "b": t["b"] or 0} for t in types]
    pages = compare_pages(a.pages, b.pages)
    if not pages.empty:
        d["pages"] = pages_json(pages)
    dms: list[dict[str, Any]] = []
    for key in list(a.device_models) + [k for k in b.device_models if k not in a.device_models]:
        da, db = a.device_models.get(key), b.device_models.get(key)
        if da is None or db is None:
            dms.append({"record": key, "only_in": "a" if db is None else "b"})
        elif _dm_differ(da, db):
            dms.append({"record": key, "a": da, "b": db})
    if dms:
        d["device_model"] = dms
    if a.trailers != b.trailers:
        d["trailing_bytes"] = {"a": a.trailers, "b": b.trailers}
    return d


# --- byte identity --------------------------------------------------------------------


def first_difference(fa: BinaryIO, fb: BinaryIO) -> int | None:
    """Offset of the first differing byte of two regular files of the same size (None:
    identical). Reads both from the start in 1 MiB steps and leaves them at 0."""
    off = 0
    try:
        while True:
            ca, cb = fa.read(1 << 20), fb.read(1 << 20)
            if ca != cb:
                n = min(len(ca), len(cb))
                i = next((k for k in range(n) if ca[k] != cb[k]), n)
                return off + i
            if not ca:
                return None
            off += len(ca)
    finally:
        fa.seek(0)
        fb.seek(0)


# --- the command ---------------------------------------------------------------------

DIFF_EPILOG = """\
exit status (as cmp and diff): 0 nothing compared differs (when the files' bytes
still differ, a note says so), 1 the images differ,
2 trouble: usage, I/O, an image whose framing is lost, a legacy image on a pipe

examples:
  xensave diff before.xl after.xl          # what changed, section by section
  xensave diff --json a.xl b.xl | jq .differences.pages
  xensave diff -q a.xl b.xl || echo differ
  ssh host cat /var/lib/xen/save/vm | xensave diff - local.xl

Pages are compared by a 16-byte BLAKE2b of each one (its page type included), the
last copy of a pfn sent several times winning; page contents are never held, so
memory follows the number of pfns, not the size of the guest. Progress is shown on
stderr when it is a terminal (not with -q).
"""


def register(sub: Any) -> None:
    """Add the ``diff`` subcommand to the CLI's subparsers."""
    p = sub.add_parser(
        "diff",
        help="compare two images: headers, config, records, registers, policies, pages",
        description="Compare two save images of any layer (xl, libvirt, XAPI, libxl, "
        "libxc v2/v3): layers and headers, the xl configuration key by key, the record "
        "sequence, HVM parameters, HVM context and PV vCPU context fields by name, "
        "registers per vCPU, CPUID and MSR policies, page "
        "types, and which pages differ or were sent by one image only.",
        epilog=DIFF_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("a", metavar="A", help="the first image, or - for stdin")
    p.add_argument("b", metavar="B", help="the second image, or - for stdin")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the differences as JSON")
    out.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing; only the exit status"
    )


def diff_files(
    path_a: str, path_b: str, progress: Progress | None = None
) -> tuple[dict[str, Any], Side | None, Side | None]:
    """(differences, side A, side B); the sides are None when the files are one and the
    same or byte-identical (then the differences are empty). ``progress`` is shown
    while each image is read."""
    from .console import InputError, open_input, reason

    if path_a == "-" and path_b == "-":
        raise InputError("only one of A and B can be stdin")
    fa, name_a, size_a = open_input(path_a)
    with fa:
        fb, name_b, size_b = open_input(path_b)
        with fb:
            first: int | None = None
            regular = False
            try:
                regular = _regular_fd(fa) is not None and _regular_fd(fb) is not None
                if regular and size_a == size_b:
                    sa, sb = os.fstat(fa.fileno()), os.fstat(fb.fileno())
                    if (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino):
                        return {}, None, None
                    first = first_difference(fa, fb)
                    if first is None:
                        return {}, None, None
                a = _side(fa, name_a, path_a, progress, size_a)
                b = _side(fb, name_b, path_b, progress, size_b)
            except OSError as exc:
                raise InputError(f"cannot read {name_a} or {name_b}: {reason(exc)}") from None
    d = compare(a, b)
    if not d and regular:
        where = f"from offset {first:#x}" if first is not None else f"sizes {size_a} and {size_b}"
        a.notes.append(
            f"the files' bytes differ ({where}), but only in what diff does not compare: "
            "the order and grouping of pages, reserved bits of pfn entries, legacy framing"
        )
    return d, a, b


def cmd_diff(args: argparse.Namespace) -> int:
    from .progress import Progress

    bar = Progress(None) if not args.quiet else None
    try:
        d, a, b = diff_files(args.a, args.b, bar)
    except DiffError as exc:
        print(f"xensave: diff: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if bar is not None:
            bar.close()
    same = not d
    if args.quiet:
        return EXIT_SAME if same else EXIT_DIFFERENT
    if args.json:
        out: dict[str, Any] = {"a": args.a, "b": args.b, "same": same}
        if a is None:
            out["byte_identical"] = True
        else:
            assert b is not None
            out["layers"] = {"a": a.layers, "b": b.layers}
            if a.notes or b.notes:
                out["notes"] = a.notes + b.notes
            out["differences"] = d
        json.dump(out, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif a is None:
        print(f"{args.a} and {args.b} are identical (byte for byte)")
    else:
        assert b is not None
        if same:
            for n in a.notes + b.notes:
                print(f"note: {n}")
            print(f"{a.name} and {b.name}: no differences")
        else:
            print("\n".join(format_text(d, a, b)))
    return EXIT_SAME if same else EXIT_DIFFERENT
