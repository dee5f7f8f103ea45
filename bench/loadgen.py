"""Simulated miners for the server benchmarks: many connections per process, uvloop.

Each miner subscribes, authorizes and waits for its first job. In `submit`
mode it then keeps one `mining.submit` in flight with a random nonce (so the
pool fully validates every one) and records the latency of each answer. In
`idle` mode it only listens and records when each `mining.notify` arrives.
Runs in worker processes started by the benchmark; results come back as dicts.
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvloop

MAX_SAMPLES = 200_000


@dataclass
class MinerStats:
    submitted: int = 0
    answered: int = 0
    accepted: int = 0
    latencies: list[float] = field(default_factory=list)
    notify_times: list[tuple[str, float, bool]] = field(default_factory=list)
    connected: int = 0
    failed: int = 0


@dataclass(frozen=True)
class LoadPlan:
    host: str
    port: int
    connections: int
    mode: str  # "submit" or "idle"
    user: str
    start_at: float
    """Wall-clock time at which submitting starts (all processes together)."""
    stop_at: float
    seed: int


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Miner:
    def __init__(self, plan: LoadPlan, stats: MinerStats, rng: random.Random) -> None:
        self.plan = plan
        self.stats = stats
        self.rng = rng
        self.job: list[Any] | None = None
        self.extranonce2_size = 4

    async def run(self) -> None:
        try:
            reader, writer = await asyncio.open_connection(self.plan.host, self.plan.port)
        except OSError:
            self.stats.failed += 1
            return
        try:
            await self._handshake(reader, writer)
            self.stats.connected += 1
            if self.plan.mode == "submit":
                await self._submit_loop(reader, writer)
            else:
                await self._listen(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.stats.failed += 1
        finally:
            writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> dict[str, Any]:
        line = await reader.readline()
        if not line:
            raise ConnectionResetError("pool closed")
        message: dict[str, Any] = orjson.loads(line)
        if message.get("method") == "mining.notify":
            self.job = message["params"]
            self.stats.notify_times.append((self.job[0], time.time(), bool(self.job[8])))
        return message

    async def _call(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        msg_id: int,
        method: str,
        params: list[Any],
    ) -> dict[str, Any]:
        writer.write(orjson.dumps({"id": msg_id, "method": method, "params": params}) + b"\n")
        while True:
            message = await self._read(reader)
            if message.get("id") == msg_id and message.get("method") is None:
                return message

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reply = await self._call(reader, writer, 1, "mining.subscribe", ["loadgen/1"])
        self.extranonce2_size = int(reply["result"][2])
        reply = await self._call(reader, writer, 2, "mining.authorize", [self.plan.user, "x"])
        if reply.get("result") is not True:
            raise ValueError(f"authorize refused: {reply}")
        while self.job is None:
            await self._read(reader)

    async def _listen(self, reader: asyncio.StreamReader) -> None:
        """Timestamp each notify as its line arrives; no JSON parsing, so the figure is the
        pool's spread rather than this process's parsing backlog."""
        times = self.stats.notify_times
        while True:
            remaining = self.plan.stop_at - time.time()
            if remaining <= 0:
                return
            try:
                line = await asyncio.wait_for(reader.readline(), remaining)
            except TimeoutError:
                return
            if not line:
                return
            if b'"mining.notify"' in line:
                times.append(("", time.time(), line.rstrip().endswith(b"true]}")))

    async def _submit_loop(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await asyncio.sleep(max(0.0, self.plan.start_at - time.time()))
        rng = self.rng
        stats = self.stats
        size = self.extranonce2_size
        msg_id = 4
        while True:
            now = time.time()
            if now >= self.plan.stop_at:
                return
            job = self.job
            assert job is not None
            params = [
                self.plan.user,
                job[0],
                rng.randbytes(size).hex(),
                job[7],
                f"{rng.getrandbits(32):08x}",
            ]
            sent = time.perf_counter()
            writer.write(
                orjson.dumps({"id": msg_id, "method": "mining.submit", "params": params}) + b"\n"
            )
            stats.submitted += 1
            while True:
                message = await self._read(reader)
                if message.get("id") == msg_id and message.get("method") is None:
                    break
            stats.answered += 1
            stats.accepted += message.get("result") is True
            if len(stats.latencies) < MAX_SAMPLES:
                stats.latencies.append(time.perf_counter() - sent)


async def _run_plan(plan: LoadPlan) -> MinerStats:
    stats = MinerStats()
    rng = random.Random(plan.seed)
    miners = [
        Miner(plan, stats, random.Random(rng.getrandbits(64))) for _ in range(plan.connections)
    ]
    batch = 200  # connect in batches so the accept backlog is not flooded
    tasks: list[asyncio.Task[None]] = []
    for start in range(0, len(miners), batch):
        tasks += [asyncio.create_task(m.run()) for m in miners[start : start + batch]]
        await asyncio.sleep(0.05)
    await asyncio.gather(*tasks)
    return stats


def run_process(plan: LoadPlan) -> dict[str, Any]:
    """Entry point of one worker process."""
    raise_fd_limit()
    stats = uvloop.run(_run_plan(plan))
    return {
        "submitted": stats.submitted,
        "answered": stats.answered,
        "accepted": stats.accepted,
        "latencies": stats.latencies,
        "notify_times": stats.notify_times,
        "connected": stats.connected,
        "failed": stats.failed,
    }
