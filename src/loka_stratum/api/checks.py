"""A dependency probe that a scrape storm cannot turn into a database storm.

Load balancers, Kubernetes, Docker and Prometheus may each hit `/health` and
`/ready` every second or so, several at once. `CachedCheck` answers from its
last result for `ttl` seconds and lets only one probe run at a time: callers
that arrive while a probe is in flight wait for that probe instead of
starting another. A probe that raises or outlives `limit` counts as down, so
a hung database answers "down" within the limit instead of hanging `/health`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Final

DB_CHECK_TTL: Final = 1.5
DB_CHECK_LIMIT: Final = 3.0


class CachedCheck:
    def __init__(
        self,
        probe: Callable[[], Awaitable[bool]],
        *,
        ttl: float = DB_CHECK_TTL,
        limit: float = DB_CHECK_LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self._ttl = ttl
        self._limit = limit
        self._clock = clock
        self._lock = asyncio.Lock()
        self._result: bool | None = None
        self._checked_at = 0.0
        self.probes = 0
        """How many times the underlying probe ran (for tests and the debug log)."""

    async def __call__(self) -> bool:
        cached = self._fresh()
        if cached is not None:
            return cached
        async with self._lock:
            cached = self._fresh()
            if cached is not None:
                return cached
            result = await self._run_probe()
            self._result, self._checked_at = result, self._clock()
            return result

    def _fresh(self) -> bool | None:
        if self._result is None or self._clock() - self._checked_at >= self._ttl:
            return None
        return self._result

    async def _run_probe(self) -> bool:
        self.probes += 1
        try:
            async with asyncio.timeout(self._limit):
                return await self._probe()
        except Exception:  # a health check reports; it never raises
            return False
