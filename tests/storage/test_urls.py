"""Database URLs as operators write them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loka_stratum.storage import Backend, normalize_url
from loka_stratum.storage.urls import backend_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sqlite:///data/loka.db", "sqlite+aiosqlite:///data/loka.db"),
        ("sqlite:////var/lib/loka/loka.db", "sqlite+aiosqlite:////var/lib/loka/loka.db"),
        ("sqlite+aiosqlite:///loka.db", "sqlite+aiosqlite:///loka.db"),
        ("postgres://u:p@db:5432/loka", "postgresql+asyncpg://u:***@db:5432/loka"),
        ("postgresql://u@db/loka", "postgresql+asyncpg://u@db/loka"),
        ("postgresql+asyncpg://u@db/loka", "postgresql+asyncpg://u@db/loka"),
        ("postgresql://u@db/loka?sslmode=require", "postgresql+asyncpg://u@db/loka?ssl=require"),
    ],
)
def test_normalizes_to_async_drivers(raw: str, expected: str) -> None:
    assert str(normalize_url(raw)) == expected


def test_password_survives_normalization() -> None:
    assert normalize_url("postgres://u:s3cret@db/loka").password == "s3cret"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("mysql://u@db/loka", "unsupported database URL scheme 'mysql'"),
        ("postgresql+psycopg2://u@db/loka", "unsupported"),
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
    ],
)
def test_refuses_what_it_cannot_run(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_url(raw)


@settings(deadline=None)  # correctness, not speed: no flakes on a loaded machine
@given(st.from_regex(r"[a-z0-9_/.-]{1,40}", fullmatch=True).filter(lambda p: p != ":memory:"))
def test_sqlite_paths_are_kept_verbatim(path: str) -> None:
    url = normalize_url(f"sqlite:///{path}")
    assert (url.database, backend_of(url)) == (path, Backend.SQLITE)
