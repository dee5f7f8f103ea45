"""`/api/federation/*`: the federation links as the "Federation Network Split" runbook checks them.

`GET /api/federation/peers` is public (names, addresses and figures, no
secrets); `POST /api/federation/reconnect` drops and redials every link and
needs the admin token. A pool without `[federation] enabled` answers the
peers list empty with `enabled: false`, and reconnect with 409.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from fastapi import APIRouter, Depends
from pydantic import Field

from loka_stratum.api.public.admin import AdminGate
from loka_stratum.api.public.errors import ApiError, error_responses
from loka_stratum.api.public.models import Frozen
from loka_stratum.api.public.subject import PublicPool
from loka_stratum.federation.control import Standalone
from loka_stratum.federation.peers import PeerStatus


@runtime_checkable
class FederationView(Protocol):
    """`federation.service.FederationService` as the API uses it."""

    @property
    def standalone(self) -> Standalone: ...

    def peers(self) -> Sequence[PeerStatus]: ...

    async def reconnect(self) -> int: ...


class PeerOut(Frozen):
    name: str
    url: str = Field(description="host:port of the peer's federation listener.")
    connected: bool
    latency_ms: float | None = Field(description="Last heartbeat round trip; null until measured.")
    last_seen: float | None = Field(description="Unix time of the peer's last message.")
    height: int | None = Field(description="The peer's chain height, from its last heartbeat.")
    tip: str | None = Field(description="The peer's tip block hash (hex, display order).")


class PeersOut(Frozen):
    enabled: bool = Field(description="[federation] enabled and not switched to standalone.")
    standalone: bool = Field(description="Emergency-disabled (`federation disable --emergency`).")
    connected: int
    peers: list[PeerOut]


class ReconnectOut(Frozen):
    dropped: int = Field(description="Links dropped; every configured peer is redialled at once.")


def federation_of(pool: object) -> FederationView | None:
    """The pool's federation service, or None when it runs without one."""
    service = getattr(pool, "federation", None)
    return service if isinstance(service, FederationView) else None


def federation_router(pool: PublicPool) -> APIRouter:
    router = APIRouter(prefix="/api/federation", tags=["federation"])
    gate = AdminGate(pool)

    @router.get("/peers", response_model=PeersOut)
    async def peers() -> PeersOut:
        """Every configured peer: linked or not, latency, last seen, height and tip."""
        service = federation_of(pool)
        if service is None:
            return PeersOut(enabled=False, standalone=False, connected=0, peers=[])
        rows = [PeerOut.model_validate(peer.to_json()) for peer in service.peers()]
        standalone = service.standalone.on
        connected = sum(row.connected for row in rows)
        return PeersOut(
            enabled=not standalone, standalone=standalone, connected=connected, peers=rows
        )

    @router.post(
        "/reconnect",
        response_model=ReconnectOut,
        dependencies=[Depends(gate)],
        responses=error_responses(401, 403, 409),
    )
    async def reconnect() -> ReconnectOut:
        """Drop every federation link and redial all peers now (admin token)."""
        service = federation_of(pool)
        if service is None or service.standalone.on:
            raise ApiError(409, "conflict", "federation is not enabled on this pool")
        return ReconnectOut(dropped=await service.reconnect())

    return router
