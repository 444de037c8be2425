"""The exported core opened with real tools: readelf (binutils) and gdb.

They need system packages pip cannot install, so they run in ``tox -e export-tools``
(which sets XENSAVE_EXPORT_TOOLS=1 and installs binutils and gdb with apt-get when
they are missing); tests/conftest.py leaves this file out of any other run. In that
environment a missing tool fails the test with the install command.

Every image here has a banner planted in one guest page and registers planted in its
vCPU records (tests/export_images.py, offsets from Xen's headers): gdb must show
exactly those bytes at that guest-physical address, and exactly those registers for
each vCPU. The cases cover HVM, x86_64 PV and x86_32 PAE PV guests in xl files, live
migration (the marker page sent twice: the last copy wins) and legacy images.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from export_images import (
    CASES,
    GP32,
    GP64,
    LEGACY,
    PAGE,
    SEGS,
    Planted,
    case,
    export_from_pipe,
)

from xensave.cli import main

HINT = "not installed: apt-get install -y binutils gdb (Debian/Ubuntu), dnf install binutils gdb"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} {HINT}")
    return path


def export(tmp_path: Path, p: Planted, pipe: bool = False) -> Path:
    """The core from the image as a file, or (``pipe``) from ``cat IMG |``, whose layout
    differs: pages in stream order, program headers after them."""
    src = tmp_path / f"{p.name}.img"
    src.write_bytes(p.data)
    out = tmp_path / f"{p.name}.core"
    if pipe:
        export_from_pipe(src, out)
    else:
        assert main(["export", "elf", "-q", str(src), str(out)]) == 0
    return out


#: (case, from a pipe): every case from a file, and the stream ones from a pipe too (a
#: legacy image is converted from a file only)
WAYS = [(c, False) for c in CASES] + [(c, True) for c in CASES if c not in LEGACY]


def gdb(path: Path, *commands: str) -> str:
    argv = [tool("gdb"), "-nx", "-batch", "-ex", "set pagination off", "-ex", f"core-file {path}"]
    for c in commands:
        argv += ["-ex", c]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert "error" not in r.stderr.lower(), r.stderr
    return r.stdout


def info_registers(text: str) -> dict[str, int]:
    """``info registers`` lines (``name  0xhex  natural``) as a dict."""
    return {m[1]: int(m[2], 16) for m in re.finditer(r"^(\w+)\s+(0x[0-9a-f]+)", text, re.M)}


@pytest.mark.parametrize(("name", "pipe"), WAYS)
def test_readelf(tmp_path: Path, name: str, pipe: bool) -> None:
    p = case(name)
    out = export(tmp_path, p, pipe)
    r = subprocess.run(
        [tool("readelf"), "-W", "-h", "-l", "-n", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no warnings about the layout
    assert "CORE (Core file)" in r.stdout
    assert "Advanced Micro Devices X86-64" in r.stdout
    # every vCPU's NT_PRSTATUS, then every vCPU's QEMU CPU state, as QEMU writes them
    notes = re.findall(r"^\s+(CORE|QEMU)\s+0x[0-9a-f]+\s+(\S+)", r.stdout, re.M)
    assert [n for n, _ in notes] == ["CORE"] * len(p.regs) + ["QEMU"] * len(p.regs)
    assert all(t == "NT_PRSTATUS" for n, t in notes if n == "CORE")
    loads = re.findall(r"^\s*LOAD\s+(0x\w+)\s+(0x\w+)\s+(0x\w+)\s+(0x\w+)", r.stdout, re.M)
    assert loads and all(v == pa for _, v, pa, _ in loads)  # p_vaddr = p_paddr
    spans = [(int(pa, 16), int(pa, 16) + int(size, 16)) for _, _, pa, size in loads]
    assert any(a <= p.mark_addr < b for a, b in spans)
    # sorted by address, never overlapping; from a file each range is one PT_LOAD
    assert all(b1 <= a2 if pipe else b1 < a2 for (_, b1), (a2, _) in itertools.pairwise(spans))


@pytest.mark.parametrize(("name", "pipe"), WAYS)
def test_gdb_reads_planted_memory_and_registers(tmp_path: Path, name: str, pipe: bool) -> None:
    p = case(name)
    out = export(tmp_path, p, pipe)
    page = p.mark_pfn * PAGE
    dumped = tmp_path / "page.bin"
    commands = [f"dump binary memory {dumped} {page:#x} {page + PAGE:#x}", f"x/s {p.mark_addr:#x}"]
    names = [*(GP64 if p.kind != "pv32" else GP32), "rip", "eflags", *SEGS]
    if p.kind != "pv32":
        names += ["fs_base", "gs_base"]
    for v in sorted(p.regs):
        commands += [f"thread {v + 1}", "echo ---\\n", f"info registers {' '.join(names)}"]
    text = gdb(out, *commands)
    # the whole page, byte for byte, and the banner as a string
    assert dumped.read_bytes() == p.mark_page
    banner = p.mark.rstrip(b"\0").decode()
    assert f'{p.mark_addr:#x}:\t"{banner}"' in text
    if p.stale:
        assert dumped.read_bytes() != p.stale  # the first copy sent lost
    # each thread (gdb numbers vCPU n as thread n+1) shows that vCPU's registers
    blocks = text.split("---\n")[1:]
    assert len(blocks) == len(p.regs)
    for v, block in zip(sorted(p.regs), blocks, strict=True):
        shown = info_registers(block)
        want = {n: p.regs[v][n] for n in names}
        assert shown == want, f"vCPU {v}"
    if p.kind == "pv32":  # a 32-bit guest: the upper registers are zero, eip in rip
        shown = info_registers(gdb(out, "info registers r8 r15"))
        assert shown == {"r8": 0, "r15": 0}


def test_gdb_threads_one_per_vcpu(tmp_path: Path) -> None:
    from export_images import planted

    p = planted("hvm", vcpus=4)
    text = gdb(export(tmp_path, p), "info threads")
    rips = re.findall(r"^\*?\s+\d+\s+LWP (\d+)\s+(0x[0-9a-f]+) in", text, re.M)
    assert [(int(lwp), int(rip, 16)) for lwp, rip in rips] == [
        (v + 1, p.regs[v]["rip"]) for v in range(4)
    ]
