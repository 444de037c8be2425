"""``IntEnum`` and ``StrEnum`` for xensave's own code tables, without the ``enum`` module.

Every ``xensave verify`` process needs the tables (record types, page types, HVM
typecodes, rule levels) but none of the ``enum`` module's machinery: importing ``enum``
(with ``functools``, ``collections`` and ``operator`` it loads) and creating the
package's fourteen enumerations with it cost about 40% of what a verify of a small
image spends above a bare ``python3 -c pass`` (callgrind). These classes make the same
objects cheaply: each member is an instance of its class, an ``int`` (or ``str``)
holding its value, with ``name`` and ``value``; the class looks members up by value
(``Cls(v)``, ``ValueError`` when none) and by name (``Cls[n]``), iterates them in
definition order, has ``__members__`` and ``len``, and ``in`` takes a member or a value
(as 3.12's ``enum`` does); ``str()``, ``format()``, ``repr()``, JSON,
pickling and copying give what ``enum`` gives in Python 3.11. Not provided, because no
code here uses it: ``isinstance(m, enum.Enum)``, ``auto()``, ``_missing_``, flags,
aliases (two names of one value), methods on members. ``tests/test_codes.py`` holds the
behaviour equal to ``enum``'s, member for member, on every class that uses these.

Type checkers see ``enum.IntEnum`` and ``enum.StrEnum`` themselves (below), so mypy
checks the users as it would check real enumerations.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from collections.abc import Iterator
    from enum import IntEnum as IntEnum
    from enum import StrEnum as StrEnum
    from typing import Any

__all__ = ["IntEnum", "StrEnum"]


class _CodesType(type):
    """The metaclass: turns the class body's plain values into members."""

    _member_map_: dict[str, Any]
    _value2member_map_: dict[object, Any]

    def __new__(mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> _CodesType:
        cls = super().__new__(mcs, name, bases, ns)
        members: dict[str, Any] = {}
        by_value: dict[object, Any] = {}
        data: Any = next((b for b in cls.__mro__ if b in (int, str)), None)
        if data is not None and any(isinstance(b, _CodesType) for b in bases):
            for key, value in ns.items():
                if key.startswith("_") or not isinstance(value, data):
                    continue
                if value in by_value:
                    raise TypeError(f"{name}: {key} repeats the value of {by_value[value].name}")
                member: Any = data.__new__(cls, value)
                member._name_ = key
                member._value_ = data(value)
                type.__setattr__(cls, key, member)
                members[key] = member
                by_value[value] = member
        cls._member_map_ = members
        cls._value2member_map_ = by_value
        return cls

    def __call__(cls, value: object) -> Any:
        try:
            return cls._value2member_map_[value]
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not a valid {cls.__qualname__}") from None

    def __getitem__(cls, name: str) -> Any:
        return cls._member_map_[name]

    def __iter__(cls) -> Iterator[Any]:
        return iter(cls._member_map_.values())

    def __len__(cls) -> int:
        return len(cls._member_map_)

    def __contains__(cls, item: object) -> bool:
        try:  # a member, or a member's value (Python 3.12's enum; 3.11 raises TypeError)
            return item in cls._value2member_map_
        except TypeError:
            return False

    @property
    def __members__(cls) -> dict[str, Any]:
        return dict(cls._member_map_)

    def __repr__(cls) -> str:
        return f"<enum {cls.__name__!r}>"

    def __setattr__(cls, name: str, value: object) -> None:
        if name in cls.__dict__.get("_member_map_", ()):
            raise AttributeError(f"cannot reassign member {name!r}")
        super().__setattr__(name, value)


class _Member:
    """What a member has besides its value (a mixin of the two bases below)."""

    __slots__ = ()
    _name_: str
    _value_: Any

    @property
    def name(self) -> str:
        return self._name_

    @property
    def value(self) -> Any:
        return self._value_

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self._name_}: {self._value_!r}>"

    def __reduce_ex__(self, protocol: object) -> tuple[Any, tuple[Any]]:
        return type(self), (self._value_,)

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: object) -> Any:
        return self


if not TYPE_CHECKING:

    class IntEnum(_Member, int, metaclass=_CodesType):
        """An ``enum.IntEnum`` look-alike (see the module docstring)."""

        __str__ = int.__repr__
        __format__ = int.__format__

    class StrEnum(_Member, str, metaclass=_CodesType):
        """An ``enum.StrEnum`` look-alike (see the module docstring)."""

        __str__ = str.__str__
        __format__ = str.__format__
