"""The ``PV-`` rules of ``spec/pv-context.md`` on each PV ``vcpu_guest_context``
(``ksy/xen_pv_vcpu_context.ksy``; decoded by :mod:`xensave.pv_context`): the values
the hypervisor refuses on their own, and the frames a context names, judged against
the page types the stream has sent once the stream ends (the restorer applies the
contexts then)."""

from __future__ import annotations

from .. import pv_context as layout
from .. import pv_records
from ..constants import PageType, XcRecType
from ..reader import RecordEvent
from .emit import CheckState, FrameRef, XcState

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from collections.abc import Callable

CHECKS: dict[str, str] = {
    "PV-GDT-001": "PV context: gdt_ents <= 7168",
    "PV-GDT-002": "PV context: GDT frames in use are sent NOTAB pfns <= p2m_end_pfn",
    "PV-GDT-003": "PV context: unused gdt_frames zero (warning)",
    "PV-CR3-001": "PV context: CR3 pfn sent as a top-level page table",
    "PV-CR3-002": "PV context: x86_64 CR1 (bit 0 set) pfn sent as an L4 table",
    "PV-CR3-003": "PV context: x86_64 in user mode has a CR1",
    "PV-SIF-001": "PV context: vCPU 0 start-info pfn sent NOTAB",
    "PV-LDT-001": "PV context: ldt_ents <= 8192",
    "PV-LDT-002": "PV context: ldt_base page aligned",
    "PV-ADR-001": "PV context: x86_64 addresses canonical",
    "PV-DBG-001": "PV context: x86_64 DR6/DR7 fit in 32 bits",
    "PV-FLG-001": "PV context: flags only VGCF_* bits (warning)",
    "PV-FLG-002": "PV context: x86_32 eflags.VM clear",
    "PV-SIF-002": "PV context: start-info page's store_mfn, console mfn <= max_pfn, populated",
    "PV-ADR-002": "PV context: x86_64 rsp, kernel_sp, segment bases, LDT canonical",
    "PV-LDT-003": "PV context: x86_64 ldt_base outside Xen's range",
    "PV-DBG-002": "PV context: x86_64 DR0-DR3 outside Xen's range",
    "PV-VMA-001": "PV context: vCPU 0 vm_assist only valid VMASST bits",
    "PV-EXT-001": "PV EXTENDED: size >= 32",
    "PV-EXT-002": "PV EXTENDED: syscall32/sysenter entry points canonical",
    "PV-XSV-001": "PV XSAVE: xcr0 within xcr0_accum",
    "PV-XSV-002": "PV XSAVE: >= 592 octets when xcr0_accum is set",
    "PV-XSV-003": "PV XSAVE: valid xcr0/xcr0_accum, xstate_bv within xcr0_accum",
    "PV-XSV-004": "PV XSAVE: not longer than xcr0_accum's area (x87/SSE/YMM)",
    "PV-XSV-005": "PV XSAVE: not shorter than xcr0_accum's area (x87/SSE/YMM)",
    "PV-XSV-006": "PV XSAVE: header xcomp_bv and reserved words zero",
    "PV-MSR-001": "PV MSRS: reserved zero",
    "PV-MSR-002": "PV MSRS: index one Xen restores",
    "PV-MSR-003": "PV MSRS: at most 11 entries",
    "PV-MSR-004": "PV MSRS: at most 7 entries",
}

_NOTAB = (PageType.NOTAB,)


def context(c: CheckState, xc: XcState, ev: RecordEvent, vcpu: int) -> None:
    """The PV-* rules on the context of one X86_PV_VCPU_BASIC record."""
    assert xc.width is not None
    refs = judge(c, ev.body[8:], ev.body_offset + 8, xc.width, ev.endian, vcpu, "libxc", "", ev)
    xc.pv_frames[vcpu] = (ev, refs)  # a later context of the vCPU replaces it


