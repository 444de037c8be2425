"""The ``xensave`` command, run as users run it: ``python -m xensave ...`` in a
subprocess. Exit codes 0/1/2, output formats, stdin, and no traceback, ever."""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from xensave import samples
from xensave.bodies import PageData
from xensave.constants import XAPI_MAGIC, PageType, XcRecType
from xensave.model import Record
from xensave.writer import to_bytes

VALID = samples.valid_samples()
BROKEN = samples.broken_samples()
HAVE_CHECKER = (Path(__file__).parent.parent / "xensave" / "checker.py").exists()
needs_checker = pytest.mark.skipif(not HAVE_CHECKER, reason="xensave.checker not there yet")


def xensave(
    *args: str | Path,
    stdin: bytes | Path | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "xensave", *map(str, args)]
    env = {**os.environ, "XENSAVE_TRACEBACK": ""}
    if isinstance(stdin, Path):
        with stdin.open("rb") as f:
            out = subprocess.run(cmd, stdin=f, capture_output=True, timeout=120, cwd=cwd, env=env)
    else:
        out = subprocess.run(
            cmd,
            input=stdin if stdin is not None else b"",
            capture_output=True,
            timeout=120,
            cwd=cwd,
            env=env,
        )
    result = subprocess.CompletedProcess(
        out.args,
        out.returncode,
        out.stdout.decode("utf-8", "replace"),
        out.stderr.decode("utf-8", "replace"),
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout
    return result


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("images")
    out = {}
    for s in VALID:
        out[s.name] = d / f"{s.name}.bin"
        out[s.name].write_bytes(s.data)
    for s, _what in BROKEN:
        out[s.name] = d / f"{s.name}.bin"
        out[s.name].write_bytes(s.data)
    return out


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


# --- the command itself -------------------------------------------------------------


def test_version() -> None:
    r = xensave("--version")
    assert r.returncode == 0 and re.fullmatch(r"xensave \d+\.\d+\.\d+\n", r.stdout)


@pytest.mark.parametrize("cmd", [[], ["verify"], ["dump"]], ids=["main", "verify", "dump"])
def test_help(cmd: list[str]) -> None:
    r = xensave(*cmd, "--help")
    assert r.returncode == 0
    assert "usage: xensave" in r.stdout and "examples:" in r.stdout
    assert "exit status" in r.stdout


@pytest.mark.parametrize(
    "args",
    [[], ["frobnicate"], ["verify"], ["dump"], ["verify", "--json", "-q", "x"], ["dump", "-x"]],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    r = xensave(*args)
    assert r.returncode == 2 and r.stdout == ""
    assert "usage: xensave" in r.stderr and "error:" in r.stderr


@pytest.mark.parametrize("cmd", ["verify", "dump"])
def test_missing_file_is_one_line_exit_2(cmd: str, tmp_path: Path) -> None:
    r = xensave(cmd, tmp_path / "nope.xl")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "nope.xl" in r.stderr
    assert "No such file" in r.stderr


@pytest.mark.parametrize("cmd", ["verify", "dump"])
def test_directory_is_exit_2(cmd: str, tmp_path: Path) -> None:
    r = xensave(cmd, tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1


def test_python_dash_m_and_console_script_agree(files: dict[str, Path]) -> None:
    script = Path(sys.executable).with_name("xensave")
    if not script.exists():
        pytest.skip("console script not installed in this environment")
    a = subprocess.run([script, "dump", files["xl-v3_hvm"]], capture_output=True, text=True)
    b = xensave("dump", files["xl-v3_hvm"])
    assert a.returncode == b.returncode == 0 and a.stdout == b.stdout


# --- dump -------------------------------------------------------------------------


def test_dump_lists_layers_and_records(files: dict[str, Path]) -> None:
    r = xensave("dump", files["xl-v3_hvm"])
    assert r.returncode == 0 and r.stderr == ""
    out = r.stdout
    assert out.startswith("0x00000000  xl save file: byteorder 0x01020304")
    for text in (
        "libxl stream: ident 'LibxlFmt', version 2",
        "#0 LIBXC_CONTEXT",
        "libxc stream: marker 0xffffffffffffffff, id 'XENF', version 3",
        "domain: X86_HVM, page_shift 12, saved by Xen 4.19",
        "#0 X86_CPUID_POLICY (96 bytes): 4 leaves",
        "#1 X86_MSR_POLICY (32 bytes): 2 MSRs",
        "#3-#4 PAGE_DATA x2: 30 pfns 0x0-0x100000, 28 pages, types: NOTAB 28, XALLOC 1, XTAB 1",
        "X86_TSC_INFO (24 bytes): mode DEFAULT, 2400000 kHz",
        "HVM_CONTEXT (2136 bytes): 6 descriptors: HEADER, CPU x2, PIC x2, END",
        "HVM_PARAMS (120 bytes): 7 params",
        "STORE_PFN = 0xfeffc",
        "EMULATOR_XENSTORE_DATA (59 bytes): emulator QEMU_UPSTREAM, index 0, 2 xenstore keys",
        "state = running",
        "#3 END",
    ):
        assert text in out, text
    # offsets are real: the PAGE_DATA run starts where the record does
    m = re.search(r"^(0x[0-9a-f]+)\s+#3-#4 PAGE_DATA", out, re.M)
    assert m is not None
    data = files["xl-v3_hvm"].read_bytes()
    assert struct.unpack_from("<II", data, int(m.group(1), 16))[0] == XcRecType.PAGE_DATA


def test_dump_pv_fields(files: dict[str, Path]) -> None:
    out = xensave("dump", files["libxc-v3_x86_64-pv"]).stdout
    assert "X86_PV_INFO (8 bytes): guest width 8 (64-bit), 4 page-table levels" in out
    assert "X86_PV_P2M_FRAMES (16 bytes): p2m pfns 0x0-0x1f, 1 frame" in out
    assert "X86_PV_VCPU_BASIC (5176 bytes): vcpu 1, context 5168 bytes" in out
    assert (
        "32 pfns 0x0-0x1f, 29 pages, types: NOTAB 25, L1TAB 1, L2TAB 1, L3TAB 1, L4TAB_PIN 1" in out
    )


def test_dump_all_shows_each_page_data_record(files: dict[str, Path]) -> None:
    out = xensave("dump", "--all", files["libxc-v3_hvm"]).stdout
    assert "#3 PAGE_DATA (98504 bytes): 24 pfns 0x0-0x17, 24 pages, types: NOTAB 24" in out
    assert "#4 PAGE_DATA (16440 bytes): 6 pfns 0xfeffb-0x100000, 4 pages" in out
    assert "PAGE_DATA x" not in out


def test_dump_run_summary_of_many_records(tmp_path: Path) -> None:
    xc = samples.libxc_stream("hvm", 3)
    runs = [
        Record(XcRecType.PAGE_DATA, PageData.of([(p, PageType.NOTAB) for p in range(b, b + 4)]))
        for b in range(0, 400, 4)
    ]
    xc.records[3:5] = runs
    path = _file(tmp_path, "many.xc", to_bytes(xc))
    out = xensave("dump", path).stdout
    assert "#3-#102 PAGE_DATA x100: 400 pfns 0x0-0x18f, 400 pages, types: NOTAB 400" in out
    assert len(xensave("dump", "--all", path).stdout.splitlines()) > 100


def test_dump_json(files: dict[str, Path]) -> None:
    r = xensave("dump", "--json", files["xl-v3_hvm"])
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert doc["complete"] is True and doc["error"] is None
    assert doc["size"] == files["xl-v3_hvm"].stat().st_size
    kinds = [i["kind"] for i in doc["items"]]
    assert kinds[:5] == [
        "xl_header",
        "libxl_header",
        "record",
        "libxc_image_header",
        "libxc_domain_header",
    ]
    records = [i for i in doc["items"] if i["kind"] == "record"]
    pd = [i for i in records if i["name"] == "PAGE_DATA"]
    assert len(pd) == 2  # every record in JSON, no folding
    assert pd[0]["fields"]["pfn_min"] == 0 and pd[0]["fields"]["pages"] == 24
    params = next(i for i in records if i["name"] == "HVM_PARAMS")["fields"]["params"]
    assert {"index": 1, "name": "STORE_PFN", "value": 0xFEFFC} in params


def test_dump_stdin_file_and_pipe(files: dict[str, Path]) -> None:
    path = files["xl-v2_x86_32-pv"]
    want = xensave("dump", path).stdout
    assert xensave("dump", "-", stdin=path).stdout == want  # stdin is a regular file
    assert xensave("dump", "-", stdin=path.read_bytes()).stdout == want  # a pipe


def test_dump_truncated_is_exit_1_with_located_error(
    files: dict[str, Path], tmp_path: Path
) -> None:
    data = files["xl-v3_hvm"].read_bytes()
    path = _file(tmp_path, "cut.xl", data[:3000])
    r = xensave("dump", path)
    assert r.returncode == 1
    assert "#2 STATIC_DATA_END" in r.stdout  # the listing goes as far as it can
    assert r.stderr.count("\n") == 1
    assert re.match(
        r"xensave: .*cut\.xl:0x1c5: record #3 PAGE_DATA: XC-REC-003: body_length 98504 but only",
        r.stderr,
    )
    doc = json.loads(xensave("dump", "--json", path).stdout)
    assert doc["complete"] is False and doc["error"]["rule"] == "XC-REC-003"


def test_dump_wrappers(tmp_path: Path) -> None:
    stream = to_bytes(samples.build("hvm", 3, "libxc"))
    xenops = b"((time 20240101T00:00:00Z)(word_size 64))"
    xapi = (
        XAPI_MAGIC
        + struct.pack("<QQ", 0x000F, len(xenops))
        + xenops
        + struct.pack("<QQ", 0x00F0, 0)
        + stream
        + struct.pack("<QQ", 0xFFFF, 0)
    )
    out = xensave("dump", _file(tmp_path, "x.img", xapi)).stdout
    assert "XAPI section XENOPS (type 0x000f), length 41: ((time 20240101T00:00:00Z)" in out
    assert "XAPI section LIBXC (type 0x00f0), length 0" in out
    assert "XAPI section END_OF_IMAGE" in out
    xml = b"<domain><name>guest7</name></domain>\x00"
    libvirt = (
        b"libvirt-xml\n \x00 \r"
        + struct.pack("<II", 2, len(xml))
        + bytes(40)
        + xml
        + to_bytes(samples.build("hvm", 3, "libxl"))
    )
    out = xensave("dump", _file(tmp_path, "v.save", libvirt)).stdout
    assert "libvirt save file: version 2, XML 37 bytes (domain 'guest7')" in out


def test_dump_legacy_refused(tmp_path: Path) -> None:
    path = _file(tmp_path, "old.img", struct.pack("<Q", 0x40000) + b"\xff" * 8 + bytes(64))
    r = xensave("dump", path)
    assert r.returncode == 1 and "legacy" in r.stderr and "none of its four variants" in r.stderr


def test_dump_broken_pipe_is_quiet(tmp_path: Path) -> None:
    xc = samples.libxc_stream("hvm", 3)
    xc.records[3:5] = [
        Record(XcRecType.PAGE_DATA, PageData.of([(p, PageType.NOTAB)], fill=b"\x00"))
        for p in range(3000)
    ]
    path = _file(tmp_path, "long.xc", to_bytes(xc))
    proc = subprocess.Popen(
        [sys.executable, "-m", "xensave", "dump", "--all", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(60) == 2
    assert err == ""


def test_input_untouched_and_nothing_written(files: dict[str, Path], tmp_path: Path) -> None:
    path = files["xl-v3_hvm"]
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    work = tmp_path / "cwd"
    work.mkdir()
    runs: list[list[str | Path]] = [
        ["dump", path],
        ["dump", "--json", path],
        ["dump", "--all", path],
    ]
    for args in runs:
        xensave(*args, cwd=work)
    if HAVE_CHECKER:
        xensave("verify", path, cwd=work)
        xensave("verify", "--json", path, cwd=work)
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) == before
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("name", [s.name for s, _ in BROKEN])
def test_dump_broken_samples_no_traceback(files: dict[str, Path], name: str) -> None:
    r = xensave("dump", files[name])
    assert r.returncode in (0, 1)


# --- verify -----------------------------------------------------------------------

RULE = re.compile(r"\b[A-Z]{2,4}-[A-Z]{2,5}-\d{3}\b")


@needs_checker
@pytest.mark.parametrize("sample", VALID, ids=lambda s: s.name)
def test_verify_valid_samples(files: dict[str, Path], sample: samples.Sample) -> None:
    r = xensave("verify", files[sample.name])
    assert r.returncode == 0, r.stdout
    assert r.stderr == ""
    last = r.stdout.splitlines()[-1]
    assert "valid" in last and "INVALID" not in last and str(files[sample.name]) in last


@needs_checker
@pytest.mark.parametrize(("name", "what"), [(s.name, w) for s, w in BROKEN])
def test_verify_broken_samples(files: dict[str, Path], name: str, what: str) -> None:
    path = files[name]
    r = xensave("verify", path)
    assert r.returncode == 1, (what, r.stdout)
    lines = r.stdout.splitlines()
    assert "INVALID" in lines[-1]
    diags = [ln for ln in lines[:-1] if ln.startswith(f"{path}:0x")]
    assert diags and all(RULE.search(ln) for ln in diags), r.stdout
    j = xensave("verify", "--json", path)
    assert j.returncode == 1
    doc = json.loads(j.stdout)
    assert doc["file"] == str(path)
    rules = {d["rule"] for d in doc["diagnostics"]}
    assert rules and all(RULE.fullmatch(x) for x in rules if x)
    assert rules & set(RULE.findall(r.stdout))


@needs_checker
def test_verify_json_valid(files: dict[str, Path]) -> None:
    r = xensave("verify", "--json", files["xl-v3_hvm"])
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert doc["valid"] is True and doc["file"].endswith("xl-v3_hvm.bin")


@needs_checker
def test_verify_quiet(files: dict[str, Path]) -> None:
    ok = xensave("verify", "-q", files["libxl-v2_hvm"])
    bad = xensave("verify", "--quiet", files["libxc_bad-id"])
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    assert (bad.returncode, bad.stdout, bad.stderr) == (1, "", "")


@needs_checker
def test_verify_stdin(files: dict[str, Path]) -> None:
    good, bad = files["xl-v3_x86_64-pv"], files["libxc_bad-marker"]
    assert xensave("verify", "-", stdin=good.read_bytes()).returncode == 0
    assert xensave("verify", "-", stdin=good).returncode == 0
    r = xensave("verify", "-", stdin=bad.read_bytes())
    assert r.returncode == 1 and r.stdout.startswith("<stdin>:0x")


@needs_checker
@pytest.mark.parametrize("cut", [0, 7, 100, 3000])
def test_verify_truncated_and_garbage(files: dict[str, Path], tmp_path: Path, cut: int) -> None:
    data = files["xl-v3_hvm"].read_bytes()[:cut]
    r = xensave("verify", _file(tmp_path, "t.xl", data))
    assert r.returncode == 1 and r.stdout
    r = xensave("verify", _file(tmp_path, "g.bin", b"\x7fELF" + bytes(cut)))
    assert r.returncode == 1


@needs_checker
def test_verify_wrapped_and_legacy(tmp_path: Path) -> None:
    stream = to_bytes(samples.build("hvm", 3, "libxc"))
    xapi = XAPI_MAGIC + struct.pack("<QQ", 0x00F0, 0) + stream + struct.pack("<QQ", 0xFFFF, 0)
    r = xensave("verify", _file(tmp_path, "x.img", xapi))
    assert r.returncode in (0, 1) and r.stdout
    legacy = _file(tmp_path, "old.img", struct.pack("<I", 0x40000) + b"\xff" * 4 + bytes(64))
    r = xensave("verify", legacy)
    assert r.returncode == 1 and "legacy" in r.stdout


# --- progress -----------------------------------------------------------------------


def test_progress_only_on_a_terminal() -> None:
    import io

    from xensave.progress import Progress, human

    buf = io.StringIO()  # not a terminal
    p = Progress(1000, "x: ", stream=buf)
    p._next = 0.0
    p.update(500)
    assert buf.getvalue() == ""
    p = Progress(4 << 30, "reading: ", stream=buf, enabled=True)
    p._next = 0.0
    p.update(1 << 30)
    assert "reading: 1.0 GiB / 4.0 GiB (25%)" in buf.getvalue()
    p.close()
    assert buf.getvalue().endswith("\r\x1b[K")
    buf2 = io.StringIO()
    unknown = Progress(None, "", stream=buf2, enabled=True)
    unknown._next = 0.0
    unknown.update(2048)
    assert "2.0 KiB" in buf2.getvalue() and "%" not in buf2.getvalue()
    assert human(1536) == "1.5 KiB" and human(12) == "12 B"


@pytest.mark.parametrize("command", ["verify", "dump"])
def test_stop_at_end_on_a_stream_left_open(command: str) -> None:
    """A live migration socket stays open after the outermost END: with --stop-at-end
    verify and dump answer without waiting for an EOF that never comes."""
    image = samples.valid_samples()[0].data
    r, w = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "xensave", command, "--stop-at-end", "-"],
        stdin=r,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(r)
    try:
        os.write(w, image)  # small: fits the pipe buffer; w stays open, as a socket would
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        os.close(w)
    assert proc.returncode == 0, (out, err)
    assert ("valid" if command == "verify" else "END") in out and not err


def test_stop_at_end_leaves_bytes_after_end_unread(tmp_path: Path) -> None:
    f = tmp_path / "tail.bin"
    f.write_bytes(samples.valid_samples()[0].data + b"garbage!")
    whole = xensave("verify", "--json", f)
    stopped = xensave("verify", "--json", "--stop-at-end", f)
    assert whole.returncode == 1 and stopped.returncode == 0, (whole.stdout, stopped.stdout)
    assert json.loads(stopped.stdout)["valid"] is True
