"""Loading: defaults, the file, environment overrides and where each value came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.config import ConfigError, Settings, load_config, resolve_config_path

from .conftest import Loader, ProblemsOf


def test_no_file_and_no_env_gives_defaults_everywhere(load: Loader) -> None:
    loaded = load()
    assert loaded.settings == Settings()
    assert loaded.path is None
    assert set(loaded.provenance.values()) == {"default"}
    assert loaded.settings.server.port == 3333
    assert loaded.settings.database.url == "sqlite+aiosqlite:///data/loka-stratum.db"


def test_provenance_covers_every_leaf_key(load: Loader) -> None:
    provenance = load().provenance
    assert {"mode", "server.port", "server.ports", "pool.upstreams", "database.url"} <= set(
        provenance
    )
    assert "server" not in provenance


def test_file_values_are_parsed_and_marked_file(load: Loader) -> None:
    loaded = load(
        """
        mode = "pool"
        [server]
        port = 4000
        idle_timeout = "2m"
        write_buffer_high_water = "1MiB"
        [[server.ports]]
        port = 3334
        start_difficulty = 0.01
        [stratum]
        version_mask = "00ffe000"
        """
    )
    server = loaded.settings.server
    assert (server.port, server.idle_timeout, server.write_buffer_high_water) == (
        4000,
        120.0,
        2**20,
    )
    assert server.ports[0].port == 3334
    assert loaded.settings.stratum.version_mask == 0x00FFE000
    assert loaded.provenance["server.port"] == "file"
    assert loaded.provenance["server.ports"] == "file"
    assert loaded.provenance["mode"] == "file"
    assert loaded.provenance["server.host"] == "default"


def test_manual_performance_example_loads(load: Loader) -> None:
    """The operations manual's tuning example is accepted as written."""
    loaded = load(
        """
        [server]
        port = 3333
        worker_threads = 8  # Match CPU cores
        max_blocking_threads = 16
        [pool]
        connection_pool_size = 100
        connection_timeout = "30s"
        keepalive_interval = "60s"
        [limiter]
        connections = 5000
        rate_limit_per_ip = 1000
        rate_limit_window = "1m"
        [performance]
        enable_metrics_caching = true
        metrics_cache_ttl = "30s"
        enable_string_interning = true
        buffer_pool_size = 1000
        connection_pool_max_idle = 50
        [database]
        max_connections = 50
        min_connections = 10
        acquire_timeout = "30s"
        idle_timeout = "10m"
        """
    )
    assert loaded.settings.pool.keepalive_interval == 60.0
    assert loaded.settings.performance.metrics_cache_ttl == 30.0
    assert loaded.settings.database.idle_timeout == 600.0


def test_env_overrides_file_and_records_variable(load: Loader) -> None:
    loaded = load(
        "[server]\nport = 4000\n",
        {
            "LOKA_SERVER__PORT": "3334",
            "LOKA_MODE": "pool",
            "LOKA_VARDIFF__ENABLED": "false",
            "LOKA_STRATUM__START_DIFFICULTY": "0.5",
            "LOKA_SERVER__HANDSHAKE_TIMEOUT": "1m",
            "PATH": "/usr/bin",
        },
    )
    settings = loaded.settings
    assert settings.server.port == 3334
    assert settings.vardiff.enabled is False
    assert settings.stratum.start_difficulty == 0.5
    assert settings.server.handshake_timeout == 60.0
    assert loaded.provenance["server.port"] == "env:LOKA_SERVER__PORT"
    assert loaded.provenance["mode"] == "env:LOKA_MODE"
    assert loaded.provenance["server.handshake_timeout"] == "env:LOKA_SERVER__HANDSHAKE_TIMEOUT"


@pytest.mark.parametrize("flag", ["true", "1", "True"])
def test_env_booleans(load: Loader, flag: str) -> None:
    assert load(env={"LOKA_SERVER__IPV6": flag}).settings.server.ipv6 is True


