"""The static part of a libxc stream, CPU policy, records of the wrong guest, and
record order (``XC-SDE``, ``XC-POL``, ``XC-GUEST``, ``XC-ORD``, ``XC-PVI-007``)."""

from __future__ import annotations

from xensave.bodies import CpuidPolicy, MsrPolicy
from xensave.model import LibxcStream, Record

from . import bases as B
from .bases import X
from .framework import recipe

# --- STATIC_DATA_END -----------------------------------------------------------------------


@recipe(
    "static-data-end-with-body",
    "STATIC_DATA_END has an 8-octet body",
    tags=("static-data-end",),
    breaks=("XC-SDE-001",),
)
def static_data_end_with_body() -> LibxcStream:
    s = B.xc("hvm", 3)
    s.records[B.index(s.records, X.STATIC_DATA_END)] = Record(X.STATIC_DATA_END, bytes(8))
    return s


@recipe(
    "without-static-data-end",
    "a version 3 HVM stream without STATIC_DATA_END",
    tags=("static-data-end", "missing-record", "version"),
    args=("hvm",),
    breaks=("XC-SDE-002", "XC-SDE-003", "XC-SDE-004"),
)
@recipe(
    "without-static-data-end",
    "a version 3 PV stream without STATIC_DATA_END",
    tags=("static-data-end", "missing-record", "version"),
    args=("x86_64-pv",),
    breaks=("XC-SDE-002", "XC-SDE-003", "XC-SDE-004"),
)
def without_static_data_end(guest: str) -> LibxcStream:
    s = B.xc(guest, 3)
    B.remove(s.records, X.STATIC_DATA_END)
    return s


@recipe(
    "version-2-stream-labelled-3",
    "what Xen 4.11 writes (no STATIC_DATA_END, no CPU policy) with the image header "
    "version changed to 3",
    tags=("static-data-end", "missing-record", "version"),
    breaks=("XC-SDE-002", "XC-SDE-003", "XC-SDE-004"),
    profile=None,
)
def version_2_stream_labelled_3() -> LibxcStream:
    s = B.xc("hvm", 2, release=(4, 11))
    assert s.image_header is not None
    s.image_header.version = 3
    return s


@recipe(
    "static-data-end-twice",
    "two STATIC_DATA_END records, one after the other",
    tags=("static-data-end", "duplicate-record"),
    breaks=("XC-SDE-002",),
)
def static_data_end_twice() -> LibxcStream:
    s = B.xc("hvm", 3)
    B.insert_after(s.records, X.STATIC_DATA_END, Record(X.STATIC_DATA_END))
    return s


@recipe(
    "static-data-end-after-page-data",
    "STATIC_DATA_END comes after the first PAGE_DATA",
    tags=("static-data-end", "ordering"),
    args=("hvm", X.PAGE_DATA),
    breaks=("XC-SDE-003",),
)
@recipe(
    "static-data-end-after-p2m",
    "STATIC_DATA_END comes after X86_PV_P2M_FRAMES (and before PAGE_DATA)",
    tags=("static-data-end", "ordering", "p2m"),
    args=("x86_64-pv", X.X86_PV_P2M_FRAMES),
    breaks=("XC-SDE-003",),
)
def static_data_end_after(guest: str, after: int) -> LibxcStream:
    s = B.xc(guest, 3)
    B.move_after(s.records, X.STATIC_DATA_END, after)
    return s


@recipe(
    "tsc-before-static-data-end",
    "X86_TSC_INFO comes before STATIC_DATA_END (after the CPU policy)",
    tags=("static-data-end", "ordering", "tsc"),
    breaks=("XC-SDE-004",),
)
def tsc_before_static_data_end() -> LibxcStream:
    s = B.xc("hvm", 3)
    B.move_before(s.records, X.X86_TSC_INFO, X.STATIC_DATA_END)
    return s


@recipe(
    "static-data-end-in-version-2",
    "a version 2 stream with a STATIC_DATA_END before its first PAGE_DATA",
    tags=("static-data-end", "version"),
    breaks=("XC-SDE-005",),
    same_guest="a PV restorer infers STATIC_DATA_END at X86_PV_P2M_FRAMES, before where this "
    "one sits (xg_sr_restore.c:handle_page_data): in a PV stream it would be a second one",
)
def static_data_end_in_version_2() -> LibxcStream:
    s = B.xc("hvm", 2, release=(4, 13))
    B.insert_before(s.records, X.PAGE_DATA, Record(X.STATIC_DATA_END))
    return s


