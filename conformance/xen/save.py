"""Xen 4.17's own saver writes the corpus's ``xen-saved`` images.

Debian bookworm's unmodified ``libxenguest.so.4.17`` (``xc_domain_save``) runs over
our in-memory hypervisor holding a virtual guest (``guests.py``, served by
``emu/guest.c``); what it writes to the file descriptor is the libxc stream, kept
byte for byte. The corpus recipe (``generators/corpus/xen_saved.py``) adds the
libxl framing and the xl header around those bytes, as xl does; the generator never
needs the Debian packages.

    python -m conformance.xen.save --write   run Xen's saver, (re)write the inputs
    python -m conformance.xen.save --check   run it again, compare with them (exit 1)
    python -m conformance.xen.save --check --if-present
        the same when the packages are in the cache and a C compiler is here; else
        say why not and exit 0 (tox -e corpus: it never fetches)
    XEN_SRC=TREE python -m conformance.xen.save --xen-src
        build TREE's own saver and restorer (build.py, build_tree) and run them: its
        saver over every guest (same bytes as the committed ones, or how big a
        difference), its restorer over what it wrote and over the committed streams,
        Debian's restorer over what it wrote (exit 1 if any restore fails)

The inputs are ``generators/corpus/xen_saved/<guest>.bin`` and ``provenance.json``
(Xen and Debian package versions, each guest's summary and a digest of its
description).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build import Built, BuiltTree, build, build_tree
from debian import Unavailable, XenRuntime, runtime
from guests import GUESTS, Guest, describe

__all__ = ["INPUTS", "provenance", "save"]

INPUTS = Path(__file__).resolve().parents[2] / "generators" / "corpus" / "xen_saved"
PACKAGE = "libxenmisc4.17"


def save(rt: XenRuntime | BuiltTree, guest: Guest) -> tuple[bytes, list[int]]:
    """The libxc stream Xen's saver writes for ``guest`` (Debian's, or a XEN_SRC tree's
    when given its build), and for a checkpointed one the offset after each checkpoint
    (where libxl puts its records); raises RuntimeError with the saver's stderr when
    it fails."""
    if isinstance(rt, BuiltTree):
        built: Built = rt
        lib = rt.libxenguest
    else:
        built, lib = build(rt), rt.libxenguest
    with tempfile.TemporaryDirectory() as tmp:
        desc = Path(tmp) / "guest.txt"
        desc.write_text(describe(guest), encoding="ascii")
        out = Path(tmp) / "stream"
        with out.open("wb") as f:
            argv = [str(built.save), "--libxenguest", str(lib)]
            argv += ["--guest", guest.kind, "--describe", str(desc)]
            if guest.live_rounds:
                argv += ["--live", str(guest.live_rounds)]
            if guest.checkpoints:
                argv += ["--remus", str(guest.checkpoints)]
            argv.append(str(f.fileno()))
            done = subprocess.run(
                argv, pass_fds=(f.fileno(),), capture_output=True, text=True, check=False
            )
        if done.returncode != 0:
            raise RuntimeError(f"Xen's saver failed on {guest.name}: {done.stderr.strip()}")
        offsets = [
            int(ln.split()[1]) for ln in done.stdout.splitlines() if ln.startswith("checkpoint ")
        ]
        return out.read_bytes(), offsets


def provenance(
    rt: XenRuntime, streams: dict[str, bytes], checkpoints: dict[str, list[int]]
) -> dict[str, object]:
    return {
        "writer": "xc_domain_save (tools/libs/guest/xg_sr_save.c) of Xen 4.17",
        "xen": "4.17",
        "package": PACKAGE,
        "package_version": rt.versions[PACKAGE],
        "command": "python -m conformance.xen.save --write",
        "guests": {
            name: {
                "kind": GUESTS[name].kind,
                "guest": GUESTS[name].guest,
                "summary": GUESTS[name].summary,
                "live_rounds": GUESTS[name].live_rounds,
                "checkpoint_offsets": checkpoints[name],
                "description_sha256": hashlib.sha256(describe(GUESTS[name]).encode()).hexdigest(),
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            for name, data in sorted(streams.items())
        },
    }


def _render(rt: XenRuntime) -> dict[str, bytes]:
    done = {name: save(rt, g) for name, g in GUESTS.items()}
    streams = {name: data for name, (data, _) in done.items()}
    offsets = {name: offs for name, (_, offs) in done.items()}
    files = {f"{name}.bin": data for name, data in streams.items()}
    files["provenance.json"] = (
        json.dumps(provenance(rt, streams, offsets), indent=2, sort_keys=True) + "\n"
    ).encode()
    return files


def restore(built: Built, lib: Path, guest: Guest, data: bytes) -> tuple[int, str]:
    """A restorer (``lib``) over a stream: the driver's exit status and its stderr."""
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.seek(0)
        argv = [str(built.restore), "--libxenguest", str(lib), "--guest", guest.kind]
        argv += ["--stream", "remus" if guest.checkpoints else "plain", str(f.fileno())]
        done = subprocess.run(
            argv, pass_fds=(f.fileno(),), capture_output=True, text=True, check=False
        )
    return done.returncode, done.stderr.strip()


