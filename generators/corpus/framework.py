"""Recipes, the declarations they make, and how a case's verdict follows from them.

A recipe is a function that builds one image through the writer; the ``@recipe``
decorator registers it with what the image *declares*:

``breaks``
    image rules the image breaks (MUST or SHOULD; a MAY rule cannot be broken).
``permits``
    MAY or SHOULD rules (of the image or of readers) that allow a conforming reader
    to refuse the image, such as a big-endian stream (XC-HDR-006) or TSC mode 3
    (XC-TSC-004).
``relies``
    SHOULD rules for readers that acceptance relies on (XC-REC-007: skip unknown
    optional records): the case must be accepted, at the *recommended* level.
``exercises``
    rules whose boundary a valid image sits on (count 1, a context of exactly 128
    octets, a record ending at the last octet of the file...).

``restore``
    a :class:`Restore`: which Xen releases restore the image and the Xen function(s)
    that decide it, where the recipe knows better than the default (a release fact the
    catalogue cannot carry, such as a record type a release does not know).

The verdict is a function of those declarations and of the catalogue's levels,
:func:`derive`; no recipe states a verdict and nothing here runs the checker. So is
the restorability, :func:`derive_restore`: the releases that read the image's layers
and libxc version at all (``xensave.target``'s release facts), less those whose
restore path refuses a rule the image breaks or shows (the catalogue's
``xen_refuses``).
The file name's prefix (``y_``, ``n_``, ``i_``) is derived from the verdict, and the
layer, version and guest parts from the model the recipe returns.
"""

from __future__ import annotations

import inspect
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from xensave.constants import DomainType, XcRecType
from xensave.model import (
    Image,
    LibvirtFile,
    LibxcStream,
    LibxlStream,
    XapiImage,
    XlFile,
)
from xensave.reader import XapiKind
from xensave.release_facts import releases_taking_each
from xensave.rules import GUESTS, LEGACY_GUESTS, Level, Rule, load_rules
from xensave.target import (
    STREAM_V2_SINCE,
    Release,
    all_releases,
    first_release_with,
    format_releases,
    libxl_handled,
    release_set,
    xc_versions,
    xl_mandatory_known,
)
from xensave.writer import to_bytes

from . import bases
from .policy import PROFILES, RESERVED, TAGS

ROOT = Path(__file__).resolve().parents[2]

#: The corpus version every case of the first release carries as ``since``; a recipe
#: added later declares the version that adds it (build.CORPUS_VERSION says which).
FIRST_VERSION = "1.0.0"


@dataclass(frozen=True)
class Built:
    """What a recipe made: the model (which the metadata is read from) and, when the
    bytes are not simply that model written out (a cut, appended octets), the bytes."""

    image: Image
    data: bytes | None = None

    def bytes(self) -> bytes:
        return to_bytes(self.image) if self.data is None else self.data


Builder = Callable[..., "Image | Built"]


@dataclass(frozen=True)
class Restore:
    """A recipe's own restorability: ``releases`` as in the catalogue's ``xen_refuses``
    syntax but naming the releases that *restore* the image ("none", "4.6-4.11,4.14-"),
    and ``by``, the Xen ``file:function`` (one or more) that decides it."""

    releases: str
    by: tuple[str, ...]

    def __post_init__(self) -> None:
        release_set(self.releases)  # raises for a malformed list
        if not self.by or not all(":" in f for f in self.by):
            raise ValueError(f"Restore({self.releases!r}): name the Xen file:function(s)")


_UNSET: Any = object()


@dataclass(frozen=True)
class Case:
    """One corpus case: a recipe call and its declarations."""

    slug: str
    builder: Builder
    args: tuple[Any, ...]
    recipe: str
    description: str
    tags: tuple[str, ...]
    breaks: tuple[str, ...] = ()
    permits: tuple[str, ...] = ()
    relies: tuple[str, ...] = ()
    exercises: tuple[str, ...] = ()
    guest: str | None = None  # None: read from the model
    version: int | None = None  # None: read from the model
    profile: str | None = _UNSET  # _UNSET: read from the model
    layers: tuple[str, ...] | None = None  # None: read from the model
    restore: Restore | None = None  # None: derive_restore
    only_here: str = ""  # why the recipe is not replayed in the other cells of its rules
    same_guest: str = ""  # why it is replayed in its own guest type's other cells only
    same_version: str = ""  # why it is replayed in its own libxc version's other cells only
    replay_in: tuple[tuple[str, int], ...] = ()  # only these cells (the size budget)
    replay_in_why: str = ""  # why only those
    replay_since: str = ""  # the corpus version that added its replays, if not ``since``
    legacy: tuple[str, int] | None = None  # a legacy stream's guest kind and toolstack
    replay: tuple[tuple[str, int], tuple[str, int]] | None = None  # (home, cell)
    replay_of: str = ""  # the home case's name, for a replay
    wrap_of: str = ""  # the home case's name, for a copy wrapped in an outer layer
    since: str = FIRST_VERSION  # the corpus version that added the case
    fault_offset: int | None = None  # None: where it first differs from its base (build.py)

    def build(self) -> Built:
        if self.replay is None:
            out = self.builder(*self.args)
        else:
            with bases.replay(*self.replay):
                out = self.builder(*self.args)
        return out if isinstance(out, Built) else Built(out)


