"""Benchmarks of ``xensave verify`` and ``xensave dump`` on large images.

Generates a 1 GiB and a 4 GiB libxc v3 HVM image (PAGE_DATA records of 1024 pages,
the batch size Xen's saver uses) by streaming records to disk with ``RecordWriter``,
then measures with public tools:

(a) ``xensave verify FILE`` against ``cat FILE > /dev/null`` on the same file, both
    with the file in the page cache, in the same run;
(b) ``cat FILE | xensave verify -``: throughput through a pipe;
(c) peak RSS of verify and dump on the 1 GiB and the 4 GiB image;
(d) scale: a 64 GiB sparse image (``--sparse-gib``), bare libxc v3 HVM and the same
    inside an xl save file, whose page contents are holes (written by seeking, so it
    takes about 1/300 of its size on disk): verify and dump time, per record (the
    slope from a 1 GiB sparse image) and peak RSS, which must not grow with the image
    (against the 1 GiB sparse image's); and ``xensave diff`` of two such images
    (``--diff-gib``, 4 by default, 0 to skip), whose memory does grow, by its pfn
    index: the bytes per pfn are printed.

Wall time and peak RSS come from GNU ``/usr/bin/time -v``; each measurement is run
``--runs`` times and the median kept (hyperfine, when installed, is used for (a)
too and its figures printed alongside). Prints a table; exits 1 if a target is
missed, 2 if the benchmark itself cannot run. Images go to a temporary directory
that is deleted afterwards (``--keep`` keeps it).

    python bench/bench.py                 # the whole benchmark (about 5.5 GiB of disk)
    python bench/bench.py --skip-big      # 1 GiB image only, and the sparse images
    python bench/bench.py --only-sparse   # (d) alone
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from xensave.bodies import CpuidPolicy, HvmParams, MsrPolicy, TscInfo
from xensave.constants import DomainType, HvmParam, XcRecType
from xensave.model import DomainHeader, ImageHeader, LibxcStream, LibxlStream, Record, XlFile
from xensave.samples import build, hvm_context_blob
from xensave.writer import RecordWriter, encode_domain_header, encode_image_header, to_bytes

GIB = 1 << 30
MIB = 1 << 20
PAGE = 4096
BATCH = 1024  # pages per PAGE_DATA record, as Xen's saver batches them

TIME = "/usr/bin/time"
XENSAVE = [sys.executable, "-m", "xensave"]
# Measure the tools as installed: with their bytecode cached, whatever this shell says.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

# targets
RSS_LIMIT_MIB = 64.0
RSS_GROWTH_LIMIT_MIB = 4.0  # 4 GiB image vs 1 GiB image
PIPE_TARGET_GBPS = 1.0
#: (d): peak RSS of verify and dump on the sparse image, and its growth over the 1 GiB
#: image's (the same targets as (c): memory must not follow the image).
SPARSE_GIB = 64
#: (d): diff's page index, bytes per pfn of both images together (PageIndex: 16-pfn
#: blocks of 258 bytes, in a dict), with the interpreter's own RSS taken off.
DIFF_BYTES_PER_PFN_LIMIT = 64.0
#: (d): diff reads and hashes every page (tens of microseconds a page on the shared
#: 2-core machine), so two 64 GiB images take tens of minutes: 4 GiB by default,
#: ``--diff-gib 64`` for the full size.
DIFF_GIB = 4


# --- the image ----------------------------------------------------------------------


def write_image(path: Path, size: int) -> int:
    """A libxc v3 HVM image holding ``size`` bytes of guest memory; returns its length.

    Page contents are deterministic: one 4 MiB block of hash output, stamped with the
    record number so that no two records are identical."""
    pages_total = size // PAGE
    block = bytearray()
    counter = 0
    while len(block) < BATCH * PAGE:
        block += hashlib.sha256(f"xensave-bench:{counter}".encode()).digest() * 128
        counter += 1
    block = block[: BATCH * PAGE]
    with open(path, "wb", buffering=8 * MIB) as out:
        w = RecordWriter(out)
        w.raw(encode_image_header(ImageHeader(version=3)))
        w.raw(encode_domain_header(DomainHeader(DomainType.X86_HVM, 12, 4, 19), "<"))
        cpuid = CpuidPolicy([(0x0, 0xFFFFFFFF, 0xD, 0x756E6547, 0x6C65746E, 0x49656E69)])
        w.record(Record(XcRecType.X86_CPUID_POLICY, cpuid))
        w.record(Record(XcRecType.X86_MSR_POLICY, MsrPolicy([(0xCE, 0, 0)])))
        w.record(Record(XcRecType.STATIC_DATA_END))
        for index, first in enumerate(range(0, pages_total, BATCH)):
            n = min(BATCH, pages_total - first)
            entries = struct.pack(f"<{n}Q", *range(first, first + n))  # type NOTAB (0)
            block[:8] = struct.pack("<Q", index)
            w.page_data_record(entries, n, bytes(block[: n * PAGE]))
        w.record(Record(XcRecType.X86_TSC_INFO, TscInfo(0, 2_400_000, 1_000_000_000)))
        w.record(Record(XcRecType.HVM_CONTEXT, hvm_context_blob(2)))
        params = [(HvmParam.STORE_PFN, 0xFEFFC), (HvmParam.STORE_EVTCHN, 1)]
        w.record(Record(XcRecType.HVM_PARAMS, HvmParams([(int(i), v) for i, v in params])))
        w.record(Record(XcRecType.END))
        return w.written


#: An optional record type the sparse writer puts where the page data goes, then cuts.
_SPLIT = 0x8000BE7C
_SPLIT_BODY = b"xensave bench: page data goes here"


def write_sparse_image(path: Path, size: int, wrap: str = "libxc") -> int:
    """A v3 HVM image (``samples.build``, bare or wrapped: "libxc", "libxl", "xl") whose
    PAGE_DATA records describe ``size`` bytes of guest memory, pfns 0 up, in batches
    of BATCH; each record's header and pfn list is written and its page contents are
    skipped with a seek, so they are a hole: zero pages that take no disk. Returns
    the file's length."""
    image = build("hvm", 3, wrap)
    inner: object = image.payload if isinstance(image, XlFile) else image
    if isinstance(inner, LibxlStream):
        inner = next(i for i in inner.items if isinstance(i, LibxcStream))
    xc = inner
    assert isinstance(xc, LibxcStream)
    first = next(i for i, r in enumerate(xc.records) if r.type == XcRecType.PAGE_DATA)
    xc.records[:] = [r for r in xc.records if r.type != XcRecType.PAGE_DATA]
    xc.records.insert(first, Record(_SPLIT, _SPLIT_BODY))
    data = to_bytes(image)
    marker = struct.pack("<II", _SPLIT, len(_SPLIT_BODY)) + _SPLIT_BODY
    at = data.index(marker)
    assert data.count(marker) == 1
    pages_total = size // PAGE
    with open(path, "wb") as out:
        out.write(data[:at])
        for first_pfn in range(0, pages_total, BATCH):
            n = min(BATCH, pages_total - first_pfn)
            out.write(struct.pack("<IIII", XcRecType.PAGE_DATA, 8 + n * (8 + PAGE), n, 0))
            out.write(struct.pack(f"<{n}Q", *range(first_pfn, first_pfn + n)))  # NOTAB
            out.seek(n * PAGE, os.SEEK_CUR)
        out.write(data[at + len(marker) + (-len(marker) % 8) :])
        return out.tell()


