"""Fields of a saved image by name, for ``xensave edit``: where each lives, how wide it
is, and how a value a user types becomes the octets Xen stores.

Names follow what ``xensave dump`` and ``xensave diff`` print: vCPU registers as
:mod:`xensave.vcpu_regs` names them (``rip``, ``eflags``, ``cs_flags``, ``cr3``...),
with each structure's own field names (Xen's) accepted too; HVM context fields as
:func:`xensave.hvm_context.decode_payload` names them (``HPET[0].config``,
``HPET[0].timers[1].cmp``, ``PIT[0].channels[2].mode``); HVM params as
:class:`xensave.constants.HvmParam` names them. Every lookup answers a :class:`Slot`
(offset, struct code, and the conversion between the user's value and the stored
one) or raises :class:`FieldError` saying which names exist.

The layouts are the decoders' own (:mod:`xensave.pv_context`,
:mod:`xensave.hvm_context`): one home per layout; nothing is restated here.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

from . import hvm_context, pv_context
from .constants import HvmParam
from .hvm_context import Typecode


class FieldError(ValueError):
    """A name that does not exist, or a value its field cannot hold."""


@dataclass(frozen=True)
class Slot:
    """One settable field: ``offset`` into its structure, ``code`` its struct code;
    ``to_raw``/``from_raw`` turn a user's value into the stored word and back (None:
    stored as given)."""

    name: str
    offset: int
    code: str
    to_raw: Callable[[int], int] | None = None
    from_raw: Callable[[int], int] | None = None

    @property
    def size(self) -> int:
        return struct.calcsize("<" + self.code)


def parse_int(text: str) -> int:
    """A value as typed: decimal, 0x hex, 0o octal or 0b binary; no sign tricks."""
    t = text.strip().replace("_", "")
    try:
        value = int(t, 0)
    except ValueError:
        raise FieldError(f"{text!r} is not a number (decimal, or 0x.. hex)") from None
    if value < 0:
        raise FieldError(f"{text!r} is negative; give the field's unsigned value")
    return value


def read(data: bytes | bytearray, slot: Slot, endian: str) -> int:
    """The field's value as the user sees it."""
    (raw,) = struct.unpack_from(endian + slot.code, data, slot.offset)
    return slot.from_raw(raw) if slot.from_raw else int(raw)


def write(buf: bytearray, slot: Slot, endian: str, value: int) -> None:
    """Store ``value`` in its field; FieldError when it does not fit."""
    raw = slot.to_raw(value) if slot.to_raw else value
    bits = 8 * slot.size
    if not 0 <= raw < 1 << bits:
        raise FieldError(f"{slot.name}: {value:#x} does not fit its {bits}-bit field")
    struct.pack_into(endian + slot.code, buf, slot.offset, raw)


def _choices(names: list[str], limit: int = 40) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


# --- PV vCPU context (vcpu_guest_context) ------------------------------------------


def _pv_slots(width: int) -> dict[str, Slot]:
    """Every integer field of a context of ``width`` by Xen's name (``flags``, user
    registers, tail words, ``ctrlreg[3]``...)."""
    lay = pv_context.LAYOUTS[width]
    word = "I" if width == 4 else "Q"
    out: dict[str, Slot] = {"flags": Slot("flags", lay.offsets["flags"], word)}
    for name, code in lay.regs:
        if name:
            out[name] = Slot(name, lay.offsets[f"user_regs.{name}"], code)
    for name, count in lay.tail:
        if count == 1:
            out[name] = Slot(name, lay.offsets[name], word)
        else:
            for i in range(count):
                key = f"{name}[{i}]"
                out[key] = Slot(key, lay.offsets[key], word)
    return out


_PV_SLOTS = {w: _pv_slots(w) for w in pv_context.LAYOUTS}


