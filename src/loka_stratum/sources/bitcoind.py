"""`BitcoindSource`: block templates from Bitcoin Core, found blocks back to it.

The source owns the connection lifecycle (connect checks, outage, backoff),
health and the public API; the tip/template cycle itself is `TipWatcher`.

ZMQ is the fast path (a push within milliseconds of the tip change), the
poll bounds the damage when ZMQ is down, misconfigured or drops a message.
Long-poll (``getblocktemplate`` with ``longpollid``) is deliberately not
used: it parks one of bitcoind's few RPC worker threads per client for good,
wakes on a new tip no sooner than ZMQ does, its mempool wake-up (about once a
minute) duplicates our own refresh timer, and with ZMQ unavailable the
500 ms poll already bounds tip latency at two cheap calls a second.

Outages: any `RpcUnavailable` ends the watcher; the supervisor marks the
source DOWN, retries with exponential backoff and jitter, re-verifies the
chain and fetches a template (new_block=True if the tip moved meanwhile,
else a refresh, sent even if unchanged so the consumer knows work resumed).

Health: STARTING until the first template; DOWN while the node cannot be
reached or fails the connect checks (detail says why); DEGRADED while it
serves but something is off: initial block download, ZMQ configured but
silent (or not published by the node), or the last turn's RPC failed or
returned a template we refused (the previous template is kept meanwhile).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import structlog
import zmq

from loka_stratum.bitcoin.network import Network, network_by_name
from loka_stratum.sources.base import (
    NOT_IN_BEST_CHAIN,
    SourceHealth,
    SourceState,
    SubmitResult,
    TemplateUpdate,
)
from loka_stratum.sources.gbt import MalformedReplyError, parse_chain_info, template_request
from loka_stratum.sources.hashblock import HashblockSubscriber, ZmqDelivery
from loka_stratum.sources.rpc import (
    BitcoindRpc,
    BitcoindRpcError,
    LatencyObserver,
    RpcAuth,
    RpcError,
    RpcUnavailable,
)
from loka_stratum.sources.submitblock import DEFAULT_SUBMIT_POLICY, BlockSubmitter, SubmitPolicy
from loka_stratum.sources.tipwatch import TipWatcher
from loka_stratum.sources.updates import TemplatePublisher

log = structlog.get_logger("loka_stratum.sources.bitcoind")

Clock = Callable[[], float]
RPC_BLOCK_NOT_FOUND = -5
"""Core's RPC_INVALID_ADDRESS_OR_KEY, which getblockheader answers for an unknown hash."""


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
    """A `WorkSource` backed by a Bitcoin Core node (RPC, ZMQ hashblock, polling).

    Settings are plain arguments (the app maps its config onto them):
    ``zmq_hashblock`` the node's ``-zmqpubhashblock`` endpoint, or None to poll
    only; ``zmq_grace`` how long ZMQ may lag the poll before it counts as
    silent; ``clock`` the wall clock for ``last_template_at``; ``monotonic``
    the clock for refresh scheduling and RPC latency; ``rng`` the backoff
    jitter. The constructor does no I/O. One-shot: start, stop, done.
    """

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
        zmq_grace: float = 5.0,
        backoff: Backoff = Backoff(),
        submit_policy: SubmitPolicy = DEFAULT_SUBMIT_POLICY,
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
        self._submitter = BlockSubmitter(self._rpc, submit_policy)
        self._zmq = (
            HashblockSubscriber(zmq_hashblock, self._on_zmq_block) if zmq_hashblock else None
        )
        self._delivery = ZmqDelivery(zmq_grace) if zmq_hashblock else None
        self._publisher = TemplatePublisher()
        self._watcher = TipWatcher(
            self._rpc,
            self._publisher,
            self._delivery,
            request=template_request(signet=self._network.name == "signet"),
            poll_interval=poll_interval,
            template_refresh=template_refresh,
            clock=clock,
            monotonic=monotonic,
        )
        self._backoff = backoff
        self._rng = rng or random.Random()
        self._tasks: list[asyncio.Task[None]] = []
        self._connected = False
        self._down: str | None = None
        self._reconnects = 0

    @property
    def network(self) -> Network:
        return self._network

    async def start(self) -> None:
        """Connect once; a wrong chain raises, an unreachable node is retried in background."""
        if self._tasks:
            raise RuntimeError("already started")
        if self._zmq is not None:
            self._tasks.append(asyncio.create_task(self._run_zmq(self._zmq), name="bitcoind-zmq"))
        try:
            await self._connect("start")
        except ChainMismatchError:
            await self.stop()
            raise
        except (RpcUnavailable, RpcError, MalformedReplyError) as exc:
            self._mark_down(exc)
        self._tasks.append(asyncio.create_task(self._supervise(), name="bitcoind-watch"))

    async def stop(self) -> None:
        """Cancel the tasks, close ZMQ and HTTP, end `templates()` iterators."""
        self._publisher.updates.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self._rpc.aclose()

    async def templates(self) -> AsyncIterator[TemplateUpdate]:
        self._publisher.resend()
        while (update := await self._publisher.updates.take()) is not None:
            yield update

    async def submit_block(self, block: bytes) -> SubmitResult:
        current = self._publisher.current
        height = current.height if current and block[4:36] == current.prev_hash else None
        result = await self._submitter.submit(block, height)
        if result.accepted:
            self._watcher.request_fetch()
        return result

    def health(self) -> SourceHealth:
        current = self._publisher.current
        height = current.height if current else None
        if self._down is not None:
            state, detail = SourceState.DOWN, self._down
        elif current is None:
            state, detail = SourceState.STARTING, "connecting"
        else:
            issues = [issue for issue in self._issues() if issue]
            state = SourceState.DEGRADED if issues else SourceState.HEALTHY
            detail = "; ".join(issues)
        return SourceHealth(state, detail, height, self._watcher.last_template_at)

    async def confirmations(self, block_hash: bytes) -> int | None:
        """``getblockheader``'s ``confirmations`` (-1 off the main chain, as Core reports it).

        A node answering "Block not found" (-5) never accepted the block we
        submitted to it (or lost it): not in the best chain. Unless it is in
        initial block download, when it may simply not have the block yet: None.
        Unreachable or malformed: None.
        """
        try:
            header = await self._rpc.call("getblockheader", block_hash[::-1].hex(), True)
        except RpcError as exc:
            if exc.code == RPC_BLOCK_NOT_FOUND:
                return None if self._watcher.ibd else NOT_IN_BEST_CHAIN
            log.warning("getblockheader_failed", error_type="rpc_error", code=exc.code)
            return None
        except BitcoindRpcError as exc:
            log.warning("getblockheader_failed", error_type=type(exc).__name__, detail=str(exc))
            return None
        depth = header.get("confirmations") if isinstance(header, dict) else None
        return depth if isinstance(depth, int) and depth >= NOT_IN_BEST_CHAIN else None

    def stats(self) -> BitcoindStats:
        return BitcoindStats(
            verdicts=dict(self._submitter.verdicts),
            new_tips=dict(self._publisher.new_tips),
            templates=self._publisher.published,
            reconnects=self._reconnects,
        )

    def _issues(self) -> tuple[str | None, ...]:
        watcher, delivery = self._watcher, self._delivery
        return (
            "node in initial block download" if watcher.ibd else None,
            delivery.issue if delivery is not None else None,
            watcher.problem,
        )

    # -- connection lifecycle -------------------------------------------------------------

    async def _supervise(self) -> None:
        """Watch while connected; otherwise reconnect with backoff, forever.

        Nothing may end this loop but cancellation: a watcher that died quietly
        would leave miners on a stale tip while health still said healthy.
        """
        failures = 0
        while True:
            if self._connected:
                try:
                    await self._watcher.run()
                except RpcUnavailable as exc:
                    self._mark_down(exc)
                except Exception as exc:
                    log.exception("bitcoind_watch_crashed")
                    self._mark_down(exc)
                failures = 0
            failures += 1
            delay = self._backoff.delay(failures, self._rng)
            log.info("bitcoind_retry", attempt=failures, retry_in=round(delay, 3))
            await asyncio.sleep(delay)
            try:
                await self._connect("reconnect")
            except (RpcUnavailable, RpcError, MalformedReplyError, ChainMismatchError) as exc:
                self._mark_down(exc)
            except Exception as exc:
                log.exception("bitcoind_connect_crashed")
                self._mark_down(exc)
            else:
                self._reconnects += 1

    async def _connect(self, reason: str) -> None:
        info = parse_chain_info(await self._rpc.call("getblockchaininfo"))
        if info.chain != self._network.name:
            raise ChainMismatchError(
                f"node runs chain {info.chain!r}, configured {self._network.name!r}"
            )
        self._watcher.ibd = info.initial_block_download
        if self._delivery is not None:
            await self._check_zmq_published(self._delivery)
        await self._watcher.fetch(reason, force=True)
        self._connected, self._down = True, None
        log.info(
            "bitcoind_connected",
            chain=info.chain,
            height=info.blocks,
            ibd=info.initial_block_download,
            url=self._rpc.url,
        )

    async def _check_zmq_published(self, delivery: ZmqDelivery) -> None:
        """Catch a node started without ``-zmqpubhashblock`` at connect, not at the next block."""
        try:
            published = await self._rpc.call("getzmqnotifications")
        except RpcError:
            return  # a node without the call (or without ZMQ): polling tells us soon enough
        entries = published if isinstance(published, list) else []
        delivery.published({str(n.get("type")) for n in entries if isinstance(n, dict)})

    def _mark_down(self, exc: Exception) -> None:
        """Record an outage; log it when it starts or its reason changes."""
        detail = f"{type(exc).__name__}: {exc}"
        if detail != self._down:
            log.warning("bitcoind_down", detail=detail)
        self._connected, self._down = False, detail

    async def _run_zmq(self, subscriber: HashblockSubscriber) -> None:
        try:
            await subscriber.run()
        except zmq.ZMQError as exc:
            log.error("zmq_failed", endpoint=subscriber.endpoint, error=str(exc))
            if self._delivery is not None:
                self._delivery.issue = f"zmq subscriber failed: {exc}"

    def _on_zmq_block(self, block_hash: bytes) -> None:
        if self._delivery is not None:
            self._delivery.announced(block_hash)
        self._watcher.wake()
