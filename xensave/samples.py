"""Small, realistic sample images of every guest, version and wrapping.

Built through the writer (never typed as hex) so tests, the main job and the
generated-parser agreement checks all look at the same deterministic bytes.
``python -m xensave.samples show`` writes them to ``out/samples`` and prints what the
generated Kaitai parsers read in each.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from .bodies import (
    CpuidPolicy,
    EmulatorRecord,
    HvmParams,
    MsrPolicy,
    P2mFrames,
    PageData,
    PvInfo,
    TscInfo,
    VcpuContext,
    encode_xenstore,
)
from .constants import (
    PV_VCPU_CONTEXT_SIZE,
    DomainType,
    EmulatorId,
    HvmParam,
    LibxlRecType,
    PageType,
    TscMode,
    XcRecType,
)
from .model import DomainHeader, Image, ImageHeader, LibxcStream, Record, XlFile
from .writer import libxl_wrap, to_bytes

PAGE = 4096
GUESTS = ("x86_32-pv", "x86_64-pv", "hvm")
VERSIONS = (2, 3)
WRAPS = ("libxc", "libxl", "xl")


def _blob(seed: str, size: int) -> bytes:
    """Deterministic filler bytes standing in for opaque hypervisor state."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def _policies() -> list[Record]:
    cpuid = CpuidPolicy(
        [
            (0x0, 0xFFFFFFFF, 0xD, 0x756E6547, 0x6C65746E, 0x49656E69),
            (0x1, 0xFFFFFFFF, 0x000806EC, 0x00100800, 0xFEDA3203, 0x178BFBFF),
            (0x7, 0x0, 0x0, 0x009C6FBB, 0x0, 0x0),
            (0xD, 0x0, 0x7, 0x0, 0x340, 0x0),
        ]
    )
    msr = MsrPolicy([(0xCE, 0, 0x0), (0x10A, 0, 0x0)])
    return [Record(XcRecType.X86_CPUID_POLICY, cpuid), Record(XcRecType.X86_MSR_POLICY, msr)]


def pv_records(width: int, version: int, vcpus: int = 2) -> list[Record]:
    """A PV guest's records in the order Xen's saver emits them."""
    levels = 4 if width == 8 else 3
    top = PageType.L4TAB_PIN if levels == 4 else PageType.L3TAB_PIN
    # 32 pfns: page tables at the low end, a p2m frame, data, and the odd special pfn.
    layout: list[tuple[int, int]] = [(0, top)]
    for lvl, pfn in zip(range(levels - 1, 0, -1), (1, 2, 3), strict=False):
        layout.append((pfn, PageType(lvl)))
    layout += [(pfn, PageType.NOTAB) for pfn in range(len(layout), 28)]
    layout += [(28, PageType.XTAB), (29, PageType.BROKEN), (30, PageType.XALLOC)]
    layout += [(31, PageType.NOTAB)]
    recs: list[Record] = [Record(XcRecType.X86_PV_INFO, PvInfo(width, levels))]
    if version >= 3:
        recs += [*_policies(), Record(XcRecType.STATIC_DATA_END)]
    recs.append(Record(XcRecType.X86_PV_P2M_FRAMES, P2mFrames(0, 31, [27])))
    recs.append(Record(XcRecType.PAGE_DATA, PageData.of(layout[:16])))
    recs.append(Record(XcRecType.PAGE_DATA, PageData.of(layout[16:])))
    recs.append(Record(XcRecType.X86_TSC_INFO, TscInfo(TscMode.DEFAULT, 2_400_000, 123_456_789)))
    recs.append(Record(XcRecType.SHARED_INFO, _blob("shared_info", PAGE)))
    for v in range(vcpus):
        recs += [
            Record(
                XcRecType.X86_PV_VCPU_BASIC,
                VcpuContext(v, _blob(f"basic{v}", PV_VCPU_CONTEXT_SIZE[width])),
            ),
            Record(XcRecType.X86_PV_VCPU_EXTENDED, VcpuContext(v, _blob(f"ext{v}", 128))),
            Record(XcRecType.X86_PV_VCPU_XSAVE, VcpuContext(v, _blob(f"xsave{v}", 16 + 832))),
            Record(
                XcRecType.X86_PV_VCPU_MSRS,
                VcpuContext(v, struct.pack("<IIQ", 0xC0000103, 0, v)),
            ),
        ]
    recs.append(Record(XcRecType.END))
    return recs


