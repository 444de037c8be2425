"""xensave edit: each change read back by the decoders (not by the editor), shown by
diff and nothing else, refused with the rule named when it breaks one, and OUT
written only when it verifies."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

import pytest

from xensave import hvm_context
from xensave.checker import check_bytes
from xensave.cli import main
from xensave.diff import diff_files
from xensave.reader import Reader, ReadError, RecordEvent, XlHeader

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "conformance" / "corpus"
HVM_XL = CORPUS / "y_xl-v3_hvm_typical.bin"
PV64_XL = CORPUS / "y_xl-v3_x86_64-pv_typical.bin"
PV32 = CORPUS / "y_libxc-v3_x86_32-pv_typical.bin"
EVERY = CORPUS / "y_libxc-v3_hvm_hvm-context-every-typecode.bin"
LIBVIRT = CORPUS / "y_libvirt-v3_hvm_in-libvirt.bin"
LIBXL = CORPUS / "y_libxl-v3_hvm_typical.bin"
REMUS = CORPUS / "y_libxc-v3_hvm_remus-three-checkpoints.bin"
LEGACY = CORPUS / "y_legacy-legacy_x86_64-pv_toolstack-64.bin"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["edit", *map(str, argv)])
    out, err = capsys.readouterr()
    return rc, out, err


def records(path: Path, rtype: int) -> list[RecordEvent]:
    out: list[RecordEvent] = []
    with open(path, "rb") as f:
        try:
            for e in Reader(f):
                if isinstance(e, RecordEvent) and e.type == rtype and e.layer == "libxc":
                    out.append(e)
        except ReadError as exc:  # a checkpointed stream may end after a checkpoint
            assert exc.rule == "XC-END-002", exc
    return out


def hvm_entry(path: Path, name: str, instance: int) -> Any:
    (rec,) = records(path, 0x09)  # HVM_CONTEXT
    ctx = hvm_context.decode(rec.body)
    return next(e for e in ctx.entries if e.name == name and e.instance == instance)


def params(path: Path) -> dict[int, int]:
    (rec,) = records(path, 0x0A)  # HVM_PARAMS: count, reserved, {index, value}...
    count = struct.unpack_from("<I", rec.body)[0]
    flat = struct.unpack_from(f"<{2 * count}Q", rec.body, 8)
    return dict(zip(flat[0::2], flat[1::2], strict=True))


def pv_word(path: Path, vcpu: int, offset: int, code: str) -> int:
    """A field of vCPU ``vcpu``'s vcpu_guest_context at ``offset`` (Xen's public headers:
    x86_64 user_regs start at 512 + 8, rip after 15 GPRs and two u32 words)."""
    for rec in records(path, 0x04):  # X86_PV_VCPU_BASIC
        if struct.unpack_from("<I", rec.body)[0] == vcpu:
            return int(struct.unpack_from("<" + code, rec.body, 8 + offset)[0])
    raise AssertionError(f"no vcpu {vcpu}")


def diff(a: Path, b: Path) -> dict[str, Any]:
    d, _a, _b = diff_files(str(a), str(b))
    return d


def valid(path: Path) -> bool:
    return check_bytes(path.read_bytes()).valid


# --- registers ---------------------------------------------------------------------


def test_hvm_register_set_and_diff_shows_only_it(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out.xl"
    rc, text, _ = run(capsys, "--set", "vcpu1.rip=0xffffffff81000abc", HVM_XL, out)
    assert rc == 0, text
    assert "vcpu1.rip" in text and "verified" in text
    regs = hvm_context.cpu_registers(hvm_entry(out, "CPU", 1).raw)
    assert regs is not None and regs["rip"] == 0xFFFFFFFF81000ABC
    assert valid(out)
    d = diff(HVM_XL, out)
    assert d["registers"] == [
        {"vcpu": 1, "register": "rip", "a": d["registers"][0]["a"], "b": 0xFFFFFFFF81000ABC}
    ]
    assert d["records"] == {"bodies_differ": ["libxc HVM_CONTEXT"]}
    assert set(d) == {"records", "registers"}  # no page, header or param moved


def test_hvm_segment_flags_are_stored_as_xen_packs_them(tmp_path: Path, capsys: Any) -> None:
    # descriptor high word 0x00a09b00 (G, L, P, DPL 0, code) -> Xen's arbytes 0xa9b
    out = tmp_path / "out.xl"
    rc, _, err = run(capsys, "--set", "vcpu0.cs_flags=0xa09b00", HVM_XL, out)
    assert rc == 0, err
    regs = hvm_context.cpu_registers(hvm_entry(out, "CPU", 0).raw)
    assert regs is not None and regs["cs_arbytes"] == 0xA9B


def test_pv64_registers(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out.xl"
    rc, _, err = run(capsys, "--set", "vcpu0.rip=0x1000", "--set", "vcpu1.rax=7", PV64_XL, out)
    assert rc == 0, err
    # vcpu_guest_context x86_64: fpu 512, flags 8, then r15..rdi (15 x 8), two u32, rip
    assert pv_word(out, 0, 512 + 8 + 15 * 8 + 8, "Q") == 0x1000
    assert pv_word(out, 1, 512 + 8 + 10 * 8, "Q") == 7  # rax: after r15..r8
    regs = {(x["vcpu"], x["register"]): x["b"] for x in diff(PV64_XL, out)["registers"]}
    assert regs == {(0, "rip"): 0x1000, (1, "rax"): 7}


def test_pv_context_field_beside_the_registers(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out.xl"
    rc, _, err = run(capsys, "--set", "vcpu1.kernel_sp=0xffffc90000123000", PV64_XL, out)
    assert rc == 0, err
    # x86_64 tail: ldt_base, ldt_ents, gdt_frames[16], gdt_ents, kernel_ss, kernel_sp
    tail = 512 + 8 + 25 * 8 + 256 * 16  # user_regs 200 octets, trap_info 16 each
    assert pv_word(out, 1, tail + (2 + 16 + 2) * 8, "Q") == 0xFFFFC90000123000
    d = diff(PV64_XL, out)
    assert [x["field"] for x in d["pv_context"]] == ["vcpu1.kernel_sp"]
    assert "registers" not in d


def test_should_rule_broken_is_written_with_a_warning(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out.xl"
    rc, text, err = run(capsys, "--param", "PAE_ENABLED=1", HVM_XL, out)
    assert rc == 0, err
    assert "warning:" in text and "XC-HVMP-011" in text
    assert params(out)[4] == 1


def test_pv_selector_is_16_bits(tmp_path: Path, capsys: Any) -> None:
    rc, _, err = run(capsys, "--set", "vcpu0.cs=0x10000", PV64_XL, tmp_path / "o")
    assert rc == 2 and "16-bit" in err and not (tmp_path / "o").exists()


def test_pv32_rip_is_eip(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out.xc"
    rc, _, err = run(capsys, "--set", "vcpu0.rip=0xc0100000", PV32, out)
    assert rc == 0, err
    # x86_32: fpu 512, flags 4, ebx..eax (7 x 4), error_code u16, entry_vector u16, eip
    assert pv_word(out, 0, 512 + 4 + 7 * 4 + 4, "I") == 0xC0100000


def test_checkpointed_image_sets_every_copy(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out.xc"
    rc, text, err = run(capsys, "--set", "vcpu0.rax=0x55", REMUS, out)
    assert rc == 0, err
    recs = records(out, 0x09)
    assert len(recs) > 1
    for rec in recs:
        cpu = next(e for e in hvm_context.decode(rec.body).entries if e.name == "CPU")
        assert hvm_context.cpu_registers(cpu.raw)["rax"] == 0x55  # type: ignore[index]
    assert "set in each" in text


# --- HVM context fields and params -------------------------------------------------


def test_hpet_fields(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out.xc"
    rc, _, err = run(
        capsys,
        "--hvm-set",
        "HPET[0].config=0x3",
        "--hvm-set",
        "HPET[0].timers[1].cmp=0x55",
        EVERY,
        out,
    )
    assert rc == 0, err
    fields = hvm_entry(out, "HPET", 0).fields
    assert fields["config"] == 3 and fields["timers"][1]["cmp"] == 0x55
    before = hvm_entry(EVERY, "HPET", 0).fields
    d = diff(EVERY, out)
    assert d["hvm_context"] == [
        {"field": "HPET[0].config", "a": before["config"], "b": 3},
        {"field": "HPET[0].timers[1].cmp", "a": before["timers"][1]["cmp"], "b": 0x55},
    ]
    assert "registers" not in d and "pages" not in d


def test_octet_string_fields_by_octet(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out.xc"
    before = hvm_entry(EVERY, "RTC", 0).fields["cmos_data"]
    rc, _, err = run(capsys, "--hvm-set", "RTC[0].cmos_data[11]=0x26", EVERY, out)
    assert rc == 0, err
    after = hvm_entry(out, "RTC", 0).fields["cmos_data"]
    assert after[11] == 0x26 and after[:11] + after[12:] == before[:11] + before[12:]
    rc, _, err = run(capsys, "--hvm-set", "RTC[0].cmos_data[11]=0x100", EVERY, tmp_path / "x")
    assert rc == 2 and "8-bit" in err


def test_params_changed_and_added(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out.xl"
    before = params(HVM_XL)
    assert 10 not in before  # TIMER_MODE (params.h index 10) is not sent by this image
    store = 1  # HVM_PARAM_STORE_PFN
    rc, _, err = run(
        capsys,
        "--param",
        "TIMER_MODE=2",
        "--param",
        f"HVM_PARAM_STORE_PFN={before[store] - 1}",
        HVM_XL,
        out,
    )
    assert rc == 0, err
    after = params(out)
    assert after[10] == 2 and after[store] == before[store] - 1
    assert {k: v for k, v in after.items() if k not in (10, store)} == {
        k: v for k, v in before.items() if k != store
    }
    names = {p["param"] for p in diff(HVM_XL, out)["hvm_params"]}
    assert names == {"TIMER_MODE", "STORE_PFN"}


def test_json_report(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out.xc"
    old = hvm_entry(EVERY, "HPET", 0).fields["config"]
    rc, text, _ = run(capsys, "--json", "--hvm-set", "HPET[0].config=0x2", EVERY, out)
    assert rc == 0
    report = json.loads(text)
    assert report["written"] is True
    (change,) = report["changes"]
    assert change["target"] == "HPET[0].config"
    assert (change["old"], change["new"]) == (old, 2)
    assert change["where"].endswith("HVM_CONTEXT")


# --- configurations ----------------------------------------------------------------


def test_xl_config_replaced(tmp_path: Path, capsys: Any) -> None:
    cfg = tmp_path / "dom.json"
    cfg.write_text(json.dumps({"c_info": {"name": "renamed", "type": "hvm"}, "b_info": {}}))
    out = tmp_path / "out.xl"
    rc, _, err = run(capsys, "--config", cfg, HVM_XL, out)
    assert rc == 0, err
    with open(out, "rb") as f:
        hdr = next(iter(Reader(f)))
    assert isinstance(hdr, XlHeader)
    assert hdr.config is not None and hdr.config.endswith(b"}\x00")  # xl's NUL
    assert json.loads(hdr.config[:-1])["c_info"]["name"] == "renamed"
    assert hdr.mandatory_flags & 1  # JSON
    d = diff(HVM_XL, out)
    assert {"key": "c_info.name", "a": "sample-hvm", "b": "renamed"} in d["config"]
    assert "pages" not in d and "records" not in d


def test_libvirt_xml_replaced(tmp_path: Path, capsys: Any) -> None:
    cfg = tmp_path / "dom.xml"
    cfg.write_text("<domain type='xen'><name>moved</name></domain>\n")
    out = tmp_path / "out.libvirt"
    rc, _, err = run(capsys, "--config", cfg, LIBVIRT, out)
    assert rc == 0, err
    data = out.read_bytes()
    xml_len = struct.unpack_from("<I", data, 0x14)[0]
    assert data[64 : 64 + xml_len] == cfg.read_bytes() + b"\x00"
    assert valid(out)
    assert any("<name>moved</name>" in line for line in diff(LIBVIRT, out)["xml"])


@pytest.mark.parametrize(
    "image,text,rule",
    [
        (HVM_XL, "<domain/>", None),  # XML for an xl file: a usage error
        (LIBVIRT, "<!DOCTYPE d [<!ENTITY x 'y'>]><domain>&x;</domain>", "LVF-XML-004"),
        (LIBVIRT, "<network/>", "LVF-XML-004"),
        (HVM_XL, "[1, 2]", "XLF-CFG-003"),
        (LIBXL, "{}", None),  # a bare libxl stream has no configuration
    ],
)
def test_bad_configs_refused(
    tmp_path: Path, capsys: Any, image: Path, text: str, rule: str | None
) -> None:
    cfg = tmp_path / "cfg"
    cfg.write_text(text)
    out = tmp_path / "out"
    rc, _, err = run(capsys, "--config", cfg, image, out)
    assert rc == (2 if rule is None else 1)
    if rule:
        assert rule in err
    assert not out.exists()


# --- hostile and refused edits -----------------------------------------------------


@pytest.mark.parametrize(
    "image,args,rule",
    [
        (EVERY, ["--param", "BUFIOREQ_EVTCHN=1"], "XC-HVMP-007"),
        (EVERY, ["--hvm-set", "HEADER[0].magic=0"], "HVM-HDR-002"),
        (PV64_XL, ["--set", "vcpu0.cr3=0x5000"], "PV-CR3-001"),
    ],
)
def test_an_edit_that_breaks_a_rule_is_refused(
    tmp_path: Path, capsys: Any, image: Path, args: list[str], rule: str
) -> None:
    out = tmp_path / "out"
    rc, _, err = run(capsys, *args, image, out)
    assert rc == 1
    assert f"the edit would break {rule}" in err
    assert os.listdir(tmp_path) == []  # neither OUT nor a temporary file


@pytest.mark.parametrize(
    "args",
    [
        ["--set", "vcpu0.nosuch=1"],
        ["--set", "vcpu9.rip=1"],
        ["--set", "vcpu0.cs_limit=0x100000000"],  # a 32-bit field
        ["--set", "rip=1"],
        ["--hvm-set", "HPET[0].config=1"],  # this image has no HPET entry
        ["--hvm-set", "NOSUCH[0].x=1"],
        ["--param", "NO_SUCH_PARAM=1"],
        ["--set", "vcpu0.rip=-1"],
        [],
    ],
)
def test_usage_errors(tmp_path: Path, capsys: Any, args: list[str]) -> None:
    out = tmp_path / "out"
    rc, _, err = run(capsys, *args, HVM_XL, out)
    assert rc == 2, err
    assert "internal error" not in err and "Traceback" not in err
    assert not out.exists()


def test_never_clobbers(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out.xl"
    out.write_bytes(b"keep")
    rc, _, err = run(capsys, "--set", "vcpu0.rax=1", HVM_XL, out)
    assert rc == 2 and "--force" in err and out.read_bytes() == b"keep"
    rc, _, _ = run(capsys, "--force", "--set", "vcpu0.rax=1", HVM_XL, out)
    assert rc == 0 and valid(out)
    copy = tmp_path / "in.xl"
    copy.write_bytes(HVM_XL.read_bytes())
    rc, _, err = run(capsys, "--force", "--set", "vcpu0.rax=1", copy, copy)
    assert rc == 2 and copy.read_bytes() == HVM_XL.read_bytes()


def test_input_that_does_not_verify_is_said_to(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "bad.xc"
    data = bytearray(EVERY.read_bytes())
    (rec,) = records(EVERY, 0x0A)
    struct.pack_into("<I", data, rec.offset + 8 + 4, 1)  # HVM_PARAMS reserved word
    bad.write_bytes(bytes(data))
    assert not valid(bad)
    out = tmp_path / "out"
    rc, _, err = run(capsys, "--set", "vcpu0.rax=1", bad, out)
    assert rc == 1 and "IN does not verify clean" in err and not out.exists()


def test_legacy_input_refused(tmp_path: Path, capsys: Any) -> None:
    rc, _, err = run(capsys, "--set", "vcpu0.rip=1", LEGACY, tmp_path / "o")
    assert rc == 1 and "convert it first" in err
    rc, _, err = run(capsys, "--config", HVM_XL, LEGACY, tmp_path / "o")
    assert rc == 2 and "no configuration" in err


def test_config_of_a_legacy_xl_file(tmp_path: Path, capsys: Any) -> None:
    """The xl header of a pre-4.6 xl file is edited as it is; its legacy stream is
    copied untouched and judged by the legacy rules."""
    src = tmp_path / "legacy.xl"
    from xensave.legacy.samples import XL_CONFIG
    from xensave.legacy.samples import build as legacy_build

    s = legacy_build(64, "pv", xl_config=XL_CONFIG)
    src.write_bytes(s.data())
    cfg = tmp_path / "dom.json"
    cfg.write_text('{"c_info": {"name": "old"}}')
    out = tmp_path / "out.xl"
    rc, _, err = run(capsys, "--config", cfg, src, out)
    assert rc == 0, err
    with open(out, "rb") as f:
        h = next(iter(Reader(f)))
    assert isinstance(h, XlHeader) and not h.stream_v2
    assert h.config == cfg.read_bytes() + b"\x00"
    old_len = 48 + struct.unpack_from("<I", src.read_bytes(), 44)[0]
    assert out.read_bytes()[48 + h.optional_data_len :] == src.read_bytes()[old_len:]


def test_page_data_is_copied_not_read(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Everything but the rebuilt records moves through copy_file_range."""
    copied = []
    real = os.copy_file_range

    def spy(src: int, dst: int, count: int, offset_src: int | None = None) -> int:
        n = real(src, dst, count, offset_src)
        copied.append(n)
        return n

    monkeypatch.setattr(os, "copy_file_range", spy)
    out = tmp_path / "out.xl"
    rc, _, _ = run(capsys, "--set", "vcpu0.rax=1", HVM_XL, out)
    assert rc == 0
    (rec,) = records(HVM_XL, 0x09)
    assert sum(copied) == HVM_XL.stat().st_size - (8 + rec.length + len(rec.padding))


