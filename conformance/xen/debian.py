"""Debian bookworm's Xen 4.17, fetched on first use into a cache, never installed.

The Xen-oracle adapters run Xen's own code: libxenguest (in ``libxenmisc4.17``),
the migration Python package and its scripts (in ``xen-utils-4.17``), and the
public and tools headers our in-memory hypervisor is compiled against (in
``libxen-dev``). ``apt-get download`` fetches the ``.deb`` files and
``dpkg-deb -x`` unpacks them into ``<cache>/debian/<package>_<version>/``; nothing
is installed into the system and nothing of Xen lands in the repository.

The cache is ``$XENSAVE_CACHE`` or ``.cache/`` in the checkout (git-ignored). Once
``<cache>/debian/versions.json`` exists, later uses read it and touch no network.

``python conformance/xen/debian.py`` fetches (if needed) and prints the versions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PACKAGES", "Unavailable", "XenRuntime", "cache_dir", "runtime"]

#: The packages the adapters use, and what each holds for them.
PACKAGES = {
    "libxenmisc4.17": "libxenguest.so.4.17 (Xen's restorer, xc_domain_restore)",
    "xen-utils-4.17": "verify-stream-v2, convert-legacy-stream, the xen.migration package",
    "libxen-dev": "xenctrl.h, xenguest.h and Xen's public headers (to compile the emulation)",
}

_HERE = Path(__file__).resolve().parent
_CHECKOUT = _HERE.parent.parent


class Unavailable(Exception):
    """Xen 4.17's runtime cannot be had here; the message says why and what to do."""


@dataclass(frozen=True)
class XenRuntime:
    root: Path  # the cache directory of this runtime (debian/)
    versions: dict[str, str]  # package -> Debian version
    dirs: dict[str, Path]  # package -> its unpacked tree

    @property
    def libxenguest(self) -> Path:
        return self.dirs["libxenmisc4.17"] / "usr/lib/x86_64-linux-gnu/libxenguest.so.4.17"

    @property
    def include(self) -> Path:
        return self.dirs["libxen-dev"] / "usr/include"

    @property
    def xen_bin(self) -> Path:
        return self.dirs["xen-utils-4.17"] / "usr/lib/xen-4.17/bin"

    @property
    def pythonpath(self) -> Path:
        return self.dirs["xen-utils-4.17"] / "usr/lib/xen-4.17/lib/python"

    def describe(self) -> str:
        return ", ".join(f"{p} {v}" for p, v in sorted(self.versions.items()))


def cache_dir() -> Path:
    env = os.environ.get("XENSAVE_CACHE")
    return Path(env) if env else _CHECKOUT / ".cache"


def _run(argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise Unavailable(f"cannot run {argv[0]}: {exc.strerror or exc}") from None


def _candidate(package: str) -> str | None:
    out = _run(["apt-cache", "policy", package]).stdout
    for line in out.splitlines():
        key, _, value = line.strip().partition(":")
        if key == "Candidate":
            value = value.strip()
            return None if value in ("", "(none)") else value
    return None


def _candidates() -> dict[str, str]:
    found = {p: _candidate(p) for p in PACKAGES}
    missing = [p for p, v in found.items() if v is None]
    if missing:
        if os.geteuid() != 0:
            raise Unavailable(
                f"apt does not know {', '.join(missing)}: run `apt-get update` as root "
                "(Debian bookworm, main) and try again"
            )
        upd = _run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-q"])
        if upd.returncode != 0:
            raise Unavailable(f"apt-get update failed: {upd.stderr.strip()[-500:]}")
        found = {p: _candidate(p) for p in PACKAGES}
        missing = [p for p, v in found.items() if v is None]
        if missing:
            raise Unavailable(
                f"apt has no {', '.join(missing)} even after apt-get update "
                "(Xen 4.17 is in Debian bookworm; this system is not bookworm?)"
            )
    return {p: v for p, v in found.items() if v is not None}


def _fetch(root: Path) -> XenRuntime:
    for tool in ("apt-get", "apt-cache", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise Unavailable(f"{tool} is not on the PATH: the Xen 4.17 adapters need Debian's apt")
    versions = _candidates()
    root.mkdir(parents=True, exist_ok=True)
    dirs: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        # apt's sandbox user cannot write into a root-owned temp dir: let it
        os.chmod(tmp, 0o777)
        specs = [f"{p}={v}" for p, v in versions.items()]
        got = _run(["apt-get", "download", "-q", *specs], cwd=Path(tmp))
        if got.returncode != 0:
            raise Unavailable(
                f"apt-get download {' '.join(specs)} failed: {got.stderr.strip()[-800:]}"
            )
        for package, version in versions.items():
            debs = list(Path(tmp).glob(f"{package}_*.deb"))
            if len(debs) != 1:
                raise Unavailable(f"apt-get download left {len(debs)} files for {package}")
            dest = root / f"{package}_{version}".replace(":", "%3a")
            part = dest.with_name(dest.name + ".part")
            shutil.rmtree(part, ignore_errors=True)
            x = _run(["dpkg-deb", "-x", str(debs[0]), str(part)])
            if x.returncode != 0:
                raise Unavailable(f"dpkg-deb -x {debs[0].name} failed: {x.stderr.strip()}")
            shutil.rmtree(dest, ignore_errors=True)
            part.rename(dest)
            dirs[package] = dest
    stamp = {"packages": {p: {"version": v, "dir": dirs[p].name} for p, v in versions.items()}}
    tmpstamp = root / "versions.json.tmp"
    tmpstamp.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmpstamp.replace(root / "versions.json")
    return XenRuntime(root, versions, dirs)


def runtime(fetch: bool = True) -> XenRuntime:
    """The unpacked packages; fetched first when the cache lacks them and ``fetch``.
    Raises :class:`Unavailable` with the cause when they cannot be had."""
    root = cache_dir() / "debian"
    stamp = root / "versions.json"
    if stamp.is_file():
        try:
            data = json.loads(stamp.read_text(encoding="utf-8"))["packages"]
            versions = {p: str(data[p]["version"]) for p in PACKAGES}
            dirs = {p: root / str(data[p]["dir"]) for p in PACKAGES}
        except (ValueError, KeyError, TypeError):
            pass  # a stamp of another layout: fetch again
        else:
            if all(d.is_dir() for d in dirs.values()):
                return XenRuntime(root, versions, dirs)
    if not fetch:
        raise Unavailable(f"Xen 4.17 packages are not in the cache {root}")
    if sys.platform != "linux":
        raise Unavailable("Xen 4.17's packages are Debian's: this is not Linux")
    lock = _lock(root)
    try:
        if stamp.is_file():  # another process fetched meanwhile
            return runtime(fetch=False)
        return _fetch(root)
    finally:
        os.close(lock)


def _lock(root: Path) -> int:
    import fcntl

    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


if __name__ == "__main__":
    try:
        rt = runtime()
    except Unavailable as exc:
        print(f"xen-4.17: unavailable: {exc}", file=sys.stderr)
        sys.exit(1)
    print(f"{rt.root}: {rt.describe()}")
