"""What each release of Xen's restore path accepts, as facts read at the release tags
of xen-project/xen (the sources are named in ``xensave.target``'s docstring and by each
function here): stream versions, record types handled per guest type, the record length
limit, mandatory xl flags, device models, and the record contents some releases take
and others refuse (:func:`releases_taking`, which the corpus recipes use to declare
restorability). ``xensave.target`` judges an image with them."""

from __future__ import annotations

import struct

from . import cpu_policy, hvm_params
from .constants import DomainType, EmulatorId, LibxlRecType, XcRecType, XlMandatoryFlag
from .hvm_typecodes import CPU_MSR_HANDLED, SIZE_CHANGED, Typecode, cpu_msr_handled, size_refused
from .releases import Release, all_releases

#: Where libxenguest's sources lie in the latest releases (tools/libxc before the move
#: to tools/libs): the prefix of the restore functions a reason names.
LIBXENGUEST = "tools/libs/guest/"
#: libxc stream version 2, libxl streams and STREAMv2 xl files arrived together.
STREAM_V2_SINCE: Release = (4, 6)
#: libxc stream version 3 (STATIC_DATA_END, CPUID and MSR policy records).
STREAM_V3_SINCE: Release = (4, 14)
#: REC_LENGTH_MAX went from 8 MiB to 128 MiB.
LONG_RECORDS_SINCE: Release = (4, 10)
#: libxl's COLO record CHECKPOINT_STATE.
CHECKPOINT_STATE_SINCE: Release = (4, 7)
#: The xl header's JSON configuration flag.
XL_JSON_SINCE: Release = (4, 5)
#: qemu-traditional support was removed from xl and libxl.
QEMU_TRADITIONAL_UNTIL: Release = (4, 20)
#: A legacy PV image's 'xcnt' extended-info block and the tail's XSAVE states: Xen 4.0's
#: xc_domain_restore skips the block (load_p2m_frame_list) and reads no state
#: (buffer_tail_pv), so it takes them as the shared-info page; read at RELEASE-4.0.0/4.1.0.
XCNT_SINCE: Release = (4, 1)
#: xend (xm save files) was removed (commit 9e8672f1c3, first absent from 4.5.0).
XEND_UNTIL: Release = (4, 4)
#: The lowest pfn the restorer cannot track (every release from 4.6). pfn_set_populated
#: (xg_sr_restore.c, formerly xc_sr_restore.c) grows its bitmap to the next power of two
#: above the pfn: a pfn of 2^49 or more needs 2^50 bits, 2^47 octets, which is the whole
#: 47-bit user address space of an x86-64 Linux process (a 5-level-paging kernel hands
#: out addresses above 2^47 only to an mmap that asks for them, which malloc never does),
#: so realloc fails ("Failed to realloc populated bitmap") on every host. Smaller pfns
#: may or may not be backed, depending on the host's memory: not judged.
UNTRACKABLE_PFN = 1 << 49
#: Legacy rules libxl's path (4.6 on: convert-legacy-stream, then libxenguest) enforces
#: for a PV guest only: for HVM the script reads p2m_size and the VCPU_INFO map but uses
#: them for PV alone (read_legacy_stream, read_chunks), and the HVM restorer takes any
#: pfn (xg_sr_restore_x86_hvm.c:x86_hvm_pfn_is_valid). Their catalogue ``xen_refuses``
#: is the PV answer; for a legacy HVM image they count on 4.0-4.5 only, whose
#: xc_domain_restore indexes its p2m_size-long arrays by the pfn unchecked (apply_batch)
#: and loops up to max_vcpu_id alone. Legacy HVM recipes breaking them declare the same
#: (generators/corpus/legacy.py; tests/test_target.py holds the two equal).
LEGACY_PV_ONLY_FROM_4_6 = frozenset({"LEG-HDR-001", "LEG-HDR-002", "LEG-PAGE-002", "LEG-CHK-005"})

