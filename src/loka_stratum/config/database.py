"""``[database]``: where shares, blocks and balances live, and how writes are batched.

Operators paste URLs from other tools (``postgres://``, ``postgresql://``,
``sqlite:///``); the program runs on the async drivers, so the scheme is
rewritten here from an explicit table and anything else is refused by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from loka_stratum.config.errors import problem, raise_problems
from loka_stratum.config.types import SECRET_URL_KIND, PositiveDuration

ASYNC_SCHEMES: Final = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
MASK: Final = "********"


def normalize_database_url(url: str) -> str:
    """Rewrite the scheme to its async driver; refuse unknown schemes and in-memory SQLite."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep or scheme.lower() not in ASYNC_SCHEMES:
        known = ", ".join(f"{name}://" for name in ASYNC_SCHEMES)
        raise ValueError(f"unsupported database URL scheme {scheme!r} (use {known})")
    driver = ASYNC_SCHEMES[scheme.lower()]
    if driver.startswith("sqlite") and rest.removeprefix("/") in ("", ":memory:"):
        raise ValueError("in-memory SQLite is not supported: give a file, sqlite:///path")
    return f"{driver}://{rest}"


def mask_url_password(url: str) -> str:
    """The URL with the password part of ``user:password@host`` replaced by ``********``."""
    scheme, sep, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    credentials, at, host = authority.rpartition("@")
    user, colon, _password = credentials.partition(":")
    if not (sep and at and colon):
        return url
    return f"{scheme}://{user}:{MASK}@{host}{slash}{tail}"


class DatabaseSettings(BaseModel):
    """Storage backend, connection pool and the share write path."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[str, SECRET_URL_KIND] = Field(
        default="sqlite+aiosqlite:///data/loka-stratum.db",
        repr=False,
        description=(
            "postgresql://user:pass@host:5432/db or sqlite:///path (rewritten to the async "
            "drivers). Env DATABASE_URL overrides it; LOKA_DATABASE__URL overrides both."
        ),
    )
    max_connections: int = Field(default=20, ge=1, description="Most pooled connections.")
    min_connections: int = Field(default=2, ge=0, description="Connections kept open when idle.")
    acquire_timeout: PositiveDuration = Field(
        default=30.0, description="Longest wait for a free pooled connection."
    )
    idle_timeout: PositiveDuration = Field(
        default=600.0, description="Recycle a pooled connection unused for this long."
    )
    batch_size: int = Field(
        default=500, ge=1, description="Shares written per batch; a full batch flushes at once."
    )
    flush_interval: PositiveDuration = Field(
        default=1.0, description="Flush a partial share batch after this long."
    )
    journal_dir: Path = Field(
        default=Path("data/journal"),
        description="Shares are spilled here while the database is down and replayed after.",
    )

    @property
    def redacted_url(self) -> str:
        """``url`` safe to print: the password is masked."""
        return mask_url_password(self.url)

    @field_validator("url")
    @classmethod
    def _normalize(cls, url: str) -> str:
        return normalize_database_url(url)

    @model_validator(mode="after")
    def _check(self) -> DatabaseSettings:
        if self.min_connections > self.max_connections:
            raise_problems(
                [
                    problem(
                        "min_connections",
                        self.min_connections,
                        f"must not exceed max_connections ({self.max_connections})",
                    )
                ]
            )
        return self
