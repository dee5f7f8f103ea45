"""`/api/v1/stats` and `/api/v1/algorithms`: the pool at a glance.

Short windows (1m, 5m, 1h) come from the pool's in-memory hashrate windows,
fed by every accepted share as it is accepted; 24h comes from the per-minute
`share_stats` rows, so it survives restarts (and lags by one batch flush).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from fastapi import APIRouter

from loka_stratum.api.live_stats import hashrates, window_name
from loka_stratum.api.public.models import (
    Algorithm,
    AlgorithmList,
    BlockCounts,
    NetworkInfo,
    PoolStats,
    PortInfo,
    ShareTotals,
)
from loka_stratum.api.public.routes_history import block_out
from loka_stratum.api.public.subject import PublicPool
from loka_stratum.mining.hashrate import HASHES_PER_DIFFICULTY
from loka_stratum.storage.api_queries import ApiQueries, window_ending

DAY: Final = 86_400.0
HEADLINE_WINDOW: Final = 300.0


def online_counts(pool: PublicPool) -> tuple[int, int]:
    """(accounts, workers) authorized on connected sessions now."""
    accounts: set[str] = set()
    workers = 0
    for session in pool.context.sessions:
        workers += len(session.identities)
        accounts.update(identity.account for identity in session.identities.values())
    return len(accounts), workers


def headline_hashrate(pool: PublicPool, now: float) -> float:
    for window in pool.hashrate:
        if window.window == HEADLINE_WINDOW:
            return window.hashrate(now)
    return 0.0


def pool_router(pool: PublicPool, queries: ApiQueries, clock: Callable[[], float]) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["pool"])

    @router.get("/stats", response_model=PoolStats)
    async def stats() -> PoolStats:
        """Pool hashrate, miners, shares, blocks and the network being mined."""
        now = clock()
        day = window_ending(now, DAY)
        totals = await queries.pool_totals(day)
        counts = await queries.block_counts()
        last = await queries.blocks_page(1, 0, None)
        rates = hashrates(pool.hashrate, now)
        rates[window_name(DAY)] = totals.accepted_difficulty * HASHES_PER_DIFFICULTY / day.seconds
        miners, workers = online_counts(pool)
        template = pool.context.jobs.template
        settings = pool.settings
        return PoolStats(
            mode=settings.mode,
            payout_scheme=settings.accounting.scheme,
            hashrate=rates,
            hashrate_24h_window_seconds=day.seconds,
            miners=miners,
            workers=workers,
            connections=len(pool.context.sessions),
            shares=ShareTotals(accepted=pool.sink.accepted, rejected=pool.sink.rejected),
            shares_24h=ShareTotals(accepted=totals.accepted_count, rejected=totals.rejected_count),
            blocks=BlockCounts(
                found=sum(counts.values()),
                pending=counts.get("pending", 0),
                confirmed=counts.get("confirmed", 0),
                orphaned=counts.get("orphaned", 0),
                rejected=counts.get("rejected", 0),
            ),
            network=NetworkInfo(
                difficulty=pool.context.jobs.network_difficulty,
                height=None if template is None else template.height,
            ),
            last_block=block_out(last.rows[0]) if last.rows else None,
            uptime_seconds=max(now - pool.started_at, 0.0),
            timestamp=now,
        )

    @router.get("/algorithms", response_model=AlgorithmList)
    async def algorithms() -> AlgorithmList:
        """What can be mined here (sha256d), on which ports, at what difficulty."""
        settings = pool.settings
        bound = pool.server.bound
        ports = [
            PortInfo(
                port=bound.get(settings.server.port, settings.server.port),
                name="main",
                start_difficulty=settings.stratum.start_difficulty,
            )
        ]
        ports += [
            PortInfo(
                port=bound.get(extra.port, extra.port),
                name=extra.name or "",
                start_difficulty=extra.start_difficulty,
            )
            for extra in settings.server.ports
        ]
        algorithm = Algorithm(
            name="sha256d",
            hashrate=headline_hashrate(pool, clock()),
            ports=ports,
            min_difficulty=settings.stratum.min_difficulty,
            max_difficulty=settings.stratum.max_difficulty,
            network_difficulty=pool.context.jobs.network_difficulty,
            workers=online_counts(pool)[1],
        )
        return AlgorithmList(data=[algorithm])

    return router
