"""Requests to an upstream pool, each matched to its response by request id.

Requests go out through the sans-IO `ClientConnection`, which numbers them with
ints and reports only responses to ids it sent. Each request gets a future; a
caller that stops waiting (a timeout) gives the id up in both places, so a late
response is dropped. When the connection ends every future is released with None,
so no caller waits past the connection's end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from loka_stratum.protocol import (
    ClientConnection,
    MinerRequest,
    ResponseReceived,
    Submit,
    SubmitResult,
)
from loka_stratum.proxy.types import DISCONNECTED, TIMED_OUT, UpstreamVerdict

Waiter = asyncio.Future[ResponseReceived | None]
"""Resolved with the response, or None when the connection closed first."""


class Requests:
    """The open requests of one upstream connection; `write` puts bytes on its socket, and
    a response is awaited at most `response_timeout` seconds."""

    def __init__(
        self, core: ClientConnection, write: Callable[[bytes], None], response_timeout: float
    ) -> None:
        self._core = core
        self._write = write
        self._response_timeout = response_timeout
        self._waiters: dict[int, Waiter] = {}

    @property
    def pending(self) -> int:
        """Requests sent and not yet answered or given up on."""
        return len(self._core.pending_requests)

    def send(self, message: MinerRequest) -> tuple[int, Waiter]:
        """Send `message` (call inside the running loop): its id and its response's future."""
        request_id, data = self._core.send_request(message)
        waiter: Waiter = asyncio.get_running_loop().create_future()
        self._waiters[request_id] = waiter
        self._write(data)
        return request_id, waiter

    async def ask(self, message: MinerRequest) -> ResponseReceived | None:
        """Send `message` and wait for its response (None: the connection ended first).

        Raises `TimeoutError` after `response_timeout`, having given the id up.
        """
        request_id, waiter = self.send(message)
        try:
            async with asyncio.timeout(self._response_timeout):
                return await waiter
        except TimeoutError:
            self.give_up(request_id)
            raise

    async def submit(self, share: Submit) -> UpstreamVerdict:
        """Send a share and wait (bounded) for the pool's verdict."""
        try:
            response = await self.ask(share)
        except TimeoutError:
            return TIMED_OUT
        if response is None:
            return DISCONNECTED
        accepted = isinstance(response.result, SubmitResult) and response.result.accepted
        return UpstreamVerdict.of_response(accepted, response.error)

    def give_up(self, request_id: int) -> None:
        """Stop waiting for a response: a late one then arrives as an unknown id."""
        self._waiters.pop(request_id, None)
        self._core.forget(request_id)

    def resolve(self, event: ResponseReceived) -> None:
        """Hand `event` to whoever waits for its id."""
        request_id = event.id if type(event.id) is int else int(str(event.id))
        waiter = self._waiters.pop(request_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(event)

    def release_all(self) -> None:
        """The connection ended: every waiter gets None."""
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()
