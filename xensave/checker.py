"""The reference checker: applies every image rule of the catalogue to an image.

The reader frames, the checker judges. ``check_stream`` walks the reader's events
once, keeps a small amount of state per layer (nothing proportional to the image)
and turns every broken rule into a :class:`Diagnostic` that cites the rule's ID,
level, byte offset and record. Framing loss (``ReadError``) ends the walk with a
final diagnostic; everything else is reported and the walk goes on, so one run
shows every problem the framing lets it find.

Every rule ID this module can cite is a key of :data:`CHECKS`; every image rule of
the catalogue is either there or in :data:`UNCHECKED` with the reason.
``tests/test_checker.py`` holds the three in step.

Speed: per record the work is a handful of Python operations; a PAGE_DATA pfn array
is judged with bytes slicing and ``translate``/``count`` and only walked entry by
entry once a violation is known to be there.
"""

from __future__ import annotations

import io
import json
import struct
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from . import pv_context
from ._slots import Struct, field, replace
from .constants import (
    LIBVIRT_MAGIC,
    PV_VCPU_CONTEXT_SIZE,
    REC_LENGTH_MAX,
    XC_ID,
    XC_MARKER,
    XL_BYTEORDER_VALUE,
    XL_MAGIC,
    DomainType,
    LibxlRecType,
    PageType,
    XcRecType,
    XlMandatoryFlag,
)
from .reader import (
    BODY_KEEP_MAX,
    XAPI_LENGTH_FRAMED,
    Event,
    LibvirtHeader,
    LibxlHeader,
    Reader,
    ReadError,
    ReadOptions,
    RecordEvent,
    Trailer,
    XapiHeader,
    XapiKind,
    XcDomainHeader,
    XcImageHeader,
    XlHeader,
    data_pfn_count,
)
from .rules import Rule, load_rules

if TYPE_CHECKING:
    from .legacy.read import LegacyOptions

__all__ = [
    "CHECKS",
    "UNCHECKED",
    "Diagnostic",
    "Report",
    "check_bytes",
    "check_events",
    "check_stream",
]

# --- the rule table -----------------------------------------------------------------

