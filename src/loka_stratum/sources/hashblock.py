"""ZMQ ``hashblock`` subscription: bitcoind's push notification of a new tip.

bitcoind publishes ``[b"hashblock", <32-byte hash, display order>, <uint32 LE
sequence>]`` once per connected tip. ZMQ reconnects on its own, but a SUB
socket does not notice a silently dead TCP peer, so ZMTP heartbeats are on:
a lost publisher is detected within `HEARTBEAT_TIMEOUT_MS` and reconnected.
A sequence gap means notifications were missed (HWM overflow, reconnect); the
caller's polling fallback covers those, so a gap is only logged. A sequence
back at 0 is a restarted node, not a gap.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
import zmq
import zmq.asyncio

log = structlog.get_logger("loka_stratum.sources.bitcoind")

TOPIC = b"hashblock"
RCVHWM = 100
"""A handful of block hashes is all that can pile up; more means we are not reading."""
HEARTBEAT_IVL_MS = 5_000
HEARTBEAT_TIMEOUT_MS = 15_000
RECONNECT_IVL_MAX_MS = 5_000

BlockCallback = Callable[[bytes], None]
"""Called with each announced block hash, internal byte order."""


class HashblockSubscriber:
    """Reads ``hashblock`` messages from one endpoint until cancelled."""

    def __init__(self, endpoint: str, on_block: BlockCallback) -> None:
        self.endpoint = endpoint
        self._on_block = on_block
        self._last_sequence: int | None = None

    async def run(self) -> None:
        """Subscribe and dispatch forever; the socket and context close on cancellation."""
        context = zmq.asyncio.Context()
        socket = context.socket(zmq.SUB)
        try:
            _configure(socket)
            socket.connect(self.endpoint)
            log.info("zmq_subscribed", endpoint=self.endpoint, topic=TOPIC.decode())
            while True:
                self._handle(await socket.recv_multipart())
        finally:
            socket.close(linger=0)
            context.term()

    def _handle(self, frames: list[bytes]) -> None:
        if len(frames) != 3 or frames[0] != TOPIC or len(frames[1]) != 32 or len(frames[2]) != 4:
            log.warning("zmq_malformed_message", endpoint=self.endpoint, frames=len(frames))
            return
        self._check_sequence(int.from_bytes(frames[2], "little"))
        self._on_block(frames[1][::-1])

    def _check_sequence(self, sequence: int) -> None:
        last, self._last_sequence = self._last_sequence, sequence
        if last is None or sequence == (last + 1) % 2**32:
            return
        if sequence == 0:
            log.info("zmq_publisher_restarted", endpoint=self.endpoint)
        else:
            log.warning("zmq_sequence_gap", endpoint=self.endpoint, expected=last + 1, got=sequence)


def _configure(socket: zmq.asyncio.Socket) -> None:
    socket.setsockopt(zmq.RCVHWM, RCVHWM)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.HEARTBEAT_IVL, HEARTBEAT_IVL_MS)
    socket.setsockopt(zmq.HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT_MS)
    socket.setsockopt(zmq.RECONNECT_IVL_MAX, RECONNECT_IVL_MAX_MS)
    socket.setsockopt(zmq.TCP_KEEPALIVE, 1)
    socket.setsockopt(zmq.SUBSCRIBE, TOPIC)


class ZmqDelivery:
    """Whether ZMQ is doing its job, judged by the tips the poll finds before it.

    A poll may beat ZMQ by a few milliseconds (bitcoind notifies from a
    background queue), so a tip the poll found first only counts against ZMQ
    if no announcement of it arrives within `grace` seconds. Any announcement
    clears the verdict: the publisher is evidently back.
    """

    def __init__(self, grace: float) -> None:
        self._grace = grace
        self._pending: bytes | None = None
        self._last: bytes | None = None
        self._unconfirmed: tuple[bytes, float] | None = None
        self.issue: str | None = None
        """Why ZMQ is not trusted right now (None: fine, or nothing known against it)."""

    def announced(self, block_hash: bytes) -> None:
        self._pending = self._last = block_hash
        if self._unconfirmed is not None and self._unconfirmed[0] == block_hash:
            self._unconfirmed = None
        self.issue = None

    def take(self) -> bytes | None:
        """The newest announcement not yet acted upon."""
        block_hash, self._pending = self._pending, None
        return block_hash

    def polled(self, block_hash: bytes, now: float) -> None:
        """The poll found a new tip; ZMQ has `grace` seconds to have announced it too."""
        if block_hash != self._last and self._unconfirmed is None:
            self._unconfirmed = (block_hash, now)

    def published(self, types: set[str]) -> None:
        """What ``getzmqnotifications`` says the node publishes, checked at each connect."""
        self.issue = (
            None if "pubhashblock" in types else "node publishes no hashblock (-zmqpubhashblock)"
        )

    def check(self, now: float) -> bool:
        """Judge the overdue announcement, if any; True when ZMQ was just found silent."""
        unconfirmed = self._unconfirmed
        if unconfirmed is None or now - unconfirmed[1] <= self._grace:
            return False
        self._unconfirmed = None
        self.issue = "zmq hashblock silent; new blocks found by polling"
        return True
