"""`/api/v1/miners/{address}/settings`: a miner's own payout threshold.

Who may change it: a request from the IP address of a connected session with a
worker of that miner (the convention pools such as Miningcore use: whoever mines
for the address from that IP controls its settings), or the operator with the admin
bearer token. Anyone else gets 403. The threshold may not go below
`[accounting] min_payout_threshold` (422); `null` goes back to the pool default.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import Field

from loka_stratum.api.public.admin import peer_of
from loka_stratum.api.public.errors import ApiError, error_responses
from loka_stratum.api.public.models import Frozen
from loka_stratum.api.public.subject import PublicPool
from loka_stratum.observability.loggers import security_event
from loka_stratum.storage.ledger import LedgerRepository
from loka_stratum.storage.shares import MAX_NAME_LENGTH

MAX_THRESHOLD = 21_000_000 * 100_000_000

Address = Annotated[str, Path(min_length=1, max_length=MAX_NAME_LENGTH)]


class MinerSettings(Frozen):
    payout_threshold: int = Field(description="Satoshis: the threshold in force for this miner.")
    own: int | None = Field(description="The miner's own choice; null = the pool default.")
    default: int = Field(description="`[accounting] payout_threshold`.")
    minimum: int = Field(description="`[accounting] min_payout_threshold`.")


class MinerSettingsUpdate(Frozen):
    payout_threshold: int | None = Field(
        ge=1, le=MAX_THRESHOLD, description="Satoshis; null = back to the pool default."
    )


def settings_router(pool: PublicPool, clock: Callable[[], float]) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["miners"], responses=error_responses(422))

    def ledger() -> LedgerRepository:
        return LedgerRepository(pool.database.engine)

    async def current(address: str) -> MinerSettings:
        accounting = pool.settings.accounting
        own = await ledger().payout_threshold(address)
        return MinerSettings(
            payout_threshold=max(own, accounting.min_payout_threshold)
            if own is not None
            else accounting.payout_threshold,
            own=own,
            default=accounting.payout_threshold,
            minimum=accounting.min_payout_threshold,
        )

    @router.get("/miners/{address}/settings", response_model=MinerSettings)
    async def read(address: Address) -> MinerSettings:
        """The payout threshold in force for a miner."""
        return await current(address)

    @router.put(
        "/miners/{address}/settings",
        response_model=MinerSettings,
        responses=error_responses(403),
    )
    async def update(
        address: Address, body: MinerSettingsUpdate, request: Request
    ) -> MinerSettings:
        """Set a miner's own payout threshold (from a mining IP of that miner, or admin)."""
        peer = peer_of(request)
        if not (_mines_from(pool, address, peer) or _is_admin(pool, request)):
            security_event("auth_failed", peer=peer, path=request.url.path, reason="not the miner")
            raise ApiError(403, "forbidden", "only a connected worker's IP or the admin may")
        minimum = pool.settings.accounting.min_payout_threshold
        threshold = body.payout_threshold
        if threshold is not None and threshold < minimum:
            raise ApiError(422, "invalid_request", f"payout_threshold below the minimum {minimum}")
        await ledger().set_payout_threshold(
            address, threshold, datetime.fromtimestamp(clock(), UTC)
        )
        return await current(address)

    return router


def _mines_from(pool: PublicPool, address: str, ip: str) -> bool:
    return any(
        session.ip == ip
        and any(identity.account == address for identity in session.identities.values())
        for session in pool.context.sessions
    )


def _is_admin(pool: PublicPool, request: Request) -> bool:
    token = pool.settings.http.admin_token
    given = request.headers.get("authorization", "")
    if token is None or not given.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(given[7:].strip().encode(), token.get_secret_value().encode())
