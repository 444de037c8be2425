"""The differential oracle on structure: the reference reader and the parser generated
from the normative ksy (``xensave/kaitai/``, read through :mod:`xensave.kaitai_tree`)
must see the same records, layer by layer, in an image the checker finds valid.

Two readings written independently (one by hand, one generated from the layout) that
drift apart show a bug in one of them or in the ksy; neither is taken as the truth.
The property tests compare them on generated images
(``tests/test_fuzz_properties.py``), the atheris target on whatever libFuzzer makes.
The ksy covers the xl file, libxl and libxc layers; the wrappers (libvirt, XAPI) have
no ksy, so an image that starts with neither layer's magic is not compared.
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["Disagreement", "compare_structure", "kaitai_records", "reader_records"]

#: (layer, record type, body length) of each record, in stream order.
Records = list[tuple[str, int, int]]


class Disagreement(AssertionError):
    """The two readings of one image differ."""


def kaitai_records(tree: dict[str, Any], layer: str) -> Records | None:
    """The records of a Kaitai tree of ``layer`` (xl, libxl or libxc) in stream order:
    the libxc ones where they occur inside the libxl stream, a checkpointed stream's
    resumed libxc sections and COLO's CHECKPOINT_STATE after their CHECKPOINT_END.
    None for an xl file whose payload the ksy does not structure (a legacy stream)."""
    out: Records = []

    def section(sec: dict[str, Any]) -> None:
        out.extend(("libxc", r["rec_type"], r["len_body"]) for r in sec["records"])

    def libxl(r: dict[str, Any]) -> None:
        out.append(("libxl", r["rec_type"], r["len_body"]))

    if layer == "libxc":
        section(tree["section"])
        return out
    if layer == "xl" and "stream" not in tree:
        return None
    stream = tree["stream"] if layer == "xl" else tree
    for r in stream["records"]:
        libxl(r)
        if "libxc_stream" in r:
            section(r["libxc_stream"]["section"])
        if "colo_checkpoint_state" in r:
            libxl(r["colo_checkpoint_state"])
        if "libxc_resumed" in r:
            section(r["libxc_resumed"])
    return out


def reader_records(data: bytes) -> Records:
    """The records the reference reader reads, up to where it stops (a checkpointed
    stream may end after a complete checkpoint, without END)."""
    from ..reader import Reader, ReadError, RecordEvent

    out: Records = []
    try:
        for e in Reader(io.BytesIO(data)):
            if isinstance(e, RecordEvent):
                out.append((e.layer, e.type, e.length))
    except ReadError:
        pass
    return out


def compare_structure(data: bytes, layer: str | None = None) -> bool:
    """Raise :class:`Disagreement` unless the generated parser reads ``data`` (as
    ``layer``, else the layer its first octets name) without error and finds the
    records the reference reader finds. False when there is nothing to compare (no
    ksy for the outermost layer)."""
    from .. import kaitai_tree

    if layer is None:
        try:
            layer = kaitai_tree.detect_layer(data)
        except kaitai_tree.UsageError:
            return False
    try:
        tree = kaitai_tree.tree(kaitai_tree.parse(data, layer))
    except Exception as exc:  # the generated parser's refusal, whatever the runtime raises
        raise Disagreement(
            f"the generated {layer} parser refuses an image the reference reads: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    assert isinstance(tree, dict)
    theirs = kaitai_records(tree, layer)
    if theirs is None:
        return False
    ours = reader_records(data)
    if ours != theirs:
        at = next(
            (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
            min(len(ours), len(theirs)),
        )
        mine = ours[at] if at < len(ours) else "nothing"
        gen = theirs[at] if at < len(theirs) else "nothing"
        raise Disagreement(
            f"record #{at}: the reference reads {mine}, the generated {layer} parser {gen} "
            f"(layer, type, length); {len(ours)} and {len(theirs)} records in all"
        )
    return True
