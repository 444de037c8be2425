"""``xensave conformance coverage``: the rules x cells matrix and its exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "conformance" / "manifest.json"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xensave", "conformance", "coverage", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_coverage_of_the_corpus_passes_and_names_the_cells() -> None:
    out = _run("--manifest", str(MANIFEST))
    assert out.returncode == 0, out.stdout + out.stderr
    head = out.stdout.splitlines()[0].split()
    assert head[0] == "rule" and "x86_32" in head and "legacy" in head
    assert "MUST rule cells without a failing case" in out.stdout


def test_coverage_json_counts_cases_by_cell() -> None:
    out = _run("--manifest", str(MANIFEST), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    page = next(r for r in data["rules"] if r["rule"] == "XC-PAGE-006")
    manifest = json.loads(MANIFEST.read_text())
    want = sum(
        1
        for c in manifest["cases"]
        if "XC-PAGE-006" in c["rules"]
        and c["name"].startswith("n_")
        and (c["guest"], c["version"]) == ("x86_32-pv", 2)
    )
    assert want and page["cells"]["x86_32-pv/v2"]["n"] == want
    assert page["cells"]["x86_32-pae-pv/legacy"]["applies"] is False
    hdr = next(r for r in data["rules"] if r["rule"] == "LEG-HDR-002")  # 64-bit words only
    assert hdr["cells"]["hvm/legacy-64"]["applies"] and hdr["cells"]["hvm/legacy-64"]["n"]
    assert not hdr["cells"]["hvm/legacy-32"]["applies"]
    pvi = next(r for r in data["rules"] if r["rule"] == "XC-PVI-001")
    assert pvi["cells"]["hvm/v3"]["applies"] is False


def test_a_missing_cell_fails_and_is_named(tmp_path: Path) -> None:
    manifest = json.loads(MANIFEST.read_text())
    manifest["cases"] = [
        c
        for c in manifest["cases"]
        if not ("XC-VER-001" in c["rules"] and (c["guest"], c["version"]) == ("hvm", 2))
    ]
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    out = _run("--manifest", str(path))
    assert out.returncode == 1
    assert "XC-VER-001: HVM v2" in out.stdout


# --- the harness groups results by cell ---------------------------------------------------


def test_a_failure_in_one_cell_is_reported_as_that_cell_only() -> None:
    """A testee wrong only on x86_32 PV v2: the summary says "XC-PAGE-006 ... in x86_32
    PV v2 only", -v lists the cells, and the JSON counts by cell and by rule and cell."""
    import io

    sys.path.insert(0, str(ROOT / "tests"))
    from testees.support import go, impl

    from xensave.conformance.report import to_json, write_terminal

    wrong = "n_libxc-v2_x86_32-pv_page-data-page-missing"
    result = go(
        MANIFEST,
        [impl("w", f"wrong:{wrong}")],
        names=["n_libxc-*_page-data-page-missing"],
    )
    out = io.StringIO()
    write_terminal(result, out, verbose=True)
    text = out.getvalue()
    assert "XC-PAGE-006 (MUST): 1 fail in x86_32 PV v2 only (passes in 5 other cells)" in text
    assert "by cell (guest, stream):" in text
    assert "x86_32 PV v2      fail 1" in text
    data = to_json(result)["implementations"][0]
    assert data["cells"]["x86_32 PV v2"] == {"fail": 1}
    assert data["cells"]["HVM v3"] == {"pass": 1}
    assert data["rule_cells"]["XC-PAGE-006"]["x86_32 PV v2"] == {"fail": 1}


def test_the_html_matrix_has_a_table_by_cell() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from testees.support import go, impl

    from xensave.conformance.html import render_html

    wrong = "n_libxc-v2_x86_32-pv_page-data-page-missing"
    result = go(MANIFEST, [impl("w", f"wrong:{wrong}")], names=["n_libxc-*_page-data-page-missing"])
    page = render_html(result)
    table = page.split('<h2 id="cells">', 1)[1].split("</table>", 1)[0]
    rows = {r.split("</th>")[0]: r for r in table.split("<tr><th>")[1:]}
    assert "1 fail" in rows["x86_32 PV v2"] and "XC-PAGE-006" in rows["x86_32 PV v2"]
    assert "1 pass" in rows["HVM v3"] and "XC-PAGE-006" not in rows["HVM v3"]


def test_the_docs_page_shows_every_rule_and_the_gaps() -> None:
    from xensave.conformance.coverage import CELLS, coverage, render_markdown
    from xensave.conformance.manifest import load_manifest
    from xensave.rules import OUTER, load_rules

    page = render_markdown(coverage(load_manifest(MANIFEST).cases))
    cells, layers = page.split("## By outer layer")
    rows = [ln for ln in cells.splitlines() if ln.startswith(("| XC-", "| HVM-"))]
    assert rows and all(ln.count("|") == 3 + len(CELLS) for ln in rows)
    rows = [ln for ln in layers.splitlines() if ln.startswith("| XC-")]
    assert rows and all(ln.count("|") == 2 + len(OUTER) for ln in rows)
    row = next(ln for ln in rows if ln.startswith("| XC-PAGE-005 |")).split(" | ")
    assert "**!**" not in row[1 + OUTER.index("xapi")]  # its XAPI-wrapped case
    assert "**!**" not in row[1 + OUTER.index("libxl")]  # a wrapped copy
    # a PV-only rule: its PV home's copies in every outer layer
    row = next(ln for ln in rows if ln.startswith("| XC-PVI-001 |")).split(" | ")
    for outer in ("libxl", "xl", "libvirt", "xapi"):
        assert "**!**" not in row[1 + OUTER.index(outer)], outer
    # a checkpoint rule in XAPI (xenopsd restores plain streams): exempt, no mark
    row = next(ln for ln in rows if ln.startswith("| XC-CKPT-001 |")).split(" | ")
    assert row[1 + OUTER.index("xapi")] == "0/0/0"
    image = [r for r in load_rules().values() if r.subject == "image"]
    for r in image:
        assert f"| {r.id} | {r.level} |" in page, r.id
    assert "## Pending cells" in page and "## Exempt cells" in page
    assert "_gen/coverage" in (ROOT / "docs" / "index.md").read_text()
