"""Hashrate from accepted share difficulty over a sliding window.

A share of difficulty D stands for D * 2**32 hashes on average, so the
hashrate over a window is the sum of accepted difficulty in it times 2**32
divided by the window. Per-second buckets keep `add` O(1) and memory bounded.
"""

from __future__ import annotations

from collections import deque

HASHES_PER_DIFFICULTY = 2**32


class HashrateWindow:
    def __init__(self, window_seconds: float) -> None:
        if window_seconds <= 0:
            raise ValueError("window must be positive")
        self.window = window_seconds
        self._buckets: deque[tuple[int, float]] = deque()
        self._total = 0.0

    def add(self, now: float, difficulty: float) -> None:
        second = int(now)
        if self._buckets and self._buckets[-1][0] == second:
            last_second, value = self._buckets.pop()
            self._buckets.append((last_second, value + difficulty))
        else:
            self._buckets.append((second, difficulty))
        self._total += difficulty
        self._expire(now)

    def difficulty_sum(self, now: float) -> float:
        self._expire(now)
        return max(self._total, 0.0)

    def hashrate(self, now: float) -> float:
        """Hashes per second over the window ending at `now`."""
        return self.difficulty_sum(now) * HASHES_PER_DIFFICULTY / self.window

    def _expire(self, now: float) -> None:
        horizon = now - self.window
        buckets = self._buckets
        while buckets and buckets[0][0] < horizon:
            self._total -= buckets.popleft()[1]
        if not buckets:
            self._total = 0.0
