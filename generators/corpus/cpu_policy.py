"""What the hypervisor refuses in X86_CPUID_POLICY and X86_MSR_POLICY whatever the host
(``x86_cpuid_copy_from_buffer`` and ``x86_msr_copy_from_buffer``, XC-POL-007 to -011).

Policy records are version 3 streams' (Xen 4.14 and later), PV and HVM alike; each case
changes the policy of an otherwise valid stream. Leaves are packed here as Xen's
``xen_cpuid_leaf_t`` {leaf, subleaf, a, b, c, d} and ``xen_msr_entry_t`` {idx, flags, val}.
"""

from __future__ import annotations

from collections.abc import Callable

from xensave.bodies import CpuidPolicy, MsrPolicy, PageData
from xensave.constants import PageType
from xensave.model import LibxcStream, Record

from . import bases as B
from .bases import X
from .framework import Restore, recipe

NONE = 0xFFFFFFFF  # XEN_CPUID_NO_SUBLEAF
Leaf = tuple[int, int, int, int, int, int]
Msr = tuple[int, int, int]
#: A policy as a guest of Xen 4.19 on an Intel host might have it (a few leaves).
LEAVES: list[Leaf] = [
    (0x0, NONE, 0xD, 0x756E6547, 0x6C65746E, 0x49656E69),
    (0x1, NONE, 0x000806EC, 0x00100800, 0xFEDA3203, 0x178BFBFF),
    (0x7, 0x0, 0x0, 0x009C6FBB, 0x0, 0x0),
    (0xD, 0x0, 0x7, 0x0, 0x340, 0x0),
    (0x80000000, NONE, 0x80000008, 0, 0, 0),
]
MSRS: list[Msr] = [(0xCE, 0, 0x80000000), (0x10A, 0, 0)]
_CPUID_FROM_BUFFER = "xen/lib/x86/cpuid.c:x86_cpuid_copy_from_buffer"
_MSR_FROM_BUFFER = "xen/lib/x86/msr.c:x86_msr_copy_from_buffer"


def _with(
    guest: str, leaves: list[Leaf] | None = None, msrs: list[Msr] | None = None
) -> LibxcStream:
    s = B.xc(guest, 3)
    if guest == "hvm":  # keep the case small: the XTAB pfn, no contents
        at = B.index(s.records, X.PAGE_DATA)
        s.records = [r for r in s.records if r.type != X.PAGE_DATA]
        s.records.insert(at, Record(X.PAGE_DATA, PageData.of([(0xFEFFB, PageType.XTAB)])))
    if leaves is not None:
        B.get(s.records, X.X86_CPUID_POLICY).body = CpuidPolicy(leaves)
    if msrs is not None:
        B.get(s.records, X.X86_MSR_POLICY).body = MsrPolicy(msrs)
    return s


_Build = Callable[[str], LibxcStream]


def _both(slug: str, description: str, rule: str) -> Callable[[_Build], _Build]:
    """Register ``fn(guest)`` for an HVM stream (PV ones restore the policy alike), breaking
    ``rule``."""

    def deco(fn: _Build) -> _Build:
        for guest in ("hvm",):
            recipe(slug, description, tags=("cpu-policy",), args=(guest,), breaks=(rule,))(fn)
        return fn

    return deco


@_both(
    "cpuid-policy-leaf-e",
    "X86_CPUID_POLICY has basic leaf 0xe (the policy holds 0-0xd)",
    "XC-POL-007",
)
def cpuid_leaf_e(guest: str) -> LibxcStream:
    return _with(guest, [*LEAVES, (0xE, NONE, 0, 0, 0, 0)])


@_both(
    "cpuid-policy-subleaf-on-leaf-1",
    "X86_CPUID_POLICY gives leaf 1 subleaf 0 (it has none)",
    "XC-POL-007",
)
def cpuid_subleaf_on_leaf_1(guest: str) -> LibxcStream:
    return _with(guest, [(1, 0, *leaf[2:]) if leaf[0] == 1 else leaf for leaf in LEAVES])


