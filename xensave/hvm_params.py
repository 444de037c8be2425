"""What Xen's restore path refuses in an HVM_PARAMS record's entries.

libxc's restorer (``handle_hvm_params`` in tools/libs/guest/xg_sr_restore_x86_hvm.c)
hands every entry to ``xc_hvm_param_set``, and the hypervisor's ``hvmop_set_param``
(with ``hvm_allow_set_param`` and ``hvm_set_param``, xen/arch/x86/hvm/hvm.c) refuses
an index it does not have, a deprecated one, or a value it cannot take. Those checks
depend on the stream and the Xen release, never on the host; this module names them.
Rules: ``spec/libxc-stream.md`` (XC-HVMP-006 and later).

:func:`check` takes the record's body as it is in the stream (its byte order given)
and returns problems with offsets relative to the body. It never raises on bad input.
"""

from __future__ import annotations

import struct

from ._slots import Struct
from .constants import HvmParam

__all__ = [
    "HVM_NR_PARAMS",
    "ONCE_ONLY",
    "Param",
    "Problem",
    "check",
    "nr_params",
    "set_once",
]

#: HVM_NR_PARAMS of current Xen (39 since 4.10): hvmop_set_param refuses any index at
#: or above it.
HVM_NR_PARAMS = 39


#: The HVM_PARAM_* indices (xen/include/public/hvm/params.h): one table for the whole
#: package, here under the name the checks use.
Param = HvmParam


#: (HVM_NR_PARAMS, first release with it), read in xen/include/public/hvm/params.h at
#: each release tag: 36 in 4.6, 37 from 4.7 (X87_FIP_WIDTH), 38 from 4.9
#: (VM86_TSS_SIZED), 39 from 4.10 (MCA_CAP). hvmop_set_param (xen/arch/x86/hvm/hvm.c)
#: answers -EINVAL for an index at or above it.
_NR_SINCE = ((39, (4, 10)), (38, (4, 9)), (37, (4, 7)), (36, (4, 6)))


def nr_params(release: tuple[int, int]) -> int:
    """HVM_NR_PARAMS of Xen ``release`` (4.6 or later)."""
    return next((n for n, since in _NR_SINCE if release >= since), 36)


#: Deprecated indices every release since 4.6 refuses (-EOPNOTSUPP or -EINVAL).
_ALWAYS_REFUSED = {
    p: p.name
    for p in (
        Param.MEMORY_EVENT_CR0,
        Param.MEMORY_EVENT_CR3,
        Param.MEMORY_EVENT_CR4,
        Param.MEMORY_EVENT_INT3,
        Param.MEMORY_EVENT_SINGLE_STEP,
        Param.MEMORY_EVENT_MSR,
        Param.BUFIOREQ_EVTCHN,
    )
}

#: Indices later releases no longer set, with the rule that says so and what they do
#: instead: refuse to set (hvm_set_param), or, for PAE_ENABLED, drop it before setting
#: anything (handle_hvm_params, from 4.14), so the image still restores.
_REFUSED_LATER = {
    Param.PAE_ENABLED: ("XC-HVMP-011", "PAE_ENABLED", "4.14", "discard unset"),
    Param.NESTEDHVM: ("XC-HVMP-012", "NESTEDHVM", "4.15", "refuse to set"),
    Param.DM_DOMAIN: ("XC-HVMP-013", "DM_DOMAIN", "4.12", "refuse to set"),
    Param.ALTP2M: ("XC-HVMP-014", "ALTP2M", "4.19", "refuse to set"),
}

#: Parameters hvm_allow_set_param lets change only while they are zero (-EEXIST), by
#: the releases that do so: (first, last or None). From 4.19 ALTP2M is refused outright
#: (XC-HVMP-014); IOREQ_PFN and BUFIOREQ_PFN joined the list in 4.12, MCA_CAP with its
#: parameter in 4.10.
_SET_ONCE: dict[int, tuple[tuple[int, int], tuple[int, int] | None]] = {
    Param.VIRIDIAN: ((4, 6), None),
    Param.IOREQ_SERVER_PFN: ((4, 6), None),
    Param.NR_IOREQ_SERVER_PAGES: ((4, 6), None),
    Param.ALTP2M: ((4, 6), (4, 18)),
    Param.MCA_CAP: ((4, 10), None),
    Param.IOREQ_PFN: ((4, 12), None),
    Param.BUFIOREQ_PFN: ((4, 12), None),
}


def set_once(release: tuple[int, int]) -> frozenset[int]:
    """The parameters Xen ``release`` lets change only while zero."""
    return frozenset(
        i for i, (lo, hi) in _SET_ONCE.items() if lo <= release and (hi is None or release <= hi)
    )


#: The parameters every release from 4.6 sets once only: what XC-HVMP-010 names.
#: Others are set once by some releases only, judged per release by ``--target-xen``.
ONCE_ONLY = frozenset(i for i, (lo, hi) in _SET_ONCE.items() if lo == (4, 6) and hi is None)
#: sizeof(struct tss32): hvm_set_param refuses a smaller VM86_TSS_SIZED size (bits 32-63).
TSS32_SIZE = 104

#: HVMPV_feature_mask of current Xen: bits 0-12 (base_freq .. cpu_hotplug).
VIRIDIAN_MASK = 0x1FFF
#: SHUTDOWN_MAX (xen/include/public/sched.h) since 4.7; 4.6 had 4.
SHUTDOWN_MAX = 5


