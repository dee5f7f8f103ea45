"""``[server]``: where miners connect and what a connection may cost us."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from loka_stratum.config.errors import problem, raise_problems
from loka_stratum.config.types import ByteSize, Port, PositiveDuration

Difficulty = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class ExtraPort(BaseModel):
    """A further stratum port with its own starting difficulty (e.g. one per miner class)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    port: Port = Field(description="TCP port to listen on.")
    start_difficulty: Difficulty = Field(
        description="Difficulty a new session on this port starts at, before vardiff moves it."
    )
    name: str | None = Field(
        default=None,
        description="Label for logs and metrics (e.g. 'asic').",
        examples=["asic"],
    )
    tls: bool = Field(
        default=False,
        description="Serve stratum+ssl on this port (needs server.tls_cert_file and tls_key_file).",
    )


class ServerSettings(BaseModel):
    """The stratum listener: addresses, processes, connection limits and timeouts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="0.0.0.0", description="Address the stratum ports listen on.")
    ipv6: bool = Field(default=False, description="Also listen on '::' (all IPv6 addresses).")
    port: Port = Field(default=3333, description="The main stratum port.")
    worker_threads: int = Field(
        default=1,
        ge=0,
        description=(
            "Number of stratum worker processes sharing the ports (SO_REUSEPORT); "
            "1 = everything in one process, 0 = one per CPU core."
        ),
    )
    max_blocking_threads: int = Field(
        default=8,
        ge=1,
        description=(
            "Size of each process's thread pool for blocking work "
            "(file writes, DNS, CPU-heavy block checks) kept off the event loop."
        ),
    )
    max_connections: int = Field(
        default=0,
        ge=0,
        description=(
            "Most concurrent miner connections per process; 0 = derive from the open-file "
            "limit (RLIMIT_NOFILE), keeping a reserve for files and outbound sockets."
        ),
    )
    handshake_timeout: PositiveDuration = Field(
        default=30.0,
        description="Close a connection that has not subscribed and authorized within this time.",
    )
    idle_timeout: PositiveDuration = Field(
        default=600.0,
        description="Close a connection that has sent nothing for this long.",
    )
    max_line_length: ByteSize = Field(
        default=16384,
        ge=512,
        description="Longest JSON line accepted from a miner; longer is a protocol error.",
    )
    write_buffer_high_water: ByteSize = Field(
        default=65536,
        ge=1024,
        description=(
            "Bytes queued to a slow miner before we stop reading from it; "
            "a miner that stays above it for idle_timeout is dropped."
        ),
    )
    proxy_protocol: bool = Field(
        default=False,
        description=(
            "Expect a PROXY protocol v1/v2 header first (behind HAProxy), "
            "so limits and logs see the real client address."
        ),
    )
    tls_cert_file: Path | None = Field(
        default=None,
        description="PEM certificate chain for ports with tls = true.",
        examples=["/etc/loka-stratum/tls/cert.pem"],
    )
    tls_key_file: Path | None = Field(
        default=None,
        description="PEM private key for ports with tls = true.",
        examples=["/etc/loka-stratum/tls/key.pem"],
    )
    ports: tuple[ExtraPort, ...] = Field(
        default=(),
        description="Further stratum ports, each with its own starting difficulty.",
    )

    @model_validator(mode="after")
    def _check(self) -> ServerSettings:
        problems = []
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            problems.append(
                problem(
                    "tls_cert_file",
                    self.tls_cert_file,
                    "tls_cert_file and tls_key_file must be given together",
                )
            )
        for index, extra in enumerate(self.ports):
            if extra.tls and self.tls_cert_file is None:
                problems.append(
                    problem(f"ports[{index}].tls", True, "needs tls_cert_file and tls_key_file")
                )
        raise_problems(problems)
        return self