def pv_register(name: str, width: int, ctx: bytes, endian: str) -> Slot:
    """The field of a PV context that register ``name`` (vcpu_regs' name or Xen's)
    is stored in. ``ctx`` decides gs_base: the kernel's or the user's, by the
    context's in_kernel flag, as :func:`xensave.vcpu_regs.pv_regs` reads it."""
    slots = _PV_SLOTS[width]
    n = name.lower()
    if n in slots:
        return slots[n]
    p = "r" if width == 8 else "e"
    alias = {"rip": f"{p}ip", "rsp": f"{p}sp", "eflags": f"{p}flags", "rflags": f"{p}flags"}
    if width == 4 and n.startswith("r") and ("e" + n[1:]) in slots:
        alias[n] = "e" + n[1:]
    for i in (0, 2, 4):
        alias[f"cr{i}"] = f"ctrlreg[{i}]"
    if n in alias and alias[n] in slots:
        s = slots[alias[n]]
        return Slot(n, s.offset, s.code)
    if n == "cr3":
        s = slots["ctrlreg[3]"]

        def to_raw(v: int) -> int:
            if v & 0xFFF:
                raise FieldError(f"cr3 {v:#x} is not page-aligned (the context keeps a pfn)")
            return pv_context.pfn_to_cr3(v >> 12, width)

        return Slot(
            "cr3", s.offset, s.code, to_raw, lambda r: pv_context.cr3_to_pfn(r, width) << 12
        )
    if width == 8 and n in ("gs_base", "kernel_gs_base"):
        (flags,) = struct.unpack_from(endian + "Q", ctx, slots["flags"].offset)
        in_kernel = bool(flags & pv_context.VGCF_IN_KERNEL)
        kernel = (n == "gs_base") == in_kernel
        s = slots["gs_base_kernel" if kernel else "gs_base_user"]
        return Slot(n, s.offset, s.code)
    known = sorted(
        {*slots, *alias, "cr3"} | ({"gs_base", "kernel_gs_base"} if width == 8 else set())
    )
    raise FieldError(
        f"no register {name!r} in a {8 * width}-bit PV vCPU context; names: {_choices(known)}"
    )


# --- HVM context ------------------------------------------------------------------------


def _layout_slots(layout: list[tuple[str, str]]) -> dict[str, Slot]:
    """Integer fields of one fixed layout: lists as ``name[i]``, octet strings octet by
    octet (``cmos_data[3]``, ``data[32]`` of LAPIC_REGS)."""
    out: dict[str, Slot] = {}
    pos = 0
    for name, code in layout:
        count = int(code[:-1]) if len(code) > 1 else 1
        kind = code[-1]
        step = struct.calcsize("<" + kind)
        if kind == "x":
            pos += count
            continue
        if kind == "s":
            for i in range(count):
                out[f"{name}[{i}]"] = Slot(f"{name}[{i}]", pos + i, "B")
            pos += count
            continue
        if count == 1:
            out[name] = Slot(name, pos, kind)
        else:
            for i in range(count):
                out[f"{name}[{i}]"] = Slot(f"{name}[{i}]", pos + i * step, kind)
        pos += count * step
    return out


_HVM_SLOTS: dict[int, dict[str, Slot]] = {
    tc: _layout_slots(lay)
    for tc, lay in hvm_context._LAYOUTS.items()  # the decoder's layouts: one home
}
# The two variable-size typecodes, as decode_payload reads them.
_HVM_SLOTS[Typecode.CPU_XSAVE] = {
    "xfeature_mask": Slot("xfeature_mask", 0, "Q"),
    "xcr0": Slot("xcr0", 8, "Q"),
    "xcr0_accum": Slot("xcr0_accum", 16, "Q"),
    "xstate_bv": Slot("xstate_bv", 24 + 512, "Q"),
    "xcomp_bv": Slot("xcomp_bv", 24 + 520, "Q"),
    **{f"reserved[{i}]": Slot(f"reserved[{i}]", 24 + 528 + 8 * i, "Q") for i in range(6)},
}
_MSR_RE = re.compile(r"msr\[(\d+)\]\.(index|_rsvd|val)\Z")
#: Fields decode_payload derives from others: set the word they come from instead.
_DERIVED = {
    "pending_vector": "pending_event",
    "pending_type": "pending_event",
    "pending_error_valid": "pending_event",
    "pending_valid": "pending_event",
    "init_state": "init_bits",
    "priority_add": "init_bits",
}
_GROUP_RE = re.compile(r"(timers|channels)\[(\d+)\]\.(\w+)\Z")


def typecode_of(name: str) -> int:
    """An HVM context typecode by Xen's name (``HPET``) or number."""
    try:
        return int(Typecode[name.upper()])
    except KeyError:
        pass
    try:
        return parse_int(name)
    except FieldError:
        names = [t.name for t in Typecode if t != Typecode.END]
        raise FieldError(f"no HVM context type {name!r}; types: {', '.join(names)}") from None


