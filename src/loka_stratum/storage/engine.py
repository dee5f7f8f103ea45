"""Async engines for both backends, built the same way, and the cheap health probe.

SQLite gets WAL (readers never block the writer), foreign keys, a busy timeout,
and real transactions: the stdlib driver's implicit BEGIN-before-DML is switched
off and SQLAlchemy's own BEGIN is emitted instead, so a transaction covers its
reads and its DDL too. ``synchronous=FULL``: a committed share batch survives a
power cut, and with batching that costs one fsync per batch, not per share.
PostgreSQL connections are pinged before use, so the pool heals by itself after
a server restart instead of handing out dead connections.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from loka_stratum.storage.urls import Backend, backend_of

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Execution option: begin the transaction with SQLite's write lock already held.
SQLITE_BEGIN_IMMEDIATE = "loka_sqlite_begin_immediate"


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """Connection pool limits (the ``[database]`` config section).

    ``min_connections`` stay open when idle; up to ``max_connections`` exist at
    once; a caller waits at most ``acquire_timeout`` seconds for one; a
    connection older than ``idle_timeout`` seconds is replaced when next used.
    A health probe slower than ``health_timeout`` seconds reports the database down.
    """

    max_connections: int = 10
    min_connections: int = 1
    acquire_timeout: float = 30.0
    idle_timeout: float = 600.0
    health_timeout: float = 2.0

    def __post_init__(self) -> None:
        if not 1 <= self.min_connections <= self.max_connections:
            raise ValueError("need 1 <= min_connections <= max_connections")


class HealthProbe:
    """A cheap ``SELECT 1``; any failure (refused, reset, slower than the limit) is "down"."""

    def __init__(self, engine: AsyncEngine, limit_seconds: float) -> None:
        self._engine = engine
        self._limit = limit_seconds

    async def __call__(self) -> bool:
        try:
            async with asyncio.timeout(self._limit), self._engine.connect() as connection:
                await connection.execute(sa.text("SELECT 1"))
        except Exception:  # a health probe reports; it never raises
            return False
        return True


def build_engine(url: URL, settings: PoolSettings) -> AsyncEngine:
    """An engine with the pool limits applied (and SQLite set up as described above)."""
    engine = create_async_engine(
        url,
        pool_size=settings.min_connections,
        max_overflow=settings.max_connections - settings.min_connections,
        pool_timeout=settings.acquire_timeout,
        pool_recycle=int(settings.idle_timeout),
        pool_pre_ping=True,
    )
    if backend_of(url) is Backend.SQLITE:
        _configure_sqlite(engine, Path(url.database or ""))
    return engine


WAL_ATTEMPTS = 100
WAL_RETRY_SECONDS = 0.02


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL once (the mode is stored in the file).

    Switching needs an exclusive lock, and SQLite answers "database is locked" at once,
    without waiting on the busy timeout, when another process holds the file then:
    processes starting together on a new file (several `db migrate`, or a pool and its
    CLI) retry briefly instead of failing. This runs in the driver's own thread.
    """
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() == "wal":
        return
    for attempt in range(WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # the driver's OperationalError, adapted or not
            if "locked" not in str(exc) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(WAL_RETRY_SECONDS)


def _configure_sqlite(engine: AsyncEngine, path: Path) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "do_connect")
    def _make_parent_dir(*_args: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(sync_engine, "connect")
    def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        for pragma in ("synchronous=FULL", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(SQLITE_BEGIN_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
