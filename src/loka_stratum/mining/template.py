"""Block templates: what a work source hands the job factory.

A template is the work source's view of the next block (bitcoind's
``getblocktemplate`` or the embedded chain): everything except the coinbase,
which the pool builds itself. All hashes are in internal byte order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loka_stratum.bitcoin.target import bits_to_target


@dataclass(frozen=True, slots=True)
class TemplateTransaction:
    """A non-coinbase transaction of the template, as it goes into the block."""

    data: bytes
    """Serialized transaction, with witness when it has one."""
    txid: bytes
    """Non-witness hash, internal byte order: what the merkle tree commits to."""
    fee: int = 0
    weight: int = 0


@dataclass(frozen=True, slots=True)
class BlockTemplate:
    """The next block to mine, minus its coinbase."""

    height: int
    prev_hash: bytes
    version: int
    bits: int
    curtime: int
    mintime: int
    coinbase_value: int
    transactions: tuple[TemplateTransaction, ...] = ()
    witness_commitment: bytes | None = None
    """The commitment output script (GBT ``default_witness_commitment``); None pre-segwit."""
    coinbase_aux: bytes = b""
    """Extra scriptSig bytes after the height push (GBT ``coinbaseaux.flags``)."""
    network_target: int = field(init=False)

    def __post_init__(self) -> None:
        if len(self.prev_hash) != 32:
            raise ValueError("prev_hash must be 32 bytes")
        object.__setattr__(self, "network_target", bits_to_target(self.bits))

    @property
    def txids(self) -> list[bytes]:
        return [tx.txid for tx in self.transactions]
