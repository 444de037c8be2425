"""Hypothesis strategies for save images, for anyone's property tests.

* :func:`images` — valid images of every outermost layer (bare libxc or libxl
  streams, xl save files, libvirt and XAPI wrappers), guest (x86_32-pv, x86_64-pv,
  hvm) and libxc version (2, 3), built through the writer and respecting every image
  rule of the catalogue; each a :class:`~xensave.fuzz.build.Generated` with the model,
  its bytes (``.data``) and what it declares;
* :func:`cases` — fuzz cases (:class:`~xensave.fuzz.cases.Case`): such an image,
  most of the time broken by one mutation (:mod:`xensave.fuzz.mutations`), with the
  rules it breaks and the verdict that follows (``case.verdict.verdict`` is
  ``accept``, ``reject`` or ``either``), known without running anything.

Failing examples shrink structurally: fewer records and pages, simpler values, no
mutation. For instance::

    from hypothesis import given
    from xensave.fuzz.strategies import cases, images

    @given(images(layers=["libxc"], guests=["hvm"]))
    def test_reads_every_valid_stream(gen):
        assert my_parser.parse(gen.data) is not None

    @given(cases())
    def test_verdicts(case):
        expected = case.verdict.verdict
        if expected != "either":
            assert my_checker.is_valid(case.data) == (expected == "accept"), case.describe()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from .build import GUESTS, LAYERS, VERSIONS, Generated, Spec, build_image
from .cases import Case, build_case, select_mutations
from .choices import HypothesisChooser

__all__ = ["GUESTS", "LAYERS", "VERSIONS", "Case", "Generated", "cases", "images"]


def _spec(
    layers: Sequence[str] | None,
    guests: Sequence[str] | None,
    versions: Sequence[int] | None,
    big_endian: bool,
) -> Spec:
    return Spec(
        tuple(layers or LAYERS), tuple(guests or GUESTS), tuple(versions or VERSIONS), big_endian
    )


def images(
    layers: Sequence[str] | None = None,
    guests: Sequence[str] | None = None,
    versions: Sequence[int] | None = None,
    *,
    big_endian: bool = True,
) -> st.SearchStrategy[Generated]:
    """Valid images. ``layers`` (outermost: libxc, libxl, xl, libvirt, xapi),
    ``guests`` and ``versions`` restrict what is built (None: all);
    ``big_endian=False`` builds only little-endian images."""
    spec = _spec(layers, guests, versions, big_endian)

    @st.composite
    def strategy(draw: Any) -> Generated:
        return build_image(HypothesisChooser(draw), spec)

    return strategy()


def cases(
    layers: Sequence[str] | None = None,
    guests: Sequence[str] | None = None,
    versions: Sequence[int] | None = None,
    *,
    big_endian: bool = True,
    role: str = "validator",
    mutate: int = 75,
    mutations: Sequence[str] | None = None,
) -> st.SearchStrategy[Case]:
    """Fuzz cases: a valid image (as :func:`images`), broken ``mutate`` percent of
    the time by one mutation (``mutations``: by name, default all). The verdict is
    for an implementation of ``role``: ``validator`` (rejects an image whose only
    fault is a reserved field) or ``restorer`` (may accept it); see
    :mod:`xensave.fuzz.verdicts`."""
    spec = _spec(layers, guests, versions, big_endian)
    pool = select_mutations(mutations)

    @st.composite
    def strategy(draw: Any) -> Case:
        return build_case(HypothesisChooser(draw), spec, role=role, mutate=mutate, pool=pool)

    return strategy()
