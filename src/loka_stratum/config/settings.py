"""The whole configuration, and the rules that span sections.

Rules that only concern one section live in that section's model; here are
those that need two: ports shared between listeners, difficulty bounds, what
each mode requires. Proxy mode ignores the pool-only sections, so their
cross-section rules apply in pool mode only.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from loka_stratum.config.accounting import COINBASE_MATURITY, AccountingSettings
from loka_stratum.config.database import DatabaseSettings
from loka_stratum.config.errors import problem, raise_problems
from loka_stratum.config.federation import FederationSettings
from loka_stratum.config.ops import HttpSettings, LimiterSettings
from loka_stratum.config.proxy import PoolSettings
from loka_stratum.config.server import ServerSettings
from loka_stratum.config.stratum import StratumSettings, VardiffSettings
from loka_stratum.config.telemetry import LoggingSettings, PerformanceSettings
from loka_stratum.config.work import BitcoindSettings, EmbeddedSettings


class Settings(BaseModel):
    """loka-stratum configuration (loka-stratum.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["pool", "proxy"] = Field(
        default="pool",
        description="pool: build work from [bitcoind] and pay miners; "
        "proxy: forward miners' work to the [pool] upstreams.",
    )
    server: ServerSettings = Field(default_factory=ServerSettings)
    stratum: StratumSettings = Field(default_factory=StratumSettings)
    vardiff: VardiffSettings = Field(default_factory=VardiffSettings)
    bitcoind: BitcoindSettings = Field(default_factory=BitcoindSettings)
    embedded: EmbeddedSettings = Field(default_factory=EmbeddedSettings)
    pool: PoolSettings = Field(default_factory=PoolSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    limiter: LimiterSettings = Field(default_factory=LimiterSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    performance: PerformanceSettings = Field(default_factory=PerformanceSettings)
    accounting: AccountingSettings = Field(default_factory=AccountingSettings)
    federation: FederationSettings = Field(default_factory=FederationSettings)

    @model_validator(mode="after")
    def _check(self) -> Settings:
        problems = [*self._port_problems(), *self._difficulty_problems()]
        problems += self._pool_problems() if self.mode == "pool" else self._proxy_problems()
        raise_problems(problems)
        return self

    def _port_problems(self) -> list[str]:
        listeners = [("server.port", self.server.port), ("http.health_port", self.http.health_port)]
        listeners += [(f"server.ports[{i}].port", p.port) for i, p in enumerate(self.server.ports)]
        if self.http.api_enabled:
            listeners.append(("http.api_port", self.http.api_port))
        if self.federation.enabled:
            listeners.append(("federation.port", self.federation.port))
        owner: dict[int, str] = {}
        problems = []
        for key, port in listeners:
            if port and port in owner:
                problems.append(problem(key, port, f"already used by {owner[port]}"))
            owner.setdefault(port, key)
        return problems

    def _difficulty_problems(self) -> list[str]:
        low, high = self.stratum.min_difficulty, self.stratum.max_difficulty
        bounds = f"outside stratum.min_difficulty..max_difficulty ({low}..{high})"
        checks: list[tuple[str, float | None]] = [
            (f"server.ports[{i}].start_difficulty", p.start_difficulty)
            for i, p in enumerate(self.server.ports)
        ]
        checks += [
            ("vardiff.min_difficulty", self.vardiff.min_difficulty),
            ("vardiff.max_difficulty", self.vardiff.max_difficulty),
        ]
        return [
            problem(key, value, bounds)
            for key, value in checks
            if value is not None and not low <= value <= high
        ]

    def _pool_problems(self) -> list[str]:
        problems = []
        stratum, bitcoind = self.stratum, self.bitcoind
        if stratum.payout_mode == "pool" and not stratum.pool_address:
            problems.append(
                problem("stratum.pool_address", None, "required when stratum.payout_mode = 'pool'")
            )
        if (stratum.payout_mode == "solo") != (self.accounting.scheme == "solo"):
            problems.append(
                problem(
                    "accounting.scheme",
                    self.accounting.scheme,
                    f"does not fit stratum.payout_mode = '{stratum.payout_mode}' "
                    "(solo goes with solo; pool with pplns or prop)",
                )
            )
        if bitcoind.source == "embedded" and bitcoind.network != "regtest":
            problems.append(
                problem("bitcoind.network", bitcoind.network, "the embedded chain is regtest only")
            )
        if bitcoind.network == "main" and self.accounting.confirmations < COINBASE_MATURITY:
            problems.append(
                problem(
                    "accounting.confirmations",
                    self.accounting.confirmations,
                    f"below coinbase maturity ({COINBASE_MATURITY}) on main",
                )
            )
        return problems

    def _proxy_problems(self) -> list[str]:
        # No upstream in the file is fine: they may live in the pools table
        # (`loka-stratum pools add`); `start --dry-run` checks the merged list.
        enabled = [(i, u) for i, u in enumerate(self.pool.upstreams) if u.enabled]
        if self.pool.proxy_mode != "aggregate":
            return []
        return [
            problem(
                f"pool.upstreams[{i}].username",
                None,
                "aggregate mode needs a username here or in pool.username",
            )
            for i, upstream in enabled
            if upstream.username is None and not self.pool.username
        ]
