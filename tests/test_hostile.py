"""The standing hostile-input suite (issue 19): what the tools promise on input and
paths chosen by an adversary, each promise checked the way an attacker would try it.

- Memory is bounded by a constant whatever a length or count field says: the 4 GiB
  sparse file whose PAGE_DATA lies is run by every command in a child, its peak RSS
  measured and its address space capped.
- Outputs are only ever regular files we create: a FIFO, a symlink, a directory and
  /dev/null itself are refused (exit 2) with or without --force, and left as they were.
- Signals: SIGTERM and SIGHUP mid-write leave no temporary file beside OUT; stale ones
  of a killed run are swept.
- Truncation at every offset and corruption of the header area of one image per
  layer: an exit status of 0, 1 or 2 with a message, never a traceback or internal error.

Kept to about a minute in the ``py`` environment (the lying file is sparse: it costs no
disk, and the tools must not read it byte by byte).
"""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_images import LYING_COUNT, LYING_LENGTH, _prefix, run_measured, write_lying

from xensave.checker import check_stream
from xensave.cli import main
from xensave.constants import PageType, XcRecType
from xensave.outputs import STALE_AGE, create_temp, remove_temp, sweep_stale
from xensave.reader import PFN_KEEP_MAX
from xensave.writer import RecordWriter

MIB = 1 << 20
#: The promise: under 64 MiB of resident memory on lying lengths.
RSS_LIMIT_KIB = 64 * 1024
#: The child's address space cap: generous for the interpreter, far below 4 GiB.
AS_LIMIT = 1 << 30
ROOT = Path(__file__).resolve().parent.parent


# --- memory bounded on lying length fields ---------------------------------------------


