"""Writing one job line to thousands of sockets, from a few threads.

A new block must reach every miner fast: the spread from first to last
notify is hashrate wasted on stale work. The cost is one send() per socket,
about 10 us on loopback, almost all of it in the kernel. `os.write` releases
the GIL, so a few threads sending in parallel cut the wall time of a
broadcast to a fraction of a single-threaded loop.

Safety: the event loop thread blocks until the threads are done, so nothing
else writes to or closes these sockets meanwhile; only sessions whose
transport has nothing buffered take this path, so bytes stay in order. A
short or refused write is handed back and finished through the transport.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

MIN_PARALLEL = 512
"""Below this many sockets the thread hand-off costs more than it saves."""


def _send_chunk(fds: Sequence[int], line: bytes) -> list[tuple[int, int]]:
    """Write `line` to each fd; return (index, bytes written) for the incomplete ones."""
    incomplete = []
    size = len(line)
    write = os.write
    for index, fd in enumerate(fds):
        try:
            written = write(fd, line)
        except OSError:
            written = 0
        if written != size:
            incomplete.append((index, written))
    return incomplete


T = TypeVar("T")


class Fanout(Generic[T]):
    """One broadcast: `add` every ready socket, then `finish` writes and collects leftovers.

    Writing only starts in `finish`: threads that write while the event-loop thread
    still prepares sessions fight it for the GIL and the whole broadcast gets slower.
    """

    def __init__(self, pool: ThreadPoolExecutor, threads: int) -> None:
        self._pool = pool
        self._threads = threads
        self._groups: dict[bytes, tuple[list[int], list[T]]] = {}

    def add(self, fd: int, line: bytes, owner: T) -> None:
        fds, owners = self._groups.setdefault(line, ([], []))
        fds.append(fd)
        owners.append(owner)

    def finish(self) -> list[tuple[T, bytes]]:
        """Write every line; (owner, bytes not yet written) for each short write."""
        leftovers: list[tuple[T, bytes]] = []
        for line, (fds, owners) in self._groups.items():
            for index, written in self._write(fds, line):
                leftovers.append((owners[index], line[written:]))
        self._groups.clear()
        return leftovers

    def _write(self, fds: list[int], line: bytes) -> list[tuple[int, int]]:
        if len(fds) < MIN_PARALLEL:
            return _send_chunk(fds, line)
        step = -(-len(fds) // self._threads)
        starts = range(0, len(fds), step)
        futures = [self._pool.submit(_send_chunk, fds[s : s + step], line) for s in starts]
        return [
            (start + index, written)
            for start, future in zip(starts, futures, strict=True)
            for index, written in future.result()
        ]


class FanoutWriter(Generic[T]):
    def __init__(self, threads: int = 3) -> None:
        self.threads = threads
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="loka-fanout")

    def begin(self) -> Fanout[T]:
        return Fanout(self._pool, self.threads)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
