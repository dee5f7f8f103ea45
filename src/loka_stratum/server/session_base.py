"""The part of a miner connection that pool and proxy share: an asyncio.Protocol
that feeds the sans-IO core.

`data_received` hands bytes to `ServerConnection`, drains its events and
writes what the answers encode to; nothing here blocks or awaits. The
session keeps only what is its own: extranonce1, the authorized workers,
difficulty and vardiff, and its timers; what is shared lives in the context.

Flow control: when the transport's write buffer passes the high-water mark we
stop reading from the miner until it drains (a miner that does not read its
answers does not get to submit more); past a hard limit it is disconnected.
"""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from loka_stratum.mining.validator import ShareResult
from loka_stratum.mining.vardiff import Vardiff
from loka_stratum.mining.work import MinerWork
from loka_stratum.observability.loggers import get_logger, get_security_logger
from loka_stratum.protocol import (
    NEED_DATA,
    Authorize,
    Configure,
    ConnectionClosed,
    ExtranonceSubscribe,
    GetTransactions,
    ProtocolError,
    RawResult,
    RequestReceived,
    Response,
    ServerConnection,
    SetDifficulty,
    StratumErrorCode,
    Submit,
    Subscribe,
    SuggestDifficulty,
    UnknownRequest,
    negotiate_configure,
)
from loka_stratum.protocol.wire import JsonValue
from loka_stratum.server.identity import MinerIdentity
from loka_stratum.server.registry import ServerContext
from loka_stratum.storage.shares import ShareRecord

if TYPE_CHECKING:
    from loka_stratum.server.jobs import PreparedJob
    from loka_stratum.server.policy import SessionPolicy

log = get_logger("loka_stratum.server.session")
security = get_security_logger()

ContextT = TypeVar("ContextT", bound=ServerContext)


