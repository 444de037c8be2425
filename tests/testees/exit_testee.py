"""A misbehaving exit-code testee for the harness's tests: ``exit_testee.py MODE FILE``.

Modes: ``oracle`` (exit 0 for y_/i_ files, 1 for n_ files: it reads the verdict from
the name), ``wrong:NAME,...`` (oracle, but the other way round for those cases),
``code:N`` (exit N), ``signal:N`` (kill itself with signal N), ``hang`` (start a
grandchild that sleeps, write both pids to $TESTEE_PIDS, sleep), ``flood:MB``
(write that many MB to stdout, then act as oracle), ``tamper`` (delete, then
recreate and rewrite its input, then act as oracle), ``stdin`` (read the image
from stdin; exit 0 if it is not empty), ``accept:NAME,...`` (exit 0 for those cases,
1 for every other: a fake restorer that restores exactly the images named).
"""

import os
import subprocess
import sys
import time


def oracle(path, wrong=()):
    name = os.path.basename(path)
    ok = not name.startswith("n_")
    if name.rsplit(".", 1)[0] in wrong:
        ok = not ok
    return 0 if ok else 1


def main():
    mode = sys.argv[1]
    path = sys.argv[2] if len(sys.argv) > 2 else ""
    kind, _, arg = mode.partition(":")
    if kind == "oracle":
        return oracle(path)
    if kind == "wrong":
        return oracle(path, set(arg.split(",")))
    if kind == "accept":
        name = os.path.basename(path).rsplit(".", 1)[0]
        return 0 if name in arg.split(",") else 1
    if kind == "code":
        return int(arg)
    if kind == "signal":
        os.kill(os.getpid(), int(arg))
        time.sleep(5)
        return 0
    if kind == "hang":
        child = subprocess.Popen(["sleep", "60"])
        with open(os.environ["TESTEE_PIDS"], "a") as f:
            f.write(f"{os.getpid()} {child.pid}\n")
        time.sleep(60)
        return 0
    if kind == "flood":
        block = b"x" * (1 << 20)
        out = sys.stdout.buffer
        for _ in range(int(arg)):
            out.write(block)
        out.flush()
        return oracle(path)
    if kind == "tamper":
        try:
            os.chmod(os.path.dirname(path), 0o755)
            os.unlink(path)
        except OSError as exc:
            print(f"cannot delete: {exc}", file=sys.stderr)
        try:
            with open(path, "wb") as f:
                f.write(b"tampered")
        except OSError as exc:
            print(f"cannot rewrite: {exc}", file=sys.stderr)
        return oracle(path)
    if kind == "stdin":
        data = sys.stdin.buffer.read()
        return 0 if data else 1
    print(f"unknown mode {mode}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
