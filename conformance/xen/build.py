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

``build_tree(TREE)`` (``XEN_SRC``) builds the same emulation and drivers against a
Xen source tree's own headers, and that tree's libxenguest save and restore code
(``libxenguest.so.X.Y``) linked to it, into ``<cache>/emu/src-X.Y-<hash>/``: the tree
is only read. Besides a C compiler it needs zlib's headers (Xen's ``xg_private.h``
includes ``zlib.h``) and runs two of the tree's Python scripts to generate headers.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from debian import Unavailable, XenRuntime, _lock, cache_dir

__all__ = ["Built", "BuiltTree", "build", "build_tree", "tree_version"]

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


def _api_flags(public: Path, tools: Path) -> list[str]:
    """The -D flags emu.h's compatibility macros want for these headers: the API
    libxenguest is written against moved between releases (see emu.h)."""
    domctl = (public / "domctl.h").read_text(encoding="utf-8", errors="replace")
    xenctrl = (tools / "xenctrl.h").read_text(encoding="utf-8", errors="replace")
    flags = []
    if "(xen_cpuid_leaf_t) cpuid_policy;" in domctl:
        flags.append("-DEMU_POLICY_OLD_NAMES")
    if "xc_domain_getinfo_single(" in xenctrl:
        flags.append("-DEMU_GETINFO_SINGLE")
    if "xc_logdirty_control(" not in xenctrl:
        flags.append("-DEMU_SHADOW_CONTROL_OLD")
    return flags


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
    _build_once(out, built.save, lambda part: _build_emu_into(rt, part))
    return built


def _build_once(out: Path, product: Path, make: Callable[[Path], None]) -> None:
    """Run ``make`` into a fresh ``OUT.part`` and rename it to ``out``, under a lock so
    that concurrent runs build once, unless ``product`` (a file in ``out``) exists: a
    failed build leaves nothing behind, and a half-done one is never seen as ``out``."""
    if product.is_file():
        return
    lock = _lock(out.parent)
    try:
        if product.is_file():  # another process built it while this one waited
            return
        part = out.with_name(out.name + ".part")
        shutil.rmtree(part, ignore_errors=True)
        part.mkdir(parents=True)
        try:
            make(part)
        except BaseException:
            shutil.rmtree(part, ignore_errors=True)
            raise
        shutil.rmtree(out, ignore_errors=True)
        part.rename(out)
    finally:
        os.close(lock)


def _build_emu_into(rt: XenRuntime, part: Path) -> None:
    """Compile the emulation against Debian's Xen ``rt`` into ``part`` (see build)."""
    inc = ["-I", str(rt.include), "-I", str(EMU)]
    inc += _api_flags(rt.include / "xen", rt.include)
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


# --- XEN_SRC: another Xen tree's saver and restorer ---------------------------------------

#: What of a Xen tree's libxenguest the save and restore paths need (xg_sr_*, the
#: CPU policy serialisation of xg_cpuid_x86.c and libx86 under it); from
#: tools/libs/guest/Makefile{,.common}: OBJS-y with CONFIG_MIGRATE and CONFIG_X86.
TREE_GUEST = (
    "xg_sr_common.c",
    "xg_sr_common_x86.c",
    "xg_sr_common_x86_pv.c",
    "xg_sr_restore.c",
    "xg_sr_restore_x86_hvm.c",
    "xg_sr_restore_x86_pv.c",
    "xg_sr_save.c",
    "xg_sr_save_x86_hvm.c",
    "xg_sr_save_x86_pv.c",
    "xg_private.c",
    "xg_cpuid_x86.c",
    # xc_dom_gnttab_seed, which the restorer calls at the end, and what it needs
    "xg_dom_boot.c",
    "xg_dom_core.c",
    "xg_core_x86.c",
    "xg_dom_x86.c",
)
#: libelf (xen/common/libelf), which the domain builder's code links in.
TREE_LIBELF = ("libelf-tools.c", "libelf-loader.c", "libelf-dominfo.c")
TREE_LIBX86 = ("cpuid.c", "msr.c", "policy.c")
#: The tree's files whose contents key the build (with our sources).
TREE_INPUTS = (
    "tools/libs/guest",
    "tools/libs/ctrl",
    "tools/include",
    "xen/include/public",
    "xen/include/xen/lib/x86",
    "xen/include/xen/libelf.h",
    "xen/include/xen/elfstructs.h",
    "xen/lib/x86",
    "xen/common/libelf",
    "xen/arch/x86/include/asm",
    "xen/include/asm-x86",
    "xen/tools/gen-cpuid.py",
    "xen/Makefile",
)
#: Xen's own code is compiled with its usual warnings, not -Werror: it is not ours.
TREE_CFLAGS = ["-O2", "-g", "-std=gnu99", "-fno-strict-aliasing", "-w"]


