"""xensave export raw|elf and xensave pages: contents against an in-memory model of
the image (last copy wins), never-sent ranges, registers, atomic and safe output.

The ELF checks here use pyelftools only; readelf and gdb are in test_export_tools.py.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from export_images import (
    CASES,
    LEGACY,
    Planted,
    case,
    core_contents,
    planted,
    planted_legacy,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xensave import samples, writer
from xensave.bodies import PageData, has_data, pfn_entry, split_pfn_entry
from xensave.cli import main
from xensave.constants import PageType, XcRecType
from xensave.export import PR_REGS, hvm_cpu_regs, pv_regs
from xensave.model import Record
from xensave.reader import Reader, ReadOptions, RecordEvent

PAGE = 4096
GUESTS = ("hvm", "x86_64-pv", "x86_32-pv")


def model_pages(data: bytes) -> dict[int, bytes]:
    """pfn -> contents of the last copy sent, read whole into memory (the oracle)."""
    pages: dict[int, bytes] = {}
    for ev in Reader(io.BytesIO(data), ReadOptions(want_pages=True)):
        if isinstance(ev, RecordEvent) and ev.layer == "libxc" and ev.type == XcRecType.PAGE_DATA:
            _, _, entries = PageData.decode_header(ev.body, ev.endian)  # type: ignore[arg-type]
            k = 0
            for ent in entries:
                pfn, ptype, _ = split_pfn_entry(ent)
                if has_data(ptype):
                    pages[pfn] = (ev.pages or b"")[k * PAGE : (k + 1) * PAGE]
                    k += 1
    return pages


def write_image(tmp_path: Path, name: str, image: object) -> tuple[Path, bytes]:
    data = writer.to_bytes(image)  # type: ignore[arg-type]
    p = tmp_path / name
    p.write_bytes(data)
    return p, data


def run(*argv: str) -> int:
    return main(list(argv))


def never_sent(pages: dict[int, bytes]) -> list[list[int]]:
    out: list[list[int]] = []
    prev = -1
    for pfn in sorted(pages):
        if pfn > prev + 1:
            out.append([prev + 1, pfn - 1])
        prev = pfn
    return out


@pytest.mark.parametrize("wrap", ["libxc", "libxl", "xl"])
@pytest.mark.parametrize("guest", GUESTS)
def test_raw_matches_model(
    tmp_path: Path, guest: str, wrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src, data = write_image(tmp_path, "in.img", samples.build(guest, 3, wrap))
    out = tmp_path / "out.raw"
    assert run("export", "raw", "--json", str(src), str(out)) == 0
    summary = json.loads(capsys.readouterr().out)
    pages = model_pages(data)
    assert out.stat().st_size == (max(pages) + 1) * PAGE
    with open(out, "rb") as f:  # sent pages, and the first page of each hole
        for pfn in [*pages, *(a for a, _ in never_sent(pages))]:
            f.seek(pfn * PAGE)
            assert f.read(PAGE) == pages.get(pfn, bytes(PAGE)), pfn
    assert summary["never_sent"] == never_sent(pages)
    assert summary["pages"] == len(pages)
    assert src.read_bytes() == data  # the input is untouched


def test_raw_is_sparse(tmp_path: Path) -> None:
    src, _ = write_image(tmp_path, "in.xl", samples.build("hvm", 3, "xl"))
    out = tmp_path / "out.raw"
    assert run("export", "raw", "-q", str(src), str(out)) == 0
    st_ = out.stat()
    assert st_.st_size == 0xFF000000  # up to the special pages just below 4 GiB
    assert st_.st_blocks * 512 < 16 << 20  # but only the sent pages take space


def test_never_sent_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, _ = write_image(tmp_path, "in.xl", samples.build("x86_64-pv", 3, "xl"))
    assert run("export", "raw", str(src), str(tmp_path / "o")) == 0
    err = capsys.readouterr().err
    assert "never sent: 3 pfns: 0x1c-0x1e" in err  # XTAB, BROKEN, XALLOC carry no data


def _live_migration_image(fills: list[bytes]) -> samples.LibxcStream:
    """An HVM stream of pfns 0-23 whose pfn 3 and 5 are sent again once per fill."""
    xc = samples.libxc_stream("hvm", 3)
    xc.records = [
        r if r.type != XcRecType.PAGE_DATA else Record(r.type, samples.hvm_pages()[0])
        for r in xc.records
        if r.type != XcRecType.PAGE_DATA or r.body == samples.hvm_pages()[0]
    ]
    end = next(i for i, r in enumerate(xc.records) if r.type == XcRecType.X86_TSC_INFO)
    for n, fill in enumerate(fills):
        body = PageData.of([(5, PageType.NOTAB), (3, PageType.NOTAB)], fill=fill)
        xc.records.insert(end + n, Record(XcRecType.PAGE_DATA, body))
    return xc


@pytest.mark.parametrize("kind", ["raw", "elf"])
def test_last_copy_wins(tmp_path: Path, kind: str) -> None:
    src, data = write_image(tmp_path, "in", _live_migration_image([b"A", b"B", b"C"]))
    out = tmp_path / "out"
    assert run("export", kind, "-q", str(src), str(out)) == 0
    mem = out.read_bytes() if kind == "raw" else _elf_memory(out)
    assert mem[5 * PAGE : 6 * PAGE] == b"C" * PAGE
    assert mem[3 * PAGE : 4 * PAGE] == b"C" * PAGE
    assert mem[4 * PAGE : 5 * PAGE] == model_pages(data)[4]


def test_pipe_input_same_as_file(tmp_path: Path) -> None:
    src, _ = write_image(tmp_path, "in", _live_migration_image([b"x", b"y"]))
    for kind in ("raw", "elf"):
        a, b = tmp_path / f"a.{kind}", tmp_path / f"b.{kind}"
        assert run("export", kind, "-q", str(src), str(a)) == 0
        cat = subprocess.Popen(["cat", str(src)], stdout=subprocess.PIPE)
        r = subprocess.run(
            [sys.executable, "-m", "xensave", "export", kind, "-q", "-", str(b)],
            stdin=cat.stdout,
            capture_output=True,
            check=False,
        )
        assert cat.stdout is not None
        cat.stdout.close()
        cat.wait()
        assert r.returncode == 0, r.stderr
        if kind == "raw":
            assert a.read_bytes() == b.read_bytes()
        else:  # the same notes and pages, in the layout of a core written as read
            assert core_contents(a) == core_contents(b)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# --- safety -------------------------------------------------------------------------


def test_refuses_input_as_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, data = write_image(tmp_path, "in.xl", samples.build("hvm", 3, "xl"))
    assert run("export", "raw", "--force", str(src), str(src)) == 2
    link = tmp_path / "link.xl"
    os.link(src, link)
    assert run("export", "elf", "--force", str(src), str(link)) == 2
    assert "same inode" in capsys.readouterr().err
    assert src.read_bytes() == data


def test_refuses_existing_output_without_force(tmp_path: Path) -> None:
    src, _ = write_image(tmp_path, "in.xl", samples.build("hvm", 3, "xl"))
    out = tmp_path / "out.core"
    out.write_bytes(b"keep me")
    assert run("export", "elf", str(src), str(out)) == 2
    assert out.read_bytes() == b"keep me"
    assert run("export", "elf", "-q", "--force", str(src), str(out)) == 0
    assert out.read_bytes()[:4] == b"\x7fELF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xl", "out.core"]


def test_truncated_input_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, data = write_image(tmp_path, "whole", samples.build("hvm", 3, "xl"))
    src = tmp_path / "cut.xl"
    src.write_bytes(data[: len(data) // 2])
    assert run("export", "elf", str(src), str(tmp_path / "out")) == 1
    assert "xensave: export:" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.xl", "whole"]


def test_refuses_stdout_as_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, _ = write_image(tmp_path, "in.xl", samples.build("hvm", 3, "xl"))
    assert run("export", "elf", str(src), "-") == 2
    assert "OUT must be a file" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xl"]


def test_missing_input(tmp_path: Path) -> None:
    assert run("export", "raw", str(tmp_path / "nope"), str(tmp_path / "out")) == 2
    assert list(tmp_path.iterdir()) == []


# --- pages --------------------------------------------------------------------------


def test_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, data = write_image(tmp_path, "in.xl", _live_migration_image([b"Z"]))
    pages = model_pages(data)
    out = tmp_path / "p.bin"
    rc = run("pages", str(src), "--pfn", "4-5", "--pfn", "0xfeffb", "--pfn", "0x17", "-o", str(out))
    assert rc == 0
    got = out.read_bytes()
    assert got == pages[4] + b"Z" * PAGE + bytes(PAGE) + pages[0x17]
    assert "never sent (written as zeros): 1 pfns: 0xfeffb" in capsys.readouterr().err


def test_pages_to_stdout(tmp_path: Path) -> None:
    src, data = write_image(tmp_path, "in.xl", samples.build("x86_64-pv", 3, "xl"))
    r = subprocess.run(
        [sys.executable, "-m", "xensave", "pages", str(src), "--pfn", "0x1b-0x1d"],
        capture_output=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    pages = model_pages(data)
    assert r.stdout == pages[0x1B] + bytes(2 * PAGE)
    assert b"0x1c-0x1d" in r.stderr


def test_pages_bad_range(tmp_path: Path) -> None:
    assert run("pages", str(tmp_path / "x"), "--pfn", "5-2", "-o", str(tmp_path / "o")) == 2


# --- ELF ----------------------------------------------------------------------------


def _elf_memory(path: Path) -> bytes:
    """Guest-physical memory as the PT_LOAD segments give it (zeros in the gaps)."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        size = max(s["p_paddr"] + s["p_memsz"] for s in loads)
        mem = bytearray(size)
        for s in loads:
            mem[s["p_paddr"] : s["p_paddr"] + s["p_filesz"]] = s.data()
    return bytes(mem)


