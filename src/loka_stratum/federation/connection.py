"""One federation link as a sans-IO state machine: bytes in, messages out, messages in, bytes out.

Theory of operation. Both ends are alike (no client or server role). On
`start()` each queues a `Challenge` (its node name and a fresh nonce). When the
peer's challenge arrives we queue our `Answer` to it; when the peer's answer to
ours arrives and verifies, the link is authenticated and `Authenticated` is
returned. Only then are `Hello`, `Heartbeat`, `Pong` and `BlockAnnounce`
accepted or sent.

    state          on Challenge          on Answer                  on anything else
    HANDSHAKE      queue Answer (once)   verify -> ESTABLISHED      unauthenticated
    ESTABLISHED    unexpected_message    unexpected_message         returned as an event
    CLOSED         (no input is taken after an error)

Input is JSON lines. Before authentication a line may be at most
`max_handshake_line` bytes, so a stranger cannot make us buffer a block's worth
of data; after it, `max_line`. Every violation raises `FederationProtocolError`
and leaves the connection CLOSED. No clock, no randomness: the nonce is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from loka_stratum.federation.auth import answer_mac, verify_answer
from loka_stratum.federation.messages import (
    NONCE_SIZE,
    Answer,
    BlockAnnounce,
    Challenge,
    FederationProtocolError,
    Heartbeat,
    Hello,
    LocalProtocolError,
    Message,
    Pong,
    encode_message,
    parse_message,
)

MAX_HANDSHAKE_LINE: Final = 1024
MAX_LINE: Final = 8 * 1024 * 1024 + 4096
"""A 4 MB block as hex plus its envelope."""

LinkMessage = Hello | Heartbeat | Pong | BlockAnnounce


class LinkState(Enum):
    HANDSHAKE = "handshake"
    ESTABLISHED = "established"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Authenticated:
    """The peer proved it knows the secret; ``peer`` is the node name it claimed."""

    peer: str


Event = Authenticated | LinkMessage


class FederationConnection:
    """The protocol state of one link."""

    def __init__(
        self,
        node: str,
        secret: bytes,
        nonce: bytes,
        *,
        max_line: int = MAX_LINE,
        max_handshake_line: int = MAX_HANDSHAKE_LINE,
    ) -> None:
        if len(nonce) != NONCE_SIZE:
            raise ValueError(f"nonce must be {NONCE_SIZE} bytes")
        self.node = node
        self._secret = secret
        self._nonce = nonce
        self._max_line = max_line
        self._max_handshake_line = max_handshake_line
        self._buffer = bytearray()
        self._outbox = bytearray()
        self.state = LinkState.HANDSHAKE
        self.peer: str | None = None
        """The name in the peer's challenge; trusted once `state` is ESTABLISHED."""

    def start(self) -> None:
        """Queue our challenge (call once, right after connecting)."""
        self._outbox += encode_message(Challenge(self.node, self._nonce))

    def data_to_send(self) -> bytes:
        """Bytes queued for the peer since the last call."""
        data = bytes(self._outbox)
        self._outbox.clear()
        return data

    def send(self, message: LinkMessage) -> None:
        if self.state is not LinkState.ESTABLISHED:
            raise LocalProtocolError(f"cannot send {type(message).__name__} in {self.state.value}")
        self._outbox += encode_message(message)

    def receive_data(self, data: bytes) -> list[Event]:
        """Feed received bytes; the events of every complete line. Raises on a violation."""
        if self.state is LinkState.CLOSED:
            return []
        self._buffer += data
        events: list[Event] = []
        try:
            while (end := self._buffer.find(b"\n")) >= 0:
                line = bytes(self._buffer[:end]).rstrip(b"\r")
                del self._buffer[: end + 1]
                self._check_length(len(line))
                event = self._handle(parse_message(line)) if line else None
                if event is not None:
                    events.append(event)
            self._check_length(len(self._buffer))
        except FederationProtocolError:
            self.state = LinkState.CLOSED
            self._buffer.clear()
            raise
        return events

    def _check_length(self, length: int) -> None:
        limit = self._max_line if self.state is LinkState.ESTABLISHED else self._max_handshake_line
        if length > limit:
            raise FederationProtocolError("line_too_long", f"line over {limit} bytes")

    def _handle(self, message: Message) -> Event | None:
        if isinstance(message, Challenge | Answer):
            if self.state is LinkState.ESTABLISHED:
                raise FederationProtocolError("unexpected_message", "handshake already done")
            return self._handshake(message)
        if self.state is not LinkState.ESTABLISHED:
            raise FederationProtocolError("unauthenticated", f"{type(message).__name__} first")
        return message

    def _handshake(self, message: Challenge | Answer) -> Authenticated | None:
        if isinstance(message, Challenge):
            if self.peer is not None:
                raise FederationProtocolError("unexpected_message", "second challenge")
            if message.node == self.node or message.nonce == self._nonce:
                raise FederationProtocolError("reflected_challenge", "our own challenge")
            self.peer = message.node
            mac = answer_mac(self._secret, message.nonce, self.node)
            self._outbox += encode_message(Answer(mac))
            return None
        if self.peer is None:
            raise FederationProtocolError("unexpected_message", "answer before challenge")
        if not verify_answer(self._secret, self._nonce, self.peer, message.mac):
            raise FederationProtocolError("auth_failed", "wrong answer to our challenge")
        self.state = LinkState.ESTABLISHED
        return Authenticated(self.peer)
