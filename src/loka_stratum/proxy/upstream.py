"""One connection to an upstream pool: the asyncio edge around the sans-IO `ClientConnection`.

`connect()` opens TCP or TLS and runs the handshake pipelined, as miners do:
`mining.configure` (version rolling, when a mask is given), `mining.subscribe`,
`mining.authorize`; it returns once subscribe and authorize are answered, or raises
`UpstreamError`. A pool that never answers the configure (older pools ignore unknown
methods) is taken as granting no version rolling. From then on one reader task
applies what the pool sends and reports it through `on_event`, and `submit` waits
(bounded) for the verdict on its own request id. Every wait has a bound, and the
connection never awaits the peer on the write side (a pool that stops reading is
dropped once the write buffer passes `_MAX_WRITE_BUFFER`), so a slow or dead
upstream cannot block the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Callable

import structlog

from loka_stratum.protocol import (
    NEED_DATA,
    ClientConnection,
    GetVersion,
    MinerRequest,
    NotificationReceived,
    Notify,
    ProtocolError,
    Reconnect,
    Response,
    ResponseReceived,
    SessionState,
    SetDifficulty,
    SetExtranonce,
    SetVersionMask,
    ShowMessage,
    StratumErrorCode,
    Submit,
    SubmitResult,
    UnknownRequest,
)
from loka_stratum.proxy import handshake
from loka_stratum.proxy.endpoint import Endpoint
from loka_stratum.proxy.transport import open_stream
from loka_stratum.proxy.types import (
    DISCONNECTED,
    TIMED_OUT,
    Disconnected,
    UpstreamError,
    UpstreamEvent,
    UpstreamOptions,
    UpstreamVerdict,
)

log = structlog.get_logger("loka_stratum.proxy.upstream")

_READ_SIZE = 64 * 1024
_MAX_WRITE_BUFFER = 1 << 20
_CLOSE_TIMEOUT = 1.0
Waiter = asyncio.Future[ResponseReceived | None]
"""Resolved with the response, or None when the connection closed first."""


class UpstreamConnection:
    """One upstream connection; the handshake's results are plain attributes.

    `extranonce1` / `extranonce2_size` follow `mining.set_extranonce` at once (the
    event reaches the proxy before the next job), `difficulty` follows
    `mining.set_difficulty` (1 until the pool sets one), `version_mask` is the mask
    the pool granted (None: no version rolling), `notify` the latest job.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        options: UpstreamOptions,
        on_event: Callable[[UpstreamEvent], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint
        self.options = options
        self.extranonce1 = b""
        self.extranonce2_size = 0
        self.difficulty = 1.0
        self.version_mask: int | None = None
        self.notify: Notify | None = None
        self.last_job_at: float | None = None
        self.reconnect_request: Reconnect | None = None
        self.close_reason: str | None = None
        self._on_event = on_event
        self._clock = clock
        self._conn = ClientConnection()
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._waiters: dict[int, Waiter] = {}
        self._closed = asyncio.Event()

    @property
    def closed(self) -> bool:
        return self.close_reason is not None

    @property
    def pending_submits(self) -> int:
        """Requests sent and not yet answered or given up on (for metrics)."""
        return len(self._conn.pending_requests)

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def connect(self) -> None:
        """Connect and handshake within `connect_timeout`; raises `UpstreamError`."""
        try:
            async with asyncio.timeout(self.options.connect_timeout):
                await self._open()
                await self._handshake()
        except TimeoutError:
            await self.close("handshake timed out")
            raise UpstreamError(f"{self.endpoint.address}: timed out") from None
        except (OSError, UpstreamError) as exc:
            await self.close(f"connect failed: {exc}")
            raise UpstreamError(f"{self.endpoint.address}: {exc}") from exc
        except BaseException:
            self._abort("connect cancelled")
            raise

    async def _open(self) -> None:
        reader, self._writer = await open_stream(self.endpoint, self.options)
        self._reader_task = asyncio.create_task(self._read(reader))

    async def _handshake(self) -> None:
        configure = handshake.configure_request(self.options)
        asked = None if configure is None else self._request(configure)
        _, subscribing = self._request(handshake.subscribe_request(self.options))
        _, authorizing = self._request(handshake.authorize_request(self.endpoint))
        subscription = handshake.subscribed(await subscribing)
        self.extranonce1 = subscription.extranonce1
        self.extranonce2_size = subscription.extranonce2_size
        handshake.check_authorized(await authorizing, self.endpoint.username)
        if asked is not None:
            request_id, answer = asked
            if answer.done():
                self.version_mask = handshake.granted_mask(
                    answer.result(), self.options.version_mask
                )
            else:
                self._give_up(request_id)

    def _give_up(self, request_id: int) -> None:
        """Stop waiting for a response: a late one then arrives as an unknown id."""
        self._waiters.pop(request_id, None)
        self._conn.forget(request_id)

    async def submit(
        self,
        worker_name: str,
        job_id: str,
        extranonce2_hex: str,
        ntime: str,
        nonce: str,
        version_bits: str | None = None,
    ) -> UpstreamVerdict:
        """Send a share and wait (at most `response_timeout`) for the pool's verdict.

        `worker_name` must be authorized on this connection (`LocalProtocolError`
        otherwise: that is the caller's bug, not the pool's verdict).
        """
        if self.closed or self._conn.state is SessionState.CLOSED:
            return DISCONNECTED
        share = Submit(worker_name, job_id, extranonce2_hex, ntime, nonce, version_bits)
        request_id, waiter = self._request(share)
        try:
            async with asyncio.timeout(self.options.response_timeout):
                response = await waiter
        except TimeoutError:
            self._give_up(request_id)
            return TIMED_OUT
        if response is None:
            return DISCONNECTED
        accepted = isinstance(response.result, SubmitResult) and response.result.accepted
        return UpstreamVerdict.of_response(accepted, response.error)

    def last_job_age(self) -> float | None:
        """Seconds since the last `mining.notify` (None before the first): for health."""
        return None if self.last_job_at is None else self._clock() - self.last_job_at

    async def close(self, reason: str = "closed by the proxy") -> None:
        """Close (idempotent) and wait, bounded, for the socket and reader to finish."""
        self._abort(reason)
        if self._reader_task is not None:
            await asyncio.gather(self._reader_task, return_exceptions=True)
        if self._writer is not None:
            with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
                async with asyncio.timeout(_CLOSE_TIMEOUT):
                    await self._writer.wait_closed()

    def _request(self, message: MinerRequest) -> tuple[int, Waiter]:
        request_id, data = self._conn.send_request(message)
        waiter: Waiter = asyncio.get_running_loop().create_future()
        self._waiters[request_id] = waiter
        self._write(data)
        return request_id, waiter

    def _write(self, data: bytes) -> None:
        writer = self._writer
        if writer is None or writer.is_closing():
            return
        writer.write(data)
        if writer.transport.get_write_buffer_size() > _MAX_WRITE_BUFFER:
            self._abort("upstream stopped reading")

    async def _read(self, reader: asyncio.StreamReader) -> None:
        idle = self.options.idle_timeout
        reason = "upstream closed the connection"
        try:
            while not self.closed:
                try:
                    async with asyncio.timeout(idle):
                        data = await reader.read(_READ_SIZE)
                except TimeoutError:
                    reason = f"upstream silent for {idle:g} s"
                    break
                except (OSError, ssl.SSLError) as exc:
                    reason = f"read failed: {exc}"
                    break
                self._conn.receive_data(data)
                if not self._handle_events() or not data:
                    break
        except Exception as exc:  # a bug in an event handler: drop this connection, loudly
            log.exception("upstream reader failed", upstream=self.endpoint.name)
            reason = f"internal error: {exc!r}"
        finally:
            self._abort(reason)

    def _handle_events(self) -> bool:
        """Apply every complete line; False when the connection must end."""
        while (event := self._conn.next_event()) is not NEED_DATA:
            if isinstance(event, ResponseReceived):
                self._resolve(event)
            elif isinstance(event, NotificationReceived):
                if not self._apply(event):
                    return False
            elif isinstance(event, ProtocolError):
                log.warning(
                    "upstream protocol error",
                    upstream=self.endpoint.name,
                    kind=event.kind.name,
                    detail=event.detail,
                )
                if event.fatal:
                    return False
            else:
                return False
        return True

    def _resolve(self, event: ResponseReceived) -> None:
        request_id = event.id if type(event.id) is int else int(str(event.id))
        waiter = self._waiters.pop(request_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(event)

    def _apply(self, event: NotificationReceived) -> bool:
        """Apply one pool message; False for `client.reconnect` (we close and go)."""
        message = event.message
        if isinstance(message, GetVersion):
            self._answer(Response(event.id, self.options.user_agent))
            return True
        if isinstance(message, UnknownRequest):
            if event.id is not None:
                self._answer(Response.reject(event.id, StratumErrorCode.OTHER, "unknown method"))
            return True
        if event.id is not None:
            self._answer(Response(event.id, True))
        if isinstance(message, ShowMessage):
            log.info("upstream message", upstream=self.endpoint.name, text=message.text)
            return True
        if isinstance(message, Notify):
            self.notify, self.last_job_at = message, self._clock()
        elif isinstance(message, SetDifficulty):
            self.difficulty = message.difficulty
        elif isinstance(message, SetExtranonce):
            self.extranonce1 = message.extranonce1
            self.extranonce2_size = message.extranonce2_size
        elif isinstance(message, SetVersionMask):
            self.version_mask = message.mask & (self.options.version_mask or 0)
        elif isinstance(message, Reconnect):
            self.reconnect_request = message
        self._emit(message)
        return not isinstance(message, Reconnect)

    def _answer(self, response: Response) -> None:
        self._write(self._conn.send(response))

    def _emit(self, event: UpstreamEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)

    def _abort(self, reason: str) -> None:
        """Close now, without waiting: resolves every waiter and reports `Disconnected`."""
        if self.close_reason is not None:
            return
        self.close_reason = reason
        if self._writer is not None:
            self._writer.close()
        task = self._reader_task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()
        self._closed.set()
        log.info("upstream closed", upstream=self.endpoint.name, reason=reason)
        self._emit(Disconnected(reason))
