"""The reference tools and the generated Kaitai parser agree: same verdict on every
sample, same records, same field values.

Two independent readings of one image (hand-written reader + bodies, and the parser
generated from the normative ksy) must not drift apart.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from kaitaistruct import ValidationFailedError

from xensave import kaitai_tree, samples
from xensave.bodies import HvmParams, PageData, PvInfo, TscInfo
from xensave.checker import check_bytes
from xensave.constants import XcRecType
from xensave.reader import (
    LibxlHeader,
    Reader,
    RecordEvent,
    XcDomainHeader,
    XcImageHeader,
)

VALID = samples.valid_samples()
BROKEN = samples.broken_samples()


def _flatten(t: dict[str, Any], layer: str) -> list[tuple[str, dict[str, Any]]]:
    """(layer, record tree) in stream order, libxc records placed where they occur."""
    out: list[tuple[str, dict[str, Any]]] = []

    def libxc(xc: dict[str, Any]) -> None:
        out.extend(("libxc", r) for r in xc["section"]["records"])

    if layer == "libxc":
        libxc(t)
        return out
    stream = t["stream"] if layer == "xl" else t
    for r in stream["records"]:
        out.append(("libxl", r))
        if "libxc_stream" in r:
            libxc(r["libxc_stream"])
    return out


@pytest.mark.parametrize("sample", VALID, ids=[s.name for s in VALID])
def test_same_records_and_fields(sample: samples.Sample) -> None:
    report = check_bytes(sample.data)
    tree = kaitai_tree.tree(kaitai_tree.parse(sample.data, sample.layer))
    assert report.valid, [d.format(sample.name) for d in report.errors]
    assert isinstance(tree, dict)

    events = list(Reader(io.BytesIO(sample.data)))
    recs = [e for e in events if isinstance(e, RecordEvent)]
    k_recs = _flatten(tree, sample.layer)
    assert [(e.layer, e.type, e.length) for e in recs] == [
        (lay, r["rec_type"], r["len_body"]) for lay, r in k_recs
    ]

    ih = next(e for e in events if isinstance(e, XcImageHeader))
    dh = next(e for e in events if isinstance(e, XcDomainHeader))
    xc_tree = _libxc_tree(tree, sample.layer)
    assert (ih.version, ih.options) == (
        xc_tree["image_header"]["version"],
        xc_tree["image_header"]["options"],
    )
    kd = xc_tree["section"]["domain_header"]
    assert (dh.type, dh.page_shift, dh.xen_major, dh.xen_minor) == (
        kd["guest_type"],
        kd["page_shift"],
        kd["xen_major"],
        kd["xen_minor"],
    )
    lh = [e for e in events if isinstance(e, LibxlHeader)]
    if lh:
        k_libxl = tree["stream"] if sample.layer == "xl" else tree
        assert (lh[0].version, lh[0].options) == (k_libxl["version"], k_libxl["options"])

    for ev, (_, kr) in zip(recs, k_recs, strict=True):
        if ev.layer != "libxc":
            continue
        body = kr["body"]
        if ev.type == XcRecType.PAGE_DATA:
            count, _, entries = PageData.decode_header(ev.body, ev.endian)
            assert count == body["num_pfns"] == len(body["pfns"])
            assert len(entries) == count
        elif ev.type == XcRecType.X86_PV_INFO:
            pv = PvInfo.decode(ev.body, ev.endian)
            assert (pv.guest_width, pv.pt_levels) == (body["guest_width"], body["pt_levels"])
        elif ev.type == XcRecType.X86_TSC_INFO:
            tsc = TscInfo.decode(ev.body, ev.endian)
            assert (tsc.mode, tsc.khz, tsc.nsec, tsc.incarnation) == (
                body["mode"],
                body["khz"],
                body["nsec"],
                body["incarnation"],
            )
        elif ev.type == XcRecType.HVM_PARAMS:
            hp = HvmParams.decode(ev.body, ev.endian)
            k_params = [(p["index"], p["value"]) for p in body["params"]]
            assert [(i, v if v < 2**53 else str(v)) for i, v in hp.params] == k_params


def _libxc_tree(tree: dict[str, Any], layer: str) -> dict[str, Any]:
    if layer == "libxc":
        return tree
    stream = tree["stream"] if layer == "xl" else tree
    found: dict[str, Any] = next(
        r["libxc_stream"] for r in stream["records"] if "libxc_stream" in r
    )
    return found


@pytest.mark.parametrize("case", BROKEN, ids=[c[0].name for c in BROKEN])
def test_same_verdict_on_broken_headers(case: tuple[samples.Sample, str]) -> None:
    sample, what = case
    report = check_bytes(sample.data)
    assert not report.valid, what
    with pytest.raises(ValidationFailedError):
        kaitai_tree.parse(sample.data, sample.layer)
