"""Mutations of the x86 PV records (``spec/libxc-stream.md``: X86_PV_INFO,
X86_PV_P2M_FRAMES, the four vCPU records, SHARED_INFO, and the order they keep) and
of the PV vCPU context inside X86_PV_VCPU_BASIC (``spec/pv-context.md``,
``ksy/xen_pv_vcpu_context.ksy``)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ... import pv_context
from ...bodies import P2mFrames, PageData, PvBasicContext, PvInfo, VcpuContext, has_data
from ...constants import (
    PAGE_DATA_PFN_MASK,
    PV_VCPU_CONTEXT_SIZE,
    VCPU_RECORD_TYPES,
    XcRecType,
)
from ...model import Record
from ..build import PAGE, Generated
from ..choices import Chooser
from . import Applied, Mutation, mutation
from .helpers import (
    PD,
    end_of,
    is_pv,
    nonzero,
    other_than,
    pages,
    pick,
    resize,
    typed,
    v3,
    where,
    xc_recs,
)

X = XcRecType


# --- X86_PV_INFO, X86_PV_P2M_FRAMES ---------------------------------------------------------

PVI = ("pv-info",)


def _pvi(g: Generated) -> tuple[int, PvInfo]:
    i = where(xc_recs(g), X.X86_PV_INFO)[0]
    return i, typed(xc_recs(g)[i], PvInfo)


@mutation(
    "xc-pvi-length",
    ["XC-PVI-001"],
    "X86_PV_INFO body not 8 octets (the first 8 kept)",
    tags=("off-by-one", *PVI),
    when=is_pv,
)
def pv_info_length(ch: Chooser, g: Generated) -> str:
    i, pvi = _pvi(g)
    extra = ch.integer(1, 16)
    xc_recs(g)[i].body = pvi.encode("<")[:2] + bytes(6 + extra)
    return f"record #{i} body of {8 + extra} octets"


@mutation(
    "xc-pvi-width",
    ["XC-PVI-002"],
    "X86_PV_INFO guest_width neither 4 nor 8",
    tags=PVI,
    when=is_pv,
)
def pv_info_guest_width(ch: Chooser, g: Generated) -> str:
    _, pvi = _pvi(g)
    pvi.guest_width = other_than(ch, [4, 8], 0, 255)
    return f"guest_width {pvi.guest_width}"


@mutation(
    "xc-pvi-levels-pairing",
    ["XC-PVI-004"],
    "X86_PV_INFO pairs guest_width 8 with 3 levels or 4 with 4",
    tags=PVI,
    when=is_pv,
)
def pv_info_width_levels_pairing(ch: Chooser, g: Generated) -> str:
    _, pvi = _pvi(g)
    pvi.pt_levels = 3 if pvi.guest_width == 8 else 4
    return f"guest_width {pvi.guest_width}, pt_levels {pvi.pt_levels}"


@mutation(
    "xc-pvi-levels",
    ["XC-PVI-003"],
    "X86_PV_INFO pt_levels not 3 or 4 (XC-PVI-004 judges only values XC-PVI-002/003 allow)",
    tags=PVI,
    when=is_pv,
)
def pv_info_pt_levels(ch: Chooser, g: Generated) -> str:
    _, pvi = _pvi(g)
    pvi.pt_levels = other_than(ch, [3, 4], 0, 255)
    return f"pt_levels {pvi.pt_levels}"


@mutation(
    "xc-pvi-reserved",
    ["XC-PVI-005"],
    "X86_PV_INFO reserved octets not zero",
    tags=("reserved-bits", *PVI),
    when=is_pv,
)
def pv_info_reserved_octets(ch: Chooser, g: Generated) -> str:
    _, pvi = _pvi(g)
    res = bytearray(6)
    k = ch.integer(0, 5)
    res[k] = ch.integer(1, 255)
    pvi.reserved = bytes(res)
    return f"reserved octet {k} = {res[k]:#x}"


@mutation(
    "xc-pvi-duplicate",
    ["XC-PVI-006"],
    "a second X86_PV_INFO right after the first",
    tags=("duplicate-record", *PVI),
    when=is_pv,
)
def pv_info_twice(ch: Chooser, g: Generated) -> str:
    i, pvi = _pvi(g)
    xc_recs(g).insert(i + 1, Record(X.X86_PV_INFO, PvInfo(pvi.guest_width, pvi.pt_levels)))
    return f"X86_PV_INFO repeated as record #{i + 1}"


@mutation(
    "xc-pvi-after-p2m",
    ["XC-ORD-001"],
    "X86_PV_INFO moved after the first X86_PV_P2M_FRAMES (still before SHARED_INFO)",
    tags=("ordering", *PVI),
    when=is_pv,
    sometimes=["XC-PVI-007"],
)
def pv_info_after_p2m_frames(ch: Chooser, g: Generated) -> Applied:
    recs = xc_recs(g)
    i, _ = _pvi(g)
    rec = recs.pop(i)
    p2m = where(recs, X.X86_PV_P2M_FRAMES)[0]
    shared = where(recs, X.SHARED_INFO)[0]
    at = ch.integer(p2m + 1, shared)
    recs.insert(at, rec)
    return Applied(f"X86_PV_INFO moved to #{at}", breaks=("XC-PVI-007",) if v3(g) else ())


P2M = ("p2m",)


def _p2m(g: Generated) -> tuple[int, P2mFrames]:
    i = where(xc_recs(g), X.X86_PV_P2M_FRAMES)[0]
    return i, typed(xc_recs(g)[i], P2mFrames)


@mutation(
    "xc-p2m-short",
    ["XC-P2M-001"],
    "X86_PV_P2M_FRAMES body shorter than 8 octets",
    tags=("off-by-one", *P2M),
    when=is_pv,
)
def p2m_frames_body_short(ch: Chooser, g: Generated) -> str:
    i, _ = _p2m(g)
    n = ch.integer(0, 7)
    xc_recs(g)[i].body = bytes(n)
    return f"body of {n} octets"


@mutation(
    "xc-p2m-range",
    ["XC-P2M-002"],
    "X86_PV_P2M_FRAMES start pfn above its end pfn (frames as many as if swapped)",
    tags=P2M,
    when=is_pv,
)
def p2m_frames_start_above_end(ch: Chooser, g: Generated) -> str:
    _, p2m = _p2m(g)
    lo, hi = p2m.start_pfn, p2m.end_pfn
    if lo == hi:
        hi += 1
        p2m.frames = [0x1A2B00 + k for k in range(hi // 512 - lo // 512 + 1)]
    p2m.start_pfn, p2m.end_pfn = hi, lo
    return f"start {hi} > end {lo}"


@mutation(
    "xc-p2m-frames-off",
    ["XC-P2M-003"],
    "X86_PV_P2M_FRAMES with a frame too many or too few",
    tags=("off-by-one", *P2M),
    when=is_pv,
)
def p2m_frames_count_off_by_one(ch: Chooser, g: Generated) -> str:
    _, p2m = _p2m(g)
    if len(p2m.frames) > 1 and ch.integer(0, 1):
        p2m.frames.pop()
        return f"{len(p2m.frames)} frames, one too few"
    p2m.frames.append(0x1A2BFF)
    return f"{len(p2m.frames)} frames, one too many"


@mutation(
    "xc-p2m-after-pages",
    ["XC-ORD-002"],
    "X86_PV_P2M_FRAMES moved after the first PAGE_DATA",
    tags=("ordering", *P2M),
    when=is_pv,
)
def p2m_frames_after_page_data(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i, _ = _p2m(g)
    rec = recs.pop(i)
    first = where(recs, X.PAGE_DATA)[0]
    last = where(recs, X.PAGE_DATA)[-1]
    at = ch.integer(first + 1, last + 1)
    recs.insert(at, rec)
    return f"moved to #{at}"


@mutation(
    "xc-p2m-drop",
    ["XC-P2M-004", "XC-ORD-002"],
    "a PV stream without X86_PV_P2M_FRAMES (so none precedes the first PAGE_DATA)",
    tags=("missing-record", *P2M),
    when=is_pv,
)
def p2m_frames_dropped(ch: Chooser, g: Generated) -> str:
    i, _ = _p2m(g)
    del xc_recs(g)[i]
    return f"record #{i} dropped"


# --- the vCPU records --------------------------------------------------------------------

VC = ("vcpu",)


def _vcpus(g: Generated, *types: int) -> list[int]:
    return where(xc_recs(g), *(types or VCPU_RECORD_TYPES))


@mutation(
    "xc-vcpu-reserved",
    ["XC-VCPU-002"],
    "a vCPU record's reserved word not zero",
    tags=("reserved-bits", *VC),
    when=is_pv,
)
def vcpu_reserved_word(ch: Chooser, g: Generated) -> str:
    i = pick(ch, _vcpus(g))
    ctx = typed(xc_recs(g)[i], VcpuContext)
    ctx.reserved = nonzero(ch, 32)
    return f"record #{i} reserved {ctx.reserved:#x}"


@mutation(
    "xc-vcpu-short",
    ["XC-VCPU-001"],
    "a vCPU record shorter than its 8-octet header",
    tags=("off-by-one", *VC),
    when=is_pv,
    sometimes=["XC-VCPU-009"],
)
def vcpu_record_short(ch: Chooser, g: Generated) -> Applied:
    recs = xc_recs(g)
    i = pick(ch, _vcpus(g))
    n = ch.integer(0, 7)
    vcpu0_basic = recs[i].type == X.X86_PV_VCPU_BASIC and typed(recs[i], VcpuContext).vcpu_id == 0
    recs[i].body = bytes(n)
    # a BASIC of vCPU 0 that cannot be read no longer counts as one
    return Applied(
        f"record #{i} body of {n} octets", breaks=("XC-VCPU-009",) if vcpu0_basic else ()
    )


def _ctx_size(
    rtype: XcRecType, rule: str, doc: str, good: Callable[[Generated, int], bool], lo: int, hi: int
) -> Mutation:
    """A mutation that gives one ``rtype`` record a context length ``good`` refuses."""

    @mutation(
        f"xc-vcpu-{rtype.name.lower().removeprefix('x86_pv_vcpu_')}-size",
        [rule],
        doc,
        tags=("off-by-one", *VC),
        when=lambda g: is_pv(g) and bool(_vcpus(g, rtype)),
    )
    def context_size(ch: Chooser, g: Generated) -> str:
        i = pick(ch, _vcpus(g, rtype))
        ctx = typed(xc_recs(g)[i], VcpuContext)
        ctx.context = resize(ch, ctx.context, lambda n: good(g, n), lo, hi)
        return f"record #{i} context of {len(ctx.context)} octets"

    return context_size


vcpu_basic_context_size = _ctx_size(
    X.X86_PV_VCPU_BASIC,
    "XC-VCPU-003",
    "X86_PV_VCPU_BASIC context not the size of the guest's vcpu_guest_context",
    lambda g, n: n == PV_VCPU_CONTEXT_SIZE[_width(g)],
    1,
    6000,
)
vcpu_extended_context_size = _ctx_size(
    X.X86_PV_VCPU_EXTENDED,
    "XC-VCPU-004",
    "X86_PV_VCPU_EXTENDED context over 128 octets",
    lambda g, n: n <= 128,
    129,
    300,
)
vcpu_xsave_context_size = _ctx_size(
    X.X86_PV_VCPU_XSAVE,
    "XC-VCPU-005",
    "X86_PV_VCPU_XSAVE context of 1-15 octets",
    lambda g, n: n == 0 or n >= 16,
    1,
    15,
)
vcpu_msrs_context_size = _ctx_size(
    X.X86_PV_VCPU_MSRS,
    "XC-VCPU-006",
    "X86_PV_VCPU_MSRS context not a multiple of 16",
    lambda g, n: n % 16 == 0,
    1,
    100,
)


@mutation(
    "xc-vcpu-empty-context",
    ["XC-VCPU-007"],
    "an X86_PV_VCPU_EXTENDED, _XSAVE or _MSRS record with an empty context (SHOULD)",
    tags=("errata", *VC),
    when=lambda g: (
        is_pv(g)
        and bool(_vcpus(g, X.X86_PV_VCPU_EXTENDED, X.X86_PV_VCPU_XSAVE, X.X86_PV_VCPU_MSRS))
    ),
)
def vcpu_empty_context(ch: Chooser, g: Generated) -> str:
    i = pick(ch, _vcpus(g, X.X86_PV_VCPU_EXTENDED, X.X86_PV_VCPU_XSAVE, X.X86_PV_VCPU_MSRS))
    typed(xc_recs(g)[i], VcpuContext).context = b""
    return f"record #{i} context emptied"


@mutation(
    "xc-vcpu0-basic-drop",
    ["XC-VCPU-009"],
    "no X86_PV_VCPU_BASIC for vCPU 0",
    tags=("missing-record", *VC),
    when=is_pv,
)
def vcpu0_basic_dropped(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = next(k for k in _vcpus(g, X.X86_PV_VCPU_BASIC) if typed(recs[k], VcpuContext).vcpu_id == 0)
    del recs[i]
    return f"record #{i} dropped"


# --- the PV vCPU context (spec/pv-context.md) ------------------------------------------------

PVC = ("pv-context", "vcpu")


def _basic(g: Generated, vcpu0: bool = False) -> list[int]:
    recs = xc_recs(g)
    return [
        k
        for k in _vcpus(g, X.X86_PV_VCPU_BASIC)
        if isinstance(recs[k].body, PvBasicContext)
        and (not vcpu0 or typed(recs[k], PvBasicContext).vcpu_id == 0)
    ]


def _width(g: Generated) -> int:
    return 4 if g.guest == "x86_32-pv" else 8


def _p2m_end(g: Generated) -> int:
    body = next(r.body for r in xc_recs(g) if r.type == X.X86_PV_P2M_FRAMES)
    assert isinstance(body, P2mFrames)
    return body.end_pfn


def _pv_field(
    name: str,
    rule: str,
    doc: str,
    change: Callable[[Chooser, Generated, pv_context.PvContext], dict[str, Any]],
    *,
    width: int | None = None,
    vcpu0: bool = False,
) -> Mutation:
    """A mutation that changes fields of one vCPU's BASIC context."""

    @mutation(
        name,
        [rule],
        doc,
        tags=PVC,
        when=lambda g: (
            is_pv(g) and (width is None or _width(g) == width) and bool(_basic(g, vcpu0))
        ),
    )
    def change_fields(ch: Chooser, g: Generated) -> str:
        i = pick(ch, _basic(g, vcpu0))
        body = typed(xc_recs(g)[i], PvBasicContext)
        w = _width(g)
        changes = change(ch, g, pv_context.decode(body.context, w))
        body.context = pv_context.replace(body.context, w, **changes)
        return f"record #{i} " + ", ".join(f"{k} {v}" for k, v in changes.items())

    return change_fields


