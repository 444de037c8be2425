"""The virtual guests Xen's saver saves (``save.py``): what the in-memory hypervisor
serves it (``emu/guest.c`` reads the description this module writes).

The register state, HVM context, TSC and CPU policy are the samples' (``xensave.samples``:
an idle 64-bit Linux); the memory layout is ours, kept small so that the images stay a
few tens of KiB: a real HVM guest's special pages sit just below 0xff000, which would
make Xen's saver send a megabyte of XTAB pfn entries, so this guest's top of memory is
at pfn 0x3ff and its special pages just below it.

Each page holds one 64-bit word repeated (``WORD_BASE`` | pfn, or a new word when the
guest dirties it during a live save), so both our writer and the comparison know every
page's contents from this module alone.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from xensave import pv_context
from xensave.bodies import CpuidPolicy, MsrPolicy
from xensave.constants import HvmParam, PageType, TscMode
from xensave.samples import _policies, hvm_context_blob, pv_extended, pv_xsave

__all__ = ["GUESTS", "Guest", "describe"]

#: The high bits of every page's repeated word ("XENSAVE" then the pfn below).
WORD_BASE = 0x5845_4E53_0000_0000
#: The word of a page dirtied in log-dirty round ``r``.
DIRTY_BASE = 0x4449_5254_0000_0000

#: The HVM guest's top of memory and its special pages (libxl's order, moved down).
HVM_P2M_SIZE = 0x400
HVM_LOW_PAGES = tuple(range(6))
HVM_SPECIAL = {"store": 0x3FC, "console": 0x3FD, "bufioreq": 0x3FE, "ioreq": 0x3FF}


#: PV guests' machine frames are their pfns plus this (EMU_MFN_BASE of emu/emu.h; the
#: description says it and emu/guest.c refuses any other value).
MFN_BASE = 0x1000
#: A PV guest's pfns: one page-table page per level from pfn 0 (the top one pinned),
#: then these, in this order (``None``: a ballooned-out hole).
PV_PAGES = (
    "p2m-leaf",
    "p2m-mid",
    "p2m-top",
    "gdt",
    "start-info",
    "xenstore",
    "console",
    "data",
    "data",
    None,
    "broken",
)
PV_P2M_SIZE = 0x10
#: Offsets in the shared info page (xen/include/public/xen.h struct shared_info and
#: arch-x86/xen.h struct arch_shared_info, by guest width) of arch.max_pfn and
#: arch.pfn_to_mfn_frame_list_list; p2m_cr3 after them stays 0 (no linear p2m list).
#: Xen's saver reads them (map_p2m, map_p2m_tree): a wrong offset fails the save.
SHINFO_MAX_PFN = {8: 3088, 4: 2316}
#: Offsets of store_mfn and console.domU.mfn in start_info (xen.h), by width.
START_INFO_STORE = {8: (56, 64, 72, 80), 4: (44, 48, 52, 56)}


@dataclass(frozen=True)
class Pv:
    """What only a PV guest has."""

    width: int
    types: tuple[tuple[int, int], ...]  # (pfn, PageType) of every populated page
    ptes: tuple[tuple[int, int, int, int], ...]  # (table pfn, slot, target pfn, flags)
    pokes: tuple[tuple[int, int, bytes], ...]  # (pfn, offset, bytes) written into a page
    p2m: tuple[int, int, int]  # leaf, mid, top pfns
    shared_info: bytes
    contexts: tuple[bytes, ...]  # per vCPU, in pfns (as the stream carries them)
    extended: tuple[bytes, ...]
    xsave: tuple[bytes, ...]
    msrs: tuple[bytes, ...]
    start_info: int
    gdt: int
    top: int
    structured: frozenset[int]  # pfns whose contents are entries, not a repeated word


@dataclass(frozen=True)
class Guest:
    name: str
    kind: str  # "hvm" or "pv"
    summary: str
    p2m_size: int
    pages: tuple[int, ...]  # populated pfns; every other pfn below p2m_size is a hole
    params: tuple[tuple[int, int], ...]  # HVM params the domain has (index, value)
    tsc: tuple[int, int, int, int]  # mode, nsec, khz, incarnation
    hvm_context: bytes
    cpuid: tuple[tuple[int, int, int, int, int, int], ...]
    msrs: tuple[tuple[int, int, int], ...]
    vcpus: int = 2
    live_rounds: int = 0  # 0: non-live; else the log-dirty rounds (the last: stop-and-copy)
    checkpoints: int = 0  # Remus: that many checkpoints, each the next log-dirty round
    dirty: tuple[tuple[int, int], ...] = field(default=())  # (round, pfn) the guest writes
    pv: Pv | None = None

    @property
    def guest(self) -> str:
        """xensave's name for the guest type: hvm, x86_64-pv or x86_32-pv."""
        return "hvm" if self.pv is None else f"x86_{self.pv.width * 8}-pv"

    def word(self, pfn: int, round_: int = 0) -> int:
        """The word page ``pfn`` holds after log-dirty round ``round_``."""
        if self.pv is not None and pfn in self.pv.structured:
            return 0  # page tables, p2m frames, start info: their entries, zero elsewhere
        last = max((r for r, p in self.dirty if p == pfn and r <= round_), default=0)
        return WORD_BASE | pfn if last == 0 else DIRTY_BASE | last << 24 | pfn


