"""End to end on the embedded chain: three miners, PPLNS, blocks found, matured and orphaned.

A real pool (`PoolApp`: listener, validator, share batcher, database on each
backend) mines on the embedded regtest chain. Alice, bob and carol submit 3, 2
and 1 shares per turn at the same difficulty (hashrates 3:2:1) until the pool
has found three blocks. The expected credits are computed here from the
shares the test itself submitted, independently of the accounting code.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from loka_stratum.app.pool import PoolApp
from loka_stratum.bitcoin.hashing import sha256d
from loka_stratum.bitcoin.target import bits_to_difficulty, difficulty_to_target, hash_to_int
from loka_stratum.config import Settings
from loka_stratum.mining.job import prevhash_from_stratum
from loka_stratum.observability.metrics import Metrics
from loka_stratum.sources.embedded import EmbeddedSource
from loka_stratum.sources.embedded_chain import bits_for_difficulty
from loka_stratum.storage import BlockStatus, LedgerRepository
from loka_stratum.storage.schema import CreditKind, CreditStatus
from tests.server.harness import Miner, find_share, submit_params

from .accounting_helpers import FEE_ADDRESS, POOL_ADDRESS

SHARE_DIFFICULTY = 1e-6
NETWORK_DIFFICULTY = 1.5e-5
FEE_PERCENT = 1.0
PPLNS_N = 2.0
TURN = {"alice": 3, "bob": 2, "carol": 1}
BLOCKS = 3
MAX_SHARES = 3000


def pool_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings.model_validate(
        {
            "server": {"host": "127.0.0.1", "port": 0},
            "stratum": {
                "payout_mode": "pool",
                "pool_address": POOL_ADDRESS,
                "start_difficulty": SHARE_DIFFICULTY,
                "min_difficulty": SHARE_DIFFICULTY,
            },
            "vardiff": {"enabled": False},
            "database": {
                "url": database_url,
                "journal_dir": str(tmp_path / "journal"),
                "flush_interval": 0.05,
            },
            "accounting": {
                "scheme": "pplns",
                "pplns_n": PPLNS_N,
                "confirmations": 2,
                "fee_percent": FEE_PERCENT,
                "fee_address": FEE_ADDRESS,
            },
        }
    )


@dataclass
class Rig:
    account: str
    miner: Miner
    notify: list[Any]
    nonce: int = 0


@dataclass
class Mined:
    shares: list[tuple[str, float]]
    """(account, credited difficulty), oldest first."""
    blocks: list[tuple[bytes, int]]
    """(block hash, index of its share in ``shares``)."""


@pytest.fixture
async def pool(tmp_path: Path, database_url: str) -> AsyncIterator[tuple[PoolApp, EmbeddedSource]]:
    source = EmbeddedSource(network_difficulty=NETWORK_DIFFICULTY, template_refresh=3600.0)
    metrics = Metrics(CollectorRegistry(), version="test", mode="pool")
    app = PoolApp(pool_settings(tmp_path, database_url), source, metrics)
    await app.start()
    try:
        yield app, source
    finally:
        await app.stop()


def header_hash(notify: list[Any], extranonce1: bytes, nonce: int) -> bytes:
    """The block hash of a share found by `find_share` (extranonce2 zero, no version bits)."""
    _job, prevhash, coinb1, coinb2, branch, version, nbits, ntime, _clean = notify
    root = sha256d(bytes.fromhex(coinb1) + extranonce1 + bytes(4) + bytes.fromhex(coinb2))
    for sibling in branch:
        root = sha256d(root + bytes.fromhex(sibling))
    header = struct.pack(
        "<I32s32sIII",
        int(version, 16),
        prevhash_from_stratum(prevhash),
        root,
        int(ntime, 16),
        int(nbits, 16),
        nonce,
    )
    return sha256d(header)


async def mine(
    rigs: list[Rig], blocks: int = BLOCKS, shares_per_turn: Mapping[str, int] = TURN
) -> Mined:
    """Submit shares in turns (`shares_per_turn` per account) until `blocks` are found."""
    mined = Mined([], [])
    network_target = difficulty_to_target(
        bits_to_difficulty(bits_for_difficulty(NETWORK_DIFFICULTY))
    )
    turn = [rig for rig in rigs for _ in range(shares_per_turn[rig.account])]
    while len(mined.blocks) < blocks and len(mined.shares) < MAX_SHARES:
        for rig in turn:
            block = await submit_share(rig, mined)
            if hash_to_int(block) <= network_target:
                mined.blocks.append((block, len(mined.shares) - 1))
                for other in rigs:
                    await next_clean_job(other)
                break  # a new turn on the new job
    assert len(mined.blocks) == blocks, "no luck: raise MAX_SHARES"
    return mined


async def submit_share(rig: Rig, mined: Mined) -> bytes:
    miner = rig.miner
    nonce = find_share(rig.notify, miner.extranonce1, SHARE_DIFFICULTY, start_nonce=rig.nonce)
    rig.nonce = nonce + 1
    reply = await miner.call(
        10, "mining.submit", submit_params(rig.notify, f"{rig.account}.rig", nonce)
    )
    assert reply["result"] is True, reply
    mined.shares.append((rig.account, SHARE_DIFFICULTY))
    return header_hash(rig.notify, miner.extranonce1, nonce)


async def next_clean_job(rig: Rig) -> None:
    previous = rig.notify[1]
    while rig.notify[1] == previous or not rig.notify[8]:
        rig.notify = await rig.miner.notify()
    rig.nonce = 0


def expected_credits(mined: Mined, index: int, reward: int) -> dict[str, Fraction]:
    """PPLNS by hand: newest first from the block's share, the edge share partially."""
    room = Fraction(PPLNS_N) * Fraction(bits_to_difficulty(bits_for_difficulty(NETWORK_DIFFICULTY)))
    weights: dict[str, Fraction] = {}
    for account, difficulty in reversed(mined.shares[: index + 1]):
        counted = min(Fraction(difficulty), room)
        weights[account] = weights.get(account, Fraction(0)) + counted
        room -= counted
        if room == 0:
            break
    fee = reward * round(FEE_PERCENT * 10_000) // 1_000_000
    total = sum(weights.values())
    return {account: (reward - fee) * w / total for account, w in weights.items()}


