"""A COLO forward stream: after each checkpoint the primary sends a libxl
CHECKPOINT_STATE (NEW) between CHECKPOINT_END and the resumed libxc records."""

from __future__ import annotations

import io

from xensave import samples
from xensave.bodies import CheckpointState, PageData
from xensave.checker import check_bytes
from xensave.constants import CheckpointControl, LibxlRecType, PageType, XcRecType
from xensave.model import LibxcStream, LibxlHeader, LibxlStream, Record
from xensave.reader import Reader, RecordEvent
from xensave.writer import to_bytes


def colo_stream(state_body: CheckpointState | bytes) -> LibxlStream:
    first = samples.libxc_stream("hvm", 3)
    first.records[-1] = Record(XcRecType.CHECKPOINT)  # the first checkpoint ends here
    emulator = samples.build("hvm", 3, "libxl")
    assert isinstance(emulator, LibxlStream)
    emu = [r for r in emulator.items if isinstance(r, Record) and r.type in (2, 3)]
    resumed = LibxcStream(
        None,
        None,
        [
            Record(XcRecType.PAGE_DATA, PageData.of([(3, PageType.NOTAB)])),
            Record(XcRecType.HVM_CONTEXT, samples.hvm_context_blob()),
            Record(XcRecType.END),
        ],
    )
    items: list[Record | LibxcStream] = [Record(LibxlRecType.LIBXC_CONTEXT), first]
    items += [*emu, Record(LibxlRecType.CHECKPOINT_END)]
    items.append(Record(LibxlRecType.CHECKPOINT_STATE, state_body))
    items += [resumed, *emu, Record(LibxlRecType.END)]
    return LibxlStream(LibxlHeader(), items)


def test_checkpoint_state_after_checkpoint_end_is_a_libxl_record() -> None:
    data = to_bytes(colo_stream(CheckpointState(CheckpointControl.NEW)))
    recs = [e for e in Reader(io.BytesIO(data)) if isinstance(e, RecordEvent)]
    states = [e for e in recs if e.layer == "libxl" and e.type == LibxlRecType.CHECKPOINT_STATE]
    assert len(states) == 1 and states[0].length == 4
    i = recs.index(states[0])
    assert (recs[i - 1].layer, recs[i - 1].type) == ("libxl", LibxlRecType.CHECKPOINT_END)
    assert (recs[i + 1].layer, recs[i + 1].type) == ("libxc", XcRecType.PAGE_DATA)
    assert not [e for e in recs if e.layer == "libxc" and e.type == 5]


def test_colo_stream_checks_clean() -> None:
    report = check_bytes(to_bytes(colo_stream(CheckpointState(CheckpointControl.NEW))))
    assert report.errors == [], [d.format("colo") for d in report.errors]


def test_back_channel_control_id_in_forward_stream_is_an_error() -> None:
    data = to_bytes(colo_stream(CheckpointState(CheckpointControl.SVM_READY)))
    assert "XL-CKS-004" in {d.rule for d in check_bytes(data).errors}
