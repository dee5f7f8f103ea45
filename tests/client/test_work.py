"""The hashing core against mainnet block 100000, and its properties."""

from __future__ import annotations

import hashlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.client.miner import FoundShare, scan
from loka_stratum.client.work import (
    DIFF1_TARGET,
    MAX_TARGET,
    UNIT_NONCES,
    Work,
    bits_to_target,
    deposit_bits,
    difficulty_to_target,
    rolled_version,
    version_bits_param,
)
from loka_stratum.protocol import Notify

# Block 100000: its real coinbase, cut around 6 bytes of the scriptSig
# (08 | 04 4c86041b | 02 0602) taken as extranonce1 (4 bytes) + extranonce2 (2 bytes).
COINB1 = "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0804"
EXTRANONCE1 = bytes.fromhex("4c86041b")
EXTRANONCE2 = bytes.fromhex("0206")
COINB2 = (
    "02ffffffff0100f2052a010000004341041b0e8c2567c12536aa13357b79a073dc4444acb83c4ec7a0e2f99dd7"
    "457516c5817242da796924ca4e99947d087fedf9ce467cb9f7c6287078f801df276fdf84ac00000000"
)
OTHER_TXIDS = (
    "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
    "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
    "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
)
PREV_HASH = "000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250"
MERKLE_ROOT = "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766"
BLOCK_HASH = "000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506"
NONCE = 274148111
BITS = 0x1B04864C


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def stratum_words(display_hash: str) -> str:
    """The Stratum prevhash: internal order with each 4-byte word byte-swapped."""
    internal = bytes.fromhex(display_hash)[::-1]
    return b"".join(internal[i : i + 4][::-1] for i in range(0, 32, 4)).hex()


def block_100000_notify() -> Notify:
    tx1, tx2, tx3 = (bytes.fromhex(txid)[::-1] for txid in OTHER_TXIDS)
    branch = (tx1.hex(), sha256d(tx2 + tx3).hex())
    prevhash = stratum_words(PREV_HASH)
    return Notify(
        "b100000", prevhash, COINB1, COINB2, branch, "00000001", "1b04864c", "4d1b2237", True
    )


def block_100000_work(mask: int = 0) -> Work:
    return Work.from_notify(block_100000_notify(), EXTRANONCE1, len(EXTRANONCE2), mask)


def test_header_from_notify_hashes_to_block_100000() -> None:
    work = block_100000_work()
    assert (work.ntime, work.bits, work.version) == (1293623863, BITS, 1)
    assert work.merkle_root(EXTRANONCE2)[::-1].hex() == MERKLE_ROOT
    header = work.header(EXTRANONCE2, 1, NONCE)
    assert len(header) == 80
    assert sha256d(header)[::-1].hex() == BLOCK_HASH


def test_scan_finds_the_real_nonce_of_block_100000() -> None:
    work = block_100000_work()
    prefix = work.header_prefix(EXTRANONCE2, 1)
    found = scan(prefix, NONCE - 1000, UNIT_NONCES, work.network_target)
    assert [(nonce, digest[::-1].hex()) for nonce, digest in found] == [(NONCE, BLOCK_HASH)]
    assert FoundShare(work, EXTRANONCE2, 1, NONCE, found[0][1]).is_block


def test_block_100000_share_submits_wire_fields() -> None:
    share = FoundShare(block_100000_work(), EXTRANONCE2, 1, NONCE, bytes(32))
    submit = share.submit("w")
    assert (submit.worker, submit.job_id, submit.extranonce2) == ("w", "b100000", "0206")
    assert (submit.ntime, submit.nonce) == ("4d1b2237", f"{NONCE:08x}")
    assert submit.version_bits is None  # no version rolling negotiated


def small_work(mask: int, extranonce2_size: int, version: str = "20000000") -> Work:
    notify = Notify("j", "00" * 32, "", "", (), version, "1d00ffff", "00000000", True)
    return Work.from_notify(notify, b"", extranonce2_size, mask)


def test_version_bits_param_is_only_the_masked_bits() -> None:
    share = FoundShare(small_work(0x1FFFE000, 4), bytes(4), 0x20012000, 7, bytes(32))
    assert share.submit("w").version_bits == "00012000"