@recipe(
    "pv-info-after-static-data-end",
    "X86_PV_INFO comes after STATIC_DATA_END (but before X86_PV_P2M_FRAMES)",
    tags=("pv-info", "static-data-end", "ordering"),
    breaks=("XC-PVI-007",),
)
def pv_info_after_static_data_end() -> LibxcStream:
    s = B.xc("x86_64-pv", 3)
    B.move_after(s.records, X.X86_PV_INFO, X.STATIC_DATA_END)
    return s


# --- CPU policy -------------------------------------------------------------------------------


def _policy_body(rtype: int, body: bytes) -> LibxcStream:
    s = B.xc("hvm", 3)
    B.get(s.records, rtype).body = body
    return s


def _cpuid_bytes() -> bytes:
    return B.raw(B.get(B.xc("hvm", 3).records, X.X86_CPUID_POLICY))


def _msr_bytes() -> bytes:
    return B.raw(B.get(B.xc("hvm", 3).records, X.X86_MSR_POLICY))


@recipe(
    "cpuid-policy-23",
    "X86_CPUID_POLICY holds 23 octets: a leaf one octet short",
    tags=("cpu-policy", "off-by-one"),
    args=(X.X86_CPUID_POLICY, 23),
    breaks=("XC-POL-001",),
)
@recipe(
    "cpuid-policy-25",
    "X86_CPUID_POLICY holds 25 octets: one leaf and one octet",
    tags=("cpu-policy", "off-by-one"),
    args=(X.X86_CPUID_POLICY, 25),
    breaks=("XC-POL-001",),
)
@recipe(
    "cpuid-policy-empty",
    "X86_CPUID_POLICY with an empty body",
    tags=("cpu-policy",),
    args=(X.X86_CPUID_POLICY, 0),
    breaks=("XC-POL-001",),
)
@recipe(
    "msr-policy-8",
    "X86_MSR_POLICY holds 8 octets: half an entry",
    tags=("cpu-policy",),
    args=(X.X86_MSR_POLICY, 8),
    breaks=("XC-POL-002",),
)
@recipe(
    "msr-policy-24",
    "X86_MSR_POLICY holds 24 octets: one and a half entries",
    tags=("cpu-policy",),
    args=(X.X86_MSR_POLICY, 24),
    breaks=("XC-POL-002",),
)
@recipe(
    "msr-policy-empty",
    "X86_MSR_POLICY with an empty body",
    tags=("cpu-policy",),
    args=(X.X86_MSR_POLICY, 0),
    breaks=("XC-POL-002",),
)
def policy_length(rtype: int, n: int) -> LibxcStream:
    whole = _cpuid_bytes() if rtype == X.X86_CPUID_POLICY else _msr_bytes()
    return _policy_body(rtype, (whole + bytes(32))[:n])


@recipe(
    "cpuid-policy-after-static-data-end",
    "X86_CPUID_POLICY comes after STATIC_DATA_END, where Xen has already applied the policy",
    tags=("cpu-policy", "static-data-end", "ordering"),
    args=(X.X86_CPUID_POLICY,),
    breaks=("XC-POL-003",),
)
@recipe(
    "msr-policy-after-static-data-end",
    "X86_MSR_POLICY comes after STATIC_DATA_END",
    tags=("cpu-policy", "static-data-end", "ordering"),
    args=(X.X86_MSR_POLICY,),
    breaks=("XC-POL-003",),
)
def policy_after_sde(rtype: int) -> LibxcStream:
    s = B.xc("hvm", 3)
    B.move_after(s.records, rtype, X.STATIC_DATA_END)
    return s


@recipe(
    "cpu-policy-after-page-data-in-version-2",
    "a version 2 stream with CPU policy records after its first PAGE_DATA (past the "
    "inferred STATIC_DATA_END)",
    tags=("cpu-policy", "static-data-end", "ordering", "version"),
    breaks=("XC-POL-003", "XC-POL-005"),
)
def cpu_policy_after_page_data_v2() -> LibxcStream:
    s = B.xc("hvm", 2, release=(4, 13))
    v3 = B.xc("hvm", 3)
    pol = [B.get(v3.records, X.X86_CPUID_POLICY), B.get(v3.records, X.X86_MSR_POLICY)]
    B.insert_after(s.records, X.PAGE_DATA, *pol)
    return s


