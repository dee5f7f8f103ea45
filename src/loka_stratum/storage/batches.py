"""A batch: what the share sink writes in one transaction, exactly once.

Shares and upstream verdicts ride together so that one id in ``share_batches``
covers both: a replayed batch adds neither its share tallies nor its verdict
tallies a second time, and no second mechanism has to be kept in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from loka_stratum.storage.shares import ShareRecord
from loka_stratum.storage.verdicts import VerdictRecord


@dataclass(frozen=True, slots=True)
class ShareBatch:
    """Shares and verdicts written together, exactly once, under one ``batch_id``."""

    batch_id: str
    shares: tuple[ShareRecord, ...]
    verdicts: tuple[VerdictRecord, ...] = ()

    @property
    def accepted(self) -> list[ShareRecord]:
        return [share for share in self.shares if share.accepted]

    @property
    def size(self) -> int:
        """Records in the batch, the unit ``batch_size`` counts."""
        return len(self.shares) + len(self.verdicts)