@pytest.fixture(scope="module")
def lying(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("lying") / "lying.bin"
    size = write_lying(p)
    assert size > 4 << 30 and os.stat(p).st_blocks * 512 < 1 * MIB  # sparse
    return p


@pytest.mark.parametrize(
    "argv,status",
    [
        (["verify"], 1),
        (["verify", "--json"], 1),
        (["dump"], 1),
        (["dump", "--json"], 1),
        (["export", "raw"], 1),
        (["export", "elf"], 1),
        (["pages", "--pfn", "0", "-o"], 1),
        (["convert"], 1),
        (["edit", "--set", "vcpu0.rax=1"], 1),
        (["diff"], 2),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else str(v),
)
def test_lying_length_costs_constant_memory(
    lying: Path, tmp_path: Path, argv: list[str], status: int
) -> None:
    out = str(tmp_path / "out")
    cmd = argv[0]
    if cmd in ("export",):
        full = [*argv, str(lying), out]
    elif cmd == "pages":
        full = [*argv, out, str(lying)]
    elif cmd == "convert":
        full = [cmd, str(lying), out]
    elif cmd == "edit":
        full = [*argv, str(lying), out]
    elif cmd == "diff":
        other = tmp_path.parent / f"{tmp_path.name}-other.bin"
        write_lying(other, count=LYING_COUNT - 1)  # differs early: no byte-for-byte pass
        full = [cmd, str(lying), str(other)]
    else:
        full = [*argv, str(lying)]
    rc, wall, rss, err = run_measured(full, timeout=60, limit=AS_LIMIT)
    assert rc == status, err
    assert "internal error" not in err and "Traceback" not in err
    assert 0 < rss < RSS_LIMIT_KIB, f"peak RSS {rss} KiB"
    assert wall < 30, f"{wall:.1f} s"
    assert sorted(os.listdir(tmp_path)) == []  # nothing written, no temporary left


def _stream(entries: list[int], pages: int, fix_length: int = 0) -> bytes:
    """A libxc v3 HVM stream with one PAGE_DATA of ``entries`` and ``pages`` zero pages."""
    buf = io.BytesIO()
    w = RecordWriter(buf)
    _prefix(w)
    arr = struct.pack(f"<{len(entries)}Q", *entries)
    length = 8 + len(arr) + 4096 * pages + fix_length
    buf.write(struct.pack("<IIII", XcRecType.PAGE_DATA, length, len(entries), 0))
    buf.write(arr)
    buf.write(bytes(4096 * pages + fix_length))
    buf.write(bytes(-length % 8))
    buf.write(struct.pack("<II", XcRecType.END, 0))
    return buf.getvalue()


def _rules(data: bytes) -> list[str]:
    report = check_stream(io.BytesIO(data))
    return [d.rule for d in report.errors]


def test_long_pfn_array_counted_beyond_what_is_kept() -> None:
    """A pfn array longer than the reader keeps: the data-bearing entries past the kept
    prefix still decide XC-PAGE-006 (one data page at the very end)."""
    n = PFN_KEEP_MAX // 8 + 5000
    xtab = PageType.XTAB << 60
    entries = [xtab | i for i in range(n - 1)] + [n - 1]  # the last one carries data
    assert "XC-PAGE-006" not in _rules(_stream(entries, 1))
    assert "XC-PAGE-006" in _rules(_stream(entries, 0, fix_length=0))  # its page missing


def test_long_pfn_array_dump_counts_all_entries(tmp_path: Path) -> None:
    n = PFN_KEEP_MAX // 8 + 3
    xtab = PageType.XTAB << 60
    entries = [xtab | i for i in range(n - 2)] + [n - 2, n - 1]
    p = tmp_path / "long.bin"
    p.write_bytes(_stream(entries, 2))
    rc, _, _, err = run_measured(["dump", "--json", str(p)], timeout=60)
    assert rc == 0, err
    proc = subprocess.run(
        [sys.executable, "-m", "xensave", "dump", "--json", str(p)],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    items = json.loads(proc.stdout)["items"]
    (pd,) = [i for i in items if i.get("name") == "PAGE_DATA"]
    assert pd["fields"]["entries"] == n and pd["fields"]["pages"] == 2


def test_lying_record_values() -> None:
    assert LYING_LENGTH == 0xFFFFFFF0 and LYING_COUNT == 0x1FFFFFFF  # as issue 19 reports


# --- outputs: only regular files we create ------------------------------------------------


@pytest.fixture
def image(tmp_path: Path) -> Path:
    from xensave import samples

    p = tmp_path / "in.bin"
    p.write_bytes(samples.to_bytes(samples.build("hvm", 3, "xl")))
    return p


def _outputs(tmp_path: Path) -> dict[str, Path]:
    d = tmp_path / "outs"
    d.mkdir()
    os.mkfifo(d / "fifo")
    (d / "target").write_bytes(b"target")
    os.symlink(d / "target", d / "link")
    os.symlink(d / "nowhere", d / "dangling")
    (d / "dir").mkdir()
    return {
        "fifo": d / "fifo",
        "link": d / "link",
        "dangling": d / "dangling",
        "dir": d / "dir",
        "devnull": Path("/dev/null"),
    }


def _commands(inp: Path, out: Path, force: bool) -> list[list[str]]:
    f = ["--force"] if force else []
    return [
        ["convert", *f, str(inp), str(out)],
        ["export", "raw", *f, str(inp), str(out)],
        ["export", "elf", *f, str(inp), str(out)],
        ["pages", *f, "--pfn", "0", "-o", str(out), str(inp)],
        ["edit", *f, "--set", "vcpu0.rax=1", str(inp), str(out)],
    ]


@pytest.mark.parametrize("force", [False, True])
def test_special_outputs_refused_and_untouched(
    image: Path, tmp_path: Path, force: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    outs = _outputs(tmp_path)
    for name, out in outs.items():
        before = os.lstat(out)
        for argv in _commands(image, out, force):
            assert main(argv) == 2, (name, argv)
            err = capsys.readouterr().err
            assert str(out) in err and "regular file" in err, err
            after = os.lstat(out)
            assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode), (name, argv)
            assert after.st_ino == before.st_ino
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert (tmp_path / "outs" / "target").read_bytes() == b"target"
    assert not (tmp_path / "outs" / "nowhere").exists()
    assert sorted(os.listdir(tmp_path / "outs")) == sorted(
        ["fifo", "target", "link", "dangling", "dir"]
    )


def test_out_is_in_refused_everywhere(image: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = image.read_bytes()
    for argv in _commands(image, image, True):
        assert main(argv) == 2, argv
        assert "input" in capsys.readouterr().err
    os.link(image, image.with_name("hard"))
    for argv in _commands(image, image.with_name("hard"), True):
        assert main(argv) == 2, argv
        assert "same inode" in capsys.readouterr().err
    assert image.read_bytes() == before


def test_existing_regular_out_needs_force(image: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for argv in _commands(image, out, False):
        out.write_bytes(b"old")
        assert main([*argv[:1], "-q", *argv[1:]] if argv[0] == "convert" else argv) == 2
        assert out.read_bytes() == b"old"
    for argv in _commands(image, out, True):
        out.write_bytes(b"old")
        assert main(argv) == 0, argv
        # replaced: other contents (export raw writes a 4 GiB sparse file: not read whole)
        assert out.stat().st_size != 3 or out.read_bytes() != b"old"


# --- temporary files: signals and stale leftovers -----------------------------------------


def test_stale_temporaries_swept_only_when_dead_or_old(tmp_path: Path) -> None:
    out = tmp_path / "out"
    dead = tmp_path / ".out.xensave-999999999-0123abcd.tmp"  # no such pid
    alive = tmp_path / f".out.xensave-{os.getppid()}-0123abcd.tmp"
    old = tmp_path / f".out.xensave-{os.getppid()}-89abcdef.tmp"
    other = tmp_path / ".out.someone-else.tmp"
    for p in (dead, alive, old, other):
        p.write_bytes(b"x")
    os.utime(old, (time.time() - STALE_AGE - 10,) * 2)
    removed = sweep_stale(str(out))
    assert sorted(removed) == sorted([str(dead), str(old)])
    assert alive.exists() and other.exists()


def test_our_temporaries_are_named_so() -> None:
    fd, path = create_temp("/tmp/xensave-hostile-name-test")
    try:
        assert os.path.basename(path).startswith(".xensave-hostile-name-test.xensave-")
        assert path.endswith(".tmp") and f"-{os.getpid()}-" in path
    finally:
        os.close(fd)
        remove_temp(path)


def _slow_export_child(inp: Path, out: Path, cmd: str) -> subprocess.Popen[bytes]:
    """Run the command with its copying slowed down so a signal lands mid-write."""
    code = """
import sys, time
import xensave.page_index as pi
real = pi.Copier.copy
def slow(self, *a, **k):
    sys.stderr.write("@@writing\\n"); sys.stderr.flush()
    time.sleep(30)
    return real(self, *a, **k)
pi.Copier.copy = slow
import xensave.convert as cv
real_write = cv._Out.write
def slow_write(self, data):
    if not getattr(cv, "_told", False):
        cv._told = True
        sys.stderr.write("@@writing\\n"); sys.stderr.flush()
        time.sleep(30)
    return real_write(self, data)
cv._Out.write = slow_write
import xensave.edit as ed
real_splice = ed.splice
def slow_splice(*a, **k):
    sys.stderr.write("@@writing\\n"); sys.stderr.flush()
    time.sleep(30)
    return real_splice(*a, **k)
ed.splice = slow_splice
from xensave.cli import main
sys.exit(main(sys.argv[1:]))
"""
    argv = {
        "convert": ["convert", str(inp), str(out)],
        "export": ["export", "raw", str(inp), str(out)],
        "pages": ["pages", "--pfn", "0", "-o", str(out), str(inp)],
        "edit": ["edit", "--set", "vcpu0.rax=1", str(inp), str(out)],
    }[cmd]
    return subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        # SIGINT as a terminal leaves it: a test run in the background (`cmd &` from a
        # script) inherits it ignored, and Python then rightly never raises KeyboardInterrupt
        preexec_fn=_sigint_default,
    )


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
@pytest.mark.parametrize("cmd", ["convert", "export", "pages", "edit"])
def test_signal_mid_write_leaves_no_temporary(
    image: Path, tmp_path: Path, cmd: str, sig: signal.Signals
) -> None:
    d = tmp_path / "o"
    d.mkdir()
    out = d / "out"
    proc = _slow_export_child(image, out, cmd)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert b"@@writing" in line, line + proc.stderr.read()
    assert any(n.startswith(".out.xensave-") for n in os.listdir(d))  # mid-write indeed
    proc.send_signal(sig)
    proc.wait(timeout=20)
    assert proc.returncode != 0
    assert os.listdir(d) == []


# --- pfns beyond what a raw file can address -----------------------------------------------

CORPUS = ROOT / "conformance" / "corpus"


def test_largest_pfn_raw_refused_not_overflowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The corpus's image with pfn 2^52-1: a raw image would be 2^64 bytes."""
    img = CORPUS / "i_libxc-v3_hvm_largest-pfn.bin"
    out = tmp_path / "o"
    for force in ([], ["--force"]):
        assert main(["export", "raw", *force, str(img), str(out)]) == 2
        err = capsys.readouterr().err
        assert "beyond what a file can address" in err and str(out) in err
        assert "Overflow" not in err and "internal" not in err
    assert main(["pages", "--pfn", "0-0xfffffffffffff", "-o", str(out), str(img)]) == 2
    assert "beyond what a file can address" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []
    # the ELF core holds only the pages sent: fine
    assert main(["export", "elf", "-q", str(img), str(out)]) == 0


def test_raw_over_a_tebibyte_needs_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pfn = (2 << 40) // 4096  # 2 TiB into the guest
    p = tmp_path / "high.bin"
    p.write_bytes(_stream([pfn], 1))
    out = tmp_path / "o"
    assert main(["export", "raw", str(p), str(out)]) == 2
    err = capsys.readouterr().err
    assert "TiB" in err and "--force" in err and not out.exists()


# --- hostile testees ---------------------------------------------------------------------

pytest_plugins = ("testees.fixtures",)


@pytest.mark.parametrize("deed", ["deepjson", "deep80"])
def test_deeply_nested_answer_is_a_protocol_error(intact: Path, deed: str) -> None:
    """A persistent testee answering JSON nested past the recursion limit is blamed for
    that case (protocol-error); the run goes on and the other cases are judged."""
    from testees.support import go, impl, outcomes

    five = ["y_libxc-v3_hvm", "n_libxc_bad-id", "y_xl-v2_x86_64-pv"]
    result = go(intact, [impl("p", f"{deed}:n_libxc_bad-id", "persistent")], names=five, jobs=2)
    got = outcomes(result)
    assert got["n_libxc_bad-id"] == "protocol-error"
    assert got["y_libxc-v3_hvm"] == "pass" and got["y_xl-v2_x86_64-pv"] == "pass"
    (r,) = [r for r in result.impls[0].results if r.case.name == "n_libxc_bad-id"]
    assert "levels" in r.message or "nests" in r.message


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e300", "0", "-1", "x"])
@pytest.mark.parametrize("cmd", [["conformance", "run"], ["fuzz"]])
def test_timeout_values_refused_as_usage(
    cmd: list[str], value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cmd, "--timeout", value]) == 2
    err = capsys.readouterr().err
    assert "--timeout" in err and "internal" not in err


def test_repro_of_input_modifying_testee_uses_a_copy(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from xensave.conformance.adapters import Adapter
    from xensave.conformance.report import reproduce

    a = Adapter(name="t", command=["tool", "--check", "{file}"], protocol="exit-code")
    case_path = tmp_path / "n_libxc_bad-id.bin"  # stands for the committed file
    case_path.write_bytes(b"corpus")
    manifest = SimpleNamespace(case_path=lambda c: case_path, path=ROOT / "x")
    run = SimpleNamespace(manifest=manifest)
    r = SimpleNamespace(case=None, outcome="input-modified")
    line = reproduce(run, SimpleNamespace(adapter=a), r)  # type: ignore[arg-type]
    assert "mktemp" in line and 'tool --check "$t/case"' in line
    # the corpus path appears only as what is copied
    assert line.count("n_libxc_bad-id.bin") == 1 and "cp " in line
    proc = subprocess.run(
        ["sh", "-c", line.replace("tool --check", "sh -c 'echo > \"$1\"' x")],
        capture_output=True,
        check=False,
    )
    assert b"exit 0" in proc.stdout, proc
    assert case_path.read_bytes() == b"corpus"  # the testee wrote to its copy only


# --- legacy truncation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,width,guest",
    [
        ("y_legacy-legacy_hvm_toolstack-64.bin", 64, "hvm"),
        ("y_legacy-legacy_hvm_toolstack-32.bin", 32, "hvm"),
        ("y_legacy-legacy_x86_32-pv_pae-toolstack-32.bin", 32, "pv"),
    ],
)
def test_truncated_legacy_reports_the_deepest_variants_error(
    tmp_path: Path, name: str, width: int, guest: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Detected or told, a truncated legacy image gets the same diagnosis: the one its
    variant's parse gives where the data ends."""
    data = (CORPUS / name).read_bytes()
    p = tmp_path / "t.img"
    p.write_bytes(data[:4096])  # inside the first batch's pages (the sample's pfn 0)
    assert main(["verify", str(p)]) == 1
    detected = [ln for ln in capsys.readouterr().out.splitlines() if "LEG-" in ln]
    told = ["--legacy-width", str(width), "--legacy-guest", guest]
    assert main(["verify", *told, str(p)]) == 1
    want = [ln for ln in capsys.readouterr().out.splitlines() if "LEG-" in ln]
    assert any("truncated page data of chunk" in ln for ln in want)
    assert detected == want


# --- small ones -----------------------------------------------------------------------------


def test_non_ascii_names_under_an_ascii_terminal(image: Path, tmp_path: Path) -> None:
    p = tmp_path / "gäst-é.xl"
    p.write_bytes(image.read_bytes())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "ascii"}
    for argv, status in (
        (["verify", str(p)], 0),
        (["dump", str(p)], 0),
        (["verify", str(tmp_path / "nö")], 2),
        (["export", "raw", str(p), str(tmp_path / "ö.raw")], 0),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "xensave", *argv], capture_output=True, env=env, check=False
        )
        assert proc.returncode == status, proc.stderr
        assert b"UnicodeEncodeError" not in proc.stderr and b"internal" not in proc.stderr


def test_export_errors_name_the_file_and_rule(tmp_path: Path) -> None:
    p = tmp_path / "short.bin"
    from xensave import samples

    data = samples.to_bytes(samples.build("hvm", 3, "libxc"))
    p.write_bytes(data[:-4])  # END's header cut
    for argv in (
        ["export", "raw", str(p), str(tmp_path / "o")],
        ["pages", "--pfn", "0", "-o", str(tmp_path / "o"), str(p)],
    ):
        rc, _, _, err = run_measured(argv, timeout=60)
        assert rc == 1, err
        assert f"{p}:0x" in err and "XC-REC-001" in err, err
        assert ".xensave-" not in err


def test_missing_impl_program_reported_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "run", "--impl", "x=/nonexistent/prog", "-j", "2"]) == 2
    out = capsys.readouterr().out
    assert out.count("unavailable: /nonexistent/prog does not exist") == 1, out
    assert "crash" not in out, out


