"""Cross-field rules: each names the key path, the value and why."""

from __future__ import annotations

import pytest

from loka_stratum.config import (
    ConfigError,
    PoolSettings,
    Settings,
    StratumSettings,
    Upstream,
    VardiffSettings,
)

from .conftest import Loader, ProblemsOf

PROXY = """
mode = "proxy"
[pool]
username = "acct"
[[pool.upstreams]]
name = "main"
url = "stratum+tcp://pool.example.com:3333"
"""


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "[stratum]\nmin_difficulty = 2.0\nstart_difficulty = 1.0\n",
            "stratum.min_difficulty = 2.0: must not exceed start_difficulty (1.0)",
        ),
        (
            "[stratum]\nstart_difficulty = 10.0\nmax_difficulty = 5.0\n",
            "stratum.start_difficulty = 10.0: must not exceed max_difficulty (5.0)",
        ),
        (
            "[vardiff]\nmin_difficulty = 8.0\nmax_difficulty = 4.0\n",
            "vardiff.min_difficulty = 8.0: must not exceed max_difficulty (4.0)",
        ),
        (
            "[vardiff]\nmax_difficulty = 1e15\n",
            "vardiff.max_difficulty = 1000000000000000.0: outside "
            "stratum.min_difficulty..max_difficulty (0.0001..1099511627776.0)",
        ),
        (
            "[[server.ports]]\nport = 3334\nstart_difficulty = 0.00001\n",
            "server.ports[0].start_difficulty = 1e-05: outside stratum.min_difficulty.."
            "max_difficulty (0.0001..1099511627776.0)",
        ),
        (
            "[[server.ports]]\nport = 3333\nstart_difficulty = 1.0\n",
            "server.ports[0].port = 3333: already used by server.port",
        ),
        ("[http]\napi_port = 9090\n", "http.api_port = 9090: already used by http.health_port"),
        (
            '[stratum]\npayout_mode = "pool"\n[accounting]\nscheme = "pplns"\n',
            "stratum.pool_address = (unset): required when stratum.payout_mode = 'pool'",
        ),
        (
            '[accounting]\nscheme = "pplns"\n',
            "accounting.scheme = \"pplns\": does not fit stratum.payout_mode = 'solo' "
            "(solo goes with solo; pool with pplns or prop)",
        ),
        (
            '[bitcoind]\nnetwork = "main"\n',
            'bitcoind.network = "main": the embedded chain is regtest only',
        ),
        (
            '[bitcoind]\nsource = "bitcoind"\nnetwork = "main"\n'
            'rpc_cookie_file = "/c"\n[accounting]\nconfirmations = 10\n',
            "accounting.confirmations = 10: below coinbase maturity (100) on main",
        ),
        (
            '[bitcoind]\nsource = "bitcoind"\n',
            'bitcoind.source = "bitcoind": needs rpc_user/rpc_password or rpc_cookie_file',
        ),
        (
            '[bitcoind]\nrpc_user = "u"\n',
            'bitcoind.rpc_user = "u": rpc_user and rpc_password go together',
        ),
        (
            '[stratum]\npool_tag = "' + "x" * 80 + '"\nextranonce2_size = 16\n',
            'stratum.pool_tag = "' + "x" * 80 + '": coinbase scriptSig would be 106 bytes'
            " with the extranonces, over the 100-byte limit",
        ),
        (
            "[accounting]\nfee_percent = 1.0\n",
            "accounting.fee_percent = 1.0: a solo fee needs fee_address",
        ),
        (
            "[accounting]\nmin_payout_threshold = 2000000\n",
            "accounting.min_payout_threshold = 2000000: must not exceed payout_threshold (1000000)",
        ),
        (
            "[database]\nmin_connections = 30\n",
            "database.min_connections = 30: must not exceed max_connections (20)",
        ),
        (
            '[pool]\nreconnect_backoff_min = "2m"\n',
            "pool.reconnect_backoff_min = 120.0: must not exceed reconnect_backoff_max (60.0)",
        ),
        (
            '[server]\ntls_cert_file = "/c.pem"\n',
            'server.tls_cert_file = "/c.pem": '
            "tls_cert_file and tls_key_file must be given together",
        ),
        (
            "[[server.ports]]\nport = 3334\nstart_difficulty = 1.0\ntls = true\n",
            "server.ports[0].tls = true: needs tls_cert_file and tls_key_file",
        ),
        (
            PROXY.replace('username = "acct"', ""),
            "pool.upstreams[0].username = (unset): aggregate mode needs a username here or in "
            "pool.username",
        ),
        (
            PROXY + '[[pool.upstreams]]\nname = "main"\nurl = "stratum+ssl://[::1]:443"\n',
            'pool.upstreams[1].name = "main": duplicate',
        ),
    ],
)
def test_rule_violation_is_reported(problems_of: ProblemsOf, toml: str, expected: str) -> None:
    assert expected in problems_of(toml)


def test_valid_proxy_config_loads(load: Loader) -> None:
    settings = load(PROXY).settings
    upstream = settings.pool.upstreams[0]
    assert (upstream.host, upstream.port, upstream.tls) == ("pool.example.com", 3333, False)


