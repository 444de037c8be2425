"""Running a testee on one case: processes, pipes, deadlines, caps.

Every testee runs in a process group of its own (``process_group=0``), so a
timeout or the end of a case kills the group and nothing the testee forked is left
behind. Pipes are read through a selector with a deadline; each stream is kept up
to a cap and the rest is counted and dropped, so a testee that floods its output
neither fills the harness's memory nor blocks on a full pipe. With a memory limit
the child sets ``RLIMIT_AS`` on itself before it executes the command.

:func:`run_exit_code` runs one process per case; :class:`PersistentSession` keeps
one process and talks the frame protocol of :mod:`xensave.conformance.protocol`,
restarting it whenever it dies, hangs or breaks the protocol, and blames the case
that was in flight.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import selectors
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .adapters import Adapter

from .protocol import MAX_RESPONSE, RESPONSE_PREFIX, ProtocolError, decode_response, encode_request

__all__ = [
    "ExecOptions",
    "PersistentSession",
    "RawResult",
    "StartError",
    "Unavailable",
    "Workspace",
    "kill_all",
    "probe",
    "run_exit_code",
]

_READ = 1 << 20
_POLL = 0.02  # without pidfd: how often to look whether the child has exited
_CLOSE_GRACE = 2.0  # a persistent testee gets this long to exit after its stdin ends
_PIPE_GRACE = 1.0  # after the testee exits, its pipes get this long to reach EOF


class StartError(Exception):
    """The command cannot be executed at all (not found, not executable)."""


@dataclass
class ExecOptions:
    timeout: float = 10.0
    output_cap: int = 1 << 20
    memory_limit: int | None = None  # bytes of address space, or None
    startup_grace: float = 10.0  # extra time for the first case after a (re)start


@dataclass
class RawResult:
    """What a testee did with one case, before anyone judged it."""

    kind: str  # accept reject unsupported error crash signal timeout protocol-error
    message: str = ""
    exit_code: int | None = None
    signal: int | None = None
    stdout: bytes = b""
    stdout_total: int = 0
    stderr: bytes = b""
    stderr_total: int = 0
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    summary: Any = None
    seconds: float = 0.0
    input_modified: str | None = None  # what it did: "deleted", "rewrote", "replaced"...


class _Capped:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.cap - len(self.data)
        if room > 0:
            self.data += chunk[:room]


# --- processes --------------------------------------------------------------------

_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the testee's process group. Called only while the leader is not yet
    reaped, so its id cannot have been reused."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def kill_all() -> None:
    """Kill every testee still running (on an interrupt)."""
    with _live_lock:
        procs = list(_live)
    for p in procs:
        if p.returncode is None:
            _kill_group(p)


def _spawn(argv: list[str], stdin: Any, opts: ExecOptions) -> subprocess.Popen[bytes]:
    preexec: Callable[[], None] | None = None
    if opts.memory_limit:
        limit = opts.memory_limit

        def preexec() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        proc = subprocess.Popen(
            argv,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            process_group=0,
            preexec_fn=preexec,
            close_fds=True,
        )
    except OSError as exc:
        raise StartError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    with _live_lock:
        _live.add(proc)
    return proc


def _reap(proc: subprocess.Popen[bytes]) -> int:
    """Kill the rest of the group, then collect the leader's status."""
    _kill_group(proc)
    rc = proc.wait()
    with _live_lock:
        _live.discard(proc)
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f is not None:
            with contextlib.suppress(OSError):
                f.close()
    return rc


class _ExitWatch:
    """Tells, without reaping, whether a child has exited: a pidfd in the selector
    where the system has them, polling otherwise."""

    def __init__(self, proc: subprocess.Popen[bytes], sel: selectors.BaseSelector) -> None:
        self.pid = proc.pid
        self.fd: int | None = None
        self.exited = False
        try:
            self.fd = os.pidfd_open(proc.pid)
            sel.register(self.fd, selectors.EVENT_READ, "exit")
        except (AttributeError, OSError):
            self.fd = None

    @property
    def poll_interval(self) -> float | None:
        return _POLL if self.fd is None and not self.exited else None

    def check(self) -> bool:
        if not self.exited and self.fd is None:
            with contextlib.suppress(ChildProcessError):
                info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
                self.exited = info is not None
        return self.exited

    def fired(self, sel: selectors.BaseSelector) -> None:
        self.exited = True
        if self.fd is not None:
            sel.unregister(self.fd)
            os.close(self.fd)
            self.fd = None

    def close(self, sel: selectors.BaseSelector) -> None:
        if self.fd is not None:
            with contextlib.suppress(KeyError, ValueError):
                sel.unregister(self.fd)
            os.close(self.fd)
            self.fd = None


