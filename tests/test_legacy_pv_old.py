"""The PV context rules in legacy PV tails (issue 17; generators/corpus/legacy.py, OLD_PV).

* every recipe of OLD_PV builds, in each legacy PV cell it names, an image that the
  checker refuses for its rule, and (but for a 2-level guest, which has no conversion)
  that the same image converted to a libxc stream is refused for: any cell can be
  emitted, and the legacy checker agrees with the libxc one;
* the coverage's PENDING rows of these rules name exactly the cells OLD_PV_EMIT leaves
  out: the two copies of that list are held equal;
* the legacy checker's PV-EXT and PV-XSV diagnostics point at the field in the tail.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

from xensave.checker import check_bytes
from xensave.conformance.coverage import PENDING
from xensave.convert import convert
from xensave.legacy.format import encode
from xensave.legacy.samples import add_xsave, small

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the recipes live in generators/, outside the package
    sys.path.insert(0, str(ROOT))

from generators.corpus import legacy  # noqa: E402

CELL = {"pv4": "x86_64-pv", "pv3": "x86_32-pae-pv", "pv2": "x86_32-nonpae-pv"}
RECIPES = {
    (rid, k): (slug, mutate) for slug, _w, rid, mutate, kinds in legacy.OLD_PV for k in kinds
}


def _image(kind: str, rid: str) -> bytes:
    s = small(64, "pv", levels=int(kind[-1]))
    RECIPES[(rid, kind)][1](s.image)
    return encode(s.image)


@pytest.mark.parametrize(
    ("rid", "kind"), legacy.old_pv_order(), ids=[f"{r}-{k}" for r, k in legacy.old_pv_order()]
)
def test_each_recipe_breaks_its_rule_bare_and_converted(
    rid: str, kind: str, tmp_path: Path
) -> None:
    data = _image(kind, rid)
    report = check_bytes(data)
    assert not report.valid and rid in {d.rule for d in report.errors}, rid
    if kind == "pv2":
        return  # a 2-level guest has no libxc stream to convert to (LEG-GUEST-001)
    src, dst = tmp_path / "legacy.bin", tmp_path / "v3.bin"
    src.write_bytes(data)
    convert(str(src), str(dst), legacy_width=64, legacy_guest="pv", verify=False)
    converted = check_bytes(dst.read_bytes())
    assert rid in {d.rule for d in converted.errors}, [d.rule for d in converted.errors]


def test_pending_names_exactly_the_cells_left_out() -> None:
    order = legacy.old_pv_order()
    assert 0 < legacy.OLD_PV_EMIT <= len(order)
    left: dict[str, set[tuple[str, str]]] = {}
    for rid, kind in order[legacy.OLD_PV_EMIT :]:
        left.setdefault(rid, set()).add((CELL[kind], "legacy"))
    for rid, _kind in order:
        pending = PENDING.get(rid, ((), ""))[0]
        assert set(pending) == left.get(rid, set()), rid
        if rid in left:
            assert "corpus budget" in PENDING[rid][1] and "OLD_PV_EMIT" in PENDING[rid][1]
    # PV-SIF-002 has its own legacy cases (tests/test_legacy_start_info.py): no legacy
    # cell of it is pending any more
    assert "PV-SIF-002" not in {rid for rid, _ in order}
    assert not [c for c in PENDING.get("PV-SIF-002", ((), ""))[0] if c[1] == "legacy"]


def test_the_legacy_checker_points_at_the_tail_field() -> None:
    s = small(64, "pv", levels=4)
    add_xsave(s.image)  # the small base has no XSAVE state
    tail = s.image.checkpoints[0].tail
    ext = bytearray(tail.extended[0])
    struct.pack_into("<I", ext, 4, 24)
    tail.extended[0] = bytes(ext)
    mask, area = tail.xsave[0]
    xs = bytearray(area)
    struct.pack_into("<Q", xs, 528, 0x207)  # xstate_bv beyond xcr0_accum 0x7
    tail.xsave[0] = (mask, bytes(xs))
    data = encode(s.image)
    got = {d.rule: d.offset for d in check_bytes(data).errors}
    assert struct.unpack_from("<I", data, got["PV-EXT-001"])[0] == 24
    assert struct.unpack_from("<Q", data, got["PV-XSV-003"])[0] == 0x207
