"""HVM save typecodes and what Xen makes of each: names, payload sizes (current Xen's and
each release's), which are per vCPU, the CPU_MSR indices each release restores, and the
register and XSAVE facts the HVM context rules check. Split from ``hvm_context`` (which
re-exports every name) so that the facts can be read without the blob walker; the
sources in Xen are named beside each fact."""

from __future__ import annotations

from ._codes import IntEnum

#: HEADER.magic, Xen's HVM_FILE_MAGIC.
HVM_FILE_MAGIC = 0x54381286
#: HEADER.version, Xen's HVM_FILE_VERSION (the only one there has been).
HVM_FILE_VERSION = 1
#: struct hvm_save_descriptor: u16 typecode, u16 instance, u32 length.
DESCRIPTOR_SIZE = 8


class Typecode(IntEnum):
    """The x86 typecodes (Xen's HVM_SAVE_CODE values; 22-34 are reserved for Amazon)."""

    END = 0
    HEADER = 1
    CPU = 2
    PIC = 3
    IOAPIC = 4
    LAPIC = 5
    LAPIC_REGS = 6
    PCI_IRQ = 7
    ISA_IRQ = 8
    PCI_LINK = 9
    PIT = 10
    RTC = 11
    HPET = 12
    PMTIMER = 13
    MTRR = 14
    VIRIDIAN_DOMAIN = 15
    CPU_XSAVE = 16
    VIRIDIAN_VCPU = 17
    VMCE_VCPU = 18
    TSC_ADJUST = 19
    CPU_MSR = 20


#: The highest typecode Xen's x86 restore has a handler for (HVM_SAVE_CODE_MAX).
TYPECODE_MAX = 20
#: HVM_SAVE_CODE_MAX by first release, read in xen/include/public/arch-x86/hvm/save.h at
#: each tag: 15 in 4.0, 16 from 4.1 (CPU_XSAVE), 18 from 4.2 (VIRIDIAN_VCPU, VMCE_VCPU),
#: 19 from 4.3 (TSC_ADJUST), 20 from 4.5 (CPU_MSR). hvm_load (xen/common/hvm/save.c up
#: to 4.9) refuses a typecode above it, or one with no load handler.
_TYPECODE_MAX_SINCE = (((4, 5), 20), ((4, 3), 19), ((4, 2), 18), ((4, 1), 16), ((4, 0), 15))


def typecode_max(release: tuple[int, int]) -> int:
    """HVM_SAVE_CODE_MAX of Xen ``release``."""
    return next((n for since, n in _TYPECODE_MAX_SINCE if release >= since), 15)


class Fit(IntEnum):
    """How Xen's restore matches an entry's length against its structure."""

    EXACT = 0  #: hvm_load_entry / hvm_get_entry: the length must equal the size
    AT_MOST = 1  #: hvm_load_entry_zeroextend: shorter entries are zero-extended
    VARIABLE = 2  #: CPU_XSAVE and CPU_MSR: their own length rules


#: (size of the current structure, how the length must fit) per typecode.
SIZES: dict[int, tuple[int, Fit]] = {
    Typecode.END: (0, Fit.EXACT),
    Typecode.HEADER: (24, Fit.EXACT),
    Typecode.CPU: (1032, Fit.AT_MOST),
    Typecode.PIC: (8, Fit.EXACT),
    Typecode.IOAPIC: (400, Fit.EXACT),
    Typecode.LAPIC: (32, Fit.AT_MOST),
    Typecode.LAPIC_REGS: (1024, Fit.EXACT),
    Typecode.PCI_IRQ: (16, Fit.EXACT),
    Typecode.ISA_IRQ: (8, Fit.EXACT),
    Typecode.PCI_LINK: (8, Fit.EXACT),
    Typecode.PIT: (56, Fit.EXACT),
    Typecode.RTC: (24, Fit.AT_MOST),
    Typecode.HPET: (1048, Fit.EXACT),
    Typecode.PMTIMER: (8, Fit.EXACT),
    Typecode.MTRR: (240, Fit.EXACT),
    Typecode.VIRIDIAN_DOMAIN: (32, Fit.AT_MOST),
    Typecode.CPU_XSAVE: (600, Fit.VARIABLE),
    Typecode.VIRIDIAN_VCPU: (216, Fit.AT_MOST),
    Typecode.VMCE_VCPU: (32, Fit.AT_MOST),
    Typecode.TSC_ADJUST: (8, Fit.EXACT),
    Typecode.CPU_MSR: (24, Fit.VARIABLE),
}

