"""Fixtures: a fake pool to serve, and the health app on it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from loka_stratum import __version__
from loka_stratum.observability.metrics import Metrics
from tests.api.fakes import FakeApp, FakeDatabase, sqlite_engine


@pytest.fixture
async def fake_app(tmp_path: Path) -> AsyncIterator[FakeApp]:
    engine = sqlite_engine(tmp_path)
    yield FakeApp(database=FakeDatabase(engine), started_at=time.time() - 188_590.0)
    await engine.dispose()


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(CollectorRegistry(), version=__version__, mode="pool")
