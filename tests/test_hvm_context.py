"""The HVM context blob: the reference decoder (xensave.hvm_context), the generated
Kaitai parser of ksy/xen_hvm_context.ksy, and the checker's HVM- rules.

* decoded values match blobs packed field by field from Xen's public structures
  (generators/corpus/hvm_context.py, which never calls the decoder);
* the decoder and the Kaitai parser agree on every HVM context in the corpus, and on
  mutations of a valid blob: entries, sizes and every field both decode;
* the checker cites each HVM- rule at the offset in the file of the field at fault,
  with the HVM_CONTEXT record's index;
* arbitrary bytes never make the decoder raise, and a huge declared length costs no
  memory.
"""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kaitaistruct import KaitaiStruct

from generators.corpus import hvm_context as H
from xensave import hvm_context
from xensave.checker import check_bytes
from xensave.constants import XcRecType
from xensave.export import hvm_context_cpus
from xensave.hvm_context import Typecode, decode, decode_payload
from xensave.hvm_typecodes import CPU_COMPAT_SINCE, SIZE_CHANGED, release_size
from xensave.kaitai.xen_hvm_context import XenHvmContext
from xensave.reader import Reader, RecordEvent
from xensave.rules import Level, load_rules

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = ROOT / "conformance"
RULES = load_rules()
DESCRIPTOR = hvm_context.DESCRIPTOR_SIZE


@cache
def manifest() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((CONFORMANCE / "manifest.json").read_text())["cases"]
    return cases


def hvm_records(data: bytes) -> list[RecordEvent]:
    """The HVM_CONTEXT records of an image, as the reader yields them (until it stops)."""
    out = []
    try:
        for ev in Reader(io.BytesIO(data)):
            if (
                isinstance(ev, RecordEvent)
                and ev.layer == "libxc"
                and ev.type == XcRecType.HVM_CONTEXT
            ):
                out.append(ev)
    except Exception:  # a case that breaks an outer layer: what was read so far
        pass
    return out


def corpus_blobs() -> list[tuple[str, int, bytes]]:
    out = []
    for c in manifest():
        if c["guest"] != "hvm" or c["layer"] == "legacy":
            continue
        data = (CONFORMANCE / "corpus" / c["name"]).with_suffix(".bin").read_bytes()
        for k, ev in enumerate(hvm_records(data)):
            if ev.body:
                out.append((c["name"], k, ev.body))
    return out


BLOBS = corpus_blobs()


# --- decoded values against independent construction -----------------------------------


