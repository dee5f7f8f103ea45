"""The ordered list of upstreams: connect to the best one that works, fail over, fail back.

One task runs the loop. A *round* tries the enabled upstreams in priority order, each
bounded by the connect timeout, and adopts the first whose handshake succeeds; moving to
the next upstream is immediate (that is the point of failover), and only when a whole
round fails does the loop wait, with jittered exponential backoff, before the next
round. A dropped connection starts a new round from the top, so a preferred upstream
that is back is taken; if the dropped one lived less than `STABLE_AFTER`, a backoff
delay comes first (the backoff resets only after a stable connection), so an upstream
that accepts the handshake and then drops us is not hammered. While on a lower-priority
upstream, every `failback_interval` the higher ones are tried again and the first that
completes a handshake replaces the current connection (which is closed only after the
switch, so there is always somewhere to send shares). `client.reconnect` from the
current upstream closes it and connects to the host/port it names (same transport and
credentials), after the wait it asks for; if that fails, a normal round follows.

Events of the current connection are forwarded to `on_event`, and `Switched` tells
the proxy to adopt a new connection's extranonce, difficulty and job.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from loka_stratum.config.proxy import PoolSettings
from loka_stratum.proxy.backoff import Backoff
from loka_stratum.proxy.endpoint import Endpoint, endpoints
from loka_stratum.proxy.types import (
    DISCONNECTED,
    PoolEvent,
    PoolHealth,
    Switched,
    UpstreamError,
    UpstreamEvent,
    UpstreamOptions,
    UpstreamVerdict,
)
from loka_stratum.proxy.upstream import UpstreamConnection

Sleep = Callable[[float], Awaitable[None]]
STABLE_AFTER = 60.0
"""A connection that drops sooner than this counts as a failure for the backoff: an
upstream that accepts the handshake and then drops us is not reconnected in a loop."""
_MAX_RECONNECT_WAIT = 300.0
"""Longest `client.reconnect` wait we honour: a pool cannot park the proxy for hours."""


class UpstreamPool:
    """Keeps one connection to the best reachable upstream in `endpoints` (priority order)."""

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        options: UpstreamOptions,
        *,
        backoff: Backoff,
        failback_interval: float,
        on_event: Callable[[PoolEvent], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not endpoints:
            raise ValueError("no upstream to connect to")
        self._endpoints = tuple(endpoints)
        self._options = options
        self._backoff = backoff
        self._failback_interval = failback_interval
        self._on_event = on_event
        self._clock = clock
        self._sleep = sleep
        self._current: UpstreamConnection | None = None
        self._index = 0
        self._failovers = 0
        self._failbacks = 0
        self._connections = 0
        self._last_error: str | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._reordered = asyncio.Event()
        self._retired: UpstreamConnection | None = None
        """Closed by `replace_endpoints`: its end is no failure to back off from."""

    @classmethod
    def from_settings(
        cls,
        settings: PoolSettings,
        options: UpstreamOptions,
        *,
        on_event: Callable[[PoolEvent], None] | None = None,
        rng: random.Random | None = None,
    ) -> UpstreamPool:
        """The pool `[pool]` describes: its enabled upstreams, timeouts and backoff.

        `options` supplies what the settings do not (user agent, version mask, TLS
        context); its connect timeout and keepalive are replaced by the settings'.
        """
        options = replace(
            options,
            connect_timeout=settings.connection_timeout,
            keepalive_interval=settings.keepalive_interval,
        )
        backoff = Backoff(settings.reconnect_backoff_min, settings.reconnect_backoff_max, rng)
        return cls(
            endpoints(settings),
            options,
            backoff=backoff,
            failback_interval=settings.failback_interval,
            on_event=on_event,
        )

    @property
    def options(self) -> UpstreamOptions:
        return self._options

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        return self._endpoints

    @property
    def current(self) -> UpstreamConnection | None:
        """The connection shares go to; None while none is up."""
        conn = self._current
        return None if conn is None or conn.closed else conn

    def health(self) -> PoolHealth:
        conn = self.current
        return PoolHealth(
            None if conn is None else conn.endpoint.name,
            self._failovers,
            self._failbacks,
            self._connections,
            None if conn is None else conn.last_job_age(),
            self._last_error,
        )

    def start(self) -> None:
        """Start connecting in the background (call once, inside the event loop)."""
        self._task = asyncio.create_task(self._run())

    async def wait_connected(self) -> UpstreamConnection:
        """The current connection, once there is one (bound this with a timeout)."""
        while (conn := self.current) is None:
            self._connected.clear()
            await self._connected.wait()
        return conn

    async def submit(
        self,
        worker_name: str,
        job_id: str,
        extranonce2_hex: str,
        ntime: str,
        nonce: str,
        version_bits: str | None = None,
    ) -> UpstreamVerdict:
        """Send a share to the current upstream (DISCONNECTED when there is none)."""
        conn = self.current
        if conn is None:
            return DISCONNECTED
        return await conn.submit(worker_name, job_id, extranonce2_hex, ntime, nonce, version_bits)

    def replace_endpoints(self, endpoints: Sequence[Endpoint]) -> None:
        """A reloaded upstream list. The current connection stays if its upstream is still
        listed unchanged (address, transport, credentials), taking its place in the new
        order (so a newly preferred upstream is tried at once); otherwise it is closed and
        the loop connects to the best of the new list."""
        if not endpoints:
            raise ValueError("no upstream to connect to")
        self._endpoints = tuple(endpoints)
        self._reordered.set()
        conn = self._current
        if conn is None or conn.closed:
            return
        for index, endpoint in enumerate(self._endpoints):
            if endpoint == conn.endpoint:
                self._index = index
                return
        self._index = len(self._endpoints)
        self._retired = conn
        closing = asyncio.get_running_loop().create_task(
            conn.close("removed from the upstream list")
        )
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._current is not None:
            await self._current.close()

    async def _run(self) -> None:
        redirect: Endpoint | None = None
        while True:
            found = await self._round(redirect)
            if found is None:
                await self._sleep(self._backoff.next_delay())
                redirect = None
                continue
            started = self._clock()
            conn = await self._serve(*found)
            redirect = self._redirect_of(conn)
            if conn.reconnect_request is not None:
                wait = conn.reconnect_request.wait_seconds or 0
                if wait:
                    await self._sleep(min(float(wait), _MAX_RECONNECT_WAIT))
            elif conn is self._retired:
                self._retired = None  # a reload closed it: the new list, at once
            elif self._clock() - started < STABLE_AFTER:
                await self._sleep(self._backoff.next_delay())
            else:
                self._backoff.reset()

    async def _round(self, redirect: Endpoint | None) -> tuple[int, UpstreamConnection] | None:
        """The first upstream (the redirect target first, if any) whose handshake succeeds."""
        if redirect is not None:
            conn = await self._try(redirect)
            if conn is not None:
                return self._index, conn
        return await self._first_working(len(self._endpoints))

    async def _first_working(self, limit: int) -> tuple[int, UpstreamConnection] | None:
        for index, endpoint in enumerate(self._endpoints[:limit]):
            conn = await self._try(endpoint)
            if conn is not None:
                return index, conn
        return None

    async def _try(self, endpoint: Endpoint) -> UpstreamConnection | None:
        conn = self._connection(endpoint)
        try:
            await conn.connect()
        except UpstreamError as exc:
            self._last_error = f"{endpoint.name}: {exc}"
            return None
        return conn

    def _connection(self, endpoint: Endpoint) -> UpstreamConnection:
        def forward(event: UpstreamEvent) -> None:
            if self._current is conn and self._on_event is not None:
                self._on_event(event)

        conn = UpstreamConnection(endpoint, self._options, forward, self._clock)
        return conn

    async def _serve(self, index: int, conn: UpstreamConnection) -> UpstreamConnection:
        """Use `conn` until it closes, failing back when a preferred upstream works again."""
        self._adopt(index, conn)
        while True:
            if self._index == 0:
                if await self._closed_or_reordered(conn):
                    return conn
                if self._index == 0:
                    continue
            elif await self._closed_before(conn, self._failback_interval):
                return conn
            better = await self._first_working(self._index)
            if better is not None:
                old, conn = conn, better[1]
                self._adopt(*better)
                await old.close(f"failed back to {conn.endpoint.name}")

    async def _closed_or_reordered(self, conn: UpstreamConnection) -> bool:
        """Wait until `conn` closes (True) or a reload changes the upstream list (False)."""
        self._reordered.clear()
        closed = asyncio.create_task(conn.wait_closed())
        reordered = asyncio.create_task(self._reordered.wait())
        try:
            await asyncio.wait({closed, reordered}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (closed, reordered):
                task.cancel()
            await asyncio.gather(closed, reordered, return_exceptions=True)
        return conn.closed

    async def _closed_before(self, conn: UpstreamConnection, seconds: float) -> bool:
        """Whether `conn` closes within `seconds` (waited with the injected sleep)."""
        closed = asyncio.create_task(conn.wait_closed())
        timer = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait({closed, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (closed, timer):
                task.cancel()
            await asyncio.gather(closed, timer, return_exceptions=True)
        return conn.closed

    def _adopt(self, index: int, conn: UpstreamConnection) -> None:
        if index > self._index:
            self._failovers += 1
        elif index < self._index:
            self._failbacks += 1
        self._index = index
        self._current = conn
        self._connections += 1
        self._connected.set()
        if self._on_event is not None:
            self._on_event(Switched(conn))

    @staticmethod
    def _redirect_of(conn: UpstreamConnection) -> Endpoint | None:
        request = conn.reconnect_request
        if request is None:
            return None
        return conn.endpoint.redirected(request.host, request.port)
