"""Slotted record classes without ``dataclasses``.

``xensave verify`` must check a 1 GiB image in less wall time than ``cat`` reads it;
the check itself takes about 20 ms, so start-up is most of the bill. Importing
``dataclasses`` costs about 17 ms (it imports ``inspect``) plus about a millisecond
per class, more than everything else the checker imports together. The classes on
the verify path (reader events, diagnostics, rules) therefore use this small
equivalent: fields are the annotated names in order, with defaults; ``__init__`` is
generated once per class; ``__repr__``, ``__eq__`` and ``replace`` are generic.
``typing.dataclass_transform`` tells type checkers that it behaves like a dataclass;
at run time ``typing`` is not imported (it and the ``re`` and ``enum`` it loads cost
more than this whole module).
"""

from __future__ import annotations

TYPE_CHECKING = False  # mypy reads this as true
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, ClassVar, TypeVar, dataclass_transform

    T = TypeVar("T")
    S = TypeVar("S", bound="Struct")
else:

    def dataclass_transform(**_kw: object) -> Callable[[type], type]:
        return lambda cls: cls


_MISSING = object()


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], T]) -> T:
    """A mutable default, made anew for every instance (as in dataclasses)."""
    return _Factory(default_factory)  # type: ignore[return-value]


@dataclass_transform(field_specifiers=(field,))
class _StructMeta(type):
    def __new__(
        mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any], frozen: bool = False
    ) -> _StructMeta:
        own = [
            k
            for k, v in ns.get("__annotations__", {}).items()
            if not k.startswith("_") and not str(v).startswith(("ClassVar", "typing.ClassVar"))
        ]
        inherited: tuple[str, ...] = ()
        for base in bases:
            inherited = getattr(base, "_fields", inherited)
        fields = (*inherited, *own)
        defaults: dict[str, Any] = {}
        for base in bases:
            defaults.update(getattr(base, "_defaults", {}))
        for k in own:
            if k in ns:
                defaults[k] = ns.pop(k)
        ns["__slots__"] = tuple(own)
        ns.pop("_fields", None)
        ns["_fields"] = fields
        ns["_defaults"] = defaults
        ns["_frozen"] = frozen
        ns.pop("__init__", None)
        if "__setattr__" not in ns:
            # a mutable class gets the plain slot store: a checking one costs a Python
            # call per assignment, thousands per image for the reader's events
            ns["__setattr__"] = _frozen_setattr if frozen else object.__setattr__
        cls = super().__new__(mcs, name, bases, ns)
        type.__setattr__(cls, "__init__", _first_init(cls, fields, defaults, frozen))
        return cls


#: How many instances of a class its interpreted ``__init__`` makes before the class's
#: own is compiled: compiling one (the parser, then the compiler) costs as much as a
#: few hundred interpreted calls, and a verify makes most classes a handful of times;
#: a class made more often (a record event per record) gets the faster compiled one.
INTERPRETED_CALLS = 64


def _first_init(
    cls: type, fields: tuple[str, ...], defaults: dict[str, Any], frozen: bool
) -> Callable[..., None]:
    """An ``__init__`` that stores the fields without compiling anything for the class's
    first INTERPRETED_CALLS instances, then compiles the class's real one and hands over
    to it. Any call it does not take plainly (a missing or unknown argument, one given
    twice, too many) goes to the compiled one, which alone raises TypeError."""
    n = len(fields)
    index = {f: i for i, f in enumerate(fields)}
    fill = tuple(defaults.get(f, _MISSING) for f in fields)
    store = object.__setattr__ if frozen else setattr
    calls = 0

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal calls
        init = cls.__dict__["__init__"]
        if init is __init__:
            calls += 1
            if calls <= INTERPRETED_CALLS and len(args) <= n:
                values = [*args, *fill[len(args) :]]
                given = len(args)
                for k, v in kwargs.items():
                    i = index.get(k, -1)
                    if i < given:  # unknown, or also given by position
                        break
                    values[i] = v
                else:
                    if _MISSING not in values:
                        for i, f in enumerate(fields):
                            v = values[i]
                            if fill[i] is not _MISSING and type(v) is _Factory:
                                v = v.make()
                            store(self, f, v)
                        return
            init = _make_init(cls.__name__, fields, defaults, frozen)
            type.__setattr__(cls, "__init__", init)
        init(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name!r}")


def _make_init(
    name: str, fields: tuple[str, ...], defaults: dict[str, Any], frozen: bool
) -> Callable[..., None]:
    params, body = [], []
    env: dict[str, Any] = {"_Factory": _Factory, "_set": object.__setattr__, "_type": type}
    for f in fields:
        d = defaults.get(f, _MISSING)
        if d is _MISSING:
            params.append(f)
            value = f
        else:
            env[f"_d_{f}"] = d
            params.append(f"{f}=_d_{f}")
            value = f"({f}.make() if _type({f}) is _Factory else {f})"
        body.append(f"_set(self, {f!r}, {value})" if frozen else f"self.{f} = {value}")
    src = f"def __init__(self, {', '.join(params)}):\n    " + "\n    ".join(body or ["pass"])
    exec(src, env)
    init: Callable[..., None] = env["__init__"]
    init.__qualname__ = f"{name}.__init__"
    return init


class Struct(metaclass=_StructMeta):
    """Base of the light record classes; ``class X(Struct, frozen=True)`` freezes."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}
    _frozen: ClassVar[bool] = False

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in self._fields)

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({inner})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        if not self._frozen:
            raise TypeError(f"unhashable type: {type(self).__name__!r}")
        return hash(self._values())

    def __setattr__(self, name: str, value: Any) -> None:
        if self._frozen:
            raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name!r}")
        object.__setattr__(self, name, value)


def replace(obj: S, **changes: Any) -> S:
    """A copy of ``obj`` with some fields changed (``dataclasses.replace``)."""
    values = {f: getattr(obj, f) for f in obj._fields}
    unknown = set(changes) - set(values)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field(s) {sorted(unknown)}")
    values.update(changes)
    return type(obj)(**values)
