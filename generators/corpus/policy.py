"""The corpus's fixed decisions: which rules are reserved-field rules, the release
profiles, the controlled tag list, and the rules no case can show (with the reason).

Everything here is data that the recipes, the manifest, the schema, the tag docs and
the gates in ``tests/test_corpus.py`` share.
"""

from __future__ import annotations

#: MUST image rules that only ask for zero in a reserved field, reserved flag bits or
#: padding. Xen's readers never look at these octets, and spec/README.md ("Reserved
#: bits and padding") says a restoring reader must ignore them (XC-REC-010) while a
#: validating reader rejects them; an image whose only faults are these is therefore
#: an ``i_`` case, not an ``n_`` case (XLF-HDR-006 says the same for optional_flags).
#: XC-POL-006 (MSR policy flags) is *not* here: the hypervisor refuses non-zero flags
#: when the policy is applied, so every reader that restores fails.
RESERVED: frozenset[str] = frozenset(
    {
        "XLF-HDR-006",  # optional_flags: xl never reads it (XLF-HDR-007)
        "XL-HDR-003",  # libxl options bits 2-31: libxl tests bits 0 and 1 only
        "XL-REC-002",  # libxl record padding
        "LEG-CHK-003",  # legacy HVM parameter chunks: the restorer reads the padding over
        "XL-CKS-006",  # CHECKPOINT_STATE octets after control_id: libxl reads 4 octets
        "XC-HDR-004",  # libxc options bits 1-15: Xen tests bit 0 only
        "XC-HDR-005",  # image header reserved words
        "XC-DOM-003",  # domain header reserved word
        "XC-REC-002",  # libxc record padding
        "XC-PAGE-003",  # PAGE_DATA reserved word
        "XC-PAGE-004",  # pfn bits 52-59: Xen masks them away
        "XC-PVI-005",  # X86_PV_INFO reserved octets
        "XC-VCPU-002",  # vCPU record reserved word
        "XC-TSC-002",  # X86_TSC_INFO reserved word
        "XC-HVMP-003",  # HVM_PARAMS reserved word
        "LVF-HDR-005",  # libvirt header's unused words: libvirt never reads them
        "XAPI-SEC-004",  # length of XAPI stream sections and the footer: xenopsd ignores it
    }
)

#: MAY image rules that describe a variation every conforming reader must cope with:
#: the corpus shows them in ``y_`` cases (an ``i_`` case would wrongly let readers
#: refuse them). The other MAY image rules permit a refusal and appear in ``i_`` cases.
ACCEPTED_VARIATIONS: dict[str, str] = {
    "XLF-OPT-004": "readers must skip optional data they do not understand (XLF-OPT-005)",
    "XLF-CFG-004": "xl restores from a configuration in its own syntax",
    "XL-HDR-006": "libxl restores converted streams; the bit only informs",
    "XC-DOM-004": "Xen's restorer accepts xen_major 0 and only logs it",
    "LEG-PAGE-004": "Xen's legacy saver wrote filler words and its restorer skipped them",
    "LEG-END-003": "Xen's legacy restorer reads checkpoints until the input ends",
    "XC-REC-006": "readers should skip unknown optional records (XC-REC-007): y_ at the "
    "recommended level",
    "XC-CKPT-003": "how every checkpointed stream Xen writes ends; readers apply the last "
    "complete checkpoint (XC-CKPT-004)",
    "XC-ORD-006": "how Xen's saver writes every HVM stream; readers must cope (XC-ORD-007)",
}

#: Image rules the corpus cannot show in a file of its size, with the reason.
UNCOVERABLE: dict[str, str] = {
    "XC-REC-008": "a record over 128 MiB needs 128 MiB of bytes; a record that only "
    "declares such a length without them breaks XC-REC-003 and is the n_ case "
    "'record-over-128mib-declared-only'",
}

#: Release profiles: name -> (libxc version, first release, last release).
PROFILES: dict[str, tuple[int, tuple[int, int], tuple[int, int]]] = {
    "xen-4.6-4.8": (2, (4, 6), (4, 8)),
    "xen-4.9-4.13": (2, (4, 9), (4, 13)),
    "xen-4.14+": (3, (4, 14), (4, 99)),
}

