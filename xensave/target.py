"""``xensave verify --target-xen X.Y``: could that Xen release restore this image?

The spec's rules say what a valid image is; a given release of Xen's tools accepts
less (or, for old errata, more). This module holds what each release's restore path
accepts, as facts read from Xen's history (the release tags of xen-project/xen:
``tools/libs/guest/xg_sr_restore*.c`` and ``xg_sr_stream_format.h``, formerly
``tools/libxc/xc_sr_*``; ``tools/libs/light/libxl_stream_read.c`` and
``libxl_sr_stream_format.h``; ``tools/xl/xl_vmcontrol.c``), and judges an image
against one release in one streaming pass, next to the spec checker.

What is judged: the layers a release can read at all (legacy only before 4.6), the
xl header's byte order and mandatory flags, the libxl and libxc stream versions and
byte order, the record types its restorers handle for the guest type (a mandatory
record nobody handles stops a restore; an optional one is skipped; libxl refuses any
record it does not know), the per-record length limit, STATIC_DATA_END placement in
version 3 streams, device models (qemu-traditional left in 4.21), the HVM context as
the release's hvm_load takes it (its HVM_SAVE_CODE_MAX, entry sizes and CPU_MSR
indices; a legacy image's blob too), HVM_PARAMS as the release sets them (32-bit
index, HVM_NR_PARAMS, set-once list), the CPUID and MSR policies as the release's
copy-from-buffer functions take them, a populated pfn the restorer's bitmap cannot
track, legacy chunks convert-legacy-stream cannot convert (4.6 on), legacy HVM
faults libxl's path ignores from 4.6, an xcr0_accum beyond the release's XSAVE
components (any vCPU's XSAVE state, a legacy tail's too; 4.4 on), and a XAPI
LIBXC_LEGACY section, which xenopsd does not convert (4.6 on). In a legacy PV
image, also what convert-legacy-stream (4.6 on) reads otherwise than
xc_domain_restore (4.0-4.5): the tail's unmapped pfns (frames among them are
refused by 4.0-4.5 only), the VCPU_INFO maps, the 'xcnt' block and the XSAVE
feature mask (4.1-4.4). The table is in ``spec/releases.md``.
:func:`releases_taking` gives the record-content facts to the corpus recipes. Beside
those facts, every diagnostic of the spec check whose rule the release's restore path
enforces (the catalogue's ``xen_refuses``) is a reason to refuse, naming the Xen
function (``xen_function``); a rule Xen tolerates is none.
What is not judged: host-dependent limits (CPU features against the host's, memory),
which depend on the host rather than the release.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from . import cpu_policy, hvm_params
from .constants import (
    PAGE_DATA_PFN_MASK,
    PAGE_DATA_TYPE_SHIFT,
    XC_ID,
    XC_MARKER,
    XL_BYTEORDER_VALUE,
    DomainType,
    EmulatorId,
    LibxlRecType,
    PageType,
    XcRecType,
    XlMandatoryFlag,
)
from .hvm_context import (
    CPU_MSR_HANDLED,
    SIZE_CHANGED,
    TYPECODE_MAX,
    Typecode,
    cpu_msr_handled,
    release_size,
    size_refused,
    typecode_max,
)
from .hvm_context import decode as decode_hvm_context
from .reader import (
    Event,
    LibvirtHeader,
    LibxlHeader,
    Reader,
    ReadError,
    ReadOptions,
    RecordEvent,
    Trailer,
    XapiHeader,
    XapiKind,
    XcDomainHeader,
    XcImageHeader,
    XlHeader,
)
from .release_facts import (
    CHECKPOINT_STATE_SINCE,
    LEGACY_PV_ONLY_FROM_4_6,
    LIBXENGUEST,
    LONG_RECORDS_SINCE,
    QEMU_TRADITIONAL_UNTIL,
    STREAM_V2_SINCE,
    STREAM_V3_SINCE,
    UNTRACKABLE_PFN,
    XEND_UNTIL,
    XL_JSON_SINCE,
    emulators_known,
    first_release_with,
    libxl_handled,
    rec_length_max,
    releases_taking,
    xc_handled,
    xc_versions,
    xl_mandatory_known,
    xsave_components,
)
from .releases import (
    FIRST_RELEASE,
    LAST_RELEASE,
    Release,
    all_releases,
    argparse_release,
    fmt_release,
    format_releases,
    parse_release,
    release_set,
)
from .rules import Rule, load_rules
from .target_legacy import XC_DOMAIN_RESTORE, LegacyJudge

#: Re-exported: the release names and facts lived here before release_facts.py and
#: releases.py were split out, and callers still import them from here.
__all__ = [
    "CHECKPOINT_STATE_SINCE",
    "FIRST_RELEASE",
    "LAST_RELEASE",
    "LEGACY_PV_ONLY_FROM_4_6",
    "LONG_RECORDS_SINCE",
    "QEMU_TRADITIONAL_UNTIL",
    "STREAM_V2_SINCE",
    "STREAM_V3_SINCE",
    "UNTRACKABLE_PFN",
    "XEND_UNTIL",
    "XL_JSON_SINCE",
    "Release",
    "all_releases",
    "argparse_release",
    "emulators_known",
    "first_release_with",
    "fmt_release",
    "format_releases",
    "libxl_handled",
    "parse_release",
    "rec_length_max",
    "release_set",
    "releases_taking",
    "xc_handled",
    "xc_versions",
    "xl_mandatory_known",
]

# --- the judgement ------------------------------------------------------------------


@dataclass
class Reason:
    """Why the release would refuse the image, and where."""

    offset: int
    message: str
    layer: str
    index: int | None = None
    record: str | None = None
    rule: str = ""  # the catalogue rule, when a broken rule is the reason
    function: str = ""  # the Xen file:function that refuses

    def format(self, name: str) -> str:
        where = f"record #{self.index} {self.record}: " if self.record is not None else ""
        rule = f"{self.rule}: " if self.rule else ""
        by = f" [{self.function}]" if self.function else ""
        return f"{name}:{self.offset:#x}: {where}{rule}{self.message}{by}"

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"offset": self.offset, "layer": self.layer}
        if self.record is not None:
            out["index"] = self.index
            out["record"] = self.record
        out["rule"] = self.rule or None
        out["function"] = self.function or None
        out["message"] = self.message
        return out


class _BodyProblem(Protocol):
    """A decoder's problem (hvm_params, cpu_policy): a rule at an offset in a body."""

    @property
    def rule(self) -> str: ...
    @property
    def offset(self) -> int: ...
    @property
    def message(self) -> str: ...


