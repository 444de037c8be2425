"""Numeric facts of the format family.

The normative home of every value here is ``ksy/``; ``tests/test_constants_vs_ksy.py``
holds the two equal, so this module is a convenience for Python code, not a second
source of truth.
"""

from __future__ import annotations

from ._codes import IntEnum

# --- xl save file -----------------------------------------------------------

XL_MAGIC = b"Xen saved domain, xl format\n \x00 \r"
assert len(XL_MAGIC) == 32
XL_BYTEORDER_VALUE = 0x01020304
XL_HEADER_SIZE = 48  # magic + four u32 words


class XlMandatoryFlag(IntEnum):
    JSON = 1 << 0
    STREAM_V2 = 1 << 1


XL_MANDATORY_FLAGS_KNOWN = XlMandatoryFlag.JSON | XlMandatoryFlag.STREAM_V2
XL_OPTIONAL_FLAGS_KNOWN = 0

# --- libxl stream -----------------------------------------------------------

LIBXL_IDENT = 0x4C6962786C466D74  # "LibxlFmt"
LIBXL_IDENT_BYTES = b"LibxlFmt"
LIBXL_VERSION = 2
LIBXL_HEADER_SIZE = 16
LIBXL_OPT_BIG_ENDIAN = 1 << 0
LIBXL_OPT_LEGACY = 1 << 1


class LibxlRecType(IntEnum):
    END = 0x00000000
    LIBXC_CONTEXT = 0x00000001
    EMULATOR_XENSTORE_DATA = 0x00000002
    EMULATOR_CONTEXT = 0x00000003
    CHECKPOINT_END = 0x00000004
    CHECKPOINT_STATE = 0x00000005


class EmulatorId(IntEnum):
    UNKNOWN = 0
    QEMU_TRADITIONAL = 1
    QEMU_UPSTREAM = 2


class CheckpointControl(IntEnum):
    NEW = 0
    SVM_SUSPENDED = 1
    SVM_READY = 2
    SVM_RESUMED = 3


# --- libxc stream -----------------------------------------------------------

XC_MARKER = 0xFFFFFFFFFFFFFFFF
XC_ID = 0x58454E46  # "XENF"
XC_VERSIONS = (2, 3)
XC_IMAGE_HEADER_SIZE = 24
XC_DOMAIN_HEADER_SIZE = 16
XC_OPT_BIG_ENDIAN = 1 << 0

REC_ALIGN = 8
REC_HEADER_SIZE = 8
REC_TYPE_OPTIONAL = 0x80000000
REC_LENGTH_MAX = 128 << 20  # what Xen's restorer accepts per record
#: xensave's alignment padding record (spec/libxc-stream.md#alignment-padding): an
#: optional libxc record (bit 31) whose zero body puts the next PAGE_DATA's page
#: contents on a page boundary. Not Xen's: Xen has defined no optional type (through
#: 4.19) and numbers its types upwards from the bottom of each range, so the top of
#: the optional range is the value least likely to meet one of Xen's.
XC_REC_ALIGN_PAD = 0xFFFFFFF0

PAGE_DATA_PFN_MASK = (1 << 52) - 1
PAGE_DATA_RESERVED_MASK = 0xFF << 52
PAGE_DATA_TYPE_SHIFT = 60


class DomainType(IntEnum):
    X86_PV = 1
    X86_HVM = 2


class XcRecType(IntEnum):
    END = 0x00
    PAGE_DATA = 0x01
    X86_PV_INFO = 0x02
    X86_PV_P2M_FRAMES = 0x03
    X86_PV_VCPU_BASIC = 0x04
    X86_PV_VCPU_EXTENDED = 0x05
    X86_PV_VCPU_XSAVE = 0x06
    SHARED_INFO = 0x07
    X86_TSC_INFO = 0x08
    HVM_CONTEXT = 0x09
    HVM_PARAMS = 0x0A
    TOOLSTACK = 0x0B
    X86_PV_VCPU_MSRS = 0x0C
    VERIFY = 0x0D
    CHECKPOINT = 0x0E
    CHECKPOINT_DIRTY_PFN_LIST = 0x0F
    STATIC_DATA_END = 0x10
    X86_CPUID_POLICY = 0x11
    X86_MSR_POLICY = 0x12


class PageType(IntEnum):
    """XEN_DOMCTL_PFINFO_* as carried in bits 63-60 of a PAGE_DATA pfn entry."""

    NOTAB = 0x0
    L1TAB = 0x1
    L2TAB = 0x2
    L3TAB = 0x3
    L4TAB = 0x4
    L1TAB_PIN = 0x9
    L2TAB_PIN = 0xA
    L3TAB_PIN = 0xB
    L4TAB_PIN = 0xC
    BROKEN = 0xD
    XALLOC = 0xE
    XTAB = 0xF