def hvm_field(typecode: int, name: str) -> Slot:
    """A field of one HVM context entry's payload (always little-endian)."""
    tname = hvm_context.typecode_name(typecode)
    n = name
    g = _GROUP_RE.match(n)
    if g:
        n = f"{g.group(1)}_{g.group(2)}_{g.group(3)}"
    if typecode == Typecode.CPU_MSR:
        if n == "count":
            return Slot("count", 0, "I")
        m = _MSR_RE.match(n)
        if m:
            i, part = int(m.group(1)), m.group(2)
            base = hvm_context.MSR_HEADER_SIZE + hvm_context.MSR_ENTRY_SIZE * i
            off, code = {"index": (0, "I"), "_rsvd": (4, "I"), "val": (8, "Q")}[part]
            return Slot(name, base + off, code)
        raise FieldError(f"{tname} fields: count, msr[N].index, msr[N].val, msr[N]._rsvd")
    slots = _HVM_SLOTS.get(typecode)
    if slots is None:
        raise FieldError(f"{tname} has no layout xensave knows; it cannot be edited by name")
    if n in slots:
        return Slot(name, slots[n].offset, slots[n].code)
    if n in _DERIVED:
        raise FieldError(f"{tname}.{name} is decoded from {_DERIVED[n]}: set {_DERIVED[n]}")
    readable = [re.sub(r"(timers|channels)_(\d+)_", r"\1[\2].", k) for k in slots]
    raise FieldError(f"{tname} has no field {name!r}; fields: {_choices(readable)}")


_HVM_SEGS = ("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt")


def _flags_to_arbytes(v: int) -> int:
    if v & ~0xF0FF00:
        raise FieldError(
            f"segment flags {v:#x} have bits outside 8-15 and 20-23 (the descriptor's "
            "attribute bits), which the context cannot hold"
        )
    return ((v >> 8) & 0xFF) | ((v >> 12) & 0xF00)


def _arbytes_to_flags(ar: int) -> int:
    return ((ar & 0xFF) << 8) | ((ar & 0xF00) << 12)


def hvm_register(name: str) -> Slot:
    """The field of an HVM CPU entry (struct hvm_hw_cpu) register ``name`` is stored
    in: vcpu_regs' names (``eflags``, ``cs_flags``, ``idt_base``, ``kernel_gs_base``)
    or the structure's own."""
    slots = _HVM_SLOTS[Typecode.CPU]
    n = name.lower()
    xen = {"ldt": "ldtr", "idt": "idtr", "gdt": "gdtr"}
    if n in slots:
        return slots[n]
    if n == "eflags":
        return Slot(n, slots["rflags"].offset, "Q")
    if n == "kernel_gs_base":
        return Slot(n, slots["shadow_gs"].offset, "Q")
    if n in _HVM_SEGS:
        s = slots[f"{xen.get(n, n)}_sel"]
        return Slot(n, s.offset, s.code)
    m = re.fullmatch(r"(\w+?)_(flags|limit|base)", n)
    if m and m.group(1) in (*_HVM_SEGS, "idt", "gdt"):
        seg, part = xen.get(m.group(1), m.group(1)), m.group(2)
        if part == "flags" and m.group(1) in _HVM_SEGS:
            s = slots[f"{seg}_arbytes"]
            return Slot(n, s.offset, s.code, _flags_to_arbytes, _arbytes_to_flags)
        if part != "flags":
            s = slots[f"{seg}_{part}"]
            return Slot(n, s.offset, s.code)
    known = sorted(
        {*slots, "eflags", "kernel_gs_base", *_HVM_SEGS}
        | {f"{s}_{p}" for s in _HVM_SEGS for p in ("flags", "limit", "base")}
    )
    raise FieldError(f"no register {name!r} in an HVM CPU entry; names: {_choices(known)}")


# --- HVM params -------------------------------------------------------------------------


def hvm_param(name: str) -> tuple[int, str]:
    """(index, name) of an HVM param named as Xen does (``STORE_PFN``, with or without
    ``HVM_PARAM_``, any case) or by number."""
    n = name.upper()
    n = n.removeprefix("HVM_PARAM_")
    try:
        p = HvmParam[n]
        return int(p), p.name
    except KeyError:
        pass
    try:
        index = parse_int(name)
    except FieldError:
        raise FieldError(
            f"no HVM param {name!r}; names: {', '.join(p.name for p in HvmParam)}"
        ) from None
    try:
        return index, HvmParam(index).name
    except ValueError:
        return index, f"param_{index}"
