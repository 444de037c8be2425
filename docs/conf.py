"""Sphinx configuration of the xensave site (build: tox -e docs)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))

project = "xensave"
author = "xensave developers"
copyright = "xensave developers, MIT licence"
release = "0.1.0"

extensions = ["myst_parser", "xensave_docs"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "README.md",
    "_build",
    "_gen/guide/images",
    "_gen/_extra",
    "_gen/include",
    "tests",
    "Thumbs.db",
]
myst_heading_anchors = 3
# code blocks without a language (byte diagrams, dumps) are shown as written, never
# guessed at and coloured as if they were Python
highlight_language = "none"
myst_enable_extensions = ["colon_fence"]
# Text is shown as written: no typographic quotes and dashes. Besides keeping prose such as
# --force as typed, this drops docutils' SmartQuotes pass, which walks every text node of
# every page: about a tenth of the reading time of the corpus pages (2,143 cases).
smartquotes = False

html_theme = "alabaster"
html_title = "xensave: the Xen domain save image"
html_static_path = ["_static"]
html_css_files = ["xensave.css"]
html_extra_path = ["_gen/_extra"]
html_theme_options = {"page_width": "1200px", "sidebar_width": "240px"}
html_show_sourcelink = False

# offline: nothing is fetched while building
intersphinx_mapping: dict[str, tuple[str, None]] = {}