def test_every_typecode_decodes_to_the_packed_values() -> None:
    ctx = decode(H.blob(3))
    assert ctx.problems == []
    codes = [e.typecode for e in ctx.entries]
    assert codes[0] == Typecode.HEADER and codes[-1] == Typecode.END
    assert set(codes) == set(range(21))  # every x86 typecode
    assert ctx.vcpus() == [0, 1, 2]
    hdr = ctx.header
    assert hdr is not None and hdr.fields is not None
    assert hdr.fields == {
        "magic": 0x54381286,
        "version": 1,
        "changeset": 0xFFFFFFFFFFFFFFFF,
        "cpuid": 0x000806EC,
        "gtsc_khz": 2_400_000,
    }
    for v, regs in ctx.cpu_registers().items():
        assert regs["rip"] == H.cpu_rip(v) and regs["rsp"] == H.cpu_rsp(v)
        assert regs["cr3"] == H.CR3 and regs["cr0"] == 0x80050033
        assert regs["cs_sel"] == 0x10 and regs["cs_arbytes"] == 0xA9B
        assert regs["msr_efer"] == 0xD01 and regs["msr_tsc_aux"] == v
        assert regs["tsc"] == 0x123456789A + v and regs["flags"] == 1 and regs["pad0"] == 0
        assert regs["shadow_gs"] == 0x7F0011223000 and "fpu_regs" not in regs
    pics = ctx.of_type(Typecode.PIC)
    assert [(e.instance, (e.fields or {})["is_master"]) for e in pics] == [(0, 1), (1, 0)]
    assert [(e.fields or {})["irq_base"] for e in pics] == [0x08, 0x70]
    f = ctx.of_type(Typecode.IOAPIC)[0].fields
    assert f is not None and f["base_address"] == 0xFEC00000 and f["redirtbl"][2] == 0x32
    pit = ctx.of_type(Typecode.PIT)[0].fields
    assert pit is not None and [ch["gate"] for ch in pit["channels"]] == [1, 1, 0]
    assert pit["channels"][2]["count"] == 0x10000
    hpet = ctx.of_type(Typecode.HPET)[0].fields
    assert hpet is not None and hpet["mc64"] == 0x123456789
    assert [t["config"] for t in hpet["timers"]] == [0xF0000030, 0xF0000230, 0xF0000430]
    link = ctx.of_type(Typecode.PCI_LINK)[0].fields
    assert link is not None and link["route"] == [5, 10, 11, 5]
    rtc = ctx.of_type(Typecode.RTC)[0].fields
    assert rtc is not None and rtc["rtc_offset"] == -3600 and rtc["cmos_index"] == 0x0B
    mtrr = ctx.of_type(Typecode.MTRR)[2].fields
    assert (
        mtrr is not None
        and mtrr["msr_mtrr_def_type"] == 0xC00
        and len(mtrr["msr_mtrr_fixed"]) == 11
    )
    xs = ctx.of_type(Typecode.CPU_XSAVE)[1].fields
    assert xs is not None and (xs["xcr0"], xs["xcr0_accum"], xs["xstate_bv"]) == (7, 7, 7)
    assert len(xs["save_area"]) == 512 + 64 + 256
    msrs = ctx.of_type(Typecode.CPU_MSR)[0].fields
    assert msrs is not None and msrs["count"] == 2
    assert [(m["index"], m["val"]) for m in msrs["msr"]] == H.MSRS
    adj = [(e.instance, (e.fields or {})["tsc_adjust"]) for e in ctx.of_type(Typecode.TSC_ADJUST)]
    assert adj == [(0, 0), (1, (-1000) & (2**64 - 1)), (2, (-2000) & (2**64 - 1))]
    per = ctx.per_vcpu()
    assert sorted(per) == [0, 1, 2] and len(per[1]) == 9  # every per-vCPU typecode once
    json.dumps(ctx.to_json())  # JSON-ready


def test_older_sizes_are_zero_extended_and_compat_moved() -> None:
    old = decode_payload(Typecode.CPU, H.cpu(0, 1016))
    assert old is not None
    assert old["tsc"] == 0x123456789A and old["msr_tsc_aux"] == 0  # moved up 8 octets
    assert old["rip"] == H.cpu_rip(0) and old["flags"] == 0 and old["pad0"] == 0
    mid = decode_payload(Typecode.CPU, H.cpu(1, 1024))
    assert mid is not None and mid["tsc"] == 0x123456789B and mid["msr_tsc_aux"] == 1
    assert mid["flags"] == 0  # not in a 1024-octet entry: zero-extended
    rtc = decode_payload(Typecode.RTC, H.rtc(16))
    assert rtc is not None and rtc["rtc_offset"] == 0 and rtc["cmos_index"] == 0x0B
    assert decode_payload(Typecode.VMCE_VCPU, H.vmce(8)) == {
        "caps": 0x1000802,
        "mci_ctl2_bank0": 0,
        "mci_ctl2_bank1": 0,
        "mcg_ext_ctl": 0,
    }
    assert decode_payload(Typecode.PIC, bytes(9)) is None  # exact size only
    assert decode_payload(Typecode.CPU, bytes(1040)) is None  # over the structure
    assert decode_payload(21, bytes(8)) is None  # unknown


def test_export_registers_come_from_the_cpu_entries() -> None:
    got = dict(hvm_context_cpus(H.blob(2), "<"))
    assert sorted(got) == [0, 1]
    assert got[1]["rip"] == H.cpu_rip(1) and got[1]["eflags"] == 0x246
    assert got[0]["cs"] == 0x10 and got[0]["cs_flags"] == 0xA09B00  # G L P S type 0xB
    assert got[0]["kernel_gs_base"] == 0x7F0011223000 and got[0]["ldt"] == 0
    assert got[0]["gdt_base"] == 0xFFFFFE0000001000 and got[0]["idt_limit"] == 0xFFF
    # the blob is little-endian whatever the stream says
    assert dict(hvm_context_cpus(H.blob(2), ">")) == got
    assert dict(hvm_context.vcpu_registers(H.blob(2)))[1]["rip"] == H.cpu_rip(1)


