"""Checkpointed streams (Remus and COLO): libxc sections separated by CHECKPOINT,
libxl CHECKPOINT_END, COLO's CHECKPOINT_STATE, and what must not appear in them
(``XC-CKPT``, ``XC-DIRTY``, ``XC-VER-003``, ``XL-CKE``, ``XL-CKS``, ``XL-NEST-003`` to
``-005``).

Xen's saver never closes a checkpointed stream with END: the stream stops after a
complete checkpoint (XC-CKPT-003). The ``closed-with-end`` cases show the ending the
Xen text also allows.

A PV guest's checkpoint carries no emulator records: libxl follows the libxc CHECKPOINT
with CHECKPOINT_END alone (``emulator_xenstore_record_done`` in
tools/libs/light/libxl_stream_write.c writes the emulator records for HVM only, from
4.6), and each later libxc section is the dirty pages, then TSC_INFO, SHARED_INFO and the
vCPU records (``x86_pv_end_of_checkpoint``, xg_sr_save_x86_pv.c). Xen's saver sets up
COLO for HVM guests only (``libxl__colo_save_setup``, libxl_colo_save.c, 4.7 to 4.17),
but the secondary does not look at the guest type (``libxl__colo_restore_setup``,
libxl_colo_restore.c) and ``process_record`` (libxl_stream_read.c) reads
CHECKPOINT_STATE whatever the guest, so the record rules hold, and are shown, in PV
streams too. The PV cases are homed in the x86_32 PV v2 cell and replayed in the
other PV cells (:data:`PV_REPLAYS`).
"""

from __future__ import annotations

from xensave import samples
from xensave.bodies import CheckpointState, PageData, PfnList, TscInfo
from xensave.constants import PAGE_DATA_PFN_MASK, CheckpointControl, PageType, TscMode
from xensave.model import LibxcStream, LibxlHeader, LibxlStream, Record, XlFile

from . import bases as B
from .bases import L, X
from .framework import Built, recipe

# --- building blocks --------------------------------------------------------------------------


def first_section(guest: str, version: int = 3) -> tuple[LibxcStream, list[Record]]:
    """The headers and the first checkpoint's records (everything but END), of a small
    guest with one vCPU."""
    s = B.xc(guest, version)
    return LibxcStream(s.image_header, s.domain_header, []), s.records[:-1]


def later_section(guest: str, n: int, version: int = 3) -> list[Record]:
    """Checkpoint ``n`` (2, 3, ...): the pages dirtied since the last one, then the vCPU
    and platform state again."""
    fill = bytes([0x40 + n]) * 8
    tsc = Record(X.X86_TSC_INFO, TscInfo(TscMode.DEFAULT, 2_400_000, 987_654_321 + n * 10**8))
    if guest == "hvm":
        pages = PageData.of([(0, PageType.NOTAB), (0xFEFFC, PageType.NOTAB)], fill=fill)
        return [
            Record(X.PAGE_DATA, pages),
            tsc,
            Record(X.HVM_CONTEXT, samples.hvm_context_blob(1)),
            B.get(B.xc("hvm", version).records, X.HVM_PARAMS),
        ]
    width = 4 if guest == "x86_32-pv" else 8
    # pfn 5 is also the start-info page: its words (store_mfn, console.domU.mfn among
    # them) must stay pfns the guest has (process_start_info, PV-SIF-002)
    pages = PageData.of([(5, PageType.NOTAB)], fill=bytes([n]) + bytes(7))
    shared = B.get(B.xc(guest, version).records, X.SHARED_INFO)
    vcpu = samples.pv_vcpu_records(width, 0, xsave=False)  # as the small base (bases.small)
    return [Record(X.PAGE_DATA, pages), tsc, shared, *vcpu]


def bare(guest: str, checkpoints: int = 3, version: int = 3) -> LibxcStream:
    """A bare checkpointed libxc stream: ``checkpoints`` sections, each ending with
    CHECKPOINT, and no END."""
    s, recs = first_section(guest, version)
    s.records = [*recs, Record(X.CHECKPOINT)]
    for n in range(2, checkpoints + 1):
        s.records += [*later_section(guest, n, version), Record(X.CHECKPOINT)]
    return s


