"""The consensus side of the fake bitcoind: a tiny regtest-like chain.

It serves ``getblocktemplate`` results built from a mempool of real
transactions (segwit ones with witnesses, a correct default witness
commitment) and checks submitted blocks like Core does, in Core's order:
CheckBlock (high-hash, bad-txnmrklroot, bad-cb-multiple), AcceptBlock
(prev-blk-not-found, bad-diffbits, time-too-old/-new), ContextualCheckBlock
(bad-cb-height, bad-witness-nonce-size, bad-witness-merkle-match,
unexpected-witness) and ConnectBlock (bad-txns-inputs-missingorspent,
bad-cb-amount). It has no UTXO set: a transaction "exists" if it is in the
mempool, and its fee is what the mempool says.

Stricter than Core in one place: Core's submitblock quietly adds a missing
witness reserved value to the coinbase; this chain rejects the block, so
tests catch an assembler that forgets it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from loka_stratum.bitcoin.block import (
    Block,
    assemble_block,
    witness_commitment_hash,
    witness_commitment_script,
)
from loka_stratum.bitcoin.encoding import bip34_height_script
from loka_stratum.bitcoin.header import BlockHeader
from loka_stratum.bitcoin.merkle import merkle_root
from loka_stratum.bitcoin.network import REGTEST, Network, block_subsidy
from loka_stratum.bitcoin.target import bits_to_target, hash_to_int
from loka_stratum.bitcoin.tx import NULL_TXID, OutPoint, Transaction, TxIn, TxOut

REGTEST_BITS = 0x207FFFFF
MAX_FUTURE_BLOCK_TIME = 7200
P2WPKH = bytes.fromhex("0014") + bytes(range(20))


class BlockDecodeError(ValueError):
    """submitblock's RPC error -22: the bytes are not a block."""


@dataclass(frozen=True, slots=True)
class ChainBlock:
    hash: bytes
    height: int
    time: int
    prev: bytes | None


@dataclass(frozen=True, slots=True)
class MempoolTx:
    tx: Transaction
    fee: int


