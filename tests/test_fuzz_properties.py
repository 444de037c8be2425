"""Properties of the fuzzing strategies and of our own tools, over generated images.

* every valid generated image draws no error and no warning from the checker;
* the writer -> reader round trip holds for them (the property of
  ``tests/test_writer_roundtrip.py``, over realistic images of every layer);
* the checker and the generated Kaitai parsers read the same records in them;
* the checker's verdict is the declared verdict of every generated case, and a
  mutation breaks exactly the rules it declares;
* arbitrary bytes, and generated images with random damage, never make the reader or
  the checker raise, hang or allocate far beyond the input.
"""

from __future__ import annotations

import io
import os
import struct
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xensave.checker import check_bytes
from xensave.fuzz.atheris_target import case_holds
from xensave.fuzz.build import Generated
from xensave.fuzz.cases import Case
from xensave.fuzz.differential import Disagreement, compare_structure
from xensave.fuzz.strategies import cases, images
from xensave.loader import load_bytes, normalise
from xensave.model import LibvirtFile, LibxcStream, LibxlStream, XapiImage
from xensave.reader import Reader, ReadError
from xensave.writer import to_bytes

#: XENSAVE_FUZZ_SCALE=20 runs every property twenty times as long (a deeper run by hand).
SCALE = max(1, int(os.environ.get("XENSAVE_FUZZ_SCALE", "1")))


def budget(n: int) -> settings:
    return settings(
        max_examples=n * SCALE,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )


def problems(data: bytes) -> list[str]:
    """Errors and warnings of the checker, formatted."""
    return [d.format("image") for d in check_bytes(data).diagnostics if d.severity != "note"]


# --- valid images ----------------------------------------------------------------------------


@budget(60)
@given(images())
def test_valid_images_are_clean(gen: Generated) -> None:
    assert problems(gen.data) == [], repr(gen)


@budget(40)
@given(images())
def test_round_trip(gen: Generated) -> None:
    data = gen.data
    back = load_bytes(data)
    assert back == normalise(gen.image)
    assert to_bytes(back) == data


def _stream(gen: Generated) -> tuple[str, bytes]:
    """The layer and bytes the generated Kaitai parsers read: the image, or for a
    wrapper the stream inside it (no ksy describes the wrappers)."""
    img = gen.image
    if isinstance(img, LibvirtFile):
        assert isinstance(img.payload, LibxlStream)
        return "libxl", to_bytes(img.payload)
    if isinstance(img, XapiImage):
        inner = next(s.body for s in img.sections if not isinstance(s.body, bytes))
        assert isinstance(inner, LibxcStream)
        return "libxc", to_bytes(inner)
    return gen.layer, gen.data


@budget(30)
@given(images())
def test_checker_and_kaitai_agree_on_structure(gen: Generated) -> None:
    layer, data = _stream(gen)
    assert check_bytes(data).valid
    assert compare_structure(data, layer)


def test_the_structure_oracle_holds_on_the_valid_corpus() -> None:
    """Every corpus image declared valid (y_) is read alike by both (checkpointed
    streams, COLO and xl files included); an xl file with a legacy payload is the
    one thing not compared, since the ksy leaves that payload unstructured."""
    from pathlib import Path

    corpus = Path(__file__).resolve().parents[1] / "conformance" / "corpus"
    compared = []
    for path in sorted(corpus.glob("y_*.bin")):
        if compare_structure(path.read_bytes()):
            compared.append(path.name)
    assert len(compared) > 60, compared
    assert any("remus" in n for n in compared) and any("colo" in n for n in compared)


def test_the_structure_oracle_sees_a_drift(monkeypatch: pytest.MonkeyPatch) -> None:
    """The oracle is not blind: a generated parser that refuses, or a reading that
    loses a record, is reported, naming the record."""
    from xensave.fuzz import differential
    from xensave.fuzz.build import build_image
    from xensave.fuzz.choices import ReplayChooser

    data = build_image(ReplayChooser([])).data
    assert compare_structure(data)
    with pytest.raises(Disagreement, match="refuses"):
        compare_structure(data[:-4])
    lost = differential.reader_records(data)[:-1]
    monkeypatch.setattr(differential, "reader_records", lambda _: lost)
    with pytest.raises(Disagreement, match=f"record #{len(lost)}: the reference reads nothing"):
        compare_structure(data)
    assert compare_structure(b"not an image") is False


