"""Commands other than verify and dump load only when asked for (verify's start-up is
most of its run time on large images), and their listing stays true to the modules."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from xensave import cli, samples


def _subcommand_help(parser: argparse.ArgumentParser) -> dict[str, str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: str(a.help) for a in sub._choices_actions}


def test_listing_help_equals_each_module_help() -> None:
    lazy = _subcommand_help(cli.build_parser())
    real = _subcommand_help(cli.build_parser(full=True))
    assert set(lazy) == set(real)
    for name in cli.LAZY_COMMANDS:
        assert lazy[name] == real[name], name


def test_verify_loads_no_other_command(tmp_path: Path) -> None:
    image = tmp_path / "i.bin"
    image.write_bytes(samples.valid_samples()[0].data)
    code = (
        "import sys, xensave.cli as c; rc = c.main(['verify', '-q', sys.argv[1]]); "
        "print(rc, ' '.join(sorted(m for m in sys.modules if m.startswith('xensave'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(image)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == "0"
    loaded = set(out[1:])
    heavy_modules = ("conformance", "convert", "export", "fuzz", "legacy", "kaitai", "model")
    for heavy in (*heavy_modules, "diff", "target"):
        assert not [m for m in loaded if m.split(".")[1:2] == [heavy]], (heavy, sorted(loaded))


def test_target_xen_loads_its_module_only_when_given(tmp_path: Path) -> None:
    image = tmp_path / "i.bin"
    image.write_bytes(samples.valid_samples()[0].data)
    code = (
        "import sys, xensave.cli as c; rc = c.main(sys.argv[2:] + [sys.argv[1]]); "
        "print(rc, 'xensave.target' in sys.modules)"
    )
    for args, loaded in (
        (["verify", "-q"], "False"),
        (["verify", "-q", "--target-xen", "4.6"], "True"),
    ):
        out = subprocess.run(
            [sys.executable, "-c", code, str(image), *args],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert out == ["0", loaded], args


def test_fast_verify_reads_its_arguments_as_argparse_does() -> None:
    """The plain verify the harness runs skips argparse; whatever it accepts, argparse
    reads the same way, and whatever else goes to argparse."""
    for argv in (
        ["verify", "-q", "x.img"],
        ["verify", "--quiet", "x.img"],
        ["verify", "x.img", "--json"],
        ["verify", "--stop-at-end", "-"],
        ["verify", "-q", "-q", "--stop-at-end", "x.img"],
    ):
        fast = cli._fast_verify(argv)
        assert fast is not None, argv
        assert vars(fast) == vars(cli.build_parser("verify").parse_args(argv)), argv
    for argv in (
        ["verify"],
        ["verify", "--qui", "x.img"],  # an abbreviation argparse accepts
        ["verify", "-q", "--json", "x.img"],  # an error argparse reports
        ["verify", "--", "x.img"],
        ["verify", "a.img", "b.img"],
        ["verify", "--target-xen", "4.6", "x.img"],
        ["verify", "--legacy-width", "32", "x.img"],
        ["verify", "--help"],
        ["dump", "x.img"],
    ):
        assert cli._fast_verify(argv) is None, argv


def test_fast_exit_keeps_output_and_status(tmp_path: Path) -> None:
    """``run`` ends a plain verify with os._exit: its output must be complete and its
    status the verdict's."""
    good = tmp_path / "good.bin"
    good.write_bytes(samples.valid_samples()[0].data)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(samples.valid_samples()[0].data[:-8])
    for image, rc in ((good, 0), (bad, 1)):
        for flags in (["-q"], ["--json"], []):
            p = subprocess.run(
                [sys.executable, "-m", "xensave", "verify", *flags, str(image)],
                capture_output=True,
                text=True,
            )
            assert p.returncode == rc, (image, flags, p.stderr)
            if flags == ["--json"]:
                import json

                assert json.loads(p.stdout)["valid"] is (rc == 0)
            elif not flags:
                assert p.stdout.endswith(")\n") and str(image) in p.stdout
