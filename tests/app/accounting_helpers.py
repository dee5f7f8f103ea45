"""Settings, shares and blocks for accounting-service tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from loka_stratum.bitcoin.header import BlockHeader
from loka_stratum.config import Settings
from loka_stratum.storage import Database, NewBlock, ShareBatch, ShareRecord

POOL_ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
FEE_ADDRESS = "bcrt1qqurswpc8qurswpc8qurswpc8qurswpc8qurswpc8qurswpc8qursq2j8q4"  # P2WSH
T0 = 1_700_000_000.0
DIFF1_BITS = 0x1D00FFFF
"""Network difficulty exactly 1."""


def settings(scheme: str = "pplns", **accounting: Any) -> Settings:
    solo = scheme == "solo"
    stratum: dict[str, Any] = {"payout_mode": "solo" if solo else "pool"}
    if not solo:
        stratum["pool_address"] = POOL_ADDRESS
    return Settings.model_validate(
        {"stratum": stratum, "accounting": {"scheme": scheme, "confirmations": 2} | accounting}
    )


def share(
    share_id: int, account: str, difficulty: float = 1.0, *, height: int | None = None
) -> ShareRecord:
    return ShareRecord(
        share_id=share_id,
        account=account,
        worker="rig",
        job_id="j",
        difficulty=difficulty,
        share_difficulty=difficulty,
        created_at=T0 + share_id,
        accepted=True,
        reject_reason=None,
        is_block=height is not None,
        block_height=height,
    )


async def store_shares(database: Database, *shares: ShareRecord) -> None:
    assert await database.shares.write_batch(ShareBatch(f"batch-{shares[0].share_id}", shares))


def block_hash(height: int) -> bytes:
    return bytes([height]) * 32


async def store_block(
    database: Database, height: int, finder: str, *, found: float, reward: int = 1_000_000
) -> bytes:
    """A block row as the block handler writes it, found ``found`` seconds after T0."""
    header = BlockHeader(0x20000000, bytes(32), bytes(32), int(T0), DIFF1_BITS, 0).serialize()
    new = NewBlock(height, block_hash(height), bytes(32), finder, "rig", reward, block_data=header)
    await database.blocks.add(new, datetime.fromtimestamp(T0 + found, UTC))
    return new.hash
