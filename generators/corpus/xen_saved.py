"""Images written by Xen itself (``y_``, tagged ``xen-saved``).

The libxc streams in ``xen_saved/`` were written by Xen 4.17's ``xc_domain_save``
(Debian bookworm's unmodified libxenguest) over our in-memory hypervisor holding a
virtual guest; ``python -m conformance.xen.save --write`` regenerates them and
``provenance.json`` says with which package. This module only adds what xl and
libxl add around a libxc stream: the libxl stream (LIBXC_CONTEXT, Xen's bytes
verbatim, the device model's records, END) and the xl save file header with the
domain configuration. It never needs the Debian packages.
"""

from __future__ import annotations

import json
import struct
from functools import cache
from pathlib import Path
from typing import Any

from xensave import samples
from xensave.constants import LibxlRecType
from xensave.loader import load_bytes
from xensave.model import (
    DomainHeader,
    ImageHeader,
    LibxcStream,
    LibxlHeader,
    LibxlStream,
    Record,
    XlFile,
)
from xensave.writer import libxl_wrap, to_bytes

from .checkpoint import CARRIED_RULES
from .framework import Built, recipe
from .valid import exercised

INPUTS = Path(__file__).resolve().parent / "xen_saved"


@cache
def provenance() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((INPUTS / "provenance.json").read_text(encoding="utf-8"))
    return data


def xen_stream(name: str) -> bytes:
    """The libxc stream Xen's saver wrote for guest ``name``, as committed."""
    return (INPUTS / f"{name}.bin").read_bytes()


def config(name: str, kind: str) -> bytes:
    """The JSON domain configuration xl stores (with its NUL): the guest's size."""
    cfg = {
        "c_info": {"type": kind, "name": f"xen-saved-{name}"},
        "b_info": {"max_vcpus": 2, "max_memkb": 4096, "target_memkb": 4096},
    }
    return json.dumps(cfg, sort_keys=True, indent=4).encode() + b"\x00"


def _records(raw: bytes) -> list[Record]:
    """The records of a run of little-endian libxc records, bodies kept as bytes."""
    out, pos = [], 0
    while pos < len(raw):
        rtype, length = struct.unpack_from("<II", raw, pos)
        body = raw[pos + 8 : pos + 8 + length]
        pad = raw[pos + 8 + length : pos + 8 + length + (-length % 8)]
        out.append(Record(rtype, body, padding=pad))
        pos += 8 + length + (-length % 8)
    return out


def checkpointed(raw: bytes, offsets: list[int], guest: str) -> LibxlStream:
    """The libxl stream libxl writes around a checkpointed libxc stream: at each
    checkpoint (Xen's saver calls libxl's checkpoint callback after CHECKPOINT) the
    device model's records and CHECKPOINT_END, then Xen's stream resumes headerless;
    it stops after the last checkpoint, as a failed-over primary's does."""
    if not offsets or offsets[-1] != len(raw) or offsets != sorted(offsets):
        raise ValueError("checkpoint offsets do not cut the stream into checkpoints")
    ih = struct.unpack_from(">QIIHHI", raw, 0)
    dh = struct.unpack_from("<IHHII", raw, 24)
    head = LibxcStream(
        ImageHeader(version=ih[2], options=ih[3]),
        DomainHeader(dh[0], dh[1], dh[3], dh[4], dh[2]),
        _records(raw[40 : offsets[0]]),
    )
    items: list[Record | LibxcStream] = [Record(LibxlRecType.LIBXC_CONTEXT), head]
    for n, end in enumerate(offsets):
        if n:
            items.append(
                LibxcStream(None, None, _records(raw[offsets[n - 1] : end]), big_endian=False)
            )
        items += [*samples.emulator_records(guest), Record(LibxlRecType.CHECKPOINT_END)]
    return LibxlStream(LibxlHeader(), items)


def xl_image(name: str) -> Built:
    """Xen's libxc stream inside the libxl stream and xl file xl writes around it."""
    raw = xen_stream(name)
    kind = provenance()["guests"][name]["kind"]
    guest = provenance()["guests"][name]["guest"]
    offsets = provenance()["guests"][name]["checkpoint_offsets"]
    if offsets:
        libxl = checkpointed(raw, offsets, guest)
        sections = [raw[a:b] for a, b in zip([0, *offsets[:-1]], offsets, strict=True)]
    else:
        xc = load_bytes(raw)
        if not isinstance(xc, LibxcStream):
            raise ValueError(f"xen_saved/{name}.bin is not a bare libxc stream")
        libxl = libxl_wrap(xc, samples.emulator_records(guest))
        sections = [raw]
    image = XlFile(libxl, config=config(name, kind))
    data = to_bytes(image)
    # the writer re-encodes the model: hold it to Xen's bytes, verbatim and in order
    at = 0
    for part in sections:
        found = data.find(part, at)
        if found < 0:
            raise ValueError(f"xen_saved/{name}.bin does not survive the wrapping verbatim")
        at = found + len(part)
    return Built(image, data)


def _describe(name: str) -> str:
    p = provenance()
    g = p["guests"][name]
    return (
        f"Written by Xen {p['xen']}'s own saver (xc_domain_save, Debian {p['package']} "
        f"{p['package_version']}) over our in-memory hypervisor, wrapped by libxl and xl "
        f"framing as xl writes it: {g['summary']}"
    )


#: The corpus version that added a guest's case (the others came with 1.0.0).
_ADDED = {"x86_32-pv-live": "2.0.0"}

for _name, _g in provenance()["guests"].items():
    _remus = bool(_g["checkpoint_offsets"])
    recipe(
        "xen-saved-remus" if _remus else "xen-saved-live" if _g["live_rounds"] else "xen-saved",
        _describe(_name),
        tags=("xen-saved", "checkpointed") if _remus else ("xen-saved",),
        args=(_name,),
        guest=_g["guest"],
        exercises=exercised("xl", _g["guest"], 3) + (CARRIED_RULES if _remus else ()),
        since=_ADDED.get(_name, "1.0.0"),
    )(xl_image)
