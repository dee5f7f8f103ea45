"""The share queries payouts need: a block's own share, the PPLNS walk, the PROP round.

Shares are ordered by ``share_id``: ids are minted from the clock, so a larger
id is a later share. Both walks page through the primary key (keyset
pagination, ``page_size`` rows per query), so a window of millions of shares
is read in bounded memory and the caller folds each page as it arrives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from loka_stratum.storage.schema import shares

DEFAULT_PAGE_SIZE = 10_000
BLOCK_SHARE_LOOKBACK = timedelta(hours=1)
"""How long before a block's row its share may have been created (index-bounded lookup)."""


@dataclass(frozen=True, slots=True)
class WindowShare:
    """A share as payouts weigh it."""

    share_id: int
    account: str
    difficulty: float


class ShareWindowRepository:
    def __init__(self, engine: AsyncEngine, *, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        if page_size < 1:
            raise ValueError("page_size must be positive")
        self._engine = engine
        self._page_size = page_size

    async def block_share(
        self, *, height: int, account: str, worker: str, found_at: datetime
    ) -> int | None:
        """The id of the share that solved a block, once the share batcher has stored it.

        The newest block share of that worker at that height created no later
        than the block row: after a reorg the same worker may solve the same
        height again, and the later row belongs to the later share.
        """
        query = (
            sa.select(shares.c.share_id)
            .where(
                shares.c.is_block.is_(True),
                shares.c.block_height == height,
                shares.c.account == account,
                shares.c.worker == worker,
                shares.c.created_at <= found_at,
                shares.c.created_at >= found_at - BLOCK_SHARE_LOOKBACK,
            )
            .order_by(shares.c.share_id.desc())
            .limit(1)
        )
        async with self._engine.connect() as connection:
            return (await connection.execute(query)).scalar_one_or_none()

    async def newest_first(
        self, anchor_share_id: int, bound: float
    ) -> AsyncIterator[list[WindowShare]]:
        """Pages of shares from ``anchor_share_id`` back, until their difficulty reaches ``bound``.

        The last page may hold more than the bound needs: the caller's window
        decides where the edge falls and ignores the rest.
        """
        upper = anchor_share_id
        covered = 0.0
        inclusive = True
        while covered < bound:
            page = await self._page_before(upper, inclusive=inclusive)
            if not page:
                return
            yield page
            covered += sum(share.difficulty for share in page)
            upper, inclusive = page[-1].share_id, False

    async def previous_block_share(self, anchor_share_id: int) -> int | None:
        """The id of the pool's block share before this one (the start of a PROP round)."""
        query = sa.select(sa.func.max(shares.c.share_id)).where(
            shares.c.is_block.is_(True), shares.c.share_id < anchor_share_id
        )
        async with self._engine.connect() as connection:
            value = (await connection.execute(query)).scalar_one_or_none()
        return None if value is None else int(value)

    async def round_shares(self, anchor_share_id: int) -> AsyncIterator[list[WindowShare]]:
        """Pages of the round that ends at ``anchor_share_id``: every share after the
        previous block share, up to and including the anchor, oldest first."""
        lower = await self.previous_block_share(anchor_share_id)
        after = -1 if lower is None else lower
        while True:
            query = (
                _columns()
                .where(shares.c.share_id > after, shares.c.share_id <= anchor_share_id)
                .order_by(shares.c.share_id)
                .limit(self._page_size)
            )
            page = await self._fetch(query)
            if not page:
                return
            yield page
            after = page[-1].share_id

    async def _page_before(self, upper: int, *, inclusive: bool) -> list[WindowShare]:
        edge = shares.c.share_id <= upper if inclusive else shares.c.share_id < upper
        query = _columns().where(edge).order_by(shares.c.share_id.desc()).limit(self._page_size)
        return await self._fetch(query)

    async def _fetch(self, query: sa.Select[Any]) -> list[WindowShare]:
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [WindowShare(int(r.share_id), str(r.account), float(r.difficulty)) for r in rows]


def _columns() -> sa.Select[Any]:
    return sa.select(shares.c.share_id, shares.c.account, shares.c.difficulty)
