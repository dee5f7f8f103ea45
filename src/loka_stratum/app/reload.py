"""SIGHUP: read the config again and apply what can change while miners stay connected.

A reload compares every key of the new settings with the running ones. Keys in
`LIVE_KEYS` (limits, vardiff, start difficulties and bounds, timeouts, the log
filter, the admin token, the upstream list) are applied at once; every other changed key
(ports, hosts, database, mode, work source, extranonce sizes, payout mode, ...)
is reported as "restart required" and keeps its running value, so the settings
the app exposes (`app.settings`, read by the HTTP surfaces) always describe what
actually runs. Unknown or new keys default to restart: nothing is claimed live
that is not applied. An invalid file is rejected as a whole and nothing changes.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from pydantic import BaseModel
from sqlalchemy.engine import make_url

from loka_stratum.config import ConfigError, PoolSettings, Settings, load_config
from loka_stratum.config.loader import LEAVES
from loka_stratum.mining.vardiff import VardiffPolicy
from loka_stratum.observability.loggers import get_logger
from loka_stratum.server.policy import SessionPolicy

log = get_logger("loka_stratum.app.reload")

LIVE_KEYS: Final = (
    "limiter.*",
    "vardiff.*",
    "stratum.start_difficulty",
    "stratum.min_difficulty",
    "stratum.max_difficulty",
    "stratum.version_mask",
    "server.handshake_timeout",
    "server.idle_timeout",
    "server.max_connections",
    "server.max_line_length",
    "server.write_buffer_high_water",
    "logging.level",
    "logging.filter",
    "http.admin_token",
    "pool.*",
    "performance.report_interval",
)
"""Patterns of keys a reload applies live; every other key needs a restart."""


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """The dotted keys whose values differ, split by whether a reload applies them."""

    live: tuple[str, ...] = ()
    restart: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.live and not self.restart


def is_live(key: str) -> bool:
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in LIVE_KEYS)


def leaf_value(settings: BaseModel, path: tuple[str, ...]) -> Any:
    value: Any = settings
    for part in path:
        value = getattr(value, part)
    return value


def ports_shape(settings: Settings) -> list[tuple[int, str | None, bool]]:
    """The extra ports without their start difficulties: what binding them depends on."""
    return [(extra.port, extra.name, extra.tls) for extra in settings.server.ports]


def diff_settings(old: Settings, new: Settings) -> ConfigChange:
    """Every leaf key (`server.port`, `pool.upstreams`, ...) whose value changed, classified.

    `server.ports` is live when only start difficulties changed; new ports need a restart.
    """
    changed = [
        leaf.dotted for leaf in LEAVES if leaf_value(old, leaf.path) != leaf_value(new, leaf.path)
    ]

    def live(key: str) -> bool:
        if key == "server.ports":
            return ports_shape(old) == ports_shape(new)
        return is_live(key)

    return ConfigChange(
        live=tuple(key for key in changed if live(key)),
        restart=tuple(key for key in changed if not live(key)),
    )


def with_value(model: BaseModel, path: tuple[str, ...], value: object) -> Any:
    """A copy of the frozen `model` with the key at `path` set to `value`."""
    head, *rest = path
    inner = value if not rest else with_value(getattr(model, head), tuple(rest), value)
    return model.model_copy(update={head: inner})


def effective_settings(running: Settings, loaded: Settings, change: ConfigChange) -> Settings:
    """`loaded`, with every restart-only key kept at its `running` value."""
    effective = loaded
    for leaf in LEAVES:
        if leaf.dotted in change.restart:
            effective = with_value(effective, leaf.path, leaf_value(running, leaf.path))
    return effective


def config_secrets(settings: Settings) -> list[str]:
    """Every secret value in `settings`, for the log redactor to mask wherever it appears."""
    secrets = [settings.bitcoind.rpc_password, settings.http.admin_token, settings.pool.password]
    secrets += [upstream.password for upstream in settings.pool.upstreams]
    values = [secret.get_secret_value() for secret in secrets if secret is not None]
    values.append(make_url(settings.database.url).password or "")
    return [value for value in values if value]


def log_filter_spec(settings: Settings) -> str:
    """The filter `configure_logging` builds at start: the level, then the directives."""
    return f"{settings.logging.level},{settings.logging.filter or ''}"


def apply_policy(context: PolicyHolder, policy: SessionPolicy) -> int:
    """Hand connected sessions a new policy; returns the sessions whose difficulty moved.

    Sessions read the policy through the context, so limits and timeouts apply at once.
    Each session's vardiff follows the new bounds; a miner whose difficulty fell outside
    them is sent the bounded one.
    """
    context.set_policy(policy)
    moved = 0
    for session in list(context.sessions):
        change = session.vardiff.set_policy(policy.vardiff)
        if change is not None:
            session._change_difficulty(change)  # the session's own path to the miner
            moved += 1
    return moved


class _Vardiff(Protocol):
    def set_policy(self, policy: VardiffPolicy) -> float | None: ...


class _Session(Protocol):
    @property
    def vardiff(self) -> _Vardiff: ...

    def _change_difficulty(self, difficulty: float) -> None: ...


class PolicyHolder(Protocol):
    def set_policy(self, normal: SessionPolicy) -> None: ...

    @property
    def sessions(self) -> Iterable[_Session]: ...


class Reloadable(Protocol):
    """An app a reload can steer: its settings, and a hook that applies new ones."""

    @property
    def settings(self) -> Settings: ...

    def apply_settings(self, settings: Settings) -> None: ...


class LogControl(Protocol):
    def set_filter(self, spec: str) -> object: ...

    def register_secret(self, value: str) -> None: ...


class Reloader:
    """What SIGHUP runs: load, compare, apply the live part, report the rest."""

    def __init__(
        self,
        app: Reloadable,
        config_path: Path | None,
        env: Mapping[str, str],
        logs: LogControl | None = None,
    ) -> None:
        self.app = app
        self.config_path = config_path
        self.env = env
        self.logs = logs

    def reload(self) -> ConfigChange | None:
        """Apply the file as it is now; None when it is invalid (the running config stays)."""
        try:
            loaded = load_config(self.config_path, self.env).settings
        except ConfigError as exc:
            log.error("Configuration rejected", error_type="invalid_config", problems=exc.problems)
            return None
        running = self.app.settings
        change = diff_settings(running, loaded)
        if change.empty:
            log.info("Configuration reloaded", changed=[], restart_required=[])
            return change
        effective = effective_settings(running, loaded, change)
        self._apply(running, effective, change)
        if change.restart:
            log.warning(
                "Configuration change needs a restart",
                error_type="restart_required",
                keys=list(change.restart),
            )
        log.info(
            "Configuration reloaded",
            changed=list(change.live),
            restart_required=list(change.restart),
        )
        return change

    def _apply(self, running: Settings, effective: Settings, change: ConfigChange) -> None:
        if self.logs is not None:
            for secret in config_secrets(effective):
                self.logs.register_secret(secret)  # before anything logs the new values
            if log_filter_spec(effective) != log_filter_spec(running):
                self.logs.set_filter(log_filter_spec(effective))
        self.app.apply_settings(effective)
        if any(key.startswith("pool.") for key in change.live):
            self._apply_upstreams(effective.pool)

    def _apply_upstreams(self, pool: PoolSettings) -> None:
        hook = getattr(self.app, "apply_upstreams", None)
        if hook is not None:
            hook(pool)