def few(guest: str, hvm: int) -> int:
    """How many checkpoints a broken stream has: ``hvm`` for an HVM guest (what its
    recipe always built), one for a PV guest, whose faults all sit in or right after the
    first checkpoint (a PV later section is 12-15 KiB: the size budget)."""
    return hvm if guest == "hvm" else 1


def carried(
    guest: str,
    checkpoints: int = 2,
    colo: bool = False,
    end: bool = False,
    version: int = 3,
) -> LibxlStream:
    """A checkpointed libxl stream: the libxc stream stops at each CHECKPOINT, libxl sends
    the emulator records (HVM) and CHECKPOINT_END, in COLO a CHECKPOINT_STATE (NEW), and
    the libxc stream resumes headerless. ``end``: after the last checkpoint the libxc
    stream sends one more section closed by END, and libxl its END."""
    head, recs = first_section(guest, version)
    head.records = [*recs, Record(X.CHECKPOINT)]
    items: list[Record | LibxcStream] = [Record(L.LIBXC_CONTEXT), head]

    def libxl_part() -> None:
        items.extend(samples.emulator_records(guest))
        items.append(Record(L.CHECKPOINT_END))
        if colo:
            items.append(Record(L.CHECKPOINT_STATE, CheckpointState(CheckpointControl.NEW)))

    libxl_part()
    for n in range(2, checkpoints + 1):
        section = [*later_section(guest, n, version), Record(X.CHECKPOINT)]
        items.append(LibxcStream(None, None, section))
        libxl_part()
    if end:
        n = checkpoints + 1
        items.append(LibxcStream(None, None, [*later_section(guest, n, version), Record(X.END)]))
        items.extend(samples.emulator_records(guest))
        items.append(Record(L.END))
    return LibxlStream(LibxlHeader(), items)


def _xl_records(s: LibxlStream) -> list[tuple[int, Record]]:
    return [(k, i) for k, i in enumerate(s.items) if isinstance(i, Record)]


def _find(s: LibxlStream, rtype: int, nth: int = 0) -> int:
    return [k for k, i in _xl_records(s) if i.type == rtype][nth]


CKPT_RULES = ("XC-CKPT-001", "XC-CKPT-003")
CARRIED_RULES = (*CKPT_RULES, "XL-NEST-003", "XL-NEST-004", "XL-CKE-001", "XC-DIRTY-001")

# --- valid checkpointed streams -----------------------------------------------------------------


@recipe(
    "remus-three-checkpoints",
    "a bare checkpointed libxc stream: three checkpoints (all memory, then dirty pages, "
    "each with the vCPU and platform state) separated by CHECKPOINT, no END",
    tags=("checkpointed",),
    args=("hvm",),
    exercises=CKPT_RULES,
)
@recipe(
    "remus-three-checkpoints",
    "a 64-bit PV guest's bare checkpointed libxc stream: three checkpoints separated by "
    "CHECKPOINT, no END; the later ones resend the start-info page (pfn 5) with its "
    "XenStore and console frames still in range",
    tags=("checkpointed",),
    args=("x86_64-pv",),
    exercises=(*CKPT_RULES, "XC-ORD-005", "PV-SIF-002"),
)
def remus_bare(guest: str) -> LibxcStream:
    return bare(guest)


