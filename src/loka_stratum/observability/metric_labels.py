"""The closed label vocabularies and histogram buckets of our metrics.

Every label value comes from a fixed set, so a series count is known in advance
and no miner, worker or IP address ever becomes a label. Values outside a set
are counted as `other`: a metrics call must never fail the path it measures.
The set of values for `port` and `upstream` is bounded by the config instead.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

OTHER: Final = "other"

REJECT_REASONS: Final = (
    "stale",
    "job-not-found",
    "duplicate",
    "low-difficulty",
    "bad-extranonce2",
    "bad-ntime",
    "ntime-out-of-range",
    "bad-nonce",
    "bad-version-bits",
    "unauthorized",
    "not-subscribed",
    OTHER,
)
"""Share rejects; the first nine are `mining.RejectReason.label` values."""
REJECT_CODES: Final = {
    "stale": "21",
    "job-not-found": "21",
    "duplicate": "22",
    "low-difficulty": "23",
    "unauthorized": "24",
    "not-subscribed": "25",
}
"""The Stratum error code each reject reason answers with; every other reason is 20."""


def reject_code(reason: str) -> str:
    """The `code` label of a reject reason: what the miner was told (20-25)."""
    return REJECT_CODES.get(reason, "20")


CLOSE_REASONS: Final = (
    "client-closed",
    "handshake-timeout",
    "idle-timeout",
    "protocol-error",
    "line-too-long",
    "banned",
    "rate-limited",
    "write-buffer-full",
    "extranonce-exhausted",
    "shutdown",
    "error",
    OTHER,
)
CONNECTION_ERROR_TYPES: Final = (
    "reset",
    "timeout",
    "tls",
    "proxy-header",
    "write-buffer-full",
    "os-error",
    "banned",
    "max-connections",
    "per-ip-limit",
    "shutting-down",
    OTHER,
)
"""Also the reasons a connection was refused at accept time."""
PROTOCOL_ERROR_TYPES: Final = (
    "line-too-long",
    "invalid-utf8",
    "invalid-json",
    "not-an-object",
    "invalid-message",
    "invalid-params",
    "invalid-result",
    "unknown-response-id",
    "unknown-method",
    OTHER,
)
"""`protocol.ProtocolErrorKind` values, plus unknown methods."""
BlockResult = Literal["accepted", "rejected", "error"]
BLOCK_RESULTS: Final[tuple[str, ...]] = get_args(BlockResult)
SUBMITBLOCK_VERDICTS: Final = (
    "accepted",
    "duplicate",
    "duplicate-invalid",
    "duplicate-inconclusive",
    "inconclusive",
    "rejected",
    "error",
)
"""bitcoind's BIP22 answers; any other reject string is counted as `rejected`."""
RPC_METHODS: Final = (
    "getblocktemplate",
    "submitblock",
    "getblockchaininfo",
    "getnetworkinfo",
    "getmininginfo",
    "getbestblockhash",
    "validateaddress",
    OTHER,
)
TemplateUpdateKind = Literal["new-block", "refresh"]
TEMPLATE_UPDATE_KINDS: Final[tuple[str, ...]] = get_args(TemplateUpdateKind)
"""`new-block`: the chain tip moved (clean jobs); `refresh`: new transactions or time."""
UPSTREAM_REJECT_REASONS: Final = (
    "job-not-found",
    "duplicate",
    "low-difficulty",
    "unauthorized",
    "not-subscribed",
    "timeout",
    OTHER,
)
"""Upstream verdicts, from Stratum error codes 21-25 (20 is `other`) or no answer in time."""
BAN_REASONS: Final = (
    "invalid-shares",
    "rate-limit",
    "protocol-abuse",
    "auth-failures",
    "manual",
    OTHER,
)
RateLimitScope = Literal["connection", "message", "api"]
RATE_LIMIT_SCOPES: Final[tuple[str, ...]] = get_args(RateLimitScope)
CLEAN_FLAGS: Final = ("true", "false")
DB_OPERATIONS: Final = ("flush", "read", "connect", "replay", OTHER)

JOB_BROADCAST_BUCKETS: Final = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0,
)  # fmt: skip
"""Seconds from a new template to the last session written: 100 us .. 2 s."""
SUBMIT_BUCKETS: Final = (
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,
)  # fmt: skip
"""Seconds to handle one `mining.submit`: 10 us .. 100 ms."""
RPC_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DB_FLUSH_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def bounded(value: str, allowed: tuple[str, ...], fallback: str = OTHER) -> str:
    """`value` if it belongs to the vocabulary, else `fallback`."""
    return value if value in allowed else fallback