#: The controlled tag list: tag -> what it means. Every case carries at least one.
TAGS: dict[str, str] = {
    # what kind of case
    "cell": "a valid image of one guest x libxc version x wrapping cell, realistic in content",
    "release-profile": "what one range of Xen releases writes (see the case's profile)",
    "boundary": "a valid image that sits exactly on the limit of a rule",
    "errata": "what Xen 4.6-4.8 wrote because of a bug that the Xen text lists as an erratum",
    "converted": "a stream made by converting a legacy (pre-4.6) image",
    "xen-saved": "a libxc stream written by Xen's own saver (xc_domain_save) over the "
    "in-memory hypervisor, in the libxl and xl framing xl adds",
    "off-by-one": "a length or value one more or one less than the rule allows",
    "truncated": "the image ends early, inside the named structure",
    "declared-only": "a length declared in a header whose octets are not in the file",
    "trailing-data": "octets after the point where the image must end",
    "missing-record": "a record the stream must contain is absent",
    "duplicate-record": "a record that may appear once appears twice",
    "ordering": "records in an order the rules forbid or discourage",
    "wrong-guest": "a record that belongs to the other kind of guest",
    "reserved-bits": "a non-zero reserved field, reserved flag bit or padding octet",
    "magic": "an identifying magic number, ident or signature",
    "version": "a format version field",
    "big-endian": "records (or header words) in big-endian byte order",
    "unknown-record": "a record type the format does not define",
    "optional-record": "a record whose type has bit 31 set (optional)",
    # where in the image
    "xl-header": "the 48-octet xl save file header",
    "optional-data": "the xl save file's optional data",
    "config": "the domain configuration stored in the xl save file",
    "libxl-header": "the 16-octet libxl stream header",
    "libxc-header": "the libxc image header or domain header",
    "record-framing": "a record header, body length or padding",
    "emulator": "EMULATOR_XENSTORE_DATA or EMULATOR_CONTEXT records",
    "xenstore": "the key/value strings of EMULATOR_XENSTORE_DATA",
    "page-data": "PAGE_DATA records",
    "page-type": "the page type bits of a PAGE_DATA pfn entry",
    "pv-info": "X86_PV_INFO",
    "p2m": "X86_PV_P2M_FRAMES",
    "pv-context": "the PV vCPU context inside X86_PV_VCPU_BASIC: registers, CR3, GDT frames",
    "vcpu": "X86_PV_VCPU_BASIC, _EXTENDED, _XSAVE or _MSRS",
    "shared-info": "SHARED_INFO",
    "tsc": "X86_TSC_INFO",
    "hvm-context": "HVM_CONTEXT",
    "hvm-params": "HVM_PARAMS",
    "toolstack": "the deprecated TOOLSTACK record",
    "verify": "the VERIFY record and the verify phase after it",
    "static-data-end": "STATIC_DATA_END and the static part of a version 3 stream",
    "cpu-policy": "X86_CPUID_POLICY and X86_MSR_POLICY",
    "end-record": "END records of either layer",
    "nesting": "how the layers sit inside one another",
    # streams and wrappers
    "checkpointed": "a checkpointed (Remus or COLO) stream: a reader must be run in its "
    "checkpointed mode, since a plain restore must refuse CHECKPOINT (XC-CKPT-002)",
    "colo": "COLO: CHECKPOINT_STATE records on the forward stream",
    "dirty-pfn-list": "CHECKPOINT_DIRTY_PFN_LIST, a back-channel record",
    "legacy-stream": "a legacy (pre-Xen 4.6) stream after the xl header or inside a wrapper",
    "xend": "an xend (xm save) file: LinuxGuestRecord, S-expression configuration, legacy image",
    "libvirt": "inside libvirt's libxl-driver save file (libvirt-xml header)",
    "xapi": "inside a XAPI (xenopsd) suspend image (XenSavedDomv2- framing)",
    "domain-xml": "the domain XML stored in a libvirt save file",
    "section-framing": "a XAPI section header, or the length of a section's body",
}
