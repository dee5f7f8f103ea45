"""`BitcoindSource`: block templates from Bitcoin Core, found blocks back to it.

One watcher task does every RPC of the tip/template cycle in sequence, so
templates can never be published out of order. Each turn it waits up to
``poll_interval`` for a hint and then does exactly one of:

- fetch a template: ZMQ announced an unknown tip, a submitted block was
  accepted, or ``template_refresh`` elapsed on the same tip;
- otherwise ``getbestblockhash``, and fetch if the tip moved (the poll).

ZMQ is the fast path (a push within milliseconds of the tip change), the
poll bounds the damage when ZMQ is down, misconfigured or drops a message.
Long-poll (``getblocktemplate`` with ``longpollid``) is deliberately not
used: it parks one of bitcoind's few RPC worker threads per client for good,
wakes on a new tip no sooner than ZMQ does, its mempool wake-up (about once a
minute) duplicates our own refresh timer, and with ZMQ unavailable the
500 ms poll already bounds tip latency at two cheap calls a second.

Outages: any `RpcUnavailable` ends the watcher; the supervisor marks the
source DOWN, retries with exponential backoff and jitter, re-verifies the
chain and fetches a template (new_block=True if the tip moved meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import structlog

from loka_stratum.bitcoin.network import Network, network_by_name
from loka_stratum.mining.template import BlockTemplate
from loka_stratum.sources.base import SourceHealth, SourceState, SubmitResult, TemplateUpdate
from loka_stratum.sources.gbt import TemplateError, parse_template, template_request
from loka_stratum.sources.hashblock import HashblockSubscriber
from loka_stratum.sources.rpc import BitcoindRpc, LatencyObserver, RpcAuth, RpcError, RpcUnavailable
from loka_stratum.sources.submit import BlockSubmitter
from loka_stratum.sources.updates import LatestUpdate

log = structlog.get_logger("loka_stratum.sources.bitcoind")

Clock = Callable[[], float]


class ChainMismatchError(RuntimeError):
    """The node runs another chain than the one configured: a configuration error."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Reconnect delays: exponential, capped, with jitter so many pools do not retry in step."""

    initial: float = 0.25
    maximum: float = 10.0
    factor: float = 2.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        base = min(self.maximum, self.initial * self.factor ** max(0, attempt - 1))
        return base * rng.uniform(0.5, 1.0)


@dataclass(frozen=True, slots=True)
class BitcoindStats:
    """Counters for metrics: submit verdicts, and how each new tip was first noticed."""

    verdicts: dict[str, int]
    new_tips: dict[str, int]
    templates: int
    reconnects: int


