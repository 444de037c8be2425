"""The JSON Schema (draft 2020-12) of ``conformance/manifest.json``.

Generated with the corpus so that its tag enumeration is the controlled list in
:mod:`.policy` and cannot drift from it.
"""

from __future__ import annotations

from .policy import PROFILES, TAGS

SCHEMA_ID = "https://xensave.invalid/conformance/manifest.schema.json"

SEMVER = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"
RULE_ID = r"^(XLF|XL|XC|LVF|XAPI|IMG|LEG|HVM|PV|XEND)-[A-Z0-9]+-[0-9]{3}$"
LAYERS = ["xl", "libvirt", "xapi", "libxl", "libxc", "legacy", "xend"]
GUESTS = ["x86_32-pv", "x86_64-pv", "hvm"]
RELEASES = r"^(none|4\.\d+(-(4\.\d+)?)?(,4\.\d+(-(4\.\d+)?)?)*)$"
NAME = (
    r"^(y|n|i)_(xl|libvirt|xapi|libxl|libxc|legacy|xend)-(v[23]|legacy)_(x86_32-pv|x86_64-pv|hvm)"
    r"_[a-z0-9]+(-[a-z0-9]+)*$"
)


def schema() -> dict[str, object]:
    tag_names = sorted(TAGS)
    case = {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "name",
            "file",
            "sha256",
            "size",
            "verdict",
            "level",
            "rules",
            "layer",
            "layers",
            "version",
            "guest",
            "profile",
            "restorable",
            "restore_decided_by",
            "tags",
            "description",
            "recipe",
            "since",
            "fault_offset",
        ],
        "properties": {
            "name": {
                "description": "File stem, JSONTestSuite style: y_ (must be accepted), n_ "
                "(must be rejected) or i_ (either is conforming), then outer layer and "
                "libxc version, guest, and what the case shows.",
                "type": "string",
                "pattern": NAME,
            },
            "file": {
                "description": "Path of the image relative to the directory of the manifest.",
                "type": "string",
                "pattern": r"^corpus/[a-z0-9_.-]+\.bin$",
            },
            "sha256": {
                "description": "SHA-256 of the file, lower-case hex.",
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
            },
            "size": {"description": "Size of the file in octets.", "type": "integer", "minimum": 0},
            "verdict": {
                "description": "What a conforming implementation does with the image.",
                "enum": ["accept", "reject", "either"],
            },
            "level": {
                "description": "required: the verdict follows from MUST rules (or the image "
                "is valid); recommended: it follows from SHOULD or MAY rules.",
                "enum": ["required", "recommended"],
            },
            "rules": {
                "description": "Rule IDs of spec/rules.toml the case is about: the rules an "
                "n_ case breaks; the SHOULD/MAY rules an i_ case shows (and any MUST "
                "reserved-field rule it breaks); the rules a y_ case exercises.",
                "type": "array",
                "items": {"type": "string", "pattern": RULE_ID},
                "uniqueItems": True,
                "minItems": 1,
            },
            "layer": {"description": "The outermost layer.", "enum": LAYERS},
            "layers": {
                "description": "Every layer present, outermost first.",
                "type": "array",
                "items": {"enum": LAYERS},
                "uniqueItems": True,
                "minItems": 1,
            },
            "version": {
                "description": "libxc stream version, or null (no libxc stream).",
                "enum": [2, 3, None],
            },
            "guest": {"description": "The guest the image holds.", "enum": [*GUESTS, None]},
            "profile": {
                "description": "The range of Xen releases whose saver writes what the "
                "image's libxc headers claim, or null.",
                "enum": [*PROFILES, None],
            },
            "restorable": {
                "description": "The Xen releases whose restore path (xl, libxl, libxenguest, "
                "the hypervisor's load handlers) restores the image, declared by the recipe: "
                "'none', or comma-separated releases and ranges, an open range running to "
                "the newest release xensave describes (e.g. '4.6-4.11,4.14-'). A verdict of "
                "its own, beside 'verdict': an invalid image may be restorable.",
                "type": "string",
                "pattern": RELEASES,
            },
            "restore_decided_by": {
                "description": "The Xen file:function(s) that decide which releases restore "
                "the image (a wrapper's reader is prefixed libvirt: or xenopsd:).",
                "type": "array",
                "items": {"type": "string", "pattern": r"^[a-z][A-Za-z0-9_./:+-]*:[A-Za-z_]\w*$"},
                "uniqueItems": True,
                "minItems": 1,
            },
            "tags": {
                "description": "Tags from the controlled list (the manifest's 'tags').",
                "type": "array",
                "items": {"enum": tag_names},
                "uniqueItems": True,
                "minItems": 1,
            },
            "description": {
                "description": "One line saying what the image is.",
                "type": "string",
                "minLength": 1,
                "pattern": "^[^\\n]*$",
            },
            "recipe": {
                "description": "The generator function that built the image: PATH:FUNCTION.",
                "type": "string",
                "pattern": r"^generators/corpus/[a-z0-9_]+\.py:[a-z_][a-z0-9_]*$",
            },
            "legacy_guest": {
                "description": "For an image holding a legacy (Xen 4.5 and older) stream: "
                "the guest's kind, an x86_32 PV guest's paging told apart (2-level non-PAE "
                "or 3-level PAE), as the coverage cells name it.",
                "enum": ["x86_32-nonpae-pv", "x86_32-pae-pv", "x86_64-pv", "hvm"],
            },
            "toolstack": {
                "description": "With legacy_guest: the width in bits of the toolstack that "
                "wrote the legacy stream (its words are 4 or 8 octets).",
                "enum": [32, 64],
            },
            "replay_of": {
                "description": "For a case that replays a recipe in another cell (guest "
                "type, libxc version) of the rules it breaks: the name of the recipe's own "
                "case. Same declarations, so the same verdict.",
                "type": "string",
                "pattern": NAME,
            },
            "wrap_of": {
                "description": "For a copy of a case with its faulty stream wrapped in "
                "another outer layer (a libxl stream, an xl, libvirt or XAPI file): the name "
                "of the case whose recipe built the stream. Same declarations, so the same "
                "verdict.",
                "type": "string",
                "pattern": NAME,
            },
            "only_here": {
                "description": "Why this breaking case is not replayed in every other cell "
                "its rules apply to (the change has no place there, or the recipe builds "
                "an image of one cell only).",
                "type": "string",
                "minLength": 1,
            },
            "since": {
                "description": "The corpus version that added the case (MAJOR.MINOR.PATCH).",
                "type": "string",
                "pattern": SEMVER,
            },
            "fault_offset": {
                "description": "Where the fault is, for a reader of the case (not a verdict): "
                "the offset its recipe declares, else the first octet where the image differs "
                "from the small valid base image of its layer, libxc version and guest; null "
                "for y_ cases and where there is no such base.",
                "type": ["integer", "null"],
                "minimum": 0,
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "xensave conformance corpus manifest",
        "description": "The list of images of the xensave conformance corpus, each with its "
        "expected verdict. Generated by generators/corpus (python -m generators.corpus).",
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "manifest_version", "corpus_version", "tags", "cases"],
        "properties": {
            "format": {"const": "xensave-corpus"},
            "manifest_version": {
                "description": "The version of this manifest's format (this schema).",
                "const": 1,
            },
            "corpus_version": {
                "description": "The version of the corpus, semantic: MAJOR changes when a "
                "case is removed or a verdict (verdict, level, restorable) changes, MINOR "
                "when a case is added, PATCH otherwise. Pin it in CI.",
                "type": "string",
                "pattern": SEMVER,
            },
            "tags": {
                "description": "The controlled tag list: tag -> meaning.",
                "type": "object",
                "propertyNames": {"enum": tag_names},
                "additionalProperties": {"type": "string", "minLength": 1},
            },
            "cases": {"type": "array", "items": {"$ref": "#/$defs/case"}},
        },
        "$defs": {"case": case},
    }
