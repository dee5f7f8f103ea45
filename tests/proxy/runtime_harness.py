"""A proxy on loopback for runtime tests: `ProxyContext` + `StratumServer` with
`ProxySession`, against `FakeUpstream`s, with an in-memory sink.

Everything listens on 127.0.0.1 port 0; reconnect backoff is a few milliseconds and
every wait is bounded (`WAIT`), so a broken proxy fails a test instead of hanging it.
Miners are line-level (`ProxyMiner`); shares are found by hashing the job the miner
was sent, and `upstream_header` recomputes the same header from what the upstream
saw (its own job, its extranonce1 and the extranonce2 it was sent).
"""

from __future__ import annotations

import asyncio
import itertools
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from loka_stratum.bitcoin.hashing import sha256d
from loka_stratum.bitcoin.network import REGTEST
from loka_stratum.bitcoin.target import DIFF1_TARGET, hash_to_int
from loka_stratum.config.proxy import PoolSettings, Upstream
from loka_stratum.mining.job import prevhash_from_stratum
from loka_stratum.mining.vardiff import VardiffPolicy
from loka_stratum.observability.metrics import Metrics
from loka_stratum.protocol import Notify, Submit
from loka_stratum.proxy.backoff import Backoff
from loka_stratum.proxy.channel import Channel
from loka_stratum.proxy.context import ProxyContext
from loka_stratum.proxy.endpoint import Endpoint, endpoints
from loka_stratum.proxy.failover import UpstreamPool
from loka_stratum.proxy.session import ProxySession
from loka_stratum.proxy.types import PoolEvent, Switched, UpstreamOptions
from loka_stratum.proxy.upstream import UpstreamConnection
from loka_stratum.server.jobs import PreparedJob
from loka_stratum.server.listener import PortSpec, StratumServer
from loka_stratum.server.policy import SessionPolicy
from loka_stratum.storage.shares import ShareRecord
from loka_stratum.storage.verdicts import Verdict, VerdictRecord
from tests.proxy.fake_upstream import WAIT, FakeUpstream
from tests.server.harness import Miner

MINER_DIFFICULTY = 1e-9
"""About one hash in four meets it: shares are found in microseconds."""
UPSTREAM_DIFFICULTY = 1e-7
"""About one hash in 430: between the two, a share can be valid here and too weak there."""
ENDPOINT = Endpoint("up", "127.0.0.1", 1, False, "acct", "x")
"""A channel's upstream when its events are scripted by hand (never connected)."""
FIRST_JOB = Notify("job1", "00" * 32, "01", "02", (), "20000000", "1d00ffff", "6553f100", True)
"""What `FakeUpstream` sends every session once it is authorized."""


@dataclass
class MemorySink:
    """Shares and verdicts as the proxy records them; `wait_for` blocks (bounded) on them."""

    shares: list[ShareRecord] = field(default_factory=list)
    verdicts: list[VerdictRecord] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, share: ShareRecord) -> None:
        self.shares.append(share)
        self._changed.set()

    def record_verdict(self, verdict: VerdictRecord) -> None:
        self.verdicts.append(verdict)
        self._changed.set()

    def kinds(self) -> list[Verdict]:
        return [record.verdict for record in self.verdicts]

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()


@dataclass
class ProxyRun:
    context: ProxyContext
    server: StratumServer
    sink: MemorySink
    registry: CollectorRegistry

    @property
    def port(self) -> int:
        return self.server.bound[0]

    async def miner(self) -> ProxyMiner:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        return ProxyMiner(reader, writer)

    def metric(self, name: str, **labels: str) -> float:
        value = self.registry.get_sample_value(f"loka_stratum_{name}", labels)
        return 0.0 if value is None else value


