"""One command line (issue 18, item 5): an exit-status section in every --help,
--json on every command that reports, one policy for an existing OUT (convert,
export, pages: refused with exit 2 naming --force, replaced with it), progress on
stderr for the long commands from files and from pipes, the conformance matrix
written only when asked, and the hint that names the options pinning failures."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from pathlib import Path

import pytest
from testees.support import EXIT_TESTEE, PY, ROOT

from xensave.cli import build_parser

#: the fixtures ``corpus`` and ``intact``
pytest_plugins = ("testees.fixtures",)

IMAGE = ROOT / "conformance" / "corpus" / "y_xl-v2_hvm_typical.bin"
OTHER = ROOT / "conformance" / "corpus" / "y_xl-v2_hvm_xen-4-13.bin"


def xs(
    *args: str,
    cwd: Path | None = None,
    stdin: Path | None = None,
    progress: str | None = None,
) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "XENSAVE_PROGRESS"}
    env["PYTHONPATH"] = str(ROOT)
    if progress is not None:
        env["XENSAVE_PROGRESS"] = progress
    return subprocess.run(  # a pipe on stdin, not a file: its size is unknown
        [PY, "-m", "xensave", *args],
        input=stdin.read_bytes() if stdin is not None else b"",
        capture_output=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )


def _commands() -> dict[str, argparse.ArgumentParser]:
    """Every command and sub-command, by its words ("conformance run")."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(prefix: str, parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    words = f"{prefix} {name}".strip()
                    found[words] = sub
                    walk(words, sub)

    walk("", build_parser(full=True))
    return found


COMMANDS = _commands()
#: The commands that report something (a verdict, a listing, a summary of what was
#: written): each takes --json.
REPORTING = {
    "verify", "dump", "diff", "convert", "export", "pages", "fuzz",
    "conformance run", "conformance list", "conformance coverage",
}  # fmt: skip


def test_every_command_is_walked() -> None:
    assert set(COMMANDS) >= REPORTING
    assert "conformance" in COMMANDS


@pytest.mark.parametrize("words", sorted(COMMANDS))
def test_every_help_has_an_exit_status_section(words: str) -> None:
    r = xs(*words.split(), "--help")
    assert r.returncode == 0, r.stderr
    assert b"exit status" in r.stdout, words
    assert b"Traceback" not in r.stderr


def test_the_top_level_help_has_one_too() -> None:
    r = xs("--help")
    assert r.returncode == 0 and b"exit status: 0 valid, 1 invalid" in r.stdout


@pytest.mark.parametrize("words", sorted(REPORTING))
def test_every_reporting_command_takes_json(words: str) -> None:
    options = {o for a in COMMANDS[words]._actions for o in a.option_strings}
    assert "--json" in options, words


# --- one policy for an existing OUT -----------------------------------------------------

OUT_COMMANDS = {
    "convert": lambda out: ["convert", "--to", "libxc-v3", str(IMAGE), str(out)],
    "export": lambda out: ["export", "raw", str(IMAGE), str(out)],
    "pages": lambda out: ["pages", str(IMAGE), "--pfn", "0-3", "-o", str(out)],
}


@pytest.mark.parametrize("command", sorted(OUT_COMMANDS))
def test_an_existing_out_is_refused_without_force_and_replaced_with_it(
    command: str, tmp_path: Path
) -> None:
    out = tmp_path / "out.bin"
    out.write_bytes(b"precious")
    argv = OUT_COMMANDS[command](out)
    r = xs(*argv)
    assert r.returncode == 2, r.stderr
    assert b"exists; use --force to replace it" in r.stderr
    assert out.read_bytes() == b"precious"
    r = xs(*argv, "--force")
    assert r.returncode == 0, r.stderr
    # replaced: other contents (export raw writes a 4 GiB sparse file: not read whole)
    size = out.stat().st_size
    assert size > 0 and (size != len(b"precious") or out.read_bytes() != b"precious")


# --- --json where it was missing --------------------------------------------------------


def test_convert_json(tmp_path: Path) -> None:
    out = tmp_path / "v3.bin"
    r = xs("convert", "--json", "--to", "libxc-v3", str(IMAGE), str(out))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    # the corpus case's name says what it is: an xl file around a libxc v2 stream
    assert (doc["source"], doc["target"]) == ("libxc-v2", "libxc-v3")
    assert doc["bytes_written"] == out.stat().st_size
    assert doc["output"] == str(out) and isinstance(doc["notes"], list)
    assert xs("verify", "-q", str(out)).returncode == 0


