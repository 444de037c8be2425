"""Implementations with planted bugs, for proving that ``xensave fuzz`` finds bugs.

Each is the reference checker with one defect of a kind real readers have::

    python tests/planted/planted.py BUG FILE      # exit-code protocol: 0 valid, 1 invalid
    python tests/planted/planted.py BUG --serve   # persistent protocol on stdin/stdout

BUG is one of:

``reserved-bits``
    a validator that never looks at reserved fields, reserved flag bits or padding:
    it accepts an image whose only fault is there;
``optional-records``
    one code path for records it does not know: it skips them all as if optional
    (mandatory ones too, which a reader must refuse), and forgets the padding after
    a skipped record, so an unknown record whose body is not a multiple of 8 octets
    loses it the framing and it rejects the image, valid or not;
``page-count``
    a fixed 512-entry pfn buffer: crashes (SIGSEGV) on a PAGE_DATA count above 512;
``zero-length``
    loops forever on a record with body_length 0 whose type has a body;
``none``
    no bug: the reference checker as it is.
"""

from __future__ import annotations

import io
import os
import signal
import struct
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from a checkout without installing

from xensave.checker import check_bytes  # noqa: E402
from xensave.fuzz.verdicts import RESERVED  # noqa: E402
from xensave.reader import Reader, ReadError, RecordEvent  # noqa: E402

BUGS = ("reserved-bits", "optional-records", "page-count", "zero-length", "none")

#: Record types each layer defines.
KNOWN = {"libxc": set(range(0x13)), "libxl": set(range(6))}
#: Record types whose body is empty by definition, per layer.
EMPTY_BODIES = {"libxc": {0x00, 0x0D, 0x0E, 0x10}, "libxl": {0x00, 0x01, 0x04}}


def records(image: bytes) -> list[RecordEvent]:
    out = []
    try:
        for ev in Reader(io.BytesIO(image)):
            if isinstance(ev, RecordEvent):
                out.append(ev)
    except ReadError:
        pass
    return out


def judge(bug: str, image: bytes) -> bool:
    """True to accept. May crash or hang, as planted."""
    if bug == "page-count":
        for ev in records(image):
            if ev.layer == "libxc" and ev.type == 0x01 and len(ev.body) >= 4:
                (count,) = struct.unpack_from(ev.endian + "I", ev.body)
                if count > 512:  # overruns pfns[512]
                    os.kill(os.getpid(), signal.SIGSEGV)
    if bug == "zero-length":
        for ev in records(image):
            if ev.length == 0 and ev.type not in EMPTY_BODIES[ev.layer]:
                while True:  # waits for a body that never comes
                    time.sleep(60)
    if bug == "optional-records":
        for ev in records(image):
            if ev.type not in KNOWN[ev.layer] and ev.length % 8:
                return False  # misframed from here on: garbage, so reject
    report = check_bytes(image)
    errors = [d for d in report.diagnostics if d.severity == "error"]
    if bug == "reserved-bits":
        errors = [d for d in errors if d.rule not in RESERVED]
    if bug == "optional-records":  # unknown mandatory records were skipped too
        errors = [d for d in errors if d.rule not in ("XC-REC-004", "XL-REC-004")]
    return not errors


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in BUGS:
        print(f"usage: planted.py {{{'|'.join(BUGS)}}} FILE|-|--serve", file=sys.stderr)
        return 2
    bug, what = argv
    if what == "--serve":
        from xensave.conformance.testee import serve

        def body(image: bytes, header: dict[str, Any]) -> dict[str, Any]:
            return {"verdict": "accept" if judge(bug, image) else "reject"}

        return serve(body)
    data = sys.stdin.buffer.read() if what == "-" else Path(what).read_bytes()
    return 0 if judge(bug, data) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