def test_held_records_are_bounded(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory follows what the edit changes, capped: a checkpointed image repeats its
    HVM context per checkpoint, and no more than HELD_MAX octets of them are held."""
    import xensave.edit

    size = sum(r.length for r in records(REMUS, 0x09))
    monkeypatch.setattr(xensave.edit, "HELD_MAX", size - 1)
    rc, _, err = run(capsys, "--set", "vcpu0.rax=1", REMUS, tmp_path / "o")
    assert rc == 1 and "MiB in all" in err and not (tmp_path / "o").exists()
    monkeypatch.setattr(xensave.edit, "HELD_MAX", size)
    rc, _, err = run(capsys, "--set", "vcpu0.rax=1", REMUS, tmp_path / "o")
    assert rc == 0, err


@pytest.mark.parametrize("image", [PV64_XL, PV32, HVM_XL], ids=lambda p: p.name)
def test_every_register_dump_names_is_settable_and_reads_back(image: Path) -> None:
    """The register names of xensave.vcpu_regs (dump, diff, export) each find the field
    they were read from: one naming for reading and writing."""
    from xensave import edit_fields as ef
    from xensave.vcpu_regs import hvm_cpu_regs, pv_regs

    seen = 0
    for rec in records(image, 0x04):  # PV
        ctx = rec.body[8:]
        got = pv_regs(ctx, "<")
        assert got is not None
        width = 8 if got[0] == "pv64" else 4
        for name, value in got[1].items():
            assert ef.read(ctx, ef.pv_register(name, width, ctx, "<"), "<") == value, name
            seen += 1
    for rec in records(image, 0x09):  # HVM
        for e in hvm_context.decode(rec.body).entries:
            if e.name != "CPU":
                continue
            regs = hvm_cpu_regs(e.raw, "<")
            assert regs is not None
            for name, value in regs.items():
                assert ef.read(e.raw, ef.hvm_register(name), "<") == value, name
                seen += 1
    assert seen > 20


def test_every_hvm_field_diff_names_is_settable_and_reads_back() -> None:
    """diff's HVM context names (TYPE[i].field) are those --hvm-set takes."""
    from xensave import edit_fields as ef
    from xensave.diff import hvm_fields

    (rec,) = records(EVERY, 0x09)
    entries = {f"{e.name}[{e.instance}]": e for e in hvm_context.decode(rec.body).entries}
    derived = {"pending_vector", "pending_type", "pending_error_valid", "pending_valid"}
    derived |= {"init_state", "priority_add", "readsel_isr", "poll", "auto_eoi"}
    derived |= {"rotate_on_auto_eoi", "special_fully_nested_mode", "special_mask_mode"}
    derived |= {"is_master"}
    checked = 0
    for key, value in hvm_fields(rec.body).items():
        where, name = key.split(".", 1)
        if isinstance(value, str) or name in derived or name == "save_area":
            continue
        e = entries[where]
        slot = ef.hvm_field(e.typecode, name)
        if slot.offset + slot.size > len(e.raw):  # a shorter form, zero-extended by Xen
            assert value == 0, key
            continue
        assert ef.read(e.raw, slot, "<") == value, key
        checked += 1
    assert checked > 100


def test_optional_data_after_the_config_is_kept(tmp_path: Path, capsys: Any) -> None:
    src = CORPUS / "y_xl-v3_hvm_optional-data-after-config.bin"
    cfg = tmp_path / "dom.json"
    cfg.write_text('{"c_info": {"name": "n"}}')
    out = tmp_path / "out.xl"
    assert run(capsys, "--config", cfg, src, out)[0] == 0

    def tail(p: Path) -> bytes:
        with open(p, "rb") as f:
            h = next(iter(Reader(f)))
        assert isinstance(h, XlHeader) and h.config_len is not None
        return h.optional_data[4 + h.config_len :]

    assert tail(src) and tail(out) == tail(src)


# --- an xm save (xend) file's S-expression configuration --------------------------------

XEND_HVM = CORPUS / "y_xend-legacy_hvm_xm-save.bin"


def test_xend_configuration_replaced_and_read_back(tmp_path: Path, capsys: Any) -> None:
    from xensave.xend_config import read_config

    raw, _ = read_config(str(XEND_HVM))
    new = raw.replace(b"(name sample-hvm)", b"(name renamed-hvm)")
    assert new != raw
    cfg = tmp_path / "dom.sxp"
    cfg.write_bytes(new)
    out = tmp_path / "out.xm"
    rc, _, err = run(capsys, "--config", cfg, XEND_HVM, out)
    assert rc == 0, err
    got, value = read_config(str(out))
    assert got == new
    assert ["name", "renamed-hvm"] in value
    # the legacy image after the configuration is copied untouched
    assert out.read_bytes()[20 + len(new) :] == XEND_HVM.read_bytes()[20 + len(raw) :]
    assert not check_bytes(out.read_bytes()).errors


def test_xend_configuration_of_another_kind_is_refused(tmp_path: Path, capsys: Any) -> None:
    cfg = tmp_path / "dom.json"
    cfg.write_text('{"c_info": {"name": "x"}}')
    out = tmp_path / "out.xm"
    rc, _, err = run(capsys, "--config", cfg, XEND_HVM, out)
    assert rc == 2 and "S-expression" in err and not out.exists()


def test_xend_configuration_of_a_pv_guest_on_hvm_state_is_refused(
    tmp_path: Path, capsys: Any
) -> None:
    """xend picks the restore path from the configuration's image kind: a (linux ...)
    image over an HVM guest's state breaks XEND-CFG-005, and nothing is written."""
    from xensave.xend_config import read_config

    raw, _ = read_config(str(XEND_HVM))
    start = raw.index(b"(image (hvm")
    end = raw.index(b"(device (vbd", start)
    cfg = tmp_path / "dom.sxp"
    cfg.write_bytes(raw[:start] + b"(image (linux (kernel /boot/vmlinuz))) " + raw[end:])
    out = tmp_path / "out.xm"
    rc, _, err = run(capsys, "--config", cfg, XEND_HVM, out)
    assert rc == 1 and "XEND-CFG-005" in err, err
    assert not out.exists()
