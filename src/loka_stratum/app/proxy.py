"""Proxy mode, wired: upstream channels -> jobs -> sessions -> local shares and verdicts.

The miner-facing server, sessions, vardiff, bans and share storage are the pool's;
what differs is where work comes from (upstream pools, through `ProxyContext`) and
where shares go after local validation (forwarded upstream when they meet its
difficulty). Start order: database (migrated, the `pools` table merged into the
`[pool]` upstreams), share batcher, listeners, then the first channel connects in
the background: miners are accepted even while every upstream is down. Stop order:
listeners and sessions, verdicts of forwarded shares (bounded by the submit
timeout), share batcher, channels, database.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from loka_stratum.app.payments import PaymentTask
from loka_stratum.app.pool import (
    TeeSink,
    hashrate_windows,
    open_storage,
    port_specs,
    session_policy,
)
from loka_stratum.app.reload import apply_policy
from loka_stratum.bitcoin.network import Network, network_by_name
from loka_stratum.config import Settings
from loka_stratum.observability.loggers import get_logger
from loka_stratum.observability.metrics import Metrics
from loka_stratum.proxy.context import ProxyContext
from loka_stratum.proxy.session import ProxySession
from loka_stratum.proxy.sources import effective_upstreams
from loka_stratum.proxy.types import UpstreamOptions
from loka_stratum.proxy.upstream_view import UpstreamSourceView
from loka_stratum.server.listener import StratumServer, connection_cap
from loka_stratum.server.protection import ProtectionMode
from loka_stratum.storage.verdicts import VerdictRecord

log = get_logger("loka_stratum.app")

FIRST_JOB_TIMEOUT = 30.0


@dataclass
class ProxySink(TeeSink):
    """Shares as in pool mode, plus the upstream's verdicts on forwarded ones."""

    def record_verdict(self, verdict: VerdictRecord) -> None:
        self.batcher.record_verdict(verdict)


def proxy_network(settings: Settings) -> Network:
    """Miners' usernames are names, not addresses, in proxy mode; the network only labels."""
    return network_by_name(settings.bitcoind.network)


@dataclass
class ProxyApp:
    settings: Settings
    metrics: Metrics

    def __post_init__(self) -> None:
        settings = self.settings
        self.network = proxy_network(settings)
        self.database, self.batcher = open_storage(settings, self.metrics)
        self.hashrate = hashrate_windows()
        self.sink = ProxySink(self.batcher, self.hashrate)
        stratum = settings.stratum
        self.context = ProxyContext(
            policy=session_policy(settings, self.network),
            shares=self.sink,
            metrics=self.metrics,
            max_connections=connection_cap(settings.server.max_connections),
            upstreams=settings.pool,
            options=UpstreamOptions(
                version_mask=stratum.version_mask or None,
                connect_timeout=settings.pool.connection_timeout,
                keepalive_interval=settings.pool.keepalive_interval,
            ),
            max_future_ntime=int(stratum.ntime_future_limit),
            resume_window=stratum.session_resume_window,
        )
        self.context.set_protection(ProtectionMode(settings.limiter.mode))
        self.source = UpstreamSourceView(self.context)
        self.payments = PaymentTask(settings, self.database)
        """Never started here (the proxy pays nobody); the admin API reads its status."""
        self.start_difficulty: dict[int, float] = {}
        """Bound port -> start difficulty from a reload; absent: the configured one."""
        self._reloads: set[asyncio.Task[None]] = set()
        self.server = StratumServer(
            self.context,
            None,
            host=settings.server.host,
            ports=port_specs(settings),
            ipv6=settings.server.ipv6,
            session_factory=self._new_session,
        )
        self.started_at = time.time()

    def _new_session(self, port: int, difficulty: float) -> ProxySession:
        return ProxySession(self.context, port, self.start_difficulty.get(port, difficulty))

    def apply_settings(self, settings: Settings) -> None:
        """A config reload (SIGHUP): policy, caps, start difficulties, and the upstream
        list (the file's merged again with the `pools` table)."""
        self.settings = settings
        apply_policy(self.context, session_policy(settings, self.network))
        self.context.max_connections = connection_cap(settings.server.max_connections)
        for spec in port_specs(settings):
            if spec.port in self.server.bound:
                self.start_difficulty[self.server.bound[spec.port]] = spec.start_difficulty
        task = asyncio.get_running_loop().create_task(self._reload_upstreams(settings))
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)

    async def _reload_upstreams(self, settings: Settings) -> None:
        try:
            upstreams = await effective_upstreams(settings.pool, self.database.pools)
        except Exception as exc:  # the database is down: the file's list still applies
            log.warning("Pools table unavailable", error_type="database_error", error=str(exc))
            upstreams = settings.pool
        self.context.apply_upstreams(upstreams)
        self.settings = self.settings.model_copy(update={"pool": upstreams})
        log.info("Upstreams reloaded", upstreams=[u.name for u in upstreams.upstreams if u.enabled])

    async def start(self) -> None:
        await self.database.migrate()
        upstreams = await effective_upstreams(self.settings.pool, self.database.pools)
        self.context.upstreams = upstreams
        self.settings = self.settings.model_copy(update={"pool": upstreams})
        await self.batcher.start()
        await self.server.start()
        self.context.start()
        try:
            await asyncio.wait_for(self.context.first_job.wait(), FIRST_JOB_TIMEOUT)
        except TimeoutError:
            log.warning("No job from any upstream yet", error_type="no_upstream_job")
        log.info(
            "Proxy started",
            mode="proxy",
            proxy_mode=upstreams.proxy_mode,
            upstreams=[u.name for u in upstreams.upstreams if u.enabled],
            ports=self.server.bound,
            database=self.database.backend.value,
        )

    async def stop(self) -> None:
        """Stop accepting, close sessions, wait for verdicts in flight, flush, disconnect."""
        log.info("Proxy stopping")
        await self.server.stop()
        await self.context.drain()
        await self.batcher.stop()
        await self.context.stop()
        await self.payments.stop()
        await self.database.dispose()
        log.info(
            "Proxy stopped",
            shares_accepted=self.sink.accepted,
            verdicts={f"{u}:{v}": n for (u, v), n in self.context.verdicts.items()},
        )
