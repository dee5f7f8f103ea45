"""``[accounting]``: how found blocks turn into balances and payments (pool mode)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from loka_stratum.config.errors import problem, raise_problems
from loka_stratum.config.types import PositiveDuration

DUST_SATOSHIS = 546
"""Outputs below this are non-standard; no payout may be smaller."""
COINBASE_MATURITY = 100


class AccountingSettings(BaseModel):
    """Payout scheme, fee, thresholds and the payment runner."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scheme: Literal["solo", "pplns", "prop"] = Field(
        default="solo",
        description=(
            "solo: the finder's coinbase pays the finder (stratum.payout_mode = 'solo'); "
            "pplns: the last N shares share the reward; prop: shares of the round share it."
        ),
    )
    pplns_n: float = Field(
        default=2.0,
        gt=0,
        description="PPLNS window as a multiple of the network difficulty in share difficulty.",
    )
    fee_percent: float = Field(
        default=0.0,
        ge=0,
        lt=100,
        description="Pool fee in percent of each block reward (solo: a coinbase output to "
        "fee_address).",
    )
    fee_address: str | None = Field(
        default=None,
        description="Address receiving the fee; required for a solo fee.",
        examples=["bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"],
    )
    payout_threshold: int = Field(
        default=1_000_000,
        ge=DUST_SATOSHIS,
        description="Balance in satoshis at which a miner is paid, unless they chose another.",
    )
    min_payout_threshold: int = Field(
        default=100_000,
        ge=DUST_SATOSHIS,
        description="Lowest threshold in satoshis a miner may choose for themselves.",
    )
    confirmations: int = Field(
        default=COINBASE_MATURITY,
        ge=1,
        description="Confirmations before a block's reward is credited (coinbase maturity is 100).",
    )
    payment_interval: PositiveDuration = Field(
        default=3600.0, description="How often due balances are paid."
    )
    payments_enabled: bool = Field(
        default=False,
        description="Send payments automatically; off = credit balances only "
        "(pay with 'loka-stratum payments process --manual').",
    )

    @model_validator(mode="after")
    def _check(self) -> AccountingSettings:
        problems = []
        if self.min_payout_threshold > self.payout_threshold:
            problems.append(
                problem(
                    "min_payout_threshold",
                    self.min_payout_threshold,
                    f"must not exceed payout_threshold ({self.payout_threshold})",
                )
            )
        if self.scheme == "solo" and self.fee_percent > 0 and self.fee_address is None:
            problems.append(
                problem("fee_percent", self.fee_percent, "a solo fee needs fee_address")
            )
        raise_problems(problems)
        return self
