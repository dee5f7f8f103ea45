"""`UpstreamPool.replace_endpoints`: a reloaded upstream list reaches open connections."""

from __future__ import annotations

from tests.proxy.fake_upstream import FakeUpstream
from tests.proxy.helpers import Events, ManualSleep
from tests.proxy.test_failover import connected, endpoint, running, switched_to


async def test_an_upstream_dropped_from_the_list_is_left_for_the_new_one() -> None:
    sleep, events = ManualSleep(), Events()
    async with (
        FakeUpstream() as old,
        FakeUpstream() as new,
        running([endpoint("old", old)], sleep, events) as pool,
    ):
        first = await connected(pool)
        pool.replace_endpoints([endpoint("new", new)])
        await first.wait_closed()
        assert first.close_reason == "removed from the upstream list"
        replacement = await switched_to(events, "new")
        assert pool.current is replacement
        assert pool.health().upstream == "new"


async def test_a_newly_preferred_upstream_is_taken_at_once() -> None:
    sleep, events = ManualSleep(), Events()
    async with (
        FakeUpstream() as current,
        FakeUpstream() as preferred,
        running([endpoint("current", current)], sleep, events) as pool,
    ):
        first = await connected(pool)
        pool.replace_endpoints([endpoint("preferred", preferred), endpoint("current", current)])
        better = await switched_to(events, "preferred")
        await first.wait_closed()
        assert first.close_reason == "failed back to preferred"
        assert pool.current is better
        assert pool.health().failbacks == 1


async def test_a_reordered_list_that_keeps_the_current_upstream_first_changes_nothing() -> None:
    sleep, events = ManualSleep(), Events()
    async with (
        FakeUpstream() as current,
        FakeUpstream() as other,
        running([endpoint("current", current)], sleep, events) as pool,
    ):
        first = await connected(pool)
        pool.replace_endpoints([endpoint("current", current), endpoint("other", other)])
        # A round trip on the connection lets the woken loop run its turn first.
        verdict = await pool.submit("acct.proxy", "job1", "00" * 8, "6553f100", "00000001")
        assert verdict.accepted
        assert pool.current is first and not first.closed
        assert other.sessions == []
        assert pool.health().failbacks == 0
