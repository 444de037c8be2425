"""Helpers several layers' mutations share: choosing, finding records, predicates on
the image, values that break a field."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from ...bodies import (
    CpuidPolicy,
    EmulatorRecord,
    HvmParams,
    MsrPolicy,
    P2mFrames,
    PageData,
    PvInfo,
    TscInfo,
    VcpuContext,
)
from ...constants import XcRecType
from ...model import Record, padding_for
from ..build import Generated
from ..choices import Chooser

T = TypeVar("T")

# Tags that mutations of more than one module carry.
FRAMING = ("record-framing",)  # libxc and libxl records
XLH = ("libxl-header",)
PD = ("page-data",)


def pick(ch: Chooser, seq: Sequence[T]) -> T:
    return seq[ch.integer(0, len(seq) - 1)]


def where(recs: Sequence[Record], *types: int) -> list[int]:
    if _reading is not None and recs is _reading[1]:
        found = _reading[2].get(types)
        if found is None:
            found = _reading[2][types] = [i for i, r in enumerate(recs) if r.type in types]
        return list(found)
    return [i for i, r in enumerate(recs) if r.type in types]


def xc_recs(g: Generated) -> list[Record]:
    if _reading is not None and g is _reading[0]:
        return _reading[1]
    return g.libxc.records


#: While :func:`reading` an image: the image, its libxc records and the indices
#: :func:`where` found in them by types. Every fuzz case asks some two hundred
#: predicates about its image, which look up the same records again and again.
_reading: tuple[Generated, list[Record], dict[tuple[int, ...], list[int]]] | None = None


@contextmanager
def reading(g: Generated) -> Iterator[None]:
    """Within this, ``g`` is only read (the mutations' predicates): its records and
    where each type is are looked up once."""
    global _reading
    try:
        recs = g.libxc.records
    except LookupError:  # no libxc stream: nothing to keep
        yield
        return
    saved, _reading = _reading, (g, recs, {})
    try:
        yield
    finally:
        _reading = saved


def xc_endian(g: Generated) -> str:
    h = g.libxc.image_header
    return ">" if h is not None and h.big_endian else "<"


def xl_recs(g: Generated) -> list[Record]:
    return [i for i in g.libxl.items if isinstance(i, Record)]


def has(*types: int) -> Callable[[Generated], bool]:
    return lambda g: bool(where(xc_recs(g), *types))


def is_pv(g: Generated) -> bool:
    return g.guest != "hvm"


def is_hvm(g: Generated) -> bool:
    return g.guest == "hvm"


def v3(g: Generated) -> bool:
    return g.version == 3


def v2(g: Generated) -> bool:
    return g.version == 2


def both(*preds: Callable[[Generated], bool]) -> Callable[[Generated], bool]:
    return lambda g: all(p(g) for p in preds)


def end_of(recs: Sequence[Record]) -> int:
    """Index of the (libxc or libxl) END record: the last one."""
    return len(recs) - 1


def nonzero(ch: Chooser, bits: int) -> int:
    """A value of ``bits`` bits other than zero."""
    return ch.integer(1, (1 << bits) - 1)


def other_than(ch: Chooser, good: Sequence[int], lo: int, hi: int) -> int:
    """A value in [lo, hi] that is none of ``good``."""
    bad = [v for v in range(lo, min(hi, lo + 64) + 1) if v not in good]
    if ch.integer(0, 1) and hi > lo + 64:
        v = ch.integer(lo + 65, hi)
        if v not in good:
            return v
    return pick(ch, bad)


def resize(ch: Chooser, data: bytes, good: Callable[[int], bool], lo: int, hi: int) -> bytes:
    """``data`` grown or cut to a length in [lo, hi] that ``good`` refuses."""
    while True:
        n = ch.integer(lo, hi)
        if not good(n):
            return (data + bytes(max(0, n - len(data))))[:n]
        lo = n + 1 if n < hi else lo
        if lo > hi:
            raise AssertionError("resize: no bad length in range")


def insert_before_end(ch: Chooser, recs: list[Record], rec: Record, first: int = 0) -> int:
    """Insert ``rec`` at a chosen place in [first, END]; its index."""
    at = ch.integer(first, end_of(recs))
    recs.insert(at, rec)
    return at


def typed(rec: Record, cls: type[T]) -> T:
    assert isinstance(rec.body, cls), (rec.type, type(rec.body))
    return rec.body


def some_body(ch: Chooser) -> bytes:
    """A body for an inserted record: empty or whole 8-octet words half of the time (a
    reader that skips it then stays in step), any octets otherwise."""
    if ch.integer(0, 1):
        return ch.binary(20)
    return bytes(8 * ch.integer(0, 2))


def damage_libxl_ident(ch: Chooser, g: Generated) -> str:
    """Damage one of the last three octets of the libxl header's ident 'LibxlFmt'."""
    h = g.libxl.header
    k = ch.integer(0, 2)
    raw = bytearray(h.ident.to_bytes(8, "big"))
    raw[5 + k] ^= ch.integer(1, 255)
    h.ident = int.from_bytes(raw, "big")
    return f"ident {bytes(raw)!r}"


def body_len(rec: Record) -> int:
    """The length of a record's body without encoding it (the padding predicates ask
    it of every record of every case); ``tests/test_fuzz_mutations.py`` holds it to
    the encoded length."""
    b = rec.body
    if isinstance(b, bytes):
        return len(b)
    if isinstance(b, PageData):
        return 8 + 8 * len(b.entries) + sum(map(len, b.pages))
    if isinstance(b, VcpuContext):  # vcpu_id and reserved, then the context as it is
        return 8 + len(b.context)
    if isinstance(b, P2mFrames):  # start, end, a u64 a frame
        return 8 + 8 * len(b.frames)
    if isinstance(b, HvmParams):  # count, reserved, (index, value) u64 pairs
        return 8 + 8 * sum(map(len, b.params))
    if isinstance(b, EmulatorRecord):  # emulator id, index, the data
        return 8 + len(b.data)
    if isinstance(b, CpuidPolicy):  # six u32 a leaf
        return 24 * len(b.leaves)
    if isinstance(b, MsrPolicy):  # index, flags, value
        return 16 * len(b.entries)
    if isinstance(b, TscInfo):
        return 24
    if isinstance(b, PvInfo):  # width, levels, the reserved octets
        return 2 + len(b.reserved)
    return len(b.encode("<"))


def unaligned(recs: Sequence[Record]) -> list[int]:
    """Indices of the records whose body needs padding."""
    return [i for i, r in enumerate(recs) if padding_for(body_len(r))]


def any_unaligned(recs: Sequence[Record]) -> bool:
    """Whether a record's body needs padding (``bool(unaligned(recs))``, stopping at
    the first)."""
    return any(padding_for(body_len(r)) for r in recs)


def pages(g: Generated) -> list[int]:
    """Indices of the PAGE_DATA records."""
    return where(xc_recs(g), XcRecType.PAGE_DATA)