# --- truncation and corruption, one image per layer ---------------------------------------------


def _layer_images() -> dict[str, bytes]:
    """xl wraps libxl wraps libxc: one small xl HVM image covers those three layers;
    a legacy image covers the fourth."""
    from xensave import samples
    from xensave.legacy.samples import build as legacy_build

    return {
        "xl": samples.to_bytes(samples.build("hvm", 3, "xl", small=True)),
        "libxc-v2-pv": samples.to_bytes(samples.build("x86_64-pv", 2, "libxc", small=True)),
        "legacy": legacy_build(64, "hvm").data(),
    }


def _internal(data: bytes) -> list[str]:
    report = check_stream(io.BytesIO(data))
    return [d.message for d in report.diagnostics if "internal error" in d.message]


def _cuts(n: int, name: str) -> range | list[int]:
    if name == "legacy":  # 100 KB of mostly page data: every offset of the head, then a stride
        return [*range(0, 4096), *range(4096, n, 97)]
    if name == "libxc-v2-pv":
        return [*range(0, 2048), *range(2048, n, 13)]
    return range(n)


@pytest.mark.parametrize("name", ["xl", "libxc-v2-pv", "legacy"])
def test_truncation_at_every_offset_is_diagnosed(name: str) -> None:
    data = _layer_images()[name]
    for cut in _cuts(len(data), name):
        report = check_stream(io.BytesIO(data[:cut]))
        assert not report.valid, cut
        bad = [d.message for d in report.diagnostics if "internal error" in d.message]
        assert not bad, (cut, bad)


@pytest.mark.parametrize("name", ["xl", "libxc-v2-pv", "legacy"])
def test_header_area_corruption_never_breaks_the_tools(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every byte of the first 256 set to 0x00, 0xFF and flipped: the checker judges
    each; a sample of them goes through dump and export too (exit 0, 1 or 2 with a
    message, never an internal error)."""
    data = _layer_images()[name]
    p = tmp_path / "c.img"
    out = tmp_path / "o.raw"
    for i in range(min(256, len(data))):
        for k, value in enumerate((0x00, 0xFF, data[i] ^ 0xFF)):
            if value == data[i]:
                continue
            bad = bytearray(data)
            bad[i] = value
            assert not _internal(bytes(bad)), (i, value)
            if (i * 3 + k) % 23:
                continue
            p.write_bytes(bad)
            for argv in (
                ["dump", str(p)],
                ["export", "raw", "-q", "--force", str(p), str(out)],
            ):
                rc = main(argv)
                err = capsys.readouterr().err
                assert rc in (0, 1, 2) and "internal error" not in err, (argv, i, value, err)
                assert rc == 0 or err.strip(), (argv, i, value)
