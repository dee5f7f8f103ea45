"""The process's memory and CPU figures for `/health`, read without blocking.

CPU percent is CPU seconds used over wall seconds elapsed, like `top -p`
(100 = one core busy, so a multi-threaded process can exceed 100). A reading
needs two samples; sampling on demand over whatever gap separates two scrapes
would make back-to-back requests report noise from a millisecond window, and
`psutil.cpu_percent(interval=1)` would block the event loop. So `CpuMeter`
keeps the last figure and only moves its baseline once at least
`min_interval` has passed; its first baseline is the process start, so the
very first request reports the lifetime average rather than a made-up zero.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import psutil

MIN_CPU_INTERVAL: Final = 1.0


@dataclass(frozen=True, slots=True)
class CpuSample:
    wall: float
    """Wall-clock seconds (comparable with the process start time)."""
    cpu: float
    """User plus system CPU seconds the process has used so far."""


def cpu_percent(before: CpuSample, after: CpuSample) -> float:
    """CPU used between two samples as a percent of one core; 0 when no time passed."""
    elapsed = after.wall - before.wall
    if elapsed <= 0:
        return 0.0
    return max(after.cpu - before.cpu, 0.0) / elapsed * 100.0


class CpuMeter:
    """The process's CPU percent, refreshed at most once per `min_interval`."""

    def __init__(
        self,
        read: Callable[[], CpuSample],
        baseline: CpuSample,
        *,
        min_interval: float = MIN_CPU_INTERVAL,
    ) -> None:
        self._read = read
        self._baseline = baseline
        self._min_interval = min_interval
        self._percent: float | None = None

    def percent(self) -> float:
        sample = self._read()
        due = sample.wall - self._baseline.wall >= self._min_interval
        if due or self._percent is None:
            self._percent = cpu_percent(self._baseline, sample)
        if due:
            self._baseline = sample
        return self._percent


class ProcessResources:
    """Resident memory and CPU of this process (psutil, no subprocesses, no sleeps)."""

    def __init__(self, process: psutil.Process | None = None) -> None:
        self._process = process or psutil.Process()
        started = CpuSample(wall=self._process.create_time(), cpu=0.0)
        self._cpu = CpuMeter(self._sample, started)

    def memory_rss(self) -> int:
        """Resident set size in bytes."""
        return int(self._process.memory_info().rss)

    def cpu_usage(self) -> float:
        return round(self._cpu.percent(), 1)

    def _sample(self) -> CpuSample:
        times = self._process.cpu_times()
        return CpuSample(wall=time.time(), cpu=times.user + times.system)
