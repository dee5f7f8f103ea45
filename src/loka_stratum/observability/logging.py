"""Configure the process's logging once, then steer it live through a handle.

`configure_logging` installs our handlers on the stdlib root logger, so
third-party libraries (uvicorn, SQLAlchemy, asyncio) go through the same
format, redaction and filter as our own code. The filter is applied as stdlib
logger levels: a directive `loka_stratum.server=debug` sets that logger's
level, the default sets the root's, and the stdlib's nearest-ancestor rule is
exactly "the most specific target wins". Disabled records thus cost one
cached level check.

Signals map onto the handle: SIGHUP -> `set_filter` (a bad spec raises and the
old filter stays), SIGUSR1 -> `reopen` (logrotate moved the files).
The security target never runs quieter than INFO unless the filter names it
(`security=warn`), so a terse main log never thins the security log.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Literal, TextIO

from loka_stratum.observability.handlers import (
    HANDLER_PREFIX,
    ReopenableFileHandler,
    file_handler,
    stream_handler,
)
from loka_stratum.observability.log_filter import LogFilter, parse_filter
from loka_stratum.observability.loggers import install_chain
from loka_stratum.observability.names import SECURITY_TARGET, TRACE, parse_level
from loka_stratum.observability.redaction import Redactor, SecretRegistry

LogFormat = Literal["auto", "json", "console"]


class LoggingHandle:
    """What `configure_logging` installed: change the filter, reopen files, close."""

    def __init__(
        self, handlers: list[logging.Handler], log_filter: LogFilter, secrets: SecretRegistry
    ) -> None:
        self._handlers = handlers
        self._secrets = secrets
        self._root_level = logging.getLogger().level
        self._tuned: list[str] = []
        self._filter = log_filter
        self._apply(log_filter)

    @property
    def filter(self) -> LogFilter:
        return self._filter

    def set_filter(self, spec: str) -> LogFilter:
        """Replace the filter live (SIGHUP); ValueError leaves the current one in force."""
        new = parse_filter(spec)
        self._apply(new)
        return new

    def set_level(self, level: str) -> LogFilter:
        """Change only the default level, keeping per-target directives."""
        new = self._filter.with_default(parse_level(level))
        self._apply(new)
        return new

    def reopen(self) -> None:
        """Reopen every log file at its path (SIGUSR1 / logrotate postrotate)."""
        for handler in self._handlers:
            if isinstance(handler, ReopenableFileHandler):
                handler.reopen()

    def register_secret(self, value: str) -> None:
        """Mask `value` wherever it appears in any later record (config passwords, tokens)."""
        self._secrets.register(value)

    def close(self) -> None:
        """Remove our handlers, close files and give loggers back their earlier levels."""
        root = logging.getLogger()
        for handler in self._handlers:
            root.removeHandler(handler)
            handler.close()
        self._reset_levels()
        root.setLevel(self._root_level)

    def _apply(self, log_filter: LogFilter) -> None:
        self._reset_levels()
        logging.getLogger().setLevel(log_filter.default)
        levels = dict(log_filter.directives)
        if not log_filter.mentions(SECURITY_TARGET):
            levels[SECURITY_TARGET] = min(log_filter.level_for(SECURITY_TARGET), logging.INFO)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        self._tuned = list(levels)
        self._filter = log_filter

    def _reset_levels(self) -> None:
        for name in self._tuned:
            logging.getLogger(name).setLevel(logging.NOTSET)
        self._tuned = []


def configure_logging(
    *,
    level: str,
    fmt: LogFormat,
    filter_spec: str | None,
    file: Path | None,
    security_file: Path | None,
    stream: TextIO | None = None,
) -> LoggingHandle:
    """Install the pipeline: `level` from config, `filter_spec` (LOKA_LOG/RUST_LOG) over it.

    `fmt="auto"` writes console lines when `stream` (default: the current
    `sys.stderr`) is a terminal and JSON lines otherwise; files are always JSON.
    Calling it again replaces the previous configuration.
    """
    if any((h.name or "").startswith(HANDLER_PREFIX) for h in logging.getLogger().handlers):
        raise RuntimeError("logging is already configured: close the previous LoggingHandle first")
    log_filter = parse_filter(f"{level},{filter_spec or ''}")
    out = sys.stderr if stream is None else stream
    logging.addLevelName(TRACE, "TRACE")
    install_chain()
    secrets = SecretRegistry()
    redactor = Redactor(secrets)
    console = fmt == "console" or (fmt == "auto" and out.isatty())
    handlers = [stream_handler(out, console=console, redactor=redactor)]
    if file is not None:
        handlers.append(file_handler(file, redactor=redactor, security=False))
    if security_file is not None:
        handlers.append(file_handler(security_file, redactor=redactor, security=True))
    root = logging.getLogger()
    for handler in handlers:
        root.addHandler(handler)
    return LoggingHandle(handlers, log_filter, secrets)
