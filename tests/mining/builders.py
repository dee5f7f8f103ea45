"""Test builders: realistic templates and a miner that finds shares for a job."""

from __future__ import annotations

import random
from dataclasses import replace

from loka_stratum.bitcoin.block import witness_commitment_hash, witness_commitment_script
from loka_stratum.bitcoin.coinbase import CoinbaseOutput
from loka_stratum.bitcoin.merkle import merkle_root
from loka_stratum.bitcoin.tx import OutPoint, Transaction, TxIn, TxOut
from loka_stratum.mining.template import BlockTemplate, TemplateTransaction

REGTEST_BITS = 0x207FFFFF
P2WPKH = bytes.fromhex("0014") + bytes(range(20))


def filler_transaction(rng: random.Random, *, segwit: bool) -> Transaction:
    prevout = OutPoint(rng.randbytes(32), rng.randrange(4))
    witness = (rng.randbytes(71), rng.randbytes(33)) if segwit else ()
    script_sig = b"" if segwit else bytes([0x47]) + rng.randbytes(71)
    tx_in = TxIn(prevout, script_sig, 0xFFFFFFFE, witness)
    outputs = (TxOut(rng.randrange(1, 10**8), P2WPKH),)
    return Transaction(2, (tx_in,), outputs, 0)


def make_template(
    *,
    tx_count: int = 5,
    segwit: bool = True,
    height: int = 200,
    bits: int = REGTEST_BITS,
    seed: int = 1,
    curtime: int = 1_700_000_000,
) -> BlockTemplate:
    rng = random.Random(seed)
    txs = [filler_transaction(rng, segwit=segwit) for _ in range(tx_count)]
    commitment = None
    if segwit:
        witness_root = merkle_root([bytes(32)] + [tx.wtxid() for tx in txs])
        commitment = witness_commitment_script(witness_commitment_hash(witness_root))
    return BlockTemplate(
        height=height,
        prev_hash=rng.randbytes(32),
        version=0x20000000,
        bits=bits,
        curtime=curtime,
        mintime=curtime - 600,
        coinbase_value=5_000_000_000 + 1000 * tx_count,
        transactions=tuple(
            TemplateTransaction(tx.serialize(), tx.txid(), 1000, tx.weight()) for tx in txs
        ),
        witness_commitment=commitment,
    )


def payout(template: BlockTemplate) -> list[CoinbaseOutput]:
    return [CoinbaseOutput(template.coinbase_value, P2WPKH)]


def next_template(template: BlockTemplate, **changes: object) -> BlockTemplate:
    return replace(template, **changes)  # type: ignore[arg-type]
