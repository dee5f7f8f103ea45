"""Upstream jobs as local jobs: the translated job hashes to what an independent
computation gives, and a malformed notify is refused, never broadcast."""

from __future__ import annotations

import hashlib
import itertools
import struct
from dataclasses import replace

import pytest
import structlog

from loka_stratum.mining.jobbook import JobBook
from loka_stratum.mining.validator import ShareValidator
from loka_stratum.mining.work import MinerWork, ShareTarget
from loka_stratum.protocol import Notify, Submit
from loka_stratum.proxy.translate import BadUpstreamJobError, translate_notify
from tests.proxy.runtime_harness import ScriptedChannel

GENESIS_COINBASE = bytes.fromhex(
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ff"
    "ff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e20627269"
    "6e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a010000004341"
    "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e5"
    "1ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000"
)
GENESIS_HASH = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
GENESIS_NONCE = 2083236893
DIFF1 = 0xFFFF << 208


def dsha(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def meets(header: bytes, difficulty: float) -> bool:
    return int.from_bytes(dsha(header), "little") * difficulty <= DIFF1


def stratum_words(internal: bytes) -> str:
    """Stratum's prevhash: each 4-byte word of the internal-order hash byte-swapped."""
    return "".join(internal[i : i + 4][::-1].hex() for i in range(0, 32, 4))


def genesis_notify(extranonce_at: int, extranonce_size: int) -> Notify:
    coinb1 = GENESIS_COINBASE[:extranonce_at]
    coinb2 = GENESIS_COINBASE[extranonce_at + extranonce_size :]
    return Notify(
        "pool-job-7", "00" * 32, coinb1.hex(), coinb2.hex(), (), "00000001", "1d00ffff",
        "495fab29", True,
    )  # fmt: skip


def validate(notify: Notify, extranonce1: bytes, extranonce2: bytes, nonce: int) -> bytes | None:
    """The header the proxy's validator builds for a share of the translated job."""
    upstream_job = translate_notify(notify, seq=5, generation=1, upstream_difficulty=2.0)
    book = JobBook()
    book.add(upstream_job.job)
    work = MinerWork(extranonce1, len(extranonce2), ShareTarget.for_difficulty(1e-9))
    share = Submit(
        "w", upstream_job.job.job_id, extranonce2.hex(), notify.ntime, f"{nonce:08x}", None
    )
    result = ShareValidator(book, max_future_ntime=7200).validate(share, work, now=2e9)
    assert result.reason is None, result.reason
    return result.header


def test_the_genesis_block_rebuilt_from_a_notify_hashes_to_the_genesis_hash() -> None:
    notify = genesis_notify(42, 8)
    extranonce = GENESIS_COINBASE[42:50]
    built = validate(notify, extranonce[:5], extranonce[5:], GENESIS_NONCE)
    assert built is not None
    assert dsha(built)[::-1].hex() == GENESIS_HASH


def test_translated_job_keeps_the_pool_job_id_and_difficulty_under_an_id_of_ours() -> None:
    notify = genesis_notify(42, 8)
    upstream_job = translate_notify(notify, seq=0x2A, generation=3, upstream_difficulty=512.0)
    job = upstream_job.job
    assert upstream_job.upstream_job_id == "pool-job-7"
    assert upstream_job.upstream_difficulty == 512.0
    assert job.job_id == "2a" and job.seq == 0x2A and job.generation == 3
    assert job.notify_params == ("2a", *notify.to_params()[1:4], (), *notify.to_params()[5:])


def test_coinbase_merkle_root_and_header_match_an_independent_computation() -> None:
    prev_internal = dsha(b"previous block")
    branch = tuple(dsha(bytes([i])) for i in range(3))
    coinb1, coinb2 = bytes.fromhex("01000000aa"), bytes.fromhex("bbccffffffff")
    notify = Notify(
        "abc", stratum_words(prev_internal), coinb1.hex(), coinb2.hex(),
        tuple(b.hex() for b in branch), "20000004", "207fffff", "6553f1aa", False,
    )  # fmt: skip
    extranonce1, extranonce2 = bytes.fromhex("f0000001aa"), bytes.fromhex("0102030405")
    root = dsha(coinb1 + extranonce1 + extranonce2 + coinb2)
    for sibling in branch:
        root = dsha(root + sibling)
    fixed = struct.pack("<I", 0x20000004) + prev_internal + root
    fixed += struct.pack("<II", 0x6553F1AA, 0x207FFFFF)
    nonce = next(n for n in itertools.count() if meets(fixed + struct.pack("<I", n), 1e-9))
    expected = fixed + struct.pack("<I", nonce)
    assert validate(notify, extranonce1, extranonce2, nonce) == expected
    job = translate_notify(notify, seq=1, generation=1, upstream_difficulty=1.0).job
    assert job.prev_hash == prev_internal and job.merkle_branch == branch
    assert (job.version, job.bits, job.ntime) == (0x20000004, 0x207FFFFF, 0x6553F1AA)


GOOD = Notify("j", "00" * 32, "01", "02", ("11" * 32,), "20000000", "1d00ffff", "6553f100", True)
MALFORMED = {
    "prevhash not hex": replace(GOOD, prevhash="zz" * 32),
    "prevhash 31 bytes": replace(GOOD, prevhash="00" * 31),
    "coinb1 not hex": replace(GOOD, coinb1="0g"),
    "coinb2 odd length": replace(GOOD, coinb2="020"),
    "branch entry 31 bytes": replace(GOOD, merkle_branch=("11" * 31,)),
    "branch entry not hex": replace(GOOD, merkle_branch=("xy" * 32,)),
    "branch too long": replace(GOOD, merkle_branch=("11" * 32,) * 33),
    "version 7 digits": replace(GOOD, version="2000000"),
    "nbits not hex": replace(GOOD, nbits="1d00fffz"),
    "ntime 5 bytes": replace(GOOD, ntime="6553f10000"),
}


@pytest.mark.parametrize("notify", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_notify_raises(notify: Notify) -> None:
    with pytest.raises(BadUpstreamJobError):
        translate_notify(notify, seq=1, generation=1, upstream_difficulty=1.0)


def test_thirty_two_branch_levels_are_still_a_job() -> None:
    notify = replace(GOOD, merkle_branch=("11" * 32,) * 32)
    job = translate_notify(notify, seq=1, generation=1, upstream_difficulty=1.0).job
    assert len(job.merkle_branch) == 32


@pytest.mark.parametrize("notify", MALFORMED.values(), ids=MALFORMED.keys())
async def test_channel_logs_a_malformed_notify_and_keeps_the_previous_job(notify: Notify) -> None:
    scripted = ScriptedChannel()
    scripted.connect(bytes(4), 8, GOOD)
    channel = scripted.channel
    previous = channel.current
    assert previous is not None and scripted.broadcast == [previous]
    with structlog.testing.capture_logs() as logs:
        scripted.send(notify)
    assert scripted.broadcast == [previous]
    assert channel.current is previous and channel.ready.is_set()
    assert list(channel.jobs) == [previous.job.job_id]
    assert [e["event"] for e in logs] == ["Upstream job refused"]
    scripted.send(replace(GOOD, job_id="next"))
    assert len(scripted.broadcast) == 2
    assert channel.jobs[scripted.broadcast[1].job.job_id].upstream_job_id == "next"
