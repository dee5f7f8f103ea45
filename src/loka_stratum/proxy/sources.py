"""The upstreams proxy mode uses: the config file's `[pool] upstreams` merged with the
`pools` table, which `loka-stratum pools add|remove|enable|disable` manages.

The rule, by upstream name:

1. A database row (kind `upstream`) with the name of a config entry replaces that
   entry whole (URL, credentials, priority, enabled): the database is the operator's
   later word, and the config file need not be edited to change or stop an upstream.
2. Rows with a new name are added.
3. Only enabled upstreams are used: a disabled row removes the config entry it
   replaces, and a config entry with `enabled = false` stays out.
4. The result is ordered by `priority` (lowest first); ties keep config file order
   (a replacing row takes the place of the entry it replaces), then rows by name.

An empty username or password in a row means "unset": the `[pool]` defaults apply,
as for a config entry without them. A row that is not a valid upstream (only
possible by editing the table by hand; the CLI validates) is left out and logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum

import structlog
from pydantic import SecretStr, ValidationError

from loka_stratum.config.diagnostics import describe_errors
from loka_stratum.config.proxy import PoolSettings, Upstream
from loka_stratum.storage.pools import Pool, PoolRepository
from loka_stratum.storage.schema import PoolKind

log = structlog.get_logger("loka_stratum.proxy.sources")


class Source(StrEnum):
    """Where an upstream is defined."""

    CONFIG = "config"
    DATABASE = "database"


class Status(Enum):
    """Whether the proxy uses an upstream, and if not, why."""

    IN_USE = "in use"
    DISABLED = "disabled"
    OVERRIDDEN = "overridden"
    """A config entry replaced by the database row of the same name."""
    INVALID = "invalid"
    """A database row that is not a valid upstream (see `problem`)."""


@dataclass(frozen=True, slots=True)
class UpstreamEntry:
    """One upstream as `pools list` shows it: where it comes from and whether it is used.

    `upstream` is unvalidated for INVALID rows (built only to show what is stored).
    """

    upstream: Upstream
    source: Source
    status: Status
    problem: str | None = None


def merge(config: Sequence[Upstream], rows: Sequence[Pool]) -> list[UpstreamEntry]:
    """Every upstream of both sources with its status: the used ones first, in the order
    to try them, then the unused ones (disabled, invalid, and last the overridden)."""
    by_name = {row.name: row for row in rows if row.kind is PoolKind.UPSTREAM}
    entries: list[UpstreamEntry] = []
    overridden: list[UpstreamEntry] = []
    for upstream in config:
        row = by_name.pop(upstream.name, None)
        if row is None:
            entries.append(UpstreamEntry(upstream, Source.CONFIG, _status(upstream)))
        else:
            entries.append(_row_entry(row))
            overridden.append(UpstreamEntry(upstream, Source.CONFIG, Status.OVERRIDDEN))
    entries += [_row_entry(row) for row in sorted(by_name.values(), key=lambda r: r.name)]
    used = [e for e in entries if e.status is Status.IN_USE]
    used.sort(key=lambda e: e.upstream.priority)
    return used + [e for e in entries if e.status is not Status.IN_USE] + overridden


def upstream_of(row: Pool) -> Upstream:
    """The row as a config entry, validated like one (`ValidationError` if it is not)."""
    return Upstream(
        name=row.name,
        url=row.url,
        username=row.username or None,
        password=SecretStr(row.password) if row.password else None,
        priority=row.priority,
        enabled=row.enabled,
    )


async def effective_upstreams(settings: PoolSettings, repository: PoolRepository) -> PoolSettings:
    """`settings` with `upstreams` replaced by the merged, enabled ones (module docstring)."""
    entries = merge(settings.upstreams, await repository.list(kind=PoolKind.UPSTREAM))
    for entry in entries:
        if entry.status is Status.INVALID:
            log.warning(
                "invalid upstream row left out", pool=entry.upstream.name, problem=entry.problem
            )
    used = tuple(e.upstream for e in entries if e.status is Status.IN_USE)
    return settings.model_copy(update={"upstreams": used})


def _status(upstream: Upstream) -> Status:
    return Status.IN_USE if upstream.enabled else Status.DISABLED


def _row_entry(row: Pool) -> UpstreamEntry:
    try:
        upstream = upstream_of(row)
    except ValidationError as exc:
        shown = Upstream.model_construct(
            name=row.name,
            url=row.url,
            username=row.username or None,
            priority=row.priority,
            enabled=row.enabled,
        )
        problem = "; ".join(describe_errors(Upstream, exc, {}))
        return UpstreamEntry(shown, Source.DATABASE, Status.INVALID, problem)
    return UpstreamEntry(upstream, Source.DATABASE, _status(upstream))
