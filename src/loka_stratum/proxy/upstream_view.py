"""Proxy mode's upstreams as the health surface sees a work source.

Healthy while every channel is connected, degraded while some are (or while the
proxy runs on a failover upstream), down when none is, starting before the first
connection. The detail names the connected upstreams and the failover count, and
the last job time gives /health its "last job age".
"""

from __future__ import annotations

import time
from collections.abc import Callable

from loka_stratum.proxy.context import ProxyContext
from loka_stratum.sources.base import SourceHealth, SourceState, UpstreamStatus


class UpstreamSourceView:
    def __init__(self, context: ProxyContext, clock: Callable[[], float] = time.time) -> None:
        self._context = context
        self._clock = clock

    def health(self) -> SourceHealth:
        context = self._context
        healths = context.health()
        connected = [h for h in healths if h.upstream is not None]
        failovers = sum(h.failovers for h in healths)
        ages = [h.last_job_age for h in connected if h.last_job_age is not None]
        last_job_at = None if not ages else self._clock() - min(ages)
        names = sorted({h.upstream for h in connected if h.upstream is not None})
        detail = (
            f"upstream {', '.join(names) or 'none'}; channels {len(connected)}/{len(healths)}; "
            f"failovers {failovers}"
        )
        errors = [h.last_error for h in healths if h.last_error]
        if not connected:
            if errors:
                detail += f"; last error: {errors[-1]}"
            state = SourceState.DOWN if context.upstreams_tried else SourceState.STARTING
        elif len(connected) < len(healths) or context.on_failover():
            state = SourceState.DEGRADED
        else:
            state = SourceState.HEALTHY
        channels = tuple(
            UpstreamStatus(
                channel=channel.index,
                upstream=health.upstream,
                miners=len(channel.sessions),
                failovers=health.failovers,
                failbacks=health.failbacks,
                connections=health.connections,
                last_job_age=None if health.last_job_age is None else round(health.last_job_age, 3),
                last_error=health.last_error,
            )
            for channel, health in zip(context.channels, healths, strict=True)
        )
        return SourceHealth(state, detail, None, last_job_at, channels)
