"""Fixtures for work-source tests: fake nodes and a started-and-always-stopped source."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from loka_stratum.sources.bitcoind import BitcoindSource
from tests.fakes.bitcoind import FakeBitcoind
from tests.sources.helpers import fast_source

SourceFactory = Callable[..., AbstractAsyncContextManager[BitcoindSource]]


@pytest.fixture
async def node() -> AsyncIterator[FakeBitcoind]:
    async with FakeBitcoind() as fake:
        yield fake


@pytest.fixture
async def zmq_node() -> AsyncIterator[FakeBitcoind]:
    async with FakeBitcoind(zmq=True) as fake:
        yield fake


@pytest.fixture
def started() -> SourceFactory:
    """``async with started(node, **overrides) as source``: started, and always stopped."""

    @asynccontextmanager
    async def run(node: FakeBitcoind, **overrides: Any) -> AsyncIterator[BitcoindSource]:
        source = fast_source(node, **overrides)
        await source.start()
        try:
            yield source
        finally:
            await source.stop()

    return run
