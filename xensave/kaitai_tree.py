"""Canonical JSON trees of what the generated Kaitai parsers read.

``parse(data, layer)`` runs the generated Python parser of ``xensave/kaitai/`` over an
image; ``tree(obj)`` turns the parsed object into plain JSON-able data;
``dumps(tree)`` renders it. ``conformance/adapters/kaitai-js/dump.js`` does the same
walk over the generated JavaScript parser, and for the same image the two print the
same bytes. The rules, shared by both:

* a parsed structure becomes a JSON object whose keys are its ``seq`` fields, in
  ``seq`` order, spelled as in the ksy; a field whose ``if`` is false is left out;
  instances and type parameters are not shown;
* integers (enums included, by value) are JSON numbers, except values of 2^53 and
  above, which are decimal strings (JavaScript numbers cannot hold them exactly);
* byte strings of up to ``HEX_LIMIT`` octets are lowercase hex; longer ones (pages,
  vCPU contexts, configurations) are ``{"length": n, "sha256": hex}``;
* arrays are JSON arrays;
* the text is compact JSON (no spaces), ASCII only, with a final newline.

A parse error is reported as ``{"error": "...", "kind": "..."}``: ``error`` is the
runtime's own message, ``kind`` the error's class name (``EOFError`` for any lack of
data), which is the same in both languages. The command then exits 1.

Command line (the same as ``node conformance/adapters/kaitai-js/dump.js``)::

    python -m xensave.kaitai_tree FILE [--type xl|libxl|libxc]
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import sys
from collections.abc import Callable, Iterator
from enum import IntEnum
from typing import Any, TypeAlias

from kaitaistruct import KaitaiStruct

JSONValue: TypeAlias = bool | int | str | list["JSONValue"] | dict[str, "JSONValue"] | None

#: Byte strings longer than this are shown by length and SHA-256.
HEX_LIMIT = 64
#: Integers from here up are shown as decimal strings.
EXACT_LIMIT = 1 << 53

#: Layer name -> (generated module, class name, leading bytes that identify it).
LAYERS: dict[str, tuple[str, str, bytes]] = {
    "xl": ("xen_xl_save_file", "XenXlSaveFile", b"Xen saved domain, xl format\n \x00 \r"),
    "libxl": ("xen_libxl_stream", "XenLibxlStream", b"LibxlFmt"),
    "libxc": ("xen_libxc_stream", "XenLibxcStream", b"\xff" * 8),
}


class UsageError(Exception):
    """Bad arguments or an image whose layer cannot be told."""


def detect_layer(data: bytes) -> str:
    """The outermost layer of an image, from its first octets."""
    for layer, (_, _, magic) in LAYERS.items():
        if data.startswith(magic):
            return layer
    raise UsageError("cannot tell the layer from the first octets; pass --type")


def parser_class(layer: str) -> type[KaitaiStruct]:
    """The generated top-level class for a layer."""
    try:
        module_name, class_name, _ = LAYERS[layer]
    except KeyError:
        raise UsageError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}") from None
    module = importlib.import_module(f"xensave.kaitai.{module_name}")
    cls: type[KaitaiStruct] = getattr(module, class_name)
    return cls


def parse(data: bytes, layer: str) -> KaitaiStruct:
    """Parse ``data`` as ``layer`` ("xl", "libxl" or "libxc") with the generated parser.

    Raises whatever the generated parser raises on bad input (``kaitaistruct``
    validation errors, ``EOFError``, ...), and ``UsageError`` for an unknown layer.
    """
    return parser_class(layer).from_bytes(data)


def _params(cls: type) -> frozenset[str]:
    """Names of a generated class's type parameters (its constructor arguments
    before ``_io``)."""
    names: list[str] = []
    for name in inspect.signature(cls).parameters:
        if name == "_io":
            break
        names.append(name)
    return frozenset(names)


_PARAMS: dict[type, frozenset[str]] = {}


def seq_fields(obj: KaitaiStruct) -> Iterator[tuple[str, Any]]:
    """The ``seq`` fields a parsed object holds, in ``seq`` order.

    The generated ``_read`` assigns exactly the parsed ``seq`` fields, in order, after
    the constructor has stored the type parameters; everything else it keeps starts
    with an underscore.
    """
    cls = type(obj)
    params = _PARAMS.get(cls)
    if params is None:
        params = _PARAMS[cls] = _params(cls)
    for name, value in vars(obj).items():
        if not name.startswith("_") and name not in params:
            yield name, value


def _bytes(value: bytes) -> JSONValue:
    if len(value) <= HEX_LIMIT:
        return value.hex()
    return {"length": len(value), "sha256": hashlib.sha256(value).hexdigest()}


def _int(value: int) -> JSONValue:
    return str(value) if value >= EXACT_LIMIT or value <= -EXACT_LIMIT else value


def tree(obj: object) -> JSONValue:
    """The canonical JSON-able tree of a parsed object (see the module docstring)."""
    if isinstance(obj, KaitaiStruct):
        return {name: tree(value) for name, value in seq_fields(obj)}
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, IntEnum):
        return _int(int(obj))
    if isinstance(obj, int):
        return _int(obj)
    if isinstance(obj, bytes | bytearray):
        return _bytes(bytes(obj))
    if isinstance(obj, list):
        return [tree(item) for item in obj]
    if isinstance(obj, str):
        return obj
    if obj is None:
        return None
    raise TypeError(f"no JSON form for {type(obj).__name__}")


def dumps(value: JSONValue) -> str:
    """Compact, ASCII-only JSON text with a final newline, as dump.js prints it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True, allow_nan=False) + "\n"


