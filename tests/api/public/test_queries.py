"""Balances, immature credits and payments read straight from the accounting tables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from loka_stratum.storage import Database
from loka_stratum.storage.api_queries import ApiQueries, window_ending
from loka_stratum.storage.schema import credits, ledger, payment_outputs, payments

NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with Database(database_url) as db:
        await db.migrate()
        yield db


async def seed(database: Database) -> None:
    credit = {"block_hash": "aa" * 32, "kind": "reward", "created_at": NOW, "updated_at": NOW}
    payment = {"total": 700, "fee": 10, "confirmations": 0, "created_at": NOW, "updated_at": NOW}
    async with database.engine.begin() as connection:
        entry = {"reason": "block_reward", "reference": "b1", "created_at": NOW}
        await connection.execute(
            sa.insert(ledger),
            [
                {**entry, "account": "a", "amount": 1000},
                {**entry, "account": "a", "amount": -400, "reason": "payment", "reference": "p1"},
                {**entry, "account": "b", "amount": 300},
            ],
        )
        await connection.execute(
            sa.insert(credits),
            [
                {**credit, "account": "a", "amount": 250, "status": "immature"},
                {**credit, "account": "a", "amount": 99, "status": "void", "kind": "fee"},
            ],
        )
        await connection.execute(
            sa.insert(payments),
            [
                {**payment, "id": "p1", "label": "l1", "status": "sent", "txid": "11" * 32},
                {
                    **payment,
                    "id": "p2",
                    "label": "l2",
                    "status": "pending",
                    "txid": None,
                    "created_at": NOW + timedelta(minutes=5),
                },
            ],
        )
        await connection.execute(
            sa.insert(payment_outputs),
            [
                {"payment_id": "p1", "account": "a", "address": "addr-a", "amount": 400},
                {"payment_id": "p1", "account": "b", "address": "addr-b", "amount": 300},
                {"payment_id": "p2", "account": "a", "address": "addr-a", "amount": 50},
            ],
        )


async def test_funds_and_payments_of_one_miner(database: Database) -> None:
    await seed(database)
    queries = ApiQueries(database.engine)
    funds = await queries.funds("a")
    assert (funds.balance, funds.immature, funds.paid) == (600, 250, 400)
    nothing = await queries.funds("nobody")
    assert (nothing.balance, nothing.immature, nothing.paid) == (0, 0, 0)
    rows = await queries.account_payments("a", 10)
    assert [(r["id"], r["status"], r["amount"]) for r in rows] == [
        ("p2", "pending", 50),
        ("p1", "sent", 400),
    ]
    assert await queries.account_known("b") and not await queries.account_known("nobody")
    page = await queries.payments_page(1, 1)
    assert page.total == 2 and [(r["id"], r["outputs"]) for r in page.rows] == [("p1", 2)]


def test_windows_cover_whole_minutes_up_to_now() -> None:
    window = window_ending(1_000_030.0, 600.0)
    assert window.since % 60 == 0 and window.since >= 1_000_030.0 - 600.0
    assert window.seconds == pytest.approx(1_000_030.0 - window.since)