#: Typecodes saved once per vCPU, whose instance is the vCPU id.
PER_VCPU: frozenset[int] = frozenset(
    {
        Typecode.CPU,
        Typecode.LAPIC,
        Typecode.LAPIC_REGS,
        Typecode.MTRR,
        Typecode.CPU_XSAVE,
        Typecode.VIRIDIAN_VCPU,
        Typecode.VMCE_VCPU,
        Typecode.TSC_ADJUST,
        Typecode.CPU_MSR,
    }
)

#: struct hvm_hw_cpu_compat (no msr_tsc_aux, flags, pad0), which Xen converts on load.
CPU_COMPAT_SIZE = 1016
#: CPU_XSAVE: xfeature_mask, xcr0, xcr0_accum, the 512-octet legacy area, the 64-octet header.
XSAVE_MIN_SIZE = 24 + 512 + 64
#: CPU_MSR: u32 count, 4 octets of alignment, then 16 octets per MSR.
MSR_HEADER_SIZE = 8
MSR_ENTRY_SIZE = 16


#: CR0 bits a restored vCPU may have (PE MP EM TS ET NE WP AM NW CD PG): Xen's
#: HVM_CR0_GUEST_RESERVED_BITS is every other bit of the 64 (hvm.c).
CR0_VALID = 0xE005003F
CR0_PE, CR0_ET, CR0_PG = 1 << 0, 1 << 4, 1 << 31
#: IA32_APIC_BASE: x2APIC mode (EXTD) and global enable (EN).
APIC_BASE_EXTD, APIC_BASE_ENABLE = 1 << 10, 1 << 11
#: MCG_CAP bits vmce_restore_vcpu accepts on some host: the bank count (0-7), MCG_CTL_P
#: (8), and Intel's CMCI_P, TES_P, SER_P and LMCE_P (10, 11, 24, 27; LMCE_P from 4.10).
VMCE_CAPS = 0xFF | 1 << 8 | 1 << 10 | 1 << 11 | 1 << 24 | 1 << 27
#: Variable-range MTRRs struct hvm_hw_mtrr has room for (MTRR_VCNT).
MTRR_VCNT = 8
#: XCR0 component bits valid_xcr0() (xen/arch/x86/xstate.c) relates to one another.
XCR0_X87, XCR0_SSE, XCR0_YMM = 1 << 0, 1 << 1, 1 << 2
XCR0_BNDREGS, XCR0_BNDCSR = 1 << 3, 1 << 4
XCR0_AVX512 = (1 << 5) | (1 << 6) | (1 << 7)  # OPMASK, ZMM, HI_ZMM
XCR0_TILE = (1 << 17) | (1 << 18)  # TILE_CFG, TILE_DATA
#: Standard-format XSAVE sizes that do not depend on the CPU: the legacy area and
#: header (x87, SSE) and the AVX state at its architectural offset 576, 256 octets.
#: Larger components' offsets come from the host's CPUID leaf 0xD.
_XSAVE_FIXED_SIZE = {0x1: 576, 0x3: 576, 0x5: 832, 0x7: 832}

#: The MSR indices hvm_load_cpu_msrs (with vmx_load_msr/svm_load_msr before 4.13)
#: restores, by the first Xen release that does; any other index fails with -ENXIO.
#: CPU_MSR itself came with 4.5, whose vmx_load_msr and svm_load_msr take the same five
#: as 4.6's.
_MSR_SINCE: dict[int, tuple[int, int]] = {
    0xD90: (4, 5),  # MSR_IA32_BNDCFGS
    0xC0011027: (4, 5),  # MSR_AMD64_DR0_ADDRESS_MASK
    0xC0011019: (4, 5),  # MSR_AMD64_DR1_ADDRESS_MASK
    0xC001101A: (4, 5),  # MSR_AMD64_DR2_ADDRESS_MASK
    0xC001101B: (4, 5),  # MSR_AMD64_DR3_ADDRESS_MASK
    0xDA0: (4, 7),  # MSR_IA32_XSS
    0x140: (4, 10),  # MSR_INTEL_MISC_FEATURES_ENABLES
    0x48: (4, 11),  # MSR_SPEC_CTRL
    0xC001011F: (4, 17),  # MSR_VIRT_SPEC_CTRL
    0x6E1: (4, 18),  # MSR_PKRS
}
#: Every index some release restores: what HVM-MSR-003 allows.
CPU_MSR_HANDLED: frozenset[int] = frozenset(_MSR_SINCE)


def cpu_msr_handled(release: tuple[int, int]) -> frozenset[int]:
    """The CPU_MSR indices Xen ``release`` restores (whether the host has the feature
    behind each is a question for the destination, not the image)."""
    return frozenset(i for i, since in _MSR_SINCE.items() if release >= since)


