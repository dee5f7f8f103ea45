"""Typed settings: models, loading with env overrides and provenance, generation, display.

    loaded = load_config(resolve_config_path(option, os.environ, Path.cwd()), os.environ)
    loaded.settings.server.port          # validated, frozen
    loaded.provenance["server.port"]     # "default" | "file" | "env:LOKA_SERVER__PORT"

Everything that goes wrong is one ``ConfigError`` whose ``problems`` name the
key path, the value and why.
"""

from loka_stratum.config.accounting import AccountingSettings
from loka_stratum.config.database import DatabaseSettings, mask_url_password
from loka_stratum.config.env import ENV_ALIASES, NON_CONFIG_ENV
from loka_stratum.config.errors import ConfigError
from loka_stratum.config.generate import generate_config
from loka_stratum.config.loader import (
    CONFIG_PATH_ENV,
    DEFAULT_CONFIG_FILE,
    LoadedConfig,
    load_config,
    resolve_config_path,
)
from loka_stratum.config.ops import HttpSettings, LimiterSettings
from loka_stratum.config.proxy import PoolSettings, Upstream
from loka_stratum.config.server import ExtraPort, ServerSettings
from loka_stratum.config.settings import Settings
from loka_stratum.config.show import show_config
from loka_stratum.config.stratum import StratumSettings, VardiffSettings
from loka_stratum.config.telemetry import LoggingSettings, PerformanceSettings
from loka_stratum.config.types import ByteSize, Duration, VersionMask
from loka_stratum.config.work import RPC_PORTS, BitcoindSettings, EmbeddedSettings

__all__ = [
    "CONFIG_PATH_ENV",
    "DEFAULT_CONFIG_FILE",
    "ENV_ALIASES",
    "NON_CONFIG_ENV",
    "RPC_PORTS",
    "AccountingSettings",
    "BitcoindSettings",
    "ByteSize",
    "ConfigError",
    "DatabaseSettings",
    "Duration",
    "EmbeddedSettings",
    "ExtraPort",
    "HttpSettings",
    "LimiterSettings",
    "LoadedConfig",
    "LoggingSettings",
    "PerformanceSettings",
    "PoolSettings",
    "ServerSettings",
    "Settings",
    "StratumSettings",
    "Upstream",
    "VardiffSettings",
    "VersionMask",
    "generate_config",
    "load_config",
    "mask_url_password",
    "resolve_config_path",
    "show_config",
]