def hvm_context_blob(vcpus: int = 2) -> bytes:
    """A plausible HVM context: HEADER, per-vCPU CPU entries, PIC, then END."""

    def desc(code: int, inst: int, payload: bytes) -> bytes:
        return struct.pack("<HHI", code, inst, len(payload)) + payload

    out = desc(1, 0, struct.pack("<IIQII", 0x54381286, 1, 0, 0x000806EC, 2_400_000))
    for v in range(vcpus):
        out += desc(2, v, _blob(f"hvmcpu{v}", 1024))
    out += desc(3, 0, _blob("pic0", 8)) + desc(3, 1, _blob("pic1", 8))
    return out + desc(0, 0, b"")


def hvm_records(version: int, vcpus: int = 2) -> list[Record]:
    """An HVM guest's records in the order Xen's saver emits them."""
    recs: list[Record] = []
    if version >= 3:
        recs += [*_policies(), Record(XcRecType.STATIC_DATA_END)]
    low = [(pfn, PageType.NOTAB) for pfn in range(0, 24)]
    high = [(0xFEFFC + i, PageType.NOTAB) for i in range(4)]  # special pages below 4 GiB
    high += [(0xFEFFB, PageType.XTAB), (0x100000, PageType.XALLOC)]
    recs.append(Record(XcRecType.PAGE_DATA, PageData.of(low)))
    recs.append(Record(XcRecType.PAGE_DATA, PageData.of(high)))
    recs.append(Record(XcRecType.X86_TSC_INFO, TscInfo(TscMode.DEFAULT, 2_400_000, 987_654_321)))
    params = [
        (HvmParam.CALLBACK_IRQ, 1 << 56 | 0x5C),
        (HvmParam.STORE_PFN, 0xFEFFC),
        (HvmParam.STORE_EVTCHN, 1),
        (HvmParam.PAE_ENABLED, 1),
        (HvmParam.IOREQ_PFN, 0xFEFFF),
        (HvmParam.BUFIOREQ_PFN, 0xFEFFE),
        (HvmParam.VIRIDIAN, 0),
        (HvmParam.TIMER_MODE, 1),
        (HvmParam.CONSOLE_PFN, 0xFEFFD),
        (HvmParam.NR_IOREQ_SERVER_PAGES, 0),
    ]
    # Xen's saver writes HVM_CONTEXT before HVM_PARAMS; its restorer applies both at the end.
    recs.append(Record(XcRecType.HVM_CONTEXT, hvm_context_blob(vcpus)))
    recs.append(Record(XcRecType.HVM_PARAMS, HvmParams([(int(i), v) for i, v in params])))
    recs.append(Record(XcRecType.END))
    return recs


def libxc_stream(guest: str, version: int, big_endian: bool = False) -> LibxcStream:
    dom_type = DomainType.X86_HVM if guest == "hvm" else DomainType.X86_PV
    if guest == "hvm":
        recs = hvm_records(version)
    else:
        recs = pv_records(4 if guest == "x86_32-pv" else 8, version)
    xen = (4, 19) if version >= 3 else (4, 11)
    return LibxcStream(
        ImageHeader(version=version, options=1 if big_endian else 0),
        DomainHeader(dom_type, 12, *xen),
        recs,
    )


def _emulator_records(guest: str) -> list[Record]:
    if guest != "hvm":
        return []
    store = encode_xenstore([("physmap/f0000000/start_addr", "f0000000"), ("state", "running")])
    return [
        Record(
            LibxlRecType.EMULATOR_XENSTORE_DATA, EmulatorRecord(EmulatorId.QEMU_UPSTREAM, 0, store)
        ),
        Record(
            LibxlRecType.EMULATOR_CONTEXT,
            EmulatorRecord(EmulatorId.QEMU_UPSTREAM, 0, b"QEVM" + _blob("qemu", 300)),
        ),
    ]


def domain_config(guest: str) -> bytes:
    """The JSON domain configuration xl stores, with its trailing NUL."""
    cfg = {
        "c_info": {"type": "hvm" if guest == "hvm" else "pv", "name": f"sample-{guest}"},
        "b_info": {"max_vcpus": 2, "max_memkb": 131072, "target_memkb": 131072},
    }
    return json.dumps(cfg, sort_keys=True, indent=4).encode() + b"\x00"


