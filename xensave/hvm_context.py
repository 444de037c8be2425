"""The HVM context blob: the hypervisor's save records for an x86 HVM guest.

The blob is what ``XEN_DOMCTL_gethvmcontext`` hands out and what libxc carries
as the body of an HVM_CONTEXT record (the legacy format carries it after the
HVM parameters). It is a run of entries, each an 8-octet descriptor
``{u16 typecode, u16 instance, u32 length}`` followed by ``length`` octets of
payload, opened by a HEADER entry and closed by an END entry (typecode 0).
Layout: ``ksy/xen_hvm_context.ksy``; rules: ``spec/hvm-context.md``.

The blob is x86 hypervisor state and always little-endian, whatever byte order
the stream around it uses. :func:`decode` walks it without trusting a length
beyond the bytes there are, and never raises on bad input: what is wrong is
returned as :class:`Problem` values naming the rule. Nothing here imports the
generated Kaitai parsers (importing this module costs a few milliseconds).
"""

from __future__ import annotations

import struct

from ._slots import Struct, field
from .hvm_typecodes import (
    APIC_BASE_ENABLE,
    APIC_BASE_EXTD,
    CPU_COMPAT_SIZE,
    CPU_MSR_HANDLED,
    CR0_ET,
    CR0_PE,
    CR0_PG,
    CR0_VALID,
    DESCRIPTOR_SIZE,
    HVM_FILE_MAGIC,
    HVM_FILE_VERSION,
    MSR_ENTRY_SIZE,
    MSR_HEADER_SIZE,
    MTRR_VCNT,
    PER_VCPU,
    SIZE_CHANGED,
    SIZES,
    TYPECODE_MAX,
    VMCE_CAPS,
    XCR0_X87,
    XSAVE_MIN_SIZE,
    Fit,
    Typecode,
    cpu_msr_handled,
    release_size,
    size_refused,
    typecode_max,
    typecode_name,
    valid_xcr0,
    xsave_size,
)

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

__all__ = [
    "CPU_COMPAT_SIZE",
    "CPU_MSR_HANDLED",
    "DESCRIPTOR_SIZE",
    "HVM_FILE_MAGIC",
    "HVM_FILE_VERSION",
    "MSR_ENTRY_SIZE",
    "MSR_HEADER_SIZE",
    "PER_VCPU",
    "SIZES",
    "SIZE_CHANGED",
    "TYPECODE_MAX",
    "XSAVE_MIN_SIZE",
    "Entry",
    "Fit",
    "HvmContext",
    "Problem",
    "Typecode",
    "cpu_msr_handled",
    "cpu_registers",
    "decode",
    "decode_payload",
    "encode_payload",
    "release_size",
    "size_refused",
    "typecode_max",
    "typecode_name",
    "valid_xcr0",
    "vcpu_registers",
    "xsave_size",
]


# --- payload layouts ------------------------------------------------------------------
#
# Each layout is a list of (name, struct code) in order, little-endian, no implicit
# padding ('x' codes are explicit). A code with a count ("16Q") gives a list, "Ns" bytes.

_Layout = list[tuple[str, str]]

_SEGS = ("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldtr")
_GPRS: tuple[str, ...] = ("rax", "rbx", "rcx", "rdx", "rbp", "rsi", "rdi", "rsp")
_GPRS += ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")

_CPU: _Layout = [
    ("fpu_regs", "512s"),
    *((r, "Q") for r in (*_GPRS, "rip", "rflags", "cr0", "cr2", "cr3", "cr4")),
    *((f"dr{i}", "Q") for i in (0, 1, 2, 3, 6, 7)),
    *((f"{s}_sel", "I") for s in _SEGS),
    *((f"{s}_limit", "I") for s in (*_SEGS, "idtr", "gdtr")),
    *((f"{s}_base", "Q") for s in (*_SEGS, "idtr", "gdtr")),
    *((f"{s}_arbytes", "I") for s in _SEGS),
    ("sysenter_cs", "Q"),
    ("sysenter_esp", "Q"),
    ("sysenter_eip", "Q"),
    ("shadow_gs", "Q"),
    ("msr_flags", "Q"),
    ("msr_lstar", "Q"),
    ("msr_star", "Q"),
    ("msr_cstar", "Q"),
    ("msr_syscall_mask", "Q"),
    ("msr_efer", "Q"),
    ("msr_tsc_aux", "Q"),
    ("tsc", "Q"),
    ("pending_event", "I"),
    ("error_code", "I"),
    ("flags", "I"),
    ("pad0", "I"),
]