@recipe(
    "remus",
    "a Remus stream: two checkpoints, each closed by libxc CHECKPOINT and, after the "
    "emulator records, libxl CHECKPOINT_END; it stops after the last one",
    tags=("checkpointed", "emulator", "nesting"),
    args=("hvm", False, False),
    exercises=CARRIED_RULES,
)
@recipe(
    "remus",
    "a 64-bit PV guest's Remus stream: two checkpoints, each CHECKPOINT answered by "
    "CHECKPOINT_END (no emulator), stopping after the last",
    tags=("checkpointed", "nesting"),
    args=("x86_64-pv", False, False),
    exercises=CARRIED_RULES,
)
@recipe(
    "remus-closed-with-end",
    "a Remus stream whose libxc stream ends with END after a third section, followed by "
    "the emulator records and the libxl END",
    tags=("checkpointed", "emulator", "nesting", "end-record"),
    args=("hvm", False, True),
    exercises=(*CARRIED_RULES, "XL-NEST-005", "XC-END-002", "XL-END-002"),
)
@recipe(
    "colo",
    "a COLO stream: after each CHECKPOINT_END the primary's CHECKPOINT_STATE (NEW, 4-octet "
    "body), then the next checkpoint's libxc records",
    tags=("checkpointed", "colo", "emulator", "nesting"),
    args=("hvm", True, False),
    exercises=(
        *CARRIED_RULES,
        "XL-CKS-001",
        "XL-CKS-003",
        "XL-CKS-004",
        "XL-CKS-005",
        "XL-CKS-006",
        "XC-DIRTY-002",
    ),
)
def remus(guest: str, colo: bool, end: bool) -> LibxlStream:
    return carried(guest, colo=colo, end=end)


@recipe(
    "remus",
    "what xl remus sends for a 32-bit PV guest: the xl header and configuration, then a "
    "checkpointed libxl stream of two checkpoints",
    tags=("checkpointed", "nesting"),
    exercises=CARRIED_RULES,
)
def remus_xl() -> XlFile:
    return XlFile(carried("x86_32-pv"), config=samples.domain_config("x86_32-pv"))


# --- invalid and implementation-defined ones ---------------------------------------------------

#: The PV home of every breaking recipe below: the smallest PV stream (x86_32, version 2).
PV_HOME = ("x86_32-pv", 2)
#: The other PV cells the PV homes are replayed in: all of them, since the small PV bases
#: (corpus 2.1.0) made a PV checkpointed stream about 20-25 KiB.
PV_REPLAYS: tuple[tuple[str, int], ...] = (("x86_64-pv", 2), ("x86_32-pv", 3), ("x86_64-pv", 3))
_PV_WHY = (
    "a PV recipe is replayed in the other PV cells only: its HVM counterpart has the HVM "
    "cells (generators/corpus/checkpoint.py, PV_REPLAYS)"
)
#: The HVM homes keep their one replay (HVM v2): their PV placement is the PV home's.
_HVM_ONLY = (("hvm", 2),)
_HVM_WHY = (
    "a PV stream has no emulator records and its checkpoints cost more: the PV cells have "
    "this recipe's own PV home (x86_32 PV v2) and its replays"
)
_V = "2.1.0"  # the corpus version that added the PV homes
_PLAIN_WHY = (
    "the checkpointed dirty-pfn-list recipes and their replays cover every cell; this one "
    "gives the plain-stream placement a XAPI image carries"
)


@recipe(
    "checkpoint-with-body",
    "a CHECKPOINT record with an 8-octet body in a bare checkpointed stream",
    tags=("checkpointed",),
    args=("hvm", 3),
    breaks=("XC-CKPT-001",),
    replay_in=_HVM_ONLY,
    replay_in_why=_HVM_WHY,
)
@recipe(
    "pv-checkpoint-with-body",
    "a PV guest's one-checkpoint bare stream whose CHECKPOINT has an 8-octet body",
    tags=("checkpointed",),
    args=PV_HOME,
    breaks=("XC-CKPT-001",),
    since=_V,
    replay_in=PV_REPLAYS,
    replay_in_why=_PV_WHY,
)
def checkpoint_with_body(guest: str, version: int) -> LibxcStream:
    s = bare(guest, few(guest, 3), version)
    s.records[B.index(s.records, X.CHECKPOINT)] = Record(X.CHECKPOINT, bytes(8))
    return s


@recipe(
    "stops-inside-checkpoint",
    "a bare checkpointed stream that stops after the second checkpoint's pages and state, "
    "before its CHECKPOINT",
    tags=("checkpointed", "truncated", "missing-record"),
    breaks=("XC-END-002",),
)
def stops_inside_checkpoint() -> LibxcStream:
    s = bare("hvm", 2)
    s.records.pop()
    return s


