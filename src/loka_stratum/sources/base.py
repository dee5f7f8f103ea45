"""The work-source interface shared by bitcoind, the embedded chain and upstream pools.

A source pushes `TemplateUpdate`s (a new block, or fresher transactions on the
same tip) and takes found blocks. `submit_block` must be fast and must report
the node's verdict honestly: the pool submits before it does anything else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from loka_stratum.bitcoin.network import Network
from loka_stratum.mining.template import BlockTemplate


@dataclass(frozen=True, slots=True)
class TemplateUpdate:
    template: BlockTemplate
    new_block: bool
    """The tip changed: every older job is stale (clean_jobs=true)."""


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """A node's verdict on a block. `verdict` is None when it was accepted."""

    verdict: str | None
    """bitcoind's submitblock answer: None, "duplicate", "inconclusive", "high-hash", "bad-..."."""
    block_hash: bytes
    height: int | None = None

    @property
    def accepted(self) -> bool:
        return self.verdict is None


NOT_IN_BEST_CHAIN = -1
"""`WorkSource.confirmations` for a block the source knows is not in its best chain."""


class SourceState(Enum):
    STARTING = "starting"
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    """Serving, but something is off (e.g. ZMQ down, polling instead)."""
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class UpstreamStatus:
    """Proxy mode: one upstream channel, as health reports it."""

    channel: int
    upstream: str | None
    """The upstream connected now; None while the channel has no connection."""
    miners: int
    failovers: int
    failbacks: int
    connections: int
    last_job_age: float | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class SourceHealth:
    state: SourceState
    detail: str = ""
    height: int | None = None
    last_template_at: float | None = None
    """Wall-clock time of the last template, for a 'last job age' figure."""
    upstreams: tuple[UpstreamStatus, ...] = ()
    """Proxy mode: every upstream channel (pool mode: empty)."""


class WorkSource(Protocol):
    """What the pool needs from a source of work."""

    @property
    def network(self) -> Network: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def templates(self) -> AsyncIterator[TemplateUpdate]:
        """Updates as they happen; the first one is the current template."""
        ...

    async def submit_block(self, block: bytes) -> SubmitResult: ...

    def health(self) -> SourceHealth: ...

    async def confirmations(self, block_hash: bytes) -> int | None:
        """A found block's depth in the best chain (1 for the tip), for block maturity.

        `NOT_IN_BEST_CHAIN` (-1) when the source knows the block is not in its
        best chain (orphaned, or never accepted); None when it cannot tell right
        now (node unreachable, still syncing), which must never orphan anything.
        """
        ...