def _status(rc: int) -> tuple[str, str, int | None, int | None]:
    """(kind, message, exit code, signal) of an exit status other than 0 and 1."""
    if rc < 0:
        sig = -rc
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return "signal", f"killed by signal {sig} ({name})", None, sig
    msg = f"exit code {rc}"
    if rc > 128 and rc - 128 < 65:
        with contextlib.suppress(ValueError):
            msg += f" (128+{rc - 128}: a shell reporting {signal.Signals(rc - 128).name}?)"
    return "crash", msg, rc, None


def _mem_note(opts: ExecOptions, kind: str) -> str:
    if opts.memory_limit and kind in ("crash", "signal"):
        return f"; memory limit {opts.memory_limit >> 20} MiB"
    return ""


def run_exit_code(argv: list[str], stdin_path: str | None, opts: ExecOptions) -> RawResult:
    """One process for one case: exit 0 accepts, 1 rejects, anything else is a
    failure of its own kind. ``stdin_path``: the file to put on stdin, or None for
    /dev/null (the command names the file itself)."""
    start = time.monotonic()
    deadline = start + opts.timeout
    stdin_f: IO[bytes] | int
    stdin_f = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        proc = _spawn(argv, stdin_f, opts)
    finally:
        if not isinstance(stdin_f, int):
            stdin_f.close()
    out, err = _Capped(opts.output_cap), _Capped(opts.output_cap)
    sel = selectors.DefaultSelector()
    bufs: dict[int, _Capped] = {}
    for f, cap in ((proc.stdout, out), (proc.stderr, err)):
        assert f is not None
        os.set_blocking(f.fileno(), False)
        sel.register(f.fileno(), selectors.EVENT_READ, "data")
        bufs[f.fileno()] = cap
    watch = _ExitWatch(proc, sel)
    timed_out = False
    exited_at: float | None = None
    try:
        while bufs or not watch.check():
            now = time.monotonic()
            if exited_at is None and watch.check():
                exited_at = now
            if exited_at is not None and now > exited_at + _PIPE_GRACE:
                break  # it exited; something outside its group still holds the pipes
            remaining = deadline - now
            if remaining <= 0:
                timed_out = True
                break
            wait = remaining if watch.poll_interval is None else min(remaining, _POLL)
            for key, _ in sel.select(wait):
                if key.data == "exit":
                    watch.fired(sel)
                    _kill_group(proc)  # stragglers holding the pipes open
                    continue
                fd = int(key.fd)
                try:
                    chunk = os.read(fd, _READ)
                except BlockingIOError:
                    continue
                if chunk:
                    bufs[fd].add(chunk)
                else:
                    sel.unregister(fd)
                    del bufs[fd]
            if watch.check() and bufs:
                _kill_group(proc)
    finally:
        watch.close(sel)
        sel.close()
        rc = _reap(proc)
    seconds = time.monotonic() - start
    common: dict[str, Any] = {
        "stdout": bytes(out.data),
        "stdout_total": out.total,
        "stderr": bytes(err.data),
        "stderr_total": err.total,
        "seconds": seconds,
    }
    if timed_out:
        return RawResult(
            "timeout",
            f"no exit within {opts.timeout:g} s; process group killed",
            **common,
        )
    if rc == 0:
        return RawResult("accept", "exit code 0", exit_code=0, **common)
    if rc == 1:
        return RawResult("reject", "exit code 1", exit_code=1, **common)
    kind, msg, code, sig = _status(rc)
    return RawResult(kind, msg + _mem_note(opts, kind), exit_code=code, signal=sig, **common)


# --- the persistent protocol ------------------------------------------------------


