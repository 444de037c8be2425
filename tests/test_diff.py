"""xensave diff: two images built with known differences report exactly those.

Images are built through the writer from the samples, then changed in one place each;
the expected report is what was changed (values written by the test itself, register
offsets from Xen's vcpu_guest_context and hvm_hw_cpu layouts), never what the code
under test computes.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from xensave import cli, diff, samples
from xensave.bodies import CpuidPolicy, HvmParams, PageData, VcpuContext, pfn_entry
from xensave.constants import HvmParam, PageType, XcRecType
from xensave.model import DomainHeader, ImageHeader, LibxcStream, Record, XlFile
from xensave.writer import RecordWriter, encode_domain_header, encode_image_header, to_bytes

CORPUS = Path(__file__).resolve().parent.parent / "conformance" / "corpus"


def _xc(image: XlFile) -> LibxcStream:
    payload = image.payload
    assert not isinstance(payload, bytes)
    return next(i for i in payload.items if isinstance(i, LibxcStream))


def _hvm_xl() -> XlFile:
    image = samples.build("hvm", 3, "xl")
    assert isinstance(image, XlFile)
    return image


def _rec(xc: LibxcStream, rtype: int) -> Record:
    return next(r for r in xc.records if r.type == rtype)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = cli.main(["diff", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def write(tmp_path: Path, name: str, data: bytes) -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def json_diff(capsys: pytest.CaptureFixture[str], a: str, b: str) -> tuple[int, dict]:
    rc, out, err = run(capsys, "--json", a, b)
    assert err == ""
    return rc, json.loads(out)


# --- the same --------------------------------------------------------------------


def test_byte_identical_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = samples.valid_samples()[3].data
    a, b = write(tmp_path, "a", data), write(tmp_path, "b", data)
    rc, out, _ = run(capsys, a, b)
    assert rc == 0
    assert out == f"{a} and {b} are identical (byte for byte)\n"
    assert json_diff(capsys, a, b) == (0, {"a": a, "b": b, "same": True, "byte_identical": True})


@pytest.mark.parametrize("sample", samples.valid_samples(), ids=lambda s: s.name)
def test_an_image_read_twice_has_no_differences(sample: samples.Sample) -> None:
    import io

    a = diff.collect(io.BytesIO(sample.data), "a")
    b = diff.collect(io.BytesIO(sample.data), "b")
    assert diff.compare(a, b) == {}
    assert a.pages.count > 0 and a.regs  # the comparison did look at pages and registers


def test_a_pipe_against_the_same_file(tmp_path: Path) -> None:
    data = to_bytes(_hvm_xl())
    path = write(tmp_path, "a.xl", data)
    p = subprocess.run(
        [sys.executable, "-m", "xensave", "diff", "-", path],
        input=data,
        capture_output=True,
        check=False,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.endswith(b": no differences\n")


# --- known differences ----------------------------------------------------------


def test_known_differences_are_reported_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_img, b_img = _hvm_xl(), _hvm_xl()
    cfg = json.loads(b_img.config.rstrip(b"\x00"))  # type: ignore[union-attr]
    cfg["b_info"]["max_memkb"] = 262144  # same number of digits: no header length changes
    cfg["c_info"]["pool"] = "fast"
    b_img.config = json.dumps(cfg, sort_keys=True, indent=4).encode() + b"\x00"
    xc = _xc(b_img)
    params = _rec(xc, XcRecType.HVM_PARAMS)
    assert isinstance(params.body, HvmParams)
    params.body.params = [
        (i, 0xFEFF0 if i == HvmParam.STORE_PFN else v) for i, v in params.body.params
    ]
    cpuid = _rec(xc, XcRecType.X86_CPUID_POLICY)
    assert isinstance(cpuid.body, CpuidPolicy)
    cpuid.body.leaves = [
        (lf, sub, a, b ^ 0x40 if lf == 7 else b, c, d) for lf, sub, a, b, c, d in cpuid.body.leaves
    ]
    xc.records.remove(_rec(xc, XcRecType.X86_MSR_POLICY))
    pages = _rec(xc, XcRecType.PAGE_DATA)
    assert isinstance(pages.body, PageData)
    pages.body.pages[3] = b"\xaa" * 4096  # the 4th data page: pfn 3 of the low run
    pages.body.entries.append(pfn_entry(0x200, PageType.NOTAB))
    pages.body.pages.append(b"\x55" * 4096)

    a = write(tmp_path, "a.xl", to_bytes(a_img))
    b = write(tmp_path, "b.xl", to_bytes(b_img))
    rc, report = json_diff(capsys, a, b)
    assert rc == 1 and report["same"] is False
    d = report["differences"]
    assert set(d) == {
        "headers",
        "config",
        "records",
        "hvm_params",
        "cpuid",
        "msr",
        "page_types",
        "pages",
    }
    grown = len(',\n        "pool": "fast"')  # the key json.dumps(indent=4) adds to c_info
    assert d["headers"] == [
        {"header": "xl_header", "field": f, "a": n, "b": n + grown}
        for f, n in (
            ("optional_data_len", 4 + len(a_img.config or b"")),
            ("config_len", len(a_img.config or b"")),
        )
    ]
    assert d["config"] == [
        {"key": "b_info.max_memkb", "a": 131072, "b": 262144},
        {"key": "c_info.pool", "a": None, "b": "fast", "only_in": "b"},
    ]
    assert d["hvm_params"] == [{"param": "STORE_PFN", "a": 0xFEFFC, "b": 0xFEFF0}]
    ((leaf,),) = [[x["leaf"] for x in d["cpuid"]]]
    assert leaf == "0x7/0x0"
    assert sorted(x["msr"] for x in d["msr"]) == ["0x10a", "0xce"]
    assert all(x["only_in"] == "a" for x in d["msr"])
    r = d["records"]
    assert r["counts"] == [{"record": "libxc X86_MSR_POLICY", "a": 1, "b": 0}]
    assert [x["record"] for x in r["removed"]] == ["libxc X86_MSR_POLICY"]
    assert "added" not in r
    assert sorted(r["bodies_differ"]) == ["libxc HVM_PARAMS", "libxc X86_CPUID_POLICY"]
    assert d["page_types"] == [{"type": "NOTAB", "a": 28, "b": 29}]
    p = d["pages"]
    assert (p["differ"], p["only_in_a"], p["only_in_b"]) == (1, 0, 1)
    assert p["differ_ranges"] == [[3, 3]] and p["only_in_b_ranges"] == [[0x200, 0x200]]
    assert p["same"] == p["a_pfns"] - 1 and p["b_pfns"] == p["a_pfns"] + 1

    rc, text, err = run(capsys, a, b)
    assert rc == 1 and err == ""
    assert "b_info.max_memkb: 131072 -> 262144" in text
    assert "STORE_PFN: 0xfeffc -> 0xfeff0" in text
    assert "1 differ, 0 only in A, 1 only in B" in text
    assert "  differ: 0x3\n" in text and "  only in B: 0x200\n" in text


def test_registers_per_vcpu(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_img = samples.build("x86_64-pv", 3, "xl")
    b_img = samples.build("x86_64-pv", 3, "xl")
    assert isinstance(b_img, XlFile)
    xc = _xc(b_img)
    basic = next(
        r
        for r in xc.records
        if r.type == XcRecType.X86_PV_VCPU_BASIC
        and isinstance(r.body, VcpuContext)
        and r.body.vcpu_id == 1
    )
    assert isinstance(basic.body, VcpuContext)
    ctx = bytearray(basic.body.context)
    # vcpu_guest_context (x86_64): fpu_ctxt 512, flags 8, then cpu_user_regs, whose rip
    # follows fifteen u64 registers and two u32 words: 512 + 8 + 120 + 8 = 648
    struct.pack_into("<Q", ctx, 648, 0xFFFFFFFF81000000)
    basic.body.context = bytes(ctx)
    a = write(tmp_path, "a.xl", to_bytes(a_img))
    b = write(tmp_path, "b.xl", to_bytes(b_img))
    rc, report = json_diff(capsys, a, b)
    assert rc == 1
    d = report["differences"]
    assert set(d) == {"registers", "records"}
    (reg,) = d["registers"]
    assert (reg["vcpu"], reg["register"], reg["b"]) == (1, "rip", 0xFFFFFFFF81000000)
    assert d["records"] == {"bodies_differ": ["libxc X86_PV_VCPU_BASIC vcpu 1"]}


def test_hvm_registers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_img, b_img = _hvm_xl(), _hvm_xl()
    ctx = _rec(_xc(b_img), XcRecType.HVM_CONTEXT)
    blob = bytearray(ctx.body_bytes("<"))
    # descriptors {u16 type, u16 instance, u32 length}: HEADER (type 1), then CPU (2)
    off = 0
    while True:
        code, inst, length = struct.unpack_from("<HHI", blob, off)
        if code == 2 and inst == 0:
            break
        off += 8 + length
    # hvm_hw_cpu: fpu_regs 512, then rax, rbx, rcx, rdx, rbp, rsi, rdi, rsp, r8-r15, rip
    struct.pack_into("<Q", blob, off + 8 + 512 + 16 * 8, 0x1234)
    ctx.body = bytes(blob)
    a = write(tmp_path, "a.xl", to_bytes(a_img))
    b = write(tmp_path, "b.xl", to_bytes(b_img))
    _rc, report = json_diff(capsys, a, b)
    regs = report["differences"]["registers"]
    assert [(x["vcpu"], x["register"], x["b"]) for x in regs] == [(0, "rip", 0x1234)]


def test_added_record_and_header_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_img = samples.libxc_stream("hvm", 3)
    b_img = samples.libxc_stream("hvm", 3)
    assert b_img.domain_header is not None
    b_img.domain_header.xen_minor = 20
    b_img.records.insert(-1, Record(0x80000123, b"extra"))
    a = write(tmp_path, "a", to_bytes(a_img))
    b = write(tmp_path, "b", to_bytes(b_img))
    _rc, report = json_diff(capsys, a, b)
    d = report["differences"]
    assert d["headers"] == [
        {"header": "libxc_domain_header", "field": "xen_minor", "a": 19, "b": 20}
    ]
    added = d["records"]["added"]
    assert [x["record"] for x in added] == ["libxc UNKNOWN_OPTIONAL_0x80000123"]
    assert "removed" not in d["records"]


# --- pages sent several times ------------------------------------------------------


def _stream(pages: list[tuple[int, bytes]]) -> bytes:
    """A libxc v3 HVM stream whose PAGE_DATA records send (pfn, contents) in order."""
    xc = samples.libxc_stream("hvm", 3, small=True)
    recs = [r for r in xc.records if r.type != XcRecType.PAGE_DATA]
    at = next(i for i, r in enumerate(recs) if r.type == XcRecType.STATIC_DATA_END) + 1
    for pfn, data in pages:
        recs.insert(at, Record(XcRecType.PAGE_DATA, PageData([pfn_entry(pfn, 0)], [data])))
        at += 1
    xc.records = recs
    return to_bytes(xc)


def test_the_last_copy_of_a_page_wins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x, y = b"\x01" * 4096, b"\x02" * 4096
    once = write(tmp_path, "once", _stream([(5, y), (6, x)]))
    twice = write(tmp_path, "twice", _stream([(5, x), (6, x), (5, y)]))
    swapped = write(tmp_path, "swapped", _stream([(5, y), (6, x), (5, x)]))
    _rc, report = json_diff(capsys, once, twice)
    d = report["differences"]
    assert "pages" not in d  # pfn 5 ends as y in both
    assert d["records"]["counts"] == [{"record": "libxc PAGE_DATA", "a": 2, "b": 3}]
    _rc, report = json_diff(capsys, once, swapped)
    p = report["differences"]["pages"]
    assert (p["differ"], p["differ_ranges"], p["same"]) == (1, [[5, 5]], 1)


def test_page_type_counts_as_a_difference(tmp_path: Path) -> None:
    import io

    xc_a = samples.libxc_stream("hvm", 3, small=True)
    xc_b = samples.libxc_stream("hvm", 3, small=True)
    rec = _rec(xc_b, XcRecType.PAGE_DATA)
    assert isinstance(rec.body, PageData)
    rec.body.entries[0] = pfn_entry(0, PageType.L1TAB)  # same contents, another type
    a = diff.collect(io.BytesIO(to_bytes(xc_a)), "a")
    b = diff.collect(io.BytesIO(to_bytes(xc_b)), "b")
    d = diff.compare(a, b)
    assert d["pages"]["differ_ranges"] == [[0, 0]]


# --- errors ---------------------------------------------------------------------------


def test_errors_exit_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = str(CORPUS / "y_libxc-v3_hvm_typical.bin")
    broken = str(CORPUS / "n_libxc-v3_hvm_body-length-past-end.bin")
    rc, out, err = run(capsys, good, broken)
    assert rc == 2 and out == ""
    assert "XC-REC-003" in err and "record #5 HVM_CONTEXT" in err and "0x" in err
    rc, _out, err = run(capsys, good, str(tmp_path / "missing"))
    assert rc == 2 and "cannot open" in err
    rc, _out, err = run(capsys, "-", "-")
    assert rc == 2
    for e in (err,):
        assert "Traceback" not in e


def test_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path, "a", samples.valid_samples()[0].data)
    b = write(tmp_path, "b", samples.valid_samples()[1].data)
    assert run(capsys, "-q", a, b) == (1, "", "")
    assert run(capsys, "-q", a, a) == (0, "", "")


# --- memory ---------------------------------------------------------------------------


def _sparse_image(path: Path, npages: int, stride: int, changed: int | None) -> None:
    """A libxc v3 HVM stream of ``npages`` pages ``stride`` pfns apart, in records of 64,
    written record by record (never whole in memory)."""
    with path.open("wb") as f:
        f.write(encode_image_header(ImageHeader(version=3)))
        f.write(encode_domain_header(DomainHeader(), "<"))
        w = RecordWriter(f)
        for rec in samples.hvm_records(3, small=True):
            if rec.type == XcRecType.PAGE_DATA:
                for start in range(0, npages, 64):
                    pfns = [(start + k) * stride for k in range(min(64, npages - start))]
                    entries = struct.pack(f"<{len(pfns)}Q", *(pfn_entry(p, 0) for p in pfns))
                    pages = b"".join(
                        (b"\xee" * 8 if p == changed else struct.pack("<Q", p)) * 512 for p in pfns
                    )
                    w.page_data_record(entries, len(pfns), pages)
            else:
                w.record(rec)


def test_memory_follows_the_pfn_index_not_the_pages(tmp_path: Path) -> None:
    npages, stride = 4096, 1000  # 16 MiB of pages per image, one pfn per index block
    a, b = tmp_path / "a", tmp_path / "b"
    _sparse_image(a, npages, stride, None)
    _sparse_image(b, npages, stride, changed=77 * stride)
    page_bytes = npages * 4096
    tracemalloc.start()
    try:
        d, side_a, side_b = diff.diff_files(str(a), str(b))
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert side_a is not None and side_b is not None
    assert d["pages"]["differ_ranges"] == [[77 * stride, 77 * stride]]
    assert d["pages"]["same"] == npages - 1
    # two indexes of 4096 sparse pfns, a pread batch: far below the 32 MiB of pages
    assert peak < page_bytes // 4, peak


def _valid_corpus() -> list[str]:
    manifest = json.loads((CORPUS.parent / "manifest.json").read_text())
    return [
        c["file"]
        for c in manifest["cases"]
        if c["verdict"] == "accept" and c["layer"] not in ("legacy", "xend")
    ]


@pytest.mark.parametrize("file", _valid_corpus())
def test_every_valid_corpus_image_compares_equal_to_itself(file: str) -> None:
    """Checkpointed streams that stop after a complete checkpoint (XC-CKPT-003) too."""
    path = CORPUS.parent / file
    with path.open("rb") as fa, path.open("rb") as fb:  # files: pages read by pread
        a, b = diff.collect(fa, "a"), diff.collect(fb, "b")
    assert diff.compare(a, b) == {}
    assert a.layers


# --- legacy images ---------------------------------------------------------------------


def test_legacy_files_are_compared_after_conversion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    legacy = sorted(CORPUS.glob("y_legacy-legacy_x86_64-pv_*"))
    hvm = sorted(CORPUS.glob("y_legacy-legacy_hvm_*"))
    converted = tmp_path / "converted.libxl"
    assert cli.main(["convert", "--to", "libxl", str(legacy[0]), str(converted)]) == 0
    capsys.readouterr()
    rc, out, err = run(capsys, str(legacy[0]), str(converted))
    assert (rc, err) == (0, "")
    assert "compared after conversion to a libxl stream" in out
    assert out.endswith(": no differences\n")
    rc, report = json_diff(capsys, str(legacy[0]), str(hvm[0]))
    assert rc == 1
    # convert turns a legacy image into a v3 stream (README: legacy -> v3)
    assert report["layers"] == {"a": ["libxl", "libxc v3"], "b": ["libxl", "libxc v3"]}
    assert len(report["notes"]) == 2
    assert {"pages", "records"} <= set(report["differences"])


def test_legacy_image_on_a_pipe_is_refused() -> None:
    legacy = next(CORPUS.glob("y_legacy-*"))
    p = subprocess.run(
        [sys.executable, "-m", "xensave", "diff", "-", str(CORPUS / "y_libxc-v3_hvm_typical.bin")],
        input=legacy.read_bytes(),
        capture_output=True,
        check=False,
    )
    assert p.returncode == 2 and p.stdout == b""
    assert b"legacy" in p.stderr and b"convert" in p.stderr and b"Traceback" not in p.stderr