def test_register_offsets() -> None:
    """Spot checks of the struct offsets against Xen's public headers."""
    ctx = bytearray(5168)
    struct.pack_into("<Q", ctx, 520 + 128, 0xFFFFFFFF81000000)  # user_regs.rip
    struct.pack_into("<Q", ctx, 520 + 80, 0x1234)  # user_regs.rax
    struct.pack_into("<H", ctx, 520 + 136, 0xE033)  # user_regs.cs
    got = pv_regs(bytes(ctx), "<")
    assert got is not None and got[0] == "pv64"
    assert got[1]["rip"] == 0xFFFFFFFF81000000 and got[1]["rax"] == 0x1234
    assert got[1]["cs"] == 0xE033
    ctx32 = bytearray(2800)
    struct.pack_into("<I", ctx32, 516 + 32, 0xC0100000)  # eip
    struct.pack_into("<I", ctx32, 516 + 24, 7)  # eax
    got = pv_regs(bytes(ctx32), "<")
    assert got is not None and got[0] == "pv32"
    assert got[1]["rip"] == 0xC0100000 and got[1]["rax"] == 7
    hw = bytearray(1024)
    struct.pack_into("<Q", hw, 640, 0xFFF0)  # rip
    struct.pack_into("<I", hw, 736, 0xF000)  # cs_sel
    struct.pack_into("<Q", hw, 672, 0x1000)  # cr3
    struct.pack_into("<Q", hw, 808 + 8 * 3, 0x7000)  # fs_base
    struct.pack_into("<I", hw, 888, 0xA9B)  # cs_arbytes: code, s, p, l, g
    struct.pack_into("<Q", hw, 944, 0xFFFF8000)  # shadow_gs
    regs = hvm_cpu_regs(bytes(hw), "<")
    assert regs is not None and regs["rip"] == 0xFFF0 and regs["cs"] == 0xF000
    assert regs["cr3"] == 0x1000 and regs["fs_base"] == 0x7000
    assert regs["cs_flags"] == 0xA09B00  # descriptor high word: G, L, P, S, type B
    assert regs["kernel_gs_base"] == 0xFFFF8000
    struct.pack_into("<I", ctx32, 2716 + 12, (0x123456 << 12 | 0x123456 >> 20) & 0xFFFFFFFF)
    got = pv_regs(bytes(ctx32), "<")
    assert got is not None and got[1]["cr3"] == 0x123456 << 12  # xen_pfn_to_cr3_32 undone