@dataclass(frozen=True)
class Verdict:
    prefix: str  # y, n or i
    verdict: str  # accept, reject, either
    level: str  # required, recommended


def derive(
    breaks: tuple[str, ...],
    permits: tuple[str, ...],
    relies: tuple[str, ...],
    rules: dict[str, Rule] | None = None,
) -> Verdict:
    """The verdict that the declarations imply.

    * an image that breaks a MUST image rule is rejected, unless every MUST rule it
      breaks only asks for zero in a reserved field or padding: restoring readers must
      ignore those (XC-REC-010, spec/README.md "Reserved bits and padding") while
      validating readers reject them, so either answer conforms;
    * an image that breaks only SHOULD rules, or shows a variation some rule lets a
      reader refuse, may be accepted or rejected (recommended level);
    * otherwise it must be accepted (recommended level when acceptance rests on a
      SHOULD rule for readers).
    """
    rules = load_rules() if rules is None else rules
    must = [r for r in breaks if rules[r].level == Level.MUST]
    if any(r not in RESERVED for r in must):
        return Verdict("n", "reject", "required")
    if must:
        return Verdict("i", "either", "required")
    if breaks or permits:
        return Verdict("i", "either", "recommended")
    return Verdict("y", "accept", "recommended" if relies else "required")


#: Who reads each kind of image at all, by release (the functions behind target.py's facts).
_READS_V2 = "tools/libs/guest/xg_sr_restore.c:read_headers"
_READS_LEGACY = (
    "tools/libxc/xc_domain_restore.c:xc_domain_restore",
    "tools/python/scripts/convert-legacy-stream:read_legacy_stream",
)
_XL_FLAGS = "tools/xl/xl_vmcontrol.c:create_domain"
_RECORD_TYPES = "tools/libs/guest/xg_sr_restore.c:restore"
_LIBXL_TYPES = "tools/libs/light/libxl_stream_read.c:process_record"


def _libxl_types(image: Image) -> set[int]:
    """The libxl record types of the image's libxl stream."""
    if isinstance(image, XlFile | LibvirtFile):
        return _libxl_types(image.payload) if not isinstance(image.payload, bytes) else set()
    if isinstance(image, XapiImage):
        out: set[int] = set()
        for sec in image.sections:
            if not isinstance(sec.body, bytes):
                out |= _libxl_types(sec.body)
        return out
    if isinstance(image, LibxlStream):
        return {i.type for i in image.items if not isinstance(i, LibxcStream)}
    return set()


def readable(
    layers: list[str], version: int | None, image: Image | None = None
) -> tuple[frozenset[Release], list[str]]:
    """The releases whose restore path reads an image of these layers and libxc version
    at all, and the Xen functions that decide it (xensave.target's release facts: libxc
    v2 and libxl streams from 4.6, v3 from 4.14, a mandatory record type from the
    release that brought it; a legacy stream is read natively up to 4.5 and through
    convert-legacy-stream after)."""
    every = frozenset(all_releases())
    if version is not None:
        rels = frozenset(r for r in every if version in xc_versions(r))
        by = [_READS_V2]
        if "xl" in layers:
            by.append(_XL_FLAGS)
        xc = libxc_of(image) if image is not None else None
        for rec in xc.records if xc is not None else ():
            first = first_release_with(rec.type)
            if first is not None and not rec.type & 0x80000000 and any(r < first for r in rels):
                rels = frozenset(r for r in rels if r >= first)
                if _RECORD_TYPES not in by:
                    by.append(_RECORD_TYPES)
        big = xc is not None and xc.image_header is not None and xc.image_header.big_endian
        endian = ">" if big else "<"
        for rec in xc.records if xc is not None else ():
            for taking in releases_taking_each(rec.type, rec.body_bytes(endian), endian):
                if rels - taking[0]:
                    rels &= taking[0]
                    if taking[1] not in by:
                        by.append(taking[1])
        libxl_types = _libxl_types(image) if image is not None else set()
        known = frozenset(r for r in rels if libxl_types <= libxl_handled(r))
        if known != rels:  # a record type (CHECKPOINT_STATE) the release's libxl lacks
            rels = known
            by.append(_LIBXL_TYPES)
        return rels, by
    if "libxl" in layers:  # a libxl stream with no libxc stream in it
        return frozenset(r for r in every if r >= STREAM_V2_SINCE), [_XL_FLAGS]
    if isinstance(image, XlFile):  # xl's JSON flag arrived in 4.5: older xl refuses it
        flags = image.effective_mandatory_flags()
        rels = frozenset(r for r in every if not flags & ~xl_mandatory_known(r))
        if rels != every:
            return rels, [*_READS_LEGACY, _XL_FLAGS]
    return every, list(_READS_LEGACY)


