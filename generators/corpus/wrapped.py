"""Every libxc and libxl rule inside every outer layer it declares (issue 17).

A rule of the libxc layer can be broken in a bare libxc stream, or in one that a libxl
stream, an xl file, a libvirt file or a XAPI image carries; a rule of the libxl layer in
a bare libxl stream or inside the last three (``spec/rules.toml``, ``outer``). The
recipes break each rule in bare streams; here, for each MUST rule and each outer layer
it declares where no case breaks it yet, the rule's smallest breaking case (its *home*:
an HVM one wherever the rule has one, a bare stream of the rule's layer before one
another wrapper carries) is built again by its own recipe and the faulty stream put
inside that outer layer: a libxl stream (LIBXC_CONTEXT before it, an HVM guest's
emulator records and END after; a checkpointed stream in pieces, libxl's emulator
records and CHECKPOINT_END after each), an xl file (header and domain configuration
around that), a libvirt file (header and domain XML), a XAPI image (xenopsd's metadata,
the LIBXC or LIBXL section, an HVM guest's device model state, END_OF_IMAGE).

The copy declares what its home declares, so its verdict is the home's; a libxl stream
in a XAPI image also breaks XAPI-SEC-006 (xenopsd refuses a LIBXL section, a SHOULD
rule: the verdict stays). Its restorability is the home's, derived the same way
(framework.derive_restore) or, where the home's recipe declares it, the home's releases
with the wrapper's own restore path added to the functions that decide it. The name is
the home's with the outer layer for the layer and the inner stream's layer before the
slug (``n_libxc-v3_hvm_page-type-5`` in an xl file is ``n_xl-v3_hvm_libxc-page-type-5``),
so it depends on the home case and the outer layer only.

Some faults have no place inside a wrapper (:func:`wrap` says which); coverage.py's
LAYER_EXEMPT and LAYER_PENDING name the rules they leave.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from xensave import samples
from xensave.constants import LIBXL_IDENT, LibxlRecType
from xensave.constants import XcRecType as X
from xensave.model import (
    Image,
    LibvirtFile,
    LibxcStream,
    LibxlStream,
    Record,
    XapiImage,
    XlFile,
)
from xensave.reader import XapiKind
from xensave.rules import Level, Rule
from xensave.writer import to_bytes

from . import bases as B
from .framework import (
    Built,
    Case,
    Resolved,
    Restore,
    layers_of,
    libxc_of,
    resolve,
    version_key,
)
from .wrappers import domain_xml, xapi_image

#: The corpus version that added the wrapped copies.
SINCE = "2.1.0"

#: The outer layers each inner layer's stream is wrapped in (rules.OUTER's order).
OUTERS: dict[str, tuple[str, ...]] = {
    "libxc": ("libxl", "xl", "libvirt", "xapi"),
    "libxl": ("xl", "libvirt", "xapi"),
}

#: The outer layers a rule with no HVM case gets its PV home wrapped in: all of them,
#: since the small PV bases (corpus 2.1.0) made a PV home about 20-25 KiB.
PV_OUTERS: tuple[str, ...] = ("libxl", "xl", "libvirt", "xapi")

#: The wrapper's own restore path, added to what decides a copy whose home's recipe
#: declares its restorability (the releases stay the home's).
PATH: dict[str, tuple[str, ...]] = {
    "libxl": ("tools/libs/light/libxl_stream_read.c:libxl__stream_read_start",),
    "xl": (
        "tools/xl/xl_saverestore.c:main_restore",
        "tools/libs/light/libxl_stream_read.c:libxl__stream_read_start",
    ),
    "libvirt": (
        "libvirt:src/libxl/libxl_domain.c:libxlDomainSaveImageOpen",
        "tools/libs/light/libxl_stream_read.c:libxl__stream_read_start",
    ),
    "xapi": ("xenopsd:xc/domain.ml:restore_common",),
}
#: xenopsd refuses a LIBXL section (SHOULD): a libxl stream in a XAPI image breaks it.
XAPI_LIBXL = "XAPI-SEC-006"


def _big_endian(stream: LibxcStream | LibxlStream) -> bool:
    if isinstance(stream, LibxlStream):
        return bool(stream.header.options & 1)
    return stream.image_header is not None and stream.image_header.big_endian


def _ends(stream: LibxlStream) -> bool:
    return any(not isinstance(i, LibxcStream) and i.type == LibxlRecType.END for i in stream.items)


def sections(stream: LibxcStream) -> list[LibxcStream]:
    """A checkpointed libxc stream as libxl carries it: the stream up to its first
    CHECKPOINT (with the headers), then each later checkpoint's records, headerless.
    ValueError where the last does not end with CHECKPOINT or END (a stream cut short)."""
    parts = [LibxcStream(stream.image_header, stream.domain_header, [])]
    for rec in stream.records:
        parts[-1].records.append(rec)
        if rec.type == X.CHECKPOINT:
            parts.append(LibxcStream(None, None, []))
    if not parts[-1].records:
        parts.pop()
    if parts[-1].records[-1].type not in (X.CHECKPOINT, X.END):
        raise ValueError("the checkpointed stream stops inside a checkpoint")
    return parts


def carry(inner: LibxcStream, guest: str, version: int) -> LibxlStream:
    """The libxl stream around a libxc stream: LIBXC_CONTEXT, the stream, the emulator
    records (HVM), END. A checkpointed stream stops at each CHECKPOINT: libxl then sends
    the emulator records and CHECKPOINT_END, and the libxc stream goes on headerless
    (libxl_stream_read.c, process_record and checkpoint_done); after a last CHECKPOINT the
    stream stops there, as a Remus stream does (checkpoint.py, ``carried``)."""
    stream = B.small(guest, version, "libxl", _big_endian(inner))
    assert isinstance(stream, LibxlStream)
    at = next(i for i, it in enumerate(stream.items) if isinstance(it, LibxcStream))
    if not any(r.type == X.CHECKPOINT for r in inner.records):
        stream.items[at] = inner
        return stream
    items: list[Record | LibxcStream] = list(stream.items[:at])
    for part in sections(inner):
        items.append(part)
        items += samples.emulator_records(guest)
        if part.records[-1].type == X.END:
            items.append(Record(LibxlRecType.END))
        else:
            items.append(Record(LibxlRecType.CHECKPOINT_END))
    return replace(stream, items=items)


def inner_of(image: Image, layer: str) -> LibxcStream | LibxlStream | None:
    """The stream of ``layer`` ("libxc", "libxl") an image is or carries."""
    if layer == "libxc":
        return libxc_of(image)
    if isinstance(image, LibxlStream):
        return image
    if isinstance(image, XlFile | LibvirtFile):
        return image.payload if isinstance(image.payload, LibxlStream) else None
    if isinstance(image, XapiImage):
        return next((s.body for s in image.sections if isinstance(s.body, LibxlStream)), None)
    return None


def enclose(inner: LibxcStream | LibxlStream, outer: str, guest: str, version: int) -> Image:
    """``inner`` in a small valid image of ``outer`` for the guest and libxc version.
    Octets after a libxl stream's END (its ``trailer``) end an xl file."""
    big = _big_endian(inner)
    trailer = inner.trailer
    if trailer and (isinstance(inner, LibxcStream) or outer != "xl"):
        # after a libxc stream's END comes the libxl stream's next record, after a libxl
        # stream's END in a libvirt file the libvirt rule's octets (LVF-STR-004), in a
        # XAPI image the next section header
        raise ValueError("octets after the stream's END have no place in the wrapper")
    if isinstance(inner, LibxlStream) and inner.header.ident != LIBXL_IDENT:
        # an xl, libvirt or XAPI reader finds no libxl stream: the wrapper's nesting rule
        raise ValueError("a libxl stream without its ident is the wrapper's fault")
    if outer == "xapi":
        # a XAPI section holding a stream has no length: the stream ends at its END record
        if isinstance(inner, LibxlStream) and not _ends(inner):
            raise ValueError("a libxl stream without END has no end in a XAPI image")
        if isinstance(inner, LibxcStream) and not any(r.type == X.END for r in inner.records):
            raise ValueError("a libxc stream without END has no end in a XAPI image")
        kind = XapiKind.LIBXC if isinstance(inner, LibxcStream) else XapiKind.LIBXL
        x = xapi_image(guest, version, kind=kind)
        x.sections[1].body = inner
        return x
    if isinstance(inner, LibxcStream):
        stream = carry(inner, guest, version)
    else:
        stream = replace(inner, trailer=b"")
    if outer == "libxl":
        return stream
    if outer == "xl":
        return XlFile(stream, config=samples.domain_config(guest), big_endian=big, trailer=trailer)
    if outer == "libvirt":
        return LibvirtFile(stream, domain_xml(guest), big_endian=big, trailer=trailer)
    raise ValueError(f"no outer layer {outer!r}")


