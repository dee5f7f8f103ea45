"""The tip/template cycle against a connected bitcoind: one task, RPCs in sequence.

Sequential on purpose: with one task doing every ``getbestblockhash`` and
``getblocktemplate``, templates can never be published out of order. Each
turn waits up to ``poll_interval`` for a hint and then does exactly one of:

- fetch a template: ZMQ announced an unknown tip, a submitted block was
  accepted, or ``template_refresh`` elapsed on the same tip;
- otherwise ``getbestblockhash``, and fetch if the tip moved (the poll).

A failed turn (an RPC error, a reply we refuse) keeps the previous template
and is reported as a problem; `RpcUnavailable` ends `run` for the caller's
reconnect logic.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import structlog

from loka_stratum.sources.gbt import (
    MalformedReplyError,
    parse_block_hash,
    parse_chain_info,
    parse_template,
)
from loka_stratum.sources.hashblock import ZmqDelivery
from loka_stratum.sources.rpc import BitcoindRpc, RpcError
from loka_stratum.sources.updates import TemplatePublisher

log = structlog.get_logger("loka_stratum.sources.bitcoind")


class TipWatcher:
    def __init__(
        self,
        rpc: BitcoindRpc,
        publisher: TemplatePublisher,
        delivery: ZmqDelivery | None,
        *,
        request: dict[str, Any],
        poll_interval: float,
        template_refresh: float,
        clock: Callable[[], float],
        monotonic: Callable[[], float],
    ) -> None:
        self._rpc = rpc
        self._publisher = publisher
        self._delivery = delivery
        self._request = request
        self._poll_interval = poll_interval
        self._template_refresh = template_refresh
        self._clock = clock
        self._monotonic = monotonic
        self._hint = asyncio.Event()
        self._fetch_requested = False
        self._next_refresh = 0.0
        self.ibd = False
        """The node said it is in initial block download; rechecked at each refresh."""
        self.problem: str | None = None
        """Why the last turn failed, None if it succeeded."""
        self.last_template_at: float | None = None
        """Wall-clock time of the last template fetched (published or found unchanged)."""

    def wake(self) -> None:
        """Something may have changed (a ZMQ announcement): take a turn now."""
        self._hint.set()

    def request_fetch(self) -> None:
        """Fetch a template at once (our block was accepted: the tip is ours)."""
        self._fetch_requested = True
        self._hint.set()

    async def fetch(self, reason: str, *, force: bool = False) -> None:
        self._fetch_requested = False
        template = parse_template(await self._rpc.call("getblocktemplate", self._request))
        self.last_template_at = self._clock()
        self._next_refresh = self._monotonic() + self._template_refresh
        self._publisher.publish(template, reason, force=force)

    async def run(self) -> None:
        """Turn forever; raises `RpcUnavailable` when the node is gone."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_interval):
                    await self._hint.wait()
            self._hint.clear()
            try:
                await self._turn()
            except (RpcError, MalformedReplyError) as exc:
                self.problem = f"{type(exc).__name__}: {exc}"
                log.error("bitcoind_turn_failed", detail=self.problem)
            else:
                self.problem = None
            if self._delivery is not None and self._delivery.check(self._monotonic()):
                log.warning("zmq_silent")

    async def _turn(self) -> None:
        announced = self._delivery.take() if self._delivery is not None else None
        current = self._publisher.current
        tip = current.prev_hash if current else None
        if announced is not None and announced != tip:
            await self.fetch("zmq")
        elif self._fetch_requested:
            await self.fetch("submit")
        elif self._monotonic() >= self._next_refresh:
            await self._refresh()
        else:
            best = parse_block_hash(await self._rpc.call("getbestblockhash"))
            if best != tip:
                if self._delivery is not None:
                    self._delivery.polled(best, self._monotonic())
                await self.fetch("poll")

    async def _refresh(self) -> None:
        if self.ibd:
            info = parse_chain_info(await self._rpc.call("getblockchaininfo"))
            self.ibd = info.initial_block_download
        await self.fetch("refresh")
