"""Where the builders' choices come from: hypothesis, or a fast random source.

The image builders (:mod:`.build`, :mod:`.mutations`) make every decision through a
:class:`Chooser`: ``integer(lo, hi)``, ``binary(max_size)`` and ``sub(fn, ...)`` for a
structural unit (a record, a stream). Two choosers stand behind that:

* :class:`HypothesisChooser` draws from hypothesis (one integer or bytes choice per
  call, a span per ``sub``), which is what the public strategies use and what lets
  hypothesis shrink a failing case structurally;
* :class:`RandomChooser` draws from :mod:`random` a hundred times faster and records
  every value it hands out. Its record is a hypothesis choice sequence: replayed
  through :class:`HypothesisChooser` it builds the same image, which is how
  ``xensave fuzz`` searches fast and still has hypothesis shrink what it finds.

The two stay in step because both skip the same degenerate choices (``lo == hi``,
``max_size == 0``) and draw nothing else.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

__all__ = ["Chooser", "HypothesisChooser", "RandomChooser", "ReplayChooser"]

T = TypeVar("T")


class Chooser(Protocol):
    def integer(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]; shrinks towards ``lo``."""
        ...

    def binary(self, max_size: int) -> bytes:
        """0 to ``max_size`` octets; shrinks towards empty."""
        ...

    def sub(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(self, *args)``: one structural unit of the image."""
        ...


class RandomChooser:
    """Random choices with a bias towards the bounds and small values (where bugs
    are), recorded in :attr:`choices` (with what was asked in :attr:`asked`)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.choices: list[int | bytes] = []
        self.asked: list[tuple[int, int]] = []  # (lo, hi) of an int; (-1, max) of bytes

    def integer(self, lo: int, hi: int) -> int:
        if lo == hi:
            return lo
        span = hi - lo
        r = self.rng.random()
        if span > 127 and r < 0.1:
            v = (lo, hi, lo + 1, hi - 1)[int(r * 40)]
        elif span > 127 and r < 0.25:
            v = lo + self._below(17)
        else:
            v = lo + self._below(span + 1)
        self.choices.append(v)
        self.asked.append((lo, hi))
        return v

    def _below(self, n: int) -> int:
        """``rng.randint(0, n - 1)``, drawing the same bits as it does (rejection
        sampling on ``n.bit_length()`` random bits: ``tests/test_fuzz_mutations.py``
        holds the two equal) without its layers of calls: fuzzing draws some fifty
        integers a case."""
        k = n.bit_length()
        getrandbits = self.rng.getrandbits
        v = getrandbits(k)
        while v >= n:
            v = getrandbits(k)
        return v

    def binary(self, max_size: int) -> bytes:
        if max_size <= 0:
            return b""
        b = self.rng.randbytes(self.rng.randint(0, max_size))
        self.choices.append(b)
        self.asked.append((-1, max_size))
        return b

    def sub(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(self, *args)


class ReplayChooser(RandomChooser):
    """Replays a recorded choice sequence; where a recorded value does not fit what is
    asked now (the sequence was edited, so later choices moved) or the sequence is
    used up, it chooses the simplest value. Records what it actually chose, as a
    :class:`RandomChooser` does, so the result replays exactly in hypothesis."""

    def __init__(self, values: list[int | bytes]) -> None:
        super().__init__(random.Random(0))
        self.values = values
        self.at = 0

    def _next(self) -> int | bytes | None:
        if self.at >= len(self.values):
            return None
        v = self.values[self.at]
        self.at += 1
        return v

    def integer(self, lo: int, hi: int) -> int:
        if lo == hi:
            return lo
        v = self._next()
        out = v if isinstance(v, int) and lo <= v <= hi else lo
        self.choices.append(out)
        self.asked.append((lo, hi))
        return out

    def binary(self, max_size: int) -> bytes:
        if max_size <= 0:
            return b""
        v = self._next()
        out = v[:max_size] if isinstance(v, bytes) else b""
        self.choices.append(out)
        self.asked.append((-1, max_size))
        return out


class HypothesisChooser:
    """Choices drawn by a hypothesis ``draw`` function (inside ``st.composite``)."""

    def __init__(self, draw: Callable[[Any], Any]) -> None:
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        if lo == hi:
            return lo
        return int(self.draw(_integers(lo, hi)))

    def binary(self, max_size: int) -> bytes:
        if max_size <= 0:
            return b""
        return bytes(self.draw(_binary(max_size)))

    def sub(self, fn: Callable[..., T], *args: Any) -> T:
        value: T = self.draw(_unit(fn, args))
        return value


# Strategies are built once per shape: building one costs more than drawing from it.
_INTS: dict[tuple[int, int], Any] = {}
_BINS: dict[int, Any] = {}


def _integers(lo: int, hi: int) -> Any:
    s = _INTS.get((lo, hi))
    if s is None:
        from hypothesis import strategies as st

        s = _INTS[(lo, hi)] = st.integers(lo, hi)
    return s


def _binary(max_size: int) -> Any:
    s = _BINS.get(max_size)
    if s is None:
        from hypothesis import strategies as st

        s = _BINS[max_size] = st.binary(max_size=max_size)
    return s


_UNITS: dict[Callable[..., Any], Any] = {}
_ARGS: list[tuple[Any, ...]] = []


def _unit(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """A strategy running ``fn`` on a chooser of its own draws: one span, labelled by
    ``fn``. One strategy object per function, made once (making a composite per call
    re-reads its source and re-validates it, which dominated the cost of a shrink);
    the arguments travel on a stack, since units nest."""
    unit = _UNITS.get(fn)
    if unit is None:
        from hypothesis.strategies import SearchStrategy

        name = f"xensave.fuzz:{fn.__module__}.{fn.__qualname__}"
        label = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")

        class Unit(SearchStrategy[Any]):
            def calc_label(self) -> int:
                return label

            def do_draw(self, data: Any) -> Any:
                return fn(HypothesisChooser(data.draw), *_ARGS.pop())

        unit = _UNITS[fn] = Unit()
    _ARGS.append(args)
    return unit
