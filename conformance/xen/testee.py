"""Xen 4.17's own code as conformance testees (persistent protocol).

    testee.py restore             Xen's restorer, libxc only
    testee.py restore-hypervisor  ... plus the hypervisor-side checks
    testee.py verify-stream-v2    Xen's verify-stream-v2
    testee.py legacy-chain        convert-legacy-stream (libxl's flags), verify-stream-v2
    testee.py legacy-chain-xapi   the same with XAPI's --width 32 --skip-qemu
    testee.py restore-src[-hypervisor]
                                  restore, restore-hypervisor with the restorer of the
                                  Xen tree $XEN_SRC, built by build.py (build_tree)

Each fetches Debian bookworm's Xen 4.17 on first use (debian.py). When that
cannot be had, the reason is printed once and every case is answered
``unsupported`` with it: the column is empty, not a crash per case.

``python conformance/xen/testee.py restore --file IMAGE`` judges one image and
prints the verdict (exit 0 accepted, 1 refused, 3 unsupported).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import io
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build import Built, build, build_tree
from debian import Unavailable, XenRuntime, runtime

from xensave.conformance.testee import serve
from xensave.reader import (
    LibxlHeader,
    ReadError,
    ReadOptions,
    RecordEvent,
    XapiHeader,
    XcDomainHeader,
    XcImageHeader,
    XlHeader,
    detect,
    read_events,
)

LIBXC_MARKER = b"\xff" * 8
DHDR_TYPE_X86_PV = 1
XC_CHECKPOINT = 0x0000000E  # REC_TYPE_CHECKPOINT (xg_sr_stream_format.h)
LIBXL_LIBXC_CONTEXT = 0x00000002  # REC_TYPE_LIBXC_CONTEXT (libxl_sr_stream_format.h)
XAPI_LIBXC, XAPI_LIBXL = 0x00F0, 0x00F1
MAX_MESSAGE = 600


class Unsupported(Exception):
    """The case is outside what this column judges (the message says why)."""


class Refused(Exception):
    """Xen's toolstack refuses the image before the restorer sees it."""


# --- the libxc stream inside an image -----------------------------------------------


@dataclass
class LibxcStream:
    data: bytes
    guest: str  # "pv" or "hvm": the domain libxl would create
    checkpointed: bool  # a CHECKPOINT record: the receiver runs as Remus/COLO would
    outer_error: str | None  # framing lost outside the libxc layer (xensave's reader)


def libxc_stream(image: bytes) -> LibxcStream:
    """The libxc stream an xl/libxl/libvirt/XAPI image carries, as libxl (or XAPI)
    would hand its bytes to xc_domain_restore: outer framing read by xensave's
    reader, libxc records concatenated (a checkpointed libxl stream interleaves
    them with libxl records, which libxl itself consumes between checkpoints).
    A bare libxc stream is passed on unchanged."""
    head = image[:64]
    layer = detect(head)
    if layer is None:
        raise Unsupported("not an xl, libvirt, XAPI, libxl or libxc image (legacy or unknown)")
    spans: list[tuple[int, int]] = []
    start: int | None = 0 if layer == "libxc" else None
    guest_type: int | None = None
    checkpointed = False
    libxc_end = False
    outer_error: str | None = None
    end_of_libxc = 0
    try:
        for ev in read_events(io.BytesIO(image), ReadOptions(stop_at_end=False)):
            if isinstance(ev, XcImageHeader):
                start = ev.offset
                spans.append((ev.offset, ev.offset + 24))
            elif isinstance(ev, XcDomainHeader):
                guest_type = ev.type
                spans.append((ev.offset, ev.offset + 16))
            elif isinstance(ev, RecordEvent) and ev.layer == "libxc":
                spans.append((ev.offset, ev.offset + 8 + ev.length + (-ev.length % 8)))
                checkpointed |= ev.type == XC_CHECKPOINT
                libxc_end |= ev.type == 0
            elif isinstance(ev, RecordEvent) and ev.type == LIBXL_LIBXC_CONTEXT and start is None:
                start = ev.offset + 8
            elif isinstance(ev, XapiHeader) and ev.kind in (XAPI_LIBXC, XAPI_LIBXL):
                if ev.kind == XAPI_LIBXC and start is None:
                    start = ev.offset + 16
            elif isinstance(ev, XlHeader | LibxlHeader):
                pass
    except ReadError as exc:
        if exc.layer == "libxc" or (start is not None and not libxc_end):
            # Framing lost inside the libxc stream: Xen reads on from the same bytes.
            end_of_libxc = spans[-1][1] if spans else (start if start is not None else 0)
            spans.append((end_of_libxc, len(image)))
        else:
            outer_error = f"{exc.layer or 'outer'} framing at {exc.offset:#x}: {exc.message}"
    if layer == "libxc":
        data = image
    elif start is None:
        raise Unsupported(
            "no libxc stream located by xensave's reader"
            + (f" ({outer_error})" if outer_error else "")
        )
    else:
        data = b"".join(image[a:b] for a, b in spans)
    if guest_type is None and len(data) >= 28 and data[:8] == LIBXC_MARKER:
        guest_type = int.from_bytes(data[24:28], "little")
    guest = "pv" if guest_type == DHDR_TYPE_X86_PV else "hvm"
    return LibxcStream(data, guest, checkpointed, outer_error)