# --- cases and their verdicts -----------------------------------------------------------------


def _judge(case: Case) -> None:
    case_holds(case)


@budget(150)
@given(cases())
def test_checker_reaches_every_declared_verdict(case: Case) -> None:
    _judge(case)


@budget(40)
@given(cases(role="restorer", mutate=100))
def test_restorer_verdicts_follow_the_corpus_policy(case: Case) -> None:
    """For a restorer an image whose only faults are reserved fields is ``either``."""
    from xensave.fuzz.verdicts import RESERVED

    v = case.verdict
    if case.breaks and set(case.breaks) <= RESERVED:
        assert (v.verdict, v.level) == ("either", "required")
    _judge(case)


# --- robustness on arbitrary and damaged input --------------------------------------------------


def _read_all(data: bytes) -> None:
    try:
        for _ in Reader(io.BytesIO(data)):
            pass
    except ReadError:
        pass


def _bounded(data: bytes) -> None:
    """Reader and checker finish, raise nothing but ReadError, cite no internal error,
    and allocate little beyond the input."""
    start = time.monotonic()
    tracemalloc.start()
    try:
        _read_all(data)
        report = check_bytes(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not [d for d in report.diagnostics if "internal error" in d.message], [
        d.message for d in report.diagnostics
    ]
    assert peak <= 4 * len(data) + (8 << 20), f"{peak} bytes allocated for {len(data)}"
    # a hang guard, not a benchmark: milliseconds are normal, a loaded CI machine is slow
    assert time.monotonic() - start < 30


@budget(150)
@given(st.binary(max_size=512))
def test_arbitrary_bytes(data: bytes) -> None:
    _bounded(data)


_PREFIXES = (
    b"Xen saved domain, xl format\n \x00 \r",
    b"LibxlFmt",
    b"\xff" * 8 + b"XENF",
    b"libvirt-xml\n \x00 \r",
    b"XenSavedDomv2-\n",
)


@budget(100)
@given(st.sampled_from(_PREFIXES), st.binary(max_size=256))
def test_arbitrary_bytes_after_a_magic(prefix: bytes, rest: bytes) -> None:
    _bounded(prefix + rest)


@budget(60)
@given(images(), st.data())
def test_damaged_images(gen: Generated, data: st.DataObject) -> None:
    """Random octets of a valid image overwritten (lengths, counts, types...), or the
    image cut anywhere."""
    raw = bytearray(gen.data)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        del raw[data.draw(st.integers(0, len(raw))) :]
    _bounded(bytes(raw))


def test_a_lying_count_allocates_nothing() -> None:
    """A PAGE_DATA that declares 2**32-1 pfns in a 16-octet body."""
    head = b"\xff" * 8 + b"XENF" + struct.pack(">IHHI", 3, 0, 0, 0)
    dom = struct.pack("<IHHII", 2, 12, 0, 4, 19)
    rec = struct.pack("<IIII", 1, 8, 0xFFFFFFFF, 0)
    _bounded(head + dom + rec)


def test_the_atheris_target_holds_for_the_corpus_and_arbitrary_bytes() -> None:
    """``tox -e atheris`` fuzzes :func:`check_one`; it holds on its seeds."""
    from pathlib import Path

    from xensave.fuzz.atheris_target import check_one

    corpus = Path(__file__).resolve().parents[1] / "conformance" / "corpus"
    seeds = sorted(corpus.glob("*.bin"))[::20]
    for path in seeds:
        check_one(path.read_bytes()[:65536])
    check_one(b"")
    check_one(b"\xff" * 8 + b"XENF")
