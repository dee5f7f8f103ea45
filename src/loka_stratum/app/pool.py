"""Pool mode, wired: work source -> jobs -> sessions -> shares -> storage and blocks.

Start order: database (migrated), share batcher (replays its journal), work
source, then the listeners once the first template is in hand. Stop order
is the reverse, so every accepted share is flushed (to the database or the
journal) before the process exits and every found block is submitted.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from loka_stratum.app.accounting import AccountingService
from loka_stratum.app.payments import PaymentTask
from loka_stratum.app.reload import apply_policy
from loka_stratum.bitcoin.address import address_to_script
from loka_stratum.bitcoin.network import Network, network_by_name
from loka_stratum.config import Settings
from loka_stratum.federation.wiring import build_federation
from loka_stratum.mining.extranonce import ExtranonceAllocator
from loka_stratum.mining.hashrate import HashrateWindow
from loka_stratum.mining.job import JobFactory
from loka_stratum.mining.jobbook import JobBook
from loka_stratum.mining.validator import ShareValidator
from loka_stratum.mining.vardiff import VardiffPolicy
from loka_stratum.observability.loggers import get_logger
from loka_stratum.observability.metrics import Metrics
from loka_stratum.server.context import PoolContext
from loka_stratum.server.jobs import JobDistributor
from loka_stratum.server.listener import PortSpec, StratumServer, connection_cap
from loka_stratum.server.policy import SessionPolicy
from loka_stratum.server.protection import ProtectionMode
from loka_stratum.server.session import StratumSession
from loka_stratum.server.shares import BlockHandler
from loka_stratum.sources.base import WorkSource
from loka_stratum.storage import Database, PoolSettings, ShareBatcher, ShareRecord

log = get_logger("loka_stratum.app")

FIRST_TEMPLATE_TIMEOUT = 60.0


def pool_network(settings: Settings) -> Network:
    """The embedded chain always runs regtest rules; bitcoind runs what is configured."""
    if settings.bitcoind.source == "embedded":
        return network_by_name("regtest")
    return network_by_name(settings.bitcoind.network)


def session_policy(settings: Settings, network: Network) -> SessionPolicy:
    stratum, vardiff, server, limiter = (
        settings.stratum,
        settings.vardiff,
        settings.server,
        settings.limiter,
    )
    return SessionPolicy(
        network=network,
        solo=stratum.payout_mode == "solo",
        vardiff=VardiffPolicy(
            target_interval=vardiff.target_share_interval,
            retarget_interval=vardiff.retarget_interval,
            variance=vardiff.variance_percent / 100.0,
            max_change=vardiff.max_change_factor,
            min_difficulty=vardiff.min_difficulty or stratum.min_difficulty,
            max_difficulty=vardiff.max_difficulty or stratum.max_difficulty,
        ),
        vardiff_enabled=vardiff.enabled,
        extranonce2_size=stratum.extranonce2_size,
        version_mask=stratum.version_mask,
        handshake_timeout=server.handshake_timeout,
        idle_timeout=server.idle_timeout,
        max_line_length=server.max_line_length,
        write_high_water=server.write_buffer_high_water,
        ban_threshold=limiter.ban_threshold,
        ban_window=limiter.ban_window,
        ban_duration=limiter.ban_duration,
        rate_limit_per_ip=limiter.rate_limit_per_ip,
        rate_limit_window=limiter.rate_limit_window,
        exempt_networks=tuple(str(net) for net in limiter.exempt_networks),
        max_connections_per_ip=limiter.connections,
    )


def port_specs(settings: Settings) -> list[PortSpec]:
    main = PortSpec(settings.server.port, settings.stratum.start_difficulty, "main")
    extra = [PortSpec(p.port, p.start_difficulty, p.name or "") for p in settings.server.ports]
    return [main, *extra]


def open_storage(settings: Settings, metrics: Metrics) -> tuple[Database, ShareBatcher]:
    """The database `[database]` names and the share batcher in front of it."""
    database = settings.database
    opened = Database(
        database.url,
        PoolSettings(
            max_connections=database.max_connections,
            min_connections=database.min_connections,
            acquire_timeout=database.acquire_timeout,
            idle_timeout=database.idle_timeout,
        ),
    )
    batcher = ShareBatcher(
        opened.shares,
        Path(database.journal_dir),
        batch_size=database.batch_size,
        flush_interval=database.flush_interval,
        on_flush=lambda seconds, count: metrics.db_flush(count, seconds),
    )
    return opened, batcher


def hashrate_windows() -> tuple[HashrateWindow, HashrateWindow, HashrateWindow]:
    """The live hashrate over 1 minute, 5 minutes and 1 hour."""
    return HashrateWindow(60), HashrateWindow(300), HashrateWindow(3600)


@dataclass
class TeeSink:
    """Shares go to the batcher; accepted difficulty also feeds the live hashrate."""

    batcher: ShareBatcher
    windows: tuple[HashrateWindow, ...]
    accepted: int = 0
    rejected: int = 0
    blocks: int = 0

    def record(self, share: ShareRecord) -> None:
        self.batcher.record(share)
        if share.accepted:
            self.accepted += 1
            self.blocks += share.is_block
            for window in self.windows:
                window.add(share.created_at, share.difficulty)
        else:
            self.rejected += 1


@dataclass
class PoolApp:
    settings: Settings
    source: WorkSource
    metrics: Metrics

    def __post_init__(self) -> None:
        settings = self.settings
        self.network = pool_network(settings)
        self.database, self.batcher = open_storage(settings, self.metrics)
        self.hashrate = hashrate_windows()
        self.sink = TeeSink(self.batcher, self.hashrate)
        self.blocks = BlockHandler(self.source, self.database.blocks, self.metrics)
        self.payments = PaymentTask(settings, self.database)
        self.accounting = AccountingService(settings, self.database, self.source)
        self.context = self._build_context()
        self.context.set_protection(ProtectionMode(settings.limiter.mode))
        self.federation = build_federation(self)
        self.start_difficulty: dict[int, float] = {}
        """Bound port -> start difficulty from a reload; absent: the configured one."""
        self.server = StratumServer(
            self.context,
            self.source,
            host=settings.server.host,
            ports=port_specs(settings),
            ipv6=settings.server.ipv6,
            session_factory=self._new_session,
        )
        self.started_at = time.time()

    def _new_session(self, port: int, difficulty: float) -> StratumSession:
        return StratumSession(self.context, port, self.start_difficulty.get(port, difficulty))

    def _build_context(self) -> PoolContext:
        stratum = self.settings.stratum
        pool_script = None
        if stratum.payout_mode == "pool":
            assert stratum.pool_address is not None  # enforced by config validation
            pool_script = address_to_script(stratum.pool_address, self.network)
        book = JobBook()
        factory = JobFactory(
            extranonce1_size=stratum.extranonce1_size,
            extranonce2_size=stratum.extranonce2_size,
            pool_tag=stratum.pool_tag.encode(),
        )
        return PoolContext(
            policy=session_policy(self.settings, self.network),
            jobs=JobDistributor(factory, book, pool_script=pool_script),
            validator=ShareValidator(book, max_future_ntime=int(stratum.ntime_future_limit)),
            allocator=ExtranonceAllocator(
                stratum.extranonce1_size, resume_window=stratum.session_resume_window
            ),
            shares=self.sink,
            blocks=self.blocks,
            metrics=self.metrics,
            max_connections=connection_cap(self.settings.server.max_connections),
        )

    def apply_settings(self, settings: Settings) -> None:
        """A config reload (SIGHUP): new and connected sessions follow the new policy and caps."""
        self.settings = settings
        apply_policy(self.context, session_policy(settings, self.network))
        self.context.max_connections = connection_cap(settings.server.max_connections)
        for spec in port_specs(settings):
            if spec.port in self.server.bound:
                self.start_difficulty[self.server.bound[spec.port]] = spec.start_difficulty

    async def start(self) -> None:
        await self.database.migrate()
        await self.batcher.start()
        await self.payments.start()
        await self.source.start()
        await self.accounting.start()
        await self.server.start()
        try:
            await asyncio.wait_for(self.server.first_template.wait(), FIRST_TEMPLATE_TIMEOUT)
        except TimeoutError:
            log.warning("No work yet from the work source", error_type="no_template")
        if self.federation is not None:
            await self.federation.start()
        log.info(
            "Pool started",
            mode="pool",
            payout_mode=self.settings.stratum.payout_mode,
            network=self.network.name,
            ports=self.server.bound,
            database=self.database.backend.value,
        )

    async def stop(self) -> None:
        """Stop accepting, close sessions, submit blocks in flight, flush shares."""
        log.info("Pool stopping")
        await self.server.stop()
        await self.blocks.drain()
        if self.federation is not None:
            await self.federation.stop()
        await self.batcher.stop()
        await self.accounting.stop()
        await self.source.stop()
        await self.payments.stop()
        await self.database.dispose()
        log.info("Pool stopped", shares_accepted=self.sink.accepted, blocks=self.sink.blocks)
