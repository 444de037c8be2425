"""The light record classes behave like the dataclasses they replace."""

from __future__ import annotations

import pytest

from xensave._slots import Struct, field, replace


class Point(Struct):
    x: int
    type: str = "plain"  # a field named like a builtin must not shadow it in __init__
    tags: list[str] = field(default_factory=list)


class Frozen(Struct, frozen=True):
    a: int
    b: str | None


def test_defaults_and_fresh_mutable_defaults() -> None:
    p, q = Point(1), Point(2, "kind")
    p.tags.append("t")
    assert (p.type, p.tags, q.type, q.tags) == ("plain", ["t"], "kind", [])


def test_equality_repr_and_replace() -> None:
    assert Point(1, "k", ["a"]) == Point(x=1, type="k", tags=["a"])
    assert Point(1) != Point(2)
    assert repr(Point(1)) == "Point(x=1, type='plain', tags=[])"
    assert replace(Point(1), type="other") == Point(1, "other")
    with pytest.raises(TypeError):
        replace(Point(1), nope=3)


def test_missing_or_unknown_arguments_fail() -> None:
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, colour="red")  # type: ignore[call-arg]


def test_slots_only() -> None:
    with pytest.raises(AttributeError):
        Point(1).extra = 3  # type: ignore[attr-defined]


def test_frozen_is_hashable_and_read_only() -> None:
    f = Frozen(1, None)
    assert hash(f) == hash(Frozen(1, None)) and {f, Frozen(1, None)} == {f}
    with pytest.raises(AttributeError):
        f.a = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        hash(Point(1))