def derive_restore(
    case: Case,
    layers: list[str],
    version: int | None,
    rules: dict[str, Rule] | None = None,
    image: Image | None = None,
) -> tuple[frozenset[Release], list[str]]:
    """The releases that restore the case's image, and the Xen functions that decide it:
    the recipe's own :class:`Restore` if it has one; otherwise the releases that read
    the image (:func:`readable`) less every release whose restore path refuses a rule
    the recipe declares broken or shown (``breaks``, ``permits``: the catalogue's
    ``xen_refuses``). Either way, a legacy stream in a XAPI image's LIBXC_LEGACY section
    is restored by releases before 4.6 only (:data:`_UNCONVERTED_LEGACY`). Never
    computed by running the checker."""
    if case.restore is not None:
        rels, by = release_set(case.restore.releases), list(case.restore.by)
    else:
        rules = load_rules() if rules is None else rules
        rels, by = readable(layers, version, image)
        for rid in (*case.breaks, *case.permits):
            r = rules[rid]
            if not r.xen_refuses:
                continue
            rels -= release_set(r.xen_refuses)
            if r.xen_function not in by:  # it decides, by refusing or by tolerating
                by.append(r.xen_function)
    if _xapi_legacy(image) and rels - _UNCONVERTED_LEGACY:
        rels &= _UNCONVERTED_LEGACY
        by += [f for f in (*_XAPI_LEGACY_BY, _READS_V2) if f not in by]
    return rels, by


#: The releases that restore a legacy stream handed over unconverted: xenopsd gives a
#: XAPI image's LIBXC_LEGACY section to its restore helper as it gives a LIBXC one
#: (xc/domain.ml:restore_common; only a whole 'XenSavedDomain' file goes through
#: convert-legacy-stream), and the helper calls the release's xc_domain_restore on it
#: (xenguest's stub_xc_domain_restore), which from 4.6 reads a libxc stream only:
#: read_headers takes the legacy image's p2m_size for the marker and refuses it.
_UNCONVERTED_LEGACY = frozenset(r for r in all_releases() if r < STREAM_V2_SINCE)
_XAPI_LEGACY_BY = ("xenopsd:xc/domain.ml:restore_common",)


def _xapi_legacy(image: Image | None) -> bool:
    """Whether the image is a XAPI one whose memory image is a LIBXC_LEGACY section."""
    return isinstance(image, XapiImage) and any(
        sec.kind == XapiKind.LIBXC_LEGACY for sec in image.sections
    )


# --- registry ---------------------------------------------------------------------------

REGISTRY: list[Case] = []


