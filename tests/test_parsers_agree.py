"""The generated Python and JavaScript parsers read every sample image the same way,
and what they read is what the sample was built from.

Expected values come from the model each sample was built from (xensave.samples),
never from either parser.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from xensave import kaitai_tree, samples
from xensave.bodies import has_data, split_pfn_entry
from xensave.constants import DomainType, XcRecType
from xensave.model import LibxcStream, LibxlStream, Record, XlFile

ROOT = Path(__file__).resolve().parents[1]
DUMP_JS = ROOT / "conformance" / "adapters" / "kaitai-js" / "dump.js"
NODE = shutil.which("node")

VALID = samples.valid_samples()
BROKEN = samples.broken_samples()

pytestmark = pytest.mark.skipif(
    NODE is None or not (ROOT / "node_modules" / "kaitai-struct").is_dir(),
    reason="node and `npm ci` are needed (tox's py env runs npm ci; this is never skipped there)",
)


def js_tree(path: Path, layer: str) -> tuple[int, Any]:
    assert NODE is not None
    proc = subprocess.run(
        [NODE, str(DUMP_JS), str(path), "--type", layer],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout)


def py_tree(data: bytes, layer: str) -> tuple[int, Any]:
    try:
        return 0, kaitai_tree.tree(kaitai_tree.parse(data, layer))
    except Exception as exc:  # the parser's rejection, whatever the runtime raises
        return 1, kaitai_tree.error_tree(exc)


def _libxc_models(image: XlFile | LibxlStream | LibxcStream) -> list[LibxcStream]:
    if isinstance(image, XlFile):
        assert isinstance(image.payload, LibxlStream)
        image = image.payload
    if isinstance(image, LibxlStream):
        return [i for i in image.items if isinstance(i, LibxcStream)]
    return [image]


def _libxc_trees(t: dict[str, Any], layer: str) -> list[dict[str, Any]]:
    if layer == "xl":
        t = t["stream"]
    if layer in ("xl", "libxl"):
        return [r["libxc_stream"] for r in t["records"] if "libxc_stream" in r]
    return [t]


def _entry(e: dict[str, Any]) -> tuple[int, int, int]:
    """(pfn, type, reserved) from a tree entry, whatever the byte order suffix."""
    f = {k.rsplit("_", 1)[0]: v for k, v in e.items()}
    return f["pfn_high"] << 32 | f["pfn_low"], f["page_type"], f["reserved"]


@pytest.mark.parametrize("sample", VALID, ids=[s.name for s in VALID])
def test_python_and_javascript_agree_with_the_model(sample: samples.Sample, tmp_path: Path) -> None:
    path = tmp_path / f"{sample.name}.bin"
    path.write_bytes(sample.data)
    js_rc, js = js_tree(path, sample.layer)
    py_rc, py = py_tree(sample.data, sample.layer)
    assert (js_rc, py_rc) == (0, 0), (js, py)
    assert js == py

    model = samples.build(
        sample.guest, sample.version, sample.layer, big_endian="big-endian" in sample.name
    )
    if isinstance(model, XlFile):
        assert py["magic"] == model.magic.hex()
        assert py["header"]["mandatory_flags"] == model.effective_mandatory_flags()
        assert py["header"]["optional_data"]["len_config"] == len(model.config or b"")
    xc_model = _libxc_models(model)[0]
    xc_tree = _libxc_trees(py, sample.layer)[0]
    assert xc_model.image_header is not None and xc_model.domain_header is not None
    assert xc_tree["image_header"]["version"] == sample.version
    assert xc_tree["image_header"]["options"] == xc_model.image_header.options
    dom = xc_tree["section"]["domain_header"]
    expected_type = DomainType.X86_HVM if sample.guest == "hvm" else DomainType.X86_PV
    assert dom["guest_type"] == expected_type
    assert (dom["xen_major"], dom["xen_minor"]) == (
        xc_model.domain_header.xen_major,
        xc_model.domain_header.xen_minor,
    )
    endian = ">" if xc_model.image_header.big_endian else "<"
    recs = xc_tree["section"]["records"]
    assert [r["rec_type"] for r in recs] == [r.type for r in xc_model.records]
    for rec_tree, rec in zip(recs, xc_model.records, strict=True):
        assert rec_tree["len_body"] == len(rec.body_bytes(endian))
        if rec.type == XcRecType.PAGE_DATA:
            _check_page_data(rec_tree["body"], rec, endian)


def _check_page_data(body: dict[str, Any], rec: Record, endian: str) -> None:
    raw = rec.body_bytes(endian)
    count = int.from_bytes(raw[:4], "little" if endian == "<" else "big")
    entries = [
        int.from_bytes(raw[8 + 8 * i : 16 + 8 * i], "little" if endian == "<" else "big")
        for i in range(count)
    ]
    assert body["num_pfns"] == count
    assert [_entry(e) for e in body["pfns"]] == [split_pfn_entry(e) for e in entries]
    page_hashes = []
    offset = 8 + 8 * count
    for e in entries:
        if has_data(split_pfn_entry(e)[1]):
            page_hashes.append(hashlib.sha256(raw[offset : offset + 4096]).hexdigest())
            offset += 4096
    got = [p["page"]["sha256"] for p in body["pages"] if "page" in p]
    assert got == page_hashes


@pytest.mark.parametrize("case", BROKEN, ids=[c[0].name for c in BROKEN])
def test_both_parsers_reject_broken_headers(
    case: tuple[samples.Sample, str], tmp_path: Path
) -> None:
    sample, what = case
    path = tmp_path / f"{sample.name}.bin"
    path.write_bytes(sample.data)
    js_rc, js = js_tree(path, sample.layer)
    py_rc, py = py_tree(sample.data, sample.layer)
    assert js_rc == 1 and py_rc == 1, f"{what} was accepted"
    assert js["kind"] == py["kind"]
    assert py["kind"].startswith("Validation"), py  # a `valid:` check, not running out of bytes


def test_truncated_stream_is_an_eof_error_in_both(tmp_path: Path) -> None:
    sample = VALID[0]
    cut = sample.data[: len(sample.data) - 5]
    path = tmp_path / "cut.bin"
    path.write_bytes(cut)
    js_rc, js = js_tree(path, sample.layer)
    py_rc, py = py_tree(cut, sample.layer)
    assert (js_rc, py_rc) == (1, 1)
    assert js["kind"] == py["kind"] == "EOFError"