#: XCNTXT_MASK by the first release that has it (xstate.h): the XSAVE components Xen
#: ever enables, which bound the host's xfeature_mask (xstate_init) and so, from 4.4,
#: an xcr0_accum validate_xstate takes on any host (-EOPNOTSUPP beyond it; from 4.12 the
#: domain's xcr0_max, within it, refuses first with -EINVAL). x87, SSE, YMM, LWP (bit
#: 62) in 4.4; OPMASK, ZMM, HI_ZMM, BNDREGS, BNDCSR from 4.5; PKRU from 4.7; LWP gone
#: from 4.13; TILE_CFG and TILE_DATA (AMX) from 4.20.
_XCNTXT_MASK: tuple[tuple[Release, int], ...] = (
    ((4, 4), 0x4000000000000007),
    ((4, 5), 0x40000000000000FF),
    ((4, 7), 0x40000000000002FF),
    ((4, 13), 0x2FF),
    ((4, 20), 0x602FF),
)


def xsave_components(rel: Release) -> int | None:
    """The XSAVE components (an XCR0 mask) some host of the release can restore in an
    ``xcr0_accum``; None before 4.4, whose restore compares only the image's own feature
    mask with the host's (hvm_load_cpu_xsave_states, XEN_DOMCTL_setvcpuextstate)."""
    out = None
    for since, mask in _XCNTXT_MASK:
        if rel >= since:
            out = mask
    return out


_PV_RECORDS_V2 = frozenset(
    {
        XcRecType.X86_PV_INFO,
        XcRecType.X86_PV_P2M_FRAMES,
        XcRecType.X86_PV_VCPU_BASIC,
        XcRecType.X86_PV_VCPU_EXTENDED,
        XcRecType.X86_PV_VCPU_XSAVE,
        XcRecType.X86_PV_VCPU_MSRS,
        XcRecType.SHARED_INFO,
        XcRecType.X86_TSC_INFO,
    }
)
_HVM_RECORDS_V2 = frozenset({XcRecType.X86_TSC_INFO, XcRecType.HVM_CONTEXT, XcRecType.HVM_PARAMS})
_COMMON_RECORDS = frozenset(
    {XcRecType.END, XcRecType.PAGE_DATA, XcRecType.VERIFY, XcRecType.CHECKPOINT}
)
_V3_RECORDS = frozenset(
    {XcRecType.STATIC_DATA_END, XcRecType.X86_CPUID_POLICY, XcRecType.X86_MSR_POLICY}
)


def xc_versions(rel: Release) -> tuple[int, ...]:
    """libxc stream versions the release's restorer accepts."""
    if rel < STREAM_V2_SINCE:
        return ()
    return (2, 3) if rel >= STREAM_V3_SINCE else (2,)


def rec_length_max(rel: Release) -> int:
    """The restorer's REC_LENGTH_MAX: the longest libxc record body it reads."""
    return (128 << 20) if rel >= LONG_RECORDS_SINCE else (8 << 20)


def xc_handled(rel: Release, domain_type: int) -> frozenset[int]:
    """libxc record types the release's restorer handles for a guest type. CHECKPOINT_
    DIRTY_PFN_LIST and TOOLSTACK are handled by none: the first travels only on the
    COLO back channel, the second lost its reader when libxl's stream arrived."""
    if rel < STREAM_V2_SINCE:
        return frozenset()
    per_guest = _PV_RECORDS_V2 if domain_type == DomainType.X86_PV else _HVM_RECORDS_V2
    if domain_type not in (DomainType.X86_PV, DomainType.X86_HVM):
        per_guest = frozenset()
    out = _COMMON_RECORDS | per_guest
    if rel >= STREAM_V3_SINCE:
        out |= _V3_RECORDS
    return out


def libxl_handled(rel: Release) -> frozenset[int]:
    """libxl record types the release reads (it refuses every other, optional or not)."""
    if rel < STREAM_V2_SINCE:
        return frozenset()
    out = {
        LibxlRecType.END,
        LibxlRecType.LIBXC_CONTEXT,
        LibxlRecType.EMULATOR_XENSTORE_DATA,
        LibxlRecType.EMULATOR_CONTEXT,
        LibxlRecType.CHECKPOINT_END,
    }
    if rel >= CHECKPOINT_STATE_SINCE:
        out.add(LibxlRecType.CHECKPOINT_STATE)
    return frozenset(out)


