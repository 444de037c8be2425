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

from ._slots import Struct, field
from .constants import PV_VCPU_CONTEXT_SIZE

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

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

#: The end of the range a 64-bit Xen keeps for itself in every guest's address space
#: (xen/arch/x86/include/asm/config.h: HYPERVISOR_VIRT_END, 16 PML4 slots from
#: 0xffff800000000000). ``__addr_ok`` (asm/x86_64/uaccess.h) accepts an address below
#: 2^47 or at or above this.
HYPERVISOR_VIRT_END_64 = 0xFFFF880000000000
#: arch_vm_assist_valid_mask of a PV domain (asm/domain.h, PV32/PV64_VM_ASSIST_MASK,
#: the same from Xen 4.14 to 4.22): VMASST_TYPE_* 0-5, and on x86_64 also 32
#: (m2p_strict).
VM_ASSIST_VALID = {4: 0x3F, 8: 0x3F | 1 << 32}

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


class _Layout(Struct, frozen=True):
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
    trap_size = struct.calcsize("<" + trap_code)
    for i in range(TRAP_ENTRIES):
        offsets[f"trap_ctxt[{i}]"] = pos + i * trap_size
    pos += TRAP_ENTRIES * trap_size
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


_LAYOUTS: dict[int, _Layout] = {}


def layout(width: int) -> _Layout:
    """The layout of a ``width``-octet guest's context (KeyError for another width),
    made at its first use: an HVM image's verify never needs one."""
    lay = _LAYOUTS.get(width)
    if lay is None:
        if width not in CONTEXT_SIZE:
            raise KeyError(width)
        lay = _LAYOUTS[width] = _layout(width)
    return lay


if TYPE_CHECKING:
    #: Both widths' layouts, by width.
    LAYOUTS: dict[int, _Layout]


def __getattr__(name: str) -> object:
    """``LAYOUTS``, made (and kept) at its first use."""
    if name == "LAYOUTS":
        value = {w: layout(w) for w in CONTEXT_SIZE}
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def offset_of(width: int, name: str) -> int:
    """Offset of a field in the context: ``flags``, ``user_regs.rdx``, ``gdt_frames[2]``,
    ``ctrlreg[3]``... (KeyError for a name the layout of that width lacks)."""
    return layout(width).offsets[name]


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


class PvContext(Struct):
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
    if width not in CONTEXT_SIZE:
        raise ValueError(f"guest width {width} is not 4 or 8")
    size = CONTEXT_SIZE[width]
    if len(ctx) != size:
        raise ValueError(f"context is {len(ctx)} octets, not {size} for guest width {width}")
    lay = layout(width)
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
    if width not in CONTEXT_SIZE or len(ctx) != CONTEXT_SIZE[width]:
        return None
    return decode(ctx, width, endian)


def encode(width: int, endian: str = "<", **fields: Any) -> bytes:
    """A context of ``width`` with the given fields set and the rest zero: user
    registers by name (``rip=...``), tail words by name (``gdt_ents=...``), lists for
    ``gdt_frames``/``ctrlreg``/``debugreg`` (shorter lists are padded with zeros),
    ``flags``, ``fpu_ctxt`` (512 octets) and ``trap_ctxt`` (``{index: (vector, flags,
    cs, address)}``). Used by the sample and corpus builders."""
    lay = layout(width)
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


# --- what the restore path refuses (spec/pv-context.md) -----------------------------------


if TYPE_CHECKING:
    from typing import NamedTuple

    class Problem(NamedTuple):
        rule: str
        offset: int
        message: str

else:  # the same class without typing or collections (namedtuple), both off the verify path

    class Problem(tuple):
        __slots__ = ()
        _fields = ("rule", "offset", "message")

        def __new__(cls, rule: str, offset: int, message: str) -> Problem:
            return tuple.__new__(cls, (rule, offset, message))

        def __getnewargs__(self) -> tuple[str, int, str]:
            return tuple(self)

        def __repr__(self) -> str:
            return f"Problem(rule={self[0]!r}, offset={self[1]!r}, message={self[2]!r})"

        def _replace(self, **changes: object) -> Problem:
            fields = dict(zip(self._fields, self, strict=True))
            unknown = set(changes) - set(fields)
            if unknown:
                raise ValueError(f"Got unexpected field names: {sorted(unknown)!r}")
            return Problem(**{**fields, **changes})

        rule = property(lambda self: self[0])
        offset = property(lambda self: self[1])
        message = property(lambda self: self[2])


