"""``loka-stratum db migrate``: apply the schema migrations to ``DATABASE_URL``."""

from __future__ import annotations

import asyncio
import os

import click

from loka_stratum.cli.options import fail
from loka_stratum.config import mask_url_password
from loka_stratum.storage import Database


@click.group("db")
def db() -> None:
    """Database maintenance."""


@db.command("migrate")
@click.option(
    "--url",
    envvar="DATABASE_URL",
    default=None,
    help="Database URL [default: $DATABASE_URL, else $LOKA_DATABASE__URL].",
)
def migrate(url: str | None) -> None:
    """Upgrade the schema to the newest revision (safe to run again)."""
    url = url or os.environ.get("LOKA_DATABASE__URL")
    if not url:
        fail("no database: set DATABASE_URL (postgresql://... or sqlite:///...)", [])
    try:
        revision = asyncio.run(_migrate(url))
    except Exception as exc:  # report any driver failure as a message, not a traceback
        fail(f"migration failed on {mask_url_password(url)}: {exc}", [])
    click.echo(f"migrated {mask_url_password(url)} to revision {revision}")


async def _migrate(url: str) -> str | None:
    database = Database(url)
    try:
        await database.migrate()
        return await database.schema_revision()
    finally:
        await database.dispose()
