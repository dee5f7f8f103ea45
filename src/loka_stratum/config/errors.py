"""The one exception configuration loading raises, and how validators phrase problems.

Every problem is one line an operator can act on: ``<key> = <value>: <why>``.
Cross-field validators inside a section name keys relative to that section;
the loader prefixes the section's path (``stratum.`` + ``min_difficulty = ...``)
so the final line always carries the full key path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import SecretStr


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` lists every reason, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def render_value(value: object) -> str:
    """A value as it would be written in TOML (strings quoted), for messages."""
    if isinstance(value, SecretStr):
        return '"********"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "(unset)"
    return repr(value)


def problem(key: str, value: object, why: str) -> str:
    """One problem line; ``key`` is relative to the model that found it."""
    return f"{key} = {render_value(value)}: {why}"


def raise_problems(problems: Iterable[str]) -> None:
    """Raise the collected problems as one ``ValueError`` (pydantic wraps it with its path)."""
    lines = list(problems)
    if lines:
        raise ValueError("\n".join(lines))
