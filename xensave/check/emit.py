"""What every chapter module of the checker shares: results, emission and state.

:class:`CheckState` is one walk over one image: the diagnostics so far (capped per
rule), the per-layer state (:class:`LibxlState`, :class:`XcState`) and what the
outer layers said about the inner ones. The chapter modules are plain functions
that take it as their first argument; none of them keeps state of its own. This
module cites no rule: the chapter modules do.
"""

from __future__ import annotations

from .. import pv_records
from .._codes import IntEnum
from .._slots import Struct, field
from ..constants import XC_REC_ALIGN_PAD, PageType, XcRecType
from ..reader import LibvirtHeader, ReadOptions, RecordEvent, XlHeader
from ..rules import Rule, load_rules, rule

#: Severity of a broken rule, by its level.
SEVERITY = {"MUST": "error", "SHOULD": "warning", "MAY": "note"}

#: How many diagnostics of one rule are listed before the rest are only counted.
MAX_PER_RULE = 100
#: How many offending items one diagnostic names before it only counts the rest.
MAX_NAMED = 4


# --- results --------------------------------------------------------------------------


class Diagnostic(Struct, frozen=True):
    """One broken (or, for a note, exercised) rule at one place in the image.

    ``rule`` is a catalogue ID; it is empty only where the checker cannot judge:
    a legacy stream (not implemented yet), what follows a XAPI DEMU section (no
    published format), or an internal error of the checker. Those are always
    errors, so that an image nobody checked is never called valid.
    """

    rule: str
    level: str
    severity: str
    offset: int  # of the offending field, where one can be named
    layer: str  # whose bytes ``offset`` points into (the carrier, for a missing stream)
    record_index: int | None
    record_type: str | None
    message: str

    def format(self, filename: str) -> str:
        """``FILE:0xOFF: [warning: |note: ][libxl ]record #N TYPE: RULE: message``."""
        parts = [f"{filename}:{self.offset:#x}: "]
        if self.severity != "error":
            parts.append(f"{self.severity}: ")
        if self.record_index is not None:
            prefix = "libxl " if self.layer == "libxl" else ""
            parts.append(f"{prefix}record #{self.record_index} {self.record_type}: ")
        if self.rule:
            parts.append(f"{self.rule}: ")
        parts.append(self.message)
        return "".join(parts)

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "level": self.level,
            "severity": self.severity,
            "offset": self.offset,
            "layer": self.layer,
            "record_index": self.record_index,
            "record_type": self.record_type,
            "message": self.message,
        }


