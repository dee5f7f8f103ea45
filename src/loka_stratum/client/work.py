"""Work from a `mining.notify`: the header a share hashes, and how a job's space is split.

This is the client's own, deliberately independent, reading of the Stratum conventions
(it checks a pool, so it must not share the pool's code paths):

- coinbase = coinb1 + extranonce1 + extranonce2 + coinb2; its double SHA-256 is the
  first leaf, folded with each merkle branch hash (internal byte order) into the root;
- header = version LE | prevhash (internal order: Stratum sends it with each 4-byte
  word byte-swapped) | merkle root | ntime LE | nbits LE | nonce LE;
- version, nbits, ntime and nonce travel as big-endian hex of the uint32.

A job's search space is cut into units of `UNIT_NONCES` nonces, each under one
(extranonce2, version) pair, so one midstate serves a whole unit and the miner can look
for new work between units. Unit indexes are a mixed-radix number (version roll
fastest, then extranonce2, then the nonce block), so no two units ever overlap and a
pool never sees the same share twice for one job.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from fractions import Fraction

from loka_stratum.protocol import Notify

UNIT_NONCES = 8192
"""Nonces hashed under one midstate; ~7 ms at 1.1 MH/s, the granularity of reacting to jobs."""

DIFF1_TARGET = 0xFFFF * 2**208
"""The share target of pool difficulty 1 (the "pdiff" convention every pool uses)."""

MAX_TARGET = 2**256 - 1
_NONCE_BLOCKS = 2**32 // UNIT_NONCES
_pack_prefix = struct.Struct("<I32s32sII").pack


def sha256d(data: bytes) -> bytes:
    """Bitcoin's hash: SHA-256 applied twice."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def prevhash_internal(stratum_prevhash: bytes) -> bytes:
    """The header's prevhash from Stratum's form: each 4-byte word byte-swapped back."""
    return b"".join(stratum_prevhash[i : i + 4][::-1] for i in range(0, 32, 4))


def bits_to_target(bits: int) -> int:
    """The network target encoded by a compact nbits value (negative encodings: 0)."""
    exponent, mantissa = bits >> 24, bits & 0x7FFFFF
    if bits & 0x800000:
        return 0
    if exponent <= 3:
        return mantissa >> (8 * (3 - exponent))
    return min(mantissa << (8 * (exponent - 3)), MAX_TARGET)


def difficulty_to_target(difficulty: float) -> int:
    """The share target for a pool difficulty; exact for fractional difficulties too."""
    if not difficulty > 0:
        raise ValueError(f"difficulty must be positive, got {difficulty!r}")
    return min(int(DIFF1_TARGET / Fraction(difficulty)), MAX_TARGET)


def deposit_bits(index: int, mask: int) -> int:
    """Spread the low bits of `index` over the set bits of `mask` (lowest first)."""
    result = 0
    while mask and index:
        low = mask & -mask
        if index & 1:
            result |= low
        index >>= 1
        mask ^= low
    return result


def rolled_version(base: int, mask: int, roll: int) -> int:
    """The header version for roll number `roll`; roll 0 is the job's own version."""
    return base ^ deposit_bits(roll, mask)


def version_bits_param(version: int, mask: int) -> str:
    """BIP310's 6th submit param: hex of only the rolled bits, `version & mask`."""
    return f"{version & mask:08x}"


@dataclass(frozen=True, slots=True)
class Unit:
    """One midstate's worth of work: nonces `[nonce_start, nonce_start + UNIT_NONCES)`."""

    extranonce2: bytes
    version: int
    nonce_start: int


@dataclass(frozen=True, slots=True)
class Work:
    """A job as the miner uses it: bytes and ints, with the session's extranonce and mask."""

    job_id: str
    prev_hash: bytes
    coinb1: bytes
    coinb2: bytes
    merkle_branch: tuple[bytes, ...]
    version: int
    bits: int
    ntime: int
    extranonce1: bytes
    extranonce2_size: int
    version_mask: int = 0
    """Bits this session may roll (0: version rolling not negotiated)."""

    @classmethod
    def from_notify(
        cls, notify: Notify, extranonce1: bytes, extranonce2_size: int, version_mask: int = 0
    ) -> Work:
        """Decode a notify's hex once; raises ValueError on malformed fields."""
        prev = bytes.fromhex(notify.prevhash)
        if len(prev) != 32:
            raise ValueError(f"prevhash must be 32 bytes, got {len(prev)}")
        return cls(
            job_id=notify.job_id,
            prev_hash=prevhash_internal(prev),
            coinb1=bytes.fromhex(notify.coinb1),
            coinb2=bytes.fromhex(notify.coinb2),
            merkle_branch=tuple(_hash32(branch) for branch in notify.merkle_branch),
            version=_u32(notify.version, "version"),
            bits=_u32(notify.nbits, "nbits"),
            ntime=_u32(notify.ntime, "ntime"),
            extranonce1=extranonce1,
            extranonce2_size=extranonce2_size,
            version_mask=version_mask,
        )

    @property
    def network_target(self) -> int:
        return bits_to_target(self.bits)

    @property
    def unit_count(self) -> int:
        """How many distinct units the job's space holds."""
        return (1 << (self.version_mask.bit_count() + 8 * self.extranonce2_size)) * _NONCE_BLOCKS

    def unit(self, index: int) -> Unit:
        """Unit number `index` (0 <= index < unit_count): version fastest, nonce block last."""
        rolls = 1 << self.version_mask.bit_count()
        index, roll = divmod(index, rolls)
        block, extranonce2 = divmod(index, 1 << (8 * self.extranonce2_size))
        version = rolled_version(self.version, self.version_mask, roll)
        en2 = extranonce2.to_bytes(self.extranonce2_size, "big")
        return Unit(en2, version, block * UNIT_NONCES)

    def resume_index(self, previous: Work, done: int) -> int:
        """Where to start in this work after `done` units of `previous`, the same job.

        A new version mask (`mining.set_version_mask`) changes the unit layout, so a
        restart from 0 would hash units again and submit duplicate shares. Starting at
        the next (nonce block, extranonce2) pair never used overlaps nothing done.
        """
        if done == 0:
            return 0
        pair = (done - 1) >> previous.version_mask.bit_count()
        return (pair + 1) << self.version_mask.bit_count()

    def merkle_root(self, extranonce2: bytes) -> bytes:
        root = sha256d(self.coinb1 + self.extranonce1 + extranonce2 + self.coinb2)
        for sibling in self.merkle_branch:
            root = sha256d(root + sibling)
        return root

    def header_prefix(self, extranonce2: bytes, version: int) -> bytes:
        """The first 76 header bytes: everything but the nonce."""
        root = self.merkle_root(extranonce2)
        return _pack_prefix(version, self.prev_hash, root, self.ntime, self.bits)

    def header(self, extranonce2: bytes, version: int, nonce: int) -> bytes:
        return self.header_prefix(extranonce2, version) + nonce.to_bytes(4, "little")


def _u32(value: str, what: str) -> int:
    raw = bytes.fromhex(value)
    if len(raw) != 4:
        raise ValueError(f"{what} must be 4 bytes of hex, got {value!r}")
    return int.from_bytes(raw, "big")


def _hash32(value: str) -> bytes:
    raw = bytes.fromhex(value)
    if len(raw) != 32:
        raise ValueError(f"merkle branch hashes must be 32 bytes, got {value!r}")
    return raw
