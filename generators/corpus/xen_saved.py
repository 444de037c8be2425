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
from functools import cache
from pathlib import Path
from typing import Any

from xensave import samples
from xensave.loader import load_bytes
from xensave.model import LibxcStream, XlFile
from xensave.writer import libxl_wrap, to_bytes

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


def xl_image(name: str) -> Built:
    """Xen's libxc stream inside the libxl stream and xl file xl writes around it."""
    raw = xen_stream(name)
    kind = provenance()["guests"][name]["kind"]
    guest = provenance()["guests"][name]["guest"]
    xc = load_bytes(raw)
    if not isinstance(xc, LibxcStream):
        raise ValueError(f"xen_saved/{name}.bin is not a bare libxc stream")
    image = XlFile(libxl_wrap(xc, samples.emulator_records(guest)), config=config(name, kind))
    data = to_bytes(image)
    # the writer re-encodes the loaded model: hold it to Xen's bytes, verbatim
    if raw not in data:
        raise ValueError(f"xen_saved/{name}.bin does not survive the libxl/xl wrapping verbatim")
    return Built(image, data)


def _describe(name: str) -> str:
    p = provenance()
    g = p["guests"][name]
    return (
        f"Written by Xen {p['xen']}'s own saver (xc_domain_save, Debian {p['package']} "
        f"{p['package_version']}) over our in-memory hypervisor, wrapped by libxl and xl "
        f"framing as xl writes it: {g['summary']}"
    )


for _name, _g in provenance()["guests"].items():
    recipe(
        "xen-saved-live" if _g["live_rounds"] else "xen-saved",
        _describe(_name),
        tags=("xen-saved",),
        args=(_name,),
        guest=_g["guest"],
        exercises=exercised("xl", _g["guest"], 3),
    )(xl_image)
