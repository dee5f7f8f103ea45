"""``INSERT ... ON CONFLICT`` statements shared by the repositories.

SQLite (3.24+) and PostgreSQL spell upserts the same way, but SQLAlchemy builds
them from each dialect's own ``insert``; the table below picks it by the
connection's dialect name, so repositories never branch on the backend.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from loka_stratum.storage.schema import share_stats, upstream_share_stats, workers

_INSERTS: dict[str, Callable[[sa.Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}

STATS_KEY = ("bucket_start", "account", "worker")
STATS_SUMS = (
    "accepted_count",
    "accepted_difficulty",
    "rejected_count",
    "stale_count",
    "duplicate_count",
    "low_difficulty_count",
    "other_rejected_count",
)
UPSTREAM_KEY = ("bucket_start", "upstream", "account", "worker")
UPSTREAM_SUMS = (
    "accepted_count",
    "accepted_difficulty",
    "rejected_count",
    "stale_count",
    "unanswered_count",
)


def utc(timestamp: float) -> datetime:
    """Unix seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(timestamp, UTC)


def insert_for(connection: AsyncConnection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's own INSERT construct (the one with ``on_conflict_*``)."""
    return _INSERTS[connection.dialect.name](table)


def add_stats(connection: AsyncConnection) -> sa.Insert:
    """Add a delta to a ``share_stats`` row, creating the row when absent."""
    return _add_to(connection, share_stats, STATS_KEY, STATS_SUMS)


def add_upstream_stats(connection: AsyncConnection) -> sa.Insert:
    """Add a delta to an ``upstream_share_stats`` row, creating the row when absent."""
    return _add_to(connection, upstream_share_stats, UPSTREAM_KEY, UPSTREAM_SUMS)


def _add_to(
    connection: AsyncConnection, table: sa.Table, key: tuple[str, ...], sums: tuple[str, ...]
) -> sa.Insert:
    statement = insert_for(connection, table)
    return statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: table.c[name] + statement.excluded[name] for name in sums},
    )


def see_workers(connection: AsyncConnection) -> sa.Insert:
    """Widen a worker's [first_seen, last_seen] span, creating the worker when new.

    Min/max rather than overwrite: a journal replayed late carries older times.
    """
    statement = insert_for(connection, workers)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["account", "name"],
        set_={
            "first_seen": sa.case(
                (new.first_seen < workers.c.first_seen, new.first_seen),
                else_=workers.c.first_seen,
            ),
            "last_seen": sa.case(
                (new.last_seen > workers.c.last_seen, new.last_seen),
                else_=workers.c.last_seen,
            ),
        },
    )
