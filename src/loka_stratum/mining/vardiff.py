"""Variable difficulty: keep each miner near one share per target interval.

The controller counts shares in a window that restarts at every change.
When the window is old enough (the retarget interval) or clearly too busy
(many times the expected shares), it estimates the miner's rate and picks
the difficulty that would have produced one share per target interval. Small
deviations (within `variance`) are ignored so difficulty does not flap; a
single step never moves more than `max_change` either way. A silent miner is
stepped down once per retarget interval. Time is always passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARLY_RETARGET_FACTOR = 4
"""Retarget before the interval once a window holds this many times the expected shares."""
MIN_EARLY_SHARES = 8


@dataclass(frozen=True, slots=True)
class VardiffPolicy:
    target_interval: float = 10.0
    """Seconds between shares we aim for."""
    retarget_interval: float = 90.0
    """Seconds of shares to look at before deciding."""
    variance: float = 0.3
    """Relative deviation tolerated without a change."""
    max_change: float = 4.0
    """Largest factor a single retarget may move the difficulty."""
    min_difficulty: float = 0.0001
    max_difficulty: float = 2.0**40

    def __post_init__(self) -> None:
        if not 0 < self.min_difficulty <= self.max_difficulty:
            raise ValueError("need 0 < min_difficulty <= max_difficulty")
        if self.target_interval <= 0 or self.retarget_interval <= 0:
            raise ValueError("intervals must be positive")
        if self.max_change <= 1:
            raise ValueError("max_change must be > 1")

    def clamp(self, difficulty: float, network_difficulty: float | None = None) -> float:
        """Bound a difficulty by the policy and by the network (no share above a block)."""
        ceiling = self.max_difficulty
        if network_difficulty is not None:
            ceiling = max(self.min_difficulty, min(ceiling, network_difficulty))
        if math.isnan(difficulty):
            return self.min_difficulty
        return min(max(difficulty, self.min_difficulty), ceiling)


class Vardiff:
    """One session's controller. Feed it share times; it answers with new difficulties."""

    def __init__(self, policy: VardiffPolicy, difficulty: float, now: float) -> None:
        self.policy = policy
        self.difficulty = policy.clamp(difficulty)
        self._window_start = now
        self._shares = 0
        self.fixed = False
        """A miner-chosen fixed difficulty (``d=`` in the password) turns the controller off."""

    def set_policy(self, policy: VardiffPolicy) -> float | None:
        """Follow a reloaded policy; return the new difficulty if its bounds moved it.

        The share window keeps running, so a reload does not reset a miner's progress
        toward its next retarget. A fixed (``d=``) difficulty is bounded too.
        """
        self.policy = policy
        bounded = policy.clamp(self.difficulty)
        if bounded == self.difficulty:
            return None
        self.difficulty = bounded
        return bounded

    def due(self, now: float) -> bool:
        """Whether `poll` could change anything now (a cheap test for per-job checks)."""
        return not self.fixed and now - self._window_start >= self.policy.retarget_interval

    def record_share(self, now: float, network_difficulty: float | None = None) -> float | None:
        """Count an accepted share; return the new difficulty if it should change."""
        self._shares += 1
        return self.poll(now, network_difficulty)

    def poll(self, now: float, network_difficulty: float | None = None) -> float | None:
        """Re-evaluate (also with no shares, to step a silent miner down)."""
        if self.fixed:
            return None
        elapsed = now - self._window_start
        policy = self.policy
        expected = max(elapsed, policy.target_interval) / policy.target_interval
        busy = self._shares >= max(MIN_EARLY_SHARES, EARLY_RETARGET_FACTOR * expected)
        if elapsed < policy.retarget_interval and not busy:
            return None
        if self._shares == 0:
            proposed = self.difficulty / policy.max_change
        else:
            proposed = self.difficulty * policy.target_interval * self._shares / max(elapsed, 1e-6)
        return self._apply(proposed, now, network_difficulty)

    def suggest(
        self, difficulty: float, now: float, network_difficulty: float | None = None
    ) -> float:
        """`mining.suggest_difficulty`: start from the miner's figure, within bounds."""
        self._set(self.policy.clamp(difficulty, network_difficulty), now)
        return self.difficulty

    def fix(self, difficulty: float, now: float, network_difficulty: float | None = None) -> float:
        """A ``d=`` password: a fixed difficulty within bounds, vardiff off."""
        self.fixed = True
        self._set(self.policy.clamp(difficulty, network_difficulty), now)
        return self.difficulty

    def _apply(self, proposed: float, now: float, network_difficulty: float | None) -> float | None:
        policy = self.policy
        ratio = proposed / self.difficulty
        if abs(ratio - 1.0) <= policy.variance:
            self._restart(now)
            return None
        ratio = min(max(ratio, 1.0 / policy.max_change), policy.max_change)
        new = policy.clamp(self.difficulty * ratio, network_difficulty)
        if new == self.difficulty:
            self._restart(now)
            return None
        self._set(new, now)
        return new

    def _set(self, difficulty: float, now: float) -> None:
        self.difficulty = difficulty
        self._restart(now)

    def _restart(self, now: float) -> None:
        self._window_start = now
        self._shares = 0


def password_difficulty(password: str | None) -> float | None:
    """The ``d=N`` option of a miner password (``x,d=1024`` or ``d=0.01``), if valid."""
    if not password:
        return None
    for option in password.replace(";", ",").split(","):
        key, sep, value = option.strip().partition("=")
        if sep and key.strip().lower() == "d":
            try:
                difficulty = float(value)
            except ValueError:
                return None
            return difficulty if math.isfinite(difficulty) and difficulty > 0 else None
    return None
