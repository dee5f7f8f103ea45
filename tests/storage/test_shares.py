"""Share records and their per-minute tallies (pure code)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loka_stratum.storage import RejectReason, ShareRecord
from loka_stratum.storage.shares import aggregate, bucket_of, classify, workers_seen

from .factories import REASONS, T0, share

shares_lists = st.lists(
    st.builds(
        lambda i, worker, offset, accepted, reason_index: share(
            i,
            worker=worker,
            at=T0 + offset,
            accepted=accepted,
            reason=None if accepted else REASONS[reason_index],
        ),
        st.integers(0, 2**62),
        st.sampled_from(["rig1", "rig2", "rig3"]),
        st.floats(0, 600, allow_nan=False),
        st.booleans(),
        st.integers(0, len(REASONS) - 1),
    ),
    max_size=60,
)


@settings(deadline=None)  # correctness, not speed: no flakes on a loaded machine
@given(shares_lists)
def test_tallies_add_up_to_the_shares(shares: list[ShareRecord]) -> None:
    deltas = aggregate(shares)
    accepted = [s for s in shares if s.accepted]
    assert sum(d.accepted_count for d in deltas) == len(accepted)
    assert sum(d.accepted_difficulty for d in deltas) == pytest.approx(
        sum(s.difficulty for s in accepted)
    )
    assert sum(d.rejected_count for d in deltas) == len(shares) - len(accepted)
    for d in deltas:
        kinds = d.stale_count + d.duplicate_count + d.low_difficulty_count + d.other_rejected_count
        assert kinds == d.rejected_count
        assert d.bucket_start % 60 == 0
    keys = [(d.bucket_start, d.account, d.worker) for d in deltas]
    assert keys == sorted(set(keys))


@settings(deadline=None)  # correctness, not speed: no flakes on a loaded machine
@given(shares_lists)
def test_workers_seen_spans_cover_their_shares(shares: list[ShareRecord]) -> None:
    spans = {(w.account, w.name): w for w in workers_seen(shares)}
    assert set(spans) == {(s.account, s.worker) for s in shares}
    for s in shares:
        span = spans[(s.account, s.worker)]
        assert span.first_seen <= s.created_at <= span.last_seen


def test_buckets_are_whole_minutes() -> None:
    assert (bucket_of(119.999), bucket_of(120.0), bucket_of(0.5)) == (60, 120, 0)


def test_validator_labels_map_onto_counted_kinds() -> None:
    labels = ("stale", "job-not-found", "duplicate", "low-difficulty", "bad-nonce", "other")
    assert [classify(label) for label in labels] == [
        RejectReason.STALE,
        RejectReason.STALE,
        RejectReason.DUPLICATE,
        RejectReason.LOW_DIFFICULTY,
        RejectReason.OTHER,
        RejectReason.OTHER,
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"share_id": -1}, "signed 64-bit"),
        ({"share_id": 2**63}, "signed 64-bit"),
        ({"worker": "w" * 129}, "128 characters"),
        ({"account": "a" * 129}, "128 characters"),
        ({"job_id": "j" * 65}, "64 characters"),
    ],
)
def test_records_the_database_would_refuse_are_refused_up_front(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        replace(share(1), **changes)


@pytest.mark.parametrize(
    ("accepted", "reason", "is_block"),
    [(True, "stale", False), (False, None, False), (False, "stale", True)],
)
def test_inconsistent_records_are_refused(
    accepted: bool, reason: str | None, is_block: bool
) -> None:
    with pytest.raises(ValueError, match=r"accepted xor|cannot be a block"):
        ShareRecord(1, "a", "w", "j", 1.0, 1.0, T0, accepted, reason, is_block=is_block)
