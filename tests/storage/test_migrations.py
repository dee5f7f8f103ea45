"""Migrations: they apply, re-apply as a no-op, match the schema module, and go back down."""

from __future__ import annotations

import asyncio
import sys

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from loka_stratum.storage import Database, migrate, migrate_sync
from loka_stratum.storage.alembic_runner import alembic_config, head_revision
from loka_stratum.storage.schema import metadata

TABLES = {"pools", "workers", "shares", "share_stats", "share_batches", "blocks"}


def _table_names(connection: Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def _drift(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


async def test_migrate_creates_every_table_at_head(database_url: str) -> None:
    await migrate(database_url)
    async with Database(database_url) as db:
        assert await db.schema_revision() == head_revision()
        async with db.engine.connect() as connection:
            assert await connection.run_sync(_table_names) >= TABLES


async def test_migrating_twice_is_a_no_op(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(sa.text("CREATE TABLE marker (id INTEGER)"))
        await connection.execute(sa.text("INSERT INTO marker VALUES (1)"))
    await database.migrate()
    async with database.engine.connect() as connection:
        assert (await connection.execute(sa.text("SELECT COUNT(*) FROM marker"))).scalar() == 1
    assert await database.schema_revision() == head_revision()


async def test_operator_daily_check_counts_pools(database: Database) -> None:
    async with database.engine.connect() as connection:
        result = await connection.execute(sa.text("SELECT COUNT(*) FROM pools;"))
        assert result.scalar() == 0


async def test_migrated_database_matches_schema_module(database: Database) -> None:
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_drift) == []


async def test_downgrade_to_base_and_back(database: Database) -> None:
    def downgrade(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), "base")

    async with database.engine.begin() as connection:
        await connection.run_sync(downgrade)
    async with database.engine.connect() as connection:
        assert not await connection.run_sync(_table_names) & TABLES
    await database.migrate()
    assert await database.schema_revision() == head_revision()


def test_sync_wrapper_for_the_cli(database_url: str) -> None:
    migrate_sync(database_url)

    async def revision() -> str | None:
        async with Database(database_url) as db:
            return await db.schema_revision()

    assert asyncio.run(revision()) == head_revision()


MIGRATE_ON_CUE = """
import sys
from loka_stratum.storage import migrate_sync
print("ready", flush=True)
sys.stdin.readline()
migrate_sync(sys.argv[1])
"""


async def test_processes_starting_together_all_migrate(database_url: str) -> None:
    """Replicas that all run ``db migrate`` at once take turns instead of colliding."""
    pipe = asyncio.subprocess.PIPE
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", MIGRATE_ON_CUE, database_url, stdin=pipe, stdout=pipe, stderr=pipe
        )
        for _ in range(4)
    ]
    for process in processes:
        assert process.stdout is not None
        assert await process.stdout.readline() == b"ready\n"
    outcomes = await asyncio.gather(*(process.communicate(b"go\n") for process in processes))
    results = [
        (p.returncode, err.decode()) for p, (_, err) in zip(processes, outcomes, strict=True)
    ]
    assert results == [(0, "")] * 4
    async with Database(database_url) as db:
        assert await db.schema_revision() == head_revision()