# --- Xen's restorer ---------------------------------------------------------------------


def _memfd(data: bytes) -> int:
    fd = os.memfd_create("xensave-stream", 0)
    with contextlib.suppress(Exception):
        os.write(fd, data) if len(data) < (1 << 20) else _write_all(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


#: What xc_domain_restore logs on every failure, or at the end of a checkpointed
#: stream (the failover to the last checkpoint): not the reason.
_NOT_REASONS = ("Restore failed", "Failed to read Record Header from stream (0 = Success)")


def _summary(stderr: str) -> str:
    """libxenguest's error lines (and a hypervisor check's, first), in one line."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    found = [ln for ln in lines if ln.startswith("hypervisor: ")]
    found += [
        ln[len("xc: error: ") :]
        for ln in lines
        if ln.startswith("xc: error: ") and not ln[len("xc: error: ") :].startswith(_NOT_REASONS)
    ]
    if not found:
        found = [ln[len("refused: ") :] for ln in lines if ln.startswith("refused: ")]
    return "; ".join(found)[:MAX_MESSAGE]


class Restorer:
    def __init__(self, rt: XenRuntime, hypervisor: bool, tree: Path | None = None) -> None:
        self.rt = rt
        self.hypervisor = hypervisor
        if tree is None:
            self.built: Built = build(rt)
            self.lib = rt.libxenguest
        else:  # XEN_SRC: that tree's restorer (legacy images still convert with Debian's)
            src = build_tree(tree)
            self.built, self.lib = src, src.libxenguest

    def legacy(self, image: bytes, name: str) -> tuple[LibxcStream, str]:
        """What libxl does with a legacy stream: convert-legacy-stream with its flags
        (libxl__convert_legacy_stream), then the libxc stream of the result. A
        conversion that fails fails libxl's restore: Xen refuses the image."""
        conv = convert_legacy(self.rt, image, name, xapi=False)
        if conv.rc != 0:
            lines = [ln.strip() for ln in conv.stderr.splitlines() if ln.strip()]
            tail = [ln for ln in lines if ln != "Please fix me"]
            why = tail[-1] if tail else conv.stderr.strip()
            raise Refused(f"convert-legacy-stream (as libxl runs it) failed: {why}"[:MAX_MESSAGE])
        return libxc_stream(conv.out), "after libxl's convert-legacy-stream: "

    def run(self, stream: LibxcStream) -> tuple[int, str]:
        fd = _memfd(stream.data)
        try:
            argv = [str(self.built.restore), "--libxenguest", str(self.lib)]
            if self.hypervisor:
                argv.append("--hypervisor")
            argv += ["--guest", stream.guest, "--stream"]
            argv += ["remus" if stream.checkpointed else "plain", str(fd)]
            done = subprocess.run(
                argv, pass_fds=(fd,), capture_output=True, text=True, errors="replace", timeout=60
            )
        finally:
            os.close(fd)
        return done.returncode, done.stderr

    def judge(self, image: bytes, header: dict[str, Any]) -> dict[str, Any]:
        converted = ""
        try:
            stream = libxc_stream(image)
        except Unsupported as exc:
            try:
                stream, converted = self.legacy(image, str(header.get("name", "")))
            except Unsupported:
                return {"verdict": "unsupported", "message": str(exc)}
            except Refused as ref:
                return {"verdict": "reject", "message": str(ref)}
        rc, err = self.run(stream)
        summary = {"guest": stream.guest, "checkpointed": stream.checkpointed}
        if rc == 0:
            if stream.outer_error:
                return {
                    "verdict": "unsupported",
                    "message": f"Xen restored the libxc stream; the {stream.outer_error} "
                    "is outside what this column judges",
                    "summary": summary,
                }
            return {"verdict": "accept", "summary": summary}
        if rc == 1:
            return {"verdict": "reject", "message": converted + _summary(err), "summary": summary}
        return {"verdict": "error", "message": f"driver exit {rc}: {err.strip()[-MAX_MESSAGE:]}"}


# --- Xen's Python tools ----------------------------------------------------------------


def _load_script(rt: XenRuntime, name: str) -> ModuleType:
    """Debian's unmodified script as a module (its main() is guarded by __main__)."""
    if str(rt.pythonpath) not in sys.path:
        sys.path.insert(0, str(rt.pythonpath))
    path = rt.xen_bin / name
    loader = importlib.machinery.SourceFileLoader(name.replace("-", "_"), str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


class VerifyStream:
    """verify-stream-v2's read_stream() on the image, in this process."""

    def __init__(self, rt: XenRuntime) -> None:
        self.rt = rt
        self.mod = _load_script(rt, "verify-stream-v2")

    def verify(self, data: bytes, fmt: str) -> tuple[int, str]:
        # the script's globals, as its main() would set them
        setattr(self.mod, "fin", io.BytesIO(data))  # noqa: B010
        setattr(self.mod, "quiet", False)  # noqa: B010
        setattr(self.mod, "verbose", False)  # noqa: B010
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = self.mod.read_stream(fmt)
        return rc, err.getvalue()

    def judge(self, image: bytes, header: dict[str, Any]) -> dict[str, Any]:
        layer = detect(image[:64])
        if layer not in ("xl", "libxl", "libxc"):
            return {
                "verdict": "unsupported",
                "message": "verify-stream-v2 reads xl, libxl and libxc streams only",
            }
        rc, err = self.verify(image, str(layer))
        return _script_verdict("verify-stream-v2", rc, err)


def _script_verdict(tool: str, rc: int, err: str) -> dict[str, Any]:
    lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    if rc == 0:
        return {"verdict": "accept"}
    if rc == 1:
        return {"verdict": "reject", "message": f"{tool}: {last}"[:MAX_MESSAGE]}
    # exit 2: "Script Error ... Please fix me": the tool failed on its own account
    tail = [ln for ln in lines if ln != "Please fix me"]
    return {
        "verdict": "error",
        "message": f"{tool} script error: {tail[-1] if tail else ''}"[:MAX_MESSAGE],
    }


@dataclass
class Converted:
    rc: int  # convert-legacy-stream's exit status (None-like -1: it did not finish)
    out: bytes
    stderr: str


def convert_legacy(rt: XenRuntime, image: bytes, name: str, xapi: bool) -> Converted:
    """Debian's convert-legacy-stream on the legacy stream in ``image``: with the
    flags libxl__convert_legacy_stream passes (libxl_convert_callout.c: the
    toolstack's own width, 64 here, and --format libxl), or XAPI's (--width 32
    --skip-qemu --format libxc). The guest type libxl takes from the domain's
    configuration is taken from the case's name."""
    start = _legacy_start(image)
    parts = name.split("_")
    guest = "hvm" if len(parts) > 2 and parts[2] == "hvm" else "pv"
    if xapi:
        flags = ["--width", "32", "--skip-qemu", "--format", "libxc"]
    else:
        flags = ["--width", "64", "--format", "libxl"]
    tmp = _scratch()
    src, dst, err = tmp / "in", tmp / "out", tmp / "err"
    try:
        src.write_bytes(image[start:])
        argv = ["convert-legacy-stream", "--in", str(src), "--out", str(dst), "--guest", guest]
        rc = _run_forked(_converter(rt), [*argv, *flags], err)
        if rc is None:
            return Converted(-1, b"", f"did not finish in {CONVERT_TIMEOUT} s")
        out = dst.read_bytes() if dst.exists() else b""
        return Converted(rc, out, err.read_text(errors="replace") if err.exists() else "")
    finally:
        for f in (src, dst, err):
            f.unlink(missing_ok=True)


_SCRATCH: list[Path] = []


def _scratch() -> Path:
    """One directory for this process's conversions, emptied after each and removed at
    exit: a directory made and removed per case costs milliseconds on a disk file
    system with online discard, more than many conversions take."""
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="xensave-convert-")))
        atexit.register(shutil.rmtree, _SCRATCH[0], True)
    return _SCRATCH[0]


