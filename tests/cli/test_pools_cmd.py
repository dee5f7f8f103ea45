"""``loka-stratum pools add | list | remove | enable | disable`` on a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from loka_stratum.cli import root
from loka_stratum.storage.pgserver import free_port

CLEAN_ENV: dict[str, str | None] = {"LOKA_CONFIG": None, "DATABASE_URL": None}
CONFIG_UPSTREAMS = """
[pool]
username = "acct"
password = "pool-secret"

[[pool.upstreams]]
name = "main"
url = "stratum+tcp://main.example:3333"

[[pool.upstreams]]
name = "backup"
url = "stratum+ssl://backup.example:443"
priority = 2
"""


class Pools:
    """Runs ``pools`` subcommands against one config file (and so one database)."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.runner = CliRunner(env=CLEAN_ENV)

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(root, ["pools", *args, "--config", str(self.config)])

    def listed(self) -> list[dict[str, object]]:
        result = self("list", "--json")
        assert result.exit_code == 0, result.output
        rows: list[dict[str, object]] = json.loads(result.stdout)
        return rows


def write_config(path: Path, database_url: str, extra: str = "") -> Path:
    path.write_text(f'[database]\nurl = "{database_url}"\n{extra}', encoding="utf-8")
    return path


@pytest.fixture
def pools(tmp_path: Path, database_url: str) -> Pools:
    """A config file with two upstreams, on each database backend."""
    return Pools(write_config(tmp_path / "loka.toml", database_url, CONFIG_UPSTREAMS))


@pytest.fixture
def sqlite_pools(tmp_path: Path, sqlite_url: str) -> Pools:
    return Pools(write_config(tmp_path / "loka.toml", sqlite_url, CONFIG_UPSTREAMS))


def summary(pools: Pools) -> list[tuple[object, ...]]:
    return [(r["name"], r["source"], r["status"]) for r in pools.listed()]


def test_add_list_disable_enable_remove(pools: Pools) -> None:
    url = "stratum+tcp://[2001:db8::1]:3334"
    added = pools(
        "add", "extra", url, "--username", "me", "--password", "row-secret", "--priority", "1"
    )
    assert added.exit_code == 0, added.output
    assert added.stdout == "added extra: stratum+tcp://[2001:db8::1]:3334 priority 1\n"
    assert summary(pools) == [
        ("main", "config", "in use"),
        ("extra", "database", "in use"),
        ("backup", "config", "in use"),
    ]
    assert pools("disable", "extra").stdout == "disabled extra\n"
    assert ("extra", "database", "disabled") in summary(pools)
    assert pools("enable", "extra").stdout == "enabled extra\n"
    assert ("extra", "database", "in use") in summary(pools)
    assert pools("remove", "extra").stdout == "removed extra\n"
    assert [name for name, _, _ in summary(pools)] == ["main", "backup"]


def test_a_row_replaces_the_config_entry_and_disabling_it_drops_both(pools: Pools) -> None:
    added = pools("add", "main", "stratum+tcp://other.example:3333", "--priority", "3")
    assert added.stdout.endswith("(replaces the config file's entry)\n")
    assert summary(pools) == [
        ("backup", "config", "in use"),
        ("main", "database", "in use"),
        ("main", "config", "overridden"),
    ]
    assert pools("disable", "main").exit_code == 0
    assert summary(pools)[1:] == [
        ("main", "database", "disabled"),
        ("main", "config", "overridden"),
    ]


def test_the_table_shows_every_source_and_no_password(sqlite_pools: Pools) -> None:
    sqlite_pools("add", "extra", "stratum+tcp://x.example:3333", "--password", "row-secret")
    result = sqlite_pools("list")
    assert result.exit_code == 0
    header, *lines = result.stdout.splitlines()
    assert header.split() == ["NAME", "SOURCE", "STATUS", "PRIORITY", "URL", "USERNAME"]
    assert [line.split()[:4] for line in lines] == [
        ["main", "config", "in", "use"],
        ["extra", "database", "in", "use"],
        ["backup", "config", "in", "use"],
    ]
    listed = sqlite_pools.listed()
    assert [row["password_set"] for row in listed] == [False, True, False]
    for output in (result.output, json.dumps(listed)):
        assert "secret" not in output


def test_an_empty_list_says_how_to_add(tmp_path: Path, sqlite_url: str) -> None:
    pools = Pools(write_config(tmp_path / "loka.toml", sqlite_url))
    assert pools("list").stdout.startswith("no upstream pools")
    assert pools.listed() == []


def test_duplicate_names_are_refused(pools: Pools) -> None:
    assert pools("add", "extra", "stratum+tcp://a.example:3333").exit_code == 0
    again = pools("add", "extra", "stratum+tcp://b.example:3333")
    assert again.exit_code == 1
    assert again.stderr == "pool 'extra' already exists in the database\n"
    extra = [row for row in pools.listed() if row["name"] == "extra"]
    assert [row["url"] for row in extra] == ["stratum+tcp://a.example:3333"]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://a.example:3333", "scheme must be one of stratum+tcp, stratum+ssl"),
        ("stratum+tcp://a.example", "expected host and port"),
        ("stratum+tcp://u:p@a.example:3333", "put credentials in username/password"),
        ("stratum+tcp://a.example:70000", "port must be a number in 1..65535"),
    ],
)
def test_urls_are_validated_like_the_config_file(sqlite_pools: Pools, url: str, why: str) -> None:
    result = sqlite_pools("add", "extra", url)
    assert result.exit_code == 1
    assert result.stderr.startswith("invalid upstream 'extra':\n  url = ")
    assert why in result.stderr
    assert [row["name"] for row in sqlite_pools.listed()] == ["main", "backup"]


def test_values_too_long_for_the_table_are_refused(pools: Pools) -> None:
    result = pools("add", "x" * 1000, "stratum+tcp://a.example:3333")
    assert result.exit_code == 1
    assert "name: longer than" in result.stderr


@pytest.mark.parametrize("command", ["remove", "enable", "disable"])
def test_unknown_names(sqlite_pools: Pools, command: str) -> None:
    unknown = sqlite_pools(command, "nope")
    assert unknown.exit_code == 1
    assert unknown.stderr == "no pool named 'nope' in the database\n"
    in_config = sqlite_pools(command, "backup")
    assert in_config.exit_code == 1
    assert f"pool 'backup' is in {sqlite_pools.config}, not in the database" in in_config.stderr


def test_an_unreachable_database_is_a_message(tmp_path: Path) -> None:
    url = f"postgresql://loka@127.0.0.1:{free_port()}/loka"
    result = Pools(write_config(tmp_path / "loka.toml", url))("list")
    assert result.exit_code == 1
    assert result.stderr.startswith("database postgresql+asyncpg://loka@127.0.0.1:")
    assert "Traceback" not in result.output