def xl_mandatory_known(rel: Release) -> int:
    """Mandatory flags the release's xl accepts in a save file header."""
    flags = 0
    if rel >= XL_JSON_SINCE:
        flags |= XlMandatoryFlag.JSON
    if rel >= STREAM_V2_SINCE:
        flags |= XlMandatoryFlag.STREAM_V2
    return int(flags)


def emulators_known(rel: Release) -> frozenset[int]:
    """Emulator ids whose device model the release's libxl can still start."""
    ids = {EmulatorId.UNKNOWN, EmulatorId.QEMU_UPSTREAM}
    if rel <= QEMU_TRADITIONAL_UNTIL:
        ids.add(EmulatorId.QEMU_TRADITIONAL)
    return frozenset(ids)


def first_release_with(rtype: int) -> Release | None:
    """The first release whose restorer knows libxc record type ``rtype`` (None: none)."""
    if rtype in _V3_RECORDS:
        return STREAM_V3_SINCE
    if rtype in {int(t) for t in XcRecType}:
        return STREAM_V2_SINCE
    return None


def releases_taking(
    rtype: int, body: bytes, endian: str = "<"
) -> tuple[frozenset[Release], str] | None:
    """The releases whose hypervisor takes this record's content as far as its release
    facts go, and the Xen function that decides it; None for a record no such fact
    concerns. The facts: an X86_MSR_POLICY's entry count and indices
    (:func:`cpu_policy.msr_facts`), X86_CPUID_POLICY leaves past a release's arrays
    (:func:`cpu_policy.cpuid_limits`), HVM context entry sizes, CPU_MSR indices
    and CPU_XSAVE components (:func:`_releases_taking_hvm_context`), an HVM_PARAMS index
    at or above a release's HVM_NR_PARAMS (:func:`hvm_params.nr_params`) and an
    X86_PV_VCPU_XSAVE ``xcr0_accum`` beyond a release's XSAVE components
    (:func:`releases_taking_xcr0_accum`). Content every release refuses is a
    rule's business, not this; the corpus recipes declare restorability from it
    (generators/corpus/framework.py:readable)."""
    every = all_releases()
    if rtype == XcRecType.X86_MSR_POLICY and body and not len(body) % 16:
        indices = [i for (i,) in struct.iter_unpack(endian + "I12x", body)]
        known = cpu_policy.MSR_INDICES
        rels = frozenset(
            r
            for r in every
            if r < STREAM_V3_SINCE
            or (
                len(indices) <= cpu_policy.msr_facts(r).max_entries
                and all(
                    cpu_policy.msr_facts(r).width(i) is not None or i not in known for i in indices
                )
            )
        )
        return rels, "xen/lib/x86/msr.c:x86_msr_copy_from_buffer"
    if rtype == XcRecType.X86_CPUID_POLICY and body and not len(body) % 24:
        # the leaves current Xen takes, against each release's smaller arrays
        now = {(p.rule, p.offset) for p in cpu_policy.check_cpuid(body, endian)}
        rels = frozenset(
            r
            for r in every
            if r < STREAM_V3_SINCE
            or {(p.rule, p.offset) for p in cpu_policy.check_cpuid(body, endian, r)} <= now
        )
        return rels, "xen/lib/x86/cpuid.c:x86_cpuid_copy_from_buffer"
    if rtype == XcRecType.HVM_CONTEXT:
        each = _releases_taking_hvm_context(body)
        if not each:
            return None
        # one function is named: the one refusing the newest release
        newest = max(max(frozenset(every) - rels) for rels, _f in each)
        fn = next(f for rels, f in each if newest not in rels)
        return frozenset.intersection(*(rels for rels, _f in each)), fn
    if rtype == XcRecType.X86_PV_VCPU_XSAVE and len(body) >= 24:
        # the context after the vCPU id: xcr0, xcr0_accum (little-endian, as Xen gives it)
        rels = releases_taking_xcr0_accum(struct.unpack_from("<Q", body, 16)[0])
        if rels != frozenset(every):
            return rels, _VALIDATE_XSTATE
        return None
    if rtype == XcRecType.HVM_PARAMS and len(body) >= 8:
        n = (len(body) - 8) // 16
        indices = [
            i & 0xFFFFFFFF for (i,) in struct.iter_unpack(endian + "Q8x", body[8 : 8 + 16 * n])
        ]
        top = max((i for i in indices if i < hvm_params.HVM_NR_PARAMS), default=-1)
        rels = frozenset(r for r in every if r < STREAM_V2_SINCE or top < hvm_params.nr_params(r))
        return rels, "xen/arch/x86/hvm/hvm.c:hvmop_set_param"
    return None


