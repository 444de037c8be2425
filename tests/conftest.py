"""Test-suite configuration.

Some checks need tools that pip does not install (readelf and gdb, Volatility 3): they
run in their own tox environments (``./dev tox -e export-tools``,
``./dev tox -e export-volatility``), which install the tools and set the variable
below. The default run does not collect them at all rather than reporting them as
skipped, so a skip in the default run always means something is wrong.

Property tests run under the hypothesis profile ``xensave``: no per-example deadline
(wall-clock limits fail on a slow or loaded machine, which CI is), the same examples on
every run and every machine (``derandomize``; a CI failure reproduces at home), and no
example database carried over from earlier runs. ``HYPOTHESIS_PROFILE=explore`` draws
new examples each run instead, for a deeper search by hand.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "xensave",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("explore", settings.get_profile("xensave"), derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "xensave"))

collect_ignore: list[str] = []
if os.environ.get("XENSAVE_EXPORT_TOOLS") != "1":
    collect_ignore.append("test_export_tools.py")
if os.environ.get("XENSAVE_INSTALL_TEST") != "1":
    collect_ignore.append("test_install.py")
if os.environ.get("XENSAVE_EXPORT_VOLATILITY") != "1":
    collect_ignore.append("test_export_volatility.py")
if os.environ.get("XENSAVE_XEN_ORACLE") != "1":
    collect_ignore.append("test_xen_oracle.py")
    collect_ignore.append("test_moves_oracle.py")
