"""xend save files (xm save): xend's S-expression grammar, reading, the XEND rules,
dump (device-model state told apart), convert to xl, diff, and the configuration API."""

from __future__ import annotations

import hashlib
import io
import json
import struct
from pathlib import Path

import pytest

from generators.corpus.xend import config, qemu_state, small_image, xend_bytes
from xensave import devmodel
from xensave.checker import check_bytes
from xensave.cli import main
from xensave.legacy.format import encode
from xensave.legacy.read import LegacyHeader
from xensave.reader import Reader, XlHeader
from xensave.xend import SxpSyntaxError, XendHeader, parse_sxp, sxp_text
from xensave.xend_config import XendConfigError, read_config, write_with_config, xl_config_of

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "conformance" / "corpus"
GUESTS = ("hvm", "x86_64-pv", "x86_32-pv")


def xm(guest: str, cfg: bytes | None = None) -> bytes:
    return xend_bytes(config(guest) if cfg is None else cfg, encode(small_image(guest)))


# --- xend's grammar (tools/python/xen/xend/sxp.py:Parser) ----------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"(domain (name a) (vcpus 2))", ["domain", ["name", "a"], ["vcpus", "2"]]),
        (b"  # comment (not a list\n(a)", ["a"]),
        (b"(a \"x y\" 'z')", ["a", "x y", "z"]),
        (rb'(a "\t\x41\101\q")', ["a", "\t\x41\x41\\"]),  # \q: backslash kept, q dropped
        (b"(a b;c [d])", ["a", "b", ";c", "[d", "]"]),  # separators end atoms, start new ones
        (b"(a)\x04)))", ["a"]),  # ctrl-D ends the input: the rest is never read
        (b"(a (b (c)))", ["a", ["b", ["c"]]]),
    ],
)
def test_sxp_values(text: bytes, value: object) -> None:
    assert parse_sxp(text).value == value


@pytest.mark.parametrize(
    "text",
    [
        b"(a))",  # a ')' closing no list, even after the first value
        b")",
        b"(a \x01)",  # not printable where a token starts
        b"(a \x04)",  # ctrl-D inside a list
        b'(a "\\777")',  # an octal escape over 0xff
        b'(a "\\xg1")',  # \x without hex digits
        b"(a \xc3\xa9)",  # a non-ASCII octet where a token starts
    ],
)
def test_sxp_errors_where_xend_raises(text: bytes) -> None:
    with pytest.raises(SxpSyntaxError):
        parse_sxp(text)


@pytest.mark.parametrize(
    ("text", "value", "rest"),
    [
        (b"(a", None, False),  # an open list: no value and no error
        (b'(a) "open', ["a"], True),  # an open string at the end: no error
        (b"(a) atom", ["a"], True),  # an atom at the very end is never completed
        (b"atom (a)", "atom", True),  # the first value is an atom
        (b"(a)  # done\n", ["a"], False),
        (b"", None, False),
    ],
)
def test_sxp_incomplete_input(text: bytes, value: object, rest: bool) -> None:
    got = parse_sxp(text)
    assert (got.value, got.rest) == (value, rest)


def test_sxp_text_reads_back() -> None:
    v = ["domain", ["name", "two words"], ["args", 'q"uote\\ \x01'], ["empty", ""], ["x", "(y)"]]
    assert parse_sxp(sxp_text(v).encode("latin-1")).value == v


def test_deep_nesting_costs_no_stack() -> None:
    depth = 200_000
    got = parse_sxp(b"(" * depth + b")" * depth)
    v = got.value
    for _ in range(depth - 1):
        assert isinstance(v, list)
        v = v[0]
    assert v == []