def judge(
    c: CheckState,
    data: bytes,
    base: int,
    width: int,
    endian: str,
    vcpu: int,
    layer: str,
    where: str,
    ev: RecordEvent | None,
) -> list[FrameRef]:
    """The PV-* rules a context breaks on its own, for a context at ``base`` in
    ``layer``'s bytes (``where`` names its place when no record does); returns the
    frames it names, for :func:`judge_frames` once the stream has sent its pages."""
    ctx = layout.decode(data, width, endian)

    def at(name: str) -> int:
        return base + layout.offset_of(width, name)

    def emit(rid: str, name: str, message: str) -> None:
        c.emit(rid, at(name), layer, f"{where}vCPU {vcpu}: {message}", ev)

    ents = ctx.gdt_ents
    if ents > layout.GDT_ENTRIES_MAX:
        emit("PV-GDT-001", "gdt_ents", f"gdt_ents is {ents}, over {layout.GDT_ENTRIES_MAX}")
    # Over the limit, the restorer stops there: the frames are not looked at.
    used = ctx.gdt_frames_used if ents <= layout.GDT_ENTRIES_MAX else 0
    # The frames are judged when the stream ends: the restorer applies the contexts
    # then, against every page the stream has sent (see frames_at_end).
    refs: list[FrameRef] = [
        ("PV-GDT-002", at(f"gdt_frames[{i}]"), f"GDT frame {i} (pfn {pfn:#x})", pfn, _NOTAB)
        for i, pfn in enumerate(ctx.gdt_frames[:used])
    ]
    unused = [i for i, pfn in enumerate(ctx.gdt_frames) if i >= used and pfn]
    if unused and ents <= layout.GDT_ENTRIES_MAX:
        i = unused[0]
        emit(
            "PV-GDT-003",
            f"gdt_frames[{i}]",
            f"gdt_frames[{i}] is {ctx.gdt_frames[i]:#x} but the GDT "
            f"({ents} entries) uses {used} frame{'' if used == 1 else 's'}",
        )
    # pt_levels goes with the width (XC-PVI-004 reports a stream where it does not)
    levels = 4 if width == 8 else 3
    tables = (PageType(levels), PageType(levels | 0x8))
    refs.append(
        (
            "PV-CR3-001",
            at("ctrlreg[3]"),
            f"ctrlreg[3] {ctx.ctrlreg[3]:#x} names pfn {ctx.cr3_pfn:#x}, which",
            ctx.cr3_pfn,
            tables,
        )
    )
    if width == 8:
        cr1 = ctx.ctrlreg[1]
        if ctx.cr1_pfn is not None:
            refs.append(
                (
                    "PV-CR3-002",
                    at("ctrlreg[1]"),
                    f"ctrlreg[1] {cr1:#x} names pfn {ctx.cr1_pfn:#x}, which",
                    ctx.cr1_pfn,
                    (PageType.L4TAB, PageType.L4TAB_PIN),
                )
            )
        if not cr1 and not ctx.flags & layout.VGCF_IN_KERNEL:
            emit("PV-CR3-003", "flags", "in user mode (in_kernel clear) with ctrlreg[1] zero")
    if vcpu == 0:
        reg = "user_regs.edx" if width == 4 else "user_regs.rdx"
        pfn = ctx.start_info_pfn
        refs.append(("PV-SIF-001", at(reg), f"start-info pfn {pfn:#x} ({reg[10:]})", pfn, _NOTAB))
    ldt_ents, ldt_base = ctx.word("ldt_ents"), ctx.word("ldt_base")
    if ldt_ents > 8192:
        emit("PV-LDT-001", "ldt_ents", f"ldt_ents is {ldt_ents}, over 8192")
    if ldt_base % 4096:
        emit("PV-LDT-002", "ldt_base", f"ldt_base {ldt_base:#x} is not page aligned")
    for p in layout.hypervisor_problems(ctx, vcpu):
        c.emit(p.rule, base + p.offset, layer, f"{where}vCPU {vcpu}: {p.message}", ev)
    if width == 8:
        for n in (6, 7):
            value = ctx.words_list("debugreg")[n]
            if value >> 32:
                emit("PV-DBG-001", f"debugreg[{n}]", f"debugreg[{n}] {value:#x} is over 32 bits")
    unknown = ctx.flags & ~sum(1 << b for b in layout.vgcf_bits(width))
    if unknown:
        emit("PV-FLG-001", "flags", f"flags {ctx.flags:#x} has undefined bits {unknown:#x}")
    if width == 4 and ctx.user_regs["eflags"] & (1 << 17):
        emit(
            "PV-FLG-002",
            "user_regs.eflags",
            f"eflags {ctx.user_regs['eflags']:#x} has VM (bit 17) set",
        )
    return refs


#: The per-vCPU records besides BASIC and what the hypervisor refuses in them.
_BLOB_CHECKS: dict[int, Callable[[bytes, str], list[layout.Problem]]] = {
    XcRecType.X86_PV_VCPU_EXTENDED: layout.extended_problems,
    XcRecType.X86_PV_VCPU_XSAVE: layout.xsave_problems,
    XcRecType.X86_PV_VCPU_MSRS: layout.msrs_problems,
}


def blob(c: CheckState, ev: RecordEvent, vcpu: int) -> None:
    """PV-EXT/XSV/MSR on an EXTENDED, XSAVE or MSRS context: opaque to the stream's
    byte order, as the hypervisor hands them out (little-endian)."""
    check = _BLOB_CHECKS.get(ev.type)
    for p in check(ev.body[8:], "<") if check else ():
        c.emit(p.rule, ev.body_offset + 8 + p.offset, "libxc", f"vCPU {vcpu}: {p.message}", ev)


