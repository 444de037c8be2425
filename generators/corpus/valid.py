"""Valid images (``y_``): every guest x libxc version x wrapping cell, what each range
of Xen releases writes, and images that sit exactly on the limit of a rule."""

from __future__ import annotations

from xensave import samples
from xensave.bodies import (
    CpuidPolicy,
    EmulatorRecord,
    HvmParams,
    MsrPolicy,
    P2mFrames,
    PageData,
    TscInfo,
    VcpuContext,
    encode_xenstore,
    pfn_entry,
)
from xensave.constants import (
    PAGE_DATA_PFN_MASK,
    EmulatorId,
    HvmParam,
    PageType,
    TscMode,
    XlMandatoryFlag,
)
from xensave.model import (
    DomainHeader,
    Image,
    ImageHeader,
    LibxcStream,
    LibxlStream,
    Record,
    XlFile,
)
from xensave.writer import libxl_wrap

from . import bases as B
from .bases import L, X
from .framework import Restore, recipe

# Rules every image of a layer exercises, by layer and guest.
XLF = (
    "XLF-HDR-001",
    "XLF-HDR-002",
    "XLF-HDR-004",
    "XLF-HDR-006",
    "XLF-OPT-001",
    "XLF-OPT-002",
    "XLF-OPT-003",
    "XLF-CFG-001",
    "XLF-CFG-002",
    "XLF-CFG-003",
    "XLF-NEST-001",
    "XLF-NEST-002",
)
XL = (
    "XL-HDR-001",
    "XL-HDR-002",
    "XL-HDR-003",
    "XL-REC-001",
    "XL-REC-003",
    "XL-REC-004",
    "XL-END-001",
    "XL-END-002",
    "XL-END-003",
    "XL-CTX-001",
    "XL-CTX-002",
    "XL-NEST-001",
    "XL-NEST-002",
    "XL-NEST-005",
)
XL_HVM = (
    "XL-REC-002",
    "XL-EMU-001",
    "XL-EMU-002",
    "XL-XSD-001",
    "XL-XSD-002",
    "XL-XSD-003",
    "XL-XSD-004",
    "XL-XSD-005",
)
XL_PV = ("XL-EMU-004",)
XC = (
    "XC-HDR-001",
    "XC-HDR-002",
    "XC-HDR-003",
    "XC-HDR-004",
    "XC-HDR-005",
    "XC-DOM-001",
    "XC-DOM-002",
    "XC-DOM-003",
    "XC-REC-001",
    "XC-REC-003",
    "XC-REC-004",
    "XC-END-001",
    "XC-END-002",
    "XC-PAGE-001",
    "XC-PAGE-002",
    "XC-PAGE-003",
    "XC-PAGE-004",
    "XC-PAGE-005",
    "XC-PAGE-006",
    "XC-TSC-001",
    "XC-TSC-002",
    "XC-TSC-003",
)
XC_BARE = ("XC-END-003",)
XC_PV = (
    "XC-PVI-001",
    "XC-PVI-002",
    "XC-PVI-003",
    "XC-PVI-004",
    "XC-PVI-005",
    "XC-PVI-006",
    "XC-PVI-008",
    "XC-P2M-001",
    "XC-P2M-002",
    "XC-P2M-003",
    "XC-P2M-004",
    "XC-VCPU-001",
    "XC-VCPU-002",
    "XC-VCPU-003",
    "XC-VCPU-004",
    "XC-VCPU-005",
    "XC-VCPU-006",
    "XC-VCPU-009",
    "XC-SHI-001",
    "XC-GUEST-002",
    "XC-ORD-001",
    "XC-ORD-002",
    "XC-ORD-003",
    "XC-ORD-004",
)
XC_HVM = (
    "XC-HVMC-001",
    "XC-HVMC-002",
    "XC-HVMP-001",
    "XC-HVMP-002",
    "XC-HVMP-003",
    "XC-GUEST-001",
    "XC-ORD-006",
)
XC_V3 = (
    "XC-SDE-001",
    "XC-SDE-002",
    "XC-SDE-003",
    "XC-POL-001",
    "XC-POL-002",
    "XC-POL-003",
    "XC-POL-006",
)


