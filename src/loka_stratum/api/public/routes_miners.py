"""`/api/v1/miners/top`, `/api/v1/miners/{address}` and `/api/v1/workers`.

A "miner" is an account: the payout address in SOLO mode, the username's
first part otherwise. Per-miner hashrates come from `share_stats` (the pool
keeps no per-miner window in memory); which workers are online, and at what
difficulty, comes from the connected sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query

from loka_stratum.api.public.errors import ApiError, error_responses
from loka_stratum.api.public.models import (
    Funds,
    MinerDetail,
    MinerPayment,
    OnlineWorker,
    ShareOut,
    ShareTotals,
    TopMiner,
    TopMiners,
    WorkerList,
    WorkerOut,
)
from loka_stratum.api.public.subject import PublicPool
from loka_stratum.mining.hashrate import HASHES_PER_DIFFICULTY
from loka_stratum.storage.api_queries import ApiQueries, Totals, Window, timestamp, window_ending
from loka_stratum.storage.shares import MAX_NAME_LENGTH

TOP_WINDOW: Final = 3600.0
MINER_WINDOWS: Final = {"10m": 600.0, "1h": 3600.0, "24h": 86_400.0}
RECENT_SHARES: Final = 20
RECENT_PAYMENTS: Final = 20
MAX_TOP: Final = 100
MAX_WORKERS: Final = 1000

Address = Annotated[str, Path(min_length=1, max_length=MAX_NAME_LENGTH)]


def rate(totals: Totals | None, window: Window) -> float:
    if totals is None:
        return 0.0
    return totals.accepted_difficulty * HASHES_PER_DIFFICULTY / window.seconds


def live_workers(pool: PublicPool, account: str | None = None) -> list[OnlineWorker]:
    """Authorized workers on connected sessions (hashrate filled in by the caller)."""
    found = [
        OnlineWorker(
            account=identity.account,
            worker=identity.worker,
            port=session.port,
            difficulty=session.vardiff.difficulty,
            connected_at=session.connected_at,
            hashrate=0.0,
        )
        for session in pool.context.sessions
        for identity in session.identities.values()
        if account is None or identity.account == account
    ]
    return sorted(found, key=lambda worker: (worker.account, worker.worker, worker.port))


def _worker_rows(
    account: str,
    stored: list[dict[str, Any]],
    online: list[OnlineWorker],
    hour: dict[str, Totals],
    window: Window,
) -> list[WorkerOut]:
    """Every worker of `account`: seen in the database, connected now, or both."""
    live = {worker.worker: worker for worker in online}
    seen = {row["name"]: row for row in stored}
    rows = []
    for name in sorted(live.keys() | seen.keys()):
        totals = hour.get(f"{account}.{name}")
        stored_row = seen.get(name)
        rows.append(
            WorkerOut(
                name=name,
                online=name in live,
                difficulty=live[name].difficulty if name in live else None,
                hashrate=rate(totals, window),
                accepted=totals.accepted_count if totals else 0,
                rejected=totals.rejected_count if totals else 0,
                first_seen=timestamp(stored_row["first_seen"]) if stored_row else None,
                last_seen=timestamp(stored_row["last_seen"]) if stored_row else None,
            )
        )
    return rows


def miners_router(pool: PublicPool, queries: ApiQueries, clock: Callable[[], float]) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["miners"], responses=error_responses(422))

    @router.get("/miners/top", response_model=TopMiners)
    async def top(limit: Annotated[int, Query(ge=1, le=MAX_TOP)] = 10) -> TopMiners:
        """Miners by hashrate over the last hour, highest first."""
        window = window_ending(clock(), TOP_WINDOW)
        ranked = await queries.top_accounts(window, limit)
        return TopMiners(
            window_seconds=window.seconds,
            data=[
                TopMiner(
                    address=totals.key,
                    hashrate=rate(totals, window),
                    accepted_difficulty=totals.accepted_difficulty,
                    shares=totals.accepted_count,
                    workers=totals.workers,
                )
                for totals in ranked
            ],
        )

    @router.get("/miners/{address}", response_model=MinerDetail, responses=error_responses(404))
    async def miner(address: Address) -> MinerDetail:
        """One miner: hashrate, workers, recent shares, balance, payments."""
        online = live_workers(pool, address)
        if not online and not await queries.account_known(address):
            raise ApiError(404, "not_found", "no miner with this address")
        now = clock()
        windows = {name: window_ending(now, seconds) for name, seconds in MINER_WINDOWS.items()}
        totals = {
            name: (await queries.worker_totals(window, address), window)
            for name, window in windows.items()
        }
        hashrate = {
            name: sum(rate(t, window) for t in rows) for name, (rows, window) in totals.items()
        }
        day_rows = totals["24h"][0]
        hour = {t.key: t for t in totals["1h"][0]}
        funds = await queries.funds(address)
        return MinerDetail(
            address=address,
            hashrate=hashrate,
            shares_24h=ShareTotals(
                accepted=sum(t.accepted_count for t in day_rows),
                rejected=sum(t.rejected_count for t in day_rows),
            ),
            workers=_worker_rows(
                address, await queries.account_workers(address), online, hour, windows["1h"]
            ),
            recent_shares=[
                ShareOut(**{**row, "created_at": row["created_at"].timestamp()})
                for row in await queries.recent_shares(address, RECENT_SHARES)
            ],
            funds=Funds(balance=funds.balance, immature=funds.immature, paid=funds.paid),
            payments=[
                MinerPayment(
                    **{
                        **row,
                        "created_at": row["created_at"].timestamp(),
                        "sent_at": timestamp(row["sent_at"]),
                    }
                )
                for row in await queries.account_payments(address, RECENT_PAYMENTS)
            ],
        )

    @router.get("/workers", response_model=WorkerList)
    async def workers(limit: Annotated[int, Query(ge=1, le=MAX_WORKERS)] = 100) -> WorkerList:
        """Workers connected now, with their difficulty and last-hour hashrate."""
        online = live_workers(pool)
        window = window_ending(clock(), TOP_WINDOW)
        hour = {t.key: t for t in await queries.worker_totals(window)}
        data = [
            worker.model_copy(
                update={"hashrate": rate(hour.get(f"{worker.account}.{worker.worker}"), window)}
            )
            for worker in online[:limit]
        ]
        return WorkerList(total=len(online), data=data)

    return router
