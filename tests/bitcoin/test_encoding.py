"""CompactSize, ByteReader, CScriptNum and script pushes (checked against bitcoinlib)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from bitcoin.core._bignum import bn2vch
from bitcoin.core.script import CScript
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.bitcoin.encoding import (
    ByteReader,
    DecodeError,
    bip34_height_script,
    decode_script_num,
    encode_compact_size,
    encode_script_num,
    push_data,
    push_int,
)

COMPACT_SIZES = [
    (0, "00"),
    (0xFC, "fc"),
    (0xFD, "fdfd00"),
    (0xFFFF, "fdffff"),
    (0x10000, "fe00000100"),
    (0xFFFFFFFF, "feffffffff"),
    (0x100000000, "ff0000000001000000"),
    (2**64 - 1, "ffffffffffffffffff"),
]


@pytest.mark.parametrize(("value", "encoded"), COMPACT_SIZES)
def test_compact_size_boundaries(value: int, encoded: str) -> None:
    assert encode_compact_size(value).hex() == encoded
    reader = ByteReader(bytes.fromhex(encoded))
    assert reader.read_compact_size() == value
    assert reader.remaining == 0


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_compact_size_round_trip(value: int) -> None:
    reader = ByteReader(encode_compact_size(value) + b"\xaa")
    assert reader.read_compact_size() == value
    assert reader.read(1) == b"\xaa"


@pytest.mark.parametrize("value", [-1, 2**64])
def test_compact_size_out_of_range(value: int) -> None:
    with pytest.raises(ValueError, match="compact size"):
        encode_compact_size(value)


@pytest.mark.parametrize("encoded", ["fd0000", "fdfc00", "feffff0000", "ffffffffff00000000"])
def test_non_canonical_compact_size_is_rejected(encoded: str) -> None:
    with pytest.raises(DecodeError, match="non-canonical"):
        ByteReader(bytes.fromhex(encoded)).read_compact_size()


def test_reader_integers_are_little_endian() -> None:
    reader = ByteReader(bytes.fromhex("01000000ffffffff01000000000000800201"))
    assert reader.read_u32() == 1
    assert reader.read_i32() == -1
    assert reader.read_u64() == 2**63 + 1
    assert reader.position == 16
    assert reader.read_u16() == 0x0102
    reader.expect_end()


def test_reader_var_bytes_and_peek() -> None:
    reader = ByteReader(b"\x03abcz")
    assert reader.peek(2) == b"\x03a"
    assert reader.read_var_bytes() == b"abc"
    with pytest.raises(DecodeError, match="trailing"):
        reader.expect_end()


@pytest.mark.parametrize(
    "action",
    [
        lambda r: r.read(5),
        lambda r: r.read_u32(),
        lambda r: r.read_u64(),
        lambda r: r.read_var_bytes(),
        lambda r: r.read(-1),
    ],
)
def test_truncation_raises_decode_error(action: Callable[[ByteReader], object]) -> None:
    reader = ByteReader(b"\x09ab")
    with pytest.raises(DecodeError):
        action(reader)


def test_decode_error_is_a_value_error() -> None:
    assert issubclass(DecodeError, ValueError)


SCRIPT_NUMS = [
    (0, ""),
    (1, "01"),
    (-1, "81"),
    (127, "7f"),
    (128, "8000"),
    (-128, "8080"),
    (255, "ff00"),
    (256, "0001"),
    (-32768, "008080"),
    (8388608, "00008000"),
]


@pytest.mark.parametrize(("value", "encoded"), SCRIPT_NUMS)
def test_script_num_known_answers(value: int, encoded: str) -> None:
    assert encode_script_num(value).hex() == encoded
    assert decode_script_num(bytes.fromhex(encoded)) == value


@given(st.integers(min_value=-(2**63), max_value=2**63))
def test_script_num_matches_bitcoinlib_and_round_trips(value: int) -> None:
    encoded = encode_script_num(value)
    assert encoded == bn2vch(value)
    assert decode_script_num(encoded) == value


@pytest.mark.parametrize("size", [0, 1, 75, 76, 255, 256, 65535, 65536])
def test_push_data_uses_the_smallest_opcode_like_core(size: int) -> None:
    data = bytes(size)
    assert push_data(data) == bytes(CScript([data]))


def test_push_data_opcodes() -> None:
    assert push_data(b"\x07")[:1] == b"\x01"
    assert push_data(bytes(76))[:2] == b"\x4c\x4c"
    assert push_data(bytes(256))[:3] == b"\x4d\x00\x01"
    assert push_data(bytes(65536))[:5] == b"\x4e\x00\x00\x01\x00"


@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_push_int_matches_core_cscript_shift(value: int) -> None:
    assert push_int(value) == bytes(CScript([value]))


BIP34_HEIGHTS = [
    (0, "00"),
    (1, "51"),
    (16, "60"),
    (17, "0111"),
    (127, "017f"),
    (128, "028000"),
    (255, "02ff00"),
    (256, "020001"),
    (32767, "02ff7f"),
    (32768, "03008000"),
    (8388607, "03ffff7f"),
    (8388608, "0400008000"),
]


@pytest.mark.parametrize(("height", "script"), BIP34_HEIGHTS)
def test_bip34_height_script_matches_core(height: int, script: str) -> None:
    assert bip34_height_script(height).hex() == script
    assert bip34_height_script(height) == bytes(CScript([height]))


def test_bip34_heights_1_to_16_are_small_int_opcodes_not_data_pushes() -> None:
    for height in range(1, 17):
        assert bip34_height_script(height) == bytes((0x50 + height,))


def test_bip34_rejects_negative_height() -> None:
    with pytest.raises(ValueError, match="negative"):
        bip34_height_script(-1)
