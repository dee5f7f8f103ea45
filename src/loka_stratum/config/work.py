"""``[bitcoind]`` and ``[embedded]``: where pool mode gets its block templates."""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from loka_stratum.config.errors import problem, raise_problems
from loka_stratum.config.types import PositiveDuration

Network = Literal["main", "test", "testnet4", "signet", "regtest"]

RPC_PORTS: Final[dict[str, int]] = {
    "main": 8332,
    "test": 18332,
    "testnet4": 48332,
    "signet": 38332,
    "regtest": 18443,
}
"""Bitcoin Core's default RPC port per network."""


class BitcoindSettings(BaseModel):
    """The work source in pool mode: a Bitcoin Core node, or the embedded test chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["embedded", "bitcoind"] = Field(
        default="embedded",
        description=(
            "embedded: an in-process regtest chain, mines with no node (development, tests); "
            "bitcoind: getblocktemplate/submitblock against Bitcoin Core."
        ),
    )
    network: Network = Field(
        default="regtest",
        description="Chain the node runs; addresses and the embedded chain are checked against it.",
    )
    rpc_url: str | None = Field(
        default=None,
        description="JSON-RPC endpoint; unset = http://127.0.0.1 on the network's default port.",
        examples=["http://127.0.0.1:8332"],
    )
    rpc_user: str | None = Field(
        default=None, description="RPC user (rpcauth); or use rpc_cookie_file.", examples=["loka"]
    )
    rpc_password: SecretStr | None = Field(
        default=None, description="RPC password for rpc_user.", examples=["change-me"]
    )
    rpc_cookie_file: Path | None = Field(
        default=None,
        description="Bitcoin Core's .cookie file, read at each (re)connect.",
        examples=["/var/lib/bitcoind/.cookie"],
    )
    rpc_timeout: PositiveDuration = Field(default=30.0, description="Timeout of one RPC call.")
    zmq_hashblock: str | None = Field(
        default=None,
        description="ZMQ endpoint publishing hashblock (zmqpubhashblock); unset = poll only.",
        examples=["tcp://127.0.0.1:28332"],
    )
    poll_interval: PositiveDuration = Field(
        default=0.5,
        description="How often getbestblockhash is polled for a new tip (fallback for ZMQ).",
    )
    template_refresh: PositiveDuration = Field(
        default=30.0,
        description="Fetch a new template this often for new mempool transactions.",
    )
    wallet: str | None = Field(
        default=None,
        description="Wallet name for payments (RPC path /wallet/<name>); unset = default wallet.",
        examples=["pool"],
    )

    @property
    def effective_rpc_url(self) -> str:
        """``rpc_url``, or the local node on the network's default RPC port."""
        return self.rpc_url or f"http://127.0.0.1:{RPC_PORTS[self.network]}"

    @field_validator("rpc_url")
    @classmethod
    def _check_rpc_url(cls, url: str | None) -> str | None:
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("expected http://host:port or https://host:port")
        return url

    @field_validator("zmq_hashblock")
    @classmethod
    def _check_zmq(cls, endpoint: str | None) -> str | None:
        if endpoint is not None and not endpoint.startswith(("tcp://", "ipc://")):
            raise ValueError("expected a ZMQ endpoint such as tcp://127.0.0.1:28332")
        return endpoint

    @model_validator(mode="after")
    def _check(self) -> BitcoindSettings:
        problems = []
        if (self.rpc_user is None) != (self.rpc_password is None):
            problems.append(
                problem("rpc_user", self.rpc_user, "rpc_user and rpc_password go together")
            )
        elif self.source == "bitcoind" and self.rpc_user is None and self.rpc_cookie_file is None:
            problems.append(
                problem("source", self.source, "needs rpc_user/rpc_password or rpc_cookie_file")
            )
        raise_problems(problems)
        return self


class EmbeddedSettings(BaseModel):
    """The embedded regtest chain: fully validated blocks, difficulty sized for CPU miners."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    block_interval: PositiveDuration = Field(
        default=60.0,
        description=(
            "Target time between blocks for one CPU test miner; "
            "turned into the chain's network difficulty."
        ),
    )
    network_difficulty: float | None = Field(
        default=None,
        gt=0,
        description="Fixed network difficulty, overriding block_interval.",
        examples=[0.01],
    )
    chain_file: Path | None = Field(
        default=None,
        description="Persist the chain here and resume it at start; unset = fresh each run.",
        examples=["data/embedded-chain.dat"],
    )
    filler_transactions: int = Field(
        default=8,
        ge=0,
        le=10_000,
        description="Synthetic transactions per template, so merkle branches are non-trivial.",
    )
