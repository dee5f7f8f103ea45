"""The server over real TCP on loopback: handshakes, shares, sloppy and hostile miners."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest

from loka_stratum.bitcoin.address import address_to_script
from loka_stratum.bitcoin.network import REGTEST
from loka_stratum.server.listener import PortSpec, StratumServer
from tests.bitcoin.bitcoinlib_check import check_block_bytes
from tests.mining.builders import make_template
from tests.server.harness import Miner, Pool, find_share, start_pool, submit_params

HARD_BITS = 0x17034219  # mainnet-like: shares are not blocks, difficulty has room
REGTEST_ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


@pytest.fixture
async def pool() -> AsyncIterator[Pool]:
    started = await start_pool(make_template(bits=HARD_BITS, tx_count=3))
    yield started
    await started.server.stop()


async def test_handshake_sends_difficulty_before_the_job(pool: Pool) -> None:
    miner = await Miner.connect(pool.port)
    reply = await miner.call(
        1, "mining.configure", [["version-rolling"], {"version-rolling.mask": "ffffffff"}]
    )
    assert reply["result"]["version-rolling"] is True
    assert reply["result"]["version-rolling.mask"] == "1fffe000"
    reply = await miner.call(2, "mining.subscribe", ["cgminer/4.11"])
    subscriptions, en1, size = reply["result"]
    assert len(bytes.fromhex(en1)) == 4 and size == 4
    assert ["mining.notify", en1] in subscriptions
    reply = await miner.call(3, "mining.authorize", ["acct.rig1", "x"])
    assert reply == {"id": 3, "result": True, "error": None}
    first = await miner.read()
    second = await miner.read()
    assert first["method"] == "mining.set_difficulty"
    assert second["method"] == "mining.notify"
    assert second["params"][8] is True
    await miner.close()


async def test_valid_share_is_accepted_and_recorded(pool: Pool) -> None:
    miner = await Miner.connect(pool.port)
    notify = await miner.handshake()
    nonce = find_share(notify, miner.extranonce1, miner.difficulty, version_bits=0x2000)
    reply = await miner.call(
        4, "mining.submit", submit_params(notify, "acct.rig1", nonce, version_bits=0x2000)
    )
    assert reply == {"id": 4, "result": True, "error": None}
    share = pool.sink.shares[-1]
    assert (share.account, share.worker, share.accepted) == ("acct", "rig1", True)
    assert share.difficulty == miner.difficulty
    await miner.close()


async def test_reused_ids_are_echoed(pool: Pool) -> None:
    miner = await Miner.connect(pool.port)
    notify = await miner.handshake()
    for attempt in range(3):
        nonce = find_share(
            notify, miner.extranonce1, miner.difficulty, extranonce2=bytes([0, 0, 0, attempt])
        )
        params = submit_params(notify, "acct.rig1", nonce, extranonce2=bytes([0, 0, 0, attempt]))
        reply = await miner.call(4, "mining.submit", params)
        assert reply["result"] is True
    await miner.close()


async def test_submit_before_subscribe_and_before_authorize(pool: Pool) -> None:
    miner = await Miner.connect(pool.port)
    params = ["acct.rig1", "1", "00000000", "00000000", "00000000"]
    reply = await miner.call(1, "mining.submit", params)
    assert reply["error"][0] == 25
    await miner.call(2, "mining.subscribe", [])
    reply = await miner.call(3, "mining.submit", params)
    assert reply["error"][0] == 24
    await miner.call(4, "mining.authorize", ["acct.rig1", "x"])
    reply = await miner.call(5, "mining.submit", ["acct.other", *params[1:]])
    assert reply["error"][0] == 24
    await miner.close()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({1: "nope"}, 21),
        ({2: "0000"}, 20),
        ({3: "zzzzzzzz"}, 20),
        ({3: "00000001"}, 20),
        ({4: "xyz"}, 20),
    ],
    ids=["unknown-job", "short-extranonce2", "bad-ntime-hex", "ntime-too-old", "bad-nonce"],
)
async def test_bad_shares_get_their_codes_and_the_session_survives(
    pool: Pool, change: dict[int, str], code: int
) -> None:
    miner = await Miner.connect(pool.port)
    notify = await miner.handshake()
    nonce = find_share(notify, miner.extranonce1, miner.difficulty)
    params = submit_params(notify, "acct.rig1", nonce)
    for index, value in change.items():
        params[index] = value
    reply = await miner.call(7, "mining.submit", params)
    assert reply["result"] is not True
    assert reply["error"][0] == code
    good = await miner.call(8, "mining.submit", submit_params(notify, "acct.rig1", nonce))
    assert good["result"] is True
    assert pool.sink.shares[-2].reject_reason is not None
    await miner.close()


async def test_duplicate_low_difficulty_and_version_mask(pool: Pool) -> None:
    miner = await Miner.connect(pool.port)
    notify = await miner.handshake()
    nonce = find_share(notify, miner.extranonce1, miner.difficulty)
    params = submit_params(notify, "acct.rig1", nonce)
    assert (await miner.call(1, "mining.submit", params))["result"] is True
    assert (await miner.call(2, "mining.submit", params))["error"][0] == 22
    outside = submit_params(notify, "acct.rig1", nonce, version_bits=0x20000000)
    assert (await miner.call(3, "mining.submit", outside))["error"][0] == 20
    await miner.call(4, "mining.suggest_difficulty", [2.0**30])
    assert (await miner.read())["method"] == "mining.set_difficulty"
    assert miner.difficulty == 2.0**30
    pool.source.push(make_template(bits=HARD_BITS, seed=9, height=201), new_block=True)
    fresh = await miner.notify()
    low = submit_params(fresh, "acct.rig1", 1)
    assert (await miner.call(5, "mining.submit", low))["error"][0] == 23
    await miner.close()


async def test_new_block_makes_old_jobs_stale(pool: Pool) -> None:
    miner = await Miner.connect(pool.port)
    old = await miner.handshake()
    pool.source.push(make_template(bits=HARD_BITS, seed=5, height=201), new_block=True)
    fresh = await miner.notify()
    assert fresh[8] is True and fresh[0] != old[0]
    nonce = find_share(old, miner.extranonce1, miner.difficulty)
    reply = await miner.call(9, "mining.submit", submit_params(old, "acct.rig1", nonce))
    assert reply["error"][0] == 21
    await miner.close()


async def test_sloppy_requests_keep_the_session(pool: Pool) -> None:
    miner = await Miner.connect(pool.port)
    reply = await miner.call("abc", "mining.suggest_difficulty", ["0.5"])
    assert reply["id"] == "abc" and reply["result"] is True
    reply = await miner.call(None, "mining.extranonce.subscribe", [])
    assert reply["result"] is True
    reply = await miner.call(5, "mining.frobnicate", [1, 2])
    assert reply["error"][0] == 20
    await miner.send_raw(b"{not json}\n")
    await miner.send_raw(b"\xff\xfe\n")
    reply = await miner.call(6, "mining.subscribe", {"user_agent": "odd"})
    assert reply["error"] is None
    await miner.close()


async def test_over_long_line_closes_the_connection(pool: Pool) -> None:
    miner = await Miner.connect(pool.port)
    await miner.send_raw(b"x" * (17 * 1024))
    assert await miner.closed_by_pool()
    await miner.close()


async def test_garbage_gets_the_peer_banned() -> None:
    pool = await start_pool(make_template(bits=HARD_BITS), ban_threshold=3)
    try:
        miner = await Miner.connect(pool.port)
        for _ in range(3):
            await miner.send_raw(b"garbage\n")
        assert await miner.closed_by_pool()
        await miner.close()
        again = await Miner.connect(pool.port)
        with pytest.raises(ConnectionError):
            await again.read()
        await again.close()
        metrics = orjson.dumps(sorted(str(m.name) for m in pool.registry.collect())).decode()
        assert "loka_stratum_bans" in metrics
    finally:
        await pool.server.stop()


async def test_handshake_timeout_closes_idle_connections() -> None:
    pool = await start_pool(make_template(bits=HARD_BITS), handshake_timeout=0.2)
    try:
        miner = await Miner.connect(pool.port)
        with pytest.raises(ConnectionError):
            await miner.read()
        await miner.close()
    finally:
        await pool.server.stop()


async def test_solo_pays_the_miners_address_and_rejects_bad_ones() -> None:
    pool = await start_pool(make_template(bits=HARD_BITS), solo=True)
    try:
        miner = await Miner.connect(pool.port)
        await miner.call(1, "mining.subscribe", [])
        reply = await miner.call(
            2, "mining.authorize", ["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2.rig", "x"]
        )
        assert reply["error"][0] == 24
        reply = await miner.call(3, "mining.authorize", [f"{REGTEST_ADDRESS}.rig", "x"])
        assert reply["result"] is True
        notify = await miner.notify()
        script = address_to_script(REGTEST_ADDRESS, REGTEST)
        assert script.hex() in notify[3]
        await miner.close()
    finally:
        await pool.server.stop()


async def test_found_block_is_submitted_and_valid() -> None:
    pool = await start_pool(make_template(tx_count=4, height=777))
    try:
        miner = await Miner.connect(pool.port)
        notify = await miner.handshake()
        nonce = find_share(notify, miner.extranonce1, 1e-9, version_bits=0x4000)
        params = submit_params(notify, "acct.rig1", nonce, version_bits=0x4000)
        assert (await miner.call(4, "mining.submit", params))["result"] is True
        await asyncio.wait_for(pool.source.block_submitted.wait(), 5)
        check_block_bytes(pool.source.blocks[0], expect_height=777, expect_segwit=True)
        assert pool.sink.shares[-1].is_block
        await miner.close()
    finally:
        await pool.server.stop()


async def test_vardiff_raises_a_fast_miner_with_set_difficulty(pool: Pool) -> None:
    miner = await Miner.connect(pool.port)
    notify = await miner.handshake()
    start = miner.difficulty
    for index in range(8):
        en2 = index.to_bytes(4, "big")
        nonce = find_share(notify, miner.extranonce1, start, extranonce2=en2)
        reply = await miner.call(
            10 + index, "mining.submit", submit_params(notify, "acct.rig1", nonce, extranonce2=en2)
        )
        assert reply["result"] is True
    while miner.difficulty == start:
        await miner.read()
    assert miner.difficulty == start * 4  # one step is bounded by max_change
    await miner.close()


async def test_password_difficulty_is_fixed() -> None:
    pool = await start_pool(make_template(bits=HARD_BITS))
    try:
        miner = await Miner.connect(pool.port)
        await miner.call(1, "mining.subscribe", [])
        await miner.call(2, "mining.authorize", ["acct.rig1", "x,d=0.5"])
        assert (await miner.read())["method"] == "mining.set_difficulty"
        assert miner.difficulty == 0.5
        await miner.close()
    finally:
        await pool.server.stop()


@pytest.mark.parametrize(
    "address",
    [
        "mfWyW5fc9NUj75YAnFgoRLrjxgLDn2MMth",
        "2MsLZ5FqqYpjM1Q1W4X81zMVZTF9gdbhVwd",
        "bcrt1qqgpsgpgxquyqjzstpsxsurcszyfpx9q4yqfucg",
        "bcrt1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0scjhmyt",
        "bcrt1pqypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7rusq58nmtx",
    ],
    ids=["p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr"],
)
async def test_solo_blocks_pay_every_address_type(address: str) -> None:
    pool = await start_pool(make_template(tx_count=2, height=400), solo=True)
    try:
        miner = await Miner.connect(pool.port)
        notify = await miner.handshake(f"{address}.rig")
        nonce = find_share(notify, miner.extranonce1, 1e-9)
        while True:  # regtest bits: about every other share is a block
            reply = await miner.call(
                nonce, "mining.submit", submit_params(notify, f"{address}.rig", nonce)
            )
            assert reply["result"] is True
            if pool.sink.shares[-1].is_block:
                break
            nonce = find_share(notify, miner.extranonce1, 1e-9, start_nonce=nonce + 1)
        await asyncio.wait_for(pool.source.block_submitted.wait(), 5)
        block = check_block_bytes(pool.source.blocks[0], expect_height=400, expect_segwit=True)
        paid = bytes(block.vtx[0].vout[0].scriptPubKey)
        assert paid == address_to_script(address, REGTEST)
        await miner.close()
    finally:
        await pool.server.stop()


async def test_extra_ports_have_their_own_difficulty_and_ipv6() -> None:
    pool = await start_pool(make_template(bits=HARD_BITS))
    try:
        extra = StratumServer(
            pool.context,
            pool.source,
            host="127.0.0.1",
            ports=[PortSpec(0, 0.25, "high")],
            ipv6=True,
        )
        await extra.start()
        port = extra.bound[0]
        for host in ("127.0.0.1", "::1"):
            reader, writer = await asyncio.open_connection(host, port)
            miner = Miner(reader, writer)
            await miner.call(1, "mining.subscribe", [])
            await miner.call(2, "mining.authorize", ["acct.rig", "x"])
            assert (await miner.read())["params"] == [0.25]
            await miner.close()
        await extra.stop_accepting()
        await extra.close_sessions()
    finally:
        await pool.server.stop()


async def test_malformed_shares_count_toward_a_ban_but_low_difficulty_does_not() -> None:
    pool = await start_pool(make_template(bits=HARD_BITS), ban_threshold=3)
    miner = await Miner.connect(pool.port)
    try:
        await miner.handshake()
        await miner.call(4, "mining.suggest_difficulty", [2.0**20])
        pool.source.push(make_template(bits=HARD_BITS, seed=8, height=201), new_block=True)
        notify = await miner.notify()
        for attempt in range(5):  # honest misses never ban
            low = submit_params(notify, "acct.rig1", attempt)
            reply = await miner.call(10 + attempt, "mining.submit", low)
            assert reply["error"][0] == 23
        bad = submit_params(notify, "acct.rig1", 1)
        bad[3] = "zzzzzzzz"
        for attempt in range(3):
            await miner.send_raw(
                orjson.dumps({"id": 20 + attempt, "method": "mining.submit", "params": bad}) + b"\n"
            )
        assert await miner.closed_by_pool()
    finally:
        await miner.close()
        await pool.server.stop()
