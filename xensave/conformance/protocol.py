"""The persistent testee protocol: frames on a pipe (``spec/harness-protocol.md``).

A request is ``header_len:u32le  image_len:u64le  header  image``: the header is a
UTF-8 JSON object naming the case and the private copy of its image, the image is
the image's bytes. A response is ``body_len:u32le  body``: a UTF-8 JSON object with
at least a ``verdict``. This module encodes and decodes both; the harness side of
the pipe (deadlines, restarts) is in :mod:`xensave.conformance.execute`, and a
testee built on it is in :mod:`xensave.conformance.testee`.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

__all__ = [
    "MAX_RESPONSE",
    "PROTOCOL_VERSION",
    "REQUEST_PREFIX",
    "RESPONSE_PREFIX",
    "VERDICTS",
    "ProtocolError",
    "Request",
    "Response",
    "decode_response",
    "encode_request",
    "encode_response",
    "read_request",
    "write_response",
]

PROTOCOL_VERSION = 1
#: ``header_len`` (u32le) and ``image_len`` (u64le) in front of every request.
REQUEST_PREFIX = struct.Struct("<IQ")
#: ``body_len`` (u32le) in front of every response.
RESPONSE_PREFIX = struct.Struct("<I")
#: A response body longer than this is a protocol error (the testee is writing garbage).
MAX_RESPONSE = 16 << 20
#: What a testee may answer. ``accept``/``reject`` are verdicts on the image;
#: ``unsupported`` declines the case; ``error`` reports the testee's own failure.
VERDICTS = ("accept", "reject", "unsupported", "error")
#: At most this many diagnostics of a response are kept.
MAX_DIAGNOSTICS = 100


class ProtocolError(Exception):
    """A frame that breaks the protocol."""


@dataclass(frozen=True)
class Request:
    header: dict[str, Any]
    image: bytes


@dataclass
class Response:
    verdict: str
    message: str = ""
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    summary: Any = None
    id: int | None = None


def encode_request(header: dict[str, Any], image: bytes) -> bytes:
    """The bytes of one request frame."""
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode()
    return REQUEST_PREFIX.pack(len(head), len(image)) + head + image


def _read_exact(f: BinaryIO, n: int) -> bytes | None:
    """``n`` bytes, or None at EOF before the first; ProtocolError at EOF inside."""
    chunks = []
    got = 0
    while got < n:
        chunk = f.read(n - got)
        if not chunk:
            if got == 0:
                return None
            raise ProtocolError(f"end of input after {got} of {n} bytes")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_request(f: BinaryIO) -> Request | None:
    """The next request on ``f`` (a testee's stdin), or None at a clean EOF."""
    prefix = _read_exact(f, REQUEST_PREFIX.size)
    if prefix is None:
        return None
    header_len, image_len = REQUEST_PREFIX.unpack(prefix)
    head = _read_exact(f, header_len) if header_len else b"{}"
    image = _read_exact(f, image_len) if image_len else b""
    if head is None or image is None:
        raise ProtocolError("end of input inside a request")
    if json_depth(head) > MAX_DEPTH:
        raise ProtocolError(f"request header nests deeper than {MAX_DEPTH} levels")
    try:
        header = json.loads(head)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"request header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise ProtocolError("request header is not a JSON object")
    return Request(header, image)


def encode_response(body: dict[str, Any]) -> bytes:
    """The bytes of one response frame."""
    data = json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode()
    return RESPONSE_PREFIX.pack(len(data)) + data


def write_response(f: BinaryIO, body: dict[str, Any]) -> None:
    f.write(encode_response(body))
    f.flush()


def _diagnostic(d: object) -> dict[str, Any] | None:
    if not isinstance(d, dict):
        return None
    out: dict[str, Any] = {}
    for key in ("rule", "message", "severity", "layer"):
        value = d.get(key)
        if isinstance(value, str):
            out[key] = value[:2000]
    offset = d.get("offset")
    if isinstance(offset, int) and not isinstance(offset, bool):
        out["offset"] = offset
    return out


#: The deepest nesting of arrays and objects a testee's answer may have. Python's JSON
#: decoder recurses per level (RecursionError near 1000), and so does writing the
#: ``summary`` into a report: a hostile testee must meet a ProtocolError instead.
MAX_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_BRACKETS = re.compile(rb"[\[\]{}]")


def json_depth(data: bytes) -> int:
    """How deeply ``data`` (JSON text) nests arrays and objects, found without parsing
    (strings skipped) so that no depth can exhaust the stack."""
    depth = deepest = 0
    for m in _JSON_BRACKETS.finditer(_JSON_STRING.sub(b"", data)):
        if m.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def decode_response(body: bytes) -> Response:
    """A response body (without its length prefix) as a :class:`Response`.

    Raises ProtocolError for anything that is not a JSON object with a known
    ``verdict``; unknown keys are ignored, malformed optional ones dropped.
    """
    if len(body) > MAX_RESPONSE:
        raise ProtocolError(f"response of {len(body)} bytes is over the {MAX_RESPONSE} limit")
    # nesting needs an opening bracket a level (in a string or not): with no more
    # brackets than the limit the body cannot nest too deeply, and the scan is skipped
    # (an answer with its diagnostics has some forty; the harness reads one a case)
    shallow = body.count(b"[") + body.count(b"{") <= MAX_DEPTH
    depth = 0 if shallow else json_depth(body)
    if depth > MAX_DEPTH:
        raise ProtocolError(f"response nests {depth} levels deep; at most {MAX_DEPTH} allowed")
    try:
        obj = json.loads(body.decode("utf-8"))
    except RecursionError:
        raise ProtocolError(f"response nests too deeply (over {MAX_DEPTH} levels)") from None
    except (UnicodeDecodeError, ValueError) as exc:
        preview = body[:40].decode("latin-1").encode("unicode_escape").decode()
        raise ProtocolError(f"response is not UTF-8 JSON ({exc}): {preview!r}") from None
    if not isinstance(obj, dict):
        raise ProtocolError(f"response is a JSON {type(obj).__name__}, not an object")
    verdict = obj.get("verdict")
    if verdict not in VERDICTS:
        raise ProtocolError(f"response has verdict {verdict!r}; expected one of {VERDICTS}")
    message = obj.get("message")
    diags = obj.get("diagnostics")
    diagnostics: list[dict[str, Any]] = []
    if isinstance(diags, list):
        for d in diags[:MAX_DIAGNOSTICS]:
            dd = _diagnostic(d)
            if dd is not None:
                diagnostics.append(dd)
    rid = obj.get("id")
    return Response(
        verdict=verdict,
        message=message[:2000] if isinstance(message, str) else "",
        diagnostics=diagnostics,
        summary=obj.get("summary"),
        id=rid if isinstance(rid, int) and not isinstance(rid, bool) else None,
    )
