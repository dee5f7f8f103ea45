"""`EmbeddedSource`: the embedded regtest chain as a `WorkSource`, the default work source.

It is what lets ``make run`` mine real blocks with no bitcoind: templates
come from an in-process `EmbeddedChain`, found blocks are validated in
process. Validation is pure CPU and takes well under a millisecond for
these small blocks, so `submit_block` runs it inline; an accepted block is
appended to the chain file (fsync included) before the verdict is returned,
so a block the pool was told about survives a crash.

Updates: the current template on `templates()`; a new one with
``new_block=True`` right after every accepted block (or simulated reorg);
a refresh with fresh filler transactions (``new_block=False``) every
``template_refresh`` seconds on the same tip.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import structlog

from loka_stratum.bitcoin.network import Network
from loka_stratum.mining.template import BlockTemplate
from loka_stratum.sources.base import (
    NOT_IN_BEST_CHAIN,
    SourceHealth,
    SourceState,
    SubmitResult,
    TemplateUpdate,
)
from loka_stratum.sources.embedded_chain import (
    DEFAULT_FILLER_TRANSACTIONS,
    DEFAULT_TEST_MINER_HASHRATE,
    EmbeddedChain,
    bits_for_difficulty,
    difficulty_for_interval,
)
from loka_stratum.sources.updates import LatestUpdate

log = structlog.get_logger("loka_stratum.sources.embedded")

Clock = Callable[[], float]

DEFAULT_BLOCK_INTERVAL = 60.0
DEFAULT_NETWORK_DIFFICULTY = difficulty_for_interval(
    DEFAULT_TEST_MINER_HASHRATE, DEFAULT_BLOCK_INTERVAL
)
"""About one block a minute for one pure-Python CPU test miner."""


class EmbeddedSource:
    """A `WorkSource` over an in-process regtest chain, optionally persisted to ``chain_file``."""

    def __init__(
        self,
        *,
        network_difficulty: float = DEFAULT_NETWORK_DIFFICULTY,
        filler_transactions: int = DEFAULT_FILLER_TRANSACTIONS,
        template_refresh: float = 30.0,
        chain_file: Path | None = None,
        clock: Clock = time.time,
    ) -> None:
        if template_refresh <= 0:
            raise ValueError("template_refresh must be positive")
        self._bits = bits_for_difficulty(network_difficulty)
        self._filler = filler_transactions
        self._chain = EmbeddedChain(bits=self._bits, filler_transactions=filler_transactions)
        self._template_refresh = template_refresh
        self._chain_file = chain_file
        self._clock = clock
        self._updates = LatestUpdate()
        self._tip_changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopped = False
        self._current: BlockTemplate | None = None
        self._last_template_at: float | None = None
        self._file_problem: str | None = None

    # -- WorkSource -----------------------------------------------------------------------

    @property
    def network(self) -> Network:
        return self._chain.network

    async def start(self) -> None:
        """Load (or create) the chain file, publish the first template, start refreshing.

        Raises `ChainFileError` for a damaged chain file or one of another chain.
        """
        if self._task is not None or self._stopped:
            raise RuntimeError("already started")
        if self._chain_file is not None:
            self._open_chain_file(self._chain_file)
        self._publish(new_block=True, reason="start")
        self._task = asyncio.create_task(self._refresh_loop(), name="embedded-refresh")

    async def stop(self) -> None:
        """Stop refreshing and end every `templates()` iterator."""
        self._stopped = True
        self._updates.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def templates(self) -> AsyncIterator[TemplateUpdate]:
        if self._current is not None and not self._updates.pending:
            self._updates.put(TemplateUpdate(self._current, new_block=True))
        while (update := await self._updates.take()) is not None:
            yield update

    async def submit_block(self, block: bytes) -> SubmitResult:
        self._require_started()
        result = self._chain.submit(block, self._clock())
        log.info(
            "block_submitted",
            hash=result.block_hash[::-1].hex(),
            height=result.height,
            verdict=result.verdict or "accepted",
            size=len(block),
        )
        if result.accepted:
            self._persist(rewrite=False)
            self._publish(new_block=True, reason="block")
        return result

    def health(self) -> SourceHealth:
        height = self._current.height if self._current else None
        if self._stopped:
            return SourceHealth(SourceState.DOWN, "stopped", height, self._last_template_at)
        if self._current is None:
            return SourceHealth(SourceState.STARTING, "not started")
        state = SourceState.DEGRADED if self._file_problem else SourceState.HEALTHY
        return SourceHealth(state, self._file_problem or "", height, self._last_template_at)

    # -- chain queries (block maturity) and test hooks ------------------------------------

    @property
    def best_height(self) -> int:
        return self._chain.best_height

    def block_hash_at(self, height: int) -> bytes | None:
        return self._chain.block_hash_at(height)

    async def confirmations(self, block_hash: bytes) -> int | None:
        """1 for the tip, more for deeper blocks; `NOT_IN_BEST_CHAIN` for any other block.

        The embedded chain holds its whole active chain, so a block not on it
        (invalidated, rejected, or lost with a chain that was not persisted)
        is definitely not in the best chain. None before `start`: the chain
        file is not loaded yet.
        """
        if self._current is None:
            return None
        depth = self._chain.confirmations(block_hash)
        return depth if depth > 0 else NOT_IN_BEST_CHAIN

    def invalidate_tip(self) -> bytes:
        """Simulate a one-block reorg (tests of orphaned blocks): drop the tip, publish new work.

        Returns the dropped block's hash; the chain file is rewritten without it.
        """
        self._require_started()
        dropped = self._chain.invalidate_tip()
        log.warning(
            "embedded_tip_invalidated", hash=dropped.hash[::-1].hex(), height=dropped.height
        )
        self._persist(rewrite=True)
        self._publish(new_block=True, reason="reorg")
        return dropped.hash

    # -- internals ------------------------------------------------------------------------

    def _require_started(self) -> None:
        """Before `start` the chain file is not loaded yet: a block now would be lost."""
        if self._current is None:
            raise RuntimeError("the embedded source is not started")

    def _open_chain_file(self, path: Path) -> None:
        if path.exists():
            self._chain, dropped = EmbeddedChain.load(
                path, bits=self._bits, filler_transactions=self._filler
            )
            if dropped:
                log.warning("embedded_chain_torn_tail", file=str(path), dropped_bytes=dropped)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._chain.save(path)
        log.info("embedded_chain_opened", file=str(path), height=self._chain.best_height)

    def _persist(self, *, rewrite: bool) -> None:
        """Record the chain's new state; after a failed write, rewrite it whole next time."""
        path = self._chain_file
        if path is None:
            return
        try:
            if rewrite or self._file_problem:
                self._chain.save(path)
            else:
                self._chain.append_tip(path)
        except OSError as exc:
            self._file_problem = f"chain file not written: {exc}"
            log.error("embedded_chain_write_failed", file=str(path), detail=str(exc))
        else:
            self._file_problem = None

    def _publish(self, *, new_block: bool, reason: str) -> None:
        now = self._clock()
        template = self._chain.template(now)
        self._current = template
        self._last_template_at = now
        self._updates.put(TemplateUpdate(template, new_block))
        if new_block:
            self._tip_changed.set()
        log.info(
            "template",
            reason=reason,
            new_block=new_block,
            height=template.height,
            prev=template.prev_hash[::-1].hex(),
            txs=len(template.transactions),
            coinbase_value=template.coinbase_value,
        )

    async def _refresh_loop(self) -> None:
        """Publish a refresh whenever ``template_refresh`` passes with no new tip."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._template_refresh):
                    await self._tip_changed.wait()
            if self._tip_changed.is_set():
                self._tip_changed.clear()
            else:
                self._publish(new_block=False, reason="refresh")
