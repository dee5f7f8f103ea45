"""The accounting service on a real database (both backends) with a scripted work source."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from loka_stratum.app.accounting import AccountingService
from loka_stratum.config import Settings
from loka_stratum.storage import BlockStatus, Database, LedgerRepository
from loka_stratum.storage.schema import CreditKind, CreditStatus
from tests.server.harness import ScriptedSource

from .accounting_helpers import (
    FEE_ADDRESS,
    T0,
    settings,
    share,
    store_block,
    store_shares,
)

REWARD = 1_000_000


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with Database(database_url) as db:
        await db.migrate()
        yield db


def service(database: Database, source: ScriptedSource, config: Settings) -> AccountingService:
    return AccountingService(config, database, source, clock=lambda: T0 + 1000)


async def credits_of(database: Database, block: bytes) -> dict[tuple[str, CreditKind], int]:
    rows = await LedgerRepository(database.engine).credits_for(block)
    return {(c.account, c.kind): c.amount for c in rows}


async def block_state(database: Database, block: bytes) -> tuple[BlockStatus, int]:
    row = await database.blocks.get_by_hash(block)
    assert row is not None
    return row.status, row.confirmations


async def test_pplns_credits_the_window_then_matures_into_balances(database: Database) -> None:
    """Window 4 x difficulty 1: the block share (1), bob (2), then one of alice's two shares."""
    await store_shares(
        database,
        share(1, "alice"),
        share(2, "alice"),
        share(3, "bob", 2.0),
        share(4, "carol", height=7),
    )
    found = await store_block(database, 7, "carol", found=4.5)
    source = ScriptedSource()
    runner = service(
        database, source, settings(pplns_n=4.0, fee_percent=2.0, fee_address=FEE_ADDRESS)
    )
    await runner.run_once()
    assert await credits_of(database, found) == {
        ("alice", CreditKind.REWARD): 245_000,
        ("bob", CreditKind.REWARD): 490_000,
        ("carol", CreditKind.REWARD): 245_000,
        (FEE_ADDRESS, CreditKind.FEE): 20_000,
    }
    ledger = LedgerRepository(database.engine)
    assert await ledger.balances() == {}
    source.depths[found] = 1
    await runner.run_once()
    assert await block_state(database, found) == (BlockStatus.PENDING, 1)
    source.depths[found] = 2
    await runner.run_once()
    await runner.run_once()
    assert await block_state(database, found) == (BlockStatus.CONFIRMED, 2)
    assert await ledger.balances() == {
        "alice": 245_000,
        "bob": 490_000,
        "carol": 245_000,
        FEE_ADDRESS: 20_000,
    }
    assert await ledger.immature() == {}


async def test_prop_credits_the_round_since_the_previous_block(database: Database) -> None:
    await store_shares(
        database,
        share(1, "alice", 5.0),
        share(2, "alice", height=3),
        share(3, "bob", 3.0),
        share(4, "carol", height=4),
    )
    first = await store_block(database, 3, "alice", found=2.5)
    second = await store_block(database, 4, "carol", found=4.5)
    await service(database, ScriptedSource(), settings("prop")).run_once()
    assert await credits_of(database, first) == {("alice", CreditKind.REWARD): REWARD}
    assert await credits_of(database, second) == {
        ("bob", CreditKind.REWARD): 750_000,
        ("carol", CreditKind.REWARD): 250_000,
    }


async def test_a_block_waits_for_its_share_and_is_not_confirmed_before_credits(
    database: Database,
) -> None:
    found = await store_block(database, 7, "carol", found=4.5)
    source = ScriptedSource()
    source.depths[found] = 5
    runner = service(database, source, settings())
    await runner.run_once()
    assert await credits_of(database, found) == {}
    assert await block_state(database, found) == (BlockStatus.PENDING, 5)
    await store_shares(database, share(4, "carol", height=7))
    await runner.run_once()
    assert await credits_of(database, found) == {("carol", CreditKind.REWARD): REWARD}
    await runner.run_once()
    assert await LedgerRepository(database.engine).balances() == {"carol": REWARD}


