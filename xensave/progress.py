"""A one-line progress display on stderr, shown only when stderr is a terminal.

Deliberately tiny (no dependency): the tools call ``update(offset)`` as often as they
like; the line is redrawn at most ten times a second and erased by ``close``.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_INTERVAL = 0.1


def human(n: float) -> str:
    """Bytes in binary units: ``1.5 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


class Progress:
    """``Progress(total, label)``; ``total`` None when the size is unknown (a pipe)."""

    def __init__(
        self,
        total: int | None,
        label: str = "",
        stream: TextIO | None = None,
        enabled: bool | None = None,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            try:
                enabled = self.stream.isatty()
            except (AttributeError, ValueError, OSError):
                enabled = False
        self.enabled = enabled
        self.total = total if total else None
        self.label = label
        self.start = time.monotonic()
        self._next = self.start + 0.5  # nothing at all for runs shorter than this
        self._shown = False

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + _INTERVAL
        rate = done / max(now - self.start, 1e-9)
        text = f"{self.label}{human(done)}"
        if self.total is not None:
            pct = min(100.0, 100.0 * done / self.total)
            text += f" / {human(self.total)} ({pct:.0f}%)"
        text += f", {human(rate)}/s"
        try:
            self.stream.write(f"\r\x1b[K{text}")
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False
            return
        self._shown = True

    def close(self) -> None:
        if self._shown:
            try:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self._shown = False