@_both(
    "cpuid-policy-leaf-7-subleaf-3",
    "X86_CPUID_POLICY has leaf 7 subleaf 3 (the policy holds 0-2)",
    "XC-POL-007",
)
def cpuid_leaf_7_subleaf_3(guest: str) -> LibxcStream:
    return _with(guest, [*LEAVES, (0x7, 3, 0, 0, 0, 0)])


@_both(
    "cpuid-policy-121-leaves",
    "X86_CPUID_POLICY has 121 leaves, one more than CPUID_MAX_SERIALISED_LEAVES",
    "XC-POL-008",
)
def cpuid_121_leaves(guest: str) -> LibxcStream:
    return _with(guest, [*LEAVES, *([LEAVES[0]] * (121 - len(LEAVES)))])


@_both(
    "msr-policy-unknown-index", "X86_MSR_POLICY has MSR 0x8b, neither 0xce nor 0x10a", "XC-POL-009"
)
def msr_unknown_index(guest: str) -> LibxcStream:
    return _with(guest, msrs=[MSRS[0], (0x8B, 0, 0)])


@_both(
    "msr-policy-three-entries",
    "X86_MSR_POLICY has three entries (0xce twice), one more than MSR_MAX_SERIALISED_ENTRIES",
    "XC-POL-010",
)
def msr_three_entries(guest: str) -> LibxcStream:
    return _with(guest, msrs=[*MSRS, MSRS[0]])


@_both(
    "msr-policy-platform-info-64-bit",
    "X86_MSR_POLICY gives MSR 0xce a value above 32 bits",
    "XC-POL-011",
)
def msr_platform_info_64(guest: str) -> LibxcStream:
    return _with(guest, msrs=[(0xCE, 0, 1 << 32), MSRS[1]])


@recipe(
    "msr-policy-arch-caps-64-bit",
    "X86_MSR_POLICY gives MSR 0x10a a value above 32 bits: Xen 4.18 and later restore it, "
    "4.15-4.17 refuse it (-EOVERFLOW)",
    tags=("cpu-policy",),
    args=("hvm",),
    permits=("XC-POL-012",),
)
def msr_arch_caps_64(guest: str) -> LibxcStream:
    return _with(guest, msrs=[MSRS[0], (0x10A, 0, 1 << 32)])


@recipe(
    "cpu-policy-every-leaf",
    "X86_CPUID_POLICY with every leaf and subleaf the policy holds (120, the most allowed) "
    "and X86_MSR_POLICY with both MSRs: Xen 4.17 and later restore it (4.14-4.16 have no "
    "leaf 7 subleaf 2, 4.14 and 4.15 no leaves past 0x8000001c, 4.14 no MSR 0x10a)",
    tags=("cpu-policy", "boundary"),
    exercises=("XC-POL-007", "XC-POL-008", "XC-POL-009", "XC-POL-010", "XC-POL-011"),
    # CPUID_GUEST_NR_FEAT grew to 3 in 4.17 (xen/include/xen/lib/x86/cpuid.h at each tag)
    restore=Restore("4.17-", (_CPUID_FROM_BUFFER, _MSR_FROM_BUFFER)),
)
def every_leaf() -> LibxcStream:
    leaves: list[Leaf] = []
    subleaves = {0x4: 6, 0x7: 3, 0xB: 2, 0xD: 63}
    for leaf in range(0xE):
        for sub in range(subleaves[leaf]) if leaf in subleaves else (NONE,):
            leaves.append((leaf, sub, 0, 0, 0, 0))
    leaves += [(0x40000000, NONE, 0, 0, 0, 0), (0x40000100, NONE, 0, 0, 0, 0)]
    leaves += [(0x80000000 + i, NONE, 0, 0, 0, 0) for i in range(0x22)]
    assert len(leaves) == 120
    return _with("hvm", leaves, [(0xCE, 0, 0xFFFFFFFF), (0x10A, 0, 0)])