@recipe(
    "dirty-pfn-list",
    "CHECKPOINT_DIRTY_PFN_LIST (a back-channel record) at the start of the second "
    "checkpoint of a forward stream",
    tags=("checkpointed", "dirty-pfn-list", "colo"),
    args=("hvm", 3, None),
    breaks=("XC-DIRTY-001",),
    replay_in=_HVM_ONLY,
    replay_in_why=_HVM_WHY,
)
@recipe(
    "dirty-pfn-list-length-12",
    "a 12-octet CHECKPOINT_DIRTY_PFN_LIST in a forward stream",
    tags=("checkpointed", "dirty-pfn-list", "colo"),
    args=("hvm", 3, 12),
    breaks=("XC-DIRTY-001", "XC-DIRTY-002"),
    replay_in=_HVM_ONLY,
    replay_in_why=_HVM_WHY,
)
@recipe(
    "pv-dirty-pfn-list-length-12",
    "a 12-octet CHECKPOINT_DIRTY_PFN_LIST just before the CHECKPOINT of a PV guest's "
    "one-checkpoint forward stream",
    tags=("checkpointed", "dirty-pfn-list", "colo"),
    args=(*PV_HOME, 12),
    breaks=("XC-DIRTY-001", "XC-DIRTY-002"),
    since=_V,
    replay_in=PV_REPLAYS,
    replay_in_why=_PV_WHY,
)
def dirty_pfn_list(guest: str, version: int, length: int | None) -> LibxcStream:
    """HVM: after the first CHECKPOINT, in a stream of two. PV: before the CHECKPOINT of a
    stream of one (a second PV checkpoint costs 12-15 KiB), naming the pages sent. A PV
    stream has only the 12-octet list (XC-DIRTY-001 and -002 at once): the size budget."""
    s = bare(guest, few(guest, 2), version)
    if guest == "hvm":
        pfns = PfnList([0, 0xFEFFC])
        at = B.index(s.records, X.CHECKPOINT) + 1
    else:
        pages = B.body(s.records, X.PAGE_DATA)
        assert isinstance(pages, PageData)
        pfns = PfnList([e & PAGE_DATA_PFN_MASK for e in pages.entries])
        at = B.index(s.records, X.CHECKPOINT)
    body: PfnList | bytes = pfns if length is None else pfns.encode("<")[:length]
    s.records.insert(at, Record(X.CHECKPOINT_DIRTY_PFN_LIST, body))
    return s


@recipe(
    "dirty-pfn-list-plain",
    "CHECKPOINT_DIRTY_PFN_LIST (a back-channel record) before the END of a stream that "
    "is not checkpointed",
    tags=("dirty-pfn-list",),
    args=("hvm", 3, None),
    breaks=("XC-DIRTY-001",),
    since=_V,
    only_here=_PLAIN_WHY,
)
@recipe(
    "dirty-pfn-list-plain-length-12",
    "a 12-octet CHECKPOINT_DIRTY_PFN_LIST before the END of a stream that is not checkpointed",
    tags=("dirty-pfn-list",),
    args=("hvm", 3, 12),
    breaks=("XC-DIRTY-001", "XC-DIRTY-002"),
    since=_V,
    only_here=_PLAIN_WHY,
)
def dirty_pfn_list_plain(guest: str, version: int, length: int | None) -> LibxcStream:
    """The back-channel record in a plain stream: the placement a wrapper whose restorer
    takes only plain streams (a XAPI image: xenopsd) can carry, since the checkpointed
    recipes' streams stop after their last checkpoint, with no END."""
    s = B.xc(guest, version)
    pfns = PfnList([0, 0xFEFFC])
    body: PfnList | bytes = pfns if length is None else pfns.encode("<")[:length]
    B.insert_before(s.records, X.END, Record(X.CHECKPOINT_DIRTY_PFN_LIST, body))
    return s


