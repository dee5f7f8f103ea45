"""The 80-byte block header."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from loka_stratum.bitcoin.encoding import DecodeError
from loka_stratum.bitcoin.hashing import sha256d

HEADER_SIZE = 80

_SIGNED = struct.Struct("<i32s32sIII")
_UNSIGNED = struct.Struct("<I32s32sIII")


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """A block header; hashes in internal byte order.

    ``version`` is an int32 in consensus (Core's ``nVersion``); Stratum
    version rolling treats it as a uint32 bit field, so both ranges are
    accepted and serialize to the same four bytes. ``parse`` returns the
    signed value, as ``getblock`` reports it.
    """

    version: int
    prev_hash: bytes
    merkle_root: bytes
    time: int
    bits: int
    nonce: int

    def __post_init__(self) -> None:
        if not -(2**31) <= self.version <= 0xFFFFFFFF:
            raise ValueError(f"version out of 32-bit range: {self.version}")
        if len(self.prev_hash) != 32 or len(self.merkle_root) != 32:
            raise ValueError("prev_hash and merkle_root must be 32 bytes")
        for name in ("time", "bits", "nonce"):
            if not 0 <= getattr(self, name) <= 0xFFFFFFFF:
                raise ValueError(f"{name} out of uint32 range: {getattr(self, name)}")

    def serialize(self) -> bytes:
        """The 80 consensus bytes."""
        layout = _SIGNED if self.version < 0 else _UNSIGNED
        return layout.pack(
            self.version, self.prev_hash, self.merkle_root, self.time, self.bits, self.nonce
        )

    def hash(self) -> bytes:
        """Block hash (sha256d of the header), internal byte order."""
        return sha256d(self.serialize())

    def hash_hex(self) -> str:
        """Block hash as explorers and bitcoind display it (byte-reversed hex)."""
        return self.hash()[::-1].hex()

    @classmethod
    def parse(cls, data: bytes) -> BlockHeader:
        """Decode exactly 80 bytes."""
        if len(data) != HEADER_SIZE:
            raise DecodeError(f"block header must be 80 bytes, got {len(data)}")
        return cls(*_SIGNED.unpack(data))