# --- problems ------------------------------------------------------------------------------


def _problems(items: list[H.Entry] | bytes) -> list[tuple[str, int]]:
    blob = items if isinstance(items, bytes) else H.pack(items)
    return [(p.rule, p.offset) for p in decode(blob).problems]


def test_framing_problems_and_their_offsets() -> None:
    items = H.entries(1, everything=False)  # HEADER 32, CPU 1040, PIC 16 + 16, END 8
    end_at = 32 + 1040 + 32
    body = H.pack(items)
    assert len(body) == end_at + 8
    assert _problems(body[:end_at]) == [("HVM-FRAME-002", end_at)]
    assert _problems(body[: end_at + 3]) == [("HVM-FRAME-002", end_at)]
    assert _problems(body[:1000]) == [("HVM-FRAME-001", 32)]  # the CPU entry, cut
    assert _problems(body + b"x") == [("HVM-FRAME-004", end_at + 8)]
    bad_end = body[:end_at] + struct.pack("<HHI", 0, 0, 4) + bytes(4)
    # a restorer stops at END's typecode: the 4 octets it declares are left over
    assert _problems(bad_end) == [("HVM-FRAME-003", end_at), ("HVM-FRAME-004", end_at + 8)]
    assert _problems(b"") == [("HVM-FRAME-002", 0), ("HVM-HDR-001", 0)]
    assert _problems(struct.pack("<HHI", 0, 0, 0)) == [("HVM-HDR-001", 0)]


def test_header_problems() -> None:
    items = H.entries(1, everything=False)
    assert _problems(items[1:])[0] == ("HVM-HDR-001", 0)
    items2 = [*items[:-1], items[0], items[-1]]
    assert _problems(items2) == [("HVM-HDR-004", 32 + 1040 + 32)]
    bad = list(items)
    bad[0] = (H.HEADER, 0, struct.pack("<II", 1, 2) + H.header()[8:])
    assert _problems(bad) == [("HVM-HDR-002", 8), ("HVM-HDR-003", 12)]


def _patch(payload: bytes, at: int, fmt: str, value: int) -> bytes:
    out = bytearray(payload)
    struct.pack_into(fmt, out, at, value)
    return bytes(out)


def _cpu_with(at: int, fmt: str, value: int) -> bytes:
    return _patch(H.cpu(0), at, fmt, value)


