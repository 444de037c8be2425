"""Xen 4.17's own restorer (Debian's libxenguest over the in-memory hypervisor,
conformance/xen/) accepts the xl files that toolstack moves and edits write: the
moved stream is Xen's to judge, not our checker's. Runs in ``tox -e xen-oracle``
(XENSAVE_XEN_ORACLE=1) beside tests/test_xen_oracle.py, which builds the runtime."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from xensave.cli import main

ROOT = Path(__file__).resolve().parent.parent
TESTEE = ROOT / "conformance" / "xen" / "testee.py"
CORPUS = ROOT / "conformance" / "corpus"


def restore(image: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, str(TESTEE), "restore", "--file", str(image)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode == 2:
        pytest.fail(f"the restorer could not judge {image.name}: {done.stderr.strip()}")
    return done.returncode, done.stdout.strip()


@pytest.mark.parametrize(
    "case,extra",
    [
        ("y_libvirt-v3_hvm_in-libvirt", ["--allow-loss"]),
        ("y_libvirt-v2_x86_64-pv_in-libvirt", ["--allow-loss"]),
        ("y_xapi-v3_hvm_in-xapi", ["--allow-loss", "--emulator", "qemu-xen"]),
        ("y_xapi-v2_x86_64-pv_in-xapi", ["--allow-loss"]),
        ("y_libxl-v3_x86_32-pv_typical", []),
        ("y_libxc-v3_hvm_typical", []),
        ("y_libxc-v3_x86_64-pv_typical", []),
    ],
)
def test_moved_to_xl_restores(tmp_path: Path, case: str, extra: list[str]) -> None:
    out = tmp_path / "moved.xl"
    assert main(["convert", "-q", "--to", "xl", *extra, str(CORPUS / f"{case}.bin"), str(out)]) == 0
    assert restore(out) == (0, "accept:")


def test_edited_image_restores(tmp_path: Path, capsys: Any) -> None:
    moved = tmp_path / "moved.xl"
    src = CORPUS / "y_libxc-v3_hvm_hvm-context-every-typecode.bin"
    assert main(["convert", "-q", "--to", "xl", str(src), str(moved)]) == 0
    cfg = tmp_path / "dom.json"
    cfg.write_text(json.dumps({"c_info": {"name": "edited", "type": "hvm"}, "b_info": {}}))
    edited = tmp_path / "edited.xl"
    argv = ["edit", "-q", "--config", str(cfg), "--set", "vcpu0.rip=0xffffffff81000000"]
    argv += ["--hvm-set", "HPET[0].config=0x0", "--param", "TIMER_MODE=1"]
    assert main([*argv, str(moved), str(edited)]) == 0
    assert restore(edited) == (0, "accept:")
