"""Log filter directives in the manual's RUST_LOG (env_logger) syntax.

A spec is a comma-separated list of directives:

- `info`: a bare level sets the default for every logger;
- `loka_stratum=debug`: a level for one target and everything below it;
- `loka_stratum::protocol=trace`: Rust paths; `::` maps to the Python logger hierarchy (`.`);
- `loka_stratum::server`: a bare target enables it at every level (TRACE).

The most specific target covering a logger wins (by whole name components, so
`loka_stratum.server` does not cover `loka_stratum.serverless`); later directives
for the same target replace earlier ones. The manual names modules of the Rust
program it was written for; `ALIASES` maps those onto ours (documented in
docs/logging.md). env_logger's `/regex` message filters are refused rather than
ignored, as are unknown levels, so a typo in RUST_LOG fails loudly at startup.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from loka_stratum.observability.names import (
    LEVELS,
    PERFORMANCE_TARGET,
    ROOT_TARGET,
    SECURITY_TARGET,
    TRACE,
    parse_level,
)

ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "loka_stratum.network": ("loka_stratum.server",),
    "loka_stratum.protocol": ("loka_stratum.protocol", "loka_stratum.server.session"),
    "loka_stratum.services.database": ("loka_stratum.storage",),
    "loka_stratum.services.metrics": ("loka_stratum.observability",),
    "tower_http": ("uvicorn", "loka_stratum.api"),
    "performance": (PERFORMANCE_TARGET,),
    "security": (SECURITY_TARGET,),
}
"""Manual target (after `::` -> `.`) to the Python loggers it stands for."""

ENV_VARIABLES: Final = ("LOKA_LOG", "RUST_LOG")
"""Where the filter comes from, first set and non-empty wins."""

_TARGET = re.compile(r"[A-Za-z_][\w-]*(?:(?:::|\.)[A-Za-z_][\w-]*)*")


@dataclass(frozen=True, slots=True)
class LogFilter:
    """A parsed filter: a default level plus per-target levels on Python logger names."""

    default: int = logging.INFO
    directives: tuple[tuple[str, int], ...] = ()
    """(logger name, level) pairs, one per target, sorted by name."""

    def level_for(self, logger_name: str) -> int:
        """The level a logger runs at: its most specific covering directive, else the default."""
        best, level = -1, self.default
        for target, target_level in self.directives:
            if _covers(target, logger_name) and len(target) > best:
                best, level = len(target), target_level
        return level

    def mentions(self, logger_name: str) -> bool:
        """Whether a directive targets exactly this logger."""
        return any(target == logger_name for target, _ in self.directives)

    def with_default(self, level: int) -> LogFilter:
        return replace(self, default=level)

    def __str__(self) -> str:
        parts = [_word(self.default)]
        parts += [f"{target}={_word(level)}" for target, level in self.directives]
        return ",".join(parts)


def parse_filter(spec: str) -> LogFilter:
    """Parse a RUST_LOG-style spec; ValueError says which directive is wrong and why."""
    default = logging.INFO
    levels: dict[str, int] = {}
    for raw in spec.split(","):
        directive = raw.strip()
        if not directive:
            continue
        if "/" in directive:
            raise ValueError(f"log filter {directive!r}: /regex message filters are not supported")
        target, level = _split(directive)
        if target is None:
            default = level
            continue
        for name in _expand(target):
            levels[name] = level
    return LogFilter(default, tuple(sorted(levels.items())))


def filter_from_env(env: Mapping[str, str]) -> str | None:
    """The filter spec from the environment: LOKA_LOG first, then the manual's RUST_LOG."""
    for variable in ENV_VARIABLES:
        value = env.get(variable, "").strip()
        if value:
            return value
    return None


def _split(directive: str) -> tuple[str | None, int]:
    """(target or None for a bare level, level) of one directive."""
    if "=" in directive:
        target, _, word = directive.partition("=")
        return _check_target(target.strip(), directive), parse_level(word)
    if directive.lower() in LEVELS:
        return None, parse_level(directive)
    if "::" in directive or "." in directive or directive.startswith(ROOT_TARGET):
        return _check_target(directive, directive), TRACE
    raise ValueError(
        f"log filter {directive!r}: unknown level (expected one of: {', '.join(LEVELS)};"
        f" to enable a target at every level write '{directive}=trace')"
    )


def _check_target(target: str, directive: str) -> str:
    if not _TARGET.fullmatch(target):
        raise ValueError(f"log filter {directive!r}: {target!r} is not a module path")
    return target


def _expand(target: str) -> tuple[str, ...]:
    """Python logger names for a target: `::` to `.`, then manual aliases by prefix."""
    dotted = target.replace("::", ".")
    for alias, names in ALIASES.items():
        if dotted == alias:
            return names
        if dotted.startswith(alias + "."):
            rest = dotted[len(alias) :]
            return tuple(name + rest for name in names)
    return (dotted,)


def _covers(target: str, logger_name: str) -> bool:
    return logger_name == target or logger_name.startswith(target + ".")


def _word(level: int) -> str:
    return next((word for word, value in LEVELS.items() if value == level), str(level))
