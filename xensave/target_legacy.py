"""What a release's restore path does with a legacy (pre-4.6) image, for
``verify --target-xen``: Xen 4.0-4.5 read it with ``xc_domain_restore``, 4.6 on
convert it first with ``convert-legacy-stream``, and the two read some parts of a PV
image differently (the tail's unmapped pfns, the VCPU_INFO maps, the 'xcnt' block,
the XSAVE feature mask). :class:`LegacyJudge` is the part of
:class:`xensave.target.Judge` that takes the legacy reader's events; the table is in
``spec/releases.md``.
"""

from __future__ import annotations

import struct
from typing import Any, Protocol

from .check.legacy import UNMAPPED_LIST_RULES
from .reader import XapiHeader
from .release_facts import LIBXENGUEST, STREAM_V2_SINCE, XCNT_SINCE, xsave_components
from .releases import Release

_GUEST = LIBXENGUEST


class _Judging(Protocol):
    """What the legacy part asks of the judge it is part of (xensave.target.Judge)."""

    rel: Release
    legacy: bool
    legacy_guest: str
    legacy_word: int
    unread: bool
    unmapped_span: tuple[int, int]
    vcpu_maps: list[list[int]]
    xcnt_tolerated: set[int]

    @property
    def r(self) -> str: ...

    def refuse(
        self,
        ev: Any,
        message: str,
        key: tuple[str, int] | None = None,
        function: str = "",
        *,
        offset: int | None = None,
        rule: str = "",
    ) -> None: ...

    def note(self, text: str) -> None: ...

    def _hvm_blob(self, ev: Any, blob: bytes, base: int) -> None: ...

    def _xsave_components(self, ev: Any, accum: int, offset: int, what: str) -> None: ...

    def _legacy(self) -> None: ...

    def _unconverted(self, ev: Any) -> None: ...

    def _legacy_xcnt(self, ev: Any) -> None: ...

    def _legacy_pv_xsave(self, ev: Any) -> None: ...

    def _legacy_xsave_mask(self, ev: Any) -> None: ...

    def _legacy_vcpu_maps(self, ev: Any) -> None: ...


