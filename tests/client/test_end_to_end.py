"""The client against a real (small) pool on loopback: every share is re-hashed by the pool."""

from __future__ import annotations

import socket
from dataclasses import replace
from typing import Any

import pytest

from loka_stratum.client import ClientOptions, EndReason, ExitCode, mine
from loka_stratum.client.options import DEFAULT_USER, USER_AGENT
from loka_stratum.protocol import (
    Authorize,
    Configure,
    GetVersion,
    RawResult,
    Reconnect,
    SetVersionMask,
    ShowMessage,
    StratumErrorCode,
    Subscribe,
    SuggestDifficulty,
)

from .pool import REGTEST_BITS, CheckedShare, LoopbackPool, PoolConn

MASK = 0x1FFFE000
LOW = StratumErrorCode.LOW_DIFFICULTY


def options(port: int, **overrides: Any) -> ClientOptions:
    """Bounded runs: 30 s at most, 3 shares by default, short waits for answers."""
    base = ClientOptions("127.0.0.1", port, duration=30.0, shares=3, response_timeout=5.0)
    return replace(base, **overrides)


async def test_mines_valid_shares_that_the_pool_accepts() -> None:
    async with LoopbackPool(difficulty=0.0001) as pool:
        report = await mine(options(pool.port), notice=quiet)
    assert report.exit_code is ExitCode.PASS, report.to_json()
    assert report.end_reason is EndReason.SHARES
    assert report.accepted == 3
    assert len(pool.valid_shares()) == len(pool.shares) == report.submitted
    assert report.extranonce1 == pool.conns[0].extranonce1
    assert report.extranonce2_size == 4
    assert report.version_mask == MASK
    assert report.difficulties == [0.0001]
    assert report.jobs == 1
    assert report.hashes > 0
    assert report.hashrate > 0
    for share in pool.shares:
        bits = share.submit.version_bits
        assert bits is not None and int(bits, 16) & ~MASK == 0
        assert share.submit.worker == DEFAULT_USER


def quiet(_: str) -> None:
    """Notices (pool messages, reconnects) are not printed during tests."""


async def test_a_rejecting_pool_fails_the_run() -> None:
    async with LoopbackPool(difficulty=0.00001, accept=False, reject_code=LOW) as pool:
        report = await mine(options(pool.port, duration=1.5, shares=None), notice=quiet)
    assert report.exit_code is ExitCode.FAIL
    assert report.end_reason is EndReason.DURATION
    assert report.accepted == 0
    assert report.submitted == len(pool.shares) > 0
    assert report.rejections == {LOW: report.submitted}


async def test_a_clean_job_mid_mining_moves_the_miner_to_the_new_job() -> None:
    def new_job_after_first_share(conn: PoolConn, share: CheckedShare) -> None:
        if len(conn.jobs) == 1:
            conn.send_job(clean=True)

    async with LoopbackPool(on_share=new_job_after_first_share) as pool:
        report = await mine(options(pool.port, shares=3), notice=quiet)
    assert report.exit_code is ExitCode.PASS, report.to_json()
    assert (report.jobs, report.clean_jobs) == (2, 2)
    on_new_job = [s for s in pool.shares if s.submit.job_id == "job2"]
    assert on_new_job and all(s.verdict is None for s in on_new_job)
    assert {s.verdict for s in pool.shares} <= {None, StratumErrorCode.JOB_NOT_FOUND}
    assert report.accepted == len(pool.valid_shares()) == 3


async def test_client_reconnect_moves_to_the_given_pool() -> None:
    async with LoopbackPool() as second:

        def send_elsewhere(conn: PoolConn, share: CheckedShare) -> None:
            conn.send(Reconnect("127.0.0.1", second.port, 0))

        async with LoopbackPool(on_share=send_elsewhere) as first:
            report = await mine(options(first.port, shares=2), notice=quiet)
    assert report.exit_code is ExitCode.PASS, report.to_json()
    assert (report.reconnects, report.connections) == (1, 2)
    assert len(first.valid_shares()) == 1
    assert len(second.valid_shares()) >= 1
    assert report.accepted == 2


async def test_client_reconnect_without_params_reconnects_to_the_same_pool() -> None:
    def reconnect_once(conn: PoolConn, share: CheckedShare) -> None:
        if conn is conn.pool.conns[0]:
            conn.send(Reconnect())

    async with LoopbackPool(on_share=reconnect_once) as pool:
        report = await mine(options(pool.port, shares=2), notice=quiet)
    assert report.exit_code is ExitCode.PASS, report.to_json()
    assert len(pool.conns) == 2
    assert report.reconnects == 1


async def test_a_pool_that_closes_ends_the_run_at_once_with_exit_2() -> None:
    async with LoopbackPool(on_authorized=lambda conn: conn.close()) as pool:
        report = await mine(options(pool.port, duration=30.0), notice=quiet)
    assert report.exit_code is ExitCode.CONNECTION
    assert report.end_reason is EndReason.CONNECTION_LOST
    assert report.elapsed < 10


async def test_a_pool_that_closes_after_accepting_still_fails_the_run() -> None:
    async with LoopbackPool(on_share=lambda conn, share: conn.close()) as pool:
        report = await mine(options(pool.port, shares=5), notice=quiet)
    assert report.accepted <= 1
    assert report.exit_code is ExitCode.CONNECTION


