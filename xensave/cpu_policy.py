"""What Xen refuses in the X86_CPUID_POLICY and X86_MSR_POLICY records, whatever the host.

libxc's restorer keeps both bodies and, once the static data is complete
(``x86_static_data_complete``, tools/libs/guest/xg_sr_common_x86.c), passes them to
``xc_set_domain_cpu_policy``; the hypervisor (XEN_DOMCTL_set_cpu_policy) deserialises
them with ``x86_cpuid_copy_from_buffer`` and ``x86_msr_copy_from_buffer``
(xen/lib/x86/cpuid.c and msr.c up to 4.21; xen/arch/x86/lib/cpu-policy/ from 4.22).
Those refuse too many entries, a leaf or subleaf outside the policy's arrays, an MSR
index outside the ones they know, and a value wider than its field: facts of the
stream and the release (:func:`cpuid_limits`, :func:`msr_facts`). Whether the policy
then fits the host's is the host's question and is not looked at here. Rules:
``spec/libxc-stream.md`` (XC-POL-007 to -012).

:func:`check_cpuid` and :func:`check_msr` take a record body as it is in the stream
(its byte order given) and return problems with offsets relative to the body: with no
release, what the rules say (current Xen's limits); with one, what that release refuses
(``verify --target-xen``).
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
    "msr_facts",
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


class MsrFacts(Struct, frozen=True):
    """What one Xen release's x86_msr_copy_from_buffer takes."""

    max_entries: int  # MSR_MAX_SERIALISED_ENTRIES (-E2BIG above it)
    widths: tuple[tuple[int, int], ...]  # (index, width in bits of its policy field)

    def width(self, index: int) -> int | None:
        """The field width of ``index``, None for an index the release refuses (-ERANGE)."""
        return next((w for i, w in self.widths if i == index), None)


#: By first release, read at each release tag (xen/lib/x86/msr.c, the switch in
#: x86_msr_copy_from_buffer; xen/include/xen/lib/x86/msr.h, then cpu-policy.h from 4.18):
#: 4.14 knows PLATFORM_INFO alone (one entry); ARCH_CAPABILITIES arrived in 4.15 with a
#: uint32_t raw field, widened to uint64_t in 4.18. 4.22 moved the function to
#: xen/arch/x86/lib/cpu-policy/copy-from-buffer.c, unchanged.
_MSR_FACTS = (
    ((4, 18), MsrFacts(2, ((MSR_INTEL_PLATFORM_INFO, 32), (MSR_ARCH_CAPABILITIES, 64)))),
    ((4, 15), MsrFacts(2, ((MSR_INTEL_PLATFORM_INFO, 32), (MSR_ARCH_CAPABILITIES, 32)))),
    ((4, 14), MsrFacts(1, ((MSR_INTEL_PLATFORM_INFO, 32),))),
)
#: MSR_MAX_SERIALISED_ENTRIES of current Xen: what XC-POL-010 allows.
MSR_MAX_ENTRIES = _MSR_FACTS[0][1].max_entries
#: Every index some release takes: what XC-POL-009 allows.
MSR_INDICES = frozenset(i for _since, f in _MSR_FACTS for i, _w in f.widths)


def cpuid_limits(release: tuple[int, int]) -> Limits:
    """The CPUID array sizes of Xen ``release`` (4.14, the first with policy records,
    or later)."""
    return next((lim for since, lim in _LIMITS if release >= since), _LIMITS[-1][1])


def msr_facts(release: tuple[int, int]) -> MsrFacts:
    """What Xen ``release`` (4.14 or later) takes in an MSR policy."""
    return next((f for since, f in _MSR_FACTS if release >= since), _MSR_FACTS[-1][1])


def first_release_taking(index: int) -> tuple[int, int] | None:
    """The first release whose x86_msr_copy_from_buffer takes MSR ``index``."""
    known = [since for since, f in _MSR_FACTS if f.width(index) is not None]
    return min(known) if known else None


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


def check_cpuid(
    body: bytes, endian: str = "<", release: tuple[int, int] | None = None
) -> list[Problem]:
    """The problems of an X86_CPUID_POLICY body: {leaf, subleaf, a, b, c, d} u32 each,
    against current Xen's arrays or, given a ``release``, that release's."""
    out: list[Problem] = []
    lim = LIMITS if release is None else cpuid_limits(release)
    xen = "" if release is None else f"Xen {release[0]}.{release[1]}'s "
    n = len(body) // 24
    if n > lim.max_leaves:
        out.append(
            Problem(
                "XC-POL-008",
                0,
                f"{n} leaves, more than {xen}CPUID_MAX_SERIALISED_LEAVES ({lim.max_leaves})",
            )
        )
    for k, (leaf, subleaf) in enumerate(
        struct.unpack_from(endian + "II", body, 24 * j) for j in range(n)
    ):
        why = _leaf_problem(leaf, subleaf, lim)
        if why is not None:
            out.append(Problem("XC-POL-007", 24 * k, f"leaf[{k}]: {xen}{why}"))
    return out


def check_msr(
    body: bytes, endian: str = "<", release: tuple[int, int] | None = None
) -> list[Problem]:
    """The problems of an X86_MSR_POLICY body: {idx u32, flags u32, val u64} each.
    The flags are XC-POL-006's, checked by the caller. With no ``release``, the rules
    (an index some release takes; XC-POL-012 asks for 32 bits of 0x10a); with one, what
    that release's x86_msr_copy_from_buffer refuses."""
    out: list[Problem] = []
    facts = msr_facts(release) if release is not None else None
    xen = "" if release is None else f"Xen {release[0]}.{release[1]}'s "
    limit = MSR_MAX_ENTRIES if facts is None else facts.max_entries
    n = len(body) // 16
    if n > limit:
        out.append(
            Problem(
                "XC-POL-010",
                0,
                f"{n} MSRs, more than {xen}MSR_MAX_SERIALISED_ENTRIES ({limit})",
            )
        )
    for k, (idx, _flags, val) in enumerate(struct.iter_unpack(endian + "IIQ", body[: 16 * n])):
        width = (32 if idx in MSR_INDICES else None) if facts is None else facts.width(idx)
        if width is None:
            since = first_release_taking(idx)
            out.append(
                Problem(
                    "XC-POL-009",
                    16 * k,
                    f"msr[{k}]: index {idx:#x} is neither PLATFORM_INFO (0xce) nor "
                    "ARCH_CAPABILITIES (0x10a)"
                    if since is None
                    else f"msr[{k}]: {xen}x86_msr_copy_from_buffer does not know index "
                    f"{idx:#x} (Xen {since[0]}.{since[1]} and later do)",
                )
            )
        elif val >> width and idx == MSR_INTEL_PLATFORM_INFO:
            out.append(
                Problem(
                    "XC-POL-011",
                    16 * k + 8,
                    f"msr[{k}]: PLATFORM_INFO value {val:#x} does not fit its 32-bit field",
                )
            )
        elif val >> width:
            out.append(
                Problem(
                    "XC-POL-012",
                    16 * k + 8,
                    f"msr[{k}]: ARCH_CAPABILITIES value {val:#x} is wider than 32 bits, "
                    + (
                        "which Xen 4.15-4.17 refuse (64-bit field from 4.18)"
                        if facts is None
                        else f"the width of {xen}field"
                    ),
                )
            )
    return out