async def test_a_block_stored_during_a_pass_is_never_confirmed_without_credits(
    database: Database,
) -> None:
    """The block handler stores blocks while a pass runs: one that appears between the
    maturity step's reads (here: while it asks which blocks lack credits) must wait."""
    source = ScriptedSource()
    runner = service(database, source, settings())
    ledger = runner._ledger
    read_uncredited = ledger.uncredited_blocks
    stored: list[bytes] = []
    calls = 0

    async def then_a_block_arrives() -> list[bytes]:
        nonlocal calls
        calls += 1
        answer = await read_uncredited()
        if calls == 2:  # the first pass's maturity step
            stored.append(await store_block(database, 7, "carol", found=4.5))
            source.depths[stored[0]] = 5  # already buried: only missing credits hold it
        return answer

    ledger.uncredited_blocks = then_a_block_arrives  # type: ignore[method-assign]
    await runner.run_once()
    assert await block_state(database, stored[0]) == (BlockStatus.PENDING, 0)
    await store_shares(database, share(4, "carol", height=7))
    await runner.run_once()
    await runner.run_once()
    assert await block_state(database, stored[0]) == (BlockStatus.CONFIRMED, 5)
    assert await LedgerRepository(database.engine).balances() == {"carol": REWARD}


async def test_orphaned_block_voids_credits_and_leaves_balances_alone(database: Database) -> None:
    await store_shares(database, share(1, "alice", height=7), share(2, "bob", height=8))
    kept = await store_block(database, 7, "alice", found=1.5)
    lost = await store_block(database, 8, "bob", found=2.5)
    source = ScriptedSource()
    runner = service(database, source, settings(pplns_n=1.0))
    await runner.run_once()
    source.depths.update({kept: 3, lost: -1})
    await runner.run_once()
    ledger = LedgerRepository(database.engine)
    assert await ledger.balances() == {"alice": REWARD}
    assert {c.status for c in await ledger.credits_for(lost)} == {CreditStatus.VOID}
    assert await block_state(database, lost) == (BlockStatus.ORPHANED, -1)
    source.depths[lost] = 9  # orphaned is final
    await runner.run_once()
    assert await ledger.balances() == {"alice": REWARD}


async def test_a_restarted_service_repeats_nothing(database: Database) -> None:
    await store_shares(database, share(1, "alice", height=7))
    found = await store_block(database, 7, "alice", found=1.5)
    source = ScriptedSource()
    source.depths[found] = 2
    for _ in range(3):
        runner = service(database, source, settings())
        await runner.run_once()
        await runner.run_once()
    assert await LedgerRepository(database.engine).balances() == {"alice": REWARD}
    assert await credits_of(database, found) == {("alice", CreditKind.REWARD): REWARD}


async def test_solo_tracks_maturity_without_credits(database: Database) -> None:
    await store_shares(database, share(1, "alice", height=7))
    found = await store_block(database, 7, "alice", found=1.5)
    source = ScriptedSource()
    source.depths[found] = 2
    await service(database, source, settings("solo")).run_once()
    assert await credits_of(database, found) == {}
    assert await block_state(database, found) == (BlockStatus.CONFIRMED, 2)
    assert await LedgerRepository(database.engine).balances() == {}


async def test_no_answer_from_the_source_changes_nothing(database: Database) -> None:
    await store_shares(database, share(1, "alice", height=7))
    found = await store_block(database, 7, "alice", found=1.5)
    runner = service(database, ScriptedSource(), settings())
    await runner.run_once()
    assert await block_state(database, found) == (BlockStatus.PENDING, 0)
    assert await LedgerRepository(database.engine).immature() == {"alice": REWARD}


async def test_the_loop_runs_passes_until_stopped(database: Database) -> None:
    await store_shares(database, share(1, "alice", height=7))
    found = await store_block(database, 7, "alice", found=1.5)
    runner = AccountingService(settings(), database, ScriptedSource(), interval=0.01)
    await runner.start()
    with pytest.raises(RuntimeError, match="already started"):
        await runner.start()
    credited = asyncio.Event()
    add_credits = runner._ledger.add_block_credits

    async def then_tell(*args: Any, **kwargs: Any) -> int:
        rows = await add_credits(*args, **kwargs)
        credited.set()
        return rows

    runner._ledger.add_block_credits = then_tell  # type: ignore[method-assign]
    try:
        async with asyncio.timeout(5.0):
            await credited.wait()  # a pass of the loop, not one the test ran
    finally:
        await runner.stop()
    assert await LedgerRepository(database.engine).credits_for(found)