Problem.__doc__ = """A rule a context breaks: its ID, the offset from the start of the context
(the octets after the record's 8-octet vcpu_id/reserved header) and what is wrong."""


def is_canonical(value: int) -> bool:
    """Bits 47-63 of a 64-bit address all equal (Xen's is_canonical_address)."""
    return -(1 << 47) <= (value ^ (1 << 63)) - (1 << 63) < 1 << 47


#: Canonical 64-bit values: below the first bound or from the second up (the two ends
#: of :func:`is_canonical`'s range, as unsigned words).
_CANON_LOW, _CANON_HIGH = 1 << 47, (1 << 64) - (1 << 47)


def addr_ok_64(value: int) -> bool:
    """Outside the range a 64-bit Xen keeps for itself (``__addr_ok``)."""
    return value < 1 << 47 or value >= HYPERVISOR_VIRT_END_64


def _canonical_001(ctx: PvContext) -> Iterator[tuple[str, int]]:
    """The addresses every release of arch_set_info_guest wants canonical (4.6 on)."""
    yield "user_regs.rip", ctx.user_regs["rip"]
    for name in ("event_callback_eip", "failsafe_callback_eip", "syscall_callback_eip"):
        yield name, ctx.word(name)
    # 256 entries, nearly always canonical: one pass over them first (the checker
    # runs this for every vCPU), each entry on its own only when one is not
    traps = ctx.trap_ctxt
    if all(0 <= a < _CANON_LOW or _CANON_HIGH <= a < 1 << 64 for _v, _f, _cs, a in traps):
        return
    for i, (_v, _f, _cs, address) in enumerate(traps):
        yield f"trap_ctxt[{i}]", address


def _canonical_002(ctx: PvContext) -> Iterator[tuple[str, int]]:
    """The addresses arch_set_info_guest wants canonical from Xen 4.8 on."""
    yield "user_regs.rsp", ctx.user_regs["rsp"]
    for name in ("kernel_sp", "fs_base", "gs_base_kernel", "gs_base_user"):
        yield name, ctx.word(name)
    if ctx.word("ldt_ents"):
        yield "ldt_base", ctx.word("ldt_base")


def hypervisor_problems(ctx: PvContext, vcpu: int) -> list[Problem]:
    """What ``arch_set_info_guest`` (xen/arch/x86/domain.c) refuses in a context, as
    rules PV-ADR-001/-002, PV-LDT-003, PV-DBG-002 and PV-VMA-001 (the first problem of
    each rule)."""
    out: list[Problem] = []
    w = ctx.width

    def add(rule: str, name: str, message: str) -> None:
        out.append(Problem(rule, offset_of(w, name), message))

    if w == 8:
        for rule, fields in (("PV-ADR-001", _canonical_001), ("PV-ADR-002", _canonical_002)):
            for name, value in fields(ctx):
                if not is_canonical(value):
                    add(rule, name, f"{name} {value:#x} is not canonical")
                    break
        ldt_base = ctx.word("ldt_base")
        if not addr_ok_64(ldt_base):
            add(
                "PV-LDT-003",
                "ldt_base",
                f"ldt_base {ldt_base:#x} is in the range Xen keeps for itself "
                f"(2^47 to {HYPERVISOR_VIRT_END_64:#x}), whatever ldt_ents",
            )
        for n, value in enumerate(ctx.words_list("debugreg")[:4]):
            if not addr_ok_64(value):
                add(
                    "PV-DBG-002",
                    f"debugreg[{n}]",
                    f"debugreg[{n}] {value:#x} is a breakpoint in the range Xen keeps "
                    f"for itself (2^47 to {HYPERVISOR_VIRT_END_64:#x})",
                )
                break
    vm_assist = ctx.word("vm_assist")
    if vcpu == 0 and vm_assist & ~VM_ASSIST_VALID[w]:
        add(
            "PV-VMA-001",
            "vm_assist",
            f"vm_assist {vm_assist:#x} has bits outside {VM_ASSIST_VALID[w]:#x}: "
            f"{vm_assist & ~VM_ASSIST_VALID[w]:#x}",
        )
    return out


# --- the other three per-vCPU records -------------------------------------------------------