#: Every rule the checker can cite, with the check that cites it. The keys are the
#: only rule IDs that appear in this module's diagnostics.
CHECKS: dict[str, str] = {
    # xl save file
    "XLF-HDR-001": "xl header: the 32-byte magic (first differing byte); truncated magic",
    "XLF-HDR-002": "xl header: byteorder word 0x01020304 in either byte order",
    "XLF-HDR-003": "xl header: note a big-endian file",
    "XLF-HDR-004": "xl header: mandatory_flags has only JSON and STREAMv2",
    "XLF-HDR-006": "xl header: optional_flags zero",
    "XLF-OPT-001": "xl optional data: present in full (framing loss)",
    "XLF-OPT-002": "xl optional data: optional_data_len is 0 or >= 4",
    "XLF-OPT-003": "xl optional data: 4 + config_len <= optional_data_len",
    "XLF-OPT-004": "xl optional data: note trailing optional data after the config",
    "XLF-CFG-001": "xl config: JSON flag => config_len > 0",
    "XLF-CFG-002": "xl config: JSON flag => last config byte NUL",
    "XLF-CFG-003": "xl config: JSON flag => UTF-8 JSON object before the NUL",
    "XLF-CFG-004": "xl config: note a config without the JSON flag",
    "XLF-CFG-005": "xl config: note a file without config",
    "XLF-STR-001": "xl header: note a legacy stream (STREAMv2 clear)",
    "XLF-NEST-001": "xl file: a libxl header (ident, complete) at 48 + optional_data_len",
    "XLF-NEST-002": "xl file: xl byte order equals the libxl options byte order",
    # libxl stream
    "XL-HDR-001": "libxl header: ident; truncated ident",
    "XL-HDR-002": "libxl header: version 2; truncated version",
    "XL-HDR-003": "libxl header: options bits 2-31 zero; truncated options",
    "XL-HDR-004": "libxl header: note a big-endian stream",
    "XL-HDR-006": "libxl header: note the legacy-conversion bit",
    "XL-REC-001": "libxl record: truncated record header (framing loss)",
    "XL-REC-002": "libxl record: padding zero",
    "XL-REC-003": "libxl record: body and padding within the stream (framing loss)",
    "XL-REC-004": "libxl record: no type in the reserved mandatory range",
    "XL-REC-006": "libxl record: note an optional record",
    "XL-END-001": "libxl END: body_length 0",
    "XL-END-002": "libxl stream: ends with END (EOF at a record boundary)",
    "XL-END-003": "libxl stream: no bytes after END (Trailer event)",
    "XL-CTX-001": "LIBXC_CONTEXT: body_length 0",
    "XL-CTX-002": "libxl stream: exactly one LIBXC_CONTEXT (second one; none at END)",
    "XL-CTX-003": "libxl stream: LIBXC_CONTEXT is the first record (warning)",
    "XL-EMU-001": "emulator records: body_length >= 8",
    "XL-EMU-002": "emulator records: emulator_id 0, 1 or 2",
    "XL-EMU-003": "emulator records: id 0 only with the legacy bit (warning)",
    "XL-EMU-004": "emulator records: none in an x86 PV stream (cross-layer, deferred)",
    "XL-XSD-001": "xenstore data: ends with NUL",
    "XL-XSD-002": "xenstore data: even number of strings",
    "XL-XSD-003": "xenstore data: keys non-empty",
    "XL-XSD-004": "xenstore data: keys relative",
    "XL-XSD-005": "xenstore data: key alphabet",
    "XL-XSD-006": "xenstore data: values printable ASCII (warning)",
    "XL-XSD-007": "xenstore data: at least one pair (warning)",
    "XL-EMC-001": "libxl stream: an HVM stream has EMULATOR_CONTEXT (warning, at END)",
    "XL-CKE-001": "CHECKPOINT_END: body_length 0",
    "XL-CKS-001": "CHECKPOINT_STATE: body_length >= 4",
    "XL-CKS-002": "CHECKPOINT_STATE: body_length exactly 4 (warning)",
    "XL-CKS-003": "CHECKPOINT_STATE: control_id 0-3",
    "XL-CKS-004": "CHECKPOINT_STATE: control_id 0 in a forward stream (values 1-3)",
    "XL-CKS-005": "CHECKPOINT_STATE: directly after CHECKPOINT_END",
    "XL-CKS-006": "CHECKPOINT_STATE: body octets after control_id zero",
    "XL-NEST-001": "libxl stream: LIBXC_CONTEXT followed by a libxc image header",
    "XL-NEST-002": "libxl stream: libxc byte order equals libxl byte order",
    "XL-NEST-003": "checkpoint sections: closed by CHECKPOINT_END, no new libxc headers",
    "XL-NEST-004": "CHECKPOINT_END: only in a section a libxc CHECKPOINT opened",
    "XL-NEST-005": "libxl END: not inside a checkpoint section",
    "XL-NEST-006": "legacy bit <=> xen_major 0 (warning)",
    # libxc stream
    "XC-HDR-001": "image header: marker; truncated marker",
    "XC-HDR-002": "image header: id; truncated id",
    "XC-HDR-003": "image header: version 2 or 3; truncated version",
    "XC-HDR-004": "image header: options bits 1-15 zero; truncated options",
    "XC-HDR-005": "image header: reserved fields zero; truncated reserved",
    "XC-HDR-006": "image header: note a big-endian stream",
    "XC-DOM-001": "domain header: type 1 or 2; truncated type",
    "XC-DOM-002": "domain header: page_shift 12 for x86; truncated page_shift",
    "XC-DOM-003": "domain header: reserved zero; truncated reserved",
    "XC-DOM-004": "domain header: note xen_major 0",
    "XC-REC-001": "libxc record: truncated record header (framing loss)",
    "XC-REC-002": "libxc record: padding zero",
    "XC-REC-003": "libxc record: body and padding within the stream (framing loss)",
    "XC-REC-004": "libxc record: no type in the reserved mandatory range",
    "XC-REC-006": "libxc record: note an optional record (skipped)",
    "XC-REC-008": "libxc record: body_length <= 128 MiB (warning)",
    "XC-END-001": "libxc END: body_length 0",
    "XC-END-002": "libxc stream: ends with END (EOF at a record boundary, or in the "
    "domain header's version words)",
    "XC-END-003": "bare libxc stream: no bytes after END (Trailer event)",
    "XC-PAGE-001": "PAGE_DATA: body_length >= 8",
    "XC-PAGE-002": "PAGE_DATA: count >= 1",
    "XC-PAGE-003": "PAGE_DATA: reserved word zero",
    "XC-PAGE-004": "PAGE_DATA: pfn bits 52-59 zero (vectorised)",
    "XC-PAGE-005": "PAGE_DATA: no reserved page type 5-8 (vectorised)",
    "XC-PAGE-006": "PAGE_DATA: body_length == 8 + 8*count + page_size*N",
    "XC-PVI-001": "X86_PV_INFO: body_length 8",
    "XC-PVI-002": "X86_PV_INFO: guest_width 4 or 8",
    "XC-PVI-003": "X86_PV_INFO: pt_levels 3 or 4",
    "XC-PVI-004": "X86_PV_INFO: width/levels pairing",
    "XC-PVI-005": "X86_PV_INFO: reserved bytes zero",
    "XC-PVI-006": "PV stream: exactly one X86_PV_INFO (second one; none at END)",
    "XC-PVI-007": "v3: X86_PV_INFO before STATIC_DATA_END (warning)",
    "XC-P2M-001": "X86_PV_P2M_FRAMES: body_length >= 8",
    "XC-P2M-002": "X86_PV_P2M_FRAMES: start <= end",
    "XC-P2M-003": "X86_PV_P2M_FRAMES: body_length from start, end and fpp",
    "XC-P2M-004": "PV stream: at least one X86_PV_P2M_FRAMES (at END)",
    "XC-VCPU-001": "X86_PV_VCPU_*: body_length >= 8",
    "XC-VCPU-002": "X86_PV_VCPU_*: reserved zero",
    "XC-VCPU-003": "X86_PV_VCPU_BASIC: context size for the guest width",
    "XC-VCPU-004": "X86_PV_VCPU_EXTENDED: context <= 128",
    "XC-VCPU-005": "X86_PV_VCPU_XSAVE: non-empty context >= 16",
    "XC-VCPU-006": "X86_PV_VCPU_MSRS: context multiple of 16",
    "XC-VCPU-007": "X86_PV_VCPU_{EXTENDED,XSAVE,MSRS}: empty context (warning, erratum)",
    "XC-VCPU-009": "PV stream: X86_PV_VCPU_BASIC for vCPU 0 (at END)",
    "PV-GDT-001": "PV context: gdt_ents <= 7168",
    "PV-GDT-002": "PV context: GDT frames in use are sent NOTAB pfns <= p2m_end_pfn",
    "PV-GDT-003": "PV context: unused gdt_frames zero (warning)",
    "PV-CR3-001": "PV context: CR3 pfn sent as a top-level page table",
    "PV-CR3-002": "PV context: x86_64 CR1 (bit 0 set) pfn sent as an L4 table",
    "PV-CR3-003": "PV context: x86_64 in user mode has a CR1",
    "PV-SIF-001": "PV context: vCPU 0 start-info pfn sent NOTAB",
    "PV-LDT-001": "PV context: ldt_ents <= 8192",
    "PV-LDT-002": "PV context: ldt_base page aligned",
    "PV-ADR-001": "PV context: x86_64 addresses canonical",
    "PV-DBG-001": "PV context: x86_64 DR6/DR7 fit in 32 bits",
    "PV-FLG-001": "PV context: flags only VGCF_* bits (warning)",
    "PV-FLG-002": "PV context: x86_32 eflags.VM clear",
    "XC-SHI-001": "SHARED_INFO: body_length == page size",
    "XC-TSC-001": "X86_TSC_INFO: body_length 24",
    "XC-TSC-002": "X86_TSC_INFO: reserved zero",
    "XC-TSC-003": "X86_TSC_INFO: mode 0-3",
    "XC-TSC-005": "X86_TSC_INFO: mode not 3 (warning)",
    "XC-HVMC-001": "HVM_CONTEXT: non-empty",
    "XC-HVMC-002": "HVM stream: at least one HVM_CONTEXT (at END)",
    # HVM context blob (spec/hvm-context.md), in each non-empty HVM_CONTEXT body
    "HVM-FRAME-001": "HVM context: each payload within the blob",
    "HVM-FRAME-002": "HVM context: ends with an END entry",
    "HVM-FRAME-003": "HVM context: END has instance 0 and length 0 (warning)",
    "HVM-FRAME-004": "HVM context: nothing after END (warning)",
    "HVM-HDR-001": "HVM context: HEADER first, 24 octets",
    "HVM-HDR-002": "HVM context: HEADER magic 0x54381286",
    "HVM-HDR-003": "HVM context: HEADER version 1",
    "HVM-HDR-004": "HVM context: no second HEADER",
    "HVM-TYPE-001": "HVM context: typecodes 0-20 only",
    "HVM-SIZE-001": "HVM context: fixed-size typecodes at their exact size",
    "HVM-SIZE-002": "HVM context: zero-extended typecodes no longer than their structure",
    "HVM-CPU-001": "HVM context: CPU pad0 zero",
    "HVM-CPU-002": "HVM context: CPU cr0 has ET, no PG without PE, no reserved bit",
    "HVM-CPU-003": "HVM context: CPU flags only bit 0",
    "HVM-CPU-004": "HVM context: CPU msr_tsc_aux within 32 bits",
    "HVM-CPU-005": "HVM context: CPU dr6, dr7 within 32 bits",
    "HVM-PIC-001": "HVM context: PIC instance 0 or 1",
    "HVM-PIC-002": "HVM context: PIC state reachable (int_output, is_master, elcr)",
    "HVM-LAPIC-001": "HVM context: LAPIC no EXTD without EN",
    "HVM-MTRR-001": "HVM context: MTRR VCNT at most 8",
    "HVM-VIRIDIAN-001": "HVM context: VIRIDIAN_VCPU _pad zero",
    "HVM-VMCE-001": "HVM context: VMCE_VCPU caps within what some host offers",
    "HVM-LINK-001": "HVM context: PCI_LINK routes 0-15",
    "HVM-LINK-002": "HVM context: PCI_LINK pad0 zero",
    "HVM-PIT-001": "HVM context: PIT speaker_data_on 0/1, pad0 zero",
    "HVM-PIT-002": "HVM context: PIT counter states reachable",
    "HVM-XSAVE-001": "HVM context: CPU_XSAVE >= 600 octets",
    "HVM-XSAVE-002": "HVM context: CPU_XSAVE standard format (xcomp_bv, reserved zero)",
    "HVM-XSAVE-003": "HVM context: CPU_XSAVE xcr0 has x87; xcr0, xstate_bv within xcr0_accum",
    "HVM-XSAVE-004": "HVM context: CPU_XSAVE xcr0, xcr0_accum valid XCR0 values",
    "HVM-XSAVE-005": "HVM context: CPU_XSAVE both AMX components or neither",
    "HVM-XSAVE-006": "HVM context: CPU_XSAVE octets past the size xcr0_accum needs are zero",
    "HVM-XSAVE-007": "HVM context: CPU_XSAVE not shorter than xcr0_accum needs",
    "HVM-MSR-001": "HVM context: CPU_MSR count >= 1, length 8 + 16 * count",
    "HVM-MSR-002": "HVM context: CPU_MSR reserved words zero",
    "HVM-MSR-003": "HVM context: CPU_MSR indices Xen restores",
    "XC-HVMP-001": "HVM_PARAMS: body_length >= 8",
    "XC-HVMP-002": "HVM_PARAMS: body_length == 8 + 16*count",
    "XC-HVMP-003": "HVM_PARAMS: reserved zero",
    "XC-HVMP-004": "HVM_PARAMS: count not zero (warning, erratum)",
    "XC-HVMP-015": "HVM_PARAMS: body_length not less than 8 + 16*count",
    "XC-HVMP-006": "HVM_PARAMS: index below HVM_NR_PARAMS (39)",
    "XC-HVMP-007": "HVM_PARAMS: no index deprecated in every release",
    "XC-HVMP-008": "HVM_PARAMS: values of TIMER_MODE, ACPI_S_STATE, TRIPLE_FAULT_REASON, "
    "NR_IOREQ_SERVER_PAGES, X87_FIP_WIDTH",
    "XC-HVMP-009": "HVM_PARAMS: VIRIDIAN base_freq set, no unknown bit",
    "XC-HVMP-010": "HVM_PARAMS: once-only parameters not changed within a record",
    "XC-HVMP-011": "HVM_PARAMS: no PAE_ENABLED (warning)",
    "XC-HVMP-012": "HVM_PARAMS: no NESTEDHVM",
    "XC-HVMP-013": "HVM_PARAMS: no DM_DOMAIN",
    "XC-HVMP-014": "HVM_PARAMS: no ALTP2M",
    "XC-TOOL-001": "TOOLSTACK: deprecated (warning)",
    "XC-VER-001": "VERIFY: body_length 0",
    "XC-VER-002": "VERIFY: at most one (warning)",
    "XC-VER-003": "VERIFY: not in a checkpointed stream (warning)",
    "XC-CKPT-001": "CHECKPOINT: body_length 0",
    "XC-CKPT-003": "checkpointed stream: note an end without END after a checkpoint",
    "XC-DIRTY-001": "CHECKPOINT_DIRTY_PFN_LIST: never in an image (forward stream)",
    "XC-DIRTY-002": "CHECKPOINT_DIRTY_PFN_LIST: body_length multiple of 8",
    "XC-SDE-001": "STATIC_DATA_END: body_length 0",
    "XC-SDE-002": "v3: exactly one STATIC_DATA_END (second one; none at END)",
    "XC-SDE-003": "v3: STATIC_DATA_END before the first PAGE_DATA / X86_PV_P2M_FRAMES",
    "XC-SDE-004": "v3: STATIC_DATA_END before state records (warning)",
    "XC-SDE-005": "v2: no STATIC_DATA_END (warning)",
    "XC-POL-001": "X86_CPUID_POLICY: non-zero multiple of 24",
    "XC-POL-002": "X86_MSR_POLICY: non-zero multiple of 16",
    "XC-POL-003": "policies before (explicit or inferred) STATIC_DATA_END",
    "XC-POL-004": "at most one policy record of each kind (warning)",
    "XC-POL-005": "v2: no policy records (warning)",
    "XC-POL-006": "X86_MSR_POLICY: every entry's flags zero (vectorised)",
    "XC-POL-007": "X86_CPUID_POLICY: leaves and subleaves the policy holds",
    "XC-POL-008": "X86_CPUID_POLICY: at most 120 leaves",
    "XC-POL-009": "X86_MSR_POLICY: indices 0xce and 0x10a only",
    "XC-POL-010": "X86_MSR_POLICY: at most 2 entries",
    "XC-POL-011": "X86_MSR_POLICY: MSR 0xce value within 32 bits",
    "XC-GUEST-001": "no PV-only record in an HVM stream",
    "XC-GUEST-002": "no HVM-only record in a PV stream",
    "XC-ORD-001": "PV: X86_PV_INFO before the first X86_PV_P2M_FRAMES",
    "XC-ORD-002": "PV: X86_PV_P2M_FRAMES before the first PAGE_DATA",
    "XC-ORD-003": "PV: no vCPU record before the first PAGE_DATA",
    "XC-ORD-004": "PV: X86_PV_INFO before every SHARED_INFO",
    "XC-ORD-005": "PV: no PAGE_DATA after a vCPU record in one section (warning)",
    "XC-ORD-006": "HVM: note HVM_CONTEXT before HVM_PARAMS",
    # legacy images (xensave.legacy: the reader's framing and legacy.check)
    "LEG-HDR-001": "p2m_size is not zero.",
    "LEG-HDR-002": "In an image from a 64-bit toolstack, bits 32-63 of p2m_size are zero.",
    "LEG-EXT-002": "The extended-info blocks, 8 octets of header each plus their data, fill len...",
    "LEG-EXT-003": "The extended info has exactly one vcpu block, of 2800 octets (x86_32 guest)...",
    "LEG-EXT-004": "An extv block has no data.",
    "LEG-EXT-005": "An xcnt block holds one u32 of at least 16.",
    "LEG-EXT-006": "Extended-info block ids are vcpu, extv or xcnt.",
    "LEG-P2M-001": "Every p2m frame list entry names a pfn below p2m_size.",
    "LEG-CHK-001": "Every chunk type is 0, a page count 1-1024, or a defined negative type -1 t...",
    "LEG-CHK-002": "HVM parameter chunks do not appear in a PV image.",
    "LEG-CHK-003": "The padding word of every HVM parameter chunk is zero.",
    "LEG-CHK-004": "VCPU_INFO's max_vcpu_id is 0 to 4095.",
    "LEG-CHK-005": "VCPU_INFO's map has at least one bit set and none above max_vcpu_id.",
    "LEG-CHK-006": "The TSC_INFO mode is 0 to 3.",
    "LEG-CHK-008": "The TOOLSTACK data of an HVM image decodes as libxl's physmap record.",
    "LEG-PAGE-001": "No pfn word has a page type of 5 to 8.",
    "LEG-PAGE-002": "The pfn (bits 0-27) of every pfn word is below p2m_size.",
    "LEG-PAGE-003": "In an image from a 64-bit toolstack, bits 32-63 of every pfn word are zero.",
    "LEG-PAGE-004": "A batch may hold filler words 0xF0000000 for pfns the saver could not map.",
    "LEG-PAGE-005": "No pfn appears twice in one batch, filler words aside.",
    "LEG-CMP-001": "COMPRESSED_DATA appears only in a body after the checkpoint whose body had...",
    "LEG-CMP-002": "Compressed data splits into whole pages: empty, full, or runs of non-zero l...",
    "LEG-CMP-003": "A compressed body's pages match its data-bearing pfns in number.",
    "LEG-TAIL-001": "The PV tail's unmapped pfn count is at most 2^28.",
    "LEG-TAIL-002": "Each vCPU's XSAVE size field is the xcnt value less 16.",
    "LEG-DM-001": "The device-model signature is QemuDeviceModelRecord, DeviceModelRecord0002 o...",
    "LEG-DM-002": "qemu state after QemuDeviceModelRecord starts with QEVM.",
    "LEG-END-001": "The image does not end inside its header, a chunk or a tail.",
    "LEG-END-002": "Nothing follows the tail of a checkpoint whose body had LAST_CHECKPOINT.",
    "LEG-END-003": "An image may lack LAST_CHECKPOINT (Remus streams, Xen before 4.1); it then...",
    "LEG-GUEST-001": "A 32-bit PV image may describe a 2-level (non-PAE) guest; it cannot be co...",
    # libvirt save file
    "LVF-HDR-001": "libvirt header: the 16-byte magic (first differing byte); truncated magic",
    "LVF-HDR-002": "libvirt header: the whole 64-byte header present (framing loss)",
    "LVF-HDR-003": "libvirt header: version 1 or 2 in either byte order",
    "LVF-HDR-004": "libvirt header: note big-endian header words",
    "LVF-HDR-005": "libvirt header: the ten unused words zero",
    "LVF-XML-001": "libvirt XML: xml_len > 0",
    "LVF-XML-002": "libvirt XML: xml_len bytes present (framing loss)",
    "LVF-XML-003": "libvirt XML: last byte NUL",
    "LVF-XML-004": "libvirt XML: no NUL before the last byte; well-formed, root element domain",
    "LVF-STR-001": "libvirt header: note a legacy stream (version 1)",
    "LVF-STR-002": "libvirt file, version 2: a libxl header (ident, complete) at 64 + xml_len",
    "LVF-STR-003": "libvirt file: header byte order equals the libxl options byte order",
    "LVF-STR-004": "libvirt file: no bytes after the libxl END (Trailer event)",
    # XAPI suspend image
    "XAPI-HDR-001": "XAPI: the 15-byte signature (framing loss, first differing byte)",
    "XAPI-SEC-001": "XAPI section header: complete (framing loss)",
    "XAPI-SEC-002": "XAPI section header: known type (framing loss)",
    "XAPI-SEC-003": "XAPI length-framed section: body present in full (framing loss)",
    "XAPI-SEC-004": "XAPI LIBXC/LIBXL/LIBXC_LEGACY/DEMU/END_OF_IMAGE section: length 0",
    "XAPI-SEC-006": "XAPI: no LIBXL or QEMU_XEN section (warning)",
    "XAPI-SEC-007": "XAPI QEMU_TRAD/QEMU_XEN section: length <= 1 MiB (warning)",
    "XAPI-STR-001": "XAPI LIBXC/LIBXL section: a libxc/libxl header (complete) follows",
    "XAPI-STR-002": "XAPI: exactly one memory section (second one; none at END_OF_IMAGE)",
    "XAPI-STR-003": "XAPI: note a LIBXC_LEGACY section (not checked)",
    "XAPI-STR-004": "XAPI: note a DEMU section (nothing after it is checked)",
    "XAPI-END-001": "XAPI: END_OF_IMAGE present (EOF at a section boundary)",
    "XAPI-END-002": "XAPI: no bytes after END_OF_IMAGE (Trailer event)",
    # the image as a whole
    "IMG-FMT-001": "input: some layer's identifying bytes, or a legacy guess (framing loss)",
}

#: Image rules of the catalogue that the checker does not cite, with the reason.
UNCHECKED: dict[str, str] = {}

#: Rules whose ``versions`` key gates them; the checker skips them in streams of
#: other (or unknown) versions, whatever the code path.
_SEVERITY = {"MUST": "error", "SHOULD": "warning", "MAY": "note"}

#: How many diagnostics of one rule are listed before the rest are only counted.
MAX_PER_RULE = 100
#: How many offending items one diagnostic names before it only counts the rest.
MAX_NAMED = 4
PROGRESS_STEP = 64 << 20


# --- results --------------------------------------------------------------------------


class Diagnostic(Struct, frozen=True):
    """One broken (or, for a note, exercised) rule at one place in the image.

    ``rule`` is a catalogue ID; it is empty only where the checker cannot judge:
    a legacy stream (not implemented yet), what follows a XAPI DEMU section (no
    published format), or an internal error of the checker. Those are always
    errors, so that an image nobody checked is never called valid.
    """

    rule: str
    level: str
    severity: str
    offset: int  # of the offending field, where one can be named
    layer: str  # whose bytes ``offset`` points into (the carrier, for a missing stream)
    record_index: int | None
    record_type: str | None
    message: str

    def format(self, filename: str) -> str:
        """``FILE:0xOFF: [warning: |note: ][libxl ]record #N TYPE: RULE: message``."""
        parts = [f"{filename}:{self.offset:#x}: "]
        if self.severity != "error":
            parts.append(f"{self.severity}: ")
        if self.record_index is not None:
            prefix = "libxl " if self.layer == "libxl" else ""
            parts.append(f"{prefix}record #{self.record_index} {self.record_type}: ")
        if self.rule:
            parts.append(f"{self.rule}: ")
        parts.append(self.message)
        return "".join(parts)

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "level": self.level,
            "severity": self.severity,
            "offset": self.offset,
            "layer": self.layer,
            "record_index": self.record_index,
            "record_type": self.record_type,
            "message": self.message,
        }


