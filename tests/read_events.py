"""The records a reader yields before it stops, for tests that look at what a stream
holds even where it is broken or, being checkpointed, has no END."""

from __future__ import annotations

import io

from xensave.reader import Reader, RecordEvent
from xensave.source import ReadError


def records(data: bytes) -> list[RecordEvent]:
    """The record events read, up to where the reader stops."""
    out: list[RecordEvent] = []
    try:
        for ev in Reader(io.BytesIO(data)):
            if isinstance(ev, RecordEvent):
                out.append(ev)
    except ReadError:
        pass
    return out
