"""Template updates: what was published, and a one-slot mailbox for a slow consumer.

Miners only ever need the newest template, so a backlog is useless: each
`put` replaces the pending update. What must not be lost is the *new block*
flag: a new tip followed by a refresh, both unread, is still a new tip for
the consumer (its jobs must be cleaned), so flags are merged.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import structlog

from loka_stratum.mining.template import BlockTemplate
from loka_stratum.sources.base import TemplateUpdate

log = structlog.get_logger("loka_stratum.sources.bitcoind")


class LatestUpdate:
    """Latest-wins slot: `put` never blocks, `take` waits for the next update."""

    def __init__(self) -> None:
        self._pending: TemplateUpdate | None = None
        self._ready = asyncio.Event()
        self._closed = False
        self.replaced = 0
        """Updates overwritten before the consumer read them (a slow-consumer gauge)."""

    @property
    def pending(self) -> bool:
        return self._pending is not None

    def put(self, update: TemplateUpdate) -> None:
        previous = self._pending
        if previous is not None:
            self.replaced += 1
            if previous.new_block and not update.new_block:
                update = TemplateUpdate(update.template, new_block=True)
        self._pending = update
        self._ready.set()

    def close(self) -> None:
        """Wake the consumer; `take` returns None once nothing is pending."""
        self._closed = True
        self._ready.set()

    async def take(self) -> TemplateUpdate | None:
        while self._pending is None:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        update, self._pending = self._pending, None
        return update


class TemplatePublisher:
    """The template miners work on, and the updates that announce its changes.

    A refresh that changes nothing a miner hashes (same transactions, coinbase
    value, bits and version) is dropped: re-sending it would only make every
    miner restart its work. bits and version are compared because testnet's
    20-minute rule changes bits on the same tip.
    """

    def __init__(self) -> None:
        self.updates = LatestUpdate()
        self.current: BlockTemplate | None = None
        self.published = 0
        self.new_tips: Counter[str] = Counter()
        """New tips by the way they were first noticed (start, zmq, poll, submit, ...)."""

    def publish(self, template: BlockTemplate, reason: str, *, force: bool = False) -> None:
        """Announce `template` unless it is the same work; `force` announces it regardless."""
        previous = self.current
        new_block = previous is None or template.prev_hash != previous.prev_hash
        if previous is not None and not (new_block or force) and _same_work(previous, template):
            return
        self.current = template
        self.published += 1
        if new_block:
            self.new_tips[reason] += 1
        self.updates.put(TemplateUpdate(template, new_block))
        log.info(
            "template",
            reason=reason,
            new_block=new_block,
            height=template.height,
            prev=template.prev_hash[::-1].hex(),
            txs=len(template.transactions),
            coinbase_value=template.coinbase_value,
        )

    def resend(self) -> None:
        """Offer the current template to a consumer that just started reading."""
        if self.current is not None and not self.updates.pending:
            self.updates.put(TemplateUpdate(self.current, new_block=True))


def _same_work(old: BlockTemplate, new: BlockTemplate) -> bool:
    return (
        old.txids == new.txids
        and old.coinbase_value == new.coinbase_value
        and old.bits == new.bits
        and old.version == new.version
    )
