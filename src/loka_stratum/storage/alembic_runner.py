"""Alembic driven from code: the script location is a package path, no alembic.ini.

Alembic is synchronous. Callers hand it the synchronous facade of an async
connection (``AsyncConnection.run_sync``), so the upgrade runs on the event
loop's own connection without a second engine, a thread or a nested loop.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


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
    """Apply every revision not yet applied; a no-op when already at head."""
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