async def test_set_extranonce_applies_to_the_next_job() -> None:
    def new_extranonce(conn: PoolConn, share: CheckedShare) -> None:
        if len(conn.jobs) == 1:
            conn.set_extranonce(bytes.fromhex("aabbccdd"), 2)
            conn.send_job(clean=False)

    async with LoopbackPool(on_share=new_extranonce) as pool:
        report = await mine(options(pool.port, shares=3), notice=quiet)
    assert report.exit_code is ExitCode.PASS, report.to_json()
    assert report.extranonce_changes == 1
    on_new_job = [s for s in pool.shares if s.submit.job_id == "job2"]
    assert on_new_job and all(s.verdict is None for s in on_new_job)
    assert all(len(s.submit.extranonce2) == 4 for s in on_new_job)  # the new size, 2 bytes


async def test_set_version_mask_narrows_the_rolled_bits() -> None:
    narrow = 0x0001E000
    sent: list[SetVersionMask] = []

    def narrow_mask(conn: PoolConn, share: CheckedShare) -> None:
        if not sent:  # the pool keeps accepting the old mask for shares in flight
            sent.append(SetVersionMask(narrow))
            conn.send(sent[0])

    async with LoopbackPool(on_share=narrow_mask) as pool:
        report = await mine(options(pool.port, shares=6), notice=quiet)
    assert report.exit_code is ExitCode.PASS, report.to_json()
    assert report.version_mask == narrow
    last = pool.shares[-1].submit.version_bits
    assert last is not None and int(last, 16) & ~narrow == 0


async def test_authorize_refused_fails_quickly() -> None:
    async with LoopbackPool(authorize=False) as pool:
        report = await mine(options(pool.port), notice=quiet)
    assert report.exit_code is ExitCode.FAIL
    assert report.end_reason is EndReason.PROTOCOL_FAILURE
    assert report.authorized is False
    assert report.elapsed < 10


async def test_an_unanswered_handshake_times_out() -> None:
    async with LoopbackPool(answer=False) as pool:
        report = await mine(options(pool.port, response_timeout=0.3), notice=quiet)
    assert report.exit_code is ExitCode.FAIL
    assert report.failures == ["handshake not answered within 0.3 s"]
    assert report.elapsed < 10


async def test_a_pool_without_version_rolling_gets_five_param_submits() -> None:
    async with LoopbackPool(pool_mask=None) as pool:
        report = await mine(options(pool.port, shares=2), notice=quiet)
    assert report.exit_code is ExitCode.PASS, report.to_json()
    assert report.version_mask is None
    assert all(s.submit.version_bits is None for s in pool.shares)


async def test_without_version_rolling_no_configure_is_sent() -> None:
    async with LoopbackPool() as pool:
        report = await mine(options(pool.port, shares=1, version_rolling=False), notice=quiet)
    assert report.exit_code is ExitCode.PASS
    assert not any(isinstance(r, Configure) for r in pool.requests)


async def test_handshake_order_and_suggest_difficulty() -> None:
    async with LoopbackPool() as pool:
        report = await mine(options(pool.port, shares=1, suggest_difficulty=0.001), notice=quiet)
    assert report.exit_code is ExitCode.PASS
    first = [type(r) for r in pool.requests[:4]]
    assert first == [Configure, Subscribe, Authorize, SuggestDifficulty]
    subscribe = pool.requests[1]
    assert isinstance(subscribe, Subscribe)
    assert subscribe.user_agent == USER_AGENT
    assert pool.requests[3] == SuggestDifficulty(0.001)


async def test_show_message_and_get_version() -> None:
    def greet(conn: PoolConn) -> None:
        conn.send(ShowMessage("maintenance at noon"))
        conn.request(GetVersion())

    notices: list[str] = []
    async with LoopbackPool(on_authorized=greet) as pool:
        report = await mine(options(pool.port, shares=1), notice=notices.append)
    assert report.exit_code is ExitCode.PASS
    assert report.messages == ["maintenance at noon"]
    assert notices == ["pool says: maintenance at noon"]
    assert pool.conns[0].answers == [RawResult(USER_AGENT)]


async def test_shares_meeting_the_network_target_are_counted_as_blocks() -> None:
    async with LoopbackPool(bits=REGTEST_BITS) as pool:
        report = await mine(options(pool.port, shares=2), notice=quiet)
    assert report.exit_code is ExitCode.PASS
    assert report.blocks == report.submitted == sum(s.is_block for s in pool.shares)


async def test_a_refused_connection_exits_2() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = await mine(options(port), notice=quiet)
    assert report.exit_code is ExitCode.CONNECTION
    assert report.end_reason is EndReason.CONNECT_FAILED
    assert report.connect_error is not None and f":{port}" in report.connect_error


@pytest.mark.parametrize(("pool_host", "client_host"), [("::1", "::1"), ("127.0.0.1", "localhost")])
async def test_connects_by_ipv6_address_and_by_host_name(pool_host: str, client_host: str) -> None:
    async with LoopbackPool(host=pool_host) as pool:
        report = await mine(replace(options(pool.port, shares=1), host=client_host), notice=quiet)
    assert report.exit_code is ExitCode.PASS, report.to_json()
