"""``[logging]`` and ``[performance]``: what the program tells operators, and how often."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from loka_stratum.config.types import PositiveDuration

LogLevel = Literal["trace", "debug", "info", "warning", "error"]

_DIRECTIVE = re.compile(
    r"(?:[A-Za-z_][\w.:\-]*=)?(?:trace|debug|info|warn|warning|error|off)", re.IGNORECASE
)


def check_log_filter(text: str) -> str:
    """Validate a RUST_LOG-style filter: ``level`` or ``target=level``, comma separated."""
    for directive in text.split(","):
        if not _DIRECTIVE.fullmatch(directive.strip()):
            raise ValueError(
                f"invalid directive {directive.strip()!r}: expected LEVEL or TARGET=LEVEL "
                "(levels trace, debug, info, warn, error, off)"
            )
    return text


class LoggingSettings(BaseModel):
    """Structured logs: level, format, filter and optional files."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: LogLevel = Field(
        default="info", description="Level for targets the filter does not name."
    )
    format: Literal["auto", "json", "console"] = Field(
        default="auto",
        description="json: one JSON object per line; console: human-readable; "
        "auto: console on a terminal, json otherwise.",
    )
    filter: str | None = Field(
        default=None,
        description=(
            "Per-target levels in RUST_LOG syntax, '::' mapping to logger dots, e.g. "
            "'loka_stratum=debug,loka_stratum::protocol=trace'. "
            "Env LOKA_LOG (else RUST_LOG) overrides it; LOKA_LOGGING__FILTER overrides both."
        ),
        examples=["loka_stratum=info,loka_stratum::protocol=debug"],
    )
    file: Path | None = Field(
        default=None,
        description="Also write logs to this file (reopened on SIGUSR1 for logrotate).",
        examples=["/var/log/loka-stratum/app.log"],
    )
    security_file: Path | None = Field(
        default=None,
        description="Write security events (rate_limit, banned, blocked) to this file too.",
        examples=["/var/log/loka-stratum/security.log"],
    )

    @field_validator("filter")
    @classmethod
    def _check_filter(cls, text: str | None) -> str | None:
        return None if text is None else check_log_filter(text)


class PerformanceSettings(BaseModel):
    """Runtime tuning and the periodic "performance" log record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    report_interval: PositiveDuration = Field(
        default=60.0, description="Period of the 'performance' log record (rates, latencies)."
    )
    uvloop: bool = Field(default=True, description="Run the event loop on uvloop.")
    stats_window: PositiveDuration = Field(
        default=600.0, description="Window over which hashrates are averaged for stats and API."
    )
    enable_metrics_caching: bool = Field(
        default=False,
        description="Serve the Prometheus exposition from a cache refreshed every "
        "metrics_cache_ttl instead of rendering it on every scrape.",
    )
    metrics_cache_ttl: PositiveDuration = Field(
        default=5.0, description="Age at which the cached metrics exposition is rebuilt."
    )
    enable_string_interning: bool = Field(
        default=True,
        description="Intern worker and account names so thousands of sessions share one copy.",
    )
    buffer_pool_size: int = Field(
        default=1024,
        ge=0,
        description="Receive buffers kept for reuse per process (0 = allocate per connection).",
    )
    connection_pool_max_idle: int = Field(
        default=4,
        ge=0,
        description="Idle upstream connections kept open in proxy mode after their miners left.",
    )