class PersistentSession:
    """One long-lived testee. :meth:`run` sends a case and waits for its answer;
    any breach of the protocol ends the process, which the next case restarts."""

    def __init__(self, argv: list[str], opts: ExecOptions) -> None:
        self.argv = argv
        self.opts = opts
        self.proc: subprocess.Popen[bytes] | None = None
        self.sel: selectors.BaseSelector | None = None
        self.watch: _ExitWatch | None = None
        self.buf = bytearray()
        self.fresh = True
        self.starts = 0
        self.next_id = 1

    def _start(self) -> None:
        proc = _spawn(self.argv, subprocess.PIPE, self.opts)
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        sel = selectors.DefaultSelector()
        for f in (proc.stdin, proc.stdout, proc.stderr):
            os.set_blocking(f.fileno(), False)
        sel.register(proc.stdout.fileno(), selectors.EVENT_READ, "stdout")
        sel.register(proc.stderr.fileno(), selectors.EVENT_READ, "stderr")
        self.proc, self.sel = proc, sel
        self.watch = _ExitWatch(proc, sel)
        self.buf = bytearray()
        self.fresh = True
        self.starts += 1

    def _stop(self) -> int | None:
        """Kill and reap the testee; its exit status (negative for a signal)."""
        proc, sel, watch = self.proc, self.sel, self.watch
        self.proc = self.sel = self.watch = None
        if proc is None:
            return None
        assert sel is not None and watch is not None
        watch.close(sel)
        sel.close()
        return _reap(proc)

    def close(self) -> None:
        """End the testee politely: close its stdin, give it a moment, then kill."""
        proc, watch, sel = self.proc, self.watch, self.sel
        if proc is None:
            return
        assert watch is not None and sel is not None and proc.stdin is not None
        with contextlib.suppress(OSError):
            proc.stdin.close()
        deadline = time.monotonic() + _CLOSE_GRACE
        while not watch.check() and time.monotonic() < deadline:
            for key, _ in sel.select(_POLL if watch.poll_interval else deadline - time.monotonic()):
                if key.data == "exit":
                    watch.fired(sel)
                else:
                    with contextlib.suppress(BlockingIOError):
                        if not os.read(int(key.fd), _READ):
                            sel.unregister(key.fd)
        self._stop()

    def run(
        self, header: dict[str, Any], image: bytes, meanwhile: Callable[[], None] | None = None
    ) -> RawResult:
        """Send one request and wait for its answer. ``meanwhile`` is called once, as
        soon as the request is on its way (its first octets written), to do other work
        while the testee judges (``xensave fuzz`` builds its next case); it must not
        raise. The time it takes is added to the testee's time limit."""
        if self.proc is None:
            self._start()
        proc, sel, watch = self.proc, self.sel, self.watch
        assert proc is not None and sel is not None and watch is not None
        assert proc.stdin is not None
        start = time.monotonic()
        grace = self.opts.startup_grace if self.fresh else 0.0
        deadline = start + self.opts.timeout + grace
        self.fresh = False
        rid = self.next_id
        self.next_id += 1
        pending = memoryview(encode_request({**header, "id": rid}, image))
        in_fd = proc.stdin.fileno()
        sel.register(in_fd, selectors.EVENT_WRITE, "stdin")
        writing = True
        err = _Capped(self.opts.output_cap)
        stdout_open = True
        problem: tuple[str, str] | None = None
        body: bytes | None = None
        if self.buf:
            problem = (
                "protocol-error",
                f"{len(self.buf)} unsolicited bytes on stdout before this request "
                f"({bytes(self.buf[:16]).hex()}...)",
            )
        while problem is None and body is None:
            need = self._frame_need()
            if isinstance(need, str):
                problem = ("protocol-error", need)
                break
            if need == 0:
                (length,) = RESPONSE_PREFIX.unpack_from(self.buf)
                end = RESPONSE_PREFIX.size + length
                body = bytes(self.buf[RESPONSE_PREFIX.size : end])
                del self.buf[:end]
                break
            if not stdout_open:
                break
            if watch.check():  # the leader is gone: what it wrote is all there will be
                deadline = min(deadline, time.monotonic() + _PIPE_GRACE)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if watch.check():
                    stdout_open = False  # exited; its stdout lingers elsewhere
                    break
                problem = ("timeout", self._timeout_message(grace))
                break
            wait = remaining if watch.poll_interval is None else min(remaining, _POLL)
            for key, _ in sel.select(wait):
                if key.data == "stdin":
                    try:
                        n = os.write(in_fd, pending[: 1 << 20])
                    except BlockingIOError:
                        continue
                    except (BrokenPipeError, ConnectionResetError):
                        n = len(pending)  # it stopped reading; what it says next decides
                    pending = pending[n:]
                    if not pending:
                        sel.unregister(in_fd)
                        writing = False
                    if meanwhile is not None:
                        work, meanwhile = meanwhile, None
                        began = time.monotonic()
                        work()
                        # the harness's own work is not the testee's time
                        spent = time.monotonic() - began
                        deadline += spent
                        start += spent
                elif key.data == "exit":
                    watch.fired(sel)
                else:
                    try:
                        chunk = os.read(int(key.fd), _READ)
                    except BlockingIOError:
                        continue
                    if key.data == "stderr":
                        if chunk:
                            err.add(chunk)
                        else:
                            sel.unregister(key.fd)
                    elif chunk:
                        self.buf += chunk
                    else:
                        sel.unregister(key.fd)
                        stdout_open = False
        if writing:
            sel.unregister(in_fd)
        self._drain_stderr(err)
        seconds = time.monotonic() - start
        common: dict[str, Any] = {
            "stderr": bytes(err.data),
            "stderr_total": err.total,
            "seconds": seconds,
        }
        if body is not None and problem is None:
            try:
                resp = decode_response(body)
            except ProtocolError as exc:
                problem = ("protocol-error", str(exc))
            else:
                if resp.id is not None and resp.id != rid:
                    problem = ("protocol-error", f"answer to request {resp.id}, not {rid}")
                elif self.buf:
                    problem = (
                        "protocol-error",
                        f"{len(self.buf)} more bytes after the response "
                        f"({bytes(self.buf[:16]).hex()}...)",
                    )
                else:
                    return RawResult(
                        resp.verdict,
                        resp.message,
                        diagnostics=resp.diagnostics,
                        summary=resp.summary,
                        stdout=body[: self.opts.output_cap],
                        stdout_total=len(body),
                        **common,
                    )
        if problem is None:  # stdout closed before a whole response
            return self._died(common)
        stdout = bytes(self.buf[: self.opts.output_cap])
        rc = self._stop()
        extra = f" (the testee then exited: {_describe_rc(rc)})" if rc is not None else ""
        kind, msg = problem
        if kind == "timeout" or rc is None or rc == -signal.SIGKILL:
            extra = "; process group killed"
        return RawResult(kind, msg + extra, stdout=stdout, stdout_total=len(stdout), **common)

    def _frame_need(self) -> int | str:
        """0 when the buffer holds a whole response, >0 while more is needed, a
        message when the length prefix is garbage."""
        if len(self.buf) < RESPONSE_PREFIX.size:
            return RESPONSE_PREFIX.size - len(self.buf)
        length: int = RESPONSE_PREFIX.unpack_from(self.buf)[0]
        if length > MAX_RESPONSE:
            head = bytes(self.buf[:16])
            return (
                f"response length {length} is over the {MAX_RESPONSE >> 20} MiB limit "
                f"(garbage on stdout? it starts {head!r})"
            )
        return max(0, RESPONSE_PREFIX.size + int(length) - len(self.buf))

    def _timeout_message(self, grace: float) -> str:
        got = len(self.buf)
        part = f"; {got} bytes of a response had arrived" if got else ""
        extra = f" (+{grace:g} s for starting)" if grace else ""
        return f"no answer within {self.opts.timeout:g} s{extra}{part}"

    def _drain_stderr(self, err: _Capped) -> None:
        proc = self.proc
        if proc is None or proc.stderr is None:
            return
        fd = proc.stderr.fileno()
        for _ in range(64):
            try:
                chunk = os.read(fd, _READ)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                return
            err.add(chunk)

    def _died(self, common: dict[str, Any]) -> RawResult:
        """stdout ended: the testee is gone (or going). Blame this case."""
        watch = self.watch
        assert watch is not None and self.sel is not None
        deadline = time.monotonic() + 1.0
        while not watch.check() and time.monotonic() < deadline:
            for key, _ in self.sel.select(_POLL):
                if key.data == "exit":
                    watch.fired(self.sel)
        partial = len(self.buf)
        stdout = bytes(self.buf[: self.opts.output_cap])
        exited = watch.exited
        rc = self._stop()
        assert rc is not None
        if not exited:
            return RawResult(
                "crash",
                "closed its stdout without answering; process group killed",
                stdout=stdout,
                stdout_total=partial,
                **common,
            )
        if partial:
            need = self._need_of(stdout)
            return RawResult(
                "protocol-error",
                f"half a response: {partial} of {need} bytes, then the testee "
                f"exited ({_describe_rc(rc)})",
                exit_code=rc if rc >= 0 else None,
                signal=-rc if rc < 0 else None,
                stdout=stdout,
                stdout_total=partial,
                **common,
            )
        kind, msg, code, sig = (
            _status(rc) if rc not in (0, 1) else ("crash", f"exit code {rc}", rc, None)
        )
        return RawResult(
            kind,
            f"{msg} before answering{_mem_note(self.opts, kind)}",
            exit_code=code,
            signal=sig,
            stdout=stdout,
            stdout_total=partial,
            **common,
        )

    @staticmethod
    def _need_of(buf: bytes) -> str:
        if len(buf) < RESPONSE_PREFIX.size:
            return f"{RESPONSE_PREFIX.size}+"
        (length,) = RESPONSE_PREFIX.unpack_from(buf)
        return str(RESPONSE_PREFIX.size + length)