@recipe(
    "verify-in-checkpointed-stream",
    "a VERIFY phase (VERIFY and the pages again) inside the first checkpoint of a "
    "checkpointed stream",
    tags=("checkpointed", "verify"),
    breaks=("XC-VER-003",),
)
def verify_in_checkpointed_stream() -> LibxcStream:
    s = bare("hvm", 2)
    pages = B.get(s.records, X.PAGE_DATA)
    B.insert_before(s.records, X.X86_TSC_INFO, Record(X.VERIFY), pages)
    return s


@recipe(
    "checkpoint-end-with-body",
    "CHECKPOINT_END has an 8-octet body",
    tags=("checkpointed",),
    args=("hvm", 3),
    breaks=("XL-CKE-001",),
    replay_in=_HVM_ONLY,
    replay_in_why=_HVM_WHY,
)
@recipe(
    "pv-checkpoint-end-with-body",
    "a PV guest's Remus stream of one checkpoint whose CHECKPOINT_END has an 8-octet body",
    tags=("checkpointed",),
    args=PV_HOME,
    breaks=("XL-CKE-001",),
    since=_V,
    replay_in=PV_REPLAYS,
    replay_in_why=_PV_WHY,
)
def checkpoint_end_with_body(guest: str, version: int) -> LibxlStream:
    s = carried(guest, few(guest, 2), version=version)
    s.items[_find(s, L.CHECKPOINT_END)] = Record(L.CHECKPOINT_END, bytes(8))
    return s


def _colo_state(guest: str, version: int, body: CheckpointState | bytes) -> LibxlStream:
    s = carried(guest, few(guest, 2), colo=True, version=version)
    s.items[_find(s, L.CHECKPOINT_STATE)] = Record(L.CHECKPOINT_STATE, body)
    return s


@recipe(
    "checkpoint-state-empty",
    "COLO's CHECKPOINT_STATE after the first CHECKPOINT_END has an empty body (no control_id)",
    tags=("checkpointed", "colo"),
    args=("hvm", 3, b""),
    breaks=("XL-CKS-001",),
    replay_in=_HVM_ONLY,
    replay_in_why=_HVM_WHY,
)
@recipe(
    "checkpoint-state-control-7",
    "COLO's CHECKPOINT_STATE carries control_id 7, which is not defined",
    tags=("checkpointed", "colo"),
    args=("hvm", 3, CheckpointState(7)),
    breaks=("XL-CKS-003",),
    replay_in=_HVM_ONLY,
    replay_in_why=_HVM_WHY,
)
@recipe(
    "checkpoint-state-svm-ready",
    "the forward stream carries CHECKPOINT_STATE SVM_READY (2), a back-channel message",
    tags=("checkpointed", "colo"),
    args=("hvm", 3, CheckpointState(CheckpointControl.SVM_READY)),
    breaks=("XL-CKS-004",),
    replay_in=_HVM_ONLY,
    replay_in_why=_HVM_WHY,
)
@recipe(
    "checkpoint-state-body-8",
    "COLO's CHECKPOINT_STATE has an 8-octet body: control_id NEW and four zero octets",
    tags=("checkpointed", "colo"),
    args=("hvm", 3, bytes(8)),
    breaks=("XL-CKS-002",),
    replay_in=_HVM_ONLY,
    replay_in_why=_HVM_WHY,
)
@recipe(
    "checkpoint-state-trailing-nonzero",
    "COLO's CHECKPOINT_STATE has an 8-octet body whose last four octets are not zero",
    tags=("checkpointed", "colo", "reserved-bits"),
    args=("hvm", 3, bytes(4) + b"\x00\x00\x00\x01"),
    breaks=("XL-CKS-002", "XL-CKS-006"),
    replay_in=_HVM_ONLY,
    replay_in_why=_HVM_WHY,
)
@recipe(
    "pv-checkpoint-state-empty",
    "a PV guest's COLO-shaped stream: the CHECKPOINT_STATE after its one CHECKPOINT_END has "
    "an empty body (no control_id)",
    tags=("checkpointed", "colo"),
    args=(*PV_HOME, b""),
    breaks=("XL-CKS-001",),
    since=_V,
    replay_in=PV_REPLAYS,
    replay_in_why=_PV_WHY,
)
@recipe(
    "pv-checkpoint-state-control-7",
    "a PV guest's COLO-shaped stream whose CHECKPOINT_STATE carries control_id 7, which is "
    "not defined",
    tags=("checkpointed", "colo"),
    args=(*PV_HOME, CheckpointState(7)),
    breaks=("XL-CKS-003",),
    since=_V,
    replay_in=PV_REPLAYS,
    replay_in_why=_PV_WHY,
)
@recipe(
    "pv-checkpoint-state-svm-ready",
    "a PV guest's forward stream carries CHECKPOINT_STATE SVM_READY (2), a back-channel message",
    tags=("checkpointed", "colo"),
    args=(*PV_HOME, CheckpointState(CheckpointControl.SVM_READY)),
    breaks=("XL-CKS-004",),
    since=_V,
    replay_in=PV_REPLAYS,
    replay_in_why=_PV_WHY,
)
@recipe(
    "pv-checkpoint-state-trailing-nonzero",
    "a PV guest's COLO-shaped stream whose CHECKPOINT_STATE has a 6-octet body, control_id "
    "NEW then 0x00 0x01",
    tags=("checkpointed", "colo", "reserved-bits"),
    args=(*PV_HOME, bytes(4) + b"\x00\x01"),
    breaks=("XL-CKS-002", "XL-CKS-006"),
    since=_V,
    replay_in=PV_REPLAYS,
    replay_in_why=_PV_WHY,
)
def colo_state(guest: str, version: int, body: CheckpointState | bytes) -> LibxlStream:
    return _colo_state(guest, version, body)


