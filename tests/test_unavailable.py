"""An implementation that cannot start here (issue 18, item 4): reported once as
``unavailable`` with the cause and the fix, its cases skipped before they run, exit 2
when it was asked for by name, the exit status untouched when it was only one of the
bundled adapters. Each test simulates one missing runtime: a program or interpreter
that is not there, a script an adapter file names that is not there, node without its
modules, a Python testee whose import fails, a testee whose answers say its runtime
cannot be had (as the Xen columns do); and ``xensave fuzz`` the same."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from testees.support import ADAPTERS, PERSISTENT_TESTEE, PY, ROOT, SMALL, go, impl

from xensave.conformance.adapters import Adapter, load_adapter
from xensave.conformance.execute import probe

#: the fixtures ``corpus`` and ``intact``
pytest_plugins = ("testees.fixtures",)


def xs(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "xensave", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def write_adapter(where: Path, **obj: object) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{obj['name']}.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def once(text: str, needle: str) -> None:
    assert text.count(needle) == 1, text


# --- the probe itself ---------------------------------------------------------------


def test_probe_passes_the_bundled_python_adapters() -> None:
    for name in ("reference", "reference-exit", "kaitai-python"):
        assert probe(load_adapter(ADAPTERS / f"{name}.json")) is None, name


def test_probe_finds_a_missing_interpreter_in_an_adapter_file(tmp_path: Path) -> None:
    path = write_adapter(
        tmp_path,
        name="gone",
        protocol="persistent",
        command=["/nonexistent/python9", "{here}/testee.py"],
        setup="install python9",
    )
    found = probe(load_adapter(path))
    assert found is not None
    assert found.cause == "/nonexistent/python9 does not exist"
    assert found.fix == "install python9"  # the adapter file's own setup


def test_probe_finds_a_program_not_on_the_path() -> None:
    found = probe(Adapter("m", ["no-such-program-xensave", "{file}"], origin=["--impl", "m=..."]))
    assert found is not None and "not on the PATH" in found.cause
    assert "--impl m" in found.fix


def test_probe_finds_a_missing_script(tmp_path: Path) -> None:
    path = write_adapter(
        tmp_path, name="js", protocol="persistent", command=["node", "{here}/gone.js"]
    )
    # the interpreter may or may not be here; either is reported before the script
    found = probe(load_adapter(path))
    assert found is not None
    assert ("gone.js does not exist" in found.cause) or ("node" in found.cause)
    py = probe(Adapter("p", [PY, str(tmp_path / "mine.py"), "{file}"]))
    assert py is not None and py.cause == f"{tmp_path / 'mine.py'} does not exist"


def test_probe_reports_the_telling_line_of_a_testee_that_exits_at_once() -> None:
    a = Adapter("p", [PY, "-c", "import xensave_no_such_module"], protocol="persistent")
    found = probe(a)
    assert found is not None
    assert "exits with status 1 before the first case" in found.cause
    assert "ModuleNotFoundError: No module named 'xensave_no_such_module'" in found.cause


def test_probe_leaves_a_slow_starter_to_the_run() -> None:
    slow = Adapter("s", [PY, "-c", "import time; time.sleep(30)"], protocol="persistent")
    t0 = time.monotonic()
    assert probe(slow, budget=0.5) is None
    assert time.monotonic() - t0 < 10


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed here")
def test_kaitai_js_without_node_modules_is_one_line_saying_npm_ci(
    intact: Path, tmp_path: Path
) -> None:
    """The bundled kaitai-js adapter, copied where no node_modules is reachable (an
    empty one, as before `npm ci`): one line naming the module and `npm ci`, exit 2."""
    adapters = tmp_path / "checkout" / "conformance" / "adapters"
    shutil.copytree(ADAPTERS / "example-testee", adapters / "example-testee")
    shutil.copy(ADAPTERS / "kaitai-js.json", adapters / "kaitai-js.json")
    (tmp_path / "checkout" / "node_modules").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "NODE_PATH"}
    t0 = time.monotonic()
    r = xs(
        "conformance", "run", "--manifest", str(intact), "-q",
        "--adapter", str(adapters / "kaitai-js.json"), env=env,
    )  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    out = r.stdout + r.stderr
    once(out, "unavailable:")
    assert "Cannot find module 'kaitai-struct/KaitaiStream'" in out
    assert "run npm ci" in out
    assert "crash" not in out and "Node.js v" not in out
    assert "kaitai-js UNAVAILABLE" in r.stdout
    assert time.monotonic() - t0 < 60


# --- conformance run ----------------------------------------------------------------


def test_named_impl_that_cannot_start_is_one_line_and_exit_2(intact: Path) -> None:
    r = xs("conformance", "run", "--manifest", str(intact), "--impl", "g=/nonexistent/x {file}")
    assert r.returncode == 2, r.stdout + r.stderr
    out = r.stdout + r.stderr
    once(out, "/nonexistent/x does not exist")
    assert "fix: build it, or correct --impl g" in out
    assert "crash" not in out and "Traceback" not in out


def test_named_adapter_file_with_a_missing_interpreter(intact: Path, tmp_path: Path) -> None:
    path = write_adapter(
        tmp_path, name="gone", command=["/nonexistent/python9", "{here}/t.py", "{file}"]
    )
    r = xs("conformance", "run", "--manifest", str(intact), "--adapter", str(path), "--json")
    assert r.returncode == 2, r.stderr
    (data,) = json.loads(r.stdout)["implementations"]
    assert data["status"] == "unavailable"
    assert data["unavailable"] == "/nonexistent/python9 does not exist"
    assert data["fix"] and str(path) in data["fix"]
    assert {x["outcome"] for x in data["results"]} == {"unsupported"}


def test_an_unavailable_column_among_the_bundled_ones_keeps_the_exit_status(
    tmp_path: Path,
) -> None:
    """Run without names, over bundled adapters of which one cannot start: the others
    run, the one is reported once, the exit status is theirs."""
    from xensave.conformance._samplecorpus import write_sample_corpus

    manifest = write_sample_corpus(tmp_path / "c")
    adapters = tmp_path / "c" / "adapters"
    write_adapter(
        adapters, name="fine", protocol="persistent", command=[PY, "-S", PERSISTENT_TESTEE]
    )
    write_adapter(adapters, name="gone", command=["/nonexistent/tool", "{file}"])
    r = xs("conformance", "run", "--manifest", str(manifest), "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    once(r.stdout + r.stderr, "/nonexistent/tool does not exist")
    assert "result: OK (fine OK, gone UNAVAILABLE)" in r.stdout


def declining_testee(tmp_path: Path, log: Path) -> Path:
    """A persistent testee that answers every case `unsupported` with
    summary.unavailable, as the Xen columns do without apt, logging each request."""
    script = tmp_path / "declines.py"
    script.write_text(
        "import json, struct, sys\n"
        "inp, out = sys.stdin.buffer, sys.stdout.buffer\n"
        "while True:\n"
        "    p = inp.read(12)\n"
        "    if not p:\n"
        "        sys.exit(0)\n"
        "    h, n = struct.unpack('<IQ', p)\n"
        "    head = json.loads(inp.read(h)); inp.read(n)\n"
        f"    open({str(log)!r}, 'a').write(head['name'] + '\\n')\n"
        "    why = 'libfoo is not installed'\n"
        "    b = json.dumps({'verdict': 'unsupported', 'id': head['id'], 'message': why,\n"
        "                    'summary': {'unavailable': why}}).encode()\n"
        "    out.write(struct.pack('<I', len(b)) + b); out.flush()\n",
        encoding="utf-8",
    )
    return script


def test_runtime_said_unavailable_in_an_answer_skips_the_rest(corpus: Path, tmp_path: Path) -> None:
    """Such a testee is asked once; its other cases are skipped, not each declined."""
    log = tmp_path / "asked"
    script = declining_testee(tmp_path, log)
    a = Adapter("d", [PY, "-S", str(script)], protocol="persistent", setup="install libfoo")
    result = go(corpus, [a], names=SMALL, jobs=1)
    (run,) = result.impls
    assert run.status == "unavailable"
    assert (run.unavailable, run.fix) == ("libfoo is not installed", "install libfoo")
    assert len(log.read_text().splitlines()) == 1
    assert all(r.outcome == "unsupported" for r in run.results)


def test_update_expected_failures_leaves_an_unavailable_list_alone(
    intact: Path, tmp_path: Path
) -> None:
    xf = tmp_path / "gone.txt"
    xf.write_text("n_libxc_bad-id\n", encoding="utf-8")
    r = xs(
        "conformance", "run", "--manifest", str(intact), "--impl", "g=/nonexistent/x {file}",
        "--expected-failures", f"g={xf}", "--update-expected-failures",
    )  # fmt: skip
    assert r.returncode == 2
    assert xf.read_text(encoding="utf-8") == "n_libxc_bad-id\n"
    assert "stale" not in r.stdout


def test_runner_skips_an_unavailable_impl_fast(corpus: Path) -> None:
    t0 = time.monotonic()
    result = go(corpus, [impl("ok", "oracle"), Adapter("x", ["/nonexistent/x", "{file}"])])
    assert time.monotonic() - t0 < 60
    assert result.impls[0].status == "ok"
    assert result.impls[1].status == "unavailable"
    assert result.impls[1].starts == 0


# --- fuzz -----------------------------------------------------------------------------


def test_fuzz_with_an_impl_that_cannot_start_is_one_line_and_exit_2(tmp_path: Path) -> None:
    r = subprocess.run(
        [PY, "-m", "xensave", "fuzz", "--impl", "g=/nonexistent/x {file}", "--max-examples", "5",
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    once(r.stderr, "g: unavailable: /nonexistent/x does not exist; fix:")
    assert r.stdout == "" and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_fuzz_with_a_persistent_testee_that_exits_at_once(tmp_path: Path) -> None:
    r = subprocess.run(
        [PY, "-m", "xensave", "fuzz", "--persistent-impl",
         f"p={sys.executable} -c 'import xensave_no_such_module'", "--max-examples", "5",
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    once(r.stderr, "unavailable:")
    assert "No module named 'xensave_no_such_module'" in r.stderr


def test_the_html_matrix_says_unavailable_with_the_fix(corpus: Path) -> None:
    from xensave.conformance.html import render_html

    a = Adapter("x", ["/nonexistent/x", "{file}"], setup="install x from its vendor")
    page = render_html(go(corpus, [impl("ok", "oracle"), a]))
    assert "<b>unavailable</b>" in page
    assert "/nonexistent/x does not exist; fix: install x from its vendor" in page


def test_fuzz_with_a_testee_whose_runtime_cannot_be_had(tmp_path: Path) -> None:
    log = tmp_path / "asked"
    script = declining_testee(tmp_path, log)
    r = subprocess.run(
        [PY, "-m", "xensave", "fuzz", "--persistent-impl", f"d={PY} -S {script}",
         "--max-examples", "50", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    once(r.stderr, "d: unavailable: libfoo is not installed; fix:")
    assert len(log.read_text().splitlines()) == 1  # one request, not fifty
