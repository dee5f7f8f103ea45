"""Reconnect delays: exponential with full jitter, so many proxies do not reconnect in step.

Pure: the random source is injected, and the caller does the waiting. "Full jitter"
(AWS architecture blog) draws each delay uniformly from [ceiling/2, ceiling]: the
lower half-bound keeps a dead pool from being hammered at near-zero delays, the
spread keeps a fleet of proxies from stampeding a pool that just came back.
"""

from __future__ import annotations

import random


class Backoff:
    """Delays that double from `minimum` up to `maximum`, jittered; `reset()` after success."""

    def __init__(self, minimum: float, maximum: float, rng: random.Random | None = None) -> None:
        if not 0 < minimum <= maximum:
            raise ValueError("backoff needs 0 < minimum <= maximum")
        self.minimum = minimum
        self.maximum = maximum
        self._rng = rng or random.Random()
        self._failures = 0

    @property
    def failures(self) -> int:
        """Consecutive failures since the last `reset()`."""
        return self._failures

    def ceiling(self) -> float:
        """The largest delay the next `next_delay()` may return."""
        return min(self.maximum, self.minimum * 2.0 ** min(self._failures, 64))

    def next_delay(self) -> float:
        """The wait before the next attempt; each call counts one more failure."""
        ceiling = self.ceiling()
        self._failures += 1
        return self._rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self._failures = 0
