"""The ``XEND-`` rules of ``spec/xend.md``: the xend save file's signature and
configuration, and how they agree with the legacy image that follows (whose own
rules are ``check/legacy.py``'s)."""

from __future__ import annotations

from ..source import ReadError
from ..xend import HEADER_SIZE, SIGNATURE, SxpSyntaxError, XendHeader, image_kind, parse_sxp
from .emit import CheckState

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from typing import Any

CHECKS: dict[str, str] = {
    "XEND-HDR-001": "xend header: the 16-byte signature LinuxGuestRecord (first difference)",
    "XEND-CFG-001": "xend header: config length > 0 and that many bytes present (framing loss)",
    "XEND-CFG-002": "xend config: xend's sxp parser raises nothing; its first value is a list",
    "XEND-CFG-003": "xend config: the list is headed domain (warning)",
    "XEND-CFG-004": "xend config: nothing but white space and comments after the list (warning)",
    "XEND-CFG-005": "xend config: the image kind (hvm/linux) is the legacy image's guest type",
    "XEND-DM-001": "xend HVM image: device-model signature QemuDeviceModelRecord (warning)",
}

_LEN = len(SIGNATURE)  # offset of the configuration length word
_KIND_OF_GUEST = {"hvm": "hvm", "pv": "linux"}
#: What xend's HVM images end with: QemuDeviceModelRecord; a Remus checkpoint before
#: the last one has RemusDeviceModelState (legacy.md), which is not xend's choice.
_DM_SIGNATURES = (b"QemuDeviceModelRecord", b"RemusDeviceModelState")


class XendState:
    """What the legacy image must agree with: the configuration's image kind."""

    def __init__(self, kind: str | None) -> None:
        self.kind = kind
        self.checked = False


def header(c: CheckState, h: XendHeader) -> None:
    c.layer = c.layer or "xend"
    c.carrier = "xend"
    if h.signature != SIGNATURE:
        at = next(
            (i for i, (a, b) in enumerate(zip(h.signature, SIGNATURE, strict=False)) if a != b),
            0,
        )
        c.emit(
            "XEND-HDR-001",
            at,
            "xend",
            f"the signature is {h.signature!r}, not {SIGNATURE!r} (first difference at byte {at})",
        )
    kind: str | None = None
    if h.config_len > 0 and h.config_complete and len(h.config) == h.config_len:
        kind = _config(c, h.config)
    _set_state(c, XendState(kind))


def _config(c: CheckState, config: bytes) -> str | None:
    try:
        parsed = parse_sxp(config)
    except SxpSyntaxError as e:
        c.emit(
            "XEND-CFG-002",
            HEADER_SIZE + e.offset,
            "xend",
            f"xend's S-expression parser refuses the configuration: {e.message}",
        )
        return None
    v = parsed.value
    if not isinstance(v, list):
        what = "no complete value" if v is None else f"the atom {v!r}"
        c.emit(
            "XEND-CFG-002",
            HEADER_SIZE,
            "xend",
            f"the first value xend's parser completes is {what}, not a list",
        )
        return None
    if not v or v[0] != "domain":
        head = v[0] if v else "()"
        c.emit(
            "XEND-CFG-003",
            HEADER_SIZE,
            "xend",
            f"the configuration list is headed {head!r}, not 'domain'",
        )
    if parsed.rest:
        c.emit(
            "XEND-CFG-004",
            HEADER_SIZE + parsed.end,
            "xend",
            "more than white space and comments follows the configuration list "
            "(xend restores from the first list alone)",
        )
    return image_kind(v)


def _set_state(c: CheckState, st: XendState) -> None:
    c.xend = st  # type: ignore[attr-defined]  # one attribute of the walk, set here only


def _state(c: CheckState) -> XendState | None:
    st: XendState | None = getattr(c, "xend", None)
    return st


def legacy_event(c: CheckState, ev: Any) -> None:
    """A legacy event inside an xend file: the guest type against the configuration,
    and the device-model signature."""
    st = _state(c)
    if st is None:
        return
    name = type(ev).__name__
    if name == "LegacyHeader" and not st.checked:
        st.checked = True
        want = _KIND_OF_GUEST.get(ev.guest)
        if st.kind is not None and want is not None and st.kind != want:
            c.emit(
                "XEND-CFG-005",
                HEADER_SIZE,
                "xend",
                f"the configuration's image is ({st.kind} ...) but the legacy image holds "
                f"a{'n' if ev.guest == 'hvm' else ''} {ev.guest.upper()} guest "
                f"(xend would restore it as ({want} ...))",
            )
    elif name == "LegacyHvmTail" and ev.dm_signature not in _DM_SIGNATURES:
        c.emit(
            "XEND-DM-001",
            ev.dm_offset,
            "xend",
            f"the device-model record's signature is {ev.dm_signature!r}; xend writes "
            "QemuDeviceModelRecord (qemu's state to the end of the file)",
        )


def read_error(c: CheckState, e: ReadError) -> None:
    """The framing is lost in the xend header or configuration."""
    rid = e.rule if e.rule in CHECKS else "XEND-CFG-001"
    c.emit(rid, e.offset, "xend", e.message)
