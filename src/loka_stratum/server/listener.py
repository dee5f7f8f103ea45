"""Listening sockets and the template pump: the server's lifecycle.

Shutdown order (as uvicorn does it): stop accepting, stop sending new work,
close the sessions, then let the caller flush shares. Nothing here polls.
"""

from __future__ import annotations

import asyncio
import resource
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from loka_stratum.observability.loggers import get_logger
from loka_stratum.server.context import PoolContext
from loka_stratum.server.registry import ServerContext
from loka_stratum.server.session import StratumSession
from loka_stratum.sources.base import WorkSource

log = get_logger("loka_stratum.server")

FD_RESERVE = 64
"""Descriptors kept for the database, HTTP, logs and the work source."""


SessionFactory = Callable[[int, float], asyncio.Protocol]
"""(bound port, start difficulty) -> a new connection's protocol."""


@dataclass(frozen=True, slots=True)
class PortSpec:
    port: int
    start_difficulty: float
    name: str = ""


def _pool_sessions(context: PoolContext) -> SessionFactory:
    def create(port: int, difficulty: float) -> asyncio.Protocol:
        return StratumSession(context, port, difficulty)

    return create


def connection_cap(configured: int) -> int:
    """The configured cap, or what the fd limit allows (LimitNOFILE) when 0."""
    if configured > 0:
        return configured
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(1, soft - FD_RESERVE)


class StratumServer:
    def __init__(
        self,
        context: ServerContext,
        source: WorkSource | None,
        *,
        host: str,
        ports: Sequence[PortSpec],
        ipv6: bool = False,
        session_factory: SessionFactory | None = None,
    ) -> None:
        """`source`: the template pump's (pool mode, with a `PoolContext`); None when
        something else feeds the sessions work (proxy mode), with `session_factory`."""
        self.context = context
        self.source = source
        if session_factory is None:
            if not isinstance(context, PoolContext):
                raise TypeError("a session_factory is needed without a PoolContext")
            session_factory = _pool_sessions(context)
        self._session_factory = session_factory
        self.host = host
        self.ports = list(ports)
        self.ipv6 = ipv6
        self._servers: list[asyncio.Server] = []
        self._pump: asyncio.Task[None] | None = None
        self.bound: dict[int, int] = {}
        """Configured port -> port actually bound (differs when configured as 0)."""
        self.first_template = asyncio.Event()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for spec in self.ports:
            for host in self._hosts():
                server = await loop.create_server(
                    lambda spec=spec: self._session_factory(
                        self._port_of(spec), spec.start_difficulty
                    ),
                    host=host,
                    port=self.bound.get(spec.port, spec.port),
                    backlog=4096,
                    reuse_address=True,
                    family=socket.AF_INET6 if ":" in host else socket.AF_INET,
                )
                self._servers.append(server)
                bound = server.sockets[0].getsockname()[1]
                self.bound.setdefault(spec.port, bound)
                self.context.port_metrics(bound)  # the port's series exist, at 0, from boot
                log.info("Listening", host=host, port=bound, start_difficulty=spec.start_difficulty)
        if self.source is not None:
            self._pump = loop.create_task(self._pump_templates(), name="template-pump")

    def _hosts(self) -> list[str]:
        hosts = [self.host]
        if self.ipv6 and self.host in ("0.0.0.0", "127.0.0.1"):
            hosts.append("::" if self.host == "0.0.0.0" else "::1")
        return hosts

    def _port_of(self, spec: PortSpec) -> int:
        return self.bound.get(spec.port, spec.port)

    async def _pump_templates(self) -> None:
        assert self.source is not None
        assert isinstance(self.context, PoolContext)
        async for update in self.source.templates():
            self.context.broadcast(update)
            self.first_template.set()

    async def stop_accepting(self) -> None:
        self.context.accepting = False
        for server in self._servers:
            server.close()
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
            self._pump = None

    async def close_sessions(self, grace: float = 5.0) -> None:
        for session in list(self.context.sessions):
            session.close("shutdown")
        for server in self._servers:
            try:
                await asyncio.wait_for(server.wait_closed(), grace)
            except TimeoutError:
                log.warning("Sessions still open at shutdown", error_type="shutdown_timeout")
        self._servers.clear()

    async def stop(self) -> None:
        await self.stop_accepting()
        await self.close_sessions()
        self.context.fanout.close()
