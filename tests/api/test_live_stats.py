"""The live-stats snapshot the metrics and /health read."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from loka_stratum.api.live_stats import live_stats, window_name
from loka_stratum.mining.hashrate import HASHES_PER_DIFFICULTY
from loka_stratum.observability.live import DbPoolStats
from loka_stratum.sources.base import SourceState
from tests.api.fakes import FakeApp, FakeSession


@pytest.mark.parametrize(
    ("seconds", "name"), [(60, "1m"), (300, "5m"), (3600, "1h"), (7200, "2h"), (90, "90s")]
)
def test_window_names(seconds: float, name: str) -> None:
    assert window_name(seconds) == name


async def test_snapshot_of_a_busy_pool(fake_app: FakeApp) -> None:
    now = fake_app.started_at + 500.0
    fake_app.server.bound = {3333: 3333, 3334: 3334}
    fake_app.context.sessions = [
        FakeSession(3333, {"a.1": object()}),
        FakeSession(3333, {"a.2": object(), "a.3": object()}),
        FakeSession(3333),
    ]
    fake_app.context.bans.ban("10.0.0.1", fake_app.context.monotonic())
    fake_app.batcher.pending_shares, fake_app.batcher.journal_depth = 7, 1
    for window in fake_app.hashrate:
        window.add(now - 10, 60.0)
    stats = live_stats(fake_app, now)
    assert stats.uptime_seconds == 500.0
    assert stats.active_connections == {3333: 3, 3334: 0}
    assert stats.authorized_workers == 3
    assert stats.hashrate == {
        "1m": 60.0 * HASHES_PER_DIFFICULTY / 60,
        "5m": 60.0 * HASHES_PER_DIFFICULTY / 300,
        "1h": 60.0 * HASHES_PER_DIFFICULTY / 3600,
    }
    assert stats.work_source_up is True
    assert (stats.pending_shares, stats.journal_depth, stats.banned_ips) == (7, 1, 1)
    assert stats.max_connections == 1000


@pytest.mark.parametrize(
    ("state", "up"),
    [
        (SourceState.STARTING, False),
        (SourceState.HEALTHY, True),
        (SourceState.DEGRADED, True),
        (SourceState.DOWN, False),
    ],
)
async def test_work_source_up(fake_app: FakeApp, state: SourceState, up: bool) -> None:
    fake_app.source.state = state
    assert live_stats(fake_app, fake_app.started_at).work_source_up is up


async def test_db_pool_counts_checked_out_connections(fake_app: FakeApp) -> None:
    limit = fake_app.settings.database.max_connections
    async with fake_app.database.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
        during = live_stats(fake_app, fake_app.started_at).db_pool
    after = live_stats(fake_app, fake_app.started_at).db_pool
    assert during == DbPoolStats(active=1, idle=0, max=limit)
    assert after == DbPoolStats(active=0, idle=1, max=limit)