def exercised(wrap: str, guest: str, version: int) -> tuple[str, ...]:
    """The rules a whole valid image of that cell exercises."""
    rules: tuple[str, ...] = ()
    if wrap in ("xl", "libvirt"):
        rules += XLF if wrap == "xl" else ()
    if wrap in ("xl", "libxl", "libvirt"):
        rules += XL + (XL_HVM if guest == "hvm" else XL_PV)
    rules += XC + (XC_HVM if guest == "hvm" else XC_PV)
    if wrap in ("libxc",):
        rules += XC_BARE
    if version == 3:
        rules += XC_V3
    return rules


GUEST_TEXT = {"x86_32-pv": "32-bit PV (PAE)", "x86_64-pv": "64-bit PV", "hvm": "HVM"}
WRAP_TEXT = {
    "libxc": "a bare libxc stream",
    "libxl": "a libxl stream carrying a libxc stream",
    "xl": "an xl save file (JSON config, libxl and libxc streams)",
}
RELEASE_OF_VERSION = {2: (4, 11), 3: (4, 19)}

# --- the cells ------------------------------------------------------------------------


def cell(guest: str, version: int, wrap: str) -> Image:
    # PV: the 32-pfn layout sending the contents of 10 or 11 pfns (the rest XALLOC)
    return samples.build(guest, version, wrap, release=RELEASE_OF_VERSION[version], sparse=True)


for _wrap in samples.WRAPS:
    for _version in samples.VERSIONS:
        for _guest in samples.GUESTS:
            extra = " with emulator xenstore data and context" if _guest == "hvm" else ""
            content = (
                "28 pages of low memory and special pages, XTAB and XALLOC pfns, an HVM "
                "context for two vCPUs"
                if _guest == "hvm"
                else "page tables of every level, a P2M frame, XTAB/BROKEN/XALLOC pfns, two vCPUs"
            )
            recipe(
                "typical",
                f"{GUEST_TEXT[_guest]} guest, libxc v{_version} (Xen "
                f"{'.'.join(map(str, RELEASE_OF_VERSION[_version]))}), in "
                f"{WRAP_TEXT[_wrap]}{extra if _wrap != 'libxc' else ''}: {content}",
                tags=("cell",),
                args=(_guest, _version, _wrap),
                exercises=exercised(_wrap, _guest, _version),
            )(cell)


# --- release profiles -------------------------------------------------------------------

PROFILE_RELEASES = {(4, 7): 2, (4, 13): 2, (4, 14): 3}


def release_profile(guest: str, release: tuple[int, int]) -> Image:
    # small (eight pfns, two vCPUs) so the corpus leaves room; the cells are full size
    return samples.build(guest, PROFILE_RELEASES[release], "xl", release=release, small=True)


for _release_v, _v in PROFILE_RELEASES.items():
    for _guest in samples.GUESTS:
        _what = {
            (4, 7): "v2, no CPU policy, HVM parameters as 4.7 and 4.8 send them "
            "(VM86_TSS, X87_FIP_WIDTH; a guest without PAE)",
            (4, 13): "v2, no CPU policy, HVM parameters as 4.10-4.13 send them "
            "(VM86_TSS_SIZED, MCA_CAP)",
            (4, 14): "v3 with CPUID and MSR policy and STATIC_DATA_END, HVM parameters as "
            "4.14 onward send them (no PAE_ENABLED)",
        }[_release_v]
        recipe(
            f"xen-{_release_v[0]}-{_release_v[1]}",
            f"{GUEST_TEXT[_guest]} guest as xl save writes it on Xen "
            f"{_release_v[0]}.{_release_v[1]}: {_what}",
            tags=("release-profile",),
            args=(_guest, _release_v),
            exercises=exercised("xl", _guest, _v),
        )(release_profile)


