"""``verify`` applies the PV- and HVM- rules to a legacy image's vCPU contexts and HVM
context blob, as ``convert`` does to the same state once converted: the two agree on
the rule, and verify places it in the legacy image's own bytes."""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from xensave import pv_context
from xensave.checker import check_bytes
from xensave.convert import ConvertError, convert
from xensave.legacy.format import HvmTail, LegacyImage, PvTail, encode
from xensave.legacy.read import LegacyHvmTail, LegacyPvTail
from xensave.legacy.samples import build
from xensave.reader import Reader

ROOT = Path(__file__).parent.parent
Mutation = Callable[[LegacyImage], None]
GDT_ENTS = 9001  # over the 7168 the hypervisor allows; distinctive in the bytes


def _pv(img: LegacyImage) -> PvTail:
    tail = img.checkpoints[-1].tail
    assert isinstance(tail, PvTail)
    return tail


def _tail_vcpu0(img: LegacyImage, ctx: bytes) -> None:
    _pv(img).vcpus[0] = ctx


def gdt_ents(img: LegacyImage) -> None:
    _tail_vcpu0(img, pv_context.replace(_pv(img).vcpus[0], 8, gdt_ents=GDT_ENTS))


def cr3_on_l3(img: LegacyImage) -> None:
    # the sample's pfn 1 is sent as an L3 table; CR3 of a 4-level guest needs an L4
    _tail_vcpu0(img, pv_context.sample(8, 0, top_pfn=1, gdt_pfn=5, start_info_pfn=6))


def start_info_beyond(img: LegacyImage) -> None:
    _tail_vcpu0(img, pv_context.sample(8, 0, top_pfn=0, gdt_pfn=5, start_info_pfn=0x7FFF0))


def hvm_blob_cut(img: LegacyImage) -> None:
    tail = img.checkpoints[-1].tail
    assert isinstance(tail, HvmTail)
    tail.context = tail.context[:-8]  # the END entry goes


CASES: dict[str, tuple[str, Mutation, str]] = {
    "gdt-ents": ("pv", gdt_ents, "PV-GDT-001"),
    "cr3-on-l3": ("pv", cr3_on_l3, "PV-CR3-001"),
    "start-info-beyond": ("pv", start_info_beyond, "PV-SIF-001"),
    "hvm-blob-cut": ("hvm", hvm_blob_cut, "HVM-FRAME-002"),
}


def _image(guest: str, mutate: Mutation | None = None) -> bytes:
    s = build(64, "pv" if guest == "pv" else "hvm", levels=4 if guest == "pv" else None)
    if mutate is not None:
        mutate(s.image)
    return encode(s.image)


@pytest.mark.parametrize("guest", ["pv", "hvm"])
def test_valid_legacy_state_draws_no_error(guest: str) -> None:
    report = check_bytes(_image(guest))
    assert report.valid and report.layer == "legacy"
    assert not [d for d in report.diagnostics if d.rule[:3] in ("PV-", "HVM")]


@pytest.mark.parametrize("name", CASES)
def test_verify_and_convert_agree(name: str, tmp_path: Path) -> None:
    guest, mutate, rule = CASES[name]
    data = _image(guest, mutate)
    report = check_bytes(data)
    assert {d.rule for d in report.errors} == {rule}
    (d,) = report.errors
    assert d.layer == "legacy" and d.record_index is None
    assert ("PV tail after body 0" if guest == "pv" else "HVM tail after body 0") in d.message
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    with pytest.raises(ConvertError, match=rule):
        convert(str(src), str(tmp_path / "out.bin"))


def test_offset_is_the_field_in_the_legacy_image() -> None:
    data = _image("pv", gdt_ents)
    (d,) = check_bytes(data).errors
    # gdt_ents is a native-width word; the value is found in the image's own bytes
    assert data.find(struct.pack("<Q", GDT_ENTS)) == d.offset
    assert data.count(struct.pack("<Q", GDT_ENTS)) == 1