#: xen_domctl_ext_vcpucontext (xen/include/public/domctl.h): vcpu, size, then the
#: 32-bit SYSCALL and SYSENTER entry points; ``vmce`` starts at 32.
EXT_SIZE_OFFSET = 4
EXT_SYSCALL32_EIP_OFFSET = 8
EXT_SYSENTER_EIP_OFFSET = 16
EXT_VMCE_OFFSET = 32
#: What X86_PV_VCPU_XSAVE starts with: xcr0, xcr0_accum (PV_XSAVE_HDR_SIZE in
#: xen/arch/x86/domctl.c), then the XSAVE area; XSTATE_AREA_MIN_SIZE is the legacy
#: FXSAVE region and the XSAVE header (asm/xstate.h).
XSAVE_HDR_SIZE = 16
XSTATE_AREA_MIN_SIZE = 512 + 64
XCR0_X87, XCR0_SSE, XCR0_YMM = 1 << 0, 1 << 1, 1 << 2
XCR0_AVX512 = (1 << 5) | (1 << 6) | (1 << 7)  # OPMASK, ZMM, HI_ZMM
#: The XSAVE area of an xcr0_accum with only x87, SSE and YMM is the same on every CPU:
#: the legacy region and header, and the YMM upper halves (256 octets at 576).
YMM_SIZE = 256
#: The MSRs XEN_DOMCTL_set_vcpu_msrs accepts from Xen 4.12 on (msrs_to_send in
#: xen/arch/x86/domctl.c; older releases accept fewer): SPEC_CTRL,
#: INTEL_MISC_FEATURES_ENABLES, TSC_AUX, and the AMD DR0-DR3 address masks.
PV_MSRS = {
    0x48: "SPEC_CTRL",
    0x140: "INTEL_MISC_FEATURES_ENABLES",
    0xC0000103: "TSC_AUX",
    0xC0011027: "AMD64_DR0_ADDRESS_MASK",
    0xC0011019: "AMD64_DR1_ADDRESS_MASK",
    0xC001101A: "AMD64_DR2_ADDRESS_MASK",
    0xC001101B: "AMD64_DR3_ADDRESS_MASK",
}
#: The most entries set_vcpu_msrs takes: up to Xen 4.19 the seven plus four more on a
#: host with DBEXT (nr_msrs in xen/arch/x86/domctl.c; more is refused on every host),
#: from 4.20 the seven.
PV_MSRS_MAX = 11
PV_MSRS_MAX_420 = len(PV_MSRS)
MSR_ENTRY_SIZE = 16


def extended_problems(blob: bytes, endian: str = "<") -> list[Problem]:
    """What XEN_DOMCTL_set_ext_vcpucontext (xen/arch/x86/domctl.c) refuses in an
    X86_PV_VCPU_EXTENDED context: PV-EXT-001 and -002. The restorer copies the context
    over a zeroed structure, so fields past its end read as zero."""
    if not blob:
        return []  # an empty context is skipped (XC-VCPU-007/-008)
    padded = blob[:128].ljust(EXT_VMCE_OFFSET, b"\x00")
    (size,) = struct.unpack_from(endian + "I", padded, EXT_SIZE_OFFSET)
    out: list[Problem] = []
    if size < EXT_VMCE_OFFSET:
        at = EXT_SIZE_OFFSET if len(blob) >= 8 else 0
        why = "" if len(blob) >= 8 else f" (the {len(blob)}-octet context ends before it)"
        out.append(Problem("PV-EXT-001", at, f"size is {size}{why}, under {EXT_VMCE_OFFSET}"))
    for name, at in (
        ("syscall32_callback_eip", EXT_SYSCALL32_EIP_OFFSET),
        ("sysenter_callback_eip", EXT_SYSENTER_EIP_OFFSET),
    ):
        (value,) = struct.unpack_from(endian + "Q", padded, at)
        if not is_canonical(value):
            out.append(Problem("PV-EXT-002", at, f"{name} {value:#x} is not canonical"))
            break
    return out


def _xcr0_problem(value: int) -> str | None:
    """Why ``valid_xcr0`` (xen/arch/x86/xstate.c) refuses ``value``, in the parts every
    release from 4.6 on shares."""
    if not value & XCR0_X87:
        return "has x87 (bit 0) clear"
    if value & XCR0_YMM and not value & XCR0_SSE:
        return "has YMM (bit 2) without SSE (bit 1)"
    if value & XCR0_AVX512 and (value & XCR0_AVX512 != XCR0_AVX512 or not value & XCR0_YMM):
        return "has some of OPMASK, ZMM, HI_ZMM (bits 5-7) without all three and YMM"
    return None


