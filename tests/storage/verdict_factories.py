"""Builders for upstream verdict test data."""

from __future__ import annotations

from loka_stratum.storage import Verdict, VerdictRecord

from .factories import T0

# Accepted twice as often as each other outcome, as a healthy upstream would.
CYCLE = (Verdict.ACCEPTED, Verdict.ACCEPTED, Verdict.REJECTED, Verdict.STALE, Verdict.UNANSWERED)


def verdict(
    kind: Verdict = Verdict.ACCEPTED,
    *,
    upstream: str = "main",
    account: str = "bc1qminer",
    worker: str = "rig1",
    at: float = T0,
    difficulty: float = 1024.0,
) -> VerdictRecord:
    return VerdictRecord(upstream, account, worker, at, kind, difficulty)


def mixed_verdicts(first: int, count: int, *, at: float = T0) -> list[VerdictRecord]:
    """Every outcome, two upstreams, two workers, spread over a few minutes."""
    return [
        verdict(
            CYCLE[i % len(CYCLE)],
            upstream=("main", "backup")[i % 2],
            worker=f"rig{i // 2 % 2}",
            at=at + (i - first) * 0.5,
            difficulty=1024.0 * (1 + i % 3),
        )
        for i in range(first, first + count)
    ]