# --- boundaries -------------------------------------------------------------------------


@recipe(
    "page-data-count-1",
    "every PAGE_DATA record carries a single pfn (count 1), the smallest count allowed",
    tags=("boundary", "page-data"),
    exercises=("XC-PAGE-002", "XC-PAGE-006"),
)
def page_data_count_1() -> LibxcStream:
    s = B.xc("hvm", 3)
    i = B.index(s.records, X.PAGE_DATA)
    pd = s.records.pop(i).body
    assert isinstance(pd, PageData)
    pages = iter(pd.pages)
    singles = []
    for entry in pd.entries:
        has = (entry >> 60) not in (PageType.BROKEN, PageType.XALLOC, PageType.XTAB)
        singles.append(Record(X.PAGE_DATA, PageData([entry], [next(pages)] if has else [])))
    s.records[i:i] = singles
    return s


@recipe(
    "page-data-without-contents",
    "a PAGE_DATA record whose pfns are all XTAB, BROKEN or XALLOC, so it carries no page "
    "contents (body_length 8 + 8*count)",
    tags=("boundary", "page-data", "page-type"),
    exercises=("XC-PAGE-001", "XC-PAGE-006"),
)
def page_data_without_contents() -> LibxcStream:
    s = B.xc("hvm", 3)
    empty = PageData.of(
        [(0x100, PageType.XTAB), (0x101, PageType.BROKEN), (0x102, PageType.XALLOC)]
    )
    B.insert_before(s.records, X.X86_TSC_INFO, Record(X.PAGE_DATA, empty))
    return s


@recipe(
    "largest-pfn",
    "a page at pfn 0xFFFFFFFFFFFFF, the largest the 52-bit pfn field holds: conforming, "
    "but no restorer can back it (Xen's pfn_set_populated would need a 2^49-octet bitmap, "
    "and the hypervisor's paging stops far below), so a reader may refuse it",
    tags=("boundary", "page-data"),
    exercises=("XC-PAGE-004", "XC-PAGE-006"),
    permits=("XC-PAGE-010",),
    # pfn_set_populated reallocs a bitmap of 2^49 octets, beyond a 47-bit user address
    # space: Xen's restorer refuses it on every host ("Failed to realloc populated bitmap")
    restore=Restore("none", ("tools/libs/guest/xg_sr_restore.c:pfn_set_populated",)),
)
def largest_pfn() -> LibxcStream:
    s = B.xc("hvm", 3)
    top = PageData.of([(PAGE_DATA_PFN_MASK, PageType.NOTAB)])
    B.insert_before(s.records, X.X86_TSC_INFO, Record(X.PAGE_DATA, top))
    return s


@recipe(
    "page-types-all",
    "a 64-bit PV stream using every defined page type: NOTAB, L1-L4 tables, pinned and not, "
    "BROKEN, XALLOC and XTAB (types 4 and 9 are the neighbours of the reserved 5-8)",
    tags=("boundary", "page-data", "page-type"),
    exercises=("XC-PAGE-005", "XC-PAGE-006"),
)
def page_types_all() -> LibxcStream:
    s = B.xc("x86_64-pv", 3)
    extra = [
        (0x10, PageType.L1TAB_PIN),
        (0x11, PageType.L2TAB_PIN),
        (0x12, PageType.L3TAB_PIN),
        (0x13, PageType.L4TAB),
        (0x14, PageType.L3TAB),
        (0x15, PageType.XALLOC),
    ]
    B.insert_after(s.records, X.PAGE_DATA, Record(X.PAGE_DATA, PageData.of(extra)))
    p2m = B.body(s.records, X.X86_PV_P2M_FRAMES)
    assert isinstance(p2m, P2mFrames)
    p2m.end_pfn = 0x15
    return s


