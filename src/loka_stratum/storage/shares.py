"""Share records as storage sees them, batches of them, and their per-minute tallies.

Pure values and functions: no I/O, no clock. The batcher gathers records into a
``ShareBatch`` (``batches``); the repository writes its accepted shares one by
one and its ``StatsDelta`` rows as increments (see ``schema`` for why the two
are split).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

BUCKET_SECONDS = 60
MAX_NAME_LENGTH = 128
MAX_JOB_ID_LENGTH = 64
MAX_SHARE_ID = 2**63 - 1


class RejectReason(StrEnum):
    """The rejection kinds ``share_stats`` counts apart; any other reason is ``OTHER``."""

    STALE = "stale"
    DUPLICATE = "duplicate"
    LOW_DIFFICULTY = "low-difficulty"
    OTHER = "other"


# The validator's reject labels (``mining.validator.RejectReason.label``) by kind;
# a share for a job we no longer know is, for the miner's statistics, stale.
_KINDS = {
    "stale": RejectReason.STALE,
    "job-not-found": RejectReason.STALE,
    "duplicate": RejectReason.DUPLICATE,
    "low-difficulty": RejectReason.LOW_DIFFICULTY,
}


@dataclass(frozen=True, slots=True)
class ShareRecord:
    """One validated submit: accepted ones are stored, rejected ones only counted.

    ``share_id`` is unique across every producer (it is the idempotency key);
    ``difficulty`` is what the share is credited (the assigned difficulty),
    ``share_difficulty`` what its hash actually achieved.
    """

    share_id: int
    account: str
    worker: str
    job_id: str
    difficulty: float
    share_difficulty: float
    created_at: float
    accepted: bool
    reject_reason: str | None
    is_block: bool = False
    block_height: int | None = None

    def __post_init__(self) -> None:
        # Checked here, at the producer, because a batch the database refuses
        # would otherwise sit at the head of the journal and block every replay.
        if not 0 <= self.share_id <= MAX_SHARE_ID:
            raise ValueError(f"share_id {self.share_id} does not fit a signed 64-bit column")
        if max(len(self.account), len(self.worker)) > MAX_NAME_LENGTH:
            raise ValueError(f"account and worker are limited to {MAX_NAME_LENGTH} characters")
        if len(self.job_id) > MAX_JOB_ID_LENGTH:
            raise ValueError(f"job_id is limited to {MAX_JOB_ID_LENGTH} characters")
        if self.accepted == (self.reject_reason is not None):
            raise ValueError("a share is accepted xor has a reject reason")
        if self.is_block and not self.accepted:
            raise ValueError("a rejected share cannot be a block")


@dataclass(frozen=True, slots=True)
class StatsDelta:
    """What one batch adds to one (minute, account, worker) row of ``share_stats``."""

    bucket_start: int
    account: str
    worker: str
    accepted_count: int = 0
    accepted_difficulty: float = 0.0
    rejected_count: int = 0
    stale_count: int = 0
    duplicate_count: int = 0
    low_difficulty_count: int = 0
    other_rejected_count: int = 0


@dataclass(frozen=True, slots=True)
class WorkerSeen:
    """The first and last time a batch saw a worker (feeds ``workers``)."""

    account: str
    name: str
    first_seen: float
    last_seen: float


@dataclass(slots=True)
class _Tally:
    accepted_count: int = 0
    accepted_difficulty: float = 0.0
    rejected: dict[RejectReason, int] = field(default_factory=dict)

    def add(self, share: ShareRecord) -> None:
        if share.accepted:
            self.accepted_count += 1
            self.accepted_difficulty += share.difficulty
        else:
            kind = classify(share.reject_reason or RejectReason.OTHER)
            self.rejected[kind] = self.rejected.get(kind, 0) + 1

    def delta(self, bucket_start: int, account: str, worker: str) -> StatsDelta:
        return StatsDelta(
            bucket_start,
            account,
            worker,
            accepted_count=self.accepted_count,
            accepted_difficulty=self.accepted_difficulty,
            rejected_count=sum(self.rejected.values()),
            stale_count=self.rejected.get(RejectReason.STALE, 0),
            duplicate_count=self.rejected.get(RejectReason.DUPLICATE, 0),
            low_difficulty_count=self.rejected.get(RejectReason.LOW_DIFFICULTY, 0),
            other_rejected_count=self.rejected.get(RejectReason.OTHER, 0),
        )


def classify(reason: str) -> RejectReason:
    """Map a reject label onto the kinds counted apart."""
    return _KINDS.get(reason, RejectReason.OTHER)


def bucket_of(created_at: float) -> int:
    """Start (unix seconds) of the minute ``created_at`` falls in."""
    return int(created_at // BUCKET_SECONDS) * BUCKET_SECONDS


def aggregate(shares: Iterable[ShareRecord]) -> list[StatsDelta]:
    """Per-minute, per-worker tallies, sorted by key (a stable lock order for upserts)."""
    tallies: dict[tuple[int, str, str], _Tally] = {}
    for share in shares:
        key = (bucket_of(share.created_at), share.account, share.worker)
        tallies.setdefault(key, _Tally()).add(share)
    return [tally.delta(*key) for key, tally in sorted(tallies.items())]


def workers_seen(shares: Iterable[ShareRecord]) -> list[WorkerSeen]:
    """Each worker of a batch with its first and last share time, sorted by key."""
    spans: dict[tuple[str, str], tuple[float, float]] = {}
    for share in shares:
        key = (share.account, share.worker)
        first, last = spans.get(key, (share.created_at, share.created_at))
        spans[key] = (min(first, share.created_at), max(last, share.created_at))
    return [WorkerSeen(a, w, first, last) for (a, w), (first, last) in sorted(spans.items())]