class LegacyJudge:
    """The legacy reader's events, as each release's restore path takes them."""

    def _legacy_event(self: _Judging, ev: Any) -> None:
        """An event of the legacy reader (the reader has loaded its module)."""
        from .legacy.format import Chunk
        from .legacy.read import (
            LegacyChunk,
            LegacyExtInfo,
            LegacyHeader,
            LegacyHvmTail,
            LegacyPvTail,
        )

        if not self.legacy:
            self._legacy()
        guest = getattr(ev, "guest", None)
        if isinstance(guest, str) and not self.legacy_guest:
            self.legacy_guest = guest
        if self.unread:
            return  # refused at its first word (_xapi_legacy)
        if isinstance(ev, LegacyChunk) and ev.type in _UNCONVERTED:
            self._unconverted(ev)
        if isinstance(ev, LegacyHvmTail):
            # xc_domain_restore (4.0-4.5) and, after convert-legacy-stream, libxc's
            # HVM restorer hand the blob to the same hvm_load
            self._hvm_blob(ev, ev.context, ev.context_offset)
        if isinstance(ev, LegacyHeader):
            self.legacy_word = 4 if ev.width == 32 else 8
        if isinstance(ev, LegacyChunk) and ev.type == Chunk.VCPU_INFO and ev.checkpoint == 0:
            self.vcpu_maps.append(_online(ev.payload))
        if isinstance(ev, LegacyExtInfo):
            self._legacy_xcnt(ev)
        if isinstance(ev, LegacyPvTail):
            self._legacy_pv_xsave(ev)
            self._legacy_xsave_mask(ev)
            if ev.checkpoint == 0:
                self._legacy_vcpu_maps(ev)
            start = ev.offset + 4  # after the u32 count
            self.unmapped_span = (start, start + self.legacy_word * len(ev.unmapped))
        if (
            isinstance(ev, LegacyExtInfo)
            and self.rel < XCNT_SINCE
            and any(bid == b"xcnt" for _off, bid, _data in ev.blocks)
        ):
            self.note(
                f"an 'xcnt' block: Xen {self.r} does not know it and reads the tail "
                "without the XSAVE states, so it restores the guest with a misread "
                "shared-info page (xc_domain_restore.c:buffer_tail_pv)"
            )

    def _xapi_legacy(self: _Judging, ev: XapiHeader) -> None:
        """A LIBXC_LEGACY section: xenopsd hands it to its restore helper unconverted, as
        a LIBXC one (xc/domain.ml:restore_common; only a whole 'XenSavedDomain' file
        goes through convert-legacy-stream), and the helper's xc_domain_restore reads a
        libxc stream only from 4.6: read_headers takes p2m_size for the marker."""
        self.legacy = True
        if self.rel < STREAM_V2_SINCE:
            return
        self.unread = True
        self.refuse(
            ev,
            f"a legacy stream in a XAPI LIBXC_LEGACY section: xenopsd hands it to Xen "
            f"{self.r}'s xc_domain_restore unconverted, which reads libxc streams only "
            "(its first word is no image header marker)",
            ("xapi-legacy", 0),
            _GUEST + "xg_sr_restore.c:read_headers",
            offset=ev.offset + 16,
        )

    def _legacy_pv_xsave(self: _Judging, ev: Any) -> None:
        """A legacy PV tail's XSAVE states (u64 feature mask, u64 size, then xcr0,
        xcr0_accum and the area) reach the same XEN_DOMCTL_setvcpuextstate as an
        X86_PV_VCPU_XSAVE record: from xc_domain_restore (4.1-4.5) or, from 4.6, as
        the record convert-legacy-stream writes. Before 4.4 the domctl does not
        compare xcr0_accum with the host (:func:`release_facts.xsave_components`)."""
        for v in ev.vcpus:
            if v.xsave is not None and len(v.xsave) >= 32:
                accum = struct.unpack_from("<Q", v.xsave, 24)[0]
                at = v.offset + len(v.basic) + len(v.extended or b"") + 24
                self._xsave_components(ev, accum, at, f"vCPU {v.vcpu_id}'s XSAVE state")

    def _legacy_vcpu_maps(self: _Judging, ev: Any) -> None:
        """Which vCPU contexts convert-legacy-stream (4.6 on) reads from the first PV
        tail: one per vCPU of the VCPU_INFO maps, appended chunk after chunk
        (read_chunks), from an empty list. Xen 4.0-4.5 take the last map, or vCPU 0
        alone without one (xc_domain_restore), as the reader does."""
        if self.rel < STREAM_V2_SINCE:
            return
        maps = self.vcpu_maps
        if not maps:
            self.refuse(
                ev,
                f"no VCPU_INFO chunk: Xen {self.r}'s convert-legacy-stream then reads no vCPU "
                "context from the tail (read_pv_tail walks the VCPU_INFO maps), and "
                "libxenguest refuses a stream without vCPU 0's: \"Sender didn't send "
                "vcpu0's basic state\"",
                ("vcpu-info", 0),
                _GUEST + "xg_sr_restore_x86_pv.c:update_vcpu_context",
            )
            return
        read = [v for m in maps for v in m]
        if read != maps[-1]:
            self.refuse(
                ev,
                f"{len(maps)} VCPU_INFO chunks: Xen {self.r}'s convert-legacy-stream appends "
                f"their maps (read_chunks) and reads {len(read)} vCPU contexts where the "
                f"tail holds {len(maps[-1])}, misreading the tail",
                ("vcpu-info", 1),
                "tools/python/scripts/convert-legacy-stream:read_pv_tail",
            )

    def _legacy_xcnt(self: _Judging, ev: Any) -> None:
        """An 'xcnt' block LEG-EXT-005 faults that the release reads as Xen's saver
        meant it: a value of 0 is no XSAVE state to 4.1-4.5 (xc_domain_restore skips
        the domctl) and to convert-legacy-stream (4.6 on: xsave_len 0), as to 4.0,
        which skips the block; a longer block is read for its first u32 alone from 4.6
        (read_pv_extended_info), where 4.1-4.5 read 4 octets and lose the framing."""
        for off, bid, data in ev.blocks:
            if bid != b"xcnt" or len(data) < 4:
                continue
            (value,) = struct.unpack_from("<I", data)
            if len(data) == 4 and value == 0:
                self.xcnt_tolerated.add(off)
                self.note(
                    "an 'xcnt' value of 0: every release reads it as no XSAVE state in the "
                    "tail, as the reader does"
                )
            elif len(data) > 4 and self.rel >= STREAM_V2_SINCE and (value == 0 or value >= 16):
                self.xcnt_tolerated.add(off)
                self.note(
                    f"an 'xcnt' block of {len(data)} octets: Xen {self.r}'s "
                    "convert-legacy-stream reads its first u32 and ignores the rest"
                )

    def _legacy_xsave_mask(self: _Judging, ev: Any) -> None:
        """The feature mask ahead of each vCPU's XSAVE state in a legacy PV tail:
        xc_domain_restore (4.1-4.5) hands it to XEN_DOMCTL_setvcpuextstate. 4.1-4.3
        refuse a mask beyond the host's (-EINVAL), which lies within XCNTXT_MASK (x87,
        SSE, YMM, LWP from 4.1 to 4.4); 4.4's validate_xstate refuses an xcr0_accum
        beyond the mask; 4.5 ignores it, and from 4.6 convert-legacy-stream drops it."""
        if not (XCNT_SINCE <= self.rel < (4, 5)):
            return
        within = xsave_components((4, 4))  # the same XCNTXT_MASK since 4.1
        assert within is not None
        for v in ev.vcpus:
            if v.xsave is None or len(v.xsave) < 32:
                continue
            mask, size, _xcr0, accum = struct.unpack_from("<4Q", v.xsave)
            at = v.offset + len(v.basic) + len(v.extended or b"")
            if self.rel < (4, 4) and mask & ~within:
                self.refuse(
                    ev,
                    f"vCPU {v.vcpu_id}'s XSAVE feature mask {mask:#x} has components outside "
                    f"Xen {self.r}'s XCNTXT_MASK {within:#x}, which bounds every host's: "
                    "XEN_DOMCTL_setvcpuextstate refuses it (-EINVAL)",
                    ("xsave-mask", 0),
                    "xen/arch/x86/domctl.c:arch_do_domctl",
                    offset=at,
                )
            elif (
                self.rel == (4, 4)
                and accum
                and size >= 592
                and accum & ~mask
                and not accum & ~within  # else _legacy_pv_xsave says it already
            ):
                self.refuse(
                    ev,
                    f"vCPU {v.vcpu_id}'s xcr0_accum {accum:#x} has components outside the "
                    f"XSAVE feature mask {mask:#x} ahead of it, which Xen 4.4's "
                    "validate_xstate takes as the host's: -EINVAL",
                    ("xsave-mask", 1),
                    "xen/arch/x86/xstate.c:validate_xstate",
                    offset=at + 24,
                )

    def _unconverted(self: _Judging, ev: Any) -> None:
        """A chunk libxl's path from 4.6 cannot convert: convert-legacy-stream (4.6 to
        4.22) raises RuntimeError("todo") at Remus compression and tmem chunks."""
        if self.rel < STREAM_V2_SINCE:
            return
        self.refuse(
            ev,
            f"{_UNCONVERTED[ev.type]} chunk: Xen {self.r} restores a legacy image through "
            "convert-legacy-stream, which does not implement it (RuntimeError 'todo')",
            ("unconverted", ev.type),
            "tools/python/scripts/convert-legacy-stream:read_chunks",
        )

    def _legacy(self: _Judging) -> None:
        self.legacy = True
        if self.rel >= STREAM_V2_SINCE:
            self.note(
                f"a legacy (pre-4.6) stream: Xen {self.r} restores it by converting it first "
                "(libxl runs convert-legacy-stream, which needs Xen's Python tools)"
            )

    def _unmapped_frame(self: _Judging, layer: str, rule: str, offset: int) -> bool:
        """A frame rule broken only because the legacy PV tail lists the frame as
        unmapped: the checker reports those at the list's entry (pv_context's
        unmapped_frames), where no context field lies."""
        start, end = self.unmapped_span
        return layer == "legacy" and rule in UNMAPPED_LIST_RULES and start <= offset < end


