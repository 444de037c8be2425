"""Persistent-protocol testees for the bundled implementations.

``python -m xensave.conformance.testee reference`` judges each image with the
reference checker; ``python -m xensave.conformance.testee kaitai`` with the
generated Kaitai Python parsers (layout only, as ``python -m xensave.kaitai_tree``
does). Both speak the protocol of ``spec/harness-protocol.md`` on stdin/stdout
through :func:`serve`, which a Python testee of one's own can use as well::

    from xensave.conformance.testee import serve
    serve(lambda image, header: {"verdict": "accept" if my_parse(image) else "reject"})
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, BinaryIO

from .protocol import ProtocolError, read_request, write_response

__all__ = ["Judge", "judge_kaitai", "judge_reference", "main", "serve"]

Judge = Callable[[bytes, dict[str, Any]], dict[str, Any]]

#: Diagnostics sent back per case, at most (the rest are counted in ``message``).
_MAX_DIAGS = 20


def serve(judge: Judge, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> int:
    """Answer requests until stdin ends. An exception inside ``judge`` is answered
    with the ``error`` verdict; the loop goes on."""
    inp = stdin if stdin is not None else sys.stdin.buffer
    out = stdout if stdout is not None else sys.stdout.buffer
    while True:
        try:
            req = read_request(inp)
        except ProtocolError as exc:
            print(f"testee: {exc}", file=sys.stderr)
            return 2
        if req is None:
            return 0
        try:
            body = judge(req.image, req.header)
        except Exception as exc:  # the judge's bug, reported for this case only
            body = {"verdict": "error", "message": f"{type(exc).__name__}: {exc}"}
        if "id" in req.header:
            body["id"] = req.header["id"]
        write_response(out, body)


def judge_reference(image: bytes, header: dict[str, Any]) -> dict[str, Any]:
    """The reference checker's verdict, with its errors and warnings."""
    from ..checker import check_bytes

    report = check_bytes(image)
    shown = [d for d in report.diagnostics if d.severity != "note"]
    diags = [
        {
            "rule": d.rule,
            "severity": d.severity,
            "offset": d.offset,
            "layer": d.layer,
            "message": d.message,
        }
        for d in shown[:_MAX_DIAGS]
    ]
    body: dict[str, Any] = {
        "verdict": "accept" if report.valid else "reject",
        "diagnostics": diags,
        "summary": {"layer": report.layer, "bytes_read": report.bytes_read},
    }
    if len(shown) > _MAX_DIAGS:
        body["message"] = f"{len(shown) - _MAX_DIAGS} more diagnostics not sent"
    return body


def judge_kaitai(image: bytes, header: dict[str, Any]) -> dict[str, Any]:
    """What the generated Kaitai Python parsers make of the image: ``accept`` when
    they read it through (and its tree can be walked), ``reject`` otherwise."""
    from ..kaitai_tree import UsageError, detect_layer, error_tree, parser_class, tree

    try:
        layer = detect_layer(image)
    except UsageError as exc:
        return {"verdict": "reject", "message": str(exc)}
    try:
        tree(parser_class(layer).from_bytes(image))
    except Exception as exc:  # the generated parser's rejection, whatever its class
        err = error_tree(exc)
        return {"verdict": "reject", "message": str(err.get("error"))}
    return {"verdict": "accept", "summary": {"layer": layer}}


JUDGES: dict[str, Judge] = {"reference": judge_reference, "kaitai": judge_kaitai}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in JUDGES:
        print(
            f"usage: python -m xensave.conformance.testee {{{'|'.join(JUDGES)}}}", file=sys.stderr
        )
        return 2
    judge = JUDGES[args[0]]
    if args[0] == "reference":  # load the checker before the first request, not during it
        from .. import checker  # noqa: F401
    else:
        from .. import kaitai_tree  # noqa: F401
    return serve(judge)


if __name__ == "__main__":
    sys.exit(main())
