"""The ``xensave`` command: ``verify`` and ``dump``.

Exit codes (everywhere): 0 valid, 1 invalid, 2 usage or I/O error. Bad input never
produces a traceback; the input is only ever opened for reading. Imports are lazy so
that ``xensave verify`` loads the reader and checker and nothing else.
"""

from __future__ import annotations

import os
import sys

from .console import (
    EXIT_ERROR,
    EXIT_INVALID,
    EXIT_VALID,
    InputError,
    add_legacy_flags,
    error_json,
    format_read_error,
    legacy_options,
    open_input,
    reason,
    summary_line,
)

#: typing, collections.abc and contextlib stay off the verify path (with ``re`` and
#: ``enum`` that typing brings, a fifth of verify's start-up); mypy reads this name as
#: true whatever its value.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from typing import NoReturn

    from .progress import Progress


def _parser_class() -> type[argparse.ArgumentParser]:
    """argparse, but usage errors print one usage line and the message, exit 2.
    (Defined on first use: importing argparse is a third of verify's start-up.)"""
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            self.print_usage(sys.stderr)
            self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")

    return _Parser


VERIFY_EPILOG = """\
exit status: 0 valid, 1 invalid, 2 usage or I/O error (also a legacy image that
reads as several toolstack widths or guest types: the message names them and the
--legacy-width/--legacy-guest options that choose one)

examples:
  xensave verify guest.xl                  # diagnostics, then a summary line
  xensave verify -q guest.xl && echo ok    # only the exit status
  xensave verify --json guest.xl | jq '.diagnostics[].rule'
  cat guest.xl | xensave verify -          # read a pipe (or a socket) on stdin
  xensave verify --target-xen 4.13 guest.xl  # could Xen 4.13 restore it? why not?

A diagnostic reads FILE:OFFSET: record #N TYPE: RULE-ID: message, e.g.
  guest.xl:0x1a2b8: record #37 PAGE_DATA: XC-PAGE-004: pfn[12] has reserved bits 52-59 set
"""

DUMP_EPILOG = """\
exit status: 0 the whole image was read, 1 its framing is lost (the listing stops
there and the reason is printed on stderr), 2 usage or I/O error, or a legacy image
whose variant is ambiguous (settle it with --legacy-width/--legacy-guest)

examples:
  xensave dump guest.xl                    # layers and records, PAGE_DATA runs folded
  xensave dump --all guest.xl              # every PAGE_DATA record on its own line
  xensave dump --json guest.xl | jq '.items[] | select(.kind == "record") | .name'
  ssh host cat /var/lib/xen/save/vm | xensave dump -

Offsets are from the start of the input. Page contents are never printed.
"""

MAIN_EPILOG = """\
examples:
  xensave verify guest.xl
  xensave dump guest.xl
  xensave diff before.xl after.xl
  xensave COMMAND --help                   # options and examples of one command

exit status: 0 valid, 1 invalid, 2 usage or I/O error
"""


#: Commands whose code is imported only when they run, so that ``xensave verify``
#: starts fast: module, its ``register(subparsers)`` function, {command: handler}, and
#: the one-line help the top-level listing shows (a test holds it equal to the
#: module's own).
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "conformance": ("xensave.conformance.cli", "register", "main"),
    "convert": ("xensave.convert", "register", "cmd_convert"),
    "export": ("xensave.export", "register", "cmd_export"),
    "pages": ("xensave.export", "register", "cmd_pages"),
    "fuzz": ("xensave.fuzz.cli", "register", "main"),
    "diff": ("xensave.diff", "register", "cmd_diff"),
    "edit": ("xensave.edit", "register", "cmd_edit"),
}
LAZY_HELP: dict[str, str] = {
    "conformance": "run the conformance corpus against implementations",
    "convert": "convert a legacy image to v3/v2, libxc v3 <-> v2, or move between toolstacks",
    "export": "write guest memory as an ELF core (gdb) or a sparse raw image",
    "pages": "write chosen guest pages and say which were never sent",
    "fuzz": "fuzz an implementation; shrink and keep what fails",
    "diff": "compare two images: headers, config, records, registers, policies, pages",
    "edit": "change a configuration, register, HVM context field or HVM param",
}


def _requested(argv: Sequence[str] | None) -> str | None:
    args = sys.argv[1:] if argv is None else list(argv)
    return next((a for a in args if not a.startswith("-")), None)


