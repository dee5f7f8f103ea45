"""Synthetic transactions that give embedded-chain templates real merkle trees.

With only a coinbase, a block's merkle branch is empty and a whole class of
bugs (branch order, byte order, witness commitment) goes untested. So every
embedded template carries a few filler transactions: alternately a P2WPKH
spend (witness: signature, key) and a P2PKH spend (scriptSig: signature, key),
each with a fee, so the coinbase value is more than the subsidy.

They spend outpoints that never existed and their signatures sign nothing:
the embedded chain keeps no UTXO set and runs no scripts, so they only have to
*look* like real spends (DER-shaped signatures, compressed keys) and
serialize exactly like them. Everything is derived from a seed by hashing,
so a given seed always gives the same transactions.
"""

from __future__ import annotations

from loka_stratum.bitcoin.hashing import hash160, sha256, sha256d
from loka_stratum.bitcoin.tx import OutPoint, Transaction, TxIn, TxOut
from loka_stratum.mining.template import TemplateTransaction

_SEQUENCE = 0xFFFFFFFD
"""Final for locktime purposes, signals replace-by-fee, as wallets send today."""
_MIN_FEE = 1_000
_FEE_SPREAD = 9_000
_MIN_VALUE = 10_000
_VALUE_SPREAD = 100_000_000
_SIGHASH_ALL = b"\x01"


def filler_transactions(seed: bytes, count: int) -> tuple[TemplateTransaction, ...]:
    """``count`` deterministic filler transactions for ``seed``, even indexes segwit."""
    if count < 0:
        raise ValueError(f"filler count cannot be negative: {count}")
    return tuple(
        _filler(sha256(seed + index.to_bytes(4, "little")), index) for index in range(count)
    )


def _filler(entropy: bytes, index: int) -> TemplateTransaction:
    pubkey = bytes((2 + (entropy[0] & 1),)) + sha256(entropy + b"key")
    signature = _der_signature(sha256(entropy + b"r"), sha256(entropy + b"s"))
    prevout = OutPoint(sha256d(entropy + b"prevout"), entropy[1] % 4)
    value = _MIN_VALUE + int.from_bytes(entropy[2:6], "little") % _VALUE_SPREAD
    key_hash = hash160(pubkey)
    if index % 2 == 0:
        tx_in = TxIn(prevout, b"", _SEQUENCE, (signature, pubkey))
        output = TxOut(value, b"\x00\x14" + key_hash)
    else:
        script_sig = bytes((len(signature),)) + signature + bytes((len(pubkey),)) + pubkey
        tx_in = TxIn(prevout, script_sig, _SEQUENCE)
        output = TxOut(value, b"\x76\xa9\x14" + key_hash + b"\x88\xac")
    tx = Transaction(2, (tx_in,), (output,), 0)
    fee = _MIN_FEE + int.from_bytes(entropy[6:8], "little") % _FEE_SPREAD
    return TemplateTransaction(tx.serialize(), tx.txid(), fee=fee, weight=tx.weight())


def _der_signature(r: bytes, s: bytes) -> bytes:
    """A 71-byte strict-DER ECDSA signature shape (positive 32-byte r and s) + SIGHASH_ALL."""
    parts = b"".join(b"\x02\x20" + _positive(value) for value in (r, s))
    return b"\x30" + bytes((len(parts),)) + parts + _SIGHASH_ALL


def _positive(value: bytes) -> bytes:
    """Clear the sign bit and avoid a leading zero byte, so the DER integer is minimal."""
    return bytes((value[0] & 0x7F or 1,)) + value[1:]