@pytest.mark.parametrize(
    ("code", "inst", "payload", "rule", "where"),
    [
        (21, 0, bytes(8), "HVM-TYPE-001", 0),
        (0xFFFF, 0, b"", "HVM-TYPE-001", 0),
        (H.PIC, 0, bytes(7), "HVM-SIZE-001", 0),
        (H.HPET, 0, bytes(1056), "HVM-SIZE-001", 0),
        (H.LAPIC, 0, bytes(33), "HVM-SIZE-002", 0),
        (H.VIRIDIAN_VCPU, 0, bytes(224), "HVM-SIZE-002", 0),
        (H.CPU, 0, H.cpu(0)[:1028] + b"\x01\0\0\0", "HVM-CPU-001", 8 + 1028),
        (H.PIC, 5, H.pic(False), "HVM-PIC-001", 0),
        (H.PCI_LINK, 0, bytes([1, 2, 3, 16, 0, 0, 0, 0]), "HVM-LINK-001", 8 + 3),
        (H.PIT, 0, H.pit()[:52] + b"\x01\0\0\0", "HVM-PIT-001", 8 + 48),
        (H.CPU_XSAVE, 0, H.xsave(0)[:599], "HVM-XSAVE-001", 0),
        (H.CPU_MSR, 0, H.msrs(H.MSRS)[:-1], "HVM-MSR-001", 0),
        (H.CPU_MSR, 0, struct.pack("<I4xIIQ", 1, 0x48, 7, 1), "HVM-MSR-002", 8 + 8 + 4),
        # hvm_load_cpu_ctxt: cr0 at 656, dr6/dr7 at 720/728, msr_tsc_aux 1000, flags 1024
        (H.CPU, 0, _cpu_with(656, "<Q", 0x80050023), "HVM-CPU-002", 8 + 656),  # no ET
        (H.CPU, 0, _cpu_with(656, "<Q", 0x80000010), "HVM-CPU-002", 8 + 656),  # PG, no PE
        (H.CPU, 0, _cpu_with(656, "<Q", 0x80050033 | 1 << 40), "HVM-CPU-002", 8 + 656),
        (H.CPU, 0, _cpu_with(656, "<Q", 0x80050033 | 1 << 6), "HVM-CPU-002", 8 + 656),
        (H.CPU, 0, _cpu_with(1024, "<I", 2), "HVM-CPU-003", 8 + 1024),
        (H.CPU, 0, _cpu_with(1000, "<Q", 1 << 32), "HVM-CPU-004", 8 + 1000),
        (H.CPU, 0, _cpu_with(720, "<Q", 1 << 63), "HVM-CPU-005", 8 + 720),
        (H.CPU, 0, _cpu_with(728, "<Q", 1 << 32 | 0x400), "HVM-CPU-005", 8 + 728),
        # vpic_check: the master's is_master bit, int_output, elcr
        (H.PIC, 0, H.pic(False), "HVM-PIC-002", 8),
        (H.PIC, 1, H.pic(True), "HVM-PIC-002", 8),
        (H.PIC, 1, H.pic(False)[:7] + b"\x02", "HVM-PIC-002", 8),
        (H.PIC, 1, H.pic(False)[:6] + b"\x01\0", "HVM-PIC-002", 8),  # elcr bit 0 (0xde)
        (H.PCI_LINK, 0, bytes([1, 2, 3, 4, 0, 0, 1, 0]), "HVM-LINK-002", 8 + 4),
        # pit_check: counter 1 (at 16) gated off; counter 2's count over 0x10000
        (H.PIT, 0, _patch(H.pit(), 16 + 15, "<B", 0), "HVM-PIT-002", 8 + 16),
        (H.PIT, 0, _patch(H.pit(), 32, "<I", 0x10001), "HVM-PIT-002", 8 + 32),
        (H.PIT, 0, _patch(H.pit(), 12, "<B", 4), "HVM-PIT-002", 8),  # rw_mode
        (H.LAPIC, 0, struct.pack("<QIIQI4x", 0xFEE00500, 0, 0, 0, 0), "HVM-LAPIC-001", 8),
        (H.MTRR, 0, _patch(H.mtrr(), 224, "<Q", 0x50A), "HVM-MTRR-001", 8 + 224),
        (H.VIRIDIAN_VCPU, 0, _patch(H.viridian_vcpu(0), 15, "<B", 1), "HVM-VIRIDIAN-001", 8 + 9),
        (H.CPU_MSR, 0, struct.pack("<I4xIIQ", 1, 0x10, 0, 1), "HVM-MSR-003", 8 + 8),
        # vmce_restore_vcpu: MCG_EXT_P (bit 9) and bit 32 are offered by no host
        (H.VMCE_VCPU, 0, _patch(H.vmce(), 0, "<Q", 0x1000802 | 1 << 9), "HVM-VMCE-001", 8),
        (H.VMCE_VCPU, 0, _patch(H.vmce(), 0, "<Q", 1 << 32 | 2), "HVM-VMCE-001", 8),
    ],
)
def test_entry_problems(code: int, inst: int, payload: bytes, rule: str, where: int) -> None:
    items = H.entries(1, everything=False)
    at = len(H.pack(items[:-1]))
    assert _problems([*items[:-1], (code, inst, payload), items[-1]]) == [(rule, at + where)]


