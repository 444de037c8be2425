"""Our writer's stream of a virtual guest, to hold against what Xen's saver wrote.

``stream(guest)`` builds the libxc stream xensave's writer makes from the same
description the emulation serves Xen (``guests.py``): the same pages (page tables
in pfn form, as a saver sends them), the same vCPU state, TSC, HVM context and CPU
policy, and the HVM parameters ``xensave.samples`` says Xen 4.17 sends. Our model is
plain, not Xen's loop: one PAGE_DATA record of the populated pfns and the holes,
the policy as the guest has it. ``xensave diff`` then shows what differs in content;
``python -m conformance.xen.ours [GUEST]`` prints that diff for each guest.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from guests import GUESTS, MFN_BASE, Guest

from xensave import samples
from xensave.bodies import (
    CpuidPolicy,
    HvmParams,
    MsrPolicy,
    P2mFrames,
    PageData,
    PvBasicContext,
    PvInfo,
    TscInfo,
    VcpuContext,
    pfn_entry,
)
from xensave.constants import DomainType, PageType, XcRecType
from xensave.model import DomainHeader, ImageHeader, LibxcStream, Record
from xensave.writer import to_bytes

__all__ = ["diff", "page", "stream"]

PAGE = 4096
XEN = (4, 17)


def page(g: Guest, pfn: int, round_: int = 0) -> bytes:
    """The contents a saver sends for ``pfn`` (after log-dirty round ``round_``)."""
    pv = g.pv
    if pv is None or pfn not in pv.structured:
        return struct.pack("<Q", g.word(pfn, round_)) * (PAGE // 8)
    out = bytearray(PAGE)
    for table, slot, target, flags in pv.ptes:
        if table == pfn:  # the saver rewrites machine frames to pfns
            struct.pack_into("<Q", out, 8 * slot, target << 12 | flags)
    leaf, mid, top = pv.p2m
    w = pv.width
    if pfn == leaf:  # the p2m leaf is sent as the guest holds it: machine frames
        out[:] = b"\xff" * PAGE
        for p in g.pages:
            out[p * w : (p + 1) * w] = (p + MFN_BASE).to_bytes(w, "little")
    elif pfn == mid:
        out[:w] = (leaf + MFN_BASE).to_bytes(w, "little")
    elif pfn == top:
        out[:w] = (mid + MFN_BASE).to_bytes(w, "little")
    for target, off, data in pv.pokes:
        if target == pfn:
            out[off : off + len(data)] = data
    return bytes(out)


def _page_data(g: Guest, round_: int) -> PageData:
    """Every pfn, each page as it is after log-dirty round ``round_``."""
    types = dict(g.pv.types) if g.pv is not None else {}
    entries, pages = [], []
    for pfn in range(g.p2m_size):
        if pfn not in g.pages:
            entries.append(pfn_entry(pfn, PageType.XTAB))
            continue
        t = types.get(pfn, PageType.NOTAB)
        entries.append(pfn_entry(pfn, t))
        if t != PageType.BROKEN:
            pages.append(page(g, pfn, round_))
    return PageData(entries, pages)


def _dirty_pages(g: Guest, round_: int) -> PageData:
    """The pages the guest dirtied in log-dirty round ``round_``, as they are then."""
    pfns = sorted({p for r, p in g.dirty if r == round_})
    return PageData(
        [pfn_entry(p, PageType.NOTAB) for p in pfns], [page(g, p, round_) for p in pfns]
    )


def stream(g: Guest) -> LibxcStream:
    """Our writer's model of ``g``'s stream."""
    policy = [
        Record(XcRecType.X86_CPUID_POLICY, CpuidPolicy(list(g.cpuid))),
        Record(XcRecType.X86_MSR_POLICY, MsrPolicy(list(g.msrs))),
        Record(XcRecType.STATIC_DATA_END),
    ]
    mode, nsec, khz, inc = g.tsc
    tsc = Record(XcRecType.X86_TSC_INFO, TscInfo(mode, khz, nsec, inc))
    # a checkpointed stream's first checkpoint ends with the live save's last round
    last = g.live_rounds if g.checkpoints else max((r for r, _ in g.dirty), default=0)
    pages = Record(XcRecType.PAGE_DATA, _page_data(g, last))
    recs: list[Record]
    if g.pv is None:
        first = max(r for r in samples.HVM_PARAMS_SAVED if r <= XEN)
        have = dict(g.params)
        params = [(int(i), have[i]) for i in samples.HVM_PARAMS_SAVED[first] if have.get(i, 0)]
        state = [
            tsc,
            Record(XcRecType.HVM_CONTEXT, g.hvm_context),
            Record(XcRecType.HVM_PARAMS, HvmParams(params)),
        ]
        recs = [*policy, pages, *state]
        # Remus: each later checkpoint sends the next round's pages and the state again,
        # and the stream stops after the last CHECKPOINT
        for n in range(2, g.checkpoints + 1):
            recs += [Record(XcRecType.CHECKPOINT), Record(XcRecType.PAGE_DATA, _dirty_pages(g, n))]
            recs += state
        if g.checkpoints:
            recs.append(Record(XcRecType.CHECKPOINT))
        dom = DomainType.X86_HVM
    else:
        pv = g.pv
        recs = [Record(XcRecType.X86_PV_INFO, PvInfo(pv.width, 4 if pv.width == 8 else 3))]
        recs += policy
        recs.append(Record(XcRecType.X86_PV_P2M_FRAMES, P2mFrames(0, g.p2m_size - 1, [pv.p2m[0]])))
        recs += [pages, tsc, Record(XcRecType.SHARED_INFO, pv.shared_info)]
        for v in range(g.vcpus):
            recs.append(Record(XcRecType.X86_PV_VCPU_BASIC, PvBasicContext(v, pv.contexts[v])))
            recs.append(Record(XcRecType.X86_PV_VCPU_EXTENDED, VcpuContext(v, pv.extended[v])))
            recs.append(Record(XcRecType.X86_PV_VCPU_XSAVE, VcpuContext(v, pv.xsave[v])))
            recs.append(Record(XcRecType.X86_PV_VCPU_MSRS, VcpuContext(v, pv.msrs[v])))
        dom = DomainType.X86_PV
    if not g.checkpoints:
        recs.append(Record(XcRecType.END))
    return LibxcStream(ImageHeader(version=3), DomainHeader(dom, 12, *XEN), recs)


def diff(g: Guest, xen: bytes) -> tuple[int, str]:
    """``xensave diff`` of our stream (first) and Xen's (second): exit status, output."""
    with tempfile.TemporaryDirectory() as tmp:
        ours_path, xen_path = Path(tmp) / "ours", Path(tmp) / "xen"
        ours_path.write_bytes(to_bytes(stream(g)))
        xen_path.write_bytes(xen)
        done = subprocess.run(
            [sys.executable, "-m", "xensave", "diff", str(ours_path), str(xen_path)],
            capture_output=True,
            text=True,
            check=False,
        )
    return done.returncode, done.stdout + done.stderr


def main(argv: list[str]) -> int:
    inputs = Path(__file__).resolve().parents[2] / "generators" / "corpus" / "xen_saved"
    for name in argv or list(GUESTS):
        rc, out = diff(GUESTS[name], (inputs / f"{name}.bin").read_bytes())
        print(f"== {name}: xensave diff ours xen -> exit {rc}\n{out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