def recipe(
    slug: str,
    description: str,
    *,
    tags: tuple[str, ...] | list[str],
    args: tuple[Any, ...] = (),
    breaks: tuple[str, ...] | list[str] = (),
    permits: tuple[str, ...] | list[str] = (),
    relies: tuple[str, ...] | list[str] = (),
    exercises: tuple[str, ...] | list[str] = (),
    guest: str | None = None,
    version: int | None = None,
    profile: str | None = _UNSET,
    layers: tuple[str, ...] | None = None,
    restore: Restore | None = None,
    only_here: str = "",
    same_guest: str = "",
    same_version: str = "",
    replay_in: tuple[tuple[str, int], ...] = (),
    replay_in_why: str = "",
    replay_since: str = "",
    legacy: tuple[str, int] | None = None,
    since: str = FIRST_VERSION,
    fault_offset: int | None = None,
) -> Callable[[Builder], Builder]:
    """Register ``fn(*args)`` as a case. Stack the decorator for several variants.

    A case that breaks rules is also replayed in every other (guest, libxc version)
    cell those rules apply to (:func:`replays`) unless ``only_here`` says why not
    (``same_guest``: why only in the other versions of its own guest type;
    ``same_version``: why only in the other guest types of its own version;
    ``replay_in``: only in these cells, for ``replay_in_why``; ``replay_since``: the
    corpus version that added its replays, where a later one than the recipe's own
    ``since``). ``legacy``: for an
    image holding a legacy stream, its legacy cell: the guest kind (``rules.
    LEGACY_GUESTS``: x86_32 non-PAE or PAE, x86_64, HVM) and the toolstack's width."""
    if bool(replay_in) != bool(replay_in_why):
        raise ValueError(f"{slug}: replay_in and replay_in_why go together")

    def deco(fn: Builder) -> Builder:
        module = Path(inspect.getfile(fn)).resolve().relative_to(ROOT).as_posix()
        REGISTRY.append(
            Case(
                slug=slug,
                builder=fn,
                args=tuple(args),
                recipe=f"{module}:{fn.__name__}",
                description=description,
                tags=tuple(tags),
                breaks=tuple(breaks),
                permits=tuple(permits),
                relies=tuple(relies),
                exercises=tuple(exercises),
                guest=guest,
                version=version,
                profile=profile,
                layers=layers,
                restore=restore,
                only_here=only_here,
                same_guest=same_guest,
                same_version=same_version,
                replay_in=tuple(replay_in),
                replay_in_why=replay_in_why,
                replay_since=replay_since,
                legacy=legacy,
                since=since,
                fault_offset=fault_offset,
            )
        )
        return fn

    return deco


# --- metadata read from the model -------------------------------------------------------


def layers_of(image: Image | bytes) -> list[str]:
    """Every layer present, outermost first."""
    if isinstance(image, bytes):
        return []
    if isinstance(image, XlFile):
        return ["xl", *layers_of(image.payload)]
    if isinstance(image, LibvirtFile):
        return ["libvirt", *layers_of(image.payload)]
    if isinstance(image, XapiImage):
        inner: list[str] = []
        for sec in image.sections:
            if not isinstance(sec.body, bytes):
                inner += [x for x in layers_of(sec.body) if x not in inner]
        return ["xapi", *sorted(inner, key=["libxl", "libxc"].index)]
    if isinstance(image, LibxlStream):
        has_xc = any(isinstance(i, LibxcStream) for i in image.items)
        return ["libxl", "libxc"] if has_xc else ["libxl"]
    return ["libxc"]


def libxc_of(image: Image | bytes) -> LibxcStream | None:
    """The first libxc stream (with headers) inside an image."""
    if isinstance(image, bytes):
        return None
    if isinstance(image, LibxcStream):
        return image
    if isinstance(image, XlFile | LibvirtFile):
        return libxc_of(image.payload)
    if isinstance(image, XapiImage):
        for sec in image.sections:
            found = libxc_of(sec.body)
            if found is not None:
                return found
        return None
    for item in image.items:
        if isinstance(item, LibxcStream) and item.image_header is not None:
            return item
    return None


def guest_of(image: Image) -> str | None:
    xc = libxc_of(image)
    if xc is None or xc.domain_header is None:
        return None
    if xc.domain_header.type == DomainType.X86_HVM:
        return "hvm"
    if xc.domain_header.type != DomainType.X86_PV:
        return None
    for rec in xc.records:
        if rec.type == XcRecType.X86_PV_INFO:
            width = rec.body_bytes("<")[0]
            return {4: "x86_32-pv", 8: "x86_64-pv"}.get(width)
    return None


def version_of(image: Image) -> int | None:
    xc = libxc_of(image)
    if xc is None or xc.image_header is None or xc.image_header.version not in (2, 3):
        return None
    return xc.image_header.version


def profile_of(image: Image) -> str | None:
    """The Xen release profile whose saver writes what this stream's headers say."""
    xc = libxc_of(image)
    if xc is None or xc.image_header is None or xc.domain_header is None:
        return None
    release = (xc.domain_header.xen_major, xc.domain_header.xen_minor)
    for name, (version, first, last) in PROFILES.items():
        if xc.image_header.version == version and first <= release <= last:
            return name
    return None


# --- cases resolved into manifest entries ------------------------------------------------


