"""The pool's periodic payment task: off by default, runs at start when enabled, stops cleanly."""

from __future__ import annotations

import asyncio

import pytest

from loka_stratum.app.payments import PaymentTask, build_wallet, wallet_url
from loka_stratum.config import Settings
from loka_stratum.payments.reports import RunReport
from loka_stratum.storage import Database
from tests.fakes.wallet import RPC_PASSWORD, RPC_USER, FakeWallet
from tests.payments.conftest import address, balance, credit


def settings_for(wallet: FakeWallet, database_url: str, *, enabled: bool) -> Settings:
    return Settings.model_validate(
        {
            "bitcoind": {
                "source": "bitcoind",
                "rpc_url": f"http://127.0.0.1:{wallet.http.port}",
                "rpc_user": RPC_USER,
                "rpc_password": RPC_PASSWORD,
                "wallet": "pool",
            },
            "database": {"url": database_url},
            "accounting": {"payments_enabled": enabled, "payment_interval": 3600},
        }
    )


async def test_an_enabled_task_pays_at_start_and_stops(
    database: Database,
    database_url: str,
    wallet: FakeWallet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await credit(database, address(1), 2_000_000)
    task = PaymentTask(settings_for(wallet, database_url, enabled=True), database)
    reports: asyncio.Queue[RunReport] = asyncio.Queue()
    process = task.control.process

    async def observed(manual: bool) -> RunReport:
        report = await process(manual)
        reports.put_nowait(report)
        return report

    monkeypatch.setattr(task.control, "process", observed)
    await task.start()
    report = await asyncio.wait_for(reports.get(), 10.0)
    await task.stop()
    assert report.ok and not report.manual
    assert wallet.paid_to() == {address(1): 2_000_000}
    assert await balance(database, address(1)) == 0


async def test_a_paused_pool_does_not_pay_automatically(
    database: Database, database_url: str, wallet: FakeWallet, monkeypatch: pytest.MonkeyPatch
) -> None:
    await credit(database, address(1), 2_000_000)
    task = PaymentTask(settings_for(wallet, database_url, enabled=True), database)
    await task.control.pause()
    reports: asyncio.Queue[RunReport] = asyncio.Queue()
    process = task.control.process

    async def observed(manual: bool) -> RunReport:
        report = await process(manual)
        reports.put_nowait(report)
        return report

    monkeypatch.setattr(task.control, "process", observed)
    await task.start()
    report = await asyncio.wait_for(reports.get(), 10.0)
    await task.stop()
    assert report.outcome == "paused" and wallet.count("sendmany") == 0


async def test_a_disabled_task_never_calls_the_wallet(
    database: Database, database_url: str, wallet: FakeWallet
) -> None:
    await credit(database, address(1), 2_000_000)
    task = PaymentTask(settings_for(wallet, database_url, enabled=False), database)
    await task.start()
    await task.stop()
    assert wallet.calls == []


def test_wallet_url_and_embedded_has_none(wallet: FakeWallet) -> None:
    settings = settings_for(wallet, "sqlite:///x.db", enabled=False)
    assert wallet_url(settings) == f"http://127.0.0.1:{wallet.http.port}/wallet/pool"
    assert build_wallet(Settings()) is None
