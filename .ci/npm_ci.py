"""``npm ci`` once per state of package.json and package-lock.json.

Every tox environment that runs node needs the pinned packages in node_modules.
``./dev test`` runs environments in parallel, and two ``npm ci`` at once in one
directory break each other's install (each deletes node_modules first). So this
takes a lock, and installs only when node_modules was not installed from the
package files as they are now (a stamp in node_modules holds their hash); the
first environment installs, the others find the stamp and go on.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAMP = ROOT / "node_modules" / ".xensave-npm-ci"


def wanted() -> str:
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        h.update((ROOT / name).read_bytes() + b"\0")
    return h.hexdigest()


def main() -> int:
    npm = shutil.which("npm")
    if npm is None:
        sys.stderr.write("npm is not on the PATH: install Node.js 20 or newer with npm\n")
        return 1
    with open(ROOT / "package-lock.json", "rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        want = wanted()
        if STAMP.is_file() and STAMP.read_text().strip() == want:
            return 0
        r = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=False
        )
        if r.returncode != 0:
            return r.returncode
        STAMP.write_text(want + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
