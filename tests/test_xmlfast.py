"""xensave._xmlfast.plain_root answers only where ElementTree agrees: whenever it names
a root element, ElementTree parses the same document and finds that root."""

from __future__ import annotations

import subprocess
import sys
from xml.etree.ElementTree import ParseError, XMLParser

import pytest

from xensave._xmlfast import plain_root

DOCUMENTS = [
    b"<domain type='xen'><name>g</name></domain>",
    b"<?xml version='1.0' encoding='UTF-8'?>\n<domain><uuid>x</uuid></domain>\n",
    b"<?xml version='1.0' encoding='ISO-8859-1'?><domain><n>\xe9</n></domain>",
    b"<?xml version='1.0' encoding='no-such-codec'?><domain/>",
    b"<domain xmlns='urn:x'/>",
    b"<x:domain xmlns:x='urn:x'/>",
    b"<x:domain/>",
    b"<vm/>",
    b"<domain>&amp;&lt;</domain>",
    b"<domain>&nope;</domain>",
    b"<!DOCTYPE domain [<!ENTITY e 'v'>]><domain>&e;</domain>",
    b"<domain><!-- c --></domain>",
    b"<domain>",
    b"<domain></domain><domain/>",
    b"",
    b"   ",
    b"\xef\xbb\xbf<domain/>",
    b"<domain a='1' a='2'/>",
    b"<domain>\x01</domain>",
    b"<domain>\xff</domain>",
]


def _etree_root(text: bytes) -> str | None:
    parser = XMLParser()
    try:
        parser.feed(text)
        return str(parser.close().tag)
    except (ParseError, ValueError, LookupError):
        return None


@pytest.mark.parametrize("doc", DOCUMENTS, ids=range(len(DOCUMENTS)))
def test_named_root_is_elementtrees(doc: bytes) -> None:
    ours = plain_root(doc)
    if ours is not None:
        theirs = _etree_root(doc)
        assert theirs is not None
        assert theirs == ("{" + ours if "}" in ours else ours)


def test_plain_documents_are_answered_without_etree() -> None:
    assert plain_root(DOCUMENTS[0]) == "domain" and plain_root(DOCUMENTS[1]) == "domain"
    code = (
        "import sys; from xensave._xmlfast import plain_root; "
        "print(plain_root(b\"<domain type='xen'/>\"), 'xml.etree' in sys.modules, "
        "'re' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["domain", "False", "False"]
