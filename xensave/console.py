"""What the commands share at the terminal: exit statuses, opening an input, the
--legacy-* flags, plurals, and the one form in which every command prints a read error.

It sits low in the package: ``cli``, ``target``, ``diff``, ``convert`` and ``dump``
import it and it imports none of them, so no command imports another (or the command
line) for these. It stays cheap to import: ``xensave verify`` loads it first.
"""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sized
    from typing import Any, BinaryIO, Protocol

    from .legacy.read import LegacyOptions
    from .source import ReadError

    class Verdict(Protocol):
        """What ``summary_line`` needs of a checker report (``xensave.checker.Report``)."""

        @property
        def valid(self) -> bool: ...
        @property
        def layer(self) -> str | None: ...
        @property
        def bytes_read(self) -> int: ...
        @property
        def errors(self) -> Sized: ...
        @property
        def warnings(self) -> Sized: ...
        @property
        def notes(self) -> Sized: ...


EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_ERROR = 2

STDIN_NAME = "<stdin>"
_PIPE_SIZE = 1 << 20  # ask the kernel for a 1 MiB pipe when reading one
_F_SETPIPE_SZ = 1031  # Linux fcntl; absent from the fcntl module before Python 3.10 on some builds


# --- input ------------------------------------------------------------------------


class InputError(Exception):
    """The input cannot be opened or read (exit 2)."""


def open_input(path: str) -> tuple[BinaryIO, str, int | None]:
    """(binary file, display name, size or None). Never opens for writing."""
    if path == "-":
        try:
            fd = sys.stdin.fileno()
            st = os.fstat(fd)
        except (AttributeError, OSError, ValueError) as exc:
            raise InputError(f"cannot read stdin: {reason(exc)}") from None
        if os.isatty(fd):
            raise InputError("stdin is a terminal: give a FILE, or pipe an image into '-'")
        if stat.S_ISFIFO(st.st_mode):
            _grow_pipe(fd)
        regular = stat.S_ISREG(st.st_mode)
        # Unbuffered for pipes: the reader then splices skipped page data straight to
        # /dev/null. Buffered (small) for files, which the reader seeks through.
        f: BinaryIO = open(fd, "rb", buffering=(1 << 16) if regular else 0, closefd=False)  # noqa: SIM115
        return f, STDIN_NAME, st.st_size if regular else None
    try:
        f = open(path, "rb", buffering=1 << 16)  # noqa: SIM115
        st = os.fstat(f.fileno())
    except OSError as exc:
        raise InputError(f"cannot open {path}: {reason(exc)}") from None
    if stat.S_ISDIR(st.st_mode):
        f.close()
        raise InputError(f"cannot read {path}: it is a directory")
    return f, path, st.st_size if stat.S_ISREG(st.st_mode) else None


def _grow_pipe(fd: int) -> None:
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", _F_SETPIPE_SZ), _PIPE_SIZE)
    except (ImportError, OSError):
        pass  # not Linux, or over the unprivileged limit: the default size works too


def reason(exc: BaseException) -> str:
    """The OS's words for an I/O error (``No such file or directory``)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# --- the legacy flags -------------------------------------------------------------


def add_legacy_flags(p: argparse.ArgumentParser) -> None:
    """--legacy-width and --legacy-guest: settle a legacy image that reads as several
    variants (they are detected otherwise)."""
    p.add_argument(
        "--legacy-width",
        type=int,
        choices=(32, 64),
        help="a legacy image's toolstack width, when detection finds it ambiguous",
    )
    p.add_argument(
        "--legacy-guest",
        choices=("pv", "hvm"),
        help="a legacy image's guest type, when detection finds it ambiguous",
    )


def legacy_options(args: object) -> LegacyOptions | None:
    """The reader's ``ReadOptions.legacy`` from the --legacy-* flags (None without any,
    so that a non-legacy image loads no legacy code)."""
    width = getattr(args, "legacy_width", None)
    guest = getattr(args, "legacy_guest", None)
    if width is None and guest is None:
        return None
    from .legacy.read import LegacyOptions

    return LegacyOptions(width, guest)


# --- text -------------------------------------------------------------------------


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(name: str, report: Verdict) -> str:
    """``guest.xl: INVALID libxc image: 2 errors, 0 warnings, 1 note (4096 bytes read)``,
    the line ``verify`` ends with (``--target-xen`` too)."""
    verdict = "valid" if report.valid else "INVALID"
    layer = f"{report.layer} image" if report.layer else "image"
    return (
        f"{name}: {verdict} {layer}: {plural(len(report.errors), 'error')}, "
        f"{plural(len(report.warnings), 'warning')}, {plural(len(report.notes), 'note')} "
        f"({report.bytes_read} bytes read)"
    )


def error_json(err: ReadError) -> dict[str, Any]:
    """A read error as ``verify --json`` and ``dump --json`` report it."""
    return {
        "offset": err.offset,
        "message": err.message,
        "rule": err.rule,
        "layer": err.layer,
        "record_index": err.index,
        "record_type": err.rtype,
    }


def format_read_error(err: ReadError, name: str) -> str:
    """``FILE:0x1a2b8: [libxl ]record #37 PAGE_DATA: XC-REC-003: message``, the form of
    the checker's diagnostics."""
    where = ""
    if err.index is not None and err.layer in ("libxl", "libxc"):
        from .reader import record_name  # loaded already by whoever raised ``err``

        prefix = "libxl " if err.layer == "libxl" else ""
        rtype = "" if err.rtype is None else f" {record_name(err.layer, err.rtype)}"
        where = f"{prefix}record #{err.index}{rtype}: "
    rule = f"{err.rule}: " if err.rule else ""
    return f"{name}:{err.offset:#x}: {where}{rule}{err.message}"