def _p2m_span(guest: str, end: int, frames: list[int]) -> LibxcStream:
    s = B.xc(guest, 3)
    p2m = B.body(s.records, X.X86_PV_P2M_FRAMES)
    assert isinstance(p2m, P2mFrames)
    p2m.end_pfn, p2m.frames = end, frames
    # every further pfn up to the end is sent, as an invalid (XTAB) one
    rest = PageData([pfn_entry(pfn, PageType.XTAB) for pfn in range(8, end + 1)])
    B.insert_after(s.records, X.PAGE_DATA, Record(X.PAGE_DATA, rest))
    return s


@recipe(
    "p2m-frame-boundary",
    "a 64-bit PV guest with pfns 0-512: its P2M needs two frames of 512 entries, "
    "the second holding one entry",
    tags=("boundary", "p2m"),
    args=("x86_64-pv", 512, [4, 5]),
    exercises=("XC-P2M-002", "XC-P2M-003"),
)
@recipe(
    "p2m-frame-full",
    "a 32-bit PV guest with pfns 0-1023: its P2M fills exactly one frame of 1024 entries",
    tags=("boundary", "p2m"),
    args=("x86_32-pv", 1023, [3]),
    exercises=("XC-P2M-002", "XC-P2M-003"),
)
def p2m_span(guest: str, end: int, frames: list[int]) -> LibxcStream:
    return _p2m_span(guest, end, frames)


@recipe(
    "vcpu-context-limits",
    "vCPU records at their size limits: EXTENDED context exactly 128 octets, XSAVE exactly "
    "16 (header only), MSRS exactly one 16-octet entry",
    tags=("boundary", "vcpu"),
    exercises=("XC-VCPU-004", "XC-VCPU-005", "XC-VCPU-006", "XC-VCPU-003"),
)
def vcpu_context_limits() -> LibxcStream:
    s = B.xc("x86_64-pv", 3)
    B.add_xsave(s)  # the small base has no XSAVE state
    xsave = B.body(s.records, X.X86_PV_VCPU_XSAVE)
    assert isinstance(xsave, VcpuContext)
    # header only: xcr0 and xcr0_accum 0, "nothing to restore" (a non-zero xcr0_accum
    # needs the XSAVE area, PV-XSV-002)
    xsave.context = bytes(16)
    ext = B.body(s.records, X.X86_PV_VCPU_EXTENDED)
    assert isinstance(ext, VcpuContext)
    # the 64 octets Xen hands out, grown to 128 with size saying so (set_ext_vcpucontext
    # reads the vMCE fields it knows and ignores the rest)
    grown = ext.context[:4] + (128).to_bytes(4, "little") + ext.context[8:]
    ext.context = grown.ljust(128, b"\0")
    return s


@recipe(
    "tsc-never-emulate",
    "X86_TSC_INFO with mode 2 (never emulate)",
    tags=("boundary", "tsc"),
    exercises=("XC-TSC-003",),
)
def tsc_never_emulate() -> LibxcStream:
    s = B.xc("hvm", 3)
    tsc = B.body(s.records, X.X86_TSC_INFO)
    assert isinstance(tsc, TscInfo)
    tsc.mode = TscMode.NEVER_EMULATE
    return s


@recipe(
    "single-entries",
    "HVM_PARAMS with count 1, a CPUID policy of one leaf (24 octets) and an MSR policy of "
    "one entry (16 octets)",
    tags=("boundary", "hvm-params", "cpu-policy"),
    exercises=("XC-HVMP-001", "XC-HVMP-002", "XC-POL-001", "XC-POL-002"),
)
def single_entries() -> LibxcStream:
    s = B.xc("hvm", 3)
    B.get(s.records, X.HVM_PARAMS).body = HvmParams([(HvmParam.STORE_PFN, 0xFEFFC)])
    cpuid = B.body(s.records, X.X86_CPUID_POLICY)
    assert isinstance(cpuid, CpuidPolicy)
    cpuid.leaves = cpuid.leaves[:1]
    msr = B.body(s.records, X.X86_MSR_POLICY)
    assert isinstance(msr, MsrPolicy)
    msr.entries = msr.entries[:1]
    return s


