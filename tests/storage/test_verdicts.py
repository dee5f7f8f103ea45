"""Upstream verdict records and their per-minute tallies (pure code)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.storage import Verdict, VerdictRecord
from loka_stratum.storage.verdicts import UpstreamDelta, fold_verdicts

from .factories import T0
from .verdict_factories import verdict

verdict_lists = st.lists(
    st.builds(
        lambda kind, upstream, worker, offset, difficulty: verdict(
            kind, upstream=upstream, worker=worker, at=T0 + offset, difficulty=difficulty
        ),
        st.sampled_from(Verdict),
        st.sampled_from(["main", "backup"]),
        st.sampled_from(["rig1", "rig2", "rig3"]),
        st.floats(0, 600, allow_nan=False),
        st.floats(0, 2**40, allow_nan=False),
    ),
    max_size=60,
)


def count(verdicts: list[VerdictRecord], *kinds: Verdict) -> int:
    return sum(v.verdict in kinds for v in verdicts)


@given(verdict_lists)
def test_fold_preserves_counts_and_accepted_difficulty(verdicts: list[VerdictRecord]) -> None:
    deltas = fold_verdicts(verdicts)
    assert sum(d.accepted_count for d in deltas) == count(verdicts, Verdict.ACCEPTED)
    assert sum(d.rejected_count for d in deltas) == count(verdicts, Verdict.REJECTED, Verdict.STALE)
    assert sum(d.stale_count for d in deltas) == count(verdicts, Verdict.STALE)
    assert sum(d.unanswered_count for d in deltas) == count(verdicts, Verdict.UNANSWERED)
    accepted_difficulty = sum(v.difficulty for v in verdicts if v.verdict is Verdict.ACCEPTED)
    assert sum(d.accepted_difficulty for d in deltas) == pytest.approx(accepted_difficulty)


@given(verdict_lists)
def test_fold_keys_are_unique_sorted_minutes(verdicts: list[VerdictRecord]) -> None:
    deltas = fold_verdicts(verdicts)
    keys = [(d.bucket_start, d.upstream, d.account, d.worker) for d in deltas]
    assert keys == sorted(set(keys))
    assert all(d.bucket_start % 60 == 0 for d in deltas)
    assert {k[1:] for k in keys} == {(v.upstream, v.account, v.worker) for v in verdicts}
    for d in deltas:
        assert d.accepted_count + d.rejected_count + d.unanswered_count > 0
        assert d.stale_count <= d.rejected_count


def test_fold_splits_by_minute_upstream_and_worker() -> None:
    minute = T0 - T0 % 60
    verdicts = [
        verdict(at=minute, difficulty=2.0),
        verdict(at=minute + 59.9, difficulty=3.0),
        verdict(Verdict.STALE, at=minute + 1, difficulty=100.0),
        verdict(Verdict.UNANSWERED, at=minute + 60),
        verdict(Verdict.REJECTED, upstream="backup", at=minute),
        verdict(worker="rig2", at=minute, difficulty=5.0),
    ]
    assert fold_verdicts(verdicts) == [
        UpstreamDelta(int(minute), "backup", "bc1qminer", "rig1", rejected_count=1),
        UpstreamDelta(
            int(minute),
            "main",
            "bc1qminer",
            "rig1",
            accepted_count=2,
            accepted_difficulty=5.0,
            rejected_count=1,
            stale_count=1,
        ),
        UpstreamDelta(int(minute), "main", "bc1qminer", "rig2", 1, 5.0),
        UpstreamDelta(int(minute) + 60, "main", "bc1qminer", "rig1", unanswered_count=1),
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"upstream": "u" * 129}, "128 characters"),
        ({"account": "a" * 129}, "128 characters"),
        ({"worker": "w" * 129}, "128 characters"),
        ({"verdict": "accepted"}, "not a Verdict"),
        ({"difficulty": -1.0}, "non-negative"),
        ({"difficulty": float("nan")}, "non-negative"),
        ({"difficulty": float("inf")}, "non-negative"),
        ({"created_at": -1.0}, "unix time"),
        ({"created_at": float("nan")}, "unix time"),
        ({"created_at": 253_402_300_800.0}, "unix time"),
    ],
)
def test_records_the_database_would_refuse_are_refused_up_front(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        replace(verdict(), **changes)


def test_longest_names_are_accepted() -> None:
    record = verdict(upstream="u" * 128, account="a" * 128, worker="w" * 128)
    assert len(record.upstream) == 128
