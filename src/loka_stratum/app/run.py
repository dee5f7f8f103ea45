"""Running a pool until a signal, as systemd and logrotate drive it.

SIGTERM/SIGINT stop it gracefully: the whole stop (sessions closed, blocks
submitted, shares flushed) must fit in systemd's TimeoutStopSec=30, so it gets
a deadline of its own. SIGHUP reloads the config (`reload.Reloader`: live keys
applied, the rest reported as needing a restart, an invalid file rejected).
SIGUSR1 reopens the log files. Beside the pool run two periodic loggers: the
"Pool status" line and the `performance` record.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from prometheus_client import CollectorRegistry

from loka_stratum import __version__
from loka_stratum.api import HealthServer
from loka_stratum.api.public import PublicApiServer
from loka_stratum.app.performance import PerformanceReporter
from loka_stratum.app.pool import PoolApp
from loka_stratum.app.proxy import ProxyApp
from loka_stratum.app.reload import LogControl, Reloader
from loka_stratum.app.sources import build_source
from loka_stratum.app.summary import status_line
from loka_stratum.config import Settings
from loka_stratum.observability.loggers import get_logger
from loka_stratum.observability.metrics import Metrics

log = get_logger("loka_stratum.app")


STOP_DEADLINE = 25.0
SUMMARY_INTERVAL = 10.0


class RunLogs(LogControl, Protocol):
    """The LoggingHandle as a run uses it: reload (filter, secrets) and reopen."""

    def reopen(self) -> None: ...


async def run_pool(
    settings: Settings,
    *,
    config_path: Path | None = None,
    env: dict[str, str] | None = None,
    on_started: Callable[[PoolApp | ProxyApp], None] | None = None,
    on_http: Callable[[HealthServer], None] | None = None,
    on_reopen: Callable[[], None] | None = None,
    logs: RunLogs | None = None,
) -> int:
    """`logs` (the LoggingHandle): a reload changes its filter, SIGUSR1 reopens its files."""
    if logs is not None:
        on_reopen = on_reopen or logs.reopen
    metrics = Metrics(CollectorRegistry(), version=__version__, mode="pool")
    app: PoolApp | ProxyApp
    if settings.mode == "proxy":
        app = ProxyApp(settings, metrics)
    else:
        app = PoolApp(settings, build_source(settings, metrics), metrics)
    http = settings.http
    health = HealthServer(
        app, metrics, host=http.health_host, port=http.health_port, version=__version__
    )
    try:
        await health.start()  # before the pool: /live answers while it starts
    except OSError as exc:
        log.error("Cannot serve health and metrics", error_type="bind_failed", error=str(exc))
        return 1
    if on_http is not None:
        on_http(health)
    public = None
    if http.api_enabled:
        public = PublicApiServer(
            app, metrics, host=http.api_host, port=http.api_port, version=__version__
        )
        try:
            await public.start()
        except OSError as exc:
            log.error("Cannot serve the public API", error_type="bind_failed", error=str(exc))
            await health.stop()
            return 1
    try:
        reloader = Reloader(app, config_path, env or {}, logs)
        return await _serve(app, reloader, on_started, on_reopen)
    finally:
        if public is not None:
            await public.stop()
        await health.stop()  # after the pool: probes answer until its shares are flushed


async def _serve(
    app: PoolApp | ProxyApp,
    reloader: Reloader,
    on_started: Callable[[PoolApp | ProxyApp], None] | None,
    on_reopen: Callable[[], None] | None = None,
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reloader.reload)
    loop.add_signal_handler(signal.SIGUSR1, _reopen_logs, on_reopen)
    await app.start()
    if on_started is not None:
        on_started(app)
    periodic = [
        loop.create_task(_summaries(app, stop)),
        loop.create_task(_performance(PerformanceReporter(app), app, stop)),
    ]
    await stop.wait()
    for task in periodic:
        task.cancel()
    try:
        await asyncio.wait_for(app.stop(), STOP_DEADLINE)
    except TimeoutError:
        log.error("Shutdown deadline passed", error_type="shutdown_timeout")
        return 1
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
            loop.remove_signal_handler(signum)
    return 0


async def _summaries(app: PoolApp | ProxyApp, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), SUMMARY_INTERVAL)
        except TimeoutError:
            log.info("Pool status", summary=status_line(app, time.time()))


async def _performance(
    reporter: PerformanceReporter, app: PoolApp | ProxyApp, stop: asyncio.Event
) -> None:
    """One `performance` record per interval; the interval is read each time (reloadable)."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), app.settings.performance.report_interval)
        except TimeoutError:
            reporter.report()


def _reopen_logs(reopen: Callable[[], None] | None) -> None:
    """SIGUSR1 (logrotate's postrotate): new log files at the configured paths."""
    if reopen is not None:
        reopen()
    log.info("Log files reopened")