def upstream_settings(
    pools: list[FakeUpstream],
    *,
    username: str | None,
    mode: Literal["aggregate", "passthrough"],
    separator: str,
    pool_size: int,
) -> PoolSettings:
    names = ("primary", "secondary", "tertiary")
    return PoolSettings(
        username=username,
        password=None if username is None else SecretStr("secret"),
        proxy_mode=mode,
        worker_separator=separator,
        connection_pool_size=pool_size,
        upstreams=tuple(
            Upstream(name=names[i], url=f"stratum+tcp://127.0.0.1:{pool.port}", priority=i)
            for i, pool in enumerate(pools)
        ),
    )


@asynccontextmanager
async def running_proxy(
    *pools: FakeUpstream,
    username: str | None = "acct",
    mode: Literal["aggregate", "passthrough"] = "aggregate",
    separator: str = ".",
    pool_size: int = 16,
    handshake_timeout: float = WAIT,
    failback_interval: float = 300.0,
    response_timeout: float = WAIT,
) -> AsyncIterator[ProxyRun]:
    """A proxy in front of `pools` (priority in the order given), serving until exit."""
    settings = upstream_settings(
        list(pools), username=username, mode=mode, separator=separator, pool_size=pool_size
    )

    def make_pool(
        settings: PoolSettings, options: UpstreamOptions, on_event: Callable[[PoolEvent], None]
    ) -> UpstreamPool:
        return UpstreamPool(
            endpoints(settings),
            options,
            backoff=Backoff(0.005, 0.02),
            failback_interval=failback_interval,
            on_event=on_event,
        )

    registry = CollectorRegistry()
    metrics = Metrics(registry, version="test", mode="proxy")
    sink = MemorySink()
    context = ProxyContext(
        policy=SessionPolicy(
            network=REGTEST,
            solo=False,
            vardiff=VardiffPolicy(min_difficulty=1e-12, max_difficulty=2.0**32),
            vardiff_enabled=False,
            handshake_timeout=handshake_timeout,
        ),
        shares=sink,
        metrics=metrics,
        max_connections=10_000,
        upstreams=settings,
        options=UpstreamOptions(
            connect_timeout=WAIT, response_timeout=response_timeout, keepalive_interval=0
        ),
        max_future_ntime=7200,
        make_pool=make_pool,
    )
    server = StratumServer(
        context,
        None,
        host="127.0.0.1",
        ports=[PortSpec(0, MINER_DIFFICULTY)],
        session_factory=lambda port, difficulty: ProxySession(context, port, difficulty),
    )
    await server.start()
    context.start()
    try:
        yield ProxyRun(context, server, sink, registry)
    finally:
        await server.stop()
        await context.drain()
        await context.stop()


class ProxyMiner(Miner):
    """A miner of the proxy: joins with or without `mining.extranonce.subscribe`, submits."""

    job: list[Any]
    """The last job it was sent (by `join` or `next_job`)."""

    async def join(self, user: str = "acct.rig1", *, extranonce_subscribe: bool = False) -> None:
        if extranonce_subscribe:
            reply = await self.call(0, "mining.extranonce.subscribe", [])
            assert reply["result"] is True, reply
        self.job = await self.handshake(user, configure=False)

    async def next_job(self) -> list[Any]:
        self.job = await self.notify()
        return self.job

    async def expect(self, method: str) -> list[Any]:
        """The params of the next unread notification `method`, skipping others before it."""
        while True:
            for index, message in enumerate(self.notifications):
                if message["method"] == method:
                    del self.notifications[: index + 1]
                    params: list[Any] = message["params"]
                    return params
            await self.read()

    async def submit(
        self,
        nonce: int,
        *,
        worker: str = "acct.rig1",
        extranonce2: bytes | None = None,
        version_bits: int | None = None,
    ) -> dict[str, Any]:
        """Submit `nonce` on the current job; the pool's answer to it."""
        e2 = bytes(self.extranonce2_size) if extranonce2 is None else extranonce2
        params = [worker, self.job[0], e2.hex(), self.job[7], f"{nonce:08x}"]
        if version_bits is not None:
            params.append(f"{version_bits:08x}")
        return await self.call(f"s{nonce}-{e2.hex()}-{version_bits}", "mining.submit", params)

    def nonce(
        self,
        low: float,
        high: float = float("inf"),
        *,
        start: int = 0,
        e2: bytes = b"",
        version_bits: int = 0,
    ) -> int:
        """The first nonce from `start` whose share difficulty is in [low, high)."""
        e2 = e2 or bytes(self.extranonce2_size)
        for nonce in range(start, start + 1_000_000):
            share = miner_header(self.job, self.extranonce1, e2, nonce, version_bits)
            achieved = difficulty_of(share)
            if low <= achieved < high:
                return nonce
        raise AssertionError("no such nonce")


