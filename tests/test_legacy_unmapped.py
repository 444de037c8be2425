"""The PV tail's unmapped pfns and the frames a legacy image's contexts name.

A legacy PV tail lists the pfns the guest no longer has. What each release does with the
list, read in Xen's source:

* 4.0-4.5, ``xc_domain_restore`` (tools/libxc/xc_domain_restore.c): before it applies the
  contexts it frees every listed pfn the batches populated (xc_domain_decrease_reservation)
  and sets its p2m entry to INVALID_P2M_ENTRY, leaving its page type as sent. The start-info
  page then fails to map (xc_map_foreign_range), a GDT frame or CR3/CR1 table is an invalid
  frame that arch_set_info_guest refuses (set_gdt, mfn_valid), and so are the p2m frames
  it maps last (xc_map_foreign_pages): refused. store_mfn and console.domU.mfn become that
  invalid frame, which libxl takes without looking: restored.
* 4.6 on, ``convert-legacy-stream`` (read_pv_tail) reads the list and drops it, so the
  restorer (process_start_info, process_vcpu_basic) sees only the batches: restored when
  the batches populated the page.

The spec keeps such images invalid (a frame the guest no longer has), reported at the
list's entry, and ``verify --target-xen`` says which releases restore them. The verdicts
below are those facts, not the checker's output; tests/test_xen_oracle.py has Xen 4.17's
own convert-legacy-stream and libxenguest judge the same images.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest

from xensave.checker import check_bytes, check_stream
from xensave.legacy.format import XTAB_FILLER, LegacyImage, PageBatch, PvTail, encode, has_data
from xensave.legacy.samples import SMALL_START_INFO, page, small
from xensave.target import judge_stream

#: store_mfn and console.domU.mfn in Xen's start_info (xen/include/public/xen.h).
FIELDS = {8: (56, 72, "<Q"), 4: (44, 52, "<I")}
#: A NOTAB pfn the small base does not otherwise use; 63 (p2m_size - 1) no batch sends.
EXTRA = 40
NEVER = 63
P2M_FRAME = 32
OLD = ((4, 0), (4, 1), (4, 5))
NEW = ((4, 6), (4, 17), (4, 22))


def _base(levels: int) -> LegacyImage:
    """The small legacy PV base (64-bit toolstack): CR3 on pfn 0, the start-info page and
    the GDT on pfn 5, the p2m frame on pfn 32; store and console words 0; plus a batch
    sending pfn 40 as NOTAB."""
    img = small(64, "pv", levels=levels).image
    img.checkpoints[0].body.insert(2, PageBatch([EXTRA], [page(EXTRA)]))
    return img


def _start_info(img: LegacyImage, store: int, console: int = 0) -> None:
    first = img.checkpoints[0].body[0]
    assert isinstance(first, PageBatch)
    at_store, at_console, code = FIELDS[img.guest_width]
    data = [w & 0x0FFFFFFF for w in first.words if w != XTAB_FILLER and has_data(w)]
    k = data.index(SMALL_START_INFO)
    contents = bytearray(first.pages[k])
    struct.pack_into(code, contents, at_store, store)
    struct.pack_into(code, contents, at_console, console)
    first.pages[k] = bytes(contents)


def _unmap(img: LegacyImage, *pfns: int) -> None:
    tail = img.checkpoints[-1].tail
    assert isinstance(tail, PvTail)
    tail.unmapped = list(pfns)


@dataclass(frozen=True)
class Case:
    """An image and what Xen does with it: the rules it breaks (at the list's entry
    ``entry`` of the unmapped pfns, or elsewhere when None) and whether 4.0-4.5 and
    4.6 on restore it."""

    slug: str
    store: int
    unmapped: tuple[int, ...]
    rules: tuple[str, ...]
    entry: int | None
    old: bool
    new: bool


CASES = [
    # the start-info page (also the GDT's) is listed: 4.0-4.5 cannot map it
    Case("start-info", 0, (EXTRA, SMALL_START_INFO), ("PV-GDT-002", "PV-SIF-001"), 1, False, True),
    # the top-level table: an invalid CR3 for 4.0-4.5; the store and console words
    # (0) name it too, which 4.0-4.5 tolerate
    Case("cr3", 0, (0,), ("PV-CR3-001", "PV-SIF-002"), 0, False, True),
    # store_mfn names a page the batches sent and the tail lists: every release restores
    Case("store", EXTRA, (EXTRA,), ("PV-SIF-002",), 0, True, True),
    # store_mfn names a pfn no batch sent: the list changes nothing, 4.6 on refuse
    Case("store-never-sent", NEVER, (NEVER,), ("PV-SIF-002",), None, True, False),
    # the p2m frame (pfn 32): 4.0-4.5 cannot map it to write the guest's p2m
    Case("p2m-frame", 0, (P2M_FRAME,), ("LEG-P2M-001",), 0, False, True),
    # a listed pfn nothing names
    Case("unnamed", 0, (EXTRA, 41), (), None, True, True),
]


def image(case: Case, levels: int) -> bytes:
    img = _base(levels)
    _start_info(img, case.store)
    _unmap(img, *case.unmapped)
    return encode(img)


def _list_start(case: Case, levels: int) -> int:
    """Where the tail's list of unmapped pfns starts, found in the bytes rather than
    taken from the reader: the same image without the list differs first at its u32
    count, and the words follow the count."""
    data = image(case, levels)
    bare = image(Case(case.slug, case.store, (), (), None, True, True), levels)
    at = next(i for i, (a, b) in enumerate(zip(data, bare, strict=False)) if a != b)
    assert struct.unpack_from("<II", data, at) == (len(case.unmapped), case.unmapped[0])
    return at + 4


@pytest.mark.parametrize("levels", [4, 3])
@pytest.mark.parametrize("case", CASES, ids=[c.slug for c in CASES])
def test_the_checker_reports_what_the_list_breaks(case: Case, levels: int, tmp_path: Path) -> None:
    """From memory (the pages' contents kept) and from a file (read back at the end)."""
    data = image(case, levels)
    errors = check_bytes(data).errors
    f = tmp_path / "image.bin"
    f.write_bytes(data)
    with f.open("rb") as fh:
        assert check_stream(fh).errors == errors
    assert sorted({d.rule for d in errors}) == sorted(case.rules), errors
    if case.entry is not None:
        want = _list_start(case, levels) + 8 * case.entry
        assert {d.offset for d in errors} == {want}
        assert all("unmapped pfns" in d.message for d in errors)
    else:
        assert all("unmapped" not in d.message for d in errors)


@pytest.mark.parametrize("case", CASES, ids=[c.slug for c in CASES])
def test_each_release_restores_as_its_code_does(case: Case) -> None:
    data = image(case, 4)
    for rel in OLD + NEW:
        report = judge_stream(io.BytesIO(data), rel)
        want = case.old if rel in OLD else case.new
        assert report.restorable is want, (rel, report.reasons)
        if not want and rel in OLD:
            assert {r.function for r in report.reasons} == {
                "tools/libxc/xc_domain_restore.c:xc_domain_restore"
            }
        if rel in NEW and case.entry is not None:
            assert any("read_pv_tail" in n for n in report.notes), report.notes


def test_an_unmapped_pfn_past_32_bits_matches_no_frame() -> None:
    """The list holds whole words: xc_domain_restore indexes its p2m by the word, so a
    word with high bits set is not the frame its low bits name."""
    img = _base(4)
    _unmap(img, (1 << 32) | SMALL_START_INFO)
    assert check_bytes(encode(img)).errors == []


def test_a_p2m_frame_not_sent_as_notab_is_refused_by_every_release() -> None:
    """xc_domain_restore (4.0-4.5) refuses a p2m frame not last sent as NOTAB ("PFN-to-MFN
    frame number is bad"), update_guest_p2m (4.6 on) too ("has bad type")."""
    img = _base(4)
    img.p2m_frames = [50]  # sent as XTAB by the first batch
    data = encode(img)
    (error,) = check_bytes(data).errors
    assert error.rule == "LEG-P2M-001" and "XTAB" in error.message
    assert struct.unpack_from("<Q", data, error.offset)[0] == 50
    for rel in OLD + NEW:
        (reason,) = judge_stream(io.BytesIO(data), rel).reasons
        assert reason.rule == "LEG-P2M-001"
        assert reason.function.endswith(
            "xc_domain_restore.c:xc_domain_restore" if rel in OLD else ":update_guest_p2m"
        ), rel


def test_corpus_diagnostics_in_the_unmapped_list_are_the_frame_rules() -> None:
    """verify --target-xen reads a diagnostic inside a PV tail's unmapped pfn list by
    release only for UNMAPPED_LIST_RULES: every diagnostic the checker puts there, over
    the legacy corpus, is one of them (and some case puts one there)."""
    import json

    from xensave.check.legacy import UNMAPPED_LIST_RULES
    from xensave.legacy.read import LegacyPvTail
    from xensave.reader import Reader
    from xensave.source import ReadError

    root = Path(__file__).resolve().parent.parent / "conformance"
    cases = json.loads((root / "manifest.json").read_text())["cases"]
    seen: set[str] = set()
    for case in cases:
        if case["layer"] != "legacy" or "pv" not in case["guest"]:
            continue
        data = (root / case["file"]).read_bytes()
        spans = []
        try:
            for ev in Reader(io.BytesIO(data)):
                if isinstance(ev, LegacyPvTail) and ev.unmapped:
                    first = ev.vcpus[0].offset if ev.vcpus else ev.shared_info_offset
                    spans.append((ev.offset + 4, first))
        except ReadError:
            pass  # a broken image: the tails read before the fault
        for d in check_bytes(data).diagnostics:
            if any(lo <= d.offset < hi for lo, hi in spans):
                assert d.rule in UNMAPPED_LIST_RULES, (case["name"], d.rule, d.offset)
                seen.add(d.rule)
    assert seen
