"""Transactions in legacy and BIP144 (segwit) serialization.

``txid`` hashes the serialization without witness data; ``wtxid`` hashes
the full one. The marker/flag pair (``00 01``) appears only when some input
carries a witness, exactly as Core serializes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from loka_stratum.bitcoin.encoding import ByteReader, DecodeError, encode_compact_size
from loka_stratum.bitcoin.hashing import sha256d

WITNESS_SCALE_FACTOR = 4
NULL_TXID = bytes(32)
COINBASE_INDEX = 0xFFFFFFFF

_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_I64 = struct.Struct("<q")
_SEGWIT_MARKER = b"\x00\x01"


@dataclass(frozen=True, slots=True)
class OutPoint:
    """A reference to output ``index`` of transaction ``txid`` (internal order)."""

    txid: bytes
    index: int

    def serialize(self) -> bytes:
        return self.txid + _U32.pack(self.index)


@dataclass(frozen=True, slots=True)
class TxIn:
    """An input; ``witness`` is its BIP141 stack (empty for legacy inputs)."""

    prevout: OutPoint
    script_sig: bytes
    sequence: int
    witness: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class TxOut:
    """An output paying ``value`` satoshis to ``script_pubkey``."""

    value: int
    script_pubkey: bytes

    def serialize(self) -> bytes:
        return (
            _I64.pack(self.value)
            + encode_compact_size(len(self.script_pubkey))
            + (self.script_pubkey)
        )


def _serialize_input(tx_in: TxIn) -> bytes:
    script = tx_in.script_sig
    return b"".join(
        (
            tx_in.prevout.serialize(),
            encode_compact_size(len(script)),
            script,
            _U32.pack(tx_in.sequence),
        )
    )


def _serialize_witness(stack: tuple[bytes, ...]) -> bytes:
    parts = [encode_compact_size(len(stack))]
    for item in stack:
        parts += (encode_compact_size(len(item)), item)
    return b"".join(parts)


@dataclass(frozen=True, slots=True)
class Transaction:
    """A transaction; ``version`` is signed int32 as in Core, ``locktime`` uint32."""

    version: int
    inputs: tuple[TxIn, ...]
    outputs: tuple[TxOut, ...]
    locktime: int

    def has_witness(self) -> bool:
        return any(tx_in.witness for tx_in in self.inputs)

    def serialize(self, include_witness: bool = True) -> bytes:
        """Consensus bytes; BIP144 form only if asked and some input has a witness."""
        segwit = include_witness and self.has_witness()
        parts = [_I32.pack(self.version)]
        if segwit:
            parts.append(_SEGWIT_MARKER)
        parts.append(encode_compact_size(len(self.inputs)))
        parts += (_serialize_input(tx_in) for tx_in in self.inputs)
        parts.append(encode_compact_size(len(self.outputs)))
        parts += (tx_out.serialize() for tx_out in self.outputs)
        if segwit:
            parts += (_serialize_witness(tx_in.witness) for tx_in in self.inputs)
        parts.append(_U32.pack(self.locktime))
        return b"".join(parts)

    def txid(self) -> bytes:
        return sha256d(self.serialize(include_witness=False))

    def wtxid(self) -> bytes:
        return sha256d(self.serialize(include_witness=True))

    def weight(self) -> int:
        """BIP141 weight: base size * 3 + total size."""
        base = len(self.serialize(include_witness=False))
        total = len(self.serialize(include_witness=True)) if self.has_witness() else base
        return base * (WITNESS_SCALE_FACTOR - 1) + total

    def vsize(self) -> int:
        return (self.weight() + WITNESS_SCALE_FACTOR - 1) // WITNESS_SCALE_FACTOR

    def is_coinbase(self) -> bool:
        if len(self.inputs) != 1:
            return False
        prevout = self.inputs[0].prevout
        return prevout.txid == NULL_TXID and prevout.index == COINBASE_INDEX

    @classmethod
    def parse(cls, data: bytes) -> Transaction:
        """Decode one whole transaction (either form); trailing bytes are an error."""
        reader = ByteReader(data)
        tx = cls.read(reader)
        reader.expect_end()
        return tx

    @classmethod
    def read(cls, reader: ByteReader) -> Transaction:
        """Decode the next transaction from ``reader`` (either form)."""
        version = reader.read_i32()
        segwit = reader.peek(2) == _SEGWIT_MARKER
        if segwit:
            reader.read(2)
        elif reader.peek(1) == b"\x00":
            raise DecodeError("transaction has no inputs or an unknown extended-format flag")
        inputs = [_read_input(reader) for _ in range(reader.read_compact_size())]
        outputs = tuple(_read_output(reader) for _ in range(reader.read_compact_size()))
        if segwit:
            inputs = [_with_witness(tx_in, _read_witness(reader)) for tx_in in inputs]
            if not any(tx_in.witness for tx_in in inputs):
                raise DecodeError("segwit marker with no witness data (superfluous witness)")
        return cls(version, tuple(inputs), outputs, reader.read_u32())


def _read_input(reader: ByteReader) -> TxIn:
    prevout = OutPoint(reader.read(32), reader.read_u32())
    return TxIn(prevout, reader.read_var_bytes(), reader.read_u32())


def _read_output(reader: ByteReader) -> TxOut:
    value = int(_I64.unpack(reader.read(8))[0])
    return TxOut(value, reader.read_var_bytes())


def _read_witness(reader: ByteReader) -> tuple[bytes, ...]:
    return tuple(reader.read_var_bytes() for _ in range(reader.read_compact_size()))


def _with_witness(tx_in: TxIn, witness: tuple[bytes, ...]) -> TxIn:
    return TxIn(tx_in.prevout, tx_in.script_sig, tx_in.sequence, witness)


def add_coinbase_witness(coinbase_tx_no_witness: bytes, reserved_value: bytes = bytes(32)) -> bytes:
    """Give a legacy-serialized coinbase its BIP141 witness: one 32-byte reserved value.

    Splices marker/flag after the version and the witness before the
    locktime, without reparsing: block assembly does this once per found
    block candidate and the coinbase has exactly one input by construction.
    """
    if len(reserved_value) != 32:
        raise ValueError("the witness reserved value must be 32 bytes")
    if len(coinbase_tx_no_witness) < 10 or coinbase_tx_no_witness[4] != 1:
        raise ValueError("not a legacy-serialized transaction with exactly one input")
    tx = coinbase_tx_no_witness
    return b"".join((tx[:4], _SEGWIT_MARKER, tx[4:-4], b"\x01\x20", reserved_value, tx[-4:]))
