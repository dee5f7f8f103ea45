"""The stdlib handlers behind our pipeline: a stream, an app file, a security file.

Every handler formats through the same structlog `ProcessorFormatter` chain
(positional args, error type, traceback, redaction, renderer), so a record from
uvicorn or SQLAlchemy is shaped, filtered and redacted exactly like ours.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from loka_stratum.observability.names import SECURITY_TARGET
from loka_stratum.observability.redaction import Redactor
from loka_stratum.observability.rendering import ConsoleRenderer, add_error_type, render_json

HANDLER_PREFIX: Final = "loka_stratum."
"""Handler names start with this, so a reconfiguration finds and replaces ours only."""
SECURITY_FLAG: Final = "security"
"""`log.warning("banned", security=True, ...)` copies a record to the security log."""


_RECORD_ATTRIBUTES: Final = frozenset(
    {
        *logging.LogRecord("", 0, "", 0, "", (), None).__dict__,
        "message",
        "asctime",
        "color_message",
    }
)
"""What every LogRecord carries, plus what a formatter adds (another handler may run first);
`color_message` is uvicorn's ANSI-coloured copy of the message, noise in a JSON line."""


def add_record_extras(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """A third-party record's `extra={...}` become fields, like keyword args of ours."""
    record: logging.LogRecord = event_dict["_record"]
    for key, value in record.__dict__.items():
        if key not in _RECORD_ATTRIBUTES:
            event_dict.setdefault(key, value)
    return event_dict


class ReopenableFileHandler(logging.FileHandler):
    """A file handler that reopens its path on demand (SIGUSR1 after logrotate moved it)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(path, mode="a", encoding="utf-8")

    def reopen(self) -> None:
        """Close the current file and open the path afresh; records in flight wait on the lock."""
        self.acquire()
        try:
            if self.stream is not None:
                self.stream.close()
            self.stream = self._open()
        finally:
            self.release()


class SecurityRecordFilter(logging.Filter):
    """Pass only security records: the security target, or records flagged `security=True`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == SECURITY_TARGET or record.name.startswith(SECURITY_TARGET + "."):
            return True
        if isinstance(record.msg, dict) and record.msg.get(SECURITY_FLAG) is True:
            return True
        return getattr(record, SECURITY_FLAG, False) is True


def formatter(redactor: Redactor, renderer: Processor) -> structlog.stdlib.ProcessorFormatter:
    """The shared formatting chain ending in `renderer`."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[add_record_extras],
        processors=[
            structlog.stdlib.PositionalArgumentsFormatter(),
            add_error_type,
            structlog.processors.format_exc_info,
            redactor,
            renderer,
        ],
    )


def stream_handler(stream: TextIO, *, console: bool, redactor: Redactor) -> logging.Handler:
    """Console lines (coloured on a terminal) or JSON lines to `stream`."""
    handler = logging.StreamHandler(stream)
    renderer: Processor = ConsoleRenderer(colours=stream.isatty()) if console else render_json
    handler.setFormatter(formatter(redactor, renderer))
    handler.set_name(HANDLER_PREFIX + "stream")
    return handler


def file_handler(path: Path, *, redactor: Redactor, security: bool) -> ReopenableFileHandler:
    """JSON lines to a file; with `security`, only the security records."""
    handler = ReopenableFileHandler(path)
    handler.setFormatter(formatter(redactor, render_json))
    if security:
        handler.addFilter(SecurityRecordFilter())
    handler.set_name(HANDLER_PREFIX + ("security_file" if security else "file"))
    return handler