gdt_ents_over_limit = _pv_field(
    "pv-gdt-ents-over",
    "PV-GDT-001",
    "gdt_ents over 7168",
    lambda ch, g, c: {"gdt_ents": ch.integer(7169, 1 << 16)},
)
gdt_frame_is_page_table = _pv_field(
    "pv-gdt-frame-page-table",
    "PV-GDT-002",
    "the first GDT frame is the top-level page table's pfn",
    lambda ch, g, c: {"gdt_frames": {0: c.cr3_pfn}},
)
gdt_unused_frame_set = _pv_field(
    "pv-gdt-unused-frame",
    "PV-GDT-003",
    "the last gdt_frames entry set though the GDT uses one frame (SHOULD)",
    lambda ch, g, c: {"gdt_frames": {15: c.gdt_frames[0] or 1}},
)
cr3_above_p2m_end = _pv_field(
    "pv-cr3-above-p2m",
    "PV-CR3-001",
    "ctrlreg[3] names a pfn above p2m_end_pfn",
    lambda ch, g, c: {
        "ctrlreg": {3: pv_context.pfn_to_cr3(_p2m_end(g) + ch.integer(1, 64), _width(g))}
    },
)
cr1_names_gdt_page = _pv_field(
    "pv-cr1-data-page",
    "PV-CR3-002",
    "ctrlreg[1] (bit 0 set) names the GDT's NOTAB page as the user page table",
    lambda ch, g, c: {"ctrlreg": {1: (c.gdt_frames[0] << 12) | 1}},
    width=8,
)
user_mode_without_cr1 = _pv_field(
    "pv-user-mode-without-cr1",
    "PV-CR3-003",
    "a 64-bit vCPU in user mode (in_kernel clear) with ctrlreg[1] zero",
    lambda ch, g, c: {"flags": c.flags & ~pv_context.VGCF_IN_KERNEL, "ctrlreg": {1: 0}},
    width=8,
)
start_info_is_page_table = _pv_field(
    "pv-start-info-page-table",
    "PV-SIF-001",
    "vCPU 0's start-info pfn is the top-level page table",
    lambda ch, g, c: {("rdx" if c.width == 8 else "edx"): c.cr3_pfn},
    vcpu0=True,
)
ldt_ents_over_limit = _pv_field(
    "pv-ldt-ents-over",
    "PV-LDT-001",
    "ldt_ents over 8192",
    lambda ch, g, c: {"ldt_ents": ch.integer(8193, 1 << 16)},
)
ldt_base_unaligned = _pv_field(
    "pv-ldt-base-unaligned",
    "PV-LDT-002",
    "ldt_base not a multiple of 4096",
    lambda ch, g, c: {"ldt_base": 0x10000 + ch.integer(1, 4095)},
)
rip_non_canonical = _pv_field(
    "pv-rip-non-canonical",
    "PV-ADR-001",
    "a 64-bit rip with bits 47-63 not all equal",
    lambda ch, g, c: {"rip": (1 << 47) + ch.integer(0, 1 << 20)},
    width=8,
)
dr7_over_32_bits = _pv_field(
    "pv-dr7-high",
    "PV-DBG-001",
    "debugreg[7] of a 64-bit context over 32 bits",
    lambda ch, g, c: {"debugreg": {7: 1 << ch.integer(32, 63)}},
    width=8,
)
flags_undefined_bit = _pv_field(
    "pv-flags-undefined",
    "PV-FLG-001",
    "flags has a bit that is no VGCF_* flag (SHOULD)",
    lambda ch, g, c: {"flags": c.flags | 1 << ch.integer(9, 31)},
)
eflags_vm_set = _pv_field(
    "pv-eflags-vm",
    "PV-FLG-002",
    "a 32-bit eflags with VM (bit 17) set",
    lambda ch, g, c: {"eflags": c.user_regs["eflags"] | 1 << 17},
    width=4,
)