def disk_use(path: Path) -> int:
    """Bytes the file takes on disk (its allocated blocks)."""
    return os.stat(path).st_blocks * 512


# --- measuring ----------------------------------------------------------------------


@dataclass
class Run:
    wall: float  # seconds
    rss_kib: int  # peak resident set, KiB
    status: int


def _parse_time(text: str) -> tuple[float, int]:
    wall_m = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", text)
    rss_m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if not wall_m or not rss_m:
        raise RuntimeError(f"cannot parse /usr/bin/time -v output:\n{text}")
    h, m, s = wall_m.groups()
    wall = int(h or 0) * 3600 + int(m) * 60 + float(s)
    return wall, int(rss_m.group(1))


def timed(cmd: list[str], *, stdin_from: list[str] | None = None, tmp: Path) -> Run:
    """Run ``cmd`` under ``/usr/bin/time -v`` (stdout to /dev/null); with
    ``stdin_from``, that command's stdout is piped into it. Wall time is measured
    here with a monotonic clock (``time``'s own is rounded to 10 ms); the peak RSS
    is ``time``'s, of ``cmd`` alone."""
    report = tmp / "time.txt"
    full = [TIME, "-v", "-o", str(report), *cmd]
    start = time.perf_counter()
    if stdin_from is None:
        proc = subprocess.run(full, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=ENV)
        status = proc.returncode
    else:
        feeder = subprocess.Popen(stdin_from, stdout=subprocess.PIPE)
        assert feeder.stdout is not None
        try:
            proc2 = subprocess.Popen(full, stdin=feeder.stdout, stdout=subprocess.DEVNULL, env=ENV)
            feeder.stdout.close()
            status = proc2.wait()
        finally:
            feeder.wait()
    wall = time.perf_counter() - start
    _w, rss = _parse_time(report.read_text())
    return Run(wall, rss, status)


