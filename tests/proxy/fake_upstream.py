"""A scripted upstream pool: `ServerConnection` on 127.0.0.1 port 0 (optionally TLS).

Each connection gets its own extranonce1, and once authorized a difficulty and a
clean job. Tests script the rest: reject or ignore some shares, refuse connections
(accept and close at once), drop a session, and send `client.reconnect`,
`mining.set_extranonce` or new jobs. `wait_for` bounds every wait, so a broken client
fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from loka_stratum.protocol import (
    NEED_DATA,
    Authorize,
    AuthorizeResult,
    Configure,
    JsonValue,
    Notify,
    PoolMessage,
    Reconnect,
    RequestReceived,
    Response,
    ResponseReceived,
    ServerConnection,
    SetDifficulty,
    SetExtranonce,
    StratumError,
    StratumErrorCode,
    Submit,
    SubmitResult,
    Subscribe,
    SubscribeResult,
    negotiate_configure,
)

WAIT = 5.0
"""Bound on every wait in these tests: generous, never reached when things work."""

Verdict = Callable[[Submit], StratumErrorCode | StratumError | None]
"""What a share is rejected with (None: accepted)."""


@dataclass
class Session:
    """The pool's side of one client connection."""

    pool: FakeUpstream
    conn: ServerConnection
    writer: asyncio.StreamWriter
    extranonce1: bytes
    user_agent: str | None = None
    username: str | None = None
    configure: Configure | None = None
    submits: list[Submit] = field(default_factory=list)
    answers: list[ResponseReceived] = field(default_factory=list)

    def send(self, message: PoolMessage | Response) -> None:
        self.writer.write(self.conn.send(message))

    def request(self, message: PoolMessage) -> None:
        self.writer.write(self.conn.send_request(message)[1])

    def notify(self, job_id: str, *, clean: bool = False) -> Notify:
        job = Notify(job_id, "00" * 32, "01", "02", (), "20000000", "1d00ffff", "6553f100", clean)
        self.send(job)
        return job

    def set_extranonce(self, extranonce1: bytes, size: int) -> None:
        self.send(SetExtranonce(extranonce1, size))

    def reconnect(
        self, host: str | None = None, port: int | None = None, wait: int | None = None
    ) -> None:
        self.send(Reconnect(host, port, wait))

    def drop(self) -> None:
        self.writer.close()


async def close_writer(writer: asyncio.StreamWriter) -> None:
    """Close and wait (bounded) so no socket outlives the test's event loop."""
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
        async with asyncio.timeout(WAIT):
            await writer.wait_closed()


class FakeUpstream:
    """An upstream pool for tests; serve inside `async with`."""

    def __init__(
        self,
        *,
        extranonce2_size: int = 8,
        difficulty: float = 1024.0,
        version_mask: int | None = 0x1FFFE000,
        verdict: Verdict | None = None,
        answer_submits: bool = True,
        authorize: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.host = host
        self.extranonce2_size = extranonce2_size
        self.difficulty = difficulty
        self.version_mask = version_mask
        self.verdict = verdict
        self.answer_submits = answer_submits
        self.authorize = authorize
        self.ssl_context = ssl_context
        self.refusing = False
        self.port = 0
        self.sessions: list[Session] = []
        self.refused = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> FakeUpstream:
        self._server = await asyncio.start_server(self._serve, self.host, 0, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for session in self.sessions:
            session.writer.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for session in self.sessions:
            await close_writer(session.writer)
        await self._server.wait_closed()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Until `predicate()` holds, re-checked on every change here (at most `WAIT` s)."""
        async with asyncio.timeout(WAIT), self._changed:
            await self._changed.wait_for(predicate)

    async def session(self, index: int) -> Session:
        """The `index`-th session (0-based), once its worker is authorized."""
        await self.wait_for(
            lambda: len(self.sessions) > index and self.sessions[index].username is not None
        )
        return self.sessions[index]

    async def _touch(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        if self.refusing:
            self.refused += 1
            await close_writer(writer)
            await self._touch()
            return
        extranonce1 = (0xF0000000 + len(self.sessions)).to_bytes(4, "big")
        session = Session(self, ServerConnection(), writer, extranonce1)
        self.sessions.append(session)
        try:
            while data := await reader.read(65536):
                session.conn.receive_data(data)
                while (event := session.conn.next_event()) is not NEED_DATA:
                    if isinstance(event, RequestReceived):
                        self._handle(session, event)
                    elif isinstance(event, ResponseReceived):
                        session.answers.append(event)
                await self._touch()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            await close_writer(writer)
            await self._touch()

    def _handle(self, session: Session, event: RequestReceived) -> None:
        request, msg_id = event.request, event.id
        if isinstance(request, Configure):
            session.configure = request
            session.send(
                Response(msg_id, negotiate_configure(request, pool_mask=self.version_mask))
            )
        elif isinstance(request, Subscribe):
            session.user_agent = request.user_agent
            result = SubscribeResult.create("s1", session.extranonce1, self.extranonce2_size)
            session.send(Response(msg_id, result))
        elif isinstance(request, Authorize):
            self._authorize(session, request, msg_id)
        elif isinstance(request, Submit):
            session.submits.append(request)
            self._answer_submit(session, request, msg_id)
        else:
            session.send(Response.reject(msg_id, StratumErrorCode.OTHER))

    def _authorize(self, session: Session, request: Authorize, msg_id: JsonValue) -> None:
        session.send(Response(msg_id, AuthorizeResult(self.authorize, request.username)))
        if self.authorize:
            session.username = request.username
            session.send(SetDifficulty(self.difficulty))
            session.notify("job1", clean=True)

    def _answer_submit(self, session: Session, request: Submit, msg_id: JsonValue) -> None:
        if not self.answer_submits:
            return
        error = None if self.verdict is None else self.verdict(request)
        if error is None:
            session.send(Response(msg_id, SubmitResult(True)))
        elif isinstance(error, StratumError):
            session.send(Response(msg_id, SubmitResult(False), error))
        else:
            session.send(Response.reject(msg_id, error))