def _policy() -> tuple[list[tuple[int, int, int, int, int, int]], list[tuple[int, int, int]]]:
    cpuid, msr = (r.body for r in _policies())
    assert isinstance(cpuid, CpuidPolicy) and isinstance(msr, MsrPolicy)
    return cpuid.leaves, msr.entries


def _hvm(
    name: str,
    summary: str,
    live_rounds: int,
    dirty: tuple[tuple[int, int], ...],
    checkpoints: int = 0,
) -> Guest:
    leaves, msrs = _policy()
    sp = HVM_SPECIAL
    params = (
        (HvmParam.STORE_PFN, sp["store"]),
        (HvmParam.IOREQ_PFN, sp["ioreq"]),
        (HvmParam.BUFIOREQ_PFN, sp["bufioreq"]),
        (HvmParam.VM86_TSS_SIZED, (0x80 << 32) | 0xFC00A000),
        (HvmParam.CONSOLE_PFN, sp["console"]),
        (HvmParam.ACPI_IOPORTS_LOCATION, 1),
        (HvmParam.IDENT_PT, 0xFC009000),
        (HvmParam.X87_FIP_WIDTH, 8),
        # parameters a domain has that Xen 4.17's saver does not send
        (HvmParam.CALLBACK_IRQ, 1 << 56 | 0x5C),
        (HvmParam.STORE_EVTCHN, 1),
        (HvmParam.TIMER_MODE, 1),
    )
    return Guest(
        name=name,
        kind="hvm",
        summary=summary,
        p2m_size=HVM_P2M_SIZE,
        pages=(*HVM_LOW_PAGES, sp["store"], sp["console"]),
        params=tuple((int(i), v) for i, v in params),
        tsc=(int(TscMode.DEFAULT), 987_654_321, 2_400_000, 0),
        hvm_context=hvm_context_blob(2),
        cpuid=tuple(leaves),
        msrs=tuple(msrs),
        live_rounds=live_rounds,
        dirty=dirty,
        checkpoints=checkpoints,
    )