class BitcoindSource:
    """A `WorkSource` backed by a Bitcoin Core node (RPC, ZMQ hashblock, polling)."""

    def __init__(
        self,
        *,
        rpc_url: str,
        rpc_auth: RpcAuth,
        network: str,
        zmq_hashblock: str | None = None,
        poll_interval: float = 0.5,
        template_refresh: float = 30.0,
        rpc_timeout: float = 30.0,
        submit_timeout: float = 60.0,
        zmq_grace: float = 5.0,
        backoff: Backoff = Backoff(),
        submit_attempts: int = 6,
        submit_retry_delay: float = 0.05,
        clock: Clock = time.time,
        monotonic: Clock = time.monotonic,
        rng: random.Random | None = None,
        rpc_latency_observer: LatencyObserver | None = None,
    ) -> None:
        self._network = network_by_name(network)
        self._rpc = BitcoindRpc(
            rpc_url,
            rpc_auth,
            timeout=rpc_timeout,
            rpc_latency_observer=rpc_latency_observer,
            monotonic=monotonic,
        )
        self._submitter = BlockSubmitter(
            self._rpc,
            attempts=submit_attempts,
            retry_delay=submit_retry_delay,
            timeout=submit_timeout,
        )
        self._zmq = (
            HashblockSubscriber(zmq_hashblock, self._on_zmq_block) if zmq_hashblock else None
        )
        self._poll_interval = poll_interval
        self._template_refresh = template_refresh
        self._zmq_grace = zmq_grace
        self._backoff = backoff
        self._clock = clock
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self._request = template_request(signet=self._network.name == "signet")
        self._updates = LatestUpdate()
        self._tasks: list[asyncio.Task[None]] = []
        self._hint = asyncio.Event()
        self._current: BlockTemplate | None = None
        self._connected = False
        self._down: str | None = None
        self._problem: str | None = None
        self._ibd = False
        self._zmq_announced: bytes | None = None
        self._zmq_last: bytes | None = None
        self._zmq_unconfirmed: tuple[bytes, float] | None = None
        self._zmq_silent: str | None = None
        self._fetch_requested = False
        self._next_refresh = 0.0
        self._last_template_at: float | None = None
        self._new_tips: Counter[str] = Counter()
        self._templates = 0
        self._reconnects = 0

    @property
    def network(self) -> Network:
        return self._network

    async def start(self) -> None:
        """Connect once; a wrong chain raises, an unreachable node is retried in background."""
        if self._tasks:
            raise RuntimeError("already started")
        if self._zmq is not None:
            self._tasks.append(asyncio.create_task(self._zmq.run(), name="bitcoind-zmq"))
        try:
            await self._connect("start")
        except ChainMismatchError:
            await self.stop()
            raise
        except (RpcUnavailable, RpcError, TemplateError) as exc:
            self._mark_down(exc)
        self._tasks.append(asyncio.create_task(self._supervise(), name="bitcoind-watch"))

    async def stop(self) -> None:
        """Cancel the tasks, close ZMQ and HTTP, end `templates()` iterators."""
        self._updates.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self._rpc.aclose()

    async def templates(self) -> AsyncIterator[TemplateUpdate]:
        if self._current is not None and not self._updates.pending:
            self._updates.put(TemplateUpdate(self._current, new_block=True))
        while (update := await self._updates.take()) is not None:
            yield update

    async def submit_block(self, block: bytes) -> SubmitResult:
        current = self._current
        height = current.height if current and block[4:36] == current.prev_hash else None
        result = await self._submitter.submit(block, height)
        if result.accepted:
            self._fetch_requested = True
            self._hint.set()
        return result

    def health(self) -> SourceHealth:
        height = self._current.height if self._current else None
        if self._down is not None:
            state, detail = SourceState.DOWN, self._down
        elif self._current is None:
            state, detail = SourceState.STARTING, "connecting"
        else:
            issues = [i for i in (self._ibd_issue(), self._zmq_silent, self._problem) if i]
            state = SourceState.DEGRADED if issues else SourceState.HEALTHY
            detail = "; ".join(issues)
        return SourceHealth(state, detail, height, self._last_template_at)

    def stats(self) -> BitcoindStats:
        return BitcoindStats(
            verdicts=dict(self._submitter.verdicts),
            new_tips=dict(self._new_tips),
            templates=self._templates,
            reconnects=self._reconnects,
        )

    def _ibd_issue(self) -> str | None:
        return "node in initial block download" if self._ibd else None

    # -- connection lifecycle -------------------------------------------------------------

    async def _supervise(self) -> None:
        failures = 0 if self._connected else 1
        while True:
            if self._connected:
                try:
                    await self._watch()
                except RpcUnavailable as exc:
                    self._mark_down(exc)
                    failures = 1
            delay = self._backoff.delay(failures, self._rng)
            log.warning("bitcoind_retry", detail=self._down, retry_in=round(delay, 3))
            await asyncio.sleep(delay)
            try:
                await self._connect("reconnect")
            except (RpcUnavailable, RpcError, TemplateError, ChainMismatchError) as exc:
                self._mark_down(exc)
                failures += 1
            else:
                self._reconnects += 1

    async def _connect(self, reason: str) -> None:
        info = await self._rpc.call("getblockchaininfo")
        chain = info.get("chain") if isinstance(info, dict) else None
        if chain != self._network.name:
            raise ChainMismatchError(
                f"node runs chain {chain!r}, configured {self._network.name!r}"
            )
        self._ibd = bool(info.get("initialblockdownload", False))
        if self._zmq is not None:
            await self._check_zmq_published()
        await self._fetch(reason, force=True)
        self._connected, self._down = True, None
        log.info(
            "bitcoind_connected",
            chain=chain,
            height=info.get("blocks"),
            ibd=self._ibd,
            url=self._rpc.url,
        )

    async def _check_zmq_published(self) -> None:
        """Catch a node started without ``-zmqpubhashblock`` at connect, not at the next block."""
        try:
            published = await self._rpc.call("getzmqnotifications")
        except RpcError:
            return  # a node without the call (or without ZMQ): polling tells us soon enough
        types = {n.get("type") for n in published if isinstance(n, dict)} if published else set()
        if "pubhashblock" not in types:
            self._zmq_silent = "node publishes no hashblock (-zmqpubhashblock unset)"

    def _mark_down(self, exc: Exception) -> None:
        self._connected = False
        self._down = f"{type(exc).__name__}: {exc}"
        log.warning("bitcoind_down", detail=self._down)

    # -- the watcher ----------------------------------------------------------------------

    async def _watch(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_interval):
                    await self._hint.wait()
            self._hint.clear()
            try:
                await self._turn()
            except (RpcError, TemplateError) as exc:
                self._problem = f"{type(exc).__name__}: {exc}"
                log.error("bitcoind_turn_failed", detail=self._problem)
            else:
                self._problem = None
            self._check_zmq_delivery()

    async def _turn(self) -> None:
        announced, self._zmq_announced = self._zmq_announced, None
        tip = self._current.prev_hash if self._current else None
        if announced is not None and announced != tip:
            await self._fetch("zmq")
        elif self._fetch_requested:
            await self._fetch("submit")
        elif self._monotonic() >= self._next_refresh:
            await self._refresh()
        else:
            best = bytes.fromhex(await self._rpc.call("getbestblockhash"))[::-1]
            if best != tip:
                if self._zmq is not None and best != self._zmq_last:
                    self._zmq_unconfirmed = (best, self._monotonic())
                await self._fetch("poll")

    async def _refresh(self) -> None:
        if self._ibd:
            info = await self._rpc.call("getblockchaininfo")
            self._ibd = bool(info.get("initialblockdownload", False))
        await self._fetch("refresh")

    async def _fetch(self, reason: str, *, force: bool = False) -> None:
        self._fetch_requested = False
        template = parse_template(await self._rpc.call("getblocktemplate", self._request))
        self._last_template_at = self._clock()
        self._next_refresh = self._monotonic() + self._template_refresh
        self._publish(template, reason, force=force)

    def _publish(self, template: BlockTemplate, reason: str, *, force: bool) -> None:
        previous = self._current
        new_block = previous is None or template.prev_hash != previous.prev_hash
        if not (new_block or force) and previous is not None and _same_work(previous, template):
            return
        self._current = template
        self._templates += 1
        if new_block:
            self._new_tips[reason] += 1
        self._updates.put(TemplateUpdate(template, new_block))
        log.info(
            "template",
            reason=reason,
            new_block=new_block,
            height=template.height,
            prev=template.prev_hash[::-1].hex(),
            txs=len(template.transactions),
            coinbase_value=template.coinbase_value,
        )

    # -- ZMQ health -----------------------------------------------------------------------

    def _on_zmq_block(self, block_hash: bytes) -> None:
        self._zmq_announced = self._zmq_last = block_hash
        if self._zmq_unconfirmed is not None and self._zmq_unconfirmed[0] == block_hash:
            self._zmq_unconfirmed = None
        self._zmq_silent = None
        self._hint.set()

    def _check_zmq_delivery(self) -> None:
        """A tip the poll found that ZMQ has not announced within the grace: ZMQ is down."""
        unconfirmed = self._zmq_unconfirmed
        if unconfirmed is not None and self._monotonic() - unconfirmed[1] > self._zmq_grace:
            self._zmq_unconfirmed = None
            self._zmq_silent = "zmq hashblock silent; new blocks found by polling"
            log.warning("zmq_silent", endpoint=self._zmq.endpoint if self._zmq else None)


def _same_work(old: BlockTemplate, new: BlockTemplate) -> bool:
    """Whether a refresh changes nothing a miner would hash differently.

    bits and version are compared too: testnet's 20-minute rule changes bits on the same tip.
    """
    return (
        old.txids == new.txids
        and old.coinbase_value == new.coinbase_value
        and old.bits == new.bits
        and old.version == new.version
    )
