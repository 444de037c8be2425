"""Streaming reader of legacy (Xen 4.5 and older) images, with autodetection.

A legacy image names neither the toolstack width that wrote it nor the guest type.
``detect`` works both out: Xen's octets 4-7 heuristic orders the four candidates, then
each candidate is tried structurally (the whole image on a seekable input, a bounded
prefix on a pipe). One surviving candidate wins; several are an ambiguity that the
caller settles with ``LegacyOptions``. ``parse`` then yields events in image order and
raises ``ReadError`` (layer ``legacy``) where the framing is lost.
"""

from __future__ import annotations

import struct

from .._slots import Struct, field, replace
from ..source import LegacyAmbiguous, ReadError, Source
from .format import (
    DM_QEMU_TO_EOF,
    DM_SIG_SIZE,
    DM_SIGNATURES,
    EXT_VCPU_SIZE,
    HVM_PARAM_CHUNKS,
    MAX_BATCH,
    MAX_UNMAPPED,
    MAX_VCPUS,
    PAGE_SIZE,
    VCPU_SIZE_X86_32,
    VCPU_SIZE_X86_64,
    Chunk,
    p2m_frame_count,
    word_fmt,
    word_size,
)

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import BinaryIO, Protocol

    from .format import Guest, Width

#: How much of a pipe is buffered to tell the candidates apart.
PROBE_MAX = 8 << 20
#: Device-model data kept whole up to this size when pages are not wanted.
DM_KEEP = 64 << 10
#: Fixed payload sizes of the negative chunks (variable ones are absent).
FIXED_PAYLOAD = {
    Chunk.ENABLE_VERIFY_MODE: 0,
    Chunk.TSC_INFO: 20,
    Chunk.LAST_CHECKPOINT: 0,
    Chunk.ENABLE_COMPRESSION: 0,
    **{c: 12 for c in HVM_PARAM_CHUNKS},
}

#: Per top byte of a pfn word (bits 24-31): 1 when its type carries no page data.
_NO_DATA_TOP = bytes(1 if (b >> 4) in (0xD, 0xE, 0xF) else 0 for b in range(256))
#: Per top byte: the page-table level of its type (pinned or not), 0 for none.
_LEVEL_OF_TOP = bytes((b >> 4) & 7 if (b >> 4) not in (0xD, 0xE, 0xF) else 0 for b in range(256))

CANDIDATES: tuple[tuple[Width, Guest], ...] = ((64, "pv"), (64, "hvm"), (32, "pv"), (32, "hvm"))


class LegacyOptions(Struct):
    width: Width | None = None
    guest: Guest | None = None
    want_pages: bool = False  # keep page contents and whole device-model data
    page_sink: Callable[[int], None] | None = None  # consumes n page octets itself
    light: bool = False  # leave LegacyBatch.words empty (probing: framing only)
    # Stop after the first checkpoint's tail and leave what follows to the caller: a
    # XAPI LIBXC_LEGACY section, which xenopsd's helper restores as a plain stream
    # (xc_domain_restore with checkpointed_stream 0 finishes after the first tail).
    single: bool = False


# --- events ----------------------------------------------------------------------------


class LegacyHeader(Struct):
    offset: int
    width: Width
    guest: Guest
    p2m_size: int
    how: str  # why this width and guest type


class LegacyExtInfo(Struct):
    offset: int
    total: int
    blocks: list[tuple[int, bytes, bytes]]  # (offset, id, data)


class LegacyP2mFrames(Struct):
    offset: int
    frames: list[int]


class LegacyBatch(Struct):
    offset: int
    index: int
    checkpoint: int
    count: int
    words: list[int]
    data_pages: int  # pages that follow (0 in a compressed body)
    pages: bytes | None = None
    raw: bytes = b""  # the pfn words as stored


class LegacyChunk(Struct):
    offset: int
    index: int
    checkpoint: int
    type: int
    payload: bytes


class LegacyBodyEnd(Struct):
    offset: int
    checkpoint: int
    compressed_body: bool