# QEMU's QEMUCPUState (target/i386/arch_dump.c), the desc of its "QEMU" note: version,
# size, rax rbx rcx rdx rsi rdi rsp rbp r8-r15 rip rflags, ten segments {u32 selector,
# limit, flags, pad; u64 base} (cs ds es fs gs ss ldt tr gdt idt), cr[5], kernel_gs_base
QEMU_GP = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", *(f"r{i}" for i in range(8, 16)))
QEMU_SEGS = ("cs", "ds", "es", "fs", "gs", "ss", "ldt", "tr", "gdt", "idt")
# x86 segment descriptor bits as QEMU keeps them (the descriptor's high word): type at
# 8, S 12, DPL 13, P 15, AVL 20, L 21, D/B 22, G 23
CODE64_FLAGS = 0xB << 8 | 1 << 12 | 1 << 15 | 1 << 21 | 1 << 23
DATA_FLAGS = 0x3 << 8 | 1 << 12 | 1 << 15 | 1 << 22 | 1 << 23


def qemu_note(desc: bytes) -> dict[str, int]:
    """A QEMUCPUState as a dict (segments as NAME, NAME_limit, NAME_flags, NAME_base)."""
    assert len(desc) == 440
    out = dict(zip(("version", "size"), struct.unpack_from("<II", desc), strict=True))
    out.update(zip((*QEMU_GP, "rip", "eflags"), struct.unpack_from("<18Q", desc, 8), strict=True))
    for i, sg in enumerate(QEMU_SEGS):
        sel, limit, flags, _, base = struct.unpack_from("<IIIIQ", desc, 152 + 24 * i)
        out.update({sg: sel, f"{sg}_limit": limit, f"{sg}_flags": flags, f"{sg}_base": base})
    cr = struct.unpack_from("<5Q", desc, 392)
    out.update({f"cr{i}": cr[i] for i in range(5)})
    out["k_gs_base"] = struct.unpack_from("<Q", desc, 432)[0]
    return out


