"""ZMQ hashblock: the subscriber against a real publisher, and the delivery judgement."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from loka_stratum.sources.hashblock import HashblockSubscriber, ZmqDelivery
from tests.fakes.bitcoind import DEADLINE, FakeBitcoind

HASH_A = bytes(range(32))
HASH_B = bytes(range(32, 64))


def _seq(n: int) -> bytes:
    return n.to_bytes(4, "little")


async def test_subscriber_reverses_hashes_skips_junk_and_reports_gaps() -> None:
    seen: list[bytes] = []
    arrived = asyncio.Event()

    def on_block(block_hash: bytes) -> None:
        seen.append(block_hash)
        if len(seen) == 4:
            arrived.set()

    async with FakeBitcoind(zmq=True) as node:
        subscriber = HashblockSubscriber(node.zmq_endpoint, on_block)
        task = asyncio.create_task(subscriber.run())
        with capture_logs() as logs:
            await node.wait_subscribed()
            publish = node.zmq.send_raw
            await publish([b"hashblock", HASH_A[::-1], _seq(7)])
            await publish([b"hashblock", HASH_B[::-1]])  # no sequence frame
            await publish([b"hashblock", HASH_B[:31], _seq(8)])  # short hash
            await publish([b"hashblock", HASH_B[::-1], _seq(8)])
            await publish([b"hashblock", HASH_A[::-1], _seq(11)])  # 9 and 10 missed
            await publish([b"hashblock", HASH_B[::-1], _seq(0)])  # the node restarted
            await asyncio.wait_for(arrived.wait(), DEADLINE)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert seen == [HASH_A, HASH_B, HASH_A, HASH_B]
    events = [entry["event"] for entry in logs]
    assert events.count("zmq_malformed_message") == 2
    [gap] = [entry for entry in logs if entry["event"] == "zmq_sequence_gap"]
    assert (gap["expected"], gap["got"]) == (9, 11)
    assert "zmq_publisher_restarted" in events


def test_poll_beating_zmq_briefly_is_not_a_failure() -> None:
    delivery = ZmqDelivery(grace=5.0)
    delivery.polled(HASH_A, now=100.0)
    assert not delivery.check(now=104.0)
    delivery.announced(HASH_A)
    assert not delivery.check(now=200.0)
    assert delivery.issue is None
    assert delivery.take() == HASH_A and delivery.take() is None


def test_a_tip_zmq_never_announces_marks_it_silent_until_it_speaks_again() -> None:
    delivery = ZmqDelivery(grace=5.0)
    delivery.polled(HASH_A, now=100.0)
    delivery.polled(HASH_B, now=103.0)  # the older overdue tip keeps its deadline
    assert delivery.check(now=105.5)
    assert not delivery.check(now=106.0)  # reported once
    assert delivery.issue is not None and "silent" in delivery.issue
    delivery.announced(HASH_B)
    assert delivery.issue is None


def test_tip_already_announced_is_not_awaited_again() -> None:
    delivery = ZmqDelivery(grace=1.0)
    delivery.announced(HASH_A)
    delivery.polled(HASH_A, now=10.0)
    assert not delivery.check(now=50.0)


def test_node_not_publishing_hashblock_is_an_issue_until_it_does() -> None:
    delivery = ZmqDelivery(grace=1.0)
    delivery.published({"pubrawtx", "pubsequence"})
    assert delivery.issue is not None and "-zmqpubhashblock" in delivery.issue
    delivery.published({"pubhashblock"})
    assert delivery.issue is None
