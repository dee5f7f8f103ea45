"""Targets, compact ``nBits`` and difficulty.

A header hash, read as a little-endian 256-bit number, must be <= the target.
``bits_to_target``/``target_to_bits`` follow Core's ``arith_uint256::SetCompact``
and ``GetCompact`` bit for bit, including the negative and overflow flags.
Difficulty is relative to the difficulty-1 target (``0x1d00ffff``), the
convention both bitcoind and Stratum pools use.
"""

from __future__ import annotations

import math
from fractions import Fraction

DIFF1_TARGET = 0xFFFF * 2**208
"""Target of difficulty 1: ``bits_to_target(0x1d00ffff)``."""

MAX_TARGET = 2**256 - 1
"""Largest 256-bit target; every hash meets it."""

_SIGN_BIT = 0x00800000
_MANTISSA = 0x007FFFFF


def hash_to_int(hash32: bytes) -> int:
    """A header hash (internal byte order) as the number compared to the target."""
    return int.from_bytes(hash32, "little")


def bits_to_target(bits: int) -> int:
    """Expand compact ``nBits`` into a target; ValueError if negative or overflowing.

    Like Core, the mantissa's sign bit and a size that pushes bits past 256
    make the encoding invalid (``CheckProofOfWork`` rejects both).
    """
    if not 0 <= bits <= 0xFFFFFFFF:
        raise ValueError(f"nBits out of uint32 range: {bits:#x}")
    size = bits >> 24
    word = bits & _MANTISSA
    if size <= 3:
        # Core shifts the mantissa itself here, so the sign and overflow
        # checks below see the shifted value (0x01803456 is zero, not negative).
        word >>= 8 * (3 - size)
        target = word
    else:
        target = word << (8 * (size - 3))
    if word and bits & _SIGN_BIT:
        raise ValueError(f"nBits {bits:#010x} encodes a negative target")
    if word and (size > 34 or (word > 0xFF and size > 33) or (word > 0xFFFF and size > 32)):
        raise ValueError(f"nBits {bits:#010x} overflows 256 bits")
    return target


def target_to_bits(target: int) -> int:
    """Compact ``nBits`` for ``target`` (Core's ``GetCompact``; rounds down)."""
    if not 0 <= target <= MAX_TARGET:
        raise ValueError(f"target out of 256-bit range: {target:#x}")
    size = (target.bit_length() + 7) // 8
    compact = target << (8 * (3 - size)) if size <= 3 else target >> (8 * (size - 3))
    if compact & _SIGN_BIT:
        compact >>= 8
        size += 1
    return compact | (size << 24)


def target_to_difficulty(target: int) -> float:
    """Difficulty of a target: ``DIFF1_TARGET / target`` (correctly rounded)."""
    if target <= 0:
        raise ValueError(f"target must be positive: {target}")
    return DIFF1_TARGET / target


def difficulty_to_target(difficulty: float) -> int:
    """The largest target meeting ``difficulty``: floor(DIFF1_TARGET / difficulty).

    Computed exactly from the float's binary value (``Fraction``), so a
    fractional Stratum difficulty such as 0.001 gives the same integer on
    every platform. Clamped to MAX_TARGET for tiny difficulties.
    """
    if not math.isfinite(difficulty) or difficulty <= 0:
        raise ValueError(f"difficulty must be a positive finite number: {difficulty!r}")
    exact = Fraction(difficulty)
    target = DIFF1_TARGET * exact.denominator // exact.numerator
    return min(target, MAX_TARGET)


def bits_to_difficulty(bits: int) -> float:
    """Network difficulty for compact ``nBits`` (what ``getblockchaininfo`` reports)."""
    return target_to_difficulty(bits_to_target(bits))
