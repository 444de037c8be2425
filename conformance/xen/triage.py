"""Rewrite the Xen columns' expected-failure lists from a conformance run, keeping the
hand-written groups and comments.

    python -m xensave conformance run --no-html --json -a xen-4.17-restore ... > run.json
    python conformance/xen/triage.py run.json

Every disagreement of a Xen column (an outcome other than pass, on a supported case)
must be explained: an entry already in the list keeps its group and comment; a new
one is placed by the rules below (the Xen function that decides, the layer the
column does not run, a known Xen bug), or the script names it and exits 1 without
writing, so an unknown disagreement stays a failure of the run. Entries that now
agree are dropped. ``xensave conformance run --update-expected-failures`` would drop
the comments; this keeps them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from xensave.rules import load_rules  # noqa: E402

LISTS = ROOT / "conformance" / "expected-failures"
MANIFEST = ROOT / "conformance" / "manifest.json"

PREAMBLE = """# Expected failures of {name}.
# One case name per line; '#' starts a comment. A listed case that passes, or a
# name that matches no case, fails the run as much as an unlisted failure does.
# Kept by conformance/xen/triage.py from Xen 4.17's own verdicts (see
# docs/xen-oracle.md); each group or entry says why Xen and the corpus disagree.
"""

#: Where a restore-path check lives, by the prefix of its Xen file (the manifest's
#: restore_decided_by), for checks the restorer columns do not run.
LAYERS = {
    "tools/xl/": (
        "The defect is in the xl header or its configuration, which xl itself judges "
        "(create_domain in xl_vmcontrol.c). The adapter unwraps it with xensave's "
        "reader; Xen's restorer accepts the libxc stream inside."
    ),
    "tools/libs/light/": (
        "The defect is in the libxl stream (its header or its own records), which "
        "libxl_stream_read.c and libxl's record handlers judge, not libxenguest. The "
        "adapter hands only the libxc records to Xen's restorer, which accepts them."
    ),
    "libvirt:": (
        "The defect is in the libvirt header, which libvirt's libxl driver judges, not "
        "Xen. The adapter unwraps it with xensave's reader; Xen's restorer accepts the "
        "libxc stream inside."
    ),
    "xenopsd:": (
        "The defect is in XAPI's framing, which xenopsd judges, not Xen. The adapter "
        "unwraps it with xensave's reader; Xen's restorer accepts the libxc stream inside."
    ),
}
HYPERVISOR = (
    "A hypervisor check libxenguest does not make: this column answers every hypervisor "
    "call with success, and xen-4.17-restore-hypervisor makes the check. After each "
    "case, the Xen function that refuses it (the manifest's restore_decided_by)."
)
ABORT = (
    "Xen refuses by abort: x86_pv_localise_page (xg_sr_restore_x86_pv.c) hands a present "
    "PTE naming a pfn above max_pfn to pfn_to_mfn, whose assert() stops libxenguest "
    "(Debian builds it with assertions). The restore fails, as the corpus declares, but "
    "as a crash (SIGABRT), not as an error return."
)
WIDTH = (
    "libxl passes its own width, --width 64 (libxl__convert_legacy_stream, "
    "libxl_convert_callout.c: 'an assumption for the common case'); this image was saved "
    "by a 32-bit toolstack, so convert-legacy-stream misreads it. A 64-bit dom0's libxl "
    "cannot restore it; a 32-bit one's can: the toolstack decides, not the image."
)
REMUS = (
    "The adapter restores a stream with CHECKPOINT records as a Remus receiver would "
    "(XC_STREAM_REMUS): restore() (xg_sr_restore.c) takes a read failure in a "
    "checkpointed stream for the primary's failure, fails over to the last complete "
    "checkpoint and succeeds. A plain restore of the same file refuses it."
)
CONTENTS = (
    "verify-stream-v2 (xen/migration/libxc.py VerifyLibxc) checks record framing, known "
    "record types, per-record lengths and reserved fields only: not the order of records, "
    "not whether a record suits the guest type, not the contents of vCPU contexts, of the "
    "HVM context blob (only that it is not empty), of the P2M frame list, of page data or "
    "of CPU policies, not HVM parameter values and not TSC modes."
)
#: Rule areas whose contents verify-stream-v2 never reads (CONTENTS).
UNREAD_AREAS = {
    "pv-context",
    "hvm-context",
    "hvm-params",
    "page-data",
    "cpu-policy",
    "x86-pv-p2m-frames",
}


#: verify-stream-v2 on what it does not read of the outer layers (seen where no
#: EMULATOR_XENSTORE_DATA record makes it fail first: in PV streams).
OUTER_UNREAD = (
    "verify-stream-v2 does not judge these: skip_xl_header (verify-stream-v2) reads the xl "
    "header's optional data without looking at the configuration or its lengths, and "
    "VerifyLibxl (xen/migration/libxl.py) checks each record's own length and contents, not "
    "whether a stream has a LIBXC_CONTEXT or where a CHECKPOINT_END may stand."
)


@dataclass
class Group:
    header: list[str]  # comment lines, without '# '
    entries: list[tuple[str, str]] = field(default_factory=list)  # (case, comment)


def parse(path: Path) -> list[Group]:
    """The list's groups after its preamble: comment lines, then entries."""
    groups: list[Group] = []
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    i = 0
    while i < len(lines) and lines[i].startswith("#"):
        i += 1  # the preamble
    current: Group | None = None
    for line in lines[i:]:
        if not line.strip():
            current = None
        elif line.startswith("#"):
            if current is None or current.entries:
                current = Group([])
                groups.append(current)
            current.header.append(line[1:].strip())
        else:
            name, _, note = line.partition("#")
            if current is None:
                current = Group([])
                groups.append(current)
            current.entries.append((name.strip(), note.strip()))
    return groups