@recipe(
    "cpu-policy-in-version-2",
    "a version 2 stream with CPUID and MSR policy records before its first PAGE_DATA",
    tags=("cpu-policy", "version"),
    breaks=("XC-POL-005",),
    same_guest="a PV restorer infers STATIC_DATA_END at X86_PV_P2M_FRAMES, before these "
    "records (xg_sr_restore.c:handle_page_data): in a PV stream they would break XC-POL-003",
)
def cpu_policy_in_version_2() -> LibxcStream:
    s = B.xc("hvm", 2, release=(4, 13))
    v3 = B.xc("hvm", 3)
    pol = [B.get(v3.records, X.X86_CPUID_POLICY), B.get(v3.records, X.X86_MSR_POLICY)]
    B.insert_before(s.records, X.PAGE_DATA, *pol)
    return s


@recipe(
    "cpuid-policy-twice",
    "two X86_CPUID_POLICY records before STATIC_DATA_END (the second replaces the first)",
    tags=("cpu-policy", "duplicate-record"),
    breaks=("XC-POL-004",),
)
def cpuid_policy_twice() -> LibxcStream:
    s = B.xc("hvm", 3)
    cpuid = B.body(s.records, X.X86_CPUID_POLICY)
    assert isinstance(cpuid, CpuidPolicy)
    B.insert_after(s.records, X.X86_CPUID_POLICY, Record(X.X86_CPUID_POLICY, cpuid))
    return s


@recipe(
    "msr-policy-flags-nonzero",
    "an X86_MSR_POLICY entry has flags 1 (the hypervisor refuses non-zero flags)",
    tags=("cpu-policy",),
    breaks=("XC-POL-006",),
)
def msr_policy_flags_nonzero() -> LibxcStream:
    s = B.xc("hvm", 3)
    msr = B.body(s.records, X.X86_MSR_POLICY)
    assert isinstance(msr, MsrPolicy)
    idx, _, val = msr.entries[1]
    msr.entries[1] = (idx, 1, val)
    return s


# --- records of the wrong guest ---------------------------------------------------------------


def _pv_record(rtype: int) -> Record:
    pv = B.xc("x86_64-pv", 3)
    return B.get(pv.records, rtype)


@recipe(
    "pv-info-in-hvm",
    "an HVM stream with an X86_PV_INFO record (before the CPU policy)",
    tags=("wrong-guest", "pv-info"),
    args=(X.X86_PV_INFO, X.X86_CPUID_POLICY),
    breaks=("XC-GUEST-001",),
)
@recipe(
    "p2m-frames-in-hvm",
    "an HVM stream with an X86_PV_P2M_FRAMES record (before PAGE_DATA)",
    tags=("wrong-guest", "p2m"),
    args=(X.X86_PV_P2M_FRAMES, X.PAGE_DATA),
    breaks=("XC-GUEST-001",),
)
@recipe(
    "shared-info-in-hvm",
    "an HVM stream with a SHARED_INFO record (before HVM_CONTEXT)",
    tags=("wrong-guest", "shared-info"),
    args=(X.SHARED_INFO, X.HVM_CONTEXT),
    breaks=("XC-GUEST-001",),
)
@recipe(
    "vcpu-basic-in-hvm",
    "an HVM stream with an X86_PV_VCPU_BASIC record (before HVM_CONTEXT)",
    tags=("wrong-guest", "vcpu"),
    args=(X.X86_PV_VCPU_BASIC, X.HVM_CONTEXT),
    breaks=("XC-GUEST-001",),
)
@recipe(
    "vcpu-msrs-in-hvm",
    "an HVM stream with an X86_PV_VCPU_MSRS record (before END)",
    tags=("wrong-guest", "vcpu"),
    args=(X.X86_PV_VCPU_MSRS, X.END),
    breaks=("XC-GUEST-001",),
)
def pv_record_in_hvm(rtype: int, before: int) -> LibxcStream:
    s = B.xc("hvm", 3)
    B.insert_before(s.records, before, _pv_record(rtype))
    return s


@recipe(
    "hvm-context-in-pv",
    "a 64-bit PV stream with an HVM_CONTEXT record (before END)",
    tags=("wrong-guest", "hvm-context"),
    args=(X.HVM_CONTEXT,),
    breaks=("XC-GUEST-002",),
)
@recipe(
    "hvm-params-in-pv",
    "a 64-bit PV stream with an HVM_PARAMS record (before END)",
    tags=("wrong-guest", "hvm-params"),
    args=(X.HVM_PARAMS,),
    breaks=("XC-GUEST-002",),
)
def hvm_record_in_pv(rtype: int) -> LibxcStream:
    s = B.xc("x86_64-pv", 3)
    hvm = B.xc("hvm", 3)
    B.insert_before(s.records, X.END, B.get(hvm.records, rtype))
    return s


