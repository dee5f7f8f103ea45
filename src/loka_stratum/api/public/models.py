"""JSON bodies of `/api/v1/*`: what a pool user and the manual's `jq` filters read.

Hashrates are hashes per second from accepted share difficulty
(sum(difficulty) * 2**32 / seconds), keyed by window (`1m`, `5m`, `1h`, `24h`).
Database-backed figures carry their `window_seconds`, the span actually
covered, so a reader can check the arithmetic. Times are Unix seconds;
amounts are integer satoshis.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

BlockState = Literal["pending", "confirmed", "orphaned", "rejected"]
PaymentState = Literal["pending", "sent", "confirmed", "failed"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ErrorBody(Frozen):
    error: str = Field(description="Machine-readable kind, e.g. `not_found`, `invalid_request`.")
    detail: str = Field(description="What was wrong, for a human.")


class ShareTotals(Frozen):
    accepted: int
    rejected: int


class BlockCounts(Frozen):
    found: int = Field(description="Every block candidate submitted, whatever its fate.")
    pending: int
    confirmed: int
    orphaned: int
    rejected: int


class NetworkInfo(Frozen):
    difficulty: float | None = Field(description="Network difficulty of the current template.")
    height: int | None = Field(description="Height of the block being mined.")


class BlockOut(Frozen):
    height: int
    hash: str = Field(description="Display-order hex, as block explorers print it.")
    status: BlockState
    confirmations: int
    reward: int
    finder: str
    worker: str
    found_at: float
    updated_at: float


class PoolStats(Frozen):
    mode: str
    payout_scheme: str
    hashrate: dict[str, float] = Field(examples=[{"1m": 1.2e12, "5m": 1.1e12, "1h": 1e12}])
    hashrate_24h_window_seconds: float
    miners: int = Field(description="Accounts with at least one connected worker.")
    workers: int = Field(description="Authorized workers connected now.")
    connections: int
    shares: ShareTotals = Field(description="Since this process started.")
    shares_24h: ShareTotals
    blocks: BlockCounts
    network: NetworkInfo
    last_block: BlockOut | None
    uptime_seconds: float
    timestamp: float


class PortInfo(Frozen):
    port: int = Field(description="Port miners connect to (the bound one).")
    name: str
    start_difficulty: float


class Algorithm(Frozen):
    name: Literal["sha256d"]
    hashrate: float = Field(description="Hashes per second over the last 5 minutes.")
    ports: list[PortInfo]
    min_difficulty: float
    max_difficulty: float
    network_difficulty: float | None
    workers: int


class AlgorithmList(Frozen):
    data: list[Algorithm]


class TopMiner(Frozen):
    address: str
    hashrate: float
    accepted_difficulty: float
    shares: int
    workers: int


class TopMiners(Frozen):
    window_seconds: float
    data: list[TopMiner]


class WorkerOut(Frozen):
    name: str
    online: bool
    difficulty: float | None = Field(description="Current share difficulty when online.")
    hashrate: float = Field(description="Over the last hour (database).")
    accepted: int
    rejected: int
    first_seen: float | None
    last_seen: float | None


class ShareOut(Frozen):
    worker: str
    difficulty: float = Field(description="Credited (assigned) difficulty.")
    share_difficulty: float = Field(description="What the hash achieved.")
    created_at: float
    is_block: bool
    block_height: int | None


class Funds(Frozen):
    balance: int = Field(description="Spendable: sum of the miner's ledger rows.")
    immature: int = Field(description="Credits of blocks not yet confirmed.")
    paid: int = Field(description="Sent or confirmed payments.")


class MinerPayment(Frozen):
    id: str
    status: PaymentState
    address: str
    amount: int
    txid: str | None
    confirmations: int
    created_at: float
    sent_at: float | None


class MinerDetail(Frozen):
    address: str
    hashrate: dict[str, float] = Field(description="Windows `10m`, `1h`, `24h` (database).")
    shares_24h: ShareTotals
    workers: list[WorkerOut]
    recent_shares: list[ShareOut]
    funds: Funds
    payments: list[MinerPayment]


class OnlineWorker(Frozen):
    account: str
    worker: str
    port: int
    difficulty: float
    connected_at: float
    hashrate: float = Field(description="Over the last hour (database).")


class WorkerList(Frozen):
    total: int
    data: list[OnlineWorker]


class BlockPage(Frozen):
    total: int
    limit: int
    offset: int
    data: list[BlockOut]


class PaymentOut(Frozen):
    id: str
    status: PaymentState
    total: int
    fee: int | None
    txid: str | None
    confirmations: int
    outputs: int
    created_at: float
    sent_at: float | None


class PaymentPage(Frozen):
    total: int
    limit: int
    offset: int
    data: list[PaymentOut]
