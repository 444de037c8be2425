"""bench/bench.py's sparse images measure what docs/performance.md says they do: a
valid image of the size asked for, whose page contents are zero pages that take no
disk, and a twin that differs from it in exactly one page."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from xensave.checker import check_stream
from xensave.diff import diff_files

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "bench") not in sys.path:  # the benches are scripts, outside the package
    sys.path.insert(0, str(ROOT / "bench"))

import bench  # noqa: E402

SIZE = 64 << 20  # 16 PAGE_DATA records of 1024 pages


@pytest.mark.parametrize("wrap", ["libxc", "xl"])
def test_sparse_image_is_valid_and_sparse(tmp_path: Path, wrap: str) -> None:
    path = tmp_path / f"img.{wrap}"
    length = bench.write_sparse_image(path, SIZE, wrap)
    assert length == path.stat().st_size > SIZE
    with open(path, "rb") as f:
        report = check_stream(f)
    assert report.valid, [d.message for d in report.errors]
    assert report.layer == wrap
    # 16 records of headers and pfn lists (8 KiB each) and the small records: the
    # pages themselves are holes
    assert bench.disk_use(path) < SIZE // 16


def test_twin_differs_in_one_page(tmp_path: Path) -> None:
    a, b = tmp_path / "a.xc", tmp_path / "b.xc"
    bench.write_sparse_image(a, SIZE)
    bench.write_sparse_image(b, SIZE)
    bench.write_page_difference(b)
    d, _sa, _sb = diff_files(str(a), str(b))
    pages = d["pages"]
    pfns = SIZE // bench.PAGE
    assert (pages["a_pfns"], pages["b_pfns"], pages["same"]) == (pfns, pfns, pfns - 1)
    assert pages["differ_ranges"] == [[0, 0]]
    assert set(d) == {"pages"}
