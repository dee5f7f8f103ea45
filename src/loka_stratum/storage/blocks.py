"""Blocks this pool found: what was submitted, what bitcoind said, and how it matured.

Hashes are bytes in internal order (as ``sha256d`` returns them) everywhere in
the program; the columns hold them as hex in display order, the form bitcoind's
RPC and every block explorer print, so an operator can paste one into SQL.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from loka_stratum.storage.schema import BlockStatus, blocks

HASH_BYTES = 32


def hash_to_column(block_hash: bytes) -> str:
    """Internal-order hash bytes to display-order hex."""
    if len(block_hash) != HASH_BYTES:
        raise ValueError(f"block hash must be {HASH_BYTES} bytes, got {len(block_hash)}")
    return block_hash[::-1].hex()


def hash_from_column(text: str) -> bytes:
    """Display-order hex back to internal-order bytes."""
    return bytes.fromhex(text)[::-1]


@dataclass(frozen=True, slots=True)
class NewBlock:
    """A block we assembled and submitted; ``block_data`` is its full serialization."""

    height: int
    hash: bytes
    prev_hash: bytes
    finder_account: str
    finder_worker: str
    reward: int
    submit_result: str | None = None
    block_data: bytes | None = None
    status: BlockStatus = BlockStatus.PENDING


@dataclass(frozen=True, slots=True)
class Block:
    id: int
    height: int
    hash: bytes
    prev_hash: bytes
    finder_account: str
    finder_worker: str
    reward: int
    status: BlockStatus
    confirmations: int
    submit_result: str | None
    block_data: bytes | None
    created_at: datetime
    updated_at: datetime


class BlockRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, block: NewBlock, now: datetime) -> int:
        """Insert and return the new id; a hash stored before raises ``IntegrityError``."""
        values = {
            "height": block.height,
            "hash": hash_to_column(block.hash),
            "prev_hash": hash_to_column(block.prev_hash),
            "finder_account": block.finder_account,
            "finder_worker": block.finder_worker,
            "reward": block.reward,
            "status": block.status.value,
            "confirmations": 0,
            "submit_result": block.submit_result,
            "block_data": block.block_data,
            "created_at": now,
            "updated_at": now,
        }
        async with self._engine.begin() as connection:
            result = await connection.execute(
                sa.insert(blocks).values(values).returning(blocks.c.id)
            )
            return int(result.scalar_one())

    async def update_status(
        self, block_hash: bytes, status: BlockStatus, confirmations: int, now: datetime
    ) -> bool:
        """Record the maturity tracker's verdict; False when the hash is unknown."""
        statement = (
            sa.update(blocks)
            .where(blocks.c.hash == hash_to_column(block_hash))
            .values(status=status.value, confirmations=confirmations, updated_at=now)
        )
        async with self._engine.begin() as connection:
            return (await connection.execute(statement)).rowcount == 1

    async def get_by_hash(self, block_hash: bytes) -> Block | None:
        query = sa.select(blocks).where(blocks.c.hash == hash_to_column(block_hash))
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        return None if row is None else _block(row)

    async def list(
        self, *, status: BlockStatus | None = None, limit: int = 50, offset: int = 0
    ) -> builtins.list[Block]:
        """Newest first (by height, then insertion)."""
        query = sa.select(blocks).order_by(blocks.c.height.desc(), blocks.c.id.desc())
        if status is not None:
            query = query.where(blocks.c.status == status.value)
        query = query.limit(limit).offset(offset)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_block(row) for row in rows]


def _block(row: sa.RowMapping) -> Block:
    return Block(
        **{
            **row,
            "hash": hash_from_column(row["hash"]),
            "prev_hash": hash_from_column(row["prev_hash"]),
            "status": BlockStatus(row["status"]),
        }
    )