async def test_three_miners_are_credited_by_pplns_and_paid_into_balances_at_maturity(
    pool: tuple[PoolApp, EmbeddedSource],
) -> None:
    app, source = pool
    port = next(iter(app.server.bound.values()))
    rigs: list[Rig] = []
    try:
        for account in TURN:
            miner = await Miner.connect(port)
            rigs.append(Rig(account, miner, await miner.handshake(f"{account}.rig")))
        mined = await mine(rigs)
    finally:
        for rig in rigs:
            await rig.miner.close()
    await app.blocks.drain()
    await app.batcher.wait_for(lambda stats: stats.pending_shares == 0)
    await app.accounting.run_once()

    ledger = LedgerRepository(app.database.engine)
    matured: dict[str, int] = {}
    for number, (block_hash, index) in enumerate(mined.blocks):
        block = await app.database.blocks.get_by_hash(block_hash)
        assert block is not None
        credits = await ledger.credits_for(block_hash)
        rewards = {c.account: c.amount for c in credits if c.kind is CreditKind.REWARD}
        fees = [c.amount for c in credits if c.kind is CreditKind.FEE]
        assert sum(rewards.values()) + sum(fees) == block.reward
        assert [c.account for c in credits if c.kind is CreditKind.FEE] == [FEE_ADDRESS]
        expected = expected_credits(mined, index, block.reward)
        assert rewards.keys() == {a for a, amount in expected.items() if amount >= 1}
        assert all(abs(rewards.get(a, 0) - amount) < 1 for a, amount in expected.items())
        confirmed = number < BLOCKS - 1  # the tip has one confirmation of the two required
        assert block.status is (BlockStatus.CONFIRMED if confirmed else BlockStatus.PENDING)
        if confirmed:
            for credit in credits:
                matured[credit.account] = matured.get(credit.account, 0) + credit.amount
        else:
            tip_credits = {c.account: c.amount for c in credits}
    assert await ledger.balances() == matured
    assert await ledger.immature() == tip_credits

    assert source.invalidate_tip() == mined.blocks[-1][0]
    await app.accounting.run_once()
    tip = await app.database.blocks.get_by_hash(mined.blocks[-1][0])
    assert tip is not None and tip.status is BlockStatus.ORPHANED
    assert {c.status for c in await ledger.credits_for(tip.hash)} == {CreditStatus.VOID}
    assert await ledger.balances() == matured
    assert await ledger.immature() == {}