def test_pages_json(tmp_path: Path) -> None:
    out = tmp_path / "p.bin"
    far = 1 << 40  # far beyond any guest of the corpus: never sent
    r = xs("pages", str(IMAGE), "--pfn", "0-3", "--pfn", hex(far), "-o", str(out), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["pfns"] == [[0, 3], [far, far]]
    assert doc["pages"] == 5
    assert doc["output_bytes"] == out.stat().st_size == 5 * doc["page_size"]
    assert [far, far] in doc["never_sent"]
    assert out.read_bytes()[-doc["page_size"] :] == bytes(doc["page_size"])
    # without -o the pages are on stdout: --json cannot share it
    r = xs("pages", str(IMAGE), "--pfn", "0", "--json")
    assert r.returncode == 2 and b"--json needs -o OUT" in r.stderr


def test_conformance_list_json(intact: Path) -> None:
    r = xs("conformance", "list", "--manifest", str(intact), "--json", "-k", "n_*")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["cases"] and all(c["name"].startswith("n_") for c in doc["cases"])
    assert doc["total_cases"] > len(doc["cases"])


# --- progress on stderr -----------------------------------------------------------------


def _long_commands(tmp: Path) -> dict[str, tuple[list[str], bool, str]]:
    """name -> (argv, reads stdin, the label its progress shows)."""
    c, e, p = str(tmp / "c"), str(tmp / "e"), str(tmp / "p")
    return {
        "convert": (["convert", "--to", "libxc-v3", str(IMAGE), c], False, "converting: "),
        "export": (["export", "raw", "-", str(tmp / "r")], True, "exporting: writing: "),
        "export-file": (["export", "elf", str(IMAGE), e], False, "exporting: reading: "),
        "pages": (["pages", "-", "--pfn", "0-3", "-o", p], True, "pages: reading: "),
        "diff": (["diff", "-", str(OTHER)], True, f"diff: reading {OTHER}: "),
        "verify": (["verify", "-"], True, "verifying: "),
        "fuzz": (
            [
                "fuzz",
                "--adapter",
                "reference",
                "--max-examples",
                "3",
                "--seed",
                "1",
                "--out",
                str(tmp / "f"),
            ],
            False,
            "fuzz: reference (persistent), seed 1",
        ),
    }


@pytest.mark.parametrize("name", sorted(_long_commands(Path("/x"))))
def test_long_commands_show_progress_on_stderr(name: str, tmp_path: Path) -> None:
    argv, piped, label = _long_commands(tmp_path)[name]
    r = xs(*argv, stdin=IMAGE if piped else None, progress="always")
    assert r.returncode in (0, 1), r.stderr
    err = r.stderr.decode()
    assert "\r\x1b[K" + label in err, err
    assert "\x1b" not in r.stdout.decode()  # never on stdout


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    argv, _piped, _label = _long_commands(tmp_path)["pages"]
    r = xs(*argv, stdin=IMAGE)
    assert r.returncode == 0 and b"\r" not in r.stderr


def test_conformance_run_shows_progress_in_cases(intact: Path, tmp_path: Path) -> None:
    impl = f"o={PY} -S {EXIT_TESTEE} oracle {{file}}"
    r = xs(
        "conformance", "run", "--manifest", str(intact), "--impl", impl, "-j", "1",
        cwd=tmp_path, progress="always",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"conformance: 1/" in r.stderr and b" cases " in r.stderr


# --- the conformance run's reports ------------------------------------------------------


def test_conformance_html_only_when_asked(intact: Path, tmp_path: Path) -> None:
    impl = f"o={PY} -S {EXIT_TESTEE} oracle {{file}}"
    r = xs("conformance", "run", "--manifest", str(intact), "--impl", impl, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert list(tmp_path.iterdir()) == [] and b"HTML" not in r.stdout
    page = tmp_path / "m.html"
    r = xs(
        "conformance", "run", "--manifest", str(intact), "--impl", impl, "--html", str(page),
        cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0 and page.is_file()
    assert b"<table" in page.read_bytes()


def test_the_hint_after_failures_names_the_options_that_pin_them(
    intact: Path, tmp_path: Path
) -> None:
    impl = f"m={PY} -S {EXIT_TESTEE} wrong:n_libxc_bad-id {{file}}"
    r = xs("conformance", "run", "--manifest", str(intact), "-k", "n_libxc*", "--impl", impl)
    assert r.returncode == 1
    hint = b"--expected-failures m=FILE --update-expected-failures"
    assert hint in r.stdout, r.stdout
    xf = tmp_path / "m.xfail"
    pinned = ["--expected-failures", f"m={xf}", "--update-expected-failures"]
    assert xs("conformance", "run", "--manifest", str(intact), "-k", "n_libxc*",
              "--impl", impl, *pinned).returncode == 0  # fmt: skip
    again = xs("conformance", "run", "--manifest", str(intact), "-k", "n_libxc*",
               "--impl", impl, "--expected-failures", f"m={xf}")  # fmt: skip
    assert again.returncode == 0, again.stdout