@pytest.mark.parametrize(
    ("field", "value"),
    [("prevhash", "00" * 31), ("version", "000001"), ("nbits", "zz000000"), ("ntime", "")],
)
def test_malformed_notify_fields_are_value_errors(field: str, value: str) -> None:
    params = dict(zip(Notify.PARAM_NAMES, block_100000_notify().to_params(), strict=True))
    params[field] = value
    with pytest.raises(ValueError, match=r"."):
        Work.from_notify(Notify.from_params(list(params.values())), EXTRANONCE1, 2)


def test_malformed_merkle_branch_is_a_value_error() -> None:
    notify = Notify("j", "00" * 32, "", "", ("00" * 31,), "20000000", "1d00ffff", "00000000", True)
    with pytest.raises(ValueError, match="32 bytes"):
        Work.from_notify(notify, b"", 4)


def test_targets_known_values() -> None:
    assert bits_to_target(0x1D00FFFF) == DIFF1_TARGET
    assert bits_to_target(BITS) == 0x04864C << (8 * (0x1B - 3))
    assert bits_to_target(0x02008000) == 0x80
    assert bits_to_target(0x04923456) == 0  # a negative encoding is no target
    assert difficulty_to_target(1) == DIFF1_TARGET
    assert difficulty_to_target(0.5) == 2 * DIFF1_TARGET
    assert difficulty_to_target(2**-300) == MAX_TARGET
    assert abs(difficulty_to_target(0.0001) / (DIFF1_TARGET * 10_000) - 1) < 1e-12
    with pytest.raises(ValueError, match="positive"):
        difficulty_to_target(0)


@given(st.floats(1e-9, 1e12), st.floats(1e-9, 1e12))
def test_harder_difficulty_never_gives_an_easier_target(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert difficulty_to_target(low) >= difficulty_to_target(high)


@given(st.binary(min_size=76, max_size=76), st.integers(0, 2**32 - 1))
def test_midstate_path_equals_plain_double_sha256(prefix: bytes, nonce: int) -> None:
    plain = sha256d(prefix + struct.pack("<I", nonce))
    assert scan(prefix, nonce, 1, MAX_TARGET) == [(nonce, plain)]


@given(
    st.binary(min_size=76, max_size=76),
    st.integers(0, 2**32 - 64),
    st.integers(0, MAX_TARGET),
)
def test_scan_returns_exactly_the_nonces_meeting_the_target(
    prefix: bytes, start: int, target: int
) -> None:
    target >>= 2  # at most about a quarter of the hashes qualify
    hashes = [(n, sha256d(prefix + struct.pack("<I", n))) for n in range(start, start + 64)]
    expected = [(n, d) for n, d in hashes if int.from_bytes(d, "little") <= target]
    assert scan(prefix, start, 64, target) == expected


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_rolled_version_keeps_unmasked_bits_and_submits_only_masked_ones(
    base: int, mask: int, roll: int
) -> None:
    roll %= 1 << mask.bit_count()
    version = rolled_version(base, mask, roll)
    bits = int(version_bits_param(version, mask), 16)
    assert bits & ~mask == 0
    assert (base & ~mask) | bits == version  # what a BIP310 pool reconstructs
    assert rolled_version(base, mask, 0) == base


@given(st.integers(1, 0xFFFF).filter(lambda m: m.bit_count() <= 8))
def test_each_roll_gives_a_distinct_version(mask: int) -> None:
    rolls = 1 << mask.bit_count()
    assert len({deposit_bits(i, mask) for i in range(rolls)}) == rolls


def unit_keys(work: Work, indexes: range) -> set[tuple[bytes, int, int]]:
    units = (work.unit(i) for i in indexes)
    return {(u.extranonce2, u.version, u.nonce_start) for u in units}


MASKS = st.sampled_from([0, 0x2000, 0x6000, 0x1E000])


@given(MASKS, st.integers(0, 1))
def test_units_never_repeat(mask: int, extranonce2_size: int) -> None:
    work = small_work(mask, extranonce2_size)
    count = min(work.unit_count, 3000)
    assert len(unit_keys(work, range(count))) == count


@given(MASKS, MASKS, st.integers(0, 1200))
def test_a_new_mask_resumes_without_repeating_units(old: int, new: int, done: int) -> None:
    before, after = small_work(old, 1), small_work(new, 1)
    start = after.resume_index(before, done)
    assert not unit_keys(before, range(done)) & unit_keys(after, range(start, start + 300))
