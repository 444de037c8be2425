"""A one-line progress display on stderr, shown only when stderr is a terminal.

Deliberately tiny, and kept rather than tqdm or rich: every long command (verify,
dump, convert, export, pages, diff, conformance run, fuzz) needs only a throttled,
self-erasing line of bytes or items, known total or not (a pipe), silent for short
runs and when stderr is not a terminal (logs, CI). That is this module's whole job in
about eighty lines; a library would add a dependency, an import on the start-up path
``xensave verify`` keeps short, and defaults (bars written into logs) to turn off.
The tools call ``update(done)`` as often as they like; the line is redrawn at most ten
times a second and erased by ``close``. ``XENSAVE_PROGRESS=always`` shows it whatever
stderr is (and from the first update), ``never`` never.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False  # typing stays off the start-up; mypy reads this as true
if TYPE_CHECKING:
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
    """``Progress(total, label)``; ``total`` None when the size is unknown (a pipe).
    ``unit`` None counts bytes (shown in binary units and per second), otherwise
    items of that name ("cases")."""

    def __init__(
        self,
        total: int | None,
        label: str = "",
        stream: TextIO | None = None,
        enabled: bool | None = None,
        unit: str | None = None,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        forced = os.environ.get("XENSAVE_PROGRESS", "")
        if enabled is None and forced in ("always", "never"):
            enabled = forced == "always"  # a log that wants it, or a terminal that does not
        if enabled is None:
            try:
                enabled = self.stream.isatty()
            except (AttributeError, ValueError, OSError):
                enabled = False
        self.enabled = enabled
        self.total = total if total else None
        self.label = label
        self.unit = unit
        self.start = time.monotonic()
        # nothing at all for runs shorter than this, unless asked for always
        self._next = self.start + (0.0 if forced == "always" else 0.5)
        self._shown = False

    def update(self, done: int, note: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + _INTERVAL
        text = f"{self.label}{self.text(done, now - self.start)}"
        if note:
            text += f" {note}"
        try:
            self.stream.write(f"\r\x1b[K{text}")
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False
            return
        self._shown = True

    def restart(self, label: str, total: int | None) -> None:
        """A new phase on the same line (reading, then writing): ``label``, counting
        from zero towards ``total``."""
        self.label = label
        self.total = total if total else None
        self.start = time.monotonic()
        if self._shown:
            self._next = self.start  # the line is up: name the new phase at once

    def text(self, done: int, seconds: float) -> str:
        """``1.0 GiB / 4.0 GiB (25%), 512.0 MiB/s``, or ``12/340 cases``."""
        if self.unit is not None:
            total = f"/{self.total}" if self.total is not None else ""
            return f"{done}{total} {self.unit}"
        text = human(done)
        if self.total is not None:
            pct = min(100.0, 100.0 * done / self.total)
            text += f" / {human(self.total)} ({pct:.0f}%)"
        return text + f", {human(done / max(seconds, 1e-9))}/s"

    def close(self) -> None:
        if self._shown:
            try:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self._shown = False