def test_xsave_problems() -> None:
    def with_(off: int, value: int) -> list[tuple[str, int]]:
        x = bytearray(H.xsave(0))
        struct.pack_into("<Q", x, off, value)
        return [
            r
            for r, _ in _problems(
                [(H.HEADER, 0, H.header()), (H.CPU_XSAVE, 0, bytes(x)), (0, 0, b"")]
            )
        ]

    assert with_(0, 0xFFFF) == []  # xfeature_mask is ignored
    assert with_(8, 0x6) == ["HVM-XSAVE-003"]  # no x87 in xcr0
    assert with_(8, 0x1F) == ["HVM-XSAVE-003"]  # xcr0 beyond xcr0_accum (MPX, a valid XCR0)
    assert with_(536, 0xF) == ["HVM-XSAVE-003"]  # xstate_bv beyond xcr0_accum
    assert with_(544, 1) == ["HVM-XSAVE-002"]  # xcomp_bv
    assert with_(544 + 8 * 6, 1) == ["HVM-XSAVE-002"]  # the last reserved word
    # valid_xcr0, for xcr0 and xcr0_accum alike
    assert with_(16, 0x5) == ["HVM-XSAVE-003", "HVM-XSAVE-004"]  # accum: YMM without SSE
    assert with_(16, 0x7 | 1 << 5) == ["HVM-XSAVE-004"]  # OPMASK without ZMM, HI_ZMM
    assert with_(16, 0x7 | 1 << 3) == ["HVM-XSAVE-004"]  # BNDREGS without BNDCSR
    assert with_(16, 0x7 | 0xE0) == []  # AVX-512: all three, with YMM
    assert with_(16, 0x7 | 1 << 17) == ["HVM-XSAVE-005"]  # TILE_CFG without TILE_DATA
    assert with_(16, 0x7 | 3 << 17) == []  # both AMX components: size is the host's


def test_xsave_length_against_xcr0_accum() -> None:
    """hvm_load_cpu_xsave_states: 24 + the standard size of xcr0_accum (576 for x87 and
    SSE, 832 with AVX), longer only with zeros."""

    def rules(x: bytes) -> list[tuple[str, int]]:
        return _problems([(H.HEADER, 0, H.header()), (H.CPU_XSAVE, 0, x), (0, 0, b"")])

    avx = H.xsave(0)  # xcr0_accum 0x7: 24 + 832 = 856 octets
    assert len(avx) == 856 and rules(avx) == []
    assert rules(avx + bytes(100)) == []  # as Xen 4.3.0 and older wrote it
    at = 32 + 8  # the payload, after HEADER's entry and the descriptor
    assert rules(avx + bytes(9) + b"\x01") == [("HVM-XSAVE-006", at + 856 + 9)]
    assert rules(avx[:855]) == [("HVM-XSAVE-007", at)]
    sse = _patch(_patch(avx[:600], 16, "<Q", 0x3), 8, "<Q", 0x3)
    sse = _patch(sse, 536, "<Q", 0x3)  # xstate_bv within xcr0_accum
    assert rules(sse) == []  # x87 + SSE: 600 exactly
    assert rules(sse + b"\x01") == [("HVM-XSAVE-006", at + 600)]
    assert hvm_context.xsave_size(0x7) == 856 and hvm_context.xsave_size(0x3) == 600
    assert hvm_context.xsave_size(0x7 | 0xE0) is None  # AVX-512 offsets: CPUID leaf 0xd


def test_msr_indices_by_release() -> None:
    """hvm_load_cpu_msrs (and vmx_load_msr/svm_load_msr before 4.13) of each release."""
    dr_masks = {0xC0011027, 0xC0011019, 0xC001101A, 0xC001101B}
    assert hvm_context.cpu_msr_handled((4, 6)) == {0xD90, *dr_masks}
    assert hvm_context.cpu_msr_handled((4, 7)) == {0xD90, 0xDA0, *dr_masks}
    assert 0x140 in hvm_context.cpu_msr_handled((4, 10))
    assert 0x48 not in hvm_context.cpu_msr_handled((4, 10))
    assert 0x48 in hvm_context.cpu_msr_handled((4, 11))
    assert 0xC001011F in hvm_context.cpu_msr_handled((4, 17))
    assert 0x6E1 not in hvm_context.cpu_msr_handled((4, 17))
    assert hvm_context.cpu_msr_handled((4, 18)) == hvm_context.CPU_MSR_HANDLED
    assert len(hvm_context.CPU_MSR_HANDLED) == 10