def build(guest: str, version: int, wrap: str, big_endian: bool = False) -> Image:
    xc = libxc_stream(guest, version, big_endian)
    if wrap == "libxc":
        return xc
    xl = libxl_wrap(xc, _emulator_records(guest), options=1 if big_endian else 0)
    if wrap == "libxl":
        return xl
    return XlFile(xl, config=domain_config(guest), big_endian=big_endian)


@dataclass(frozen=True)
class Sample:
    name: str
    layer: str  # outermost layer: "libxc", "libxl" or "xl"
    guest: str
    version: int
    data: bytes


def _sample(wrap: str, guest: str, version: int, big_endian: bool = False) -> Sample:
    name = f"{wrap}-v{version}_{guest}" + ("_big-endian" if big_endian else "")
    return Sample(name, wrap, guest, version, to_bytes(build(guest, version, wrap, big_endian)))


def valid_samples() -> list[Sample]:
    """Every guest x version x wrapping, plus a big-endian stream."""
    out = [_sample(w, g, v) for w in WRAPS for v in VERSIONS for g in GUESTS]
    out.append(_sample("libxc", "hvm", 3, big_endian=True))
    return out


def broken_samples() -> list[tuple[Sample, str]]:
    """Samples with a wrong magic, version or reserved field, each with what is wrong."""
    cases: list[tuple[Sample, str]] = []

    def add(name: str, wrap: str, what: str, image: Image) -> None:
        cases.append((Sample(name, wrap, "hvm", 3, to_bytes(image)), what))

    xc = libxc_stream("hvm", 3)
    assert xc.image_header is not None and xc.domain_header is not None
    xc.image_header.ident = 0x58454E47
    add("libxc_bad-id", "libxc", "image header id", xc)
    xc = libxc_stream("hvm", 3)
    assert xc.image_header is not None
    xc.image_header.marker = 0xFFFFFFFF00000000
    add("libxc_bad-marker", "libxc", "image header marker", xc)
    xc = libxc_stream("hvm", 3)
    assert xc.image_header is not None
    xc.image_header.version = 4
    add("libxc_bad-version", "libxc", "image header version", xc)
    xc = libxc_stream("hvm", 3)
    assert xc.image_header is not None
    xc.image_header.reserved2 = 1
    add("libxc_reserved-nonzero", "libxc", "image header reserved", xc)
    xl = build("hvm", 3, "libxl")
    assert not isinstance(xl, XlFile | LibxcStream)
    xl.header.ident = int.from_bytes(b"LibxlFmX", "big")
    add("libxl_bad-ident", "libxl", "libxl header ident", xl)
    xl = build("hvm", 3, "libxl")
    assert not isinstance(xl, XlFile | LibxcStream)
    xl.header.version = 3
    add("libxl_bad-version", "libxl", "libxl header version", xl)
    xl = build("hvm", 3, "libxl")
    assert not isinstance(xl, XlFile | LibxcStream)
    xl.header.options = 1 << 7
    add("libxl_reserved-nonzero", "libxl", "libxl header options reserved bits", xl)
    f = build("hvm", 3, "xl")
    assert isinstance(f, XlFile)
    f.magic = b"Xen saved domain, xl formaT\n \x00 \r"
    add("xl_bad-magic", "xl", "xl magic", f)
    f = build("hvm", 3, "xl")
    assert isinstance(f, XlFile)
    f.byteorder = 0xDEADBEEF
    add("xl_bad-byteorder", "xl", "xl byte-order word", f)
    return cases


def show(out_dir: Path) -> int:
    """Write every sample and print what the generated Kaitai parsers read in it."""
    from .kaitai_tree import parse, summary

    out_dir.mkdir(parents=True, exist_ok=True)
    for s in valid_samples():
        path = out_dir / f"{s.name}.bin"
        path.write_bytes(s.data)
        print(f"== {path} ({len(s.data)} bytes, {s.layer}, {s.guest}, v{s.version})")
        for line in summary(parse(s.data, s.layer)):
            print(f"   {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "show":
        print("usage: python -m xensave.samples show [DIR]", file=sys.stderr)
        return 2
    return show(Path(args[1] if len(args) > 1 else "out/samples"))


if __name__ == "__main__":
    sys.exit(main())
