"""dump's indentation: a stream sits one level under what holds it, whichever stream it
is. A legacy image in a XAPI LIBXC_LEGACY section sits where a libxc stream sits in a
LIBXC section (under the section, two levels in), as it sits where a libxc stream does
in an xl file (one level in) and at 0 on its own."""

from __future__ import annotations

import io
import json
import struct

from xensave import samples
from xensave.constants import XAPI_MAGIC
from xensave.dump import dump
from xensave.legacy import samples as legacy_samples
from xensave.legacy.format import encode
from xensave.writer import to_bytes

#: XAPI section types (XapiKind): the stream sections and the closing one.
_LIBXC, _LIBXC_LEGACY, _END = 0x00F0, 0x00F2, 0xFFFF


def _xapi(kind: int, stream: bytes) -> bytes:
    return XAPI_MAGIC + struct.pack("<QQ", kind, 0) + stream + struct.pack("<QQ", _END, 0)


def _legacy_hvm() -> bytes:
    return encode(legacy_samples.build(64, "hvm").image)


def _lines(data: bytes) -> list[str]:
    out = io.StringIO()
    result = dump(io.BytesIO(data), out, name="x")
    assert result.error is None
    return out.getvalue().splitlines()


def _indent(lines: list[str], starts: str) -> int:
    """The indentation (in levels) of the first line whose text starts so."""
    for line in lines:
        text = line.split("  ", 1)[1]  # after the offset column
        if text.lstrip().startswith(starts):
            return (len(text) - len(text.lstrip())) // 2
    raise AssertionError(f"no line starts with {starts!r}: {lines}")


def _json_depths(data: bytes) -> list[tuple[str, int]]:
    out = io.StringIO()
    dump(io.BytesIO(data), out, name="x", as_json=True)
    doc = json.loads(out.getvalue())
    return [(item.get("kind", ""), item["depth"]) for item in doc["items"]]


def test_a_legacy_image_in_a_xapi_section_sits_under_it() -> None:
    libxc = _lines(_xapi(_LIBXC, to_bytes(samples.build("hvm", 2, "libxc"))))
    legacy = _lines(_xapi(_LIBXC_LEGACY, _legacy_hvm()))
    assert _indent(legacy, "XAPI section LIBXC_LEGACY") == 1
    assert _indent(libxc, "libxc stream:") == 2
    assert _indent(legacy, "legacy image:") == 2
    assert _indent(legacy, "HVM tail:") == 2
    assert _indent(legacy, "end of legacy image") == 2
    assert _indent(legacy, "XAPI section END_OF_IMAGE") == 1


def test_a_legacy_image_alone_and_in_an_xl_file() -> None:
    alone = _lines(_legacy_hvm())
    assert _indent(alone, "legacy image:") == 0
    assert _indent(alone, "HVM tail:") == 0
    xl = legacy_samples.build(64, "hvm", xl_config=legacy_samples.XL_CONFIG).data()
    wrapped = _lines(xl)
    assert _indent(wrapped, "legacy image:") == 1
    assert _indent(wrapped, "HVM tail:") == 1


def test_json_depths_follow_the_text() -> None:
    depths = _json_depths(_xapi(_LIBXC_LEGACY, _legacy_hvm()))
    legacy = [d for kind, d in depths if kind.startswith("Legacy")]
    assert legacy and set(legacy) == {2}, depths
