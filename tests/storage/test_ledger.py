"""Credits, maturity, balances and thresholds on each backend; every step replayable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from loka_stratum.storage import BlockStatus, Database, NewBlock
from loka_stratum.storage.ledger import DueBalance, LedgerRepository, NewCredit
from loka_stratum.storage.schema import CreditKind, CreditStatus, LedgerReason, ledger

NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=20)
REWARD, FEE = CreditKind.REWARD, CreditKind.FEE


def block_hash(n: int) -> bytes:
    return bytes([n]) * 32


async def add_block(database: Database, n: int, reward: int = 1000) -> bytes:
    new = NewBlock(n, block_hash(n), block_hash(0), "a", "rig", reward)
    await database.blocks.add(new, NOW)
    return new.hash


@pytest.fixture
def repo(database: Database) -> LedgerRepository:
    return LedgerRepository(database.engine)


async def test_credits_are_stored_once(database: Database, repo: LedgerRepository) -> None:
    first = await add_block(database, 1)
    credits = [NewCredit("a", REWARD, 600), NewCredit("b", REWARD, 390), NewCredit("f", FEE, 10)]
    assert await repo.uncredited_blocks() == [first]
    assert await repo.add_block_credits(first, credits, NOW) == 3
    assert await repo.add_block_credits(first, credits, LATER) == 0
    assert await repo.uncredited_blocks() == []
    stored = await repo.credits_for(first)
    assert [(c.account, c.kind, c.amount, c.status) for c in stored] == [
        ("a", REWARD, 600, CreditStatus.IMMATURE),
        ("b", REWARD, 390, CreditStatus.IMMATURE),
        ("f", FEE, 10, CreditStatus.IMMATURE),
    ]
    assert await repo.immature() == {"a": 600, "b": 390, "f": 10}
    assert await repo.add_block_credits(first, [], NOW) == 0


async def test_uncredited_blocks_skip_settled_and_rewardless_ones(
    database: Database, repo: LedgerRepository
) -> None:
    await add_block(database, 1, reward=0)
    settled = await add_block(database, 2)
    pending = await add_block(database, 3)
    await database.blocks.update_status(settled, BlockStatus.ORPHANED, -1, NOW)
    assert await repo.uncredited_blocks() == [pending]


async def test_maturing_moves_credits_to_the_ledger_once(
    database: Database, repo: LedgerRepository
) -> None:
    first = await add_block(database, 1)
    await repo.add_block_credits(
        first,
        [NewCredit("a", REWARD, 600), NewCredit("a", FEE, 10), NewCredit("b", REWARD, 390)],
        NOW,
    )
    assert await repo.mature_block(first, 100, LATER) == 2
    assert await repo.mature_block(first, 101, LATER) == 0
    assert await repo.balances() == {"a": 610, "b": 390}
    assert await repo.balance("a") == 610
    assert await repo.balance("nobody") == 0
    assert await repo.immature() == {}
    assert {c.status for c in await repo.credits_for(first)} == {CreditStatus.MATURE}
    block = await database.blocks.get_by_hash(first)
    assert block is not None
    assert (block.status, block.confirmations) == (BlockStatus.CONFIRMED, 100)
    entries = await repo.entries("a")
    assert [(e.amount, e.reason, e.reference) for e in entries] == [
        (610, LedgerReason.BLOCK_REWARD, first[::-1].hex())
    ]


async def test_an_orphaned_block_never_reaches_a_balance(
    database: Database, repo: LedgerRepository
) -> None:
    kept, lost = await add_block(database, 1), await add_block(database, 2)
    await repo.add_block_credits(kept, [NewCredit("a", REWARD, 100)], NOW)
    await repo.add_block_credits(lost, [NewCredit("a", REWARD, 200)], NOW)
    assert await repo.orphan_block(lost, -1, LATER) == 1
    assert await repo.mature_block(lost, 5, LATER) == 0  # too late: void is final
    await repo.mature_block(kept, 5, LATER)
    assert await repo.balances() == {"a": 100}
    assert {c.status for c in await repo.credits_for(lost)} == {CreditStatus.VOID}
    orphan = await database.blocks.get_by_hash(lost)
    assert orphan is not None and orphan.status is BlockStatus.ORPHANED


async def test_balances_due_use_own_or_default_threshold(
    database: Database, repo: LedgerRepository
) -> None:
    first = await add_block(database, 1, reward=10_000)
    await repo.add_block_credits(
        first,
        [
            NewCredit("big", REWARD, 5000),
            NewCredit("picky", REWARD, 4000),
            NewCredit("small", REWARD, 999),
        ],
        NOW,
    )
    await repo.mature_block(first, 100, NOW)
    await repo.set_payout_threshold("picky", 4500, NOW)
    await repo.set_payout_threshold("small", 900, NOW)
    assert await repo.payout_threshold("picky") == 4500
    assert await repo.payout_threshold("big") is None
    assert await repo.balances_due(1000) == [
        DueBalance("big", 5000, 1000),
        DueBalance("small", 999, 900),
    ]
    await repo.set_payout_threshold("picky", None, LATER)
    assert await repo.payout_threshold("picky") is None
    assert [d.account for d in await repo.balances_due(1000)] == ["big", "picky", "small"]


async def test_balance_is_the_sum_of_ledger_rows(
    database: Database, repo: LedgerRepository
) -> None:
    first = await add_block(database, 1)
    await repo.add_block_credits(first, [NewCredit("a", REWARD, 700)], NOW)
    await repo.mature_block(first, 100, NOW)
    async with database.engine.begin() as connection:
        await connection.execute(
            sa.insert(ledger).values(
                account="a", amount=-500, reason="payment", reference="p1", created_at=LATER
            )
        )
    assert await repo.balances() == {"a": 200}
    assert await repo.balances_due(100) == [DueBalance("a", 200, 100)]
