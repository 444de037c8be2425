"""``python -m xensave``: the same command as ``xensave``."""

import sys

from .cli import main

sys.exit(main())
