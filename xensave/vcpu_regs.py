"""The registers of each vCPU as a debugger names them (x86_64 ``user_regs_struct``
names, segment flags in descriptor-high-word form), from a PV vCPU context or an HVM
context's CPU entries.

The decoding is :mod:`xensave.pv_context`'s and :mod:`xensave.hvm_context`'s; this
module only renames. ``xensave export elf`` writes these registers into its core's
notes and ``xensave diff`` compares them.
"""

from __future__ import annotations

from collections.abc import Iterator

from ._slots import Struct, field


class Vcpu(Struct):
    vcpu_id: int
    source: str  # "pv64", "pv32", "hvm" or "none"
    regs: dict[str, int] = field(default_factory=dict)


def pv_regs(ctx: bytes, endian: str) -> tuple[str, dict[str, int]] | None:
    """Registers from a PV vcpu_guest_context (x86_64: 5168 bytes, x86_32: 2800), under
    the 64-bit names the core notes use; decoded by :mod:`xensave.pv_context`."""
    from .pv_context import CONTEXT_SIZE, decode

    width = 8 if len(ctx) >= CONTEXT_SIZE[8] else 4 if len(ctx) >= CONTEXT_SIZE[4] else None
    if width is None:
        return None
    c = decode(ctx[: CONTEXT_SIZE[width]], width, endian)
    u, main = c.user_regs, c.registers()
    if width == 8:
        names = ["r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8"]
        r = {n: u[n] for n in [*names, "rax", "rcx", "rdx", "rsi", "rdi"]}
    else:
        r = {"r" + n[1:]: u[n] for n in ("ebx", "ecx", "edx", "esi", "edi", "ebp", "eax")}
    r["rip"], r["eflags"], r["rsp"] = main["rip"], main["rflags"], main["rsp"]
    for name in ("cs", "ss", "es", "ds", "fs", "gs"):
        r[name] = main[name]
    if width == 8:
        for name in ("fs_base", "gs_base", "kernel_gs_base"):
            r[name] = main[name]
    r["cr0"], r["cr2"], r["cr4"] = main["cr0"], main["cr2"], main["cr4"]
    r["cr3"] = main["cr3"]  # the pfn the saver stored, unfolded to an address
    return ("pv64" if width == 8 else "pv32"), r


def hvm_cpu_regs(payload: bytes, endian: str) -> dict[str, int] | None:
    """Registers from an HVM context CPU entry (struct hvm_hw_cpu), named for the notes.

    The decoding is xensave.hvm_context's; the blob is x86 hypervisor state and
    little-endian whatever the stream's byte order, so ``endian`` is not used.
    """
    from xensave import hvm_context

    d = hvm_context.cpu_registers(payload)
    if d is None:
        return None
    r = {name: d[name] for name in (*_HVM_GPRS, "rip")}
    r["eflags"] = d["rflags"]
    segs = ("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt")
    for name in (*segs, "idt", "gdt"):
        xen = (
            "ldtr"
            if name == "ldt"
            else "idtr"
            if name == "idt"
            else "gdtr"
            if name == "gdt"
            else name
        )
        if name in segs:
            r[name] = d[f"{xen}_sel"] & 0xFFFF
            ar = d[
                f"{xen}_arbytes"
            ]  # Xen's packed attributes: type s dpl p (0-7), avl l db g (8-11)
            r[f"{name}_flags"] = ((ar & 0xFF) << 8) | ((ar & 0xF00) << 12)
        r[f"{name}_limit"] = d[f"{xen}_limit"]
        r[f"{name}_base"] = d[f"{xen}_base"]
    for cr in ("cr0", "cr2", "cr3", "cr4"):
        r[cr] = d[cr]
    r["kernel_gs_base"] = d["shadow_gs"]
    return r


_HVM_GPRS: tuple[str, ...] = ("rax", "rbx", "rcx", "rdx", "rbp", "rsi", "rdi", "rsp")
_HVM_GPRS += ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")


def hvm_context_cpus(blob: bytes, endian: str) -> Iterator[tuple[int, dict[str, int]]]:
    """(vcpu id, registers) of each CPU entry of an HVM context blob (little-endian
    whatever ``endian`` says: see hvm_cpu_regs)."""
    from xensave import hvm_context

    ctx = hvm_context.decode(blob)
    for e in ctx.entries:
        if e.typecode == hvm_context.Typecode.CPU and not e.truncated:
            regs = hvm_cpu_regs(e.raw, endian)
            if regs is not None:
                yield e.instance, regs
