"""The harness tests' fixtures (loaded with ``pytest_plugins``): ``corpus``, a small
corpus built from the writer's samples, and ``intact``, the same corpus checked to be
byte-identical after the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from testees.support import corpus_digest


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from xensave.conformance._samplecorpus import write_sample_corpus

    return write_sample_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture()
def intact(corpus: Path) -> Iterator[Path]:
    """The corpus must be byte-identical after the test."""
    before = corpus_digest(corpus)
    yield corpus
    assert corpus_digest(corpus) == before
