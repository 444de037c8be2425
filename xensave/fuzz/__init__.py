"""Fuzzing the save image: hypothesis strategies, structure-aware mutations, and
differential fuzzing of any implementation through the conformance harness.

* :mod:`.strategies` — hypothesis strategies of valid images of every layer, guest,
  libxc version and wrapping (built through the writer), and of fuzz cases: a valid
  image, perhaps broken by one mutation, with the verdict that follows from what it
  declares (third parties who use hypothesis can import these);
* :mod:`.mutations` — the mutations, each declaring the rules it breaks;
* :mod:`.verdicts` — how a declaration becomes an expected verdict;
* :mod:`.driver` — ``xensave fuzz``: drive cases through the harness, shrink what
  fails, write reproducers with a manifest entry each; :mod:`.cli` its command line.

Nothing is imported here, so ``xensave`` loads only what a command needs. The
strategies and the driver need hypothesis, a dependency of xensave.
"""
