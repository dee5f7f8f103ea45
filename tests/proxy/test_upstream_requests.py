"""`Requests`: responses matched to requests by id, bounded waits, release on close."""

from __future__ import annotations

import pytest

from loka_stratum.protocol import ClientConnection, ResponseReceived, Subscribe, SubscribeResult
from loka_stratum.proxy.requests import Requests


def answered(core: ClientConnection, line: bytes) -> ResponseReceived:
    core.receive_data(line)
    event = core.next_event()
    assert isinstance(event, ResponseReceived)
    return event


async def test_ask_returns_the_response_to_its_own_id() -> None:
    core, written = ClientConnection(), list[bytes]()

    def pool_answers(data: bytes) -> None:
        written.append(data)
        assert requests.pending == 1
        requests.resolve(answered(core, b'{"id":1,"result":[[],"abcd",4],"error":null}\n'))

    requests = Requests(core, pool_answers, response_timeout=5.0)
    response = await requests.ask(Subscribe("ua"))
    assert b'"mining.subscribe"' in written[0]
    assert response is not None and isinstance(response.result, SubscribeResult)
    assert response.result.extranonce1 == bytes.fromhex("abcd")
    assert requests.pending == 0


async def test_ask_gives_up_after_the_response_timeout() -> None:
    core = ClientConnection()
    requests = Requests(core, lambda _: None, response_timeout=0.0)
    with pytest.raises(TimeoutError):
        await requests.ask(Subscribe("ua"))
    assert requests.pending == 0


async def test_closing_releases_every_waiter_with_none() -> None:
    requests = Requests(ClientConnection(), lambda _: None, response_timeout=5.0)
    _, first = requests.send(Subscribe("ua"))
    _, second = requests.send(Subscribe("ua"))
    requests.release_all()
    assert (await first, await second) == (None, None)
