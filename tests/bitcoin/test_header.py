"""The 80-byte block header."""

from __future__ import annotations

import pytest
from bitcoin.core import CBlockHeader
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.bitcoin.encoding import DecodeError
from loka_stratum.bitcoin.header import BlockHeader
from tests.bitcoin.realblocks import BLOCK_100000, GENESIS
from tests.bitcoin.strategies import hashes32, u32

signed_versions = st.integers(min_value=-(2**31), max_value=2**31 - 1)
headers = st.builds(BlockHeader, signed_versions, hashes32, hashes32, u32, u32, u32)


def test_genesis_header_fields() -> None:
    header = BlockHeader.parse(GENESIS.raw()[:80])
    assert header.version == 1
    assert header.prev_hash == bytes(32)
    assert header.time == 1231006505
    assert header.bits == 0x1D00FFFF
    assert header.nonce == 2083236893
    assert header.hash_hex() == GENESIS.hash_hex
    assert header.hash() == bytes.fromhex(GENESIS.hash_hex)[::-1]


def test_block_100000_header_round_trip() -> None:
    raw = BLOCK_100000.raw()[:80]
    header = BlockHeader.parse(raw)
    assert header.serialize() == raw
    assert header.hash_hex() == BLOCK_100000.hash_hex


@given(headers)
def test_round_trip_and_bitcoinlib_agree(header: BlockHeader) -> None:
    raw = header.serialize()
    assert len(raw) == 80
    assert BlockHeader.parse(raw) == header
    theirs = CBlockHeader.deserialize(raw)
    assert theirs.GetHash() == header.hash()
    assert theirs.nVersion == header.version


@pytest.mark.parametrize(("unsigned", "signed"), [(0xFFFFFFFF, -1), (0x80000000, -(2**31))])
def test_unsigned_and_signed_versions_serialize_alike(unsigned: int, signed: int) -> None:
    fields = (bytes(32), bytes(32), 0, 0x207FFFFF, 0)
    assert BlockHeader(unsigned, *fields).serialize() == BlockHeader(signed, *fields).serialize()
    assert BlockHeader.parse(BlockHeader(unsigned, *fields).serialize()).version == signed


def test_version_rolling_value_survives_parse() -> None:
    header = BlockHeader(0x20002000, bytes(32), bytes(32), 1, 2, 3)
    assert BlockHeader.parse(header.serialize()).version == 0x20002000


@pytest.mark.parametrize(
    "fields",
    [
        (2**32, bytes(32), bytes(32), 0, 0, 0),
        (-(2**31) - 1, bytes(32), bytes(32), 0, 0, 0),
        (1, bytes(31), bytes(32), 0, 0, 0),
        (1, bytes(32), bytes(33), 0, 0, 0),
        (1, bytes(32), bytes(32), -1, 0, 0),
        (1, bytes(32), bytes(32), 0, 2**32, 0),
        (1, bytes(32), bytes(32), 0, 0, 2**32),
    ],
)
def test_invalid_fields_are_rejected(fields: tuple[int, bytes, bytes, int, int, int]) -> None:
    with pytest.raises(ValueError, match=r"range|32 bytes"):
        BlockHeader(*fields)


@pytest.mark.parametrize("size", [0, 79, 81])
def test_parse_needs_exactly_80_bytes(size: int) -> None:
    with pytest.raises(DecodeError, match="80 bytes"):
        BlockHeader.parse(bytes(size))
