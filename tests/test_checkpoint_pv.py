"""The PV cells of the checkpoint rules (issue 17, generators/corpus/checkpoint.py).

* a PV guest's checkpointed libxl stream carries what libxl writes for one: no emulator
  records, CHECKPOINT_END right after each libxc CHECKPOINT (``emulator_xenstore_record_
  done`` in libxl_stream_write.c writes the emulator records for HVM only);
* each ``pv-`` recipe has cases in its PV home and replay cells, and the coverage's
  PENDING entry for these rules names exactly the PV cells left: the two copies of that
  list (``PV_REPLAYS`` and ``PENDING``) are held equal;
* after CHECKPOINT_END a type-5 record is libxl's CHECKPOINT_STATE in a PV stream too,
  whatever its length, never the libxc X86_PV_VCPU_EXTENDED (spec/nesting.md): the
  reader and the Kaitai parsers agree, and the checker judges it by the XL-CKS rules.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from read_events import records

from xensave.bodies import CheckpointState
from xensave.checker import check_bytes
from xensave.conformance.coverage import PENDING
from xensave.constants import CheckpointControl, LibxlRecType, XcRecType
from xensave.model import Record
from xensave.rules import Level, load_rules
from xensave.writer import to_bytes

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the recipes live in generators/, outside the package
    sys.path.insert(0, str(ROOT))

from generators.corpus import checkpoint  # noqa: E402

PV = ("x86_32-pv", "x86_64-pv")


def _cases() -> list[dict[str, Any]]:
    data = json.loads((ROOT / "conformance" / "manifest.json").read_text())
    return list(data["cases"])


def _pv_checkpointed_libxl() -> list[dict[str, Any]]:
    return [
        c
        for c in _cases()
        if c["guest"] in PV and "checkpointed" in c["tags"] and c["layers"][:1] == ["libxl"]
    ]


@pytest.mark.parametrize("name", [c["name"] for c in _pv_checkpointed_libxl()])
def test_a_pv_checkpoint_has_no_emulatorrecords(name: str) -> None:
    data = (ROOT / "conformance" / "corpus" / f"{name}.bin").read_bytes()
    recs = records(data)
    libxl = [(e.type, k) for k, e in enumerate(recs) if e.layer == "libxl"]
    emulator = (LibxlRecType.EMULATOR_XENSTORE_DATA, LibxlRecType.EMULATOR_CONTEXT)
    assert not [t for t, _ in libxl if t in emulator]
    for k, e in enumerate(recs):
        if e.layer == "libxc" and e.type == XcRecType.CHECKPOINT and k + 1 < len(recs):
            # the next record is libxl's: CHECKPOINT_END, or the fault the case shows
            assert recs[k + 1].layer == "libxl", name


def test_pv_homes_and_replays_fill_the_cells_pending_does_not_name() -> None:
    cells = {c["name"]: (c["guest"], c["version"]) for c in _cases()}
    failing = {
        (rid, cell)
        for c in _cases()
        if c["verdict"] != "accept" and c["guest"] in PV
        for rid in c["rules"]
        for cell in [cells[c["name"]]]
    }
    covered = {checkpoint.PV_HOME, *checkpoint.PV_REPLAYS}
    left = {(g, v) for g in PV for v in (2, 3)} - covered
    levels = {rid: r.level for rid, r in load_rules().items()}
    homes = [
        c
        for c in _cases()
        if c["recipe"].startswith("generators/corpus/checkpoint.py:")
        and (c["guest"], c["version"]) == checkpoint.PV_HOME
        and f"_{c['guest']}_pv-" in c["name"]  # the PV homes, not HVM recipes' replays
        and c["verdict"] != "accept"
    ]
    rules = {rid for c in homes for rid in c["rules"] if levels[rid] == Level.MUST}
    assert len(rules) >= 13
    for rid in sorted(rules):
        assert {cell for r, cell in failing if r == rid} >= covered, rid
        pending = {(g, int(v[1:])) for g, v in PENDING.get(rid, ((), ""))[0]}
        assert pending == left, rid
        if left:
            assert "PV_REPLAYS" in PENDING[rid][1]


def _pv_colo(body: CheckpointState | bytes) -> bytes:
    s = checkpoint.carried("x86_32-pv", 1, colo=True, version=2)
    k = next(
        i
        for i, item in enumerate(s.items)
        if isinstance(item, Record) and item.type == LibxlRecType.CHECKPOINT_STATE
    )
    s.items[k] = Record(LibxlRecType.CHECKPOINT_STATE, body)
    return to_bytes(s)


@pytest.mark.parametrize("size", [4, 5, 6, 7, 8, 16, 136])
def test_a_type_5_record_after_checkpoint_end_in_a_pv_stream_is_libxls(size: int) -> None:
    """Xen's libxl reads the record after CHECKPOINT_END itself in COLO
    (libxl__stream_read_checkpoint_state), whatever its length; 136 octets is the
    longest X86_PV_VCPU_EXTENDED body (XC-VCPU-004), so no length tells the layers apart."""
    body = bytes(4) + b"\x01" * (size - 4)
    last = records(_pv_colo(body))[-1]
    assert (last.layer, last.type, last.length) == ("libxl", LibxlRecType.CHECKPOINT_STATE, size)


def test_the_kaitai_parser_reads_the_same_layer() -> None:
    """The generated parser (ksy/xen_libxl_stream.ksy, has_colo_checkpoint_state) sees a
    CHECKPOINT_STATE there too, and no resumed libxc records after it."""
    from kaitaistruct import KaitaiStream

    from xensave.kaitai.xen_libxl_stream import XenLibxlStream

    data = _pv_colo(bytes(8))  # the parser validates the zero octets (XL-CKS-006)
    parsed = XenLibxlStream(KaitaiStream(io.BytesIO(data)))
    ends = [r for r in parsed.records if r.resumes_libxc]
    assert ends and ends[-1].has_colo_checkpoint_state
    state = ends[-1].colo_checkpoint_state
    assert (state.rec_type_raw, state.len_body) == (LibxlRecType.CHECKPOINT_STATE, 8)
    assert not ends[-1].reads_libxc_resumed


def test_an_8_octet_checkpoint_state_in_a_pv_stream_is_judged_as_one() -> None:
    """Control_id NEW and four zero octets: only XL-CKS-002 (a SHOULD), as in HVM."""
    report = check_bytes(_pv_colo(bytes(8)))
    assert report.errors == [], [d.format("pv-colo") for d in report.errors]
    assert {d.rule for d in report.warnings} == {"XL-CKS-002"}
    report = check_bytes(_pv_colo(bytes(4) + b"\x00\x00\x00\x01"))
    assert {d.rule for d in report.errors} == {"XL-CKS-006"}


def test_the_pv_colo_stream_of_one_checkpoint_is_valid() -> None:
    report = check_bytes(_pv_colo(CheckpointState(CheckpointControl.NEW)))
    assert report.errors == [], [d.format("pv-colo") for d in report.errors]
