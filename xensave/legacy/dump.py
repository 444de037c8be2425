"""Text and JSON items for legacy events, for ``xensave dump``."""

from __future__ import annotations

import struct
from typing import Any

from .. import devmodel
from .format import HVM_PARAM_CHUNKS, Chunk, chunk_name, has_data
from .read import (
    LegacyBatch,
    LegacyBodyEnd,
    LegacyChunk,
    LegacyEnd,
    LegacyEvent,
    LegacyExtInfo,
    LegacyHeader,
    LegacyHvmTail,
    LegacyP2mFrames,
    LegacyPvTail,
    LegacyTrailer,
)


def item(ev: LegacyEvent) -> tuple[dict[str, Any], str]:
    """(JSON item, one-line text) for one legacy event."""
    d: dict[str, Any] = {"kind": type(ev).__name__, "offset": ev.offset, "layer": "legacy"}
    if isinstance(ev, LegacyHeader):
        d.update(width=ev.width, guest=ev.guest, p2m_size=ev.p2m_size, detected=ev.how)
        text = (
            f"legacy image: {ev.guest.upper()} guest, {ev.width}-bit toolstack, "
            f"p2m_size {ev.p2m_size:#x} ({ev.how})"
        )
    elif isinstance(ev, LegacyExtInfo):
        blocks = [{"id": bid.decode("latin-1"), "size": len(data)} for _, bid, data in ev.blocks]
        d.update(length=ev.total, blocks=blocks)
        text = "extended info: " + ", ".join(f"{b['id']} ({b['size']} octets)" for b in blocks)
    elif isinstance(ev, LegacyP2mFrames):
        d.update(frames=len(ev.frames))
        text = f"p2m frame list: {len(ev.frames)} frames"
    elif isinstance(ev, LegacyBatch):
        pfns = [w & 0x0FFFFFFF for w in ev.words if w != 0xF0000000]
        d.update(index=ev.index, checkpoint=ev.checkpoint, count=ev.count, data_pages=ev.data_pages)
        lo, hi = (min(pfns), max(pfns)) if pfns else (0, 0)
        d.update(pfn_min=lo, pfn_max=hi)
        nodata = sum(1 for w in ev.words if not has_data(w))
        text = (
            f"chunk {ev.index}: PAGE_BATCH of {ev.count} pfns ({lo:#x}-{hi:#x}), "
            f"{ev.data_pages} pages, {nodata} without data"
        )
    elif isinstance(ev, LegacyChunk):
        d.update(index=ev.index, checkpoint=ev.checkpoint, type=ev.type, name=chunk_name(ev.type))
        what = ""
        p = ev.payload
        if ev.type in HVM_PARAM_CHUNKS:
            value = struct.unpack_from("<Q", p, 4)[0]
            d["value"] = value
            what = f": HVM param {HVM_PARAM_CHUNKS[ev.type]} = {value:#x}"
        elif ev.type == Chunk.VCPU_INFO:
            d["max_vcpu_id"] = struct.unpack_from("<i", p)[0]
            what = f": max_vcpu_id {d['max_vcpu_id']}"
        elif ev.type == Chunk.TSC_INFO:
            mode, nsec, khz, inc = struct.unpack("<IQII", p)
            d.update(mode=mode, nsec=nsec, khz=khz, incarnation=inc)
            what = f": mode {mode}, {nsec} ns, {khz} kHz, incarnation {inc}"
        elif p:
            d["length"] = len(p)
            what = f": {len(p)} octets"
        text = f"chunk {ev.index}: {chunk_name(ev.type)} ({ev.type}){what}"
    elif isinstance(ev, LegacyBodyEnd):
        d.update(checkpoint=ev.checkpoint, compressed=ev.compressed_body)
        text = f"end of body {ev.checkpoint}"
    elif isinstance(ev, LegacyPvTail):
        d.update(unmapped=ev.unmapped_count, vcpus=[v.vcpu_id for v in ev.vcpus])
        text = (
            f"PV tail: {ev.unmapped_count} unmapped pfns, vCPUs "
            f"{[v.vcpu_id for v in ev.vcpus]}, shared info at {ev.shared_info_offset:#x}"
        )
    elif isinstance(ev, LegacyHvmTail):
        sig = ev.dm_signature.decode("latin-1")
        d.update(
            magic_pfns=list(ev.magic_pfns),
            context=len(ev.context),
            dm_signature=sig,
            dm_length=ev.dm_length,
        )
        text = (
            f"HVM tail: magic pfns {', '.join(hex(x) for x in ev.magic_pfns)}, HVM context "
            f"{len(ev.context)} octets, device model {sig} ({ev.dm_length} octets)"
        )
    elif isinstance(ev, LegacyEnd):
        d.update(
            checkpoints=ev.checkpoints,
            last_checkpoint=ev.last_checkpoint_seen,
            pt_levels=ev.pt_levels,
        )
        lv = f", {ev.pt_levels}-level page tables" if ev.pt_levels else ""
        text = f"end of legacy image: {ev.checkpoints} checkpoint(s){lv}"
    else:
        assert isinstance(ev, LegacyTrailer)
        d.update(length=ev.length)
        text = f"{ev.length} octets after the legacy image"
    return d, text


def device_model(ev: LegacyHvmTail, fd: int | None) -> dict[str, object]:
    """The device-model state of a legacy HVM tail, told apart (xensave.devmodel).
    The state follows the 21-octet signature, and a u32 length but for
    QemuDeviceModelRecord; a state the reader kept a prefix of is digested from the
    file when it is a regular one."""
    writer, why = devmodel.LEGACY_WRITERS.get(ev.dm_signature, ("unknown", "unknown signature"))
    digest = None
    if not ev.dm_complete or len(ev.dm_data) != ev.dm_length:
        start = ev.dm_offset + 21 + (0 if ev.dm_signature == b"QemuDeviceModelRecord" else 4)
        if fd is not None:
            digest = devmodel.file_digest(fd, start, ev.dm_length)
    return devmodel.describe(ev.dm_data, ev.dm_length, writer, why, digest)
