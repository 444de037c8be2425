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

from dataclasses import dataclass, field

from xensave.bodies import CpuidPolicy, MsrPolicy
from xensave.constants import HvmParam, TscMode
from xensave.samples import _policies, hvm_context_blob

__all__ = ["GUESTS", "Guest", "describe"]

#: The high bits of every page's repeated word ("XENSAVE" then the pfn below).
WORD_BASE = 0x5845_4E53_0000_0000
#: The word of a page dirtied in log-dirty round ``r``.
DIRTY_BASE = 0x4449_5254_0000_0000

#: The HVM guest's top of memory and its special pages (libxl's order, moved down).
HVM_P2M_SIZE = 0x400
HVM_LOW_PAGES = tuple(range(6))
HVM_SPECIAL = {"store": 0x3FC, "console": 0x3FD, "bufioreq": 0x3FE, "ioreq": 0x3FF}


@dataclass(frozen=True)
class Guest:
    name: str
    kind: str  # "hvm" (PV guests: not yet)
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
    dirty: tuple[tuple[int, int], ...] = field(default=())  # (round, pfn) the guest writes

    def word(self, pfn: int, round_: int = 0) -> int:
        """The word page ``pfn`` holds after log-dirty round ``round_``."""
        last = max((r for r, p in self.dirty if p == pfn and r <= round_), default=0)
        return WORD_BASE | pfn if last == 0 else DIRTY_BASE | last << 24 | pfn


def _policy() -> tuple[list[tuple[int, int, int, int, int, int]], list[tuple[int, int, int]]]:
    cpuid, msr = (r.body for r in _policies())
    assert isinstance(cpuid, CpuidPolicy) and isinstance(msr, MsrPolicy)
    return cpuid.leaves, msr.entries


def _hvm(name: str, summary: str, live_rounds: int, dirty: tuple[tuple[int, int], ...]) -> Guest:
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
    )


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
    return "\n".join(out) + "\n"