_CONVERTERS: dict[str, ModuleType] = {}


def _converter(rt: XenRuntime) -> ModuleType:
    """Debian's convert-legacy-stream, loaded once; each conversion runs its main()
    in a forked child (no interpreter start per case)."""
    key = str(rt.xen_bin)
    if key not in _CONVERTERS:
        _CONVERTERS[key] = _load_script(rt, "convert-legacy-stream")
    return _CONVERTERS[key]


def _run_forked(mod: ModuleType, argv: list[str], err: Path) -> int | None:
    """``mod.main()`` with ``argv`` in a child process under CONVERT_MEMORY, its
    standard error into ``err``, standard output discarded (ours is the protocol's).
    The exit status, or None when it ran out of time."""
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 2
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
            _limit_memory()
            sys.argv = argv
            main = getattr(mod, "main")  # noqa: B009
            rc = main()
            code = rc if isinstance(rc, int) else 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except MemoryError:
            print("MemoryError", file=sys.stderr)
            code = 1
        except BaseException:  # what the interpreter would print, and exit 1
            traceback.print_exc()
            code = 1
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os._exit(code)
    deadline = time.monotonic() + CONVERT_TIMEOUT
    try:  # woken when the child exits, rather than looking every few milliseconds
        exited: select.poll | None = select.poll()
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        exited, pidfd = None, -1
    try:
        if exited is not None:
            exited.register(pidfd, select.POLLIN)
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return None
            if exited is not None:
                exited.poll(left * 1000)
            else:
                time.sleep(0.005)
    finally:
        if pidfd >= 0:
            os.close(pidfd)