def repeat(cmd: list[str], runs: int, tmp: Path, **kw: list[str] | None) -> list[Run]:
    return [timed(cmd, tmp=tmp, **kw) for _ in range(runs)]


def median_wall(rs: list[Run]) -> float:
    return statistics.median(r.wall for r in rs)


def max_rss_mib(rs: list[Run]) -> float:
    return max(r.rss_kib for r in rs) / 1024


def hyperfine(cmds: list[str], runs: int, tmp: Path) -> dict[str, float] | None:
    exe = shutil.which("hyperfine")
    if exe is None:
        return None
    out = tmp / "hyperfine.json"
    subprocess.run(
        [exe, "--warmup", "1", "--runs", str(runs), "--export-json", str(out), "-N", *cmds],
        check=True,
        stdout=subprocess.DEVNULL,
        env=ENV,
    )
    data = json.loads(out.read_text())
    return {r["command"]: r["median"] for r in data["results"]}


# --- the benchmark ------------------------------------------------------------------


@dataclass
class Row:
    what: str
    value: str
    target: str
    ok: bool | None  # None: information only


def fmt_s(x: float) -> str:
    return f"{x * 1000:.0f} ms" if x < 10 else f"{x:.1f} s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=9, help="runs per measurement (median kept)")
    ap.add_argument("--size-gib", type=int, default=1, help="size of the main image")
    ap.add_argument("--big-gib", type=int, default=4, help="size of the memory image")
    ap.add_argument("--skip-big", action="store_true", help="do not build the big image")
    ap.add_argument(
        "--sparse-gib", type=int, default=SPARSE_GIB, help="size of the sparse images (0: skip)"
    )
    ap.add_argument(
        "--diff-gib",
        type=int,
        default=DIFF_GIB,
        help="size of the two sparse images diff compares (0: skip diff)",
    )
    ap.add_argument("--only-sparse", action="store_true", help="run (d) alone")
    ap.add_argument("--dir", help="where to put the images (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the images afterwards")
    args = ap.parse_args(argv)

    if not os.access(TIME, os.X_OK):
        print(f"bench: {TIME} (GNU time) is needed", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="xensave-bench-", dir=args.dir))
    try:
        return run(args, tmp)
    finally:
        if args.keep:
            print(f"images kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> int:
    rows: list[Row] = []
    runs = args.runs
    if args.only_sparse:
        status = sparse(args, tmp, rows)
        if status:
            return status
        return finish(rows)

    small = tmp / f"hvm-{args.size_gib}g.xc"
    t0 = time.perf_counter()
    small_len = write_image(small, args.size_gib * GIB)
    print(f"wrote {small} ({small_len} bytes) in {time.perf_counter() - t0:.1f} s", flush=True)

    # sanity: the tools accept the image (and their bytecode gets cached)
    for sub in ("verify", "dump"):
        proc = subprocess.run(
            [*XENSAVE, sub, str(small)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=ENV,
        )
        if proc.returncode != 0:
            print(f"bench: xensave {sub} rejects the generated image:", file=sys.stderr)
            print(proc.stderr.decode(errors="replace"), file=sys.stderr)
            return 2

    # startup cost, for reference
    py = repeat([sys.executable, "-c", "pass"], runs, tmp)
    ver = repeat([*XENSAVE, "--version"], runs, tmp)
    rows.append(Row("python startup (python -c pass)", fmt_s(median_wall(py)), "", None))
    rows.append(Row("xensave --version", fmt_s(median_wall(ver)), "", None))
    tiny = tmp / "tiny.xc"
    tiny_len = write_image(tiny, 64 * PAGE)
    fixed = repeat([*XENSAVE, "verify", str(tiny)], runs, tmp)
    rows.append(
        Row(f"xensave verify, {tiny_len // 1024} KiB image", fmt_s(median_wall(fixed)), "", None)
    )

    # (a) verify vs cat, page cache warm
    cat_runs, ver_runs, vs_rows = versus_cat(small, args.size_gib, runs, tmp)
    rows += vs_rows
    hf = hyperfine(
        [f"cat {small}", " ".join([*XENSAVE, "verify", str(small)])], runs, tmp
    )  # -N: no shell, so cat's stdout goes to hyperfine's /dev/null
    if hf:
        for command, med in hf.items():
            rows.append(Row(f"hyperfine: {command[-40:]}", fmt_s(med), "", None))

    # (b) pipe throughput
    pipe_runs = repeat([*XENSAVE, "verify", "-"], runs, tmp, stdin_from=["cat", str(small)])
    pipe_t = median_wall(pipe_runs)
    gbps = small_len / pipe_t / 1e9
    rows.append(
        Row(
            "cat FILE | xensave verify -",
            f"{gbps:.2f} GB/s ({fmt_s(pipe_t)})",
            f">= {PIPE_TARGET_GBPS} GB/s",
            gbps >= PIPE_TARGET_GBPS,
        )
    )
    bad = [r for r in cat_runs + ver_runs + pipe_runs if r.status != 0]
    if bad:
        print("bench: a measured command failed", file=sys.stderr)
        return 2

    # (c) peak RSS, verify and dump, file and pipe
    rss: dict[tuple[str, int], float] = {}
    images = [(args.size_gib, small)]
    if not args.skip_big:
        big = tmp / f"hvm-{args.big_gib}g.xc"
        t0 = time.perf_counter()
        big_len = write_image(big, args.big_gib * GIB)
        print(f"wrote {big} ({big_len} bytes) in {time.perf_counter() - t0:.1f} s", flush=True)
        images.append((args.big_gib, big))
        rows += versus_cat(big, args.big_gib, max(3, runs // 2), tmp)[2]
    rss_runs = max(1, min(runs, 3))
    for gib, path in images:
        cases: list[tuple[str, list[str], list[str] | None]] = [
            ("verify FILE", [*XENSAVE, "verify", str(path)], None),
            ("verify - (pipe)", [*XENSAVE, "verify", "-"], ["cat", str(path)]),
            ("dump FILE", [*XENSAVE, "dump", str(path)], None),
            ("dump --json FILE", [*XENSAVE, "dump", "--json", str(path)], None),
        ]
        for label, cmd, feed in cases:
            rs = repeat(cmd, rss_runs, tmp, stdin_from=feed)
            if any(r.status != 0 for r in rs):
                print(f"bench: xensave {label} failed on {path}", file=sys.stderr)
                return 2
            peak = max_rss_mib(rs)
            rss[(label, gib)] = peak
            rows.append(
                Row(
                    f"peak RSS, {label}, {gib} GiB",
                    f"{peak:.1f} MiB ({fmt_s(median_wall(rs))})",
                    f"< {RSS_LIMIT_MIB:.0f} MiB",
                    peak < RSS_LIMIT_MIB,
                )
            )
        if path != small:
            path.unlink()
    if not args.skip_big:
        for label in ("verify FILE", "verify - (pipe)", "dump FILE", "dump --json FILE"):
            growth = rss[(label, args.big_gib)] - rss[(label, args.size_gib)]
            rows.append(
                Row(
                    f"RSS growth {args.size_gib}->{args.big_gib} GiB, {label}",
                    f"{growth:+.1f} MiB",
                    f"< {RSS_GROWTH_LIMIT_MIB:.0f} MiB",
                    growth < RSS_GROWTH_LIMIT_MIB,
                )
            )

    if args.sparse_gib or args.diff_gib:
        status = sparse(args, tmp, rows)
        if status:
            return status
    return finish(rows)


def finish(rows: list[Row]) -> int:
    print_table(rows)
    missed = [r for r in rows if r.ok is False]
    if missed:
        print(f"\n{len(missed)} target(s) missed: " + "; ".join(r.what for r in missed))
        return 1
    print("\nall targets met")
    return 0


def sparse(args: argparse.Namespace, tmp: Path, rows: list[Row]) -> int:
    """(d): verify and dump on sparse images of 1 GiB and ``--sparse-gib``, bare and in
    an xl file; time per record is the slope between the two sizes (start-up taken
    off), and the growth of peak RSS between them must stay under the (c) limit. Then
    diff (``--diff-gib``)."""
    runs = max(1, min(args.runs, 3))
    gib = args.sparse_gib
    cases = (
        ("verify FILE", "verify"),
        ("dump FILE", "dump"),
        ("dump --json FILE", "dump --json"),
        ("pages --pfn 0 FILE", "pages --pfn 0"),  # its index of pfns grows with them
    )
    for wrap in ("libxc", "xl") if gib else ():
        measured: dict[tuple[str, int], list[Run]] = {}
        for size in sorted({1, gib}):
            path = tmp / f"sparse-{size}g.{wrap}"
            t0 = time.perf_counter()
            length = write_sparse_image(path, size * GIB, wrap)
            print(
                f"wrote {path} ({length} bytes, {disk_use(path) / MIB:.0f} MiB on disk) "
                f"in {time.perf_counter() - t0:.1f} s",
                flush=True,
            )
            for label, sub in cases:
                rs = repeat([*XENSAVE, *sub.split(), str(path)], runs, tmp)
                if any(r.status != 0 for r in rs):
                    print(f"bench: xensave {label} failed on {path}", file=sys.stderr)
                    return 2
                measured[(label, size)] = rs
            path.unlink()
        records = -(-gib * GIB // PAGE // BATCH)
        for label, _sub in cases:
            rs, base = measured[(label, gib)], measured[(label, 1)]
            peak, wall = max_rss_mib(rs), median_wall(rs)
            slope = (wall - median_wall(base)) / max(1, records - GIB // PAGE // BATCH)
            rows.append(
                Row(
                    f"{gib} GiB sparse ({wrap}), {label}",
                    f"{fmt_s(wall)}, {slope * 1e6:.0f} us/record, peak RSS {peak:.1f} MiB",
                    f"< {RSS_LIMIT_MIB:.0f} MiB",
                    peak < RSS_LIMIT_MIB,
                )
            )
            growth = peak - max_rss_mib(base)
            if label.startswith("pages"):
                per_pfn = growth * MIB / ((gib - 1) * GIB // PAGE) if gib > 1 else 0.0
                rows.append(
                    Row(
                        f"pages memory per pfn ({wrap})",
                        f"{per_pfn:.1f} bytes ({growth:+.1f} MiB from 1 to {gib} GiB)",
                        "",
                        None,
                    )
                )
                continue
            rows.append(
                Row(
                    f"RSS growth 1->{gib} GiB sparse ({wrap}), {label}",
                    f"{growth:+.1f} MiB",
                    f"< {RSS_GROWTH_LIMIT_MIB:.0f} MiB",
                    growth < RSS_GROWTH_LIMIT_MIB,
                )
            )
    if args.diff_gib:
        return sparse_diff(args.diff_gib, tmp, rows)
    return 0


def sparse_diff(gib: int, tmp: Path, rows: list[Row]) -> int:
    """``xensave diff`` of two sparse images of ``gib`` that differ in one page: every
    page is read and hashed, so the time is per page, and the page index holds every
    pfn of both. Memory per pfn is the slope between that run and one on two images of
    one PAGE_DATA record each (whose RSS is the interpreter's and the code's)."""
    runs: dict[int, Run] = {}
    for size in (BATCH * PAGE, gib * GIB):
        a, b = tmp / f"diff-a-{size}.xc", tmp / f"diff-b-{size}.xc"
        write_sparse_image(a, size)
        write_sparse_image(b, size)
        write_page_difference(b)
        runs[size] = r = timed([*XENSAVE, "diff", "-q", str(a), str(b)], tmp=tmp)
        a.unlink()
        b.unlink()
        if r.status != 1:
            print(f"bench: xensave diff exited {r.status}, not 1 (differ)", file=sys.stderr)
            return 2
    small, big = runs[BATCH * PAGE], runs[gib * GIB]
    pages = 2 * gib * GIB // PAGE
    per_pfn = (big.rss_kib - small.rss_kib) * 1024 / (pages - 2 * BATCH)
    rows.append(
        Row(
            f"diff -q, two {gib} GiB sparse images",
            f"{fmt_s(big.wall)}, {(big.wall - small.wall) / pages * 1e6:.1f} us/page, "
            f"peak RSS {big.rss_kib / 1024:.0f} MiB (two 4 MiB images: "
            f"{small.rss_kib / 1024:.0f} MiB)",
            "",
            None,
        )
    )
    rows.append(
        Row(
            "diff memory per pfn (both images' pfns)",
            f"{per_pfn:.1f} bytes",
            f"< {DIFF_BYTES_PER_PFN_LIMIT:.0f} bytes",
            per_pfn < DIFF_BYTES_PER_PFN_LIMIT,
        )
    )
    return 0


def write_page_difference(path: Path) -> None:
    """Give pfn 0 of a sparse image (the first page of its first PAGE_DATA record, a
    hole) one non-zero byte, so that exactly one page differs from its twin."""
    with open(path, "r+b") as f:
        data = f.read(1 << 20)
        at = data.index(struct.pack("<IIII", XcRecType.PAGE_DATA, 8 + BATCH * (8 + PAGE), BATCH, 0))
        f.seek(at + 16 + 8 * BATCH)
        f.write(b"\x01")


def versus_cat(
    path: Path, gib: int, runs: int, tmp: Path
) -> tuple[list[Run], list[Run], list[Row]]:
    """``cat FILE > /dev/null`` and ``xensave verify FILE``, the file in the page cache,
    run alternately so that both see the same load on a shared machine."""
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # warm
    cat_runs: list[Run] = []
    ver_runs: list[Run] = []
    for _ in range(runs):
        cat_runs.append(timed(["cat", str(path)], tmp=tmp))
        ver_runs.append(timed([*XENSAVE, "verify", str(path)], tmp=tmp))
    cat_t, ver_t = median_wall(cat_runs), median_wall(ver_runs)
    rows = [
        Row(f"cat {gib} GiB > /dev/null", fmt_s(cat_t), "", None),
        Row(f"xensave verify {gib} GiB (file)", fmt_s(ver_t), "< cat", ver_t < cat_t),
    ]
    return cat_runs, ver_runs, rows


def print_table(rows: list[Row]) -> None:
    w1 = max(len(r.what) for r in rows)
    w2 = max(len(r.value) for r in rows)
    w3 = max(len(r.target) for r in rows)
    print()
    print(f"{'measurement':<{w1}}  {'result':<{w2}}  {'target':<{w3}}  ok")
    print(f"{'-' * w1}  {'-' * w2}  {'-' * w3}  --")
    for r in rows:
        ok = "" if r.ok is None else ("yes" if r.ok else "NO")
        print(f"{r.what:<{w1}}  {r.value:<{w2}}  {r.target:<{w3}}  {ok}")


if __name__ == "__main__":
    sys.exit(main())