def test_a_huge_declared_length_costs_nothing() -> None:
    blob = H.pack(H.entries(1, everything=False)[:1]) + struct.pack("<HHI", H.CPU, 0, 0xFFFFFFFF)
    ctx = decode(blob)
    assert [p.rule for p in ctx.problems] == ["HVM-FRAME-001"]
    assert ctx.entries[-1].raw == b"" and ctx.entries[-1].truncated


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    ctx = decode(data)
    assert sum(DESCRIPTOR + e.length for e in ctx.entries if not e.truncated) <= len(data)
    json.dumps(ctx.to_json())


# --- the decoder and the Kaitai parser agree ------------------------------------------------


def _plain(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, KaitaiStruct):
        return {k: _plain(x) for k, x in vars(v).items() if not k.startswith("_")}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


#: Decoder fields the ksy names or shapes otherwise (the decoder keeps Xen's names).
_KSY_NAME = {"count": "num_msr", "_rsvd": "rsvd"}


def _compare(fields: dict[str, Any], payload: Any, where: str) -> int:
    """Compare every field both sides have; return how many were compared."""
    n = 0
    for key, value in fields.items():
        attr = _KSY_NAME.get(key, key)
        if not hasattr(payload, attr):
            continue
        got = _plain(getattr(payload, attr))
        if got is None:  # a value instance whose field the entry does not reach
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            assert len(got) == len(value), (where, key)
            for k, (mine, theirs) in enumerate(zip(value, got, strict=True)):
                renamed = {"rsvd" if a == "_rsvd" else a: b for a, b in mine.items()}
                assert {a: theirs[a] for a in renamed} == renamed, (where, key, k)
        else:
            assert got == value, (where, key)
        n += 1
    return n


def _agree(blob: bytes, where: str) -> None:
    ctx = decode(blob)
    kaitai_rules = {p.rule for p in ctx.problems if RULES[p.rule].kaitai}
    try:
        k = XenHvmContext.from_bytes(blob)
    except Exception:
        assert any(RULES[p.rule].level == Level.MUST for p in ctx.problems), where
        return
    assert not kaitai_rules, (where, kaitai_rules)
    kentries = [k.header, *k.entries]
    assert [(int(e.typecode), e.instance, e.len_payload) for e in kentries] == [
        (e.typecode, e.instance, e.length) for e in ctx.entries
    ], where
    assert k.trailing == blob[len(blob) - ctx.trailing :]
    compared = 0
    for e, ke in zip(ctx.entries, kentries, strict=True):
        if e.fields is None or e.typecode == Typecode.CPU_XSAVE:
            continue
        if e.typecode == Typecode.CPU and e.length == hvm_context.CPU_COMPAT_SIZE:
            tail = {k: e.fields[k] for k in ("tsc", "pending_event", "error_code")}
            compared += _compare(tail, ke.payload.compat, where)
        compared += _compare(e.fields, ke.payload, f"{where} entry {e.index}")
    for e, ke in zip(ctx.entries, kentries, strict=True):
        if e.typecode == Typecode.CPU_XSAVE and e.fields is not None:
            p = ke.payload
            assert (p.xcr0, p.xcr0_accum, p.xstate_bv) == (
                e.fields["xcr0"],
                e.fields["xcr0_accum"],
                e.fields["xstate_bv"],
            )
            assert (
                p.fpu_sse + struct.pack("<8Q", p.xstate_bv, p.xcomp_bv, *p.reserved) + p.extended
                == e.fields["save_area"]
            )
    if any(e.fields for e in ctx.entries):
        assert compared, where


def test_the_corpus_has_hvm_blobs() -> None:
    names = {n for n, _, _ in BLOBS}
    assert len(BLOBS) > 50 and any("every-typecode" in n for n in names)


