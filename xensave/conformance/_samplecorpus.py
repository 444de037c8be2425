"""A small corpus in the manifest's format, built from :mod:`xensave.samples`.

For the harness's own tests and benchmark, so they do not depend on the real
corpus (``conformance/``), which another part of the project builds. The verdicts
are declared here by what each sample changes, never computed; so is which Xen
releases restore each (the releases that read its libxc version, less those whose
restore path refuses the rule it breaks, as the rules catalogue records).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..rules import load_rules
from ..samples import broken_samples, build, valid_samples
from ..target import all_releases, format_releases, release_set, xc_versions
from ..writer import to_bytes

# What each broken sample breaks (by its construction in xensave.samples).
_BROKEN_RULES = {
    "libxc_bad-id": "XC-HDR-002",
    "libxc_bad-marker": "XC-HDR-001",
    "libxc_bad-version": "XC-HDR-003",
    "libxc_reserved-nonzero": "XC-HDR-005",
    "libxl_bad-ident": "XL-HDR-001",
    "libxl_bad-version": "XL-HDR-002",
    "libxl_reserved-nonzero": "XL-HDR-003",
    "xl_bad-magic": "XLF-HDR-001",
    "xl_bad-byteorder": "XLF-HDR-002",
}


def _case(
    name: str,
    data: bytes,
    verdict: str,
    layer: str,
    version: int | None,
    guest: str | None,
    **kw: Any,
) -> tuple[dict[str, Any], bytes]:
    entry: dict[str, Any] = {
        "name": name,
        "file": f"corpus/{name}.bin",
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "verdict": verdict,
        "level": kw.pop("level", "required"),
        "rules": kw.pop("rules", []),
        "layer": layer,
        "layers": kw.pop("layers", [layer]),
        "version": version,
        "guest": guest,
        "profile": None,
        "tags": kw.pop("tags", []),
        "description": kw.pop("description", ""),
        "recipe": "xensave/conformance/_samplecorpus.py",
    }
    assert not kw, kw
    entry["restorable"], entry["restore_decided_by"] = _restorable(version, entry["rules"])
    return entry, data


def _restorable(version: int | None, broken: list[str]) -> tuple[str, list[str]]:
    """Declared restorability: the releases that read a libxc stream of ``version``
    (xg_sr_restore.c:read_headers), less those refusing a rule the case names."""
    rels = {r for r in all_releases() if version in xc_versions(r)}
    by = ["tools/libs/guest/xg_sr_restore.c:read_headers"]
    rules = load_rules()
    for rid in broken:
        r = rules[rid]
        if r.xen_refuses:
            rels -= release_set(r.xen_refuses)
            by.append(r.xen_function)
    return format_releases(rels), list(dict.fromkeys(by))


def sample_cases(copies: int = 1) -> list[tuple[dict[str, Any], bytes]]:
    """(manifest entry, bytes) of every case; ``copies`` > 1 repeats the set under
    other names (for benchmarks)."""
    base: list[tuple[dict[str, Any], bytes]] = []
    for s in valid_samples():
        if s.name.endswith("big-endian"):
            base.append(
                _case(
                    f"i_{s.name}", s.data, "either", s.layer, s.version, s.guest,
                    rules=["XC-HDR-006"], tags=["byte-order"],
                    description="a big-endian libxc stream (a reader may refuse it)",
                )
            )  # fmt: skip
        else:
            base.append(
                _case(
                    f"y_{s.name}", s.data, "accept", s.layer, s.version, s.guest,
                    tags=["valid"], description=f"valid {s.guest} image, {s.layer} v{s.version}",
                )
            )  # fmt: skip
    for s, what in broken_samples():
        base.append(
            _case(
                f"n_{s.name}", s.data, "reject", s.layer, s.version, s.guest,
                rules=[_BROKEN_RULES[s.name]], tags=["header"], description=f"wrong {what}",
            )
        )  # fmt: skip
    trailing = to_bytes(build("hvm", 3, "libxc")) + bytes(8)
    base.append(
        _case(
            "n_libxc-v3_hvm_data-after-end", trailing, "reject", "libxc", 3, "hvm",
            rules=["XC-END-003"], tags=["trailing-data"],
            description="eight zero bytes after the END record",
        )
    )  # fmt: skip
    xl = build("hvm", 3, "libxl")
    first = xl.items.pop(2)  # type: ignore[union-attr]  # EMULATOR_XENSTORE_DATA
    xl.items.insert(0, first)  # type: ignore[union-attr]
    base.append(
        _case(
            "y_libxl-v3_hvm_context-not-first", to_bytes(xl), "accept", "libxl", 3, "hvm",
            level="recommended", rules=["XL-CTX-003"], tags=["order"],
            description="a record before LIBXC_CONTEXT (a reader should take it)",
        )
    )  # fmt: skip
    if copies <= 1:
        return base
    out = []
    for k in range(copies):
        for entry, data in base:
            e = dict(entry)
            e["name"] = f"{entry['name']}_copy{k}"
            e["file"] = f"corpus/{e['name']}.bin"
            out.append((e, data))
    return out


def write_sample_corpus(root: Path, copies: int = 1) -> Path:
    """Write ``root/corpus/*.bin`` and ``root/manifest.json``; the manifest's path."""
    (root / "corpus").mkdir(parents=True, exist_ok=True)
    entries = []
    for entry, data in sample_cases(copies):
        (root / entry["file"]).write_bytes(data)
        entries.append(entry)
    manifest = {
        "format": "xensave-corpus",
        "manifest_version": 1,
        "tags": {
            "valid": "a valid image",
            "header": "breaks a header field",
            "byte-order": "big-endian words",
            "trailing-data": "bytes after the end of the stream",
            "order": "records out of the recommended order",
        },
        "cases": entries,
    }
    path = root / "manifest.json"
    path.write_text(json.dumps(manifest, indent=1) + "\n")
    return path