@dataclass
class Resolved:
    case: Case
    name: str
    data: bytes
    verdict: Verdict
    layer: str
    layers: list[str]
    version: int | None
    guest: str | None
    profile: str | None
    rules: list[str] = field(default_factory=list)
    restorable: frozenset[Release] = frozenset()
    restore_decided_by: list[str] = field(default_factory=list)
    only_here: str = ""

    def entry(self, sha256: str) -> dict[str, object]:
        out = self._entry(sha256)
        if self.case.legacy is not None:
            out["legacy_guest"], out["toolstack"] = self.case.legacy
        if self.case.replay_of:
            out["replay_of"] = self.case.replay_of
        if self.case.wrap_of:
            out["wrap_of"] = self.case.wrap_of
        if self.only_here:
            out["only_here"] = self.only_here
        return out

    def _entry(self, sha256: str) -> dict[str, object]:
        return {
            "name": self.name,
            "file": f"corpus/{self.name}.bin",
            "sha256": sha256,
            "size": len(self.data),
            "verdict": self.verdict.verdict,
            "level": self.verdict.level,
            "rules": self.rules,
            "layer": self.layer,
            "layers": self.layers,
            "version": self.version,
            "guest": self.guest,
            "profile": self.profile,
            "restorable": format_releases(self.restorable),
            "restore_decided_by": self.restore_decided_by,
            "tags": sorted(self.case.tags),
            "description": self.case.description,
            "recipe": self.case.recipe,
            "since": self.case.since,
        }


def version_key(version: str) -> tuple[int, int, int]:
    """``MAJOR.MINOR.PATCH`` as a tuple that sorts; ValueError for anything else."""
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"corpus version {version!r} is not MAJOR.MINOR.PATCH")
    major, minor, patch = (int(p) for p in parts)
    return major, minor, patch


