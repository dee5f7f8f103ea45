"""``[stratum]`` and ``[vardiff]``: the work miners receive and how hard it is."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from loka_stratum.config.errors import problem, raise_problems
from loka_stratum.config.server import Difficulty
from loka_stratum.config.types import BIP320_MASK, Duration, PositiveDuration, VersionMask

SCRIPT_SIG_LIMIT = 100
"""Consensus cap on the coinbase scriptSig, in bytes."""
SCRIPT_SIG_FIXED = 6
"""BIP34 height push (up to 5 bytes) plus the push opcode in front of the pool tag."""


class StratumSettings(BaseModel):
    """Stratum V1 parameters shared by every port, and who the coinbase pays."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_difficulty: Difficulty = Field(
        default=0.001,
        description="Difficulty a new session on the main port starts at.",
    )
    min_difficulty: Difficulty = Field(
        default=0.0001,
        description=(
            "Lowest share difficulty ever assigned (also caps mining.suggest_difficulty); "
            "fractions let CPU test miners find shares."
        ),
    )
    max_difficulty: Difficulty = Field(
        default=float(2**40),
        description="Highest share difficulty ever assigned.",
    )
    extranonce1_size: int = Field(
        default=4, ge=1, le=8, description="Bytes of extranonce1: the per-session prefix we assign."
    )
    extranonce2_size: int = Field(
        default=4, ge=2, le=16, description="Bytes of extranonce2: the part the miner rolls."
    )
    version_mask: VersionMask = Field(
        default=BIP320_MASK,
        description="Version bits miners may roll (BIP310 mining.configure, BIP320 bits), hex.",
    )
    pool_tag: str = Field(
        default="/loka-stratum/",
        description="Text written into every coinbase scriptSig (with the extranonces and the "
        "block height it must fit the 100-byte scriptSig limit).",
    )
    job_refresh_interval: PositiveDuration = Field(
        default=30.0,
        description="Send a fresh job (new ntime, latest template) at least this often.",
    )
    session_resume_window: Duration = Field(
        default=300.0,
        description=(
            "How long a disconnected session's extranonce1 is held so a reconnecting miner "
            "resumes with it (0 = no resumption)."
        ),
    )
    payout_mode: Literal["solo", "pool"] = Field(
        default="solo",
        description=(
            "solo: the username is ADDRESS[.worker] and a block's coinbase pays that address; "
            "pool: the coinbase pays pool_address and [accounting] shares it out."
        ),
    )
    pool_address: str | None = Field(
        default=None,
        description="Address the coinbase pays when payout_mode = 'pool' (checked against the "
        "network at start).",
        examples=["bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"],
    )
    ntime_future_limit: PositiveDuration = Field(
        default=7200.0,
        description="Reject shares whose ntime is further than this ahead of our clock.",
    )

    @model_validator(mode="after")
    def _check(self) -> StratumSettings:
        problems = []
        if self.min_difficulty > self.start_difficulty:
            problems.append(
                problem(
                    "min_difficulty",
                    self.min_difficulty,
                    f"must not exceed start_difficulty ({self.start_difficulty})",
                )
            )
        if self.start_difficulty > self.max_difficulty:
            problems.append(
                problem(
                    "start_difficulty",
                    self.start_difficulty,
                    f"must not exceed max_difficulty ({self.max_difficulty})",
                )
            )
        script_sig = (
            SCRIPT_SIG_FIXED
            + len(self.pool_tag.encode())
            + self.extranonce1_size
            + self.extranonce2_size
        )
        if script_sig > SCRIPT_SIG_LIMIT:
            problems.append(
                problem(
                    "pool_tag",
                    self.pool_tag,
                    f"coinbase scriptSig would be {script_sig} "
                    f"bytes with the extranonces, over the {SCRIPT_SIG_LIMIT}-byte limit",
                )
            )
        raise_problems(problems)
        return self


class VardiffSettings(BaseModel):
    """Variable difficulty: steer each session toward one share per target interval."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Adjust each session's difficulty.")
    target_share_interval: PositiveDuration = Field(
        default=10.0, description="Time between shares vardiff aims for."
    )
    retarget_interval: PositiveDuration = Field(
        default=90.0, description="Time of shares observed before a change is considered."
    )
    variance_percent: float = Field(
        default=30.0,
        ge=0,
        lt=100,
        description="Deviation from the target rate tolerated without a change, in percent.",
    )
    max_change_factor: float = Field(
        default=4.0,
        gt=1,
        description="Largest factor one retarget may raise or lower the difficulty by.",
    )
    min_difficulty: Difficulty | None = Field(
        default=None,
        description="Floor for vardiff; unset = stratum.min_difficulty.",
        examples=[0.001],
    )
    max_difficulty: Difficulty | None = Field(
        default=None,
        description="Ceiling for vardiff; unset = stratum.max_difficulty.",
        examples=[65536.0],
    )

    @model_validator(mode="after")
    def _check(self) -> VardiffSettings:
        low, high = self.min_difficulty, self.max_difficulty
        if low is not None and high is not None and low > high:
            raise_problems(
                [problem("min_difficulty", low, f"must not exceed max_difficulty ({high})")]
            )
        return self