Segments = list[tuple[int, int, int]]


def wrap(built: Built, layer: str, outer: str, guest: str, version: int) -> tuple[Built, Segments]:
    """The home's stream of ``layer`` inside ``outer``, and where its octets went: (offset
    in the stream, offset in the image, length) for each piece (one, or one per
    checkpoint where libxl's records come between).

    Where the recipe's bytes are not its model written out (a bare stream's recipe
    only), they take the stream's place and the wrapper goes on after them. ValueError
    where the home's fault has no place inside the wrapper: a stream cut short (a reader
    then meets the wrapper's own nesting fault first), octets after its END."""
    inner = inner_of(built.image, layer)
    if inner is None:
        raise ValueError(f"no {layer} stream in the image")
    if inner is not built.image:  # a stream another wrapper carries: its fault in it
        if built.data is not None:
            raise ValueError("the recipe's octets are not its model's: no stream to take")
        base = B.small(guest, version, layer, _big_endian(inner))
        if to_bytes(replace(inner, trailer=b"")) == to_bytes(base):
            raise ValueError("the stream is valid: the fault is in the wrapper around it")
    image = enclose(inner, outer, guest, version)
    whole = to_bytes(image)
    mine = to_bytes(replace(inner, trailer=b""))
    data = built.data
    if data is not None and len(data) < len(mine) and mine.startswith(data):
        # a reader meets a wrapper whose stream is cut short: the wrapper's nesting rule
        # (XL-NEST-001, XLF-NEST-001, LVF-STR-002, XAPI-STR-001) is what it breaks
        raise ValueError("a stream cut short in a wrapper is the wrapper's fault")
    if data is not None and len(data) > len(mine) and data.startswith(mine):
        raise ValueError("octets appended after the stream have no place in the wrapper")
    at = whole.find(mine)
    segments: Segments = []
    if at >= 0:
        segments.append((0, at, len(mine)))
    elif isinstance(inner, LibxcStream) and outer != "xapi":
        done, start = 0, 0
        for part in sections(inner):
            octets = to_bytes(part)
            found = whole.find(octets, start)
            assert found >= 0, "a checkpoint's records are written whole"
            segments.append((done, found, len(octets)))
            done, start = done + len(octets), found + len(octets)
    else:
        raise ValueError("the stream is not written whole inside the wrapper")
    if data is None:
        return Built(image), segments
    if len(segments) != 1:
        raise ValueError("the recipe's octets cannot be split at its checkpoints")
    return Built(image, whole[:at] + data + whole[at + len(mine) :]), segments