def tail_blobs(
    c: CheckState,
    vcpu: int,
    extended: bytes | None,
    xsave: bytes | None,
    at: int,
    where: str,
) -> None:
    """PV-EXT, PV-XSV on a legacy PV tail's extended context and XSAVE state (at ``at``,
    one after the other; the XSAVE state after its 16-octet header): they go to the same
    domctls as the EXTENDED and XSAVE records' (4.0-4.5's xc_domain_restore, XSAVE from
    4.1; from 4.6 convert-legacy-stream writes them as those records)."""
    blobs = []
    if extended is not None:
        blobs.append((layout.extended_problems(extended), at))
        at += len(extended)
    if xsave is not None and len(xsave) >= 16:
        blobs.append((layout.xsave_problems(xsave[16:]), at + 16))
    for problems, base in blobs:
        for p in problems:
            c.emit(p.rule, base + p.offset, "legacy", f"{where}vCPU {vcpu}: {p.message}")


def two_level(
    frames: dict[int, tuple[RecordEvent | None, list[FrameRef]]],
) -> dict[int, tuple[RecordEvent | None, list[FrameRef]]]:
    """The frames of a 2-level (non-PAE) guest: its CR3 names its L2 table, the level
    its page types show, which is PV-CR3-001's pt_levels for it."""
    l2 = (PageType.L2TAB, PageType.L2TAB_PIN)
    return {
        vcpu: (ev, [(r[0], r[1], r[2], r[3], l2) if r[0] == "PV-CR3-001" else r for r in refs])
        for vcpu, (ev, refs) in frames.items()
    }


def frames_at_end(c: CheckState, xc: XcState) -> None:
    """PV-GDT-002, PV-CR3-001/-002, PV-SIF-001 at a libxc END: the frames the last
    context of each vCPU names, against the page types the whole stream has sent
    (the restorer applies the contexts when the stream completes)."""
    names = ("p2m_end_pfn", "PAGE_DATA")
    judge_frames(c, xc.pv_frames, xc.pfn_types, "libxc", "", names)
    if xc.pv is not None:
        # PV-SIF-002: what process_start_info reads in a start-info page that is fine
        for vcpu, (ev, refs) in sorted(xc.pv_frames.items()):
            for rid, offset, _what, pfn, types in refs:
                if rid != "PV-SIF-001" or pfn_problem(xc.pfn_types, pfn, types, names):
                    continue
                if bad := pv_records.start_info_problem(xc.pv, pfn, xc.pfn_types):
                    c.emit("PV-SIF-002", offset, "libxc", f"vCPU {vcpu}: {bad}", ev)
    xc.pv_frames.clear()


def start_info_at_end(
    c: CheckState,
    frames: dict[int, tuple[RecordEvent | None, list[FrameRef]]],
    table: bytearray,
    names: tuple[str, str],
    where: str,
    problem: Callable[[int], str | None],
) -> None:
    """PV-SIF-002 when a legacy image ends: ``problem(pfn)`` says what is wrong in the
    start-info page at ``pfn`` as last sent, for the start-info pfn of each context in
    ``frames`` that PV-SIF-001 lets by (the restorer reads the page only then)."""
    for vcpu, (ev, refs) in sorted(frames.items()):
        for rid, offset, _what, pfn, types in refs:
            if rid != "PV-SIF-001" or pfn_problem(table, pfn, types, names):
                continue
            if bad := problem(pfn):
                c.emit("PV-SIF-002", offset, "legacy", f"{where}vCPU {vcpu}: {bad}", ev)


#: The rules :func:`unmapped_frames` reports at an entry of a legacy PV tail's unmapped
#: pfn list: the frames that list frees (check.legacy.UNMAPPED_LIST_RULES adds its own).
UNMAPPED_FRAME_RULES = frozenset(
    {"PV-SIF-001", "PV-GDT-002", "PV-CR3-001", "PV-CR3-002", "PV-SIF-002"}
)