class LegacyVcpu(Struct):
    vcpu_id: int
    offset: int
    basic: bytes
    extended: bytes | None
    xsave: bytes | None  # the per-vCPU XSAVE octets, its 16-octet header included


class LegacyPvTail(Struct):
    offset: int
    checkpoint: int
    unmapped_count: int
    unmapped: list[int]
    vcpus: list[LegacyVcpu]
    shared_info_offset: int
    shared_info: bytes


class LegacyHvmTail(Struct):
    offset: int
    checkpoint: int
    magic_pfns: tuple[int, int, int]
    context_offset: int
    context: bytes
    dm_offset: int
    dm_signature: bytes
    dm_length: int
    dm_data: bytes  # whole, or a prefix when not wanted
    dm_complete: bool = True


class LegacyEnd(Struct):
    offset: int
    checkpoints: int
    last_checkpoint_seen: bool
    pt_levels: int | None  # 4, 3 or 2 for PV (None: no page tables seen); None for HVM


class LegacyTrailer(Struct):
    offset: int
    length: int


LegacyEvent = (
    LegacyHeader
    | LegacyExtInfo
    | LegacyP2mFrames
    | LegacyBatch
    | LegacyChunk
    | LegacyBodyEnd
    | LegacyPvTail
    | LegacyHvmTail
    | LegacyEnd
    | LegacyTrailer
)


# --- inputs ----------------------------------------------------------------------------


if TYPE_CHECKING:

    class HostReader(Protocol):
        """What the legacy reader needs of the reader it takes over from
        (``xensave.reader.Reader``, which imports this module, not the other way round):
        its source, the bytes it has read ahead, and its positioned take and skip."""

        src: Source
        _head: bytes

        def _take(self, n: int) -> bytes: ...
        def _skip(self, n: int) -> int: ...
        def _pos(self) -> int: ...

    class _In(Protocol):
        def take(self, n: int) -> bytes: ...
        def skip(self, n: int) -> int: ...
        def pos(self) -> int: ...
        def at_eof(self) -> bool: ...


class _Exhausted(Exception):
    """A probe ran out of buffered bytes without finding a fault."""


class _ReaderIn:
    def __init__(self, reader: HostReader) -> None:
        self.r = reader

    def take(self, n: int) -> bytes:
        return self.r._take(n)

    def skip(self, n: int) -> int:
        return self.r._skip(n)

    def pos(self) -> int:
        return self.r._pos()

    def wants_pages(self) -> bool:
        """Whether the reader's own options want page contents now (a checker turns
        them on once it knows a PV image needs them: PV-SIF-002 on a pipe)."""
        opts = getattr(self.r, "opts", None)
        return bool(getattr(opts, "want_pages", False))

    def at_eof(self) -> bool:
        b = self.r._take(1)
        self.r._head = b + self.r._head
        return not b


class _BufIn:
    """A probe over buffered bytes; running out is not a fault unless ``final``."""

    def __init__(self, data: bytes, base: int, final: bool) -> None:
        self.data = data
        self.base = base
        self.p = 0
        self.final = final

    def take(self, n: int) -> bytes:
        part = self.data[self.p : self.p + n]
        if len(part) < n and not self.final:
            raise _Exhausted
        self.p += len(part)
        return part

    def skip(self, n: int) -> int:
        return len(self.take(n))

    def pos(self) -> int:
        return self.base + self.p

    def at_eof(self) -> bool:
        if self.p >= len(self.data) and not self.final:
            raise _Exhausted
        return self.p >= len(self.data)


class _SeekIn:
    """A probe over a seekable file, from ``start`` to ``size``; restores nothing (the
    caller puts the file position back)."""

    def __init__(self, f: BinaryIO, start: int, size: int) -> None:
        self.f = f
        self.p = start
        self.size = size

    def take(self, n: int) -> bytes:
        n = max(0, min(n, self.size - self.p))
        self.f.seek(self.p)
        data: bytes = self.f.read(n)
        self.p += len(data)
        return data

    def skip(self, n: int) -> int:
        n = max(0, min(n, self.size - self.p))
        self.p += n
        return n

    def pos(self) -> int:
        return self.p

    def at_eof(self) -> bool:
        return self.p >= self.size