def _describe_rc(rc: int | None) -> str:
    if rc is None:
        return "still running"
    if rc < 0:
        try:
            return f"killed by signal {-rc} ({signal.Signals(-rc).name})"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit code {rc}"


# --- private copies ---------------------------------------------------------------


def _read_file(path: str, size: int) -> bytes:
    """The first ``size`` + 1 octets of a file (one more tells a longer file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        left = size + 1
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _default_base() -> str | None:
    """Where private copies go: RAM (``/dev/shm``) where Linux offers it, unless
    ``TMPDIR`` says otherwise; else the system's temporary directory. On a disk file
    system with online discard, removing a directory costs milliseconds, more than a
    persistent testee takes for a case."""
    shm = "/dev/shm"
    if "TMPDIR" in os.environ or not (os.path.isdir(shm) and os.access(shm, os.W_OK)):
        return None
    return shm


class Workspace:
    """Hands each case to a testee as a private read-only copy in a directory that
    holds nothing else, and tells afterwards whether the testee deleted or rewrote it.

    A directory emptied after its case is handed to a later case (one at a time) rather
    than removed and made again: removing directories dominated a run's per-case cost on
    disk file systems. One the testee left anything else in is removed, never reused."""

    def __init__(self, base: str | None = None) -> None:
        self.root = Path(
            tempfile.mkdtemp(prefix="xensave-conformance-", dir=base or _default_base())
        )
        self._root = str(self.root)
        self._copies = 0
        self._free: list[str] = []
        self._lock = threading.Lock()

    def _new_dir(self) -> str:
        # plain os calls on str paths: a fuzz run hands over hundreds of copies a
        # second, and pathlib, tempfile's random names and shutil cost more than the
        # copy itself (the root is private, so numbered directories are as safe)
        while True:
            with self._lock:
                self._copies += 1
                d = os.path.join(self._root, str(self._copies))
            try:
                os.mkdir(d, 0o700)
                return d
            except FileExistsError:
                continue

    def hand_over(self, name: str, data: bytes) -> Path:
        with self._lock:
            d = self._free.pop() if self._free else None
        path = os.path.join(d or self._new_dir(), name)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        except FileExistsError:  # a testee wrote there after the directory was emptied
            d = None
            path = os.path.join(self._new_dir(), name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, 0o444)
        finally:
            os.close(fd)
        os.chmod(os.path.dirname(path), 0o555)
        return Path(path)

    def take_back(self, path: Path, data: bytes) -> str | None:
        """None when the copy is as handed over; else what happened; then remove it."""
        p = str(path)
        try:
            st = os.lstat(p)
            if not stat.S_ISREG(st.st_mode):  # a symlink, a directory, a fifo...
                what: str | None = "replaced"
            elif st.st_size != len(data) or _read_file(p, len(data)) != data:
                what = "rewrote"  # "the testee rewrote its input copy"
            else:
                what = None
        except FileNotFoundError:
            what = "deleted"
        except OSError:
            what = "made unreadable"
        self._recycle(p)
        return what

    def _recycle(self, path: str) -> None:
        """Empty the case's directory for the next case, or remove it when the testee
        left more than its copy there or made it other than a plain directory."""
        d = os.path.dirname(path)
        try:
            if stat.S_ISDIR(os.lstat(d).st_mode):
                os.chmod(d, 0o700)
                if os.path.lexists(path):
                    os.unlink(path)
                with os.scandir(d) as left:
                    empty = next(left, None) is None
                if empty:
                    with self._lock:
                        self._free.append(d)
                    return
        except OSError:
            pass
        self._remove(d)

    def _remove(self, d: str) -> None:
        with contextlib.suppress(OSError):
            os.chmod(d, 0o700)

        def onerror(func: Any, p: str, exc: Any) -> None:
            with contextlib.suppress(OSError):
                os.chmod(os.path.dirname(p), 0o700)
                func(p)

        shutil.rmtree(d, onerror=onerror)

    def close(self) -> None:
        for dirpath, dirnames, _ in os.walk(self.root):
            for dn in dirnames:
                with contextlib.suppress(OSError):
                    os.chmod(os.path.join(dirpath, dn), 0o700)
        shutil.rmtree(self.root, ignore_errors=True)


# --- can it start at all? -----------------------------------------------------------

#: Interpreters whose first argument, when it is not an option, is a script that
#: must exist (``node {here}/testee.js``, ``python3 ./mine.py {file}``).
_INTERPRETERS = re.compile(r"^(python[0-9.]*|pypy[0-9.]*|node|nodejs|perl|ruby|bash|sh|dash)$")
#: An error line worth showing from a testee that exits at once: Python's last
#: exception line, node's ``Error: Cannot find module ...``.
_ERROR_LINE = re.compile(r"^\s*[A-Za-z_.]*(Error|Exception)\b.*:")
_PROBE_STDERR = 64 << 10


@dataclass(frozen=True)
class Unavailable:
    """Why an implementation cannot start here, and what would make it start."""

    cause: str
    fix: str

    def line(self, name: str) -> str:
        return f"{name}: unavailable: {self.cause}; fix: {self.fix}"


def _telling_line(stderr: bytes) -> str:
    """The line of a start-up failure that says why (node ends with its version,
    Python with the exception): the last error line, else the last line."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    errors = [ln for ln in lines if _ERROR_LINE.match(ln)]
    line = (errors or lines or ["(nothing on stderr)"])[-1]
    return line if len(line) <= 200 else line[:197] + "..."


