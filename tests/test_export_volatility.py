"""The exported core opened by Volatility 3's ELF layer, found by its own stacker.

Volatility 3 is a large dependency, so it is not in the test extras: this runs in
``tox -e export-volatility``, which installs it and sets XENSAVE_EXPORT_VOLATILITY=1.
Without that variable each test is reported as skipped with this reason; with it, a
missing volatility3 fails the test with the install command.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xensave import samples, writer
from xensave.cli import main

pytestmark = pytest.mark.skipif(
    os.environ.get("XENSAVE_EXPORT_VOLATILITY") != "1",
    reason="Volatility 3 checks of export elf: run `./dev tox -e export-volatility` "
    "(or pip install volatility3; XENSAVE_EXPORT_VOLATILITY=1 pytest "
    "tests/test_export_volatility.py)",
)


def _stack(core: Path) -> object:
    try:
        from volatility3.framework import contexts
        from volatility3.framework.layers.elf import Elf64Layer, Elf64Stacker
        from volatility3.framework.layers.physical import FileLayer
    except ImportError:
        pytest.fail("volatility3 is not installed: pip install volatility3")
    ctx = contexts.Context()
    ctx.config["base.location"] = core.resolve().as_uri()
    ctx.add_layer(FileLayer(ctx, "base", "base"))
    layer = Elf64Stacker.stack(ctx, "base")
    assert isinstance(layer, Elf64Layer), "Volatility's ELF stacker did not take the core"
    return layer


@pytest.mark.parametrize("guest", ["hvm", "x86_64-pv", "x86_32-pv"])
def test_volatility_reads_guest_physical_memory(tmp_path: Path, guest: str) -> None:
    src = tmp_path / "in.xl"
    src.write_bytes(writer.to_bytes(samples.build(guest, 3, "xl")))
    core = tmp_path / "guest.core"
    assert main(["export", "elf", "-q", str(src), str(core)]) == 0
    layer = _stack(core)
    # sample data pages hold their own pfn in every u64
    addr, pfn = (0xFEFFC000, 0xFEFFC) if guest == "hvm" else (0x5000, 5)
    data = layer.read(addr, 32)  # type: ignore[attr-defined]
    assert data == pfn.to_bytes(8, "little") * 4
    assert layer.is_valid(addr)  # type: ignore[attr-defined]
    hole = 0x18000 if guest == "hvm" else 0x1C000  # a pfn the image never sent
    assert not layer.is_valid(hole)  # type: ignore[attr-defined]
