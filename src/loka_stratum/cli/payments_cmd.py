"""``loka-stratum payments process [--manual] | pause | resume | status | queue``.

These work on the database the config names (``DATABASE_URL`` overrides), so
they act on a running pool from outside it: a pause set here stops the pool's
next automatic run, and ``process --manual`` takes turns with the pool's runs
through the run lease. The schema is migrated first (idempotent).

``process`` exit status: 0 it ran and every payment is sent; 1 it ran but a
payment failed or is unresolved, or the wallet did not answer; 2 it did not
run (paused without ``--manual``, no wallet configured, another run busy).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final, TypeVar

import click

from loka_stratum.app.payments import build_control
from loka_stratum.cli.options import config_option, fail, load_or_exit
from loka_stratum.payments.control import PaymentsControl
from loka_stratum.payments.reports import PaymentsStatus, QueuedPayout, RunReport
from loka_stratum.payments.runner import DEFAULT_REFUND_AFTER
from loka_stratum.payments.wallet_types import btc_string
from loka_stratum.storage import Database

T = TypeVar("T")
EXIT_NOT_RUN: Final = 2
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def with_control(
    config_path: Path | None,
    action: Callable[[PaymentsControl], Awaitable[T]],
    refund_after: float = DEFAULT_REFUND_AFTER,
) -> T:
    """Load the config, open and migrate the database, run ``action`` on a control."""
    settings = load_or_exit(config_path).settings

    async def run() -> T:
        async with Database(settings.database.url) as database:
            await database.migrate()
            control = build_control(settings, database, refund_after)
            try:
                return await action(control)
            finally:
                if control.runner is not None:
                    await control.runner.wallet.aclose()

    try:
        return asyncio.run(run())
    except Exception as exc:  # a database or driver failure is a message, not a traceback
        fail(f"payments: {exc}", [])


@click.group("payments")
def payments() -> None:
    """Pay miners their balances: run, pause, resume, status, queue."""


@payments.command("process")
@config_option
@click.option("--manual", is_flag=True, help="Run now, even while automatic runs are paused.")
@click.option(
    "--refund-after",
    type=click.FloatRange(min=0),
    default=DEFAULT_REFUND_AFTER,
    show_default=True,
    help="Refund an unresolved payment the wallet has no trace of once it is this many "
    "seconds old (long enough for a send still queued in the node to land).",
)
@_json_option
def process(config_path: Path | None, manual: bool, refund_after: float, as_json: bool) -> None:
    """One payment run: settle unresolved payments, track confirmations, pay what is due."""

    async def action(control: PaymentsControl) -> RunReport:
        return await control.process(manual)

    report = with_control(config_path, action, refund_after)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        _print_report(report)
    if report.outcome in ("paused", "no_wallet", "busy"):
        raise click.exceptions.Exit(EXIT_NOT_RUN)
    raise click.exceptions.Exit(0 if report.ok else 1)


def _print_report(report: RunReport) -> None:
    click.echo(f"payments {report.outcome}: {report.message}")
    for title, results in (("recovered", report.recovered), ("payment", report.payments)):
        for result in results:
            line = f"  {title} {result.id} {result.status.value}: {result.outputs} outputs, "
            line += f"{btc_string(result.total)} BTC"
            line += f", txid {result.txid}" if result.txid else ""
            line += f", fee {result.fee} sat" if result.fee is not None else ""
            click.echo(line + (f" ({result.error})" if result.error else ""))
    for skipped in report.skipped:
        click.echo(f"  skipped {skipped.account}: {skipped.reason}")


@payments.command("pause")
@config_option
@_json_option
def pause(config_path: Path | None, as_json: bool) -> None:
    """Stop automatic payment runs (kept across restarts) until ``resume``."""
    _print_status(with_control(config_path, PaymentsControl.pause), as_json)


@payments.command("resume")
@config_option
@_json_option
def resume(config_path: Path | None, as_json: bool) -> None:
    """Let automatic payment runs go ahead again."""
    _print_status(with_control(config_path, PaymentsControl.resume), as_json)


@payments.command("status")
@config_option
@_json_option
def status(config_path: Path | None, as_json: bool) -> None:
    """Paused or not, unresolved and unconfirmed payments, what is due, the last run."""
    _print_status(with_control(config_path, PaymentsControl.status), as_json)


def _print_status(status: PaymentsStatus, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(status.to_json(), indent=2))
        return
    rows: list[tuple[str, Any]] = [
        ("payments", "paused" if status.paused else "active"),
        ("wallet", "configured" if status.wallet_configured else "none (embedded chain)"),
        ("pending", f"{status.pending_count} unresolved payment(s)"),
        ("unconfirmed", f"{status.unconfirmed_count} sent, awaiting confirmations"),
        ("queued", f"{status.queued_count} payout(s), {btc_string(status.queued_total)} BTC"),
        ("paid", f"{btc_string(status.totals.paid)} BTC"),
    ]
    if status.last_run is not None:
        last = status.last_run
        rows.append(("last run", f"{last.get('finished_at')}: {last.get('outcome')}"))
    for name, value in rows:
        click.echo(f"{name:<12} {value}")


@payments.command("queue")
@config_option
@_json_option
def queue(config_path: Path | None, as_json: bool) -> None:
    """The payouts the next run would make."""
    entries: list[QueuedPayout] = with_control(config_path, PaymentsControl.queue)
    if as_json:
        payload = {"pending_count": len(entries), "payouts": [e.to_json() for e in entries]}
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(f"{len(entries)} payout(s) due")
    for entry in entries:
        click.echo(f"  {entry.address} {btc_string(entry.amount)} BTC")
