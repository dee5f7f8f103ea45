"""``submitblock`` with honest verdicts and retries only where they are safe.

A found block is worth a block reward and goes stale with the next tip, so a
submission that never reached the node (refused, reset, timed out, warmup) is
retried quickly a few times. A definite answer is never retried: null
(accepted), a BIP22 reason string ("duplicate", "inconclusive", "high-hash",
"bad-txnmrklroot", "rejected", ...) or a JSON-RPC error (e.g. -22, block
decode failed) is final.

One subtlety: an attempt that timed out may still have reached the node. If a
retry then answers "duplicate", the node already holds the block as valid,
and it can only have come from our earlier attempt, so it counts as accepted.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

import structlog

from loka_stratum.bitcoin.hashing import sha256d
from loka_stratum.sources.base import SubmitResult
from loka_stratum.sources.rpc import BitcoindRpc, RpcClosedError, RpcError, RpcUnavailable

log = structlog.get_logger("loka_stratum.sources.bitcoind")

ACCEPTED = "accepted"
RPC_ERROR = "rpc-error"


@dataclass(frozen=True, slots=True)
class SubmitPolicy:
    attempts: int = 6
    """Tries in all when the node cannot be reached; delays total about 1.5 s by default."""
    retry_delay: float = 0.05
    """First delay between tries; doubles each time."""
    timeout: float = 60.0
    """Per try: bitcoind validates the whole block before it answers (seconds for 4 MWU)."""

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")


DEFAULT_SUBMIT_POLICY = SubmitPolicy()


class BlockSubmitter:
    """Submits blocks through one RPC client and counts the verdicts."""

    def __init__(self, rpc: BitcoindRpc, policy: SubmitPolicy) -> None:
        self._rpc = rpc
        self._policy = policy
        self.verdicts: Counter[str] = Counter()
        """Keyed by "accepted", the node's reason string, or "rpc-error"."""

    async def submit(self, block: bytes, height: int | None) -> SubmitResult:
        block_hash = sha256d(block[:80])
        verdict, attempts = await self._submit(block.hex())
        self.verdicts[_counter_key(verdict)] += 1
        log.info(
            "block_submitted",
            hash=block_hash[::-1].hex(),
            height=height,
            verdict=verdict or ACCEPTED,
            attempts=attempts,
            size=len(block),
        )
        return SubmitResult(verdict, block_hash, height)

    async def _submit(self, block_hex: str) -> tuple[str | None, int]:
        policy = self._policy
        delay = policy.retry_delay
        failure: RpcUnavailable | None = None
        for attempt in range(1, policy.attempts + 1):
            if failure is not None:
                await asyncio.sleep(delay)
                delay *= 2
            try:
                answer = await self._rpc.call("submitblock", block_hex, time_limit=policy.timeout)
            except (RpcError, RpcClosedError) as exc:
                return f"{RPC_ERROR}: {exc}", attempt
            except RpcUnavailable as exc:
                failure = exc
                log.warning("block_submit_retry", attempt=attempt, detail=str(exc))
                continue
            if answer == "duplicate" and failure is not None:
                log.info("block_submit_landed_earlier", attempt=attempt, detail=str(failure))
                return None, attempt
            return _verdict(answer), attempt
        return f"{RPC_ERROR}: {failure}", policy.attempts


def _verdict(answer: object) -> str | None:
    if answer is None:
        return None
    if isinstance(answer, str):
        return answer or "rejected"
    return f"{RPC_ERROR}: unexpected submitblock result {answer!r}"


def _counter_key(verdict: str | None) -> str:
    if verdict is None:
        return ACCEPTED
    return RPC_ERROR if verdict.startswith(RPC_ERROR) else verdict