class BaseSession(asyncio.Protocol, Generic[ContextT]):
    """What every miner connection does, whatever feeds it work (pool or proxy).

    Subclasses answer subscribe, authorize and submit and say where jobs and the
    network difficulty come from; the rest (framing, dispatch, configure, difficulty,
    job writes, errors, timers, closing) is here.
    """

    def __init__(self, context: ContextT, port: int, start_difficulty: float) -> None:
        self.context = context
        self.port = port
        self._port_metrics = context.port_metrics(port)
        self._conn = ServerConnection(max_line_length=context.policy.max_line_length)
        self._transport: asyncio.Transport | None = None
        self.peer = "?"
        self.ip = "?"
        self.fd = -1
        """The socket's descriptor, for job broadcasts written from several threads."""
        self.extranonce1: bytes | None = None
        self.work: MinerWork | None = None
        self.identities: dict[str, MinerIdentity] = {}
        self.primary: MinerIdentity | None = None
        self.payout_script: bytes | None = None
        """SOLO: what the first authorized worker's coinbase pays; None in pool mode."""
        self.active = False
        """Subscribed, authorized and sent a first job: it now gets every broadcast."""
        now = context.clock()
        self.vardiff = Vardiff(context.policy.vardiff, start_difficulty, now)
        self.last_job: PreparedJob | None = None
        self.connected_at = now
        self.last_activity = context.monotonic()
        self.protocol_errors = 0
        self._rate_logged = False
        self.user_agent: str | None = None
        self._version_mask = 0
        self.extranonce_subscribed = False
        """The miner sent `mining.extranonce.subscribe`: it takes `mining.set_extranonce`."""
        """Negotiated by mining.configure, which may come before subscribe."""
        self._timer: asyncio.TimerHandle | None = None
        self._close_reason: str | None = None
        self._log = log

    @property
    def _policy(self) -> SessionPolicy:
        # Read through the context each time: a config reload or a ddos-protection mode
        # change replaces the policy for sessions already connected.
        return self.context.policy

    # -- asyncio.Protocol -------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCPTransport implements asyncio.Transport without subclassing it.
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        sock = transport.get_extra_info("socket")
        self.fd = sock.fileno() if sock is not None else -1
        peer = transport.get_extra_info("peername")
        self.peer = f"[{peer[0]}]:{peer[1]}" if peer and ":" in peer[0] else _peer(peer)
        self.ip = peer[0] if peer else "?"
        if not self.context.admit(self):
            transport.abort()
            return
        transport.set_write_buffer_limits(high=self._policy.write_high_water)
        self._log = log.bind(peer=self.peer, port=self.port)
        self._port_metrics.connection_accepted()
        self._log.info("Connection established")
        self._schedule_timer(self._policy.handshake_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        reason = self._close_reason or ("error" if exc is not None else "client-closed")
        self.context.forget(self, reason)
        self._transport = None

    def pause_writing(self) -> None:
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        self.last_activity = self.context.monotonic()
        conn = self._conn
        conn.receive_data(data)
        while self._transport is not None:
            event = conn.next_event()
            if event is NEED_DATA:
                return
            if type(event) is RequestReceived:
                self._on_request(event)
            elif type(event) is ProtocolError:
                self._on_protocol_error(event)
            elif type(event) is ConnectionClosed:
                self.close("client-closed")

    def eof_received(self) -> bool | None:
        self._conn.receive_data(b"")
        return None

    # -- requests ---------------------------------------------------------

    def _on_request(self, event: RequestReceived) -> None:
        request = event.request
        # Shares are judged by their validity (malformed ones are strikes), as pools do,
        # not by their rate: a fast miner or a farm behind one address is never throttled.
        if type(request) is not Submit and not self.context.allow_message(self):
            self._rate_limited(event)
            return
        if event.rejection is not None:
            self._reject_request(event)
            return
        if type(request) is Submit:
            self._on_submit(event.id, request)
        elif type(request) is Subscribe:
            self._on_subscribe(event.id, request)
        elif type(request) is Authorize:
            self._on_authorize(event.id, request)
        elif type(request) is Configure:
            self._on_configure(event.id, request)
        elif type(request) is SuggestDifficulty:
            self._on_suggest_difficulty(event.id, request)
        elif type(request) is ExtranonceSubscribe:
            self.extranonce_subscribed = True
            self._respond(Response(event.id, RawResult(True)))
        elif type(request) is GetTransactions:
            self._respond(Response(event.id, RawResult([])))
        else:  # the state table rejects unknown methods; a new request type lands here
            self._respond(Response.reject(event.id, StratumErrorCode.OTHER))

    def _rate_limited(self, event: RequestReceived) -> None:
        """Over the IP's message rate: answered with an error, not processed."""
        self._respond(Response.reject(event.id, StratumErrorCode.OTHER, "Rate limit exceeded"))
        if not self._rate_logged:
            self._rate_logged = True  # once per connection: a flood must not flood the log
            security.info("rate_limit", peer=self.peer, reason="messages per ip")
            self._log.warning("Rate limit exceeded", error_type="rate_limited")

    def _reject_request(self, event: RequestReceived) -> None:
        code = event.rejection
        assert code is not None
        self._respond(Response.reject(event.id, code))
        if type(event.request) is Submit:
            reason = "unauthorized" if code is StratumErrorCode.UNAUTHORIZED else "not-subscribed"
            self._port_metrics.share_rejected(reason)
            self._log.debug("Share before handshake", code=int(code), error_type=reason)
        elif type(event.request) is UnknownRequest:
            # Counted and logged, never banned: miners probe for extensions we lack.
            self.context.protocol_error(self, "unknown-method")
            self._log.info(
                "Unknown method", method=event.request.method[:64], error_type="unknown-method"
            )

    def _on_configure(self, msg_id: JsonValue, request: Configure) -> None:
        result = negotiate_configure(
            request, pool_mask=self._offered_version_mask() or None, minimum_difficulty=True
        )
        self._version_mask = (result.version_rolling_mask or 0) if result.version_rolling else 0
        if self.work is not None:
            self.work.version_mask = self._version_mask
        if request.minimum_difficulty is not None:
            self._suggest(request.minimum_difficulty)
        self._respond(Response(msg_id, result))

    def _on_suggest_difficulty(self, msg_id: JsonValue, request: SuggestDifficulty) -> None:
        self._respond(Response(msg_id, RawResult(True)))
        self._suggest(request.difficulty)

    def _suggest(self, difficulty: float) -> None:
        if self.vardiff.fixed:
            return
        now = self.context.clock()
        self._change_difficulty(self.vardiff.suggest(difficulty, now, self._network_difficulty()))

    def _offered_version_mask(self) -> int:
        """The version bits this side lets miners roll (BIP310)."""
        return self._policy.version_mask

    # -- what subclasses provide --------------------------------------------

    @abstractmethod
    def _on_subscribe(self, msg_id: JsonValue, request: Subscribe) -> None: ...

    @abstractmethod
    def _on_authorize(self, msg_id: JsonValue, request: Authorize) -> None: ...

    @abstractmethod
    def _on_submit(self, msg_id: JsonValue, request: Submit) -> None: ...

    @abstractmethod
    def _network_difficulty(self) -> float | None: ...

    # -- shares -----------------------------------------------------------

    def _answer_share(
        self,
        msg_id: JsonValue,
        request: Submit,
        identity: MinerIdentity,
        result: ShareResult,
        now: float,
        *,
        is_block: bool | None = None,
    ) -> None:
        """Answer a validated share at once, then count it, step vardiff, and record it.

        `is_block`: whether the share solved a block; by default whether the validator
        assembled one (the proxy, which cannot assemble blocks, says so itself).
        """
        reason = result.reason
        if reason is None:
            self._write(self._conn.send(Response(msg_id, True)))
            self._port_metrics.share_accepted(result.difficulty)
            if self._vardiff_on:
                change = self.vardiff.record_share(now, self._network_difficulty())
                if change is not None:
                    self._change_difficulty(change)
        else:
            self._write(self._conn.send(Response.reject(msg_id, reason.code, reason.message)))
            self._port_metrics.share_rejected(reason.label)
            self._log.debug("Share rejected", error_type=reason.label, job_id=request.job_id[:64])
            if reason.malformed:
                self._misbehaved(reason.label)
        block = (result.block is not None if is_block is None else is_block) and reason is None
        context = self.context
        context.shares.record(
            ShareRecord(
                share_id=context.share_ids.next(),
                account=identity.account,
                worker=identity.worker,
                job_id=request.job_id[:64],
                difficulty=result.difficulty,
                share_difficulty=result.share_difficulty,
                created_at=now,
                accepted=reason is None,
                reject_reason=None if reason is None else reason.label,
                is_block=block,
                block_height=result.job.height if block and result.job else None,
            )
        )

    # -- work -------------------------------------------------------------

    def _begin_work(self, prepared: PreparedJob | None) -> None:
        """Subscribed and authorized: idle timer, broadcasts, difficulty, first job."""
        if self._timer is not None:
            self._timer.cancel()
        self._schedule_timer(self._policy.idle_timeout)
        self.context.activate(self)
        self._send_difficulty()
        if prepared is not None:
            self.send_job(prepared)

    @property
    def _vardiff_on(self) -> bool:
        return self._policy.vardiff_enabled and not self.vardiff.fixed

    def send_job(self, prepared: PreparedJob) -> None:
        """Write a job to this session alone (its first job)."""
        context = self.context
        if self.take_job(prepared, context.clock(), self._network_difficulty()):
            self.finish_write(prepared.notify.line)

    def take_job(self, prepared: PreparedJob, now: float, network_difficulty: float | None) -> bool:
        """Record `prepared` as this session's job; True if its notify may go straight to the fd.

        Anything that must precede the notify (a vardiff step down) or bytes still
        buffered in the transport send the notify through the transport instead.
        """
        transport = self._transport
        if transport is None or self.work is None or transport.is_closing():
            return False
        buffered = transport.get_write_buffer_size()
        if buffered > self._policy.write_hard_limit:
            self.close("write-buffer-full")
            return False
        stepped = False
        if self.active and self._policy.vardiff_enabled and self.vardiff.due(now):
            # A miner too slow to submit is only noticed here: step it down with the new job.
            change = self.vardiff.poll(now, network_difficulty)
            if change is not None:
                self.work.set_difficulty(change, prepared.job.seq)
                self._send_difficulty()
                stepped = True
        self.last_job = prepared
        self.active = True
        if stepped or buffered or self.fd < 0:
            transport.write(prepared.notify.line)
            return False
        return True

    def finish_write(self, data: bytes) -> None:
        """Bytes a raw write could not deliver: the transport buffers and sends them."""
        self._write(data)

    def _change_difficulty(self, difficulty: float) -> None:
        if self.work is None:
            return
        next_seq = self.last_job.job.seq + 1 if self.last_job is not None else 0
        self.work.set_difficulty(difficulty, next_seq)
        if self.last_job is not None:
            self._send_difficulty()

    def _send_difficulty(self) -> None:
        if self.work is not None:
            self._write(self._conn.send(SetDifficulty(self.work.difficulty)))

    # -- errors, timers, closing --------------------------------------------

    def _on_protocol_error(self, event: ProtocolError) -> None:
        error_type = event.kind.value
        self.context.protocol_error(self, error_type)
        self._log.warning("Protocol error", error_type=error_type, detail=event.detail[:200])
        if event.request_id is not None or event.method is not None:
            message = f"Invalid request: {event.detail[:120]}"
            self._respond(Response.reject(event.request_id, StratumErrorCode.OTHER, message))
        if event.fatal:
            self.close(error_type)
        else:
            self._misbehaved(error_type)

    def _misbehaved(self, error_type: str) -> None:
        """Count garbage from this miner against its IP; enough within the window ban it."""
        self.protocol_errors += 1
        self.context.misbehaved(self, error_type)

    def _schedule_timer(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        if self._transport is None:
            return
        if not self.active:
            self._log.info("Handshake timeout", error_type="handshake_timeout")
            self.close("handshake-timeout")
            return
        idle = self.context.monotonic() - self.last_activity
        remaining = self._policy.idle_timeout - idle
        if remaining <= 0:
            self._log.info("Idle timeout", error_type="idle_timeout")
            self.close("idle-timeout")
        else:
            self._schedule_timer(remaining)

    def close(self, reason: str) -> None:
        transport = self._transport
        if transport is not None and not transport.is_closing():
            self._close_reason = self._close_reason or reason
            transport.close()

    def _respond(self, response: Response) -> None:
        self._write(self._conn.send(response))

    def _write(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.write(data)


def _peer(peer: object) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return "?"


def hex_or_none(value: str | None) -> bytes | None:
    if not value or len(value) > 64:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None