def test_a_proxy_may_keep_its_upstreams_in_the_pools_table_only(load: Loader) -> None:
    """No upstream in the file loads; `start --dry-run` checks the merged list."""
    settings = load('mode = "proxy"\n[pool]\nusername = "acct"\n').settings
    assert settings.pool.upstreams == ()


def test_pool_payout_mode_with_address_and_pplns_loads(load: Loader) -> None:
    settings = load(
        '[stratum]\npayout_mode = "pool"\npool_address = "bcrt1qexample"\n'
        '[accounting]\nscheme = "pplns"\nfee_percent = 1.0\n'
    ).settings
    assert settings.accounting.fee_percent == 1.0


def test_ports_zero_may_repeat(load: Loader) -> None:
    """Port 0 asks the OS for a free port, so tests can run every listener on it."""
    settings = load("[server]\nport = 0\n[http]\nhealth_port = 0\napi_port = 0\n").settings
    assert settings.http.api_port == 0


def test_disabled_api_port_does_not_conflict(load: Loader) -> None:
    assert load("[http]\napi_enabled = false\napi_port = 3333\n").settings.http.api_port == 3333


@pytest.mark.parametrize(
    ("url", "host", "port", "tls"),
    [
        ("stratum+tcp://pool.example.com:3333", "pool.example.com", 3333, False),
        ("stratum+ssl://pool.example.com:443", "pool.example.com", 443, True),
        ("stratum+tcp://[::1]:3333", "::1", 3333, False),
        ("stratum+tcp://10.0.0.1:4444/", "10.0.0.1", 4444, False),
    ],
)
def test_upstream_urls(url: str, host: str, port: int, tls: bool) -> None:
    upstream = Upstream(name="u", url=url)
    assert (upstream.host, upstream.port, upstream.tls) == (host, port, tls)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://pool.example.com:3333", "scheme must be one of"),
        ("stratum+tcp://pool.example.com", "expected host and port"),
        ("stratum+tcp://pool.example.com:0", "expected host and port"),
        ("stratum+tcp://pool.example.com:70000", "port must be a number"),
        ("stratum+tcp://user:pw@pool.example.com:3333", "credentials"),
        ("stratum+tcp://pool.example.com:3333/path", "only host and port"),
        ("stratum+tcp://[::1:3333", "not a URL (Invalid IPv6 URL)"),
    ],
)
def test_bad_upstream_urls(problems_of: ProblemsOf, url: str, why: str) -> None:
    (line,) = problems_of(f'[[pool.upstreams]]\nname = "u"\nurl = "{url}"\n')
    assert line.startswith(f'pool.upstreams[0].url = "{url}": ')
    assert why in line


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("postgresql://u:p@h:5432/d", "postgresql+asyncpg://u:p@h:5432/d"),
        ("postgres://u:p@h/d", "postgresql+asyncpg://u:p@h/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("sqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_urls_are_normalized(load: Loader, url: str, normalized: str) -> None:
    assert load(env={"DATABASE_URL": url}).settings.database.url == normalized


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("mysql://u:topsecret@h/d", "unsupported database URL scheme 'mysql'"),
        ("sqlite://", "in-memory SQLite"),
        ("sqlite:///:memory:", "in-memory SQLite"),
        ("just-a-path.db", "unsupported database URL scheme"),
    ],
)
def test_bad_database_urls(problems_of: ProblemsOf, url: str, why: str) -> None:
    (line,) = problems_of(env={"DATABASE_URL": url})
    assert line.startswith("database.url = ")
    assert why in line
    assert line.endswith("(from DATABASE_URL)")
    assert "topsecret" not in line


@pytest.mark.parametrize(
    "text", ["debug", "loka_stratum=debug,tower_http=debug", "loka_stratum::protocol=trace", "OFF"]
)
def test_log_filters_in_manual_syntax(load: Loader, text: str) -> None:
    assert load(env={"RUST_LOG": text}).settings.logging.filter == text


def test_bad_log_filter(problems_of: ProblemsOf) -> None:
    (line,) = problems_of(env={"LOKA_LOG": "loka_stratum=loud"})
    assert "invalid directive 'loka_stratum=loud'" in line
    assert line.endswith("(from LOKA_LOG)")


def test_short_admin_token_is_refused_without_echoing_it(problems_of: ProblemsOf) -> None:
    (line,) = problems_of(env={"LOKA_HTTP__ADMIN_TOKEN": "tooshort"})
    assert line == (
        'http.admin_token = "********": must be at least 16 characters '
        "(from LOKA_HTTP__ADMIN_TOKEN)"
    )


def test_settings_built_in_code_keep_the_same_rules() -> None:
    """Rules live in the models, so settings built by the app or tests are checked too."""
    with pytest.raises(ValueError, match="min_difficulty"):
        StratumSettings(min_difficulty=2.0, start_difficulty=1.0)
    with pytest.raises(ValueError, match="aggregate mode needs a username"):
        Settings(
            mode="proxy",
            pool=PoolSettings(upstreams=(Upstream(name="a", url="stratum+tcp://h:1"),)),
        )
    with pytest.raises(ValueError, match="frozen"):
        VardiffSettings().enabled = False


def test_config_error_is_the_only_exception(load: Loader) -> None:
    with pytest.raises(ConfigError):
        load("mode = 5\n")
