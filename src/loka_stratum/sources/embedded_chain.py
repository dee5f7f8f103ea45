"""`EmbeddedChain`: an in-process chain with regtest rules, so the pool can mine with no node.

It starts at the real regtest genesis block, hands out block templates (with
filler transactions and a BIP141 witness commitment, like Core's
``getblocktemplate``) and checks submitted blocks as Core's ``submitblock``
does, returning Core's verdict strings (see `embedded_rules` for what is and
is not checked). Only blocks that extend the tip are connected; a valid block
on an older parent is answered "inconclusive" and not kept (no side chains).

Pure: no clock (``now`` is passed in), no asyncio; the only I/O is in the
explicit `save`, `load` and `append_tip`, which take a path.

The network difficulty is a setting, not retargeted (regtest has no
retargeting): every block must carry the configured bits.
"""

from __future__ import annotations

import math
from collections import deque
from pathlib import Path

from loka_stratum.bitcoin.block import Block, witness_commitment_hash, witness_commitment_script
from loka_stratum.bitcoin.hashing import sha256d
from loka_stratum.bitcoin.merkle import merkle_root
from loka_stratum.bitcoin.network import REGTEST, Network, block_subsidy
from loka_stratum.bitcoin.target import bits_to_target, difficulty_to_target, target_to_bits
from loka_stratum.mining.template import BlockTemplate, TemplateTransaction
from loka_stratum.sources.base import SubmitResult
from loka_stratum.sources.embedded_filler import filler_transactions
from loka_stratum.sources.embedded_rules import (
    check_block,
    check_block_context,
    check_connect,
    check_header_context,
    median_time_past,
)
from loka_stratum.sources.embedded_store import ChainEntry, append_entry, read_chain, write_chain

POW_LIMIT = bits_to_target(REGTEST.pow_limit_bits)
TEMPLATE_VERSION = 0x20000000
"""BIP9 top bits with no deployment signalled, as Core's templates carry."""
DEFAULT_FILLER_TRANSACTIONS = 8
DEFAULT_TEST_MINER_HASHRATE = 1_000_000.0
"""Hashes per second of the bundled test miner (`loka-stratum client`) on one core: it
measures 0.8-1.2 MH/s on the 2-core development machines."""
RECENT_TEMPLATES = 8
"""Templates whose filler fees are remembered: jobs of older refreshes may still find blocks."""


def bits_for_difficulty(difficulty: float) -> int:
    """Compact bits for a network difficulty, never easier than regtest's proof-of-work limit."""
    return target_to_bits(min(difficulty_to_target(difficulty), POW_LIMIT))


def difficulty_for_interval(hashrate_hps: float, interval_s: float) -> float:
    """Difficulty at which ``hashrate_hps`` finds a block every ``interval_s`` on average.

    A difficulty-D block takes D * 2**32 hashes on average.
    """
    for name, value in (("hashrate", hashrate_hps), ("interval", interval_s)):
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a positive finite number: {value!r}")
    return hashrate_hps * interval_s / 2**32


def _valid_bits(bits: int) -> bool:
    try:
        return 0 < bits_to_target(bits) <= POW_LIMIT
    except ValueError:
        return False


def _genesis() -> ChainEntry:
    block = Block.parse(REGTEST.genesis_block)
    return ChainEntry(0, block.header, block.transactions[0].serialize())