def _unique(seq: Iterator[str] | list[str] | tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for x in seq:
        if x not in out:
            out.append(x)
    return out


def validate(case: Case, rules: dict[str, Rule]) -> None:
    """Declarations that cannot be right, caught when the corpus is built."""
    where = f"{case.recipe} ({case.slug})"
    declared = (*case.breaks, *case.permits, *case.relies, *case.exercises)
    for rid in declared:
        if rid not in rules:
            raise ValueError(f"{where}: unknown rule {rid}")
    for rid in case.breaks:
        r = rules[rid]
        if r.subject != "image" or r.level == Level.MAY:
            raise ValueError(f"{where}: {rid} ({r.level} {r.subject}) cannot be broken")
    for rid in case.permits:
        if rules[rid].level == Level.MUST:
            raise ValueError(f"{where}: {rid} is a MUST; it permits nothing")
    for rid in case.relies:
        r = rules[rid]
        if r.subject != "reader" or r.level != Level.SHOULD:
            raise ValueError(f"{where}: {rid} is not a SHOULD rule for readers")
    for tag in case.tags:
        if tag not in TAGS:
            raise ValueError(f"{where}: tag {tag!r} is not in the controlled list")
    if not case.tags:
        raise ValueError(f"{where}: no tags")
    if case.legacy is not None:
        kind, width = case.legacy
        if case.guest is None or kind not in LEGACY_GUESTS[case.guest] or width not in (32, 64):
            raise ValueError(f"{where}: legacy {case.legacy} does not fit guest {case.guest}")
    if not case.description or "\n" in case.description:
        raise ValueError(f"{where}: the description must be one line")


def case_name(prefix: str, layer: str, version: int | None, guest: str, slug: str) -> str:
    """The JSONTestSuite-style name: verdict, outer layer and libxc version, guest, slug."""
    stem = f"{layer}-v{version}" if version is not None else f"{layer}-legacy"
    return f"{prefix}_{stem}_{guest}_{slug}"


def replay_name(home: Resolved, cell: tuple[str, int]) -> str:
    """A replay's name, from its home case and its cell alone: the home's name with the
    cell's libxc version and guest. It never depends on which replays were made or kept,
    so adding a recipe renames no case."""
    return case_name(home.verdict.prefix, home.layer, cell[1], cell[0], home.case.slug)


def resolve(case: Case, rules: dict[str, Rule] | None = None) -> Resolved:
    rules = load_rules() if rules is None else rules
    validate(case, rules)
    built = case.build()
    image = built.image
    verdict = derive(case.breaks, case.permits, case.relies, rules)
    layers = list(case.layers) if case.layers is not None else layers_of(image)
    version = case.version if case.version is not None else version_of(image)
    guest = case.guest if case.guest is not None else guest_of(image)
    profile = profile_of(image) if case.profile is _UNSET else case.profile
    if guest is None:
        raise ValueError(f"{case.recipe} ({case.slug}): cannot tell the guest; declare it")
    layer = layers[0]
    name = case_name(verdict.prefix, layer, version, guest, case.slug)
    if verdict.prefix == "n":
        listed = list(case.breaks)
    elif verdict.prefix == "i":
        listed = [*case.breaks, *case.permits, *case.relies]
    else:
        listed = [*case.exercises, *case.relies]
    restorable, decided_by = derive_restore(case, layers, version, rules, image)
    return Resolved(
        case=case,
        name=name,
        data=built.bytes(),
        verdict=verdict,
        layer=layer,
        layers=layers,
        version=version,
        guest=guest,
        profile=profile,
        rules=_unique(listed),
        restorable=restorable,
        restore_decided_by=decided_by,
    )


# --- every cell of a rule ------------------------------------------------------------------


def cells_of(case: Case, rules: dict[str, Rule]) -> list[tuple[str, int]]:
    """The (guest, libxc version) cells every rule the case breaks applies to."""
    cells: list[tuple[str, int]] | None = None
    for rid in case.breaks:
        mine = [(g, int(v[1:])) for g, v in rules[rid].cells() if v != "legacy"]
        cells = mine if cells is None else [c for c in cells if c in mine]
    return cells or []


#: Why a recipe cannot be replayed, when it cannot say so itself.
_OWN_IMAGE = "the recipe builds its own image rather than on the cell bases"


def _moved(args: tuple[Any, ...], here: tuple[str, int], cell: tuple[str, int]) -> tuple[Any, ...]:
    """A recipe's arguments for another cell: its guest (and the version right after it)
    become the cell's."""
    out = list(args)
    for i, a in enumerate(out):
        if isinstance(a, str) and a == here[0] and a in GUESTS:
            out[i] = cell[0]
            if i + 1 < len(out) and type(out[i + 1]) is int and out[i + 1] == here[1]:
                out[i + 1] = cell[1]
    return tuple(out)


def replays(home: Resolved, taken: set[str], rules: dict[str, Rule]) -> list[Resolved]:
    """The case replayed in every other cell of the rules it breaks: the same recipe on
    the bases of that guest type and libxc version, with the same declarations (so the
    same verdict). Sets ``home.only_here`` to why a cell got no replay."""
    case = home.case
    if not case.breaks or home.version is None or home.guest is None:
        return []
    here = (home.guest, home.version)
    others = [c for c in cells_of(case, rules) if c != here]
    if not others:
        return []
    if case.only_here:
        home.only_here = case.only_here
        return []
    if "errata" in case.tags:
        home.only_here = "an erratum shows what Xen 4.6-4.8 wrote: v2 streams of those releases"
        others = [c for c in others if c[1] == here[1]]
    if case.same_guest:
        others = [c for c in others if c[0] == here[0]]
        home.only_here = case.same_guest
    if case.same_version:
        others = [c for c in others if c[1] == here[1]]
        home.only_here = case.same_version
    if case.replay_in:
        others = [c for c in others if c in case.replay_in]
        home.only_here = case.replay_in_why
    if case.restore is not None or case.layers is not None or case.guest or case.version:
        home.only_here = "the recipe declares its cell (guest, version, layers or restore)"
        return []
    out: list[Resolved] = []
    missed: list[str] = []
    for cell in others:
        variant = replace(
            case,
            args=_moved(case.args, here, cell),
            replay=(here, cell),
            replay_of=home.name,
            since=case.replay_since or case.since,
        )
        try:
            r = resolve(variant, rules)
        except (LookupError, ValueError, TypeError, AssertionError, StopIteration, struct.error):
            missed.append(f"{cell[0]} v{cell[1]}")
            continue
        if (r.guest, r.version) != cell:
            home.only_here = _OWN_IMAGE
            return []
        if r.name != replay_name(home, cell):  # the recipe's layer moved
            home.only_here = _OWN_IMAGE
            return []
        if home.profile is not None and r.profile is None:  # a release's own stream
            missed.append(f"{cell[0]} v{cell[1]} (no Xen release writes those headers)")
            continue
        if r.name in taken:  # another recipe already shows it there
            continue
        out.append(r)
    if missed:
        home.only_here = f"the recipe's change has no place in {', '.join(missed)}"
    return out