def _pv(
    width: int,
    name: str,
    summary: str,
    live_rounds: int = 0,
    dirty: tuple[tuple[int, int], ...] = (),
) -> Guest:
    leaves, msrs = _policy()
    levels = 4 if width == 8 else 3
    top_type = PageType.L4TAB_PIN if levels == 4 else PageType.L3TAB_PIN
    tables = [top_type, *(PageType(lvl) for lvl in range(levels - 1, 0, -1))]
    role: dict[str, int] = {}
    types: list[tuple[int, int]] = [(pfn, int(t)) for pfn, t in enumerate(tables)]
    for i, what in enumerate(PV_PAGES):
        pfn = len(tables) + i
        if what is None:
            continue
        role.setdefault(what, pfn)
        types.append((pfn, int(PageType.BROKEN if what == "broken" else PageType.NOTAB)))
    populated = [pfn for pfn, _ in types]
    ptes: list[tuple[int, int, int, int]] = []
    for lvl in range(len(tables) - 1):  # each table's slot 0 names the next level
        # PAE's top level (the PDPT) only has the present bit
        ptes.append((lvl, 0, lvl + 1, 0x1 if levels == 3 and lvl == 0 else 0x67))
    l1 = len(tables) - 1
    for pfn, t in types:  # the L1 maps the guest's pages; its own tables and GDT read-only
        if t == PageType.BROKEN:
            continue
        ro = t != PageType.NOTAB or pfn == role["gdt"]
        ptes.append((l1, pfn, pfn, 0x65 if ro else 0x67))
    store, store_ev, console, console_ev = START_INFO_STORE[width]
    word = "<Q" if width == 8 else "<I"
    start = b"xen-3.0-x86_64" if width == 8 else b"xen-3.0-x86_32p"
    pokes = [
        (role["start-info"], 0, start),
        (role["start-info"], 32, struct.pack(word, PV_P2M_SIZE)),
        # the guest's suspend path leaves pfns in store_mfn and console.domU.mfn
        (role["start-info"], store, struct.pack(word, role["xenstore"])),
        (role["start-info"], store_ev, struct.pack("<I", 1)),
        (role["start-info"], console, struct.pack(word, role["console"])),
        (role["start-info"], console_ev, struct.pack("<I", 2)),
    ]
    shinfo = bytearray(4096)
    for v in range(2):
        shinfo[64 * v + 1] = 1  # evtchn_upcall_mask: events masked while suspended
    mp = SHINFO_MAX_PFN[width]
    struct.pack_into(word, shinfo, mp, PV_P2M_SIZE)
    struct.pack_into(word, shinfo, mp + width, role["p2m-top"] + MFN_BASE)
    contexts = tuple(
        pv_context.sample(
            width, v, top_pfn=0, gdt_pfn=role["gdt"], start_info_pfn=role["start-info"]
        )
        for v in range(2)
    )
    return Guest(
        name=name,
        kind="pv",
        summary=summary,
        p2m_size=PV_P2M_SIZE,
        pages=tuple(populated),
        params=(),
        tsc=(int(TscMode.DEFAULT), 123_456_789, 2_400_000, 0),
        hvm_context=b"",
        cpuid=tuple(leaves),
        msrs=tuple(msrs),
        live_rounds=live_rounds,
        dirty=dirty,
        pv=Pv(
            width=width,
            types=tuple(types),
            ptes=tuple(ptes),
            pokes=tuple(pokes),
            p2m=(role["p2m-leaf"], role["p2m-mid"], role["p2m-top"]),
            shared_info=bytes(shinfo),
            contexts=contexts,
            extended=tuple(pv_extended(width, v) for v in range(2)),
            xsave=tuple(pv_xsave(v) for v in range(2)),
            msrs=tuple(struct.pack("<IIQ", 0xC0000103, 0, v) for v in range(2)),
            start_info=role["start-info"],
            gdt=role["gdt"],
            top=0,
            structured=frozenset(
                [
                    *range(len(tables)),
                    role["p2m-leaf"],
                    role["p2m-mid"],
                    role["p2m-top"],
                    role["start-info"],
                ]
            ),
        ),
    )


def _machine_context(g: Guest, vcpu: int) -> bytes:
    """vCPU ``vcpu``'s context as Xen holds it: frames in the stream's pfn form turned
    back into machine frames (cr3, the GDT frames, vCPU 0's start-info in edx/rdx),
    which Xen's saver turns into pfns again (write_one_vcpu_basic)."""
    assert g.pv is not None
    w = g.pv.width
    changes: dict[str, object] = {
        "ctrlreg": {3: pv_context.pfn_to_cr3(g.pv.top + MFN_BASE, w)},
        "gdt_frames": {0: g.pv.gdt + MFN_BASE},
    }
    if vcpu == 0:
        changes["rdx" if w == 8 else "edx"] = g.pv.start_info + MFN_BASE
    return pv_context.replace(g.pv.contexts[vcpu], w, **changes)


