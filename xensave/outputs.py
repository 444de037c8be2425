"""Where the commands that write a file (``convert``, ``export``, ``pages``) put it.

One policy for all of them, so that hostile paths meet the same refusals everywhere:

- OUT is only ever a regular file we create: an existing OUT that is not a regular
  file (device, FIFO, socket, directory, symlink) is refused whatever ``--force`` says,
  and so is an OUT that is the input (same path or same inode).
- An existing regular OUT is replaced only with ``--force``.
- The output is written to a temporary file beside OUT whose name says it is ours
  (``.OUT.xensave-PID-RANDOM.tmp``) and renamed over OUT when complete; SIGINT,
  SIGTERM and SIGHUP remove it; one left by a killed run (its pid dead, or older than
  a day) is swept by the next run writing the same OUT.

It sits low in the package and imports no command.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import time
from types import FrameType

from .console import EXIT_ERROR

#: A temporary file older than this is stale even if its pid is alive (pids are reused).
STALE_AGE = 24 * 3600
_TMP_RE = re.compile(r"\.xensave-(\d+)-[0-9a-f]{8}\.tmp\Z")


class OutputError(Exception):
    """OUT cannot or must not be written (exit 2)."""

    code = EXIT_ERROR


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def check_output(inp: str | None, out: str, force: bool) -> bool:
    """Refuse an OUT we must not write (OutputError); return whether OUT exists (a
    regular file ``force`` lets us replace)."""
    if out == "-":
        raise OutputError("OUT must be a file, not -")
    if inp not in (None, "-") and os.path.abspath(inp) == os.path.abspath(out):
        raise OutputError(f"{out}: is the input; refusing to write over it")
    try:
        ost = os.lstat(out)
    except FileNotFoundError:
        return False
    except OSError as e:
        raise OutputError(f"{out}: {e.strerror}") from None
    if not stat.S_ISREG(ost.st_mode):
        raise OutputError(
            f"{out}: is {_kind(ost.st_mode)}; outputs are only written to regular files "
            "(or new paths), whatever --force says"
        )
    if inp not in (None, "-"):
        with contextlib.suppress(OSError):
            ist = os.stat(inp)
            if (ist.st_dev, ist.st_ino) == (ost.st_dev, ost.st_ino):
                raise OutputError(f"{out}: is the input (same inode); refusing to write over it")
    if not force:
        raise OutputError(f"{out}: exists; use --force to replace it")
    return True


# --- temporary files beside OUT --------------------------------------------------------

_live: set[str] = set()
_handlers_installed = False


def temp_name(out: str) -> str:
    d = os.path.dirname(os.path.abspath(out))
    base = os.path.basename(out)
    return os.path.join(d, f".{base}.xensave-{os.getpid()}-{os.urandom(4).hex()}.tmp")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def sweep_stale(out: str, now: float | None = None) -> list[str]:
    """Remove our temporary files for ``out`` left by a killed run: those whose pid is
    dead, or older than STALE_AGE. Returns the paths removed."""
    d = os.path.dirname(os.path.abspath(out))
    prefix = f".{os.path.basename(out)}.xensave-"
    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        names = os.listdir(d)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(prefix):
            continue
        m = _TMP_RE.search(name[len(os.path.basename(out)) + 1 :])
        if m is None:
            continue
        path = os.path.join(d, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or (_pid_alive(pid) and now - st.st_mtime < STALE_AGE):
            continue
        with contextlib.suppress(OSError):
            os.unlink(path)
            removed.append(path)
    return removed


def _on_signal(signum: int, frame: FrameType | None) -> None:
    # Unlink first: whatever the interrupted code does next, nothing of ours stays.
    for path in list(_live):
        with contextlib.suppress(OSError):
            os.unlink(path)
    _live.clear()
    raise KeyboardInterrupt  # unwinds like SIGINT: finally blocks close what is open


def _install_handlers() -> None:
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is None:
            continue
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _on_signal)


def create_temp(out: str) -> tuple[int, str]:
    """A new temporary file beside ``out`` (mode 0600), removed on SIGTERM/SIGHUP until
    ``forget`` is called; stale ones of earlier killed runs are swept first."""
    _install_handlers()
    sweep_stale(out)
    for _ in range(100):
        path = temp_name(out)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except FileExistsError:
            continue
        _live.add(path)
        return fd, path
    raise OutputError(f"{out}: cannot create a temporary file beside it")


def forget(path: str) -> None:
    """``path`` was renamed into place or removed: no longer ours to clean up."""
    _live.discard(path)


def remove_temp(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
    _live.discard(path)


def install(tmp: str, out: str, replace: bool) -> None:
    """Rename ``tmp`` to ``out``: over a regular file when ``replace``, else only if
    OUT is still absent. What took OUT's name meanwhile is checked again, so a FIFO or
    link planted after the first check is refused too."""
    try:
        ost = os.lstat(out)
    except FileNotFoundError:
        ost = None
    if ost is not None and not stat.S_ISREG(ost.st_mode):
        raise OutputError(
            f"{out}: is {_kind(ost.st_mode)}; outputs are only written to regular files"
        )
    if ost is not None and not replace:
        raise OutputError(f"{out}: exists; use --force to replace it")
    if replace:
        os.replace(tmp, out)
    else:
        try:
            os.link(tmp, out)  # fails if OUT appeared meanwhile
        except FileExistsError:
            raise OutputError(f"{out}: exists; use --force to replace it") from None
        os.unlink(tmp)
    forget(tmp)
