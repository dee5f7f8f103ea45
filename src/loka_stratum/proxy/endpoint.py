"""Where an upstream is and who we are there: the connectable form of an `Upstream` setting.

The config model validates and parses the URL (schemes, IPv6 brackets, port range);
this module only resolves what a connection needs from it, falling back to the
pool-wide credentials, and orders the enabled upstreams by priority (ties keep file
order, as `sorted` is stable).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from loka_stratum.config.proxy import PoolSettings, Upstream


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One upstream pool to connect to: address, transport and credentials.

    `password` is the plain secret (it goes on the wire in `mining.authorize`); the
    repr hides it so endpoints can be logged.
    """

    name: str
    host: str
    port: int
    tls: bool
    username: str
    password: str | None = None

    def __repr__(self) -> str:
        scheme = "stratum+ssl" if self.tls else "stratum+tcp"
        return f"Endpoint({self.name!r}, {scheme}://{self.address}, user={self.username!r})"

    @property
    def address(self) -> str:
        """`host:port`, with IPv6 literals bracketed."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def redirected(self, host: str | None, port: int | None) -> Endpoint:
        """Where `client.reconnect` sends us: same transport and credentials."""
        return replace(self, host=host or self.host, port=port or self.port)


def endpoint_of(upstream: Upstream, settings: PoolSettings) -> Endpoint:
    """The endpoint for `upstream`; missing credentials come from `settings`."""
    username = upstream.username or settings.username or ""
    secret = upstream.password or settings.password
    password = None if secret is None else secret.get_secret_value()
    return Endpoint(upstream.name, upstream.host, upstream.port, upstream.tls, username, password)


def endpoints(settings: PoolSettings) -> tuple[Endpoint, ...]:
    """The enabled upstreams in the order to try them (lowest `priority` first)."""
    enabled = [u for u in settings.upstreams if u.enabled]
    return tuple(endpoint_of(u, settings) for u in sorted(enabled, key=lambda u: u.priority))