def _static_probe(adapter: Adapter) -> Unavailable | None:
    argv = adapter.command
    program = argv[0]
    if adapter.source is not None:
        where = f"the adapter file {adapter.source}"
    else:
        where = f"{adapter.origin[0]} {adapter.name}" if adapter.origin else "the command"
    if os.sep in program:
        if not os.path.exists(program):
            return Unavailable(
                f"{program} does not exist", adapter.setup or f"build it, or correct {where}"
            )
        if not os.access(program, os.X_OK) or os.path.isdir(program):
            return Unavailable(
                f"{program} is not executable", adapter.setup or f"chmod +x {program}"
            )
    elif shutil.which(program) is None:
        return Unavailable(
            f"{program} is not on the PATH",
            adapter.setup or f"install {program}, or give its full path in {where}",
        )
    must_exist = list(adapter.files)
    if _INTERPRETERS.match(os.path.basename(program)) and len(argv) > 1:
        script = argv[1]
        if not script.startswith("-") and "{file}" not in script:
            must_exist.append(script)
    for f in dict.fromkeys(must_exist):
        if not os.path.exists(f):
            return Unavailable(
                f"{f} does not exist", adapter.setup or f"restore the file, or correct {where}"
            )
    return None


def probe(adapter: Adapter, budget: float = 10.0) -> Unavailable | None:
    """Whether ``adapter`` can start here, found before any case runs so that a missing
    runtime is reported once and its cases are skipped, never a crash per case.

    Every command: its program must be found and executable, and the script an
    interpreter is given (or an adapter file's ``{here}/...`` argument) must exist. A
    persistent testee is also started with its standard input already at end: the
    protocol's end of a session, on which it exits 0 (spec/harness-protocol.md). One
    that exits otherwise within ``budget`` seconds cannot start (node without its
    modules, Python without a package); one still starting then is left to the run."""
    found = _static_probe(adapter)
    if found is not None or adapter.protocol != "persistent":
        return found
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                adapter.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                process_group=0,
                close_fds=True,
            )
        except OSError as exc:
            return Unavailable(
                f"cannot run {adapter.command[0]}: {exc.strerror or exc}",
                adapter.setup or "check the command",
            )
        with _live_lock:
            _live.add(proc)
        deadline = time.monotonic() + budget
        exited = False
        try:  # wait without reaping, so that the group can still be killed safely
            while not exited and time.monotonic() < deadline:
                info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
                exited = info is not None
                if not exited:
                    time.sleep(_POLL)
        finally:
            rc = _reap(proc)
        if not exited or rc == 0:
            return None
        err.seek(0, os.SEEK_END)
        size = err.tell()
        err.seek(max(0, size - _PROBE_STDERR))
        line = _telling_line(err.read(_PROBE_STDERR))
    status = f"signal {-rc}" if rc < 0 else f"status {rc}"
    shown = " ".join(adapter.command[:3])
    return Unavailable(
        f"it exits with {status} before the first case: {line}",
        adapter.setup or f"run it by hand to see why: {shown} </dev/null",
    )
