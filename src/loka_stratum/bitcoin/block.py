"""Blocks: parsing, merkle and witness commitments (BIP141), fast assembly.

``assemble_block`` is what a pool runs when a share meets the network
target: it must not reparse the template's transactions, so it only
concatenates bytes that were serialized once when the job was built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from loka_stratum.bitcoin.encoding import ByteReader, encode_compact_size
from loka_stratum.bitcoin.hashing import sha256d
from loka_stratum.bitcoin.header import HEADER_SIZE, BlockHeader
from loka_stratum.bitcoin.merkle import merkle_root
from loka_stratum.bitcoin.tx import WITNESS_SCALE_FACTOR, Transaction

WITNESS_COMMITMENT_PREFIX = bytes.fromhex("6a24aa21a9ed")
"""OP_RETURN, push 36, then the 4-byte BIP141 commitment header 0xaa21a9ed."""

_COMMITMENT_SCRIPT_MIN = len(WITNESS_COMMITMENT_PREFIX) + 32


def witness_commitment_hash(witness_root: bytes, reserved_value: bytes = bytes(32)) -> bytes:
    """sha256d(witness root || witness reserved value), as BIP141 commits to it."""
    return sha256d(witness_root + reserved_value)


def witness_commitment_script(commitment_hash: bytes) -> bytes:
    """The coinbase output script carrying a witness commitment (38 bytes)."""
    if len(commitment_hash) != 32:
        raise ValueError("witness commitment hash must be 32 bytes")
    return WITNESS_COMMITMENT_PREFIX + commitment_hash


def assemble_block(header: bytes, coinbase: bytes, transactions: Sequence[bytes]) -> bytes:
    """Header + tx count + coinbase + already-serialized transactions."""
    if len(header) != HEADER_SIZE:
        raise ValueError(f"header must be 80 bytes, got {len(header)}")
    count = encode_compact_size(1 + len(transactions))
    return b"".join((header, count, coinbase, *transactions))


@dataclass(frozen=True, slots=True)
class Block:
    """A header and its transactions (coinbase first)."""

    header: BlockHeader
    transactions: tuple[Transaction, ...]

    def serialize(self) -> bytes:
        """Full consensus bytes, witness data included."""
        return assemble_block(
            self.header.serialize(),
            self.transactions[0].serialize(),
            [tx.serialize() for tx in self.transactions[1:]],
        )

    @classmethod
    def parse(cls, data: bytes) -> Block:
        """Decode a whole serialized block; trailing bytes are an error."""
        reader = ByteReader(data)
        header = BlockHeader.parse(reader.read(HEADER_SIZE))
        count = reader.read_compact_size()
        transactions = tuple(Transaction.read(reader) for _ in range(count))
        reader.expect_end()
        return cls(header, transactions)

    def compute_merkle_root(self) -> bytes:
        """Merkle root over the txids, to compare with ``header.merkle_root``."""
        return merkle_root([tx.txid() for tx in self.transactions])

    def compute_witness_root(self) -> bytes:
        """Merkle root over the wtxids, the coinbase's counted as 32 zero bytes."""
        return merkle_root([bytes(32)] + [tx.wtxid() for tx in self.transactions[1:]])

    def witness_commitment(self) -> bytes | None:
        """The 32-byte commitment in the coinbase, if any.

        Like Core's ``GetWitnessCommitmentIndex``, the *last* output whose
        script starts with the commitment pattern wins.
        """
        for output in reversed(self.transactions[0].outputs):
            script = output.script_pubkey
            if len(script) >= _COMMITMENT_SCRIPT_MIN and script.startswith(
                WITNESS_COMMITMENT_PREFIX
            ):
                return script[len(WITNESS_COMMITMENT_PREFIX) : _COMMITMENT_SCRIPT_MIN]
        return None

    def weight(self) -> int:
        """BIP141 block weight: header and tx count weigh 4 per byte."""
        fixed = HEADER_SIZE + len(encode_compact_size(len(self.transactions)))
        return fixed * WITNESS_SCALE_FACTOR + sum(tx.weight() for tx in self.transactions)
