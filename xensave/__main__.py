"""``python -m xensave``: the same command as ``xensave``."""

from .cli import run

run()
