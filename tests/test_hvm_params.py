"""What hvm_set_param refuses in HVM_PARAMS entries (xensave.hvm_params, XC-HVMP-006..014).

Bodies are packed here from libxc's ``struct xc_sr_rec_hvm_params`` (u32 count, u32
reserved, then {u64 index, u64 value} per entry), in either byte order; the values are
Xen's HVM_PARAM_* numbers (xen/include/public/hvm/params.h), written out, not taken
from the module under test.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xensave import hvm_params
from xensave.rules import load_rules

RULES = load_rules()


def body(entries: list[tuple[int, int]], endian: str = "<") -> bytes:
    out = struct.pack(endian + "II", len(entries), 0)
    return out + b"".join(struct.pack(endian + "QQ", i, v) for i, v in entries)


#: What Xen 4.19's saver writes for a small guest (none of it refused).
SAVED = [
    (1, 0xFEFFC),  # STORE_PFN
    (5, 0xFEFFF),  # IOREQ_PFN
    (6, 0xFEFFE),  # BUFIOREQ_PFN
    (37, (0x80 << 32) | 0xFC00A000),  # VM86_TSS_SIZED
    (17, 0xFEFFD),  # CONSOLE_PFN
    (19, 1),  # ACPI_IOPORTS_LOCATION
    (9, 0x1),  # VIRIDIAN: base_freq
    (12, 0xFC009000),  # IDENT_PT
    (32, 0xFEFF0),  # IOREQ_SERVER_PFN
    (33, 8),  # NR_IOREQ_SERVER_PAGES
    (36, 8),  # X87_FIP_WIDTH
    (38, 1),  # MCA_CAP
]


def problems(entries: list[tuple[int, int]], endian: str = "<") -> list[tuple[str, int]]:
    return [(p.rule, p.offset) for p in hvm_params.check(body(entries, endian), endian)]


@pytest.mark.parametrize("endian", ["<", ">"])
def test_what_xen_saves_is_accepted(endian: str) -> None:
    assert problems(SAVED, endian) == []


# (index, value, rule, where: 0 the entry's index, 8 its value)
REFUSED = [
    (39, 0, "XC-HVMP-006", 0),  # HVM_NR_PARAMS
    (2**64 - 1, 0, "XC-HVMP-006", 0),
    (20, 1, "XC-HVMP-007", 0),  # MEMORY_EVENT_CR0
    (21, 1, "XC-HVMP-007", 0),
    (22, 1, "XC-HVMP-007", 0),
    (23, 1, "XC-HVMP-007", 0),
    (25, 1, "XC-HVMP-007", 0),  # MEMORY_EVENT_SINGLE_STEP
    (26, 1, "XC-HVMP-007", 0),  # BUFIOREQ_EVTCHN
    (30, 1, "XC-HVMP-007", 0),  # MEMORY_EVENT_MSR
    (10, 4, "XC-HVMP-008", 8),  # TIMER_MODE above one_missed_tick_pending (3)
    (14, 1, "XC-HVMP-008", 8),  # ACPI_S_STATE: 0 or 3
    (14, 4, "XC-HVMP-008", 8),
    (31, 6, "XC-HVMP-008", 8),  # TRIPLE_FAULT_REASON above SHUTDOWN_MAX (5)
    (33, 0, "XC-HVMP-008", 8),  # NR_IOREQ_SERVER_PAGES: 1 to 64
    (33, 65, "XC-HVMP-008", 8),
    (36, 2, "XC-HVMP-008", 8),  # X87_FIP_WIDTH: 0, 4 or 8
    (36, 16, "XC-HVMP-008", 8),
    (9, 0, "XC-HVMP-009", 8),  # VIRIDIAN without base_freq
    (9, 0x2, "XC-HVMP-009", 8),
    (9, 0x2001, "XC-HVMP-009", 8),  # bit 13: not in HVMPV_feature_mask
    (4, 1, "XC-HVMP-011", 0),  # PAE_ENABLED
    (24, 0, "XC-HVMP-012", 0),  # NESTEDHVM
    (13, 0x7FF0, "XC-HVMP-013", 0),  # DM_DOMAIN
    (35, 0, "XC-HVMP-014", 0),  # ALTP2M
]


@pytest.mark.parametrize(
    ("value", "refused_by"),
    [
        (0, ()),
        (1, ()),
        (2, ((4, 6), (4, 8))),  # XEN_ALTP2M_external: above 1 before 4.9
        (3, ((4, 6), (4, 8))),  # XEN_ALTP2M_limited, the largest from 4.9
        (4, ((4, 6), (4, 8), (4, 9), (4, 18))),
    ],
)
def test_altp2m_value_by_release(value: int, refused_by: tuple[tuple[int, int], ...]) -> None:
    """hvm_set_param (xen/arch/x86/hvm/hvm.c): `a.value > 1` refused in 4.6-4.8,
    `value > XEN_ALTP2M_limited` (3) from 4.9; 4.19 refuses the index (XC-HVMP-014)."""
    entries = body([(35, value)])
    for release in ((4, 6), (4, 8), (4, 9), (4, 18)):
        # XC-HVMP-014 is named at every release: target.py applies its xen_refuses (4.19-)
        rules = [
            p.rule for p in hvm_params.check(entries, release=release) if p.rule != "XC-HVMP-014"
        ]
        assert rules == (["XC-HVMP-008"] if release in refused_by else []), (release, rules)
    assert next(p.rule for p in hvm_params.check(entries, release=(4, 19))) == "XC-HVMP-014"
    unreleased = [p.rule for p in hvm_params.check(entries)]
    assert unreleased == ["XC-HVMP-014", *(["XC-HVMP-008"] if value > 3 else [])]


@pytest.mark.parametrize(("index", "value", "rule", "where"), REFUSED)
@pytest.mark.parametrize("endian", ["<", ">"])
def test_refused_entries(index: int, value: int, rule: str, where: int, endian: str) -> None:
    base = [e for e in SAVED if e[0] != index]  # a second VIRIDIAN would be XC-HVMP-010 too
    at = 8 + 16 * len(base)
    assert problems([*base, (index, value)], endian) == [(rule, at + where)]


ACCEPTED = [
    (10, 3),  # TIMER_MODE one_missed_tick_pending
    (14, 0),
    (14, 3),  # ACPI_S_STATE S0, S3
    (31, 5),  # TRIPLE_FAULT_REASON SHUTDOWN_SOFT_RESET
    (33, 1),
    (33, 64),
    (36, 0),
    (36, 4),
    (0, 1 << 56 | 0x5C),  # CALLBACK_IRQ: hvm_set_callback_via takes anything
    (2, 1),  # STORE_EVTCHN
    (11, 1),  # HPET_ENABLED
]


@pytest.mark.parametrize(("index", "value"), ACCEPTED)
def test_accepted_entries(index: int, value: int) -> None:
    assert problems([(index, value)]) == []


def test_once_only_parameters() -> None:
    """hvm_allow_set_param: VIRIDIAN, IOREQ_SERVER_PFN and NR_IOREQ_SERVER_PAGES change
    only while zero (-EEXIST); the same value again is fine."""
    assert problems([(9, 1), (9, 1)]) == []
    assert problems([(9, 1), (9, 0x3)]) == [("XC-HVMP-010", 8 + 16 + 8)]
    assert problems([(32, 0), (32, 0xFEFF0)]) == []
    assert problems([(32, 0xFEFF0), (32, 0xFEFF1)]) == [("XC-HVMP-010", 8 + 16 + 8)]
    assert problems([(33, 8), (33, 4)]) == [("XC-HVMP-010", 8 + 16 + 8)]
    assert problems([(1, 0xFEFFC), (1, 0xFEFFB)]) == []  # STORE_PFN is not once-only


def test_count_and_framing_are_the_callers() -> None:
    # entries that fit are checked, whatever count says; a short tail is ignored
    raw = body([(39, 0)])
    assert [p.rule for p in hvm_params.check(struct.pack("<II", 9, 0) + raw[8:])] == ["XC-HVMP-006"]
    assert hvm_params.check(raw[:-1]) == []
    assert hvm_params.check(b"") == []


def test_nr_params_by_release() -> None:
    assert [hvm_params.nr_params((4, m)) for m in (6, 7, 8, 9, 10, 19)] == [36, 37, 37, 38, 39, 39]
    assert hvm_params.nr_params((4, 22)) == hvm_params.HVM_NR_PARAMS == 39


@pytest.mark.parametrize(
    ("index", "first"),
    [(35, (4, 6)), (36, (4, 7)), (37, (4, 9)), (38, (4, 10))],
)
def test_an_index_a_release_does_not_have_is_refused(index: int, first: tuple[int, int]) -> None:
    """HVM_NR_PARAMS in xen/include/public/hvm/params.h at each tag: 36 (4.6), 37 (4.7),
    38 (4.9), 39 (4.10); hvmop_set_param answers -EINVAL at or above it."""
    from xensave.target import STREAM_V2_SINCE, all_releases

    value = {35: 0, 36: 8, 37: (0x80 << 32) | 0xFC00A000, 38: 1}[index]
    for rel in all_releases():
        if rel < STREAM_V2_SINCE:
            continue
        rules = [p.rule for p in hvm_params.check(body([(index, value)]), release=rel)]
        assert ("XC-HVMP-006" in rules) == (rel < first), rel


def test_rules_are_catalogued_with_what_xen_does() -> None:
    for n in range(6, 15):
        r = RULES[f"XC-HVMP-{n:03}"]
        assert r.subject == "image" and r.area == "hvm-params"
    assert RULES["XC-HVMP-011"].level == "SHOULD"  # Xen 4.6-4.13 wrote it


@given(st.binary(max_size=400), st.sampled_from(["<", ">"]))
def test_arbitrary_bodies_never_raise(data: bytes, endian: str) -> None:
    for p in hvm_params.check(data, endian):
        assert p.rule in RULES and 8 <= p.offset < len(data)


def test_vm86_tss_sized_needs_room_for_a_32_bit_tss() -> None:
    # hvm_set_param: (value >> 32) < sizeof(struct tss32), which is 104 octets
    small = hvm_params.check(body([(37, (103 << 32) | 0xFC00A000)]))
    assert [p.rule for p in small] == ["XC-HVMP-008"]
    assert small[0].offset == 8 + 8  # the value of entry 0
    assert not hvm_params.check(body([(37, (104 << 32) | 0xFC00A000)]))


@pytest.mark.parametrize(
    ("index", "releases"),
    [
        (5, ("4.12", "4.22")),  # IOREQ_PFN from 4.12
        (6, ("4.12", "4.22")),  # BUFIOREQ_PFN from 4.12
        (38, ("4.10", "4.22")),  # MCA_CAP from 4.10
        (35, ("4.6", "4.18")),  # ALTP2M until 4.18 (4.19 refuses it outright)
        (9, ("4.6", "4.22")),  # VIRIDIAN always
    ],
)
def test_set_once_parameters_by_release(index: int, releases: tuple[str, str]) -> None:
    from xensave.target import all_releases, parse_release

    lo, hi = (parse_release(r) for r in releases)
    changed = body([(index, 1), (index, 2)])
    for rel in all_releases():
        if rel < (4, 6):
            continue
        rules = [p.rule for p in hvm_params.check(changed, release=rel)]
        assert ("XC-HVMP-010" in rules) == (lo <= rel <= hi), rel


def test_the_release_view_cuts_the_index_to_32_bits() -> None:
    # xc_hvm_param_set(xc_interface *, uint32_t dom, uint32_t param, uint64_t value)
    entries = body([((1 << 32) | 10, 1), ((7 << 32) | 10, 4)])
    assert {p.rule for p in hvm_params.check(entries)} == {"XC-HVMP-006"}
    seen = hvm_params.check(entries, release=(4, 17))
    assert [p.rule for p in seen] == ["XC-HVMP-008"]  # TIMER_MODE 4
    assert "cut to 32 bits" in seen[0].message
