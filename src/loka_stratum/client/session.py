"""One TCP connection to a pool, driving the sans-IO `ClientConnection`.

The handshake goes out at once, as real miners pipeline it: `mining.configure`
(version rolling), `mining.subscribe`, `mining.authorize`, then the optional
`mining.suggest_difficulty`. Mining starts once the pool has subscribed and
authorized us and sent a job; from then on every message is applied as it arrives:

- `mining.notify`: the newest job is mined at once; with clean_jobs the older jobs
  are dropped, and shares still found for them are not submitted;
- `mining.set_difficulty`: the share target for the next unit hashed;
- `mining.set_extranonce`: applies from the next job, as NiceHash specifies;
- `mining.set_version_mask`: applies at once (the miner resumes without overlap);
- `client.reconnect`: ends the session; the runner connects where the pool said;
- `client.show_message` is shown, `client.get_version` answered.

The session ends when the runner's deadline passes or enough shares are accepted
(then it stops hashing and waits, bounded, for the answers to pending submits), when
the pool closes, asks to reconnect, or fails the handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from loka_stratum.client.jobs import JobTracker
from loka_stratum.client.miner import FoundShare, Miner
from loka_stratum.client.options import (
    USER_AGENT,
    VERSION_ROLLING_MASK,
    VERSION_ROLLING_MIN_BITS,
    ClientOptions,
)
from loka_stratum.client.report import ClientReport
from loka_stratum.client.work import difficulty_to_target
from loka_stratum.protocol import (
    NEED_DATA,
    Authorize,
    AuthorizeResult,
    ClientConnection,
    Configure,
    ConfigureResult,
    ConnectionClosed,
    Event,
    JsonValue,
    MinerRequest,
    NotificationReceived,
    Notify,
    PoolMessage,
    ProtocolError,
    Reconnect,
    Response,
    ResponseReceived,
    SetDifficulty,
    SetExtranonce,
    SetVersionMask,
    ShowMessage,
    StratumErrorCode,
    Submit,
    SubmitResult,
    Subscribe,
    SubscribeResult,
    SuggestDifficulty,
)

_READ_SIZE = 64 * 1024


class End(Enum):
    """How a session ended."""

    DONE = "done"
    SHARES = "shares"
    RECONNECT = "reconnect"
    CLOSED = "closed"
    FAILED = "failed"
    CONNECT_FAILED = "connect-failed"


@dataclass(frozen=True, slots=True)
class Outcome:
    end: End
    reconnect: Reconnect | None = None


class PoolSession:
    """One connection's conversation; the report and miner outlive it (reconnects)."""

    def __init__(
        self,
        options: ClientOptions,
        report: ClientReport,
        miner: Miner,
        shares: asyncio.Queue[FoundShare],
        notice: Callable[[str], None],
    ) -> None:
        self._options = options
        self._report = report
        self._miner = miner
        self._shares = shares
        self._notice = notice
        self._conn = ClientConnection()
        self._writer: asyncio.StreamWriter | None = None
        self._ended: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._settled = asyncio.Event()
        self._outstanding = 0
        self._mining = True
        self._awaiting_configure = options.version_rolling
        self._authorized = False
        self._closed = False
        self._jobs = JobTracker(VERSION_ROLLING_MASK)

    async def run(self, host: str, port: int, deadline: float) -> Outcome:
        """Connect, converse until something ends the session, and close."""
        loop = asyncio.get_running_loop()
        timeout = max(0.0, min(self._options.connect_timeout, deadline - loop.time()))
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port)
        except (OSError, TimeoutError) as exc:
            self._report.connect_error = f"{host}:{port}: {exc or 'timed out'}"
            return Outcome(End.CONNECT_FAILED)
        self._report.connections += 1
        self._writer = writer
        try:
            return await self._converse(reader, deadline)
        finally:
            self._miner.set_work(None)
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()

    async def _converse(self, reader: asyncio.StreamReader, deadline: float) -> Outcome:
        loop = asyncio.get_running_loop()
        self._send_handshake()
        watchdog = loop.call_later(self._options.response_timeout, self._check_handshake)
        tasks = [
            asyncio.create_task(self._read(reader)),
            asyncio.create_task(self._take_shares()),
        ]
        for task in tasks:
            task.add_done_callback(self._task_done)
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    outcome = await asyncio.shield(self._ended)
            except TimeoutError:
                outcome = Outcome(End.DONE)
            if outcome.end in (End.DONE, End.SHARES):
                await self._settle()
            return outcome
        finally:
            watchdog.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _send_handshake(self) -> None:
        options = self._options
        if options.version_rolling:
            self._send(
                Configure(
                    ("version-rolling",),
                    version_rolling_mask=VERSION_ROLLING_MASK,
                    version_rolling_min_bit_count=VERSION_ROLLING_MIN_BITS,
                )
            )
        self._send(Subscribe(USER_AGENT))
        self._send(Authorize(options.user, options.password))
        if options.suggest_difficulty is not None:
            self._send(SuggestDifficulty(options.suggest_difficulty))

    def _send(self, request: MinerRequest) -> None:
        _, data = self._conn.send_request(request)
        self._write(data)

    def _write(self, data: bytes) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(data)

    def _end(self, outcome: Outcome) -> None:
        if not self._ended.done():
            self._ended.set_result(outcome)

    def _fail(self, reason: str) -> None:
        self._report.fail(reason)
        self._end(Outcome(End.FAILED))

    def _task_done(self, task: asyncio.Task[None]) -> None:
        """A crash in a session task is our bug: report it rather than idle to the deadline."""
        if not task.cancelled() and task.exception() is not None:
            self._fail(f"client error: {task.exception()!r}")

    def _check_handshake(self) -> None:
        ready = self._authorized and self._jobs.subscribed and not self._awaiting_configure
        if not ready and not self._ended.done():
            self._fail(f"handshake not answered within {self._options.response_timeout:g} s")

    async def _settle(self) -> None:
        """Stop hashing and wait (bounded) for the pool to answer every submitted share."""
        self._mining = False
        self._miner.set_work(None)
        if self._outstanding and not self._closed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._options.response_timeout):
                    await self._settled.wait()
        if self._outstanding:
            self._report.fail(f"{self._outstanding} submitted share(s) never answered")

    async def _read(self, reader: asyncio.StreamReader) -> None:
        """Feed the connection until the pool closes; after EOF it repeats ConnectionClosed."""
        while True:
            try:
                data = await reader.read(_READ_SIZE)
            except OSError:
                data = b""
            self._conn.receive_data(data)
            while (event := self._conn.next_event()) is not NEED_DATA:
                self._handle(event)
                if isinstance(event, ConnectionClosed):
                    return

    async def _take_shares(self) -> None:
        while True:
            self._submit(await self._shares.get())

    def _handle(self, event: Event) -> None:
        if isinstance(event, NotificationReceived):
            self._on_message(event.message, event.id)
        elif isinstance(event, ResponseReceived):
            self._on_response(event)
        elif isinstance(event, ProtocolError):
            self._report.fail(
                f"unusable message from the pool ({event.kind.value}): {event.detail}"
            )
            if event.fatal:
                self._end(Outcome(End.FAILED))
        elif isinstance(event, ConnectionClosed):
            self._closed = True
            self._settled.set()  # nothing pending will be answered now
            self._end(Outcome(End.CLOSED))

    def _on_message(self, message: PoolMessage, msg_id: JsonValue) -> None:
        if isinstance(message, Notify):
            self._on_notify(message)
        elif isinstance(message, SetDifficulty):
            self._report.difficulties.append(message.difficulty)
            self._miner.set_target(difficulty_to_target(message.difficulty))
        elif isinstance(message, SetExtranonce):
            self._report.extranonce_changes += 1
            self._jobs.set_extranonce(message.extranonce1, message.extranonce2_size)
        elif isinstance(message, SetVersionMask) and self._jobs.set_version_mask(message.mask):
            self._report.version_mask = self._jobs.version_mask
            self._start_mining()
        elif isinstance(message, Reconnect):
            self._end(Outcome(End.RECONNECT, message))
        elif isinstance(message, ShowMessage):
            self._report.messages.append(message.text)
            self._notice(f"pool says: {message.text}")
        if msg_id is None:
            return
        if message.method == "client.get_version":
            self._write(self._conn.send(Response(msg_id, USER_AGENT)))
        elif isinstance(message, Reconnect | ShowMessage):
            self._write(self._conn.send(Response(msg_id, True)))
        else:
            self._write(self._conn.send(Response.reject(msg_id, StratumErrorCode.OTHER)))

    def _on_notify(self, notify: Notify) -> None:
        self._report.jobs += 1
        self._report.clean_jobs += notify.clean_jobs
        self._jobs.notify(notify)
        self._start_mining()

    def _start_mining(self) -> None:
        """Mine the newest job once subscribed, authorized and configured."""
        if not (self._authorized and self._mining and not self._awaiting_configure):
            return
        try:
            work = self._jobs.work()
        except ValueError as exc:
            self._report.fail(f"unusable mining.notify: {exc}")
            return
        if work is not None:
            self._miner.set_work(work)

    def _on_response(self, event: ResponseReceived) -> None:
        request, result = event.request, event.result
        if isinstance(request, Submit):
            self._on_submit_result(isinstance(result, SubmitResult) and result.accepted, event)
        elif isinstance(request, Configure):
            self._on_configure(result if isinstance(result, ConfigureResult) else None)
        elif isinstance(request, Subscribe):
            self._on_subscribe(result if isinstance(result, SubscribeResult) else None, event)
        elif isinstance(request, Authorize):
            self._authorized = isinstance(result, AuthorizeResult) and result.ok
            self._report.authorized = self._authorized
            if not self._authorized:
                self._fail(f"mining.authorize refused for {request.username!r}: {event.error}")
            self._start_mining()

    def _on_configure(self, result: ConfigureResult | None) -> None:
        """A pool without BIP310 answers with an error: mine without version rolling."""
        self._awaiting_configure = False
        if result is not None and result.version_rolling and result.version_rolling_mask:
            self._jobs.negotiate(result.version_rolling_mask)
            self._report.version_mask = self._jobs.version_mask
        self._start_mining()

    def _on_subscribe(self, result: SubscribeResult | None, event: ResponseReceived) -> None:
        if result is None:
            self._fail(f"mining.subscribe refused: {event.error}")
            return
        self._jobs.subscribe(result.extranonce1, result.extranonce2_size)
        self._report.extranonce1 = result.extranonce1
        self._report.extranonce2_size = result.extranonce2_size
        self._start_mining()

    def _submit(self, share: FoundShare) -> None:
        if not self._mining:
            return  # found after the run ended
        if not self._jobs.is_live(share.work):
            self._report.stale_dropped += 1
            return
        self._send(share.submit(self._options.user))
        self._outstanding += 1
        self._settled.clear()
        self._report.submitted += 1
        self._report.blocks += share.is_block

    def _on_submit_result(self, accepted: bool, event: ResponseReceived) -> None:
        self._outstanding -= 1
        if not self._outstanding:
            self._settled.set()
        if not accepted:
            self._report.reject(event.error)
            return
        self._report.accepted += 1
        if self._options.shares and self._report.accepted >= self._options.shares:
            self._end(Outcome(End.SHARES))