def moved(offset: int, segments: Segments) -> int | None:
    """Where an octet of the stream went in the image."""
    for src, dst, n in segments:
        if src <= offset < src + n:
            return dst + offset - src
    return None


def copy_case(home: Resolved, layer: str, outer: str) -> Case:
    """The home's recipe and declarations, its ``layer`` stream wrapped in ``outer``."""
    case = home.case
    assert home.guest is not None and home.version is not None
    guest, version = home.guest, home.version
    built = case.build()
    inner = inner_of(built.image, layer)
    assert inner is not None
    breaks = case.breaks
    if outer == "xapi" and layer == "libxl":
        breaks = (*breaks, XAPI_LIBXL)
    restore = case.restore
    if restore is not None:
        releases = "none" if XAPI_LIBXL in breaks else restore.releases
        by = tuple(dict.fromkeys((*restore.by, *PATH[outer])))
        restore = Restore(releases, by)
    # the model's layers, or where the recipe's octets stand for it, what it declares
    inside = layers_of(inner) if built.data is None else list(case.layers or home.layers)
    between = ["libxl"] if outer in ("xl", "libvirt") and layer == "libxc" else []

    def build() -> Built:
        return wrap(case.build(), layer, outer, guest, version)[0]

    tags = set(case.tags) | {"nesting"} | ({outer} & {"libvirt", "xapi"})
    return replace(
        case,
        slug=f"{layer}-{case.slug}",
        builder=build,
        args=(),
        description=f"{case.description} (in {_IN[outer]})",
        tags=tuple(sorted(tags)),
        breaks=breaks,
        guest=guest,
        version=version,
        profile=home.profile,
        layers=(outer, *between, *inside),
        restore=restore,
        replay=None,
        replay_of="",
        wrap_of=home.name,
        since=SINCE,
        fault_offset=None,
    )


