"""Upstream verdicts as storage sees them (proxy mode), and their per-minute tallies.

Pure values and functions: no I/O, no clock. The proxy validates a miner's
share locally (a ``ShareRecord``) and forwards it when it meets the upstream
difficulty; what the upstream then says about it is a ``VerdictRecord``. They
travel in the same ``ShareBatch`` as shares, so the batch id that makes shares
exactly-once covers verdicts too.

Counting follows ``share_stats``: ``rejected_count`` is every "no" from the
upstream and ``stale_count`` the part of it that was stale. A share the
upstream never answered (timeout, connection lost) is neither accepted nor
rejected: we do not know, and ``unanswered_count`` says so rather than guess.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from loka_stratum.storage.shares import MAX_NAME_LENGTH, bucket_of

MAX_TIMESTAMP = 253_402_300_800.0
"""Year 10000: the first instant a UTC datetime column cannot hold."""


class Verdict(StrEnum):
    """What became of one share forwarded upstream."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    STALE = "stale"
    UNANSWERED = "unanswered"
    """No answer: the request timed out or the connection was gone."""


@dataclass(frozen=True, slots=True)
class VerdictRecord:
    """The upstream's verdict on one forwarded share.

    ``difficulty`` is the upstream difficulty the share is credited with there;
    only accepted verdicts add it to ``accepted_difficulty``.
    """

    upstream: str
    account: str
    worker: str
    created_at: float
    verdict: Verdict
    difficulty: float

    def __post_init__(self) -> None:
        # Checked at the producer, like ShareRecord: a batch the database refuses
        # would sit at the head of the journal and block every replay behind it.
        if max(len(self.upstream), len(self.account), len(self.worker)) > MAX_NAME_LENGTH:
            raise ValueError(
                f"upstream, account and worker are limited to {MAX_NAME_LENGTH} characters"
            )
        if not isinstance(self.verdict, Verdict):
            raise ValueError(f"verdict {self.verdict!r} is not a Verdict")
        if not (math.isfinite(self.difficulty) and self.difficulty >= 0):
            raise ValueError(f"difficulty {self.difficulty} is not a finite, non-negative number")
        if not 0 <= self.created_at < MAX_TIMESTAMP:
            raise ValueError(f"created_at {self.created_at} is not a storable unix time")


@dataclass(frozen=True, slots=True)
class UpstreamDelta:
    """What one batch adds to one (minute, upstream, account, worker) row of
    ``upstream_share_stats``."""

    bucket_start: int
    upstream: str
    account: str
    worker: str
    accepted_count: int = 0
    accepted_difficulty: float = 0.0
    rejected_count: int = 0
    stale_count: int = 0
    unanswered_count: int = 0


UpstreamKey = tuple[int, str, str, str]


def fold_verdicts(verdicts: Iterable[VerdictRecord]) -> list[UpstreamDelta]:
    """Per-minute tallies per upstream and worker, sorted by key (a stable lock order)."""
    counts: dict[UpstreamKey, dict[Verdict, int]] = {}
    difficulty: dict[UpstreamKey, float] = {}
    for record in verdicts:
        key = (bucket_of(record.created_at), record.upstream, record.account, record.worker)
        tally = counts.setdefault(key, dict.fromkeys(Verdict, 0))
        tally[record.verdict] += 1
        if record.verdict is Verdict.ACCEPTED:
            difficulty[key] = difficulty.get(key, 0.0) + record.difficulty
    return [_delta(key, counts[key], difficulty.get(key, 0.0)) for key in sorted(counts)]


def _delta(key: UpstreamKey, tally: dict[Verdict, int], difficulty: float) -> UpstreamDelta:
    return UpstreamDelta(
        *key,
        accepted_count=tally[Verdict.ACCEPTED],
        accepted_difficulty=difficulty,
        rejected_count=tally[Verdict.REJECTED] + tally[Verdict.STALE],
        stale_count=tally[Verdict.STALE],
        unanswered_count=tally[Verdict.UNANSWERED],
    )