class LegacyChain:
    """convert-legacy-stream (as libxl runs it, or as XAPI does) then verify-stream-v2."""

    def __init__(self, rt: XenRuntime, xapi: bool) -> None:
        self.rt = rt
        self.xapi = xapi
        self.verifier = VerifyStream(rt)

    def judge(self, image: bytes, header: dict[str, Any]) -> dict[str, Any]:
        conv = convert_legacy(self.rt, image, str(header.get("name", "")), self.xapi)
        if conv.rc == -1:
            return {"verdict": "error", "message": f"convert-legacy-stream {conv.stderr}"}
        if conv.rc != 0:
            return _script_verdict("convert-legacy-stream", conv.rc, conv.stderr)
        rc, err = self.verifier.verify(conv.out, "libxc" if self.xapi else "libxl")
        return _script_verdict("verify-stream-v2 (after conversion)", rc, err)


#: convert-legacy-stream reads some counts and sizes without a bound (a p2m
#: size over 2^28 makes it allocate gigabytes): run it under a limit.
CONVERT_MEMORY = 256 << 20
CONVERT_TIMEOUT = 30


def _limit_memory() -> None:
    """At most CONVERT_MEMORY more address space than this process has now."""
    import resource

    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[0])
    limit = pages * os.sysconf("SC_PAGE_SIZE") + CONVERT_MEMORY
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _legacy_start(image: bytes) -> int:
    """Where the legacy stream starts: 0, or after an xl header (an xl v1 image)."""
    layer = detect(image[:64])
    if layer is None:
        return 0
    if layer == "xl":
        try:
            for ev in read_events(io.BytesIO(image)):
                if type(ev).__name__ == "LegacyHeader":
                    return int(ev.offset)
                if isinstance(ev, XcImageHeader | LibxlHeader):
                    break
        except ReadError:
            pass
    raise Unsupported("no legacy stream here (or one the chain is not given)")


