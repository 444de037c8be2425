"""``verify --target-xen`` on what convert-legacy-stream (Xen 4.6 on) reads differently
from Xen 4.0-4.5's xc_domain_restore in a legacy PV image, besides the unmapped pfns
(tests/test_legacy_unmapped.py). Each verdict is read in Xen's source, named at each
image; tests/test_xen_oracle.py has Xen 4.17's own tools judge the 4.6-on ones.

* VCPU_INFO: xc_domain_restore (4.0-4.5) takes the last chunk's map, vCPU 0 alone
  without one; convert-legacy-stream starts from an empty list and appends every map of
  the body (read_chunks), then reads one context per entry (read_pv_tail).
* 'xcnt': a value of 0 is no XSAVE state to every release (4.0 skips the block, 4.1-4.5
  skip the domctl, convert-legacy-stream's xsave_len is 0); a longer block is read for
  its first u32 from 4.6 (read_pv_extended_info).
* The XSAVE feature mask ahead of each state: 4.1-4.3's XEN_DOMCTL_setvcpuextstate
  refuses one beyond the host's, which XCNTXT_MASK (x87, SSE, YMM, LWP) bounds; 4.4's
  validate_xstate refuses an xcr0_accum beyond it; 4.5 ignores it and
  convert-legacy-stream drops it.
"""

from __future__ import annotations

import io
import struct

from xensave.checker import check_bytes
from xensave.legacy.format import Chunk, LegacyImage, PvTail, RawChunk, encode, vcpu_info
from xensave.legacy.samples import build
from xensave.releases import Release
from xensave.target import TargetReport, judge_stream

OLD: tuple[Release, ...] = ((4, 0), (4, 1), (4, 5))
NEW: tuple[Release, ...] = ((4, 6), (4, 17), (4, 22))


def _judge(data: bytes, rel: Release) -> TargetReport:
    return judge_stream(io.BytesIO(data), rel)


def base(vcpus: int = 1, xsave: bool = True) -> LegacyImage:
    return build(64, "pv", levels=4, vcpus=vcpus, xsave=xsave).image


def _body(img: LegacyImage) -> list[object]:
    return img.checkpoints[0].body  # type: ignore[return-value]


def _vcpu_info_at(img: LegacyImage) -> int:
    return next(
        i for i, c in enumerate(_body(img)) if isinstance(c, RawChunk) and c.type == Chunk.VCPU_INFO
    )


def without_vcpu_info() -> bytes:
    img = base()
    del _body(img)[_vcpu_info_at(img)]
    return encode(img)


def two_vcpu_infos() -> bytes:
    img = base()
    _body(img).insert(_vcpu_info_at(img), vcpu_info(0, [0]))
    return encode(img)


def _xcnt(img: LegacyImage, data: bytes) -> None:
    at = next(i for i, (bid, _d) in enumerate(img.ext_blocks) if bid == b"xcnt")
    img.ext_blocks[at] = (b"xcnt", data)


def xcnt_zero() -> bytes:
    """An 'xcnt' of 0 and no XSAVE state in the tail."""
    img = base(xsave=False)
    img.ext_blocks.append((b"xcnt", struct.pack("<I", 0)))
    return encode(img)


def xcnt_long() -> bytes:
    """The base's 'xcnt' value, then 4 octets more in its block."""
    img = base()
    at = next(i for i, (bid, _d) in enumerate(img.ext_blocks) if bid == b"xcnt")
    _xcnt(img, img.ext_blocks[at][1] + b"\0\0\0\0")
    return encode(img)


def with_mask(mask: int) -> bytes:
    img = base()
    tail = img.checkpoints[-1].tail
    assert isinstance(tail, PvTail)
    _old, area = tail.xsave[0]
    assert struct.unpack_from("<QQ", area) == (7, 7)  # xcr0, xcr0_accum: x87, SSE, YMM
    tail.xsave[0] = (mask, area)
    return encode(img)


def test_the_images_differ_from_the_base_only_as_meant() -> None:
    assert check_bytes(without_vcpu_info()).errors == []
    assert check_bytes(two_vcpu_infos()).errors == []
    assert [d.rule for d in check_bytes(xcnt_zero()).errors] == ["LEG-EXT-005"]
    assert [d.rule for d in check_bytes(xcnt_long()).errors] == ["LEG-EXT-005"]
    assert check_bytes(with_mask(0x3)).errors == []


def test_no_vcpu_info_chunk_restores_before_4_6_only() -> None:
    data = without_vcpu_info()
    for rel in OLD:
        assert _judge(data, rel).restorable, rel
    for rel in NEW:
        (reason,) = _judge(data, rel).reasons
        assert reason.function.endswith("xg_sr_restore_x86_pv.c:update_vcpu_context"), rel
        assert "no VCPU_INFO" in reason.message


def test_two_vcpu_info_chunks_are_read_twice_from_4_6() -> None:
    data = two_vcpu_infos()
    for rel in OLD:
        assert _judge(data, rel).restorable, rel
    for rel in NEW:
        (reason,) = _judge(data, rel).reasons
        assert reason.function.endswith("convert-legacy-stream:read_pv_tail"), rel
        assert "reads 2 vCPU contexts where the tail holds 1" in reason.message


def test_an_xcnt_of_zero_is_no_xsave_state_to_every_release() -> None:
    data = xcnt_zero()
    for rel in OLD + NEW:
        report = _judge(data, rel)
        assert report.restorable, (rel, report.reasons)


def test_a_longer_xcnt_block_restores_from_4_6() -> None:
    data = xcnt_long()
    for rel in OLD[1:]:  # 4.0 skips the block
        assert [r.rule for r in _judge(data, rel).reasons] == ["LEG-EXT-005"], rel
    for rel in (OLD[0], *NEW):
        assert _judge(data, rel).restorable, rel


def test_the_xsave_feature_mask_by_release() -> None:
    beyond = with_mask(0x7 | 1 << 5)  # OPMASK: outside 4.1-4.4's XCNTXT_MASK
    for rel in ((4, 1), (4, 3)):
        (reason,) = _judge(beyond, rel).reasons
        assert reason.function == "xen/arch/x86/domctl.c:arch_do_domctl", rel
    for rel in ((4, 0), (4, 4), (4, 5), (4, 6), (4, 17)):
        assert _judge(beyond, rel).restorable, rel
    short = with_mask(0x3)  # xcr0_accum 0x7 has YMM, the mask not
    (reason,) = _judge(short, (4, 4)).reasons
    assert reason.function == "xen/arch/x86/xstate.c:validate_xstate"
    assert struct.unpack_from("<Q", short, reason.offset)[0] == 7  # at xcr0_accum
    for rel in ((4, 0), (4, 1), (4, 3), (4, 5), (4, 6), (4, 17)):
        assert _judge(short, rel).restorable, rel