# --- order of a PV stream ---------------------------------------------------------------------


@recipe(
    "p2m-before-pv-info",
    "X86_PV_P2M_FRAMES comes before X86_PV_INFO (version 2)",
    tags=("ordering", "p2m", "pv-info"),
    breaks=("XC-ORD-001",),
    same_version="in a v3 stream the move also puts X86_PV_P2M_FRAMES before "
    "STATIC_DATA_END, breaking XC-SDE-003 as well",
)
def p2m_before_pv_info() -> LibxcStream:
    s = B.xc("x86_64-pv", 2, release=(4, 13))
    B.move_before(s.records, X.X86_PV_P2M_FRAMES, X.X86_PV_INFO)
    return s


@recipe(
    "pv-info-after-p2m",
    "X86_PV_INFO comes after X86_PV_P2M_FRAMES, both after STATIC_DATA_END (version 3)",
    tags=("ordering", "p2m", "pv-info"),
    breaks=("XC-ORD-001", "XC-PVI-007"),
    since="2.1.0",
)
def pv_info_after_p2m() -> LibxcStream:
    """XC-ORD-001 in a version 3 stream. X86_PV_P2M_FRAMES must follow STATIC_DATA_END
    (XC-SDE-003, a MUST), so only X86_PV_INFO can move past it, which leaves the static
    part it belongs in: XC-PVI-007 is a SHOULD, so XC-ORD-001 alone makes the case
    ``n_``. Xen refuses it: handle_x86_pv_p2m_frames (xg_sr_restore_x86_pv.c) wants
    X86_PV_INFO seen first, and handle_static_data_end does not."""
    s = B.xc("x86_64-pv", 3)
    B.move_after(s.records, X.X86_PV_INFO, X.X86_PV_P2M_FRAMES)
    return s


@recipe(
    "page-data-before-p2m",
    "the first PAGE_DATA comes before X86_PV_P2M_FRAMES (version 2)",
    tags=("ordering", "p2m", "page-data"),
    breaks=("XC-ORD-002",),
)
def page_data_before_p2m() -> LibxcStream:
    s = B.xc("x86_64-pv", 2, release=(4, 13))
    B.move_after(s.records, X.X86_PV_P2M_FRAMES, X.PAGE_DATA)
    return s


@recipe(
    "vcpu-before-page-data",
    "X86_PV_VCPU_BASIC comes before the first PAGE_DATA",
    tags=("ordering", "vcpu", "page-data"),
    breaks=("XC-ORD-003", "XC-ORD-005"),
)
def vcpu_before_page_data() -> LibxcStream:
    s = B.xc("x86_64-pv", 3)
    B.move_before(s.records, X.X86_PV_VCPU_BASIC, X.PAGE_DATA)
    return s


@recipe(
    "shared-info-before-pv-info",
    "SHARED_INFO comes first, before X86_PV_INFO (version 2)",
    tags=("ordering", "shared-info", "pv-info"),
    breaks=("XC-ORD-004",),
)
def shared_info_before_pv_info() -> LibxcStream:
    s = B.xc("x86_64-pv", 2, release=(4, 13))
    B.move_before(s.records, X.SHARED_INFO, X.X86_PV_INFO)
    return s


@recipe(
    "page-data-after-vcpu",
    "a PAGE_DATA record after the vCPU records, in the same (only) checkpoint section",
    tags=("ordering", "vcpu", "page-data"),
    breaks=("XC-ORD-005",),
)
def page_data_after_vcpu() -> LibxcStream:
    s = B.xc("x86_64-pv", 3)
    late = B.get(s.records, X.PAGE_DATA)
    B.insert_before(s.records, X.END, late)
    return s


@recipe(
    "hvm-params-before-context",
    "HVM_PARAMS before HVM_CONTEXT: the order the Xen text asks for (Xen's saver writes the other)",
    tags=("ordering", "hvm-params", "hvm-context"),
    exercises=("XC-ORD-006",),
)
def hvm_params_before_context() -> LibxcStream:
    s = B.xc("hvm", 3)
    B.move_before(s.records, X.HVM_PARAMS, X.HVM_CONTEXT)
    return s
