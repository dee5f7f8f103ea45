"""Extranonce1 allocation: every live session owns a distinct, fixed-width value.

Two sessions with the same extranonce1 would search the same coinbases and
produce the same shares, so uniqueness is the invariant. Values are handed
out by a wrapping counter that skips values in use. A released value is held
back for `resume_window` seconds so a miner that reconnects with its session
id (the hex extranonce1, as ckpool and others use it) gets it again; after
that it returns to the pool. An optional fixed `prefix` (the proxy's upstream
extranonce1) is prepended and does not count toward `size`.
"""

from __future__ import annotations

from collections import OrderedDict


class ExtranonceExhaustedError(RuntimeError):
    """Every value of the configured width is in use or held for resumption."""


class ExtranonceAllocator:
    def __init__(
        self, size: int = 4, *, prefix: bytes = b"", resume_window: float = 300.0, start: int = 0
    ) -> None:
        if not 1 <= size <= 8:
            raise ValueError("extranonce1 size must be 1..8 bytes")
        self.size = size
        self.prefix = prefix
        self.resume_window = resume_window
        self._space = 1 << (8 * size)
        self._next = start % self._space
        self._in_use: set[int] = set()
        self._held: OrderedDict[int, float] = OrderedDict()
        """Released values waiting for their session to resume, oldest first, with expiry."""

    @property
    def capacity(self) -> int:
        return self._space

    @property
    def in_use(self) -> int:
        return len(self._in_use)

    @property
    def held(self) -> int:
        """Released values still reserved for resumption."""
        return len(self._held)

    def allocate(self, now: float, session_id: bytes | None = None) -> bytes:
        """A fresh extranonce1, or the resumed one for `session_id` if it is still held."""
        self._expire(now)
        if session_id is not None:
            resumed = self._resume(session_id)
            if resumed is not None:
                return resumed
        if len(self._in_use) + len(self._held) >= self._space:
            raise ExtranonceExhaustedError(f"all {self._space} extranonce1 values are taken")
        value = self._next
        while value in self._in_use or value in self._held:
            value = (value + 1) % self._space
        self._next = (value + 1) % self._space
        self._in_use.add(value)
        return self._encode(value)

    def release(self, extranonce1: bytes, now: float) -> None:
        """The session ended; hold its value for resumption."""
        value = self._decode(extranonce1)
        if value is None or value not in self._in_use:
            return
        self._in_use.discard(value)
        if self.resume_window > 0:
            self._held[value] = now + self.resume_window

    def _resume(self, session_id: bytes) -> bytes | None:
        value = self._decode(session_id)
        if value is None or value not in self._held:
            return None
        del self._held[value]
        self._in_use.add(value)
        return self._encode(value)

    def _expire(self, now: float) -> None:
        # Held values expire in release order because the window is constant.
        while self._held:
            value, expiry = next(iter(self._held.items()))
            if expiry > now:
                break
            del self._held[value]

    def _encode(self, value: int) -> bytes:
        return self.prefix + value.to_bytes(self.size, "big")

    def _decode(self, extranonce1: bytes) -> int | None:
        if len(extranonce1) != len(self.prefix) + self.size:
            return None
        if not extranonce1.startswith(self.prefix):
            return None
        return int.from_bytes(extranonce1[len(self.prefix) :], "big")
