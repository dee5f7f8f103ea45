"""What every miner connection shares, whatever feeds it work: the registry of live
sessions, admission (caps, bans, per-IP counts), counters, metrics and the share sink.

`PoolContext` (pool mode) and `ProxyContext` (proxy mode) build on it with their
jobs; sessions reach the policy through it, so replacing `policy` (a config reload,
a protection-mode change) reaches miners already connected.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loka_stratum.bitcoin.network import Network
from loka_stratum.observability.hotpath import PortMetrics
from loka_stratum.observability.loggers import get_security_logger
from loka_stratum.observability.metrics import Metrics
from loka_stratum.server.bans import BanList
from loka_stratum.server.fanout import FanoutWriter
from loka_stratum.server.limits import IpLimits
from loka_stratum.server.policy import SessionPolicy
from loka_stratum.server.protection import ProtectionMode, protected_policy
from loka_stratum.server.shares import ShareIds, ShareSink

if TYPE_CHECKING:
    from loka_stratum.server.session_base import BaseSession

    AnySession = BaseSession[Any]

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


class ServerContext:
    def __init__(
        self,
        *,
        policy: SessionPolicy,
        shares: ShareSink,
        metrics: Metrics,
        max_connections: int,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        """What sessions apply: the normal policy with the protection mode on top."""
        self.normal_policy = policy
        self.protection = ProtectionMode.NORMAL
        self.shares = shares
        self.metrics = metrics
        self.max_connections = max_connections
        self.clock = clock
        self.monotonic = monotonic
        self.share_ids = ShareIds(clock)
        self.sessions: set[AnySession] = set()
        self.counters = ServerCounters()
        self.bans = BanList(policy.ban_duration)
        self.limits = IpLimits(policy)
        self._per_ip: Counter[str] = Counter()
        self.accepting = True
        self.fanout: FanoutWriter[AnySession] = FanoutWriter()

    @property
    def network(self) -> Network:
        return self.policy.network

    def set_policy(self, normal: SessionPolicy) -> None:
        """New configured limits (a reload); the protection mode stays in force on top."""
        self.normal_policy = normal
        self._apply(protected_policy(normal, self.protection))

    def set_protection(self, mode: ProtectionMode) -> None:
        """A ddos-protection mode for every session, connected or new."""
        self.protection = mode
        self._apply(protected_policy(self.normal_policy, mode))

    def _apply(self, policy: SessionPolicy) -> None:
        self.policy = policy
        self.bans.duration = policy.ban_duration
        self.limits.set_policy(policy)

    def port_metrics(self, port: int) -> PortMetrics:
        return self.metrics.port(port)

    # -- session lifecycle ----------------------------------------------------

    def admit(self, session: AnySession) -> bool:
        """Whether a new connection may stay: not shutting down, not banned, under the caps."""
        ip = session.ip
        refusal = None
        if not self.accepting:
            refusal = "shutting-down"
        elif self.bans.is_banned(ip, self.monotonic()) and not self.limits.exempt(ip):
            refusal = "banned"
            security.info("blocked", peer=session.peer, reason="banned")
        elif len(self.sessions) >= self.max_connections:
            refusal = "max-connections"
        elif 0 < self.policy.max_connections_per_ip <= self._per_ip[ip] and not (
            self.limits.exempt(ip)
        ):
            refusal = "per-ip-limit"
            security.info("rate_limit", peer=session.peer, reason="connections per ip")
        if refusal is not None:
            self._refused(refusal)
            return False
        self.sessions.add(session)
        self._per_ip[ip] += 1
        self.counters.connections_total += 1
        return True

    def forget(self, session: AnySession, reason: str) -> bool:
        """Drop a closed session; False if it was never admitted (or already forgotten)."""
        if session not in self.sessions:
            return False
        self.sessions.discard(session)
        self._per_ip[session.ip] -= 1
        if self._per_ip[session.ip] <= 0:
            del self._per_ip[session.ip]
        self.counters.close_reasons[reason] += 1
        self.metrics.connection_closed(reason)
        return True

    def activate(self, session: AnySession) -> None:
        """The session is subscribed and authorized; it now receives broadcasts."""

    def submit_observed(self, seconds: float) -> None:
        self.counters.submits += 1
        self.counters.submit_seconds += seconds
        self.metrics.submit_seconds.observe(seconds)

    # -- misbehaviour -------------------------------------------------------------

    def protocol_error(self, session: AnySession, error_type: str) -> None:
        self.metrics.protocol_error(error_type)

    def allow_message(self, session: AnySession) -> bool:
        """Count one request against its IP's rate limit; False: refuse it."""
        if self.limits.allow_message(session.ip, self.monotonic()):
            return True
        self.metrics.rate_limited("message")
        return False

    def misbehaved(self, session: AnySession, error_type: str) -> None:
        """One strike for the session's IP; enough within the ban window ban it."""
        if self.limits.strike(session.ip, self.monotonic()):
            self.ban(session, error_type)

    def ban(self, session: AnySession, reason: str) -> None:
        self.bans.ban(session.ip, self.monotonic())
        security.warning("banned", peer=session.peer, reason=reason, error_type=reason)
        self.metrics.ban(reason)
        for other in [s for s in self.sessions if s.ip == session.ip]:
            other.close("banned")

    def _refused(self, reason: str) -> None:
        self.counters.close_reasons[reason] += 1
        self.metrics.connection_error(reason)
