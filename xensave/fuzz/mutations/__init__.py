"""Mutations: each breaks a valid image in one way and declares the rules it breaks.

A mutation edits the model of a :class:`~xensave.fuzz.build.Generated` image in place
(or, for byte-level cuts, returns bytes) using a chooser for every decision, so a
failing case shrinks through the mutation's choices too. What a mutation breaks is
declared with it, from the rules' text and the image's structure, never by running an
implementation or the checker: that is what makes the expected verdict of a fuzz case
known in advance. ``tests/test_fuzz_mutations.py`` holds each mutation to its word by
checking that the reference checker finds exactly the declared rules broken.

A few mutations break one more rule only in some images (moving SHARED_INFO before
X86_PV_INFO also moves it before STATIC_DATA_END in a version 3 stream); they return
that rule in :attr:`Applied.breaks`, and list it in :attr:`Mutation.sometimes`.

The families: field-level changes (reserved fields and bits, lengths one off,
counts, types, versions, magic numbers), record-level changes (drop, duplicate, move
across an ordering boundary, insert records of unknown mandatory or optional types,
records of the other guest), and byte-level truncation.

Layout: one module per spec chapter, as ``spec/``, ``ksy/``, ``xensave/check/`` and
``generators/corpus/`` are split, each mutation a function named for what it breaks:

================  ==============================================================
``xl_file``       the xl save file (``spec/xl-file.md``; XLF-NEST from nesting)
``libxl``         the libxl stream (``spec/libxl-stream.md``; XL-NEST from nesting)
``libxc``         libxc headers, framing, END, TSC, STATIC_DATA_END, policies, the
                  rest of ``spec/libxc-stream.md`` that no module below takes
``libxc_pages``   PAGE_DATA
``pv``            X86_PV_INFO, X86_PV_P2M_FRAMES, the vCPU records, SHARED_INFO and
                  the PV vCPU context (``spec/pv-context.md``)
``hvm``           HVM_CONTEXT, HVM_PARAMS and the HVM context blob
                  (``spec/hvm-context.md``)
``wrappers``      the libvirt and XAPI wrappers (``spec/wrappers.md``)
================  ==============================================================

This module holds the vocabulary (:class:`Mutation`, :class:`Applied`,
:func:`mutation`), :mod:`.helpers` what several layers share, and
:mod:`.registry` the single list, :data:`~.registry.MUTATIONS`: a new mutation is
written in its layer's module and appended to that list (the order of the list is
what fuzzing draws from, so existing entries keep their places).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..build import Generated
from ..choices import Chooser

__all__ = ["Applied", "Mutation", "MutationFn", "mutation"]


@dataclass(frozen=True)
class Applied:
    """What a mutation did: ``detail`` in words; ``data`` the bytes when the mutation
    works on bytes (None: write the mutated model); ``breaks`` rules this image breaks
    besides the mutation's own (see :attr:`Mutation.sometimes`)."""

    detail: str
    data: bytes | None = None
    breaks: tuple[str, ...] = ()


#: A mutation's work: edit ``g`` with ``ch``'s choices; say what it did (a string is
#: the detail of an :class:`Applied` with nothing else).
MutationFn = Callable[[Chooser, Generated], Applied | str]


@dataclass(frozen=True)
class Mutation:
    # Defined here, not in a submodule: hypothesis labels the span of
    # ``Mutation.apply`` by its module and name (``choices._unit``), and the shrinker
    # orders labels, so moving this class would change which failures fuzzing reports.
    name: str
    breaks: tuple[str, ...]
    doc: str
    tags: tuple[str, ...]
    when: Callable[[Generated], bool]
    fn: MutationFn
    permits: tuple[str, ...] = ()
    relies: tuple[str, ...] = ()
    sometimes: tuple[str, ...] = ()

    def apply(self, ch: Chooser, gen: Generated) -> Applied:
        """Mutate ``gen`` (its model, in place)."""
        out = self.fn(ch, gen)
        return Applied(out) if isinstance(out, str) else out

    def applies(self, gen: Generated) -> bool:
        return self.when(gen)


def mutation(
    name: str,
    breaks: Sequence[str],
    doc: str,
    *,
    tags: Sequence[str],
    when: Callable[[Generated], bool] = lambda g: True,
    permits: Sequence[str] = (),
    relies: Sequence[str] = (),
    sometimes: Sequence[str] = (),
) -> Callable[[MutationFn], Mutation]:
    """Make a function a :class:`Mutation` named ``name`` that breaks ``breaks``; list
    it in :data:`.registry.MUTATIONS` to fuzz with it."""

    def deco(fn: MutationFn) -> Mutation:
        return Mutation(
            name,
            tuple(breaks),
            doc,
            tuple(tags),
            when,
            fn,
            tuple(permits),
            tuple(relies),
            tuple(sometimes),
        )

    return deco
