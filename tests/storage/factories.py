"""Builders for storage test data."""

from __future__ import annotations

from loka_stratum.storage import RejectReason, ShareBatch, ShareRecord

T0 = 1_700_000_000.0
REASONS = (RejectReason.STALE, RejectReason.DUPLICATE, RejectReason.LOW_DIFFICULTY, "bad-nonce")


def share(
    share_id: int,
    *,
    account: str = "bc1qminer",
    worker: str = "rig1",
    at: float = T0,
    accepted: bool = True,
    reason: str | None = None,
    difficulty: float = 8.0,
) -> ShareRecord:
    """An accepted share by default; ``accepted=False`` picks a reason from the id."""
    if not accepted and reason is None:
        reason = REASONS[share_id % len(REASONS)]
    return ShareRecord(
        share_id=share_id,
        account=account,
        worker=worker,
        job_id=f"job{share_id % 7}",
        difficulty=difficulty,
        share_difficulty=difficulty * 1.5,
        created_at=at,
        accepted=accepted,
        reject_reason=reason,
    )


def mixed_shares(first_id: int, count: int, *, at: float = T0) -> list[ShareRecord]:
    """Every fourth share rejected, two workers, spread over a few minutes."""
    return [
        share(
            i,
            worker=f"rig{i % 2}",
            at=at + (i - first_id) * 0.5,
            accepted=i % 4 != 0,
        )
        for i in range(first_id, first_id + count)
    ]


def batch(batch_id: str, shares: list[ShareRecord]) -> ShareBatch:
    return ShareBatch(batch_id, tuple(shares))