def header(
    notify: Notify, extranonce1: bytes, extranonce2: bytes, ntime: int, nonce: int, bits: int = 0
) -> bytes:
    """The 80-byte header a share of `notify` hashes (independent of the validator);
    `bits`: the version bits the miner rolled."""
    coinbase = bytes.fromhex(notify.coinb1) + extranonce1 + extranonce2
    coinbase += bytes.fromhex(notify.coinb2)
    root = sha256d(coinbase)
    for sibling in notify.merkle_branch:
        root = sha256d(root + bytes.fromhex(sibling))
    return struct.pack(
        "<I32s32sIII",
        int(notify.version, 16) | bits,
        prevhash_from_stratum(notify.prevhash),
        root,
        ntime,
        int(notify.nbits, 16),
        nonce,
    )


def miner_header(
    job: list[Any], extranonce1: bytes, extranonce2: bytes, nonce: int, version_bits: int = 0
) -> bytes:
    """The header of a share on a job as the miner got it (notify params)."""
    job_id, prevhash, coinb1, coinb2, branch, version, nbits, ntime, clean = job
    notify = Notify(job_id, prevhash, coinb1, coinb2, tuple(branch), version, nbits, ntime, clean)
    return header(notify, extranonce1, extranonce2, int(ntime, 16), nonce, version_bits)


def upstream_header(notify: Notify, extranonce1: bytes, share: Submit) -> bytes:
    """The header of a forwarded share as the upstream sees it."""
    extranonce2, ntime = bytes.fromhex(share.extranonce2), int(share.ntime, 16)
    bits = int(share.version_bits or "0", 16)
    return header(notify, extranonce1, extranonce2, ntime, int(share.nonce, 16), bits)


def difficulty_of(block_header: bytes) -> float:
    value = hash_to_int(sha256d(block_header))
    return DIFF1_TARGET / value if value else float("inf")


class ScriptedChannel:
    """A channel whose upstream events the test delivers by hand (no socket)."""

    def __init__(self) -> None:
        self.handlers: list[Callable[[PoolEvent], None]] = []
        self.broadcast: list[PreparedJob] = []

        def make_pool(on_event: Callable[[PoolEvent], None]) -> UpstreamPool:
            self.handlers.append(on_event)
            return UpstreamPool(
                [ENDPOINT], UpstreamOptions(), backoff=Backoff(1.0, 2.0), failback_interval=300.0
            )

        self.channel = Channel(
            0,
            make_pool,
            whole=False,
            separator=".",
            next_seq=itertools.count(1).__next__,
            on_job=lambda _channel, prepared: self.broadcast.append(prepared),
            clock=lambda: 1e9,
            max_future_ntime=7200,
            resume_window=0.0,
        )

    def send(self, event: PoolEvent) -> None:
        self.handlers[0](event)

    def connect(self, extranonce1: bytes, size: int, notify: Notify | None) -> None:
        conn = UpstreamConnection(ENDPOINT, UpstreamOptions())
        conn.extranonce1, conn.extranonce2_size, conn.notify = extranonce1, size, notify
        self.send(Switched(conn))
