"""``show_config``: effective values, secrets masked, each key's source."""

from __future__ import annotations

import tomllib

import pytest

from loka_stratum.config import mask_url_password, show_config

from .conftest import Loader

SECRETS = {
    "rpc": "rpc-secret-1a2b",
    "pool": "pool-secret-3c4d",
    "upstream": "upstream-secret-5e6f",
    "admin": "admin-token-secret-7a8b9c",
    "database": "db-secret-0d1e",
}
FILE = f"""
mode = "proxy"
[server]
port = 3340
[[server.ports]]
port = 3334
start_difficulty = 0.01
name = "cpu"
[bitcoind]
rpc_user = "loka"
rpc_password = "{SECRETS["rpc"]}"
[pool]
username = "acct"
password = "{SECRETS["pool"]}"
[[pool.upstreams]]
name = "main"
url = "stratum+tcp://[::1]:3333"
password = "{SECRETS["upstream"]}"
"""
ENV = {
    "LOKA_HTTP__ADMIN_TOKEN": SECRETS["admin"],
    "DATABASE_URL": f"postgresql://loka:{SECRETS['database']}@db:5432/loka",
    "LOKA_SERVER__IDLE_TIMEOUT": "90s",
}


def line_of(text: str, section: str, start: str) -> str:
    """The one line in ``[section]`` ("" = top level) that starts with ``start``."""
    current, found = "", []
    for line in text.splitlines():
        if line.startswith("[") and not line.startswith("[["):
            current = line.strip("[]")
        elif current == section and line.startswith(start):
            found.append(line)
    (line,) = found
    return line


def test_secrets_never_appear(load: Loader) -> None:
    text = show_config(load(FILE, ENV))
    for secret in SECRETS.values():
        assert secret not in text
    assert text.count('"********"') == 4
    assert 'url = "postgresql+asyncpg://loka:********@db:5432/loka"' in text


def test_each_key_says_where_it_came_from(load: Loader) -> None:
    text = show_config(load(FILE, ENV))
    assert line_of(text, "", "mode = ").endswith("# file")
    assert line_of(text, "server", "port = 3340").endswith("# file")
    assert line_of(text, "server", "host = ").endswith("# default")
    idle = line_of(text, "server", "idle_timeout = ")
    assert idle.startswith('idle_timeout = "90s"')
    assert idle.endswith("# env:LOKA_SERVER__IDLE_TIMEOUT")
    assert line_of(text, "http", "admin_token = ").endswith("# env:LOKA_HTTP__ADMIN_TOKEN")
    assert line_of(text, "database", "url = ").endswith("# env:DATABASE_URL")
    assert line_of(text, "server", "[[server.ports]]").endswith("# file")
    assert line_of(text, "bitcoind", "# wallet: unset").endswith("# default")


def test_output_is_toml_with_the_effective_values(load: Loader) -> None:
    data = tomllib.loads(show_config(load(FILE, ENV)))
    assert data["mode"] == "proxy"
    assert data["server"]["port"] == 3340
    assert data["server"]["ports"] == [
        {"port": 3334, "start_difficulty": 0.01, "name": "cpu", "tls": False}
    ]
    assert data["server"]["idle_timeout"] == "90s"
    assert data["stratum"]["version_mask"] == "1fffe000"
    assert data["pool"]["upstreams"][0]["password"] == "********"
    assert "wallet" not in data["bitcoind"]


def test_defaults_only_show_round_trips_through_the_loader(load: Loader) -> None:
    loaded = load()
    text = show_config(loaded)
    assert "no file, defaults" in text
    assert load(text).settings == loaded.settings


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+asyncpg://u:pw@h:5432/d", "postgresql+asyncpg://u:********@h:5432/d"),
        ("postgresql+asyncpg://u:p@ss@h/d", "postgresql+asyncpg://u:********@h/d"),
        (
            "postgresql+asyncpg://u:pw@h/d?sslmode=require",
            "postgresql+asyncpg://u:********@h/d?sslmode=require",
        ),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("sqlite+aiosqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
    ],
)
def test_database_url_password_masking(url: str, masked: str) -> None:
    assert mask_url_password(url) == masked