@pytest.mark.parametrize(("name", "k", "blob"), BLOBS, ids=[f"{n}#{k}" for n, k, _ in BLOBS])
def test_decoder_and_kaitai_agree_on_the_corpus(name: str, k: int, blob: bytes) -> None:
    _agree(blob, f"{name}#{k}")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, 2 * 4096), st.integers(0, 255)), min_size=1, max_size=4),
    st.integers(0, 2 * 4096),
)
def test_decoder_and_kaitai_agree_on_mutations(flips: list[tuple[int, int]], cut: int) -> None:
    blob = bytearray(H.blob(1))
    for at, value in flips:
        blob[at % len(blob)] = value
    data = bytes(blob)
    _agree(data, "mutated")
    _agree(data[: len(data) - cut % len(data)], "mutated and cut")


# --- the checker -------------------------------------------------------------------------------


def _hvm_body(data: bytes) -> RecordEvent:
    (ev,) = hvm_records(data)[:1]
    return ev


#: Cases with the blob in an HVM_CONTEXT record (a legacy image's HVM tail holds it
#: too: tests/test_checker_legacy_state.py).
HVM_CASES = [
    c
    for c in manifest()
    if any(r.startswith("HVM-") for r in c["rules"]) and c["layer"] != "legacy"
]


@pytest.mark.parametrize("case", HVM_CASES, ids=[c["name"] for c in HVM_CASES])
def test_checker_cites_each_rule_inside_the_hvm_context(case: dict[str, Any]) -> None:
    data = (CONFORMANCE / "corpus" / case["name"]).with_suffix(".bin").read_bytes()
    ev = _hvm_body(data)
    report = check_bytes(data)
    hvm = [d for d in report.diagnostics if d.rule.startswith("HVM-")]
    if case["verdict"] == "accept":
        assert hvm == []
        return
    assert {d.rule for d in hvm} == set(case["rules"])
    for d in hvm:
        assert ev.body_offset <= d.offset <= ev.body_offset + ev.length
        assert (d.record_index, d.record_type) == (ev.index, "HVM_CONTEXT")
        assert d.layer == "libxc"


def test_checker_offsets_are_absolute() -> None:
    """pad0 of the CPU entry: record body + HEADER entry (32) + descriptor (8) + 1028."""
    name = "n_libxc-v3_hvm_hvm-context-cpu-pad0"
    data = (CONFORMANCE / "corpus" / f"{name}.bin").read_bytes()
    ev = _hvm_body(data)
    (d,) = [d for d in check_bytes(data).diagnostics if d.rule == "HVM-CPU-001"]
    assert d.offset == ev.body_offset + 32 + 8 + 1028
    assert data[d.offset : d.offset + 4] == b"\x01\0\0\0"


