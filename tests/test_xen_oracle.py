"""Xen 4.17's own code judging corpus images: Debian's unmodified libxenguest over
our in-memory hypervisor, and Xen's Python tools (conformance/xen/).

They need Debian's packages (apt-get download, on first use) and a C compiler, so
they run in ``tox -e xen-oracle`` (XENSAVE_XEN_ORACLE=1); tests/conftest.py leaves
this file out of any other run. There a missing runtime fails the tests with its
cause. The verdicts asserted are Xen's, read in Xen's source (function named at
each), not our checker's.
"""

from __future__ import annotations

import io
import json
import os
import random
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from xensave.conformance.protocol import decode_response, encode_request

ROOT = Path(__file__).resolve().parent.parent
TESTEE = ROOT / "conformance" / "xen" / "testee.py"
CORPUS = ROOT / "conformance" / "corpus"


def judge(kind: str, case: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, str(TESTEE), kind, "--file", str(CORPUS / f"{case}.bin")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if done.returncode == 2:
        pytest.fail(f"{kind} could not judge {case}: {done.stderr.strip()}")
    return done.returncode, done.stdout.strip()


@pytest.fixture(scope="module", autouse=True)
def runtime() -> None:
    """Fetch (or find) Debian's packages and build the emulation once, failing with the
    cause if impossible (later tests take the compiler and apt off the PATH)."""
    build = "import sys; sys.path.insert(0, sys.argv[1]); import build, debian; "
    build += "build.build(debian.runtime())"
    done = subprocess.run(
        [sys.executable, "-c", build, str(ROOT / "conformance" / "xen")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"Xen 4.17 runtime unavailable: {done.stderr.strip()}")


def test_versions_are_recorded_and_the_cache_is_reused() -> None:
    stamp = ROOT / ".cache" / "debian" / "versions.json"
    if os.environ.get("XENSAVE_CACHE"):
        stamp = Path(os.environ["XENSAVE_CACHE"]) / "debian" / "versions.json"
    packages = json.loads(stamp.read_text())["packages"]
    assert set(packages) == {"libxenmisc4.17", "xen-utils-4.17", "libxen-dev"}
    for p in packages.values():
        assert p["version"].startswith("4.17."), p
    # a second use needs no apt at all: with apt-get and dpkg-deb off the PATH it works
    env = dict(os.environ, PATH="/nonexistent")
    rc, out = judge("restore", "y_libxc-v3_hvm_typical", env)
    assert (rc, out) == (0, "accept:")


@pytest.mark.parametrize(
    "case",
    [
        "y_libxc-v3_hvm_typical",
        "y_libxc-v3_x86_64-pv_typical",
        "y_libxc-v3_x86_32-pv_typical",
        "y_libxc-v2_hvm_typical",
        "y_xl-v3_x86_64-pv_typical",  # xl header and libxl stream unwrapped
        "y_libxl-v3_hvm_remus",  # checkpointed: libxc records spliced, XC_STREAM_REMUS
    ],
)
def test_xen_restores_valid_images(case: str) -> None:
    assert judge("restore", case) == (0, "accept:")


@pytest.mark.parametrize(
    ("case", "why"),
    [
        # handle_x86_pv_info (xg_sr_restore_x86_pv.c)
        ("n_libxc-v3_x86_64-pv_pv-info-twice", "Already received X86_PV_INFO record"),
        # read_headers (xg_sr_restore.c)
        ("n_libxl-v3_hvm_libxc-big-endian", "Unable to handle big endian streams"),
        # handle_shared_info (xg_sr_restore_x86_pv.c)
        ("n_libxc-v3_x86_64-pv_shared-info-4097", "record wrong size: length 4097"),
    ],
)
def test_xen_refuses_what_libxenguest_checks(case: str, why: str) -> None:
    rc, out = judge("restore", case)
    assert rc == 1
    assert why in out


def test_legacy_images_take_libxls_path_to_the_restorer() -> None:
    """convert-legacy-stream as libxl runs it, then xc_domain_restore: a second
    'vcpu' extended-info block becomes a second X86_PV_INFO record, which
    handle_x86_pv_info (xg_sr_restore_x86_pv.c) refuses."""
    assert judge("restore", "y_legacy-legacy_hvm_toolstack-64") == (0, "accept:")
    rc, out = judge("restore", "n_legacy-legacy_x86_64-pv_two-vcpu-blocks")
    assert rc == 1
    assert "after libxl's convert-legacy-stream" in out
    assert "Already received X86_PV_INFO record" in out


def test_convert_legacy_stream_drops_the_pv_tails_unmapped_pfns(tmp_path: Path) -> None:
    """convert-legacy-stream's read_pv_tail reads the unmapped pfns and writes nothing
    for them, so libxenguest judges the frames (process_vcpu_basic) and the start-info
    words (process_start_info) by the page batches alone: the images of
    tests/test_legacy_unmapped.py restore exactly as its ``new`` column says."""
    from test_legacy_unmapped import CASES, image

    from xensave.legacy.format import encode
    from xensave.legacy.samples import small

    for case in CASES:
        for levels in (4, 3):
            f = tmp_path / f"unmapped-{case.slug}-{levels}.bin"  # no "_hvm_": a PV guest
            f.write_bytes(image(case, levels))
            done = subprocess.run(
                [sys.executable, str(TESTEE), "restore-hypervisor", "--file", str(f)],
                capture_output=True,
                text=True,
                timeout=300,
            )
            out = done.stdout.strip()
            assert done.returncode == (0 if case.new else 1), (case.slug, levels, out)
            if not case.new:
                assert "XenStore pfn has bad mfn" in out, out
    img = small(64, "pv", levels=4).image
    img.p2m_frames = [50]  # sent as XTAB: update_guest_p2m refuses
    f = tmp_path / "p2m-frame-xtab.bin"
    f.write_bytes(encode(img))
    done = subprocess.run(
        [sys.executable, str(TESTEE), "restore-hypervisor", "--file", str(f)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and "p2m_frame_list[0] has bad type 15" in done.stdout


def test_what_convert_legacy_stream_reads_in_a_pv_tail(tmp_path: Path) -> None:
    """The 4.6-on verdicts of tests/test_target_legacy_tail.py, from Xen's own tools:
    without VCPU_INFO convert-legacy-stream reads no context and libxenguest refuses
    (update_vcpu_context); with two it reads the tail's context twice and runs out of
    input (read_pv_tail); it reads an 'xcnt' of 0 as no XSAVE state and a longer
    block for its first u32 (read_pv_extended_info); it drops the feature mask."""
    import test_target_legacy_tail as t

    cases = [
        (t.without_vcpu_info(), "Sender didn't send vcpu0's basic state"),
        (t.two_vcpu_infos(), "Stream truncated"),
        (t.xcnt_zero(), None),
        (t.xcnt_long(), None),
        (t.with_mask(0x7 | 1 << 5), None),
        (t.with_mask(0x3), None),
    ]
    for i, (data, why) in enumerate(cases):
        f = tmp_path / f"tail-{i}.bin"  # no "_hvm_": a PV guest
        f.write_bytes(data)
        done = subprocess.run(
            [sys.executable, str(TESTEE), "restore-hypervisor", "--file", str(f)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        out = done.stdout.strip()
        assert done.returncode == (0 if why is None else 1), (i, out)
        assert why is None or why in out, (i, out)


def test_the_hypervisor_switch() -> None:
    """tsc_set_info (xen/arch/x86/time.c) refuses TSC mode 4 with -EINVAL; libxenguest
    passes the mode through, so only the libxc + hypervisor mode refuses."""
    assert judge("restore", "n_libxc-v3_hvm_tsc-mode-4") == (0, "accept:")
    rc, out = judge("restore-hypervisor", "n_libxc-v3_hvm_tsc-mode-4")
    assert rc == 1
    assert "tsc_set_info" in out and "-EINVAL" in out


@pytest.mark.parametrize(
    ("case", "why"),
    [
        (
            "n_libxc-v3_x86_64-pv_pv-context-rip-non-canonical",
            "rip 0x800000000000 is not canonical",
        ),
        ("n_libxc-v3_x86_64-pv_pv-context-ldt-ents-8193", "8193 entries above 8192"),
    ],
)
def test_arch_set_info_guest(case: str, why: str) -> None:
    rc, out = judge("restore-hypervisor", case)
    assert rc == 1
    assert "arch_set_info_guest" in out and why in out and "-EINVAL" in out


def test_verify_stream_v2() -> None:
    assert judge("verify-stream-v2", "y_libxc-v3_x86_64-pv_typical") == (0, "accept:")
    # Xen's bug under Python 3: verify_record_emulator_xenstore_data compares bytes with str
    rc, out = judge("verify-stream-v2", "y_libxl-v3_hvm_typical")
    assert rc == 1
    assert "Data not NUL terminated" in out


def test_legacy_chain() -> None:
    assert judge("legacy-chain", "y_legacy-legacy_x86_64-pv_toolstack-64") == (0, "accept:")
    # libxl passes --width 64: an image from a 32-bit toolstack is misread
    rc, out = judge("legacy-chain", "y_legacy-legacy_x86_64-pv_toolstack-32")
    assert rc == 1
    assert "extended info marker" in out


def test_unavailable_runtime_answers_unsupported_once(tmp_path: Path) -> None:
    """No cache and no apt: every case is answered 'unsupported' with the cause."""
    env = dict(os.environ, XENSAVE_CACHE=str(tmp_path), PATH="/nonexistent")
    image = (CORPUS / "y_libxc-v3_hvm_typical.bin").read_bytes()
    frames = b"".join(
        encode_request({"protocol": 1, "id": i, "name": "y_x", "size": len(image)}, image)
        for i in (1, 2)
    )
    done = subprocess.run(
        [sys.executable, str(TESTEE), "restore"],
        input=frames,
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0
    out = done.stdout
    bodies = []
    while out:
        (n,) = struct.unpack_from("<I", out)
        bodies.append(decode_response(out[4 : 4 + n]))
        out = out[4 + n :]
    assert [b.verdict for b in bodies] == ["unsupported", "unsupported"]
    assert "apt-get is not on the PATH" in bodies[0].message
    assert done.stderr.decode().count("unavailable") == 1


def test_harness_reports_an_unavailable_column_once(tmp_path: Path) -> None:
    """The harness names the cause and the fix once and does not call the column's
    expected failures stale."""
    env = dict(os.environ, XENSAVE_CACHE=str(tmp_path), PATH="/nonexistent")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "xensave", "conformance", "run", "-a", "xen-4.17-restore"),
            *("--no-html", "-q", "-k", "y_libxc-v3_hvm_*", "-k", "n_libxc-v3_hvm_tsc-mode-4"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    # asked for by name and unable to run here: exit 2, the cause and the fix once
    assert done.returncode == 2, done.stdout + done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    assert sum(ln.lstrip().startswith("unavailable:") for ln in lines) == 1
    assert "apt-get is not on the PATH" in done.stdout
    assert "fix: run on Debian bookworm" in done.stdout
    assert "stale" not in done.stdout


# --- the differential run: the emulation's hypervisor checks (C) against the checker's
# rules (Python), two implementations of the same facts -------------------------------

#: libxc records whose contents the restorer hands to the hypervisor (or judges itself).
_STATE_RECORDS = frozenset({4, 5, 6, 8, 9, 10, 12, 17, 18})  # XcRecType values

#: Disagreements the run tolerates, each with why: (name, why, predicate on Xen's
#: answer, Xen's message and the rules (or messages) of --target-xen's reasons).
KNOWN_DIFFERENCES: list[tuple[str, str, Callable[[str, str, set[str]], bool]]] = [
    (
        "vcpu-beyond-the-domain",
        "Xen refuses a vCPU record whose vcpu_id is beyond the domain's vCPUs "
        "(handle_x86_pv_vcpu_blob in xg_sr_restore_x86_pv.c; XEN_DOMCTL_set_ext_vcpucontext "
        "returns -ESRCH). How many vCPUs the domain has comes from its configuration, not "
        "from the image (the emulation's domain has 128): --target-xen cannot judge it.",
        lambda xen, msg, ours: (
            xen == "reject"
            and not ours
            and ("exceeds domain max" in msg or "beyond max_vcpus" in msg)
        ),
    ),
]


def _mutate_state(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One bit flipped, or one word set to a boundary or random value, somewhere in the
    body of one state record of a libxc stream (the framing stays intact)."""
    from xensave.reader import ReadOptions, RecordEvent, read_events

    records = [
        ev
        for ev in read_events(io.BytesIO(data), ReadOptions(stop_at_end=False))
        if isinstance(ev, RecordEvent)
        and ev.layer == "libxc"
        and ev.type in _STATE_RECORDS
        and ev.length
    ]
    if not records:
        return data, "no state record"
    ev = rng.choice(records)
    out = bytearray(data)
    start = ev.offset + 8
    at = start + rng.randrange(ev.length)
    if rng.random() < 0.5:
        bit = rng.randrange(8)
        out[at] ^= 1 << bit
        return bytes(out), f"{ev.name} octet {at - start}: bit {bit} flipped"
    n = min(rng.choice((1, 2, 4, 8)), start + ev.length - at)
    value = rng.choice((0, 1, (1 << 8 * n) - 1, 1 << (8 * n - 1), rng.getrandbits(8 * n)))
    out[at : at + n] = value.to_bytes(n, "little")
    return bytes(out), f"{ev.name} octet {at - start}: {n} octets set to {value:#x}"


def test_differential_hypervisor_checks_against_target_xen() -> None:
    """Images from xensave.fuzz's builder (libxc streams of every guest type and
    version, either byte order), half broken by one of its mutations, half with one
    state record's contents mutated, judged by the xen-4.17-restore-hypervisor adapter
    (Xen's restorer over the emulation's checks) and by ``verify --target-xen 4.17``
    (restorable or not). Derandomized: the same cases every run."""
    from xensave.conformance.adapters import load_adapter
    from xensave.conformance.execute import ExecOptions
    from xensave.fuzz.build import Spec, build_image
    from xensave.fuzz.cases import build_case
    from xensave.fuzz.choices import RandomChooser
    from xensave.fuzz.driver import Testee
    from xensave.target import judge_stream

    adapter = load_adapter(ROOT / "conformance" / "adapters" / "xen-4.17-restore-hypervisor.json")
    testee = Testee(adapter, ExecOptions(60))
    spec = Spec(layers=("libxc",))
    unexplained: list[str] = []
    tally: dict[str, int] = {}
    try:
        for i in range(DIFFERENTIAL_CASES):
            rng = random.Random(f"xen-oracle-differential:{i}")
            if i % 2:
                case = build_case(RandomChooser(rng), spec, role="restorer")
                data, what = case.data, case.describe()
            else:
                gen = build_image(RandomChooser(rng), Spec(layers=("libxc",), big_endian=False))
                data, what = _mutate_state(gen.data, rng)
                what = f"a {gen.guest} libxc v{gen.version} stream, {what}"
            raw = testee.run(f"differential-{i}", data)
            assert raw.kind in ("accept", "reject"), f"case {i} ({what}): {raw.kind} {raw.message}"
            report = judge_stream(io.BytesIO(data), (4, 17))
            ours = {r.rule or r.message for r in report.reasons}
            if (raw.kind == "accept") == report.restorable:
                tally["agree"] = tally.get("agree", 0) + 1
                continue
            known = [n for n, _why, hit in KNOWN_DIFFERENCES if hit(raw.kind, raw.message, ours)]
            if known:
                tally[known[0]] = tally.get(known[0], 0) + 1
                continue
            unexplained.append(
                f"case {i} ({what}): Xen {raw.kind}s ({raw.message[:200]}); --target-xen 4.17 "
                f"says {'restorable' if report.restorable else 'not: ' + ', '.join(sorted(ours))}"
            )
    finally:
        testee.close()
    assert not unexplained, "\n".join(unexplained)
    assert tally.get("agree", 0) > DIFFERENTIAL_CASES * 3 // 4, tally  # the run judged something


#: How many images the differential run judges (about 30 s here).
DIFFERENTIAL_CASES = 800


def test_the_libxc_only_lists_hypervisor_entries_name_the_declared_function() -> None:
    """An entry of xen-4.17-restore's list explained as a hypervisor check names a Xen
    hypervisor function that the case's declared restorability cites: the list and
    the recipes' declarations cannot drift apart unnoticed."""
    sys.path.insert(0, str(ROOT / "conformance" / "xen"))
    import triage

    from xensave.target import release_set

    manifest = {
        c["name"]: c
        for c in json.loads((ROOT / "conformance" / "manifest.json").read_text())["cases"]
    }
    groups = triage.parse(ROOT / "conformance" / "expected-failures" / "xen-4.17-restore.txt")
    entries = [e for g in groups if g.header == [triage.HYPERVISOR] for e in g.entries]
    assert len(entries) > 50
    for case, note in entries:
        assert note.startswith("xen/"), (case, note)
        assert note in manifest[case]["restore_decided_by"], (case, note)
        assert (4, 17) not in release_set(manifest[case]["restorable"]), case


def test_xen_restores_a_page_aligned_stream(tmp_path: Path) -> None:
    """``convert --align-pages`` puts an optional ALIGN_PAD record before each PAGE_DATA:
    Xen's ``restore`` (tools/libs/guest/xg_sr_restore.c) skips a record that
    ``process_record`` leaves unprocessed when bit 31 of its type is set, and refuses
    one without it ("Mandatory record ... not handled"). Both halves, on every guest
    type, the restore-hypervisor column included."""
    from xensave.constants import XC_REC_ALIGN_PAD
    from xensave.convert import convert
    from xensave.samples import valid_samples

    # (an xl file moved to a bare libxl stream: the toolstack move's padding too)
    to = {"libxc-v3_hvm": "libxc-v3", "libxc-v3_x86_64-pv": "libxc-v3"}
    to |= {"libxl-v3_x86_32-pv": "libxc-v3", "xl-v3_hvm": "libxl"}
    for s in valid_samples():
        if s.name not in to:
            continue
        src = tmp_path / f"{s.name}.bin"
        src.write_bytes(s.data)
        aligned = tmp_path / f"{s.name}.aligned"
        convert(str(src), str(aligned), to[s.name], allow_loss=True, align_pages=True)  # type: ignore[arg-type]
        data = aligned.read_bytes()
        pad = struct.pack("<I", XC_REC_ALIGN_PAD)
        assert pad in data, s.name
        mandatory = tmp_path / f"{s.name}.mandatory"
        mandatory.write_bytes(data.replace(pad, struct.pack("<I", XC_REC_ALIGN_PAD & 0x7FFFFFFF)))
        for kind in ("restore", "restore-hypervisor"):
            for image, rc, said in ((aligned, 0, "accept"), (mandatory, 1, "not handled")):
                done = subprocess.run(
                    [sys.executable, str(TESTEE), kind, "--file", str(image)],
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                assert done.returncode == rc, (s.name, kind, image.name, done.stdout)
                assert said in done.stdout, (s.name, kind, done.stdout)


_XAPI_SECTION = """
import io, sys
sys.path.insert(0, sys.argv[1])
import testee
from xensave.reader import ReadError, ReadOptions, XapiHeader, read_events
data = open(sys.argv[2], "rb").read()
start = None
try:
    for ev in read_events(io.BytesIO(data), ReadOptions(stop_at_end=False)):
        if isinstance(ev, XapiHeader) and ev.kind == 0x00F2:
            start = ev.offset + 16
except ReadError:
    pass
stream = testee.LibxcStream(data[start:], sys.argv[3], False, None)
rc, err = testee.Restorer(testee.runtime(), hypervisor=False).run(stream)
print(rc, testee._summary(err))
"""


@pytest.mark.parametrize(
    ("case", "guest"),
    [
        ("i_xapi-legacy_hvm_libxc-legacy", "hvm"),
        ("i_xapi-legacy_x86_64-pv_libxc-legacy-length-nonzero", "pv"),
    ],
)
def test_xen_refuses_a_xapi_libxc_legacy_section_as_xenopsd_hands_it_over(
    case: str, guest: str
) -> None:
    """xenopsd gives a LIBXC_LEGACY section to xenguest unconverted (xc/domain.ml,
    restore_common), whose xc_domain_restore reads from the section on: Xen 4.17's
    read_headers takes the legacy image's p2m_size for the marker. The corpus declares
    these cases restorable by 4.0-4.5 only (spec/wrappers.md)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _XAPI_SECTION,
            str(TESTEE.parent),
            str(CORPUS / f"{case}.bin"),
            guest,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rc, _, why = done.stdout.strip().partition(" ")
    assert rc == "1" and why.startswith("Invalid marker"), done.stdout
