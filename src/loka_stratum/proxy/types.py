"""Values the upstream side hands the proxy: options, share verdicts, events, errors."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, TypeAlias

from loka_stratum import __version__
from loka_stratum.protocol import (
    Notify,
    Reconnect,
    SetDifficulty,
    SetExtranonce,
    SetVersionMask,
    StratumError,
    StratumErrorCode,
)

if TYPE_CHECKING:
    from loka_stratum.proxy.upstream import UpstreamConnection

USER_AGENT = f"loka-stratum-proxy/{__version__}"
DEFAULT_VERSION_MASK = 0x1FFFE000
"""BIP320's general-purpose version bits: what ASICBoost miners roll."""


@dataclass(frozen=True, slots=True)
class UpstreamOptions:
    """How every upstream connection behaves.

    `keepalive_interval` drives TCP keepalive probes (0 = off) rather than a Stratum
    ping: Stratum V1 has no ping, and the requests proxies abuse as one either change
    state upstream (`mining.suggest_difficulty`) or are unknown methods some pools
    answer by closing. A pool that keeps the socket up but stops talking is caught by
    `idle_timeout` instead: pools send a job at least every minute or two, so a
    connection silent for `idle_timeout` seconds is treated as dead and replaced.
    """

    user_agent: str = USER_AGENT
    version_mask: int | None = DEFAULT_VERSION_MASK
    connect_timeout: float = 10.0
    response_timeout: float = 10.0
    keepalive_interval: float = 30.0
    idle_timeout: float = 300.0
    ssl_context: ssl.SSLContext | None = None
    """For `stratum+ssl` upstreams; None: the system's default verifying context."""


class VerdictKind(Enum):
    """What became of a share sent upstream."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    STALE = "stale"
    TIMEOUT = "timeout"
    DISCONNECTED = "disconnected"
    """The connection was gone before the share could be sent or answered."""


@dataclass(frozen=True, slots=True)
class UpstreamVerdict:
    """The upstream's answer to one share, as the proxy reports it to the miner and metrics.

    STALE is a rejection for a job the pool has moved on from: code 21 (job not
    found), or any code with "stale" in the message, as several pools send it with
    code 20. `error` carries the pool's code and message for REJECTED and STALE.
    """

    kind: VerdictKind
    error: StratumError | None = None

    @property
    def accepted(self) -> bool:
        return self.kind is VerdictKind.ACCEPTED

    @classmethod
    def of_response(cls, accepted: bool, error: StratumError | None) -> UpstreamVerdict:
        if accepted:
            return ACCEPTED
        if error is None:
            return cls(VerdictKind.REJECTED, StratumError.of(StratumErrorCode.OTHER))
        stale = error.code == StratumErrorCode.JOB_NOT_FOUND or "stale" in error.message.lower()
        return cls(VerdictKind.STALE if stale else VerdictKind.REJECTED, error)


ACCEPTED = UpstreamVerdict(VerdictKind.ACCEPTED)
TIMED_OUT = UpstreamVerdict(VerdictKind.TIMEOUT)
DISCONNECTED = UpstreamVerdict(VerdictKind.DISCONNECTED)


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The upstream connection ended; `reason` says why (for logs and health)."""

    reason: str


UpstreamEvent: TypeAlias = (
    Notify | SetDifficulty | SetExtranonce | SetVersionMask | Reconnect | Disconnected
)
"""What an upstream connection reports, in arrival order. `SetExtranonce` applies from
the next `Notify`; `Reconnect` is reported after the connection has closed itself."""


@dataclass(frozen=True, slots=True)
class Switched:
    """A new connection became current: adopt its extranonce, difficulty and latest job."""

    connection: UpstreamConnection


PoolEvent: TypeAlias = UpstreamEvent | Switched


@dataclass(frozen=True, slots=True)
class PoolHealth:
    """The upstream side as health checks and the admin API report it."""

    upstream: str | None
    """The current upstream's name; None while none is connected."""
    failovers: int
    """Times the current upstream became a lower-priority one than the previous."""
    failbacks: int
    """Times it became a higher-priority one again."""
    connections: int
    """Handshakes completed (reconnects included)."""
    last_job_age: float | None
    last_error: str | None


class UpstreamError(Exception):
    """Connecting or the handshake failed (refused, timed out, TLS, authorize rejected)."""
