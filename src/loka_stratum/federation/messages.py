"""Federation messages: one frozen dataclass per type, parsed from and to JSON objects.

Every message is a JSON object with a ``type``. Hashes travel as hex in display
order (as bitcoind prints them), raw blocks as hex; inside they are bytes in
internal order. Anything that does not parse into exactly one of these types is
a `FederationProtocolError` the link closes on.

Errors: `FederationProtocolError` is the peer's fault (its ``error_type`` goes
into the log and the metric); `LocalProtocolError` is ours (sending before the
link is authenticated).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from loka_stratum.bitcoin.hashing import sha256d

ErrorType = Literal[
    "line_too_long",
    "bad_json",
    "bad_message",
    "unauthenticated",
    "unexpected_message",
    "auth_failed",
    "reflected_challenge",
    "unknown_peer",
    "block_mismatch",
    "wrong_network",
    "handshake_timeout",
    "heartbeat_timeout",
]
NONCE_SIZE: Final = 32
MAC_SIZE: Final = 32


class FederationProtocolError(Exception):
    """The peer broke the protocol; the link must close."""

    def __init__(self, error_type: ErrorType, detail: str) -> None:
        super().__init__(f"{error_type}: {detail}")
        self.error_type: ErrorType = error_type
        self.detail = detail


class LocalProtocolError(Exception):
    """We tried something the protocol state does not allow (a bug on our side)."""


@dataclass(frozen=True, slots=True)
class Challenge:
    node: str
    nonce: bytes


@dataclass(frozen=True, slots=True)
class Answer:
    mac: bytes


@dataclass(frozen=True, slots=True)
class Hello:
    node: str
    network: str
    height: int
    tip: bytes


@dataclass(frozen=True, slots=True)
class Heartbeat:
    sent: float
    """The sender's monotonic clock; echoed back in `Pong` to measure round trips."""
    height: int
    tip: bytes
    hashrate: float
    miners: int


@dataclass(frozen=True, slots=True)
class Pong:
    echo: float


@dataclass(frozen=True, slots=True)
class BlockAnnounce:
    height: int
    block_hash: bytes
    block: bytes


Message = Challenge | Answer | Hello | Heartbeat | Pong | BlockAnnounce


def _hex(value: object, size: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise ValueError("expected a hex string")
    raw = bytes.fromhex(value)
    if size is not None and len(raw) != size:
        raise ValueError(f"expected {size} bytes")
    return raw


def _hash(value: object) -> bytes:
    return _hex(value, 32)[::-1]


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("expected a non-negative integer")
    return value


def _float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("expected a finite number")
    return float(value)


def _str(value: object) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise ValueError("expected a short string")
    return value


def _block(obj: Mapping[str, Any]) -> BlockAnnounce:
    block = _hex(obj["block"])
    announced = _hash(obj["hash"])
    if len(block) < 80 or sha256d(block[:80]) != announced:
        raise FederationProtocolError("block_mismatch", "hash is not the block header's hash")
    return BlockAnnounce(_int(obj["height"]), announced, block)


_PARSERS: Final[dict[str, Callable[[Mapping[str, Any]], Message]]] = {
    "challenge": lambda o: Challenge(_str(o["node"]), _hex(o["nonce"], NONCE_SIZE)),
    "answer": lambda o: Answer(_hex(o["mac"], MAC_SIZE)),
    "hello": lambda o: Hello(
        _str(o["node"]), _str(o["network"]), _int(o["height"]), _hash(o["tip"])
    ),
    "heartbeat": lambda o: Heartbeat(
        _float(o["sent"]),
        _int(o["height"]),
        _hash(o["tip"]),
        _float(o["hashrate"]),
        _int(o["miners"]),
    ),
    "pong": lambda o: Pong(_float(o["echo"])),
    "block": _block,
}


def parse_message(line: bytes) -> Message:
    """One line (without its newline) into a message; raises `FederationProtocolError`."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise FederationProtocolError("bad_json", str(exc)[:100]) from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise FederationProtocolError("bad_message", "expected an object with a type")
    parser = _PARSERS.get(obj["type"])
    if parser is None:
        raise FederationProtocolError("bad_message", f"unknown type {obj['type'][:32]!r}")
    try:
        return parser(obj)
    except (KeyError, ValueError, TypeError) as exc:
        raise FederationProtocolError("bad_message", f"{obj['type']}: {exc}"[:120]) from exc


def encode_message(message: Message) -> bytes:
    """A message as one JSON line, newline included."""
    return json.dumps(_fields(message), separators=(",", ":")).encode() + b"\n"


def _fields(message: Message) -> dict[str, object]:
    match message:
        case Challenge(node, nonce):
            return {"type": "challenge", "node": node, "nonce": nonce.hex()}
        case Answer(mac):
            return {"type": "answer", "mac": mac.hex()}
        case Hello(node, network, height, tip):
            return {
                "type": "hello",
                "node": node,
                "network": network,
                "height": height,
                "tip": tip[::-1].hex(),
            }
        case Heartbeat(sent, height, tip, hashrate, miners):
            return {
                "type": "heartbeat",
                "sent": sent,
                "height": height,
                "tip": tip[::-1].hex(),
                "hashrate": hashrate,
                "miners": miners,
            }
        case Pong(echo):
            return {"type": "pong", "echo": echo}
        case BlockAnnounce(height, block_hash, block):
            return {
                "type": "block",
                "height": height,
                "hash": block_hash[::-1].hex(),
                "block": block.hex(),
            }
