"""Waiting helpers and a fast-ticking source for work-source tests."""

from __future__ import annotations

import asyncio
import random
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from loka_stratum.sources.base import SourceState, TemplateUpdate
from loka_stratum.sources.bitcoind import Backoff, BitcoindSource
from loka_stratum.sources.submitblock import SubmitPolicy
from tests.fakes.bitcoind import DEADLINE, FakeBitcoind

_rpc_done: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Event] = (
    weakref.WeakKeyDictionary()
)
"""Per event loop: set after every RPC attempt of a `fast_source` (and every block the
pool handles). A source's health and figures change only then, so a wait re-checks its
condition on each."""


def activity() -> asyncio.Event:
    return _rpc_done.setdefault(asyncio.get_running_loop(), asyncio.Event())


async def eventually(predicate: Callable[[], bool], what: str = "condition") -> None:
    """Until `predicate` holds (re-checked after each RPC attempt), within `DEADLINE`."""
    event = activity()
    try:
        async with asyncio.timeout(DEADLINE):
            while not predicate():
                event.clear()
                await event.wait()
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def _signalling(call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def signalled(method: str, *params: Any, **options: Any) -> Any:
        try:
            return await call(method, *params, **options)
        finally:
            activity().set()

    return signalled


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
    source = BitcoindSource(**settings)
    rpc = source._rpc  # every poll, template and submit goes through it
    rpc.call = _signalling(rpc.call)  # type: ignore[method-assign,assignment]
    return source


def source_tasks() -> list[asyncio.Task[object]]:
    """The tasks a BitcoindSource runs (all named ``bitcoind-*``) that are still alive."""
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith("bitcoind-") and not task.done()
    ]
