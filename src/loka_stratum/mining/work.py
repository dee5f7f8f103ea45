"""A miner session's mining parameters, as the share validator needs them.

Difficulty changes race with work in flight: a miner keeps hashing the job
it has after `mining.set_difficulty` arrives. A share for a job sent before
the change may therefore meet either the old or the new target; shares for
later jobs must meet the new one. Credit is the difficulty actually met.
"""

from __future__ import annotations

from dataclasses import dataclass

from loka_stratum.bitcoin.target import difficulty_to_target


@dataclass(frozen=True, slots=True)
class ShareTarget:
    difficulty: float
    target: int

    @classmethod
    def for_difficulty(cls, difficulty: float) -> ShareTarget:
        return cls(difficulty, difficulty_to_target(difficulty))


@dataclass(slots=True)
class MinerWork:
    """Per-session state the validator reads: extranonce, version mask, targets."""

    extranonce1: bytes
    extranonce2_size: int
    current: ShareTarget
    version_mask: int = 0
    previous: ShareTarget | None = None
    changed_at_seq: int = 0
    """First job seq sent with `current`; older jobs may still use `previous`."""

    @property
    def difficulty(self) -> float:
        return self.current.difficulty

    def set_difficulty(self, difficulty: float, next_job_seq: int) -> None:
        """Apply a new difficulty from job `next_job_seq` on."""
        if difficulty == self.current.difficulty:
            return
        self.previous = self.current
        self.current = ShareTarget.for_difficulty(difficulty)
        self.changed_at_seq = next_job_seq

    def targets_for(self, job_seq: int) -> tuple[ShareTarget, ShareTarget | None]:
        """The target a share for job `job_seq` must meet, and an easier-or-harder alternative."""
        if self.previous is not None and job_seq < self.changed_at_seq:
            return self.current, self.previous
        return self.current, None