_LAYOUTS: dict[int, _Layout] = {
    Typecode.HEADER: [
        ("magic", "I"),
        ("version", "I"),
        ("changeset", "Q"),
        ("cpuid", "I"),
        ("gtsc_khz", "I"),
    ],
    Typecode.CPU: _CPU,
    Typecode.PIC: [
        ("irr", "B"),
        ("imr", "B"),
        ("isr", "B"),
        ("irq_base", "B"),
        ("init_bits", "B"),
        ("mode_bits", "B"),
        ("elcr", "B"),
        ("int_output", "B"),
    ],
    Typecode.IOAPIC: [
        ("base_address", "Q"),
        ("ioregsel", "I"),
        ("id", "I"),
        ("redirtbl", "48Q"),
    ],
    Typecode.LAPIC: [
        ("apic_base_msr", "Q"),
        ("disabled", "I"),
        ("timer_divisor", "I"),
        ("tdt_msr", "Q"),
        ("pending_esr", "I"),
        ("pad", "4s"),
    ],
    Typecode.LAPIC_REGS: [("data", "1024s")],
    Typecode.PCI_IRQ: [("pad", "2Q")],
    Typecode.ISA_IRQ: [("pad", "Q")],
    Typecode.PCI_LINK: [("route", "4B"), ("pad0", "4B")],
    Typecode.PIT: [
        *(
            (f"channels_{c}_{n}", code)
            for c in range(3)
            for n, code in (
                ("count", "I"),
                ("latched_count", "H"),
                ("count_latched", "B"),
                ("status_latched", "B"),
                ("status", "B"),
                ("read_state", "B"),
                ("write_state", "B"),
                ("write_latch", "B"),
                ("rw_mode", "B"),
                ("mode", "B"),
                ("bcd", "B"),
                ("gate", "B"),
            )
        ),
        ("speaker_data_on", "I"),
        ("pad0", "I"),
    ],
    Typecode.RTC: [
        ("cmos_data", "14s"),
        ("cmos_index", "B"),
        ("pad0", "B"),
        ("rtc_offset", "q"),
    ],
    Typecode.HPET: [
        ("capability", "Q"),
        ("res0", "Q"),
        ("config", "Q"),
        ("res1", "Q"),
        ("isr", "Q"),
        ("res2", "25Q"),
        ("mc64", "Q"),
        ("res3", "Q"),
        *((f"timers_{t}_{n}", "Q") for t in range(3) for n in ("config", "cmp", "fsb", "res4")),
        ("res5", "84Q"),
        ("period", "3Q"),
    ],
    Typecode.PMTIMER: [("tmr_val", "I"), ("pm1a_sts", "H"), ("pm1a_en", "H")],
    Typecode.MTRR: [
        ("msr_pat_cr", "Q"),
        ("msr_mtrr_var", "16Q"),
        ("msr_mtrr_fixed", "11Q"),
        ("msr_mtrr_cap", "Q"),
        ("msr_mtrr_def_type", "Q"),
    ],
    Typecode.VIRIDIAN_DOMAIN: [
        ("hypercall_gpa", "Q"),
        ("guest_os_id", "Q"),
        ("time_ref_count", "Q"),
        ("reference_tsc", "Q"),
    ],
    Typecode.VIRIDIAN_VCPU: [
        ("vp_assist_msr", "Q"),
        ("apic_assist_pending", "B"),
        ("pad", "7s"),
        ("simp_msr", "Q"),
        ("sint_msr", "16Q"),
        ("stimer_config_msr", "4Q"),
        ("stimer_count_msr", "4Q"),
    ],
    Typecode.VMCE_VCPU: [
        ("caps", "Q"),
        ("mci_ctl2_bank0", "Q"),
        ("mci_ctl2_bank1", "Q"),
        ("mcg_ext_ctl", "Q"),
    ],
    Typecode.TSC_ADJUST: [("tsc_adjust", "Q")],
}


