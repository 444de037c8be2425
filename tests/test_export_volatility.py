"""The exported core opened by Volatility 3, as a user would: ``vol -f CORE PLUGIN``.

Volatility 3 is a large dependency, so it is not in the test extras: this runs in
``tox -e export-volatility``, which installs a pinned range of it from PyPI and sets
XENSAVE_EXPORT_VOLATILITY=1; tests/conftest.py leaves this file out of any other
run. In that environment a missing ``vol`` fails the test with the install command.

The plugins used need nothing but a memory layer, so no symbol tables are involved:
Volatility's own automagic must recognise the file as an ELF core and stack its ELF
layer (guest-physical addresses) on the file; ``banners.Banners`` must then find
the banner planted in a guest page (tests/export_images.py) at its guest-physical
address, and ``layerwriter.LayerWriter`` must write out the same memory, byte for
byte, as ``xensave export raw``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from export_images import CASES, LEGACY, PAGE, Planted, case, export_from_pipe

from xensave.cli import main

#: cases whose highest guest-physical address is low (the HVM samples reach just below
#: 4 GiB, which layerwriter would write out in full)
SMALL = ("x86_64-pv", "x86_32-pv", "x86_32-pv-resent", "legacy-pv64", "legacy-pv32")


def vol(*args: str, cwd: Path) -> str:
    exe = Path(sys.executable).with_name("vol")
    path = str(exe) if exe.exists() else shutil.which("vol")
    if path is None:
        pytest.fail("vol (Volatility 3) is not installed: pip install 'volatility3>=2.28.2,<2.29'")
    r = subprocess.run(
        [path, "-q", "-r", "json", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def export(tmp_path: Path, p: Planted, kind: str = "elf", pipe: bool = False) -> Path:
    """OUT from the image as a file, or (``pipe``) from ``cat IMG |`` (a core's layout
    then differs: pages in stream order, program headers after them)."""
    src = tmp_path / f"{p.name}.img"
    src.write_bytes(p.data)
    out = tmp_path / f"{p.name}.{'pipe.' if pipe else ''}{kind}"
    if pipe:
        export_from_pipe(src, out, kind)
    else:
        assert main(["export", kind, "-q", str(src), str(out)]) == 0
    return out


#: (case, from a pipe): every case from a file, the stream ones from a pipe too
WAYS = [(c, False) for c in CASES] + [(c, True) for c in CASES if c not in LEGACY]


@pytest.mark.parametrize(("name", "pipe"), WAYS)
def test_banners_finds_the_planted_banner(tmp_path: Path, name: str, pipe: bool) -> None:
    p = case(name)
    core = export(tmp_path, p, pipe=pipe)
    found = json.loads(vol("-f", str(core), "banners.Banners", cwd=tmp_path))
    # one banner, at its guest-physical address (a file offset would mean Volatility
    # read the core as a flat file); the stale first copy of a resent page is gone
    assert [(b["Offset"], b["Banner"]) for b in found] == [
        (p.mark_addr, p.mark.rstrip(b"\0").decode())
    ]


def test_automagic_stacks_the_elf_layer(tmp_path: Path) -> None:
    core = export(tmp_path, case("hvm"))
    layers = json.loads(vol("-f", str(core), "layerwriter.LayerWriter", "--list", cwd=tmp_path))
    got = {row["Layer name"]: row["Layer type"] for row in layers}
    assert got == {"base_layer": "FileLayer", "primary": "Elf64Layer"}


@pytest.mark.parametrize(
    ("name", "pipe"), [(c, False) for c in SMALL] + [(c, True) for c in SMALL if c not in LEGACY]
)
def test_layerwriter_output_is_the_raw_export(tmp_path: Path, name: str, pipe: bool) -> None:
    p = case(name)
    core = export(tmp_path, p, pipe=pipe)
    raw = export(tmp_path, p, "raw").read_bytes()
    out = tmp_path / "vol"
    out.mkdir()
    vol("-o", str(out), "-f", str(core), "layerwriter.LayerWriter", cwd=tmp_path)
    written = (out / "primary.raw").read_bytes()
    assert written[p.mark_pfn * PAGE : (p.mark_pfn + 1) * PAGE] == p.mark_page
    assert written == raw


def test_python_api_reads_guest_physical_memory(tmp_path: Path) -> None:
    """The same through the library: Volatility's ELF stacker on a file layer."""
    try:
        from volatility3.framework import contexts
        from volatility3.framework.layers.elf import Elf64Layer, Elf64Stacker
        from volatility3.framework.layers.physical import FileLayer
    except ImportError:
        pytest.fail("volatility3 is not installed: pip install 'volatility3>=2.28.2,<2.29'")
    p = case("hvm-resent")
    core = export(tmp_path, p)
    ctx = contexts.Context()
    ctx.config["base.location"] = core.resolve().as_uri()
    ctx.add_layer(FileLayer(ctx, "base", "base"))
    layer = Elf64Stacker.stack(ctx, "base")
    assert isinstance(layer, Elf64Layer), "Volatility's ELF stacker did not take the core"
    assert layer.read(p.mark_pfn * PAGE, PAGE) == p.mark_page
    assert layer.is_valid(p.mark_addr)
    hole = 0x18000  # a pfn the image never sent
    assert not layer.is_valid(hole)
