"""Per-IP request limiting for the public port: a token bucket per client address.

Dashboards poll every few seconds; a script hammering the API would otherwise
turn database reads into a lever against the pool. Each IP gets `burst`
requests at once and `rate` more per second; past that it gets 429 with the
usual JSON error and a `Retry-After`. The buckets live in memory, keyed by the
peer address uvicorn reports (the pool's own HTTP port, no proxy headers).
Full buckets carry no information, so the table is pruned of them when it
grows past `max_clients`, which bounds memory under a spoofed-source flood.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from loka_stratum.api.public.errors import error_response
from loka_stratum.observability.loggers import security_event


@dataclass(frozen=True, slots=True)
class RateLimit:
    rate: float = 20.0
    """Requests per second refilled into each IP's bucket."""
    burst: int = 120
    max_clients: int = 10_000


class TokenBuckets:
    """Pure bookkeeping: `take(ip, now)` says whether `ip` may make a request at `now`."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, ip: str, now: float) -> float:
        """0 when allowed (a token is spent), else seconds until the next token."""
        limit = self.limit
        tokens, last = self._buckets.get(ip, (float(limit.burst), now))
        tokens = min(float(limit.burst), tokens + (now - last) * limit.rate)
        if tokens < 1.0:
            self._buckets[ip] = (tokens, now)
            return (1.0 - tokens) / limit.rate
        if ip not in self._buckets and len(self._buckets) >= limit.max_clients:
            self._prune(now)
        self._buckets[ip] = (tokens - 1.0, now)
        return 0.0

    def _prune(self, now: float) -> None:
        limit = self.limit
        full = [
            ip
            for ip, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * limit.rate >= limit.burst
        ]
        for ip in full:
            del self._buckets[ip]
        if len(self._buckets) >= limit.max_clients:
            self._buckets.clear()  # all busy: forgetting them only makes us more lenient


class ApiRateLimit:
    """Pure ASGI middleware applying `TokenBuckets` to every HTTP request."""

    def __init__(
        self,
        app: ASGIApp,
        limit: RateLimit,
        on_limited: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.buckets = TokenBuckets(limit)
        self._on_limited = on_limited
        self._clock = clock
        self._noted: set[str] = set()
        """IPs being limited now: the security log gets one line per episode, not per request."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        ip = client[0] if client else "?"
        wait = self.buckets.take(ip, self._clock())
        if wait == 0.0:
            self._noted.discard(ip)
            await self.app(scope, receive, send)
            return
        if self._on_limited is not None:
            self._on_limited()
        if ip not in self._noted:
            if len(self._noted) >= self.buckets.limit.max_clients:
                self._noted.clear()
            self._noted.add(ip)
            security_event("rate_limit", peer=ip, scope="api", path=scope["path"])
        retry = str(max(1, math.ceil(wait)))
        detail = "too many requests from this address"
        response = error_response(429, "rate_limited", detail, {"Retry-After": retry})
        await response(scope, receive, send)
