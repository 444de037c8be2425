"""The conformance harness: judge any implementation of the save image through a
subprocess, against the corpus in ``conformance/``.

* :mod:`.manifest` reads the corpus manifest and checks the corpus against it;
* :mod:`.adapters` describes implementations (adapter files, ``--impl``) and their
  expected-failure lists;
* :mod:`.protocol` is the persistent protocol's framing, :mod:`.testee` the bundled
  persistent testees (reference checker, Kaitai Python parser);
* :mod:`.execute` runs testees (process groups, deadlines, caps, private copies);
* :mod:`.runner` runs and judges a whole run;
* :mod:`.report` and :mod:`.html` turn a run into terminal text, JSON, JUnit XML and
  the HTML matrix; :mod:`.cli` is ``xensave conformance``.

Nothing is imported here, so ``xensave`` loads only what a command needs.
"""
