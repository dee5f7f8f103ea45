"""``[pool]``: the upstream pools proxy mode connects to, and how it treats them."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from loka_stratum.config.errors import problem, raise_problems
from loka_stratum.config.types import Duration, PositiveDuration

UPSTREAM_SCHEMES = {"stratum+tcp": False, "stratum+ssl": True}
"""Upstream URL scheme -> whether the connection uses TLS."""


class Upstream(BaseModel):
    """One upstream pool. Lower ``priority`` is preferred; the rest are failover."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="Label for logs, metrics and the admin API.")
    url: str = Field(
        description="stratum+tcp://host:port or stratum+ssl://host:port ([::1]:3333 for IPv6)."
    )
    username: str | None = Field(
        default=None,
        description="Account on the upstream; unset = pool.username.",
        examples=["myaccount"],
    )
    password: SecretStr | None = Field(
        default=None,
        description="Password on the upstream; unset = pool.password.",
        examples=["x"],
    )
    priority: int = Field(default=0, ge=0, description="0 is tried first; ties keep file order.")
    enabled: bool = Field(default=True, description="Disabled upstreams are never connected.")

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise ValueError(f"not a URL ({exc})") from None
        if parts.scheme not in UPSTREAM_SCHEMES:
            raise ValueError(f"scheme must be one of {', '.join(UPSTREAM_SCHEMES)}")
        if parts.username is not None:
            raise ValueError("put credentials in username/password, not in the URL")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("expected only host and port")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("port must be a number in 1..65535") from None
        if not parts.hostname or port is None or port == 0:
            raise ValueError("expected host and port, e.g. stratum+tcp://pool.example.com:3333")
        return url

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 0

    @property
    def tls(self) -> bool:
        return UPSTREAM_SCHEMES[urlsplit(self.url).scheme]


class PoolSettings(BaseModel):
    """Proxy mode: connections to upstream pools, credentials and failover."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connection_pool_size: int = Field(
        default=16,
        ge=1,
        description=(
            "Most connections open to one upstream. aggregate: miners are spread over them by "
            "extranonce prefix; passthrough: one per miner, miners beyond it are refused."
        ),
    )
    connection_timeout: PositiveDuration = Field(
        default=10.0, description="Timeout to connect, subscribe and authorize upstream."
    )
    keepalive_interval: Duration = Field(
        default=30.0,
        description="TCP keepalive probe interval on upstream connections (0 = off).",
    )
    proxy_mode: Literal["aggregate", "passthrough"] = Field(
        default="aggregate",
        description=(
            "aggregate: many miners share few upstream connections (extranonce split, "
            "pool credentials); passthrough: one upstream connection per miner, "
            "its own credentials."
        ),
    )
    worker_separator: str = Field(
        default=".",
        min_length=1,
        max_length=4,
        description="Joins account and worker name in usernames (ACCOUNT<sep>WORKER).",
    )
    username: str | None = Field(
        default=None,
        description="Default upstream account for aggregate mode.",
        examples=["myaccount"],
    )
    password: SecretStr | None = Field(
        default=None, description="Default upstream password.", examples=["x"]
    )
    reconnect_backoff_min: PositiveDuration = Field(
        default=1.0, description="First wait before reconnecting to a failed upstream."
    )
    reconnect_backoff_max: PositiveDuration = Field(
        default=60.0, description="Longest wait between reconnects (the backoff doubles up to it)."
    )
    failback_interval: PositiveDuration = Field(
        default=300.0,
        description="While on a failover upstream, retry the preferred one this often.",
    )
    upstreams: tuple[Upstream, ...] = Field(
        default=(), description="Upstream pools, in order of preference."
    )

    @model_validator(mode="after")
    def _check(self) -> PoolSettings:
        problems = []
        if self.reconnect_backoff_min > self.reconnect_backoff_max:
            problems.append(
                problem(
                    "reconnect_backoff_min",
                    self.reconnect_backoff_min,
                    f"must not exceed reconnect_backoff_max ({self.reconnect_backoff_max})",
                )
            )
        seen: set[str] = set()
        for index, upstream in enumerate(self.upstreams):
            if upstream.name in seen:
                problems.append(problem(f"upstreams[{index}].name", upstream.name, "duplicate"))
            seen.add(upstream.name)
        raise_problems(problems)
        return self