# --- the parser ----------------------------------------------------------------------------


class _State(Struct):
    vcpus: list[int] = field(default_factory=lambda: [0])
    vcpu_size: int = 0
    extv: bool = False
    xcnt: int = 0
    compress_next: bool = False
    seen_l3: bool = False
    seen_l2: bool = False
    guest_width: int = 8


def _err(offset: int, msg: str, rule: str | None = None, index: int | None = None) -> ReadError:
    return ReadError(offset, msg, layer="legacy", rule=rule, index=index)


def _need(inp: _In, n: int, what: str) -> bytes:
    at = inp.pos()
    data = inp.take(n)
    if len(data) < n:
        raise _err(at, f"truncated {what}: {len(data)} of {n} octets present", "LEG-END-001")
    return data


def parse(inp: _In, width: Width, guest: Guest, opts: LegacyOptions) -> Iterator[LegacyEvent]:
    """Events of a legacy image whose width and guest type are known."""
    ws = word_size(width)
    wf = "<" + word_fmt(width)
    st = _State()
    start = inp.pos()
    (p2m_size,) = struct.unpack(wf, _need(inp, ws, "p2m_size"))
    yield LegacyHeader(start, width, guest, p2m_size, "")
    if guest == "pv":
        yield from _ext_info(inp, ws, st)
        off = inp.pos()
        n = p2m_frame_count(p2m_size, st.guest_width)
        raw = _need(inp, n * ws, f"p2m frame list ({n} entries)")
        yield LegacyP2mFrames(off, list(struct.unpack(f"<{n}{word_fmt(width)}", raw)))
    cp = 0
    index = 0
    last_seen = False
    while True:
        compressing = st.compress_next
        last_seen = False
        while True:
            off = inp.pos()
            (ctype,) = struct.unpack("<i", _need(inp, 4, "chunk type"))
            if ctype == 0:
                yield LegacyBodyEnd(off, cp, compressing)
                break
            if ctype > 0:
                if ctype > MAX_BATCH:
                    raise _err(
                        off,
                        f"chunk {index}: page batch of {ctype} pfns; at most {MAX_BATCH} "
                        "are allowed",
                        "LEG-CHK-001",
                        index,
                    )
                raw = _need(inp, ctype * ws, f"pfn array of chunk {index}")
                tops = raw[3::ws]  # bits 24-31 of each word: the type nibble on top
                if guest == "pv" and st.guest_width == 4:
                    tables = set(tops.translate(_LEVEL_OF_TOP))
                    st.seen_l3 = st.seen_l3 or 3 in tables
                    st.seen_l2 = st.seen_l2 or 2 in tables
                ndata = 0 if compressing else ctype - tops.translate(_NO_DATA_TOP).count(1)
                words = [] if opts.light else list(struct.unpack(f"<{ctype}{word_fmt(width)}", raw))
                ev = LegacyBatch(off, index, cp, ctype, words, ndata, raw=raw)
                nbytes = ndata * PAGE_SIZE
                if opts.page_sink is not None and nbytes:
                    yield ev
                    opts.page_sink(nbytes)
                elif opts.want_pages or (
                    isinstance(inp, _ReaderIn) and guest == "pv" and inp.wants_pages()
                ):
                    ev.pages = _need(inp, nbytes, f"page data of chunk {index}")
                    yield ev
                else:
                    yield ev
                    got = inp.skip(nbytes)
                    if got < nbytes:
                        raise _err(
                            off,
                            f"truncated page data of chunk {index}: {got} of {nbytes} octets",
                            "LEG-END-001",
                            index,
                        )
                index += 1
                continue
            payload = _chunk_payload(inp, ctype, ws, off, index)
            if ctype == Chunk.VCPU_INFO:
                (max_id,) = struct.unpack_from("<i", payload)
                vmap = struct.unpack_from(f"<{max_id // 64 + 1}Q", payload, 4)
                st.vcpus = [v for v in range(max_id + 1) if vmap[v // 64] >> (v % 64) & 1]
            elif ctype == Chunk.LAST_CHECKPOINT:
                last_seen = True
            elif ctype == Chunk.ENABLE_COMPRESSION:
                st.compress_next = True
            yield LegacyChunk(off, index, cp, ctype, payload)
            index += 1
        if guest == "pv":
            yield _pv_tail(inp, ws, wf, st, cp)
        else:
            ev_h = _hvm_tail(inp, cp, opts)
            yield ev_h
            if ev_h.dm_signature == DM_QEMU_TO_EOF:  # qemu's state ran to the end
                cp += 1
                break
        cp += 1
        if last_seen or opts.single or inp.at_eof():
            break
    levels: int | None = None
    if guest == "pv":
        if st.guest_width == 8:
            levels = 4
        elif st.seen_l3:
            levels = 3
        elif st.seen_l2:
            levels = 2
    yield LegacyEnd(inp.pos(), cp, last_seen, levels)
    if not opts.single and not inp.at_eof():
        off = inp.pos()
        n = inp.skip(1 << 62)
        yield LegacyTrailer(off, n)


def _ext_info(inp: _In, ws: int, st: _State) -> Iterator[LegacyEvent]:
    off = inp.pos()
    sig = _need(inp, ws, "extended-info signature")
    if sig != b"\xff" * ws:
        raise _err(
            off,
            f"no extended-info signature: the word after p2m_size is {sig.hex()}, "
            "not all ones (images older than Xen 3.0 are not supported: LEG-EXT-001)",
        )
    (total,) = struct.unpack("<I", _need(inp, 4, "extended-info length"))
    blocks = []
    done = 0
    while done < total:
        boff = inp.pos()
        bid, size = struct.unpack("<4sI", _need(inp, 8, "extended-info block header"))
        if done + 8 + size > total:
            raise _err(
                boff,
                f"extended-info block {bid!r} of {size} octets overruns the "
                f"extended-info length {total}",
                "LEG-EXT-002",
            )
        data = _need(inp, size, f"extended-info block {bid!r}")
        done += 8 + size
        blocks.append((boff, bid, data))
        if bid == b"vcpu":
            if size not in (VCPU_SIZE_X86_32, VCPU_SIZE_X86_64):
                raise _err(
                    boff,
                    f"'vcpu' block of {size} octets: neither {VCPU_SIZE_X86_32} (x86_32 "
                    f"guest) nor {VCPU_SIZE_X86_64} (x86_64 guest)",
                    "LEG-EXT-003",
                )
            st.vcpu_size = size
            st.guest_width = 8 if size == VCPU_SIZE_X86_64 else 4
        elif bid == b"extv":
            st.extv = True
        elif bid == b"xcnt" and size >= 4:
            st.xcnt = struct.unpack_from("<I", data)[0]
    if not st.vcpu_size:
        raise _err(off, "the extended info has no 'vcpu' block", "LEG-EXT-003")
    yield LegacyExtInfo(off, total, blocks)


def _chunk_payload(inp: _In, ctype: int, ws: int, off: int, index: int) -> bytes:
    if ctype in FIXED_PAYLOAD:
        return _need(inp, FIXED_PAYLOAD[ctype], f"chunk {index} ({Chunk(ctype).name})")
    if ctype == Chunk.VCPU_INFO:
        head = _need(inp, 4, f"chunk {index} (VCPU_INFO)")
        (max_id,) = struct.unpack("<i", head)
        if not 0 <= max_id < MAX_VCPUS:
            raise _err(
                off,
                f"VCPU_INFO: max_vcpu_id {max_id} is outside 0-{MAX_VCPUS - 1}",
                "LEG-CHK-004",
                index,
            )
        return head + _need(inp, 8 * (max_id // 64 + 1), f"chunk {index} (VCPU_INFO map)")
    if ctype == Chunk.TOOLSTACK:
        head = _need(inp, 4, f"chunk {index} (TOOLSTACK)")
        (n,) = struct.unpack("<I", head)
        return head + _need(inp, n, f"chunk {index} (TOOLSTACK data)")
    if ctype == Chunk.COMPRESSED_DATA:
        head = _need(inp, ws, f"chunk {index} (COMPRESSED_DATA)")
        (n,) = struct.unpack("<I" if ws == 4 else "<Q", head)
        return head + _need(inp, n, f"chunk {index} (COMPRESSED_DATA data)")
    if ctype in (Chunk.TMEM, Chunk.TMEM_EXTRA):
        raise _err(
            off,
            f"chunk {index}: {Chunk(ctype).name}: transcendent-memory state is not "
            "supported (Xen removed tmem; its payload is not described here)",
            "LEG-CHK-007",
            index,
        )
    raise _err(off, f"chunk {index}: unknown chunk type {ctype}", "LEG-CHK-001", index)


def _pv_tail(inp: _In, ws: int, wf: str, st: _State, cp: int) -> LegacyPvTail:
    off = inp.pos()
    (n,) = struct.unpack("<I", _need(inp, 4, "unmapped pfn count"))
    if n > MAX_UNMAPPED:
        raise _err(off, f"unmapped pfn count {n} exceeds 2^28", "LEG-TAIL-001")
    raw = _need(inp, n * ws, "unmapped pfn list")
    unmapped = list(struct.unpack(f"<{n}{wf[1:]}", raw))
    vcpus = []
    for v in st.vcpus:
        voff = inp.pos()
        basic = _need(inp, st.vcpu_size, f"vCPU {v} context")
        ext = _need(inp, EXT_VCPU_SIZE, f"vCPU {v} extended context") if st.extv else None
        xs = _need(inp, st.xcnt, f"vCPU {v} XSAVE state") if st.xcnt else None
        vcpus.append(LegacyVcpu(v, voff, basic, ext, xs))
    soff = inp.pos()
    shinfo = _need(inp, PAGE_SIZE, "shared info page")
    return LegacyPvTail(off, cp, n, unmapped, vcpus, soff, shinfo)


def _hvm_tail(inp: _In, cp: int, opts: LegacyOptions) -> LegacyHvmTail:
    off = inp.pos()
    magic = struct.unpack("<3Q", _need(inp, 24, "magic pfns"))
    (clen,) = struct.unpack("<I", _need(inp, 4, "HVM context length"))
    coff = inp.pos()
    ctx = _need(inp, clen, "HVM context")
    doff = inp.pos()
    sig = _need(inp, DM_SIG_SIZE, "device-model signature")
    if sig not in DM_SIGNATURES:
        raise _err(doff, f"unknown device-model signature {sig!r}", "LEG-DM-001")
    keep = not opts.want_pages
    if sig == DM_QEMU_TO_EOF:
        data = inp.take(DM_KEEP) if keep else inp.take(1 << 40)
        length = len(data)
        complete = True
        if keep and len(data) == DM_KEEP:
            extra = inp.skip(1 << 62)
            length += extra
            complete = extra == 0
    else:
        (length,) = struct.unpack("<I", _need(inp, 4, "device-model record length"))
        if keep and length > DM_KEEP:
            data = _need(inp, DM_KEEP, "device-model record")
            got = inp.skip(length - DM_KEEP)
            if got < length - DM_KEEP:
                raise _err(doff, "truncated device-model record", "LEG-END-001")
            complete = False
        else:
            data = _need(inp, length, "device-model record")
            complete = True
    return LegacyHvmTail(
        off, cp, (magic[0], magic[1], magic[2]), coff, ctx, doff, sig, length, data, complete
    )


# --- detection ---------------------------------------------------------------------------------


def heuristic(head: bytes) -> tuple[list[tuple[Width, Guest]], str]:
    """The four candidates in the order Xen's octets 4-7 heuristic suggests, and why."""
    w = head[4:8]
    if w == b"\x00" * 4:
        if head[8:16] == b"\xff" * 8:
            return [(64, "pv"), (64, "hvm"), (32, "hvm"), (32, "pv")], "octets 4-7 are zero"
        return [(64, "hvm"), (64, "pv"), (32, "hvm"), (32, "pv")], "octets 4-7 are zero"
    if w == b"\xff" * 4:
        return [(32, "pv"), (32, "hvm"), (64, "pv"), (64, "hvm")], "octets 4-7 are all ones"
    return [(32, "hvm"), (32, "pv"), (64, "hvm"), (64, "pv")], "octets 4-7 are a chunk type"


class _Probe(Struct):
    width: Width
    guest: Guest
    verdict: str  # complete | plausible | failed
    offset: int = 0
    message: str = ""
    reached: int = 0  # how far the parse read before it failed (deeper than ``offset``)


def _probe(inp: _In, width: Width, guest: Guest, single: bool = False) -> _Probe:
    bodies = 0
    try:
        for ev in parse(inp, width, guest, LegacyOptions(light=True, single=single)):
            if isinstance(ev, LegacyBodyEnd):
                bodies += 1
    except _Exhausted:
        return _Probe(width, guest, "plausible", inp.pos())
    except ReadError as e:
        # an image that stops at tmem state, or is truncated after a whole body: read as
        # far as it goes (a truncation earlier is too weak a sign of a legacy image)
        stopped = e.rule == "LEG-CHK-007" or (e.rule == "LEG-END-001" and bodies > 0)
        verdict = "stopped" if stopped else "failed"
        return _Probe(width, guest, verdict, e.offset, e.message, max(e.offset, inp.pos()))
    return _Probe(width, guest, "complete", inp.pos())


def _name(width: int, guest: str) -> str:
    return f"{guest.upper()} guest from a {width}-bit toolstack"


def settling_flags(candidates: list[tuple[Width, Guest]]) -> list[str]:
    """Per candidate, the command-line options that choose it among the others (only
    those on which the candidates differ)."""
    widths = {w for w, _g in candidates}
    guests = {g for _w, g in candidates}
    out = []
    for w, g in candidates:
        flags = []
        if len(widths) > 1:
            flags.append(f"--legacy-width {w}")
        if len(guests) > 1:
            flags.append(f"--legacy-guest {g}")
        out.append(" ".join(flags))
    return out


def ambiguity_message(candidates: list[tuple[Width, Guest]]) -> str:
    """Why the variant cannot be chosen, each candidate with the options that pick it."""
    parts = [
        f"a {_name(w, g)} ({flags})"
        for (w, g), flags in zip(candidates, settling_flags(candidates), strict=True)
    ]
    return (
        f"ambiguous legacy image: it parses completely as each of {len(parts)} variants: "
        f"{'; '.join(parts)}. Say which it is with the options shown"
    )


class _NoCandidate(Exception):
    pass


def detect(
    reader: HostReader, opts: LegacyOptions, *, strict: bool = False
) -> tuple[Width, Guest, str]:
    """Work out toolstack width and guest type of the legacy image at the reader's
    position, without consuming it."""
    start = reader._pos()
    order, why = heuristic(reader._head if len(reader._head) >= 16 else _peek(reader, 16))
    cands = [
        c
        for c in order
        if (opts.width is None or c[0] == opts.width) and (opts.guest is None or c[1] == opts.guest)
    ]
    if len(cands) == 1:  # told outright: parse it so, and let its faults cite rules
        return cands[0][0], cands[0][1], "as told"
    src = reader.src
    results: list[_Probe] = []
    if src.size is not None:
        f = src.f
        here = f.tell()
        try:
            for w, g in cands:
                probe_in = _SeekIn(f, start, src.size)
                results.append(_probe(probe_in, w, g, opts.single))
        finally:
            f.seek(here)
    else:
        data = _peek(reader, PROBE_MAX)
        final = len(data) < PROBE_MAX
        for w, g in cands:
            results.append(_probe(_BufIn(data, start, final), w, g, opts.single))
    good = [p for p in results if p.verdict == "complete"]
    if not good:
        good = [p for p in results if p.verdict == "plausible"]
    if not good and not strict:  # an xl file says a legacy image follows
        p = results[0]  # the heuristic's first choice shows where the image goes wrong
        return p.width, p.guest, f"{why}; no candidate parses, the likeliest is shown"
    if not good:  # truncated, or stopped at tmem: the variant that read furthest
        stopped = [p for p in results if p.verdict == "stopped"]
        if stopped:
            far = max(p.offset for p in stopped)
            good = [p for p in stopped if p.offset == far]
    if len(good) == 1:
        p = good[0]
        how = f"{why}; only a {_name(p.width, p.guest)} parses"
        if len(cands) < 4:
            how = f"{how} (narrowed as told)"
        return p.width, p.guest, how
    if len(good) > 1:
        found = [(p.width, p.guest) for p in good]
        raise LegacyAmbiguous(start, ambiguity_message(found), list(found))
    if not results:
        raise _err(start, "no candidate width and guest type left to try")
    if strict:
        best = max(results, key=lambda p: (p.reached, p.offset))
        rivals = [p for p in results if p.reached == best.reached]
        if best.message.startswith("truncated") and len(rivals) == 1 and best.reached > 64:
            # one variant reads on until the data ends: a truncated image of that
            # variant, whose own parse then reports the truncation where it is
            return best.width, best.guest, f"{why}; only a {_name(best.width, best.guest)} "
            "reads to the end of the data (truncated)"
        raise _NoCandidate(
            f"a {_name(best.width, best.guest)}, fails at {best.offset:#x}: {best.message}"
        )
    best = results[0]  # the heuristic's first choice shows where the image goes wrong
    return best.width, best.guest, f"{why}; no candidate parses, the likeliest is shown"


def _peek(reader: HostReader, n: int) -> bytes:
    """Up to ``n`` bytes from the reader's position, left unconsumed."""
    have = reader._head
    if len(have) < n:
        more = reader.src.read(n - len(have))
        reader._head = have + more
    return reader._head[:n]


NOT_AN_IMAGE = (
    "not a Xen save image: no xl, libvirt, XAPI, libxl or libxc header, "
    "and not recognisably a legacy (pre-Xen 4.6) image either"
)


def _not_an_image_rule() -> str | None:
    from ..rules import load_rules

    return "IMG-FMT-001" if "IMG-FMT-001" in load_rules() else None


def legacy_events(
    reader: HostReader, how: str = "xl", opts: LegacyOptions | None = None
) -> Iterator[LegacyEvent]:
    """Hook for ``Reader``: detect, then parse, the legacy image at its position.
    ``how``: ``xl`` (an xl file's STREAMv2 flag is clear: a legacy image must follow;
    if no variant parses, the furthest is parsed to show the fault; ``xend`` likewise
    after an xend save file's configuration), ``guessed``
    (octets 4-7 look legacy) or ``unknown`` (nothing does); ``xapi``: a XAPI
    LIBXC_LEGACY section says one follows, and the image ends after its first tail
    (``LegacyOptions.single``), where the next section header starts. ``opts`` (the
    reader's ``ReadOptions.legacy``) narrows the variant; None detects it."""
    opts = opts or LegacyOptions()
    if how == "xapi":
        opts = replace(opts, single=True)
    try:
        width, guest, why = detect(reader, opts, strict=how not in ("xl", "xend", "xapi"))
    except _NoCandidate as nc:
        if how == "guessed":
            raise ReadError(
                0,
                f"this looks like a legacy (pre-Xen 4.6) image ({heuristic(reader._head)[1]}) "
                f"but parses as none of its four variants; the furthest, as {nc}",
                layer="legacy",
            ) from None
        raise ReadError(0, NOT_AN_IMAGE, rule=_not_an_image_rule()) from None
    first = True
    for ev in parse(_ReaderIn(reader), width, guest, opts):
        if first and isinstance(ev, LegacyHeader):
            ev.how = why
            first = False
        yield ev
