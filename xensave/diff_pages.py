"""The page index of ``xensave diff``: a digest per pfn, kept in blocks of BLOCK pfns
so that memory follows the number of pfns sent, never page contents.

A block is a presence mask then BLOCK 16-byte digests (258 bytes for 16 pfns), held
in a dict keyed by pfn // BLOCK: with the dict's and bytearray's own overhead, 28
bytes a pfn measured for a dense guest (docs/performance.md), up to about 400 bytes
for pfns one per block.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

#: pfns per block of the page index.
BLOCK = 16
_MASK_BYTES = BLOCK // 8
#: Bytes of each page's BLAKE2b digest.
DIGEST = 16
_BLOCK_BYTES = _MASK_BYTES + BLOCK * DIGEST


class PageIndex:
    """pfn -> 16-byte digest, in blocks of BLOCK pfns: {pfn // BLOCK: bytearray of a
    presence mask then BLOCK digests}. Setting a pfn again replaces its digest."""

    def __init__(self) -> None:
        self.blocks: dict[int, bytearray] = {}
        self.count = 0

    def set(self, pfn: int, digest: bytes) -> None:
        hi, lo = divmod(pfn, BLOCK)
        blk = self.blocks.get(hi)
        if blk is None:
            blk = self.blocks[hi] = bytearray(_BLOCK_BYTES)
        bit = 1 << (lo & 7)
        if not blk[lo >> 3] & bit:
            blk[lo >> 3] |= bit
            self.count += 1
        at = _MASK_BYTES + lo * DIGEST
        blk[at : at + DIGEST] = digest

    def get(self, pfn: int) -> bytes | None:
        hi, lo = divmod(pfn, BLOCK)
        blk = self.blocks.get(hi)
        if blk is None or not blk[lo >> 3] & (1 << (lo & 7)):
            return None
        at = _MASK_BYTES + lo * DIGEST
        return bytes(blk[at : at + DIGEST])


class Runs:
    """[start, end) runs of pfns, appended in increasing order and merged."""

    def __init__(self) -> None:
        self.runs = array("Q")
        self.count = 0

    def add(self, pfn: int) -> None:
        self.count += 1
        if self.runs and self.runs[-1] == pfn:
            self.runs[-1] = pfn + 1
        else:
            self.runs.extend((pfn, pfn + 1))

    def pairs(self, limit: int | None = None) -> list[tuple[int, int]]:
        r = self.runs
        n = len(r) // 2 if limit is None else min(limit, len(r) // 2)
        return [(r[2 * i], r[2 * i + 1]) for i in range(n)]

    @property
    def nruns(self) -> int:
        return len(self.runs) // 2


@dataclass
class PageDiff:
    a_pfns: int = 0
    b_pfns: int = 0
    same: int = 0
    differ: Runs = field(default_factory=Runs)
    only_a: Runs = field(default_factory=Runs)
    only_b: Runs = field(default_factory=Runs)

    @property
    def empty(self) -> bool:
        return not (self.differ.count or self.only_a.count or self.only_b.count)


def compare_pages(a: PageIndex, b: PageIndex) -> PageDiff:
    """Which pfns differ, and which only one image sent (blocks equal as a whole are
    skipped at C speed)."""
    out = PageDiff(a.count, b.count)
    for hi in sorted(a.blocks.keys() | b.blocks.keys()):
        ba, bb = a.blocks.get(hi), b.blocks.get(hi)
        if ba is not None and ba == bb:
            out.same += sum(bin(x).count("1") for x in ba[:_MASK_BYTES])
            continue
        for lo in range(BLOCK):
            bit, byte = 1 << (lo & 7), lo >> 3
            in_a = ba is not None and ba[byte] & bit
            in_b = bb is not None and bb[byte] & bit
            pfn = hi * BLOCK + lo
            if in_a and in_b:
                at = _MASK_BYTES + lo * DIGEST
                assert ba is not None and bb is not None
                if ba[at : at + DIGEST] == bb[at : at + DIGEST]:
                    out.same += 1
                else:
                    out.differ.add(pfn)
            elif in_a:
                out.only_a.add(pfn)
            elif in_b:
                out.only_b.add(pfn)
    return out


def pages_json(p: PageDiff) -> dict[str, Any]:
    return {
        "a_pfns": p.a_pfns,
        "b_pfns": p.b_pfns,
        "same": p.same,
        "differ": p.differ.count,
        "only_in_a": p.only_a.count,
        "only_in_b": p.only_b.count,
        "differ_ranges": [[s, e - 1] for s, e in p.differ.pairs()],
        "only_in_a_ranges": [[s, e - 1] for s, e in p.only_a.pairs()],
        "only_in_b_ranges": [[s, e - 1] for s, e in p.only_b.pairs()],
    }
