"""Storage fixtures: a migrated ``Database`` on each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from loka_stratum.storage import Database


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database (SQLite, then PostgreSQL)."""
    async with Database(database_url) as db:
        await db.migrate()
        yield db
