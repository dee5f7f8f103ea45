"""The JSON bodies of `/health`, `/ready` and `/live`, as the operations manual reads them.

`HealthReport` keeps the manual's shape (`status`, `uptime` as "2d 4h 23m",
`version`, `connections{active,total,max}`, `services{database,
pool_connection,metrics}`, `memory_usage` in bytes, `cpu_usage` in percent)
and adds what an operator asks next: uptime in seconds, the mode, and what
the work source and the share store report. The models also document the
endpoints in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from loka_stratum.sources.base import SourceState

ServiceStatus = Literal["healthy", "degraded", "starting", "unhealthy"]
OverallStatus = Literal["healthy", "degraded", "unhealthy"]
SourceKind = Literal["embedded", "bitcoind", "upstream"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Connections(_Frozen):
    active: int = Field(description="Open miner connections.")
    total: int = Field(description="Connections accepted since start.")
    max: int = Field(description="Connection cap (config, else derived from the fd limit).")


class Services(_Frozen):
    database: ServiceStatus
    pool_connection: ServiceStatus = Field(
        description="The work source: bitcoind, the embedded chain or the upstream pool."
    )
    metrics: ServiceStatus


class UpstreamDetail(_Frozen):
    """Proxy mode: one upstream channel (connection slot)."""

    channel: int
    upstream: str | None = Field(description="Upstream connected now; null while down.")
    miners: int = Field(description="Miners on this channel.")
    failovers: int = Field(description="Switches to a less preferred upstream.")
    failbacks: int = Field(description="Switches back to a more preferred upstream.")
    connections: int = Field(description="Handshakes completed, reconnects included.")
    last_job_age: float | None = Field(description="Seconds since the upstream's last job.")
    last_error: str | None


class WorkSourceDetail(_Frozen):
    kind: SourceKind
    state: SourceState
    detail: str
    height: int | None = Field(description="Height of the block being mined.")
    last_template_age: float | None = Field(description="Seconds since the last template.")
    upstreams: list[UpstreamDetail] = Field(
        default_factory=list, description="Proxy mode: the upstream channels."
    )


class DatabaseDetail(_Frozen):
    reachable: bool = Field(description="The last bounded SELECT 1 succeeded.")
    journal_depth: int = Field(description="Share batches spilled to the local journal.")
    pending_shares: int = Field(description="Accepted shares not yet committed.")


class HealthReport(_Frozen):
    status: OverallStatus
    uptime: str = Field(examples=["2d 4h 23m"])
    uptime_seconds: float
    version: str
    mode: Literal["pool", "proxy"]
    connections: Connections
    services: Services
    memory_usage: int = Field(description="Resident memory in bytes.")
    cpu_usage: float = Field(description="CPU percent of one core (like top), >= 0.")
    work_source: WorkSourceDetail
    database: DatabaseDetail


class ReadinessChecks(_Frozen):
    work_source: bool = Field(description="A block template is in hand to build jobs from.")
    database: bool
    accepting: bool = Field(description="False once shutdown has begun.")


class Readiness(_Frozen):
    ready: bool
    reasons: list[str] = Field(description="Why not ready; empty when ready.")
    checks: ReadinessChecks


class Liveness(_Frozen):
    status: Literal["alive"]
    uptime_seconds: float


class ErrorBody(_Frozen):
    detail: str
