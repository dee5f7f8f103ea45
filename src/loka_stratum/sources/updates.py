"""A one-slot mailbox of template updates for a consumer that may be slow.

Miners only ever need the newest template, so a backlog is useless: each
`put` replaces the pending update. What must not be lost is the *new block*
flag: a new tip followed by a refresh, both unread, is still a new tip for
the consumer (its jobs must be cleaned), so flags are merged.
"""

from __future__ import annotations

import asyncio

from loka_stratum.sources.base import TemplateUpdate


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
