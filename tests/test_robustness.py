"""Bad input never crashes, hangs or balloons.

For every sample image (bare, in libxl, in an xl file, and wrapped by libvirt and
XAPI): truncation at every byte of every header and record header, and at a sampled
set of offsets inside bodies; a single-byte corruption at every header and
record-header byte. The checker must return a Report (with a diagnostic when it
says invalid); the reader may only raise ReadError; dump may only return. Length
fields that promise gigabytes on a tiny input are rejected at once, with memory
bounded (tracemalloc).
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import signal
import struct
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xensave import samples
from xensave.constants import LIBVIRT_MAGIC, XAPI_MAGIC, XcRecType
from xensave.dump import dump
from xensave.model import Record
from xensave.reader import (
    LibvirtHeader,
    LibxlHeader,
    ReadError,
    RecordEvent,
    XapiHeader,
    XcDomainHeader,
    XcImageHeader,
    XlHeader,
    read_events,
)
from xensave.writer import to_bytes

HAVE_CHECKER = (Path(__file__).parent.parent / "xensave" / "checker.py").exists()
needs_checker = pytest.mark.skipif(not HAVE_CHECKER, reason="xensave.checker not there yet")

#: One check of a small image taking longer than this is a hang. It takes milliseconds;
#: the bound is loose so that a slow or loaded machine (CI, tracemalloc on) never trips it.
PER_CALL_SECONDS = 15.0
MEMORY_LIMIT = 4 << 20


# --- the images -------------------------------------------------------------------


def _libvirt(inner: bytes) -> bytes:
    xml = b"<domain type='xen'><name>r</name></domain>\x00"
    return LIBVIRT_MAGIC + struct.pack("<II", 2, len(xml)) + bytes(40) + xml + inner


def _xapi(inner: bytes) -> bytes:
    meta = b"((time 20240101T00:00:00Z)(word_size 64))"
    return (
        XAPI_MAGIC
        + struct.pack("<QQ", 0x000F, len(meta))
        + meta
        + struct.pack("<QQ", 0x00F0, 0)
        + inner
        + struct.pack("<QQ", 0x0F00, 8)
        + b"QEVM\x00\x00\x00\x03"
        + struct.pack("<QQ", 0xFFFF, 0)
    )


def _images() -> dict[str, bytes]:
    out = {s.name: s.data for s in samples.valid_samples()}
    out["libvirt-v3_hvm"] = _libvirt(out["libxl-v3_hvm"])
    out["xapi-v3_hvm"] = _xapi(out["libxc-v3_hvm"])
    out["xapi-v2_x86_64-pv"] = _xapi(out["libxc-v2_x86_64-pv"])
    return out


IMAGES = _images()


def header_offsets(data: bytes) -> list[int]:
    """Every byte offset that belongs to a header: layer headers and record headers."""
    spans: list[tuple[int, int]] = []
    for ev in read_events(io.BytesIO(data)):
        if isinstance(ev, XlHeader):
            spans.append((0, 48 + min(4, ev.optional_data_len)))
        elif isinstance(ev, LibvirtHeader):
            spans.append((0, 64))
        elif isinstance(ev, XapiHeader):
            if ev.offset == len(XAPI_MAGIC):
                spans.append((0, len(XAPI_MAGIC)))
            spans.append((ev.offset, ev.offset + 16))
        elif isinstance(ev, LibxlHeader):
            spans.append((ev.offset, ev.offset + 16))
        elif isinstance(ev, XcImageHeader):
            spans.append((ev.offset, ev.offset + 24))
        elif isinstance(ev, XcDomainHeader):
            spans.append((ev.offset, ev.offset + 16))
        elif isinstance(ev, RecordEvent):
            end = ev.offset + 8
            if ev.type == XcRecType.PAGE_DATA and ev.layer == "libxc":
                end += 8  # count and reserved word
            spans.append((ev.offset, end))
    return sorted({o for a, b in spans for o in range(a, b)})


def body_offsets(data: bytes, headers: list[int], n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    inside = sorted(set(range(len(data) + 1)) - set(headers))
    return sorted(rng.sample(inside, min(n, len(inside))))


# --- guards -------------------------------------------------------------------------


@contextlib.contextmanager
def deadline(seconds: float = PER_CALL_SECONDS) -> Iterator[None]:
    """Fail (rather than hang the suite) when the body runs too long."""

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def read_all(data: bytes) -> ReadError | None:
    """The reader raises nothing but ReadError."""
    try:
        for _ in read_events(io.BytesIO(data)):
            pass
    except ReadError as exc:
        assert exc.message and exc.offset >= 0
        assert exc.offset <= len(data)
        return exc
    return None


def dump_all(data: bytes) -> None:
    for as_json in (False, True):
        dump(io.BytesIO(data), io.StringIO(), name="x", as_json=as_json)


def check(data: bytes) -> Any:
    from xensave.checker import check_bytes

    report = check_bytes(data)
    assert report is not None
    if not report.valid:
        assert report.diagnostics, "invalid without a diagnostic"
        assert any(d.severity == "error" for d in report.diagnostics)
    for d in report.diagnostics:
        assert d.message and d.format("x").startswith("x:")
        # the checker turns its own exceptions into diagnostics: those are bugs here
        assert "internal error" not in d.message, d.format("x")
    return report


def each(data_list: list[bytes], fn: Callable[[bytes], object]) -> None:
    with deadline(PER_CALL_SECONDS * 20):
        for data in data_list:
            fn(data)


def truncations(name: str) -> list[bytes]:
    data = IMAGES[name]
    heads = header_offsets(data)
    cuts = sorted(set(heads) | set(body_offsets(data, heads, 40, seed=len(name))))
    return [data[:cut] for cut in cuts]


def corruptions(name: str) -> list[bytes]:
    data = IMAGES[name]
    out = []
    for off in header_offsets(data):
        b = bytearray(data)
        b[off] ^= 0xFF
        out.append(bytes(b))
    return out


# --- reader and dump (no checker needed) -----------------------------------------------


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_reader_and_dump_survive_truncation(name: str) -> None:
    cases = truncations(name)
    full = IMAGES[name]
    assert read_all(full) is None

    def one(data: bytes) -> None:
        err = read_all(data)
        assert err is not None, f"truncated to {len(data)} of {len(full)} bytes but no error"
        dump_all(data)

    each(cases, one)


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_reader_and_dump_survive_corruption(name: str) -> None:
    def one(data: bytes) -> None:
        read_all(data)
        dump_all(data)

    each(corruptions(name), one)


# --- the checker ----------------------------------------------------------------------


@needs_checker
@pytest.mark.parametrize("name", sorted(IMAGES))
def test_checker_valid_images(name: str) -> None:
    report = check(IMAGES[name])
    assert report.valid, [d.format(name) for d in report.diagnostics]


@needs_checker
@pytest.mark.parametrize("name", sorted(IMAGES))
def test_checker_survives_truncation(name: str) -> None:
    def one(data: bytes) -> None:
        report = check(data)
        assert not report.valid, f"truncated to {len(data)} bytes but valid"

    each(truncations(name), one)


@needs_checker
@pytest.mark.parametrize("name", sorted(IMAGES))
def test_checker_survives_corruption(name: str) -> None:
    each(corruptions(name), check)


@needs_checker
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    name=st.sampled_from(sorted(IMAGES)),
    edits=st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(0, 255)), max_size=4),
    cut=st.none() | st.integers(0, 1 << 30),
)
def test_checker_random_damage(name: str, edits: list[tuple[int, int]], cut: int | None) -> None:
    b = bytearray(IMAGES[name])
    for off, val in edits:
        b[off % len(b)] = val
    if cut is not None:
        del b[cut % (len(b) + 1) :]
    with deadline():
        check(bytes(b))
        read_all(bytes(b))


# --- lengths that lie ----------------------------------------------------------------


def _xc_with(rec: bytes) -> bytes:
    """A libxc v3 HVM stream whose first record is ``rec`` (raw bytes), then nothing."""
    xc = samples.libxc_stream("hvm", 3)
    xc.records = []
    return to_bytes(xc) + rec


def _lying_images() -> dict[str, bytes]:
    xl = bytearray(IMAGES["xl-v3_hvm"][:200])
    struct.pack_into("<I", xl, 44, 0xFFFFFFFF)  # optional_data_len
    libvirt = bytearray(_libvirt(b""))
    struct.pack_into("<I", libvirt, 20, 0xFFFFFFFF)  # xmlLen
    libxl = to_bytes(samples.build("hvm", 3, "libxl"))[:16]
    return {
        "record-length-ffffffff": _xc_with(struct.pack("<II", XcRecType.HVM_CONTEXT, 0xFFFFFFFF)),
        "record-length-16mib": _xc_with(struct.pack("<II", XcRecType.HVM_CONTEXT, 16 << 20)),
        "page-data-length-ffffffff": _xc_with(
            struct.pack("<IIII", XcRecType.PAGE_DATA, 0xFFFFFFF8, 0xFFFFFFFF, 0)
        ),
        "page-data-count-ffffffff": _xc_with(
            struct.pack("<IIIIQ", XcRecType.PAGE_DATA, 16, 0xFFFFFFFF, 0, 5)
        ),
        "libxl-record-length-ffffffff": libxl + struct.pack("<II", 2, 0xFFFFFFFF),
        "xl-optional-data-ffffffff": bytes(xl),
        "libvirt-xml-len-ffffffff": bytes(libvirt),
        "xapi-section-length-2^63": XAPI_MAGIC + struct.pack("<QQ", 0x000F, 1 << 63) + b"()",
        "policy-length-ffffffff": _xc_with(
            struct.pack("<II", XcRecType.X86_CPUID_POLICY, 0xFFFFFFF0) + bytes(24)
        ),
        "hvm-params-count-ffffffff": _xc_with(
            struct.pack("<IIII", XcRecType.HVM_PARAMS, 24, 0xFFFFFFFF, 0) + bytes(16)
        ),
    }


LYING = _lying_images()


def _bounded(fn: Callable[[], object]) -> int:
    """Run ``fn`` under a deadline; return the tracemalloc peak in bytes."""
    tracemalloc.start()
    try:
        with deadline(PER_CALL_SECONDS):
            fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _through_pipe(data: bytes, consume: Callable[[Any], object]) -> None:
    r, w = os.pipe()

    def feed() -> None:
        with open(w, "wb", buffering=0) as out, contextlib.suppress(BrokenPipeError):
            out.write(data)

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    with open(r, "rb", buffering=0) as f:
        consume(f)
        f.read()
    t.join(2)


@pytest.mark.parametrize("name", sorted(LYING))
def test_lying_lengths_reader_and_dump(name: str) -> None:
    data = LYING[name]
    assert len(data) < 4096
    peak = _bounded(lambda: read_all(data))
    assert read_all(data) is not None
    assert peak < MEMORY_LIMIT, f"reader peaked at {peak} bytes"
    peak = _bounded(lambda: dump_all(data))
    assert peak < MEMORY_LIMIT, f"dump peaked at {peak} bytes"

    def via_pipe(f: Any) -> None:
        with contextlib.suppress(ReadError):
            for _ in read_events(f):
                pass

    peak = _bounded(lambda: _through_pipe(data, via_pipe))
    assert peak < MEMORY_LIMIT, f"reader on a pipe peaked at {peak} bytes"


@needs_checker
@pytest.mark.parametrize("name", sorted(LYING))
def test_lying_lengths_checker(name: str) -> None:
    from xensave.checker import check_stream

    data = LYING[name]
    reports: list[Any] = []
    peak = _bounded(lambda: reports.append(check(data)))
    assert not reports[0].valid
    assert peak < MEMORY_LIMIT, f"checker peaked at {peak} bytes"
    peak = _bounded(lambda: _through_pipe(data, lambda f: reports.append(check_stream(f))))
    assert not reports[1].valid
    assert peak < MEMORY_LIMIT, f"checker on a pipe peaked at {peak} bytes"


def test_extra_record_after_end_is_a_trailer_not_a_crash() -> None:
    data = IMAGES["libxc-v3_hvm"] + to_bytes(samples.libxc_stream("hvm", 3))
    assert read_all(data) is None
    dump_all(data)
    xc = samples.libxc_stream("hvm", 3)
    xc.records.insert(0, Record(0x7FFFFFFF, b"?" * 3))
    assert read_all(to_bytes(xc)) is None
