"""The miner thread: finds real shares, follows new work within one unit, stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from loka_stratum.client.miner import FoundShare, Miner
from loka_stratum.client.work import MAX_TARGET, UNIT_NONCES, Work, sha256d
from loka_stratum.protocol import Notify

EASY = MAX_TARGET >> 4  # about one hash in sixteen is a share
WAIT = 10.0  # seconds: a bound on waiting for the thread, never a sleep


def work(job_id: str, mask: int = 0) -> Work:
    notify = Notify(
        job_id, "11" * 32, "aa", "bb", ("cc" * 32,), "20000000", "1d00ffff", "6553f100", True
    )
    return Work.from_notify(notify, b"\x01\x02\x03\x04", 4, mask)


class Collector:
    """Shares as the miner thread reports them, with a way to wait for a condition."""

    def __init__(self) -> None:
        self.shares: list[FoundShare] = []
        self.changed = threading.Condition()

    def __call__(self, share: FoundShare) -> None:
        with self.changed:
            self.shares.append(share)
            self.changed.notify_all()

    def wait_for(self, condition: Callable[[list[FoundShare]], bool]) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: condition(self.shares), WAIT)


def test_shares_are_real_hashes_below_the_target() -> None:
    found = Collector()
    miner = Miner(found, EASY)
    miner.start()
    miner.set_work(work("a"))
    found.wait_for(lambda shares: len(shares) >= 20)
    miner.stop()
    for share in found.shares[:20]:
        header = share.work.header(share.extranonce2, share.version, share.nonce)
        assert sha256d(header) == share.hash
        assert int.from_bytes(share.hash, "little") <= EASY


def test_new_work_replaces_old_work_within_one_unit() -> None:
    found = Collector()
    miner = Miner(found, EASY)
    miner.start()
    first, second = work("a"), work("b")
    miner.set_work(first)
    found.wait_for(lambda shares: len(shares) > 0)
    with found.changed:
        switched_at = len(found.shares)
        started = time.perf_counter()
        miner.set_work(second)
    found.wait_for(lambda shares: any(s.work is second for s in shares))
    latency = time.perf_counter() - started
    miner.stop()
    late = [s for s in found.shares[switched_at:] if s.work is first]
    assert len(late) <= UNIT_NONCES  # at most the unit in progress finishes
    assert latency < 0.2, f"took {latency:.3f} s to start the new job"


def test_no_work_means_no_hashing_and_stop_ends_the_thread() -> None:
    found = Collector()
    miner = Miner(found, EASY)
    miner.start()
    miner.set_work(work("a"))
    found.wait_for(lambda shares: len(shares) > 0)
    miner.set_work(None)
    miner.stop()
    hashes = miner.hashes
    assert not miner.running
    assert miner.hashes == hashes


def test_a_new_mask_for_the_same_job_never_repeats_a_share() -> None:
    found = Collector()
    miner = Miner(found, EASY)
    miner.start()
    before = work("a", mask=0x6000)
    miner.set_work(before)
    found.wait_for(lambda shares: len({s.extranonce2 for s in shares}) > 1)
    after = work("a", mask=0x1E000)
    miner.set_work(after)
    found.wait_for(lambda shares: sum(s.work is after for s in shares) >= 50)
    miner.stop()
    keys = [(s.extranonce2, s.version, s.nonce) for s in found.shares]
    assert len(keys) == len(set(keys))


def test_hashrate_is_over_100k_per_second() -> None:
    found = Collector()
    miner = Miner(found, MAX_TARGET >> 12)  # one share in about 4096 hashes
    miner.start()
    miner.set_work(work("a"))
    found.wait_for(lambda shares: len(shares) >= 50)
    miner.stop()
    assert miner.hashes >= 10 * UNIT_NONCES
    assert miner.hashrate > 100_000, f"{miner.hashrate:.0f} H/s"
