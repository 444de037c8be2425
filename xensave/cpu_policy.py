"""What Xen refuses in the X86_CPUID_POLICY and X86_MSR_POLICY records, whatever the host.

libxc's restorer keeps both bodies and, once the static data is complete
(``x86_static_data_complete``, tools/libs/guest/xg_sr_common_x86.c), passes them to
``xc_set_domain_cpu_policy``; the hypervisor (XEN_DOMCTL_set_cpu_policy) deserialises
them with ``x86_cpuid_copy_from_buffer`` and ``x86_msr_copy_from_buffer``
(xen/lib/x86/cpuid.c and msr.c up to 4.21; xen/arch/x86/lib/cpu-policy/ from 4.22).
Those refuse too many entries, a leaf or subleaf outside the policy's arrays, an MSR
index outside the two they know, and a value wider than its field: facts of the
stream and the release. Whether the policy then fits the host's is the host's
question and is not looked at here. Rules: ``spec/libxc-stream.md`` (XC-POL-007 to
-011).

:func:`check_cpuid` and :func:`check_msr` take a record body as it is in the stream
(its byte order given) and return problems with offsets relative to the body.
"""

from __future__ import annotations

import struct

from ._slots import Struct

__all__ = [
    "CPUID_MAX_LEAVES",
    "MSR_MAX_ENTRIES",
    "Problem",
    "check_cpuid",
    "check_msr",
    "cpuid_limits",
]

#: XEN_CPUID_NO_SUBLEAF: the subleaf of a leaf that has none.
NO_SUBLEAF = 0xFFFFFFFF
MSR_INTEL_PLATFORM_INFO = 0xCE
MSR_ARCH_CAPABILITIES = 0x10A


class Limits(Struct, frozen=True):
    """The sizes of struct cpu_policy's CPUID arrays in one Xen release."""

    basic: int  # CPUID_GUEST_NR_BASIC: leaves 0 .. basic-1
    cache: int  # CPUID_GUEST_NR_CACHE: subleaves of leaf 4
    feat: int  # CPUID_GUEST_NR_FEAT: subleaves of leaf 7
    topo: int  # CPUID_GUEST_NR_TOPO: subleaves of leaf 0xb
    xstate: int  # CPUID_GUEST_NR_XSTATE: subleaves of leaf 0xd
    extd: int  # CPUID_GUEST_NR_EXTD: leaves 0x80000000 .. +extd-1

    @property
    def max_leaves(self) -> int:
        """CPUID_MAX_SERIALISED_LEAVES: every array, one leaf for each subleaf-less
        leaf that has subleaves counted once, and the two hypervisor limits."""
        return (
            (self.basic + self.feat - 1 + self.cache - 1 + self.topo - 1 + self.xstate - 1)
            + self.extd
            + 2
        )


#: By first release: FEAT grew from 2 to 3 in 4.17, EXTD from 0x1d to 0x22 in 4.16.
_LIMITS = (
    ((4, 17), Limits(0xE, 6, 3, 2, 63, 0x22)),
    ((4, 16), Limits(0xE, 6, 2, 2, 63, 0x22)),
    ((4, 14), Limits(0xE, 6, 2, 2, 63, 0x1D)),
)
#: Current Xen's limits: what the rules allow.
LIMITS = _LIMITS[0][1]
CPUID_MAX_LEAVES = LIMITS.max_leaves
#: MSR_MAX_SERIALISED_ENTRIES: 1 in 4.14 (PLATFORM_INFO), 2 from 4.15.
MSR_MAX_ENTRIES = 2


def cpuid_limits(release: tuple[int, int]) -> Limits:
    """The CPUID array sizes of Xen ``release`` (4.14, the first with policy records,
    or later)."""
    return next((lim for since, lim in _LIMITS if release >= since), _LIMITS[-1][1])


class Problem(Struct, frozen=True):
    """A broken rule; ``offset`` is relative to the start of the record's body."""

    rule: str
    offset: int
    message: str


def _leaf_problem(leaf: int, subleaf: int, lim: Limits) -> str | None:
    """Why x86_cpuid_copy_from_buffer answers -ERANGE for this leaf (or None)."""
    with_subleaves = {0x4: lim.cache, 0x7: lim.feat, 0xB: lim.topo, 0xD: lim.xstate}
    if leaf < lim.basic:
        if leaf in with_subleaves:
            if subleaf >= with_subleaves[leaf]:
                return f"subleaf {subleaf:#x} of leaf {leaf:#x} is not below {with_subleaves[leaf]}"
            return None
        return None if subleaf == NO_SUBLEAF else f"leaf {leaf:#x} has subleaf {subleaf:#x}"
    if leaf in (0x40000000, 0x40000100) or 0x80000000 <= leaf < 0x80000000 + lim.extd:
        return None if subleaf == NO_SUBLEAF else f"leaf {leaf:#x} has subleaf {subleaf:#x}"
    return f"leaf {leaf:#x} is outside the policy"


def check_cpuid(body: bytes, endian: str = "<") -> list[Problem]:
    """The problems of an X86_CPUID_POLICY body: {leaf, subleaf, a, b, c, d} u32 each."""
    out: list[Problem] = []
    n = len(body) // 24
    if n > CPUID_MAX_LEAVES:
        out.append(
            Problem(
                "XC-POL-008",
                0,
                f"{n} leaves, more than CPUID_MAX_SERIALISED_LEAVES ({CPUID_MAX_LEAVES})",
            )
        )
    for k, (leaf, subleaf) in enumerate(
        struct.unpack_from(endian + "II", body, 24 * j) for j in range(n)
    ):
        why = _leaf_problem(leaf, subleaf, LIMITS)
        if why is not None:
            out.append(Problem("XC-POL-007", 24 * k, f"leaf[{k}]: {why}"))
    return out


def check_msr(body: bytes, endian: str = "<") -> list[Problem]:
    """The problems of an X86_MSR_POLICY body: {idx u32, flags u32, val u64} each.
    The flags are XC-POL-006's, checked by the caller."""
    out: list[Problem] = []
    n = len(body) // 16
    if n > MSR_MAX_ENTRIES:
        out.append(
            Problem(
                "XC-POL-010",
                0,
                f"{n} MSRs, more than MSR_MAX_SERIALISED_ENTRIES ({MSR_MAX_ENTRIES})",
            )
        )
    for k, (idx, _flags, val) in enumerate(struct.iter_unpack(endian + "IIQ", body[: 16 * n])):
        if idx not in (MSR_INTEL_PLATFORM_INFO, MSR_ARCH_CAPABILITIES):
            out.append(
                Problem(
                    "XC-POL-009",
                    16 * k,
                    f"msr[{k}]: index {idx:#x} is neither PLATFORM_INFO (0xce) nor "
                    "ARCH_CAPABILITIES (0x10a)",
                )
            )
        elif idx == MSR_INTEL_PLATFORM_INFO and val >> 32:
            out.append(
                Problem(
                    "XC-POL-011",
                    16 * k + 8,
                    f"msr[{k}]: PLATFORM_INFO value {val:#x} does not fit its 32-bit field",
                )
            )
        elif idx == MSR_ARCH_CAPABILITIES and val >> 32:
            out.append(
                Problem(
                    "XC-POL-012",
                    16 * k + 8,
                    f"msr[{k}]: ARCH_CAPABILITIES value {val:#x} is wider than 32 bits, "
                    "which Xen 4.14-4.17 refuse (64-bit field from 4.18)",
                )
            )
    return out
