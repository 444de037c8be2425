"""Each mutation breaks exactly the rules it declares, on every kind of image it
applies to; declarations are well-formed; verdicts follow the corpus's policy; the
fast chooser's record replays exactly in hypothesis.

The reference checker is used here as a test *of the mutations* (the declared rules
must be what it finds broken), never to compute a verdict.
"""

from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis.database import ExampleDatabase, choices_to_bytes

from xensave.checker import check_bytes
from xensave.fuzz.build import LAYERS, Spec, build_image
from xensave.fuzz.cases import Case, build_case
from xensave.fuzz.choices import RandomChooser, ReplayChooser
from xensave.fuzz.mutations import Mutation
from xensave.fuzz.mutations.registry import BY_NAME, MUTATIONS
from xensave.fuzz.strategies import cases
from xensave.fuzz.verdicts import RESERVED, derive
from xensave.rules import Level, load_rules

ROOT = Path(__file__).resolve().parents[1]
RULES = load_rules()
#: Bases per mutation and layer (tests/test_fuzz_properties.py adds random ones).
PER_LAYER = 3


@pytest.mark.parametrize("m", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_mutation_breaks_exactly_what_it_declares(m: Mutation) -> None:
    met = 0
    for layer in LAYERS:
        found = 0
        for seed in range(60):
            if found == PER_LAYER:
                break
            ch = RandomChooser(random.Random(f"{m.name}:{layer}:{seed}"))
            gen = build_image(ch, Spec(layers=(layer,)))
            if not m.applies(gen):
                continue
            found += 1
            out = m.apply(ch, gen)
            data = out.data if out.data is not None else gen.data
            report = check_bytes(data)
            got = {d.rule for d in report.diagnostics if d.severity in ("error", "warning")}
            want = set(m.breaks) | set(out.breaks)
            assert set(out.breaks) <= set(m.sometimes), (m.name, out.breaks)
            assert got == want, (
                f"{m.name} on a {layer} image (seed {seed}, {out.detail}): declares "
                f"{sorted(want)}, the checker finds {sorted(got)}: "
                f"{[d.format('x') for d in report.diagnostics if d.severity != 'note']}"
            )
        met += found
    assert met, f"{m.name} applies to no image"


@pytest.mark.parametrize("m", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_declarations(m: Mutation) -> None:
    for rid in (*m.breaks, *m.sometimes):
        r = RULES[rid]
        assert r.subject == "image" and r.level != Level.MAY, (m.name, rid)
    for rid in m.permits:
        assert RULES[rid].level != Level.MUST, (m.name, rid)
    for rid in m.relies:
        assert (RULES[rid].subject, RULES[rid].level) == ("reader", Level.SHOULD), rid
    assert m.doc and "\n" not in m.doc
    assert m.tags
    assert BY_NAME[m.name] is m


#: Image rules (MUST and SHOULD) no mutation breaks, with the reason. Legacy streams
#: (LEG-) are not generated at all.
NOT_BROKEN = {
    "XL-CTX-002": "a second LIBXC_CONTEXT needs a second libxc stream; the corpus has one",
    "XL-CKE-001": "checkpointed streams are not generated (the corpus covers them)",
    "XL-NEST-003": "checkpointed streams are not generated",
    "XL-NEST-005": "checkpointed streams are not generated",
    "XC-VER-003": "checkpointed streams are not generated",
    "XC-CKPT-001": "checkpointed streams are not generated",
    "XC-REC-008": "a record over 128 MiB needs 128 MiB of bytes",
    "XAPI-SEC-007": "a device model section over 1 MiB needs 1 MiB of bytes",
    "IMG-FMT-001": "an input that is no image at all: tests/test_fuzz_properties.py feeds "
    "arbitrary bytes",
}


def test_every_image_rule_is_broken_by_some_mutation() -> None:
    broken = {r for m in MUTATIONS for r in (*m.breaks, *m.sometimes)}
    image_rules = {
        rid
        for rid, r in RULES.items()
        if r.subject == "image"
        and r.level != Level.MAY
        and not rid.startswith(("LEG-", "XEND-"))  # the fuzzer writes no legacy images
    }
    assert broken <= image_rules
    assert image_rules - broken == set(NOT_BROKEN)


def test_tags_come_from_the_corpus_list() -> None:
    sys.path.insert(0, str(ROOT))
    from generators.corpus.policy import TAGS

    for m in MUTATIONS:
        assert set(m.tags) <= set(TAGS), (m.name, set(m.tags) - set(TAGS))


# --- verdicts ----------------------------------------------------------------------------------


def test_reserved_rules_are_the_corpus_policy() -> None:
    sys.path.insert(0, str(ROOT))
    from generators.corpus.policy import RESERVED as CORPUS_RESERVED

    assert RESERVED == CORPUS_RESERVED


def test_restorer_verdicts_are_the_corpus_verdicts() -> None:
    sys.path.insert(0, str(ROOT))
    from generators.corpus.framework import derive as corpus_derive

    samples = [
        ((), (), ()),
        (("XC-PAGE-004",), (), ()),
        (("XC-PAGE-004", "XC-HDR-005"), (), ()),
        (("XC-PAGE-004", "XC-PAGE-006"), (), ()),
        (("XC-TOOL-001",), (), ()),
        ((), ("XC-HDR-006",), ()),
        ((), (), ("XC-REC-007",)),
        (("XC-PAGE-005",), ("XC-HDR-006",), ("XC-REC-007",)),
        (("XL-REC-002",), ("XL-REC-006",), ()),
    ]
    for b, p, r in samples:
        ours, theirs = derive(b, p, r, role="restorer"), corpus_derive(b, p, r)
        assert (ours.verdict, ours.level, ours.prefix) == (
            theirs.verdict,
            theirs.level,
            theirs.prefix,
        ), (b, p, r)
    assert derive(("XC-PAGE-004",)).verdict == "reject"  # a validator must reject it
    with pytest.raises(ValueError):
        derive((), role="reader")


# --- the fast chooser and hypothesis stay in step -----------------------------------------------


class _Seeds(ExampleDatabase):
    def __init__(self, seeds: list[bytes]) -> None:
        super().__init__()
        self.seeds = seeds

    def fetch(self, key: bytes):  # type: ignore[no-untyped-def]
        if key.endswith(b"secondary"):
            yield from self.seeds

    def save(self, key: bytes, value: bytes) -> None:
        pass

    def delete(self, key: bytes, value: bytes) -> None:
        pass


@pytest.mark.parametrize("seed", range(12))
def test_a_recorded_case_replays_exactly_in_hypothesis(seed: int) -> None:
    ch = RandomChooser(random.Random(seed))
    case = build_case(ch)
    seen: list[Case] = []

    @settings(
        database=_Seeds([choices_to_bytes(ch.choices)]),
        phases=[Phase.reuse],
        max_examples=1,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(cases())
    def replay(c: Case) -> None:
        seen.append(c)

    replay()
    assert len(seen) == 1
    assert (seen[0].data, seen[0].mutation, seen[0].breaks) == (
        case.data,
        case.mutation,
        case.breaks,
    )


def test_replay_chooser() -> None:
    ch = RandomChooser(random.Random(5))
    case = build_case(ch)
    again = ReplayChooser(list(ch.choices))
    assert build_case(again).data == case.data
    assert again.choices == ch.choices
    # an edited sequence still builds an image; what does not fit becomes the simplest
    short = ReplayChooser(ch.choices[: len(ch.choices) // 2])
    build_case(short)
    assert len(short.choices) >= len(ch.choices) // 2
    empty = ReplayChooser([])
    first = build_case(empty)
    assert first.mutation == "" and check_bytes(first.data).valid


@pytest.mark.parametrize("n", [1, 2, 3, 17, 128, 129, 1000, 2**32, 2**64 - 1, 2**64 + 3])
def test_the_fast_chooser_draws_what_randint_draws(n: int) -> None:
    """A seed's cases were defined with ``random.randint``: the chooser's shortcut
    must leave the generator where randint would, value for value."""
    ours, theirs = random.Random(f"draw:{n}"), random.Random(f"draw:{n}")
    ch = RandomChooser(ours)
    for _ in range(200):
        assert ch._below(n) == theirs.randint(0, n - 1)
    assert ours.random() == theirs.random()


def test_the_shortcuts_of_the_predicates_agree_with_the_long_way() -> None:
    """What fuzzing asks of every case in a shorter way gives what the long way gives:
    which mutations apply (each predicate once, by plan), whether a PV image sends a
    page table with contents, and a record's body length without encoding it (in both
    byte orders, since a big-endian BASIC context is re-encoded)."""
    from xensave.fuzz.mutations import libxc_pages
    from xensave.fuzz.mutations.helpers import body_len, xc_recs, xl_recs
    from xensave.fuzz.mutations.registry import applicable

    pool = [m for k, m in enumerate(MUTATIONS) if k % 3]
    for seed in range(150):
        g = build_image(RandomChooser(random.Random(f"shortcuts:{seed}")))
        assert applicable(g) == [m for m in MUTATIONS if m.when(g)]
        assert applicable(g, pool) == [m for m in pool if m.when(g)]
        if g.guest != "hvm":
            assert libxc_pages._any_table_with_data(g) == bool(libxc_pages._tables_with_data(g))
        recs = xc_recs(g) + (xl_recs(g) if g.has_libxl else [])
        for r in recs:
            for endian in "<>":
                assert body_len(r) == len(r.body_bytes(endian)), (r.type, endian)
    # and of the records mutations leave (a count that lies, a body cut short, ...)
    for m in MUTATIONS:
        for seed in range(3):
            ch = RandomChooser(random.Random(f"shortcuts:{m.name}:{seed}"))
            case = build_case(ch, mutate=100, pool=[m])
            if case.mutation != m.name:
                continue
            try:
                recs = xc_recs(case.base)
            except LookupError:
                recs = []
            recs = recs + (xl_recs(case.base) if case.base.has_libxl else [])
            for r in recs:
                try:
                    want = len(r.body_bytes("<"))
                except struct.error:  # a body the writer cannot encode either
                    continue
                assert body_len(r) == want, (m.name, r.type)


@pytest.mark.parametrize("width", [4, 8])
def test_the_fuzz_pv_sample_is_the_sample(width: int) -> None:
    """The builder writes a vCPU context's anchors into a template instead of encoding
    it whole; the octets must be :func:`xensave.pv_context.sample`'s."""
    from xensave import pv_context
    from xensave.fuzz.build import pv_sample

    rng = random.Random(width)
    for vcpu in range(4):
        for _ in range(25):
            top, gdt, si = (rng.choice([0, 1, 0xFFF, rng.randrange(1 << 20)]) for _ in "abc")
            want = pv_context.sample(width, vcpu, top_pfn=top, gdt_pfn=gdt, start_info_pfn=si)
            assert pv_sample(width, vcpu, top, gdt, si) == want


def test_the_pv_anchors_are_the_last_of_their_types() -> None:
    """The builder finds a PV vCPU's anchors (the last top-level table and the last
    NOTAB page sent) from the end, stopping at the first of each; the long way is the
    type each pfn was last sent as, in the order the pfns were first sent."""
    from xensave.constants import PAGE_DATA_PFN_MASK, PageType
    from xensave.fuzz.build import _pv_anchors, max_pfn, page_records, pv_types

    def long_way(pages: list, levels: int) -> tuple[int, int] | None:
        last: dict[int, int] = {}
        for pd in pages:
            for e in pd.entries:
                last[e & PAGE_DATA_PFN_MASK] = e >> 60
        tops = [p for p, t in last.items() if t in (levels, levels | 0x8)]
        notabs = [p for p, t in last.items() if t == PageType.NOTAB]
        return (tops[-1], notabs[-1]) if tops and notabs else None

    appended = 0
    for seed in range(600):
        levels = 3 + seed % 2
        pages = page_records(RandomChooser(random.Random(f"anchors:{seed}")), pv_types(levels))
        top = max(e & PAGE_DATA_PFN_MASK for pd in pages for e in pd.entries)
        assert max_pfn(pages) == top
        want, n = long_way(pages, levels), len(pages)
        got = _pv_anchors(pages, levels)
        if want is None:  # one more record sends both, after the others
            appended += 1
            assert len(pages) == n + 1 and got == (top + 1, top + 2)
            assert long_way(pages, levels) == got
        else:
            assert len(pages) == n and got == want
    assert 0 < appended < 600
