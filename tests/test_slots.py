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


def _fresh_point_class() -> type[Struct]:
    class P(Struct):
        x: int
        type: str = "plain"
        tags: list[str] = field(default_factory=list)

    return P


#: Calls that must make the same object whether interpreted or compiled.
_CALLS: list[tuple[tuple[object, ...], dict[str, object]]] = [
    ((1,), {}),
    ((1, "k"), {}),
    ((1, "k", ["a"]), {}),
    ((), {"x": 1}),
    ((1,), {"tags": ["b"]}),
    ((), {"tags": ["c"], "x": 2, "type": "t"}),
]
#: Calls that must fail with TypeError either way.
_BAD: list[tuple[tuple[object, ...], dict[str, object]]] = [
    ((), {}),
    ((1,), {"x": 2}),
    ((1,), {"colour": "red"}),
    ((1, "k", [], 4), {}),
    ((), {"type": "t"}),
]


def test_interpreted_first_instances_equal_compiled_ones() -> None:
    """A class's first instances are made without compiling its __init__ (start-up);
    they equal what the compiled one makes, and bad calls fail the same way."""
    from xensave import _slots

    early, late = _fresh_point_class(), _fresh_point_class()
    for _ in range(_slots.INTERPRETED_CALLS + 1):
        late(0)
    assert late.__dict__["__init__"].__code__.co_filename == "<string>"  # compiled
    for args, kwargs in _CALLS:
        a, b = early(*args, **kwargs), late(*args, **kwargs)
        assert a._values() == b._values() and a.tags is not early(1).tags
    assert early.__dict__["__init__"].__code__.co_filename != "<string>"  # still interpreted
    for args, kwargs in _BAD:
        with pytest.raises(TypeError):
            early(*args, **kwargs)
        with pytest.raises(TypeError):
            late(*args, **kwargs)


def test_interpreted_init_stores_through_the_class_setattr() -> None:
    seen: list[str] = []

    class Watched(Struct):
        a: int
        b: int = 2

        def __setattr__(self, name: str, value: object) -> None:
            seen.append(name)
            object.__setattr__(self, name, value)

    w = Watched(1)
    assert (w.a, w.b, seen) == (1, 2, ["a", "b"])