#: Values 5-8 are reserved and make a stream unrestorable (XC-PAGE-005).
PAGE_TYPES_RESERVED = frozenset(range(5, 9))
#: Page types whose PFN carries no page contents in PAGE_DATA: BROKEN, XALLOC, XTAB
#: and the reserved values, which XC-PAGE-006 (like Xen's restorer) counts as sending
#: none, so that a reserved type is reported once, as itself, not also as a length error.
PAGE_TYPES_WITHOUT_DATA = (
    frozenset({PageType.BROKEN, PageType.XALLOC, PageType.XTAB}) | PAGE_TYPES_RESERVED
)


class TscMode(IntEnum):
    DEFAULT = 0
    ALWAYS_EMULATE = 1
    NEVER_EMULATE = 2
    PVRDTSCP = 3


class HvmParam(IntEnum):
    CALLBACK_IRQ = 0
    STORE_PFN = 1
    STORE_EVTCHN = 2
    PAE_ENABLED = 4
    IOREQ_PFN = 5
    BUFIOREQ_PFN = 6
    VIRIDIAN = 9
    TIMER_MODE = 10
    HPET_ENABLED = 11
    IDENT_PT = 12
    DM_DOMAIN = 13
    ACPI_S_STATE = 14
    VM86_TSS = 15
    VPT_ALIGN = 16
    CONSOLE_PFN = 17
    CONSOLE_EVTCHN = 18
    ACPI_IOPORTS_LOCATION = 19
    MEMORY_EVENT_CR0 = 20
    MEMORY_EVENT_CR3 = 21
    MEMORY_EVENT_CR4 = 22
    MEMORY_EVENT_INT3 = 23
    NESTEDHVM = 24
    MEMORY_EVENT_SINGLE_STEP = 25
    BUFIOREQ_EVTCHN = 26
    PAGING_RING_PFN = 27
    MONITOR_RING_PFN = 28
    SHARING_RING_PFN = 29
    MEMORY_EVENT_MSR = 30
    TRIPLE_FAULT_REASON = 31
    IOREQ_SERVER_PFN = 32
    NR_IOREQ_SERVER_PAGES = 33
    VM_GENERATION_ID_ADDR = 34
    ALTP2M = 35
    X87_FIP_WIDTH = 36
    VM86_TSS_SIZED = 37
    MCA_CAP = 38


#: Fixed body sizes (exact) per libxc record type, where the type fixes one.
XC_FIXED_BODY = {
    XcRecType.END: 0,
    XcRecType.X86_PV_INFO: 8,
    XcRecType.X86_TSC_INFO: 24,
    XcRecType.VERIFY: 0,
    XcRecType.CHECKPOINT: 0,
    XcRecType.STATIC_DATA_END: 0,
}

#: Sizes of array elements inside bodies.
PFN_ENTRY_SIZE = 8
HVM_PARAM_ENTRY_SIZE = 16
CPUID_LEAF_SIZE = 24  # xen_cpuid_leaf_t: leaf, subleaf, a, b, c, d (u32 each)
MSR_ENTRY_SIZE = 16  # xen_msr_entry_t: idx u32, flags u32, val u64
VCPU_HEADER_SIZE = 8

#: sizeof(vcpu_guest_context) for PV guests, by guest width in octets.
PV_VCPU_CONTEXT_SIZE = {4: 2800, 8: 5168}

#: The four per-vCPU PV records: a vcpu_id word, a pad word, then the context.
VCPU_RECORD_TYPES = (
    XcRecType.X86_PV_VCPU_BASIC,
    XcRecType.X86_PV_VCPU_EXTENDED,
    XcRecType.X86_PV_VCPU_XSAVE,
    XcRecType.X86_PV_VCPU_MSRS,
)
VCPU_RECORDS = frozenset(VCPU_RECORD_TYPES)

#: Records that only make sense for one kind of guest.
PV_ONLY_RECORDS = frozenset(
    {XcRecType.X86_PV_INFO, XcRecType.X86_PV_P2M_FRAMES, XcRecType.SHARED_INFO} | VCPU_RECORDS
)
HVM_ONLY_RECORDS = frozenset({XcRecType.HVM_CONTEXT, XcRecType.HVM_PARAMS})

# --- wrappers seen in the field --------------------------------------------

LIBVIRT_MAGIC = b"libvirt-xml\n \x00 \r"
LIBVIRT_HEADER_SIZE = 64  # magic, version, xml_len, ten unused u32 words
XAPI_MAGIC = b"XenSavedDomv2-\n"
