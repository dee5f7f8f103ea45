"""Config reload: which keys change live, what the app is handed, what is logged."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from loka_stratum.app.pool import PoolApp
from loka_stratum.app.reload import (
    ConfigChange,
    Reloader,
    apply_policy,
    config_secrets,
    diff_settings,
    effective_settings,
    is_live,
)
from loka_stratum.app.sources import build_source
from loka_stratum.bitcoin.network import network_by_name
from loka_stratum.config import PoolSettings, Settings, load_config
from loka_stratum.config.loader import LEAVES
from loka_stratum.mining.vardiff import Vardiff, VardiffPolicy
from loka_stratum.observability.metrics import Metrics
from loka_stratum.server.bans import BanList
from loka_stratum.server.policy import SessionPolicy
from loka_stratum.server.session import StratumSession

TOKEN = "an-admin-token-of-some-length"
BASE = """
[server]
port = 3333
idle_timeout = "10m"

[stratum]
start_difficulty = 1.0
min_difficulty = 0.001

[limiter]
connections = 10
"""


def load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "loka-stratum.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, {}).settings


def test_no_change_is_empty() -> None:
    assert diff_settings(Settings(), Settings()) == ConfigChange()
    assert ConfigChange().empty


def test_live_and_restart_keys_are_told_apart(tmp_path: Path) -> None:
    old = load(tmp_path, BASE)
    new = load(
        tmp_path,
        BASE.replace("port = 3333", "port = 3334")
        .replace('"10m"', '"5m"')
        .replace("connections = 10", "connections = 2")
        + f'\n[http]\nadmin_token = "{TOKEN}"\n[vardiff]\ntarget_share_interval = "5s"\n'
        + '[database]\nurl = "sqlite:///other.db"\n',
    )
    change = diff_settings(old, new)
    assert set(change.live) == {
        "server.idle_timeout",
        "limiter.connections",
        "http.admin_token",
        "vardiff.target_share_interval",
    }
    assert set(change.restart) == {"server.port", "database.url"}


@pytest.mark.parametrize(
    "key",
    [
        "mode",
        "server.host",
        "server.port",
        "server.ports",
        "http.health_port",
        "http.api_port",
        "database.url",
        "bitcoind.source",
        "bitcoind.rpc_url",
        "stratum.extranonce1_size",
        "stratum.extranonce2_size",
        "stratum.payout_mode",
        "stratum.pool_address",
        "logging.file",
    ],
)
def test_keys_bound_at_start_need_a_restart(key: str) -> None:
    assert not is_live(key)


@pytest.mark.parametrize(
    "key",
    [
        "limiter.connections",
        "limiter.ban_threshold",
        "limiter.ban_duration",
        "vardiff.enabled",
        "vardiff.max_difficulty",
        "stratum.min_difficulty",
        "stratum.max_difficulty",
        "server.handshake_timeout",
        "server.idle_timeout",
        "logging.filter",
        "logging.level",
        "http.admin_token",
        "pool.upstreams",
        "performance.report_interval",
    ],
)
def test_limits_vardiff_timeouts_filter_token_and_upstreams_are_live(key: str) -> None:
    assert is_live(key)


def test_every_pattern_names_real_keys() -> None:
    from loka_stratum.app.reload import LIVE_KEYS

    keys = [leaf.dotted for leaf in LEAVES]
    for pattern in LIVE_KEYS:
        assert any(is_live(key) and key.startswith(pattern.rstrip("*")) for key in keys), pattern


def test_effective_settings_keep_restart_keys_at_their_running_values(tmp_path: Path) -> None:
    old = load(tmp_path, BASE)
    new = load(tmp_path, BASE.replace("port = 3333", "port = 4000").replace('"10m"', '"1m"'))
    effective = effective_settings(old, new, diff_settings(old, new))
    assert effective.server.port == 3333
    assert effective.server.idle_timeout == 60.0
    assert diff_settings(old, effective).restart == ()


def test_config_secrets_cover_token_rpc_and_database_passwords(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        BASE
        + f'[http]\nadmin_token = "{TOKEN}"\n'
        + '[bitcoind]\nrpc_user = "rpc"\nrpc_password = "rpc-secret-1"\n'
        + '[database]\nurl = "postgresql://loka:db-secret-2@localhost/loka"\n',
    )
    assert set(config_secrets(settings)) >= {TOKEN, "rpc-secret-1", "db-secret-2"}


@dataclass
class FakeApp:
    settings: Settings
    applied: list[Settings] = field(default_factory=list)

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.applied.append(settings)


@dataclass
class ProxyLikeApp(FakeApp):
    upstreams: list[PoolSettings] = field(default_factory=list)

    def apply_upstreams(self, pool: PoolSettings) -> None:
        self.upstreams.append(pool)


@dataclass
class FakeLogs:
    filters: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    def set_filter(self, spec: str) -> None:
        self.filters.append(spec)

    def register_secret(self, value: str) -> None:
        self.secrets.append(value)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "loka-stratum.toml"
    path.write_text(BASE, encoding="utf-8")
    return path


def test_invalid_file_is_rejected_and_the_running_config_stays(config: Path) -> None:
    app = FakeApp(load_config(config, {}).settings)
    running = app.settings
    config.write_text(BASE + "\n[limiter]\nconnections = -1\n", encoding="utf-8")
    with capture_logs() as events:
        assert Reloader(app, config, {}).reload() is None
    assert app.settings is running and app.applied == []
    (event,) = [e for e in events if e["event"] == "Configuration rejected"]
    assert event["log_level"] == "error" and event["error_type"] == "invalid_config"
    assert event["problems"]


def test_reload_applies_live_keys_and_reports_restart_keys(config: Path) -> None:
    app = FakeApp(load_config(config, {}).settings)
    logs = FakeLogs()
    config.write_text(
        BASE.replace("connections = 10", "connections = 3").replace("port = 3333", "port = 3400")
        + '\n[logging]\nfilter = "loka_stratum.server=debug"\n'
        + f'[http]\nadmin_token = "{TOKEN}"\n',
        encoding="utf-8",
    )
    with capture_logs() as events:
        change = Reloader(app, config, {}, logs).reload()
    assert change is not None
    assert app.settings.limiter.connections == 3
    assert app.settings.server.port == 3333
    token = app.settings.http.admin_token
    assert token is not None and token.get_secret_value() == TOKEN
    assert logs.filters == ["info,loka_stratum.server=debug"]
    assert TOKEN in logs.secrets
    reloaded = next(e for e in events if e["event"] == "Configuration reloaded")
    assert set(reloaded["changed"]) == {"limiter.connections", "logging.filter", "http.admin_token"}
    assert reloaded["restart_required"] == ["server.port"]
    restart = next(e for e in events if e["event"] == "Configuration change needs a restart")
    assert restart["keys"] == ["server.port"] and restart["error_type"] == "restart_required"


def test_the_upstream_hook_is_called_when_the_pool_section_changes(config: Path) -> None:
    app = ProxyLikeApp(load_config(config, {}).settings)
    config.write_text(BASE + '\n[pool]\nusername = "acct"\n', encoding="utf-8")
    Reloader(app, config, {}).reload()
    assert [pool.username for pool in app.upstreams] == ["acct"]
    Reloader(app, config, {}).reload()  # unchanged: no second call
    assert len(app.upstreams) == 1


def test_an_app_without_the_upstream_hook_just_stores_the_section(config: Path) -> None:
    app = FakeApp(load_config(config, {}).settings)
    config.write_text(BASE + '\n[pool]\nusername = "acct"\n', encoding="utf-8")
    Reloader(app, config, {}).reload()
    assert app.settings.pool.username == "acct"


@dataclass(eq=False)
class FakeSession:
    vardiff: Vardiff
    sent: list[float] = field(default_factory=list)

    def _change_difficulty(self, difficulty: float) -> None:
        self.sent.append(difficulty)


@dataclass
class FakeContext:
    policy: SessionPolicy
    bans: BanList
    sessions: set[FakeSession] = field(default_factory=set)

    def set_policy(self, normal: SessionPolicy) -> None:  # as ServerContext, in normal mode
        self.policy = normal
        self.bans.duration = normal.ban_duration


def policy(min_difficulty: float, max_difficulty: float, ban: float = 600.0) -> SessionPolicy:
    return SessionPolicy(
        network=network_by_name("regtest"),
        solo=True,
        vardiff=VardiffPolicy(min_difficulty=min_difficulty, max_difficulty=max_difficulty),
        ban_duration=ban,
    )


def test_connected_sessions_follow_new_bounds() -> None:
    old = policy(0.001, 1000.0)
    inside = FakeSession(Vardiff(old.vardiff, 10.0, 0.0))
    above = FakeSession(Vardiff(old.vardiff, 500.0, 0.0))
    context = FakeContext(old, BanList(old.ban_duration), {inside, above})
    new = policy(0.001, 100.0, ban=30.0)
    assert apply_policy(context, new) == 1
    assert context.policy is new and context.bans.duration == 30.0
    assert above.sent == [100.0] and above.vardiff.difficulty == 100.0
    assert inside.sent == [] and inside.vardiff.policy is new.vardiff


def test_vardiff_set_policy_reports_only_a_moved_difficulty() -> None:
    vardiff = Vardiff(VardiffPolicy(min_difficulty=1.0), 4.0, 0.0)
    assert vardiff.set_policy(VardiffPolicy(min_difficulty=2.0)) is None
    assert vardiff.set_policy(VardiffPolicy(min_difficulty=8.0)) == 8.0
    assert vardiff.difficulty == 8.0


PORTS = """
[[server.ports]]
port = 3334
start_difficulty = 4.0
name = "asic"
"""


def test_extra_port_start_difficulty_is_live_but_a_new_port_is_not(tmp_path: Path) -> None:
    old = load(tmp_path, BASE + PORTS)
    harder = load(tmp_path, BASE + PORTS.replace("4.0", "8.0"))
    moved = load(tmp_path, BASE + PORTS.replace("3334", "3335"))
    assert diff_settings(old, harder) == ConfigChange(live=("server.ports",))
    assert diff_settings(old, moved) == ConfigChange(restart=("server.ports",))


def test_pool_app_starts_new_sessions_at_the_reloaded_difficulty(tmp_path: Path) -> None:
    database = f'[database]\nurl = "sqlite:///{tmp_path}/p.db"\njournal_dir = "{tmp_path}/j"\n'
    settings = load(tmp_path, BASE + database)
    metrics = Metrics(CollectorRegistry(), version="test", mode="pool")
    app = PoolApp(settings, build_source(settings, metrics), metrics)
    app.server.bound[3333] = 40000  # as if bound
    stratum = settings.stratum.model_copy(update={"start_difficulty": 2.0})
    app.apply_settings(settings.model_copy(update={"stratum": stratum}))
    session = app.server._session_factory(40000, 1.0)  # what the listener calls on accept
    assert isinstance(session, StratumSession) and session.vardiff.difficulty == 2.0
    assert app.settings.stratum.start_difficulty == 2.0