@recipe(
    "checkpoint-state-before-checkpoint-end",
    "COLO's CHECKPOINT_STATE comes before CHECKPOINT_END instead of directly after it",
    tags=("checkpointed", "colo", "ordering"),
    args=("hvm", 3),
    breaks=("XL-CKS-005",),
    replay_in=_HVM_ONLY,
    replay_in_why=_HVM_WHY,
)
@recipe(
    "pv-checkpoint-state-before-checkpoint-end",
    "a PV guest's COLO-shaped stream: CHECKPOINT_STATE comes between the libxc CHECKPOINT "
    "and CHECKPOINT_END instead of directly after CHECKPOINT_END",
    tags=("checkpointed", "colo", "ordering"),
    args=PV_HOME,
    breaks=("XL-CKS-005",),
    since=_V,
    replay_in=PV_REPLAYS,
    replay_in_why=_PV_WHY,
)
def checkpoint_state_before_checkpoint_end(guest: str, version: int) -> LibxlStream:
    s = carried(guest, few(guest, 2), colo=True, version=version)
    k = _find(s, L.CHECKPOINT_STATE)
    state = s.items.pop(k)
    s.items.insert(_find(s, L.CHECKPOINT_END), state)
    return s


@recipe(
    "stops-before-checkpoint-end",
    "a Remus stream that stops after the emulator records of a checkpoint, before its "
    "CHECKPOINT_END",
    tags=("checkpointed", "truncated", "missing-record"),
    args=("hvm", 3),
    breaks=("XL-NEST-003",),
    replay_in=_HVM_ONLY,
    replay_in_why=_HVM_WHY,
)
@recipe(
    "pv-stops-before-checkpoint-end",
    "a PV guest's Remus stream that stops right after the libxc CHECKPOINT, before the "
    "CHECKPOINT_END that must follow it",
    tags=("checkpointed", "truncated", "missing-record"),
    args=PV_HOME,
    breaks=("XL-NEST-003",),
    since=_V,
    replay_in=PV_REPLAYS,
    replay_in_why=_PV_WHY,
)
def stops_before_checkpoint_end(guest: str, version: int) -> LibxlStream:
    s = carried(guest, few(guest, 2), version=version)
    s.items = s.items[: _find(s, L.CHECKPOINT_END, -1)]
    return s


