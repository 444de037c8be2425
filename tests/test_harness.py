"""The conformance harness: judging, expected-failure lists, filters, support claims,
the persistent protocol's framing, reports (terminal, JSON, JUnit, HTML) and the
command line. The corpus is a small one built from the writer's samples
(``xensave.conformance._samplecorpus``); the testees are in ``tests/testees/``.
Robustness against misbehaving testees is in ``test_harness_robustness.py``."""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from testees.support import (
    ADAPTERS,
    EXIT_TESTEE,
    PERSISTENT_TESTEE,
    PY,
    ROOT,
    SMALL,
    go,
    impl,
    outcomes,
    statuses,
)

from xensave.conformance.adapters import (
    Adapter,
    AdapterError,
    adapter_from_command,
    load_adapter,
    read_expected_failures,
)
from xensave.conformance.html import render_html
from xensave.conformance.manifest import CorpusError, Filters, load_manifest
from xensave.conformance.protocol import (
    ProtocolError,
    decode_response,
    encode_request,
    encode_response,
    read_request,
)
from xensave.conformance.report import to_json, write_junit, write_terminal
from xensave.conformance.runner import RunOptions, RunResult, classify, run, status_of

# --- protocol framing -----------------------------------------------------------------

#: the fixtures ``corpus`` and ``intact``
pytest_plugins = ("testees.fixtures",)


def test_request_frame_round_trips() -> None:
    header = {"protocol": 1, "id": 7, "name": "y_x", "file": "/tmp/x", "size": 3}
    frame = encode_request(header, b"\x01\x02\x03")
    assert frame[:4] == len(frame[12:-3]).to_bytes(4, "little")
    assert frame[4:12] == (3).to_bytes(8, "little")
    req = read_request(io.BytesIO(frame))
    assert req is not None and req.header == header and req.image == b"\x01\x02\x03"
    assert read_request(io.BytesIO(b"")) is None
    with pytest.raises(ProtocolError):
        read_request(io.BytesIO(frame[:-1]))


def test_spec_example_bytes() -> None:
    """The byte-by-byte example of spec/harness-protocol.md is what the code sends."""
    header = {"protocol": 1, "id": 1, "name": "y_x", "file": "/tmp/x/y_x.bin", "size": 3}
    frame = encode_request(header, b"\x01\x02\x03")
    assert frame[:12].hex(" ") == "43 00 00 00 03 00 00 00 00 00 00 00"
    resp = encode_response({"verdict": "reject", "id": 1})
    assert resp[:4].hex(" ") == "1b 00 00 00"
    text = (ROOT / "spec" / "harness-protocol.md").read_text()
    assert "43 00 00 00                      header_len = 67" in text
    assert "1b 00 00 00                      body_len = 27" in text