def write(path: Path, name: str, groups: list[Group]) -> None:
    merged: dict[str, Group] = {}
    for g in groups:  # groups with the same comment become one
        key = "\n".join(g.header)
        if key in merged:
            merged[key].entries += g.entries
        else:
            merged[key] = Group(list(g.header), list(g.entries))
    out = [PREAMBLE.format(name=name)]
    for g in merged.values():
        if not g.entries:
            continue
        block = [f"# {h}" for h in g.header]
        for case, note in sorted(g.entries):
            block.append(f"{case}  # {note}" if note else case)
        out.append("\n".join(block) + "\n")
    path.write_text("\n".join(out), encoding="utf-8")


Classifier = Callable[[dict, dict], "str | None"]


def classify(
    column: str, result: dict, case: dict, areas: dict[str, str]
) -> tuple[str, str] | None:
    """The group header and the entry's comment for a new disagreement, None when no
    rule explains it."""
    found = _classify(column, result, case, areas)
    if found is None or isinstance(found, tuple):
        return found
    return found, ""


def _classify(
    column: str, result: dict, case: dict, areas: dict[str, str]
) -> str | tuple[str, str] | None:
    message = result.get("message") or ""
    if "pfn_to_mfn: Assertion" in message and "page-table-entry-above-max-pfn" in case["name"]:
        return ABORT
    if "as libxl runs it" in message and "toolstack-32" in case["name"]:
        return WIDTH
    wrong_accept = result["expected"] == "reject" and result["answer"] == "accept"
    if column.startswith("xen-4.17-restore") and wrong_accept and "XC-END-002" in case["rules"]:
        return REMUS
    if column.startswith("xen-4.17-restore") and wrong_accept and "XAPI-SEC-006" in case["rules"]:
        # a libxl stream in a XAPI image: xenopsd refuses the LIBXL section itself
        return LAYERS["xenopsd:"]
    if column.startswith("xen-4.17-restore") and wrong_accept:
        for fn in case.get("restore_decided_by", []):
            for prefix, header in LAYERS.items():
                if fn.startswith(prefix):
                    return header
        for fn in case.get("restore_decided_by", []):
            if fn.startswith("xen/") and column == "xen-4.17-restore":
                return HYPERVISOR, fn
    unread_outer = ("XLF-CFG-", "XLF-OPT-", "XL-CTX-002", "XL-NEST-004")
    if (
        column == "xen-4.17-verify-stream-v2"
        and wrong_accept
        and bool(case["rules"])
        and all(r.startswith(unread_outer) for r in case["rules"])
    ):
        return OUTER_UNREAD
    validators = ("xen-4.17-verify-stream-v2", "xen-4.17-legacy-chain")
    unread = bool(case["rules"]) and all(areas.get(r) in UNREAD_AREAS for r in case["rules"])
    if column in validators and wrong_accept and unread:
        return CONTENTS
    return None


def triage(report: dict) -> int:
    manifest = {c["name"]: c for c in json.loads(MANIFEST.read_text())["cases"]}
    areas = {rid: r.area for rid, r in load_rules().items()}
    unknown: list[str] = []
    plans: list[tuple[Path, str, list[Group]]] = []
    for impl in report["implementations"]:
        column = impl["name"]
        if not column.startswith("xen-"):
            continue
        path = LISTS / f"{column}.txt"
        groups = parse(path)
        known = {case: g for g in groups for case, _ in g.entries}
        notes = {case: note for g in groups for case, note in g.entries}
        disagree = {
            r["case"]: r
            for r in impl["results"]
            if r["status"] != "unsupported" and r["outcome"] != "pass"
        }
        for g in groups:
            g.entries = [(c, n) for c, n in g.entries if c in disagree]
        by_header = {"\n".join(g.header): g for g in groups}
        for name, r in sorted(disagree.items()):
            if name in known:
                continue
            home = manifest[name].get("replay_of", "") or manifest[name].get("wrap_of", "")
            if home in known and home in disagree and disagree[home]["outcome"] == r["outcome"]:
                # a replay in another cell, or a copy in another outer layer: the same
                # recipe and declarations, and Xen disagrees with it as with the case it
                # replays or wraps, for the same reason
                known[home].entries.append((name, notes[home] or f"as {home}"))
                known[name], notes[name] = known[home], notes[home]
                continue
            found = classify(column, r, manifest[name], areas)
            if found is None:
                unknown.append(f"{column}: {name}: {r['outcome']}: {r.get('message', '')[:200]}")
                continue
            header, note = found
            g = by_header.get(header)
            if g is None:
                g = by_header[header] = Group([header])
                groups.append(g)
            g.entries.append((name, note))
        plans.append((path, column, groups))
    if unknown:
        print("unexplained disagreements (triage them by hand in the list):", file=sys.stderr)
        for line in unknown:
            print("  " + line, file=sys.stderr)
        return 1
    for path, column, groups in plans:
        write(path, column, groups)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(triage(json.loads(Path(sys.argv[1]).read_text())))
