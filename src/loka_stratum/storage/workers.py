"""Workers: one row per (account, worker name), with when it was first and last seen.

Share batches keep these rows current by themselves (``ShareRepository``);
``upsert_seen`` is for events outside share traffic, such as an authorize.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from loka_stratum.storage.schema import workers
from loka_stratum.storage.upserts import see_workers


@dataclass(frozen=True, slots=True)
class Worker:
    id: int
    account: str
    name: str
    first_seen: datetime
    last_seen: datetime


class WorkerRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def upsert_seen(self, account: str, name: str, now: datetime) -> None:
        """Record that the worker was active at ``now`` (creating it if new)."""
        async with self._engine.begin() as connection:
            await connection.execute(
                see_workers(connection),
                {"account": account, "name": name, "first_seen": now, "last_seen": now},
            )

    async def get(self, account: str, name: str) -> Worker | None:
        query = sa.select(workers).where(workers.c.account == account, workers.c.name == name)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        return None if row is None else Worker(**row)

    async def list(self, account: str | None = None) -> builtins.list[Worker]:
        """Workers (of one account, or all), ordered by account then name."""
        query = sa.select(workers).order_by(workers.c.account, workers.c.name)
        if account is not None:
            query = query.where(workers.c.account == account)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [Worker(**row) for row in rows]
