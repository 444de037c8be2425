"""The legacy HVM cases of the HVM context rules (generators/corpus/legacy.py,
HVM_OLD_REPLAYS): their declared restorability against the facts it repeats.

Each case names the releases that restore it. From 4.6 a legacy image is converted and
restored as a v2 stream, so that half of the declaration must equal what the catalogue
(``xen_refuses``) and the per-release entry sizes (xensave.hvm_typecodes) say; the 4.0-4.5
half was read in Xen's load handlers and must at least agree with the catalogue and with
each release's HVM_SAVE_CODE_MAX."""

from __future__ import annotations

import struct

import pytest

from generators.corpus import legacy
from xensave.constants import XcRecType
from xensave.hvm_typecodes import typecode_max
from xensave.legacy.format import HvmTail
from xensave.legacy.samples import small
from xensave.release_facts import releases_taking
from xensave.rules import load_rules
from xensave.target import all_releases, release_set

RULES = load_rules()
FROM_46 = frozenset(r for r in all_releases() if r >= (4, 6))
OLD = frozenset(r for r in all_releases() if r < (4, 6))


def _base() -> bytes:
    tail = small(64, "hvm").image.checkpoints[0].tail
    assert isinstance(tail, HvmTail)
    return tail.context


def _blob(rid: str) -> bytes:
    slug, code, size, _rels, _by = legacy.HVM_OLD_REPLAYS[rid]
    _, home = legacy._home_blob(slug)
    return legacy._splice_entry(_base(), home, code, size)


def _entries(blob: bytes) -> list[tuple[int, int, bytes]]:
    out, off = [], 0
    while off + 8 <= len(blob):
        code, inst, n = struct.unpack_from("<HHI", blob, off)
        out.append((code, inst, blob[off + 8 : off + 8 + n]))
        off += 8 + n
        if code == 0:
            break
    return out


@pytest.mark.parametrize("rid", sorted(legacy.HVM_OLD_REPLAYS))
def test_from_46_the_declaration_is_the_v2_path(rid: str) -> None:
    declared = release_set(legacy.HVM_OLD_REPLAYS[rid][3])
    taking = releases_taking(XcRecType.HVM_CONTEXT, _blob(rid))
    reads = FROM_46 if taking is None else FROM_46 & taking[0]
    want = reads - release_set(RULES[rid].xen_refuses)
    assert declared & FROM_46 == want


@pytest.mark.parametrize("rid", sorted(legacy.HVM_OLD_REPLAYS))
def test_before_46_no_release_restores_what_it_refuses(rid: str) -> None:
    slug, code, _size, rels, _by = legacy.HVM_OLD_REPLAYS[rid]
    declared = release_set(rels) & OLD
    assert not declared & release_set(RULES[rid].xen_refuses), "the catalogue says refused"
    unknown = {r for r in OLD if code > typecode_max(r)}
    assert not declared & unknown, f"{slug}: typecode {code} is unknown in {sorted(unknown)}"


@pytest.mark.parametrize("rid", sorted(legacy.HVM_OLD_REPLAYS))
def test_only_the_recipes_entry_differs_from_the_sample(rid: str) -> None:
    key = (legacy.HVM_OLD_REPLAYS[rid][1], 0)
    base, got = _entries(_base()), _entries(_blob(rid))
    assert [e for e in got if e[:2] != key] == [e for e in base if e[:2] != key]
    changed = [e for e in got if e[:2] == key]
    assert len(changed) == 1 and changed != [e for e in base if e[:2] == key]


def test_a_changed_cpu_entry_keeps_the_samples_registers() -> None:
    """HVM-CPU-005's dr7 (offset 728) is the recipe's; the rest is the sample's CPU,
    which every release from 4.0 restores."""
    base = next(p for c, _i, p in _entries(_base()) if c == 2)
    got = next(p for c, _i, p in _entries(_blob("HVM-CPU-005")) if c == 2)
    assert len(got) == len(base) == 1024
    assert struct.unpack_from("<Q", got, 728)[0] == (1 << 32) | 0x400
    assert got[:728] == base[:728] and got[736:] == base[736:]


def test_end_replays_carry_the_recipes_tail_after_the_samples_entries() -> None:
    from generators.corpus.framework import REGISTRY

    base = _base()
    before_end = base[: legacy._blob_entries(base)[1]]
    for slug in legacy.HVM_OLD_END_REPLAYS.values():
        _, home = legacy._home_blob(slug)
        tail = home[legacy._blob_entries(home)[1] :]
        assert tail[:2] == b"\0\0" and len(tail) > 8  # END, and more than its descriptor
        case = next(c for c in REGISTRY if c.slug == slug and "legacy.py" in c.recipe)
        assert before_end + tail in case.build().data


@pytest.mark.parametrize(
    ("typecode", "length", "release", "refused"),
    [
        (2, 1032, (4, 5), True),  # CPU: pad0 and flags came with 4.7
        (2, 1024, (4, 0), False),  # msr_tsc_aux is in 4.0's structure already
        (2, 1016, (4, 1), True),  # the compat form is loaded from 4.2
        (2, 1016, (4, 2), False),
        (5, 24, (4, 0), True),  # LAPIC: tdt_msr came with 4.1
        (5, 16, (4, 1), False),  # ... whose load zero-extends
        (17, 16, (4, 2), True),  # VIRIDIAN_VCPU: apic_assist alone up to 4.6
        (18, 24, (4, 2), True),  # VMCE_VCPU: caps alone in 4.2
        (18, 8, (4, 3), False),  # ... zero-extended from 4.3
    ],
)
def test_sizes_before_46(
    typecode: int, length: int, release: tuple[int, int], refused: bool
) -> None:
    """Read at each tag in public/arch-x86/hvm/save.h and the type's load handler."""
    from xensave.hvm_typecodes import size_refused

    assert size_refused(typecode, length, release) is refused