class _Compiled(Struct, frozen=True):
    fmt: struct.Struct
    names: tuple[tuple[str, int, bool], ...]  # name, number of values, is a list


def _compile(layout: _Layout) -> _Compiled:
    names = []
    for name, code in layout:
        count = int(code[:-1]) if len(code) > 1 else 1
        kind = code[-1]
        if kind == "s":
            names.append((name, 1, False))
        else:
            names.append((name, count, count > 1))
    return _Compiled(struct.Struct("<" + "".join(c for _, c in layout)), tuple(names))


_COMPILED: dict[int, _Compiled] = {tc: _compile(lay) for tc, lay in _LAYOUTS.items()}
assert all(_COMPILED[tc].fmt.size == SIZES[tc][0] for tc in _COMPILED), "layout size drift"


def _unpack(c: _Compiled, data: bytes) -> dict[str, Any]:
    values = c.fmt.unpack(data)
    out: dict[str, Any] = {}
    i = 0
    for name, n, is_list in c.names:
        out[name] = list(values[i : i + n]) if is_list else values[i]
        i += n
    return out


def encode_payload(typecode: int, fields: dict[str, Any], size: int | None = None) -> bytes:
    """The payload of a fixed-layout typecode from named fields (others zero), cut to
    ``size`` for the shorter forms older Xen wrote: writers of samples and corpus
    images name registers instead of counting offsets."""
    c = _COMPILED[typecode]
    unknown = set(fields) - {n for n, _, _ in c.names}
    if unknown:
        raise KeyError(f"{typecode_name(typecode)} has no field {', '.join(sorted(unknown))}")
    values: list[Any] = []
    for (name, n, is_list), (_, code) in zip(c.names, _LAYOUTS[typecode], strict=True):
        v = fields.get(name)
        if code.endswith("s"):
            values.append(bytes(v or b""))
        elif is_list:
            values.extend(list(v) if v is not None else [0] * n)
        else:
            values.append(v or 0)
    data = c.fmt.pack(*values)
    return data if size is None else data[:size]


def _pic_bits(d: dict[str, Any]) -> None:
    """Split the two bit-field octets of struct hvm_hw_vpic (GCC x86 order: LSB first)."""
    a, b = d["init_bits"], d["mode_bits"]
    d["init_state"], d["priority_add"] = a & 0xF, a >> 4
    for i, name in enumerate(
        (
            "readsel_isr",
            "poll",
            "auto_eoi",
            "rotate_on_auto_eoi",
            "special_fully_nested_mode",
            "special_mask_mode",
            "is_master",
        )
    ):
        d[name] = (b >> i) & 1


def _group(d: dict[str, Any], name: str) -> None:
    """Fold ``<name>_<i>_<field>`` keys into a list of dicts under ``name``, in place."""
    items: list[dict[str, Any]] = []
    for key in [k for k in d if k.startswith(name + "_")]:
        i, f = key[len(name) + 1 :].split("_", 1)
        while len(items) <= int(i):
            items.append({})
        items[int(i)][f] = d.pop(key)
    rebuilt = {}
    for k, v in d.items():
        if name not in rebuilt and (k in ("speaker_data_on", "res5")):
            rebuilt[name] = items
        rebuilt[k] = v
    d.clear()
    d.update(rebuilt)


def _cpu_pending(d: dict[str, Any]) -> None:
    """Split pending_event: vector 0-7, type 8-10, error_valid 11, valid 31."""
    p = d["pending_event"]
    d["pending_vector"] = p & 0xFF
    d["pending_type"] = (p >> 8) & 7
    d["pending_error_valid"] = (p >> 11) & 1
    d["pending_valid"] = p >> 31


