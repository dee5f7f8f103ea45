"""Building the federation service for a pool: what its heartbeats report, where blocks come from.

`build_federation` is the one place that knows both the pool's parts and the
service; the pool calls it when `[federation] enabled`, starts the service
after its work source and stops it before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from typing import Protocol

from loka_stratum.bitcoin.network import Network
from loka_stratum.config import Settings
from loka_stratum.federation.control import FederationControl
from loka_stratum.federation.peers import NodeStatus
from loka_stratum.federation.service import FederationService
from loka_stratum.mining.hashrate import HashrateWindow
from loka_stratum.observability.federation_metrics import FederationMetrics
from loka_stratum.observability.metrics import Metrics
from loka_stratum.payments.state import PoolState
from loka_stratum.server.context import PoolContext
from loka_stratum.server.shares import BlockHandler
from loka_stratum.sources.base import WorkSource
from loka_stratum.storage import Database


class FederatedPool(Protocol):
    """The parts of `app.pool.PoolApp` the federation uses."""

    @property
    def settings(self) -> Settings: ...
    @property
    def source(self) -> WorkSource: ...
    @property
    def metrics(self) -> Metrics: ...
    @property
    def network(self) -> Network: ...
    @property
    def database(self) -> Database: ...
    @property
    def blocks(self) -> BlockHandler: ...
    @property
    def context(self) -> PoolContext: ...
    @property
    def hashrate(self) -> Sequence[HashrateWindow]: ...


def node_status(pool: FederatedPool, clock: Callable[[], float] = time.time) -> NodeStatus:
    """Tip and height from the current template (its parent is our tip), 5-minute hashrate."""
    template = pool.context.jobs.template
    height = 0 if template is None else template.height - 1
    tip = bytes(32) if template is None else template.prev_hash
    sessions: Collection[object] = pool.context.sessions
    window = pool.hashrate[1] if len(pool.hashrate) > 1 else pool.hashrate[0]
    return NodeStatus(pool.network.name, height, tip, window.hashrate(clock()), len(sessions))


def build_federation(pool: FederatedPool) -> FederationService | None:
    """The service when `[federation] enabled` (it then hears of every block found), else None."""
    settings = pool.settings.federation
    if not settings.enabled:
        return None
    service = FederationService(
        settings,
        pool.source,
        FederationControl(PoolState(pool.database.engine)),
        FederationMetrics(pool.metrics.registry),
        lambda: node_status(pool),
    )
    pool.blocks.observers.append(service.announce)
    return service