def test_two_level_guest_is_not_judged_as_pae() -> None:
    """CR3 of a non-PAE 32-bit guest names an L2 table: LEG-GUEST-001 says it cannot be
    converted; the PAE frame rules do not also call it broken."""
    s = build(32, "pv", levels=2)
    report = check_bytes(encode(s.image))
    assert report.valid
    assert "LEG-GUEST-001" in {d.rule for d in report.diagnostics}
    assert not [d for d in report.diagnostics if d.rule.startswith("PV-")]


# --- the corpus's legacy cases that break a PV or HVM context rule


def _legacy_state_cases() -> list[dict[str, Any]]:
    cases = json.loads((ROOT / "conformance" / "manifest.json").read_text())["cases"]
    return [
        c
        for c in cases
        if c["layer"] == "legacy"
        and c["verdict"] != "accept"  # a valid one lists the rules it exercises
        and any(r.startswith(("PV-", "HVM-")) for r in c["rules"])
    ]


def _tail_spans(data: bytes) -> list[tuple[int, int]]:
    """Where the legacy reader finds the vCPU states and HVM context blobs, and a PV
    tail's list of unmapped pfns (a frame a context names that the list frees is
    reported at the list's entry: spec/legacy.md, the PV tail)."""
    spans: list[tuple[int, int]] = []
    for ev in Reader(io.BytesIO(data)):  # a legacy image: the legacy reader's events
        if isinstance(ev, LegacyPvTail):
            if ev.unmapped:  # the count word, then the list, up to the first vCPU's state
                spans.append((ev.offset, ev.vcpus[0].offset if ev.vcpus else ev.shared_info_offset))
            # each vCPU's basic context, then its extended context and XSAVE state
            spans += [
                (v.offset, v.offset + len(v.basic) + len(v.extended or b"") + len(v.xsave or b""))
                for v in ev.vcpus
            ]
        elif isinstance(ev, LegacyHvmTail):
            spans.append((ev.context_offset, ev.context_offset + len(ev.context)))
    return spans


@pytest.mark.parametrize("case", _legacy_state_cases(), ids=lambda c: c["name"])
def test_corpus_legacy_state_cases(case: dict[str, Any]) -> None:
    data = (ROOT / "conformance" / case["file"]).read_bytes()
    state = [d for d in check_bytes(data).diagnostics if d.rule.startswith(("PV-", "HVM-"))]
    assert {d.rule for d in state} == set(case["rules"])
    spans = _tail_spans(data)
    for d in state:
        assert d.layer == "legacy"
        assert any(lo <= d.offset <= hi for lo, hi in spans), (d.offset, spans)


def test_corpus_has_legacy_state_cases_of_both_kinds() -> None:
    rules = {r for c in _legacy_state_cases() for r in c["rules"]}
    assert any(r.startswith("PV-") for r in rules) and any(r.startswith("HVM-") for r in rules)


@pytest.mark.parametrize("ws", [4, 8])
@pytest.mark.parametrize("pfns", [range(3, 11), [5, 4, 9], range(60, 70)])
def test_page_types_of_a_batch(ws: int, pfns: range | list[int]) -> None:
    """Each pfn's type is that of its word, whether the batch is consecutive (stored
    at once) or not; pfns beyond the table are left out."""
    from xensave.check.legacy import _note_types

    words = [(((i * 5) % 16) << 28) | pfn for i, pfn in enumerate(pfns)]
    raw = struct.pack(f"<{len(words)}{'I' if ws == 4 else 'Q'}", *words)
    table = bytearray(b"\xff") * 64
    _note_types(table, words, raw, ws, True, 0xF0000000)
    want = bytearray(b"\xff") * 64
    for i, pfn in enumerate(pfns):
        if pfn < 64:
            want[pfn] = (i * 5) % 16
    assert table == want


def test_filler_words_leave_pfn_0_alone() -> None:
    from xensave.check.legacy import _note_types

    words = [0xF0000000, 0x10000001, 0x10000002]
    table = bytearray(b"\xff") * 4
    _note_types(table, words, struct.pack("<3I", *words), 4, False, 0xF0000000)
    assert table == bytearray([0xFF, 1, 1, 0xFF])
