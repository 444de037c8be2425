"""xend save files (``xm save``, Xen 4.4 and older): framing, configuration, API.

xend wrote a 16-octet signature, the configuration's length as a big-endian signed
int32 and the configuration as an S-expression, then let ``xc_save`` write the legacy
libxc image; for an HVM guest it appended ``QemuDeviceModelRecord`` and qemu's state
to the end of the file (tools/python/xen/xend/XendCheckpoint.py:save, in Xen's
history before 4.5). ``XendCheckpoint.restore`` reads them back in that order and
parses the configuration with ``tools/python/xen/xend/sxp.py:Parser``, whose grammar
:func:`parse_sxp` follows so that a verdict on the configuration is xend's.

The reader calls :func:`xend_events`; the checker's rules are in
``xensave.check.xend``; ``convert`` calls :func:`xl_config_of` to carry the
configuration into an xl file. :func:`read_config` and :func:`write_with_config` are
the API for tools that edit the configuration of an image.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO, TypeAlias

from ._slots import Struct
from .source import ReadError

if TYPE_CHECKING:
    from .reader import Reader, XlHeader

#: XendCheckpoint.py: SIGNATURE.
SIGNATURE = b"LinuxGuestRecord"
#: The configuration length word: Python's struct "!i" (network order, signed).
CONFIG_LEN_FMT = ">i"
HEADER_SIZE = len(SIGNATURE) + 4
#: What detection compares: enough of the signature to tell a damaged one apart.
DETECT_PREFIX = SIGNATURE[:10]
#: Configuration kept whole up to this size (xend's are a few KiB); beyond, a prefix.
CONFIG_KEEP_MAX = 16 << 20

SxpValue: TypeAlias = "str | list[SxpValue]"


class XendHeader(Struct):
    """The xend signature and configuration. ``config`` holds what the file has of it
    (a prefix when ``config_len`` is over CONFIG_KEEP_MAX or the file is short)."""

    offset: int
    signature: bytes
    config_len: int  # as stored: signed
    config: bytes
    config_complete: bool = True

    @property
    def config_offset(self) -> int:
        return self.offset + HEADER_SIZE

    @property
    def stream_offset(self) -> int:
        return self.config_offset + max(self.config_len, 0)


# --- the S-expression grammar of xend's sxp.Parser ------------------------------------------

_SPACE = " \t\n\v\f\r"
#: sxp.Parser.is_separator: these end an atom (and start a new one, but for parentheses).
_SEPARATORS = "{}()<>[];"
_ATOM_REST = re.compile(r"[^{}()<>\[\];# \t\n\v\f\r]*")
_SKIP_SPACE = re.compile(r"[ \t\n\v\f\r]*")
_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    "\\": "\\",
    "'": "'",
    '"': '"',
}
_HEX = "0123456789abcdefABCDEF"
_EOT = "\x04"  # sxp.Parser: ctrl-D ends the input


class SxpSyntaxError(ValueError):
    """A configuration xend's parser raises on (ParseError, or a crash in it)."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"offset {offset}: {message}")
        self.offset = offset
        self.message = message


class SxpParse(Struct):
    """What xend's parser makes of a configuration: ``value`` is the first complete
    top-level value (the one ``XendCheckpoint.restore`` takes), None if there is none;
    ``rest`` is True when anything but white space and comments follows it."""

    value: SxpValue | None
    end: int
    rest: bool


def parse_sxp(text: bytes) -> SxpParse:
    """Parse ``text`` as xend's ``sxp.Parser.input`` does (every octet is fed, no
    end-of-input call), raising :class:`SxpSyntaxError` where xend's parser raises.
    Iterative: nesting depth costs list entries, never Python stack."""
    s = text.decode("latin-1")  # xend's configuration was a Python 2 byte string
    n = len(s)
    i = 0
    stack: list[list[SxpValue]] = []
    first: SxpValue | None = None
    first_end = 0
    rest = False

    def done(v: SxpValue, end: int) -> None:
        nonlocal first, first_end, rest
        if stack:
            stack[-1].append(v)
        elif first is None:
            first, first_end = v, end
        else:
            rest = True

    while i < n:
        i = _SKIP_SPACE.match(s, i).end()  # type: ignore[union-attr]
        if i >= n:
            break
        c = s[i]
        if c == "#":
            j = s.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if first is not None and not stack:
            rest = True
        if c == "(":
            stack.append([])
            i += 1
        elif c == ")":
            if not stack:
                raise SxpSyntaxError(i, "')' closes no list")
            v = stack.pop()
            i += 1
            done(v, i)
        elif c in "\"'":
            got, i = _string(s, i)
            if got is None:
                break  # the input ends inside the string: no value, and no error
            done(got, i)
        elif c == _EOT:
            if stack:
                raise SxpSyntaxError(i, "the input ends (ctrl-D) inside a list")
            break
        elif " " <= c <= "~":  # string.printable less white space
            j = _ATOM_REST.match(s, i + 1).end()  # type: ignore[union-attr]
            if j >= n:
                break  # xend never sees the end of input: an atom at the end is not produced
            done(s[i:j], j)
            i = j
        else:
            raise SxpSyntaxError(i, f"invalid character code {ord(c)}")
    return SxpParse(first, first_end, rest)