class Report(Struct):
    diagnostics: list[Diagnostic]
    layer: str | None
    bytes_read: int

    @property
    def valid(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def notes(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "note"]

    def to_json(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "layer": self.layer,
            "bytes_read": self.bytes_read,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "notes": len(self.notes),
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


# --- byte tables for vectorised checks -------------------------------------------------

_ZEROS = bytes(8)
#: Top byte of a LE pfn entry (bits 56-63) that is fine: bits 56-59 clear, type not 5-8.
_GOOD_TOP = bytes(b for b in range(256) if not b & 0x0F and not 5 <= b >> 4 <= 8)
#: Byte of bits 48-55 that is fine: bits 52-55 clear.
_GOOD_SECOND = bytes(range(16))
_XS_KEY_CHARS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_@"
_PRINTABLE = bytes(range(0x20, 0x7F))

_VCPU_TYPES = frozenset(
    {
        XcRecType.X86_PV_VCPU_BASIC,
        XcRecType.X86_PV_VCPU_EXTENDED,
        XcRecType.X86_PV_VCPU_XSAVE,
        XcRecType.X86_PV_VCPU_MSRS,
    }
)
_PV_ONLY = frozenset(
    {XcRecType.X86_PV_INFO, XcRecType.X86_PV_P2M_FRAMES, XcRecType.SHARED_INFO} | _VCPU_TYPES
)
_HVM_ONLY = frozenset({XcRecType.HVM_CONTEXT, XcRecType.HVM_PARAMS})
#: Records that carry running state: STATIC_DATA_END should precede them (v3).
_AFTER_STATIC = frozenset(
    {
        XcRecType.SHARED_INFO,
        XcRecType.X86_TSC_INFO,
        XcRecType.HVM_CONTEXT,
        XcRecType.HVM_PARAMS,
        XcRecType.VERIFY,
        XcRecType.CHECKPOINT,
    }
    | _VCPU_TYPES
)
_XC_KNOWN_MAX = max(XcRecType)
_XL_KNOWN_MAX = max(LibxlRecType)

# Truncated headers: (end of field, rule) for the first field that is incomplete.
_XL_HDR_FIELDS = ((32, "XLF-HDR-001"), (36, "XLF-HDR-002"), (40, "XLF-HDR-004"))
_LIBXL_HDR_FIELDS = ((8, "XL-HDR-001"), (12, "XL-HDR-002"), (16, "XL-HDR-003"))
_XC_IHDR_FIELDS = (
    (8, "XC-HDR-001"),
    (12, "XC-HDR-002"),
    (16, "XC-HDR-003"),
    (18, "XC-HDR-004"),
    (24, "XC-HDR-005"),
)
_XC_DHDR_FIELDS = ((4, "XC-DOM-001"), (6, "XC-DOM-002"), (8, "XC-DOM-003"))
_LIBVIRT_HDR_FIELDS = ((16, "LVF-HDR-001"),)

#: XAPI sections whose length word is not used (xenopsd writes 0 and ignores it).
_XAPI_UNFRAMED = frozenset(
    {
        XapiKind.LIBXC,
        XapiKind.LIBXL,
        XapiKind.LIBXC_LEGACY,
        XapiKind.DEMU,
        XapiKind.END_OF_IMAGE,
    }
)
#: XAPI sections that carry the domain's memory image.
_XAPI_MEMORY = frozenset({XapiKind.LIBXC, XapiKind.LIBXL, XapiKind.LIBXC_LEGACY})
#: The longest device model section xenopsd's restorer accepts.
XAPI_QEMU_MAX = 1 << 20


def _field_rule(fields: tuple[tuple[int, str], ...], present: int, default: str) -> str:
    for end, rid in fields:
        if present < end:
            return rid
    return default


def _named(indexes: list[int], total: int, what: str) -> str:
    shown = ", ".join(f"{what}[{i}]" for i in indexes)
    more = total - len(indexes)
    return f"{shown} and {more} more" if more > 0 else shown


def _first_nonzero(data: bytes) -> int:
    return len(data) - len(data.lstrip(b"\x00"))


# --- per-layer state -----------------------------------------------------------------


class _Libxl(Struct):
    """One libxl stream."""

    offset: int
    carrier: str | None
    big: bool
    legacy: bool
    records: int = 0
    contexts: int = 0
    in_section: bool = False  # after a libxc CHECKPOINT, before CHECKPOINT_END
    emulator_context: bool = False
    last_type: int | None = None  # last libxl record type, None once libxc records follow
    xc_started: bool = False
    pending_emu: list[RecordEvent] = field(default_factory=list)


#: A frame a PV context names: rule, offset, what it is, pfn, the page types it may have.
_FrameRef = tuple[str, int, str, int, tuple[PageType, ...]]
_NOTAB = (PageType.NOTAB,)


class _Xc(Struct):
    """One libxc stream."""

    offset: int
    carrier: str | None
    big: bool
    version: int | None
    guest: int | None = None  # DomainType value, None when unknown
    page_size: int = 4096
    width: int | None = None
    #: PV: the last page type sent for each pfn up to p2m_end_pfn (0xff: never sent).
    pfn_types: bytearray | None = None
    #: PV: per vCPU, its last BASIC record and the frames its context names.
    pv_frames: dict[int, tuple[RecordEvent, list[_FrameRef]]] = field(default_factory=dict)
    pv_info: int = 0
    p2m: bool = False
    page: bool = False
    sde_count: int = 0
    sde_seen: bool = False  # explicit (v3) or inferred (v2)
    cpuid: int = 0
    msr: int = 0
    verify: int = 0
    checkpointed: bool = False
    basic0: bool = False
    hvm_context: int = 0
    hvm_context_in_section: bool = False
    vcpu_in_section: bool = False
    last_type: int | None = None
    ended: bool = False
    once: set[str] = field(default_factory=set)


# --- the checker -------------------------------------------------------------------------


class _Stop(Exception):
    """Checking cannot usefully go on (an inner stream is not where it should be)."""


class _Checker:
    def __init__(self) -> None:
        self.diags: list[Diagnostic] = []
        self.per_rule: dict[str, int] = {}
        self.suppressed: dict[str, tuple[int, Diagnostic]] = {}
        self.layer: str | None = None
        self.carrier: str | None = None  # what the next inner stream is carried by
        self.xl: XlHeader | None = None
        self.xl_big: bool | None = None
        self.lv: LibvirtHeader | None = None
        self.xapi_memory = 0  # XAPI sections that carry the memory image so far
        self.libxl: _Libxl | None = None
        self.xc: _Xc | None = None
        self.guest: int | None = None  # of the latest libxc domain header
        self.in_dom_hdr = False
        self.pos = 0  # end of the last event seen
        self.last_progress = 0

    @property
    def rules(self) -> dict[str, Rule]:
        """The catalogue, loaded at the first diagnostic (a clean image never needs it)."""
        return load_rules()

    # -- emitting

    def emit(
        self,
        rid: str,
        offset: int,
        layer: str,
        message: str,
        ev: RecordEvent | None = None,
    ) -> None:
        rule = self.rules[rid]
        if rule.versions:
            version = self.xc.version if self.xc is not None else None
            if version not in rule.versions:
                return
        level = str(rule.level)
        d = Diagnostic(
            rid,
            level,
            _SEVERITY[level],
            offset,
            layer,
            None if ev is None else ev.index,
            None if ev is None else ev.name,
            message,
        )
        n = self.per_rule.get(rid, 0) + 1
        self.per_rule[rid] = n
        if n <= MAX_PER_RULE:
            self.diags.append(d)
        else:
            first = self.suppressed.get(rid)
            self.suppressed[rid] = (n - MAX_PER_RULE, d if first is None else first[1])

    def emit_once(
        self, rid: str, offset: int, layer: str, message: str, ev: RecordEvent | None = None
    ) -> None:
        xc = self.xc
        assert xc is not None
        if rid not in xc.once:
            xc.once.add(rid)
            self.emit(rid, offset, layer, message, ev)

    def unruled(self, offset: int, layer: str, message: str) -> None:
        self.diags.append(Diagnostic("", "MUST", "error", offset, layer, None, None, message))

    def finish(self) -> list[Diagnostic]:
        for rid, (count, d) in self.suppressed.items():
            self.diags.append(
                Diagnostic(
                    rid,
                    d.level,
                    d.severity,
                    d.offset,
                    d.layer,
                    d.record_index,
                    d.record_type,
                    f"{count} further violation{'s' if count != 1 else ''} of this rule "
                    f"not listed (the first of them is here)",
                )
            )
        return self.diags

    # -- dispatch

    def event(self, ev: Event) -> None:
        if isinstance(ev, RecordEvent):
            if ev.layer == "libxc":
                self.xc_record(ev)
            else:
                self.xl_record(ev)
            self.pos = ev.body_offset + ev.length + len(ev.padding)
        elif isinstance(ev, XcImageHeader):
            self.xc_image_header(ev)
            self.pos = ev.offset + 24
        elif isinstance(ev, XcDomainHeader):
            self.xc_domain_header(ev)
            self.pos = ev.offset + 16
        elif isinstance(ev, LibxlHeader):
            self.libxl_header(ev)
            self.pos = ev.offset + 16
        elif isinstance(ev, XlHeader):
            self.xl_header(ev)
            self.pos = 48 + len(ev.optional_data)
        elif isinstance(ev, Trailer):
            self.trailer(ev)
            self.pos = ev.offset + ev.length
        elif isinstance(ev, LibvirtHeader):
            self.libvirt_header(ev)
            self.pos = 64 + len(ev.xml)
        elif isinstance(ev, XapiHeader):
            self.xapi_section(ev)
            framed = ev.kind in XAPI_LENGTH_FRAMED
            self.pos = ev.body_offset + (ev.length if framed else 0)
        else:  # a legacy image's events: the LEG- rules live in xensave.legacy.check
            self.legacy_event(ev)

    def legacy_event(self, ev: object) -> None:
        from .legacy.check import LegacyChecker

        lc = getattr(self, "_legacy", None)
        if lc is None:
            lc = self._legacy = LegacyChecker(lambda r, o, m: self.emit(r, o, "legacy", m))
            self.layer = self.layer or "legacy"
        lc.event(ev)  # type: ignore[arg-type]  # the reader yields only legacy events here
        self.pos = max(self.pos, getattr(ev, "offset", 0))

    # -- libvirt save file (spec/wrappers.md)

    def libvirt_header(self, h: LibvirtHeader) -> None:
        self.layer = self.layer or "libvirt"
        self.carrier = "libvirt"
        self.lv = h
        if h.magic != LIBVIRT_MAGIC:
            at = next(
                (i for i, (a, b) in enumerate(zip(h.magic, LIBVIRT_MAGIC, strict=False)) if a != b),
                min(len(h.magic), 16),
            )
            self.emit(
                "LVF-HDR-001",
                at,
                "libvirt",
                f"magic is {h.magic!r}, not {LIBVIRT_MAGIC!r} (first difference at byte {at})",
            )
        if h.version not in (1, 2):
            self.emit(
                "LVF-HDR-003",
                0x10,
                "libvirt",
                f"version is {h.version:#x} read little-endian, and not 1 or 2 read big-endian",
            )
        elif h.big_endian:
            self.emit("LVF-HDR-004", 0x10, "libvirt", "the header words are big-endian")
        if any(h.unused):
            at = _first_nonzero(h.unused)
            self.emit(
                "LVF-HDR-005",
                0x18 + at,
                "libvirt",
                f"unused word {at // 4} is not zero (byte {at} of the unused words is "
                f"{h.unused[at]:#04x})",
            )
        if h.version == 1:
            self.emit(
                "LVF-STR-001", 0x10, "libvirt", "version is 1: a legacy stream follows the XML"
            )
        xml, n = h.xml, h.xml_len
        if n == 0:
            self.emit("LVF-XML-001", 0x14, "libvirt", "xml_len is 0: the file holds no XML")
            return
        if len(xml) != n:  # truncated (reported as LVF-XML-002), or only a prefix is kept
            return
        if xml[-1]:
            self.emit(
                "LVF-XML-003",
                0x40 + n - 1,
                "libvirt",
                f"the XML does not end with NUL (last byte {xml[-1]:#04x})",
            )
            return
        nul = xml.find(0, 0, n - 1)
        if nul >= 0:
            self.emit(
                "LVF-XML-004",
                0x40 + nul,
                "libvirt",
                f"the XML has a NUL at byte {nul}, before its last byte: a reader stops there",
            )
            return
        problem = _xml_domain_problem(xml[:-1])
        if problem is not None:
            self.emit(
                "LVF-XML-004", 0x40, "libvirt", f"the XML is not a domain document: {problem}"
            )

    # -- XAPI suspend image (spec/wrappers.md)

    def xapi_section(self, h: XapiHeader) -> None:
        self.layer = self.layer or "xapi"
        kind, off, length = h.kind, h.offset, h.length
        self.carrier = "xapi" if kind in (XapiKind.LIBXC, XapiKind.LIBXL) else None
        if kind in _XAPI_UNFRAMED and length:
            self.emit(
                "XAPI-SEC-004",
                off + 8,
                "xapi",
                f"{h.name} section: length is {length}, not 0 (the word is not used)",
            )
        if kind in (XapiKind.LIBXL, XapiKind.QEMU_XEN):
            self.emit(
                "XAPI-SEC-006",
                off,
                "xapi",
                f"{h.name} section: xenopsd defines the type but refuses to restore it",
            )
        if kind in (XapiKind.QEMU_TRAD, XapiKind.QEMU_XEN) and length > XAPI_QEMU_MAX:
            self.emit(
                "XAPI-SEC-007",
                off + 8,
                "xapi",
                f"{h.name} section: length {length} is over 1 MiB ({XAPI_QEMU_MAX}), "
                "which xenopsd's restorer refuses",
            )
        if kind in _XAPI_MEMORY:
            self.xapi_memory += 1
            if self.xapi_memory > 1:
                self.emit(
                    "XAPI-STR-002",
                    off,
                    "xapi",
                    f"{h.name} section: a second section carrying the domain's memory "
                    f"(number {self.xapi_memory})",
                )
        if kind == XapiKind.LIBXC_LEGACY:
            self.emit(
                "XAPI-STR-003", off, "xapi", "LIBXC_LEGACY section: a legacy libxc stream follows"
            )
        elif kind == XapiKind.DEMU:
            self.emit(
                "XAPI-STR-004",
                off,
                "xapi",
                "DEMU section: vGPU state with no length and no published format follows",
            )
        elif kind == XapiKind.END_OF_IMAGE and self.xapi_memory == 0:
            self.emit(
                "XAPI-STR-002",
                off,
                "xapi",
                "the image has no LIBXC, LIBXL or LIBXC_LEGACY section: no memory image",
            )

    # -- xl save file

    def xl_header(self, h: XlHeader) -> None:
        self.layer = self.layer or "xl"
        self.carrier = "xl"
        self.xl = h
        if h.magic != XL_MAGIC:
            at = next(
                (i for i, (a, b) in enumerate(zip(h.magic, XL_MAGIC, strict=False)) if a != b),
                min(len(h.magic), 32),
            )
            self.emit(
                "XLF-HDR-001",
                at,
                "xl",
                f"the magic differs from 'Xen saved domain, xl format\\n \\0 \\r' at byte {at}",
            )
        if h.byteorder != XL_BYTEORDER_VALUE:
            self.emit(
                "XLF-HDR-002",
                0x20,
                "xl",
                f"byteorder word is {h.byteorder:#010x}: 0x01020304 in neither byte order",
            )
            self.xl_big = None
        else:
            self.xl_big = h.big_endian
            if h.big_endian:
                self.emit("XLF-HDR-003", 0x20, "xl", "the header words are big-endian")
        mflags = h.mandatory_flags
        if mflags & ~int(XlMandatoryFlag.JSON | XlMandatoryFlag.STREAM_V2):
            self.emit(
                "XLF-HDR-004",
                0x24,
                "xl",
                f"mandatory_flags {mflags:#010x} has unknown bits "
                f"{mflags & ~3:#010x} set (only JSON 0x1 and STREAMv2 0x2 are defined)",
            )
        if h.optional_flags:
            self.emit(
                "XLF-HDR-006",
                0x28,
                "xl",
                f"optional_flags is {h.optional_flags:#010x}; no optional flag is defined",
            )
        if not mflags & XlMandatoryFlag.STREAM_V2:
            self.emit(
                "XLF-STR-001", 0x24, "xl", "the STREAMv2 flag is clear: a legacy stream follows"
            )
        self.xl_optional_data(h)

    def xl_optional_data(self, h: XlHeader) -> None:
        olen = h.optional_data_len
        json_flag = bool(h.mandatory_flags & XlMandatoryFlag.JSON)
        if olen == 0:
            if json_flag:
                self.emit(
                    "XLF-CFG-001",
                    0x24,
                    "xl",
                    "the JSON flag is set but there is no optional data, so no config",
                )
            else:
                self.emit("XLF-CFG-005", 0x2C, "xl", "the file carries no domain config")
            return
        if olen < 4:
            self.emit(
                "XLF-OPT-002",
                0x2C,
                "xl",
                f"optional_data_len is {olen}: too short for the 4-byte config_len word",
            )
            return
        if h.config_len is None:  # optional data truncated below 4 bytes: framing error
            return
        clen = h.config_len
        if 4 + clen > olen:
            self.emit(
                "XLF-OPT-003",
                0x30,
                "xl",
                f"config_len {clen} does not fit in optional_data_len {olen} "
                f"(4 + config_len = {4 + clen})",
            )
            return
        if len(h.optional_data) < 4 + clen:  # truncated file: a framing error follows
            return
        if olen > 4 + clen and len(h.optional_data) >= min(olen, BODY_KEEP_MAX):
            self.emit(
                "XLF-OPT-004",
                0x34 + clen,
                "xl",
                f"{olen - 4 - clen} bytes of optional data follow the config",
            )
        config = h.config or b""
        if clen == 0:
            if json_flag:
                self.emit("XLF-CFG-001", 0x30, "xl", "the JSON flag is set but config_len is 0")
            else:
                self.emit("XLF-CFG-005", 0x30, "xl", "config_len is 0: no domain config")
            return
        if not json_flag:
            self.emit(
                "XLF-CFG-004",
                0x34,
                "xl",
                "a config is present without the JSON flag (xl configuration-file text)",
            )
            return
        if config[-1] != 0:
            self.emit(
                "XLF-CFG-002",
                0x34 + clen - 1,
                "xl",
                f"the JSON config does not end with NUL (last byte {config[-1]:#04x})",
            )
            return
        problem = _json_object_problem(config[:-1])
        if problem is not None:
            self.emit("XLF-CFG-003", 0x34, "xl", f"the config is not a JSON object: {problem}")

    # -- libxl stream

    def libxl_header(self, h: LibxlHeader) -> None:
        self.layer = self.layer or "libxl"
        carrier = self.carrier
        off = h.offset
        if h.ident != b"LibxlFmt":
            where = f"no libxl stream at offset {off:#x}: ident is {h.ident!r}, not b'LibxlFmt'"
            if carrier == "xl":
                self.emit("XLF-NEST-001", off, "xl", where)
                raise _Stop
            if carrier == "libvirt":
                if self.lv is not None and self.lv.version == 2:
                    self.emit("LVF-STR-002", off, "libvirt", where)
                raise _Stop  # any other version: LVF-HDR-003 said what is wrong
            if carrier == "xapi":
                self.emit("XAPI-STR-001", off, "xapi", f"LIBXL section: {where}")
                raise _Stop
            self.emit("XL-HDR-001", off, "libxl", f"ident is {h.ident!r}, not b'LibxlFmt'")
        if h.version != 2:
            self.emit("XL-HDR-002", off + 8, "libxl", f"version is {h.version}, not 2")
        if h.options & ~3:
            self.emit(
                "XL-HDR-003",
                off + 12,
                "libxl",
                f"options {h.options:#010x} has reserved bits {h.options & ~3:#010x} set",
            )
        if h.big_endian:
            self.emit("XL-HDR-004", off + 12, "libxl", "the records are big-endian")
        if h.options & 2:
            self.emit(
                "XL-HDR-006", off + 12, "libxl", "the stream was converted from a legacy image"
            )
        if carrier == "xl" and self.xl_big is not None and self.xl_big != h.big_endian:
            self.emit(
                "XLF-NEST-002",
                off + 12,
                "libxl",
                f"the xl header is {_order(self.xl_big)} but the libxl stream declares "
                f"{_order(h.big_endian)} records",
            )
        lv = self.lv
        if (
            carrier == "libvirt"
            and lv is not None
            and lv.version in (1, 2)
            and lv.big_endian != h.big_endian
        ):
            self.emit(
                "LVF-STR-003",
                off + 12,
                "libxl",
                f"the libvirt header words are {_order(lv.big_endian)} but the libxl stream "
                f"declares {_order(h.big_endian)} records",
            )
        self.libxl = _Libxl(off, carrier, h.big_endian, bool(h.options & 2))
        self.carrier = None

    def xl_record(self, ev: RecordEvent) -> None:
        s = self.libxl
        if s is None:  # a reader never yields one without a header
            return
        s.records += 1
        rtype, length = ev.type, ev.length
        if ev.padding and ev.padding != _ZEROS[: len(ev.padding)]:
            at = _first_nonzero(ev.padding)
            self.emit(
                "XL-REC-002",
                ev.body_offset + length + at,
                "libxl",
                f"padding byte {at} is {ev.padding[at]:#04x}, not zero",
                ev,
            )
        if rtype == LibxlRecType.END:
            self.xl_end(s, ev)
        elif rtype == LibxlRecType.LIBXC_CONTEXT:
            self.xl_libxc_context(s, ev)
        elif rtype in (LibxlRecType.EMULATOR_XENSTORE_DATA, LibxlRecType.EMULATOR_CONTEXT):
            self.xl_emulator(s, ev)
        elif rtype == LibxlRecType.CHECKPOINT_END:
            if length:
                self.emit(
                    "XL-CKE-001", ev.offset + 4, "libxl", f"body_length is {length}, not 0", ev
                )
            if s.in_section:
                s.in_section = False
            else:
                self.emit(
                    "XL-NEST-004",
                    ev.offset,
                    "libxl",
                    "CHECKPOINT_END outside a checkpoint section (no libxc CHECKPOINT opened one)",
                    ev,
                )
        elif rtype == LibxlRecType.CHECKPOINT_STATE:
            self.xl_checkpoint_state(s, ev)
        elif rtype & 0x80000000:
            self.emit(
                "XL-REC-006",
                ev.offset,
                "libxl",
                f"optional record type {rtype:#010x} (unknown; a reader may skip it)",
                ev,
            )
        else:
            self.emit(
                "XL-REC-004",
                ev.offset,
                "libxl",
                f"type {rtype:#010x} is in the reserved mandatory range",
                ev,
            )
        s.last_type = rtype

    def xl_end(self, s: _Libxl, ev: RecordEvent) -> None:
        if ev.length:
            self.emit(
                "XL-END-001", ev.offset + 4, "libxl", f"body_length is {ev.length}, not 0", ev
            )
        if s.in_section:
            self.emit(
                "XL-NEST-005",
                ev.offset,
                "libxl",
                "the libxl END comes inside a checkpoint section, before CHECKPOINT_END "
                "and without a libxc END",
                ev,
            )
        if s.contexts == 0:
            self.emit(
                "XL-CTX-002",
                ev.offset,
                "libxl",
                "the libxl stream has no LIBXC_CONTEXT record (no libxc stream)",
                ev,
            )
        self.xl_stream_complete(s, ev.offset, ev)

    def xl_stream_complete(self, s: _Libxl, offset: int, ev: RecordEvent | None) -> None:
        if self.guest == DomainType.X86_HVM and s.xc_started and not s.emulator_context:
            self.emit(
                "XL-EMC-001",
                offset,
                "libxl",
                "the stream holds an x86 HVM guest but no EMULATOR_CONTEXT record",
                ev,
            )

    def xl_libxc_context(self, s: _Libxl, ev: RecordEvent) -> None:
        if ev.length:
            self.emit(
                "XL-CTX-001", ev.offset + 4, "libxl", f"body_length is {ev.length}, not 0", ev
            )
        s.contexts += 1
        if s.contexts > 1:
            if s.in_section:
                self.emit(
                    "XL-NEST-003",
                    ev.offset,
                    "libxl",
                    "a LIBXC_CONTEXT (and new libxc headers) inside a checkpoint section; "
                    "the section must end with CHECKPOINT_END and libxc resume headerless",
                    ev,
                )
            self.emit(
                "XL-CTX-002",
                ev.offset,
                "libxl",
                f"a second LIBXC_CONTEXT (number {s.contexts}): a libxl stream has exactly one",
                ev,
            )
        elif s.records != 1:
            self.emit(
                "XL-CTX-003",
                ev.offset,
                "libxl",
                f"LIBXC_CONTEXT is record {s.records} of the libxl stream, not the first",
                ev,
            )
        s.xc_started = True
        self.carrier = "libxl"

    def xl_emulator(self, s: _Libxl, ev: RecordEvent) -> None:
        if ev.type == LibxlRecType.EMULATOR_CONTEXT:
            s.emulator_context = True
        if self.guest is None:
            if len(s.pending_emu) < MAX_NAMED:  # judged at the domain header; no body kept
                s.pending_emu.append(replace(ev, body=b"", padding=b""))
        elif self.guest == DomainType.X86_PV:
            self.emu_in_pv(ev)
        if ev.length < 8:
            self.emit(
                "XL-EMU-001",
                ev.offset + 4,
                "libxl",
                f"body_length {ev.length} is too short for the 8-byte emulator sub-header",
                ev,
            )
            return
        body = ev.body
        eid = struct.unpack_from(ev.endian + "I", body)[0]
        if eid > 2:
            self.emit(
                "XL-EMU-002",
                ev.body_offset,
                "libxl",
                f"emulator_id {eid} is not 0 (unknown), 1 (qemu-traditional) or 2 (qemu-upstream)",
                ev,
            )
        elif eid == 0 and not s.legacy:
            self.emit(
                "XL-EMU-003",
                ev.body_offset,
                "libxl",
                "emulator_id 0 (unknown) in a stream without the legacy option bit",
                ev,
            )
        if ev.type == LibxlRecType.EMULATOR_XENSTORE_DATA and ev.body_complete:
            self.xenstore_data(ev, body[8 : ev.length], ev.body_offset + 8)

    def emu_in_pv(self, ev: RecordEvent) -> None:
        self.emit(
            "XL-EMU-004",
            ev.offset,
            "libxl",
            "an emulator record in a stream whose libxc domain type is x86 PV",
            ev,
        )

    def xenstore_data(self, ev: RecordEvent, data: bytes, base: int) -> None:
        if not data:
            self.emit(
                "XL-XSD-007", base, "libxl", "the record carries no xenstore key/value pair", ev
            )
            return
        strings = data.split(b"\x00")
        tail = strings.pop()  # after the last NUL: empty when terminated
        if tail:
            self.emit(
                "XL-XSD-001",
                base + len(data) - 1,
                "libxl",
                f"the xenstore data does not end with NUL (unterminated {tail[:32]!r})",
                ev,
            )
        if len(strings) % 2:
            dangling = len(data) - len(tail) - len(strings[-1]) - 1
            self.emit(
                "XL-XSD-002",
                base + dangling,
                "libxl",
                f"{len(strings)} NUL-terminated strings: key {strings[-1][:64]!r} has no value",
                ev,
            )
        if len(strings) < 2:
            self.emit(
                "XL-XSD-007",
                base,
                "libxl",
                "the record carries no complete xenstore key/value pair",
                ev,
            )
        # Offsets of each string, computed only when some key or value is bad.
        keys, values = strings[0::2], strings[1::2]
        bad_empty = b"" in keys
        bad_abs = any(k[:1] == b"/" for k in keys)
        bad_chars = any(k.translate(None, _XS_KEY_CHARS) for k in keys)
        bad_vals = any(v.translate(None, _PRINTABLE) for v in values)
        if not (bad_empty or bad_abs or bad_chars or bad_vals):
            return
        found: dict[str, list[tuple[int, int, bytes]]] = {}
        pos = 0
        for i, s in enumerate(strings):
            if i % 2 == 0:
                if not s:
                    found.setdefault("XL-XSD-003", []).append((i // 2, pos, s))
                else:
                    if s[:1] == b"/":
                        found.setdefault("XL-XSD-004", []).append((i // 2, pos, s))
                    if s.translate(None, _XS_KEY_CHARS):
                        found.setdefault("XL-XSD-005", []).append((i // 2, pos, s))
            elif s.translate(None, _PRINTABLE):
                found.setdefault("XL-XSD-006", []).append((i // 2, pos, s))
            pos += len(s) + 1
        what = {
            "XL-XSD-003": "is an empty key",
            "XL-XSD-004": "has an absolute key (starts with '/')",
            "XL-XSD-005": "has a key with characters outside A-Z a-z 0-9 - / _ @",
            "XL-XSD-006": "has a value that is not printable ASCII",
        }
        for rid, hits in found.items():
            first = hits[0]
            names = _named([h[0] for h in hits[:MAX_NAMED]], len(hits), "pair")
            self.emit(
                rid, base + first[1], "libxl", f"{names} {what[rid]} (first: {first[2][:64]!r})", ev
            )

    def xl_checkpoint_state(self, s: _Libxl, ev: RecordEvent) -> None:
        if ev.length < 4:
            self.emit(
                "XL-CKS-001",
                ev.offset + 4,
                "libxl",
                f"body_length {ev.length} is too short for control_id",
                ev,
            )
        else:
            if ev.length != 4:
                self.emit(
                    "XL-CKS-002",
                    ev.offset + 4,
                    "libxl",
                    f"body_length is {ev.length}, not 4",
                    ev,
                )
            extra = ev.body[4:]
            if extra.strip(b"\x00"):
                at = _first_nonzero(extra)
                self.emit(
                    "XL-CKS-006",
                    ev.body_offset + 4 + at,
                    "libxl",
                    f"body byte {4 + at} after control_id is {extra[at]:#04x}, not zero",
                    ev,
                )
            cid = struct.unpack_from(ev.endian + "I", ev.body)[0]
            if cid > 3:
                self.emit("XL-CKS-003", ev.body_offset, "libxl", f"control_id {cid} is not 0-3", ev)
            elif cid:
                self.emit(
                    "XL-CKS-004",
                    ev.body_offset,
                    "libxl",
                    f"control_id {cid} belongs to the back channel; an image (a forward "
                    "stream) only carries 0 (NEW)",
                    ev,
                )
        if s.last_type != LibxlRecType.CHECKPOINT_END:
            self.emit(
                "XL-CKS-005",
                ev.offset,
                "libxl",
                "CHECKPOINT_STATE does not come directly after a CHECKPOINT_END",
                ev,
            )

    # -- libxc stream

    def xc_image_header(self, h: XcImageHeader) -> None:
        self.layer = self.layer or "libxc"
        carrier = self.carrier
        self.carrier = None
        off = h.offset
        if carrier == "libxl" and h.marker != XC_MARKER and h.ident != XC_ID:
            self.emit(
                "XL-NEST-001",
                off,
                "libxl",
                f"LIBXC_CONTEXT is not followed by a libxc image header (marker "
                f"{h.marker:#018x}, id {h.ident:#010x})",
            )
            raise _Stop
        if carrier == "xapi" and h.marker != XC_MARKER and h.ident != XC_ID:
            self.emit(
                "XAPI-STR-001",
                off,
                "xapi",
                f"LIBXC section: no libxc image header follows (marker {h.marker:#018x}, "
                f"id {h.ident:#010x})",
            )
            raise _Stop
        version = h.version if h.version in (2, 3) else None
        self.xc = _Xc(off, carrier, h.big_endian, version)
        self.in_dom_hdr = True
        if self.libxl is not None and carrier == "libxl":
            self.libxl.last_type = None
        if h.marker != XC_MARKER:
            self.emit("XC-HDR-001", off, "libxc", f"marker is {h.marker:#018x}, not all ones")
        if h.ident != XC_ID:
            self.emit(
                "XC-HDR-002",
                off + 8,
                "libxc",
                f"id is {h.ident:#010x} ({h.ident.to_bytes(4, 'big')!r}), not 0x58454e46 (b'XENF')",
            )
        if version is None:
            self.emit("XC-HDR-003", off + 12, "libxc", f"version is {h.version}, not 2 or 3")
        if h.options & 0xFFFE:
            self.emit(
                "XC-HDR-004",
                off + 16,
                "libxc",
                f"options {h.options:#06x} has reserved bits {h.options & 0xFFFE:#06x} set",
            )
        if h.reserved1:
            self.emit(
                "XC-HDR-005",
                off + 18,
                "libxc",
                f"the reserved 16-bit field is {h.reserved1:#06x}, not zero",
            )
        if h.reserved2:
            self.emit(
                "XC-HDR-005",
                off + 20,
                "libxc",
                f"the reserved 32-bit field is {h.reserved2:#010x}, not zero",
            )
        if h.big_endian:
            self.emit(
                "XC-HDR-006", off + 16, "libxc", "the domain header and records are big-endian"
            )
        if carrier == "libxl" and self.libxl is not None and self.libxl.big != h.big_endian:
            self.emit(
                "XL-NEST-002",
                off + 16,
                "libxc",
                f"the libxc stream is {_order(h.big_endian)} but the libxl stream that "
                f"carries it is {_order(self.libxl.big)}",
            )

    def xc_domain_header(self, h: XcDomainHeader) -> None:
        self.in_dom_hdr = False
        xc = self.xc
        if xc is None:
            return
        off = h.offset
        if h.type in (DomainType.X86_PV, DomainType.X86_HVM):
            xc.guest = h.type
            if h.page_shift != 12:
                self.emit(
                    "XC-DOM-002",
                    off + 4,
                    "libxc",
                    f"page_shift is {h.page_shift}, not 12 (x86 pages are 4096 bytes)",
                )
        else:
            self.emit(
                "XC-DOM-001",
                off,
                "libxc",
                f"domain type {h.type:#x} is not 1 (x86 PV) or 2 (x86 HVM)",
            )
        if xc.guest is None and 9 <= h.page_shift <= 30:
            xc.page_size = 1 << h.page_shift
        # x86 pages are 4096 bytes whatever page_shift claims (XC-DOM-002 reports it),
        # so that one wrong field makes one diagnostic, not one per record.
        self.guest = xc.guest
        if h.reserved:
            self.emit(
                "XC-DOM-003", off + 6, "libxc", f"the reserved field is {h.reserved:#06x}, not 0"
            )
        if h.xen_major == 0:
            self.emit(
                "XC-DOM-004",
                off + 8,
                "libxc",
                f"xen_major is 0: converted from a legacy image by converter version {h.xen_minor}",
            )
        s = self.libxl
        if xc.carrier == "libxl" and s is not None:
            if s.legacy != (h.xen_major == 0):
                self.emit(
                    "XL-NEST-006",
                    off + 8,
                    "libxc",
                    f"xen_major is {h.xen_major} but the libxl legacy bit is "
                    f"{'set' if s.legacy else 'clear'}",
                )
            if xc.guest == DomainType.X86_PV:
                for ev in s.pending_emu:
                    self.emu_in_pv(ev)
            s.pending_emu.clear()

    def xc_record(self, ev: RecordEvent) -> None:
        xc = self.xc
        if xc is None:
            return
        if self.libxl is not None and xc.carrier == "libxl":
            self.libxl.last_type = None
        rtype, length = ev.type, ev.length
        if ev.padding and ev.padding != _ZEROS[: len(ev.padding)]:
            at = _first_nonzero(ev.padding)
            self.emit(
                "XC-REC-002",
                ev.body_offset + length + at,
                "libxc",
                f"padding byte {at} is {ev.padding[at]:#04x}, not zero",
                ev,
            )
        if length > REC_LENGTH_MAX:
            self.emit(
                "XC-REC-008",
                ev.offset + 4,
                "libxc",
                f"body_length {length} exceeds Xen's 128 MiB record limit "
                f"({REC_LENGTH_MAX}); Xen will not restore it",
                ev,
            )
        if rtype > _XC_KNOWN_MAX:
            if rtype & 0x80000000:
                self.emit(
                    "XC-REC-006",
                    ev.offset,
                    "libxc",
                    f"optional record type {rtype:#010x} is not known; skipped",
                    ev,
                )
            else:
                self.emit(
                    "XC-REC-004",
                    ev.offset,
                    "libxc",
                    f"type {rtype:#010x} is in the reserved mandatory range",
                    ev,
                )
            xc.last_type = rtype
            return
        guest = xc.guest
        if guest == DomainType.X86_HVM and rtype in _PV_ONLY:
            self.emit(
                "XC-GUEST-001", ev.offset, "libxc", "a PV-only record in an x86 HVM stream", ev
            )
        elif guest == DomainType.X86_PV and rtype in _HVM_ONLY:
            self.emit(
                "XC-GUEST-002", ev.offset, "libxc", "an HVM-only record in an x86 PV stream", ev
            )
        if rtype in _AFTER_STATIC and xc.version == 3 and xc.sde_count == 0:
            self.emit_once(
                "XC-SDE-004",
                ev.offset,
                "libxc",
                f"{ev.name} comes before STATIC_DATA_END (the first record of running "
                "state to do so)",
                ev,
            )
        _XC_HANDLERS[rtype](self, xc, ev)
        xc.last_type = rtype

    # Each handler: (checker, stream, record).

    def xc_end(self, xc: _Xc, ev: RecordEvent) -> None:
        if ev.length:
            self.emit(
                "XC-END-001", ev.offset + 4, "libxc", f"body_length is {ev.length}, not 0", ev
            )
        xc.ended = True
        if xc.pfn_types is not None:
            self.pv_frames_at_end(xc)
        self.xc_complete(xc, ev.offset, ev)

    def xc_complete(self, xc: _Xc, offset: int, ev: RecordEvent | None) -> None:
        """Checks of what a whole stream must contain, at its END (or clean end)."""
        if xc.guest == DomainType.X86_PV:
            if xc.pv_info == 0:
                self.emit("XC-PVI-006", offset, "libxc", "the PV stream has no X86_PV_INFO", ev)
            if not xc.p2m:
                self.emit(
                    "XC-P2M-004", offset, "libxc", "the PV stream has no X86_PV_P2M_FRAMES", ev
                )
            if not xc.basic0:
                self.emit(
                    "XC-VCPU-009",
                    offset,
                    "libxc",
                    "the PV stream has no X86_PV_VCPU_BASIC record for vCPU 0",
                    ev,
                )
        elif xc.guest == DomainType.X86_HVM and xc.hvm_context == 0:
            self.emit("XC-HVMC-002", offset, "libxc", "the HVM stream has no HVM_CONTEXT", ev)
        if xc.version == 3 and xc.sde_count == 0:
            self.emit(
                "XC-SDE-002",
                offset,
                "libxc",
                "the version 3 stream has no STATIC_DATA_END record",
                ev,
            )

    def xc_static_point(self, xc: _Xc, ev: RecordEvent) -> None:
        """PAGE_DATA and X86_PV_P2M_FRAMES: STATIC_DATA_END must be behind us."""
        if xc.sde_seen:
            return
        if xc.version == 3:
            self.emit_once(
                "XC-SDE-003",
                ev.offset,
                "libxc",
                f"{ev.name} comes before STATIC_DATA_END",
                ev,
            )
        elif xc.version == 2:
            xc.sde_seen = True  # the inferred position (XC-SDE-006)

    def xc_page_data(self, xc: _Xc, ev: RecordEvent) -> None:
        if not xc.sde_seen:
            self.xc_static_point(xc, ev)
        if xc.guest == DomainType.X86_PV:
            if not xc.p2m:
                self.emit_once(
                    "XC-ORD-002",
                    ev.offset,
                    "libxc",
                    "PAGE_DATA before the first X86_PV_P2M_FRAMES",
                    ev,
                )
            if xc.vcpu_in_section:
                self.emit_once(
                    "XC-ORD-005",
                    ev.offset,
                    "libxc",
                    "PAGE_DATA after a vCPU record in the same checkpoint section",
                    ev,
                )
        xc.page = True
        length = ev.length
        if length < 8:
            self.emit(
                "XC-PAGE-001",
                ev.offset + 4,
                "libxc",
                f"body_length {length} is too short for count and reserved",
                ev,
            )
            xc.pfn_types = None  # the restorer stops here: no telling what it holds
            return
        body = ev.body
        e = ev.endian
        base = ev.body_offset
        count, reserved = struct.unpack_from(e + "II", body)
        if count == 0:
            self.emit("XC-PAGE-002", base, "libxc", "count is 0", ev)
            xc.pfn_types = None
        if reserved:
            self.emit("XC-PAGE-003", base + 4, "libxc", f"reserved is {reserved:#010x}, not 0", ev)
        entries = body[8:]
        n = len(entries) >> 3
        if e == "<":
            top, second = entries[7::8], entries[6::8]
        else:
            top, second = entries[0::8], entries[1::8]
        bad = top.translate(None, _GOOD_TOP) or second.translate(None, _GOOD_SECOND)
        if bad and self.pfn_violations(ev, entries, n, base + 8):
            xc.pfn_types = None  # a reserved type: the restorer stops here
        if count > n:
            self.emit(
                "XC-PAGE-006",
                ev.offset + 4,
                "libxc",
                f"body_length {length} is too short for count {count}: the pfn array alone "
                f"needs {8 + 8 * count}",
                ev,
            )
            xc.pfn_types = None
            return
        with_data = data_pfn_count(entries, e)  # reserved types count as sending none
        expected = 8 + 8 * count + xc.page_size * with_data
        if length != expected:
            self.emit(
                "XC-PAGE-006",
                ev.offset + 4,
                "libxc",
                f"body_length is {length}, expected {expected} = 8 + 8*{count} pfns + "
                f"{xc.page_size}*{with_data} pages with data",
                ev,
            )
            xc.pfn_types = None
        elif xc.pfn_types is not None:
            # A record the restorer accepts: its pfns now have these types.
            _note_pfn_types(xc.pfn_types, body, e)

    def pfn_violations(self, ev: RecordEvent, entries: bytes, n: int, base: int) -> int:
        """Name the entries with reserved bits or types (slow path, only on a violation);
        return how many have a reserved type."""
        e = ev.endian
        bad_bits: list[int] = []
        bad_types: list[int] = []
        for i, (entry,) in enumerate(struct.iter_unpack(e + "Q", entries[: n * 8])):
            if entry & 0x0FF0_0000_0000_0000:
                bad_bits.append(i)
            if 5 <= entry >> 60 <= 8:
                bad_types.append(i)
        if bad_bits:
            i = bad_bits[0]
            bits = (struct.unpack_from(e + "Q", entries, i * 8)[0] >> 52) & 0xFF
            self.emit(
                "XC-PAGE-004",
                base + 8 * i,
                "libxc",
                f"{_named(bad_bits[:MAX_NAMED], len(bad_bits), 'pfn')} "
                f"{'has' if len(bad_bits) == 1 else 'have'} reserved bits 52-59 set "
                f"(pfn[{i}]: {bits:#04x})",
                ev,
            )
        if bad_types:
            i = bad_types[0]
            ptype = struct.unpack_from(e + "Q", entries, i * 8)[0] >> 60
            self.emit(
                "XC-PAGE-005",
                base + 8 * i,
                "libxc",
                f"{_named(bad_types[:MAX_NAMED], len(bad_types), 'pfn')} "
                f"{'has' if len(bad_types) == 1 else 'have'} a reserved page type "
                f"(pfn[{i}]: {ptype:#x})",
                ev,
            )
        return len(bad_types)

    def xc_pv_info(self, xc: _Xc, ev: RecordEvent) -> None:
        xc.pv_info += 1
        if xc.pv_info > 1 and xc.guest == DomainType.X86_PV:
            self.emit(
                "XC-PVI-006",
                ev.offset,
                "libxc",
                f"a second X86_PV_INFO (number {xc.pv_info}); a PV stream has exactly one",
                ev,
            )
        if xc.sde_count and xc.version == 3:
            self.emit("XC-PVI-007", ev.offset, "libxc", "X86_PV_INFO after STATIC_DATA_END", ev)
        body, base = ev.body, ev.body_offset
        if ev.length != 8:
            self.emit(
                "XC-PVI-001", ev.offset + 4, "libxc", f"body_length is {ev.length}, not 8", ev
            )
        if len(body) < 2:
            return
        width, levels = body[0], body[1]
        ok = True
        if width not in (4, 8):
            self.emit("XC-PVI-002", base, "libxc", f"guest_width is {width}, not 4 or 8", ev)
            ok = False
        if levels not in (3, 4):
            self.emit("XC-PVI-003", base + 1, "libxc", f"pt_levels is {levels}, not 3 or 4", ev)
            ok = False
        if ok and levels != (4 if width == 8 else 3):
            self.emit(
                "XC-PVI-004",
                base,
                "libxc",
                f"guest_width {width} with pt_levels {levels} (8 goes with 4, 4 with 3)",
                ev,
            )
        if width in (4, 8) and xc.width is None:
            xc.width = width
        rest = body[2:8]
        if rest.strip(b"\x00"):
            at = _first_nonzero(rest)
            self.emit(
                "XC-PVI-005",
                base + 2 + at,
                "libxc",
                f"reserved byte {at} is {rest[at]:#04x}, not zero",
                ev,
            )

    def xc_p2m_frames(self, xc: _Xc, ev: RecordEvent) -> None:
        if xc.guest == DomainType.X86_PV and xc.pv_info == 0:
            self.emit_once(
                "XC-ORD-001", ev.offset, "libxc", "X86_PV_P2M_FRAMES before X86_PV_INFO", ev
            )
        self.xc_static_point(xc, ev)
        xc.p2m = True
        if ev.length < 8:
            self.emit(
                "XC-P2M-001",
                ev.offset + 4,
                "libxc",
                f"body_length {ev.length} is too short for p2m_start_pfn and p2m_end_pfn",
                ev,
            )
            return
        start, end = struct.unpack_from(ev.endian + "II", ev.body)
        if start > end:
            self.emit(
                "XC-P2M-002",
                ev.body_offset,
                "libxc",
                f"p2m_start_pfn {start:#x} is greater than p2m_end_pfn {end:#x}",
                ev,
            )
        elif xc.width is not None:
            fpp = xc.page_size // xc.width
            frames = end // fpp - start // fpp + 1
            if ev.length != 8 + 8 * frames:
                self.emit(
                    "XC-P2M-003",
                    ev.offset + 4,
                    "libxc",
                    f"body_length is {ev.length}, expected {8 + 8 * frames} for {frames} "
                    f"frames covering pfns {start:#x}-{end:#x} ({fpp} entries per frame)",
                    ev,
                )
            elif xc.guest == DomainType.X86_PV and end < _PFN_TABLE_LIMIT and not xc.page:
                # The frames back the table: one octet per pfn the record's frames cover.
                # (After PAGE_DATA, which XC-ORD-002 reports, there is no telling.)
                table = xc.pfn_types if xc.pfn_types is not None else bytearray()
                if len(table) <= end:
                    table += b"\xff" * (end + 1 - len(table))
                xc.pfn_types = table

    def xc_vcpu(self, xc: _Xc, ev: RecordEvent) -> None:
        rtype = ev.type
        if xc.guest == DomainType.X86_PV and not xc.page:
            self.emit_once(
                "XC-ORD-003", ev.offset, "libxc", "a vCPU record before the first PAGE_DATA", ev
            )
        xc.vcpu_in_section = True
        length = ev.length
        if length < 8:
            self.emit(
                "XC-VCPU-001",
                ev.offset + 4,
                "libxc",
                f"body_length {length} is too short for vcpu_id and reserved",
                ev,
            )
            return
        vcpu, reserved = struct.unpack_from(ev.endian + "II", ev.body)
        if reserved:
            self.emit(
                "XC-VCPU-002",
                ev.body_offset + 4,
                "libxc",
                f"reserved is {reserved:#010x}, not 0",
                ev,
            )
        size = length - 8
        at = ev.offset + 4
        if rtype == XcRecType.X86_PV_VCPU_BASIC:
            if vcpu == 0:
                xc.basic0 = True
            if xc.width is not None and size != PV_VCPU_CONTEXT_SIZE[xc.width]:
                self.emit(
                    "XC-VCPU-003",
                    at,
                    "libxc",
                    f"vCPU {vcpu}: context is {size} bytes, not "
                    f"{PV_VCPU_CONTEXT_SIZE[xc.width]} for guest_width {xc.width}",
                    ev,
                )
            elif xc.width is not None and len(ev.body) == length:
                self.pv_context(xc, ev, vcpu)
            return
        if size == 0:
            self.emit(
                "XC-VCPU-007",
                at,
                "libxc",
                f"vCPU {vcpu}: empty context (an erratum of Xen 4.6-4.8; readers ignore it)",
                ev,
            )
        elif rtype == XcRecType.X86_PV_VCPU_EXTENDED and size > 128:
            self.emit(
                "XC-VCPU-004", at, "libxc", f"vCPU {vcpu}: context is {size} bytes, over 128", ev
            )
        elif rtype == XcRecType.X86_PV_VCPU_XSAVE and size < 16:
            self.emit(
                "XC-VCPU-005",
                at,
                "libxc",
                f"vCPU {vcpu}: context is {size} bytes, under 16",
                ev,
            )
        elif rtype == XcRecType.X86_PV_VCPU_MSRS and size % 16:
            self.emit(
                "XC-VCPU-006",
                at,
                "libxc",
                f"vCPU {vcpu}: context is {size} bytes, not a multiple of 16",
                ev,
            )

    def pv_context(self, xc: _Xc, ev: RecordEvent, vcpu: int) -> None:
        """The PV-* rules on one vcpu_guest_context (spec/pv-context.md)."""
        width = xc.width
        assert width is not None
        ctx = pv_context.decode(ev.body[8:], width, ev.endian)
        base = ev.body_offset + 8

        def at(name: str) -> int:
            return base + pv_context.offset_of(width, name)

        def emit(rid: str, name: str, message: str) -> None:
            self.emit(rid, at(name), "libxc", f"vCPU {vcpu}: {message}", ev)

        ents = ctx.gdt_ents
        if ents > pv_context.GDT_ENTRIES_MAX:
            emit("PV-GDT-001", "gdt_ents", f"gdt_ents is {ents}, over {pv_context.GDT_ENTRIES_MAX}")
        # Over the limit, the restorer stops there: the frames are not looked at.
        used = ctx.gdt_frames_used if ents <= pv_context.GDT_ENTRIES_MAX else 0
        # The frames are judged when the stream ends: the restorer applies the contexts
        # then, against every page the stream has sent (see pv_frames_at_end).
        refs: list[_FrameRef] = [
            ("PV-GDT-002", at(f"gdt_frames[{i}]"), f"GDT frame {i} (pfn {pfn:#x})", pfn, _NOTAB)
            for i, pfn in enumerate(ctx.gdt_frames[:used])
        ]
        unused = [i for i, pfn in enumerate(ctx.gdt_frames) if i >= used and pfn]
        if unused and ents <= pv_context.GDT_ENTRIES_MAX:
            i = unused[0]
            emit(
                "PV-GDT-003",
                f"gdt_frames[{i}]",
                f"gdt_frames[{i}] is {ctx.gdt_frames[i]:#x} but the GDT "
                f"({ents} entries) uses {used} frame{'' if used == 1 else 's'}",
            )
        # pt_levels goes with the width (XC-PVI-004 reports a stream where it does not)
        levels = 4 if width == 8 else 3
        tables = (PageType(levels), PageType(levels | 0x8))
        refs.append(
            (
                "PV-CR3-001",
                at("ctrlreg[3]"),
                f"ctrlreg[3] {ctx.ctrlreg[3]:#x} names pfn {ctx.cr3_pfn:#x}, which",
                ctx.cr3_pfn,
                tables,
            )
        )
        if width == 8:
            cr1 = ctx.ctrlreg[1]
            if ctx.cr1_pfn is not None:
                refs.append(
                    (
                        "PV-CR3-002",
                        at("ctrlreg[1]"),
                        f"ctrlreg[1] {cr1:#x} names pfn {ctx.cr1_pfn:#x}, which",
                        ctx.cr1_pfn,
                        (PageType.L4TAB, PageType.L4TAB_PIN),
                    )
                )
            if not cr1 and not ctx.flags & pv_context.VGCF_IN_KERNEL:
                emit("PV-CR3-003", "flags", "in user mode (in_kernel clear) with ctrlreg[1] zero")
        if vcpu == 0:
            reg = "user_regs.edx" if width == 4 else "user_regs.rdx"
            pfn = ctx.start_info_pfn
            refs.append(
                ("PV-SIF-001", at(reg), f"start-info pfn {pfn:#x} ({reg[10:]})", pfn, _NOTAB)
            )
        xc.pv_frames[vcpu] = (ev, refs)  # a later context of the vCPU replaces it
        ldt_ents, ldt_base = ctx.word("ldt_ents"), ctx.word("ldt_base")
        if ldt_ents > 8192:
            emit("PV-LDT-001", "ldt_ents", f"ldt_ents is {ldt_ents}, over 8192")
        if ldt_base % 4096:
            emit("PV-LDT-002", "ldt_base", f"ldt_base {ldt_base:#x} is not page aligned")
        if width == 8:
            for name, value in _canonical_fields(ctx):
                if not -(1 << 47) <= (value ^ (1 << 63)) - (1 << 63) < 1 << 47:
                    emit("PV-ADR-001", name, f"{name} {value:#x} is not canonical")
                    break
            for n in (6, 7):
                value = ctx.words_list("debugreg")[n]
                if value >> 32:
                    emit(
                        "PV-DBG-001", f"debugreg[{n}]", f"debugreg[{n}] {value:#x} is over 32 bits"
                    )
        unknown = ctx.flags & ~sum(1 << b for b in pv_context.vgcf_bits(width))
        if unknown:
            emit("PV-FLG-001", "flags", f"flags {ctx.flags:#x} has undefined bits {unknown:#x}")
        if width == 4 and ctx.user_regs["eflags"] & (1 << 17):
            emit(
                "PV-FLG-002",
                "user_regs.eflags",
                f"eflags {ctx.user_regs['eflags']:#x} has VM (bit 17) set",
            )

    def pv_frames_at_end(self, xc: _Xc) -> None:
        """PV-GDT-002, PV-CR3-001/-002, PV-SIF-001: the frames the last context of each
        vCPU names, against the page types the whole stream has sent (the restorer
        applies the contexts when the stream completes). One GDT-002 per context."""
        for vcpu, (ev, refs) in sorted(xc.pv_frames.items()):
            found = [(r, p) for r in refs if (p := self.pfn_problem(xc, r[3], r[4]))]
            gdt = sum(1 for r, _p in found if r[0] == "PV-GDT-002")
            gdt_done = False
            for (rid, offset, what, _pfn, _types), problem in found:
                if rid == "PV-GDT-002":
                    if gdt_done:
                        continue
                    gdt_done = True
                    problem += f" (and {gdt - 1} more)" if gdt > 1 else ""
                self.emit(rid, offset, "libxc", f"vCPU {vcpu}: {what} {problem}", ev)
        xc.pv_frames.clear()

    def pfn_problem(self, xc: _Xc, pfn: int, types: tuple[PageType, ...]) -> str | None:
        """What is wrong with ``pfn`` as a frame of one of ``types`` (None: nothing, or
        no table to judge by)."""
        table = xc.pfn_types
        if table is None:
            return None
        if pfn >= len(table):
            return f"is above p2m_end_pfn {len(table) - 1:#x}"
        got = table[pfn]
        if got == 0xFF:
            return "was never sent in PAGE_DATA"
        if got not in types:
            want = " or ".join(t.name for t in types)
            return f"was last sent as {_page_type_name(got)}, not {want}"
        return None

    def xc_shared_info(self, xc: _Xc, ev: RecordEvent) -> None:
        if xc.guest == DomainType.X86_PV and xc.pv_info == 0:
            self.emit("XC-ORD-004", ev.offset, "libxc", "SHARED_INFO before X86_PV_INFO", ev)
        if ev.length != xc.page_size:
            self.emit(
                "XC-SHI-001",
                ev.offset + 4,
                "libxc",
                f"body_length is {ev.length}, not the page size {xc.page_size}",
                ev,
            )

    def xc_tsc_info(self, xc: _Xc, ev: RecordEvent) -> None:
        if ev.length != 24:
            self.emit(
                "XC-TSC-001", ev.offset + 4, "libxc", f"body_length is {ev.length}, not 24", ev
            )
        if len(ev.body) >= 4:
            mode = struct.unpack_from(ev.endian + "I", ev.body)[0]
            if mode > 3:
                self.emit(
                    "XC-TSC-003",
                    ev.body_offset,
                    "libxc",
                    f"mode {mode} is not 0 (default), 1 (always emulate), 2 (never emulate) "
                    "or 3 (PVRDTSCP)",
                    ev,
                )
            elif mode == 3:
                self.emit(
                    "XC-TSC-005",
                    ev.body_offset,
                    "libxc",
                    "mode 3 (PVRDTSCP): Xen 4.12+ refuse it",
                    ev,
                )
        if len(ev.body) >= 24:
            reserved = struct.unpack_from(ev.endian + "I", ev.body, 20)[0]
            if reserved:
                self.emit(
                    "XC-TSC-002",
                    ev.body_offset + 20,
                    "libxc",
                    f"reserved is {reserved:#010x}, not 0",
                    ev,
                )

    def xc_hvm_context(self, xc: _Xc, ev: RecordEvent) -> None:
        xc.hvm_context += 1
        xc.hvm_context_in_section = True
        if ev.length == 0:
            self.emit("XC-HVMC-001", ev.offset + 4, "libxc", "the HVM context is empty", ev)
            return
        if not ev.body_complete:
            return  # only a prefix of a body over BODY_KEEP_MAX is kept: nothing to judge
        from . import hvm_context  # loaded only for an image with an HVM context

        for p in hvm_context.decode(ev.body).problems:
            where = "" if p.entry is None else f"entry #{p.entry}: "
            self.emit(
                p.rule, ev.body_offset + p.offset, "libxc", f"HVM context {where}{p.message}", ev
            )

    def xc_hvm_params(self, xc: _Xc, ev: RecordEvent) -> None:
        if xc.guest == DomainType.X86_HVM and xc.hvm_context_in_section:
            self.emit_once(
                "XC-ORD-006",
                ev.offset,
                "libxc",
                "HVM_PARAMS follows HVM_CONTEXT (as Xen's saver writes them)",
                ev,
            )
        if ev.length < 8:
            self.emit(
                "XC-HVMP-001",
                ev.offset + 4,
                "libxc",
                f"body_length {ev.length} is too short for count and reserved",
                ev,
            )
            return
        count, reserved = struct.unpack_from(ev.endian + "II", ev.body)
        if reserved:
            self.emit(
                "XC-HVMP-003",
                ev.body_offset + 4,
                "libxc",
                f"reserved is {reserved:#010x}, not 0",
                ev,
            )
        if ev.length != 8 + 16 * count:
            self.emit(
                "XC-HVMP-002",
                ev.offset + 4,
                "libxc",
                f"body_length is {ev.length}, expected {8 + 16 * count} for count {count}",
                ev,
            )
        if ev.length < 8 + 16 * count:
            self.emit(
                "XC-HVMP-015",
                ev.offset + 4,
                "libxc",
                f"body_length {ev.length} is short of the {8 + 16 * count} count {count} needs",
                ev,
            )
        if count == 0:
            self.emit(
                "XC-HVMP-004",
                ev.body_offset,
                "libxc",
                "count is 0 (an erratum of Xen 4.6-4.8; readers ignore the record)",
                ev,
            )
        if ev.length != 8 + 16 * count:
            return  # Xen's restorer refuses the record before it sets any parameter
        from . import hvm_params  # what hvm_set_param refuses in the entries

        for p in hvm_params.check(ev.body, ev.endian):
            self.emit(p.rule, ev.body_offset + p.offset, "libxc", p.message, ev)

    def xc_toolstack(self, xc: _Xc, ev: RecordEvent) -> None:
        self.emit(
            "XC-TOOL-001",
            ev.offset,
            "libxc",
            "TOOLSTACK is deprecated; Xen's restorer refuses it",
            ev,
        )

    def xc_verify(self, xc: _Xc, ev: RecordEvent) -> None:
        if ev.length:
            self.emit(
                "XC-VER-001", ev.offset + 4, "libxc", f"body_length is {ev.length}, not 0", ev
            )
        xc.verify += 1
        if xc.verify > 1:
            self.emit(
                "XC-VER-002",
                ev.offset,
                "libxc",
                f"a VERIFY record again (number {xc.verify})",
                ev,
            )
        if xc.checkpointed:
            self.emit_once("XC-VER-003", ev.offset, "libxc", "VERIFY in a checkpointed stream", ev)

    def xc_checkpoint(self, xc: _Xc, ev: RecordEvent) -> None:
        if ev.length:
            self.emit(
                "XC-CKPT-001", ev.offset + 4, "libxc", f"body_length is {ev.length}, not 0", ev
            )
        xc.checkpointed = True
        if xc.verify:
            self.emit_once(
                "XC-VER-003",
                ev.offset,
                "libxc",
                "a CHECKPOINT in a stream that has a VERIFY record",
                ev,
            )
        xc.vcpu_in_section = False
        xc.hvm_context_in_section = False
        xc.once.discard("XC-ORD-005")
        xc.once.discard("XC-ORD-006")
        if self.libxl is not None and xc.carrier == "libxl":
            self.libxl.in_section = True

    def xc_dirty_pfn_list(self, xc: _Xc, ev: RecordEvent) -> None:
        self.emit(
            "XC-DIRTY-001",
            ev.offset,
            "libxc",
            "CHECKPOINT_DIRTY_PFN_LIST belongs to the back channel, never to an image",
            ev,
        )
        if ev.length % 8:
            self.emit(
                "XC-DIRTY-002",
                ev.offset + 4,
                "libxc",
                f"body_length {ev.length} is not a multiple of 8",
                ev,
            )

    def xc_static_data_end(self, xc: _Xc, ev: RecordEvent) -> None:
        if ev.length:
            self.emit(
                "XC-SDE-001", ev.offset + 4, "libxc", f"body_length is {ev.length}, not 0", ev
            )
        xc.sde_count += 1
        if xc.version == 2:
            self.emit("XC-SDE-005", ev.offset, "libxc", "STATIC_DATA_END in a version 2 stream", ev)
        elif xc.sde_count > 1:
            self.emit(
                "XC-SDE-002",
                ev.offset,
                "libxc",
                f"a second STATIC_DATA_END (number {xc.sde_count})",
                ev,
            )
        xc.sde_seen = True

    def xc_policy(self, xc: _Xc, ev: RecordEvent) -> None:
        cpuid = ev.type == XcRecType.X86_CPUID_POLICY
        size = 24 if cpuid else 16
        if ev.length == 0 or ev.length % size:
            self.emit(
                "XC-POL-001" if cpuid else "XC-POL-002",
                ev.offset + 4,
                "libxc",
                f"body_length {ev.length} is not a non-zero multiple of {size}",
                ev,
            )
        if cpuid:
            xc.cpuid += 1
            nth = xc.cpuid
        else:
            xc.msr += 1
            nth = xc.msr
        if nth > 1:
            self.emit("XC-POL-004", ev.offset, "libxc", f"{ev.name} again (number {nth})", ev)
        if xc.version == 2:
            self.emit("XC-POL-005", ev.offset, "libxc", f"{ev.name} in a version 2 stream", ev)
        if xc.sde_seen:
            where = "STATIC_DATA_END" if xc.sde_count else "the inferred STATIC_DATA_END"
            self.emit(
                "XC-POL-003",
                ev.offset,
                "libxc",
                f"{ev.name} after {where}: Xen has already applied the policy",
                ev,
            )
        if not cpuid:
            body = ev.body[: (len(ev.body) >> 4) << 4]
            flags = body[4::16] + body[5::16] + body[6::16] + body[7::16]
            if flags.count(0) != len(flags):
                bad = [
                    i
                    for i, (_idx, fl, _val) in enumerate(
                        struct.iter_unpack(ev.endian + "IIQ", body)
                    )
                    if fl
                ]
                self.emit(
                    "XC-POL-006",
                    ev.body_offset + 16 * bad[0] + 4,
                    "libxc",
                    f"{_named(bad[:MAX_NAMED], len(bad), 'entry')} "
                    f"{'has' if len(bad) == 1 else 'have'} non-zero flags",
                    ev,
                )
        if ev.length == 0 or ev.length % size:
            return  # refused before the hypervisor sees it (XC-POL-001, XC-POL-002)
        from . import cpu_policy  # what x86_{cpuid,msr}_copy_from_buffer refuse

        check = cpu_policy.check_cpuid if cpuid else cpu_policy.check_msr
        for p in check(ev.body, ev.endian):
            self.emit(p.rule, ev.body_offset + p.offset, "libxc", p.message, ev)

    # -- end of input

    def trailer(self, t: Trailer) -> None:
        if t.layer == "libxc":
            self.emit(
                "XC-END-003", t.offset, "libxc", f"{t.length} bytes follow the libxc END record"
            )
        elif t.layer == "libxl":
            self.emit(
                "XL-END-003", t.offset, "libxl", f"{t.length} bytes follow the libxl END record"
            )
        elif t.layer == "libvirt":
            self.emit(
                "LVF-STR-004",
                t.offset,
                "libvirt",
                f"{t.length} bytes follow the libxl END record that ends the libvirt file",
            )
        elif t.layer == "xapi":
            self.emit(
                "XAPI-END-002",
                t.offset,
                "xapi",
                f"{t.length} bytes follow the END_OF_IMAGE section header",
            )
        else:  # a layer with no rules yet (legacy)
            self.unruled(
                t.offset, t.layer, f"{t.length} bytes follow the end of the {t.layer} image"
            )

    def read_error(self, e: ReadError, eof: int | None) -> None:
        """Turn the framing loss into the final diagnostic(s)."""
        layer = e.layer
        present = None if eof is None else max(0, eof - e.offset)
        if layer == "legacy" and e.rule:
            self.emit(e.rule, e.offset, "legacy", e.message)
        elif layer == "libxc" and e.index is not None:
            self.xc_read_error(e)
        elif layer == "libxl" and e.index is not None:
            self.xl_read_error(e)
        elif layer == "libxc":
            if self.in_dom_hdr:
                rid = _field_rule(_XC_DHDR_FIELDS, present or 0, "XC-END-002")
            elif self.carrier == "libxl":
                rid = "XL-NEST-001"
            elif self.carrier == "xapi":
                rid = "XAPI-STR-001"
            else:
                rid = _field_rule(_XC_IHDR_FIELDS, present or 0, "XC-HDR-005")
            where = {"XL-NEST-001": "libxl", "XAPI-STR-001": "xapi"}.get(rid, "libxc")
            self.emit(rid, e.offset, where, e.message)
        elif layer == "libxl":
            if self.carrier == "xl":
                self.emit("XLF-NEST-001", e.offset, "xl", f"no libxl stream: {e.message}")
            elif self.carrier == "libvirt":
                if self.lv is not None and self.lv.version == 2:
                    self.emit("LVF-STR-002", e.offset, "libvirt", f"no libxl stream: {e.message}")
            elif self.carrier == "xapi":
                self.emit("XAPI-STR-001", e.offset, "xapi", f"LIBXL section: {e.message}")
            else:
                rid = _field_rule(_LIBXL_HDR_FIELDS, present or 0, "XL-HDR-003")
                self.emit(rid, e.offset, "libxl", e.message)
        elif layer == "xl":
            if self.xl is None:
                rid = _field_rule(_XL_HDR_FIELDS, present or 0, "XLF-OPT-001")
                self.emit(rid, e.offset, "xl", e.message)
            elif e.rule == "XLF-STR-001":
                self.unruled(
                    e.offset,
                    "xl",
                    "a legacy (pre-Xen 4.6) stream follows the optional data; it is not "
                    "checked (legacy streams are not implemented yet)",
                )
            else:
                self.emit("XLF-OPT-001", 0x2C, "xl", e.message)
        elif layer == "libvirt":
            if e.rule == "LVF-XML-002":
                self.emit("LVF-XML-002", 0x14, "libvirt", e.message)
            elif self.lv is None:
                rid = _field_rule(_LIBVIRT_HDR_FIELDS, present or 0, "LVF-HDR-002")
                self.emit(rid, e.offset, "libvirt", e.message)
            else:  # version 1: a legacy stream follows (LVF-STR-001)
                self.unruled(e.offset, "libvirt", f"{e.message}; it is not checked")
        elif layer == "xapi":
            if e.rule == "XAPI-SEC-003":  # at the length word of the section header
                self.emit("XAPI-SEC-003", e.offset + 8, "xapi", e.message)
            elif e.rule in _XAPI_FRAMING:
                self.emit(e.rule, e.offset, "xapi", e.message)
            else:  # a legacy signature or section, or DEMU state: nothing more to check
                self.unruled(e.offset, "xapi", f"{e.message}; the rest is not checked")
        elif e.rule == "IMG-FMT-001":
            self.emit("IMG-FMT-001", e.offset, "image", e.message)
        else:
            # a bare legacy image (not implemented yet)
            self.unruled(e.offset, "libxc" if layer == "legacy" else layer or "image", e.message)

    def xc_read_error(self, e: ReadError) -> None:
        xc = self.xc
        rtype = e.rtype
        name = None if rtype is None else _xc_name(rtype)
        if e.rule == "XC-END-002":  # the input ends where a record header should be
            s = self.libxl
            if xc is not None and xc.checkpointed:
                bare_done = xc.carrier is None and xc.last_type == XcRecType.CHECKPOINT
                carried_done = (
                    xc.carrier == "libxl"
                    and s is not None
                    and s.last_type in (LibxlRecType.CHECKPOINT_END, LibxlRecType.CHECKPOINT_STATE)
                )
                if bare_done or carried_done:
                    self.emit(
                        "XC-CKPT-003",
                        e.offset,
                        "libxc",
                        "the checkpointed stream ends after a complete checkpoint, without END",
                    )
                    self.xc_complete(xc, e.offset, None)
                    if carried_done and s is not None:
                        self.xl_stream_complete(s, e.offset, None)
                    return
            self.emit("XC-END-002", e.offset, "libxc", "the libxc stream ends without END")
            return
        rid = "XC-REC-001" if e.rule == "XC-REC-001" else "XC-REC-003"
        at = e.offset if rid == "XC-REC-001" else e.offset + 4
        self.diag_at_record(rid, at, "libxc", e.message, e.index, name)

    def xl_read_error(self, e: ReadError) -> None:
        s = self.libxl
        name = None if e.rtype is None else _xl_name(e.rtype)
        if e.rule == "XL-END-002":
            if s is not None and s.in_section:
                self.emit(
                    "XL-NEST-003",
                    e.offset,
                    "libxl",
                    "the stream ends inside a checkpoint section, before its CHECKPOINT_END",
                )
            else:
                self.emit("XL-END-002", e.offset, "libxl", "the libxl stream ends without END")
            return
        rid = "XL-REC-001" if e.rule == "XL-REC-001" else "XL-REC-003"
        at = e.offset if rid == "XL-REC-001" else e.offset + 4
        self.diag_at_record(rid, at, "libxl", e.message, e.index, name)

    def diag_at_record(
        self, rid: str, offset: int, layer: str, message: str, index: int | None, name: str | None
    ) -> None:
        rule = self.rules[rid]
        level = str(rule.level)
        self.diags.append(
            Diagnostic(rid, level, _SEVERITY[level], offset, layer, index, name, message)
        )

    # -- progress

    def tick(self, progress: Callable[[int], None] | None) -> None:
        if progress is not None and self.pos - self.last_progress >= PROGRESS_STEP:
            self.last_progress = self.pos
            progress(self.pos)


#: The most pfns the checker keeps a page type for (16 TiB of 4 KiB pages).
_PFN_TABLE_LIMIT = 1 << 32


def _note_pfn_types(table: bytearray, body: bytes, endian: str) -> None:
    """Record the page type of every pfn entry of a PAGE_DATA body in ``table``: at C
    speed for a batch of consecutive pfns (what Xen's saver sends), else entry by entry."""
    (count,) = struct.unpack_from(endian + "I", body)
    n = min(count, (len(body) - 8) >> 3)
    if not n:
        return
    raw = bytearray(body[8 : 8 + 8 * n])
    top, second = (7, 6) if endian == "<" else (0, 1)
    types = bytes(raw[top::8]).translate(_HIGH_NIBBLE)
    raw[top::8] = bytes(n)  # clear bits 52-63, leaving the pfn
    raw[second::8] = raw[second::8].translate(_LOW_NIBBLE)
    pfns = array("Q", raw)
    if (endian == "<") != (sys.byteorder == "little"):
        pfns.byteswap()
    first, limit = pfns[0], len(table)
    if first + n <= limit and pfns.tobytes() == array("Q", range(first, first + n)).tobytes():
        table[first : first + n] = types
        return
    for pfn, ptype in zip(pfns, types, strict=True):
        if pfn < limit:
            table[pfn] = ptype


_HIGH_NIBBLE = bytes(b >> 4 for b in range(256))
_LOW_NIBBLE = bytes(b & 0x0F for b in range(256))


def _page_type_name(value: int) -> str:
    try:
        return PageType(value).name
    except ValueError:
        return f"type {value:#x}"


def _canonical_fields(ctx: pv_context.PvContext) -> Iterator[tuple[str, int]]:
    """The addresses of a 64-bit context that the hypervisor wants canonical."""
    u = ctx.user_regs
    yield "user_regs.rip", u["rip"]
    yield "user_regs.rsp", u["rsp"]
    for name in (
        "kernel_sp",
        "fs_base",
        "gs_base_kernel",
        "gs_base_user",
        "event_callback_eip",
        "failsafe_callback_eip",
        "syscall_callback_eip",
    ):
        yield name, ctx.word(name)
    for i, (_v, _f, _cs, address) in enumerate(ctx.trap_ctxt):
        if address:
            yield f"trap_ctxt[{i}]", address
    if ctx.word("ldt_ents"):
        yield "ldt_base", ctx.word("ldt_base")


def _order(big: bool) -> str:
    return "big-endian" if big else "little-endian"


def _xc_name(rtype: int) -> str:
    try:
        return XcRecType(rtype).name
    except ValueError:
        kind = "OPTIONAL" if rtype & 0x80000000 else "MANDATORY"
        return f"UNKNOWN_{kind}_{rtype:#010x}"


def _xl_name(rtype: int) -> str:
    try:
        return LibxlRecType(rtype).name
    except ValueError:
        kind = "OPTIONAL" if rtype & 0x80000000 else "MANDATORY"
        return f"UNKNOWN_{kind}_{rtype:#010x}"


#: XAPI framing losses the reader names a rule for (XAPI-SEC-003 is placed apart).
_XAPI_FRAMING = frozenset({"XAPI-HDR-001", "XAPI-SEC-001", "XAPI-SEC-002", "XAPI-END-001"})


def _xml_domain_problem(text: bytes) -> str | None:
    """Why ``text`` is not a well-formed XML document with root element ``domain``.
    Expat refuses entity expansion beyond a small amplification, and ElementTree
    never fetches external entities, so hostile XML costs little."""
    from xml.etree.ElementTree import ParseError, XMLParser

    parser = XMLParser()
    try:
        parser.feed(text)
        root = parser.close()
    except ParseError as exc:
        return f"not well-formed XML ({exc})"
    except (ValueError, LookupError) as exc:  # e.g. an unknown declared encoding
        return f"not readable XML ({exc})"
    if root.tag != "domain":
        return f"the root element is <{root.tag}>, not <domain>"
    return None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _json_object_problem(text: bytes) -> str | None:
    try:
        s = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 ({exc.reason} at byte {exc.start})"
    try:
        value = json.loads(s, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        return str(exc)
    if not isinstance(value, dict):
        return f"the top-level value is a {type(value).__name__}, not an object"
    return None


_Handler = Callable[[_Checker, _Xc, RecordEvent], None]
_XC_HANDLERS: dict[int, _Handler] = {
    XcRecType.END: _Checker.xc_end,
    XcRecType.PAGE_DATA: _Checker.xc_page_data,
    XcRecType.X86_PV_INFO: _Checker.xc_pv_info,
    XcRecType.X86_PV_P2M_FRAMES: _Checker.xc_p2m_frames,
    XcRecType.X86_PV_VCPU_BASIC: _Checker.xc_vcpu,
    XcRecType.X86_PV_VCPU_EXTENDED: _Checker.xc_vcpu,
    XcRecType.X86_PV_VCPU_XSAVE: _Checker.xc_vcpu,
    XcRecType.SHARED_INFO: _Checker.xc_shared_info,
    XcRecType.X86_TSC_INFO: _Checker.xc_tsc_info,
    XcRecType.HVM_CONTEXT: _Checker.xc_hvm_context,
    XcRecType.HVM_PARAMS: _Checker.xc_hvm_params,
    XcRecType.TOOLSTACK: _Checker.xc_toolstack,
    XcRecType.X86_PV_VCPU_MSRS: _Checker.xc_vcpu,
    XcRecType.VERIFY: _Checker.xc_verify,
    XcRecType.CHECKPOINT: _Checker.xc_checkpoint,
    XcRecType.CHECKPOINT_DIRTY_PFN_LIST: _Checker.xc_dirty_pfn_list,
    XcRecType.STATIC_DATA_END: _Checker.xc_static_data_end,
    XcRecType.X86_CPUID_POLICY: _Checker.xc_policy,
    XcRecType.X86_MSR_POLICY: _Checker.xc_policy,
}
assert len(_XC_HANDLERS) == _XC_KNOWN_MAX + 1
assert _XL_KNOWN_MAX == LibxlRecType.CHECKPOINT_STATE


# --- entry points ----------------------------------------------------------------------


def _run(
    events: Iterable[Event],
    progress: Callable[[int], None] | None,
    reader: Reader | None,
    ambiguous_raises: bool = False,
) -> Report:
    c = _Checker()
    it: Iterator[Event] = iter(events)
    try:
        for ev in it:
            c.event(ev)
            c.tick(progress)
    except ReadError as e:
        if ambiguous_raises and hasattr(e, "candidates"):  # legacy.read.Ambiguous
            raise
        eof = reader.src.offset if reader is not None else None
        c.read_error(e, eof)
    except _Stop:
        pass
    except OSError:
        raise
    except Exception as exc:  # a checker bug must not become a traceback for the user
        c.unruled(c.pos, c.layer or "xl", f"internal error in the checker: {exc!r}")
    layer = c.layer
    if reader is not None:
        layer = layer or reader.layer
        bytes_read = reader.src.offset
    else:
        bytes_read = c.pos
    if progress is not None:
        progress(bytes_read)
    return Report(c.finish(), layer, bytes_read)


def check_stream(
    f: BinaryIO,
    *,
    progress: Callable[[int], None] | None = None,
    legacy: LegacyOptions | None = None,
    ambiguous_raises: bool = False,
    stop_at_end: bool = False,
) -> Report:
    """Check the image that ``f`` holds (a file, a pipe or a socket), reading it once.

    ``progress(bytes_so_far)`` is called about every 64 MiB and once at the end.
    Never raises on bad input; I/O errors (``OSError``) propagate. ``legacy`` narrows
    a legacy image's toolstack width and guest type (the command line's flags). With
    ``ambiguous_raises`` a legacy image that reads as several variants raises
    ``xensave.legacy.read.Ambiguous`` (the caller must choose) instead of being
    reported as invalid. With ``stop_at_end`` reading stops at the outermost END (a
    live migration socket stays open after it), so bytes after it go unchecked.
    """
    reader = Reader(f, ReadOptions(stop_at_end=stop_at_end))
    if legacy is not None:
        reader.legacy_options = legacy  # type: ignore[attr-defined]
    return _run(reader, progress, reader, ambiguous_raises)


def check_bytes(data: bytes) -> Report:
    """Check an image held in memory."""
    return check_stream(io.BytesIO(data))


def check_events(events: Iterable[Event]) -> Report:
    """Check a sequence of reader events (a ``ReadError`` raised while iterating ends
    the check, as in ``check_stream``). ``bytes_read`` is the end of the last event."""
    return _run(events, None, None)
