"""Alembic entry point: runs the revisions on the connection handed over by our code.

Alembic is synchronous; ``loka_stratum.storage.migrate`` opens an async connection
and calls Alembic inside ``AsyncConnection.run_sync``, passing the synchronous
facade in ``config.attributes["connection"]``. Nothing here reads the environment
or builds an engine, so the URL comes from exactly one place: the caller.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from loka_stratum.storage.schema import metadata


def _connection() -> Connection:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "run migrations through loka_stratum.storage.migrate(), which supplies the connection"
        )
    return connection


def run_migrations() -> None:
    """Upgrade in one transaction; batch mode lets later revisions ALTER SQLite tables."""
    connection = _connection()
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