def decode_payload(typecode: int, payload: bytes) -> dict[str, Any] | None:
    """The named fields of one entry's payload, or None when it cannot be decoded.

    Fixed-size structures decode only at their exact size. Those Xen loads
    zero-extended (CPU, LAPIC, RTC, the Viridian and VMCE entries) decode from
    any length up to their size, zero-extended as Xen does; a CPU entry of the
    compat size (1016) is first moved into the current layout as Xen does.
    CPU_XSAVE gives its three words, its XSAVE header words (when present) and
    the save area as bytes; CPU_MSR its count and the MSRs that fit.
    """
    payload = bytes(payload)
    n = len(payload)
    if typecode == Typecode.CPU_XSAVE:
        return _decode_xsave(payload)
    if typecode == Typecode.CPU_MSR:
        return _decode_msrs(payload)
    c = _COMPILED.get(typecode)
    if c is None:
        return None
    size, fit = SIZES[typecode]
    if n > size or (fit == Fit.EXACT and n != size):
        return None
    if typecode == Typecode.CPU and n == CPU_COMPAT_SIZE:
        # compat layout: tsc, pending_event, error_code sit 8 octets lower (no msr_tsc_aux)
        payload = payload[:1000] + bytes(8) + payload[1000:]
    d = _unpack(c, payload + bytes(size - len(payload)))
    if typecode == Typecode.PIC:
        _pic_bits(d)
    elif typecode in (Typecode.PIT, Typecode.HPET):
        _group(d, "channels" if typecode == Typecode.PIT else "timers")
    elif typecode == Typecode.CPU:
        _cpu_pending(d)
    return d


def _decode_xsave(p: bytes) -> dict[str, Any] | None:
    if len(p) < 24:
        return None
    names = ("xfeature_mask", "xcr0", "xcr0_accum")
    d: dict[str, Any] = dict(zip(names, struct.unpack_from("<3Q", p), strict=True))
    if len(p) >= XSAVE_MIN_SIZE:
        hdr = struct.unpack_from("<8Q", p, 24 + 512)
        d["xstate_bv"], d["xcomp_bv"], d["reserved"] = hdr[0], hdr[1], list(hdr[2:])
    d["save_area"] = p[24:]
    return d


