"""Default budgets of ``xensave fuzz`` (kept apart so the command line can show them
without importing the driver)."""

from __future__ import annotations

#: Cases to search at most.
DEFAULT_MAX_EXAMPLES = 2000
#: Seconds of search at most.
DEFAULT_MAX_TIME = 50.0
#: Seconds to shrink all failures, shared among them.
DEFAULT_SHRINK_TIME = 50.0
#: After the first failure, seconds to search on for failures of other kinds.
DEFAULT_EXPLORE_TIME = 10.0
#: Seconds a testee gets per case (unless its adapter says).
DEFAULT_TIMEOUT = 5.0
#: Seconds more for the first request after a persistent testee (re)starts (a warm-up
#: image whose answer is ignored, so no case pays for a slow start).
DEFAULT_STARTUP_GRACE = 3.0
