"""Blocks across the federation: ours announced to every peer, theirs submitted to our node.

A received block is submitted to our own work source and never relayed: the
finder announces to each of its peers itself, so relaying would only make
loops. A bounded seen-set of hashes drops repeats (a block we found, or one
two links delivered).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Final, Protocol

from loka_stratum.federation.messages import BlockAnnounce
from loka_stratum.observability.federation_metrics import FederationMetrics
from loka_stratum.observability.loggers import get_logger
from loka_stratum.sources.base import SubmitResult, WorkSource

log = get_logger("loka_stratum.federation")

SEEN_BLOCKS: Final = 1024


class BlockSender(Protocol):
    @property
    def peer(self) -> str | None: ...

    def send(self, message: BlockAnnounce) -> None: ...


class BlockExchange:
    """The seen-set, and what happens to a block in each direction."""

    def __init__(
        self, source: WorkSource, metrics: FederationMetrics, height: Callable[[], int]
    ) -> None:
        self._source = source
        self._metrics = metrics
        self._height = height
        self._seen: OrderedDict[bytes, None] = OrderedDict()

    def remember(self, block_hash: bytes) -> bool:
        """Note a block hash; False when it was already seen."""
        if block_hash in self._seen:
            return False
        self._seen[block_hash] = None
        if len(self._seen) > SEEN_BLOCKS:
            self._seen.popitem(last=False)
        return True

    def announce(self, block: bytes, result: SubmitResult, links: Sequence[BlockSender]) -> None:
        """Our node accepted a block our pool found: send it to every linked peer."""
        if not result.accepted or not self.remember(result.block_hash):
            return
        height = result.height if result.height is not None else self._height() + 1  # on our tip
        message = BlockAnnounce(height, result.block_hash, block)
        for link in links:
            link.send(message)
            self._metrics.blocks_sent.inc()
        log.info(
            "Federation block sent",
            block_hash=result.block_hash[::-1].hex(),
            height=height,
            peers=sorted(link.peer or "?" for link in links),
        )

    async def receive(self, peer: str | None, message: BlockAnnounce) -> None:
        """A peer's block: submit it to our node (once), log and count the verdict."""
        if not self.remember(message.block_hash):
            return
        try:
            result = await self._source.submit_block(message.block)
        except Exception as exc:  # node unreachable: the link and the pool carry on
            error_type = type(exc).__name__
            log.error("Federation block not submitted", peer=peer, error_type=error_type)
            return
        self._metrics.block_received(result.verdict)
        log.info(
            "Federation block received",
            peer=peer,
            block_hash=message.block_hash[::-1].hex(),
            height=message.height,
            verdict=result.verdict or "accepted",
        )