def build_parser(command: str | None = None, *, full: bool = False) -> argparse.ArgumentParser:
    """The parser; a lazy command gets its real sub-parser only when it is the one
    asked for (or ``full``), the others a placeholder that only lists it."""
    import argparse

    from . import __version__

    _Parser = _parser_class()
    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="xensave",
        description="Reference tools for the Xen domain save image "
        "(xl save files, libvirt and XAPI wrappers, libxl and libxc streams).",
        epilog=MAIN_EPILOG,
        formatter_class=fmt,
    )
    parser.add_argument("--version", action="version", version=f"xensave {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    verify = sub.add_parser(
        "verify",
        help="check an image against the spec's rules",
        description="Check a save image against every rule of the spec and report each "
        "violation with its offset, record and rule ID.",
        epilog=VERIFY_EPILOG,
        formatter_class=fmt,
    )
    verify.add_argument("file", metavar="FILE", help="the image, or - for stdin")
    add_legacy_flags(verify)
    out = verify.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the report as JSON")
    out.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing; only the exit status"
    )
    verify.add_argument(
        "--stop-at-end",
        action="store_true",
        help="stop reading at the outermost END instead of at end of input (for a live "
        "migration socket, which stays open after END); bytes after END go unchecked",
    )
    verify.add_argument(
        "--target-xen",
        metavar="X.Y",
        type=_target_release,
        help="also say whether Xen release X.Y could restore the image, with each reason "
        "it would refuse it (exit 1 when it would)",
    )

    dump = sub.add_parser(
        "dump",
        help="list the layers and records of an image",
        description="List every layer and record of a save image with its offset and "
        "decoded fields (headers, page counts and pfn ranges, the registers of each vCPU "
        "from PV contexts and HVM CPU entries, HVM context entries, HVM params by name, "
        "xenstore keys, CPUID and MSR policy entries).",
        epilog=DUMP_EPILOG,
        formatter_class=fmt,
    )
    dump.add_argument("file", metavar="FILE", help="the image, or - for stdin")
    add_legacy_flags(dump)
    dump.add_argument("--json", action="store_true", help="print the full structure as JSON")
    dump.add_argument(
        "--all", action="store_true", help="list each PAGE_DATA record instead of runs"
    )
    dump.add_argument(
        "--stop-at-end",
        action="store_true",
        help="stop reading at the outermost END instead of at end of input (for a live "
        "migration socket, which stays open after END)",
    )
    wanted = {m for n, (m, _r, _h) in LAZY_COMMANDS.items() if full or n == command}
    registered: set[str] = set()
    for name, (module, register, _handler) in LAZY_COMMANDS.items():
        if module in wanted:
            if module not in registered:
                getattr(_import(module), register)(sub)
                registered.add(module)
        else:
            sub.add_parser(name, help=LAZY_HELP[name], add_help=False)
    return parser


def _progress(size: int | None, label: str) -> Progress:
    from .progress import Progress

    return Progress(size, label)


# --- commands ---------------------------------------------------------------------


def _target_release(text: str) -> tuple[int, int]:
    from .target import argparse_release  # only when --target-xen is given

    return argparse_release(text)


class VerifyArgs:
    """The namespace of a plain verify: the attributes argparse's would have."""

    def __init__(self, file: str) -> None:
        self.command = "verify"
        self.file = file
        self.quiet = False
        self.json = False
        self.stop_at_end = False
        self.target_xen: tuple[int, int] | None = None
        self.legacy_width: int | None = None
        self.legacy_guest: str | None = None


