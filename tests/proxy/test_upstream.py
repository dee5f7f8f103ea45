"""`UpstreamConnection` against a scripted upstream: handshake, verdicts, pool messages, TLS."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from loka_stratum.protocol import (
    GetVersion,
    Notify,
    RawResult,
    SetDifficulty,
    SetExtranonce,
    SetVersionMask,
    ShowMessage,
    StratumError,
    StratumErrorCode,
    Submit,
    UnknownRequest,
)
from loka_stratum.proxy.endpoint import Endpoint
from loka_stratum.proxy.types import (
    USER_AGENT,
    Disconnected,
    UpstreamError,
    UpstreamOptions,
    UpstreamVerdict,
    VerdictKind,
)
from loka_stratum.proxy.upstream import UpstreamConnection
from tests.proxy.fake_upstream import WAIT, FakeUpstream, close_writer
from tests.proxy.helpers import Events, self_signed

FAST = UpstreamOptions(connect_timeout=2.0, response_timeout=2.0)


def endpoint_of(pool: FakeUpstream, *, tls: bool = False) -> Endpoint:
    return Endpoint("fake", "127.0.0.1", pool.port, tls, "acct.proxy", "secret")


@asynccontextmanager
async def connected(
    pool: FakeUpstream, options: UpstreamOptions = FAST, events: Events | None = None
) -> AsyncIterator[UpstreamConnection]:
    conn = UpstreamConnection(endpoint_of(pool, tls=pool.ssl_context is not None), options, events)
    await conn.connect()
    try:
        yield conn
    finally:
        await conn.close()


async def test_handshake_exposes_what_the_upstream_granted() -> None:
    events = Events()
    fake = FakeUpstream(extranonce2_size=8, difficulty=2048, version_mask=0x00FFE000)
    async with fake as pool, connected(pool, events=events) as conn:
        session = await pool.session(0)
        job = await events.next(Notify)
        assert conn.extranonce1 == session.extranonce1
        assert conn.extranonce2_size == 8
        assert conn.version_mask == 0x00FFE000
        assert conn.difficulty == 2048
        assert conn.notify == job
        assert job.job_id == "job1" and job.clean_jobs
        assert conn.last_job_age() is not None
        assert session.user_agent == USER_AGENT
        assert session.username == "acct.proxy"
        assert session.configure is not None
        assert session.configure.version_rolling_mask == 0x1FFFE000
        assert SetDifficulty(2048) in events.seen


async def test_no_version_rolling_when_the_upstream_refuses_it() -> None:
    async with FakeUpstream(version_mask=None) as pool, connected(pool) as conn:
        assert conn.version_mask is None


async def test_no_configure_sent_without_a_mask() -> None:
    options = UpstreamOptions(version_mask=None)
    async with FakeUpstream() as pool, connected(pool, options) as conn:
        assert (await pool.session(0)).configure is None
        assert conn.version_mask is None


async def test_refused_authorization_is_a_connect_error() -> None:
    async with FakeUpstream(authorize=False) as pool:
        conn = UpstreamConnection(endpoint_of(pool), FAST)
        with pytest.raises(UpstreamError, match=r"authorize as 'acct\.proxy' refused"):
            await conn.connect()
        assert conn.closed


async def test_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    conn = UpstreamConnection(Endpoint("gone", "127.0.0.1", port, False, "u"), FAST)
    with pytest.raises(UpstreamError, match=f"127.0.0.1:{port}"):
        await conn.connect()


async def test_silent_upstream_times_out_the_handshake() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        await close_writer(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        options = UpstreamOptions(connect_timeout=0.2)
        conn = UpstreamConnection(Endpoint("mute", "127.0.0.1", port, False, "u"), options)
        with pytest.raises(UpstreamError, match="timed out"):
            await conn.connect()
        assert conn.close_reason == "handshake timed out"


def by_nonce(share: Submit) -> StratumErrorCode | StratumError | None:
    verdicts: dict[str, StratumErrorCode | StratumError] = {
        "00000002": StratumErrorCode.LOW_DIFFICULTY,
        "00000003": StratumErrorCode.JOB_NOT_FOUND,
        "00000004": StratumError(20, "Stale share"),
    }
    return verdicts.get(share.nonce)


async def test_submit_verdicts_match_their_requests() -> None:
    async with FakeUpstream(verdict=by_nonce) as pool, connected(pool) as conn:
        verdicts = await asyncio.gather(
            *(
                conn.submit("acct.proxy", "job1", "00" * 8, "6553f100", f"0000000{n}", "00002000")
                for n in (1, 2, 3, 4)
            )
        )
        assert verdicts == [
            UpstreamVerdict(VerdictKind.ACCEPTED),
            UpstreamVerdict(VerdictKind.REJECTED, StratumError(23, "Low difficulty share")),
            UpstreamVerdict(VerdictKind.STALE, StratumError(21, "Job not found")),
            UpstreamVerdict(VerdictKind.STALE, StratumError(20, "Stale share")),
        ]
        sent = (await pool.session(0)).submits
        assert [s.nonce for s in sent] == ["00000001", "00000002", "00000003", "00000004"]
        assert sent[0].version_bits == "00002000"
        assert conn.pending_submits == 0


async def test_unanswered_submit_times_out_and_is_forgotten() -> None:
    options = UpstreamOptions(connect_timeout=2.0, response_timeout=0.2)
    async with FakeUpstream(answer_submits=False) as pool, connected(pool, options) as conn:
        verdict = await conn.submit("acct.proxy", "job1", "00" * 8, "6553f100", "00000001")
        assert verdict.kind is VerdictKind.TIMEOUT
        assert conn.pending_submits == 0
        assert not conn.closed


async def test_dropped_connection_answers_waiting_submits_and_reports() -> None:
    events = Events()
    async with FakeUpstream(answer_submits=False) as pool, connected(pool, events=events) as conn:
        session = await pool.session(0)
        waiting = asyncio.create_task(
            conn.submit("acct.proxy", "job1", "00" * 8, "6553f100", "00000001")
        )
        await pool.wait_for(lambda: len(session.submits) == 1)
        session.drop()
        assert (await waiting).kind is VerdictKind.DISCONNECTED
        assert (await events.next(Disconnected)).reason == "upstream closed the connection"
        late = await conn.submit("acct.proxy", "job1", "00" * 8, "6553f100", "00000002")
        assert late.kind is VerdictKind.DISCONNECTED


async def test_pool_messages_are_applied_and_reported() -> None:
    events = Events()
    async with FakeUpstream() as pool, connected(pool, events=events) as conn:
        session = await pool.session(0)
        await events.next(Notify)
        session.set_extranonce(bytes.fromhex("aabbccdd01"), 6)
        session.send(ShowMessage("maintenance at noon"))
        session.send(SetDifficulty(512))
        job = session.notify("job2", clean=True)
        assert await events.next(SetExtranonce) == SetExtranonce(bytes.fromhex("aabbccdd01"), 6)
        assert await events.next(Notify) == job
        assert conn.extranonce1 == bytes.fromhex("aabbccdd01")
        assert conn.extranonce2_size == 6
        assert conn.difficulty == 512
        assert conn.notify == job
        session.request(GetVersion())
        await pool.wait_for(lambda: len(session.answers) == 1)
        assert session.answers[0].result == RawResult(USER_AGENT)


async def test_client_reconnect_closes_and_records_the_target() -> None:
    events = Events()
    async with FakeUpstream() as pool, connected(pool, events=events) as conn:
        (await pool.session(0)).reconnect("127.0.0.1", 4444, 0)
        await events.next(Disconnected)
        assert conn.closed
        assert conn.reconnect_request is not None
        assert (conn.reconnect_request.host, conn.reconnect_request.port) == ("127.0.0.1", 4444)


async def test_tls_upstream_with_a_self_signed_certificate(tmp_path: Path) -> None:
    server_context, client_context = self_signed(tmp_path)
    options = UpstreamOptions(connect_timeout=5.0, ssl_context=client_context)
    async with FakeUpstream(ssl_context=server_context) as pool, connected(pool, options) as conn:
        assert conn.extranonce2_size == 8
        verdict = await conn.submit("acct.proxy", "job1", "00" * 8, "6553f100", "00000001")
        assert verdict.accepted


async def test_tls_refuses_an_untrusted_certificate(tmp_path: Path) -> None:
    server_context, _ = self_signed(tmp_path)
    async with FakeUpstream(ssl_context=server_context) as pool:
        conn = UpstreamConnection(endpoint_of(pool, tls=True), FAST)
        with pytest.raises(UpstreamError, match="CERTIFICATE_VERIFY_FAILED"):
            await conn.connect()


async def test_silent_upstream_is_dropped_after_the_idle_timeout() -> None:
    events = Events()
    options = UpstreamOptions(connect_timeout=2.0, idle_timeout=0.3)
    async with FakeUpstream() as pool, connected(pool, options, events) as conn:
        assert (await events.next(Disconnected)).reason == "upstream silent for 0.3 s"
        assert conn.closed


async def test_version_mask_updates_stay_within_what_we_asked_for() -> None:
    events = Events()
    options = UpstreamOptions(version_mask=0x00FFE000)
    async with FakeUpstream() as pool, connected(pool, options, events) as conn:
        assert conn.version_mask == 0x00FFE000
        (await pool.session(0)).send(SetVersionMask(0x1E000000 | 0x00006000))
        await events.next(SetVersionMask)
        assert conn.version_mask == 0x00006000


async def test_unknown_pool_requests_get_an_error_and_the_connection_stays() -> None:
    async with FakeUpstream() as pool, connected(pool) as conn:
        session = await pool.session(0)
        session.request(UnknownRequest("mining.ping"))
        session.request(ShowMessage("hello"))
        await pool.wait_for(lambda: len(session.answers) == 2)
        unknown, shown = session.answers
        assert unknown.error is not None and unknown.error.code == StratumErrorCode.OTHER
        assert shown.result == RawResult(True)
        assert not conn.closed
        verdict = await conn.submit("acct.proxy", "job1", "00" * 8, "6553f100", "00000001")
        assert verdict.accepted


async def test_ipv6_upstream() -> None:
    async with FakeUpstream(host="::1") as pool:
        endpoint = Endpoint("v6", "::1", pool.port, False, "acct.proxy")
        conn = UpstreamConnection(endpoint, FAST)
        await conn.connect()
        try:
            assert endpoint.address == f"[::1]:{pool.port}"
            assert (await pool.session(0)).username == "acct.proxy"
        finally:
            await conn.close()


async def test_a_failing_event_handler_drops_the_connection_instead_of_hanging() -> None:
    seen: list[object] = []

    def explode(event: object) -> None:
        seen.append(event)
        if isinstance(event, Notify):
            raise RuntimeError("handler bug")

    async with FakeUpstream() as pool:
        conn = UpstreamConnection(endpoint_of(pool), FAST, explode)
        await conn.connect()
        async with asyncio.timeout(WAIT):
            await conn.wait_closed()
        assert conn.close_reason == "internal error: RuntimeError('handler bug')"
        assert isinstance(seen[-1], Disconnected)
        await conn.close()