@recipe(
    "xenstore-key-alphabet",
    "EMULATOR_XENSTORE_DATA whose keys use every character allowed (letters, digits, "
    "- / _ @) and an empty value",
    tags=("boundary", "xenstore", "emulator"),
    exercises=("XL-XSD-001", "XL-XSD-002", "XL-XSD-003", "XL-XSD-004", "XL-XSD-005"),
)
def xenstore_key_alphabet() -> LibxlStream:
    s = B.libxl("hvm", 3)
    rec = next(r for r in s.items if isinstance(r, Record) and r.type == L.EMULATOR_XENSTORE_DATA)
    data = encode_xenstore(
        [
            ("physmap/f0000000/start_addr", "f0000000"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZ/abcdefghijklmnopqrstuvwxyz/0123456789", "1"),
            ("a-b_c@d", ""),
        ]
    )
    rec.body = EmulatorRecord(EmulatorId.QEMU_UPSTREAM, 0, data)
    return s


@recipe(
    "config-xl-syntax",
    "an xl save file whose configuration is xl configuration-file text (JSON flag clear), "
    "as xl wrote before Xen 4.5",
    tags=("config",),
    exercises=("XLF-CFG-004", "XLF-OPT-003"),
)
def config_xl_syntax() -> XlFile:
    f = B.xl("hvm", 3)
    f.config = b'name = "sample-hvm"\ntype = "hvm"\nmemory = 128\nvcpus = 1\n'
    f.mandatory_flags = XlMandatoryFlag.STREAM_V2
    return f


@recipe(
    "optional-data-after-config",
    "an xl save file with 16 octets of optional data after the configuration, which readers skip",
    tags=("optional-data",),
    exercises=("XLF-OPT-004", "XLF-OPT-003", "XLF-NEST-001"),
)
def optional_data_after_config() -> XlFile:
    f = B.xl("hvm", 3)
    f.optional_extra = b"\x00" * 8 + b"reserved"
    return f


@recipe(
    "optional-data-unaligned",
    "an xl save file whose libxl stream starts at an offset that is not a multiple of 8 "
    "(optional data of 4 + 13 octets)",
    tags=("optional-data", "nesting"),
    exercises=("XLF-NEST-001", "XLF-OPT-003"),
)
def optional_data_unaligned() -> XlFile:
    f = B.xl("x86_64-pv", 3)
    f.config = b'{"c_info":{}}\x00'
    return f


# --- converted from a legacy image ------------------------------------------------------


def converted_hvm() -> LibxlStream:
    """What Xen's convert-legacy-stream makes of a Xen 4.5 HVM save: libxc v3 with
    xen_major 0 (the converter's version as xen_minor), no CPU policy, XALLOC pfns, two
    HVM_PARAMS records before HVM_CONTEXT, and emulator records of emulator 0 (unknown)
    behind the legacy bit."""
    recs: list[Record] = [Record(X.STATIC_DATA_END)]
    recs.append(
        Record(
            X.PAGE_DATA,
            PageData.of(
                [
                    (0, PageType.NOTAB),
                    (1, PageType.XALLOC),
                    (0xFEFFC, PageType.NOTAB),
                    (0xFEFFD, PageType.NOTAB),
                ]
            ),
        )
    )
    recs.append(Record(X.X86_TSC_INFO, TscInfo(TscMode.DEFAULT, 2_400_000, 55_000_000, 1)))
    recs.append(
        Record(
            X.HVM_PARAMS,
            HvmParams([(HvmParam.IDENT_PT, 0xFC009000), (HvmParam.CONSOLE_PFN, 0xFEFFD)]),
        )
    )
    recs.append(
        Record(
            X.HVM_PARAMS,
            HvmParams(
                [
                    (HvmParam.IOREQ_PFN, 0xFEFFF),
                    (HvmParam.BUFIOREQ_PFN, 0xFEFFE),
                    (HvmParam.STORE_PFN, 0xFEFFC),
                ]
            ),
        )
    )
    recs.append(Record(X.HVM_CONTEXT, samples.hvm_context_blob(1)))
    recs.append(Record(X.END))
    xc = LibxcStream(ImageHeader(version=3), DomainHeader(2, 12, 0, 1), recs)
    store = encode_xenstore([("physmap/f0000000/start_addr", "f0000000")])
    emu = [
        Record(L.EMULATOR_XENSTORE_DATA, EmulatorRecord(EmulatorId.UNKNOWN, 0, store)),
        Record(L.EMULATOR_CONTEXT, EmulatorRecord(EmulatorId.UNKNOWN, 0, b"QEVM" + bytes(92))),
    ]
    return libxl_wrap(xc, emu, options=2)


recipe(
    "converted-from-legacy",
    "an HVM stream as Xen's legacy converter writes it: libxl legacy bit, xen_major 0, "
    "emulator_id 0, XALLOC pfns, two HVM_PARAMS records",
    tags=("converted", "emulator"),
    exercises=(
        "XL-HDR-006",
        "XC-DOM-004",
        "XL-EMU-002",
        "XL-EMU-003",
        "XL-NEST-006",
        "XC-SDE-002",
    ),
    profile=None,
)(converted_hvm)


@recipe(
    "converted-from-legacy",
    "a 64-bit PV stream as Xen's legacy converter writes it (bare libxc, v3, xen_major 0, "
    "X86_PV_INFO before STATIC_DATA_END, no CPU policy)",
    tags=("converted",),
    exercises=("XC-DOM-004", "XC-PVI-006", "XC-SDE-003"),
    profile=None,
)
def converted_pv() -> LibxcStream:
    s = B.xc("x86_64-pv", 3)
    assert s.domain_header is not None
    s.domain_header.xen_major, s.domain_header.xen_minor = 0, 1
    for t in (X.X86_CPUID_POLICY, X.X86_MSR_POLICY):
        B.remove(s.records, t)
    return s


# --- an unknown optional record -----------------------------------------------------------


@recipe(
    "unknown-optional-record",
    "an optional record of a type no Xen defines (0x80000123, 5-octet body, zero padding) "
    "between PAGE_DATA and X86_TSC_INFO; readers should skip it",
    tags=("optional-record", "unknown-record", "record-framing"),
    exercises=("XC-REC-006", "XC-REC-002", "XC-REC-004"),
    relies=("XC-REC-007",),
)
def unknown_optional_record() -> LibxcStream:
    s = B.xc("hvm", 3)
    B.insert_before(s.records, X.X86_TSC_INFO, Record(0x80000123, b"hello"))
    return s


# --- a verify phase -------------------------------------------------------------------------


@recipe(
    "verify-phase",
    "a debug live migration: after the memory, VERIFY and every page sent again, then the "
    "vCPU and platform records",
    tags=("verify", "page-data"),
    args=("hvm",),
    exercises=("XC-VER-001",),
)
@recipe(
    "verify-phase",
    "a debug live migration of a 64-bit PV guest: VERIFY, then every page again, then "
    "TSC, shared info and vCPU records",
    tags=("verify", "page-data"),
    args=("x86_64-pv",),
    exercises=("XC-VER-001", "XC-ORD-005"),
)
def verify_phase(guest: str) -> LibxcStream:
    s = B.xc(guest, 3)
    pages = [r for r in s.records if r.type == X.PAGE_DATA]
    B.insert_before(s.records, X.X86_TSC_INFO, Record(X.VERIFY), *pages)
    return s
