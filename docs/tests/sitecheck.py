"""Checks of the built site (docs/_build/html), shared by the browser test.

`check_links(root)` reads every HTML file of the site and reports each internal
link whose file does not exist or whose #fragment names no id or name in that
file. External links (http:, https:, mailto:) are not followed: the build is
offline and so is this check.
"""

from __future__ import annotations

import sys
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (attribute, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key) and (key == "id" or tag == "a"):
                self.ids.add(a[key] or "")
        if tag == "a" and a.get("href"):
            self.links.append(("href", a["href"] or ""))
        if tag in ("img", "script", "iframe") and a.get("src"):
            self.links.append(("src", a["src"] or ""))
        if tag == "link" and a.get("href"):
            self.links.append(("href", a["href"] or ""))


def parse(text: str) -> _Collect:
    p = _Collect()
    p.feed(text)
    return p


# Each file is parsed once, whether it is checked as a page or named by another page's
# link: the corpus pages are megabytes, and parsing is most of this check's time.
_parsed: dict[Path, _Collect] = {}


def parsed_file(path: Path) -> _Collect:
    path = path.resolve()
    if path not in _parsed:
        _parsed[path] = parse(path.read_text(errors="replace"))
    return _parsed[path]


def ids_of(path: Path) -> set[str]:
    return parsed_file(path).ids


@cache
def _target(parent: Path, path: str) -> tuple[Path, bool]:
    """Where a relative link leads and whether it exists (thousands of links share a few
    targets: the corpus pages and the rule index)."""
    target = (parent / unquote(path)).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, target.exists()


def broken_links(root: Path, page: Path, text: str | None = None) -> list[str]:
    """Internal links of one page (its file, or the DOM text given) that lead nowhere."""
    root = root.resolve()
    p = parsed_file(page) if text is None else parse(text)
    bad = []
    for _attr, url in p.links:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "mailto", "data", "javascript"):
            continue
        if parts.scheme == "file":
            target, exists = _target(Path("/"), parts.path)
        elif parts.scheme or parts.netloc:
            continue
        elif parts.path:
            target, exists = _target(page.parent, parts.path)
        else:
            target, exists = _target(page.parent, page.name)
        try:
            target.relative_to(root)
        except ValueError:
            bad.append(f"{page.relative_to(root)}: {url} leaves the site")
            continue
        if not exists:
            bad.append(f"{page.relative_to(root)}: {url} (no such file)")
            continue
        frag = unquote(parts.fragment)
        if frag and target.suffix == ".html":
            ids = p.ids if target == page.resolve() and text is not None else ids_of(target)
            if frag not in ids:
                bad.append(f"{page.relative_to(root)}: {url} (no id {frag!r})")
    return bad


def check_links(root: Path) -> list[str]:
    bad: list[str] = []
    for page in sorted(root.rglob("*.html")):
        bad += broken_links(root, page)
    return bad


if __name__ == "__main__":
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_build/html")
    problems = check_links(site)
    for line in problems:
        print(line)
    pages = len(list(site.rglob("*.html")))
    print(f"{pages} pages, {len(problems)} broken internal links")
    sys.exit(1 if problems else 0)
