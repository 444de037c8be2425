"""Smoke tests of the generated Kaitai parsers (xensave/kaitai/) and of the tree walkers.

Streams are built here octet by octet with struct, independently of xensave.writer,
so a mistake shared by the writer and the ksy cannot hide. When node and the npm
packages are present, dump.js must print exactly what kaitai_tree prints.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from kaitaistruct import KaitaiStructError

from xensave import kaitai_tree
from xensave.kaitai.xen_libxc_stream import XenLibxcStream
from xensave.kaitai.xen_libxl_stream import XenLibxlStream
from xensave.kaitai.xen_xl_save_file import XenXlSaveFile

ROOT = Path(__file__).resolve().parent.parent
DUMP_JS = ROOT / "conformance" / "adapters" / "kaitai-js" / "dump.js"
PAGE = b"\xa5" * 4096


def rec(e: str, rtype: int, body: bytes = b"") -> bytes:
    return struct.pack(f"{e}II", rtype, len(body)) + body + b"\0" * (-len(body) % 8)


def pfn(e: str, number: int, ptype: int, reserved: int = 0) -> bytes:
    return struct.pack(f"{e}Q", ptype << 60 | reserved << 52 | number)


def libxc_records(e: str, end: int = 0x00) -> bytes:
    page_data = struct.pack(f"{e}II", 3, 0)
    page_data += pfn(e, 0x123456789, 0x0) + pfn(e, 7, 0xF) + pfn(e, 8, 0xC)
    page_data += PAGE + PAGE[::-1]
    params = struct.pack(f"{e}II", 2, 0) + struct.pack(f"{e}QQQQ", 1, 2**64 - 1, 99, 2**53)
    tsc = struct.pack(f"{e}IIQII", 1, 2_400_000, 123, 4, 0)
    return (
        rec(e, 0x11, struct.pack(f"{e}6I", 0, 0xFFFFFFFF, 1, 2, 3, 4))
        + rec(e, 0x10)
        + rec(e, 0x01, page_data)
        + rec(e, 0x08, tsc)
        + rec(e, 0x0A, params)
        + rec(e, 0x80000042, b"opt")
        + rec(e, end)
    )


def libxc(big: bool = False, end: int = 0x00) -> bytes:
    e = ">" if big else "<"
    image = b"\xff" * 8 + struct.pack(">IIHHI", 0x58454E46, 3, int(big), 0, 0)
    domain = struct.pack(f"{e}IHHII", 2, 12, 0, 4, 19)
    return image + domain + libxc_records(e, end)


def libxl(big: bool = False, checkpointed: bool = False) -> bytes:
    e = ">" if big else "<"
    out = b"LibxlFmt" + struct.pack(">II", 2, int(big)) + rec(e, 1)
    if checkpointed:
        out += libxc(big, end=0x0E)  # first section stops at CHECKPOINT
        out += rec(e, 5, struct.pack(f"{e}I", 2))  # CHECKPOINT_STATE, 4-octet body as Xen writes
        out += rec(e, 4)  # CHECKPOINT_END: the libxc stream resumes, records only
        out += rec(e, 0x0F, struct.pack(f"{e}QQ", 5, 6)) + rec(e, 0x0E)
        out += rec(e, 4)
        out += rec(e, 0x0D) + rec(e, 0x00)  # VERIFY, END
    else:
        out += libxc(big)
    store = struct.pack(f"{e}II", 2, 0) + b"state\0running\0"
    out += rec(e, 2, store) + rec(e, 3, struct.pack(f"{e}II", 2, 0) + b"QEVM" * 40)
    return out + rec(e, 0)


def xl_file(payload: bytes, big: bool = False, flags: int = 3, config: bytes = b"{}\0") -> bytes:
    e = ">" if big else "<"
    optional = struct.pack(f"{e}I", len(config)) + config
    head = b"Xen saved domain, xl format\n \0 \r"
    return head + struct.pack(f"{e}IIII", 0x01020304, flags, 0, len(optional)) + optional + payload


def check_libxc_section(section: Any, big: bool) -> None:
    recs = section.records
    assert [int(r.rec_type) for r in recs] == [0x11, 0x10, 0x01, 0x08, 0x0A, 0x80000042, 0x00]
    assert recs[0].body.leaves[0].subleaf == 0xFFFFFFFF
    pd = recs[2].body
    assert pd.num_pfns == 3
    entry = pd.pfns[0]
    assert (entry.pfn_high, entry.pfn_low) == (0x1, 0x23456789)
    assert [int(p.page_type) for p in pd.pfns] == [0x0, 0xF, 0xC]
    assert [p.has_data for p in pd.pfns] == [True, False, True]
    assert pd.pages[0].page == PAGE and pd.pages[2].page == PAGE[::-1]
    assert not hasattr(pd.pages[1], "page")
    assert (recs[3].body.khz, recs[3].body.nsec, recs[3].body.incarnation) == (2_400_000, 123, 4)
    params = [(int(p.index), p.value) for p in recs[4].body.params]
    assert params == [(1, 2**64 - 1), (99, 2**53)]
    assert recs[5].is_optional and recs[5].body == b"opt" and recs[5].padding == [0] * 5
    assert not recs[4].is_optional and recs[-1].is_end
    assert section.page_size == 4096


@pytest.mark.parametrize("big", [False, True])
def test_libxc(big: bool) -> None:
    s = XenLibxcStream.from_bytes(libxc(big))
    assert s.image_header.version == 3 and s.image_header.is_big_endian == big
    assert int(s.section.domain_header.guest_type) == 2
    check_libxc_section(s.section, big)


def test_libxc_on_its_own_reads_past_checkpoint() -> None:
    data = libxc(end=0x0E) + rec("<", 0x0D) + rec("<", 0)
    s = XenLibxcStream.from_bytes(data)
    assert [int(r.rec_type) for r in s.section.records][-3:] == [0x0E, 0x0D, 0x00]


@pytest.mark.parametrize("big", [False, True])
def test_libxl(big: bool) -> None:
    s = XenLibxlStream.from_bytes(libxl(big))
    assert s.is_big_endian == big and not s.is_legacy_converted
    assert [int(r.rec_type) for r in s.records] == [1, 2, 3, 0]
    check_libxc_section(s.records[0].libxc_stream.section, big)
    store = s.records[1].body
    assert int(store.emulator_id) == 2
    assert [(x.key, x.value) for x in store.entries] == [(b"state", b"running")]
    assert s.records[2].body.context == b"QEVM" * 40


@pytest.mark.parametrize("big", [False, True])
def test_libxl_checkpointed(big: bool) -> None:
    s = XenLibxlStream.from_bytes(libxl(big, checkpointed=True))
    kinds = [int(r.rec_type) for r in s.records]
    assert kinds == [1, 5, 4, 4, 2, 3, 0]
    first = s.records[0].libxc_stream.section
    assert first.ended_at_checkpoint and int(first.records[-1].rec_type) == 0x0E
    assert int(s.records[1].body.control_id) == 2 and s.records[1].body.reserved == []
    second = s.records[2].libxc_resumed
    assert [int(r.rec_type) for r in second.records] == [0x0F, 0x0E]
    assert second.records[0].body.pfns == [5, 6]
    third = s.records[3].libxc_resumed
    assert [int(r.rec_type) for r in third.records] == [0x0D, 0x00]
    assert not third.ended_at_checkpoint
    assert [r.libxc_open_after for r in s.records] == [True, True, True] + [False] * 4


@pytest.mark.parametrize("big", [False, True])
def test_optional_bit_in_every_layer(big: bool) -> None:
    # is_optional reads the type word again from where the record starts
    # (rec_type_raw); check that start in every place records are read: libxl
    # records inside an xl file, a libxc stream, and its resumed sections.
    e = ">" if big else "<"
    optional = rec(e, 0xFFFFFFFF, b"x") + rec(e, 0x7FFFFFFF)
    stream = libxl(big, checkpointed=True)
    f = XenXlSaveFile.from_bytes(xl_file(stream[:-8] + optional + stream[-8:], big))
    records = f.stream.records
    assert [int(r.rec_type) for r in records][-3:] == [0xFFFFFFFF, 0x7FFFFFFF, 0]
    assert [r.is_optional for r in records] == [False] * 6 + [True, False, False]
    sections = [records[0].libxc_stream.section, records[2].libxc_resumed, records[3].libxc_resumed]
    for r in records + [r for s in sections for r in s.records]:
        assert r.rec_type_raw == int(r.rec_type)
        assert r.is_optional == (r.rec_type_raw >= 0x80000000)
    assert [r.is_optional for r in sections[0].records].count(True) == 1


@pytest.mark.parametrize("big", [False, True])
def test_align_pad_is_named(big: bool) -> None:
    # Only 0xfffffff0 is ALIGN_PAD: not its neighbours, not the same low half
    # without bit 31, not the same halves swapped.
    e = ">" if big else "<"
    types = [0xFFFFFFF0, 0xFFFFFFF1, 0xFFFEFFF0, 0x7FFFFFF0, 0xFFF0FFFF]
    data = libxc(big)
    extra = b"".join(rec(e, t, bytes(8 * i)) for i, t in enumerate(types))
    s = XenLibxcStream.from_bytes(data[:-8] + extra + data[-8:])
    named = {r.rec_type_raw: r.is_align_pad for r in s.section.records[-6:-1]}
    assert named == {t: t == 0xFFFFFFF0 for t in types}
    pad = s.section.records[-6]
    assert pad.is_optional and pad.body == b""


@pytest.mark.parametrize("big", [False, True])
def test_xl(big: bool) -> None:
    f = XenXlSaveFile.from_bytes(xl_file(libxl(big), big))
    assert f.header.is_le != big and f.header.byteorder == 0x01020304
    assert f.header.has_json_config and f.header.has_stream_v2
    assert f.header.optional_data.config == b"{}\0" and f.header.optional_data.rest == b""
    assert [int(r.rec_type) for r in f.stream.records] == [1, 2, 3, 0]


def test_xl_legacy_and_no_config() -> None:
    f = XenXlSaveFile.from_bytes(xl_file(b"legacy octets", flags=0, config=b""))
    assert f.legacy_stream == b"legacy octets" and not hasattr(f, "stream")
    head = b"Xen saved domain, xl format\n \0 \r" + struct.pack("<IIII", 0x01020304, 2, 0, 0)
    f = XenXlSaveFile.from_bytes(head + libxl())
    assert not hasattr(f.header.optional_data, "config")


def corrupt(data: bytes, offset: int, value: bytes) -> bytes:
    return data[:offset] + value + data[offset + len(value) :]


PAGE_DATA_AT = 24 + 16 + 32 + 8  # headers, CPUID record, STATIC_DATA_END


@pytest.mark.parametrize(
    ("what", "layer", "data"),
    [
        ("marker", "libxc", corrupt(libxc(), 3, b"\0")),
        ("libxc version", "libxc", corrupt(libxc(), 12, struct.pack(">I", 4))),
        ("libxc options", "libxc", corrupt(libxc(), 16, struct.pack(">H", 2))),
        ("domain type", "libxc", corrupt(libxc(), 24, struct.pack("<I", 3))),
        ("pfn reserved bits", "libxc", corrupt(libxc(), PAGE_DATA_AT + 16 + 6, b"\x10")),
        ("pfn page type 5", "libxc", corrupt(libxc(), PAGE_DATA_AT + 16 + 7, b"\x50")),
        ("record padding", "libxc", corrupt(libxc(), len(libxc()) - 8 - 2, b"\x01")),
        ("truncated", "libxc", libxc()[:-3]),
        ("libxl magic", "libxl", corrupt(libxl(), 0, b"M")),
        ("libxl options", "libxl", corrupt(libxl(), 12, struct.pack(">I", 4))),
        ("xl byteorder", "xl", corrupt(xl_file(libxl()), 32, b"\x05")),
        ("xl mandatory flags", "xl", corrupt(xl_file(libxl()), 36, struct.pack("<I", 4))),
        ("xl optional flags", "xl", corrupt(xl_file(libxl()), 40, struct.pack("<I", 1))),
    ],
)
def test_rejections(what: str, layer: str, data: bytes) -> None:
    with pytest.raises((KaitaiStructError, EOFError)) as excinfo:
        kaitai_tree.parse(data, layer)
    if what != "truncated":  # rejected by a `valid` check, not by running out of data
        assert not isinstance(excinfo.value, EOFError), excinfo.value


def test_tree_rules() -> None:
    t: Any = kaitai_tree.tree(kaitai_tree.parse(libxc(), "libxc"))
    assert list(t) == ["image_header", "section"]
    assert t["image_header"]["marker"] == "ff" * 8
    recs = t["section"]["records"]
    assert list(recs[2]) == ["rec_type", "len_body", "body", "padding"]
    pd = recs[2]["body"]
    assert pd["pfns"][0] == {"pfn_low_le": 0x23456789, "pfn_high_le": 1, "reserved_le": 0,
                             "page_type_le": 0}  # fmt: skip
    assert pd["pages"][1] == {}
    assert pd["pages"][0] == {"page": {"length": 4096, "sha256": hashlib.sha256(PAGE).hexdigest()}}
    assert recs[4]["body"]["params"][0] == {"index": 1, "value": str(2**64 - 1)}
    assert recs[4]["body"]["params"][1]["value"] == str(2**53)
    assert recs[5]["body"] == "6f7074"
    text = kaitai_tree.dumps(t)
    assert text.endswith("\n") and " " not in text and json.loads(text) == t


def test_command_line(tmp_path: Path) -> None:
    good = tmp_path / "good.bin"
    good.write_bytes(xl_file(libxl()))
    out: list[str] = []
    assert kaitai_tree.main([str(good)], out.append) == 0
    assert json.loads(out[0])["header"]["byteorder"] == 0x01020304
    bad = tmp_path / "bad.bin"
    bad.write_bytes(libxc()[:100])
    out.clear()
    assert kaitai_tree.main([str(bad), "--type", "libxc"], out.append) == 1
    assert json.loads(out[0])["kind"] == "EOFError"
    assert kaitai_tree.main([str(tmp_path / "missing.bin")], out.append) == 2
    assert kaitai_tree.main([str(good), "--type", "nope"], out.append) == 2


def _node() -> str | None:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "kaitai-struct").is_dir():
        return None
    return node


CASES = {
    "libxc-le": (libxc(), "libxc"),
    "libxc-be": (libxc(True), "libxc"),
    "libxl-checkpointed-be": (libxl(True, True), "libxl"),
    "xl-le": (xl_file(libxl()), "xl"),
    "xl-be-checkpointed": (xl_file(libxl(True, True), True), "xl"),
    "xl-legacy": (xl_file(b"old", flags=0), "xl"),
    "bad-pfn-type": (corrupt(libxc(), PAGE_DATA_AT + 16 + 7, b"\x60"), "libxc"),
    "truncated": (libxl()[:-5], "libxl"),
    "huge-length": (corrupt(libxc(), PAGE_DATA_AT + 4, b"\xff\xff\xff\xff"), "libxc"),
}


@pytest.mark.skipif(_node() is None, reason="node or node_modules not installed")
@pytest.mark.parametrize("name", sorted(CASES))
def test_dump_js_agrees(name: str, tmp_path: Path) -> None:
    data, layer = CASES[name]
    path = tmp_path / f"{name}.bin"
    path.write_bytes(data)
    js = subprocess.run(
        [str(_node()), str(DUMP_JS), str(path), "--type", layer],
        capture_output=True,
        text=True,
        check=False,
    )
    out: list[str] = []
    code = kaitai_tree.main([str(path), "--type", layer], out.append)
    assert js.returncode == code, js.stderr
    if code == 0:
        assert js.stdout == out[0]
    else:
        assert json.loads(js.stdout)["kind"] == json.loads(out[0])["kind"]
