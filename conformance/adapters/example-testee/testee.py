#!/usr/bin/env python3
"""A persistent-protocol testee in plain Python (standard library only), written from
spec/harness-protocol.md. Its judgement is a toy -- it accepts an image when the
first bytes are one of the three layers' magic numbers -- and marks the place where
a real implementation calls its own parser.

    xensave conformance run --persistent-impl "toy=python3 testee.py"
    xensave conformance run --adapter conformance/adapters/example-testee/example.json
"""

import json
import struct
import sys

MAGICS = (b"Xen saved domain, xl format\n \x00 \r", b"LibxlFmt", b"\xff" * 8)


def read_exact(f, n):
    """n bytes, or None at end of input before the first one."""
    data = b""
    while len(data) < n:
        chunk = f.read(n - len(data))
        if not chunk:
            if not data:
                return None
            raise EOFError(f"end of input after {len(data)} of {n} bytes")
        data += chunk
    return data


def judge(image, header):
    # Replace this with your parser: return "accept" or "reject", and optionally
    # the rules you found broken as diagnostics.
    if image.startswith(MAGICS):
        return {"verdict": "accept"}
    return {
        "verdict": "reject",
        "message": "no known magic",
        "diagnostics": [{"rule": "", "offset": 0, "message": "no known magic"}],
    }


def main():
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        prefix = read_exact(stdin, 12)
        if prefix is None:
            return 0  # the harness closed stdin: we are done
        header_len, image_len = struct.unpack("<IQ", prefix)
        header = json.loads(read_exact(stdin, header_len) if header_len else b"{}")
        image = read_exact(stdin, image_len) if image_len else b""
        try:
            body = judge(image, header)
        except Exception as exc:  # a bug in the judge: report it, keep serving
            body = {"verdict": "error", "message": f"{type(exc).__name__}: {exc}"}
        if "id" in header:
            body["id"] = header["id"]
        data = json.dumps(body).encode()
        stdout.write(struct.pack("<I", len(data)) + data)
        stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
