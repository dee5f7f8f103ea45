"""nBits <-> target <-> difficulty, following Core's SetCompact/GetCompact."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from bitcoin.core import CBlockHeader
from bitcoin.core.serialize import compact_from_uint256, uint256_from_compact
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.bitcoin.target import (
    DIFF1_TARGET,
    MAX_TARGET,
    bits_to_difficulty,
    bits_to_target,
    difficulty_to_target,
    hash_to_int,
    target_to_bits,
    target_to_difficulty,
)

# (nBits, target, GetCompact of that target) from Core's arith_uint256_tests.
CORE_COMPACT_CASES = [
    (0x00000000, 0, 0x00000000),
    (0x00123456, 0, 0x00000000),
    (0x01003456, 0, 0x00000000),
    (0x02000056, 0, 0x00000000),
    (0x03000000, 0, 0x00000000),
    (0x04000000, 0, 0x00000000),
    (0x00923456, 0, 0x00000000),
    (0x01803456, 0, 0x00000000),
    (0x02800056, 0, 0x00000000),
    (0x03800000, 0, 0x00000000),
    (0x04800000, 0, 0x00000000),
    (0x01123456, 0x12, 0x01120000),
    (0x02123456, 0x1234, 0x02123400),
    (0x03123456, 0x123456, 0x03123456),
    (0x04123456, 0x12345600, 0x04123456),
    (0x05009234, 0x92340000, 0x05009234),
    (0x20123456, 0x123456 << 232, 0x20123456),
]


@pytest.mark.parametrize(("bits", "target", "compact"), CORE_COMPACT_CASES)
def test_core_compact_vectors(bits: int, target: int, compact: int) -> None:
    assert bits_to_target(bits) == target
    assert target_to_bits(target) == compact


@pytest.mark.parametrize("bits", [0x01FEDCBA, 0x04923456, 0x1D80FFFF])
def test_negative_compact_is_rejected(bits: int) -> None:
    with pytest.raises(ValueError, match="negative"):
        bits_to_target(bits)


@pytest.mark.parametrize("bits", [0xFF123456, 0x23000001, 0x22000100, 0x21010000])
def test_overflowing_compact_is_rejected(bits: int) -> None:
    with pytest.raises(ValueError, match="overflows"):
        bits_to_target(bits)


def test_largest_non_overflowing_compacts() -> None:
    assert bits_to_target(0x22000001) == 1 << 248
    assert bits_to_target(0x210000FF) == 0xFF << 240
    assert bits_to_target(0x2000FFFF) == 0xFFFF << 232


@pytest.mark.parametrize(
    ("bits", "target"),
    [
        (0x1D00FFFF, DIFF1_TARGET),
        (0x207FFFFF, 0x7FFFFF << 232),
        (0x1B0404CB, 0x0404CB << 192),
        (0x1814DD04, 0x14DD04 << 168),
    ],
)
def test_network_targets(bits: int, target: int) -> None:
    assert bits_to_target(bits) == target
    assert target_to_bits(target) == bits


def test_bits_out_of_uint32_range() -> None:
    with pytest.raises(ValueError, match="uint32"):
        bits_to_target(2**32)
    with pytest.raises(ValueError, match="256-bit"):
        target_to_bits(MAX_TARGET + 1)


valid_bits = st.integers(min_value=0x03000001, max_value=0x20FFFFFF).filter(
    lambda bits: not bits & 0x00800000 and bits & 0x007FFFFF
)


@given(valid_bits)
def test_bits_round_trip_to_a_normal_form(bits: int) -> None:
    target = bits_to_target(bits)
    assert target == uint256_from_compact(bits)
    normal = target_to_bits(target)
    assert bits_to_target(normal) == target
    assert target_to_bits(bits_to_target(normal)) == normal


@given(st.integers(min_value=1, max_value=MAX_TARGET))
def test_target_to_bits_rounds_down_within_mantissa_precision(target: int) -> None:
    bits = target_to_bits(target)
    assert bits == compact_from_uint256(target)
    approx = bits_to_target(bits)
    assert approx <= target
    assert target - approx < Fraction(target, 2**15)


def test_difficulty_one_and_regtest() -> None:
    assert bits_to_difficulty(0x1D00FFFF) == 1.0
    assert target_to_difficulty(DIFF1_TARGET) == 1.0
    assert bits_to_difficulty(0x207FFFFF) == pytest.approx(4.656542373906925e-10)


def test_real_block_difficulty_matches_bitcoind() -> None:
    # getblock 551515 reports "difficulty": 6653303141405.96
    assert bits_to_difficulty(0x172A4E2F) == pytest.approx(6653303141405.96, rel=1e-15)


@given(valid_bits)
def test_bits_to_difficulty_agrees_with_bitcoinlib(bits: int) -> None:
    assert bits_to_difficulty(bits) == pytest.approx(CBlockHeader.calc_difficulty(bits), rel=1e-12)


@pytest.mark.parametrize(
    ("difficulty", "target"),
    [
        (1, DIFF1_TARGET),
        (1.0, DIFF1_TARGET),
        (0.5, DIFF1_TARGET * 2),
        (2.0, DIFF1_TARGET // 2),
        (3, DIFF1_TARGET // 3),
        (1024.0, DIFF1_TARGET // 1024),
    ],
)
def test_difficulty_to_target_known_answers(difficulty: float, target: int) -> None:
    assert difficulty_to_target(difficulty) == target


def test_fractional_difficulty_is_exact_for_the_float_value() -> None:
    exact = Fraction(0.001)
    assert difficulty_to_target(0.001) == DIFF1_TARGET * exact.denominator // exact.numerator


def test_tiny_difficulty_clamps_to_max_target() -> None:
    assert difficulty_to_target(1e-30) == MAX_TARGET
    assert difficulty_to_target(DIFF1_TARGET / MAX_TARGET) <= MAX_TARGET


@pytest.mark.parametrize("difficulty", [0, -1.0, math.inf, math.nan])
def test_invalid_difficulty(difficulty: float) -> None:
    with pytest.raises(ValueError, match="positive finite"):
        difficulty_to_target(difficulty)


def test_zero_target_has_no_difficulty() -> None:
    with pytest.raises(ValueError, match="positive"):
        target_to_difficulty(0)


@given(st.floats(min_value=1e-6, max_value=1e15, allow_nan=False, allow_infinity=False))
def test_difficulty_target_round_trip(difficulty: float) -> None:
    target = difficulty_to_target(difficulty)
    exact = DIFF1_TARGET / Fraction(difficulty)
    assert target <= exact < target + 1
    assert target_to_difficulty(target) == pytest.approx(difficulty, rel=1e-12)


@given(st.integers(min_value=1, max_value=MAX_TARGET))
def test_target_difficulty_round_trip(target: int) -> None:
    again = difficulty_to_target(target_to_difficulty(target))
    assert abs(again - target) <= max(1, target >> 50)


def test_hash_to_int_is_little_endian() -> None:
    assert hash_to_int(b"\x01" + bytes(31)) == 1
    assert hash_to_int(bytes(31) + b"\x80") == 1 << 255