def _fast_verify(argv: Sequence[str] | None) -> VerifyArgs | None:
    """The arguments of the plain ``verify [-q | --json] [--stop-at-end] FILE`` that
    the harness's exit-code protocol runs for every case, read without argparse (a
    third of the process's start-up); anything else (other options, abbreviations,
    ``--``, errors, help) is None and goes through the full parser, which alone
    decides what is an error."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] != "verify":
        return None
    flags = {"-q": "quiet", "--quiet": "quiet", "--json": "json", "--stop-at-end": "stop_at_end"}
    given: set[str] = set()
    file = None
    for a in args[1:]:
        if a in flags:
            given.add(flags[a])
        elif (a == "-" or not a.startswith("-")) and file is None:
            file = a
        else:
            return None
    if file is None or {"quiet", "json"} <= given:
        return None
    ns = VerifyArgs(file)
    for name in given:
        setattr(ns, name, True)
    return ns


def cmd_verify(args: argparse.Namespace | VerifyArgs) -> int:
    if getattr(args, "target_xen", None) is not None:
        from .target import cmd_verify_target

        return cmd_verify_target(args)  # type: ignore[arg-type]  # argparse's: fast path has none

    f, name, size = open_input(args.file)

    from .checker import check_stream
    from .reader import LegacyAmbiguous, ReadError

    progress = _progress(size, "verifying: ") if not args.quiet else None
    try:
        with f:
            try:
                report = check_stream(
                    f,
                    progress=progress.update if progress else None,
                    legacy=legacy_options(args),
                    ambiguous_raises=True,
                    stop_at_end=args.stop_at_end,
                )
            except ReadError as exc:  # the checker reports all but ambiguity itself
                if progress:
                    progress.close()
                if isinstance(exc, LegacyAmbiguous):
                    print(f"xensave: {format_read_error(exc, name)}", file=sys.stderr)
                    return EXIT_ERROR
                if args.json:
                    import json

                    print(json.dumps({"file": name, "valid": False, "error": error_json(exc)}))
                elif not args.quiet:
                    print(format_read_error(exc, name))
                return EXIT_INVALID
            except BrokenPipeError:
                raise
            except OSError as exc:
                raise InputError(f"cannot read {name}: {reason(exc)}") from None
    finally:
        if progress:
            progress.close()
    if args.quiet:
        return EXIT_VALID if report.valid else EXIT_INVALID
    if args.json:
        import json

        data = report.to_json()
        if isinstance(data, str):
            data = json.loads(data)
        if isinstance(data, dict):
            data = {"file": name, **data}
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        write = sys.stdout.write
        for d in report.diagnostics:
            write(d.format(name) + "\n")
        write(summary_line(name, report) + "\n")
    sys.stdout.flush()
    return EXIT_VALID if report.valid else EXIT_INVALID


def cmd_dump(args: argparse.Namespace) -> int:
    from .dump import dump
    from .reader import LegacyAmbiguous

    f, name, size = open_input(args.file)
    progress = _progress(size, "reading: ")
    try:
        with f:
            try:
                result = dump(
                    f,
                    sys.stdout,
                    name=name,
                    as_json=args.json,
                    fold=not args.all,
                    progress=progress.update,
                    legacy=legacy_options(args),
                    stop_at_end=args.stop_at_end,
                )
            except BrokenPipeError:
                raise
            except OSError as exc:
                raise InputError(f"cannot read {name}: {reason(exc)}") from None
    finally:
        progress.close()
    sys.stdout.flush()
    if result.error is not None:
        print(f"xensave: {format_read_error(result.error, name)}", file=sys.stderr)
        return EXIT_ERROR if isinstance(result.error, LegacyAmbiguous) else EXIT_INVALID
    return EXIT_VALID


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "verify": cmd_verify,
    "dump": cmd_dump,
}


def _handler(name: str) -> Callable[[argparse.Namespace], int]:
    if name in COMMANDS:
        return COMMANDS[name]
    module, _register, handler = LAZY_COMMANDS[name]
    fn: Callable[[argparse.Namespace], int] = getattr(_import(module), handler)
    return fn


def _import(module: str) -> object:
    import importlib  # only for a command other than verify and dump

    return importlib.import_module(module)


def _quiet_stdout() -> None:
    """After EPIPE on stdout: point it at /dev/null so the interpreter's final flush
    does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _tolerant_stdout() -> None:
    """A file name the terminal's encoding cannot show (PYTHONIOENCODING=ascii, a
    non-UTF-8 name) is escaped, as stderr does already, never an encoding error."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:  # noqa: SIM105 (contextlib is not on the verify path)
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError, AttributeError):
                pass


def main(argv: Sequence[str] | None = None) -> int:
    _tolerant_stdout()
    try:
        fast = _fast_verify(argv)
        if fast is not None:
            rc = cmd_verify(fast)
            sys.stdout.flush()
            global _ENDED_FAST
            _ENDED_FAST = True
            return rc
        if _requested(argv) == "export":  # a plain export skips argparse too
            from .export import cmd_export, fast_args

            plain = fast_args(sys.argv[1:] if argv is None else list(argv))
            if plain is not None:
                rc = cmd_export(plain)
                sys.stdout.flush()
                _ENDED_FAST = True  # OUT renamed into place or removed, IN's temporaries too
                return rc
        try:
            args = build_parser(_requested(argv)).parse_args(argv)
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code
            rc = code if isinstance(code, int) else (EXIT_ERROR if code else EXIT_VALID)
        else:
            rc = _handler(args.command)(args)
        sys.stdout.flush()
        return rc
    except InputError as exc:
        print(f"xensave: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("xensave: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(
            "xensave: error: out of memory (the process's memory limit is too low for this input)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except Exception as exc:  # a bug, not bad input; still no traceback by default
        if os.environ.get("XENSAVE_TRACEBACK"):
            raise
        print(
            f"xensave: internal error: {type(exc).__name__}: {exc} "
            "(a bug in xensave; set XENSAVE_TRACEBACK=1 for details and please report it)",
            file=sys.stderr,
        )
        return EXIT_ERROR


#: Set when ``main`` ran the fast verify path to its end (its output flushed).
_ENDED_FAST = False


def run() -> NoReturn:
    """The ``xensave`` command (console script and ``python -m xensave``): ``main``,
    then exit. After a plain verify the process ends at once (``os._exit``) instead of
    tearing down every module and object, a fifth of the harness's cost per case; it
    has only read, and its output is flushed. So does a plain export, whose output is
    in place (or removed) and whose temporaries are gone when ``main`` returns. Other
    commands exit normally (their temporary files and child processes are cleaned up
    on the way)."""
    rc = main()
    if _ENDED_FAST:
        try:  # noqa: SIM105 (contextlib is not on the verify path)
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os._exit(rc)
    sys.exit(rc)
