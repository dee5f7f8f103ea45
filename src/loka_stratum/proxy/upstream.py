"""One connection to an upstream pool: the asyncio edge around the sans-IO `ClientConnection`.

`connect()` opens TCP or TLS and runs the handshake pipelined, as miners do:
`mining.configure` (version rolling, when a mask is given), `mining.subscribe`,
`mining.authorize` (skipped when the endpoint has no username: miners' own names are
then authorized one by one with `authorize`); it returns once subscribe and authorize
are answered, or raises `UpstreamError`. A pool that never answers the configure (older
pools ignore unknown methods) is taken as granting no version rolling. From then on one reader task
applies what the pool sends and reports it through `on_event`, and `submit` waits
(bounded) for the verdict on its own request id. Every wait has a bound, and the
connection never awaits the peer on the write side (a pool that stops reading is
dropped once the write buffer passes `_MAX_WRITE_BUFFER`), so a slow or dead
upstream cannot block the proxy.

What pool messages mean is in `pool_state`, matching responses to requests in
`requests`, the read loop with its idle timeout in `reading`; this class wires them
to one socket and owns its lifetime.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Callable

import structlog

from loka_stratum.protocol import (
    Authorize,
    AuthorizeResult,
    ClientConnection,
    Event,
    NotificationReceived,
    ProtocolError,
    Reconnect,
    Response,
    ResponseReceived,
    SessionState,
    ShowMessage,
    Submit,
)
from loka_stratum.proxy import handshake
from loka_stratum.proxy.endpoint import Endpoint
from loka_stratum.proxy.pool_state import UpstreamState, reply_to
from loka_stratum.proxy.reading import ReadEndedError, incoming
from loka_stratum.proxy.requests import Requests
from loka_stratum.proxy.transport import open_stream
from loka_stratum.proxy.types import (
    DISCONNECTED,
    Disconnected,
    UpstreamError,
    UpstreamEvent,
    UpstreamOptions,
    UpstreamVerdict,
)

log = structlog.get_logger("loka_stratum.proxy.upstream")

_MAX_WRITE_BUFFER = 1 << 20
_CLOSE_TIMEOUT = 1.0


class UpstreamConnection(UpstreamState):
    """One upstream connection; what the pool granted and sent are the plain attributes
    of `UpstreamState` (extranonce, difficulty, version mask, latest job, reconnect)."""

    def __init__(
        self,
        endpoint: Endpoint,
        options: UpstreamOptions,
        on_event: Callable[[UpstreamEvent], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(options.version_mask)
        self.endpoint = endpoint
        self.options = options
        self.close_reason: str | None = None
        self._on_event = on_event
        self._clock = clock
        self._conn = ClientConnection()
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._requests = Requests(self._conn, self._write, options.response_timeout)
        self._closed = asyncio.Event()

    @property
    def closed(self) -> bool:
        return self.close_reason is not None

    @property
    def pending_submits(self) -> int:
        """Requests sent and not yet answered or given up on (for metrics)."""
        return self._requests.pending

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
        asked = None if configure is None else self._requests.send(configure)
        _, subscribing = self._requests.send(handshake.subscribe_request(self.options))
        # No account of our own: miners' names are authorized one by one (`authorize`).
        authorizing = None
        if self.endpoint.username:
            _, authorizing = self._requests.send(handshake.authorize_request(self.endpoint))
        subscription = handshake.subscribed(await subscribing)
        self.extranonce1 = subscription.extranonce1
        self.extranonce2_size = subscription.extranonce2_size
        if authorizing is not None:
            handshake.check_authorized(await authorizing, self.endpoint.username)
        if asked is not None:
            request_id, answer = asked
            if answer.done():
                self.version_mask = handshake.granted_mask(
                    answer.result(), self.options.version_mask
                )
            else:
                self._requests.give_up(request_id)

    async def authorize(self, username: str, password: str | None) -> bool:
        """Authorize one more worker name on this connection (the proxy's miners' names).

        False when the pool refuses it, does not answer within `response_timeout`, or
        the connection ends first.
        """
        if self.closed or self._conn.state is SessionState.CLOSED:
            return False
        try:
            response = await self._requests.ask(Authorize(username, password))
        except TimeoutError:
            return False
        result = None if response is None else response.result
        return isinstance(result, AuthorizeResult) and result.ok

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
        return await self._requests.submit(share)

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

    def _write(self, data: bytes) -> None:
        writer = self._writer
        if writer is None or writer.is_closing():
            return
        writer.write(data)
        if writer.transport.get_write_buffer_size() > _MAX_WRITE_BUFFER:
            self._abort("upstream stopped reading")

    async def _read(self, reader: asyncio.StreamReader) -> None:
        reason = "upstream closed the connection"
        events = incoming(reader, self._conn, self.options.idle_timeout)
        try:
            async with contextlib.aclosing(events):
                async for event in events:
                    if self.closed or not self._handle(event):
                        break
        except ReadEndedError as exc:
            reason = str(exc)
        except Exception as exc:  # a bug in an event handler: drop this connection, loudly
            log.exception("upstream reader failed", upstream=self.endpoint.name)
            reason = f"internal error: {exc!r}"
        finally:
            self._abort(reason)

    def _handle(self, event: Event) -> bool:
        """Apply one event; False when the connection must end."""
        if isinstance(event, ResponseReceived):
            self._requests.resolve(event)
            return True
        if isinstance(event, NotificationReceived):
            return self._apply(event)
        if isinstance(event, ProtocolError):
            log.warning(
                "upstream protocol error",
                upstream=self.endpoint.name,
                kind=event.kind.name,
                detail=event.detail,
            )
            return not event.fatal
        return False

    def _apply(self, event: NotificationReceived) -> bool:
        """Answer and apply one pool message; False for `client.reconnect` (we close and go)."""
        reply = reply_to(event, self.options.user_agent)
        if reply is not None:
            self._answer(reply)
        message = event.message
        if isinstance(message, ShowMessage):
            log.info("upstream message", upstream=self.endpoint.name, text=message.text)
        update = self.apply(message, self._clock())
        if update is not None:
            self._emit(update)
        return not isinstance(update, Reconnect)

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
        self._requests.release_all()
        self._closed.set()
        log.info("upstream closed", upstream=self.endpoint.name, reason=reason)
        self._emit(Disconnected(reason))
