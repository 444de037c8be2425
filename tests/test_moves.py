"""Toolstack moves (xensave convert --to xl|libvirt|xapi|libxl on v2/v3 images): the
result verifies, holds the same guest (diff finds no register, param, record body or
page that differs), carries the wrapper facts of its toolstack, and every loss is
refused unless --allow-loss."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from xensave.checker import check_bytes
from xensave.cli import main
from xensave.diff import diff_files
from xensave.reader import Reader, XapiHeader

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "conformance" / "corpus"
XL_HVM = CORPUS / "y_xl-v3_hvm_typical.bin"
XL_PV = CORPUS / "y_xl-v3_x86_64-pv_typical.bin"
LIBVIRT = CORPUS / "y_libvirt-v3_hvm_in-libvirt.bin"
XAPI = CORPUS / "y_xapi-v3_hvm_in-xapi.bin"
XAPI_UEFI = CORPUS / "y_xapi-v3_hvm_in-xapi-uefi.bin"
LIBXL = CORPUS / "y_libxl-v3_hvm_typical.bin"
LIBXC = CORPUS / "y_libxc-v3_hvm_typical.bin"
REMUS = CORPUS / "y_libxl-v3_hvm_remus.bin"
LEGACY = CORPUS / "y_legacy-legacy_x86_64-pv_toolstack-64.bin"

#: What a move may change: the wrappers, the configuration, libxl's own records.
WRAPPER_ONLY = {"layers", "headers", "config", "xml"}


def convert(capsys: Any, *argv: object) -> tuple[int, str, str]:
    rc = main(["convert", *map(str, argv)])
    out, err = capsys.readouterr()
    return rc, out, err


def same_guest(a: Path, b: Path, *, libxl_records_kept: bool = True) -> None:
    d, _a, _b = diff_files(str(a), str(b))
    rest = set(d) - WRAPPER_ONLY
    if not libxl_records_kept:  # XAPI has no libxl records: only they may differ
        recs = d.pop("records", {})
        assert all(k.startswith("libxl ") for k in recs.get("bodies_differ", []))
        assert all(c["record"].startswith("libxl ") for c in recs.get("counts", []))
        rest = set(d) - WRAPPER_ONLY
    assert rest == set(), {k: d[k] for k in rest}


@pytest.fixture()
def xml(tmp_path: Path) -> Path:
    p = tmp_path / "dom.xml"
    p.write_text("<domain type='xen'><name>moved</name></domain>\n")
    return p


@pytest.fixture()
def cfg(tmp_path: Path) -> Path:
    p = tmp_path / "dom.json"
    p.write_text(json.dumps({"c_info": {"name": "moved", "type": "hvm"}, "b_info": {}}))
    return p


def test_xl_to_libvirt_and_back(tmp_path: Path, capsys: Any, xml: Path, cfg: Path) -> None:
    lv = tmp_path / "guest.libvirt"
    rc, _, err = convert(capsys, "--to", "libvirt", "--config", xml, "--allow-loss", XL_HVM, lv)
    assert rc == 0, err
    data = lv.read_bytes()
    assert data[:16] == b"libvirt-xml\n \x00 \r"
    # libvirt labels a libxl stream version 2 (LIBXL_SAVE_VERSION with LIBXL_HAVE_SRM_V2)
    version, xml_len = struct.unpack_from("<II", data, 16)
    assert version == 2
    assert data[64 : 64 + xml_len] == xml.read_bytes() + b"\x00"
    assert data[64 + xml_len : 64 + xml_len + 8] == b"LibxlFmt"
    assert check_bytes(data).valid
    same_guest(XL_HVM, lv)
    back = tmp_path / "back.xl"
    rc, _, err = convert(capsys, "--to", "xl", "--config", cfg, "--allow-loss", lv, back)
    assert rc == 0, err
    assert check_bytes(back.read_bytes()).valid
    same_guest(XL_HVM, back)


def test_xl_to_xapi_and_back(tmp_path: Path, capsys: Any) -> None:
    xapi = tmp_path / "guest.xapi"
    rc, text, err = convert(capsys, "--to", "xapi", "--allow-loss", XL_HVM, xapi)
    assert rc == 0, err
    assert "dropped: the xl file's domain configuration" in text
    assert "EMULATOR_XENSTORE_DATA" in text
    with open(xapi, "rb") as f:
        sections = [e.name for e in Reader(f) if isinstance(e, XapiHeader)]
    # xenopsd restores a LIBXC section and refuses LIBXL ones (XAPI-SEC-006)
    assert sections == ["LIBXC", "QEMU_TRAD", "END_OF_IMAGE"]
    assert check_bytes(xapi.read_bytes()).valid
    same_guest(XL_HVM, xapi, libxl_records_kept=False)
    back = tmp_path / "back.xl"
    rc, text, err = convert(capsys, "--to", "xl", "--emulator", "qemu-xen", xapi, back)
    assert rc == 0, err
    assert "no domain configuration" in text
    assert check_bytes(back.read_bytes()).valid
    d, _a, _b = diff_files(str(xapi), str(back))
    assert not set(d) - WRAPPER_ONLY - {"records"}
    # the device model state came back in an EMULATOR_CONTEXT naming qemu-xen (2)
    data = back.read_bytes()
    qemu = data.index(b"QEVM")
    assert struct.unpack_from("<IIII", data, qemu - 16)[::2] == (3, 2)


@pytest.mark.parametrize(
    "src,to,extra",
    [
        (XL_PV, "xl", []),
        (LIBVIRT, "libvirt", []),
        (XAPI, "xapi", []),
        (XAPI_UEFI, "xapi", []),
        (LIBXL, "xl", []),
        (LIBXL, "libxl", []),
        (LIBXC, "libxl", []),
        (LIBXC, "xapi", []),
        (XAPI, "libxl", ["--allow-loss"]),
        (LIBVIRT, "libxl", ["--allow-loss"]),
        (REMUS, "xl", []),
    ],
    ids=lambda x: x.name if isinstance(x, Path) else str(x),
)
def test_moves_verify_and_keep_the_guest(
    tmp_path: Path, capsys: Any, src: Path, to: str, extra: list[str]
) -> None:
    out = tmp_path / f"out.{to}"
    rc, _, err = convert(capsys, "--to", to, *extra, src, out)
    assert rc == 0, err
    assert check_bytes(out.read_bytes()).valid
    d, _a, b = diff_files(str(src), str(out))
    if b is None:  # byte for byte the same (a move onto its own toolstack)
        assert out.read_bytes() == src.read_bytes()
        return
    assert b.layers[0] == to
    rest = set(d) - WRAPPER_ONLY - {"records"}
    assert rest == set(), d
    for k in d.get("records", {}).get("bodies_differ", []):
        assert k.startswith("libxl "), d  # libxc bodies never change


@pytest.mark.parametrize(
    "src,to,why",
    [
        (XL_HVM, "xapi", "domain configuration"),
        (XL_HVM, "libxl", "domain configuration"),
        (LIBVIRT, "xl", "libvirt domain XML"),
        (XAPI, "xl", "XENOPS"),
        (XAPI_UEFI, "libxl", "XENOPS"),
        (XL_HVM, "libvirt", "libvirt XML"),  # libvirt needs one: --config
        (REMUS, "xapi", "checkpointed"),
        (LEGACY, "xapi", "two steps"),
        (LEGACY, "libvirt", "libvirt XML"),
    ],
    ids=lambda x: x.name if isinstance(x, Path) else str(x),
)
def test_losses_and_impossible_moves_refused(
    tmp_path: Path, capsys: Any, src: Path, to: str, why: str
) -> None:
    out = tmp_path / "out"
    rc, _, err = convert(capsys, "--to", to, src, out)
    assert rc == 1
    assert why in err
    assert not out.exists()


def test_uefi_store_is_a_loss_outside_xapi(tmp_path: Path, capsys: Any, cfg: Path) -> None:
    out = tmp_path / "out.xl"
    rc, text, err = convert(capsys, "--to", "xl", "--config", cfg, "--allow-loss", XAPI_UEFI, out)
    assert rc == 0, err
    assert "dropped: the UEFI variable store" in text
    assert "dropped: xenopsd's metadata" in text


def test_config_of_the_wrong_kind(tmp_path: Path, capsys: Any, xml: Path, cfg: Path) -> None:
    rc, _, err = convert(
        capsys, "--to", "xl", "--config", xml, "--allow-loss", LIBVIRT, tmp_path / "a"
    )
    assert rc == 1 and "JSON" in err
    rc, _, err = convert(capsys, "--to", "libvirt", "--config", cfg, XL_HVM, tmp_path / "b")
    assert rc == 1 and "XML" in err
    rc, _, err = convert(capsys, "--to", "xapi", "--config", cfg, XL_HVM, tmp_path / "c")
    assert rc == 2 and "--config applies to --to xl and --to libvirt" in err  # usage
    assert not (tmp_path / "c").exists()
    rc, _, err = convert(
        capsys, "--to", "xl", "--config", tmp_path / "missing", XL_HVM, tmp_path / "d"
    )
    assert rc == 2


def test_legacy_to_libvirt_in_one_step(tmp_path: Path, capsys: Any, xml: Path) -> None:
    """A legacy image is converted to a libxl stream behind a version 2 header (libvirt
    labels the stream that follows: 2 for libxl's), the same stream --to libxl writes."""
    lv = tmp_path / "guest.libvirt"
    rc, _, err = convert(capsys, "--to", "libvirt", "--config", xml, LEGACY, lv)
    assert rc == 0, err
    data = lv.read_bytes()
    assert struct.unpack_from("<I", data, 16)[0] == 2
    assert check_bytes(data).valid
    plain = tmp_path / "guest.libxl"
    assert convert(capsys, "--to", "libxl", LEGACY, plain)[0] == 0
    assert data.endswith(plain.read_bytes())
    assert len(data) == 64 + len(xml.read_bytes()) + 1 + plain.stat().st_size