def test_verify_names_rule_offset_and_record() -> None:
    name = "n_libxc-v3_hvm_hvm-context-header-magic"
    path = CONFORMANCE / "corpus" / f"{name}.bin"
    data = path.read_bytes()
    ev = _hvm_body(data)
    out = subprocess.run(
        [sys.executable, "-m", "xensave", "verify", str(path)], capture_output=True, text=True
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr
    text = out.stdout + out.stderr
    assert "HVM-HDR-002" in text and f"{ev.body_offset + 8:#x}" in text
    assert f"record #{ev.index}" in text and "HVM_CONTEXT" in text


# --- the decoder's constants against the ksy ----------------------------------------------------


def test_typecodes_and_header_constants_match_the_ksy() -> None:
    ksy = yaml.safe_load((ROOT / "ksy" / "xen_hvm_context.ksy").read_text(encoding="utf-8"))
    codes = {v: e["id"] for v, e in ksy["enums"]["typecode"].items()}
    assert codes == {t.value: t.name.lower() for t in Typecode}
    types = ksy["types"]
    seq = {a["id"]: a for a in types["hvm_save_header"]["seq"]}
    assert int(str(seq["magic"]["valid"]), 0) == hvm_context.HVM_FILE_MAGIC
    assert seq["version"]["valid"] == hvm_context.HVM_FILE_VERSION
    hdr = {a["id"]: a for a in types["header_entry"]["seq"]}
    assert hdr["len_payload"]["valid"] == hvm_context.SIZES[Typecode.HEADER][0]
    # the zero-extended structures: their ksy types say how long they are at most
    for code, name in (
        (Typecode.CPU, "hvm_hw_cpu"),
        (Typecode.LAPIC, "hvm_hw_lapic"),
        (Typecode.RTC, "hvm_hw_rtc"),
        (Typecode.VIRIDIAN_DOMAIN, "hvm_viridian_domain_context"),
        (Typecode.VIRIDIAN_VCPU, "hvm_viridian_vcpu_context"),
        (Typecode.VMCE_VCPU, "hvm_vmce_vcpu"),
    ):
        size, fit = hvm_context.SIZES[code]
        assert fit == hvm_context.Fit.AT_MOST
        excess = {a["id"]: a for a in types[name]["seq"]}["excess"]
        assert excess["if"] == f"_io.size > {size}", name


def test_sizes_by_release() -> None:
    """_hvm_check_entry with each release's structures: strict in 4.6 for CPU, RTC and
    VIRIDIAN_VCPU, zero-extended (never longer) later."""
    refused = hvm_context.size_refused
    assert not refused(H.CPU, 1024, (4, 6)) and not refused(H.CPU, 1016, (4, 6))
    assert refused(H.CPU, 1032, (4, 6)) and refused(H.CPU, 1000, (4, 6))
    assert not refused(H.CPU, 1032, (4, 7)) and not refused(H.CPU, 1000, (4, 7))
    assert refused(H.CPU, 1040, (4, 19))
    assert refused(H.LAPIC, 32, (4, 20)) and not refused(H.LAPIC, 32, (4, 21))
    assert not refused(H.LAPIC, 24, (4, 14))
    assert refused(H.RTC, 24, (4, 13)) and refused(H.RTC, 15, (4, 13))
    assert not refused(H.RTC, 16, (4, 13)) and not refused(H.RTC, 24, (4, 14))
    assert refused(H.VIRIDIAN_VCPU, 16, (4, 6)) and not refused(H.VIRIDIAN_VCPU, 16, (4, 7))
    assert refused(H.VIRIDIAN_VCPU, 216, (4, 12)) and not refused(H.VIRIDIAN_VCPU, 216, (4, 13))
    assert refused(H.VMCE_VCPU, 32, (4, 9)) and not refused(H.VMCE_VCPU, 32, (4, 10))
    assert refused(H.PIC, 7, (4, 6)) and not refused(H.PIC, 8, (4, 22))  # unchanged sizes
    # every valid blob of the corpus's v3 recipes fits the releases that read v3 (4.14+)
    assert all(
        not refused(t, len(p), (4, m)) for t, _, p in H.entries(2) if t for m in range(14, 23)
    )


def test_the_spec_sizes_table_is_the_release_sizes() -> None:
    """spec/hvm-context.md's "sizes by release" table and hvm_typecodes' per-release
    sizes say the same, release by release (the one fact lives in prose and Python)."""
    text = (Path(__file__).resolve().parent.parent / "spec" / "hvm-context.md").read_text()
    rows = dict(re.findall(r"^\| ([A-Z_]+) \| (\d\.\d+.*|from .*) \|$", text, re.M))
    assert set(rows) == {Typecode(t).name for t in SIZE_CHANGED}
    seg = re.compile(
        r"(?:from (\d+)\.(\d+)|(\d+)\.(\d+)(?: (?:to|and) (\d+)\.(\d+))?): "
        r"(exactly|at most) (\d+)(?: or (\d+))?"
    )
    for name, cell in rows.items():
        code = Typecode[name]
        for minor in range(0, 23):
            rel = (4, minor)
            said = None
            for m in seg.finditer(cell):
                if m[1]:
                    lo, hi = (int(m[1]), int(m[2])), (4, 99)
                else:
                    lo = (int(m[3]), int(m[4]))
                    hi = (int(m[5]), int(m[6])) if m[5] else lo
                if lo <= rel <= hi:
                    sizes = {int(m[8])} | ({int(m[9])} if m[9] else set())
                    said = (max(sizes), m[7] == "exactly", min(sizes))
            if said is None:  # a release before the typecode existed
                assert minor < 2 and code in (Typecode.VIRIDIAN_VCPU, Typecode.VMCE_VCPU)
                continue
            assert release_size(code, rel) == said[:2], (name, rel)
            if code == Typecode.CPU:
                assert (said[2] == 1016) == (CPU_COMPAT_SINCE <= rel < (4, 7)), rel
