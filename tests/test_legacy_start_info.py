"""PV-SIF-002 in a legacy PV image (issue 17; xensave/check/legacy.py, StartInfoPages).

The start-info page's pfn is known only from the tail, after every page, so the checker
either reads the page back (a file) or keeps two words per pfn sent with contents (a
pipe). These tests hold:

* the corpus recipe's image in each legacy PV cell is refused for PV-SIF-002, with the
  same diagnostics from a file, from memory and from a real pipe (``verify -``), at the
  offset of vCPU 0's edx/rdx in the tail, whose value is the start-info pfn;
* what the rule reads: the words as *last* sent (a later batch resending the page
  decides), the bound (p2m_size - 1) and the populated types, in both modes;
* a page last sent in a compressed (Remus) body is not judged, in both modes;
* memory: the file mode keeps one pair of words per page batch whatever its size; the
  pipe mode 8 octets a pfn sent, in blocks made only where pages came.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from xensave import pv_context
from xensave.check.legacy import CLAMP, StartInfoPages, start_info_problem
from xensave.checker import Diagnostic, check_bytes, check_stream
from xensave.convert import convert
from xensave.legacy.format import (
    XTAB_FILLER,
    LegacyImage,
    PageBatch,
    PvTail,
    encode,
    has_data,
)
from xensave.legacy.read import LegacyBatch
from xensave.legacy.samples import SMALL_START_INFO, page, small

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the recipes live in generators/, outside the package
    sys.path.insert(0, str(ROOT))

from generators.corpus import legacy as recipes  # noqa: E402

KINDS = ("pv4", "pv3", "pv2")
#: store_mfn and console.domU.mfn in Xen's start_info (xen/include/public/xen.h),
#: written out here from the header's layout rather than taken from the code under test.
FIELDS = {8: (56, 72, "<Q"), 4: (44, 52, "<I")}


def _base(kind: str, width: int = 64) -> LegacyImage:
    return small(width, "pv", levels=int(kind[-1])).image  # type: ignore[arg-type]


def _set_start_info(batch: PageBatch, gw: int, store: int, console: int = 0) -> None:
    """Write the two words into pfn 5's page in ``batch`` (which must carry it)."""
    at_store, at_console, code = FIELDS[gw]
    data = [w & 0x0FFFFFFF for w in batch.words if w != XTAB_FILLER and has_data(w)]
    k = data.index(SMALL_START_INFO)
    contents = bytearray(batch.pages[k])
    struct.pack_into(code, contents, at_store, store)
    struct.pack_into(code, contents, at_console, console)
    batch.pages[k] = bytes(contents)


def _first_batch(img: LegacyImage) -> PageBatch:
    b = img.checkpoints[0].body[0]
    assert isinstance(b, PageBatch)
    return b


def _sif(diags: list[Diagnostic]) -> list[tuple[str, int, str]]:
    return [(d.rule, d.offset, d.message) for d in diags if d.rule.startswith("PV-SIF")]


def _both(data: bytes, tmp_path: Path) -> list[tuple[str, int, str]]:
    """PV-SIF diagnostics of ``data`` from memory (contents kept) and from a file (read
    back), asserted equal."""
    kept = _sif(check_bytes(data).errors)
    f = tmp_path / "image.bin"
    f.write_bytes(data)
    with f.open("rb") as fh:
        read_back = _sif(check_stream(fh).errors)
    assert kept == read_back
    return kept


@pytest.mark.parametrize("kind", KINDS)
def test_the_recipe_is_refused_alike_from_a_file_a_pipe_and_memory(
    kind: str, tmp_path: Path
) -> None:
    img = _base(kind)
    recipes._start_info_store_xtab(img)
    data = encode(img)
    got = _both(data, tmp_path)
    assert [g[0] for g in got] == ["PV-SIF-002"]
    gw = img.guest_width
    assert struct.unpack_from("<Q" if gw == 8 else "<I", data, got[0][1])[0] == SMALL_START_INFO
    assert "store_mfn 0x32" in got[0][2] and "XTAB" in got[0][2]
    f = tmp_path / "image.bin"
    cli = [sys.executable, "-m", "xensave", "verify", "--json"]
    on_file = subprocess.run([*cli, str(f)], capture_output=True, check=False)
    on_pipe = subprocess.run([*cli, "-"], input=data, capture_output=True, check=False)
    assert on_file.returncode == on_pipe.returncode == 1, on_pipe.stderr
    diags = [json.loads(r.stdout)["diagnostics"] for r in (on_file, on_pipe)]
    assert diags[0] == diags[1]
    assert [d["rule"] for d in diags[1] if d["rule"].startswith("PV-SIF")] == ["PV-SIF-002"]


