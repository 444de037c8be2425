"""Build the release artifacts into dist/ and check the corpus tarball on its own.

    python .ci/release.py [--dist DIR] [--no-packages]

Writes (``tox -e release`` runs this):

- the sdist and the wheel built from it (``python -m build``: the wheel comes from the
  sdist, so the sdist is shown to hold what the wheel needs);
- ``xensave-corpus-VERSION.tar.gz``: the corpus images, the manifest, its schema, the tag
  list, ``SHA256SUMS`` and the corpus README, under ``xensave-corpus-VERSION/``, VERSION
  being the manifest's ``corpus_version``. Reproducible: sorted members, no owner, a fixed
  time, a gzip header without a name or time;
- ``xensave-corpus-VERSION.manifest.json``: the manifest alone, for pinning.

Then checks the tarball as a third party would use it, without xensave: unpacks it in a
temporary directory, checks ``SHA256SUMS`` with ``sha256sum``, and runs the shell loop of
conformance/README.md ("Using the corpus without Python", jq and a shell) with a tiny
exit-code testee, and the same loop again in Python's standard library alone (``python
-I -S``: no site-packages, so no xensave); every case the testee is wrong about must be
reported as the README says, and none it is right about.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFORMANCE = ROOT / "conformance"
#: What the tarball holds besides corpus/ (README.md is conformance/README.md).
FILES = ("README.md", "manifest.json", "manifest.schema.json", "tags.json", "TAGS.md")
MTIME = 1_577_836_800  # 2020-01-01: fixed, so the same corpus makes the same tarball

# The testee of the check: exit 0 when the image starts with a layer's magic, else 1.
TOY = """\
import sys
MAGICS = (b"Xen saved domain, xl format\\n \\x00 \\r", b"LibxlFmt", b"\\xff" * 8)
with open(sys.argv[1], "rb") as f:
    head = f.read(32)
sys.exit(0 if head.startswith(MAGICS) else 1)
"""

# The README's loop in Python, standard library only.
STDLIB_LOOP = """\
import hashlib, json, subprocess, sys
m = json.load(open("manifest.json"))
for c in m["cases"]:
    data = open(c["file"], "rb").read()
    if hashlib.sha256(data).hexdigest() != c["sha256"] or len(data) != c["size"]:
        print("CORRUPT", c["name"]); continue
    rc = subprocess.run([sys.executable, "-I", "-S", sys.argv[1], c["file"]]).returncode
    if (c["verdict"], rc) not in (("accept", 0), ("reject", 1), ("either", 0), ("either", 1)):
        print(f"FAIL {c['name']} ({c['level']}): expected {c['verdict']}, exit status {rc}")
"""


def fail(msg: str) -> None:
    sys.exit(f"release: {msg}")


def corpus_version() -> str:
    version = json.loads((CONFORMANCE / "manifest.json").read_text())["corpus_version"]
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        fail(f"corpus_version {version!r} is not MAJOR.MINOR.PATCH")
    return str(version)


def tarball(dist: Path, version: str) -> Path:
    """Write the corpus tarball (reproducibly) and the manifest beside it."""
    top = f"xensave-corpus-{version}"
    manifest = json.loads((CONFORMANCE / "manifest.json").read_text())
    members: dict[str, bytes] = {name: (CONFORMANCE / name).read_bytes() for name in FILES}
    for case in manifest["cases"]:
        members[case["file"]] = (CONFORMANCE / case["file"]).read_bytes()
    sums = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(members.items())
    )
    members["SHA256SUMS"] = sums.encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = sorted({str(Path(n).parent) for n in members} - {"."})
        for d in ["", *dirs]:
            info = tarfile.TarInfo(f"{top}/{d}".rstrip("/"))
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
            tar.addfile(info)
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            tar.addfile(info, io.BytesIO(data))
    out = dist / f"{top}.tar.gz"
    with open(out, "wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
        gz.write(raw.getvalue())
    shutil.copyfile(CONFORMANCE / "manifest.json", dist / f"{top}.manifest.json")
    return out


def readme_loop() -> str:
    """The shell loop of conformance/README.md, from `cd` to `done`."""
    text = (CONFORMANCE / "README.md").read_text()
    section = text.split("## Using the corpus without Python", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    if block is None or "your-reader" not in block.group(1):
        fail("conformance/README.md has no shell loop calling your-reader")
    return block.group(1)


def expected_failures(manifest: dict[str, object], top: Path) -> set[str]:
    """The cases the toy gets wrong, from the manifest's verdicts and the toy's rule."""
    magics = (b"Xen saved domain, xl format\n \x00 \r", b"LibxlFmt", b"\xff" * 8)
    wrong = set()
    for c in manifest["cases"]:  # type: ignore[attr-defined]
        accepts = (top / c["file"]).read_bytes()[:32].startswith(magics)
        if (c["verdict"], accepts) in (("accept", False), ("reject", True)):
            wrong.add(c["name"])
    return wrong


def check(tar: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        with tarfile.open(tar) as t:
            t.extractall(base, filter="data")
        (top,) = base.iterdir()
        manifest = json.loads((top / "manifest.json").read_text())
        if not manifest["cases"]:
            fail("the tarball's manifest has no cases")
        (base / "toy.py").write_text(TOY)
        (base / "loop.py").write_text(STDLIB_LOOP)
        subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=top, check=True)
        want = expected_failures(manifest, top)
        reader = f"{sys.executable} -I -S {base / 'toy.py'}"
        script = readme_loop().replace("your-reader", reader)
        script = re.sub(r"^cd .*\n", "", script, flags=re.M)  # run where the manifest is
        runs = {
            "README shell loop": ["sh", "-c", script],
            "README loop, Python stdlib only": [
                sys.executable,
                "-I",
                "-S",
                str(base / "loop.py"),
                str(base / "toy.py"),
            ],
        }
        for what, argv in runs.items():
            proc = subprocess.run(argv, cwd=top, capture_output=True, text=True, check=False)
            lines = proc.stdout.splitlines()
            if any(line.startswith("CORRUPT") for line in lines) or proc.returncode:
                fail(f"{what}: {proc.returncode}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
            got = {line.split()[1] for line in lines if line.startswith("FAIL ")}
            if got != want:
                fail(f"{what}: reported {sorted(got ^ want)[:10]} wrongly")
            print(f"release: {tar.name}: {what}: {len(manifest['cases'])} cases, ", end="")
            print(f"{len(got)} failures of the toy testee reported as expected")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python .ci/release.py", description=__doc__)
    p.add_argument("--dist", type=Path, default=ROOT / "dist")
    p.add_argument("--no-packages", action="store_true", help="only the corpus tarball")
    args = p.parse_args(argv)
    args.dist.mkdir(parents=True, exist_ok=True)
    version = corpus_version()
    if not args.no_packages:
        build = [sys.executable, "-m", "build", "--outdir", str(args.dist), str(ROOT)]
        subprocess.run(build, check=True)
    tar = tarball(args.dist, version)
    check(tar)
    for f in sorted(args.dist.iterdir()):
        print(f"release: {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