_IN = {
    "libxl": "a libxl stream",
    "xl": "an xl save file",
    "libvirt": "a libvirt save file",
    "xapi": "a XAPI image",
}


def _failing(r: Resolved) -> bool:
    return r.verdict.prefix in ("n", "i")


def homes_for(rid: str, rules: dict[str, Rule], resolved: list[Resolved]) -> list[Resolved]:
    """The cases that break the rule and no rule outside its layer, the preferred first:
    an HVM case, a bare stream of the rule's layer, the oldest recipe (so a recipe added
    later displaces no copy), the smallest image, then by name."""
    layer = str(rules[rid].layer)
    homes = [
        r
        for r in resolved
        if _failing(r)
        and rid in r.rules
        and all(str(rules[x].layer) == layer for x in r.rules)
        and not r.case.wrap_of
        and r.guest is not None
        and r.version is not None
    ]
    return sorted(
        homes,
        key=lambda r: (
            r.guest != "hvm",
            r.layer != layer,
            version_key(r.case.since),
            len(r.data),
            r.name,
        ),
    )


def copies(
    resolved: list[Resolved],
    rules: dict[str, Rule],
    faults: Callable[[list[Resolved]], dict[str, int | None]],
) -> list[Resolved]:
    """One wrapped copy for each MUST rule of the libxc and libxl layers and each outer
    layer it declares where no case breaks it (a PV home: the layers in PV_OUTERS)."""
    have: dict[str, set[str]] = {}
    for r in resolved:
        if _failing(r):
            for rid in r.rules:
                have.setdefault(rid, set()).add(r.layer)
    made: dict[str, Resolved] = {}
    where: dict[str, tuple[Resolved, int, Segments]] = {}
    for rid in sorted(rules):
        rule = rules[rid]
        inner = str(rule.layer)
        if rule.level != Level.MUST or rule.subject != "image" or inner not in OUTERS:
            continue
        for outer in OUTERS[inner]:
            if outer not in rule.outer or outer in have.get(rid, set()):
                continue
            for home in homes_for(rid, rules, resolved):
                if home.guest != "hvm" and outer not in PV_OUTERS:
                    continue
                if outer in home.layers:
                    continue
                try:
                    built = home.case.build()
                    segments = wrap(built, inner, outer, home.guest or "", home.version or 0)[1]
                except ValueError:
                    continue  # the home's fault has no place in a wrapper
                stream = inner_of(built.image, inner)
                assert stream is not None
                # where the stream starts in the home's own file (a wrapper's, or 0)
                start = 0
                if stream is not built.image:
                    start = home.data.find(to_bytes(replace(stream, trailer=b"")))
                r = made.get(f"{home.name}:{outer}") or resolve(
                    copy_case(home, inner, outer), rules
                )
                made[f"{home.name}:{outer}"] = r
                where[r.name] = (home, start, segments)
                for covered in r.rules:
                    have.setdefault(covered, set()).add(outer)
                break
    out = sorted(made.values(), key=lambda r: r.name)
    at_home = faults([home for home, _, _ in where.values()])
    for r in out:
        home, start, segments = where[r.name]
        offset = at_home.get(home.name)
        if offset is not None and offset >= start:
            r.case = replace(r.case, fault_offset=moved(offset - start, segments))
    return out
