"""The conversation without sockets: a `ServerConnection` plays the pool in memory."""

from __future__ import annotations

from typing import Any

import pytest

from loka_stratum.client.conversation import Conversation, End, Outcome
from loka_stratum.client.miner import FoundShare, Miner
from loka_stratum.client.options import USER_AGENT, ClientOptions
from loka_stratum.client.report import ClientReport
from loka_stratum.client.work import Work, difficulty_to_target
from loka_stratum.protocol import (
    NEED_DATA,
    Authorize,
    AuthorizeResult,
    Configure,
    ConfigureResult,
    Event,
    GetVersion,
    Notify,
    PoolMessage,
    RawResult,
    Reconnect,
    RequestReceived,
    Response,
    ResponseReceived,
    ServerConnection,
    SetDifficulty,
    StratumError,
    StratumErrorCode,
    Submit,
    SubmitResult,
    Subscribe,
    SubscribeResult,
)

EXTRANONCE1 = bytes.fromhex("f8002c90")


class RecordingMiner(Miner):
    """A miner whose thread never starts: it only records what it is told."""

    def __init__(self) -> None:
        super().__init__(lambda share: None, 0)
        self.works: list[Work | None] = []
        self.targets: list[int] = []

    def set_work(self, work: Work | None) -> None:
        self.works.append(work)

    def set_target(self, target: int) -> None:
        self.targets.append(target)


class Harness:
    """A conversation wired to an in-memory pool."""

    def __init__(self, **options: Any) -> None:
        self.pool = ServerConnection()
        self.report = ClientReport("pool", 3333)
        self.miner = RecordingMiner()
        self.outcomes: list[Outcome] = []
        self.notices: list[str] = []
        self.to_pool = bytearray()
        self.client = Conversation(
            ClientOptions("pool", shares=2, **options),
            self.report,
            self.miner,
            write=self.to_pool.extend,
            end=self.outcomes.append,
            notice=self.notices.append,
        )

    def pool_events(self) -> list[Event]:
        if not self.to_pool:
            return []  # b"" would be EOF to the pool
        self.pool.receive_data(bytes(self.to_pool))
        self.to_pool.clear()
        events = []
        while (event := self.pool.next_event()) is not NEED_DATA:
            events.append(event)
        return events

    def requests(self) -> list[RequestReceived]:
        events = self.pool_events()
        assert all(isinstance(e, RequestReceived) for e in events), events
        return [e for e in events if isinstance(e, RequestReceived)]

    def send(self, message: PoolMessage | Response) -> None:
        self.client.receive(self.pool.send(message))

    def handshake(self) -> list[RequestReceived]:
        self.client.start()
        requests = self.requests()
        for request in requests:
            self.answer(request)
        return requests

    def answer(self, request: RequestReceived) -> None:
        message = request.request
        if isinstance(message, Configure):
            self.send(Response(request.id, ConfigureResult(True, 0x1FFFE000)))
        elif isinstance(message, Subscribe):
            self.send(Response(request.id, SubscribeResult.create("s", EXTRANONCE1, 4)))
        elif isinstance(message, Authorize):
            self.send(Response(request.id, AuthorizeResult(True, message.username)))


def job(job_id: str = "1", *, clean: bool = True) -> Notify:
    return Notify(job_id, "00" * 32, "aa", "bb", (), "20000000", "1d00ffff", "6553f100", clean)


def mined(h: Harness) -> list[Work]:
    return [w for w in h.miner.works if w is not None]


def test_handshake_is_pipelined_in_the_order_real_miners_use() -> None:
    h = Harness(suggest_difficulty=0.5)
    h.client.start()
    methods = [r.request.method for r in h.requests()]
    assert methods == [
        "mining.configure",
        "mining.subscribe",
        "mining.authorize",
        "mining.suggest_difficulty",
    ]


def test_nothing_is_mined_until_the_handshake_is_complete() -> None:
    h = Harness()
    h.client.start()
    configure, subscribe, authorize = h.requests()
    h.answer(subscribe)
    h.send(job())
    h.answer(configure)
    assert not mined(h) and not h.client.ready
    h.answer(authorize)
    assert h.client.ready
    [work] = mined(h)
    assert (work.job_id, work.extranonce1, work.version_mask) == ("1", EXTRANONCE1, 0x1FFFE000)


