"""Extranonce subdivision: the width table, capacity, the upstream extranonce2, no overlap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.proxy.subdivision import ExtranonceSplit, MinerExtranonce, prefix_width

UPSTREAM_EN1 = bytes.fromhex("f8000001")


@pytest.mark.parametrize(
    ("size", "width"),
    [(0, 0), (1, 0), (2, 1), (3, 1), (4, 1), (5, 1), (6, 2), (7, 3), (8, 4), (9, 4), (16, 4)],
)
def test_prefix_width_table(size: int, width: int) -> None:
    assert prefix_width(size) == width


@pytest.mark.parametrize(
    ("size", "miner_size", "capacity"), [(2, 1, 256), (4, 3, 256), (8, 4, 2**32)]
)
def test_split_sizes(size: int, miner_size: int, capacity: int) -> None:
    split = ExtranonceSplit(UPSTREAM_EN1, size)
    assert split.miner_extranonce2_size == miner_size
    assert split.capacity == capacity
    miner = split.allocate(0.0)
    assert miner is not None
    assert miner.extranonce2_size == miner_size
    assert miner.extranonce1.startswith(UPSTREAM_EN1)
    assert len(miner.extranonce1) + miner_size == len(UPSTREAM_EN1) + size


def test_full_connection_reports_none_until_a_miner_leaves() -> None:
    split = ExtranonceSplit(UPSTREAM_EN1, 4)
    miners = [split.allocate(0.0) for _ in range(256)]
    assert None not in miners
    assert split.allocate(0.0) is None
    first = miners[0]
    assert first is not None
    split.release(first.extranonce1, 1.0)
    again = split.allocate(1.0)
    assert again == first
    assert split.in_use == 256


def test_unsplittable_upstream_carries_one_miner() -> None:
    split = ExtranonceSplit(UPSTREAM_EN1, 1)
    miner = split.allocate(0.0)
    assert miner == MinerExtranonce(UPSTREAM_EN1, 1)
    assert split.allocate(0.0) is None
    assert split.upstream_extranonce2(UPSTREAM_EN1, b"\x07") == b"\x07"
    split.release(UPSTREAM_EN1, 0.0)
    assert split.in_use == 0
    assert split.allocate(0.0) == miner


def test_upstream_extranonce2_is_prefix_then_miner_bytes() -> None:
    split = ExtranonceSplit(UPSTREAM_EN1, 8)
    miner = split.allocate(0.0)
    assert miner is not None
    en2 = bytes.fromhex("aabbccdd")
    upstream = split.upstream_extranonce2(miner.extranonce1, en2)
    assert UPSTREAM_EN1 + upstream == miner.extranonce1 + en2
    assert len(upstream) == 8


def test_upstream_extranonce2_refuses_foreign_extranonces() -> None:
    split = ExtranonceSplit(UPSTREAM_EN1, 4)
    miner = split.allocate(0.0)
    assert miner is not None
    with pytest.raises(ValueError, match="does not belong"):
        split.upstream_extranonce2(bytes.fromhex("f800000200"), b"\x00\x00\x00")
    with pytest.raises(ValueError, match="does not belong"):
        split.upstream_extranonce2(miner.extranonce1, b"\x00\x00")


def test_resume_window_gives_a_returning_miner_its_prefix() -> None:
    split = ExtranonceSplit(UPSTREAM_EN1, 4, resume_window=10.0)
    miner = split.allocate(0.0)
    other = split.allocate(0.0)
    assert miner is not None and other is not None
    split.release(miner.extranonce1, 1.0)
    assert split.allocate(2.0) != miner
    assert split.allocate(3.0, session_id=miner.extranonce1) == miner


operations = st.lists(st.tuples(st.booleans(), st.integers(0, 10_000)), max_size=400)


@given(size=st.integers(0, 9), ops=operations)
def test_live_miners_never_share_coinbase_extranonce_space(
    size: int, ops: list[tuple[bool, int]]
) -> None:
    """Each miner's region is en1 + every en2 of its size; equal lengths make it en1 equality."""
    split = ExtranonceSplit(UPSTREAM_EN1, size)
    live: list[MinerExtranonce] = []
    for now, (allocate, pick) in enumerate(ops):
        if allocate or not live:
            miner = split.allocate(float(now))
            assert (miner is None) == (len(live) == split.capacity)
            if miner is not None:
                live.append(miner)
        else:
            split.release(live.pop(pick % len(live)).extranonce1, float(now))
        regions = {m.extranonce1 for m in live}
        assert len(regions) == len(live) == split.in_use
        for m in live:
            assert m.extranonce1.startswith(UPSTREAM_EN1)
            assert len(m.extranonce1) + m.extranonce2_size == len(UPSTREAM_EN1) + size
        zero = [split.upstream_extranonce2(m.extranonce1, bytes(m.extranonce2_size)) for m in live]
        assert len(set(zero)) == len(live)
