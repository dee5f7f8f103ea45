"""The accounting runner: found blocks become credits, credits become balances.

Every ``interval`` seconds one pass does two things, both derived from the
database alone, so a crash or restart at any point is repaired by the next pass:

1. Credit new blocks. A pending block with a reward and no credits gets its
   distribution once the share that solved it is in ``shares`` (the share
   batcher writes asynchronously, so the block row may come first: the pass
   simply tries again next time). PPLNS walks back from that share over
   ``pplns_n x`` the network difficulty of the block's own ``bits``; PROP takes
   the round since the previous block share. Credits are immature.
2. Track maturity. Each pending block is asked of the work source: at
   ``[accounting] confirmations`` its credits move to the ledger (one
   transaction); out of the best chain its credits are voided. A block still
   waiting for its credits is never confirmed ahead of them.

SOLO (``stratum.payout_mode = 'solo'``): the coinbase already paid the finder,
so nothing is credited and no balance ever holds a solo reward; the runner
only tracks maturity, so block status and confirmations stay true for the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime

from loka_stratum.accounting import (
    Distribution,
    Maturity,
    PplnsWindow,
    PropRound,
    classify,
    pplns_window_size,
    split_reward,
)
from loka_stratum.bitcoin.header import HEADER_SIZE, BlockHeader
from loka_stratum.bitcoin.target import bits_to_difficulty
from loka_stratum.config import Settings
from loka_stratum.observability.loggers import get_logger
from loka_stratum.sources.base import WorkSource
from loka_stratum.storage import (
    Block,
    BlockStatus,
    Database,
    LedgerRepository,
    NewCredit,
    ShareWindowRepository,
)
from loka_stratum.storage.schema import CreditKind

log = get_logger("loka_stratum.accounting")

DEFAULT_INTERVAL = 10.0
MAX_PENDING_BLOCKS = 10_000


class AccountingService:
    """Runs the passes above on a timer; ``run_once`` is one pass (tests call it directly)."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        source: WorkSource,
        clock: Callable[[], float] = time.time,
        *,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._accounting = settings.accounting
        self._credits_on = settings.stratum.payout_mode == "pool"
        self._database = database
        self._ledger = LedgerRepository(database.engine)
        self._windows = ShareWindowRepository(database.engine)
        self._source = source
        self._clock = clock
        self._interval = interval
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._waiting: set[bytes] = set()

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("already started")
        self._task = asyncio.create_task(self._run(), name="accounting")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_once(self) -> None:
        """Credit what can be credited, then settle what has matured or been orphaned."""
        async with self._lock:
            if self._credits_on:
                await self._credit_new_blocks()
            await self._track_maturity()

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # the next pass retries; the loop must not die
                log.error("Accounting pass failed", error_type=type(exc).__name__, error=str(exc))
            await asyncio.sleep(self._interval)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # -- credits --------------------------------------------------------------------------

    async def _credit_new_blocks(self) -> None:
        for block_hash in await self._ledger.uncredited_blocks():
            block = await self._database.blocks.get_by_hash(block_hash)
            if block is None:
                continue
            try:
                await self._credit(block)
            except Exception as exc:
                log.error(
                    "Block not credited",
                    error_type=type(exc).__name__,
                    error=str(exc),
                    block_hash=block_hash[::-1].hex(),
                )

    async def _credit(self, block: Block) -> None:
        anchor = await self._windows.block_share(
            height=block.height,
            account=block.finder_account,
            worker=block.finder_worker,
            found_at=block.created_at,
        )
        if anchor is None:
            if block.hash not in self._waiting:
                self._waiting.add(block.hash)
                log.info("Block waits for its share", block_hash=block.hash[::-1].hex())
            return
        self._waiting.discard(block.hash)
        weights = await self._weights(block, anchor)
        split = split_reward(
            block.reward, weights, self._accounting.fee_percent, self._accounting.fee_address
        )
        stored = await self._ledger.add_block_credits(block.hash, _credits(split), self._now())
        log.info(
            "Block credited",
            block_hash=block.hash[::-1].hex(),
            height=block.height,
            scheme=self._accounting.scheme,
            accounts=len(split.credits),
            credited=split.credited,
            fee=split.fee,
            new_rows=stored,
        )

    async def _weights(self, block: Block, anchor: int) -> dict[str, float]:
        if self._accounting.scheme == "prop":
            tally = PropRound()
            async for page in self._windows.round_shares(anchor):
                tally.add_all(page)
            return tally.weights()
        window = PplnsWindow(pplns_window_size(self._accounting.pplns_n, _difficulty(block)))
        async for page in self._windows.newest_first(anchor, window.size):
            if window.add_all(page):
                break
        return window.weights()

    # -- maturity -------------------------------------------------------------------------

    async def _track_maturity(self) -> None:
        # Pending blocks first, then which lack credits: a block stored between the two
        # reads must not look credited (it would be confirmed with nothing to pay).
        pending = await self._database.blocks.list(
            status=BlockStatus.PENDING, limit=MAX_PENDING_BLOCKS
        )
        uncredited = set(await self._ledger.uncredited_blocks()) if self._credits_on else set()
        for block in reversed(pending):
            try:
                await self._settle(block, awaiting_credits=block.hash in uncredited)
            except Exception as exc:
                log.error(
                    "Block maturity not recorded",
                    error_type=type(exc).__name__,
                    error=str(exc),
                    block_hash=block.hash[::-1].hex(),
                )

    async def _settle(self, block: Block, *, awaiting_credits: bool) -> None:
        depth = await self._source.confirmations(block.hash)
        verdict = classify(depth, self._accounting.confirmations)
        shown = block.hash[::-1].hex()
        if verdict is Maturity.ORPHANED:
            voided = await self._ledger.orphan_block(block.hash, -1, self._now())
            log.warning("Block orphaned", block_hash=shown, height=block.height, voided=voided)
        elif verdict is Maturity.CONFIRMED and not awaiting_credits:
            assert depth is not None
            rows = await self._ledger.mature_block(block.hash, depth, self._now())
            log.info("Block confirmed", block_hash=shown, height=block.height, ledger_rows=rows)
        elif depth is not None and depth != block.confirmations:
            await self._database.blocks.update_status(
                block.hash, BlockStatus.PENDING, depth, self._now()
            )


def _difficulty(block: Block) -> float:
    """The network difficulty the block was mined at, from its own header's bits."""
    if block.block_data is None or len(block.block_data) < HEADER_SIZE:
        raise ValueError("the block's data is not stored: no bits for the PPLNS window")
    return bits_to_difficulty(BlockHeader.parse(block.block_data[:HEADER_SIZE]).bits)


def _credits(split: Distribution) -> list[NewCredit]:
    rows = [NewCredit(c.account, CreditKind.REWARD, c.amount) for c in split.credits]
    if split.fee_account is not None and split.fee > 0:
        rows.append(NewCredit(split.fee_account, CreditKind.FEE, split.fee))
    return rows
