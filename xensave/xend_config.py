"""The configuration of an xend save file: read it, write a file with another one
(the API for tools that edit an image's configuration), and turn it into xl's JSON
configuration for ``convert`` (spec/xend.md, Conversion). The framing and xend's
grammar are in ``xensave.xend``.
"""

from __future__ import annotations

import os
import struct
from typing import TYPE_CHECKING, BinaryIO

from .xend import (
    CONFIG_KEEP_MAX,
    CONFIG_LEN_FMT,
    HEADER_SIZE,
    SIGNATURE,
    SxpSyntaxError,
    SxpValue,
    XendHeader,
    child_value,
    image_kind,
    parse_sxp,
    sxp_text,
)

if TYPE_CHECKING:
    from .reader import XlHeader


# --- the configuration API -----------------------------------------------------------------------


class XendConfigError(ValueError):
    """The file is not an xend save file whose configuration can be read."""


def _header_of(f: BinaryIO) -> tuple[int, bytes]:
    raw = f.read(HEADER_SIZE)
    if len(raw) < HEADER_SIZE or raw[: len(SIGNATURE)] != SIGNATURE:
        raise XendConfigError("not an xend save file: it does not start with LinuxGuestRecord")
    (length,) = struct.unpack_from(CONFIG_LEN_FMT, raw, len(SIGNATURE))
    if length <= 0:
        raise XendConfigError(f"the configuration length is {length} (XEND-CFG-001)")
    if length > CONFIG_KEEP_MAX:
        raise XendConfigError(f"a configuration of {length} bytes is too long to edit")
    config = f.read(length)
    if len(config) < length:
        raise XendConfigError(
            f"truncated configuration: {len(config)} of {length} bytes (XEND-CFG-001)"
        )
    return length, config


def read_config(path: str) -> tuple[bytes, SxpValue]:
    """The configuration of the xend save file at ``path``: its bytes as stored and
    the S-expression xend restores from. Raises XendConfigError (not such a file,
    or a configuration xend cannot parse) or OSError."""
    with open(path, "rb") as f:
        _, config = _header_of(f)
    try:
        parsed = parse_sxp(config)
    except SxpSyntaxError as e:
        raise XendConfigError(f"the configuration does not parse (XEND-CFG-002): {e}") from None
    if not isinstance(parsed.value, list):
        raise XendConfigError("the configuration holds no complete list (XEND-CFG-002)")
    return config, parsed.value


def config_bytes(config: bytes | SxpValue) -> bytes:
    """A replacement configuration as stored: bytes as given, or an S-expression
    written out. It must parse as one ``(domain ...)`` list (XEND-CFG-002 to -004)."""
    data = config if isinstance(config, bytes) else sxp_text(config).encode("latin-1")
    try:
        parsed = parse_sxp(data)
    except SxpSyntaxError as e:
        raise XendConfigError(f"the new configuration does not parse: {e}") from None
    if not isinstance(parsed.value, list) or not parsed.value or parsed.value[0] != "domain":
        raise XendConfigError("the new configuration is not a (domain ...) list")
    if parsed.rest:
        raise XendConfigError("the new configuration holds more than one expression")
    if not 0 < len(data) <= CONFIG_KEEP_MAX:
        raise XendConfigError(f"a configuration of {len(data)} bytes cannot be stored")
    return data


