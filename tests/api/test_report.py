"""Status rules, uptime text, and the report's figures for a fake pool."""

from __future__ import annotations

import re
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum import __version__
from loka_stratum.api import HealthReporter, format_uptime
from loka_stratum.api.checks import CachedCheck
from loka_stratum.api.models import Services, ServiceStatus
from loka_stratum.api.report import database_status, overall_status
from tests.api.fakes import FakeApp, FakeBatcher

UPTIME = re.compile(r"^(?:(\d+)d )?(?:(\d+)h )?(\d+)m$|^(\d+)s$")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (59.9, "59s"),
        (60, "1m"),
        (3599, "59m"),
        (3600, "1h 0m"),
        (2 * 86400 + 4 * 3600 + 23 * 60 + 7, "2d 4h 23m"),
        (86400, "1d 0h 0m"),
        (-5, "0s"),
    ],
)
def test_uptime_text(seconds: float, text: str) -> None:
    assert format_uptime(seconds) == text


@given(st.integers(min_value=60, max_value=10**9))
def test_uptime_text_reads_back_to_the_minute(seconds: int) -> None:
    match = UPTIME.match(format_uptime(seconds))
    assert match is not None
    days, hours, minutes = (int(group or 0) for group in match.groups()[:3])
    assert days * 86400 + hours * 3600 + minutes * 60 == seconds - seconds % 60
    assert hours < 24 and minutes < 60


STATUSES: tuple[ServiceStatus, ...] = get_args(ServiceStatus)


@given(st.sampled_from(STATUSES), st.sampled_from(STATUSES), st.sampled_from(STATUSES))
def test_overall_status_rules(
    database: ServiceStatus, source: ServiceStatus, metrics: ServiceStatus
) -> None:
    status = overall_status(Services(database=database, pool_connection=source, metrics=metrics))
    blocking = {"starting", "unhealthy"}
    if database in blocking or source in blocking:
        assert status == "unhealthy"
    elif database == source == metrics == "healthy":
        assert status == "healthy"
    else:
        assert status == "degraded"


@pytest.mark.parametrize(
    ("reachable", "batcher", "expected"),
    [
        (True, FakeBatcher(), "healthy"),
        (False, FakeBatcher(), "unhealthy"),
        (True, FakeBatcher(journal_depth=3), "degraded"),
        (True, FakeBatcher(database_up=False), "degraded"),
        (False, FakeBatcher(journal_depth=3, database_up=False), "unhealthy"),
    ],
)
def test_database_status(reachable: bool, batcher: FakeBatcher, expected: str) -> None:
    assert database_status(reachable, batcher.stats()) == expected


async def test_journal_backlog_degrades_the_report(fake_app: FakeApp) -> None:
    fake_app.batcher.journal_depth = 2
    fake_app.batcher.pending_shares = 40
    report = await HealthReporter(fake_app, version=__version__).health()
    assert report.status == "degraded"
    assert report.services.database == "degraded"
    assert (report.database.journal_depth, report.database.pending_shares) == (2, 40)


async def test_starting_source_is_unhealthy(fake_app: FakeApp) -> None:
    fake_app.source.state = fake_app.source.state.STARTING
    report = await HealthReporter(fake_app, version=__version__).health()
    assert report.services.pool_connection == "starting"
    assert report.status == "unhealthy"


async def test_failing_live_metrics_degrade_the_report(fake_app: FakeApp) -> None:
    fake_app.server.bound = None  # type: ignore[assignment]
    report = await HealthReporter(fake_app, version=__version__).health()
    assert report.services.metrics == "unhealthy"
    assert report.status == "degraded"


async def test_template_age_and_source_kind(fake_app: FakeApp) -> None:
    fake_app.source.last_template_at = fake_app.started_at + 100.0
    now = fake_app.started_at + 130.0
    reporter = HealthReporter(fake_app, version=__version__, clock=lambda: now)
    report = await reporter.health()
    assert report.work_source.last_template_age == 30.0
    assert report.uptime == "2m" and report.uptime_seconds == 130.0
    assert report.work_source.kind == "embedded"


async def test_health_and_ready_share_one_database_probe(fake_app: FakeApp) -> None:
    reporter = HealthReporter(
        fake_app, version=__version__, database_check=CachedCheck(fake_app.database.health)
    )
    for _ in range(5):
        await reporter.health()
        await reporter.readiness()
    assert fake_app.database.probes == 1
