"""Structured logging and metric definitions, used by every layer above the pure core.

Logging: `configure_logging` once in the app, `get_logger("loka_stratum.<area>")`
everywhere else; docs/logging.md describes the line shape, the RUST_LOG-style
filter and the security log. Metrics: one `Metrics` on the app's registry,
`render` for the HTTP layer; docs/metrics.md lists every metric.
Imports nothing from loka_stratum above this package.
"""

from loka_stratum.observability.exposition import CONTENT_TYPE, render
from loka_stratum.observability.hotpath import PortMetrics
from loka_stratum.observability.live import DbPoolStats, LiveSource, LiveStats
from loka_stratum.observability.log_filter import ALIASES, LogFilter, filter_from_env, parse_filter
from loka_stratum.observability.loggers import (
    LokaBoundLogger,
    SecurityEvent,
    get_logger,
    get_security_logger,
    log_performance,
    security_event,
)
from loka_stratum.observability.logging import LogFormat, LoggingHandle, configure_logging
from loka_stratum.observability.metrics import Metrics, Mode
from loka_stratum.observability.names import (
    PERFORMANCE_TARGET,
    ROOT_TARGET,
    SECURITY_TARGET,
    TRACE,
)
from loka_stratum.observability.redaction import MASK, SecretRegistry
from loka_stratum.observability.shares import UpstreamMetrics

__all__ = [
    "ALIASES",
    "CONTENT_TYPE",
    "MASK",
    "PERFORMANCE_TARGET",
    "ROOT_TARGET",
    "SECURITY_TARGET",
    "TRACE",
    "DbPoolStats",
    "LiveSource",
    "LiveStats",
    "LogFilter",
    "LogFormat",
    "LoggingHandle",
    "LokaBoundLogger",
    "Metrics",
    "Mode",
    "PortMetrics",
    "SecretRegistry",
    "SecurityEvent",
    "UpstreamMetrics",
    "configure_logging",
    "filter_from_env",
    "get_logger",
    "get_security_logger",
    "log_performance",
    "parse_filter",
    "render",
    "security_event",
]
