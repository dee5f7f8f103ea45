"""Payment runs against the fake wallet on both backends: pay, recover, refund, confirm."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from loka_stratum.payments.state import LEASE_KEY
from loka_stratum.storage import Database
from loka_stratum.storage.schema import PaymentStatus, miner_settings
from tests.fakes.wallet import COIN, FakeWallet
from tests.payments.conftest import ControlFactory, FakeClock, address, balance, credit


async def test_a_run_pays_every_due_balance_in_one_sendmany(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    await credit(database, address(1), 300_000)
    await credit(database, address(2), 150_000)
    await credit(database, address(3), 50_000)  # below the 100k threshold
    report = await make_control().process(manual=True)
    assert report.outcome == "completed" and report.ok
    assert wallet.count("sendmany") == 1
    assert wallet.paid_to() == {address(1): 300_000, address(2): 150_000}
    [payment] = report.payments
    assert payment.status is PaymentStatus.SENT and payment.txid == wallet.sends[0].txid
    assert payment.fee == wallet.sends[0].fee and report.paid == 450_000
    assert await balance(database, address(1)) == 0
    assert await balance(database, address(3)) == 50_000
    assert wallet.sends[0].comment == "loka-payment-" + payment.id


async def test_a_second_run_pays_nothing_new(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    await credit(database, address(1), 300_000)
    control = make_control()
    await control.process(manual=True)
    second = await control.process(manual=True)
    assert second.payments == () and second.message == "nothing due"
    assert wallet.count("sendmany") == 1


async def test_miner_threshold_is_honoured_but_never_below_the_minimum(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    rows = [
        {"account": address(1), "payout_threshold": 20_000, "updated_at": FakeClock().now},
        {"account": address(2), "payout_threshold": 1_000, "updated_at": FakeClock().now},
    ]
    async with database.engine.begin() as connection:
        await connection.execute(sa.insert(miner_settings), rows)
    await credit(database, address(1), 25_000)
    await credit(database, address(2), 5_000)  # chose 1k, raised to the 10k minimum
    queue = await make_control().queue()
    assert [(q.account, q.amount, q.threshold) for q in queue] == [(address(1), 25_000, 20_000)]


async def test_accounts_that_are_not_addresses_are_skipped_with_a_reason(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    await credit(database, "alice.rig1", 500_000)
    await credit(database, address(1), 500_000)
    report = await make_control().process(manual=True)
    assert [s.account for s in report.skipped] == ["alice.rig1"]
    assert "not a payable address" in report.skipped[0].reason
    assert wallet.paid_to() == {address(1): 500_000}


async def test_insufficient_funds_fails_and_refunds(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    wallet.balance = 400_000  # covers the outputs, not the fee: sendmany answers -6
    await credit(database, address(1), 400_000)
    with capture_logs() as logs:
        report = await make_control().process(manual=True)
    [payment] = report.payments
    assert payment.status is PaymentStatus.FAILED and payment.error_type == "insufficient_funds"
    assert not report.ok and wallet.sends == []
    assert await balance(database, address(1)) == 400_000
    assert any(e.get("error_type") == "insufficient_funds" for e in logs)
    wallet.balance = 10 * COIN
    again = await make_control().process(manual=True)
    assert again.ok and wallet.paid_to() == {address(1): 400_000}


async def test_short_wallet_is_caught_before_sendmany(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    wallet.balance = 1_000
    await credit(database, address(1), 400_000)
    report = await make_control().process(manual=True)
    assert report.payments[0].status is PaymentStatus.FAILED
    assert wallet.count("sendmany") == 0
    assert await balance(database, address(1)) == 400_000


async def test_timeout_after_the_send_stays_pending_and_is_recovered(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    await credit(database, address(1), 300_000)
    wallet.hang("sendmany", after=True)
    report = await make_control(timeout=0.3).process(manual=True)
    assert report.payments[0].status is PaymentStatus.PENDING and report.unresolved == 1
    assert len(wallet.sends) == 1  # the wallet did send
    assert await balance(database, address(1)) == 0
    wallet.release()
    status = await make_control().status()
    assert status.pending_count == 1
    recovered = await make_control().process(manual=True)
    assert [r.status for r in recovered.recovered] == [PaymentStatus.SENT]
    assert recovered.recovered[0].txid == wallet.sends[0].txid
    assert wallet.count("sendmany") == 1 and recovered.payments == ()


async def test_an_unresolved_intent_is_refunded_only_after_refund_after(
    database: Database, wallet: FakeWallet, make_control: ControlFactory, clock: FakeClock
) -> None:
    await credit(database, address(1), 300_000)
    wallet.hang("sendmany", drop=True)  # unanswered, and the wallet never sends it
    report = await make_control(timeout=0.3).process(manual=True)
    assert report.payments[0].status is PaymentStatus.PENDING
    wallet.release()
    early = await make_control().process(manual=True)
    assert early.unresolved == 1 and early.recovered == () and wallet.count("sendmany") == 1
    clock.advance(121)
    late = await make_control().process(manual=True)
    assert [r.status for r in late.recovered] == [PaymentStatus.FAILED]
    assert [p.status for p in late.payments] == [PaymentStatus.SENT]
    assert wallet.paid_to() == {address(1): 300_000} and await balance(database, address(1)) == 0


async def test_recovery_reads_history_older_than_one_page(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    await credit(database, address(1), 300_000)
    wallet.hang("sendmany", after=True)
    await make_control(timeout=0.3).process(manual=True)
    wallet.release()
    wallet.add_receives(1_200)  # the send is now 1200 entries deep
    report = await make_control().process(manual=True)
    assert [r.status for r in report.recovered] == [PaymentStatus.SENT]
    assert wallet.count("listtransactions") >= 3


async def test_wallet_restart_mid_run_loses_nothing(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    await credit(database, address(1), 300_000)
    wallet.hang("sendmany", after=True)
    run = asyncio.create_task(make_control().process(manual=True))
    await wallet.wait_call("sendmany")
    await wallet.restart()  # the connection is cut after the send was recorded
    report = await run
    assert report.payments[0].status is PaymentStatus.PENDING
    after = await make_control().process(manual=True)
    assert [r.status for r in after.recovered] == [PaymentStatus.SENT]
    assert len(wallet.sends) == 1 and await balance(database, address(1)) == 0


async def test_wallet_down_reports_unavailable_and_changes_nothing(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    await credit(database, address(1), 300_000)
    await wallet.http.stop()
    report = await make_control(timeout=0.5).process(manual=True)
    assert report.outcome == "wallet_unavailable" and not report.ok
    assert await balance(database, address(1)) == 300_000


async def test_confirmations_are_tracked_and_a_fee_bump_followed(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    await credit(database, address(1), 300_000)
    control = make_control()
    first = await control.process(manual=True)
    txid = first.payments[0].txid
    assert txid is not None
    replacement = wallet.bump(txid)
    wallet.confirm(replacement, 3)
    second = await control.process(manual=True)
    assert second.confirmed == 1
    [record] = await control.store.with_status(PaymentStatus.CONFIRMED)
    assert record.txid == replacement and record.confirmations == 3


async def test_paused_blocks_automatic_runs_not_manual_ones(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    await credit(database, address(1), 300_000)
    control = make_control()
    assert (await control.pause()).paused
    assert (await control.process(manual=False)).outcome == "paused"
    assert wallet.count("sendmany") == 0
    assert (await control.process(manual=True)).ok
    assert not (await control.resume()).paused


async def test_no_wallet_never_pretends_to_pay(
    database: Database, make_control: ControlFactory
) -> None:
    await credit(database, address(1), 300_000)
    control = make_control(with_wallet=False)
    report = await control.process(manual=True)
    assert report.outcome == "no_wallet" and report.payments == ()
    status = await control.status()
    assert not status.wallet_configured and status.queued_total == 300_000
    assert status.last_run is not None and status.last_run["outcome"] == "no_wallet"


async def test_a_run_in_progress_makes_another_wait(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    await credit(database, address(1), 300_000)
    wallet.hang("getbalances")
    first = asyncio.create_task(make_control().process(manual=True))
    await wallet.wait_call("getbalances")
    assert (await make_control().process(manual=True)).outcome == "busy"
    wallet.release()
    assert (await first).ok
    assert await make_control().state.get(LEASE_KEY) is None


async def test_large_payouts_are_split_into_batches(
    database: Database, wallet: FakeWallet, make_control: ControlFactory
) -> None:
    for n in range(1, 6):
        await credit(database, address(n), 100_000 * n)
    report = await make_control(batch_size=2).process(manual=True)
    assert [p.outputs for p in report.payments] == [2, 2, 1]
    assert wallet.count("sendmany") == 3
    assert sum(wallet.paid_to().values()) == 1_500_000


@pytest.mark.parametrize("amount", [100_000, 2_100_000_000_000_000])
async def test_amounts_cross_the_wire_exactly(
    database: Database, wallet: FakeWallet, make_control: ControlFactory, amount: int
) -> None:
    wallet.balance = amount + 10 * COIN
    await credit(database, address(1), amount + 1)
    await make_control().process(manual=True)
    assert wallet.paid_to() == {address(1): amount + 1}
