"""Federation metrics, registered on the process registry when `[federation]` is enabled.

Peers configured and connected, per-peer round-trip latency (from heartbeats),
blocks announced to peers and received from them by the verdict of our own
node, failed authentications and other link errors by ``error_type``. The
vocabularies are closed, and created at 0 so `rate()` works from boot.
"""

from __future__ import annotations

import contextlib
from typing import Final, Literal

from prometheus_client import CollectorRegistry, Counter, Gauge

_P: Final = "loka_stratum_federation_"
ReceivedResult = Literal["accepted", "duplicate", "rejected"]
RECEIVED_RESULTS: Final[tuple[ReceivedResult, ...]] = ("accepted", "duplicate", "rejected")
LINK_ERRORS: Final = (
    "line_too_long",
    "bad_json",
    "bad_message",
    "unauthenticated",
    "unexpected_message",
    "reflected_challenge",
    "unknown_peer",
    "block_mismatch",
    "wrong_network",
    "handshake_timeout",
    "heartbeat_timeout",
)


class FederationMetrics:
    """Federation series on ``registry`` (the one `Metrics` serves)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.peers_configured = Gauge(
            _P + "peers_configured", "Peers in [federation] peers.", registry=registry
        )
        self.peers_connected = Gauge(
            _P + "peers_connected", "Peers with an authenticated link now.", registry=registry
        )
        self.latency = Gauge(
            _P + "link_latency_seconds",
            "Heartbeat round trip to a peer (last measured).",
            ["peer"],
            registry=registry,
        )
        self.blocks_sent = Counter(
            _P + "blocks_sent", "Blocks this node found, announced to a peer.", registry=registry
        )
        self.blocks_received = Counter(
            _P + "blocks_received",
            "Blocks received from peers, by our node's verdict.",
            ["result"],
            registry=registry,
        )
        self.auth_failures = Counter(
            _P + "auth_failures",
            "Links refused: the peer did not prove it knows the secret.",
            registry=registry,
        )
        self.link_errors = Counter(
            _P + "link_errors",
            "Links closed on a protocol error.",
            ["error_type"],
            registry=registry,
        )
        for result in RECEIVED_RESULTS:
            self.blocks_received.labels(result)
        for error_type in LINK_ERRORS:
            self.link_errors.labels(error_type)

    def link_error(self, error_type: str) -> None:
        """Count a closed link; ``auth_failed`` goes to the auth failures counter."""
        if error_type == "auth_failed":
            self.auth_failures.inc()
            return
        known = error_type if error_type in LINK_ERRORS else "bad_message"
        self.link_errors.labels(known).inc()

    def block_received(self, verdict: str | None) -> None:
        result: ReceivedResult = "accepted" if verdict is None else "rejected"
        self.blocks_received.labels("duplicate" if verdict == "duplicate" else result).inc()

    def link_latency(self, peer: str, seconds: float) -> None:
        self.latency.labels(peer).set(seconds)

    def peer_gone(self, peer: str) -> None:
        """Drop the peer's latency series while it has no link (a stale figure misleads)."""
        with contextlib.suppress(KeyError):
            self.latency.remove(peer)
