"""Shared switches and the run lease over one database (both backends)."""

from __future__ import annotations

from datetime import timedelta

from loka_stratum.payments.state import LEASE_KEY, PoolState, RunLease
from loka_stratum.storage import Database
from tests.payments.conftest import START


def lease_for(database: Database, pid: int, *, alive: bool, host: str = "node-a") -> RunLease:
    state = PoolState(database.engine)
    return RunLease(state, seconds=60, host=host, pid=pid, alive=lambda _: alive)


async def test_put_get_and_compare_and_set(database: Database) -> None:
    state = PoolState(database.engine)
    assert await state.get("k") is None
    await state.put("k", "one", START)
    await state.put("k", "two", START)
    assert await state.get("k") == "two"
    assert not await state.swap("k", "one", "three", START)
    assert not await state.swap("k", None, "three", START)
    assert await state.swap("k", "two", "three", START)
    assert await state.get("k") == "three"


async def test_a_live_holder_keeps_the_lease_until_it_expires(database: Database) -> None:
    first = await lease_for(database, 100, alive=True).acquire(START)
    assert first is not None
    assert await lease_for(database, 200, alive=True).acquire(START) is None
    later = START + timedelta(seconds=61)
    assert await lease_for(database, 200, alive=True).acquire(later) is not None


async def test_a_dead_holder_on_this_host_is_replaced_at_once(database: Database) -> None:
    assert await lease_for(database, 100, alive=True).acquire(START) is not None
    assert await lease_for(database, 200, alive=False).acquire(START) is not None


async def test_a_holder_on_another_host_is_never_judged_by_pid(database: Database) -> None:
    assert await lease_for(database, 100, alive=True, host="node-b").acquire(START) is not None
    assert await lease_for(database, 200, alive=False).acquire(START) is None


async def test_release_frees_only_our_own_lease(database: Database) -> None:
    ours = lease_for(database, 100, alive=True)
    lease = await ours.acquire(START)
    assert lease is not None
    later = START + timedelta(seconds=61)
    theirs = await lease_for(database, 200, alive=True).acquire(later)
    assert theirs is not None
    await ours.release(lease)  # ours expired and was taken over: nothing to release
    assert await PoolState(database.engine).get(LEASE_KEY) == theirs.text()