class Report(Struct):
    diagnostics: list[Diagnostic]
    layer: str | None
    bytes_read: int

    @property
    def valid(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def notes(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "note"]

    def to_json(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "layer": self.layer,
            "bytes_read": self.bytes_read,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "notes": len(self.notes),
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


class Stop(Exception):
    """Checking cannot usefully go on (an inner stream is not where it should be)."""


# --- per-layer state -----------------------------------------------------------------


class LibxlState(Struct):
    """One libxl stream."""

    offset: int
    carrier: str | None
    big: bool
    legacy: bool
    records: int = 0
    contexts: int = 0
    in_section: bool = False  # after a libxc CHECKPOINT, before CHECKPOINT_END
    emulator_context: bool = False
    last_type: int | None = None  # last libxl record type, None once libxc records follow
    xc_started: bool = False
    pending_emu: list[RecordEvent] = field(default_factory=list)


#: A frame a PV context names: rule, offset, what it is, pfn, the page types it may have.
FrameRef = tuple[str, int, str, int, tuple[PageType, ...]]


class XcState(Struct):
    """One libxc stream."""

    offset: int
    carrier: str | None
    big: bool
    version: int | None
    guest: int | None = None  # DomainType value, None when unknown
    page_size: int = 4096
    width: int | None = None
    #: PV: the last page type sent for each pfn up to p2m_end_pfn (0xff: never sent).
    pfn_types: bytearray | None = None
    #: PV: per vCPU, its last BASIC record and the frames its context names.
    pv_frames: dict[int, tuple[RecordEvent | None, list[FrameRef]]] = field(default_factory=dict)
    #: PV: max_pfn, the P2M frame list and the start-info fields (xensave.pv_records).
    pv: pv_records.PvRestoreState | None = None
    pv_info: int = 0
    p2m: bool = False
    page: bool = False
    sde_count: int = 0
    sde_seen: bool = False  # explicit (v3) or inferred (v2)
    cpuid: int = 0
    msr: int = 0
    verify: int = 0
    checkpointed: bool = False
    basic0: bool = False
    hvm_context: int = 0
    hvm_context_in_section: bool = False
    vcpu_in_section: bool = False
    last_type: int | None = None
    ended: bool = False
    once: set[str] = field(default_factory=set)


# --- one walk ---------------------------------------------------------------------------


class CheckState:
    """The diagnostics and the state of one walk over one image."""

    def __init__(self) -> None:
        self.diags: list[Diagnostic] = []
        self.per_rule: dict[str, int] = {}
        self.suppressed: dict[str, tuple[int, Diagnostic]] = {}
        self.layer: str | None = None
        self.carrier: str | None = None  # what the next inner stream is carried by
        self.xl: XlHeader | None = None
        self.xl_big: bool | None = None
        self.lv: LibvirtHeader | None = None
        self.xapi_memory = 0  # XAPI sections that carry the memory image so far
        self.libxl: LibxlState | None = None
        self.xc: XcState | None = None
        self.guest: int | None = None  # of the latest libxc domain header
        self.in_dom_hdr = False
        self.pos = 0  # end of the last event seen
        self.last_progress = 0
        #: The reader's options, to ask for page contents once a PV stream needs them.
        self.read_options: ReadOptions | None = None
        #: Reads the image at an offset (a regular file): PV page checks read only the
        #: pages they judge instead of asking for every page's contents.
        self.page_reader: pv_records.PageReader | None = None

    @property
    def rules(self) -> dict[str, Rule]:
        """The whole catalogue (a diagnostic looks up its one rule with ``rule``)."""
        return load_rules()

    def emit(
        self,
        rid: str,
        offset: int,
        layer: str,
        message: str,
        ev: RecordEvent | None = None,
    ) -> None:
        r = rule(rid)
        if r.versions:
            version = self.xc.version if self.xc is not None else None
            if version not in r.versions:
                return
        level = str(r.level)
        d = Diagnostic(
            rid,
            level,
            SEVERITY[level],
            offset,
            layer,
            None if ev is None else ev.index,
            None if ev is None else ev.name,
            message,
        )
        n = self.per_rule.get(rid, 0) + 1
        self.per_rule[rid] = n
        if n <= MAX_PER_RULE:
            self.diags.append(d)
        else:
            first = self.suppressed.get(rid)
            self.suppressed[rid] = (n - MAX_PER_RULE, d if first is None else first[1])

    def emit_once(
        self, rid: str, offset: int, layer: str, message: str, ev: RecordEvent | None = None
    ) -> None:
        """Emit ``rid`` only the first time in the current libxc stream."""
        xc = self.xc
        assert xc is not None
        if rid not in xc.once:
            xc.once.add(rid)
            self.emit(rid, offset, layer, message, ev)

    def diag_at_record(
        self, rid: str, offset: int, layer: str, message: str, index: int | None, name: str | None
    ) -> None:
        """A framing loss inside a record the reader could not yield (no version gate,
        no cap: it is the last diagnostic)."""
        level = str(rule(rid).level)
        self.diags.append(
            Diagnostic(rid, level, SEVERITY[level], offset, layer, index, name, message)
        )

    def unruled(self, offset: int, layer: str, message: str) -> None:
        self.diags.append(Diagnostic("", "MUST", "error", offset, layer, None, None, message))

    def finish(self) -> list[Diagnostic]:
        for rid, (count, d) in self.suppressed.items():
            self.diags.append(
                Diagnostic(
                    rid,
                    d.level,
                    d.severity,
                    d.offset,
                    d.layer,
                    d.record_index,
                    d.record_type,
                    f"{count} further violation{'s' if count != 1 else ''} of this rule "
                    f"not listed (the first of them is here)",
                )
            )
        return self.diags


# --- small helpers ------------------------------------------------------------------------

ZEROS = bytes(8)


def field_rule(fields: tuple[tuple[int, str], ...], present: int, default: str) -> str:
    """The rule of the first field (by its end offset) that ``present`` bytes cut short."""
    for end, rid in fields:
        if present < end:
            return rid
    return default


def named(indexes: list[int], total: int, what: str) -> str:
    shown = ", ".join(f"{what}[{i}]" for i in indexes)
    more = total - len(indexes)
    return f"{shown} and {more} more" if more > 0 else shown


def first_nonzero(data: bytes) -> int:
    return len(data) - len(data.lstrip(b"\x00"))


def order(big: bool) -> str:
    return "big-endian" if big else "little-endian"


def record_name(kinds: type[IntEnum], rtype: int) -> str:
    """A record type's name in its layer (``kinds``), or what kind of unknown it is."""
    try:
        return kinds(rtype).name
    except ValueError:
        if rtype == XC_REC_ALIGN_PAD and kinds is XcRecType:
            return "ALIGN_PAD"
        kind = "OPTIONAL" if rtype & 0x80000000 else "MANDATORY"
        return f"UNKNOWN_{kind}_{rtype:#010x}"