@pytest.mark.parametrize(
    "body",
    [b"{nope", b"[1]", b'{"verdict": "maybe"}', b"\xff\xfe", b'{"message": "x"}'],
)
def test_bad_response_bodies(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_response(body)


def test_response_keeps_known_keys_only() -> None:
    r = decode_response(
        json.dumps(
            {
                "verdict": "reject",
                "id": 3,
                "message": "m",
                "diagnostics": [{"rule": "XC-HDR-001", "offset": 4, "junk": 1}, 5, "x"],
                "summary": {"layer": "libxc"},
                "other": True,
            }
        ).encode()
    )
    assert (r.verdict, r.id, r.message) == ("reject", 3, "m")
    assert r.diagnostics == [{"rule": "XC-HDR-001", "offset": 4}]
    assert r.summary == {"layer": "libxc"}


# --- judging ----------------------------------------------------------------------------


def test_verdicts_levels_and_expected_lists(corpus: Path) -> None:
    m = load_manifest(corpus)
    by = m.by_name()
    from xensave.conformance.execute import RawResult

    y, n, i = by["y_libxc-v3_hvm"], by["n_libxc_bad-id"], by["i_libxc-v3_hvm_big-endian"]
    rec = by["y_libxl-v3_hvm_context-not-first"]
    assert classify(y, RawResult("accept"))[0] == "pass"
    assert classify(y, RawResult("reject"))[0] == "false-reject"
    assert classify(n, RawResult("accept"))[0] == "false-accept"
    assert classify(i, RawResult("accept"))[:2] == ("pass", "accept")
    assert classify(i, RawResult("reject"))[:2] == ("pass", "reject")
    assert classify(n, RawResult("crash"))[0] == "crash"
    assert classify(y, RawResult("accept", input_modified="deleted"))[0] == "input-modified"
    assert classify(y, RawResult("unsupported"))[0] == "unsupported"
    assert classify(y, RawResult("error"))[0] == "error"
    # MUST decides, SHOULD warns unless strict; crashes fail at any level
    assert status_of(n, "false-accept", False, False) == "fail"
    assert status_of(rec, "false-reject", False, False) == "warning"
    assert status_of(rec, "false-reject", False, True) == "fail"
    assert status_of(rec, "crash", False, False) == "fail"
    assert status_of(n, "false-accept", True, False) == "xfail"
    assert status_of(n, "pass", True, False) == "xpass"
    assert status_of(n, "unsupported", True, False) == "unsupported"


def test_exit_code_protocol_file_and_stdin(intact: Path) -> None:
    result = go(intact, [impl("oracle", "oracle"), impl("stdin", "stdin")])
    assert set(outcomes(result, 0).values()) == {"pass"}
    assert result.impls[0].ok and not result.impls[1].ok
    # on stdin every image is non-empty: accepted, so the n_ cases are false accepts
    stdin = outcomes(result, 1)
    assert stdin["y_libxc-v3_hvm"] == "pass"
    assert stdin["n_libxc_bad-id"] == "false-accept"
    # the i_ case records which way it went
    r = next(r for r in result.impls[0].results if r.case.name.startswith("i_"))
    assert (r.outcome, r.answer) == ("pass", "accept")


def test_recommended_failure_warns_unless_strict(intact: Path) -> None:
    wrong = impl("w", "wrong:y_libxl-v3_hvm_context-not-first")
    result = go(intact, [wrong])
    assert statuses(result)["y_libxl-v3_hvm_context-not-first"] == "warning"
    assert result.ok
    result = go(intact, [wrong], strict=True)
    assert statuses(result)["y_libxl-v3_hvm_context-not-first"] == "fail"
    assert not result.ok


def test_expected_failures_unexpected_pass_and_stale(intact: Path, tmp_path: Path) -> None:
    xf = tmp_path / "xf.txt"
    wrong = "wrong:n_libxc_bad-id,y_libxc-v3_hvm"
    # unlisted failures fail the run
    result = go(intact, [impl("w", wrong, expected_failures=xf)])
    assert not result.ok
    assert statuses(result)["n_libxc_bad-id"] == "fail"
    # --update-expected-failures writes them; the same run then passes
    result = go(intact, [impl("w", wrong, expected_failures=xf)], update_expected=True)
    assert result.ok, [(r.case.name, r.status) for r in result.impls[0].results]
    text = xf.read_text()
    assert "n_libxc_bad-id  # false-accept" in text
    assert "# XC-HDR-002 (MUST)" in text
    assert read_expected_failures(xf).entries.keys() == {"n_libxc_bad-id", "y_libxc-v3_hvm"}
    result = go(intact, [impl("w", wrong, expected_failures=xf)])
    assert result.ok
    assert statuses(result)["n_libxc_bad-id"] == "xfail"
    # the implementation got better: an unexpected pass fails the run
    result = go(intact, [impl("w", "wrong:y_libxc-v3_hvm", expected_failures=xf)])
    assert not result.ok
    assert statuses(result)["n_libxc_bad-id"] == "xpass"
    # an entry that matches no case is stale
    xf.write_text(xf.read_text() + "n_no-such-case\n")
    result = go(intact, [impl("w", wrong, expected_failures=xf)])
    assert not result.ok
    assert result.impls[0].stale == [("n_no-such-case", "no case of that name in the manifest")]
    # entries of cases a filter leaves out are neither judged nor dropped by an update
    result = go(
        intact, [impl("w", wrong, expected_failures=xf)], names=["y_*"], update_expected=True
    )
    assert result.ok
    assert "n_libxc_bad-id" in read_expected_failures(xf).entries
    assert "n_no-such-case" not in read_expected_failures(xf).entries


def test_unsupported_cases_are_not_failures(intact: Path, tmp_path: Path) -> None:
    xf = tmp_path / "xf.txt"
    a = impl("libxc-only", "code:3", supports={"layers": ["libxc"]}, expected_failures=xf)
    result = go(intact, [a])
    st = statuses(result)
    assert st["y_xl-v2_x86_64-pv"] == "unsupported"
    assert st["y_libxl-v3_hvm_context-not-first"] == "unsupported"
    assert st["y_libxc-v3_hvm"] == "fail"  # exit 3: a crash, inside the claim
    r = next(r for r in result.impls[0].results if r.case.name == "y_xl-v2_x86_64-pv")
    assert r.raw is None and "layer xl is outside the claimed layers" in r.message
    # a listed case outside the claim is a stale entry
    xf.write_text("y_xl-v2_x86_64-pv\n")
    result = go(intact, [a])
    assert result.impls[0].stale[0][0] == "y_xl-v2_x86_64-pv"
    # versions and guests
    b = impl("v2", "oracle", supports={"versions": ["2"], "guests": ["x86_64-pv"]})
    st = statuses(go(intact, [b]))
    assert st["y_xl-v2_x86_64-pv"] == "pass"
    assert st["y_libxc-v3_hvm"] == "unsupported"
    # a testee may decline a case itself
    p = impl("p", "unsupported:y_libxc-v3_hvm", "persistent")
    assert statuses(go(intact, [p]))["y_libxc-v3_hvm"] == "unsupported"


def test_filters(corpus: Path) -> None:
    m = load_manifest(corpus)

    def names(**kw: list[str]) -> set[str]:
        return {c.name for c in Filters(**kw).apply(m.cases)}  # type: ignore[arg-type]

    assert names(names=["n_libxc*"]) == {
        "n_libxc_bad-id",
        "n_libxc_bad-marker",
        "n_libxc_bad-version",
        "n_libxc_reserved-nonzero",
        "n_libxc-v3_hvm_data-after-end",
    }
    assert names(tags=["trailing-data"]) == {"n_libxc-v3_hvm_data-after-end"}
    assert all(n.split("_")[1].startswith("xl") for n in names(layers=["xl"]))
    assert names(versions=["2"], guests=["x86_32-pv"], layers=["libxc"]) == {"y_libxc-v2_x86_32-pv"}
    assert names(levels=["recommended"]) == {"y_libxl-v3_hvm_context-not-first"}
    assert names(names=["y_libxc-v3_hvm", "n_libxc_bad-id"], tags=["header"]) == {"n_libxc_bad-id"}


def test_parallel_and_serial_agree(intact: Path) -> None:
    a = [impl("w", "wrong:y_libxc-v3_hvm"), impl("p", "wrong:n_libxc_bad-id", "persistent")]
    serial = go(intact, a, names=[], jobs=1)
    parallel = go(intact, a, names=[], jobs=4)
    for i in range(2):
        assert outcomes(serial, i) == outcomes(parallel, i)
    assert outcomes(serial, 0)["y_libxc-v3_hvm"] == "false-reject"
    assert outcomes(serial, 1)["n_libxc_bad-id"] == "false-accept"
    assert serial.impls[1].starts == 1  # one persistent process for the whole corpus


def test_corpus_checked_before_the_run(tmp_path: Path) -> None:
    from xensave.conformance._samplecorpus import write_sample_corpus

    mpath = write_sample_corpus(tmp_path / "c")
    victim = tmp_path / "c" / "corpus" / "y_libxc-v3_hvm.bin"
    data = victim.read_bytes()
    victim.write_bytes(bytes([data[0] ^ 1]) + data[1:])
    with pytest.raises(CorpusError, match=r"y_libxc-v3_hvm\.bin: sha256"):
        run(load_manifest(mpath), [impl("o", "oracle")], Filters(), RunOptions())
    victim.unlink()
    with pytest.raises(CorpusError, match="cannot read"):
        run(load_manifest(mpath), [impl("o", "oracle")], Filters(), RunOptions())


def test_corpus_altered_during_the_run_is_caught(tmp_path: Path) -> None:
    from xensave.conformance._samplecorpus import write_sample_corpus

    mpath = write_sample_corpus(tmp_path / "c")
    victim = tmp_path / "c" / "corpus" / "n_libxc_bad-id.bin"
    evil = Adapter(
        "evil",
        ["sh", "-c", f"printf x >> {victim}; exit 0", "{file}"],
    )
    result = run(load_manifest(mpath), [evil], Filters(names=["y_libxc-v3_hvm"]), RunOptions())
    assert result.corpus_error and "n_libxc_bad-id.bin" in result.corpus_error
    assert not result.ok


def test_manifest_errors(tmp_path: Path) -> None:
    p = tmp_path / "m.json"
    p.write_text("{}")
    with pytest.raises(CorpusError, match="not a corpus manifest"):
        load_manifest(p)
    base = {"format": "xensave-corpus", "manifest_version": 1, "tags": {}}
    case = {"name": "y_a", "file": "corpus/a.bin", "sha256": "00", "size": 1, "verdict": "yes"}
    p.write_text(json.dumps({**base, "cases": [case]}))
    with pytest.raises(CorpusError, match="verdict"):
        load_manifest(p)
    case["verdict"] = "accept"
    case["file"] = "../../etc/passwd"
    p.write_text(json.dumps({**base, "cases": [case]}))
    with pytest.raises(CorpusError, match="not a path inside the corpus"):
        load_manifest(p)


# --- adapters ---------------------------------------------------------------------------


def test_bundled_adapter_files_load() -> None:
    from xensave.conformance.adapters import bundled_adapters

    adapters = {a.name: a for a in bundled_adapters(ADAPTERS)}
    assert set(adapters) == {
        *("reference", "reference-exit", "kaitai-python", "kaitai-js"),
        *("xen-4.17-restore", "xen-4.17-restore-hypervisor", "xen-4.17-verify-stream-v2"),
        *("xen-4.17-legacy-chain", "xen-4.17-legacy-chain-xapi"),
    }
    assert adapters["reference"].protocol == "persistent"
    assert adapters["reference-exit"].protocol == "exit-code"
    assert adapters["reference-exit"].takes_file
    assert adapters["reference"].command[0] == sys.executable
    for a in adapters.values():
        assert a.expected_failures is not None
        assert a.expected_failures.parent == ROOT / "conformance" / "expected-failures"
    js = adapters["kaitai-js"].command[1]
    assert Path(js).is_file(), js
    assert adapters["kaitai-python"].supports == {"layers": ["xl", "libxl", "libxc"]}
    example = load_adapter(ADAPTERS / "example-testee" / "example.json")
    assert example.name == "example-toy" and Path(example.command[1]).is_file()


def test_adapter_errors(tmp_path: Path) -> None:
    with pytest.raises(AdapterError, match="NAME=COMMAND"):
        adapter_from_command("nocommand", "exit-code")
    a = adapter_from_command("mine=./tool --x {file}", "exit-code")
    assert a.command == ["./tool", "--x", "{file}"] and a.takes_file
    assert not adapter_from_command("m=./tool", "exit-code").takes_file
    p = tmp_path / "a.json"
    p.write_text(json.dumps({"name": "x", "command": "t", "protocol": "carrier-pigeon"}))
    with pytest.raises(AdapterError, match="protocol"):
        load_adapter(p)
    p.write_text(json.dumps({"name": "x", "command": "t", "colour": "red"}))
    with pytest.raises(AdapterError, match="unknown keys"):
        load_adapter(p)
    dup = tmp_path / "xf.txt"
    dup.write_text("a\n# c\na  # again\n")
    with pytest.raises(AdapterError, match="listed twice"):
        read_expected_failures(dup)


def test_command_that_cannot_start(intact: Path) -> None:
    """Found before the run (the probe) or at the first start (probe off): either way
    the implementation is unavailable with the cause, never a crash per case."""
    for protocol in ("exit-code", "persistent"):
        for probe in (True, False):
            a = Adapter("ghost", ["/nonexistent/testee", "{file}"], protocol=protocol)
            (ghost,) = go(intact, [a], probe=probe).impls
            assert ghost.status == "unavailable"
            assert "/nonexistent/testee" in (ghost.unavailable or "")
            assert {r.outcome for r in ghost.results} == {"unsupported"}


# --- the bundled implementations ----------------------------------------------------------


def test_bundled_adapters_persistent_and_exit_code_agree(intact: Path) -> None:
    """The reference checker answers the same through both protocols, and so do the
    Kaitai parsers in Python and JavaScript; the Kaitai ones accept the n_ case whose
    rule the layout cannot express and leave the wrappers alone."""
    from xensave.conformance.adapters import bundled_adapters

    adapters = bundled_adapters(ADAPTERS)
    for a in adapters:
        a.expected_failures = None
    result = go(intact, adapters, names=[])
    by = {
        i.adapter.name: {r.case.name: (r.outcome, r.answer) for r in i.results}
        for i in result.impls
    }
    assert by["reference"] == by["reference-exit"]
    assert by["kaitai-python"] == by["kaitai-js"]
    assert by["kaitai-python"]["n_libxc-v3_hvm_data-after-end"] == ("false-accept", "accept")
    assert by["kaitai-python"]["n_libxc_bad-id"] == ("pass", "reject")
    assert by["kaitai-python"]["y_libxc-v3_hvm"] == ("pass", "accept")
    ref = {i.adapter.name: i for i in result.impls}["reference"]
    # One process per worker that took a case, never one per case: which of the two
    # workers picks up reference cases depends on scheduling.
    assert 1 <= ref.starts <= min(2, len(result.cases)) < len(ref.results)


def test_example_testees_speak_the_protocol(intact: Path) -> None:
    toy = load_adapter(ADAPTERS / "example-testee" / "example.json")
    toy.expected_failures = None
    result = go(intact, [toy], names=[])
    out = outcomes(result)
    assert out["y_libxc-v3_hvm"] == "pass"
    assert out["n_libxc_bad-id"] == "false-accept"  # the toy only looks at the magic
    assert 1 <= result.impls[0].starts <= 2 < len(result.impls[0].results)


# --- reports --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(corpus: Path) -> RunResult:
    adapters = [
        impl("good", "oracle"),
        impl("bad", "wrong:n_libxc_bad-id,y_libxc-v3_hvm", supports={"layers": ["libxc"]}),
        impl("p", "segv:n_libxc_bad-id hang:y_xl-v2_x86_64-pv", "persistent"),
    ]
    return go(corpus, adapters, timeout=2.0)


def test_terminal_report(mixed: RunResult) -> None:
    buf = io.StringIO()
    write_terminal(mixed, buf)
    text = buf.getvalue()
    assert "== good (exit-code, validator)" in text and "== bad (exit-code, validator)" in text
    assert "outcomes: pass 2, false-accept 1, false-reject 1, unsupported 2" in text
    assert "false-accept: accepted; expected reject" in text
    assert "XC-HDR-002 (MUST): 1 fail" in text
    # a one-line reproduction for each failure
    assert f"exit_testee.py wrong:n_libxc_bad-id,y_libxc-v3_hvm {mixed.manifest.root}" in text
    assert "corpus/n_libxc_bad-id.bin; echo" in text
    assert "$ xensave conformance run --persistent-impl 'p=" in text
    assert "signal 11" in text and "timeout" in text
    assert text.rstrip().endswith("result: FAIL (good OK, bad FAIL, p FAIL)")


def test_json_report(mixed: RunResult) -> None:
    data = json.loads(json.dumps(to_json(mixed)))
    assert data["format"] == "xensave-conformance-report" and data["ok"] is False
    impls = {i["name"]: i for i in data["implementations"]}
    assert impls["good"]["ok"] is True
    assert impls["bad"]["statuses"] == {"pass": 2, "fail": 2, "unsupported": 2}
    res = {r["case"]: r for r in impls["p"]["results"]}
    assert res["n_libxc_bad-id"]["outcome"] == "signal"
    assert res["n_libxc_bad-id"]["signal"] == 11
    assert res["y_xl-v2_x86_64-pv"]["outcome"] == "timeout"
    assert res["y_libxc-v3_hvm"]["outcome"] == "pass"
    assert "reproduce" in res["n_libxc_bad-id"]
    assert {c["name"] for c in data["cases"]} == set(SMALL)


def test_junit_report(mixed: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "j.xml"
    write_junit(mixed, path)
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"good", "bad", "p"}
    assert suites["good"].get("failures") == "0" and suites["good"].get("tests") == "6"
    assert suites["bad"].get("failures") == "2" and suites["bad"].get("skipped") == "2"
    assert suites["p"].get("errors") == "2"
    case = suites["bad"].find("testcase[@name='n_libxc_bad-id']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "false-accept"
    assert "reproduce:" in (failure.text or "")
    assert int(root.get("tests") or 0) == 18


def test_html_report(mixed: RunResult) -> None:
    page = render_html(mixed)
    assert page.startswith("<!doctype html>")
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for name in SMALL:
        assert f">{name}</summary>" in page
    assert "layer libxc" in page and "layer xl" in page
    assert "XC-HDR-002" in page and "no rule in particular" in page
    # first bytes in hex: the libxc marker
    assert "0000  ff ff ff ff ff ff ff ff" in page
    # pruned view: rows where all agree carry the class the CSS folds
    assert 'class="case agree"' in page and 'class="case"' in page
    assert "every implementation agrees" in page and "folded" in page
    assert "s-fail hard" in page  # the signal and the timeout
    assert "signal 11" in page


# --- the command line ---------------------------------------------------------------------


def xs(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "xensave", "conformance", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_cli_run_impl_reports_and_exit_codes(intact: Path, tmp_path: Path) -> None:
    junit, page = tmp_path / "j.xml", tmp_path / "m.html"
    ok = xs(
        "run", "--manifest", str(intact), "-k", "y_libxc-v3_hvm", "-k", "n_libxc_bad-id",
        "--impl", f"o={PY} -S {EXIT_TESTEE} oracle {{file}}",
        "--persistent-impl", f"p={PY} -S {PERSISTENT_TESTEE}",
        "--junit", str(junit), "--html", str(page),
    )  # fmt: skip
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "result: OK (o OK, p OK)" in ok.stdout
    assert f"HTML matrix: {page}" in ok.stdout and page.is_file() and junit.is_file()
    bad = xs(
        "run", "--manifest", str(intact), "-k", "n_libxc_bad-id", "--no-html",
        "--persistent-impl", f"p={PY} -S {PERSISTENT_TESTEE} wrong:n_libxc_bad-id", "--json",
    )  # fmt: skip
    assert bad.returncode == 1
    data = json.loads(bad.stdout)
    assert data["implementations"][0]["results"][0]["outcome"] == "false-accept"
    repro = data["implementations"][0]["results"][0]["reproduce"]
    assert repro.startswith("xensave conformance run --persistent-impl 'p=")
    assert "-k n_libxc_bad-id" in repro
    # the reproduction command reproduces
    again = xs(*shlex.split(repro)[2:])
    assert again.returncode == 1 and "false-accept" in again.stdout


def test_cli_usage_errors(intact: Path, tmp_path: Path) -> None:
    assert xs("run", "--manifest", str(tmp_path / "none.json"), "--no-html").returncode == 2
    r = xs("run", "--manifest", str(intact), "--impl", "noequals", "--no-html")
    assert r.returncode == 2 and "NAME=COMMAND" in r.stderr
    r = xs("run", "--manifest", str(intact), "--impl", "g=/nonexistent/x {file}", "--no-html")
    assert r.returncode == 2 and "/nonexistent/x does not exist" in r.stdout
    r = xs("run", "--manifest", str(intact), "--impl", "o=true", "--update-expected-failures")
    assert r.returncode == 2 and "--expected-failures" in r.stderr
    r = xs("run", "-j", "0")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_cli_update_expected_failures(intact: Path, tmp_path: Path) -> None:
    xf = tmp_path / "mine.txt"
    args = [
        "run", "--manifest", str(intact), "-k", "n_libxc*", "--no-html",
        "--impl", f"m={PY} -S {EXIT_TESTEE} wrong:n_libxc_bad-id {{file}}",
        "--expected-failures", str(xf),
    ]  # fmt: skip
    assert xs(*args).returncode == 1
    assert xs(*args, "--update-expected-failures").returncode == 0
    assert "n_libxc_bad-id" in xf.read_text()
    assert xs(*args).returncode == 0


def test_cli_list(intact: Path) -> None:
    r = xs("list", "--manifest", str(intact), "--tag", "trailing-data")
    assert r.returncode == 0
    assert "cases: 1 of" in r.stdout and "n_libxc-v3_hvm_data-after-end" in r.stdout
    # invalid (XC-END-003) but restorable: Xen stops reading at END
    assert "reject, required; XC-END-003; restorable by Xen 4.14-]" in r.stdout


def test_cli_help_mentions_protocols() -> None:
    r = xs("run", "--help")
    assert r.returncode == 0
    assert "--persistent-impl" in r.stdout and "exit 0 accepts" in r.stdout
    assert (
        "conformance"
        in subprocess.run([PY, "-m", "xensave", "--help"], capture_output=True, text=True).stdout
    )


def test_verify_does_not_load_the_harness() -> None:
    code = (
        "import sys, xensave.cli as c; c.build_parser();"
        "print(sorted(m for m in sys.modules if m.startswith('xensave.conformance')))"
    )
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == "[]"  # the harness loads only when `conformance` is asked for


def test_main_job_without_corpus_says_what_is_missing(tmp_path: Path) -> None:
    env = {**os.environ}
    r = subprocess.run(
        [PY, "-c", "import sys; from xensave.conformance import cli, manifest;"
         "manifest.find_manifest = lambda start=None: None;"
         "import argparse; p = argparse.ArgumentParser(); s = p.add_subparsers(dest='c');"
         "cli.register(s); sys.exit(cli.main(p.parse_args(['conformance', 'run'])))"],
        capture_output=True, text=True, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert r.returncode == 2 and "no corpus manifest found" in r.stderr


# --- the restorer role ----------------------------------------------------------------


def _restored_by(corpus: Path, release: str) -> list[str]:
    """The cases the manifest declares restorable by ``release`` (declared by the sample
    corpus from the rules each case breaks, never computed by a checker)."""
    from xensave.target import parse_release, release_set

    rel = parse_release(release)
    return [c.name for c in load_manifest(corpus).cases if rel in release_set(c.restorable or "")]


def _restorer(name: str, mode: str, release: str = "4.17") -> Adapter:
    return impl(name, mode, role="restorer", xen_release=release)


def test_restorer_is_judged_by_declared_restorability(intact: Path) -> None:
    names = [c.name for c in load_manifest(intact).cases]
    good = _restored_by(intact, "4.17")
    # the sample corpus has cases where validity and restorability part ways
    assert "n_libxc-v3_hvm_data-after-end" in good  # invalid (XC-END-003), Xen restores it
    assert "i_libxc-v3_hvm_big-endian" not in good  # a validator may accept; Xen refuses
    assert "y_libxc-v2_hvm" in good and "y_libxc-v3_hvm" in good
    result = go(
        intact,
        [
            _restorer("fake-xen", "accept:" + ",".join(good)),
            _restorer("validator-as-restorer", "oracle"),
            impl("fake-xen-as-validator", "accept:" + ",".join(good)),
        ],
        names=names,
    )
    fake, oracle_, validator = result.impls
    assert set(outcomes(result, 0).values()) == {"pass"} and fake.ok
    assert all(r.status == "pass" and r.level == "required" for r in fake.results)
    # the file-name oracle accepts i_/y_ and rejects n_: wrong for a restorer here
    wrong = {n for n, o in outcomes(result, 1).items() if o != "pass"}
    assert wrong == {
        "n_libxc-v3_hvm_data-after-end",
        "n_libxc_reserved-nonzero",
        "n_libxl_reserved-nonzero",
        "i_libxc-v3_hvm_big-endian",
    }
    assert outcomes(result, 1)["i_libxc-v3_hvm_big-endian"] == "false-accept"
    assert statuses(result, 1)["n_libxc-v3_hvm_data-after-end"] == "fail"
    assert not oracle_.ok
    # the same fake restorer judged as a validator (the default role) fails on validity
    assert outcomes(result, 2)["n_libxc-v3_hvm_data-after-end"] == "false-accept"
    assert not validator.ok


def test_restorer_release_changes_the_verdicts(intact: Path) -> None:
    good = _restored_by(intact, "4.17")
    result = go(intact, [_restorer("fake-4.17-as-4.11", "accept:" + ",".join(good), "4.11")])
    wrong = {n for n, o in outcomes(result).items() if o != "pass"}
    # v3 streams came with 4.14: Xen 4.11 must refuse what 4.17 restores
    assert wrong == {n for n in SMALL if "-v3_" in n and n in good}
    assert wrong and all(outcomes(result)[n] == "false-accept" for n in wrong)


def test_restorer_without_declarations_is_unsupported(tmp_path: Path) -> None:
    from xensave.conformance._samplecorpus import write_sample_corpus

    path = write_sample_corpus(tmp_path)
    m = json.loads(path.read_text())
    for c in m["cases"]:
        c.pop("restorable")
        c.pop("restore_decided_by")
    path.write_text(json.dumps(m))
    result = go(path, [_restorer("r", "oracle"), impl("v", "oracle")])
    assert set(statuses(result, 0).values()) == {"unsupported"}
    assert "restorability" in result.impls[0].results[0].message
    assert set(outcomes(result, 1).values()) == {"pass"}  # a validator does not need it


def test_restorer_adapter_files(tmp_path: Path) -> None:
    def write(obj: dict[str, object]) -> Path:
        p = tmp_path / "a.json"
        p.write_text(json.dumps({"name": "x", "command": "true {file}", **obj}))
        return p

    a = load_adapter(write({"role": "restorer", "xen_release": "4.17"}))
    assert (a.role, a.xen_release, a.role_label) == ("restorer", "4.17", "restorer (Xen 4.17)")
    assert a.to_json()["role"] == "restorer" and a.to_json()["xen_release"] == "4.17"
    assert load_adapter(write({})).role == "validator"
    # a validator may say which release it embodies; it is still judged by validity
    v = load_adapter(write({"xen_release": "4.17"}))
    assert (v.role, v.role_label) == ("validator", "validator")
    for bad, word in (
        ({"role": "restorer"}, "xen_release"),
        ({"role": "restorer", "xen_release": "4.99"}, "xen_release"),
        ({"role": "restorer", "xen_release": 4.17}, "xen_release"),
        ({"role": "checker"}, "role"),
        ({"xen_release": "4.x"}, "xen_release"),
    ):
        with pytest.raises(AdapterError, match=word):
            load_adapter(write(bad))


def test_reports_show_the_role(corpus: Path, tmp_path: Path) -> None:
    good = _restored_by(corpus, "4.17")
    result = go(corpus, [_restorer("fake-xen", "accept:" + ",".join(good)), impl("v", "oracle")])
    buf = io.StringIO()
    write_terminal(result, buf)
    text = buf.getvalue()
    assert "== fake-xen (exit-code, restorer (Xen 4.17))" in text
    assert "== v (exit-code, validator)" in text
    data = to_json(result)
    impls = {i["name"]: i for i in data["implementations"]}
    assert impls["fake-xen"]["role"] == "restorer" and impls["fake-xen"]["xen_release"] == "4.17"
    assert impls["v"]["role"] == "validator"
    big = "i_libxc-v3_hvm_big-endian"
    by_case = {r["case"]: r for r in impls["fake-xen"]["results"]}
    assert by_case[big]["expected"] == "reject"  # Xen refuses it; the case's verdict is "either"
    assert {r["case"]: r for r in impls["v"]["results"]}[big]["expected"] == "either"
    junit = tmp_path / "j.xml"
    write_junit(result, junit)
    suites = {s.get("name"): s for s in ET.parse(junit).getroot().iter("testsuite")}
    props = {p.get("name"): p.get("value") for p in suites["fake-xen"].iter("property")}
    assert props["role"] == "restorer (Xen 4.17)"
    html = render_html(result)
    assert "restorer (Xen 4.17)" in html and "restored by Xen" in html


# --- private copies ------------------------------------------------------------------------


def test_workspace_reuses_only_directories_it_emptied(tmp_path: Path) -> None:
    """A directory comes back for a later case only when nothing but the copy was in it:
    each case still sees a directory holding its own file alone."""
    from xensave.conformance.execute import Workspace

    ws = Workspace(str(tmp_path))
    first = ws.hand_over("a.bin", b"one")
    assert list(first.parent.iterdir()) == [first]
    assert (first.stat().st_mode & 0o777, first.parent.stat().st_mode & 0o777) == (0o444, 0o555)
    assert ws.take_back(first, b"one") is None
    second = ws.hand_over("b.bin", b"two")
    assert second.parent == first.parent and list(second.parent.iterdir()) == [second]
    os.chmod(second.parent, 0o700)  # a testee (root ignores modes) leaves a file behind
    (second.parent / "left-over").write_bytes(b"")
    assert ws.take_back(second, b"two") is None
    assert not second.parent.exists()
    third = ws.hand_over("c.bin", b"three")
    assert third.parent != second.parent and list(third.parent.iterdir()) == [third]
    os.chmod(third.parent, 0o700)
    third.unlink()
    assert ws.take_back(third, b"three") == "deleted"
    ws.close()
    assert not ws.root.exists()


def test_workspace_goes_where_tmpdir_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TMPDIR wins; without it the copies go to RAM (/dev/shm) where Linux has it."""
    import tempfile

    from xensave.conformance.execute import Workspace

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    ws = Workspace()
    assert ws.root.parent == tmp_path
    ws.close()
    monkeypatch.delenv("TMPDIR")
    ws = Workspace()
    shm = Path("/dev/shm")
    usable = shm.is_dir() and os.access(shm, os.W_OK)
    assert ws.root.parent == (shm if usable else tmp_path)
    ws.close()


def test_a_response_is_measured_for_depth_only_when_it_could_be_too_deep() -> None:
    """decode_response skips the depth scan for a body with at most MAX_DEPTH brackets;
    the limit still holds at its edge, and brackets inside strings never count."""
    from xensave.conformance.protocol import MAX_DEPTH, ProtocolError, decode_response

    def nested(levels: int) -> bytes:
        return json.dumps({"verdict": "accept", "summary": _nest(levels - 1)}).encode()

    def _nest(levels: int) -> object:
        return [] if levels <= 1 else [_nest(levels - 1)]

    assert decode_response(nested(MAX_DEPTH)).verdict == "accept"
    with pytest.raises(ProtocolError, match="nests"):
        decode_response(nested(MAX_DEPTH + 1))
    stringy = {"verdict": "reject", "message": "[" * 500, "diagnostics": [{"rule": "{" * 99}]}
    assert decode_response(json.dumps(stringy).encode()).verdict == "reject"
