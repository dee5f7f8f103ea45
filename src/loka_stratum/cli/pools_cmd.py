"""``loka-stratum pools add | list | remove | enable | disable``: proxy mode's upstreams.

Upstreams come from two places: ``[pool] upstreams`` in the config file and the
``pools`` table these commands manage; ``loka_stratum.proxy.sources`` merges them
(a row replaces the config entry of its name). Only rows can be changed here;
config entries are changed in the file. Every command migrates the database
(``[database] url``) first, so it works on a fresh one. Passwords are never printed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn, TypeVar

import click
from pydantic import SecretStr, ValidationError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from loka_stratum.cli.options import config_option, fail, load_or_exit
from loka_stratum.config import LoadedConfig, Upstream, mask_url_password
from loka_stratum.config.diagnostics import describe_errors
from loka_stratum.proxy.sources import UpstreamEntry, merge
from loka_stratum.storage import Database, NewPool, PoolKind, PoolRepository
from loka_stratum.storage.pools import column_problems

T = TypeVar("T")
COLUMNS = ("NAME", "SOURCE", "STATUS", "PRIORITY", "URL", "USERNAME")


@click.group("pools")
def pools() -> None:
    """Manage the upstream pools proxy mode connects to (database rows)."""


@pools.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--username", default=None, help="Account on the upstream [default: pool.username].")
@click.option("--password", default=None, help="Password on the upstream [default: pool.password].")
@click.option(
    "--priority", type=click.IntRange(min=0), default=0, help="0 is tried first.", show_default=True
)
@config_option
def add(
    name: str,
    url: str,
    username: str | None,
    password: str | None,
    priority: int,
    config_path: Path | None,
) -> None:
    """Add upstream NAME at URL (stratum+tcp://host:port or stratum+ssl://host:port)."""
    upstream = _validated(name, url, username, password, priority)
    row = NewPool(name, upstream.url, username or "", password or None, priority)
    if problems := column_problems(row):
        fail(f"invalid upstream {name!r}:", problems)
    loaded = load_or_exit(config_path)
    if not _run(loaded, lambda repository: _add(repository, row)):
        fail(f"pool {name!r} already exists in the database", [])
    note = " (replaces the config file's entry)" if _in_config(loaded, name) else ""
    click.echo(f"added {name}: {upstream.url} priority {priority}{note}")


@pools.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of objects.")
@config_option
def list_(as_json: bool, config_path: Path | None) -> None:
    """Show the upstreams of the config file and the database, and which are used."""
    loaded = load_or_exit(config_path)
    rows = _run(loaded, lambda repository: repository.list(kind=PoolKind.UPSTREAM))
    entries = merge(loaded.settings.pool.upstreams, rows)
    if as_json:
        click.echo(json.dumps([_as_dict(entry) for entry in entries], indent=2))
    elif not entries:
        click.echo("no upstream pools (add one with: loka-stratum pools add NAME URL)")
    else:
        _print_table(entries)


@pools.command("remove")
@click.argument("name")
@config_option
def remove(name: str, config_path: Path | None) -> None:
    """Delete upstream NAME from the database."""
    loaded = load_or_exit(config_path)
    if not _run(loaded, lambda repository: repository.remove(name)):
        _not_found(loaded, name)
    click.echo(f"removed {name}")


@pools.command("enable")
@click.argument("name")
@config_option
def enable(name: str, config_path: Path | None) -> None:
    """Let the proxy use upstream NAME again."""
    _set_enabled(name, True, config_path)


@pools.command("disable")
@click.argument("name")
@config_option
def disable(name: str, config_path: Path | None) -> None:
    """Stop the proxy using upstream NAME (a database row)."""
    _set_enabled(name, False, config_path)


def _set_enabled(name: str, enabled: bool, config_path: Path | None) -> None:
    loaded = load_or_exit(config_path)
    now = datetime.now(UTC)
    if not _run(loaded, lambda repository: repository.set_enabled(name, enabled, now)):
        _not_found(loaded, name)
    click.echo(f"{'enabled' if enabled else 'disabled'} {name}")


def _validated(
    name: str, url: str, username: str | None, password: str | None, priority: int
) -> Upstream:
    """The upstream as the config file would take it, or exit 1 listing what is wrong."""
    try:
        return Upstream(
            name=name,
            url=url,
            username=username or None,
            password=SecretStr(password) if password else None,
            priority=priority,
        )
    except ValidationError as exc:
        fail(f"invalid upstream {name!r}:", describe_errors(Upstream, exc, {}))


async def _add(repository: PoolRepository, row: NewPool) -> bool:
    """False when a pool of that name exists (the unique name decides, not a prior read)."""
    try:
        await repository.add(row, datetime.now(UTC))
    except IntegrityError:
        return False
    return True


def _run(loaded: LoadedConfig, action: Callable[[PoolRepository], Awaitable[T]]) -> T:
    """Run `action` on the migrated database; a database failure is a message and exit 1."""
    url = loaded.settings.database.url
    try:
        return asyncio.run(_on_database(url, action))
    except (SQLAlchemyError, OSError) as exc:
        fail(f"database {mask_url_password(url)} failed: {exc}", [])


async def _on_database(url: str, action: Callable[[PoolRepository], Awaitable[T]]) -> T:
    async with Database(url) as database:
        await database.migrate()
        return await action(database.pools)


def _in_config(loaded: LoadedConfig, name: str) -> bool:
    return any(upstream.name == name for upstream in loaded.settings.pool.upstreams)


def _not_found(loaded: LoadedConfig, name: str) -> NoReturn:
    if _in_config(loaded, name):
        where = loaded.path or "the configuration"
        fail(
            f"pool {name!r} is in {where}, not in the database: change it there, "
            "or add a database row of that name to replace it",
            [],
        )
    fail(f"no pool named {name!r} in the database", [])


def _as_dict(entry: UpstreamEntry) -> dict[str, object]:
    upstream = entry.upstream
    return {
        "name": upstream.name,
        "source": entry.source.value,
        "status": entry.status.value,
        "priority": upstream.priority,
        "url": upstream.url,
        "username": upstream.username,
        "password_set": upstream.password is not None,
        "enabled": upstream.enabled,
        "problem": entry.problem,
    }


def _print_table(entries: list[UpstreamEntry]) -> None:
    rows = [COLUMNS] + [
        (
            e.upstream.name,
            e.source.value,
            e.status.value,
            str(e.upstream.priority),
            e.upstream.url,
            e.upstream.username or "-",
        )
        for e in entries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))
    for entry in entries:
        if entry.problem is not None:
            click.echo(f"{entry.upstream.name}: {entry.problem}", err=True)
