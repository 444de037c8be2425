"""What the CPU policy deserialisers refuse whatever the host (xensave.cpu_policy,
XC-POL-007..011).

Bodies are packed here from Xen's ``xen_cpuid_leaf_t`` ({u32 leaf, subleaf, a, b, c,
d}) and ``xen_msr_entry_t`` ({u32 idx, u32 flags, u64 val}), in either byte order; the
limits are written out from xen/include/xen/lib/x86/cpu-policy.h of Xen 4.19
(CPUID_GUEST_NR_BASIC 0xe, _CACHE 6, _FEAT 3, _TOPO 2, _XSTATE 63, _EXTD 0x22).
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xensave import cpu_policy

NONE = 0xFFFFFFFF


def leaves(items: list[tuple[int, int]], endian: str = "<") -> bytes:
    return b"".join(struct.pack(endian + "6I", leaf, sub, 1, 2, 3, 4) for leaf, sub in items)


def msrs(items: list[tuple[int, int]], endian: str = "<") -> bytes:
    return b"".join(struct.pack(endian + "IIQ", idx, 0, val) for idx, val in items)


def cpuid(items: list[tuple[int, int]], endian: str = "<") -> list[tuple[str, int]]:
    return [(p.rule, p.offset) for p in cpu_policy.check_cpuid(leaves(items, endian), endian)]


def msr(items: list[tuple[int, int]], endian: str = "<") -> list[tuple[str, int]]:
    return [(p.rule, p.offset) for p in cpu_policy.check_msr(msrs(items, endian), endian)]


def every_leaf() -> list[tuple[int, int]]:
    subs = {0x4: 6, 0x7: 3, 0xB: 2, 0xD: 63}
    out = [
        (leaf, s) for leaf in range(0xE) for s in (range(subs[leaf]) if leaf in subs else [NONE])
    ]
    out += [(0x40000000, NONE), (0x40000100, NONE)]
    return out + [(0x80000000 + i, NONE) for i in range(0x22)]


@pytest.mark.parametrize("endian", ["<", ">"])
def test_every_leaf_the_policy_holds_is_accepted(endian: str) -> None:
    assert len(every_leaf()) == 120 == cpu_policy.CPUID_MAX_LEAVES
    assert cpuid(every_leaf(), endian) == []


@pytest.mark.parametrize(
    ("leaf", "sub"),
    [
        (0xE, NONE),  # past the basic leaves
        (0x1, 0),  # a leaf without subleaves given one
        (0x0, 1),
        (0x4, 6),  # CPUID_GUEST_NR_CACHE
        (0x7, 3),  # CPUID_GUEST_NR_FEAT
        (0xB, 2),  # CPUID_GUEST_NR_TOPO
        (0xD, 63),  # CPUID_GUEST_NR_XSTATE
        (0x4, NONE),
        (0x40000000, 0),
        (0x40000001, NONE),  # only the two limits are kept
        (0x40000100, 1),
        (0x80000022, NONE),  # past CPUID_GUEST_NR_EXTD
        (0x80000001, 0),
        (0x7FFFFFFF, NONE),
        (0xC0000000, NONE),
    ],
)
@pytest.mark.parametrize("endian", ["<", ">"])
def test_leaves_outside_the_policy(leaf: int, sub: int, endian: str) -> None:
    assert cpuid([(0, NONE), (leaf, sub)], endian) == [("XC-POL-007", 24)]


def test_too_many_leaves() -> None:
    assert cpuid([(0, NONE)] * 120) == []  # repeats are not refused, only the count
    assert cpuid([(0, NONE)] * 121) == [("XC-POL-008", 0)]


@pytest.mark.parametrize("endian", ["<", ">"])
def test_msrs(endian: str) -> None:
    assert msr([(0xCE, 0xFFFFFFFF), (0x10A, 0xFFFFFFFF)], endian) == []
    # arch_caps.raw is a uint32_t up to Xen 4.17 (xen/include/xen/lib/x86/msr.h)
    assert msr([(0xCE, 0), (0x10A, 1 << 32)], endian) == [("XC-POL-012", 24)]
    assert msr([(0xCE, 0), (0x8B, 0)], endian) == [("XC-POL-009", 16)]
    assert msr([(0x10B, 0)], endian) == [("XC-POL-009", 0)]
    assert msr([(0xCE, 1 << 32)], endian) == [("XC-POL-011", 8)]
    assert msr([(0xCE, 0), (0x10A, 0), (0xCE, 0)], endian) == [("XC-POL-010", 0)]


def test_limits_by_release() -> None:
    assert cpu_policy.cpuid_limits((4, 14)).max_leaves == 114
    assert cpu_policy.cpuid_limits((4, 15)).max_leaves == 114
    assert cpu_policy.cpuid_limits((4, 16)).max_leaves == 119
    assert cpu_policy.cpuid_limits((4, 17)).max_leaves == 120
    assert cpu_policy.cpuid_limits((4, 22)) == cpu_policy.LIMITS


@given(st.binary(max_size=600), st.sampled_from(["<", ">"]))
def test_arbitrary_bodies_never_raise(data: bytes, endian: str) -> None:
    for p in [*cpu_policy.check_cpuid(data, endian), *cpu_policy.check_msr(data, endian)]:
        assert 0 <= p.offset < max(len(data), 1)


def _at(release: tuple[int, int], items: list[tuple[int, int]]) -> list[tuple[str, int]]:
    body = msrs(items)
    return [(p.rule, p.offset) for p in cpu_policy.check_msr(body, "<", release)]


def test_msr_policy_by_release() -> None:
    """x86_msr_copy_from_buffer at each tag (xen/lib/x86/msr.c): 4.14's switch has
    MSR_INTEL_PLATFORM_INFO alone and MSR_MAX_SERIALISED_ENTRIES is 1; 4.15 adds
    MSR_ARCH_CAPABILITIES (uint32_t raw) and 2 entries; 4.18 widens it to uint64_t."""
    both = [(0xCE, 0), (0x10A, 0)]
    assert _at((4, 14), both) == [("XC-POL-010", 0), ("XC-POL-009", 16)]
    assert _at((4, 14), [(0x10A, 0)]) == [("XC-POL-009", 0)]
    assert _at((4, 14), [(0xCE, 0x80000000)]) == []
    for rel in ((4, 15), (4, 17), (4, 18), (4, 22)):
        assert _at(rel, both) == [], rel
    wide = [(0xCE, 0), (0x10A, 1 << 32)]
    assert _at((4, 15), wide) == _at((4, 17), wide) == [("XC-POL-012", 24)]
    assert _at((4, 18), wide) == []
    assert _at((4, 18), [(0xCE, 1 << 32)]) == [("XC-POL-011", 8)]
    assert _at((4, 22), [(0x8B, 0)]) == [("XC-POL-009", 0)]


def test_cpuid_policy_by_release() -> None:
    """Leaf 7 subleaf 2 needs CPUID_GUEST_NR_FEAT 3 (4.17); leaf 0x80000021 needs the
    AMD extended range to reach 0x21 (4.16)."""

    def at(release: tuple[int, int], items: list[tuple[int, int]]) -> list[str]:
        return [p.rule for p in cpu_policy.check_cpuid(leaves(items), "<", release)]

    assert at((4, 16), [(0x7, 2)]) == ["XC-POL-007"]
    assert at((4, 17), [(0x7, 2)]) == []
    assert at((4, 15), [(0x80000021, NONE)]) == ["XC-POL-007"]
    assert at((4, 16), [(0x80000021, NONE)]) == []
    assert at((4, 16), every_leaf()) == ["XC-POL-008", "XC-POL-007"]
