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


#: One valid corpus image of each kind a verify reaches different checks for.
START_UP_IMAGES = (
    "y_libxc-v3_hvm_typical.bin",  # HVM context, HVM params, CPU policy
    "y_libxc-v3_x86_64-pv_typical.bin",  # PV contexts and page tables
    "y_xl-v3_hvm_typical.bin",  # xl header and its JSON configuration
    "y_libxl-v3_x86_64-pv_typical.bin",
    "y_legacy-legacy_x86_64-pv_toolstack-64.bin",  # the legacy reader
    "y_legacy-legacy_hvm_toolstack-64.bin",
    "y_libvirt-v3_hvm_in-libvirt.bin",
    "y_xapi-v3_hvm_in-xapi.bin",
)
#: Standard modules a plain verify must not import (issue 21 item 3: its start-up is
#: the harness's cost per case): typing and what it pulls in, dataclasses and the
#: inspect machinery behind it, argparse (the fast path reads the arguments itself),
#: importlib's helpers, contextlib, re, and enum (xensave's enumerations are built
#: without it: xensave._codes).
NOT_ON_VERIFY_PATH = (
    "typing",
    "dataclasses",
    "inspect",
    "ast",
    "dis",
    "tokenize",
    "argparse",
    "gettext",
    "contextlib",
    "importlib.util",
    "weakref",
    "tomllib",
    "json",
    "re",
    "enum",
    "xml.etree.ElementTree",
)
#: What an image's outer layer needs: nothing heavy (an xl file's JSON configuration is
#: read by json's C scanner without json, xensave._jsonfast; libvirt's XML by expat
#: without xml.etree, xensave._xmlfast).
ALLOWED: dict[str, set[str]] = {}
#: The checks of the layers an image does not have stay unloaded.
UNREACHED = {
    "y_libxc-v3_hvm_typical.bin": ("check.legacy", "check.xend", "check.xl_file", "legacy"),
    "y_libxc-v3_x86_64-pv_typical.bin": ("check.legacy", "check.xend", "hvm_context", "xend"),
    "y_legacy-legacy_x86_64-pv_toolstack-64.bin": ("check.libxc", "check.libxl", "xend"),
}


def test_plain_verify_imports_no_heavy_standard_module() -> None:
    """The console script's way (``xensave.cli:run``) of ``verify -q``, per image kind:
    none of the heavy standard modules, nor the checks of a layer the image lacks."""
    corpus = Path(__file__).resolve().parent.parent / "conformance" / "corpus"
    code = (
        "import sys, xensave.cli as c; rc = c.main(['verify', '-q', sys.argv[1]]); "
        "print(rc, ' '.join(sorted(sys.modules)))"
    )
    for name in START_UP_IMAGES:
        out = subprocess.run(
            [sys.executable, "-c", code, str(corpus / name)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert out[0] == "0", name
        loaded = set(out[1:])
        allowed = ALLOWED.get(name.split("-")[0], set())
        heavy = sorted(m for m in NOT_ON_VERIFY_PATH if m in loaded and m not in allowed)
        assert not heavy, (name, heavy)
        ours = sorted(m for m in UNREACHED.get(name, ()) if f"xensave.{m}" in loaded)
        assert not ours, (name, ours)


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
