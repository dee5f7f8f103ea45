"""Waiting helpers and a fast-ticking source for work-source tests."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

from loka_stratum.sources.base import SourceState, TemplateUpdate
from loka_stratum.sources.bitcoind import Backoff, BitcoindSource
from loka_stratum.sources.submitblock import SubmitPolicy
from tests.fakes.bitcoind import DEADLINE, FakeBitcoind


async def eventually(predicate: Callable[[], bool], what: str = "condition") -> None:
    """Poll a condition with a deadline (for state that raises no event, e.g. health)."""
    try:
        async with asyncio.timeout(DEADLINE):
            while not predicate():  # noqa: ASYNC110 - health raises no event
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def wait_state(source: BitcoindSource, state: SourceState) -> None:
    await eventually(lambda: source.health().state is state, f"health {state.value}")


async def next_update(updates: AsyncIterator[TemplateUpdate]) -> TemplateUpdate:
    return await asyncio.wait_for(anext(updates), DEADLINE)


def fast_source(node: FakeBitcoind, **overrides: Any) -> BitcoindSource:
    """A source with test-sized intervals; `overrides` replace any constructor argument."""
    settings: dict[str, Any] = {
        "rpc_url": node.url,
        "rpc_auth": node.auth,
        "network": "regtest",
        "poll_interval": 0.02,
        "template_refresh": 30.0,
        "rpc_timeout": 2.0,
        "zmq_grace": 0.2,
        "backoff": Backoff(initial=0.01, maximum=0.05),
        "submit_policy": SubmitPolicy(retry_delay=0.01),
        "rng": random.Random(5),
    }
    settings.update(overrides)
    return BitcoindSource(**settings)


def source_tasks() -> list[asyncio.Task[object]]:
    """The tasks a BitcoindSource runs (all named ``bitcoind-*``) that are still alive."""
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith("bitcoind-") and not task.done()
    ]
