"""Payments, wired from settings: the wallet client, the control, and the periodic task.

The wallet is bitcoind's wallet endpoint (``/wallet/<name>``, or the node's
default wallet when ``bitcoind.wallet`` is unset) with the node's credentials.
With the embedded chain there is no wallet: the control still plans and
queues, and every run reports that no wallet is configured.

The periodic task runs once at start (so an intent left pending by a crash is
recovered promptly), then every ``accounting.payment_interval``; it exists only
when ``accounting.payments_enabled`` is set. Stopping cancels a run in flight:
an intent whose send was under way stays pending and the next run settles it.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import quote

from loka_stratum.app.sources import rpc_auth
from loka_stratum.bitcoin.network import Network, network_by_name
from loka_stratum.config import Settings
from loka_stratum.observability.loggers import get_logger
from loka_stratum.payments.control import PaymentsControl
from loka_stratum.payments.planner import ThresholdPolicy
from loka_stratum.payments.runner import DEFAULT_REFUND_AFTER, RunnerSettings
from loka_stratum.payments.wallet import WalletRpc
from loka_stratum.sources.rpc import BitcoindRpc
from loka_stratum.storage import Database

log = get_logger("loka_stratum.payments")


def payments_network(settings: Settings) -> Network:
    """The network payouts go to: regtest on the embedded chain, else the node's."""
    embedded = settings.bitcoind.source == "embedded"
    return network_by_name("regtest" if embedded else settings.bitcoind.network)


def wallet_url(settings: Settings) -> str:
    node = settings.bitcoind
    base = node.effective_rpc_url.rstrip("/")
    return base if node.wallet is None else f"{base}/wallet/{quote(node.wallet, safe='')}"


def build_wallet(settings: Settings) -> WalletRpc | None:
    """The wallet client; None with the embedded chain (there is no wallet to pay from)."""
    node = settings.bitcoind
    if node.source != "bitcoind":
        return None
    rpc = BitcoindRpc(wallet_url(settings), rpc_auth(settings), timeout=node.rpc_timeout)
    return WalletRpc(rpc)


def runner_settings(
    settings: Settings, refund_after: float = DEFAULT_REFUND_AFTER
) -> RunnerSettings:
    accounting = settings.accounting
    return RunnerSettings(
        network=payments_network(settings),
        thresholds=ThresholdPolicy(accounting.payout_threshold, accounting.min_payout_threshold),
        refund_after=refund_after,
    )


def build_control(
    settings: Settings, database: Database, refund_after: float = DEFAULT_REFUND_AFTER
) -> PaymentsControl:
    return PaymentsControl(
        database, wallet=build_wallet(settings), settings=runner_settings(settings, refund_after)
    )


def payout_addresses(settings: Settings) -> dict[str, str | None]:
    """The addresses the pool pays to or from, by config key (for ``blockchain verify``)."""
    return {
        "stratum.pool_address": settings.stratum.pool_address,
        "accounting.fee_address": settings.accounting.fee_address,
    }


class PaymentTask:
    """Automatic payment runs inside the pool process (off unless payments_enabled)."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.enabled = settings.accounting.payments_enabled
        self.interval = settings.accounting.payment_interval
        self.control = build_control(settings, database)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.enabled:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.control.runner is not None:
            await self.control.runner.wallet.aclose()

    async def _loop(self) -> None:
        while not self._stop.is_set():
            await self._run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)

    async def _run_once(self) -> None:
        try:
            report = await self.control.process(manual=False)
        except Exception as exc:  # a database outage must not end the schedule
            log.error("Payment run failed", error=str(exc), error_type="payment_run_failed")
            return
        log.info(
            "Payment run",
            outcome=report.outcome,
            paid=report.paid,
            payments=len(report.payments),
            message=report.message,
        )
