"""The PV vCPU context: decoder, Kaitai description, PV-* checks and ``xensave dump``.

Every context here is built with ``struct`` at offsets worked out by hand from Xen's
public headers (xen/include/public/arch-x86/xen.h, xen-x86_32.h, xen-x86_64.h), not
from :mod:`xensave.pv_context`; the expected values are the ones written there.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from kaitaistruct import KaitaiStream

from xensave import pv_context, samples
from xensave.bodies import PageData, VcpuContext
from xensave.checker import check_bytes
from xensave.constants import PageType, XcRecType
from xensave.kaitai.xen_pv_vcpu_context import XenPvVcpuContext
from xensave.model import LibxcStream, Record
from xensave.reader import Reader, RecordEvent
from xensave.writer import to_bytes

X = XcRecType

# --- offsets, by hand -----------------------------------------------------------------
# x86_64: fpu_ctxt 512, flags 8, user_regs at 520 (15 GPRs of 8, error_code 4,
# entry_vector 4, rip 8, cs 2+2, mask 1+3, rflags 8, rsp 8, 5 selectors of 8) = 200,
# trap_ctxt 256 x 16 at 720, then words of 8.
O64 = {
    "flags": 512,
    "rbp": 520 + 32,
    "rbx": 520 + 40,
    "rax": 520 + 80,
    "rcx": 520 + 88,
    "rdx": 520 + 96,
    "rip": 520 + 128,
    "cs": 520 + 136,
    "rflags": 520 + 144,
    "rsp": 520 + 152,
    "ss": 520 + 160,
    "ds": 520 + 176,
    "trap_ctxt": 720,
    "ldt_base": 4816,
    "ldt_ents": 4824,
    "gdt_frames": 4832,
    "gdt_ents": 4960,
    "kernel_ss": 4968,
    "kernel_sp": 4976,
    "ctrlreg": 4984,
    "debugreg": 5048,
    "event_callback_eip": 5112,
    "failsafe_callback_eip": 5120,
    "syscall_callback_eip": 5128,
    "vm_assist": 5136,
    "fs_base": 5144,
    "gs_base_kernel": 5152,
    "gs_base_user": 5160,
}
# x86_32: flags 4 at 512, user_regs at 516 (7 GPRs of 4, error_code 2, entry_vector 2,
# eip 4, cs 2, mask 1, pad 1, eflags 4, esp 4, 5 selectors of 4) = 68, trap_ctxt
# 256 x 8 at 584, then words of 4.
O32 = {
    "flags": 512,
    "ebx": 516,
    "edx": 516 + 8,
    "eax": 516 + 24,
    "eip": 516 + 32,
    "cs": 516 + 36,
    "eflags": 516 + 40,
    "esp": 516 + 44,
    "ss": 516 + 48,
    "trap_ctxt": 584,
    "ldt_base": 2632,
    "ldt_ents": 2636,
    "gdt_frames": 2640,
    "gdt_ents": 2704,
    "kernel_ss": 2708,
    "kernel_sp": 2712,
    "ctrlreg": 2716,
    "debugreg": 2748,
    "event_callback_cs": 2780,
    "event_callback_eip": 2784,
    "failsafe_callback_cs": 2788,
    "failsafe_callback_eip": 2792,
    "vm_assist": 2796,
}
SIZE = {4: 2800, 8: 5168}
KERNEL_RIP = 0xFFFFFFFF81234567


def put(buf: bytearray, width: int, name: str, value: int, index: int = 0, e: str = "<") -> None:
    offsets = O64 if width == 8 else O32
    code = {"cs": "H", "ss": "H", "ds": "H"}.get(name, "Q" if width == 8 else "I")
    step = 8 if width == 8 else 4
    struct.pack_into(e + code, buf, offsets[name] + index * step, value)


def context(width: int, e: str = "<", **fields: int | dict[int, int]) -> bytes:
    """A context that breaks nothing in the samples' stream (page tables from pfn 0,
    top level at 0; NOTAB pfns 4-27 and 31; p2m_end_pfn 31), then ``fields``."""
    buf = bytearray(SIZE[width])
    base: dict[str, int | dict[int, int]] = {
        "flags": 0x25,  # i387_valid | in_kernel | online
        "gdt_ents": 32,
        "gdt_frames": {0: 5},
        "ctrlreg": {3: 0},  # pfn 0 in either fold
        "rdx" if width == 8 else "edx": 6,  # start info
    }
    if width == 8:
        base.update(rip=KERNEL_RIP, rsp=0xFFFFC90000003F00, cs=0xE033, ss=0xE02B)
    else:
        base.update(eip=0xC1001000, esp=0xC1A00000, cs=0xE019, ss=0xE021)
    for name, value in fields.items():
        old = base.get(name)
        base[name] = (
            {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
        )
    traps = base.pop("trap_ctxt", {})
    assert isinstance(traps, dict)
    for i in traps:
        # entry i: vector i, flags 0, cs 0xe033, a non-canonical address
        struct.pack_into(e + "BBH4xQ", buf, 720 + 16 * i, i, 0, 0xE033, 0x8000FFFF81002000)
    for name, value in base.items():
        if isinstance(value, dict):
            for i, v in value.items():
                put(buf, width, name, v, i, e)
        else:
            put(buf, width, name, value, 0, e)
    return bytes(buf)


# --- decoder ----------------------------------------------------------------------------


def test_sizes_are_xen_foreign() -> None:
    assert pv_context.CONTEXT_SIZE == {4: 2800, 8: 5168}
    assert pv_context.width_of_size(2800) == 4 and pv_context.width_of_size(5168) == 8
    assert pv_context.width_of_size(5167) is None


def test_decode_64() -> None:
    ctx = context(
        8,
        rax=0x1111,
        rbx=0x2222,
        rflags=0x202,
        ds=0x2B,
        ctrlreg={0: 0x80050033, 3: 0x1234 << 12, 4: 0x3406F0, 1: (0x77 << 12) | 1},
        gdt_frames={0: 9, 1: 10},
        gdt_ents=600,
        fs_base=0x7F0000001000,
        gs_base_kernel=0xFFFF888000000000,
        gs_base_user=0x7F0000002000,
        syscall_callback_eip=0xFFFFFFFF81000100,
        kernel_sp=0xFFFFC90000008000,
        vm_assist=0x4,
    )
    c = pv_context.decode(ctx, 8)
    assert c.user_regs["rax"] == 0x1111 and c.user_regs["rbx"] == 0x2222
    assert c.user_regs["rip"] == KERNEL_RIP and c.user_regs["cs"] == 0xE033
    assert c.user_regs["ds"] == 0x2B and c.user_regs["rdx"] == 6
    assert c.cr3_pfn == 0x1234 and c.cr1_pfn == 0x77
    assert c.gdt_frames[:3] == [9, 10, 0] and c.gdt_frames_used == 2
    assert c.word("syscall_callback_eip") == 0xFFFFFFFF81000100
    assert c.word("kernel_sp") == 0xFFFFC90000008000 and c.word("vm_assist") == 4
    r = c.registers()
    assert r["rip"] == KERNEL_RIP and r["rflags"] == 0x202 and r["cr3"] == 0x1234000
    assert r["cr0"] == 0x80050033 and r["cr4"] == 0x3406F0
    # in kernel mode the live GS base is the kernel one
    assert r["gs_base"] == 0xFFFF888000000000 and r["kernel_gs_base"] == 0x7F0000002000
    assert pv_context.flag_names(c.flags, 8) == ["i387_valid", "in_kernel", "online"]


def test_decode_32_unfolds_pae_cr3() -> None:
    # xen_pfn_to_cr3 of x86_32: pfn 0x123456 -> (0x123456 << 12 mod 2^32) | 0x123456 >> 20
    ctx = context(4, ctrlreg={3: 0x23456001}, eax=7, event_callback_cs=0xE019)
    c = pv_context.decode(ctx, 4)
    assert c.cr3_pfn == 0x123456
    assert c.registers()["cr3"] == 0x123456000
    assert c.user_regs["eax"] == 7 and c.user_regs["eip"] == 0xC1001000
    assert c.user_regs["cs"] == 0xE019 and c.word("event_callback_cs") == 0xE019
    assert c.cr1_pfn is None  # ctrlreg[1] means nothing on x86_32
    assert pv_context.pfn_to_cr3(0x123456, 4) == 0x23456001
    assert pv_context.cr3_to_pfn(0x23456001, 4) == 0x123456


def test_decode_big_endian() -> None:
    ctx = context(8, e=">", rax=0x0102030405060708)
    c = pv_context.decode(ctx, 8, ">")
    assert c.user_regs["rax"] == 0x0102030405060708 and c.user_regs["rip"] == KERNEL_RIP
    assert pv_context.byteswap(context(8, rax=5), 8) == context(8, e=">", rax=5)


@pytest.mark.parametrize("n", [0, 1, 2799, 2801, 5167])
def test_wrong_sizes_raise_value_error_or_none(n: int) -> None:
    for width in (4, 8):
        if n != SIZE[width]:
            with pytest.raises(ValueError, match="octets"):
                pv_context.decode(bytes(n), width)
            assert pv_context.decode_or_none(bytes(n), width) is None
    assert pv_context.decode_or_none(bytes(n), None) is None


def test_trap_table_and_json() -> None:
    buf = bytearray(context(8))
    # trap_ctxt[14] (#PF): vector 14, flags 0, cs 0xe033, address
    struct.pack_into("<BBH4xQ", buf, 720 + 14 * 16, 14, 4, 0xE033, 0xFFFFFFFF81A00000)
    doc = pv_context.decode(bytes(buf), 8).to_json()
    assert doc["trap_ctxt"] == [
        {"vector": 14, "flags": 4, "cs": 0xE033, "address": 0xFFFFFFFF81A00000}
    ]
    assert doc["cr3_pfn"] == 0 and doc["gdt_frames"][0] == 5 and doc["guest_width"] == 8
    json.dumps(doc)


@pytest.mark.parametrize("width", [4, 8])
def test_kaitai_agrees(width: int) -> None:
    ctx = context(width, gdt_ents=513, gdt_frames={0: 5, 1: 7}, ctrlreg={3: 0x23456001})
    k = XenPvVcpuContext(False, width, KaitaiStream(io.BytesIO(ctx))).context
    ours = pv_context.decode(ctx, width)
    assert k.gdt_ents == 513 and list(k.gdt_frames[:2]) == [5, 7] and k.gdt_frames_used == 2
    assert k.cr3_pfn == ours.cr3_pfn == (0x123456 if width == 4 else 0x23456)
    regs = k.user_regs
    ip = regs.eip if width == 4 else regs.rip
    assert ip == (0xC1001000 if width == 4 else KERNEL_RIP) and regs.cs == ours.user_regs["cs"]


def test_export_pv_regs_keeps_its_names() -> None:
    from xensave.export import pv_regs

    kind, r = pv_regs(context(4, ctrlreg={3: 0x23456001}, eax=9), "<") or ("", {})
    assert kind == "pv32" and r["rax"] == 9 and r["cr3"] == 0x123456000
    assert r["rip"] == 0xC1001000 and r["eflags"] == 0
    kind, r = pv_regs(context(8, rbp=3), "<") or ("", {})
    assert kind == "pv64" and r["rbp"] == 3 and r["rip"] == KERNEL_RIP
    assert pv_regs(bytes(100), "<") is None


# --- checker ------------------------------------------------------------------------------


def stream(width: int, ctx: bytes, big: bool = False) -> tuple[bytes, int]:
    """The samples' PV stream with vCPU 0's context replaced, and where that context
    starts in the bytes (found by the reader, not by the code under test)."""
    s = samples.libxc_stream("x86_64-pv" if width == 8 else "x86_32-pv", 3, big, vcpus=1)
    i = next(k for k, r in enumerate(s.records) if r.type == X.X86_PV_VCPU_BASIC)
    s.records[i] = Record(X.X86_PV_VCPU_BASIC, VcpuContext(0, ctx))
    data = to_bytes(s)
    ev = next(
        ev
        for ev in Reader(io.BytesIO(data))
        if isinstance(ev, RecordEvent) and ev.type == X.X86_PV_VCPU_BASIC
    )
    return data, ev.offset + 16


def pv_diags(data: bytes) -> set[tuple[str, int]]:
    report = check_bytes(data)
    others = [d for d in report.diagnostics if not d.rule.startswith("PV-")]
    assert not others, [d.format("image") for d in others]
    return {(d.rule, d.offset) for d in report.diagnostics}


@pytest.mark.parametrize("width", [4, 8])
def test_realistic_context_is_clean(width: int) -> None:
    data, _ = stream(width, context(width))
    assert pv_diags(data) == set()


def test_gdt_at_the_limit_is_clean() -> None:
    # 7168 entries need 14 frames; the same NOTAB pfn 5 may back them all
    ctx = context(8, gdt_ents=7168, gdt_frames={i: 5 for i in range(14)})
    data, _ = stream(8, ctx)
    assert pv_diags(data) == set()


CASES = [
    # (id, width, fields, [(rule, field offset)])
    ("gdt-ents-over", 8, {"gdt_ents": 7169}, [("PV-GDT-001", 4960)]),
    ("gdt-ents-over-32", 4, {"gdt_ents": 7169}, [("PV-GDT-001", 2704)]),
    ("gdt-frame-broken", 8, {"gdt_frames": {0: 29}}, [("PV-GDT-002", 4832)]),
    ("gdt-frame-above-p2m", 4, {"gdt_frames": {0: 40}}, [("PV-GDT-002", 2640)]),
    ("gdt-second-frame-table", 8, {"gdt_ents": 513, "gdt_frames": {1: 0}}, [("PV-GDT-002", 4840)]),
    ("gdt-unused-frame-set", 8, {"gdt_frames": {1: 7}}, [("PV-GDT-003", 4840)]),
    ("cr3-l2", 4, {"ctrlreg": {3: 0x1000}}, [("PV-CR3-001", 2728)]),  # pfn 1: L2TAB
    ("cr3-l1", 8, {"ctrlreg": {3: 0x3000}}, [("PV-CR3-001", 5008)]),  # pfn 3: L1TAB
    ("cr3-high-fold", 4, {"ctrlreg": {3: 0x00000001}}, [("PV-CR3-001", 2728)]),  # 0x100000
    ("cr1-l2", 8, {"ctrlreg": {3: 0, 1: 0x2001}}, [("PV-CR3-002", 4992)]),
    ("user-mode-no-cr1", 8, {"flags": 0x21}, [("PV-CR3-003", 512)]),
    ("start-info-table", 8, {"rdx": 0}, [("PV-SIF-001", 616)]),
    ("start-info-xtab", 4, {"edx": 28}, [("PV-SIF-001", 524)]),
    ("ldt-ents-over", 8, {"ldt_ents": 8193, "ldt_base": 0x10000}, [("PV-LDT-001", 4824)]),
    ("ldt-base-unaligned", 4, {"ldt_base": 0x1008}, [("PV-LDT-002", 2632)]),
    ("rip-noncanonical", 8, {"rip": 0x0000800000000000}, [("PV-ADR-001", 648)]),
    ("gs-noncanonical", 8, {"gs_base_user": 0x8000000000000000}, [("PV-ADR-002", 5160)]),
    ("rsp-noncanonical", 8, {"rsp": 0xFFFF7FFFFFFFFFF0}, [("PV-ADR-002", 520 + 152)]),
    # __addr_ok: below 2^47 or from HYPERVISOR_VIRT_END 0xffff880000000000 on
    ("ldt-base-xen-range", 8, {"ldt_base": 0xFFFF800000000000}, [("PV-LDT-003", 4816)]),
    ("ldt-base-hole", 8, {"ldt_base": 0x0000800000000000}, [("PV-LDT-003", 4816)]),
    ("ldt-base-xen-end", 8, {"ldt_base": 0xFFFF880000000000}, []),
    ("ldt-base-32-high", 4, {"ldt_base": 0xFFFFF000}, []),  # no __addr_ok for compat
    ("dr0-xen-range", 8, {"debugreg": {0: 0xFFFF830000001000}}, [("PV-DBG-002", 5048)]),
    ("dr3-hole", 8, {"debugreg": {3: 1 << 47}}, [("PV-DBG-002", 5048 + 24)]),
    ("dr2-xen-end", 8, {"debugreg": {2: 0xFFFF880000000000}}, []),
    ("dr5-anything", 8, {"debugreg": {5: 0xFFFF830000001000}}, []),  # not a breakpoint
    # PV64_VM_ASSIST_MASK: VMASST_TYPE 0-5 and 32; PV32: 0-5
    ("vm-assist-bit-6", 8, {"vm_assist": 1 << 6}, [("PV-VMA-001", 5136)]),
    ("vm-assist-bit-31-32", 4, {"vm_assist": 1 << 31}, [("PV-VMA-001", 2796)]),
    ("vm-assist-all-64", 8, {"vm_assist": 1 << 32 | 0x3F}, []),
    ("vm-assist-all-32", 4, {"vm_assist": 0x3F}, []),
    ("trap-noncanonical", 8, {"trap_ctxt": {14: 0}}, [("PV-ADR-001", 720 + 14 * 16)]),
    ("dr7-high", 8, {"debugreg": {7: 1 << 32}}, [("PV-DBG-001", 5104)]),
    ("flags-undefined", 8, {"flags": 0x25 | 1 << 9}, [("PV-FLG-001", 512)]),
    ("flags-in-syscall-32", 4, {"flags": 0x25 | 1 << 8}, [("PV-FLG-001", 512)]),
    ("eflags-vm", 4, {"eflags": 1 << 17 | 0x202}, [("PV-FLG-002", 556)]),
]


@pytest.mark.parametrize("width,fields,expect", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_pv_rule(width: int, fields: dict[str, object], expect: list[tuple[str, int]]) -> None:
    data, at = stream(width, context(width, **fields))  # type: ignore[arg-type]
    assert pv_diags(data) == {(rule, at + off) for rule, off in expect}


def test_vm_assist_is_judged_on_vcpu_0_only() -> None:
    # arch_set_info_guest tests vm_assist only for vcpu_id 0
    s = samples.libxc_stream("x86_64-pv", 3, vcpus=2)
    i = next(
        k
        for k, r in enumerate(s.records)
        if r.type == X.X86_PV_VCPU_BASIC and getattr(r.body, "vcpu_id", None) == 1
    )
    s.records[i] = Record(X.X86_PV_VCPU_BASIC, VcpuContext(1, context(8, vm_assist=1 << 40)))
    assert pv_diags(to_bytes(s)) == set()


def test_in_syscall_is_a_64_bit_flag() -> None:
    data, _ = stream(8, context(8, flags=0x25 | 1 << 8))
    assert pv_diags(data) == set()


def test_big_endian_context() -> None:
    data, at = stream(8, context(8, e=">", ldt_base=0x1008), big=True)
    report = check_bytes(data)
    assert {(d.rule, d.offset) for d in report.diagnostics if d.rule.startswith("PV-")} == {
        ("PV-LDT-002", at + 4816)
    }


def test_pfn_not_sent_before_the_context() -> None:
    # small layout: the start-info pfn on the XTAB pfn, then the GDT's page left out
    s = samples.libxc_stream("x86_64-pv", 3, vcpus=1, small=True)
    i = next(k for k, r in enumerate(s.records) if r.type == X.X86_PV_VCPU_BASIC)
    # small layout: tables 0-3, p2m frame 4, data 5, XTAB 6, BROKEN 7: pfn 6 has no page
    s.records[i] = Record(X.X86_PV_VCPU_BASIC, VcpuContext(0, context(8, rdx=6)))
    report = check_bytes(to_bytes(s))
    msgs = [d.message for d in report.diagnostics if d.rule == "PV-SIF-001"]
    assert msgs and "XTAB" in msgs[0]
    # a pfn that no PAGE_DATA names at all
    pd = next(r for r in s.records if r.type == X.PAGE_DATA)
    assert isinstance(pd.body, PageData)
    keep = [
        (e, p)
        for e, p in zip(pd.body.entries, _pages(pd.body), strict=True)
        if (e & ((1 << 52) - 1)) != 5
    ]
    pd.body = PageData([e for e, _ in keep], [p for _, p in keep if p is not None])
    s.records[i] = Record(X.X86_PV_VCPU_BASIC, VcpuContext(0, context(8, rdx=4)))
    report = check_bytes(to_bytes(s))
    got = {(d.rule, d.message.split(": ", 1)[1]) for d in report.diagnostics}
    assert (
        "PV-GDT-002",
        "GDT frame 0 (pfn 0x5) was never sent in PAGE_DATA",
    ) in got


def _pages(pd: PageData) -> list[bytes | None]:
    """The page of each entry (None for types without data), in entry order."""
    it = iter(pd.pages)
    out: list[bytes | None] = []
    for e in pd.entries:
        has = (e >> 60) not in (PageType.XTAB, PageType.BROKEN, PageType.XALLOC)
        out.append(next(it) if has else None)
    return out


# --- dump ---------------------------------------------------------------------------------


def _dump(tmp_path: Path, data: bytes, *args: str) -> str:
    path = tmp_path / "image"
    path.write_bytes(data)
    r = subprocess.run(
        [sys.executable, "-m", "xensave", "dump", *args, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_dump_shows_pv_registers(tmp_path: Path) -> None:
    ctx = context(4, ctrlreg={0: 0x8005003B, 3: 0x23456001, 4: 0x6F0}, eflags=0x246)
    data, _ = stream(4, ctx)
    out = _dump(tmp_path, data)
    assert "eip 0xc1001000  esp 0xc1a00000  eflags 0x246" in out
    assert "cr0 0x8005003b" in out and "cr3 0x23456001 (pfn 0x123456)" in out
    assert "cs 0xe019  ss 0xe021" in out
    assert "gdt 32 entries in pfns [0x5]" in out


def test_dump_json_has_the_pv_context(tmp_path: Path) -> None:
    ctx = context(8, rbx=0xABC, ctrlreg={3: 0x1000 * 0x42}, fs_base=0x7F0000001000)
    data, _ = stream(8, ctx)
    doc = json.loads(_dump(tmp_path, data, "--json"))
    rec = next(i for i in doc["items"] if i.get("name") == "X86_PV_VCPU_BASIC")
    c = rec["fields"]["context"]
    assert c["user_regs"]["rbx"] == 0xABC and c["user_regs"]["rip"] == KERNEL_RIP
    assert c["cr3_pfn"] == 0x42 and c["fs_base"] == 0x7F0000001000
    assert c["gdt_frames"][:2] == [5, 0] and c["gdt_ents"] == 32
    assert c["registers"]["rsp"] == 0xFFFFC90000003F00
    assert len(c["fpu_ctxt"]) == 1024  # 512 octets in hex


def test_dump_lists_policies_and_params(tmp_path: Path) -> None:
    s = samples.libxc_stream("hvm", 3, vcpus=1)
    cpuid = struct.pack("<6I", 0x1, 0xFFFFFFFF, 0x806EC, 0x100800, 0xFEDA3203, 0x178BFBFF)
    cpuid += struct.pack("<6I", 0x7, 0x0, 0x0, 0x9C6FBB, 0x0, 0x0)
    msr = struct.pack("<IIQ", 0xCE, 0, 0x80000000) + struct.pack("<IIQ", 0x10A, 0, 0x4)
    for k, r in enumerate(s.records):
        if r.type == X.X86_CPUID_POLICY:
            s.records[k] = Record(X.X86_CPUID_POLICY, cpuid)
        elif r.type == X.X86_MSR_POLICY:
            s.records[k] = Record(X.X86_MSR_POLICY, msr)
    data = to_bytes(s)
    out = _dump(tmp_path, data)
    assert "X86_CPUID_POLICY (48 bytes): 2 leaves" in out
    assert "0x00000001: a 0x000806ec b 0x00100800 c 0xfeda3203 d 0x178bfbff" in out
    assert "0x00000007/0x0: a 0x00000000 b 0x009c6fbb" in out
    assert "0xce = 0x80000000  0x10a = 0x4" in out
    assert "STORE_PFN = " in out
    doc = json.loads(_dump(tmp_path, data, "--json"))
    pol = next(i for i in doc["items"] if i.get("name") == "X86_CPUID_POLICY")["fields"]
    assert pol["leaves"] == 2
    assert pol["leaf_list"][1] == {"leaf": 7, "subleaf": 0, "a": 0, "b": 0x9C6FBB, "c": 0, "d": 0}
    msrs = next(i for i in doc["items"] if i.get("name") == "X86_MSR_POLICY")["fields"]
    assert msrs["msr_list"] == [
        {"index": 0xCE, "flags": 0, "value": 0x80000000},
        {"index": 0x10A, "flags": 0, "value": 4},
    ]


def _hvm_cpu(rip: int, rsp: int, cr3: int) -> bytes:
    """An hvm_hw_cpu payload (1024 octets): fpu_regs 512, then rax rbx rcx rdx rbp rsi
    rdi rsp r8-r15 rip rflags cr0 cr2 cr3 cr4 as u64 (xen/include/public/arch-x86/hvm/
    save.h)."""
    p = bytearray(1024)
    struct.pack_into("<Q", p, 512 + 7 * 8, rsp)
    struct.pack_into("<QQ", p, 512 + 16 * 8, rip, 0x2)
    struct.pack_into("<QQQQ", p, 512 + 18 * 8, 0x80050033, 0, cr3, 0x6F0)
    return bytes(p)


def test_dump_shows_hvm_registers_and_entries(tmp_path: Path) -> None:
    def desc(code: int, inst: int, payload: bytes) -> bytes:
        return struct.pack("<HHI", code, inst, len(payload)) + payload

    blob = desc(1, 0, struct.pack("<IIQII", 0x54381286, 1, 0, 0x806EC, 2_400_000))
    blob += desc(2, 0, _hvm_cpu(0xFFFFFFFF81000010, 0xFFFFC90000001000, 0x1A2B000))
    blob += desc(2, 1, _hvm_cpu(0xFFFFFFFF81000020, 0xFFFFC90000002000, 0x1A2C000))
    blob += desc(0, 0, b"")
    s = samples.libxc_stream("hvm", 3, vcpus=2)
    s.records = [Record(X.HVM_CONTEXT, blob) if r.type == X.HVM_CONTEXT else r for r in s.records]
    assert isinstance(s, LibxcStream)
    data = to_bytes(s)
    out = _dump(tmp_path, data)
    assert "HEADER/0 (24), CPU/0 (1024), CPU/1 (1024), END/0 (0)" in out
    assert "vcpu 0: rip 0xffffffff81000010  rsp 0xffffc90000001000  rflags 0x2" in out
    assert "vcpu 1: rip 0xffffffff81000020" in out and "cr3 0x1a2c000" in out
    doc = json.loads(_dump(tmp_path, data, "--json"))
    rec = next(i for i in doc["items"] if i.get("name") == "HVM_CONTEXT")["fields"]
    assert [e["name"] for e in rec["entries"]] == ["HEADER", "CPU", "CPU", "END"]
    assert rec["registers"]["1"]["rip"] == 0xFFFFFFFF81000020
    assert rec["entries"][1]["fields"]["cr3"] == 0x1A2B000


def test_pages_after_the_context_count() -> None:
    # The restorer applies contexts when the stream ends: a page sent after the vCPU
    # record still backs it (the order draws only XC-ORD-005's warning).
    s = samples.libxc_stream("x86_64-pv", 3, vcpus=1)
    i = next(k for k, r in enumerate(s.records) if r.type == X.X86_PV_VCPU_BASIC)
    s.records[i] = Record(X.X86_PV_VCPU_BASIC, VcpuContext(0, context(8, rdx=20)))
    second = [k for k, r in enumerate(s.records) if r.type == X.PAGE_DATA][1]  # pfns 16-31
    s.records.insert(i + 1, s.records.pop(second))
    report = check_bytes(to_bytes(s))
    assert {d.rule for d in report.diagnostics} == {"XC-ORD-005"}
    # and the last page type sent is the one that counts
    pd = [r for r in s.records if r.type == X.PAGE_DATA][-1]
    assert isinstance(pd.body, PageData)
    pd.body.entries = [
        (e & ~(0xF << 60)) | (PageType.L1TAB << 60) if e & 0xFFFFF == 20 else e
        for e in pd.body.entries
    ]
    report = check_bytes(to_bytes(s))
    assert {d.rule for d in report.diagnostics} == {"XC-ORD-005", "PV-SIF-001"}