def valid_xcr0(xcr0: int, *, tile: bool = True) -> bool:
    """Xen's valid_xcr0(): x87 set, YMM only with SSE, the three AVX-512 components
    together and only with YMM, both MPX components or neither, and (checked from
    Xen 4.19, ``tile``) both AMX components or neither."""
    if not xcr0 & XCR0_X87:
        return False
    if xcr0 & XCR0_YMM and not xcr0 & XCR0_SSE:
        return False
    if xcr0 & XCR0_AVX512 and (not xcr0 & XCR0_YMM or xcr0 & XCR0_AVX512 != XCR0_AVX512):
        return False
    if bool(xcr0 & XCR0_BNDREGS) != bool(xcr0 & XCR0_BNDCSR):
        return False
    return not tile or (xcr0 & XCR0_TILE) in (0, XCR0_TILE)


def xsave_size(xcr0_accum: int) -> int | None:
    """The CPU_XSAVE length Xen expects for ``xcr0_accum`` (24 + the standard XSAVE
    area), or None when a component's size comes from the host's CPUID."""
    area = _XSAVE_FIXED_SIZE.get(xcr0_accum)
    return None if area is None else 24 + area


#: Entry sizes that changed between releases, newest first: (first release, the size of
#: the structure then, whether it must be exact). Xen 4.6 loaded CPU, RTC and
#: VIRIDIAN_VCPU at their exact size (hvm_load_entry; CPU also at the 1016-octet compat
#: size); later releases zero-extend shorter entries of these (hvm_load_entry_zeroextend),
#: and refuse ones longer than their own structure. Before 4.6 (read at RELEASE-4.0.0 to
#: RELEASE-4.5.0, public arch-x86/hvm/save.h and each load handler): CPU exactly 1024
#: (the compat size from 4.2 only), LAPIC exactly 16 in 4.0 (tdt_msr came with 4.1's
#: zero-extending load), RTC exactly 16, VIRIDIAN_VCPU (from 4.2) exactly 8, VMCE_VCPU
#: exactly 8 in 4.2 and at most 24 from 4.3.
_SIZE_BY_RELEASE: dict[int, tuple[tuple[tuple[int, int], int, bool], ...]] = {
    Typecode.CPU: (((4, 7), 1032, False), ((4, 0), 1024, True)),
    # pending_esr from 4.21
    Typecode.LAPIC: (((4, 21), 32, False), ((4, 1), 24, False), ((4, 0), 16, True)),
    Typecode.RTC: (((4, 14), 24, False), ((4, 0), 16, True)),  # rtc_offset from 4.14
    Typecode.VIRIDIAN_VCPU: (((4, 13), 216, False), ((4, 7), 16, False), ((4, 2), 8, True)),
    # mcg_ext_ctl from 4.10
    Typecode.VMCE_VCPU: (((4, 10), 32, False), ((4, 3), 24, False), ((4, 2), 8, True)),
}
#: The first release that loads a CPU entry in the 1016-octet compat form.
CPU_COMPAT_SINCE = (4, 2)


#: The typecodes whose size changed between releases (:func:`size_refused` matters).
SIZE_CHANGED = frozenset(_SIZE_BY_RELEASE)


def release_size(typecode: int, release: tuple[int, int]) -> tuple[int, bool]:
    """(size of the structure, whether it must be exact) for a typecode whose size
    changed (:data:`SIZE_CHANGED`), in Xen ``release``."""
    hist = _SIZE_BY_RELEASE[typecode]
    return next(((n, e) for since, n, e in hist if release >= since), hist[-1][1:])


def size_refused(typecode: int, length: int, release: tuple[int, int]) -> bool:
    """Whether Xen ``release`` refuses an entry of ``length`` octets of a known typecode
    for its size alone: a newer release's longer layout fails on an older one.
    HVM-SIZE-001 and -002 give current Xen's sizes; this gives each release's."""
    hist = _SIZE_BY_RELEASE.get(typecode)
    if hist is None:
        size, fit = SIZES.get(typecode, (0, Fit.VARIABLE))
        return (fit == Fit.EXACT and length != size) or (fit == Fit.AT_MOST and length > size)
    size, exact = next(((n, e) for since, n, e in hist if release >= since), hist[-1][1:])
    if typecode == Typecode.CPU and length == CPU_COMPAT_SIZE and release >= CPU_COMPAT_SINCE:
        return False
    return length != size if exact else length > size


def typecode_name(typecode: int) -> str:
    """Xen's name for a typecode, or ``TYPE_<n>`` for one x86 Xen does not know."""
    try:
        return Typecode(typecode).name
    except ValueError:
        return f"TYPE_{typecode}"
