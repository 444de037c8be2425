"""A misbehaving persistent testee for the harness's tests:
``persistent_testee.py [MISDEED:CASE ...]``.

It answers every request like an oracle (accept y_/i_, reject n_: it reads the
verdict from the case name) and commits MISDEED on the request for CASE:
``garbage`` (text on stdout), ``half`` (half a frame, then exit), ``half-hang`` (half
a frame, then sleep), ``exit`` (exit 3 without answering), ``segv`` (SIGSEGV),
``hang`` (sleep), ``badjson``, ``badverdict``, ``wrongid``, ``extra`` (two answers),
``flood`` (100 MB on stdout), ``tamper`` (delete and rewrite its input file),
``wrong`` (the wrong verdict), ``error`` (the error verdict), ``unsupported``,
``stderr`` (100 MB on stderr, then answer). Each start appends a line to
$TESTEE_LOG when that is set.
"""

import json
import os
import signal
import struct
import sys
import time


def read_exact(f, n):
    data = b""
    while len(data) < n:
        chunk = f.read(n - len(data))
        if not chunk:
            if not data:
                return None
            raise EOFError
        data += chunk
    return data


def frame(body):
    data = json.dumps(body).encode()
    return struct.pack("<I", len(data)) + data


def main():
    deeds = {}
    for arg in sys.argv[1:]:
        deed, _, case = arg.partition(":")
        deeds[case] = deed
    if os.environ.get("TESTEE_LOG"):
        with open(os.environ["TESTEE_LOG"], "a") as f:
            f.write(f"start {os.getpid()}\n")
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        prefix = read_exact(inp, 12)
        if prefix is None:
            return 0
        hlen, ilen = struct.unpack("<IQ", prefix)
        header = json.loads(read_exact(inp, hlen))
        image = read_exact(inp, ilen) if ilen else b""
        assert len(image) == header["size"]
        name = header["name"]
        verdict = "reject" if name.startswith("n_") else "accept"
        body = {"verdict": verdict, "id": header["id"], "diagnostics": [{"rule": "X-Y-001"}]}
        deed = deeds.get(name)
        if deed == "garbage":
            out.write(b"Traceback (most recent call last): oops\n")
        elif deed == "half":
            out.write(frame(body)[:6])
            out.flush()
            return 0
        elif deed == "half-hang":
            out.write(frame(body)[:2])
            out.flush()
            time.sleep(60)
        elif deed == "exit":
            return 3
        elif deed == "segv":
            os.kill(os.getpid(), signal.SIGSEGV)
            time.sleep(5)
        elif deed == "hang":
            time.sleep(60)
        elif deed == "badjson":
            out.write(struct.pack("<I", 5) + b"{nope")
        elif deed == "deepjson":  # nesting past Python's recursion limit
            data = b'{"verdict":"accept","id":%d,"summary":' % header["id"]
            data += b"[" * 100000 + b"]" * 100000 + b"}"
            out.write(struct.pack("<I", len(data)) + data)
        elif deed == "deep80":  # nesting a report could not write safely either
            data = b'{"verdict":"accept","id":%d,"summary":' % header["id"]
            data += b"[" * 80 + b"]" * 80 + b"}"
            out.write(struct.pack("<I", len(data)) + data)
        elif deed == "badverdict":
            out.write(frame({"verdict": "maybe", "id": header["id"]}))
        elif deed == "wrongid":
            out.write(frame({**body, "id": header["id"] + 100}))
        elif deed == "extra":
            out.write(frame(body) + frame(body))
        elif deed == "flood":
            block = b"A" * (1 << 20)
            for _ in range(100):
                out.write(block)
        elif deed == "tamper":
            path = header["file"]
            os.chmod(os.path.dirname(path), 0o755)
            os.unlink(path)
            with open(path, "wb") as f:
                f.write(b"tampered")
            out.write(frame(body))
        elif deed == "stderr":
            block = b"e" * (1 << 20)
            for _ in range(100):
                sys.stderr.buffer.write(block)
            sys.stderr.flush()
            out.write(frame(body))
        elif deed == "wrong":
            body["verdict"] = "accept" if verdict == "reject" else "reject"
            out.write(frame(body))
        elif deed in ("error", "unsupported"):
            out.write(frame({"verdict": deed, "message": f"{deed} on purpose"}))
        else:
            out.write(frame(body))
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
