"""Pools: the upstreams proxy mode fails over between, and this pool itself.

Names are the operator-facing keys (``pools`` is what the manual counts), so
every call but ``add`` addresses a pool by name.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from loka_stratum.storage.schema import PoolKind, pools


@dataclass(frozen=True, slots=True)
class NewPool:
    """A pool to add; lower ``priority`` is tried first."""

    name: str
    url: str
    username: str
    password: str | None = None
    priority: int = 0
    kind: PoolKind = PoolKind.UPSTREAM
    enabled: bool = True


def column_problems(pool: NewPool) -> builtins.list[str]:
    """Fields too long for their columns (PostgreSQL refuses them, SQLite would not)."""
    problems = []
    for field in ("name", "url", "username", "password"):
        value = getattr(pool, field)
        column_type = pools.c[field].type
        limit = column_type.length if isinstance(column_type, sa.String) else None
        if value is not None and limit is not None and len(value) > limit:
            problems.append(f"{field}: longer than {limit} characters")
    return problems


@dataclass(frozen=True, slots=True)
class Pool:
    id: int
    name: str
    kind: PoolKind
    url: str
    username: str
    password: str | None
    priority: int
    enabled: bool
    created_at: datetime
    updated_at: datetime


class PoolRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, pool: NewPool, now: datetime) -> int:
        """Insert and return the new id; a duplicate name raises ``IntegrityError``."""
        values = {
            "name": pool.name,
            "kind": pool.kind.value,
            "url": pool.url,
            "username": pool.username,
            "password": pool.password,
            "priority": pool.priority,
            "enabled": pool.enabled,
            "created_at": now,
            "updated_at": now,
        }
        async with self._engine.begin() as connection:
            result = await connection.execute(sa.insert(pools).values(values).returning(pools.c.id))
            return int(result.scalar_one())

    async def get(self, name: str) -> Pool | None:
        async with self._engine.connect() as connection:
            row = (
                (await connection.execute(sa.select(pools).where(pools.c.name == name)))
                .mappings()
                .first()
            )
        return None if row is None else _pool(row)

    async def list(
        self, *, enabled_only: bool = False, kind: PoolKind | None = None
    ) -> builtins.list[Pool]:
        """Pools in failover order: priority, then name; only those of `kind` if given."""
        query = sa.select(pools).order_by(pools.c.priority, pools.c.name)
        if enabled_only:
            query = query.where(pools.c.enabled.is_(True))
        if kind is not None:
            query = query.where(pools.c.kind == kind.value)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_pool(row) for row in rows]

    async def set_enabled(self, name: str, enabled: bool, now: datetime) -> bool:
        """False when no pool has that name."""
        statement = (
            sa.update(pools).where(pools.c.name == name).values(enabled=enabled, updated_at=now)
        )
        async with self._engine.begin() as connection:
            return (await connection.execute(statement)).rowcount == 1

    async def remove(self, name: str) -> bool:
        """False when no pool has that name."""
        async with self._engine.begin() as connection:
            result = await connection.execute(sa.delete(pools).where(pools.c.name == name))
        return result.rowcount == 1


def _pool(row: sa.RowMapping) -> Pool:
    return Pool(**{**row, "kind": PoolKind(row["kind"])})