@pytest.mark.parametrize("kind", ("pv4", "pv3"))
def test_the_libxc_checker_agrees_on_the_conversion(kind: str, tmp_path: Path) -> None:
    """The recipe's image converted to a libxc v3 stream (what Xen 4.6 on restores) is
    refused for the rule too (a 2-level guest has no conversion: LEG-GUEST-001)."""
    img = _base(kind)
    recipes._start_info_store_xtab(img)
    src, dst = tmp_path / "legacy.bin", tmp_path / "v3.bin"
    src.write_bytes(encode(img))
    convert(str(src), str(dst), legacy_width=64, legacy_guest="pv", verify=False)
    assert [d.rule for d in check_bytes(dst.read_bytes()).errors] == ["PV-SIF-002"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_base_is_not_refused(kind: str, tmp_path: Path) -> None:
    assert _both(encode(_base(kind)), tmp_path) == []


@pytest.mark.parametrize(
    ("store", "console", "why"),
    [
        (32, 0, None),  # the p2m frame: sent NOTAB
        (0, 32, None),  # the top-level table: populated too
        (63, 0, "never sent"),  # p2m_size - 1: in range, but no batch sends it
        (64, 0, "above the image's last pfn 0x3f"),  # p2m_size itself
        (0, 50, "console.domU.mfn 0x32, a pfn last sent as XTAB"),
    ],
)
@pytest.mark.parametrize("kind", ("pv4", "pv3"))
def test_what_the_rule_reads(
    kind: str, store: int, console: int, why: str | None, tmp_path: Path
) -> None:
    img = _base(kind)
    _set_start_info(_first_batch(img), img.guest_width, store, console)
    got = _both(encode(img), tmp_path)
    if why is None:
        assert got == []
    else:
        assert [g[0] for g in got] == ["PV-SIF-002"] and why in got[0][2], got


def test_a_value_beyond_32_bits_is_above_the_bound(tmp_path: Path) -> None:
    img = _base("pv4")
    _set_start_info(_first_batch(img), 8, 1 << 40)
    got = _both(encode(img), tmp_path)
    assert [g[0] for g in got] == ["PV-SIF-002"] and f"at least {CLAMP:#x}" in got[0][2]


def _resend(img: LegacyImage, store: int) -> None:
    """A second batch, after the first, sending pfn 5 again with ``store``."""
    gw = img.guest_width
    again = PageBatch([SMALL_START_INFO], [page(SMALL_START_INFO)])
    _set_start_info(again, gw, store)
    img.checkpoints[0].body.insert(1, again)


@pytest.mark.parametrize("kind", ("pv4", "pv3"))
def test_the_page_as_last_sent_decides(kind: str, tmp_path: Path) -> None:
    fixed = _base(kind)
    _set_start_info(_first_batch(fixed), fixed.guest_width, 50)
    _resend(fixed, 0)
    assert _both(encode(fixed), tmp_path) == []
    broken = _base(kind)
    _resend(broken, 50)
    assert [g[0] for g in _both(encode(broken), tmp_path)] == ["PV-SIF-002"]


def test_a_page_last_sent_compressed_is_not_judged(tmp_path: Path) -> None:
    """The Remus base resends pfns 8 and 9 compressed in its second body; with the
    start-info pfn moved to 9 and a bad word in its first contents, neither mode knows
    the page as last sent (the checker does not decompress), so neither judges the
    stale contents."""
    img = small(64, "pv", levels=4, remus=True).image
    for cp in img.checkpoints:
        tail = cp.tail
        assert isinstance(tail, PvTail)
        tail.vcpus[0] = pv_context.replace(tail.vcpus[0], 8, rdx=9)
    first = _first_batch(img)
    data = [w & 0x0FFFFFFF for w in first.words if w != XTAB_FILLER and has_data(w)]
    k = data.index(9)
    contents = bytearray(first.pages[k])
    struct.pack_into("<Q", contents, 56, 50)
    first.pages[k] = bytes(contents)
    image = encode(img)
    assert "PV-SIF-001" not in {d.rule for d in check_bytes(image).errors}
    assert _both(image, tmp_path) == []


def _batch(pfns: list[int], pages: bytes, offset: int = 0) -> LegacyBatch:
    raw = struct.pack(f"<{len(pfns)}Q", *pfns)
    return LegacyBatch(offset, 0, 0, len(pfns), list(pfns), len(pfns), pages, raw)


@pytest.mark.parametrize("mode", ["pipe", "file"])
def test_memory_is_per_batch_on_a_file_and_per_pfn_sent_on_a_pipe(mode: str) -> None:
    """64 batches of 1024 pfns, spread over 2^27 pfns: a file keeps 16 octets a batch, a
    pipe 8 a pfn (4 KiB blocks of 512 pfns), whatever the image's p2m_size says."""
    pages = bytes(4096 * 1024)
    never: Callable[[int, int], bytes] = lambda _o, _n: b""  # noqa: E731
    sip = StartInfoPages(64, never if mode == "file" else None)
    sip.guest_width = 8
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for b in range(64):
        first = b * (1 << 21)  # each batch's run in a block of its own
        sip.batch(_batch(list(range(first, first + 1024)), pages, 4096 * b), 1 << 28)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    if mode == "file":
        assert len(sip.batches) == 2 * 64 and not sip.blocks
        assert used < 8 << 10
    else:
        assert len(sip.blocks) == 64 * 2 and not sip.batches
        assert used < 64 * 1024 * 8 + (64 << 10)


def test_the_judgement_on_its_own() -> None:
    table = bytearray(b"\xff") * 8
    table[0], table[1], table[2], table[3] = 0, 0xF, 0xD, 0xE  # NOTAB, XTAB, BROKEN, XALLOC
    assert start_info_problem(4, (0, 3), table) is None  # XALLOC is populated
    assert start_info_problem(4, None, table) is None  # contents not known
    bad = start_info_problem(4, (1, 2), table)
    assert bad is not None and "XTAB" in bad and "BROKEN" in bad
    assert "never sent" in (start_info_problem(4, (5, 0), table) or "")
    assert "above" in (start_info_problem(4, (8, 0), table) or "")
