"""The coinbase transaction split around the extranonce slot (Stratum coinb1/coinb2).

Layout of the legacy (non-witness) serialization::

    coinb1 = version | 01 | 00..00 ffffffff | len(scriptSig)
             | BIP34 height | aux script | push opcode for the extranonce slot
    slot   = extranonce1 | extranonce2
    coinb2 = pool tag push | sequence | outputs | locktime

Miners hash ``coinb1 + en1 + en2 + coinb2`` to get the txid, so coinb1/coinb2
must be the non-witness form; the witness reserved value is spliced in only
when a block is assembled (:func:`loka_stratum.bitcoin.tx.add_coinbase_witness`).

Consensus limits the scriptSig to 2..100 bytes. The pool tag is the only
optional part, so it is truncated to fit; if the height, aux script and
extranonce slot alone do not fit, that is a configuration error.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from loka_stratum.bitcoin.block import WITNESS_COMMITMENT_PREFIX
from loka_stratum.bitcoin.encoding import bip34_height_script, encode_compact_size, push_data
from loka_stratum.bitcoin.tx import COINBASE_INDEX, NULL_TXID, TxOut

MAX_SCRIPT_SIG = 100
MIN_SCRIPT_SIG = 2
MAX_MONEY = 21_000_000 * 100_000_000

_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")


class CoinbaseError(ValueError):
    """The requested coinbase cannot be built within consensus rules."""


@dataclass(frozen=True, slots=True)
class CoinbaseOutput:
    """A payout of ``value`` satoshis to ``script_pubkey``."""

    value: int
    script_pubkey: bytes


@dataclass(frozen=True, slots=True)
class CoinbaseParts:
    """A coinbase split around its extranonce slot, ready for ``mining.notify``."""

    coinb1: bytes
    coinb2: bytes
    extranonce1_size: int
    extranonce2_size: int

    def assemble(self, extranonce1: bytes, extranonce2: bytes) -> bytes:
        """The full non-witness coinbase for one miner's extranonces."""
        if len(extranonce1) != self.extranonce1_size or len(extranonce2) != self.extranonce2_size:
            raise CoinbaseError(
                f"extranonces of {len(extranonce1)}+{len(extranonce2)} bytes, expected"
                f" {self.extranonce1_size}+{self.extranonce2_size}"
            )
        return b"".join((self.coinb1, extranonce1, extranonce2, self.coinb2))


def _push_prefix(size: int) -> bytes:
    """The opcode bytes that push ``size`` bytes of data (the data itself follows)."""
    return push_data(bytes(size))[:-size]


def _tag_push(tag: bytes, room: int) -> bytes:
    """The longest prefix of ``tag`` whose push fits in ``room`` bytes (b"" if none)."""
    size = min(len(tag), room - 1)
    while size > 0:
        push = push_data(tag[:size])
        if len(push) <= room:
            return push
        size -= 1
    return b""


def _script_sig_parts(
    height: int, aux_script: bytes, slot_size: int, pool_tag: bytes
) -> tuple[bytes, bytes]:
    """(scriptSig up to and including the slot's push opcode, scriptSig after the slot)."""
    head = bip34_height_script(height) + aux_script + _push_prefix(slot_size)
    fixed = len(head) + slot_size
    if fixed > MAX_SCRIPT_SIG:
        raise CoinbaseError(
            f"height, aux script and {slot_size}-byte extranonce need {fixed} scriptSig bytes;"
            f" consensus allows {MAX_SCRIPT_SIG}"
        )
    tail = _tag_push(pool_tag, MAX_SCRIPT_SIG - fixed) if pool_tag else b""
    if fixed + len(tail) < MIN_SCRIPT_SIG:
        raise CoinbaseError(f"coinbase scriptSig must be at least {MIN_SCRIPT_SIG} bytes")
    return head, tail


def _outputs(outputs: Sequence[CoinbaseOutput], witness_commitment: bytes | None) -> bytes:
    if not outputs:
        raise CoinbaseError("a coinbase needs at least one payout output")
    txouts = []
    for output in outputs:
        if not 0 < output.value <= MAX_MONEY:
            raise CoinbaseError(f"payout value {output.value} outside 1..{MAX_MONEY} satoshis")
        txouts.append(TxOut(output.value, output.script_pubkey))
    if witness_commitment is not None:
        if len(witness_commitment) < 38 or not witness_commitment.startswith(
            WITNESS_COMMITMENT_PREFIX
        ):
            raise CoinbaseError(f"not a witness commitment script: {witness_commitment.hex()}")
        txouts.append(TxOut(0, witness_commitment))
    return encode_compact_size(len(txouts)) + b"".join(out.serialize() for out in txouts)


def build_coinbase(
    *,
    height: int,
    outputs: Sequence[CoinbaseOutput],
    extranonce1_size: int,
    extranonce2_size: int,
    pool_tag: bytes = b"",
    witness_commitment: bytes | None = None,
    aux_script: bytes = b"",
    sequence: int = 0xFFFFFFFF,
    locktime: int = 0,
    version: int = 1,
) -> CoinbaseParts:
    """Build coinb1/coinb2 for a block at ``height`` paying ``outputs``.

    ``witness_commitment`` is the whole output script (GBT's
    ``default_witness_commitment``); it becomes the last, zero-value output.
    ``aux_script`` is raw script bytes placed after the height (GBT's
    ``coinbaseaux`` values, already decoded from hex).
    """
    if extranonce1_size < 0 or extranonce2_size < 1:
        raise CoinbaseError("extranonce1 size must be >= 0 and extranonce2 size >= 1")
    slot_size = extranonce1_size + extranonce2_size
    head, tail = _script_sig_parts(height, aux_script, slot_size, pool_tag)
    script_length = len(head) + slot_size + len(tail)
    coinb1 = b"".join(
        (
            _I32.pack(version),
            b"\x01",
            NULL_TXID,
            _U32.pack(COINBASE_INDEX),
            encode_compact_size(script_length),
            head,
        )
    )
    coinb2 = b"".join(
        (tail, _U32.pack(sequence), _outputs(outputs, witness_commitment), _U32.pack(locktime))
    )
    return CoinbaseParts(coinb1, coinb2, extranonce1_size, extranonce2_size)