def unmapped_frames(
    c: CheckState,
    frames: dict[int, tuple[RecordEvent | None, list[FrameRef]]],
    table: bytearray | None,
    names: tuple[str, str],
    where: str,
    unmapped: list[int],
    at: int,
    word: int,
    start_info: Callable[[int], tuple[int, int] | None] | None = None,
) -> None:
    """A legacy PV image's frames, and its start-info page's store_mfn and
    console.domU.mfn, that the page batches let by but that its last tail lists as
    unmapped (``unmapped``, the list's first word at ``at``, ``word`` octets each): each
    breaks its own rule, reported at the list's entry. ``start_info(pfn)``: the two
    words of the start-info page at ``pfn`` as last sent, None when unknown or already
    judged. Xen 4.0-4.5's xc_domain_restore frees such a page and clears its p2m entry
    before it applies the contexts: mapping the start-info page or setting the context
    then fails, and the XenStore and console frames it hands libxl are invalid (which
    it tolerates). From 4.6 convert-legacy-stream drops the list (read_pv_tail) and
    the restore goes on; ``verify --target-xen`` tells these apart by the offset."""
    if not unmapped:
        return
    words_of: dict[int, tuple[int, int] | None] = {}
    wanted: set[int] = set()
    for _ev, refs in frames.values():
        for rid, _offset, _what, pfn, types in refs:
            if pfn_problem(table, pfn, types, names):
                continue
            wanted.add(pfn)
            if rid == "PV-SIF-001" and start_info is not None:
                words_of[pfn] = start_info(pfn)
                wanted.update(words_of[pfn] or ())
    entry: dict[int, int] = {}  # the first entry of each pfn wanted (a few at most)
    for k, pfn in enumerate(unmapped):
        if pfn in wanted and pfn not in entry:
            entry[pfn] = k
    if not entry:
        return
    lost = (
        "Xen 4.0-4.5 free those before they apply the contexts (from 4.6 "
        "convert-legacy-stream drops the list)"
    )
    for vcpu, (ev, refs) in sorted(frames.items()):
        gdt_done = False
        for rid, _offset, what, pfn, types in refs:
            if pfn_problem(table, pfn, types, names):
                continue  # its rule has said so already
            at_k = entry.get(pfn)
            if at_k is not None and not (rid == "PV-GDT-002" and gdt_done):
                gdt_done = gdt_done or rid == "PV-GDT-002"
                c.emit(
                    rid,
                    at + word * at_k,
                    "legacy",
                    f"{where}vCPU {vcpu}: {what} is entry {at_k} of the tail's unmapped pfns: "
                    + lost,
                    ev,
                )
            words = words_of.get(pfn) if rid == "PV-SIF-001" else None
            if words is None:
                continue
            found = [
                (entry[value], f"{name} {value:#x} is entry {entry[value]}")
                for name, value in zip(("store_mfn", "console.domU.mfn"), words, strict=True)
                if value in entry
            ]
            if found:
                c.emit(
                    "PV-SIF-002",
                    at + word * min(found)[0],
                    "legacy",
                    f"{where}vCPU {vcpu}: in the start-info page (pfn {pfn:#x}) "
                    + " and ".join(text for _k, text in found)
                    + " of the tail's unmapped pfns: Xen 4.0-4.5 free those and hand the "
                    "toolstack an invalid frame (from 4.6 convert-legacy-stream drops the list)",
                    ev,
                )


def judge_frames(
    c: CheckState,
    frames: dict[int, tuple[RecordEvent | None, list[FrameRef]]],
    table: bytearray | None,
    layer: str,
    where: str,
    names: tuple[str, str],
) -> None:
    """The frames each vCPU's context names (``frames``, by vCPU) against ``table``,
    the page type last sent for each pfn (0xff: never sent; None: no telling).
    ``names``: what the last pfn the table covers is called, and what sends pages.
    One GDT-002 per context."""
    for vcpu, (ev, refs) in sorted(frames.items()):
        found = [(r, p) for r in refs if (p := pfn_problem(table, r[3], r[4], names))]
        gdt = sum(1 for r, _p in found if r[0] == "PV-GDT-002")
        gdt_done = False
        for (rid, offset, what, _pfn, _types), problem in found:
            if rid == "PV-GDT-002":
                if gdt_done:
                    continue
                gdt_done = True
                problem += f" (and {gdt - 1} more)" if gdt > 1 else ""
            c.emit(rid, offset, layer, f"{where}vCPU {vcpu}: {what} {problem}", ev)


def pfn_problem(
    table: bytearray | None, pfn: int, types: tuple[PageType, ...], names: tuple[str, str]
) -> str | None:
    """What is wrong with ``pfn`` as a frame of one of ``types`` (None: nothing, or
    no table to judge by)."""
    if table is None:
        return None
    if pfn >= len(table):
        return f"is above {names[0]} {len(table) - 1:#x}"
    got = table[pfn]
    if got == 0xFF:
        return f"was never sent in {names[1]}"
    if got not in types:
        want = " or ".join(t.name for t in types)
        return f"was last sent as {page_type_name(got)}, not {want}"
    return None


def page_type_name(value: int) -> str:
    """A page type's name, or its number when it has none."""
    try:
        return PageType(value).name
    except ValueError:
        return f"type {value:#x}"
