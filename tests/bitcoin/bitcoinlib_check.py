"""Independent validation of serialized blocks with python-bitcoinlib.

Everything here uses bitcoinlib's own parser, hashing and script code, never
``loka_stratum.bitcoin``, so a bug in our serialization cannot hide itself.
The mining tests run every block candidate they assemble through
:func:`check_block_bytes`.
"""

from __future__ import annotations

from bitcoin.core import CBlock, CheckBlock, Hash
from bitcoin.core.script import CScript
from bitcoin.core.serialize import uint256_from_compact, uint256_from_str

WITNESS_MAGIC = bytes.fromhex("6a24aa21a9ed")


class BlockCheckError(AssertionError):
    """bitcoinlib disagrees with the block bytes we produced."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise BlockCheckError(message)


def _check_pow(block: CBlock) -> None:
    target = uint256_from_compact(block.nBits)
    _require(0 < target < 2**256, f"nBits {block.nBits:#010x} gives an invalid target")
    value = uint256_from_str(block.GetHash())
    _require(value <= target, f"header hash {value:064x} above target {target:064x}")


def _check_height(block: CBlock, height: int) -> None:
    """BIP34 as Core enforces it: scriptSig starts with ``CScript() << nHeight``."""
    script_sig = bytes(block.vtx[0].vin[0].scriptSig)
    expected = bytes(CScript([height]))
    _require(
        script_sig.startswith(expected),
        f"coinbase scriptSig {script_sig.hex()} does not start with height push {expected.hex()}",
    )


def _check_witness_commitment(block: CBlock) -> None:
    coinbase = block.vtx[0]
    _require(coinbase.has_witness(), "segwit block whose coinbase has no witness")
    stack = list(coinbase.wit.vtxinwit[0].scriptWitness.stack)
    _require(len(stack) == 1 and len(stack[0]) == 32, "coinbase witness must be one 32-byte item")
    index = block.get_witness_commitment_index()
    script = bytes(coinbase.vout[index].scriptPubKey)
    witness_root = block.calc_witness_merkle_root()
    expected = Hash(witness_root + stack[0])
    _require(script[6:38] == expected, "witness commitment does not match the witness root")


def _check_no_witness(block: CBlock) -> None:
    _require(
        not any(tx.has_witness() for tx in block.vtx),
        "non-segwit block carries witness data",
    )


def check_block_bytes(
    block: bytes,
    *,
    expect_height: int | None,
    expect_segwit: bool,
    check_pow: bool = True,
) -> CBlock:
    """Deserialize ``block`` with bitcoinlib and check it as a node would.

    Checks: exact round trip of the bytes, merkle root, context-free
    ``CheckBlock`` rules (coinbase first and sized 2..100, no duplicates,
    value ranges, weight), proof of work against the block's own nBits
    (skip with ``check_pow=False``), the BIP34 height when
    ``expect_height`` is given, and the BIP141 witness commitment (or its
    absence). Returns the parsed ``CBlock`` for further assertions.
    """
    parsed = CBlock.deserialize(block)
    _require(parsed.serialize() == block, "bitcoinlib re-serializes the block differently")
    _require(parsed.calc_merkle_root() == parsed.hashMerkleRoot, "merkle root mismatch")
    CheckBlock(parsed, fCheckPoW=False, fCheckMerkleRoot=True, cur_time=parsed.nTime)
    if check_pow:
        _check_pow(parsed)
    if expect_height is not None:
        _check_height(parsed, expect_height)
    if expect_segwit:
        _check_witness_commitment(parsed)
    else:
        _check_no_witness(parsed)
    return parsed
