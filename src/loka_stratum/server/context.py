"""Pool mode's shared parts: jobs from templates, the validator, extranonce1s, blocks.

A new template reaches every active session through `broadcast`, which writes the
same encoded bytes to all sessions with the same payout script. Sessions,
admission, bans and counters are `ServerContext`'s (shared with proxy mode).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from loka_stratum.mining.extranonce import ExtranonceAllocator, ExtranonceExhaustedError
from loka_stratum.mining.validator import ShareValidator
from loka_stratum.observability.loggers import get_logger
from loka_stratum.observability.metrics import Metrics
from loka_stratum.server.jobs import JobDistributor
from loka_stratum.server.policy import SessionPolicy
from loka_stratum.server.registry import ServerContext, ServerCounters
from loka_stratum.server.shares import BlockHandler, ShareSink
from loka_stratum.sources.base import TemplateUpdate

if TYPE_CHECKING:
    from loka_stratum.server.registry import AnySession

log = get_logger("loka_stratum.server")

__all__ = ["PoolContext", "ServerCounters"]


class PoolContext(ServerContext):
    def __init__(
        self,
        *,
        policy: SessionPolicy,
        jobs: JobDistributor,
        validator: ShareValidator,
        allocator: ExtranonceAllocator,
        shares: ShareSink,
        blocks: BlockHandler,
        metrics: Metrics,
        max_connections: int,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            policy=policy,
            shares=shares,
            metrics=metrics,
            max_connections=max_connections,
            clock=clock,
            monotonic=monotonic,
        )
        self.jobs = jobs
        self.validator = validator
        self.allocator = allocator
        self.blocks = blocks

    @property
    def has_work(self) -> bool:
        """A template is in hand to build jobs from (readiness)."""
        return self.jobs.template is not None

    def forget(self, session: AnySession, reason: str) -> bool:
        if not super().forget(session, reason):
            return False
        if session.extranonce1 is not None:
            self.allocator.release(session.extranonce1, self.clock())
        return True

    def allocate_extranonce(self, resume: bytes | None) -> bytes | None:
        try:
            return self.allocator.allocate(self.clock(), resume)
        except ExtranonceExhaustedError:
            log.error("Extranonce space exhausted", error_type="extranonce_exhausted")
            return None

    # -- work ----------------------------------------------------------------

    def broadcast(self, update: TemplateUpdate) -> int:
        """Send the new template's jobs to every active session; returns sessions reached."""
        started = self.monotonic()
        self.jobs.update(update)
        now = self.clock()
        network_difficulty = self.jobs.network_difficulty
        job_for = self.jobs.job_for
        fanout = self.fanout.begin()
        reached = 0
        for session in self.sessions:
            if not session.active:
                continue
            prepared = job_for(session.payout_script)
            if prepared is None:
                continue
            reached += 1
            if session.take_job(prepared, now, network_difficulty):
                fanout.add(session.fd, prepared.notify.line, session)
        for session, rest in fanout.finish():
            session.finish_write(rest)
        seconds = self.monotonic() - started
        self.counters.broadcasts += 1
        self.counters.last_broadcast_seconds = seconds
        self.metrics.job_distributed(clean=update.new_block, seconds=seconds)
        log.debug(
            "Job broadcast",
            height=update.template.height,
            clean_jobs=update.new_block,
            sessions=reached,
            seconds=round(seconds, 6),
        )
        return reached
