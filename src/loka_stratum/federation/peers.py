"""What the service reports about each peer, what it needs from the pool, and redial timing."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

BACKOFF_MIN: Final = 0.5


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """This node as its heartbeats describe it."""

    network: str
    height: int
    tip: bytes
    hashrate: float
    miners: int


@dataclass(frozen=True, slots=True)
class PeerStatus:
    """One configured peer, as `GET /api/federation/peers` and `federation peers` show it."""

    name: str
    url: str
    connected: bool
    latency_ms: float | None
    last_seen: float | None
    """Wall-clock time of the last message from the peer."""
    height: int | None
    tip: bytes | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "connected": self.connected,
            "latency_ms": self.latency_ms,
            "last_seen": self.last_seen,
            "height": self.height,
            "tip": None if self.tip is None else self.tip[::-1].hex(),
        }


class Backoff:
    """Jittered doubling from `BACKOFF_MIN` to ``maximum``, so restarted nodes do not redial
    in lockstep; `reset` after a link that authenticated."""

    def __init__(self, maximum: float, rand: Callable[[], float] = random.random) -> None:
        self._maximum = max(maximum, BACKOFF_MIN)
        self._rand = rand
        self._attempt = 0

    def next_delay(self) -> float:
        ceiling = min(self._maximum, BACKOFF_MIN * 2.0**self._attempt)
        self._attempt = min(self._attempt + 1, 30)
        return ceiling * (0.5 + 0.5 * self._rand())

    def reset(self) -> None:
        self._attempt = 0
