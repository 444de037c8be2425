"""``xensave fuzz --add-to-corpus``: file reproducers into the conformance corpus.

A reproducer goes to ``conformance/regressions/`` as its image and an entry of
``regressions.json`` that keeps what the fuzz case declared (the rules its mutation
breaks, what it permits or relies on), the layers, version and guest, and where it
came from (implementation, outcome, seed, how to reproduce). The corpus generator
(``generators/corpus/regressions.py``) turns each entry into a corpus case with the
verdict the declarations imply under the corpus's policy, so every gate of the corpus
(schema, names, the reference checker agreeing and citing the rules, the Kaitai
parsers, the bundled implementations' expected-failure lists) covers it. This module
then regenerates the corpus (``python -m generators.corpus``), in a source checkout.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = [
    "INDEX_FORMAT",
    "RegressionError",
    "add_to_corpus",
    "find_root",
    "regression_entry",
]

INDEX_FORMAT = "xensave-regressions"
REGRESSIONS = Path("conformance") / "regressions"
INDEX_NAME = "regressions.json"


class RegressionError(Exception):
    """No source checkout to file into, or the corpus could not be regenerated."""


def find_root(start: Path | None = None) -> Path:
    """The source checkout: a directory with ``conformance/manifest.json`` and
    ``generators/corpus/``, here or above (else the one this package lives in)."""
    here = (start or Path.cwd()).resolve()
    candidates = [here, *here.parents, Path(__file__).resolve().parents[2]]
    for d in candidates:
        if (d / "conformance" / "manifest.json").is_file() and (
            d / "generators" / "corpus" / "__init__.py"
        ).is_file():
            return d
    raise RegressionError(
        "no source checkout of xensave here (conformance/manifest.json and "
        "generators/corpus/ in this directory or one above it)"
    )


def _tags(entry: dict[str, Any]) -> list[str]:
    tags = set(entry.get("tags") or ())
    if not entry["fuzz"]["mutation"]:
        tags.add("cell")  # a whole valid image of one guest x version x wrapping
    if entry["layer"] in ("libvirt", "xapi"):
        tags.add(entry["layer"])
    return sorted(tags)


def regression_entry(entry: dict[str, Any], data: bytes) -> dict[str, Any]:
    """The ``regressions.json`` entry for a reproducer's fuzz manifest entry."""
    f = entry["fuzz"]
    slug = f"fuzz-{f['mutation'] or 'valid'}-{hashlib.sha256(data).hexdigest()[:8]}"
    found = f"{f['outcome']} of {f['implementation']}"
    what = entry["description"]
    return {
        "slug": slug,
        "file": f"{slug}.bin",
        "sha256": hashlib.sha256(data).hexdigest(),
        "description": f"{what} (found by xensave fuzz: {found})".replace("\n", " "),
        "tags": _tags(entry),
        "breaks": f["breaks"],
        "permits": f["permits"],
        "relies": f["relies"],
        "layer": entry["layer"],
        "layers": entry["layers"],
        "version": entry["version"],
        "guest": entry["guest"],
        "found": {
            "implementation": f["implementation"],
            "protocol": f["protocol"],
            "outcome": f["outcome"],
            "message": f["message"],
            "seed": f["seed"],
            "example": f["example"],
            "role": f["role"],
            "search": f["reproduce"]["search"],
        },
    }


def _read_index(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegressionError(f"cannot read {path}: {exc}") from None
    if not isinstance(obj, dict) or obj.get("format") != INDEX_FORMAT:
        raise RegressionError(f"{path} is not a regressions index")
    regs = obj.get("regressions", [])
    return [r for r in regs if isinstance(r, dict)]


def write_index(path: Path, regressions: list[dict[str, Any]]) -> None:
    obj = {
        "format": INDEX_FORMAT,
        "version": 1,
        "$comment": "Written by xensave fuzz --add-to-corpus; read by "
        "generators/corpus/regressions.py. Each entry keeps what its fuzz case declared.",
        "regressions": sorted(regressions, key=lambda r: r["slug"]),
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def add_to_corpus(
    written: list[tuple[Any, Path, dict[str, Any]]], root: Path | None = None
) -> tuple[list[str], str]:
    """File each (failure, image path, fuzz manifest entry) into the regression part of
    the corpus and regenerate it. Returns (the slugs filed, a note for the user)."""
    root = root or find_root()
    directory = root / REGRESSIONS
    directory.mkdir(parents=True, exist_ok=True)
    index = directory / INDEX_NAME
    regressions = _read_index(index)
    have = {r["slug"] for r in regressions}
    filed = []
    notes = []
    for _, path, entry in written:
        data = Path(path).read_bytes()
        reg = regression_entry(entry, data)
        if reg["slug"] in have:
            continue
        (directory / reg["file"]).write_bytes(data)
        regressions.append(reg)
        have.add(reg["slug"])
        filed.append(reg["slug"])
        if entry["fuzz"]["role"] == "validator" and entry["verdict"] == "reject":
            from .verdicts import derive

            v = derive(reg["breaks"], reg["permits"], reg["relies"], role="restorer")
            if v.verdict != "reject":
                notes.append(
                    f"{reg['slug']}: its only faults are reserved fields, so the corpus files "
                    "it as an i_ case (a restoring reader may accept it)"
                )
    if not filed:
        return [], "every reproducer is in the corpus already"
    write_index(index, regressions)
    proc = subprocess.run(
        [sys.executable, "-m", "generators.corpus"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RegressionError(
            "filed into conformance/regressions/, but regenerating the corpus failed "
            f"(python -m generators.corpus): {proc.stderr.strip()[-2000:]}"
        )
    notes.append(
        f"the corpus now has {len(filed)} more case(s) (conformance/regressions/, "
        "regenerated with python -m generators.corpus); if a bundled implementation fails "
        "one by design, review and run: xensave conformance run -a kaitai-python -a "
        "kaitai-js -a reference --update-expected-failures"
    )
    return filed, "\n".join(notes)
