"""The x86 PV vCPU context: Xen's ``vcpu_guest_context`` as X86_PV_VCPU_BASIC carries it.

Two layouts, chosen by the guest width of X86_PV_INFO: 2800 octets for a 32-bit guest,
5168 for a 64-bit one (xen/include/public/arch-x86/xen.h, xen-x86_32.h, xen-x86_64.h;
the sizes are those of tools/include/xen-foreign). Words are ``unsigned long`` of the
guest, so 4 or 8 octets; the byte order is the stream's.

In a saved image the frame numbers are the guest's own: the saver turns machine frames
into pfns, so ``gdt_frames`` holds pfns, ``ctrlreg[3]`` holds ``xen_pfn_to_cr3(pfn)``
(for a 32-bit guest the pfn is rotated by 12 so that PAE tables above 4 GiB fit), a
64-bit guest's ``ctrlreg[1]`` (its user page table) holds ``pfn << 12 | 1`` when set,
and vCPU 0's ``edx``/``rdx`` holds the pfn of the start-info page. See
spec/pv-context.md for the rules.

:func:`decode` never reads past what it is given: it raises :class:`ValueError` on a
context of the wrong size, and :func:`decode_or_none` answers None instead.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from .constants import PV_VCPU_CONTEXT_SIZE

#: Octets of vcpu_guest_context per guest width (tools/include/xen-foreign).
CONTEXT_SIZE = PV_VCPU_CONTEXT_SIZE
FPU_SIZE = 512
TRAP_ENTRIES = 256
GDT_FRAMES = 16
#: Entries of one GDT frame (4096 / 8).
GDT_ENTRIES_PER_FRAME = 512
#: FIRST_RESERVED_GDT_ENTRY: Xen keeps the GDT from page 14 on; saver and restorer
#: refuse a larger gdt_ents.
GDT_ENTRIES_MAX = 14 * 4096 // 8

#: VGCF_* bits of ``flags`` (xen/include/public/arch-x86/xen.h; in_syscall is x86_64's).
VGCF_BITS = {
    0: "i387_valid",
    2: "in_kernel",
    3: "failsafe_disables_events",
    4: "syscall_disables_events",
    5: "online",
}
VGCF_BITS_64 = {**VGCF_BITS, 8: "in_syscall"}
VGCF_IN_KERNEL = 1 << 2

#: user_regs of each width, in layout order: (name, struct code). ``x`` codes are padding.
_REGS_32 = [
    ("ebx", "I"),
    ("ecx", "I"),
    ("edx", "I"),
    ("esi", "I"),
    ("edi", "I"),
    ("ebp", "I"),
    ("eax", "I"),
    ("error_code", "H"),
    ("entry_vector", "H"),
    ("eip", "I"),
    ("cs", "H"),
    ("saved_upcall_mask", "B"),
    ("", "x"),
    ("eflags", "I"),
    ("esp", "I"),
    ("ss", "H"),
    ("", "2x"),
    ("es", "H"),
    ("", "2x"),
    ("ds", "H"),
    ("", "2x"),
    ("fs", "H"),
    ("", "2x"),
    ("gs", "H"),
    ("", "2x"),
]
_REGS_64 = [
    *((r, "Q") for r in ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8")),
    *((r, "Q") for r in ("rax", "rcx", "rdx", "rsi", "rdi")),
    ("error_code", "I"),
    ("entry_vector", "I"),
    ("rip", "Q"),
    ("cs", "H"),
    ("", "2x"),
    ("saved_upcall_mask", "B"),
    ("", "3x"),
    ("rflags", "Q"),
    ("rsp", "Q"),
    ("ss", "H"),
    ("", "6x"),
    ("es", "H"),
    ("", "6x"),
    ("ds", "H"),
    ("", "6x"),
    ("fs", "H"),
    ("", "6x"),
    ("gs", "H"),
    ("", "6x"),
]
#: The fields after the trap table, words unless a count is given.
_TAIL_32 = [
    ("ldt_base", 1),
    ("ldt_ents", 1),
    ("gdt_frames", GDT_FRAMES),
    ("gdt_ents", 1),
    ("kernel_ss", 1),
    ("kernel_sp", 1),
    ("ctrlreg", 8),
    ("debugreg", 8),
    ("event_callback_cs", 1),
    ("event_callback_eip", 1),
    ("failsafe_callback_cs", 1),
    ("failsafe_callback_eip", 1),
    ("vm_assist", 1),
]
_TAIL_64 = [
    *_TAIL_32[:8],
    ("event_callback_eip", 1),
    ("failsafe_callback_eip", 1),
    ("syscall_callback_eip", 1),
    ("vm_assist", 1),
    ("fs_base", 1),
    ("gs_base_kernel", 1),
    ("gs_base_user", 1),
]


@dataclass(frozen=True)
class _Layout:
    width: int
    regs: list[tuple[str, str]]
    tail: list[tuple[str, int]]
    offsets: dict[str, int]  # field name (user_regs.X, ctrlreg[3], ...) -> offset
    regs_code: str
    trap_code: str
    tail_code: str


def _layout(width: int) -> _Layout:
    word = "I" if width == 4 else "Q"
    regs = _REGS_32 if width == 4 else _REGS_64
    tail = _TAIL_32 if width == 4 else _TAIL_64
    trap_code = "BBHI" if width == 4 else "BBH4xQ"
    offsets: dict[str, int] = {"fpu_ctxt": 0, "flags": FPU_SIZE}
    pos = FPU_SIZE + width
    offsets["user_regs"] = pos
    for name, code in regs:
        if name:
            offsets[f"user_regs.{name}"] = pos
        pos += struct.calcsize("<" + code)
    offsets["trap_ctxt"] = pos
    for i in range(TRAP_ENTRIES):
        offsets[f"trap_ctxt[{i}]"] = pos + i * struct.calcsize("<" + trap_code)
    pos += TRAP_ENTRIES * struct.calcsize("<" + trap_code)
    for name, count in tail:
        offsets[name] = pos
        for i in range(count if count > 1 else 0):
            offsets[f"{name}[{i}]"] = pos + i * width
        pos += count * width
    assert pos == CONTEXT_SIZE[width], (width, pos)
    return _Layout(
        width,
        regs,
        tail,
        offsets,
        "".join(code for _n, code in regs),
        trap_code,
        "".join(f"{count}{word}" for _n, count in tail),
    )


LAYOUTS = {4: _layout(4), 8: _layout(8)}


def offset_of(width: int, name: str) -> int:
    """Offset of a field in the context: ``flags``, ``user_regs.rdx``, ``gdt_frames[2]``,
    ``ctrlreg[3]``... (KeyError for a name the layout of that width lacks)."""
    return LAYOUTS[width].offsets[name]


def width_of_size(size: int) -> int | None:
    """The guest width whose context has ``size`` octets, or None."""
    return next((w for w, s in CONTEXT_SIZE.items() if s == size), None)


def cr3_to_pfn(cr3: int, width: int) -> int:
    """The pfn a saved ``ctrlreg[3]`` names (xen_cr3_to_pfn of that width: a 32-bit
    guest keeps pfn bits 20-31 in the low 12 bits of the register)."""
    if width == 8:
        return cr3 >> 12
    cr3 &= 0xFFFFFFFF
    return ((cr3 >> 12) | (cr3 << 20)) & 0xFFFFFFFF


def pfn_to_cr3(pfn: int, width: int) -> int:
    """``ctrlreg[3]`` for a top-level page table at ``pfn`` (xen_pfn_to_cr3)."""
    if width == 8:
        return pfn << 12
    pfn &= 0xFFFFFFFF
    return ((pfn << 12) | (pfn >> 20)) & 0xFFFFFFFF


def vgcf_bits(width: int) -> dict[int, str]:
    """The VGCF_* bits a context of ``width`` defines, by bit number."""
    return VGCF_BITS_64 if width == 8 else VGCF_BITS


def flag_names(flags: int, width: int) -> list[str]:
    """VGCF_* names of the set bits of ``flags``; unknown bits as ``bitN``."""
    known = vgcf_bits(width)
    return [known.get(b, f"bit{b}") for b in range(width * 8) if flags >> b & 1]


@dataclass
class PvContext:
    """One decoded vcpu_guest_context; field names are Xen's."""

    width: int
    flags: int
    user_regs: dict[str, int]
    trap_ctxt: list[tuple[int, int, int, int]]  # (vector, flags, cs, address) x 256
    words: dict[str, int | list[int]] = field(default_factory=dict)  # the tail fields

    def word(self, name: str) -> int:
        value = self.words[name]
        assert isinstance(value, int)
        return value

    def words_list(self, name: str) -> list[int]:
        value = self.words[name]
        assert isinstance(value, list)
        return value

    @property
    def ctrlreg(self) -> list[int]:
        return self.words_list("ctrlreg")

    @property
    def gdt_frames(self) -> list[int]:
        return self.words_list("gdt_frames")

    @property
    def gdt_ents(self) -> int:
        return self.word("gdt_ents")

    @property
    def cr3_pfn(self) -> int:
        """The pfn of the top-level page table ``ctrlreg[3]`` names."""
        return cr3_to_pfn(self.ctrlreg[3], self.width)

    @property
    def cr1_pfn(self) -> int | None:
        """A 64-bit guest's user page table pfn (``ctrlreg[1]`` with bit 0 set), else None."""
        cr1 = self.ctrlreg[1]
        return cr1 >> 12 if self.width == 8 and cr1 & 1 else None

    @property
    def gdt_frames_used(self) -> int:
        """How many of ``gdt_frames`` the GDT occupies: gdt_ents rounded up to frames."""
        return -(-self.gdt_ents // GDT_ENTRIES_PER_FRAME)

    @property
    def start_info_pfn(self) -> int:
        """``edx``/``rdx``: vCPU 0 carries the pfn of its start-info page there."""
        return self.user_regs["edx" if self.width == 4 else "rdx"]

    def registers(self) -> dict[str, int]:
        """The main registers under width-neutral names (rip, rsp, rflags, cr0-cr4,
        segments, segment bases) as a debugger would show them; cr3 as an address."""
        u, w = self.user_regs, self.width
        p = "e" if w == 4 else "r"
        out = {
            "rip": u[f"{p}ip"],
            "rsp": u[f"{p}sp"],
            "rflags": u[f"{p}flags"],
            **{s: u[s] for s in ("cs", "ss", "ds", "es", "fs", "gs")},
            "cr0": self.ctrlreg[0],
            "cr2": self.ctrlreg[2],
            "cr3": self.cr3_pfn << 12,
            "cr4": self.ctrlreg[4],
        }
        if w == 8:
            in_kernel = bool(self.flags & VGCF_IN_KERNEL)
            kernel, user = self.word("gs_base_kernel"), self.word("gs_base_user")
            out["fs_base"] = self.word("fs_base")
            out["gs_base"] = kernel if in_kernel else user
            out["kernel_gs_base"] = user if in_kernel else kernel
        return out

    def to_json(self) -> dict[str, Any]:
        """Every field (the FPU area left out), plus the derived pfns."""
        traps = [
            {"vector": v, "flags": f, "cs": cs, "address": a}
            for v, f, cs, a in self.trap_ctxt
            if v or f or cs or a
        ]
        out: dict[str, Any] = {
            "guest_width": self.width,
            "flags": self.flags,
            "flag_names": flag_names(self.flags, self.width),
            "user_regs": dict(self.user_regs),
            "trap_ctxt": traps,
            **self.words,
            "cr3_pfn": self.cr3_pfn,
            "gdt_frames_used": self.gdt_frames_used,
        }
        if self.cr1_pfn is not None:
            out["cr1_pfn"] = self.cr1_pfn
        return out


def decode(ctx: bytes, width: int, endian: str = "<") -> PvContext:
    """Decode a vcpu_guest_context of a guest of ``width`` (4 or 8) octets per word."""
    if width not in LAYOUTS:
        raise ValueError(f"guest width {width} is not 4 or 8")
    size = CONTEXT_SIZE[width]
    if len(ctx) != size:
        raise ValueError(f"context is {len(ctx)} octets, not {size} for guest width {width}")
    lay = LAYOUTS[width]
    word = "I" if width == 4 else "Q"
    (flags,) = struct.unpack_from(endian + word, ctx, FPU_SIZE)
    values = struct.unpack_from(endian + lay.regs_code, ctx, lay.offsets["user_regs"])
    names = [n for n, _c in lay.regs if n]
    regs = dict(zip(names, values, strict=True))
    traps = list(
        struct.iter_unpack(
            endian + lay.trap_code,
            ctx[lay.offsets["trap_ctxt"] : lay.offsets[lay.tail[0][0]]],
        )
    )
    tail = struct.unpack_from(endian + lay.tail_code, ctx, lay.offsets[lay.tail[0][0]])
    words: dict[str, int | list[int]] = {}
    pos = 0
    for name, count in lay.tail:
        words[name] = list(tail[pos : pos + count]) if count > 1 else tail[pos]
        pos += count
    return PvContext(width, flags, regs, traps, words)


def decode_or_none(ctx: bytes, width: int | None, endian: str = "<") -> PvContext | None:
    """:func:`decode`, or None when the width is unknown or the size is wrong; with no
    width, the size picks the layout."""
    if width is None:
        width = width_of_size(len(ctx))
    if width not in LAYOUTS or len(ctx) != CONTEXT_SIZE[width]:
        return None
    return decode(ctx, width, endian)


def encode(width: int, endian: str = "<", **fields: Any) -> bytes:
    """A context of ``width`` with the given fields set and the rest zero: user
    registers by name (``rip=...``), tail words by name (``gdt_ents=...``), lists for
    ``gdt_frames``/``ctrlreg``/``debugreg`` (shorter lists are padded with zeros),
    ``flags``, ``fpu_ctxt`` (512 octets) and ``trap_ctxt`` (``{index: (vector, flags,
    cs, address)}``). Used by the sample and corpus builders."""
    lay = LAYOUTS[width]
    word = "I" if width == 4 else "Q"
    out = bytearray(CONTEXT_SIZE[width])
    fpu = fields.pop("fpu_ctxt", b"")
    out[: len(fpu)] = fpu[:FPU_SIZE]
    struct.pack_into(endian + word, out, FPU_SIZE, fields.pop("flags", 0))
    reg_names = [n for n, _c in lay.regs if n]
    regs = [fields.pop(n, 0) for n in reg_names]
    struct.pack_into(endian + lay.regs_code, out, lay.offsets["user_regs"], *regs)
    trap_size = struct.calcsize("<" + lay.trap_code)
    for i, entry in fields.pop("trap_ctxt", {}).items():
        struct.pack_into(
            endian + lay.trap_code, out, lay.offsets["trap_ctxt"] + i * trap_size, *entry
        )
    tail: list[int] = []
    for name, count in lay.tail:
        value = fields.pop(name, 0)
        if count > 1:
            values = list(value) if value else []
            if len(values) > count:
                raise ValueError(f"{name} has {count} entries, not {len(values)}")
            tail += values + [0] * (count - len(values))
        else:
            tail.append(value)
    struct.pack_into(endian + lay.tail_code, out, lay.offsets[lay.tail[0][0]], *tail)
    if fields:
        raise TypeError(f"no such field in the {width * 8}-bit context: {', '.join(fields)}")
    return bytes(out)


def _fields(c: PvContext, ctx: bytes) -> dict[str, Any]:
    """The keyword arguments of :func:`encode` that rebuild ``c``."""
    return {
        "fpu_ctxt": ctx[:FPU_SIZE],
        "flags": c.flags,
        "trap_ctxt": dict(enumerate(c.trap_ctxt)),
        **c.user_regs,
        **c.words,
    }


def replace(ctx: bytes, width: int, endian: str = "<", **changes: Any) -> bytes:
    """``ctx`` with some fields changed, by the names :func:`encode` takes; a list field
    may be given as ``{index: value}`` to change single entries."""
    fields = _fields(decode(ctx, width, endian), ctx)
    for name, value in changes.items():
        old = fields.get(name)
        if isinstance(value, dict) and isinstance(old, list):
            old = list(old)
            for i, v in value.items():
                old[i] = v
            value = old
        elif isinstance(value, dict) and isinstance(old, dict):
            value = {**old, **value}
        fields[name] = value
    return encode(width, endian, **fields)


def byteswap(ctx: bytes, width: int, src: str = "<", dst: str = ">") -> bytes:
    """The context re-encoded from byte order ``src`` to ``dst`` (the FPU area, an
    FXSAVE image, is copied as it is; padding becomes zero)."""
    c = decode(ctx, width, src)
    return encode(width, dst, **_fields(c, ctx))


def sample(width: int, vcpu: int, *, top_pfn: int, gdt_pfn: int, start_info_pfn: int) -> bytes:
    """A realistic context for the sample images: a guest kernel interrupted in ring 1
    (32-bit) or ring 3 (64-bit kernel, as x86_64 PV runs), its page tables at
    ``top_pfn``, a one-frame GDT at ``gdt_pfn``, and for vCPU 0 the start-info pfn in
    edx/rdx (each vCPU's stack and entry points differ a little)."""
    flags = 0x1 | VGCF_IN_KERNEL | 0x20  # i387_valid, in_kernel, online
    if width == 8:
        base = 0xFFFFFFFF81000000
        regs: dict[str, Any] = {
            "rip": base + 0x1F3C0 + 0x40 * vcpu,
            "rsp": 0xFFFFC90000003E80 + 0x4000 * vcpu,
            "rflags": 0x246,
            "rdx": start_info_pfn if vcpu == 0 else 0,
            "cs": 0xE033,  # FLAT_KERNEL_CS64
            "ss": 0xE02B,  # FLAT_KERNEL_SS64
            "gs_base_kernel": 0xFFFF88807FC00000 + 0x40000 * vcpu,
            "kernel_ss": 0xE02B,
            "kernel_sp": 0xFFFFC90000004000 + 0x4000 * vcpu,
            "event_callback_eip": base + 0x1400,
            "failsafe_callback_eip": base + 0x1480,
            "syscall_callback_eip": base + 0x1500,
            "ctrlreg": [0x80050033, 0, 0, pfn_to_cr3(top_pfn, 8), 0x3406F0],
        }
    else:
        base = 0xC1000000
        regs = {
            "eip": base + 0x5A10 + 0x20 * vcpu,
            "esp": 0xC1A01F00 + 0x2000 * vcpu,
            "eflags": 0x246,
            "edx": start_info_pfn if vcpu == 0 else 0,
            "cs": 0xE019,  # FLAT_KERNEL_CS (ring 1)
            "ss": 0xE021,  # FLAT_KERNEL_SS
            "ds": 0x7B,
            "es": 0x7B,
            "fs": 0xD8,
            "kernel_ss": 0xE021,
            "kernel_sp": 0xC1A02000 + 0x2000 * vcpu,
            "event_callback_cs": 0xE019,
            "event_callback_eip": base + 0x1200,
            "failsafe_callback_cs": 0xE019,
            "failsafe_callback_eip": base + 0x1280,
            "ctrlreg": [0x8005003B, 0, 0, pfn_to_cr3(top_pfn, 4), 0x6F0],
        }
    # Handlers for the 20 exception vectors, 16 octets apart; 3 and 4 (int3, into)
    # may be raised from user mode.
    cs = 0xE033 if width == 8 else 0xE019
    traps = {v: (v, 3 if v in (3, 4) else 0, cs, base + 0x2000 + 0x10 * v) for v in range(20)}
    return encode(
        width,
        flags=flags,
        trap_ctxt=traps,
        gdt_frames=[gdt_pfn],
        gdt_ents=32,
        vm_assist=(1 << 2) | (1 << 3) if width == 4 else 1 << 2,
        **regs,
    )
