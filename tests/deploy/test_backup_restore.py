"""backup.sh then restore.sh on a real database of each backend: the rows survive.

PostgreSQL: the session's private server, with the pg_dump/psql that sit next to its
initdb first on PATH (client and server of one version). SQLite: sqlite3's online backup.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from loka_stratum.storage import Database
from loka_stratum.storage.pgserver import PostgresServer
from loka_stratum.storage.schema import workers
from tests.deploy.files import SCRIPTS
from tests.e2e.process import BIN, free_port

BACKUP = SCRIPTS / "backup.sh"
RESTORE = SCRIPTS / "restore.sh"
SEEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def script_env(request: pytest.FixtureRequest, url: str) -> dict[str, str]:
    """PATH with loka-stratum (db migrate) and, for PostgreSQL, the server's own client tools."""
    path = [str(BIN.parent), os.environ["PATH"]]
    if url.startswith("postgresql"):
        server: PostgresServer = request.getfixturevalue("postgres_server")
        path.insert(0, str(server.bin_dir))
    # Nothing listens here: restore.sh must find no running pool.
    return {
        "PATH": os.pathsep.join(path),
        "DATABASE_URL": url,
        "HEALTH_URL": f"http://127.0.0.1:{free_port()}/live",
    }


async def _accounts(url: str, *, migrate: bool = False, add: tuple[str, ...] = ()) -> list[str]:
    async with Database(url) as database:
        if migrate:
            await database.migrate()
        async with database.engine.begin() as connection:
            for account in add:
                row = {"account": account, "name": "rig", "first_seen": SEEN, "last_seen": SEEN}
                await connection.execute(workers.insert().values(**row))
            rows = await connection.execute(sa.select(workers.c.account).order_by("account"))
            return [account for (account,) in rows]


def accounts(url: str, *, migrate: bool = False, add: tuple[str, ...] = ()) -> list[str]:
    return asyncio.run(_accounts(url, migrate=migrate, add=add))


def revision(url: str) -> str | None:
    async def read() -> str | None:
        async with Database(url) as database:
            return await database.schema_revision()

    return asyncio.run(read())


def run(script: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script), *args], env=env, capture_output=True, text=True, check=False, timeout=60
    )


def test_backup_then_restore_brings_the_rows_back(
    database_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    env = script_env(request, database_url)
    assert accounts(database_url, migrate=True, add=("alice", "bob")) == ["alice", "bob"]
    head = revision(database_url)

    made = run(BACKUP, env, str(tmp_path / "backups"))
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip())
    assert backup.parent == tmp_path / "backups"
    assert [path.name for path in backup.parent.iterdir()] == [backup.name]
    assert b"alice" in gzip.decompress(backup.read_bytes())

    assert accounts(database_url, add=("mallory",)) == ["alice", "bob", "mallory"]
    restored = run(RESTORE, env, str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "migrated" in restored.stderr
    assert accounts(database_url) == ["alice", "bob"]
    assert revision(database_url) == head


def test_a_failed_backup_leaves_no_file(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/none",
    }
    done = run(BACKUP, env, str(tmp_path))
    assert done.returncode != 0
    assert list(tmp_path.iterdir()) == []


def test_restore_refuses_a_backup_of_the_other_backend(tmp_path: Path) -> None:
    backup = tmp_path / "loka-stratum-20260101_000000.sql.gz"
    backup.write_bytes(gzip.compress(b"SELECT 1;\n"))
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": f"sqlite:///{tmp_path / 'pool.db'}",
        "HEALTH_URL": f"http://127.0.0.1:{free_port()}/live",
    }
    done = run(RESTORE, env, str(backup))
    assert done.returncode == 1
    assert "is not a SQLite backup" in done.stderr
    assert not (tmp_path / "pool.db").exists()
