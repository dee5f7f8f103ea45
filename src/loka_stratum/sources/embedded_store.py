"""The embedded chain's blocks in memory and in its chain file.

Per block the chain keeps the header and the coinbase, not the other
transactions: there is no UTXO set to rebuild, and the pool only ever asks
about block hashes, heights, confirmations and what the coinbase paid. A
month of one-a-minute blocks is a few megabytes.

Chain file, version 1 (integers little-endian, hashes in internal order)::

    file    = "LOKACHN\\x01" | genesis hash (32) | record*
    record  = payload length (u32) | payload | sha256d(payload)[:4]
    payload = block header (80) | coinbase transaction (with its witness)

Records are the blocks after genesis in height order. An accepted block is
appended and fsynced before its submitter hears "accepted"; a rewrite (after
a simulated reorg) goes through a temporary file and an atomic rename. On
load every record's checksum, hash link, proof of work and BIP34 height are
checked. A final record cut short by a crash mid-append is dropped (and cut
from the file); anything else that does not check out is refused.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from loka_stratum.bitcoin.encoding import bip34_height_script
from loka_stratum.bitcoin.hashing import sha256d
from loka_stratum.bitcoin.header import HEADER_SIZE, BlockHeader
from loka_stratum.bitcoin.tx import Transaction
from loka_stratum.sources.embedded_rules import MAX_BLOCK_WEIGHT, meets_pow

MAGIC = b"LOKACHN\x01"
_PREAMBLE = len(MAGIC) + 32
_LENGTH = struct.Struct("<I")
_CHECKSUM = 4
_MAX_PAYLOAD = HEADER_SIZE + MAX_BLOCK_WEIGHT


class ChainFileError(ValueError):
    """The chain file is damaged or belongs to another chain; it is not loaded."""


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """One block of the active chain: enough for lookups, MTP and payouts."""

    height: int
    header: BlockHeader
    coinbase: bytes
    """The coinbase transaction as it was in the block (witness included)."""
    hash: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hash", self.header.hash())

    @property
    def time(self) -> int:
        return self.header.time


@dataclass(frozen=True, slots=True)
class StoredChain:
    entries: tuple[ChainEntry, ...]
    """Blocks after genesis, height 1 first."""
    dropped_bytes: int
    """Length of an incomplete final record that was cut from the file (0 normally)."""


def _record(entry: ChainEntry) -> bytes:
    payload = entry.header.serialize() + entry.coinbase
    return _LENGTH.pack(len(payload)) + payload + sha256d(payload)[:_CHECKSUM]


def write_chain(path: Path, genesis_hash: bytes, entries: list[ChainEntry]) -> None:
    """Replace the file atomically: write a temporary sibling, fsync, rename."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as file:
        file.write(MAGIC + genesis_hash)
        file.writelines(_record(entry) for entry in entries)
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path)


def append_entry(path: Path, entry: ChainEntry) -> None:
    """Append one block and fsync, so it survives a crash once this returns."""
    with path.open("ab") as file:
        file.write(_record(entry))
        file.flush()
        os.fsync(file.fileno())


def read_chain(path: Path, genesis: ChainEntry, pow_limit: int) -> StoredChain:
    """Load and verify the blocks after ``genesis``; ChainFileError if anything is wrong."""
    data = path.read_bytes()
    if data[: len(MAGIC)] != MAGIC:
        raise ChainFileError(f"{path}: not a loka-stratum chain file (bad magic)")
    stored_genesis = data[len(MAGIC) : _PREAMBLE]
    if stored_genesis != genesis.hash:
        raise ChainFileError(
            f"{path}: chain file for genesis {stored_genesis[::-1].hex()}, but this chain's"
            f" genesis is {genesis.hash[::-1].hex()}; point chain_file elsewhere or delete it"
        )
    entries: list[ChainEntry] = []
    offset, parent = _PREAMBLE, genesis
    while offset < len(data):
        try:
            payload = _payload(data, offset)
            if payload is None:
                break
            parent = _entry(payload, parent, pow_limit)
        except ValueError as exc:
            raise ChainFileError(
                f"{path}: block record at byte {offset} (height {parent.height + 1}): {exc};"
                " delete the file to start a fresh chain"
            ) from exc
        entries.append(parent)
        offset += _LENGTH.size + len(payload) + _CHECKSUM
    dropped = len(data) - offset
    if dropped:
        os.truncate(path, offset)
    return StoredChain(tuple(entries), dropped)


def _payload(data: bytes, offset: int) -> bytes | None:
    """The payload of the record at ``offset``; None if the file ends inside it (torn write)."""
    if len(data) - offset < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack_from(data, offset)
    if not HEADER_SIZE < length <= _MAX_PAYLOAD:
        raise ValueError(f"impossible record length {length}")
    start = offset + _LENGTH.size
    end = start + length
    if end + _CHECKSUM > len(data):
        return None
    payload = data[start:end]
    if sha256d(payload)[:_CHECKSUM] != data[end : end + _CHECKSUM]:
        raise ValueError("checksum mismatch")
    return payload


def _entry(payload: bytes, parent: ChainEntry, pow_limit: int) -> ChainEntry:
    entry = ChainEntry(
        parent.height + 1, BlockHeader.parse(payload[:HEADER_SIZE]), payload[HEADER_SIZE:]
    )
    if entry.header.prev_hash != parent.hash:
        raise ValueError("does not link to the block before it")
    if not meets_pow(entry.header, pow_limit):
        raise ValueError("header misses its proof of work")
    coinbase = Transaction.parse(entry.coinbase)
    height_push = bip34_height_script(entry.height)
    if not coinbase.is_coinbase() or not coinbase.inputs[0].script_sig.startswith(height_push):
        raise ValueError("coinbase missing or without the BIP34 height")
    return entry
