"""A fuzz case: a valid image, perhaps broken by one mutation, and its verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .build import Generated, Spec, build_image
from .choices import Chooser
from .mutations import Mutation
from .mutations.registry import BY_NAME, MUTATIONS, applicable
from .verdicts import Verdict, derive

__all__ = ["Case", "build_case", "select_mutations"]


@dataclass
class Case:
    """A valid image (``base``), perhaps broken by ``mutation``.

    ``breaks`` are the rules the mutation declares (empty for an unmutated image);
    ``permits`` and ``relies`` come from the image and the mutation. :attr:`verdict`
    follows from them for ``role`` (:mod:`xensave.fuzz.verdicts`); nothing ran to
    find it. ``data`` is the image's bytes.
    """

    base: Generated
    mutation: str  # "" for none
    data: bytes
    breaks: tuple[str, ...] = ()
    permits: tuple[str, ...] = ()
    relies: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    role: str = "validator"
    detail: str = ""

    @property
    def verdict(self) -> Verdict:
        return derive(self.breaks, self.permits, self.relies, role=self.role)

    @property
    def rules(self) -> tuple[str, ...]:
        """What the case is about: the rules it breaks, then those it permits or
        relies on."""
        return tuple(dict.fromkeys((*self.breaks, *self.permits, *self.relies)))

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        """Hypothesis prints examples with this: the short form, never the bytes."""
        p.text(repr(self))

    def __repr__(self) -> str:
        return f"<Case {self.describe()}; {len(self.data)} octets>"

    def describe(self) -> str:
        b = self.base
        what = f"{b.layer} image of a {b.guest} guest, libxc v{b.version}"
        if b.big_endian:
            what += ", big-endian"
        if not self.mutation:
            return f"a valid {what}"
        more = f": {self.detail}" if self.detail else ""
        return f"a {what}, mutated by {self.mutation}{more}"


def select_mutations(names: Sequence[str] | None) -> list[Mutation]:
    """The mutations named (all when None); KeyError names an unknown one."""
    if names is None:
        return list(MUTATIONS)
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise KeyError(f"no such mutation: {', '.join(unknown)}")
    return [BY_NAME[n] for n in names]


def build_case(
    ch: Chooser,
    spec: Spec | None = None,
    *,
    role: str = "validator",
    mutate: int = 75,
    pool: Sequence[Mutation] | None = None,
) -> Case:
    """A case: a valid image within ``spec``, broken ``mutate`` percent of the time by
    one mutation of ``pool`` (default: all) that applies to it. The first choice says
    whether to mutate, so a failing mutated case can shrink to an unmutated one."""
    mutated = ch.integer(0, 99) >= 100 - mutate
    gen = ch.sub(build_image, spec or Spec())
    choices = applicable(gen, MUTATIONS if pool is None else pool) if mutated else []
    if not choices:
        return Case(gen, "", gen.data, (), tuple(gen.permits), tuple(gen.relies), (), role)
    m = choices[ch.integer(0, len(choices) - 1)]
    out = ch.sub(m.apply, gen)
    data = out.data if out.data is not None else gen.data
    return Case(
        gen,
        m.name,
        data,
        tuple(dict.fromkeys((*m.breaks, *out.breaks))),
        tuple(dict.fromkeys((*gen.permits, *m.permits))),
        tuple(dict.fromkeys((*gen.relies, *m.relies))),
        m.tags,
        role,
        out.detail,
    )
