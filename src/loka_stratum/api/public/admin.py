"""`/api/admin/*`: operator actions behind a bearer token, never open by default.

- No `http.admin_token` configured: every admin route answers 403; there is no
  token that opens them.
- A missing or wrong token: 401 with `WWW-Authenticate: Bearer`, and an
  `auth_failed` line in the security log (peer and route, never the token).
- The token is compared in constant time, and read from the settings on
  every request, so a config reload that changes it applies at once.

The ddos-protection body is parsed as JSON whatever the Content-Type says:
the runbook's `curl -d '{"mode":"emergency"}'` sends it as a form.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field, ValidationError

from loka_stratum.api.public.admin_payments import payments_router
from loka_stratum.api.public.errors import ApiError, error_responses
from loka_stratum.api.public.models import Frozen
from loka_stratum.api.public.protection import ProtectionControl, ProtectionMode
from loka_stratum.api.public.subject import PublicPool
from loka_stratum.observability.loggers import security_event

MAX_BODY: Final = 1024
_bearer = HTTPBearer(auto_error=False, description="`http.admin_token` from the config.")


class ProtectionRequest(Frozen):
    mode: ProtectionMode


class ProtectionLimits(Frozen):
    max_connections_per_ip: int = Field(description="0 = no per-IP cap.")
    ban_threshold: int = Field(description="Protocol errors before an IP is banned.")
    ban_duration: float
    handshake_timeout: float
    idle_timeout: float


class ProtectionState(Frozen):
    mode: ProtectionMode
    limits: ProtectionLimits = Field(description="The limits sessions apply now.")


def _request_schema() -> dict[str, object]:
    schema = ProtectionRequest.model_json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


class AdminGate:
    """The FastAPI dependency that admits only the configured bearer token."""

    def __init__(self, pool: PublicPool) -> None:
        self._pool = pool

    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        """Raises 403 (admin disabled) or 401 (no or wrong token); returns when admitted."""
        peer = peer_of(request)
        token = self._pool.settings.http.admin_token
        if token is None:
            security_event("auth_failed", peer=peer, path=request.url.path, reason="admin disabled")
            raise ApiError(403, "forbidden", "admin API disabled: no http.admin_token configured")
        given = credentials.credentials if credentials is not None else ""
        expected = token.get_secret_value()
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            reason = "missing token" if not given else "wrong token"
            security_event("auth_failed", peer=peer, path=request.url.path, reason=reason)
            raise ApiError(
                401, "unauthorized", "valid bearer token required", {"WWW-Authenticate": "Bearer"}
            )


def peer_of(request: Request) -> str:
    client = request.client
    return client.host if client else "?"


def protection_state(control: ProtectionControl, pool: PublicPool) -> ProtectionState:
    policy = pool.context.policy
    return ProtectionState(
        mode=control.mode,
        limits=ProtectionLimits(
            max_connections_per_ip=policy.max_connections_per_ip,
            ban_threshold=policy.ban_threshold,
            ban_duration=policy.ban_duration,
            handshake_timeout=policy.handshake_timeout,
            idle_timeout=policy.idle_timeout,
        ),
    )


async def _read_mode(request: Request) -> ProtectionMode:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ApiError(413, "payload_too_large", f"body over {MAX_BODY} bytes")
    try:
        return ProtectionRequest.model_validate_json(body).mode
    except ValidationError as exc:
        detail = "; ".join(str(error["msg"]) for error in exc.errors())
        raise ApiError(422, "invalid_request", f'expected {{"mode": ...}}: {detail}') from exc


def admin_router(pool: PublicPool, control: ProtectionControl) -> APIRouter:
    """Every admin route: ddos-protection here, the payments routes from `admin_payments`."""
    gate = AdminGate(pool)
    router = APIRouter(
        prefix="/api/admin",
        tags=["admin"],
        responses=error_responses(401, 403),
        dependencies=[Depends(gate)],
    )

    @router.get("/ddos-protection", response_model=ProtectionState)
    async def protection() -> ProtectionState:
        """The protection mode and the limits in force."""
        return protection_state(control, pool)

    @router.post(
        "/ddos-protection",
        response_model=ProtectionState,
        openapi_extra=_request_schema(),
        responses=error_responses(413, 422),
    )
    async def set_protection(request: Request) -> ProtectionState:
        """Switch mode (`normal`, `elevated`, `emergency`); connected miners get it at once."""
        control.set_mode(await _read_mode(request), by=peer_of(request))
        return protection_state(control, pool)

    router.include_router(payments_router(pool.payments.control, gate))
    return router