#: Legacy chunk types convert-legacy-stream leaves unimplemented (its read_chunks raises
#: RuntimeError("todo")), by chunk type (xensave.legacy.format.Chunk).
_UNCONVERTED = {
    -5: "TMEM",
    -6: "TMEM_EXTRA",
    -12: "COMPRESSED_DATA",
    -13: "ENABLE_COMPRESSION",
}
#: What refuses a frame diagnostic in a legacy PV tail's unmapped pfn list (the rules in
#: check.legacy.UNMAPPED_LIST_RULES) in Xen 4.0-4.5: xc_domain_restore frees each
#: pfn of that list the batches populated and clears its p2m entry before it applies the
#: contexts, so the start-info page fails to map, a GDT frame or page table is an invalid
#: frame arch_set_info_guest refuses, and a p2m frame (LEG-P2M-001) fails to map; the
#: start-info page's XenStore and console frames (PV-SIF-002) it tolerates. From 4.6
#: convert-legacy-stream reads the list and drops it (read_pv_tail).
XC_DOMAIN_RESTORE = "tools/libxc/xc_domain_restore.c:xc_domain_restore"


def _online(payload: bytes) -> list[int]:
    """The vCPUs a VCPU_INFO chunk's map sets, in order (the reader has checked its
    length against max_vcpu_id)."""
    (max_id,) = struct.unpack_from("<i", payload)
    words = struct.unpack_from(f"<{max_id // 64 + 1}Q", payload, 4)
    return [64 * i + b for i, w in enumerate(words) for b in range(64) if w >> b & 1]