# --- order of the PV records, SHARED_INFO ------------------------------------------------


@mutation(
    "xc-vcpu-before-pages",
    ["XC-ORD-003", "XC-ORD-005"],
    "a vCPU record moved before the first PAGE_DATA (after X86_PV_P2M_FRAMES)",
    tags=("ordering", *VC),
    when=is_pv,
)
def vcpu_before_page_data(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = pick(ch, _vcpus(g))
    rec = recs.pop(i)
    at = where(recs, X.PAGE_DATA)[0]
    recs.insert(at, rec)
    return f"record #{i} moved to #{at}"


@mutation(
    "xc-pages-after-vcpu",
    ["XC-ORD-005"],
    "a PAGE_DATA (not the first) moved after a vCPU record (SHOULD)",
    tags=("ordering", *PD),
    when=lambda g: is_pv(g) and len(pages(g)) > 1,
)
def page_data_after_vcpu(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = pick(ch, pages(g)[1:])
    rec = recs.pop(i)
    at = ch.integer(_vcpus(g)[0] + 1, end_of(recs))
    recs.insert(at, rec)
    return f"record #{i} moved to #{at}"


@mutation(
    "xc-shared-info-size",
    ["XC-SHI-001"],
    "SHARED_INFO not one page long",
    tags=("off-by-one", "shared-info"),
    when=is_pv,
)
def shared_info_size(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    i = where(recs, X.SHARED_INFO)[0]
    body = recs[i].body_bytes("<")
    recs[i].body = resize(ch, body, lambda n: n == PAGE, 0, 2 * PAGE)
    return f"body of {len(recs[i].body_bytes('<'))} octets"


@mutation(
    "xc-shared-info-first",
    ["XC-ORD-004"],
    "SHARED_INFO moved before X86_PV_INFO",
    tags=("ordering", "shared-info"),
    when=is_pv,
    sometimes=["XC-SDE-004"],
)
def shared_info_before_pv_info(ch: Chooser, g: Generated) -> Applied:
    recs = xc_recs(g)
    i = where(recs, X.SHARED_INFO)[0]
    rec = recs.pop(i)
    at = ch.integer(0, where(recs, X.X86_PV_INFO)[0])
    recs.insert(at, rec)
    return Applied(f"moved to #{at}", breaks=("XC-SDE-004",) if v3(g) else ())


# --- what the hypervisor refuses in the EXTENDED, XSAVE and MSRS contexts (issue 14) -------------
# The contexts are the guest's (x86, little-endian) whatever the stream's byte order;
# xensave/pv_context.py holds the facts (extended_problems, xsave_problems, msrs_problems).


def _ctx(g: Generated, rtype: int, pred: Callable[[bytes], bool] = bool) -> list[int]:
    """The records of ``rtype`` whose context satisfies ``pred``."""
    recs = xc_recs(g)
    return [k for k in _vcpus(g, rtype) if pred(typed(recs[k], VcpuContext).context)]


def _has_ctx(rtype: int, pred: Callable[[bytes], bool] = bool) -> Callable[[Generated], bool]:
    return lambda g: is_pv(g) and bool(_ctx(g, rtype, pred))


def _edit_ctx(
    ch: Chooser,
    g: Generated,
    rtype: int,
    edit: Callable[[bytes], bytes],
    pred: Callable[[bytes], bool] = bool,
) -> str:
    k = pick(ch, _ctx(g, rtype, pred))
    ctx = typed(xc_recs(g)[k], VcpuContext)
    ctx.context = edit(ctx.context)
    return f"record #{k}"


def _non_canonical(ch: Chooser) -> int:
    """A 64-bit address whose bits 47-63 are not all equal."""
    return ch.integer(1 << 47, 2**64 - (1 << 47) - 1)


@mutation(
    "pv-ext-size",
    ["PV-EXT-001"],
    "an X86_PV_VCPU_EXTENDED context whose size field is under 32",
    tags=PVC,
    when=_has_ctx(X.X86_PV_VCPU_EXTENDED, lambda c: len(c) >= 8),
)
def pv_extended_size(ch: Chooser, g: Generated) -> str:
    size = ch.integer(0, 31)

    def edit(c: bytes) -> bytes:
        return c[:4] + struct.pack("<I", size) + c[8:]

    where_ = _edit_ctx(ch, g, X.X86_PV_VCPU_EXTENDED, edit, lambda c: len(c) >= 8)
    return f"{where_} size {size}"


@mutation(
    "pv-ext-entry-non-canonical",
    ["PV-EXT-002"],
    "an X86_PV_VCPU_EXTENDED syscall32 or sysenter entry point not canonical",
    tags=PVC,
    when=_has_ctx(X.X86_PV_VCPU_EXTENDED, lambda c: len(c) >= 24),
)
def pv_extended_entry_non_canonical(ch: Chooser, g: Generated) -> str:
    at = pick(ch, (8, 16))
    value = _non_canonical(ch)

    def edit(c: bytes) -> bytes:
        return c[:at] + struct.pack("<Q", value) + c[at + 8 :]

    where_ = _edit_ctx(ch, g, X.X86_PV_VCPU_EXTENDED, edit, lambda c: len(c) >= 24)
    return f"{where_} octet {at}: {value:#x}"


def _accum(c: bytes) -> int:
    return int.from_bytes(c[8:16], "little") if len(c) >= 16 else 0


def _full(c: bytes) -> bool:
    """An XSAVE context with xcr0_accum set and the FXSAVE area and header there."""
    return _accum(c) != 0 and len(c) >= 592


def _xsave(
    ch: Chooser,
    g: Generated,
    edit: Callable[[bytes], bytes],
    pred: Callable[[bytes], bool] = lambda c: len(c) >= 16,
) -> str:
    return _edit_ctx(ch, g, X.X86_PV_VCPU_XSAVE, edit, pred)


@mutation(
    "pv-xsave-xcr0-over-accum",
    ["PV-XSV-001"],
    "an X86_PV_VCPU_XSAVE xcr0 with a bit xcr0_accum lacks",
    tags=PVC,
    when=_has_ctx(X.X86_PV_VCPU_XSAVE, lambda c: len(c) >= 16),
)
def pv_xsave_xcr0_over_accum(ch: Chooser, g: Generated) -> str:
    # one more bit outside x87/SSE/YMM/AVX-512, whose pairings PV-XSV-003 judges
    bit = pick(ch, (3, 4, ch.integer(8, 62)))

    def edit(c: bytes) -> bytes:
        accum = _accum(c)
        if accum >> bit & 1:  # already in xcr0_accum: take it out of both
            accum &= ~(1 << bit)
        xcr0 = accum | 1 << bit
        return struct.pack("<QQ", xcr0, accum) + c[16:]

    return f"{_xsave(ch, g, edit)} bit {bit}"


@mutation(
    "pv-xsave-short",
    ["PV-XSV-002"],
    "an X86_PV_VCPU_XSAVE context with xcr0_accum set, shorter than 592 octets",
    tags=PVC,
    when=_has_ctx(X.X86_PV_VCPU_XSAVE, lambda c: len(c) >= 16),
)
def pv_xsave_short(ch: Chooser, g: Generated) -> str:
    n = ch.integer(16, 591)

    def edit(c: bytes) -> bytes:
        return (struct.pack("<QQ", 3, 3) + c[16:]).ljust(n, b"\0")[:n]

    return f"{_xsave(ch, g, edit)} x87|SSE in {n} octets"


@mutation(
    "pv-xsave-bad-xcr0",
    ["PV-XSV-003"],
    "an X86_PV_VCPU_XSAVE xcr0_accum Xen calls invalid, or xstate_bv beyond it",
    tags=PVC,
    when=_has_ctx(X.X86_PV_VCPU_XSAVE, _full),
)
def pv_xsave_bad_xcr0(ch: Chooser, g: Generated) -> str:
    which = ch.integer(0, 3)
    # x87 clear; YMM without SSE; some of AVX-512 (bits 5-7) but not all; xstate_bv
    accum = (2, 5, 7 | (ch.integer(1, 6) << 5))[which] if which < 3 else 0

    def edit(c: bytes) -> bytes:
        if which < 3:
            return struct.pack("<QQ", accum, accum) + c[16:]
        have = _accum(c)
        bv = int.from_bytes(c[528:536], "little") | 1 << pick(
            ch, [b for b in range(63) if not have >> b & 1]
        )
        return c[:528] + struct.pack("<Q", bv) + c[536:]

    what = f"xcr0_accum {accum:#x}" if which < 3 else "xstate_bv beyond xcr0_accum"
    return f"{_xsave(ch, g, edit, _full)} {what}"


def _std(c: bytes) -> bool:
    """xcr0_accum set and within x87, SSE and YMM (PV-XSV-004 and -005 apply)."""
    return _full(c) and not _accum(c) & ~7 and bool(_accum(c) & 1)


@mutation(
    "pv-xsave-long",
    ["PV-XSV-004"],
    "an X86_PV_VCPU_XSAVE context of x87, SSE and YMM longer than their XSAVE area",
    tags=PVC,
    when=_has_ctx(X.X86_PV_VCPU_XSAVE, _std),
)
def pv_xsave_long(ch: Chooser, g: Generated) -> str:
    extra = ch.integer(1, 512)
    return f"{_xsave(ch, g, lambda c: c + bytes(extra), _std)} {extra} octets more"


@mutation(
    "pv-xsave-ymm-short",
    ["PV-XSV-005"],
    "an X86_PV_VCPU_XSAVE context with YMM in xcr0_accum, shorter than 848 octets",
    tags=PVC,
    when=_has_ctx(X.X86_PV_VCPU_XSAVE, _std),
)
def pv_xsave_ymm_short(ch: Chooser, g: Generated) -> str:
    n = ch.integer(592, 847)

    def edit(c: bytes) -> bytes:
        xcr0 = int.from_bytes(c[:8], "little")
        return (struct.pack("<QQ", xcr0, 7) + c[16:]).ljust(n, b"\0")[:n]

    return f"{_xsave(ch, g, edit, _std)} x87|SSE|YMM in {n} octets"


@mutation(
    "pv-xsave-header-reserved",
    ["PV-XSV-006"],
    "an X86_PV_VCPU_XSAVE header with xcomp_bv or a reserved word not zero",
    tags=("reserved-bits", *PVC),
    when=_has_ctx(X.X86_PV_VCPU_XSAVE, _full),
)
def pv_xsave_header_reserved(ch: Chooser, g: Generated) -> str:
    word = ch.integer(1, 7)  # xcomp_bv, then the six reserved words
    value = nonzero(ch, 64)
    at = 16 + 512 + 8 * word

    def edit(c: bytes) -> bytes:
        return c[:at] + struct.pack("<Q", value) + c[at + 8 :]

    return f"{_xsave(ch, g, edit, _full)} octet {at}: {value:#x}"


def _msr_entries(c: bytes) -> list[tuple[int, int, int]]:
    return list(struct.iter_unpack("<IIQ", c[: len(c) // 16 * 16]))


def _pack_msrs(entries: list[tuple[int, int, int]]) -> bytes:
    return b"".join(struct.pack("<IIQ", *e) for e in entries)


_MSRS_OK = tuple(pv_context.PV_MSRS)


@mutation(
    "pv-msrs-reserved",
    ["PV-MSR-001"],
    "an X86_PV_VCPU_MSRS entry with its reserved field not zero",
    tags=("reserved-bits", *PVC),
    when=_has_ctx(X.X86_PV_VCPU_MSRS, lambda c: len(c) >= 16),
)
def pv_msrs_reserved(ch: Chooser, g: Generated) -> str:
    reserved = nonzero(ch, 32)

    def edit(c: bytes) -> bytes:
        e = _msr_entries(c)
        k = ch.integer(0, len(e) - 1)
        e[k] = (e[k][0], reserved, e[k][2])
        return _pack_msrs(e)

    where_ = _edit_ctx(ch, g, X.X86_PV_VCPU_MSRS, edit, lambda c: len(c) >= 16)
    return f"{where_} reserved {reserved:#x}"


@mutation(
    "pv-msrs-index",
    ["PV-MSR-002"],
    "an X86_PV_VCPU_MSRS entry for an MSR Xen does not restore for a PV vCPU",
    tags=PVC,
    when=_has_ctx(X.X86_PV_VCPU_MSRS, lambda c: len(c) >= 16),
)
def pv_msrs_index(ch: Chooser, g: Generated) -> str:
    index = other_than(ch, list(_MSRS_OK), 0, 0xFFFFFFFF)

    def edit(c: bytes) -> bytes:
        e = _msr_entries(c)
        k = ch.integer(0, len(e) - 1)
        e[k] = (index, 0, e[k][2])
        return _pack_msrs(e)

    return f"{_edit_ctx(ch, g, X.X86_PV_VCPU_MSRS, edit, lambda c: len(c) >= 16)} MSR {index:#x}"


def _msrs_count(ch: Chooser, g: Generated, lo: int, hi: int) -> str:
    n = ch.integer(lo, hi)
    entries = [(_MSRS_OK[k % len(_MSRS_OK)], 0, k) for k in range(n)]
    return f"{_edit_ctx(ch, g, X.X86_PV_VCPU_MSRS, lambda c: _pack_msrs(entries))} {n} entries"


@mutation(
    "pv-msrs-over-11",
    ["PV-MSR-003", "PV-MSR-004"],
    "an X86_PV_VCPU_MSRS context of more than 11 entries (so also more than 7)",
    tags=PVC,
    when=_has_ctx(X.X86_PV_VCPU_MSRS, lambda c: True),
)
def pv_msrs_over_11(ch: Chooser, g: Generated) -> str:
    return _msrs_count(ch, g, 12, 40)


@mutation(
    "pv-msrs-over-7",
    ["PV-MSR-004"],
    "an X86_PV_VCPU_MSRS context of 8 to 11 entries (Xen 4.20 takes 7 at most)",
    tags=PVC,
    when=_has_ctx(X.X86_PV_VCPU_MSRS, lambda c: True),
)
def pv_msrs_over_7(ch: Chooser, g: Generated) -> str:
    return _msrs_count(ch, g, 8, 11)


# --- what arch_set_info_guest refuses in a BASIC context (issue 14) ----------------------------
# xensave/pv_context.py (hypervisor_problems) holds the facts: canonical addresses, the
# range a 64-bit Xen keeps for itself (2^47 up to HYPERVISOR_VIRT_END, 0xffff880000000000),
# the vm_assist bits a PV domain may set.


def _xen_range(ch: Chooser) -> int:
    """An address in the range a 64-bit Xen keeps for itself, canonical (so only that
    range is wrong with it), page-aligned."""
    return 0xFFFF800000000000 + (ch.integer(0, (0x80000000000 >> 12) - 1) << 12)


_ADR_002 = ("rsp", "kernel_sp", "fs_base", "gs_base_kernel", "gs_base_user")


def _non_canonical_reg(ch: Chooser, g: Generated, c: pv_context.PvContext) -> dict[str, Any]:
    return {pick(ch, _ADR_002): _non_canonical(ch)}


address_non_canonical = _pv_field(
    "pv-address-non-canonical",
    "PV-ADR-002",
    "a 64-bit rsp, kernel_sp, fs_base or gs_base not canonical",
    _non_canonical_reg,
    width=8,
)
ldt_base_in_xen_range = _pv_field(
    "pv-ldt-base-xen-range",
    "PV-LDT-003",
    "a 64-bit ldt_base in the range Xen keeps for itself",
    lambda ch, g, c: {"ldt_base": _xen_range(ch)},
    width=8,
)
debugreg_in_xen_range = _pv_field(
    "pv-debugreg-xen-range",
    "PV-DBG-002",
    "a 64-bit breakpoint (debugreg[0-3]) in the range Xen keeps for itself",
    lambda ch, g, c: {"debugreg": {ch.integer(0, 3): _xen_range(ch) | ch.integer(0, 4095)}},
    width=8,
)


def _vm_assist_bad(ch: Chooser, g: Generated, c: pv_context.PvContext) -> dict[str, Any]:
    valid = pv_context.VM_ASSIST_VALID[c.width]
    bit = pick(ch, [b for b in range(8 * c.width) if not valid >> b & 1])
    return {"vm_assist": c.word("vm_assist") | 1 << bit}


vm_assist_unknown = _pv_field(
    "pv-vm-assist-unknown",
    "PV-VMA-001",
    "vCPU 0's vm_assist with a VMASST type a PV domain cannot enable",
    _vm_assist_bad,
    vcpu0=True,
)


@mutation(
    "xc-pvi-short",
    ["XC-PVI-001", "XC-PVI-008"],
    "X86_PV_INFO body of 2 to 7 octets (guest_width and pt_levels kept)",
    tags=("off-by-one", *PVI),
    when=is_pv,
)
def pv_info_short(ch: Chooser, g: Generated) -> str:
    i, pvi = _pvi(g)
    n = ch.integer(2, 7)
    xc_recs(g)[i].body = pvi.encode("<")[:n]
    return f"record #{i} body of {n} octets"


# --- pfns the restorer cannot place: above max_pfn, or not populated (issue 14) ----------------
# The generator's PV stream: one X86_PV_P2M_FRAMES (max_pfn is its end_pfn, the highest
# pfn the PAGE_DATA records send) before the PAGE_DATA records; one NOTAB page is the
# GDT frame, the start-info page and every frame of the P2M list.


def _sent(g: Generated) -> dict[int, tuple[int, int, int]]:
    """pfn -> (record index, entry number, type) of its last PAGE_DATA entry."""
    out: dict[int, tuple[int, int, int]] = {}
    recs = xc_recs(g)
    for i in pages(g):
        for k, e in enumerate(typed(recs[i], PageData).entries):
            out[e & PAGE_DATA_PFN_MASK] = (i, k, e >> 60)
    return out


def _above_max(ch: Chooser, g: Generated) -> int:
    return _p2m_end(g) + ch.integer(1, 1 << 20)


@mutation(
    "xc-p2m-frame-bad",
    ["XC-P2M-005"],
    "a P2M frame list entry above max_pfn, never sent, or last sent as a page table",
    tags=("p2m",),
    when=is_pv,
)
def p2m_frame_bad(ch: Chooser, g: Generated) -> str:
    _, p2m = _p2m(g)
    k = ch.integer(0, len(p2m.frames) - 1)
    sent = _sent(g)
    which = ch.integer(0, 2)
    holes = [p for p in range(_p2m_end(g) + 1) if p not in sent]
    tables = [p for p, (_, _, t) in sent.items() if t & 0x7 in (1, 2, 3, 4)]
    if which == 1 and holes:
        p2m.frames[k] = pick(ch, holes)
    elif which == 2 and tables:
        p2m.frames[k] = pick(ch, tables)
    else:
        p2m.frames[k] = _above_max(ch, g)
    return f"frame[{k}] = pfn {p2m.frames[k]:#x}"


@mutation(
    "pv-start-info-frame-bad",
    ["PV-SIF-002"],
    "the start-info page's XenStore or console frame above max_pfn or never sent",
    tags=PVC,
    when=lambda g: is_pv(g) and bool(_basic(g, vcpu0=True)),
)
def start_info_frame_bad(ch: Chooser, g: Generated) -> str:
    recs = xc_recs(g)
    w = _width(g)
    ctx = pv_context.decode(typed(recs[_basic(g, vcpu0=True)[0]], PvBasicContext).context, w)
    pfn = ctx.user_regs["rdx" if w == 8 else "edx"]
    sent = _sent(g)
    i, k, _ = sent[pfn]  # the generator sends it, with data (PV-SIF-001)
    pd = typed(recs[i], PageData)
    n = sum(1 for e in pd.entries[:k] if has_data(e >> 60))
    holes = [p for p in range(_p2m_end(g) + 1) if p not in sent]
    bad = pick(ch, holes) if holes and ch.integer(0, 1) else _above_max(ch, g)
    fmt, offsets = ("<Q", (56, 72)) if w == 8 else ("<I", (44, 52))
    at = pick(ch, offsets)  # store_mfn, console.domU.mfn
    page = bytearray(pd.pages[n])
    struct.pack_into(fmt, page, at, bad)
    pd.pages[n] = bytes(page)
    return f"start-info pfn {pfn:#x}: octet {at} = {bad:#x}"
