"""The root element of a plainly well-formed XML document, without ``xml.etree``.

A libvirt save file carries its domain's XML (LVF-XML-004: a well-formed document
whose root element is ``domain``). ``xml.etree.ElementTree`` costs more to import than
the rest of a verify's start-up (it compiles patterns with ``re``, which imports
``enum``, ``functools`` and ``collections``); the parsing itself is expat's, which
``pyexpat`` offers alone. :func:`plain_root` parses with expat as ElementTree's parser
sets it up (namespace separator ``}``) and answers only for a document without any
``<!`` (no DOCTYPE, hence no entity declarations, no comments or CDATA sections) that
expat accepts whole; for anything else it answers None, and the caller asks
ElementTree, whose verdict and message are then the ones reported.
"""

from __future__ import annotations


def plain_root(text: bytes) -> str | None:
    """The root element's name (``uri}name`` when namespaced), or None when ``text``
    is not plainly well-formed or not plain enough to answer for ElementTree."""
    if b"<!" in text:
        return None
    try:
        from pyexpat import ParserCreate
    except ImportError:
        return None
    names: list[str] = []
    parser = ParserCreate(None, "}")

    def start(name: str, _attrs: object) -> None:
        if not names:
            names.append(name)

    parser.StartElementHandler = start
    parser.buffer_text = True
    parser.ordered_attributes = True
    try:
        parser.Parse(text, True)
    except Exception:  # ExpatError, an unknown encoding, ...: ElementTree says which
        return None
    return names[0] if names else None