GUESTS: dict[str, Guest] = {
    g.name: g
    for g in (
        _hvm(
            "hvm",
            "x86 HVM guest, 2 vCPUs idle in Linux, pfns 0-5 and the xenstore and console "
            "pages populated out of 0x400, the rest ballooned out; non-live save",
            0,
            (),
        ),
        _hvm(
            "hvm-live",
            "the same HVM guest saved live: a full pass, one log-dirty round re-sending "
            "pfns 1 and 3, then stop-and-copy re-sending pfn 3 and the xenstore page",
            2,
            ((1, 1), (1, 3), (2, 3), (2, HVM_SPECIAL["store"])),
        ),
        _hvm(
            "hvm-remus",
            "the same HVM guest in a checkpointed (Remus) stream of three checkpoints: a "
            "live pass sending everything (pfn 1 rewritten before stop-and-copy), then "
            "pfn 3 and the xenstore page, then pfn 1 again, each checkpoint with the TSC, "
            "HVM context and parameters; no END",
            1,
            ((1, 1), (2, 3), (2, HVM_SPECIAL["store"]), (3, 1)),
            checkpoints=3,
        ),
        _pv(
            8,
            "x86_64-pv",
            "64-bit PV guest, 2 vCPUs: four levels of page tables (L4 pinned) mapping its "
            "pages, a p2m tree (leaf, mid, top), GDT, start info, xenstore and console "
            "pages, data, a ballooned-out hole and a broken page; non-live save",
        ),
        _pv(
            4,
            "x86_32-pv",
            "32-bit PAE PV guest, 2 vCPUs: three levels of page tables (L3 pinned) and "
            "the same other pages as the 64-bit one; non-live save",
        ),
        _pv(
            8,
            "x86_64-pv-live",
            "the 64-bit PV guest saved live: a full pass, one log-dirty round re-sending "
            "a data page, then stop-and-copy re-sending it and the xenstore page (and "
            "the ballooned-out pfns Xen deferred)",
            2,
            ((1, 11), (2, 11), (2, 9)),
        ),
        _pv(
            4,
            "x86_32-pv-live",
            "the 32-bit PAE PV guest saved live: a full pass, one log-dirty round "
            "re-sending both data pages, then stop-and-copy re-sending one of them again "
            "and the console page (and the ballooned-out pfns Xen deferred)",
            2,
            ((1, 10), (1, 11), (2, 11), (2, 9)),
        ),
    )
}


def describe(g: Guest) -> str:
    """The description emu/guest.c reads (emu_guest_load): one item a line, hex."""
    out = [
        f"# virtual guest {g.name}: {g.summary}",
        f"p2m_size {g.p2m_size:x}",
        f"vcpus {g.vcpus:x}",
    ]
    out += [f"page {pfn:x} {g.word(pfn):x}" for pfn in g.pages]
    out += [f"param {i:x} {v:x}" for i, v in g.params]
    out.append("tsc " + " ".join(f"{x:x}" for x in g.tsc))
    out.append(f"hvm_context {g.hvm_context.hex()}")
    out += ["cpuid " + " ".join(f"{x:x}" for x in leaf) for leaf in g.cpuid]
    out += ["msr " + " ".join(f"{x:x}" for x in m) for m in g.msrs]
    out += [f"dirty {r:x} {pfn:x} {g.word(pfn, r):x}" for r, pfn in g.dirty]
    if g.pv is not None:
        pv = g.pv
        out += [f"width {pv.width:x}", f"mfn_base {MFN_BASE:x}"]
        out += [f"type {pfn:x} {t << 28:x}" for pfn, t in pv.types if t]
        out += [f"pte {a:x} {b:x} {c:x} {d:x}" for a, b, c, d in pv.ptes]
        out += [f"poke {pfn:x} {off:x} {data.hex()}" for pfn, off, data in pv.pokes]
        out.append("p2m " + " ".join(f"{x:x}" for x in pv.p2m))
        out.append(f"shared_info {pv.shared_info.hex()}")
        for v in range(g.vcpus):
            out.append(f"vcpu_context {v:x} {_machine_context(g, v).hex()}")
            out.append(f"vcpu_extended {v:x} {pv.extended[v].hex()}")
            out.append(f"vcpu_xsave {v:x} {pv.xsave[v].hex()}")
            out.append(f"vcpu_msrs {v:x} {pv.msrs[v].hex()}")
    return "\n".join(out) + "\n"
