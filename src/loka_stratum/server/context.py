"""What every session of a pool shares, and the registry of live sessions.

The context owns the jobs (distributor, book, validator), the extranonce1
allocator, the share sink and block handler, bans and per-IP counts. A new
template reaches every active session through `broadcast`, which writes the
same encoded bytes to all sessions with the same payout script.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from loka_stratum.bitcoin.network import Network
from loka_stratum.mining.extranonce import ExtranonceAllocator, ExtranonceExhaustedError
from loka_stratum.mining.validator import ShareValidator
from loka_stratum.observability.hotpath import PortMetrics
from loka_stratum.observability.loggers import get_logger, get_security_logger
from loka_stratum.observability.metrics import Metrics
from loka_stratum.server.bans import BanList
from loka_stratum.server.fanout import FanoutWriter
from loka_stratum.server.jobs import JobDistributor
from loka_stratum.server.policy import SessionPolicy
from loka_stratum.server.shares import BlockHandler, ShareIds, ShareSink
from loka_stratum.sources.base import TemplateUpdate

if TYPE_CHECKING:
    from loka_stratum.server.session import StratumSession

log = get_logger("loka_stratum.server")
security = get_security_logger()


@dataclass
class ServerCounters:
    """Figures for health, status and the performance log."""

    connections_total: int = 0
    submits: int = 0
    submit_seconds: float = 0.0
    broadcasts: int = 0
    last_broadcast_seconds: float = 0.0
    close_reasons: Counter[str] = field(default_factory=Counter)


class PoolContext:
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
        self.policy = policy
        self.jobs = jobs
        self.validator = validator
        self.allocator = allocator
        self.shares = shares
        self.blocks = blocks
        self.metrics = metrics
        self.max_connections = max_connections
        self.clock = clock
        self.monotonic = monotonic
        self.share_ids = ShareIds(clock)
        self.sessions: set[StratumSession] = set()
        self.counters = ServerCounters()
        self.bans = BanList(policy.ban_duration)
        self._per_ip: Counter[str] = Counter()
        self.accepting = True
        self.fanout: FanoutWriter[StratumSession] = FanoutWriter()

    @property
    def network(self) -> Network:
        return self.policy.network

    def update_policy(self, policy: SessionPolicy) -> int:
        """Apply a reloaded policy to new and connected sessions; returns sessions re-difficultied.

        Sessions read `policy` through the context, so limits and timeouts take effect at
        once; each session's vardiff follows the new bounds, and a miner whose difficulty
        fell outside them is sent the bounded one.
        """
        self.policy = policy
        self.bans.duration = policy.ban_duration
        moved = 0
        for session in self.sessions:
            change = session.vardiff.set_policy(policy.vardiff)
            if change is not None:
                session._change_difficulty(change)  # the session's own path to the miner
                moved += 1
        return moved

    def port_metrics(self, port: int) -> PortMetrics:
        return self.metrics.port(port)

    # -- session lifecycle ----------------------------------------------------

    def admit(self, session: StratumSession) -> bool:
        """Whether a new connection may stay: not shutting down, not banned, under the caps."""
        ip = session.ip
        refusal = None
        if not self.accepting:
            refusal = "shutting-down"
        elif self.bans.is_banned(ip, self.monotonic()):
            refusal = "banned"
            security.info("blocked", peer=session.peer, reason="banned")
        elif len(self.sessions) >= self.max_connections:
            refusal = "max-connections"
        elif 0 < self.policy.max_connections_per_ip <= self._per_ip[ip]:
            refusal = "per-ip-limit"
            security.info("rate_limit", peer=session.peer, reason="connections per ip")
        if refusal is not None:
            self._refused(refusal)
            return False
        self.sessions.add(session)
        self._per_ip[ip] += 1
        self.counters.connections_total += 1
        return True

    def forget(self, session: StratumSession, reason: str) -> None:
        if session not in self.sessions:
            return
        self.sessions.discard(session)
        self._per_ip[session.ip] -= 1
        if self._per_ip[session.ip] <= 0:
            del self._per_ip[session.ip]
        if session.extranonce1 is not None:
            self.allocator.release(session.extranonce1, self.clock())
        self.counters.close_reasons[reason] += 1
        self.metrics.connection_closed(reason)

    def activate(self, session: StratumSession) -> None:
        """The session is subscribed and authorized; it now receives broadcasts."""

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

    def submit_observed(self, seconds: float) -> None:
        self.counters.submits += 1
        self.counters.submit_seconds += seconds
        self.metrics.submit_seconds.observe(seconds)

    # -- misbehaviour -------------------------------------------------------------

    def protocol_error(self, session: StratumSession, error_type: str) -> None:
        self.metrics.protocol_error(error_type)

    def ban(self, session: StratumSession, reason: str) -> None:
        self.bans.ban(session.ip, self.monotonic())
        security.warning("banned", peer=session.peer, reason=reason, error_type=reason)
        self.metrics.ban(reason)
        for other in [s for s in self.sessions if s.ip == session.ip]:
            other.close("banned")

    def _refused(self, reason: str) -> None:
        self.counters.close_reasons[reason] += 1
        self.metrics.connection_error(reason)
