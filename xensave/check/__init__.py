"""The reference checker's rules, one module per spec chapter.

A module is named after its chapter (``spec/libxc-stream.md`` → ``libxc*.py``) and
owns the slice of :data:`xensave.checker.CHECKS` for the rules of that chapter it
cites; ``tests/test_check_chapters.py`` holds both. The entry points and the
dispatch of the reader's events are :mod:`xensave.checker`.

==================  ==============================  ==========================================
module              chapter                         rules
==================  ==============================  ==========================================
``xl_file``         ``spec/xl-file.md``             ``XLF-``: header, optional data, config
``libxl``           ``spec/libxl-stream.md``        ``XL-``: header, records
``nesting``         ``spec/nesting.md``             ``XLF-NEST-``, ``XL-NEST-``
``libxc``           ``spec/libxc-stream.md``        headers, framing, END, small records,
                                                    guest type; the record dispatch
``libxc_static``    ``spec/libxc-stream.md``        ``XC-SDE-``, ``XC-POL-``
``libxc_pages``     ``spec/libxc-stream.md``        ``XC-PAGE-`` (the hot path)
``libxc_pv``        ``spec/libxc-stream.md``        ``XC-PVI-``, ``XC-P2M-``, ``XC-VCPU-``,
                                                    ``XC-SHI-``
``libxc_hvm``       ``spec/libxc-stream.md``        ``XC-HVMC-``, ``XC-HVMP-``
``pv_context``      ``spec/pv-context.md``          ``PV-``
``hvm_context``     ``spec/hvm-context.md``         ``HVM-``
``legacy``          ``spec/legacy.md``              ``LEG-``
``wrappers``        ``spec/wrappers.md``            ``LVF-``, ``XAPI-``
``emit``            (none)                          results, emission, caps, per-layer state
==================  ==============================  ==========================================

Every module is plain functions taking the walk's :class:`~.emit.CheckState` first
(the legacy checker keeps its own state in one small class).
"""
