"""``loka-stratum start [--config F] [--dry-run]``: run the pool (or check that it could)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click

from loka_stratum.app.dry_run import check_plan
from loka_stratum.app.run import run_pool
from loka_stratum.cli.options import config_option, load_or_exit
from loka_stratum.config import LoadedConfig, Settings
from loka_stratum.observability import LoggingHandle, configure_logging


def setup_logging(loaded: LoadedConfig) -> LoggingHandle:
    """Logging from config (the loader already folded LOKA_LOG / RUST_LOG into the filter)."""
    settings = loaded.settings.logging
    handle = configure_logging(
        level=settings.level,
        fmt=settings.format,
        filter_spec=settings.filter,
        file=settings.file,
        security_file=settings.security_file,
    )
    for secret in config_secrets(loaded.settings):
        handle.register_secret(secret)
    return handle


def config_secrets(settings: Settings) -> list[str]:
    """Every secret the config holds, so logs can mask it wherever it turns up."""
    secrets = [settings.bitcoind.rpc_password, settings.http.admin_token, settings.pool.password]
    secrets += [upstream.password for upstream in settings.pool.upstreams]
    values = [secret.get_secret_value() for secret in secrets if secret is not None]
    password = make_url_password(settings.database.url)
    return [value for value in [*values, password] if value]


def make_url_password(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    return make_url(url).password


@click.command("start")
@config_option
@click.option(
    "--dry-run",
    is_flag=True,
    help="Load and validate the config, connect to the database and work source, print the "
    "plan, exit 0 (ready) or 1.",
)
def start(config_path: Path | None, dry_run: bool) -> None:
    """Start the pool (or, with mode = "proxy", the proxy) on the configured ports."""
    loaded = load_or_exit(config_path)
    handle = setup_logging(loaded)
    try:
        runner = (
            check_plan(loaded)
            if dry_run
            else run_pool(
                loaded.settings,
                config_path=loaded.path,
                env=dict(os.environ),
                logs=handle,
            )
        )
        code = _run(runner, uvloop_enabled=loaded.settings.performance.uvloop)
    finally:
        handle.close()
    raise click.exceptions.Exit(code)


def _run(coroutine: object, *, uvloop_enabled: bool) -> int:
    if uvloop_enabled:
        import uvloop

        return int(uvloop.run(coroutine))  # type: ignore[arg-type]
    return int(asyncio.run(coroutine))  # type: ignore[arg-type]