def test_env_names_are_case_insensitive(load: Loader) -> None:
    loaded = load(env={"loka_server__port": "3400"})
    assert loaded.settings.server.port == 3400
    assert loaded.provenance["server.port"] == "env:loka_server__port"


def test_env_set_twice_in_different_case_is_an_error(problems_of: ProblemsOf) -> None:
    problems = problems_of(env={"LOKA_SERVER__PORT": "1", "loka_server__port": "2"})
    assert problems == ["loka_server__port: set twice (also as LOKA_SERVER__PORT)"]


def test_env_json_for_arrays_of_tables(load: Loader) -> None:
    loaded = load(
        env={
            "LOKA_SERVER__PORTS": '[{"port": 3335, "start_difficulty": 64}]',
            "LOKA_LIMITER__EXEMPT_NETWORKS": '["10.0.0.0/8", "2001:db8::/32"]',
        }
    )
    assert loaded.settings.server.ports[0].start_difficulty == 64.0
    assert [str(net) for net in loaded.settings.limiter.exempt_networks] == [
        "10.0.0.0/8",
        "2001:db8::/32",
    ]
    assert loaded.provenance["server.ports"] == "env:LOKA_SERVER__PORTS"


def test_env_bad_json_is_named(problems_of: ProblemsOf) -> None:
    problems = problems_of(env={"LOKA_POOL__UPSTREAMS": "[{name: x}]"})
    assert len(problems) == 1
    assert problems[0].startswith("LOKA_POOL__UPSTREAMS: not a JSON list")


def test_empty_env_value_unsets_an_optional_key(load: Loader) -> None:
    loaded = load('[stratum]\npool_address = "x"\n', {"LOKA_STRATUM__POOL_ADDRESS": ""})
    assert loaded.settings.stratum.pool_address is None


def test_database_url_env_is_normalized(load: Loader) -> None:
    loaded = load(env={"DATABASE_URL": "postgres://loka:pw@db:5432/loka"})
    assert loaded.settings.database.url == "postgresql+asyncpg://loka:pw@db:5432/loka"
    assert loaded.provenance["database.url"] == "env:DATABASE_URL"


def test_loka_database_url_wins_over_database_url(load: Loader) -> None:
    loaded = load(
        '[database]\nurl = "sqlite:///file.db"\n',
        {"DATABASE_URL": "postgresql://a@h/x", "LOKA_DATABASE__URL": "sqlite:///env.db"},
    )
    assert loaded.settings.database.url == "sqlite+aiosqlite:///env.db"
    assert loaded.provenance["database.url"] == "env:LOKA_DATABASE__URL"


def test_log_filter_env_precedence(load: Loader) -> None:
    rust = load(env={"RUST_LOG": "loka_stratum=debug,tower_http=debug"})
    assert rust.settings.logging.filter == "loka_stratum=debug,tower_http=debug"
    assert rust.provenance["logging.filter"] == "env:RUST_LOG"
    both = load(env={"RUST_LOG": "debug", "LOKA_LOG": "loka_stratum::protocol=trace"})
    assert both.settings.logging.filter == "loka_stratum::protocol=trace"
    explicit = load(env={"LOKA_LOG": "debug", "LOKA_LOGGING__FILTER": "warn"})
    assert explicit.provenance["logging.filter"] == "env:LOKA_LOGGING__FILTER"


