"""The one-slot update mailbox: latest wins, a new block is never downgraded."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.sources.base import TemplateUpdate
from loka_stratum.sources.updates import LatestUpdate
from tests.mining.builders import make_template

TEMPLATES = [make_template(tx_count=1, seed=seed) for seed in range(4)]


async def test_take_waits_for_a_put() -> None:
    slot = LatestUpdate()
    waiter = asyncio.ensure_future(slot.take())
    await asyncio.sleep(0)
    assert not waiter.done()
    slot.put(TemplateUpdate(TEMPLATES[0], new_block=False))
    assert await asyncio.wait_for(waiter, 1) == TemplateUpdate(TEMPLATES[0], new_block=False)
    assert not slot.pending


async def test_new_block_then_refresh_reads_as_one_new_block_with_the_latest_template() -> None:
    slot = LatestUpdate()
    slot.put(TemplateUpdate(TEMPLATES[0], new_block=True))
    slot.put(TemplateUpdate(TEMPLATES[1], new_block=False))
    slot.put(TemplateUpdate(TEMPLATES[2], new_block=False))
    assert await slot.take() == TemplateUpdate(TEMPLATES[2], new_block=True)
    assert slot.replaced == 2


async def test_close_ends_the_consumer_after_what_is_pending() -> None:
    slot = LatestUpdate()
    waiter = asyncio.ensure_future(slot.take())
    await asyncio.sleep(0)
    slot.close()
    assert await asyncio.wait_for(waiter, 1) is None
    slot.put(TemplateUpdate(TEMPLATES[3], new_block=False))
    assert await slot.take() == TemplateUpdate(TEMPLATES[3], new_block=False)
    assert await slot.take() is None


@given(st.lists(st.tuples(st.integers(0, 3), st.booleans()), min_size=1, max_size=12))
def test_reading_once_after_any_burst_gives_last_template_and_any_new_block(
    burst: list[tuple[int, bool]],
) -> None:
    slot = LatestUpdate()
    for index, new_block in burst:
        slot.put(TemplateUpdate(TEMPLATES[index], new_block))
    update = asyncio.run(slot.take())
    assert update is not None
    assert update.template is TEMPLATES[burst[-1][0]]
    assert update.new_block == any(new_block for _, new_block in burst)
