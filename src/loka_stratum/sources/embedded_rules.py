"""Consensus checks of the embedded chain, in Bitcoin Core's order and with its reason strings.

``submitblock`` on Core runs, in this order: ``CheckBlock`` (context-free:
proof of work, merkle root, sizes, coinbase placement, ``CheckTransaction``),
``ContextualCheckBlockHeader`` (bits, timestamps, version), then
``ContextualCheckBlock`` (finality, BIP34 height, BIP141 witness
commitment, weight) and finally ``ConnectBlock`` (coinbase amount, inputs).
The first failure is the verdict, so a block broken in two ways gets the
same answer it would get from Core. Regtest activates BIP34/65/66, CSV and
segwit from height 1, so those rules apply to every block after genesis.

Not checked, because the embedded chain keeps no UTXO set and runs no
scripts: input existence and value, scripts and signatures, sigop counts,
BIP30. Transactions repeated within one block are "bad-txns-duplicate"
(Core flags adjacent copies, the CVE-2012-2459 mutation, that way and
rejects the rest as spends of spent outputs), and two transactions spending
the same outpoint are "bad-txns-inputs-missingorspent".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from loka_stratum.bitcoin.block import Block, witness_commitment_hash
from loka_stratum.bitcoin.coinbase import MAX_MONEY, MAX_SCRIPT_SIG, MIN_SCRIPT_SIG
from loka_stratum.bitcoin.encoding import bip34_height_script, encode_compact_size
from loka_stratum.bitcoin.header import HEADER_SIZE, BlockHeader
from loka_stratum.bitcoin.merkle import merkle_root
from loka_stratum.bitcoin.target import bits_to_target, hash_to_int
from loka_stratum.bitcoin.tx import (
    COINBASE_INDEX,
    NULL_TXID,
    WITNESS_SCALE_FACTOR,
    Transaction,
)

MAX_BLOCK_WEIGHT = 4_000_000
MAX_FUTURE_BLOCK_TIME = 7200
"""Core's MAX_FUTURE_BLOCK_TIME: two hours ahead of the node's clock."""
MEDIAN_TIME_SPAN = 11
MIN_BLOCK_VERSION = 4
"""BIP34 (2), BIP66 (3) and BIP65 (4) are active from height 1 on regtest."""
LOCKTIME_THRESHOLD = 500_000_000
"""Locktimes below are heights, above are Unix times."""
_FINAL_SEQUENCE = 0xFFFFFFFF


def median_time_past(times: Sequence[int]) -> int:
    """Core's GetMedianTimePast over the last (up to) 11 block times, tip last."""
    recent = sorted(times[-MEDIAN_TIME_SPAN:])
    return recent[len(recent) // 2]


def meets_pow(header: BlockHeader, pow_limit: int) -> bool:
    """CheckProofOfWork: bits decode to a target in (0, pow_limit] and the hash meets it."""
    try:
        target = bits_to_target(header.bits)
    except ValueError:
        return False
    return 0 < target <= pow_limit and hash_to_int(header.hash()) <= target


def check_block(block: Block, pow_limit: int) -> str | None:
    """CheckBlock: the rules that need nothing but the block itself."""
    if not meets_pow(block.header, pow_limit):
        return "high-hash"
    txs = block.transactions
    if not txs:
        return "bad-blk-length"
    txids = [tx.txid() for tx in txs]
    if merkle_root(txids) != block.header.merkle_root:
        return "bad-txnmrklroot"
    if len(set(txids)) != len(txids):
        return "bad-txns-duplicate"
    too_many = len(txs) * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT
    if too_many or _stripped_size(block) * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT:
        return "bad-blk-length"
    if not txs[0].is_coinbase():
        return "bad-cb-missing"
    if any(tx.is_coinbase() for tx in txs[1:]):
        return "bad-cb-multiple"
    return next(filter(None, map(check_transaction, txs)), None)


def _stripped_size(block: Block) -> int:
    txs = block.transactions
    body = sum(len(tx.serialize(include_witness=False)) for tx in txs)
    return HEADER_SIZE + len(encode_compact_size(len(txs))) + body


def check_transaction(tx: Transaction) -> str | None:
    """CheckTransaction: outputs, duplicate inputs, coinbase script size, null prevouts.

    Core's "bad-txns-vin-empty" and "bad-txns-oversize" cannot happen here: a
    parsed transaction always has an input, and an oversized one has already
    made its block "bad-blk-length".
    """
    if not tx.outputs:
        return "bad-txns-vout-empty"
    total = 0
    for output in tx.outputs:
        if output.value < 0:
            return "bad-txns-vout-negative"
        if output.value > MAX_MONEY:
            return "bad-txns-vout-toolarge"
        total += output.value
        if total > MAX_MONEY:
            return "bad-txns-txouttotal-toolarge"
    prevouts = [tx_in.prevout for tx_in in tx.inputs]
    if len(set(prevouts)) != len(prevouts):
        return "bad-txns-inputs-duplicate"
    if tx.is_coinbase():
        size = len(tx.inputs[0].script_sig)
        return None if MIN_SCRIPT_SIG <= size <= MAX_SCRIPT_SIG else "bad-cb-length"
    null = any(p.txid == NULL_TXID and p.index == COINBASE_INDEX for p in prevouts)
    return "bad-txns-prevout-null" if null else None


def check_header_context(
    header: BlockHeader, *, expected_bits: int, parent_mtp: int, now: int
) -> str | None:
    """ContextualCheckBlockHeader: the rules that need the parent and the clock."""
    if header.bits != expected_bits:
        return "bad-diffbits"
    if header.time <= parent_mtp:
        return "time-too-old"
    if header.time > now + MAX_FUTURE_BLOCK_TIME:
        return "time-too-new"
    version = header.version - 2**32 if header.version >= 2**31 else header.version
    if version < MIN_BLOCK_VERSION:
        return f"bad-version(0x{header.version & 0xFFFFFFFF:08x})"
    return None


def check_block_context(block: Block, *, height: int, parent_mtp: int) -> str | None:
    """ContextualCheckBlock: finality, BIP34 height, BIP141 commitment, weight."""
    if not all(_is_final(tx, height, parent_mtp) for tx in block.transactions):
        return "bad-txns-nonfinal"
    if not block.transactions[0].inputs[0].script_sig.startswith(bip34_height_script(height)):
        return "bad-cb-height"
    verdict = _check_witness(block)
    if verdict is None and block.weight() > MAX_BLOCK_WEIGHT:
        return "bad-blk-weight"
    return verdict


def _is_final(tx: Transaction, height: int, cutoff_time: int) -> bool:
    """IsFinalTx with BIP113: time locks compare against the parent's median time past."""
    if tx.locktime == 0:
        return True
    limit = height if tx.locktime < LOCKTIME_THRESHOLD else cutoff_time
    return tx.locktime < limit or all(i.sequence == _FINAL_SEQUENCE for i in tx.inputs)


def _check_witness(block: Block) -> str | None:
    """BIP141: witness data only with a matching commitment and a 32-byte reserved value.

    Stricter than Core's submitblock in one case: Core quietly adds a missing
    reserved value to the coinbase before checking; here it is
    "bad-witness-nonce-size", so an assembler that forgets it is caught.
    """
    commitment = block.witness_commitment()
    if commitment is None:
        has_witness = any(tx.has_witness() for tx in block.transactions)
        return "unexpected-witness" if has_witness else None
    witness = block.transactions[0].inputs[0].witness
    if len(witness) != 1 or len(witness[0]) != 32:
        return "bad-witness-nonce-size"
    if witness_commitment_hash(block.compute_witness_root(), witness[0]) != commitment:
        return "bad-witness-merkle-match"
    return None


def check_connect(block: Block, *, subsidy: int, fee_of: Callable[[bytes], int]) -> str | None:
    """What ConnectBlock can check without a UTXO set: in-block double spends, the coinbase value.

    ``fee_of(txid)`` is the fee the chain knows for a transaction it issued
    (0 for any other): the coinbase may claim subsidy plus those fees.
    """
    spent = [tx_in.prevout for tx in block.transactions[1:] for tx_in in tx.inputs]
    if len(set(spent)) != len(spent):
        return "bad-txns-inputs-missingorspent"
    fees = sum(fee_of(tx.txid()) for tx in block.transactions[1:])
    claimed = sum(output.value for output in block.transactions[0].outputs)
    return "bad-cb-amount" if claimed > subsidy + fees else None
