"""Database URLs as operators write them, turned into the async driver URLs we run on.

Operators paste ``DATABASE_URL`` values from other tools: ``postgres://`` (Heroku
style), ``postgresql://`` (libpq), ``sqlite:///path``. The engine needs the async
drivers, so the scheme is rewritten from an explicit table; anything else is an
error that names the scheme rather than a surprise deep in SQLAlchemy.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.engine import URL, make_url


class Backend(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


_DRIVERS: dict[str, tuple[Backend, str]] = {
    "sqlite": (Backend.SQLITE, "sqlite+aiosqlite"),
    "sqlite+aiosqlite": (Backend.SQLITE, "sqlite+aiosqlite"),
    "postgres": (Backend.POSTGRESQL, "postgresql+asyncpg"),
    "postgresql": (Backend.POSTGRESQL, "postgresql+asyncpg"),
    "postgresql+asyncpg": (Backend.POSTGRESQL, "postgresql+asyncpg"),
}

_MEMORY_DATABASES = {None, "", ":memory:"}


def backend_of(url: URL) -> Backend:
    """Which backend a normalized URL talks to."""
    return _DRIVERS[url.drivername][0]


def normalize_url(raw: str) -> URL:
    """Parse ``raw`` and pick the async driver; raise ``ValueError`` for what we cannot run.

    In-memory SQLite is refused: every pooled connection would open its own
    empty database. libpq's ``sslmode`` becomes asyncpg's ``ssl`` (same values).
    """
    url = make_url(raw)
    if url.drivername not in _DRIVERS:
        known = ", ".join(f"{name}://" for name in _DRIVERS)
        raise ValueError(f"unsupported database URL scheme {url.drivername!r} (use {known})")
    backend, driver = _DRIVERS[url.drivername]
    url = url.set(drivername=driver)
    if backend is Backend.SQLITE and url.database in _MEMORY_DATABASES:
        raise ValueError("in-memory SQLite is not supported: give a file path, sqlite:///path")
    if backend is Backend.POSTGRESQL and "sslmode" in url.query:
        ssl = url.query["sslmode"]
        url = url.difference_update_query(["sslmode"]).update_query_dict({"ssl": ssl})
    return url