def _decode_msrs(p: bytes) -> dict[str, Any] | None:
    if len(p) < 4:
        return None
    count = struct.unpack_from("<I", p)[0]
    fit = max(0, (len(p) - MSR_HEADER_SIZE) // MSR_ENTRY_SIZE)
    msrs = []
    for i in range(min(count, fit)):
        index, rsvd, val = struct.unpack_from("<IIQ", p, MSR_HEADER_SIZE + MSR_ENTRY_SIZE * i)
        msrs.append({"index": index, "_rsvd": rsvd, "val": val})
    return {"count": count, "msr": msrs}


# --- the walk -------------------------------------------------------------------------


class Problem(Struct, frozen=True):
    """A broken rule: ``offset`` is from the start of the blob; ``entry`` its index."""

    rule: str
    offset: int
    message: str
    entry: int | None = None


class Entry(Struct, frozen=True):
    """One descriptor and its payload. ``offset`` is the descriptor's, in the blob.

    ``raw`` is the payload as far as the blob holds it (shorter than ``length``
    only for a truncated last entry); ``fields`` is :func:`decode_payload`'s
    answer (None for an unknown typecode or a size it cannot decode).
    """

    index: int
    offset: int
    typecode: int
    instance: int
    length: int
    raw: bytes
    fields: dict[str, Any] | None

    def __repr__(self) -> str:  # the payload and its decoding left out, as before
        return (
            f"Entry(index={self.index!r}, offset={self.offset!r}, typecode={self.typecode!r}, "
            f"instance={self.instance!r}, length={self.length!r})"
        )

    @property
    def name(self) -> str:
        """Xen's name of the typecode (``TYPE_<n>`` if unknown)."""
        return typecode_name(self.typecode)

    @property
    def payload_offset(self) -> int:
        """Where the payload starts in the blob."""
        return self.offset + DESCRIPTOR_SIZE

    @property
    def truncated(self) -> bool:
        """True when the blob ends before the payload does."""
        return len(self.raw) < self.length

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready view: octet strings as hex, the raw payload only when undecoded."""
        out: dict[str, Any] = {
            "offset": self.offset,
            "typecode": self.typecode,
            "name": self.name,
            "instance": self.instance,
            "length": self.length,
        }
        if self.fields is not None:
            out["fields"] = {k: _jsonable(v) for k, v in self.fields.items()}
        elif self.typecode != Typecode.END:
            out["raw"] = self.raw.hex()
        return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return v


class HvmContext(Struct):
    """A decoded blob: its entries in order, and what is wrong with it.

    ``end`` is the index of the END entry in ``entries`` (None when there is
    none); ``trailing`` counts the octets after END.
    """

    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    end: int | None = None
    trailing: int = 0

    @property
    def header(self) -> Entry | None:
        """The first entry when it is a HEADER."""
        if self.entries and self.entries[0].typecode == Typecode.HEADER:
            return self.entries[0]
        return None

    def of_type(self, typecode: int) -> list[Entry]:
        """The entries with this typecode, in blob order."""
        return [e for e in self.entries if e.typecode == typecode]

    def vcpus(self) -> list[int]:
        """The vCPU ids with a CPU entry, in blob order, each once."""
        return list(dict.fromkeys(e.instance for e in self.of_type(Typecode.CPU)))

    def cpu_registers(self) -> dict[int, dict[str, int]]:
        """vCPU id -> :func:`cpu_registers` of its (last) CPU entry."""
        out: dict[int, dict[str, int]] = {}
        for e in self.of_type(Typecode.CPU):
            regs = cpu_registers(e.raw) if not e.truncated else None
            if regs is not None:
                out[e.instance] = regs
        return out

    def per_vcpu(self) -> dict[int, list[Entry]]:
        """vCPU id -> its per-vCPU entries (CPU, LAPIC, MTRR, XSAVE, MSRs...), in blob order."""
        out: dict[int, list[Entry]] = {}
        for e in self.entries:
            if e.typecode in PER_VCPU:
                out.setdefault(e.instance, []).append(e)
        return out

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready view of the whole blob."""
        return {
            "entries": [e.to_json() for e in self.entries],
            "trailing": self.trailing,
            "problems": [
                {"rule": p.rule, "offset": p.offset, "entry": p.entry, "message": p.message}
                for p in self.problems
            ],
        }


def decode(blob: bytes) -> HvmContext:
    """Walk a blob: every entry up to END (or until the bytes run out), and the problems.

    Never raises on any input, and allocates nothing a length field asks for
    beyond the bytes the blob holds.
    """
    blob = bytes(blob)
    ctx = HvmContext()
    probs = ctx.problems
    off = 0
    n = len(blob)
    seen_header = False
    while True:
        if n - off < DESCRIPTOR_SIZE:
            what = "no octets" if off == n else f"{n - off} octet(s), less than a descriptor,"
            probs.append(Problem("HVM-FRAME-002", off, f"{what} left and no END entry"))
            break
        code, inst, length = struct.unpack_from("<HHI", blob, off)
        i = len(ctx.entries)
        start = off + DESCRIPTOR_SIZE
        raw = blob[start : start + length]
        if code == Typecode.END:
            ctx.entries.append(Entry(i, off, code, inst, length, b"", None))
            ctx.end = i
            if inst or length:
                probs.append(
                    Problem(
                        "HVM-FRAME-003",
                        off,
                        f"END has instance {inst} and length {length} (Xen writes 0 and 0)",
                        i,
                    )
                )
            ctx.trailing = n - start
            if ctx.trailing:
                probs.append(
                    Problem("HVM-FRAME-004", start, f"{ctx.trailing} octet(s) follow END", i)
                )
            if i == 0:
                probs.append(Problem("HVM-HDR-001", off, "the blob opens with END, not HEADER", i))
            break
        fields = decode_payload(code, raw) if len(raw) == length else None
        e = Entry(i, off, code, inst, length, raw, fields)
        ctx.entries.append(e)
        if len(raw) < length:
            probs.append(
                Problem(
                    "HVM-FRAME-001",
                    off,
                    f"{e.name} instance {inst} declares {length} octet(s), "
                    f"only {len(raw)} left in the blob",
                    i,
                )
            )
            break
        probs.extend(_entry_problems(e, i == 0, seen_header))
        seen_header = seen_header or (i == 0 and code == Typecode.HEADER)
        off = start + length
    if not ctx.entries:
        probs.append(Problem("HVM-HDR-001", 0, "the blob has no HEADER entry"))
    return ctx


def _entry_problems(e: Entry, first: bool, seen_header: bool) -> Iterator[Problem]:
    """What is wrong with one complete entry."""
    tc, off, i, n = e.typecode, e.offset, e.index, e.length
    label = f"{e.name} instance {e.instance}"
    if first and tc != Typecode.HEADER:
        yield Problem("HVM-HDR-001", off, f"the first entry is {e.name}, not HEADER", i)
    if tc == Typecode.HEADER and not first:
        yield Problem(
            "HVM-HDR-004",
            off,
            "a HEADER entry after the first entry (a restorer has no handler for it)",
            i,
        )
        return
    if tc > TYPECODE_MAX:
        yield Problem("HVM-TYPE-001", off, f"typecode {tc} is not one x86 Xen restores", i)
        return
    size, fit = SIZES[tc]
    if fit == Fit.EXACT and n != size:
        rule = "HVM-HDR-001" if tc == Typecode.HEADER else "HVM-SIZE-001"
        yield Problem(rule, off, f"{label} is {n} octets, not {size}", i)
        return
    if fit == Fit.AT_MOST and n > size:
        yield Problem("HVM-SIZE-002", off, f"{label} is {n} octets, more than {size}", i)
        return
    d = e.fields
    p = e.payload_offset
    if tc == Typecode.HEADER and d is not None:
        if d["magic"] != HVM_FILE_MAGIC:
            yield Problem(
                "HVM-HDR-002", p, f"magic is {d['magic']:#010x}, not {HVM_FILE_MAGIC:#x}", i
            )
        if d["version"] != HVM_FILE_VERSION:
            yield Problem(
                "HVM-HDR-003", p + 4, f"version is {d['version']}, not {HVM_FILE_VERSION}", i
            )
    elif tc == Typecode.CPU and d is not None:
        if n >= 1032 and d["pad0"]:
            yield Problem("HVM-CPU-001", p + 1028, f"{label}: pad0 is {d['pad0']:#x}, not 0", i)
        yield from _cpu_problems(d, label, p, i, compat=n == CPU_COMPAT_SIZE)
    elif tc == Typecode.PIC:
        if e.instance > 1:
            yield Problem("HVM-PIC-001", off, f"PIC instance {e.instance} (only 0 and 1 exist)", i)
        elif d is not None:
            yield from _pic_problems(d, e.instance, p, i)
    elif tc == Typecode.LAPIC and d is not None:
        if d["apic_base_msr"] & (APIC_BASE_ENABLE | APIC_BASE_EXTD) == APIC_BASE_EXTD:
            yield Problem(
                "HVM-LAPIC-001",
                p,
                f"{label}: apic_base_msr {d['apic_base_msr']:#x} has x2APIC mode (EXTD) "
                "without the enable bit (EN)",
                i,
            )
    elif tc == Typecode.MTRR and d is not None:
        vcnt = d["msr_mtrr_cap"] & 0xFF
        if vcnt > MTRR_VCNT:
            yield Problem(
                "HVM-MTRR-001",
                p + 224,
                f"{label}: MTRRcap.VCNT is {vcnt}, more than the {MTRR_VCNT} variable ranges "
                "the entry holds",
                i,
            )
    elif tc == Typecode.VMCE_VCPU and d is not None:
        if d["caps"] & ~VMCE_CAPS:
            yield Problem(
                "HVM-VMCE-001",
                p,
                f"{label}: caps {d['caps']:#x} has bits {d['caps'] & ~VMCE_CAPS:#x} no host's "
                "vMCE offers",
                i,
            )
    elif tc == Typecode.VIRIDIAN_VCPU and d is not None:
        if any(d["pad"]):
            yield Problem("HVM-VIRIDIAN-001", p + 9, f"{label}: _pad is not zero", i)
    elif tc == Typecode.PCI_LINK and d is not None:
        if any(d["pad0"]):
            yield Problem("HVM-LINK-002", p + 4, "PCI_LINK: pad0 is not zero", i)
        for k, r in enumerate(d["route"]):
            if r >= 16:
                yield Problem(
                    "HVM-LINK-001", p + k, f"PCI_LINK: route[{k}] is {r}, not an ISA IRQ (0-15)", i
                )
    elif tc == Typecode.PIT and d is not None:
        if d["speaker_data_on"] > 1 or d["pad0"]:
            yield Problem(
                "HVM-PIT-001",
                p + 48,
                f"PIT: speaker_data_on {d['speaker_data_on']}, pad0 {d['pad0']:#x} "
                "(want 0 or 1, and 0)",
                i,
            )
        yield from _pit_problems(d, p, i)
    elif tc == Typecode.CPU_XSAVE:
        if n < XSAVE_MIN_SIZE:
            yield Problem(
                "HVM-XSAVE-001", off, f"{label} is {n} octets, less than {XSAVE_MIN_SIZE}", i
            )
        elif d is not None:
            if d["xcomp_bv"] or any(d["reserved"]):
                yield Problem(
                    "HVM-XSAVE-002",
                    p + 24 + 512 + 8,
                    f"{label}: xcomp_bv {d['xcomp_bv']:#x} or a reserved header word is not "
                    "zero (only the standard format is accepted)",
                    i,
                )
            accum = d["xcr0_accum"]
            if d["xcr0"] & ~accum or d["xstate_bv"] & ~accum or not d["xcr0"] & 1:
                yield Problem(
                    "HVM-XSAVE-003",
                    p,
                    f"{label}: xcr0 {d['xcr0']:#x} and xstate_bv {d['xstate_bv']:#x} must lie "
                    f"within xcr0_accum {accum:#x}, and xcr0 must have bit 0 (x87)",
                    i,
                )
            yield from _xsave_problems(d, e.raw, label, p, i)
    elif tc == Typecode.CPU_MSR:
        count: int | None = d["count"] if d is not None else None
        need = None if count is None else MSR_HEADER_SIZE + MSR_ENTRY_SIZE * count
        if n < MSR_HEADER_SIZE + MSR_ENTRY_SIZE or n != need:
            yield Problem(
                "HVM-MSR-001",
                off,
                f"{label} is {n} octets; count {count} needs {need}, and at least one MSR",
                i,
            )
        elif d is not None:
            for k, m in enumerate(d["msr"]):
                if m["_rsvd"]:
                    yield Problem(
                        "HVM-MSR-002",
                        p + 8 + 16 * k + 4,
                        f"{label}: msr[{k}]._rsvd is {m['_rsvd']:#x}",
                        i,
                    )
            for k, m in enumerate(d["msr"]):
                if m["index"] not in CPU_MSR_HANDLED:
                    yield Problem(
                        "HVM-MSR-003",
                        p + 8 + 16 * k,
                        f"{label}: msr[{k}].index {m['index']:#x} is not an MSR Xen restores "
                        "from CPU_MSR",
                        i,
                    )


def _cpu_problems(
    d: dict[str, Any], label: str, p: int, i: int, *, compat: bool
) -> Iterator[Problem]:
    """hvm_load_cpu_ctxt's checks that need no host: CR0, flags, TSC_AUX, DR6/DR7."""
    cr0 = d["cr0"]
    why = []
    if cr0 & ~CR0_VALID:
        why.append(f"reserved bits {cr0 & ~CR0_VALID:#x}")
    if not cr0 & CR0_ET:
        why.append("ET (bit 4) clear")
    if cr0 & (CR0_PE | CR0_PG) == CR0_PG:
        why.append("PG without PE")
    if why:
        yield Problem("HVM-CPU-002", p + 656, f"{label}: cr0 {cr0:#x}: {', '.join(why)}", i)
    if d["flags"] & ~1:
        yield Problem(
            "HVM-CPU-003", p + 1024, f"{label}: flags {d['flags']:#x} has bits other than 0", i
        )
    if d["msr_tsc_aux"] >> 32 and not compat:
        yield Problem(
            "HVM-CPU-004",
            p + 1000,
            f"{label}: msr_tsc_aux {d['msr_tsc_aux']:#x} does not fit in 32 bits",
            i,
        )
    for name, at in (("dr6", 720), ("dr7", 728)):
        if d[name] >> 32:
            yield Problem(
                "HVM-CPU-005", p + at, f"{label}: {name} {d[name]:#x} does not fit in 32 bits", i
            )


def _pic_problems(d: dict[str, Any], inst: int, p: int, i: int) -> Iterator[Problem]:
    """vpic_check (Xen 4.19 and later): the state must be one an 8259 can reach."""
    why = []
    if d["int_output"] > 1:
        why.append(f"int_output {d['int_output']} (0 or 1)")
    if d["is_master"] != (inst == 0):
        why.append(f"is_master {d['is_master']} for instance {inst}")
    if d["int_output"] and d["init_state"]:
        why.append(f"int_output set during initialisation (init_state {d['init_state']})")
    mask = 0xFC if d["is_master"] else 0xDE
    if d["elcr"] & ~mask:
        why.append(f"elcr {d['elcr']:#x} outside {mask:#x}")
    if why:
        yield Problem("HVM-PIC-002", p, f"PIC instance {inst}: {'; '.join(why)}", i)


def _pit_problems(d: dict[str, Any], p: int, i: int) -> Iterator[Problem]:
    """pit_check (Xen 4.19 and later): each counter's state must be reachable."""
    for c, ch in enumerate(d["channels"]):
        why = []
        if ch["count"] > 0x10000:
            why.append(f"count {ch['count']:#x} > 0x10000")
        for f in ("count_latched", "read_state", "write_state"):
            if ch[f] >= 5:
                why.append(f"{f} {ch[f]} (0-4)")
        if ch["rw_mode"] > 3:
            why.append(f"rw_mode {ch['rw_mode']} (0-3)")
        for f in ("gate", "bcd"):
            if ch[f] > 1:
                why.append(f"{f} {ch[f]} (0 or 1)")
        if c != 2 and not ch["gate"]:
            why.append("gate 0 (counters 0 and 1 are always gated on)")
        if why:
            yield Problem("HVM-PIT-002", p + 16 * c, f"PIT counter {c}: {'; '.join(why)}", i)


def _xsave_problems(d: dict[str, Any], raw: bytes, label: str, p: int, i: int) -> Iterator[Problem]:
    """validate_xstate's XCR0 consistency and hvm_load_cpu_xsave_states' length checks."""
    xcr0, accum = d["xcr0"], d["xcr0_accum"]
    # xcr0 without x87 is HVM-XSAVE-003's; report only the other combinations here
    for name, v, x87 in (("xcr0", xcr0, XCR0_X87), ("xcr0_accum", accum, 0)):
        if not valid_xcr0(v | x87, tile=False):
            yield Problem(
                "HVM-XSAVE-004",
                p + (8 if name == "xcr0" else 16),
                f"{label}: {name} {v:#x} is not a valid XCR0 (x87 always; YMM needs SSE; "
                "OPMASK, ZMM and HI_ZMM together with YMM; BNDREGS with BNDCSR)",
                i,
            )
        elif not valid_xcr0(v | x87):
            yield Problem(
                "HVM-XSAVE-005",
                p + (8 if name == "xcr0" else 16),
                f"{label}: {name} {v:#x} has only one of TILE_CFG and TILE_DATA",
                i,
            )
    size = xsave_size(accum)
    if size is None:
        return  # the layout of the larger components is the host's (CPUID leaf 0xD)
    if len(raw) > size and raw[size:].count(0) != len(raw) - size:
        at = size + next(k for k, b in enumerate(raw[size:]) if b)
        yield Problem(
            "HVM-XSAVE-006",
            p + at,
            f"{label}: {len(raw)} octets, more than the {size} xcr0_accum {accum:#x} needs, "
            f"with a non-zero octet at payload offset {at}",
            i,
        )
    elif len(raw) < size:
        yield Problem(
            "HVM-XSAVE-007",
            p,
            f"{label}: {len(raw)} octets, fewer than the {size} xcr0_accum {accum:#x} needs",
            i,
        )


# --- registers ------------------------------------------------------------------------

#: Octets of struct hvm_hw_cpu through shadow_gs: what :func:`cpu_registers` needs.
CPU_REGISTERS_MIN = 952


def cpu_registers(payload: bytes) -> dict[str, int] | None:
    """The registers of one CPU entry, named as in struct hvm_hw_cpu (no fpu_regs).

    None when the payload is too short to hold them all (under 952 octets) or
    longer than the structure. pending_event is also given split up.
    """
    if len(payload) < CPU_REGISTERS_MIN:
        return None
    d = decode_payload(Typecode.CPU, payload)
    if d is None:
        return None
    del d["fpu_regs"]
    return d


def vcpu_registers(blob: bytes) -> Iterator[tuple[int, dict[str, int]]]:
    """(vCPU id, :func:`cpu_registers`) for each complete CPU entry before END."""
    ctx = decode(blob)
    for e in ctx.entries:
        if e.typecode == Typecode.CPU and not e.truncated:
            regs = cpu_registers(e.raw)
            if regs is not None:
                yield e.instance, regs