def write_with_config(src: str, dst: str, config: bytes | SxpValue, *, force: bool = False) -> int:
    """Write ``dst``: the xend save file ``src`` with its configuration replaced by
    ``config`` and everything after it copied unread, in bounded chunks. The output
    goes to a temporary file beside ``dst`` and takes its name only when complete
    (``force``: replace an existing regular ``dst``), as ``convert`` does; it is not
    verified here (the caller runs the checker if it wants to). Returns the size
    written. Raises XendConfigError, OutputError or OSError; ``dst`` is then untouched."""
    from .outputs import check_output, create_temp, install, remove_temp

    new = config_bytes(config)
    check_output(src, dst, force)
    with open(src, "rb") as fin:
        _header_of(fin)
        fd, tmp = create_temp(dst)
        ok = False
        try:
            head = SIGNATURE + struct.pack(CONFIG_LEN_FMT, len(new)) + new
            written = os.write(fd, head)
            while written < len(head):
                written += os.write(fd, head[written:])
            while True:
                chunk = fin.read(1 << 20)
                if not chunk:
                    break
                view = memoryview(chunk)
                while view:
                    done = os.write(fd, view)
                    view = view[done:]
                written += len(chunk)
            os.fsync(fd)
            os.close(fd)
            fd = -1
            install(tmp, dst, replace=force)
            ok = True
            return written
        finally:
            if fd >= 0:
                os.close(fd)
            if not ok:
                remove_temp(tmp)


# --- to xl's JSON configuration -----------------------------------------------------------------

#: xend's on_* actions -> libxl_action_on_shutdown (tools/libs/light/libxl_types.idl).
_ACTIONS = {
    "destroy": "destroy",
    "restart": "restart",
    "preserve": "preserve",
    "rename-restart": "restart_rename",
    "coredump-destroy": "coredump_destroy",
    "coredump-restart": "coredump_restart",
}
#: The disk format a uname prefix names (libxl_disk_format); absent: not mapped.
_DISK_FORMATS = {
    "file": "raw",
    "phy": "raw",
    "tap:aio": "raw",
    "tap2:aio": "raw",
    "tap:qcow": "qcow",
    "tap:qcow2": "qcow2",
    "tap:vhd": "vhd",
    "tap2:vhd": "vhd",
}


def _int(v: SxpValue | None) -> int | None:
    if isinstance(v, str):
        try:
            return int(v, 0)
        except ValueError:
            return None
    return None


def xl_config_of(cfg: SxpValue, guest: str) -> tuple[dict[str, object], list[str]]:
    """libxl's JSON domain configuration (``libxl_domain_config``, as xl stores it in
    a save file) for what the xend configuration says where the mapping is clear, and
    a note for each part that is not carried over. ``guest`` (``pv`` or ``hvm``) is the
    legacy image's type, which decides the domain type."""
    notes: list[str] = []
    c_info: dict[str, object] = {"type": guest}
    b_info: dict[str, object] = {}
    out: dict[str, object] = {"c_info": c_info, "b_info": b_info}
    mapped = {"domid", "image", "device"}

    def take(key: str) -> SxpValue | None:
        mapped.add(key)
        return child_value(cfg, key)

    name = take("name")
    if isinstance(name, str):
        c_info["name"] = name
    uuid = take("uuid")
    if isinstance(uuid, str):
        c_info["uuid"] = uuid
    vcpus = _int(take("vcpus"))
    if vcpus is not None:
        b_info["max_vcpus"] = vcpus
    memory = _int(take("memory"))
    maxmem = _int(take("maxmem"))
    if memory is not None:
        b_info["target_memkb"] = memory * 1024
    if maxmem is not None or memory is not None:
        b_info["max_memkb"] = (maxmem if maxmem is not None else memory or 0) * 1024
    for key in ("on_poweroff", "on_reboot", "on_crash"):
        v = take(key)
        if isinstance(v, str):
            if v in _ACTIONS:
                out[key] = _ACTIONS[v]
            else:
                notes.append(f"not carried over: {key} {v!r} (no libxl action of that name)")
    kind = image_kind(cfg)
    img = child_value(cfg, "image")
    if kind is not None and kind != {"pv": "linux", "hvm": "hvm"}[guest]:
        notes.append(
            f"the configuration's image is ({kind} ...) but the image holds a "
            f"{guest.upper()} guest: the domain type follows the image"
        )
    if guest == "hvm":
        # xend ran qemu-dm, qemu-traditional: its state needs that device model back
        b_info["device_model_version"] = "qemu_xen_traditional"
    elif isinstance(img, list):
        for xkey, lkey in (("kernel", "kernel"), ("ramdisk", "ramdisk"), ("args", "cmdline")):
            v = child_value(img, xkey)
            if isinstance(v, str) and v:
                b_info[lkey] = v
    if isinstance(img, list):
        notes.append(
            "not carried over: the image's other settings (boot loader, device-model "
            "options, platform flags): xl's settings differ, set them by hand"
        )
    disks: list[dict[str, object]] = []
    nics: list[dict[str, object]] = []
    for dev in cfg[1:] if isinstance(cfg, list) else ():
        if not (isinstance(dev, list) and dev and dev[0] == "device" and len(dev) > 1):
            continue
        d = dev[1]
        if not (isinstance(d, list) and d and isinstance(d[0], str)):
            continue
        if d[0] in ("vbd", "tap", "tap2"):
            disk = _disk(d, notes)
            if disk is not None:
                disks.append(disk)
        elif d[0] == "vif":
            nic: dict[str, object] = {}
            for key in ("mac", "bridge"):
                v = child_value(d, key)
                if isinstance(v, str):
                    nic[key] = v
            nics.append(nic)
        else:
            notes.append(f"not carried over: a {d[0]} device (no clear xl equivalent)")
    if disks:
        out["disks"] = disks
    if nics:
        out["nics"] = nics
    others = (
        sorted(
            {x[0] for x in cfg[1:] if isinstance(x, list) and x and isinstance(x[0], str)} - mapped
        )
        if isinstance(cfg, list)
        else []
    )
    if others:
        notes.append("not carried over (no clear xl equivalent): " + ", ".join(others))
    return out, notes