class FakeChain:
    def __init__(
        self,
        *,
        network: Network = REGTEST,
        bits: int = REGTEST_BITS,
        segwit: bool = True,
        height: int = 200,
        now: int = 1_700_000_000,
        seed: int = 7,
    ) -> None:
        self.network = network
        self.bits = bits
        self.segwit = segwit
        self.now = now
        self._rng = random.Random(seed)
        self.blocks: dict[bytes, ChainBlock] = {}
        self.invalid: set[bytes] = set()
        self.mempool: dict[bytes, MempoolTx] = {}
        self.tip = self._seed_history(height)

    @property
    def height(self) -> int:
        return self.blocks[self.tip].height

    def _seed_history(self, height: int) -> bytes:
        """Eleven fake ancestors, so median-time-past is defined from the start."""
        prev = None
        for offset in range(10, -1, -1):
            block = ChainBlock(
                self._rng.randbytes(32), height - offset, self.now - 600 * offset, prev
            )
            self.blocks[block.hash] = block
            prev = block.hash
        assert prev is not None
        return prev

    def median_time_past(self, block_hash: bytes) -> int:
        times: list[int] = []
        cursor: bytes | None = block_hash
        while cursor is not None and len(times) < 11:
            times.append(self.blocks[cursor].time)
            cursor = self.blocks[cursor].prev
        return sorted(times)[len(times) // 2]  # Core's GetMedianTimePast

    # -- mempool and templates ------------------------------------------------------------

    def add_transaction(self, *, segwit: bool = True, fee: int = 1000) -> Transaction:
        """A plausible spend (random prevout, 71-byte signature, 33-byte key)."""
        rng = self._rng
        prevout = OutPoint(rng.randbytes(32), rng.randrange(4))
        signature, pubkey = rng.randbytes(71), rng.randbytes(33)
        if segwit:
            tx_in = TxIn(prevout, b"", 0xFFFFFFFD, (signature, pubkey))
        else:
            tx_in = TxIn(prevout, bytes([71]) + signature + bytes([33]) + pubkey, 0xFFFFFFFD)
        tx = Transaction(2, (tx_in,), (TxOut(rng.randrange(10_000, 10**8), P2WPKH),), 0)
        self.mempool[tx.txid()] = MempoolTx(tx, fee)
        return tx

    def template_transactions(self) -> list[MempoolTx]:
        entries = list(self.mempool.values())
        return entries if self.segwit else [e for e in entries if not e.tx.has_witness()]

    def coinbase_value(self, entries: list[MempoolTx]) -> int:
        return block_subsidy(self.height + 1, self.network) + sum(e.fee for e in entries)

    def commitment_script(self, entries: list[MempoolTx]) -> bytes:
        root = merkle_root([bytes(32)] + [e.tx.wtxid() for e in entries])
        return witness_commitment_script(witness_commitment_hash(root))

    def template(self) -> dict[str, Any]:
        """A getblocktemplate result, shaped like Core's."""
        entries = self.template_transactions()
        mintime = self.median_time_past(self.tip) + 1
        result: dict[str, Any] = {
            "capabilities": ["proposal"],
            "version": 0x20000000,
            "rules": ["csv", "!segwit", "taproot"] if self.segwit else ["csv"],
            "vbavailable": {},
            "vbrequired": 0,
            "previousblockhash": self.tip[::-1].hex(),
            "transactions": [_gbt_entry(e) for e in entries],
            "coinbaseaux": {},
            "coinbasevalue": self.coinbase_value(entries),
            "longpollid": f"{self.tip[::-1].hex()}{len(self.mempool)}",
            "target": f"{bits_to_target(self.bits):064x}",
            "mintime": mintime,
            "mutable": ["time", "transactions", "prevblock"],
            "noncerange": "00000000ffffffff",
            "curtime": max(self.now, mintime),
            "bits": f"{self.bits:08x}",
            "height": self.height + 1,
        }
        if self.segwit:
            result["default_witness_commitment"] = self.commitment_script(entries).hex()
        return result

    # -- blocks ---------------------------------------------------------------------------

    def mine(self, *, include_mempool: bool = False, tag: bytes = b"/other-miner/") -> bytes:
        """Find and connect a block as another miner would; returns its serialization."""
        entries = self.template_transactions() if include_mempool else []
        height = self.height + 1
        script_sig = bip34_height_script(height) + tag
        witness = (bytes(32),) if self.segwit else ()
        outputs = [TxOut(self.coinbase_value(entries), P2WPKH)]
        if self.segwit:
            outputs.append(TxOut(0, self.commitment_script(entries)))
        coinbase = Transaction(
            2,
            (TxIn(OutPoint(NULL_TXID, 0xFFFFFFFF), script_sig, 0xFFFFFFFF, witness),),
            tuple(outputs),
            0,
        )
        txs = [coinbase] + [e.tx for e in entries]
        root = merkle_root([tx.txid() for tx in txs])
        time = max(self.now, self.median_time_past(self.tip) + 1)
        header = solve(BlockHeader(0x20000000, self.tip, root, time, self.bits, 0))
        raw = assemble_block(
            header.serialize(), coinbase.serialize(), [tx.serialize() for tx in txs[1:]]
        )
        verdict = self.submit(raw)
        assert verdict is None, verdict
        return raw

    def submit(self, raw: bytes) -> str | None:
        """submitblock: None when connected, else Core's BIP22 reason string."""
        try:
            block = Block.parse(raw)
        except ValueError as exc:
            raise BlockDecodeError("Block decode failed") from exc
        if not block.transactions or not block.transactions[0].is_coinbase():
            raise BlockDecodeError("Block does not start with a coinbase")
        block_hash = block.header.hash()
        if block_hash in self.blocks:
            return "duplicate"
        if block_hash in self.invalid:
            return "duplicate-invalid"
        verdict = self._check_block(block, block_hash)
        if verdict is not None:
            return verdict
        contextual = self._accept_block(block) or self._connect_block(block)
        if contextual is not None:
            self.invalid.add(block_hash)
            return contextual
        prev = block.header.prev_hash
        self.blocks[block_hash] = ChainBlock(
            block_hash, self.blocks[prev].height + 1, block.header.time, prev
        )
        if prev != self.tip:
            return "inconclusive"  # valid-looking, but not more work than our tip
        self.tip = block_hash
        for tx in block.transactions[1:]:
            self.mempool.pop(tx.txid(), None)
        return None

    def confirmations(self, block_hash: bytes) -> int:
        """getblockheader's ``confirmations``: depth on the main chain, -1 on a side branch.

        Raises KeyError for a block the chain has never stored (RPC error -5).
        """
        height = self.blocks[block_hash].height
        cursor: bytes | None = self.tip
        while cursor is not None and self.blocks[cursor].height > height:
            cursor = self.blocks[cursor].prev
        return self.height - height + 1 if cursor == block_hash else -1

    def invalidate_tip(self) -> bytes:
        """``invalidateblock <tip>``: the tip's parent becomes the tip; returns the old tip."""
        dropped = self.tip
        prev = self.blocks[dropped].prev
        assert prev is not None, "cannot invalidate the oldest block"
        self.tip = prev
        return dropped

    def _check_block(self, block: Block, block_hash: bytes) -> str | None:
        if hash_to_int(block_hash) > bits_to_target(block.header.bits):
            return "high-hash"
        if block.compute_merkle_root() != block.header.merkle_root:
            return "bad-txnmrklroot"
        if any(tx.is_coinbase() for tx in block.transactions[1:]):
            return "bad-cb-multiple"
        return None

    def _accept_block(self, block: Block) -> str | None:
        header = block.header
        parent = self.blocks.get(header.prev_hash)
        if parent is None:
            return "prev-blk-not-found"
        if header.bits != self.bits:
            return "bad-diffbits"
        if header.time <= self.median_time_past(parent.hash):
            return "time-too-old"
        if header.time > self.now + MAX_FUTURE_BLOCK_TIME:
            return "time-too-new"
        script_sig = block.transactions[0].inputs[0].script_sig
        if not script_sig.startswith(bip34_height_script(parent.height + 1)):
            return "bad-cb-height"
        return self._check_witness(block)

    def _check_witness(self, block: Block) -> str | None:
        commitment = block.witness_commitment() if self.segwit else None
        if commitment is None:
            has_witness = any(tx.has_witness() for tx in block.transactions)
            return "unexpected-witness" if has_witness else None
        witness = block.transactions[0].inputs[0].witness
        if len(witness) != 1 or len(witness[0]) != 32:
            return "bad-witness-nonce-size"
        if witness_commitment_hash(block.compute_witness_root(), witness[0]) != commitment:
            return "bad-witness-merkle-match"
        return None

    def _connect_block(self, block: Block) -> str | None:
        if block.header.prev_hash != self.tip:
            return None  # side branch: Core would not connect it
        fees = 0
        for tx in block.transactions[1:]:
            entry = self.mempool.get(tx.txid())
            if entry is None:
                return "bad-txns-inputs-missingorspent"
            fees += entry.fee
        height = self.height + 1
        paid = sum(out.value for out in block.transactions[0].outputs)
        if paid > block_subsidy(height, self.network) + fees:
            return "bad-cb-amount"
        return None


def solve(header: BlockHeader) -> BlockHeader:
    """Grind the nonce until the header meets its own bits (instant at regtest bits)."""
    target = bits_to_target(header.bits)
    for nonce in range(2**32):
        candidate = BlockHeader(
            header.version, header.prev_hash, header.merkle_root, header.time, header.bits, nonce
        )
        if hash_to_int(candidate.hash()) <= target:
            return candidate
    raise AssertionError("no nonce solves the header")


def _gbt_entry(entry: MempoolTx) -> dict[str, Any]:
    tx = entry.tx
    return {
        "data": tx.serialize().hex(),
        "txid": tx.txid()[::-1].hex(),
        "hash": tx.wtxid()[::-1].hex(),
        "depends": [],
        "fee": entry.fee,
        "sigops": 1,
        "weight": tx.weight(),
    }
