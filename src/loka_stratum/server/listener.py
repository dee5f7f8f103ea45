"""Listening sockets and the template pump: the server's lifecycle.

Shutdown order (as uvicorn does it): stop accepting, stop sending new work,
close the sessions, then let the caller flush shares. Nothing here polls.
"""

from __future__ import annotations

import asyncio
import resource
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from loka_stratum.observability.loggers import get_logger
from loka_stratum.server.context import PoolContext
from loka_stratum.server.session import StratumSession
from loka_stratum.sources.base import WorkSource

log = get_logger("loka_stratum.server")

FD_RESERVE = 64
"""Descriptors kept for the database, HTTP, logs and the work source."""


@dataclass(frozen=True, slots=True)
class PortSpec:
    port: int
    start_difficulty: float
    name: str = ""


def connection_cap(configured: int) -> int:
    """The configured cap, or what the fd limit allows (LimitNOFILE) when 0."""
    if configured > 0:
        return configured
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(1, soft - FD_RESERVE)


class StratumServer:
    def __init__(
        self,
        context: PoolContext,
        source: WorkSource,
        *,
        host: str,
        ports: Sequence[PortSpec],
        ipv6: bool = False,
    ) -> None:
        self.context = context
        self.source = source
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
                    lambda spec=spec: StratumSession(
                        self.context, self._port_of(spec), spec.start_difficulty
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
        self._pump = loop.create_task(self._pump_templates(), name="template-pump")

    def _hosts(self) -> list[str]:
        hosts = [self.host]
        if self.ipv6 and self.host in ("0.0.0.0", "127.0.0.1"):
            hosts.append("::" if self.host == "0.0.0.0" else "::1")
        return hosts

    def _port_of(self, spec: PortSpec) -> int:
        return self.bound.get(spec.port, spec.port)

    async def _pump_templates(self) -> None:
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