def test_loka_config_and_loka_log_are_not_unknown_keys(load: Loader) -> None:
    loaded = load(env={"LOKA_CONFIG": "/nowhere.toml", "LOKA_LOG": "info"})
    assert loaded.settings.server.port == 3333


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("LOKA_SERVR__PORT", "LOKA_SERVR__PORT: unknown setting (did you mean LOKA_SERVER__PORT?)"),
        ("LOKA_SERVER_PORT", "LOKA_SERVER_PORT: unknown setting (did you mean LOKA_SERVER__PORT?)"),
        ("LOKA_NOTHING_LIKE_IT", "LOKA_NOTHING_LIKE_IT: unknown setting"),
        (
            "LOKA_SERVER",
            "LOKA_SERVER: names the [server] section; set its keys as LOKA_SERVER__<KEY>",
        ),
        (
            "LOKA_SERVER__PORT__X",
            "LOKA_SERVER__PORT__X: unknown setting (did you mean LOKA_SERVER__PORT?)",
        ),
    ],
)
def test_unknown_env_key_is_named(problems_of: ProblemsOf, name: str, expected: str) -> None:
    assert problems_of(env={name: "1"}) == [expected]


def test_unknown_file_keys_are_named_with_full_path(problems_of: ProblemsOf) -> None:
    problems = problems_of(
        """
        colour = "blue"
        [server]
        prot = 3333
        [[pool.upstreams]]
        name = "a"
        url = "stratum+tcp://h:3333"
        pasword = "x"
        [nosuch]
        a = 1
        """
    )
    assert sorted(problems) == [
        "colour: unknown key",
        "nosuch: unknown key",
        "pool.upstreams[0].pasword: unknown key (did you mean 'password'?)",
        "server.prot: unknown key (did you mean 'port'?)",
    ]


def test_field_errors_name_key_value_and_env_origin(problems_of: ProblemsOf) -> None:
    problems = problems_of(
        '[server]\nport = 70000\n[vardiff]\nenabled = "maybe"\n',
        {"LOKA_SERVER__IDLE_TIMEOUT": "soon"},
    )
    assert "server.port = 70000: Input should be less than or equal to 65535" in problems
    assert any(
        line.startswith('server.idle_timeout = "soon": invalid duration')
        and line.endswith("(from LOKA_SERVER__IDLE_TIMEOUT)")
        for line in problems
    )
    assert any(line.startswith('vardiff.enabled = "maybe": ') for line in problems)


def test_missing_required_key_in_table(problems_of: ProblemsOf) -> None:
    problems = problems_of("[[server.ports]]\nport = 3334\n")
    assert problems == ["server.ports[0].start_difficulty: required key missing"]


def test_env_problems_and_file_problems_are_reported_together(problems_of: ProblemsOf) -> None:
    problems = problems_of("[server]\nprot = 1\n", {"LOKA_X": "1"})
    assert problems == [
        "LOKA_X: unknown setting",
        "server.prot: unknown key (did you mean 'port'?)",
    ]


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(missing, {})
    assert caught.value.problems == (f"{missing}: file not found",)


def test_invalid_toml_names_the_file(problems_of: ProblemsOf) -> None:
    (problem,) = problems_of("[server\nport = 1\n")
    assert "loka-stratum.toml: invalid TOML:" in problem


def test_config_error_message_lists_problems() -> None:
    error = ConfigError(["a: one", "b: two"])
    assert str(error) == "a: one\nb: two"


def test_resolve_config_path_order(tmp_path: Path) -> None:
    explicit = tmp_path / "explicit.toml"
    assert resolve_config_path(explicit, {"LOKA_CONFIG": "env.toml"}, tmp_path) == explicit
    assert resolve_config_path(None, {"LOKA_CONFIG": "env.toml"}, tmp_path) == Path("env.toml")
    assert resolve_config_path(None, {}, tmp_path) is None
    (tmp_path / "loka-stratum.toml").write_text("", encoding="utf-8")
    assert resolve_config_path(None, {}, tmp_path) == tmp_path / "loka-stratum.toml"


@given(st.integers(min_value=1, max_value=65535).filter(lambda port: port not in (8080, 9090)))
def test_any_valid_port_from_env(port: int) -> None:
    loaded = load_config(None, {"LOKA_SERVER__PORT": str(port)})
    assert loaded.settings.server.port == port
    assert loaded.provenance["server.port"] == "env:LOKA_SERVER__PORT"