def _disk(d: list[SxpValue], notes: list[str]) -> dict[str, object] | None:
    uname = child_value(d, "uname")
    dev = child_value(d, "dev")
    mode = child_value(d, "mode")
    if not isinstance(uname, str) or not isinstance(dev, str):
        notes.append("not carried over: a disk without uname or dev")
        return None
    prefix, _, path = uname.rpartition(":")
    fmt = _DISK_FORMATS.get(prefix)
    if fmt is None:
        notes.append(f"not carried over: disk {uname!r} (no libxl format for {prefix!r})")
        return None
    vdev, _, kind = dev.partition(":")
    return {
        "pdev_path": path,
        "vdev": vdev,
        "format": fmt,
        "readwrite": 0 if mode == "r" else 1,
        "is_cdrom": 1 if kind == "cdrom" else 0,
    }


def xl_config_json(cfg: SxpValue, guest: str) -> tuple[bytes, list[str]]:
    """:func:`xl_config_of` as xl stores it: JSON text and a NUL."""
    import json

    obj, notes = xl_config_of(cfg, guest)
    return json.dumps(obj, indent=4).encode() + b"\x00", notes


def xl_header_of(h: XendHeader, guest: str) -> tuple[XlHeader, list[str]]:
    """The xl header (JSON flag, the configuration as xl's JSON) that ``convert``
    writes for an xend file whose legacy image holds a ``guest`` guest, and the notes
    on what the configuration lost. Raises XendConfigError for a configuration xend
    itself could not restore from."""
    from .constants import XL_BYTEORDER_VALUE, XL_MAGIC, XlMandatoryFlag
    from .reader import XlHeader

    if h.signature != SIGNATURE or h.config_len <= 0 or not h.config_complete:
        raise XendConfigError("the xend header or configuration is damaged (XEND-HDR-001/CFG-001)")
    try:
        parsed = parse_sxp(h.config)
    except SxpSyntaxError as e:
        raise XendConfigError(f"the configuration does not parse (XEND-CFG-002): {e}") from None
    if not isinstance(parsed.value, list):
        raise XendConfigError("the configuration holds no complete list (XEND-CFG-002)")
    config, notes = xl_config_json(parsed.value, guest)
    opt = struct.pack("<I", len(config)) + config
    hdr = XlHeader(
        0,
        XL_MAGIC,
        XL_BYTEORDER_VALUE,
        False,
        int(XlMandatoryFlag.JSON),
        0,
        len(opt),
        opt,
        len(config),
        config,
    )
    return hdr, ["xend configuration carried over as xl's JSON configuration", *notes]