def test_hostile_configuration_costs_bounded_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parentheses (or atoms) by the hundred thousand would cost tens of MB as lists;
    the parse keeps SXP_NODES_MAX values (1000 here) and still reads to the end for
    xend's errors."""
    import tracemalloc

    from xensave import xend

    monkeypatch.setattr(xend, "SXP_NODES_MAX", 1000)
    size = 1 << 17
    for text in (b"(" * size + b")" * size, b"(" + b"a " * size + b")"):
        tracemalloc.start()
        got = parse_sxp(text)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert got.truncated and isinstance(got.value, list)
        assert peak < 3 << 20, peak  # the text as str and 1000 values; lists: 8+ MB
    with pytest.raises(SxpSyntaxError):  # an error past the kept values is still found
        parse_sxp(b"(" * 2000 + b"\x04")
    with pytest.raises(SxpSyntaxError):
        parse_sxp(b"(" + b"a " * 2000 + b"\x01)")
    with pytest.raises(SxpSyntaxError):
        parse_sxp(b"(" * 2000 + b")" * 2001)


# --- reading and the rules -----------------------------------------------------------------------


@pytest.mark.parametrize("guest", GUESTS)
def test_read_and_verify(guest: str) -> None:
    data = xm(guest)
    events = list(Reader(io.BytesIO(data)))
    h = events[0]
    assert isinstance(h, XendHeader) and h.config == config(guest)
    legacy = events[1]
    assert isinstance(legacy, LegacyHeader)
    assert legacy.offset == 20 + len(config(guest))
    assert legacy.guest == ("hvm" if guest == "hvm" else "pv")
    report = check_bytes(data)
    assert report.valid and report.layer == "xend", report.errors


@pytest.mark.parametrize(
    ("cfg", "rule"),
    [
        (b"(domain (name a)))", "XEND-CFG-002"),
        (b"domain (name a)", "XEND-CFG-002"),  # the first value is an atom
        (b"(vm (name a) (image (hvm)))", "XEND-CFG-003"),
        (b"(domain (image (hvm))) (more)", "XEND-CFG-004"),
        (b"(domain (image (linux)))", "XEND-CFG-005"),
    ],
)
def test_config_rules(cfg: bytes, rule: str) -> None:
    got = {d.rule for d in check_bytes(xm("hvm", cfg)).diagnostics}
    assert rule in got


def test_signature_and_device_model_rules() -> None:
    """XEND-HDR-001 (an error, the file still read as xend's) and XEND-DM-001 (a
    warning: xc_domain_restore reads the length-framed record too)."""
    damaged = check_bytes(b"LinuxGuestRecorD" + xm("hvm")[16:])
    assert [(d.rule, d.offset) for d in damaged.errors] == [("XEND-HDR-001", 15)]
    framed = xend_bytes(config("hvm"), encode(small_image("hvm", dm=b"DeviceModelRecord0002")))
    report = check_bytes(framed)
    assert report.valid and [d.rule for d in report.warnings] == ["XEND-DM-001"]
    every = {d.rule for d in check_bytes(xm("hvm")).diagnostics}
    assert not any(r.startswith("XEND-") for r in every)


def test_every_cut_of_the_header_is_a_clean_verdict() -> None:
    data = xm("hvm")
    for cut in range(1, 20 + len(config("hvm")) + 8):
        report = check_bytes(data[:cut])
        assert not report.valid
        assert not any("internal error" in d.message for d in report.diagnostics), cut


@pytest.mark.parametrize("length", [0, -1, -(2**31), 2**31 - 1])
def test_config_length_out_of_range(length: int) -> None:
    data = b"LinuxGuestRecord" + struct.pack(">i", length) + config("hvm")
    report = check_bytes(data)
    assert [d.rule for d in report.errors] == ["XEND-CFG-001"]


def test_verify_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.xm"
    good.write_bytes(xm("x86_64-pv"))
    bad = tmp_path / "bad.xm"
    bad.write_bytes(xm("x86_64-pv", config("x86_64-pv", "hvm")))
    assert main(["verify", str(good)]) == 0
    assert main(["verify", str(bad)]) == 1
    assert "XEND-CFG-005" in capsys.readouterr().out


# --- dump: the device model told apart -----------------------------------------------------------


