"""One federation link over asyncio streams: handshake, read loop, heartbeats answered here.

The protocol state lives in `FederationConnection`; this class moves bytes
between it and the socket, and keeps what the peer last told us (height, tip,
last heard) and the measured round trip. Blocks and hellos go to the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable

from loka_stratum.federation.connection import Authenticated, FederationConnection, LinkMessage
from loka_stratum.federation.messages import Heartbeat, Hello, Pong

READ_SIZE = 65536
Clock = Callable[[], float]


class PeerLink:
    """A connected peer; `closed` is set once the socket is gone."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        node: str,
        secret: bytes,
        *,
        dialed: bool,
        clock: Clock = time.time,
        monotonic: Clock = time.monotonic,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._connection = FederationConnection(node, secret, os.urandom(32))
        self.dialed = dialed
        """We dialed it (else the peer connected to our listener)."""
        self._clock = clock
        self._monotonic = monotonic
        self.closed = asyncio.Event()
        peer = writer.get_extra_info("peername")
        self.address = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "?"
        self.latency: float | None = None
        self.last_seen: float | None = None
        self.last_heard = monotonic()
        self.height: int | None = None
        self.tip: bytes | None = None

    @property
    def peer(self) -> str | None:
        return self._connection.peer

    async def handshake(self) -> str:
        """Prove ourselves and check the peer; its node name. Raises on any failure.

        The caller bounds it with a timeout: a silent stranger must not hold a slot.
        """
        self._connection.start()
        self._flush()
        while True:
            events = await self._receive()
            if events is None:
                raise ConnectionResetError("peer closed the connection during the handshake")
            for event in events:
                if isinstance(event, Authenticated):
                    self.last_heard = self._monotonic()
                    return event.peer

    async def run(self, on_message: Callable[[PeerLink, LinkMessage], Awaitable[None]]) -> None:
        """Read until the peer hangs up; protocol errors propagate to the caller."""
        while (events := await self._receive()) is not None:
            for event in events:
                assert not isinstance(event, Authenticated)  # the handshake is over
                self._heard(event)
                await on_message(self, event)

    async def _receive(self) -> list[Authenticated | LinkMessage] | None:
        """The events of the next chunk; None when the peer hung up."""
        data = await self._reader.read(READ_SIZE)
        if not data:
            return None
        events = self._connection.receive_data(data)
        self._flush()
        return events

    def _heard(self, message: LinkMessage) -> None:
        self.last_heard = self._monotonic()
        self.last_seen = self._clock()
        if isinstance(message, Heartbeat | Hello):
            self.height, self.tip = message.height, message.tip
        if isinstance(message, Heartbeat):
            self.send(Pong(message.sent))
        elif isinstance(message, Pong):
            self.latency = max(0.0, self._monotonic() - message.echo)

    def heartbeat(self, height: int, tip: bytes, hashrate: float, miners: int) -> None:
        self.send(Heartbeat(self._monotonic(), height, tip, hashrate, miners))

    def send(self, message: LinkMessage) -> None:
        if not self._writer.is_closing():
            self._connection.send(message)
            self._flush()

    def _flush(self) -> None:
        data = self._connection.data_to_send()
        if data and not self._writer.is_closing():
            self._writer.write(data)

    async def close(self) -> None:
        self._writer.close()
        self.closed.set()
        with contextlib.suppress(OSError):  # a reset connection is closed either way
            await self._writer.wait_closed()
