"""A pool on loopback for server tests: real sockets, a scripted work source, no database."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from prometheus_client import CollectorRegistry

from loka_stratum.bitcoin.hashing import sha256d
from loka_stratum.bitcoin.network import REGTEST, Network
from loka_stratum.bitcoin.target import difficulty_to_target, hash_to_int
from loka_stratum.mining.extranonce import ExtranonceAllocator
from loka_stratum.mining.job import JobFactory, prevhash_from_stratum
from loka_stratum.mining.jobbook import JobBook
from loka_stratum.mining.template import BlockTemplate
from loka_stratum.mining.validator import ShareValidator
from loka_stratum.mining.vardiff import VardiffPolicy
from loka_stratum.observability.metrics import Metrics
from loka_stratum.server.context import PoolContext
from loka_stratum.server.jobs import JobDistributor
from loka_stratum.server.listener import PortSpec, StratumServer
from loka_stratum.server.policy import SessionPolicy
from loka_stratum.server.shares import BlockHandler
from loka_stratum.sources.base import (
    SourceHealth,
    SourceState,
    SubmitResult,
    TemplateUpdate,
)
from loka_stratum.storage.shares import ShareRecord

POOL_SCRIPT = bytes.fromhex("0014") + bytes(20)
TIMEOUT = 10.0


class ScriptedSource:
    """A WorkSource whose templates the test pushes; it accepts every block."""

    def __init__(self, network: Network = REGTEST) -> None:
        self._network = network
        self._queue: asyncio.Queue[TemplateUpdate] = asyncio.Queue()
        self.blocks: list[bytes] = []
        self.block_submitted = asyncio.Event()
        self.depths: dict[bytes, int] = {}

    @property
    def network(self) -> Network:
        return self._network

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def push(self, template: BlockTemplate, *, new_block: bool = True) -> None:
        self._queue.put_nowait(TemplateUpdate(template, new_block))

    async def templates(self) -> AsyncIterator[TemplateUpdate]:
        while True:
            yield await self._queue.get()

    async def submit_block(self, block: bytes) -> SubmitResult:
        self.blocks.append(block)
        self.block_submitted.set()
        return SubmitResult(None, sha256d(block[:80]))

    def health(self) -> SourceHealth:
        return SourceHealth(SourceState.HEALTHY)

    async def confirmations(self, block_hash: bytes) -> int | None:
        """Depths the test sets in ``depths``; None (no answer) for any other block."""
        return self.depths.get(block_hash)


@dataclass
class ShareList:
    shares: list[ShareRecord] = field(default_factory=list)

    def record(self, share: ShareRecord) -> None:
        self.shares.append(share)


@dataclass
class Pool:
    server: StratumServer
    context: PoolContext
    source: ScriptedSource
    sink: ShareList
    registry: CollectorRegistry

    @property
    def port(self) -> int:
        return self.server.bound[0]


async def start_pool(
    template: BlockTemplate,
    *,
    solo: bool = False,
    start_difficulty: float = 1e-9,
    **policy: Any,
) -> Pool:
    source = ScriptedSource()
    registry = CollectorRegistry()
    metrics = Metrics(registry, version="test", mode="pool")
    book = JobBook()
    distributor = JobDistributor(
        JobFactory(extranonce1_size=4, extranonce2_size=4, pool_tag=b"/test/"),
        book,
        pool_script=None if solo else POOL_SCRIPT,
    )
    settings = SessionPolicy(
        network=REGTEST,
        solo=solo,
        vardiff=VardiffPolicy(min_difficulty=1e-12, max_difficulty=2.0**32),
        **policy,
    )
    sink = ShareList()
    context = PoolContext(
        policy=settings,
        jobs=distributor,
        validator=ShareValidator(book),
        allocator=ExtranonceAllocator(4),
        shares=sink,
        blocks=BlockHandler(source, None, metrics),
        metrics=metrics,
        max_connections=20000,
    )
    server = StratumServer(context, source, host="127.0.0.1", ports=[PortSpec(0, start_difficulty)])
    await server.start()
    source.push(template)
    await asyncio.wait_for(server.first_template.wait(), TIMEOUT)
    return Pool(server, context, source, sink, registry)


class Miner:
    """A line-level miner: sends what a test says, reads what the pool answers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.notifications: list[dict[str, Any]] = []
        self.extranonce1 = b""
        self.extranonce2_size = 0
        self.difficulty = 1.0

    @classmethod
    async def connect(cls, port: int) -> Miner:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def call(self, msg_id: Any, method: str, params: Any) -> dict[str, Any]:
        await self.send_raw(
            orjson.dumps({"id": msg_id, "method": method, "params": params}) + b"\n"
        )
        return await self.response(msg_id)

    async def response(self, msg_id: Any) -> dict[str, Any]:
        while True:
            message = await self.read()
            if message.get("method") is None and message.get("id") == msg_id:
                return message

    async def read(self) -> dict[str, Any]:
        line = await asyncio.wait_for(self.reader.readline(), TIMEOUT)
        if not line:
            raise ConnectionError("pool closed the connection")
        message: dict[str, Any] = orjson.loads(line)
        if message.get("method") == "mining.set_difficulty":
            self.difficulty = float(message["params"][0])
        if message.get("method") is not None:
            self.notifications.append(message)
        return message

    async def closed_by_pool(self) -> bool:
        """Read (and drop) messages until the pool closes the connection."""
        try:
            while True:
                await self.read()
        except ConnectionError:
            return True

    async def notify(self) -> list[Any]:
        """The next mining.notify params (reading past anything else)."""
        while True:
            for index, message in enumerate(self.notifications):
                if message["method"] == "mining.notify":
                    del self.notifications[: index + 1]
                    params: list[Any] = message["params"]
                    return params
            await self.read()

    async def handshake(self, user: str = "acct.rig1", *, configure: bool = True) -> list[Any]:
        if configure:
            reply = await self.call(
                1, "mining.configure", [["version-rolling"], {"version-rolling.mask": "ffffffff"}]
            )
            assert reply["error"] is None
        reply = await self.call(2, "mining.subscribe", ["test-miner/1.0"])
        _subs, en1, size = reply["result"]
        self.extranonce1, self.extranonce2_size = bytes.fromhex(en1), size
        reply = await self.call(3, "mining.authorize", [user, "x"])
        assert reply["result"] is True, reply
        return await self.notify()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def find_share(
    notify: list[Any],
    extranonce1: bytes,
    difficulty: float,
    *,
    extranonce2: bytes = bytes(4),
    version_bits: int = 0,
    start_nonce: int = 0,
) -> int:
    """A nonce whose header meets `difficulty` for this job (tests use tiny difficulties)."""
    _job_id, prevhash, coinb1, coinb2, branch, version, nbits, ntime, _clean = notify
    coinbase = bytes.fromhex(coinb1) + extranonce1 + extranonce2 + bytes.fromhex(coinb2)
    root = sha256d(coinbase)
    for sibling in branch:
        root = sha256d(root + bytes.fromhex(sibling))
    target = difficulty_to_target(difficulty)
    prefix = struct.pack(
        "<I32s32sII",
        int(version, 16) | version_bits,
        prevhash_from_stratum(prevhash),
        root,
        int(ntime, 16),
        int(nbits, 16),
    )
    for nonce in range(start_nonce, start_nonce + 2_000_000):
        if hash_to_int(sha256d(prefix + struct.pack("<I", nonce))) <= target:
            return nonce
    raise AssertionError("no share found")


def submit_params(
    notify: list[Any],
    worker: str,
    nonce: int,
    *,
    extranonce2: bytes = bytes(4),
    version_bits: int | None = None,
) -> list[Any]:
    params = [worker, notify[0], extranonce2.hex(), notify[7], f"{nonce:08x}"]
    if version_bits is not None:
        params.append(f"{version_bits:08x}")
    return params