def prstatus_regs(desc: bytes) -> tuple[int, dict[str, int]]:
    """(pr_pid, pr_reg by name) of an x86_64 elf_prstatus (336 octets: pr_reg at 112)."""
    assert len(desc) == 336
    pid = struct.unpack_from("<I", desc, 32)[0]
    names = (
        *("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8"),
        *("rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss"),
        *("fs_base", "gs_base", "ds", "es", "fs", "gs"),
    )  # struct user_regs_struct, from Linux's asm/user_64.h
    return pid, dict(zip(names, struct.unpack_from("<27Q", desc, 112), strict=True))


def check_core(path: Path, p: Planted, pages: dict[int, bytes] | None = None) -> None:
    """The core at ``path`` as pyelftools reads it: ET_CORE for x86_64, a PT_NOTE first
    with every vCPU's NT_PRSTATUS then every vCPU's QEMU note holding the planted
    registers, then one PT_LOAD per contiguous range of pages sent (``pages``, when
    given, is every page), the marker page in its place."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        assert elf["e_type"] == "ET_CORE" and elf["e_machine"] == "EM_X86_64"
        assert elf.elfclass == 64 and elf.little_endian
        segs = list(elf.iter_segments())
        assert segs[0]["p_type"] == "PT_NOTE"
        notes = [(n["n_name"], n["n_type"], n["n_desc"]) for n in segs[0].iter_notes()]
        loads = segs[1:]
        assert all(s["p_type"] == "PT_LOAD" for s in loads)
        spans = [(s["p_paddr"], s["p_paddr"] + s["p_memsz"]) for s in loads]
        for s in loads:
            assert s["p_vaddr"] == s["p_paddr"]
            assert s["p_filesz"] == s["p_memsz"] and s["p_memsz"] % PAGE == 0
            assert s["p_offset"] % PAGE == 0
        mem = {}
        for s in loads:
            seg = s.data()
            for i in range(s["p_memsz"] // PAGE):
                mem[s["p_paddr"] // PAGE + i] = seg[i * PAGE : (i + 1) * PAGE]
    assert mem[p.mark_pfn] == p.mark_page
    if pages is not None:
        assert mem == pages
        runs: list[tuple[int, int]] = []  # contiguous pfn ranges, built from the model
        for pfn in sorted(pages):
            if runs and runs[-1][1] == pfn:
                runs[-1] = (runs[-1][0], pfn + 1)
            else:
                runs.append((pfn, pfn + 1))
        assert spans == [(a * PAGE, b * PAGE) for a, b in runs]
    n = len(p.regs)
    assert [(name, t) for name, t, _ in notes] == [("CORE", "NT_PRSTATUS")] * n + [("QEMU", 0)] * n
    gp = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp")
    gp += () if p.kind == "pv32" else tuple(f"r{i}" for i in range(8, 16))
    segregs = ("cs", "ss", "ds", "es", "fs", "gs")
    bases = () if p.kind == "pv32" else ("fs_base", "gs_base")
    for v, (_, _, desc) in zip(sorted(p.regs), notes[:n], strict=True):
        want = p.regs[v]
        pid, pr = prstatus_regs(desc)  # type: ignore[arg-type]
        assert pid == v + 1  # as QEMU numbers vCPUs
        for name in (*gp, "rip", "eflags", *segregs, *bases):
            assert pr[name] == want[name], (v, name)
        zero = ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "fs_base", "gs_base")
        if p.kind == "pv32":
            assert all(pr[name] == 0 for name in zero)
    for v, (_, _, desc) in zip(sorted(p.regs), notes[n:], strict=True):
        want = p.regs[v]
        q = qemu_note(desc)  # type: ignore[arg-type]
        assert (q["version"], q["size"]) == (1, 440)
        for name in (*gp, "rip", "eflags", *segregs, "cr0", "cr2", "cr3", "cr4"):
            assert q[name] == want[name], (v, name)
        if p.kind != "pv32":
            assert q["fs_base"] == want["fs_base"] and q["gs_base"] == want["gs_base"]
            assert q["k_gs_base"] == want["k_gs_base"]
        if p.kind == "hvm":
            assert q["cs_flags"] == CODE64_FLAGS
            assert all(q[f"{sg}_flags"] == DATA_FLAGS for sg in ("ds", "es", "ss", "fs", "gs"))
            assert all(q[f"{sg}_limit"] == 0xFFFFFFFF for sg in segregs)


@pytest.mark.parametrize("wrap", ["libxc", "libxl", "xl"])
@pytest.mark.parametrize("guest", GUESTS)
def test_elf_with_pyelftools(tmp_path: Path, guest: str, wrap: str) -> None:
    p = planted(guest, wrap, vcpus=3)
    src = tmp_path / "in"
    src.write_bytes(p.data)
    out = tmp_path / "out.core"
    assert run("export", "elf", "-q", str(src), str(out)) == 0
    check_core(out, p, model_pages(p.data))


@pytest.mark.parametrize("guest", GUESTS)
def test_elf_live_migration_last_copy(tmp_path: Path, guest: str) -> None:
    p = planted(guest, resend=True)
    src = tmp_path / "in"
    src.write_bytes(p.data)
    out = tmp_path / "out.core"
    assert run("export", "elf", "-q", str(src), str(out)) == 0
    assert p.stale != p.mark_page and p.stale in p.data  # both copies are in the image
    check_core(out, p, model_pages(p.data))


@pytest.mark.parametrize("name", sorted(LEGACY))
def test_elf_from_legacy(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    p = planted_legacy(name)
    src = tmp_path / "legacy.img"
    src.write_bytes(p.data)
    out = tmp_path / "out.core"
    assert run("export", "elf", str(src), str(out)) == 0
    assert "legacy (Xen <= 4.5) image: converted" in capsys.readouterr().err
    check_core(out, p)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["legacy.img", "out.core"]


def test_elf_no_vcpu_context_gives_zero_prstatus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xc = samples.libxc_stream("hvm", 3)
    xc.records = [r for r in xc.records if r.type != XcRecType.HVM_CONTEXT]
    src, _ = write_image(tmp_path, "in", xc)
    out = tmp_path / "out.core"
    assert run("export", "elf", str(src), str(out)) == 0
    assert "no vCPU context" in capsys.readouterr().err
    with open(out, "rb") as f:
        notes = list(next(ELFFile(f).iter_segments()).iter_notes())
    assert len(notes) == 2 and notes[0]["n_type"] == "NT_PRSTATUS"


# --- property: any sequence of PAGE_DATA rounds --------------------------------------

_round = st.lists(
    st.tuples(st.integers(0, 40), st.sampled_from([PageType.NOTAB, PageType.XTAB, PageType.L1TAB])),
    min_size=1,
    max_size=12,
    unique_by=lambda t: t[0],
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rounds=st.lists(_round, min_size=1, max_size=5), fill=st.binary(min_size=1, max_size=3))
def test_raw_and_elf_agree_with_model(
    tmp_path: Path, rounds: list[list[tuple[int, int]]], fill: bytes
) -> None:
    xc = samples.libxc_stream("hvm", 3)
    recs = [r for r in xc.records if r.type != XcRecType.PAGE_DATA]
    body = [
        Record(
            XcRecType.PAGE_DATA,
            PageData(
                [pfn_entry(p, t) for p, t in r],
                [
                    (fill + bytes([n, p])) * (PAGE // (len(fill) + 2))
                    + bytes(PAGE % (len(fill) + 2))
                    for p, t in r
                    if has_data(t)
                ],
            ),
        )
        for n, r in enumerate(rounds)
    ]
    xc.records = body + recs
    data = writer.to_bytes(xc)
    pages = model_pages(data)
    src = tmp_path / "in"
    src.write_bytes(data)
    for kind in ("raw", "elf"):
        out = tmp_path / f"out.{kind}"
        assert run("export", kind, "-q", "--force", str(src), str(out)) == 0
        if not pages:
            continue
        mem = out.read_bytes() if kind == "raw" else _elf_memory(out)
        for pfn in range(max(pages) + 1):
            assert mem[pfn * PAGE : (pfn + 1) * PAGE] == pages.get(pfn, bytes(PAGE))


def _wrapped(kind: str, guest: str) -> object:
    from xensave.model import LibvirtFile, XapiImage, XapiSection
    from xensave.reader import XapiKind

    if kind == "big-endian":
        return samples.build(guest, 3, "libxc", big_endian=True)
    if kind == "libvirt":
        return LibvirtFile(samples.build(guest, 3, "libxl"), xml=b"<domain/>\x00")  # type: ignore[arg-type]
    return XapiImage(
        [
            XapiSection(XapiKind.XENOPS, b"((word_size 64))"),
            XapiSection(XapiKind.LIBXC, samples.build(guest, 3, "libxc")),
            XapiSection(XapiKind.END_OF_IMAGE),
        ]
    )


@pytest.mark.parametrize("kind", ["libvirt", "xapi", "big-endian"])
@pytest.mark.parametrize("guest", ["x86_64-pv", "x86_32-pv"])
def test_other_layers(tmp_path: Path, kind: str, guest: str) -> None:
    src, data = write_image(tmp_path, "in", _wrapped(kind, guest))
    pages = model_pages(data)
    assert pages
    for fmt in ("raw", "elf"):
        out = tmp_path / f"out.{fmt}"
        assert run("export", fmt, "-q", str(src), str(out)) == 0
        mem = out.read_bytes() if fmt == "raw" else _elf_memory(out)
        for pfn, page in pages.items():
            assert mem[pfn * PAGE : (pfn + 1) * PAGE] == page
    with open(tmp_path / "out.elf", "rb") as f:
        notes = list(next(ELFFile(f).iter_segments()).iter_notes())
    prs = [n for n in notes if n["n_name"] == "CORE"]
    rips = [struct.unpack_from("<27Q", n["n_desc"], 112)[PR_REGS.index("rip")] for n in prs]
    assert len(rips) == 2 and all(rips)


@pytest.mark.parametrize(
    ("flags", "existing", "synced"),
    [
        ((), False, False),  # a new file: nothing to lose, no fsync
        (("--force",), True, True),  # replacing: the old file goes only for a synced one
        (("--sync",), False, True),
        (("--no-sync", "--force"), True, False),
    ],
)
def test_fsync_policy(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flags: tuple[str, ...],
    existing: bool,
    synced: bool,
) -> None:
    import xensave.export as export_mod

    src, _ = write_image(tmp_path, "in", samples.build("x86_64-pv", 3, "xl"))
    out = tmp_path / "o"
    if existing:
        out.write_bytes(b"old")
    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(export_mod.os, "fsync", lambda fd: (calls.append(fd), real(fd))[1])
    assert run("export", "elf", "-q", *flags, str(src), str(out)) == 0
    assert out.read_bytes()[:4] == b"\x7fELF"
    assert bool(calls) == synced


def test_writeback_started_while_copying(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With fsync due, writeback of OUT is started as the copy goes (sync_file_range),
    so the fsync at the end finds little left to write."""
    import xensave.export as export_mod

    kicks: list[tuple[int, int, int, int]] = []
    monkeypatch.setattr(export_mod, "WRITEBACK_STEP", 2 * PAGE)
    monkeypatch.setattr(export_mod, "sync_file_range", lambda: lambda *a: kicks.append(a) or 0)
    src, _ = write_image(tmp_path, "in", samples.build("x86_64-pv", 3, "xl"))
    assert run("export", "raw", "-q", "--sync", str(src), str(tmp_path / "a")) == 0
    assert kicks and all(k[1:] == (0, 0, 2) for k in kicks)  # whole file, WRITE only
    kicks.clear()
    assert run("export", "raw", "-q", str(src), str(tmp_path / "b")) == 0
    assert kicks == []  # no fsync due: the kernel writes back when it likes
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


@pytest.mark.parametrize("name", CASES)
def test_planted_images_are_valid(tmp_path: Path, name: str) -> None:
    """The images the tool tests export are valid, so a tool's view is judged on real
    input (their registers are plausible: canonical addresses, cr3 and rdx name pfns)."""
    src = tmp_path / "in"
    src.write_bytes(case(name).data)
    assert run("verify", str(src)) == 0
