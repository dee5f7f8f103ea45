"""Turn one processed event into one line: JSON for machines, colours for people.

Both renderers run inside `structlog.stdlib.ProcessorFormatter`, so they see
our records and third-party `logging` records alike, each with its
`logging.LogRecord` under `_record`. Timestamp, level and target come from that
record (one source of truth for both kinds); every other key is a field.

JSON shape, one object per line (the manual's `grep "^{" | jq` relies on it):

    {"timestamp": "2026-05-09T07:35:25.123456Z", "level": "INFO",
     "target": "loka_stratum.server", "message": "Connection established",
     "fields": {"peer": "10.0.0.7:51234", "session_id": "a1b2"}}

Records of the performance target add one top-level key, `metrics`, holding the
figures, because the manual reads them as `jq '... | {timestamp, message, metrics}'`.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from structlog.typing import EventDict, WrappedLogger

from loka_stratum.observability.names import PERFORMANCE_TARGET, display_target, level_label

_META_KEYS: Final = frozenset({"event", "_record", "_from_structlog"})
_EXCEPTION: Final = "exception"
"""Where `format_exc_info` puts a traceback; the console prints it below the line."""

_RESET: Final = "\x1b[0m"
_DIM: Final = "\x1b[2m"
_LEVEL_COLOURS: Final = {
    "TRACE": "\x1b[2m",
    "DEBUG": "\x1b[34m",
    "INFO": "\x1b[32m",
    "WARN": "\x1b[33m",
    "ERROR": "\x1b[1;31m",
}


def rfc3339(created: float) -> str:
    """UTC, microseconds, `Z`: sorts as text and parses everywhere."""
    return datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def add_error_type(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Name the exception class as `error_type` when the caller did not say.

    The manual counts errors with `jq -r '... | .fields.error_type' | uniq -c`;
    a logged exception then always has an answer.
    """
    exc_info = event_dict.get("exc_info")
    if "error_type" in event_dict or not exc_info:
        return event_dict
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        event_dict["error_type"] = type(exc_info).__name__
    elif isinstance(exc_info, tuple) and exc_info[0] is not None:
        event_dict["error_type"] = exc_info[0].__name__
    return event_dict


def render_json(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> str:
    """The contract's JSON line (see module docstring)."""
    record: logging.LogRecord = event_dict["_record"]
    fields = _fields(event_dict)
    line: dict[str, Any] = {
        "timestamp": rfc3339(record.created),
        "level": level_label(record.levelno),
        "target": display_target(record.name),
        "message": str(event_dict.get("event", "")),
        "fields": fields,
    }
    if record.name == PERFORMANCE_TARGET:
        line["metrics"] = fields.pop("metrics", {})
    return orjson.dumps(line, default=str).decode()


class ConsoleRenderer:
    """`time LEVEL target: message key=value ...`, coloured when `colours` is set."""

    def __init__(self, *, colours: bool) -> None:
        self._colours = colours

    def __call__(self, _logger: WrappedLogger, _method: str, event_dict: EventDict) -> str:
        record: logging.LogRecord = event_dict["_record"]
        fields = _fields(event_dict)
        tails = [str(fields.pop(_EXCEPTION))] if _EXCEPTION in fields else []
        label = level_label(record.levelno)
        pairs = " ".join(f"{key}={_console_value(value)}" for key, value in fields.items())
        head = (
            f"{self._dim(rfc3339(record.created))} {self._level(label)} "
            f"{self._dim(display_target(record.name) + ':')} {event_dict.get('event', '')}"
        )
        return "\n".join([f"{head} {pairs}".rstrip(), *tails])

    def _dim(self, text: str) -> str:
        return f"{_DIM}{text}{_RESET}" if self._colours else text

    def _level(self, label: str) -> str:
        padded = f"{label:<5}"
        return f"{_LEVEL_COLOURS[label]}{padded}{_RESET}" if self._colours else padded


def _fields(event_dict: EventDict) -> dict[str, Any]:
    return {key: value for key, value in event_dict.items() if key not in _META_KEYS}


def _console_value(value: Any) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value, default=str).decode()
    return text if text and " " not in text else orjson.dumps(text).decode()
