"""One ``Database``: an engine for a URL, its repositories, health and migrations.

The app builds one and hands its repositories to whoever needs them; the same
repository code runs on SQLite (the embedded default) and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from typing import Self

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from loka_stratum.storage.alembic_runner import current_revision, upgrade_to_head
from loka_stratum.storage.blocks import BlockRepository
from loka_stratum.storage.engine import (
    SQLITE_BEGIN_IMMEDIATE,
    HealthProbe,
    PoolSettings,
    build_engine,
)
from loka_stratum.storage.pools import PoolRepository
from loka_stratum.storage.share_repository import ShareRepository
from loka_stratum.storage.stats_repository import StatsRepository
from loka_stratum.storage.urls import Backend, backend_of, normalize_url
from loka_stratum.storage.workers import WorkerRepository


class Database:
    """The storage facade the app builds once and hands to whoever needs a repository."""

    def __init__(self, url: str, settings: PoolSettings | None = None) -> None:
        self.url: URL = normalize_url(url)
        self.backend: Backend = backend_of(self.url)
        settings = settings or PoolSettings()
        self.engine: AsyncEngine = build_engine(self.url, settings)
        self._probe = HealthProbe(self.engine, settings.health_timeout)
        self.workers = WorkerRepository(self.engine)
        self.shares = ShareRepository(self.engine, self._probe)
        self.stats = StatsRepository(self.engine)
        self.blocks = BlockRepository(self.engine)
        self.pools = PoolRepository(self.engine)

    async def health(self) -> bool:
        """True when a ``SELECT 1`` completes within ``PoolSettings.health_timeout``."""
        return await self._probe()

    async def migrate(self) -> None:
        """Upgrade the schema to the newest shipped revision (idempotent).

        Safe when several processes start at once: each migrates under the
        database's write lock (SQLite) or an advisory lock (PostgreSQL), and
        those that come second find the schema at head. Within one process,
        do not run two at once: Alembic keeps its context in module globals.
        """
        async with self.engine.connect() as connection:
            await connection.execution_options(**{SQLITE_BEGIN_IMMEDIATE: True})
            async with connection.begin():
                await connection.run_sync(upgrade_to_head)

    async def schema_revision(self) -> str | None:
        """The Alembic revision the database is at; None if never migrated."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(current_revision)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.dispose()


async def migrate(url: str) -> None:
    """Upgrade the database at ``url`` to head; reads nothing from the environment."""
    async with Database(url, PoolSettings(max_connections=1)) as database:
        await database.migrate()


def migrate_sync(url: str) -> None:
    """``migrate`` for callers without an event loop (the CLI)."""
    asyncio.run(migrate(url))