@recipe(
    "libxc-context-in-checkpoint",
    "after a libxc CHECKPOINT, a second LIBXC_CONTEXT and a new libxc stream with headers "
    "instead of CHECKPOINT_END and a headerless resume",
    tags=("checkpointed", "nesting", "duplicate-record"),
    breaks=("XL-NEST-003", "XL-CTX-002"),
)
def libxc_context_in_checkpoint() -> LibxlStream:
    s = carried("hvm")
    k = _find(s, L.CHECKPOINT_END)
    head, recs = first_section("hvm")
    head.records = [*recs, Record(X.END)]
    s.items[k:] = [Record(L.LIBXC_CONTEXT), head, *samples.emulator_records("hvm"), Record(L.END)]
    return s


@recipe(
    "checkpoint-end-in-plain-stream",
    "CHECKPOINT_END in a stream with no checkpoint: after the libxc END, before the libxl END",
    tags=("checkpointed", "nesting"),
    breaks=("XL-NEST-004",),
)
def checkpoint_end_in_plain_stream() -> LibxlStream:
    s = B.libxl("hvm", 3)
    k = _find(s, L.END)
    s.items.insert(k, Record(L.CHECKPOINT_END))
    return s


@recipe(
    "libxl-end-inside-checkpoint",
    "the libxl END record comes right after a libxc CHECKPOINT, inside the checkpoint",
    tags=("checkpointed", "nesting", "end-record"),
    args=("hvm", 3),
    breaks=("XL-NEST-005",),
    replay_in=_HVM_ONLY,
    replay_in_why=_HVM_WHY,
)
@recipe(
    "pv-libxl-end-inside-checkpoint",
    "a PV guest's Remus stream: the libxl END comes right after the libxc CHECKPOINT, where "
    "CHECKPOINT_END belongs",
    tags=("checkpointed", "nesting", "end-record"),
    args=PV_HOME,
    breaks=("XL-NEST-005",),
    since=_V,
    replay_in=PV_REPLAYS,
    replay_in_why=_PV_WHY,
)
def libxl_end_inside_checkpoint(guest: str, version: int) -> Built:
    s = carried(guest, few(guest, 2), version=version)
    xc = next(k for k, i in enumerate(s.items) if isinstance(i, LibxcStream))
    s.items[xc + 1 :] = [Record(L.END)]  # the libxl records of the first checkpoint and on
    return Built(s)


# --- record framing where a PV stream has a padded libxl record --------------------------------
# A PV guest's libxl stream has no emulator records; its only libxl record with a body
# that is not a multiple of 8 is COLO's CHECKPOINT_STATE (4 octets and 4 of padding).


@recipe(
    "pv-checkpoint-state-padding-nonzero",
    "a PV guest's COLO-shaped stream: the padding after CHECKPOINT_STATE's 4-octet body "
    "holds a non-zero octet",
    tags=("checkpointed", "colo", "record-framing", "reserved-bits"),
    args=PV_HOME,
    breaks=("XL-REC-002",),
    since=_V,
    replay_in=PV_REPLAYS,
    replay_in_why=_PV_WHY,
)
def checkpoint_state_padding_nonzero(guest: str, version: int) -> LibxlStream:
    s = carried(guest, few(guest, 2), colo=True, version=version)
    rec = s.items[_find(s, L.CHECKPOINT_STATE)]
    assert isinstance(rec, Record) and len(rec.body_bytes("<")) == 4
    rec.padding = b"\x00\x00\x00\x01"
    return s


@recipe(
    "pv-truncated-in-checkpoint-state-padding",
    "a PV guest's COLO-shaped stream ends 2 octets into the padding of its CHECKPOINT_STATE",
    tags=("checkpointed", "colo", "record-framing", "truncated"),
    args=PV_HOME,
    breaks=("XL-REC-003",),
    since=_V,
    replay_in=PV_REPLAYS,
    replay_in_why=_PV_WHY,
)
def truncated_in_checkpoint_state_padding(guest: str, version: int) -> Built:
    s = carried(guest, few(guest, 2), colo=True, version=version)
    nth = [k for k, _ in _xl_records(s)].index(_find(s, L.CHECKPOINT_STATE))
    span = B.spans(s)[("libxl", nth)]  # libxl records are counted as they appear
    assert span.length == 4
    return Built(s, B.to_bytes(s)[: span.body + 4 + 2])
