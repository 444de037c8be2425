"""Build xensave's in-memory hypervisor (emu/*.c, our own code) into the cache.

Three artefacts, compiled with ``cc -Wall -Wextra -Werror`` against the headers
of Debian's ``libxen-dev`` (see debian.py):

- ``libxenctrl.so.4.17`` (version node VERS_4.17.0): what libxenguest imports
  from libxenctrl, libxencall, libxenforeignmemory and libxentoollog;
- ``libxenevtchn.so.1`` (VERS_1.0): the event-channel calls it imports;
- ``xensave-xen-restore``: the driver that dlopens Debian's unmodified
  libxenguest.so.4.17 and calls ``xc_domain_restore``;
- ``xensave-xen-save``: the driver that calls its ``xc_domain_save`` over a
  virtual guest (guest.c, described by conformance/xen/guests.py).

The output directory is named after a hash of the sources and the headers'
package, so an edit rebuilds and an unchanged tree reuses the build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from debian import Unavailable, XenRuntime, _lock

__all__ = ["Built", "build"]

EMU = Path(__file__).resolve().parent / "emu"
CFLAGS = ["-Wall", "-Wextra", "-Werror", "-O2", "-g"]


class Built:
    def __init__(self, out: Path) -> None:
        self.dir = out
        self.restore = out / "xensave-xen-restore"
        self.save = out / "xensave-xen-save"


def _digest(rt: XenRuntime) -> str:
    h = hashlib.sha256()
    for p in sorted(EMU.iterdir()):
        if p.suffix in (".c", ".h", ".map"):
            h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    h.update(rt.include.as_posix().encode())
    h.update(" ".join(CFLAGS).encode())
    return h.hexdigest()[:16]


def _cc(argv: list[str]) -> None:
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        raise Unavailable(f"no C compiler ({cc}) on the PATH: the emulation is built with it")
    done = subprocess.run([cc, *argv], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise Unavailable(f"{cc} {' '.join(argv)} failed:\n{done.stderr.strip()}")


def build(rt: XenRuntime) -> Built:
    """Compile the emulation for ``rt`` unless an identical build is cached."""
    out = rt.root.parent / "emu" / _digest(rt)
    built = Built(out)
    if built.save.is_file():
        return built
    lock = _lock(out.parent)
    try:
        if built.save.is_file():
            return built
        part = out.with_name(out.name + ".part")
        shutil.rmtree(part, ignore_errors=True)
        part.mkdir(parents=True)
        inc = ["-I", str(rt.include), "-I", str(EMU)]
        _cc([*CFLAGS, "-fPIC", *inc, "-shared", "-Wl,-soname,libxenevtchn.so.1",
             f"-Wl,--version-script={EMU / 'libxenevtchn.map'}",
             "-o", str(part / "libxenevtchn.so.1"), str(EMU / "evtchn.c")])  # fmt: skip
        _cc([*CFLAGS, "-fPIC", *inc, "-shared", "-Wl,-soname,libxenctrl.so.4.17",
             f"-Wl,--version-script={EMU / 'libxenctrl.map'}",
             "-o", str(part / "libxenctrl.so.4.17"),
             str(EMU / "xenctrl.c"), str(EMU / "checks.c"), str(EMU / "guest.c")])  # fmt: skip
        # --no-as-needed: both libraries are loaded before libxenguest is dlopened,
        # so its NEEDED entries (same SONAMEs) resolve to them, not to Debian's.
        _cc([*CFLAGS, *inc, "-o", str(part / "xensave-xen-restore"), str(EMU / "restore.c"),
             "-Wl,--no-as-needed", str(part / "libxenctrl.so.4.17"),
             str(part / "libxenevtchn.so.1"), "-Wl,-rpath,$ORIGIN", "-ldl"])  # fmt: skip
        _cc([*CFLAGS, *inc, "-o", str(part / "xensave-xen-save"), str(EMU / "save.c"),
             "-Wl,--no-as-needed", str(part / "libxenctrl.so.4.17"),
             str(part / "libxenevtchn.so.1"), "-Wl,-rpath,$ORIGIN", "-ldl"])  # fmt: skip
        shutil.rmtree(out, ignore_errors=True)
        part.rename(out)
    finally:
        os.close(lock)
    return built