def error_kind(exc: BaseException) -> str:
    """The runtime-independent name of a parse failure: the Kaitai validation error
    class (``ValidationNotEqualError``, ``ValidationNotInEnumError``, ...), or
    ``EOFError`` for every way of running out of data."""
    if isinstance(exc, EOFError):
        return "EOFError"
    return type(exc).__name__


def error_tree(exc: BaseException) -> dict[str, JSONValue]:
    """The ``{"error": ..., "kind": ...}`` object for a parse failure: ``error`` is
    the runtime's message (it differs between languages), ``kind`` is
    ``error_kind(exc)`` (it does not)."""
    kind = error_kind(exc)
    return {"error": f"{kind}: {exc}", "kind": kind}


# --- a short human summary (used by ``python -m xensave.samples show``) ----------


def _enum_name(value: object) -> str:
    if isinstance(value, IntEnum):
        return value.name.upper()
    if isinstance(value, int):
        return f"0x{value:08x}"
    return str(value)


def _libxc_lines(section: Any, indent: str) -> list[str]:
    lines: list[str] = []
    dh = getattr(section, "domain_header", None)
    if dh is not None:
        lines.append(
            f"{indent}domain {_enum_name(dh.guest_type)}, page_shift {dh.page_shift},"
            f" Xen {dh.xen_major}.{dh.xen_minor}"
        )
    counts: dict[str, int] = {}
    order: list[str] = []
    for rec in section.records:
        name = _enum_name(rec.rec_type)
        if name not in counts:
            order.append(name)
            counts[name] = 0
        counts[name] += 1
    lines.append(
        f"{indent}{len(section.records)} records: "
        + ", ".join(f"{n} x{counts[n]}" if counts[n] > 1 else n for n in order)
    )
    return lines


def summary(obj: KaitaiStruct) -> list[str]:
    """A few lines describing a parsed image, outermost layer first."""
    lines: list[str] = []
    cls = type(obj).__name__
    if cls == "XenXlSaveFile":
        xlf: Any = obj
        hdr = xlf.header
        order = "little-endian" if hdr.is_le else "big-endian"
        cfg = getattr(hdr.optional_data, "config", None)
        lines.append(
            f"xl save file ({order}), mandatory flags 0x{hdr.mandatory_flags:x},"
            f" config {len(cfg) if cfg is not None else 0} octets"
        )
        stream = getattr(xlf, "stream", None)
        if stream is None:
            lines.append(f"legacy stream, {len(xlf.legacy_stream)} octets")
            return lines
        obj = stream
        cls = type(obj).__name__
    if cls == "XenLibxlStream":
        xl: Any = obj
        lines.append(
            f"libxl stream v{xl.version}, options 0x{xl.options:x},"
            f" {len(xl.records)} records: " + ", ".join(_enum_name(r.rec_type) for r in xl.records)
        )
        for rec in xl.records:
            inner = getattr(rec, "libxc_stream", None)
            if inner is not None:
                ih = inner.image_header
                lines.append(f"  libxc stream v{ih.version}, options 0x{ih.options:x}")
                lines += _libxc_lines(inner.section, "    ")
            resumed = getattr(rec, "libxc_resumed", None)
            if resumed is not None:
                lines.append("  libxc stream resumed after CHECKPOINT_END")
                lines += _libxc_lines(resumed, "    ")
        return lines
    if cls == "XenLibxcStream":
        xc: Any = obj
        ih = xc.image_header
        lines.append(f"libxc stream v{ih.version}, options 0x{ih.options:x}")
        lines += _libxc_lines(xc.section, "  ")
        return lines
    raise TypeError(f"not a parsed image: {cls}")


# --- command line ------------------------------------------------------------------


def _parse_args(argv: list[str]) -> tuple[str, str | None]:
    path: str | None = None
    layer: str | None = None
    it = iter(argv)
    for arg in it:
        if arg == "--type":
            layer = next(it, None)
            if layer is None:
                raise UsageError("--type needs a value")
        elif arg.startswith("--type="):
            layer = arg.split("=", 1)[1]
        elif arg.startswith("-") and arg != "-":
            raise UsageError(f"unknown option {arg}")
        elif path is None:
            path = arg
        else:
            raise UsageError("only one FILE")
    if path is None:
        raise UsageError("no FILE")
    if layer is not None and layer not in LAYERS:
        raise UsageError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")
    return path, layer


def main(argv: list[str] | None = None, out: Callable[[str], object] | None = None) -> int:
    """``python -m xensave.kaitai_tree FILE [--type LAYER]``: print the tree.

    Exit 0 with the tree, 1 with ``{"error": ...}`` when the parser rejects the
    image, 2 for usage or I/O errors.
    """
    write = out or sys.stdout.write
    try:
        path, layer = _parse_args(sys.argv[1:] if argv is None else argv)
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                data = f.read()
        layer = layer or detect_layer(data)
        cls = parser_class(layer)
    except (UsageError, OSError) as exc:
        print(f"kaitai_tree: {exc}", file=sys.stderr)
        print("usage: python -m xensave.kaitai_tree FILE [--type xl|libxl|libxc]", file=sys.stderr)
        return 2
    try:
        parsed = cls.from_bytes(data)
        result = tree(parsed)
    except Exception as exc:  # the generated parser's rejection, whatever its class
        write(dumps(error_tree(exc)))
        return 1
    write(dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