_VALIDATE_XSTATE = "xen/arch/x86/xstate.c:validate_xstate"


def releases_taking_xcr0_accum(accum: int) -> frozenset[Release]:
    """The releases some host of which restores a vCPU's XSAVE state whose
    ``xcr0_accum`` is ``accum``, as far as :func:`xsave_components` goes: every release
    before 4.4, and from 4.4 those whose XCNTXT_MASK holds every component of it
    (validate_xstate, reached from hvm_load_cpu_xsave_states and
    XEN_DOMCTL_setvcpuextstate). The recipes of legacy images, which carry no libxc
    record, declare the same (tests/test_target.py holds them to it)."""
    out = set()
    for r in all_releases():
        mask = xsave_components(r)
        if mask is None or not accum & ~mask:
            out.add(r)
    return frozenset(out)


def releases_taking_each(
    rtype: int, body: bytes, endian: str = "<"
) -> list[tuple[frozenset[Release], str]]:
    """:func:`releases_taking`, one fact at a time: each Xen function that takes the
    record's content on fewer releases than all, with the releases it takes it on. An
    HVM context may meet several (an entry size one release refuses, an xcr0_accum
    another does); the recipes name each that decides (framework.py:readable)."""
    if rtype == XcRecType.HVM_CONTEXT:
        return _releases_taking_hvm_context(body)
    one = releases_taking(rtype, body, endian)
    return [] if one is None else [one]


def _releases_taking_hvm_context(blob: bytes) -> list[tuple[frozenset[Release], str]]:
    """:func:`releases_taking_each` for an HVM context blob (its descriptors read here,
    the blob's framing being the rules' business): an entry whose size changed and that
    a release's load handler takes at another size (:func:`hvm_context.size_refused`),
    a CPU_MSR index a release does not restore (:func:`hvm_context.cpu_msr_handled`),
    and a CPU_XSAVE ``xcr0_accum`` beyond the release's components
    (:func:`releases_taking_xcr0_accum`). Releases before 4.6 take everything here:
    their libxc streams are legacy ones, judged elsewhere."""
    every = frozenset(all_releases())
    refused: dict[str, set[Release]] = {}  # by function, in the order met
    off = 0
    while off + 8 <= len(blob):
        tc, _inst, length = struct.unpack_from("<HHI", blob, off)
        payload = blob[off + 8 : off + 8 + length]
        off += 8 + length
        if tc == Typecode.END:
            break
        out: set[Release] = set()
        if tc in SIZE_CHANGED:
            out = {r for r in every if r >= STREAM_V2_SINCE and size_refused(tc, length, r)}
            refused.setdefault("xen/arch/x86/hvm/save.c:_hvm_check_entry", set()).update(out)
        if tc == Typecode.CPU_MSR and len(payload) >= 8:
            count = min(struct.unpack_from("<I", payload)[0], (len(payload) - 8) // 16)
            for k in range(count):
                index = struct.unpack_from("<I", payload, 8 + 16 * k)[0]
                if index in CPU_MSR_HANDLED:
                    out = {r for r in every if r >= STREAM_V2_SINCE}
                    out = {r for r in out if index not in cpu_msr_handled(r)}
                    fn = "xen/arch/x86/hvm/hvm.c:hvm_load_cpu_msrs"
                    refused.setdefault(fn, set()).update(out)
        if tc == Typecode.CPU_XSAVE and len(payload) >= 24:
            # xfeature_mask, xcr0, xcr0_accum
            accum = struct.unpack_from("<Q", payload, 16)[0]
            out = {r for r in every - releases_taking_xcr0_accum(accum) if r >= STREAM_V2_SINCE}
            refused.setdefault(_VALIDATE_XSTATE, set()).update(out)
    return [(every - rels, fn) for fn, rels in refused.items() if rels]