# --- main ---------------------------------------------------------------------------------


def make_judge(kind: str) -> Any:
    rt = runtime()
    if kind == "restore":
        return Restorer(rt, hypervisor=False).judge
    if kind == "restore-hypervisor":
        return Restorer(rt, hypervisor=True).judge
    if kind in ("restore-src", "restore-src-hypervisor"):
        tree = os.environ.get("XEN_SRC")
        if not tree:
            raise Unavailable("XEN_SRC is not set (a Xen source tree whose restorer to build)")
        return Restorer(rt, hypervisor=kind.endswith("hypervisor"), tree=Path(tree)).judge
    if kind == "verify-stream-v2":
        return VerifyStream(rt).judge
    if kind == "legacy-chain":
        return LegacyChain(rt, xapi=False).judge
    if kind == "legacy-chain-xapi":
        return LegacyChain(rt, xapi=True).judge
    raise SystemExit(f"unknown testee {kind!r}")


def _guarded(judge: Any) -> Any:
    def run(image: bytes, header: dict[str, Any]) -> dict[str, Any]:
        try:
            return judge(image, header)  # type: ignore[no-any-return]
        except Unsupported as exc:
            return {"verdict": "unsupported", "message": str(exc)}

    return run


KINDS = (
    "restore",
    "restore-hypervisor",
    "verify-stream-v2",
    "legacy-chain",
    "legacy-chain-xapi",
    "restore-src",  # XEN_SRC's own restorer, built by build.py's build_tree
    "restore-src-hypervisor",
)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in KINDS:
        print(f"usage: testee.py {{{'|'.join(KINDS)}}} [--file IMAGE]", file=sys.stderr)
        return 2
    kind = argv[0]
    try:
        judge = _guarded(make_judge(kind))
    except Unavailable as exc:
        why = f"Xen 4.17 unavailable: {exc}"
        print(f"xen-4.17 {kind}: {why}", file=sys.stderr)
        if argv[1:2] == ["--file"]:
            return 2
        # summary.unavailable: the harness reports the cause once, and the
        # expected-failure entries of a column that cannot run here are not stale
        return int(
            serve(
                lambda image, header: {
                    "verdict": "unsupported",
                    "message": why,
                    "summary": {"unavailable": why},
                }
            )
        )
    if argv[1:2] == ["--file"] and len(argv) == 3:
        data = Path(argv[2]).read_bytes()
        try:
            body = judge(data, {"name": Path(argv[2]).stem})
        except Exception:
            traceback.print_exc()
            return 2
        print(f"{body['verdict']}: {body.get('message', '')}")
        return {"accept": 0, "reject": 1, "unsupported": 3}.get(str(body["verdict"]), 2)
    return int(serve(judge))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