def _string(s: str, i: int) -> tuple[str | None, int]:
    """A quoted string from ``s[i]`` (its delimiter) with xend's escapes; None when the
    input ends first (xend's parser then waits for more input: no value, no error)."""
    delim = s[i]
    i += 1
    out: list[str] = []
    n = len(s)
    while True:
        if i >= n:
            return None, n
        c = s[i]
        if c == delim:
            return "".join(out), i + 1
        if c != "\\":
            out.append(c)
            i += 1
            continue
        i += 1
        if i >= n:
            return None, n
        e = s[i]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 1
        elif e == "x":
            digits = s[i + 1 : i + 3]
            if any(d not in _HEX for d in digits):
                raise SxpSyntaxError(i - 1, "a \\x escape without two hex digits")
            if len(digits) < 2:
                return None, n
            out.append(chr(int(digits, 16)))
            i += 3
        elif e in "01234567":
            j = i
            while j < n and j < i + 3 and s[j] in "01234567":
                j += 1
            if j >= n and j < i + 3:
                return None, n
            value = int(s[i:j], 8)
            if value > 0xFF:
                raise SxpSyntaxError(i - 1, f"octal escape \\{s[i:j]} is over 0xff")
            out.append(chr(value))
            i = j
        else:  # xend keeps the backslash and drops the escaped character
            out.append("\\")
            i += 1


def _atom_ok(a: str) -> bool:
    return bool(a) and _ATOM_REST.fullmatch(a) is not None and a[0] not in "\"'" and "\\" not in a


def sxp_text(v: SxpValue) -> str:
    """``v`` as configuration text that :func:`parse_sxp` reads back as ``v``."""
    if isinstance(v, str):
        if _atom_ok(v) and all(" " < ch <= "~" for ch in v):
            return v
        out = []
        for ch in v:
            if ch in '\\"':
                out.append("\\" + ch)
            elif " " <= ch <= "~":
                out.append(ch)
            else:
                out.append(f"\\x{ord(ch):02x}")
        return '"' + "".join(out) + '"'
    return "(" + " ".join(sxp_text(x) for x in v) + ")"


def child(v: SxpValue, name: str) -> SxpValue | None:
    """The first child list of ``v`` named ``name`` (sxp.child)."""
    if isinstance(v, list):
        for x in v[1:]:
            if isinstance(x, list) and x and x[0] == name:
                return x
    return None


def child_value(v: SxpValue, name: str) -> SxpValue | None:
    """The first value of ``v``'s child ``name`` (sxp.child_value)."""
    c = child(v, name)
    return c[1] if isinstance(c, list) and len(c) > 1 else None


def image_kind(v: SxpValue) -> str | None:
    """The configuration's guest type as xend decided it: the name of the ``image``
    child's value, ``hvm`` or ``linux`` (XendConfig._sxp_to_xapi_unsupported)."""
    img = child_value(v, "image")
    if isinstance(img, list) and img and isinstance(img[0], str):
        return img[0]
    return None


# --- reading -----------------------------------------------------------------------------------


def detect(head: bytes) -> bool:
    return head.startswith(DETECT_PREFIX)


def xend_events(reader: Reader) -> Iterator[object]:
    """Hook for ``Reader``: the xend header, then the legacy image's events."""
    from .legacy.read import legacy_events

    raw = reader._take(HEADER_SIZE)
    if len(raw) < HEADER_SIZE:
        rule = "XEND-HDR-001" if len(raw) < len(SIGNATURE) else "XEND-CFG-001"
        raise ReadError(
            0,
            f"truncated xend header: {len(raw)} of {HEADER_SIZE} bytes present",
            layer="xend",
            rule=rule,
        )
    (length,) = struct.unpack_from(CONFIG_LEN_FMT, raw, len(SIGNATURE))
    config = reader._take(min(max(length, 0), CONFIG_KEEP_MAX))
    hdr = XendHeader(0, raw[: len(SIGNATURE)], length, config, len(config) == length)
    if length > CONFIG_KEEP_MAX and len(config) == CONFIG_KEEP_MAX:
        skipped = reader.src.skip(length - CONFIG_KEEP_MAX)
        hdr.config_complete = False
        if skipped < length - CONFIG_KEEP_MAX:
            yield hdr
            raise ReadError(
                HEADER_SIZE,
                f"truncated xend configuration: {CONFIG_KEEP_MAX + skipped} of {length} "
                "bytes present",
                layer="xend",
                rule="XEND-CFG-001",
            )
    yield hdr
    if length <= 0:
        raise ReadError(
            len(SIGNATURE),
            f"the configuration length is {length}: xend reads no configuration from it",
            layer="xend",
            rule="XEND-CFG-001",
        )
    if len(config) < min(length, CONFIG_KEEP_MAX):
        raise ReadError(
            HEADER_SIZE,
            f"truncated xend configuration: {len(config)} of {length} bytes present",
            layer="xend",
            rule="XEND-CFG-001",
        )
    yield from legacy_events(reader, "xend", reader.opts.legacy)


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
