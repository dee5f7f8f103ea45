"""The pool's live state as one `LiveStats` snapshot, for scrapes and `/health`.

Registered with `Metrics.set_live_source`, it runs inside `render`, which the
endpoint calls on the event loop thread: the session set is only changed on
that thread, so reading it here needs no lock and never sees it mid-change.
Everything read is already in memory; the only I/O-free cost is one pass over
the sessions.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence

from sqlalchemy.pool import QueuePool

from loka_stratum.api.subject import DatabaseView, HashrateView, HealthSubject
from loka_stratum.observability.live import DbPoolStats, LiveStats
from loka_stratum.sources.base import SourceState

SERVING_STATES = frozenset({SourceState.HEALTHY, SourceState.DEGRADED})
"""Work-source states in which it hands out templates."""


def window_name(seconds: float) -> str:
    """`60` -> `1m`, `300` -> `5m`, `3600` -> `1h`, `90` -> `90s`: the label miners know."""
    whole = int(seconds)
    if whole % 3600 == 0:
        return f"{whole // 3600}h"
    if whole % 60 == 0:
        return f"{whole // 60}m"
    return f"{whole}s"


def hashrates(windows: Sequence[HashrateView], now: float) -> dict[str, float]:
    return {window_name(window.window): window.hashrate(now) for window in windows}


def db_pool_stats(database: DatabaseView, max_connections: int) -> DbPoolStats | None:
    """Checked-out and idle connections of a queue pool; None for pools that keep no count."""
    pool = database.engine.pool
    if not isinstance(pool, QueuePool):
        return None
    return DbPoolStats(active=pool.checkedout(), idle=pool.checkedin(), max=max_connections)


def live_stats(subject: HealthSubject, now: float) -> LiveStats:
    """One snapshot at wall-clock `now` (bans use the context's own monotonic clock)."""
    context = subject.context
    per_port: Counter[int] = Counter(dict.fromkeys(subject.server.bound.values(), 0))
    authorized = 0
    for session in context.sessions:
        per_port[session.port] += 1
        authorized += len(session.identities)
    batcher = subject.batcher.stats()
    return LiveStats(
        uptime_seconds=max(now - subject.started_at, 0.0),
        active_connections=dict(per_port),
        max_connections=context.max_connections,
        authorized_workers=authorized,
        hashrate=hashrates(subject.hashrate, now),
        work_source_up=subject.source.health().state in SERVING_STATES,
        journal_depth=batcher.journal_depth,
        pending_shares=batcher.pending_shares,
        db_pool=db_pool_stats(subject.database, subject.settings.database.max_connections),
        banned_ips=context.bans.active(context.monotonic()),
    )


def live_source(
    subject: HealthSubject, clock: Callable[[], float] = time.time
) -> Callable[[], LiveStats]:
    """The provider `Metrics.set_live_source` takes: a fresh snapshot per call."""
    return lambda: live_stats(subject, clock())
