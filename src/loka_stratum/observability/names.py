"""Names operators type: log levels and the well-known log targets.

The operator manual greps levels the way Rust's `tracing` prints them:
`jq 'select(.level=="ERROR")'`, `grep "ERROR" app.log`, `grep -E "TRACE|DEBUG"`.
So levels render upper case with Rust's spelling (`WARN`, not `WARNING`), and
there is a TRACE level below DEBUG for `RUST_LOG=loka_stratum::protocol=trace`.
CRITICAL has no Rust counterpart; it renders as ERROR so every "ERROR" query
sees it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

TRACE: Final = 5
"""Below DEBUG: wire-level detail (every line a miner sends)."""
OFF: Final = logging.CRITICAL + 10
"""Above every level: `target=off` silences a target."""

ROOT_TARGET: Final = "loka_stratum"
PERFORMANCE_TARGET: Final = "loka_stratum.performance"
"""Periodic key figures. Rendered as target `performance` (see `display_target`)."""
SECURITY_TARGET: Final = "loka_stratum.security"
"""rate_limit / banned / blocked / auth_failed events; also copied to the security log."""

PERFORMANCE_MESSAGE: Final = "Performance report"
"""The manual greps `"Performance"` in app.log; every periodic record carries this message."""

LEVELS: Final[Mapping[str, int]] = {
    "trace": TRACE,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "off": OFF,
}
"""Level words accepted in filters and config, case-insensitive."""

_DISPLAY_TARGETS: Final[Mapping[str, str]] = {PERFORMANCE_TARGET: "performance"}


def parse_level(word: str) -> int:
    """The numeric level for a level word; ValueError names the accepted words."""
    try:
        return LEVELS[word.strip().lower()]
    except KeyError:
        accepted = ", ".join(LEVELS)
        raise ValueError(f"unknown log level {word!r} (expected one of: {accepted})") from None


def level_label(levelno: int) -> str:
    """The upper-case label a record is rendered with (TRACE/DEBUG/INFO/WARN/ERROR)."""
    if levelno >= logging.ERROR:
        return "ERROR"
    if levelno >= logging.WARNING:
        return "WARN"
    if levelno >= logging.INFO:
        return "INFO"
    if levelno >= logging.DEBUG:
        return "DEBUG"
    return "TRACE"


def display_target(logger_name: str) -> str:
    """The `target` written for a logger: its dotted name, except the manual's `performance`.

    The manual extracts figures with `jq 'select(.target=="performance")'`, so the
    performance logger (which lives under `loka_stratum.` to follow the filters)
    is shown under that short name.
    """
    return _DISPLAY_TARGETS.get(logger_name, logger_name)
