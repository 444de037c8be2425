"""xensave's enumerations (``xensave._codes``, no ``enum`` module on the verify path)
behave as ``enum.IntEnum`` / ``enum.StrEnum`` classes with the same members would, in
everything the package, its dump and JSON output and its users rely on."""

from __future__ import annotations

import copy
import enum
import json
import pickle

import pytest

from xensave import _codes, constants, hvm_typecodes, reader, rules
from xensave.legacy import format as legacy_format

#: Every enumeration the package defines, by where it is public.
CLASSES = [
    constants.XlMandatoryFlag,
    constants.LibxlRecType,
    constants.EmulatorId,
    constants.CheckpointControl,
    constants.DomainType,
    constants.XcRecType,
    constants.PageType,
    constants.TscMode,
    constants.HvmParam,
    reader.XapiKind,
    hvm_typecodes.Typecode,
    hvm_typecodes.Fit,
    legacy_format.Chunk,
    rules.Level,
]


def _real(cls: type) -> type[enum.Enum]:
    """The ``enum`` class with the same members, for comparison."""
    base = enum.StrEnum if issubclass(cls, str) else enum.IntEnum
    members = [(m.name, m.value) for m in cls]  # type: ignore[attr-defined]
    return base(cls.__name__, members)  # type: ignore[return-value]


def test_the_package_enumerations_are_the_cheap_ones() -> None:
    """What keeps ``enum`` off the verify path: every class here is built by _codes."""
    for cls in CLASSES:
        assert isinstance(cls, _codes._CodesType), cls
        assert not isinstance(cls, enum.EnumMeta), cls


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_members_behave_as_enum_members(cls: type) -> None:
    real = _real(cls)
    ours = list(cls)  # type: ignore[call-overload]
    theirs = list(real)
    assert [(m.name, m.value) for m in ours] == [(m.name, m.value) for m in theirs]
    assert len(cls) == len(real)  # type: ignore[arg-type]
    assert list(cls.__members__) == list(real.__members__)  # type: ignore[attr-defined]
    for a, b in zip(ours, theirs, strict=True):
        assert str(a) == str(b)
        assert f"{a}" == f"{b}" and f"{a!s:>12}" == f"{b!s:>12}"
        assert repr(a).replace(cls.__name__, "X") == repr(b).replace(real.__name__, "X")
        assert json.dumps(a) == json.dumps(b) and json.dumps({"k": a}) == json.dumps({"k": b})
        assert a == b.value and hash(a) == hash(b.value) and isinstance(a, type(b.value))
        assert type(a) is cls and a.name == b.name and type(a.value) is type(b.value)
        assert cls(b.value) is a and cls(a) is a and cls[b.name] is a  # type: ignore[index]
        assert a in cls and b.value in cls  # type: ignore[operator]
        assert pickle.loads(pickle.dumps(a)) is a
        assert copy.copy(a) is a and copy.deepcopy(a) is a
        assert getattr(cls, b.name) is a
        if isinstance(a, int):
            assert f"{a:#06x}" == f"{b:#06x}" and f"{a:d}" == f"{b:d}" and hex(a) == hex(b)
            assert type(a | 0) is int and a + 1 == b.value + 1 and bool(a) == bool(b)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_lookups_fail_as_enum_lookups_do(cls: type) -> None:
    real = _real(cls)
    missing = "NOT-A-LEVEL" if issubclass(cls, str) else 0x7FFF_FFFF
    with pytest.raises(ValueError) as ours:
        cls(missing)
    with pytest.raises(ValueError) as theirs:
        real(missing)
    assert str(ours.value).replace(cls.__name__, "X") == str(theirs.value).replace(
        real.__name__, "X"
    )
    with pytest.raises(ValueError):
        cls([])  # unhashable: not a member either
    with pytest.raises(KeyError):
        cls["NO_SUCH_NAME"]  # type: ignore[index]
    assert missing not in cls  # type: ignore[operator]
    first = next(iter(cls))  # type: ignore[call-overload]
    with pytest.raises(AttributeError):
        setattr(cls, first.name, 99)


def test_a_repeated_value_is_refused() -> None:
    """Aliases (two names, one value) are not supported: a class with one says so."""
    with pytest.raises(TypeError, match="B repeats the value of A"):

        class Twice(_codes.IntEnum):
            A = 1
            B = 1


def test_class_body_keeps_its_docstring_and_constants_stay_plain() -> None:
    class Kind(_codes.IntEnum):
        """Doc."""

        ONE = 1
        _private = 5

    assert Kind.__doc__ == "Doc." and Kind._private == 5 and list(Kind) == [Kind.ONE]
    assert repr(Kind) == "<enum 'Kind'>"


def test_pv_context_problem_is_the_named_tuple_it_stands_for() -> None:
    """pv_context.Problem is made without collections.namedtuple (off the verify path);
    it behaves as the namedtuple of the same fields."""
    import collections

    from xensave.pv_context import Problem

    real = collections.namedtuple("Problem", ("rule", "offset", "message"))
    ours, theirs = Problem("PV-X-001", 8, "m"), real("PV-X-001", 8, "m")
    assert ours == theirs and hash(ours) == hash(theirs) and repr(ours) == repr(theirs)
    assert (ours.rule, ours.offset, ours.message) == (theirs.rule, theirs.offset, theirs.message)
    assert Problem(rule="R", offset=1, message="x") == real(rule="R", offset=1, message="x")
    assert pickle.loads(pickle.dumps(ours)) == ours and type(copy.copy(ours)) is Problem
    assert Problem._fields == real._fields
    moved = ours._replace(offset=16)
    assert type(moved) is Problem and moved == theirs._replace(offset=16)
    with pytest.raises(ValueError):
        ours._replace(width=4)
    with pytest.raises(AttributeError):
        ours.rule = "other"  # type: ignore[misc]