class EmbeddedChain:
    """The active chain from regtest genesis to the tip, templates, and block validation."""

    def __init__(
        self,
        *,
        bits: int = REGTEST.pow_limit_bits,
        filler_transactions: int = DEFAULT_FILLER_TRANSACTIONS,
    ) -> None:
        if not _valid_bits(bits):
            raise ValueError(f"bits {bits:#010x} outside regtest's range (0, proof-of-work limit]")
        if filler_transactions < 0:
            raise ValueError("filler_transactions cannot be negative")
        self._bits = bits
        self._filler_count = filler_transactions
        self._entries = [_genesis()]
        self._heights = {self._entries[0].hash: 0}
        self._invalidated: set[bytes] = set()
        self._recent_fees: deque[dict[bytes, int]] = deque(maxlen=RECENT_TEMPLATES)
        self._template_seq = 0

    # -- read-only views ------------------------------------------------------------------

    @property
    def network(self) -> Network:
        return REGTEST

    @property
    def bits(self) -> int:
        return self._bits

    @property
    def best_height(self) -> int:
        return len(self._entries) - 1

    @property
    def tip(self) -> ChainEntry:
        return self._entries[-1]

    def block_hash_at(self, height: int) -> bytes | None:
        """Hash of the active-chain block at ``height`` (``getblockhash``), None past the tip."""
        return self._entries[height].hash if 0 <= height < len(self._entries) else None

    def entry(self, block_hash: bytes) -> ChainEntry | None:
        """Header and coinbase of an active-chain block, by hash."""
        height = self._heights.get(block_hash)
        return None if height is None else self._entries[height]

    def contains(self, block_hash: bytes) -> bool:
        return block_hash in self._heights

    def height_of(self, block_hash: bytes) -> int | None:
        return self._heights.get(block_hash)

    def confirmations(self, block_hash: bytes) -> int:
        """1 for the tip, more for deeper blocks; 0 when not on the active chain."""
        height = self._heights.get(block_hash)
        return 0 if height is None else self.best_height - height + 1

    def median_time_past(self, height: int | None = None) -> int:
        """Median time of the 11 blocks ending at ``height`` (default: the tip)."""
        end = self.best_height if height is None else height
        return median_time_past([e.time for e in self._entries[max(0, end - 10) : end + 1]])

    # -- templates ------------------------------------------------------------------------

    def template(self, now: float) -> BlockTemplate:
        """The next block to mine, with fresh filler transactions on every call."""
        self._template_seq += 1
        seed = sha256d(b"loka-embedded" + self.tip.hash + self._template_seq.to_bytes(8, "little"))
        txs = filler_transactions(seed, self._filler_count)
        self._recent_fees.append({tx.txid: tx.fee for tx in txs})
        height = self.best_height + 1
        mintime = self.median_time_past() + 1
        return BlockTemplate(
            height=height,
            prev_hash=self.tip.hash,
            version=TEMPLATE_VERSION,
            bits=self._bits,
            curtime=max(int(now), mintime),
            mintime=mintime,
            coinbase_value=block_subsidy(height, REGTEST) + sum(tx.fee for tx in txs),
            transactions=txs,
            witness_commitment=_commitment_script(txs),
        )

    def _fee_of(self, txid: bytes) -> int:
        return next((fees[txid] for fees in self._recent_fees if txid in fees), 0)

    # -- blocks ---------------------------------------------------------------------------

    def submit(self, raw: bytes, now: float) -> SubmitResult:
        """Validate a block like Core's ``submitblock``; connect it if it extends the tip."""
        try:
            block = Block.parse(raw)
        except ValueError:
            return SubmitResult("rejected", sha256d(raw[:80]))
        block_hash = block.header.hash()
        if block_hash in self._heights:
            return SubmitResult("duplicate", block_hash, self._heights[block_hash])
        if block_hash in self._invalidated:
            return SubmitResult("duplicate-invalid", block_hash)
        parent = self._heights.get(block.header.prev_hash)
        height = None if parent is None else parent + 1
        verdict = check_block(block, POW_LIMIT) or self._contextual(block, parent, int(now))
        if verdict is None and parent != self.best_height:
            verdict = "inconclusive"
        if verdict is None and height is not None:
            subsidy = block_subsidy(height, REGTEST)
            verdict = check_connect(block, subsidy=subsidy, fee_of=self._fee_of)
        if verdict is None:
            self._connect(
                ChainEntry(self.best_height + 1, block.header, block.transactions[0].serialize())
            )
        return SubmitResult(verdict, block_hash, height)

    def _contextual(self, block: Block, parent: int | None, now: int) -> str | None:
        if parent is None:
            orphan_of_invalid = block.header.prev_hash in self._invalidated
            return "bad-prevblk" if orphan_of_invalid else "prev-blk-not-found"
        mtp = self.median_time_past(parent)
        return check_header_context(
            block.header, expected_bits=self._bits, parent_mtp=mtp, now=now
        ) or check_block_context(block, height=parent + 1, parent_mtp=mtp)

    def _connect(self, entry: ChainEntry) -> None:
        self._entries.append(entry)
        self._heights[entry.hash] = entry.height

    def invalidate_tip(self) -> ChainEntry:
        """Drop the tip, as ``invalidateblock <tip>`` does: a one-block reorg for tests.

        The dropped block is remembered as invalid ("duplicate-invalid" if
        submitted again, "bad-prevblk" for its children) until restart.
        """
        if self.best_height == 0:
            raise ValueError("cannot invalidate the genesis block")
        entry = self._entries.pop()
        del self._heights[entry.hash]
        self._invalidated.add(entry.hash)
        return entry

    # -- persistence ----------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the whole chain to ``path`` atomically (see `embedded_store` for the format)."""
        write_chain(path, self._entries[0].hash, self._entries[1:])

    def append_tip(self, path: Path) -> None:
        """Append the tip block to a chain file that holds everything below it."""
        append_entry(path, self.tip)

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        bits: int = REGTEST.pow_limit_bits,
        filler_transactions: int = DEFAULT_FILLER_TRANSACTIONS,
    ) -> tuple[EmbeddedChain, int]:
        """The chain stored at ``path``, and the bytes of a torn final record cut from the file.

        Raises `ChainFileError` for a damaged file or one from another genesis.
        """
        chain = cls(bits=bits, filler_transactions=filler_transactions)
        stored = read_chain(path, chain.tip, POW_LIMIT)
        for entry in stored.entries:
            chain._connect(entry)
        return chain, stored.dropped_bytes


def _commitment_script(txs: tuple[TemplateTransaction, ...]) -> bytes:
    """GBT's default_witness_commitment: the coinbase's wtxid counts as zero."""
    root = merkle_root([bytes(32), *(sha256d(tx.data) for tx in txs)])
    return witness_commitment_script(witness_commitment_hash(root))
