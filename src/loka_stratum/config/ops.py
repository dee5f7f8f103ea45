"""``[limiter]`` and ``[http]``: abuse protection and the HTTP surfaces."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, SecretStr, field_validator

from loka_stratum.config.types import Port, PositiveDuration

ADMIN_TOKEN_MIN_LENGTH = 16


class LimiterSettings(BaseModel):
    """Per-IP limits and bans. Over-limit messages are dropped, never forwarded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connections: int = Field(
        default=256,
        ge=0,
        description=(
            "Most simultaneous connections from one IP address (0 = no per-IP cap); "
            "the total is capped by server.max_connections."
        ),
    )
    rate_limit_per_ip: int = Field(
        default=1000,
        ge=1,
        description="Most stratum requests other than shares one IP may send per "
        "rate_limit_window (shares are judged by validity: malformed ones count toward a ban).",
    )
    rate_limit_window: PositiveDuration = Field(
        default=60.0, description="Window over which rate_limit_per_ip is counted."
    )
    ban_threshold: int = Field(
        default=50,
        ge=1,
        description="Invalid messages or rejected shares from one IP within ban_window "
        "before it is banned.",
    )
    ban_window: PositiveDuration = Field(
        default=300.0, description="Window over which ban_threshold is counted."
    )
    ban_duration: PositiveDuration = Field(
        default=600.0, description="How long a banned IP is refused."
    )
    mode: Literal["normal", "elevated", "emergency"] = Field(
        default="normal",
        description=(
            "Protection level at start (the admin API changes it at run time): "
            "elevated halves the limits, emergency admits only known workers."
        ),
    )
    exempt_networks: tuple[IPvAnyNetwork, ...] = Field(
        default=(),
        description="Networks never limited or banned (own farms, monitoring).",
    )


class HttpSettings(BaseModel):
    """Health/metrics listener (internal) and the public API with dashboard."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    health_host: str = Field(
        default="127.0.0.1", description="Address of /health, /ready, /live and /metrics."
    )
    health_port: Port = Field(default=9090, description="Port of the health and metrics listener.")
    api_host: str = Field(default="0.0.0.0", description="Address of the public API and dashboard.")
    api_port: Port = Field(default=8080, description="Port of the public API and dashboard.")
    api_enabled: bool = Field(default=True, description="Serve the public API and dashboard.")
    admin_token: SecretStr | None = Field(
        default=None,
        description=(
            f"Bearer token for /api/admin/* (at least {ADMIN_TOKEN_MIN_LENGTH} characters); "
            "unset = admin routes disabled."
        ),
        examples=["change-me-to-a-long-random-string"],
    )

    @field_validator("admin_token")
    @classmethod
    def _check_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value()) < ADMIN_TOKEN_MIN_LENGTH:
            raise ValueError(f"must be at least {ADMIN_TOKEN_MIN_LENGTH} characters")
        return token