def test_dump_names_the_device_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "hvm.xm"
    path.write_bytes(xm("hvm"))
    assert main(["dump", "--json", str(path)]) == 0
    items = json.loads(capsys.readouterr().out)["items"]
    assert items[0]["kind"] == "xend_header" and items[0]["domain_name"] == "sample-hvm"
    dm = next(i["device_model"] for i in items if "device_model" in i)
    state = qemu_state()
    assert dm["writer"] == "qemu-traditional"
    assert (dm["format"], dm["qevm_version"], dm["first_section_id"]) == ("QEVM", 3, "timer")
    assert (dm["size"], dm["sha256"]) == (len(state), hashlib.sha256(state).hexdigest())
    assert main(["dump", str(path)]) == 0
    text = capsys.readouterr().out
    assert "xend save file" in text and "written by qemu-traditional, QEVM v3" in text


def test_long_state_is_digested_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A state longer than the reader keeps is digested from the file, not its prefix."""
    img = small_image("hvm")
    tail = img.checkpoints[0].tail
    state = qemu_state() + bytes(range(256)) * 1024  # 256 KiB more
    tail.dm_data = state  # type: ignore[union-attr]
    path = tmp_path / "big.xm"
    path.write_bytes(xend_bytes(config("hvm"), encode(img)))
    assert main(["dump", "--json", str(path)]) == 0
    items = json.loads(capsys.readouterr().out)["items"]
    dm = next(i["device_model"] for i in items if "device_model" in i)
    assert (dm["size"], dm["sha256"]) == (len(state), hashlib.sha256(state).hexdigest())


def test_qevm_header_of_other_states() -> None:
    upstream = b"QEVM" + struct.pack(">IBI", 3, 0x07, 5) + b"xenfv"
    assert devmodel.qevm_header(upstream)["machine"] == "xenfv"
    assert devmodel.qevm_header(b"QEVM\x00\x00\x00\x09")["qevm_version_note"]
    assert devmodel.qevm_header(b"\x00\x01\x02\x03")["format"] == "not a QEVM stream"


# --- convert --------------------------------------------------------------------------------------


@pytest.mark.parametrize("guest", GUESTS)
def test_convert_to_xl(tmp_path: Path, guest: str) -> None:
    src = tmp_path / "in.xm"
    src.write_bytes(xm(guest))
    out = tmp_path / "out.xl"
    assert main(["convert", str(src), str(out)]) == 0
    data = out.read_bytes()
    assert check_bytes(data).valid
    h = next(iter(Reader(io.BytesIO(data))))
    assert isinstance(h, XlHeader) and h.stream_v2 and h.mandatory_flags & 1 and h.config
    cfg = json.loads(h.config.rstrip(b"\x00"))
    pv = guest != "hvm"
    assert cfg["c_info"] == {
        "type": "pv" if pv else "hvm",
        "name": f"sample-{guest}",
        "uuid": "8c1f3a52-6d0e-4b7a-9f21-3e5d7c9a0b14",
    }
    assert cfg["b_info"]["max_vcpus"] == 1
    assert cfg["b_info"]["target_memkb"] == cfg["b_info"]["max_memkb"] == 128 * 1024
    assert cfg["on_reboot"] == "restart"
    assert cfg["nics"] == [{"mac": "00:16:3e:5a:01:02", "bridge": "xenbr0"}]
    disk = cfg["disks"][0]
    assert disk["pdev_path"] == ("/dev/vg0/sample" if pv else "/var/lib/xen/images/sample.img")
    assert (disk["vdev"], disk["format"], disk["readwrite"]) == ("xvda" if pv else "hda", "raw", 1)
    if pv:
        assert cfg["b_info"]["cmdline"] == "root=/dev/xvda1 ro"
        assert cfg["b_info"]["kernel"] == "/boot/vmlinuz-xen"
    else:
        assert cfg["b_info"]["device_model_version"] == "qemu_xen_traditional"
    # the stream after the xl header is what the bare legacy image converts to
    bare = tmp_path / "bare.legacy"
    bare.write_bytes(encode(small_image(guest)))
    libxl = tmp_path / "bare.libxl"
    assert main(["convert", "--to", "libxl", str(bare), str(libxl)]) == 0
    assert data[48 + h.optional_data_len :] == libxl.read_bytes()


def test_config_mapping_says_what_it_leaves_out() -> None:
    cfg = parse_sxp(
        b"(domain (name a) (cpus 0-3) (on_crash rename-restart) (image (hvm (acpi 1)))"
        b" (device (vfb (vnc 1))) (device (vbd (uname iscsi:x) (dev hda))))"
    ).value
    assert isinstance(cfg, list)
    out, notes = xl_config_of(cfg, "hvm")
    assert out["on_crash"] == "restart_rename"
    assert "disks" not in out
    said = " ".join(notes)
    for what in ("cpus", "vfb", "iscsi", "image's other settings"):
        assert what in said, what


def test_convert_refuses_a_config_xend_cannot_parse(tmp_path: Path) -> None:
    src = tmp_path / "in.xm"
    src.write_bytes(xm("hvm", config("hvm", tail=")")))
    out = tmp_path / "out.xl"
    assert main(["convert", str(src), str(out)]) == 1
    assert not out.exists()


# --- the configuration API and diff -------------------------------------------------------------


def test_write_with_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.xm"
    original = xm("hvm")
    src.write_bytes(original)
    raw, value = read_config(str(src))
    assert raw == config("hvm")
    assert isinstance(value, list) and ["memory", "128"] in value
    value[value.index(["memory", "128"])] = ["memory", "256"]
    dst = tmp_path / "out.xm"
    write_with_config(str(src), str(dst), value)
    new = dst.read_bytes()
    new_raw, new_value = read_config(str(dst))
    assert new_value == value
    assert new[20 + len(new_raw) :] == original[20 + len(raw) :]  # the image, untouched
    assert check_bytes(new).valid
    assert src.read_bytes() == original
    with pytest.raises(XendConfigError):
        write_with_config(str(src), str(tmp_path / "x.xm"), b"(domain (a)))")
    with pytest.raises(XendConfigError):
        write_with_config(str(src), str(tmp_path / "x.xm"), ["vm", ["a", "1"]])
    assert not (tmp_path / "x.xm").exists()
    from xensave.outputs import OutputError

    with pytest.raises(OutputError):  # an existing OUT without force
        write_with_config(str(src), str(dst), value)
    with pytest.raises(OutputError):  # the input itself
        write_with_config(str(src), str(src), value, force=True)
    # diff shows the edit: the configuration, and nothing of the image
    assert main(["diff", str(src), str(dst)]) == 1
    text = capsys.readouterr().out
    assert "xend_header.config" in text and "b_info.target_memkb: 131072 -> 262144" in text
    assert "device-model" not in text and "pages:" not in text


def test_diff_compares_device_model_state_by_digest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = tmp_path / "a.xm"
    a.write_bytes(xm("hvm"))
    data = bytearray(a.read_bytes())
    data[-2] ^= 0xFF  # one octet of qemu's state
    b = tmp_path / "b.xm"
    b.write_bytes(bytes(data))
    assert main(["diff", "--json", str(a), str(b)]) == 1
    d = json.loads(capsys.readouterr().out)
    (dm,) = d["differences"]["device_model"] if "differences" in d else d["device_model"]
    assert dm["a"]["sha256"] == hashlib.sha256(qemu_state()).hexdigest()
    assert dm["a"]["sha256"] != dm["b"]["sha256"]
    assert dm["a"]["writer"] == dm["b"]["writer"] == "qemu-traditional"
    assert main(["diff", str(a), str(a)]) == 0


def test_corpus_has_each_guest() -> None:
    valid = sorted(p.name for p in CORPUS.glob("y_xend-*"))
    assert valid == [f"y_xend-legacy_{g}_xm-save.bin" for g in sorted(GUESTS)]


def test_target_xen_follows_the_declared_restorability() -> None:
    """xend restored these files up to 4.4; xl of 4.5 and later refuses them (the
    recipes declare it; ``--target-xen`` must agree for every release)."""
    from xensave import target

    manifest = json.loads((CORPUS.parent / "manifest.json").read_text())
    cases = [c for c in manifest["cases"] if c["layer"] == "xend"]
    assert cases
    for c in cases:
        declared = target.release_set(c["restorable"])
        for rel in target.all_releases():
            with (CORPUS.parent / c["file"]).open("rb") as f:
                assert target.judge_stream(f, rel).restorable == (rel in declared), (c, rel)