def xsave_problems(blob: bytes, endian: str = "<") -> list[Problem]:
    """What XEN_DOMCTL_setvcpuextstate and ``validate_xstate`` refuse in an
    X86_PV_VCPU_XSAVE context whatever the host: PV-XSV-001 to -006."""
    if len(blob) < XSAVE_HDR_SIZE:
        return []  # XC-VCPU-005 (or an empty context, skipped)
    xcr0, accum = struct.unpack_from(endian + "QQ", blob)
    out: list[Problem] = []
    if xcr0 & ~accum:
        out.append(
            Problem(
                "PV-XSV-001",
                0,
                f"xcr0 {xcr0:#x} has bits {xcr0 & ~accum:#x} that xcr0_accum {accum:#x} lacks",
            )
        )
    if not accum:
        return out
    if len(blob) < XSAVE_HDR_SIZE + XSTATE_AREA_MIN_SIZE:
        out.append(
            Problem(
                "PV-XSV-002",
                8,
                f"xcr0_accum is {accum:#x} but the context is {len(blob)} octets, under "
                f"{XSAVE_HDR_SIZE + XSTATE_AREA_MIN_SIZE}",
            )
        )
        return out
    for at, name, value in ((8, "xcr0_accum", accum), (0, "xcr0", xcr0)):
        why = _xcr0_problem(value)
        if why:
            out.append(Problem("PV-XSV-003", at, f"{name} {value:#x} {why}"))
            return out
    at = XSAVE_HDR_SIZE + 512
    bv, comp, *reserved = struct.unpack_from(endian + "8Q", blob, at)
    if bv & ~accum:
        out.append(
            Problem(
                "PV-XSV-003",
                at,
                f"xstate_bv {bv:#x} has bits {bv & ~accum:#x} that xcr0_accum lacks",
            )
        )
    if comp or any(reserved):
        word = 1 if comp else 2 + next(i for i, r in enumerate(reserved) if r)
        name = "xcomp_bv" if comp else f"reserved[{word - 2}]"
        value = comp or reserved[word - 2]
        out.append(
            Problem("PV-XSV-006", at + 8 * word, f"XSAVE header {name} is {value:#x}, not 0")
        )
    if not accum & ~(XCR0_X87 | XCR0_SSE | XCR0_YMM):
        want = XSAVE_HDR_SIZE + XSTATE_AREA_MIN_SIZE + (YMM_SIZE if accum & XCR0_YMM else 0)
        if len(blob) != want:
            out.append(
                Problem(
                    "PV-XSV-004" if len(blob) > want else "PV-XSV-005",
                    8,
                    f"the context is {len(blob)} octets, but xcr0_accum {accum:#x} makes "
                    f"it {want} (16 + its XSAVE area)",
                )
            )
    return out


def msrs_problems(blob: bytes, endian: str = "<") -> list[Problem]:
    """What XEN_DOMCTL_set_vcpu_msrs refuses in an X86_PV_VCPU_MSRS context whatever
    the host: PV-MSR-001 to -004 (the first entry of each)."""
    n = len(blob) // MSR_ENTRY_SIZE
    out: list[Problem] = []
    if n > PV_MSRS_MAX:
        out.append(Problem("PV-MSR-003", 0, f"{n} entries, over {PV_MSRS_MAX}"))
    if n > PV_MSRS_MAX_420:
        out.append(Problem("PV-MSR-004", 0, f"{n} entries, over {PV_MSRS_MAX_420}"))
    reserved_done = index_done = False
    for i, (index, reserved, _value) in enumerate(
        struct.iter_unpack(endian + "IIQ", blob[: n * MSR_ENTRY_SIZE])
    ):
        if reserved and not reserved_done:
            reserved_done = True
            out.append(
                Problem(
                    "PV-MSR-001",
                    i * MSR_ENTRY_SIZE + 4,
                    f"entry {i} (MSR {index:#x}): reserved is {reserved:#x}, not 0",
                )
            )
        if index not in PV_MSRS and not index_done:
            index_done = True
            out.append(
                Problem(
                    "PV-MSR-002",
                    i * MSR_ENTRY_SIZE,
                    f"entry {i}: MSR {index:#x} is not one Xen restores for a PV vCPU",
                )
            )
    return out