def xen_src(tree: Path, rt: XenRuntime | None) -> int:
    """The XEN_SRC run: what ``tree``'s saver writes, and who restores it."""
    src = build_tree(tree)
    print(f"XEN_SRC {tree}: Xen {src.version}, built in {src.dir}")
    failed = 0
    for name, g in GUESTS.items():
        data, _ = save(src, g)
        ref = (INPUTS / f"{name}.bin").read_bytes()
        if data == ref:
            same = "the same bytes as the committed stream (Debian's 4.17)"
        else:
            n = sum(a != b for a, b in zip(data, ref, strict=False)) + abs(len(data) - len(ref))
            same = f"{len(data)} bytes, {n} differing from the committed {len(ref)}"
        print(f"{name}: Xen {src.version}'s saver wrote {same}")
        both = [("that stream", data), ("the committed stream", ref)]
        judges: list[tuple[str, Built, Path, list[tuple[str, bytes]]]] = [
            (f"Xen {src.version}'s restorer", src, src.libxenguest, both)
        ]
        if rt is not None:  # Debian's over the committed streams: the corpus's columns
            judges.append(("Debian's 4.17 restorer", build(rt), rt.libxenguest, both[:1]))
        for label, built, lib, streams in judges:
            for what, stream in streams:
                rc, err = restore(built, lib, g, stream)
                print(f"  {label} over {what}: {'accepts' if rc == 0 else f'exit {rc}: {err}'}")
                failed += rc != 0
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m conformance.xen.save",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the recipe inputs")
    mode.add_argument("--check", action="store_true", help="compare with the inputs")
    mode.add_argument(
        "--xen-src", action="store_true", help="run the saver and restorer of the tree $XEN_SRC"
    )
    ap.add_argument(
        "--if-present",
        action="store_true",
        help="with --check: use the cached packages only; without them, skip (exit 0)",
    )
    args = ap.parse_args(argv)
    if args.if_present and not args.check:
        ap.error("--if-present goes with --check")
    if args.if_present:
        try:
            files = _render(runtime(fetch=False))
        except (Unavailable, RuntimeError) as exc:
            print(f"xen-saved streams not regenerated (Xen's saver unavailable): {exc}")
            return 0
        return _compare(files)
    if args.xen_src:
        tree = os.environ.get("XEN_SRC")
        if not tree:
            print("xen-src save: set XEN_SRC to a Xen source tree", file=sys.stderr)
            return 2
        try:
            try:
                rt: XenRuntime | None = runtime(fetch=os.environ.get("XENSAVE_NO_FETCH") is None)
            except Unavailable as exc:
                print(f"(Debian's 4.17 left out: {exc})")
                rt = None
            return xen_src(Path(tree), rt)
        except (Unavailable, RuntimeError) as exc:
            print(f"xen-src save: {exc}", file=sys.stderr)
            return 2
    try:
        rt = runtime(fetch=os.environ.get("XENSAVE_NO_FETCH") is None)
        files = _render(rt)
    except (Unavailable, RuntimeError) as exc:
        print(f"xen-4.17 save: {exc}", file=sys.stderr)
        return 2
    if args.write:
        INPUTS.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (INPUTS / name).write_bytes(data)
        print(f"wrote {len(files)} files into {INPUTS}")
        return 0
    return _compare(files)


def _compare(files: dict[str, bytes]) -> int:
    bad = [
        n for n, d in files.items() if not (INPUTS / n).is_file() or (INPUTS / n).read_bytes() != d
    ]
    for n in bad:
        print(f"differs from what Xen's saver writes now: {INPUTS / n}", file=sys.stderr)
    if not bad:
        print(
            f"Xen's saver wrote the {len(files)} committed files of {INPUTS} again, byte for byte"
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