class _Diagnostic(Protocol):
    """What the judgement reads of a checker diagnostic."""

    @property
    def rule(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def offset(self) -> int: ...
    @property
    def layer(self) -> str: ...
    @property
    def record_index(self) -> int | None: ...
    @property
    def record_type(self) -> str | None: ...
    @property
    def message(self) -> str: ...


def refuses(r: Rule, rel: Release) -> bool:
    """Whether release ``rel``'s restore path refuses an image that breaks rule ``r``
    (the catalogue's ``xen_refuses``; a rule without it is not counted)."""
    return bool(r.xen_refuses) and rel in release_set(r.xen_refuses)


@dataclass
class TargetReport:
    release: Release
    reasons: list[Reason] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    layer: str | None = None
    read_error: ReadError | None = None

    @property
    def restorable(self) -> bool:
        """No reason to refuse in what was read (``read_error`` says where reading
        stopped, if it did: a checkpointed stream may end without END)."""
        return not self.reasons

    def to_json(self) -> dict[str, object]:
        return {
            "target_xen": fmt_release(self.release),
            "restorable": self.restorable,
            "reasons": [r.to_json() for r in self.reasons],
            "notes": self.notes,
        }


#: One reason per (kind, record type) at most; later ones are counted, not listed.
_MAX_SAME = 1


class Judge(LegacyJudge):
    """Feed it reader events in order; it collects the release's reasons to refuse."""

    def __init__(self, rel: Release) -> None:
        self.rel = rel
        self.report = TargetReport(rel)
        self._seen: dict[tuple[str, int], int] = {}
        self._first: dict[tuple[str, int], Reason] = {}
        self.xc_version = 0
        self.domain_type = 0
        self.static_data_end = False  # seen or (v2, 4.14+) inferred
        self.legacy = False
        self.legacy_guest = ""
        self.checkpointed = False
        self.saved_by: Release | None = None
        self.last: tuple[str, int] = ("", -1)  # (layer, type) of the latest record
        self.unread = False  # a legacy stream the release's restore path never reads
        self.legacy_word = 8  # a legacy image's word size (its toolstack's width)
        #: Where the last legacy PV tail's unmapped pfn list lies (start, end): a frame
        #: rule's diagnostic there is one only 4.0-4.5 refuse (UNMAPPED_LIST_RULES).
        self.unmapped_span = (0, 0)
        #: The online-vCPU maps of a legacy PV image's first body, one per VCPU_INFO
        #: chunk (convert-legacy-stream reads that body and its tail only).
        self.vcpu_maps: list[list[int]] = []
        #: Offsets of 'xcnt' blocks whose LEG-EXT-005 fault this release tolerates.
        self.xcnt_tolerated: set[int] = set()

    @property
    def r(self) -> str:
        return fmt_release(self.rel)

    def refuse(
        self,
        ev: Any,
        message: str,
        key: tuple[str, int] | None = None,
        function: str = "",
        *,
        offset: int | None = None,
        rule: str = "",
    ) -> None:
        if key is not None:
            n = self._seen.get(key, 0)
            self._seen[key] = n + 1
            if n >= _MAX_SAME:
                return
        if isinstance(ev, RecordEvent):
            at = ev.offset if offset is None else offset
            reason = Reason(at, message, ev.layer, ev.index, ev.name, rule, function)
        else:
            at = getattr(ev, "offset", 0) if offset is None else offset
            reason = Reason(at, message, _layer_of(ev), rule=rule, function=function)
        self.report.reasons.append(reason)
        if key is not None:
            self._first[key] = reason

    def note(self, text: str) -> None:
        if text not in self.report.notes:
            self.report.notes.append(text)

    # -- events

    def event(self, ev: Event) -> None:
        if isinstance(ev, XlHeader):
            self._xl(ev)
        elif isinstance(ev, LibxlHeader):
            self._libxl_header(ev)
        elif isinstance(ev, XcImageHeader):
            self._xc_header(ev)
        elif isinstance(ev, XcDomainHeader):
            self._domain(ev)
        elif isinstance(ev, RecordEvent):
            self.last = (ev.layer, ev.type)
            if ev.layer == "libxc":
                self._xc_record(ev)
            else:
                self._xl_record(ev)
        elif isinstance(ev, XapiHeader):
            if ev.kind == XapiKind.LIBXC_LEGACY:
                self._xapi_legacy(ev)
            self.note("a XAPI suspend image is restored by xenopsd, which drives libxc itself")
        elif isinstance(ev, LibvirtHeader | Trailer):
            pass
        elif type(ev).__name__ == "XendHeader":  # xensave.xend, outside the Event union
            self.legacy = True  # what follows is a legacy image xend's own tools read
            if self.rel > XEND_UNTIL:
                self.refuse(
                    ev,
                    f"an xend (xm save) file: only xend restores it, and xend left Xen in "
                    f"4.5 (Xen {self.r}'s xl refuses it; xensave convert makes an xl file)",
                    ("xend", 0),
                    "tools/xl/xl_vmcontrol.c:create_domain",
                )
        else:  # the legacy reader's events (the reader has loaded their module)
            self._legacy_event(ev)

    def _too_old(self, ev: Any, what: str) -> None:
        self.refuse(
            ev,
            f"Xen {self.r} restores only legacy images; {what} came with Xen 4.6",
            ("old", 0),
            _XL,
        )

    def _xl(self, ev: XlHeader) -> None:
        if ev.byteorder != XL_BYTEORDER_VALUE or ev.big_endian:
            self.refuse(
                ev,
                "xl refuses a save file whose header words are not in the host's byte "
                "order (x86 is little-endian; these are big-endian)"
                if ev.big_endian
                else f"xl refuses a save file whose byte-order word is {ev.byteorder:#010x}",
                function=_XL,
            )
        unknown = ev.mandatory_flags & ~xl_mandatory_known(self.rel)
        if unknown:
            self.refuse(
                ev,
                f"xl of Xen {self.r} does not know mandatory flag(s) {unknown:#x} "
                "and refuses the file",
                function=_XL,
            )
        if ev.config and ev.mandatory_flags & XlMandatoryFlag.JSON:
            dm = _device_model(ev.config)
            if dm == "qemu_xen_traditional" and self.rel > QEMU_TRADITIONAL_UNTIL:
                self.refuse(
                    ev,
                    f"the configuration asks for device_model_version qemu_xen_traditional, "
                    f"which Xen 4.21 dropped (Xen {self.r} cannot start it)",
                )

    def _libxl_header(self, ev: LibxlHeader) -> None:
        if self.rel < STREAM_V2_SINCE:
            self._too_old(ev, "the libxl stream")
            return
        if ev.version != 2:
            self.refuse(
                ev,
                f"libxl of Xen {self.r} reads libxl stream version 2, not {ev.version}",
                function=_LIBXL_HDR,
            )
        if ev.big_endian:
            self.refuse(ev, "libxl refuses a big-endian libxl stream", function=_LIBXL_HDR)

    def _xc_header(self, ev: XcImageHeader) -> None:
        self.xc_version = ev.version
        if self.rel < STREAM_V2_SINCE:
            self._too_old(ev, "libxc stream version 2")
            return
        if ev.marker != XC_MARKER or ev.ident != XC_ID:
            self.refuse(ev, "the libxc image header's marker or id is not Xen's", function=_XC_HDR)
        versions = xc_versions(self.rel)
        if ev.version not in versions:
            if ev.version == 3:
                msg = (
                    f"libxc stream version 3 needs Xen 4.14 or newer; Xen {self.r}'s restorer "
                    "accepts version 2 only"
                )
            else:
                accepted = " and ".join(str(v) for v in versions)
                msg = f"Xen {self.r}'s restorer accepts libxc stream version {accepted}, "
                msg += f"not {ev.version}"
            self.refuse(ev, msg, function=_XC_HDR)
        if ev.big_endian:
            self.refuse(ev, "Xen's restorer refuses a big-endian libxc stream", function=_XC_HDR)

    def _domain(self, ev: XcDomainHeader) -> None:
        self.domain_type = ev.type
        if self.rel < STREAM_V2_SINCE:
            return
        if ev.type not in (DomainType.X86_PV, DomainType.X86_HVM):
            self.refuse(
                ev,
                f"domain type {ev.type}: Xen restores x86 PV (1) and x86 HVM (2) guests only",
                function=_GUEST + "xg_sr_restore_x86_hvm.c:x86_hvm_setup",
            )
        if ev.xen_major:
            self.saved_by = (ev.xen_major, ev.xen_minor)
            if self.saved_by > self.rel:
                self.note(
                    f"saved by Xen {ev.xen_major}.{ev.xen_minor}, newer than {self.r}: the "
                    "restorer does not check this, but the hypervisor may refuse guest state "
                    "it does not know"
                )

    def stopped(self, exc: ReadError) -> None:
        """The reader lost the framing. A checkpointed stream may end right after a
        complete checkpoint without END (XC-CKPT-003); anything else is kept."""
        at_checkpoint = self.last in (
            ("libxc", XcRecType.CHECKPOINT),
            ("libxl", LibxlRecType.CHECKPOINT_END),
            ("libxl", LibxlRecType.CHECKPOINT_STATE),
        )
        if not (at_checkpoint and exc.rule in ("XC-END-002", "XL-END-002")):
            self.report.read_error = exc

    def _xc_record(self, ev: RecordEvent) -> None:
        rel = self.rel
        if rel < STREAM_V2_SINCE:
            return
        t = ev.type
        limit = rec_length_max(rel)
        if ev.length > limit:
            self.refuse(
                ev,
                f"body_length {ev.length} exceeds Xen {self.r}'s record limit of "
                f"{limit >> 20} MiB{' (raised to 128 MiB in 4.10)' if limit < 128 << 20 else ''}",
                function=_GUEST + "xg_sr_common.c:read_record",
            )
        if t == XcRecType.CHECKPOINT:
            self.checkpointed = True
        v3_rules = rel >= STREAM_V3_SINCE
        if v3_rules and t == XcRecType.STATIC_DATA_END:
            if self.static_data_end:
                self.refuse(
                    ev,
                    "a second STATIC_DATA_END (in a version 2 stream, Xen "
                    f"{self.r} already inferred one at the first page data)"
                    if self.xc_version == 2
                    else "a second STATIC_DATA_END: the restorer refuses it",
                    function=_GUEST + "xg_sr_restore.c:handle_static_data_end",
                )
            self.static_data_end = True
        boundary = t == XcRecType.PAGE_DATA or (
            t == XcRecType.X86_PV_P2M_FRAMES and self.domain_type == DomainType.X86_PV
        )
        if v3_rules and boundary and not self.static_data_end:
            if self.xc_version >= 3:
                self.refuse(
                    ev,
                    f"no STATIC_DATA_END before the first {ev.name}: Xen {self.r}'s restorer "
                    "stops here in a version 3 stream",
                    function=_GUEST + "xg_sr_restore.c:handle_page_data",
                )
            self.static_data_end = True  # v2: the restorer infers it here
        if t == XcRecType.PAGE_DATA:
            self._page_data(ev)
        elif t == XcRecType.HVM_CONTEXT and self.domain_type == DomainType.X86_HVM:
            self._hvm_context(ev)
        elif t == XcRecType.HVM_PARAMS and self.domain_type == DomainType.X86_HVM:
            self._hvm_params(ev)
        elif t in (XcRecType.X86_CPUID_POLICY, XcRecType.X86_MSR_POLICY) and v3_rules:
            self._policy(ev)
        elif t == XcRecType.X86_PV_VCPU_XSAVE and len(ev.body) >= 24:
            accum = struct.unpack_from(ev.endian + "Q", ev.body, 16)[0]
            self._xsave_components(ev, accum, ev.body_offset + 16, "X86_PV_VCPU_XSAVE")
        if t & 0x80000000:
            return  # an optional record the restorer does not handle is skipped
        if t in xc_handled(rel, self.domain_type):
            return
        self.refuse(ev, self._unhandled(t), ("xc", t), _GUEST + "xg_sr_restore.c:restore")

    def _page_data(self, ev: RecordEvent) -> None:
        """A populated pfn the restorer cannot track (:data:`UNTRACKABLE_PFN`): XTAB and
        BROKEN pages are never populated (populate_pfns), every other type is."""
        count = len(ev.body) // 8 - 1
        for i in range(max(0, count)):
            word = struct.unpack_from(f"{ev.endian}Q", ev.body, 8 + 8 * i)[0]
            ptype = word >> PAGE_DATA_TYPE_SHIFT
            pfn = word & PAGE_DATA_PFN_MASK
            if pfn >= UNTRACKABLE_PFN and ptype not in (PageType.XTAB, PageType.BROKEN):
                self.refuse(
                    ev,
                    f"pfn {pfn:#x}: the restorer's populated-pfn bitmap would need "
                    f"2^{pfn.bit_length() - 3} octets, more than an x86-64 process can "
                    "map, so it fails on every host (XC-PAGE-010 lets a reader refuse)",
                    ("pfn", 0),
                    _GUEST + "xg_sr_restore.c:pfn_set_populated",
                    offset=ev.body_offset + 8 + 8 * i,
                    rule="XC-PAGE-010",
                )
                return

    def _hvm_context(self, ev: RecordEvent) -> None:
        self._hvm_blob(ev, ev.body, ev.body_offset)

    def _hvm_blob(self, ev: Any, blob: bytes, base: int) -> None:
        """What this release's hvm_load refuses and the spec allows (the blob of an
        HVM_CONTEXT record, or of a legacy image's HVM tail at ``base``): a typecode
        above the release's HVM_SAVE_CODE_MAX (4.0-4.4; HVM-TYPE-001 refuses one above
        every release's), an entry at another size than the release's structure
        (size_refused, from 4.0), and CPU_MSR indices it does not restore
        (hvm_load_cpu_msrs: -ENXIO; HVM-MSR-003 refuses an index no release restores)."""
        handled = cpu_msr_handled(self.rel)
        ctx = decode_hvm_context(blob)
        top = typecode_max(self.rel)
        for e in ctx.entries:
            if top < e.typecode <= TYPECODE_MAX:
                self.refuse(
                    ev,
                    f"HVM context typecode {e.typecode} ({Typecode(e.typecode).name}): Xen "
                    f"{self.r}'s hvm_load knows typecodes up to {top} (HVM_SAVE_CODE_MAX) "
                    "and refuses the entry",
                    ("typecode", e.typecode),
                    "xen/common/hvm/save.c:hvm_load",
                    offset=base + e.offset,
                    rule="HVM-TYPE-001",
                )
        for e in ctx.entries:
            changed = e.typecode <= top and e.typecode in SIZE_CHANGED
            if changed and size_refused(e.typecode, e.length, self.rel):
                size, exact = release_size(e.typecode, self.rel)
                self.refuse(
                    ev,
                    f"HVM context {e.name} entry of {e.length} octets: Xen {self.r} loads "
                    + (f"exactly {size}" if exact else f"at most {size}")
                    + " (its own, older layout)",
                    ("size", e.typecode),
                    "xen/arch/x86/hvm/save.c:_hvm_check_entry",
                    offset=base + e.offset,
                    rule="HVM-SIZE-001" if exact else "HVM-SIZE-002",
                )
        for e in ctx.of_type(Typecode.CPU_XSAVE):
            if len(e.raw) >= 24:
                accum = struct.unpack_from("<Q", e.raw, 16)[0]
                self._xsave_components(ev, accum, base + e.payload_offset + 16, "CPU_XSAVE")
        if top < Typecode.CPU_MSR:
            return
        for e in ctx.of_type(Typecode.CPU_MSR):
            for k, m in enumerate((e.fields or {}).get("msr", [])):
                index = m["index"]
                if index in handled or index not in CPU_MSR_HANDLED:
                    continue
                self.refuse(
                    ev,
                    f"CPU_MSR msr[{k}].index {index:#x}: Xen {self.r}'s hvm_load_cpu_msrs "
                    f"does not restore it (a later release does), so it fails with -ENXIO",
                    ("msr", index),
                    "xen/arch/x86/hvm/hvm.c:hvm_load_cpu_msrs",
                    offset=base + e.payload_offset + 8 + 16 * k,
                    rule="HVM-MSR-003",
                )

    def _xsave_components(self, ev: Any, accum: int, offset: int, what: str) -> None:
        """An xcr0_accum with a component outside the release's XCNTXT_MASK, which no
        host's xfeature_mask holds (:func:`release_facts.xsave_components`): the spec
        allows it (a later release may restore it), this release refuses it everywhere."""
        mask = xsave_components(self.rel)
        if mask is None or not accum & ~mask:
            return
        self.refuse(
            ev,
            f"{what} xcr0_accum {accum:#x} has components {accum & ~mask:#x} outside Xen "
            f"{self.r}'s XCNTXT_MASK {mask:#x}: no host's xfeature_mask holds them, so "
            "validate_xstate refuses it on every host",
            ("xsave-components", 0),
            "xen/arch/x86/xstate.c:validate_xstate",
            offset=offset,
        )

    def _hvm_params(self, ev: RecordEvent) -> None:
        """The entry rules as this release reads them (:func:`hvm_params.check` with the
        release: the index cut to 32 bits, its HVM_NR_PARAMS and set-once list); the
        checker's release-free diagnostics of the same rules are left out."""
        problems = hvm_params.check(ev.body, ev.endian, self.rel)
        self._refuse_problems(ev, [p for p in problems if p.rule in _HVMP_JUDGED])

    def _policy(self, ev: RecordEvent) -> None:
        """A CPUID or MSR policy as this release's x86_{cpuid,msr}_copy_from_buffer
        reads it (:mod:`cpu_policy` with the release: its arrays, its MSR indices, entry
        limit and field widths); the checker's release-free diagnostics of the same rules
        are left out."""
        cpuid = ev.type == XcRecType.X86_CPUID_POLICY
        size = 24 if cpuid else 16
        if not ev.body or len(ev.body) % size:
            return  # refused before the hypervisor sees it (XC-POL-001, -002)
        check = cpu_policy.check_cpuid if cpuid else cpu_policy.check_msr
        self._refuse_problems(ev, check(ev.body, ev.endian, self.rel))

    def _refuse_problems(self, ev: RecordEvent, problems: Sequence[_BodyProblem]) -> None:
        """Refuse for each problem (at an offset in ``ev``'s body) whose rule this
        release's restore path enforces (the rule's ``xen_refuses``)."""
        rules = load_rules()
        for p in problems:
            r = rules.get(p.rule)
            if r is None or not refuses(r, self.rel):
                continue
            self.refuse(
                ev,
                p.message,
                ("rule:" + p.rule, 0),
                r.xen_function,
                offset=ev.body_offset + p.offset,
                rule=p.rule,
            )

    def _unhandled(self, t: int) -> str:
        r = self.r
        if t == XcRecType.TOOLSTACK:
            return "no restorer since Xen 4.6 handles a TOOLSTACK record; mandatory, so it stops"
        if t == XcRecType.CHECKPOINT_DIRTY_PFN_LIST:
            return (
                "CHECKPOINT_DIRTY_PFN_LIST belongs to COLO's back channel; no restorer "
                "handles it in a forward stream"
            )
        first = first_release_with(t)
        if first is None:
            return f"mandatory record type {t:#x} is defined by no Xen release"
        if first > self.rel:
            since = fmt_release(first)
            return f"Xen {r}'s restorer does not know this record (it came with Xen {since})"
        guest = {1: "PV", 2: "HVM"}.get(self.domain_type)
        if guest:
            return f"Xen {r}'s restorer does not handle this record for an x86 {guest} guest"
        return f"Xen {r}'s restorer does not handle this record"

    def _xl_record(self, ev: RecordEvent) -> None:
        rel = self.rel
        if rel < STREAM_V2_SINCE:
            return
        t = ev.type
        if t not in libxl_handled(rel):
            if t == LibxlRecType.CHECKPOINT_STATE:
                msg = f"libxl of Xen {self.r} does not know CHECKPOINT_STATE (COLO, Xen 4.7)"
            else:
                msg = f"libxl of Xen {self.r} refuses a record type it does not know ({t:#x})"
            self.refuse(ev, msg, ("xl", t), _LIBXL_READ + "process_record")
            return
        if t == LibxlRecType.CHECKPOINT_END:
            self.checkpointed = True
        # libxl never reads an emulator record's emulator_id (write_emulator_blob and
        # libxl__restore_emulator_xenstore_data skip the sub-header): the device model
        # comes from the domain configuration, which _xl judges. Only a note here.
        if t in (LibxlRecType.EMULATOR_XENSTORE_DATA, LibxlRecType.EMULATOR_CONTEXT):
            if len(ev.body) < 4:
                return
            eid = struct.unpack_from(f"{ev.endian}I", ev.body)[0]
            if eid == EmulatorId.QEMU_TRADITIONAL and eid not in emulators_known(rel):
                self.note(
                    "the emulator records say qemu-traditional, which left xl and libxl in "
                    f"Xen 4.21; libxl of Xen {self.r} does not read the id, so the device "
                    "model the configuration names decides"
                )

    def rules_broken(
        self, diagnostics: Iterable[_Diagnostic], rules: dict[str, Rule] | None = None
    ) -> None:
        """Add a reason for every diagnostic whose rule this release's restore path
        enforces (``xen_refuses`` covers it); a rule Xen tolerates adds none."""
        rules = load_rules() if rules is None else rules
        unrecorded: set[str] = set()
        for d in diagnostics:
            r = rules.get(d.rule) if d.rule else None
            if r is None:
                if d.severity == "error":
                    self.note(
                        "part of the image could not be checked against the spec, so what "
                        f"Xen {self.r} does with it is not judged"
                    )
                continue
            if not r.xen_refuses:
                if d.severity == "error":
                    unrecorded.add(r.id)
                continue
            if not refuses(r, self.rel):
                continue
            if self.unread and d.layer == "legacy":
                continue  # never read (_xapi_legacy)
            if r.id in _HVMP_JUDGED and d.record_type == "HVM_PARAMS":
                continue  # judged per release by _hvm_params
            if r.id in _POLICY_JUDGED and d.record_type in _POLICY_RECORDS:
                continue  # judged per release by _policy
            if (
                self.legacy_guest == "hvm"
                and r.id in LEGACY_PV_ONLY_FROM_4_6
                and self.rel >= STREAM_V2_SINCE
            ):
                continue
            if r.id == "LEG-EXT-005" and d.offset in self.xcnt_tolerated:
                continue  # read as Xen's saver meant it (_legacy_xcnt)
            function = r.xen_function
            if self._unmapped_frame(d.layer, r.id, d.offset):
                if self.rel >= STREAM_V2_SINCE:
                    self.note(
                        "a frame the vCPU contexts, the start-info page or the p2m frame "
                        "list name is in the "
                        f"PV tail's unmapped pfn list: Xen {self.r}'s convert-legacy-stream "
                        "drops that list (read_pv_tail), so the restorer judges the frame "
                        "by the page batches alone"
                    )
                    continue
                function = XC_DOMAIN_RESTORE  # it frees the page before it applies the context
            elif r.id == "LEG-P2M-001" and self.rel >= STREAM_V2_SINCE:
                function = _GUEST + "xg_sr_restore_x86_pv.c:update_guest_p2m"
            key = ("rule:" + r.id, 0)
            n = self._seen.get(key, 0)
            self._seen[key] = n + 1
            if n >= _MAX_SAME:
                continue
            same = [x for x in self.report.reasons if x.offset == d.offset and not x.rule]
            if same:  # a release fact already said it: name the rule there
                same[0].rule = r.id
                self._first[key] = same[0]
                continue
            reason = Reason(
                d.offset, d.message, d.layer, d.record_index, d.record_type, r.id, function
            )
            self.report.reasons.append(reason)
            self._first[key] = reason
        if unrecorded:
            self.note(
                f"the catalogue does not record what Xen does with {', '.join(sorted(unrecorded))}"
                "; not counted"
            )
        self.report.reasons.sort(key=lambda x: x.offset)

    def finish(self) -> TargetReport:
        layer = self.report.layer
        if (
            self.rel < STREAM_V2_SINCE
            and layer in ("libxc", "libxl")
            and ("old", 0) not in self._seen
        ):
            # cut short before its header was whole: still not a legacy image
            self.report.reasons.insert(
                0,
                Reason(
                    0,
                    f"Xen {self.r} restores only legacy images; a {layer} stream came with Xen 4.6",
                    layer,
                    function=_XL,
                ),
            )
        for key, n in self._seen.items():
            if n > _MAX_SAME:
                more = n - _MAX_SAME
                self._first[key].message += f" (and {more} more like it)"
        if self.checkpointed:
            self.note(
                "a checkpointed (Remus/COLO) stream: only a checkpointed receiver "
                "(xl migrate-receive -r, or COLO) restores it; a plain restore refuses "
                "its first CHECKPOINT"
            )
        return self.report


#: HVM_PARAMS entry rules whose answer depends on the release (Judge._hvm_params).
_HVMP_JUDGED = frozenset(
    {"XC-HVMP-006", "XC-HVMP-007", "XC-HVMP-008", "XC-HVMP-009", "XC-HVMP-010"}
)
#: CPUID and MSR policy rules whose answer depends on the release (Judge._policy).
_POLICY_JUDGED = frozenset(f"XC-POL-{n:03d}" for n in range(7, 13))
_POLICY_RECORDS = frozenset({"X86_CPUID_POLICY", "X86_MSR_POLICY"})
_XL = "tools/xl/xl_vmcontrol.c:create_domain"


_LIBXL_READ = "tools/libs/light/libxl_stream_read.c:"
_LIBXL_HDR = _LIBXL_READ + "stream_header_done"
_GUEST = LIBXENGUEST
_XC_HDR = _GUEST + "xg_sr_restore.c:read_headers"


def _layer_of(ev: Any) -> str:
    if isinstance(ev, XlHeader):
        return "xl"
    if isinstance(ev, LibxlHeader):
        return "libxl"
    if isinstance(ev, XcImageHeader | XcDomainHeader):
        return "libxc"
    if isinstance(ev, XapiHeader):
        return "xapi"
    if isinstance(ev, LibvirtHeader):
        return "libvirt"
    if type(ev).__name__ == "XendHeader":
        return "xend"
    return "legacy"


def _device_model(config: bytes) -> str | None:
    try:
        cfg = json.loads(config.rstrip(b"\x00"))
        value = cfg["b_info"]["device_model_version"]
    except (ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None


def judge_stream(f: BinaryIO, rel: Release, rules: dict[str, Rule] | None = None) -> TargetReport:
    """Judge the image ``f`` holds against release ``rel``: the release's facts and the
    spec rules it enforces, in one pass beside the checker. A lost framing ends the
    judgement and is kept in ``read_error``."""
    return judge_releases(f, [rel], rules)[rel]


def judge_releases(
    f: BinaryIO, releases: Iterable[Release], rules: dict[str, Rule] | None = None
) -> dict[Release, TargetReport]:
    """:func:`judge_stream` for several releases at once, still in one pass."""
    from .checker import check_events  # the checker sits above the reader, as we do

    reader = Reader(f)
    judges = [Judge(rel) for rel in releases]

    def tee() -> Any:
        try:
            for ev in reader:
                for judge in judges:
                    judge.event(ev)
                yield ev
        except ReadError as exc:
            for judge in judges:
                judge.stopped(exc)
            raise

    report = check_events(tee(), reader)
    out = {}
    for judge in judges:
        judge.report.layer = reader.layer
        judge.rules_broken(report.diagnostics, rules)
        out[judge.rel] = judge.finish()
    return out


# --- the command ---------------------------------------------------------------------


def cmd_verify_target(args: argparse.Namespace) -> int:
    """verify with --target-xen: the spec check and the release's verdict in one pass."""
    from .checker import check_events
    from .console import (
        EXIT_INVALID,
        EXIT_VALID,
        InputError,
        legacy_options,
        open_input,
        summary_line,
    )
    from .console import plural as _plural
    from .console import reason as _reason

    rel: Release = args.target_xen
    f, name, _size = open_input(args.file)
    judge = Judge(rel)
    stop_at_end = getattr(args, "stop_at_end", False)
    reader = Reader(f, ReadOptions(stop_at_end=stop_at_end, legacy=legacy_options(args)))

    def tee() -> Any:
        try:
            for ev in reader:
                judge.event(ev)
                yield ev
        except ReadError as exc:
            judge.stopped(exc)
            raise

    with f:
        try:
            report = check_events(tee(), reader)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise InputError(f"cannot read {name}: {_reason(exc)}") from None
    judge.report.layer = reader.layer
    judge.rules_broken(report.diagnostics)
    target = judge.finish()
    ok = report.valid and target.restorable
    if args.quiet:
        return EXIT_VALID if ok else EXIT_INVALID
    if args.json:
        data = report.to_json()
        if isinstance(data, str):
            data = json.loads(data)
        out = {"file": name, **(data if isinstance(data, dict) else {}), **target.to_json()}
        json.dump(out, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_VALID if ok else EXIT_INVALID
    write = sys.stdout.write
    for d in report.diagnostics:
        write(d.format(name) + "\n")
    write(summary_line(name, report) + "\n")
    r = fmt_release(rel)
    if target.read_error is not None and not target.reasons:
        write(
            f"{name}: Xen {r}: no reason to refuse up to {target.read_error.offset:#x}, "
            "where the framing is lost\n"
        )
    elif target.restorable:
        write(f"{name}: restorable by Xen {r}\n")
    else:
        write(f"{name}: NOT restorable by Xen {r}: {_plural(len(target.reasons), 'reason')}\n")
        for reason in target.reasons:
            write(f"  {reason.format(name)}\n")
    for text in target.notes:
        write(f"  note: {text}\n")
    return EXIT_VALID if ok else EXIT_INVALID
