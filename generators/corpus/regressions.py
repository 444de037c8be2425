"""Regressions: minimal images that ``xensave fuzz --add-to-corpus`` filed after an
implementation failed on them (``conformance/regressions/``).

Each entry of ``conformance/regressions/regressions.json`` keeps what its fuzz case
declared: the rules its mutation breaks, the rules its image permits or relies on, its
layers, libxc version and guest. The verdict follows from those declarations as for
every other recipe (:func:`.framework.derive`); nothing here runs a checker. The
images are stored as bytes (the fuzzer's minimal image), so a regression stays the
same image whatever becomes of the generator that found it.
"""

from __future__ import annotations

import json
from typing import Any

from xensave.loader import load_bytes
from xensave.model import Image, LibxcStream

from .framework import ROOT, Built, profile_of, recipe
from .valid import XC, XC_HVM, XC_PV, XC_V3, exercised

DIRECTORY = ROOT / "conformance" / "regressions"
INDEX = DIRECTORY / "regressions.json"


def _image(data: bytes) -> Image | None:
    try:
        return load_bytes(data)
    except Exception:  # a cut image: its metadata is declared, not read
        return None


def regression(file: str) -> Built:
    """The image as filed; the model (when it reads) for the metadata."""
    data = (DIRECTORY / file).read_bytes()
    return Built(_image(data) or LibxcStream(), data)


def _exercised(entry: dict[str, Any]) -> tuple[str, ...]:
    """The rules a valid image of that cell exercises (as the cell cases list them)."""
    layer, guest, version = entry["layer"], entry["guest"], entry["version"]
    if layer == "xapi":
        return (*XC, *(XC_HVM if guest == "hvm" else XC_PV), *(XC_V3 if version == 3 else ()))
    return exercised(layer, guest, version)


def _register() -> None:
    if not INDEX.is_file():
        return
    for e in json.loads(INDEX.read_text(encoding="utf-8"))["regressions"]:
        image = _image((DIRECTORY / e["file"]).read_bytes())
        valid = not e["breaks"] and not e["permits"]
        recipe(
            e["slug"],
            e["description"],
            tags=tuple(e["tags"]),
            args=(e["file"],),
            breaks=tuple(e["breaks"]),
            permits=tuple(e["permits"]),
            relies=tuple(e["relies"]),
            exercises=_exercised(e) if valid else (),
            guest=e["guest"],
            version=e["version"],
            layers=tuple(e["layers"]),
            profile=profile_of(image) if image is not None else None,
        )(regression)


_register()