def test_a_pool_without_bip310_refuses_configure_and_mining_goes_on_without_rolling() -> None:
    h = Harness()
    h.client.start()
    configure, subscribe, authorize = h.requests()
    h.send(Response.reject(configure.id, StratumErrorCode.OTHER, "Method not found"))
    h.answer(subscribe)
    h.answer(authorize)
    h.send(job())
    assert [w.version_mask for w in mined(h)] == [0]
    assert h.report.version_mask is None and h.report.failures == []


def test_difficulty_sets_the_target() -> None:
    h = Harness()
    h.handshake()
    h.send(SetDifficulty(0.0001))
    assert h.miner.targets == [difficulty_to_target(0.0001)]
    assert h.report.difficulties == [0.0001]


def test_submit_answers_are_counted_and_enough_accepted_shares_end_the_session() -> None:
    h = Harness()
    h.handshake()
    h.send(job())
    work = mined(h)[-1]
    for nonce in range(3):
        h.client.submit(FoundShare(work, bytes(4), work.version, nonce, bytes(32)))
    submits = h.requests()
    assert [type(r.request) for r in submits] == [Submit] * 3
    assert h.client.outstanding == 3
    h.send(Response.reject(submits[0].id, StratumErrorCode.DUPLICATE_SHARE))
    h.send(Response(submits[1].id, SubmitResult(True)))
    assert h.outcomes == []
    h.send(Response(submits[2].id, SubmitResult(True)))
    assert h.outcomes == [Outcome(End.SHARES)]
    assert (h.report.accepted, h.client.outstanding) == (2, 0)
    assert h.report.rejections == {22: 1}


def test_shares_of_a_retired_job_are_not_submitted() -> None:
    h = Harness()
    h.handshake()
    h.send(job("1"))
    old = mined(h)[-1]
    h.send(job("2", clean=True))
    h.client.submit(FoundShare(old, bytes(4), old.version, 1, bytes(32)))
    assert h.requests() == []
    assert h.report.stale_dropped == 1


def test_get_version_is_answered_with_the_user_agent() -> None:
    h = Harness()
    h.handshake()
    h.client.receive(h.pool.send_request(GetVersion())[1])
    [answer] = h.pool_events()
    assert isinstance(answer, ResponseReceived)
    assert answer.result == RawResult(USER_AGENT)


def test_unknown_methods_with_an_id_get_error_20_and_acks_get_true() -> None:
    h = Harness()
    h.handshake()
    h.client.receive(b'{"id": 7, "method": "mining.ping", "params": []}\n')
    h.client.receive(b'{"id": 8, "method": "client.show_message", "params": ["hi"]}\n')
    assert bytes(h.to_pool).splitlines() == [
        b'{"id":7,"result":null,"error":[20,"Other/Unknown",null]}',
        b'{"id":8,"result":true,"error":null}',
    ]
    assert h.notices == ["pool says: hi"]


def test_reconnect_ends_the_session_with_the_target() -> None:
    h = Harness()
    h.handshake()
    h.send(Reconnect("pool2.example", 3334, 5))
    assert h.outcomes == [Outcome(End.RECONNECT, Reconnect("pool2.example", 3334, 5))]


@pytest.mark.parametrize("line", [b"not json\n", b'{"id": 1, "result": true}\n', b"[1, 2]\n"])
def test_unusable_lines_are_protocol_failures(line: bytes) -> None:
    h = Harness()
    h.handshake()
    h.client.receive(line)
    assert len(h.report.failures) == 1
    assert h.report.failures[0].startswith("unusable message from the pool")


def test_refused_authorize_and_subscribe_end_the_session() -> None:
    h = Harness()
    h.client.start()
    _, subscribe, authorize = h.requests()
    h.send(Response(authorize.id, AuthorizeResult(False, "loka-test.worker1")))
    h.send(Response(subscribe.id, None, StratumError(20, "go away")))
    assert h.outcomes == [Outcome(End.FAILED), Outcome(End.FAILED)]
    assert h.report.authorized is False
    assert len(h.report.failures) == 2


def test_eof_closes_the_conversation() -> None:
    h = Harness()
    h.handshake()
    h.client.receive(b"")
    assert h.client.closed
    assert h.outcomes == [Outcome(End.CLOSED)]
    h.client.receive(b"")  # a second EOF is ignored
    assert h.outcomes == [Outcome(End.CLOSED)]