class Problem(Struct, frozen=True):
    """A broken rule; ``offset`` is relative to the start of the record's body. (Not a
    dataclass: ``dataclasses`` and the ``inspect`` it imports would double the start-up
    of a verify that reaches an HVM_PARAMS record.)"""

    rule: str
    offset: int
    message: str


#: The largest ALTP2M value hvm_set_param takes, by first release: 1 (XEN_ALTP2M_mixed)
#: in 4.6 to 4.8, XEN_ALTP2M_limited (3) from 4.9 (xen/arch/x86/hvm/hvm.c; from 4.19 the
#: index itself is refused, XC-HVMP-014).
_ALTP2M_MAX = (((4, 9), 3), ((4, 6), 1))


def altp2m_max(release: tuple[int, int] | None) -> int:
    """The largest ALTP2M value Xen ``release`` sets (None: what every release refuses
    above)."""
    if release is None:
        return _ALTP2M_MAX[0][1]
    return next((m for since, m in _ALTP2M_MAX if release >= since), _ALTP2M_MAX[-1][1])


def _value_problem(index: int, value: int, release: tuple[int, int] | None = None) -> str | None:
    """Why hvm_set_param refuses ``value`` for ``index`` (on every release, or on
    ``release``), or None."""
    if index == Param.TIMER_MODE and value > 3:
        return f"TIMER_MODE {value:#x} is not 0-3 (HVMPTM_*)"
    if index == Param.ACPI_S_STATE and value not in (0, 3):
        return f"ACPI_S_STATE {value:#x} is neither 0 (S0) nor 3 (S3)"
    if index == Param.TRIPLE_FAULT_REASON and value > SHUTDOWN_MAX:
        return f"TRIPLE_FAULT_REASON {value:#x} is above SHUTDOWN_MAX ({SHUTDOWN_MAX})"
    if index == Param.NR_IOREQ_SERVER_PAGES and not 1 <= value <= 64:
        return f"NR_IOREQ_SERVER_PAGES {value:#x} is not 1-64"
    if index == Param.X87_FIP_WIDTH and value not in (0, 4, 8):
        return f"X87_FIP_WIDTH {value:#x} is not 0, 4 or 8"
    if index == Param.VM86_TSS_SIZED and value >> 32 < TSS32_SIZE:
        return f"VM86_TSS_SIZED size {value >> 32} (bits 32-63) is below a 32-bit TSS (104)"
    if index == Param.ALTP2M and value > altp2m_max(release):
        return f"ALTP2M {value:#x} is above {altp2m_max(release)} (XEN_ALTP2M_*)"
    return None


def check(body: bytes, endian: str = "<", release: tuple[int, int] | None = None) -> list[Problem]:
    """The problems of the entries of one HVM_PARAMS body (``endian`` "<" or ">").

    The framing (count, reserved, length) is the caller's (XC-HVMP-001 to -003);
    this reads the entries the body holds, however many the count claims. With a
    ``release``, the entries as that release's restore path sees them: the index cut
    to 32 bits (``xc_hvm_param_set`` takes a uint32_t index) and the release's
    HVM_NR_PARAMS and set-once list (what ``--target-xen`` judges).
    """
    out: list[Problem] = []
    first: dict[int, tuple[int, int]] = {}  # once-only index -> (value, entry number)
    once = ONCE_ONLY if release is None else set_once(release)
    limit = HVM_NR_PARAMS if release is None else nr_params(release)
    xen = "" if release is None else f"Xen {release[0]}.{release[1]}'s "
    n = max(0, (len(body) - 8) // 16)
    for k, (index, value) in enumerate(struct.iter_unpack(endian + "QQ", body[8 : 8 + 16 * n])):
        at = 8 + 16 * k
        where = f"param[{k}]"
        if release is not None and index >> 32:
            where += f" (index {index:#x} cut to 32 bits by xc_hvm_param_set)"
            index &= 0xFFFFFFFF
        if index >= limit:
            out.append(
                Problem(
                    "XC-HVMP-006",
                    at,
                    f"{where}: index {index:#x} is not below {xen}HVM_NR_PARAMS ({limit})",
                )
            )
            continue
        if index in _ALWAYS_REFUSED:
            out.append(
                Problem(
                    "XC-HVMP-007",
                    at,
                    f"{where}: index {index} (HVM_PARAM_{_ALWAYS_REFUSED[index]}) is deprecated",
                )
            )
            continue
        if index in _REFUSED_LATER:
            rule, name, since, how = _REFUSED_LATER[index]
            out.append(
                Problem(
                    rule,
                    at,
                    f"{where}: index {index} (HVM_PARAM_{name}), which Xen {since} and later {how}",
                )
            )
        why = _value_problem(index, value, release)
        if why is not None:
            out.append(Problem("XC-HVMP-008", at + 8, f"{where}: {why}"))
        if index == Param.VIRIDIAN and (value & ~VIRIDIAN_MASK or not value & 1):
            out.append(
                Problem(
                    "XC-HVMP-009",
                    at + 8,
                    f"{where}: VIRIDIAN {value:#x} needs bit 0 (base_freq) and no bit above "
                    "12 (HVMPV_feature_mask)",
                )
            )
        if index in once:
            if index in first and first[index][0] and value != first[index][0]:
                out.append(
                    Problem(
                        "XC-HVMP-010",
                        at + 8,
                        f"{where}: index {index} again with value {value:#x}, after "
                        f"{first[index][0]:#x} in param[{first[index][1]}] (set once only)",
                    )
                )
            elif index not in first or not first[index][0]:
                first[index] = (value, k)
    return out
