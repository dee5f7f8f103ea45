"""Getting a logger: structlog bound loggers on top of stdlib `logging`.

Every module asks `get_logger("loka_stratum.<area>")` once and binds context
per connection: `log = get_logger(__name__).bind(session_id=sid, peer=peer)`,
then `log.bind(worker=name)` after authorize. Async code may instead bind with
`structlog.contextvars.bound_contextvars(...)`; both end up in `fields`.

The structlog side of the pipeline is fixed (`CHAIN`): drop what the level filter
rejects before any work is done, merge context variables, hand the event to
`logging`. Everything that varies (format, redaction, destinations) lives in the
stdlib handlers, so reconfiguring never strands a logger created earlier.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final, Literal

import structlog
from structlog.typing import EventDict, Processor

from loka_stratum.observability.names import (
    PERFORMANCE_MESSAGE,
    PERFORMANCE_TARGET,
    ROOT_TARGET,
    SECURITY_TARGET,
    TRACE,
)

SecurityEvent = Literal["rate_limit", "banned", "blocked", "auth_failed", "attack"]
"""Security log messages; the runbooks grep `rate_limit|banned` and `banned|blocked|attack`."""

_METHOD_LEVELS: Final = {
    "trace": TRACE,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}


class LokaBoundLogger(structlog.stdlib.BoundLogger):
    """The stdlib bound logger plus `trace` (below DEBUG) and a cheap early level check."""

    def trace(self, event: str | None = None, **kw: Any) -> Any:
        """Like `debug`, one level lower; stdlib loggers have no `trace`, so call `log`."""
        if not self._wanted("trace"):
            return None
        try:
            args, kwargs = self._process_event("trace", event, kw)
        except structlog.DropEvent:
            return None
        return self._logger.log(TRACE, *args, **kwargs)

    def debug(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        """Checked before delegating: debug calls sit on hot paths and are usually off."""
        if not self._wanted("debug"):
            return None
        return super().debug(event, *args, **kw)

    def log(self, level: int, event: str | None = None, *args: Any, **kw: Any) -> Any:
        if level == TRACE:
            return self.trace(event, **kw)
        return super().log(level, event, *args, **kw)

    def _proxy_to_logger(
        self, method_name: str, event: str | None = None, *event_args: str, **event_kw: Any
    ) -> Any:
        if not self._wanted(method_name):
            return None
        return super()._proxy_to_logger(method_name, event, *event_args, **event_kw)

    def _wanted(self, method_name: str) -> bool:
        """`drop_disabled` hoisted before the context is copied: a disabled call costs a lookup.

        Only while `drop_disabled` heads the chain, so `capture_logs` (which swaps the
        chain) still sees every event, as structlog documents.
        """
        if next(iter(self._processors), None) is not drop_disabled:
            return True
        return self._logger.isEnabledFor(_METHOD_LEVELS.get(method_name, logging.INFO))


def drop_disabled(logger: logging.Logger, method_name: str, event_dict: EventDict) -> EventDict:
    """First in the chain: stop a record the filter rejects before anything is formatted."""
    level = _METHOD_LEVELS.get(method_name, logging.INFO)
    if logger.disabled or level < logger.getEffectiveLevel():
        raise structlog.DropEvent
    return event_dict


CHAIN: Final[tuple[Processor, ...]] = (
    drop_disabled,
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
)


def install_chain() -> None:
    """Point structlog at `CHAIN`, keeping the processor list object that loggers hold.

    Loggers made before configuration keep a reference to the configured list
    (so does `structlog.testing.capture_logs`); refilling it in place updates them all.
    """
    processors: list[Processor] = structlog.get_config()["processors"]
    processors[:] = CHAIN
    structlog.configure(
        processors=processors,
        wrapper_class=LokaBoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str, **context: Any) -> LokaBoundLogger:
    """A bound logger for `name` (under `loka_stratum.`), with optional initial context."""
    if name != ROOT_TARGET and not name.startswith(ROOT_TARGET + "."):
        raise ValueError(f"logger name {name!r} must be {ROOT_TARGET!r} or below it")
    processors = structlog.get_config()["processors"]
    return LokaBoundLogger(logging.getLogger(name), processors, context)


def get_security_logger(**context: Any) -> LokaBoundLogger:
    """The logger whose records also go to the security log."""
    return get_logger(SECURITY_TARGET, **context)


def security_event(event: SecurityEvent, **fields: Any) -> None:
    """Log a security event at WARN under its grep-able name: `security_event("banned", ip=ip)`."""
    get_security_logger().warning(event, **fields)


def log_performance(figures: Mapping[str, float | int]) -> None:
    """The periodic performance record: message `Performance report`, figures in `metrics`."""
    get_logger(PERFORMANCE_TARGET).info(PERFORMANCE_MESSAGE, metrics=dict(figures))
