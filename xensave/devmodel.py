"""Device-model state, told apart: which device model wrote it, its format, size and
digest. The bytes belong to QEMU (or qemu-traditional) and are not judged here; what
is said comes from the container (a libxl EMULATOR_CONTEXT record's emulator_id, an
xend file, a legacy record's signature, a XAPI section type) and from the first octets
of the state, QEMU's savevm header: the magic ``QEVM`` and a big-endian u32 version
(QEMU_VM_FILE_VERSION 3, QEMU_VM_FILE_VERSION_COMPAT 2), then typed sections, the
first of which is named here (qemu's migration/savevm.c; qemu-xen-traditional writes
the same header).

``dump`` prints :func:`describe`'s result; ``diff`` compares the digests.
"""

from __future__ import annotations

import hashlib
import os
import struct

QEVM_MAGIC = b"QEVM"
#: QEMU_VM_FILE_VERSION and QEMU_VM_FILE_VERSION_COMPAT.
QEVM_VERSIONS = {3: "QEMU_VM_FILE_VERSION", 2: "QEMU_VM_FILE_VERSION_COMPAT"}
#: Section types after the header (QEMU_VM_*).
SECTION_TYPES = {
    0x00: "EOF",
    0x01: "SECTION_START",
    0x02: "SECTION_PART",
    0x03: "SECTION_END",
    0x04: "SECTION_FULL",
    0x05: "SUBSECTION",
    0x06: "VMDESCRIPTION",
    0x07: "CONFIGURATION",
    0x08: "COMMAND",
    0x7E: "SECTION_FOOTER",
}

#: Who wrote the state, as each container says it.
WRITER_TRADITIONAL = "qemu-traditional"
WRITER_UPSTREAM = "qemu-upstream"
#: libxl's emulator_id (libxl_sr_stream_format.h) -> the writer.
EMULATOR_WRITERS = {0: "unknown", 1: WRITER_TRADITIONAL, 2: WRITER_UPSTREAM}
#: A legacy device-model record's signature -> the writer and why.
LEGACY_WRITERS = {
    b"QemuDeviceModelRecord": (
        WRITER_TRADITIONAL,
        "xend wrote this signature, and xend ran only qemu-dm (qemu-traditional)",
    ),
    b"DeviceModelRecord0002": (
        "unknown",
        "libxl wrote this signature for either device model; the image does not say which",
    ),
    b"RemusDeviceModelState": ("unknown", "a Remus checkpoint's state; the image does not say"),
}
#: How much of a state the first section's header is looked for in.
PROBE = 4096


def qevm_header(data: bytes) -> dict[str, object]:
    """What the first octets of a state say: format, version, first section."""
    if not data.startswith(QEVM_MAGIC):
        head = data[:4]
        return {"format": "not a QEVM stream", "magic": head.hex()}
    out: dict[str, object] = {"format": "QEVM"}
    if len(data) < 8:
        return out
    (version,) = struct.unpack_from(">I", data, 4)
    out["qevm_version"] = version
    if version not in QEVM_VERSIONS:
        out["qevm_version_note"] = "not a version QEMU writes (2 or 3)"
    if len(data) > 8:
        stype = data[8]
        out["first_section"] = SECTION_TYPES.get(stype, f"{stype:#04x}")
        if stype in (0x01, 0x04) and len(data) >= 14:  # type, u32 section id, u8 len, idstr
            n = data[13]
            name = data[14 : 14 + n]
            if len(name) == n:
                out["first_section_id"] = name.decode("latin-1")
        elif stype == 0x07 and len(data) >= 13:  # vmstate_configuration: u32 len, name
            (n,) = struct.unpack_from(">I", data, 9)
            name = data[13 : 13 + min(n, 256)]
            out["machine"] = name.decode("latin-1")
    return out


def describe(
    data: bytes,
    size: int,
    writer: str,
    why: str,
    digest: str | None = None,
) -> dict[str, object]:
    """A device-model state: ``data`` (the whole state, or a prefix when ``digest`` is
    given or cannot be known: then None), its ``size``, who wrote it and why we say so."""
    out: dict[str, object] = {"writer": writer, "writer_from": why, "size": size}
    out.update(qevm_header(data[:PROBE]))
    if digest is None and len(data) == size:
        digest = hashlib.sha256(data).hexdigest()
    out["sha256"] = digest
    return out


def text(d: dict[str, object]) -> str:
    """One line for the text listing."""
    fmt = str(d.get("format"))
    if fmt == "QEVM" and "qevm_version" in d:
        fmt = f"QEVM v{d['qevm_version']}"
        if "qevm_version_note" in d:
            fmt += " (not a version QEMU writes)"
    first = d.get("first_section_id") or d.get("machine")
    if first:
        fmt += f", first section {first!r}"
    digest = d.get("sha256")
    dg = f"sha256 {str(digest)[:16]}..." if digest else "digest not computed"
    return f"device model: written by {d['writer']}, {fmt}, {d['size']} bytes, {dg}"


def file_digest(fd: int, offset: int, length: int) -> str:
    """SHA-256 of ``length`` octets at ``offset`` of a seekable file, read in bounded
    chunks without moving the file's position."""
    h = hashlib.sha256()
    done = 0
    while done < length:
        chunk = os.pread(fd, min(1 << 20, length - done), offset + done)
        if not chunk:
            break
        h.update(chunk)
        done += len(chunk)
    return h.hexdigest()
