"""``[federation]``: links between pool instances of one operator (pool mode).

Peers share their chain tip and the blocks they find, so every node learns of
a new block at once. All nodes of a federation share one ``secret``; it proves
membership through a challenge-response and never crosses the wire.
"""

from __future__ import annotations

import re
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from loka_stratum.config.errors import problem, raise_problems
from loka_stratum.config.types import PositiveDuration

MIN_SECRET_LENGTH: Final = 16
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_name(name: str) -> str:
    """Node names go into logs, metric labels and the auth MAC: keep them plain."""
    if not _NAME.fullmatch(name):
        raise ValueError("1-64 characters: letters, digits, '.', '_', '-' (not first)")
    return name


def split_host_port(url: str) -> tuple[str, int]:
    """``"host:port"`` or ``"[::1]:port"`` -> (host, port); ValueError when malformed."""
    host, sep, port_text = url.rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise ValueError("expected host:port, e.g. pool-b.example.com:4444")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError("put an IPv6 address in brackets: [2001:db8::1]:4444")
    port = int(port_text)
    if not 0 < port < 65536:
        raise ValueError("port must be a number in 1..65535")
    return host, port


class FederationPeer(BaseModel):
    """One other pool instance of the federation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="The peer's federation.node_name (it proves it with the secret).")
    url: str = Field(description="host:port of the peer's federation listener.")

    @field_validator("name")
    @classmethod
    def _check_name(cls, name: str) -> str:
        return check_name(name)

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        split_host_port(url)
        return url

    @property
    def host(self) -> str:
        return split_host_port(self.url)[0]

    @property
    def port(self) -> int:
        return split_host_port(self.url)[1]


class FederationSettings(BaseModel):
    """Pool mode: share chain tips and found blocks with the other pools of this operator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=False, description="Listen for and dial federation peers.")
    host: str = Field(default="0.0.0.0", description="Address the federation listener binds.")
    port: int = Field(default=4444, ge=0, le=65535, description="Federation listener port.")
    node_name: str = Field(default="node-1", description="This node's name, as the peers list it.")
    secret: SecretStr | None = Field(
        default=None,
        description=f"Shared by every node of the federation (at least {MIN_SECRET_LENGTH} "
        "characters); required when enabled. Never sent: peers prove they know it.",
        examples=["change-me-to-a-long-random-string"],
    )
    peers: tuple[FederationPeer, ...] = Field(
        default=(), description="The other nodes: each is dialed and may connect to us."
    )
    heartbeat_interval: PositiveDuration = Field(
        default=10.0,
        description="Heartbeat period; also how often the emergency-disable flag is read.",
    )
    reconnect_backoff_max: PositiveDuration = Field(
        default=60.0, description="Longest wait between redials of a peer (jittered doubling)."
    )

    @field_validator("node_name")
    @classmethod
    def _check_node_name(cls, name: str) -> str:
        return check_name(name)

    @model_validator(mode="after")
    def _check(self) -> FederationSettings:
        problems = []
        secret = self.secret.get_secret_value() if self.secret is not None else ""
        if self.enabled and len(secret) < MIN_SECRET_LENGTH:
            why = f"required when enabled, at least {MIN_SECRET_LENGTH} characters"
            problems.append(problem("secret", self.secret, why))
        names = [peer.name for peer in self.peers]
        for i, name in enumerate(names):
            if name == self.node_name:
                problems.append(problem(f"peers[{i}].name", name, "is this node's node_name"))
            elif name in names[:i]:
                problems.append(problem(f"peers[{i}].name", name, "listed twice"))
        raise_problems(problems)
        return self
