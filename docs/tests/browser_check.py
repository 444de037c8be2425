"""Open the built site in headless Chromium and check what a reader sees.

    python docs/tests/browser_check.py docs/_build/html

For each page below, Chromium loads it from disk, runs its scripts, and hands
back the DOM (--dump-dom); the check then looks for the content the page must
show and follows every internal link and anchor of that DOM to a file and an
id that exist. Then the whole site's internal links are checked the same way
from the HTML files. Exit 0 when everything holds, 1 with a list of problems,
2 when Chromium is not installed (with what to install: this is never a skip).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sitecheck import broken_links, check_links, parse

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers (CI) often give /dev/shm only 64 MiB
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-file-access-from-files",
    "--virtual-time-budget=5000",
]

# (page, fragment, what the DOM must contain: regular expressions)
PAGES = [
    (
        "index.html",
        "",
        [
            r"xensave",
            r"Specification",
            r"Layout reference",
            r"Rule index",
            r"corpus version <[^>]*>?\d+\.\d+\.\d+|corpus version \d+\.\d+\.\d+",
            r'href="downloads\.html"',
        ],
    ),
    (
        "spec/libxc-stream.html",
        "xc-page-004",
        [
            r'id="xc-page-004"',
            r"XC-PAGE-004",
            r"Bits 52-59 of every pfn entry",
            r'href="\.\./_gen/reference/xen_libxc_stream\.html"',  # and back
        ],
    ),
    (
        "_gen/rules.html",
        "rule-xc-page-004",
        [r'id="rule-xc-page-004"', r"XC-PAGE-004", r"case-n-libxc"],
    ),
    (
        "_gen/reference/xen_libxc_stream.html",
        "",
        [
            r"<table",
            r"marker",
            r"XENF|0x58454e46",
            r"rec_type",
            r"<img[^>]+xen_libxc_stream",
            # the diagram opens full size; the ksy is downloadable; the chapter is linked
            r'<a[^>]+href="[^"]*_images/xen_libxc_stream[^"]*\.svg"',
            r'href="\.\./\.\./downloads/ksy/xen_libxc_stream\.ksy"',
            r'href="\.\./\.\./spec/libxc-stream\.html"',
        ],
    ),
    # bit fields show their bit positions (bit-endian le: the first field from bit 0)
    ("_gen/reference/xen_hvm_context.html", "", [r"\(0x4\), bits 3-0", r"\(0x4\), bits 7-4"]),
    (
        "_gen/corpus/libxc.html",
        "",
        # a case with a declared fault shows the octets around it, the fault marked
        [r"sha256", r"_downloads/", r"00000000  ff ff ff ff", r"\^\^ fault_offset 0x[0-9a-f]+"],
    ),
    (
        "downloads.html",
        "",
        [
            r'href="downloads/xensave-corpus-\d+\.\d+\.\d+\.tar\.gz"',
            r'href="downloads/xensave-corpus-\d+\.\d+\.\d+\.manifest\.json"',
            r'href="downloads/ksy/xen_libxc_stream\.ksy"',
            r'href="downloads/parsers/python/xen_libxc_stream\.py"',
            r'href="downloads/parsers/javascript/XenLibxcStream\.js"',
        ],
    ),
    ("conformance.html", "", [r"conformance-matrix\.html", r"What Kaitai can and cannot express"]),
    (
        "conformance-matrix.html",
        "",
        [
            r"<table",
            r"kaitai-js",
            r"kaitai-python",
            r"reference",
            r'href="_gen/corpus/libxc\.html#case-n-libxc-',  # cases link to their pages
            r'href="_gen/rules\.html#rule-xc-page-004"',  # rules to the rule index
        ],
    ),
    ("_gen/cli.html", "", [r"usage: xensave", r"conformance run"]),
]


# What a published page must not show: paths of the machine that built it.
ABSENT = {
    # byte diagrams and dumps are shown as written, not coloured as a guessed language
    "spec/libxc-stream.html": [r'class="highlight-(default|python|python3)\b'],
    "conformance-matrix.html": [
        re.escape(str(Path(__file__).resolve().parents[2])),
        r"site-packages",
        r"/bin/python",
    ],
}


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def dump_dom(chromium: str, url: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        r = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
    if r.returncode != 0 or not r.stdout.strip():
        raise RuntimeError(f"chromium failed on {url} (exit {r.returncode}):\n{r.stderr[-2000:]}")
    return r.stdout


def main() -> int:
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_build/html").resolve()
    chromium = os.environ.get("CHROMIUM") or find_chromium()
    if chromium is None:
        print(
            "browser_check: Chromium is not installed, and this check needs it.\n"
            "  On Debian or Ubuntu, as root: apt-get update && apt-get install -y chromium\n"
            "  (or set CHROMIUM to the path of a Chromium or Chrome binary)",
            file=sys.stderr,
        )
        return 2
    if not (site / "index.html").exists():
        print(
            f"browser_check: no built site at {site} (run the Sphinx build first)", file=sys.stderr
        )
        return 2
    problems: list[str] = []
    for rel, frag, needles in PAGES:
        page = site / rel
        if not page.exists():
            problems.append(f"{rel}: not built")
            continue
        url = page.as_uri() + (f"#{frag}" if frag else "")
        dom = dump_dom(chromium, url)
        missing = [n for n in needles if not re.search(n, dom)]
        for n in missing:
            problems.append(f"{rel}: the rendered page has no {n!r}")
        for n in ABSENT.get(rel, []):
            if re.search(n, dom):
                problems.append(f"{rel}: the rendered page shows {n!r}, which it must not")
        if frag and frag not in parse(dom).ids:
            problems.append(f"{rel}: no element with id {frag!r} in the rendered page")
        # the page must show text, not an empty shell
        text = re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", dom))
        if len(text.split()) < 50:
            problems.append(f"{rel}: the rendered page holds almost no text")
        links = broken_links(site, page, dom)
        problems += [f"(rendered) {b}" for b in links]
        print(
            f"  {rel}{'#' + frag if frag else ''}: {len(dom)} characters of DOM, "
            f"{len(missing)} missing, {len(links)} broken links"
        )
    site_links = check_links(site)
    problems += site_links
    pages = len(list(site.rglob("*.html")))
    print(f"  site: {pages} pages, {len(site_links)} broken internal links")
    for p in problems:
        print(f"FAIL {p}")
    print("browser_check: " + ("OK" if not problems else f"{len(problems)} problems"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