class BuiltTree(Built):
    def __init__(self, out: Path, version: str) -> None:
        super().__init__(out)
        self.version = version
        self.libxenguest = out / f"libxenguest.so.{version}"


def tree_version(tree: Path) -> str:
    """``major.minor`` of a Xen tree, from xen/Makefile (XEN_VERSION, XEN_SUBVERSION)."""
    found: dict[str, str] = {}
    try:
        text = (tree / "xen" / "Makefile").read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise Unavailable(f"XEN_SRC={tree}: not a Xen tree ({exc.strerror})") from None
    for line in text.splitlines():
        words = line.replace("export", "", 1).split()
        if (
            len(words) >= 3
            and words[1] in ("=", "?=")
            and words[0]
            in (
                "XEN_VERSION",
                "XEN_SUBVERSION",
            )
        ):
            found.setdefault(words[0], words[2])
    if set(found) != {"XEN_VERSION", "XEN_SUBVERSION"}:
        raise Unavailable(f"XEN_SRC={tree}: xen/Makefile names no XEN_VERSION/XEN_SUBVERSION")
    return f"{found['XEN_VERSION']}.{found['XEN_SUBVERSION']}"


def _tree_digest(tree: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(EMU.iterdir()):
        if p.suffix in (".c", ".h", ".map"):
            h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    for rel in TREE_INPUTS:
        top = tree / rel
        files = sorted(top.rglob("*")) if top.is_dir() else [top]
        for p in files:
            if p.is_file():
                h.update(p.relative_to(tree).as_posix().encode() + b"\0")
                h.update(p.read_bytes() + b"\0")
    h.update(Path(__file__).read_bytes())  # the file lists and flags above
    return h.hexdigest()[:16]


def _link_all(src: Path, dest: Path, pattern: str) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for p in sorted(src.glob(pattern)):
        if not (dest / p.name).exists():
            (dest / p.name).symlink_to(p)


def _python(argv: list[str], what: str, cwd: Path | None = None) -> None:
    done = subprocess.run(
        [sys.executable, *argv], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise Unavailable(f"XEN_SRC: {what} failed:\n{done.stderr.strip()[-800:]}")


def _stage_headers(tree: Path, inc: Path) -> None:
    """The include tree Xen's tools/include/Makefile would make (tools/include/xen/ of
    links to the public headers, the asm and libx86 headers, generated xen-foreign and
    cpuid-autogen.h), built in our build directory: the Xen tree is only read."""
    pub = tree / "xen" / "include" / "public"
    xen = inc / "xen"
    _link_all(pub, xen, "*.h")
    for d in sorted(p for p in pub.iterdir() if p.is_dir()):
        (xen / d.name).symlink_to(d)
    (xen / "sys").symlink_to(tree / "tools" / "include" / "xen-sys" / "Linux")
    asm = tree / "xen" / "arch" / "x86" / "include" / "asm"  # 4.17; before: include/asm-x86
    (xen / "asm").symlink_to(asm if asm.is_dir() else tree / "xen" / "include" / "asm-x86")
    libelf = xen / "libelf"
    libelf.mkdir()
    for name in ("libelf.h", "elfstructs.h"):
        (libelf / name).symlink_to(tree / "xen" / "include" / "xen" / name)
    x86 = xen / "lib" / "x86"
    _link_all(tree / "xen" / "include" / "xen" / "lib" / "x86", x86, "*.h")
    auto = x86 / "cpuid-autogen.h"
    if auto.is_symlink():
        auto.unlink()  # a tree built in place: generate ours regardless
    _python(
        [str(tree / "xen" / "tools" / "gen-cpuid.py"), "-i",
         str(pub / "arch-x86" / "cpufeatureset.h"), "-o", str(auto)],
        "xen/tools/gen-cpuid.py",
    )  # fmt: skip
    foreign = xen / "foreign"
    foreign.mkdir()
    mk = tree / "tools" / "include" / "xen-foreign" / "mkheader.py"
    for arch, extra in (("x86_32", "xen-x86_32.h"), ("x86_64", "xen-x86_64.h")):
        # relative output name, as its Makefile runs it: the name becomes the guard
        tmp = foreign / f"{arch}.h.tmp"
        _python(
            [str(mk), arch, tmp.name, str(pub / "arch-x86" / extra),
             str(pub / "arch-x86" / "xen.h"), str(pub / "xen.h")],
            f"tools/include/xen-foreign/mkheader.py {arch}",
            cwd=foreign,
        )  # fmt: skip
        # as its Makefile does: no alignment directive mixed into a cast
        text = tmp.read_text(encoding="utf-8").replace("(__align8__ uint64_t)", "(uint64_t)")
        (foreign / f"{arch}.h").write_text(text, encoding="utf-8")
        tmp.unlink()
    # configure's tools/config.h: nothing the save and restore paths test; and the
    # one path of the generated _paths.h that xg_dom_core.c names (its log file)
    (inc / "config.h").write_text(
        '/* xensave: no configure run */\n#define XEN_LOG_DIR "/var/log/xen"\n', encoding="ascii"
    )
    # before 4.17 that path came from a _paths.h the Makefiles generated
    (inc / "_paths.h").write_text("/* xensave: XEN_LOG_DIR is in config.h */\n", encoding="ascii")


def build_tree(tree: Path) -> BuiltTree:
    """XEN_SRC: compile ``tree``'s libxenguest save and restore code against our
    emulation (itself compiled against that tree's headers), unless cached."""
    tree = tree.resolve()
    version = tree_version(tree)
    if not (tree / "tools" / "libs" / "guest" / "xg_sr_save.c").is_file():
        raise Unavailable(f"XEN_SRC={tree}: no tools/libs/guest/xg_sr_save.c (Xen 4.15 or later)")
    out = cache_dir() / "emu" / f"src-{version}-{_tree_digest(tree)}"
    built = BuiltTree(out, version)
    _build_once(out, built.save, lambda part: _build_tree_into(tree, version, part))
    return built


def _build_tree_into(tree: Path, version: str, part: Path) -> None:
    """Stage the headers and compile into ``part`` (see build_tree)."""
    inc = part / "include"
    _stage_headers(tree, inc)
    tinc = ["-I", str(inc), "-I", str(tree / "tools" / "include")]
    emu = [*tinc, "-I", str(EMU)]
    emu += _api_flags(tree / "xen" / "include" / "public", tree / "tools" / "include")
    guest = tree / "tools" / "libs" / "guest"
    if not (guest / "xg_core_x86.c").is_file():  # before 4.16 it was libxenctrl's
        emu.append("-DEMU_SCRATCH_GPFN")
    _cc([*CFLAGS, "-fPIC", *emu, "-shared", "-Wl,-soname,libxenevtchn.so.1",
         f"-Wl,--version-script={EMU / 'libxenevtchn.map'}",
         "-o", str(part / "libxenevtchn.so.1"), str(EMU / "evtchn.c")])  # fmt: skip
    _cc([*CFLAGS, "-fPIC", *emu, "-shared", "-Wl,-soname,libxenctrl.so.4.17",
         f"-Wl,--version-script={EMU / 'libxenctrl.map'}",
         "-o", str(part / "libxenctrl.so.4.17"),
         str(EMU / "xenctrl.c"), str(EMU / "checks.c"), str(EMU / "guest.c")])  # fmt: skip
    # xg_core_x86.c came over from libxenctrl in 4.16: compile what the tree has
    sources = [guest / n for n in TREE_GUEST if (guest / n).is_file()]
    sources += [tree / "xen" / "lib" / "x86" / n for n in TREE_LIBX86]
    sources += [tree / "xen" / "common" / "libelf" / n for n in TREE_LIBELF]
    _cc([*TREE_CFLAGS, "-fPIC", "-D__XEN_TOOLS__", "-D_GNU_SOURCE",
         "-include", str(inc / "config.h"), *tinc,
         "-iquote", str(tree / "tools" / "libs" / "ctrl"), "-iquote", str(guest),
         "-iquote", str(tree / "xen" / "lib" / "x86"),
         "-iquote", str(tree / "xen" / "common" / "libelf"),
         "-shared", f"-Wl,-soname,libxenguest.so.{version}", "-Wl,-z,defs",
         "-o", str(part / f"libxenguest.so.{version}"), *map(str, sources),
         str(part / "libxenctrl.so.4.17"), str(part / "libxenevtchn.so.1"), "-lz"])  # fmt: skip
    for driver in ("restore", "save"):
        _cc([*CFLAGS, *emu, "-o", str(part / f"xensave-xen-{driver}"),
             str(EMU / f"{driver}.c"), "-Wl,--no-as-needed",
             str(part / "libxenctrl.so.4.17"), str(part / "libxenevtchn.so.1"),
             "-Wl,-rpath,$ORIGIN", "-ldl"])  # fmt: skip
