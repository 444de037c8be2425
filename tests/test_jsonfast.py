"""xensave._jsonfast.loads gives what json.loads gives, value or exception and message,
without importing json for a plainly valid document (an xl file's configuration)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from xensave._jsonfast import loads


def _reject(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


DOCUMENTS = [
    '{"c_info": {"type": "hvm", "name": "g"}, "b_info": {"max_vcpus": 2}}',
    ' \t\n{"a": [1, 2.5, -3e2, true, false, null, "\\u00e9\\n"]}\r\n ',
    "[]",
    '"text"',
    "12345678901234567890",
    "",
    "   ",
    "{",
    '{"a": 1,}',
    '{"a": 1} x',
    '{"a": 1} {"b": 2}',
    "\ufeff{}",
    '{"a": NaN}',
    '{"a": -Infinity}',
    '{"a": "tab\there"}',
    '{"a": "\\x"}',
    "[" * 300 + "]" * 300,
    "[" * 5000 + "]" * 5000,
    '{"a": ' + "1" * 5000 + "}",
    '{"a": 1, "a": 2}',
]


def _outcome(fn: object, s: str) -> tuple[str, object]:
    try:
        return "value", fn(s, parse_constant=_reject)  # type: ignore[operator]
    except (ValueError, RecursionError) as exc:
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("doc", DOCUMENTS, ids=range(len(DOCUMENTS)))
def test_same_value_or_same_error_as_json_loads(doc: str) -> None:
    assert _outcome(loads, doc) == _outcome(json.loads, doc)


def test_a_valid_document_does_not_import_json() -> None:
    code = (
        "import sys; from xensave._jsonfast import loads; "
        "v = loads(sys.argv[1], parse_constant=float); "
        "print(v == {'a': [1, {'b': None}]}, 'json' in sys.modules, 're' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, '{"a": [1, {"b": null}]}'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["True", "False", "False"]
