"""`/api/v1/blocks` and `/api/v1/payments`: what the pool found and what it paid, paginated."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Query

from loka_stratum.api.public.errors import error_responses
from loka_stratum.api.public.models import BlockOut, BlockPage, BlockState, PaymentOut, PaymentPage
from loka_stratum.storage.api_queries import ApiQueries, timestamp

MAX_PAGE: Final = 100
MAX_OFFSET: Final = 1_000_000

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Rows per page.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")]


def block_out(row: dict[str, Any]) -> BlockOut:
    return BlockOut(
        height=row["height"],
        hash=row["hash"],
        status=row["status"],
        confirmations=row["confirmations"],
        reward=row["reward"],
        finder=row["finder_account"],
        worker=row["finder_worker"],
        found_at=row["created_at"].timestamp(),
        updated_at=row["updated_at"].timestamp(),
    )


def _payment_out(row: dict[str, Any]) -> PaymentOut:
    return PaymentOut(
        id=row["id"],
        status=row["status"],
        total=row["total"],
        fee=row["fee"],
        txid=row["txid"],
        confirmations=row["confirmations"],
        outputs=int(row["outputs"]),
        created_at=row["created_at"].timestamp(),
        sent_at=timestamp(row["sent_at"]),
    )


def history_router(queries: ApiQueries) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["history"], responses=error_responses(422))

    @router.get("/blocks", response_model=BlockPage)
    async def blocks(
        limit: Limit = 20, offset: Offset = 0, status: BlockState | None = None
    ) -> BlockPage:
        """Blocks found by the pool, newest first, with their maturity status."""
        page = await queries.blocks_page(limit, offset, status)
        return BlockPage(
            total=page.total,
            limit=limit,
            offset=offset,
            data=[block_out(row) for row in page.rows],
        )

    @router.get("/payments", response_model=PaymentPage)
    async def payments(limit: Limit = 20, offset: Offset = 0) -> PaymentPage:
        """Payment transactions, newest first (per-miner amounts: `/miners/{address}`)."""
        page = await queries.payments_page(limit, offset)
        return PaymentPage(
            total=page.total,
            limit=limit,
            offset=offset,
            data=[_payment_out(row) for row in page.rows],
        )

    return router
