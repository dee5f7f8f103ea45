"""Alembic driven from code: the script location is a package path, no alembic.ini.

Alembic is synchronous. Callers hand it the synchronous facade of an async
connection (``AsyncConnection.run_sync``), so the upgrade runs on the event
loop's own connection without a second engine, a thread or a nested loop.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key serialising migrations across processes ("loka" in ASCII).
MIGRATION_LOCK_KEY = 0x6C6F6B61


def alembic_config(connection: Connection | None = None) -> Config:
    """A Config for our shipped migrations; ``env.py`` runs on ``connection``.

    Also the entry point for writing a new revision:
    ``alembic.command.revision(alembic_config(), "add ledger")``.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: Connection) -> None:
    """Apply every revision not yet applied; a no-op when already at head.

    On PostgreSQL a transaction-scoped advisory lock makes concurrent callers
    take turns (SQLite callers begin with the write lock held instead).
    """
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
        )
    command.upgrade(alembic_config(connection), "head")


def head_revision() -> str:
    """The newest revision shipped in this package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None before the first migration)."""
    return MigrationContext.configure(connection).get_current_revision()
