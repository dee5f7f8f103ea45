"""The client's half of a pool conversation, above `ClientConnection`: no sockets, no asyncio.

The handshake goes out at once, as real miners pipeline it: `mining.configure`
(version rolling), `mining.subscribe`, `mining.authorize`, then the optional
`mining.suggest_difficulty`. Mining starts once the pool has subscribed and
authorized us, answered the configure, and sent a job; from then on every message
is applied as it arrives:

- `mining.notify`: the newest job is mined at once; with clean_jobs the older jobs
  are dropped, and shares still found for them are not submitted;
- `mining.set_difficulty`: the share target for the next unit hashed;
- `mining.set_extranonce`: applies from the next job, as NiceHash specifies;
- `mining.set_version_mask`: applies at once (the miner resumes without overlap);
- `client.reconnect` ends the session, and the runner connects where the pool said;
- `client.show_message` is shown, `client.get_version` answered.

The conversation writes through `write`, ends the session through `end` (the first
outcome wins) and records what it sees in the report.
"""

from __future__ import annotations

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
    GetVersion,
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
    UnknownRequest,
)


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


class Conversation:
    """Handshake, message dispatch and share bookkeeping for one connection."""

    def __init__(
        self,
        options: ClientOptions,
        report: ClientReport,
        miner: Miner,
        *,
        write: Callable[[bytes], None],
        end: Callable[[Outcome], None],
        notice: Callable[[str], None],
    ) -> None:
        self._options = options
        self._report = report
        self._miner = miner
        self._write = write
        self._end = end
        self._notice = notice
        self._conn = ClientConnection()
        self._jobs = JobTracker(VERSION_ROLLING_MASK)
        self._awaiting_configure = options.version_rolling
        self._authorized = False
        self._mining = True
        self.closed = False
        self.outstanding = 0
        """Submitted shares not answered yet."""

    @property
    def ready(self) -> bool:
        """Whether the handshake is complete: subscribed, authorized, configured."""
        return self._authorized and self._jobs.subscribed and not self._awaiting_configure

    def start(self) -> None:
        """Send the handshake."""
        if self._options.version_rolling:
            mask, bits = VERSION_ROLLING_MASK, VERSION_ROLLING_MIN_BITS
            self._send(Configure(("version-rolling",), mask, bits))
        self._send(Subscribe(USER_AGENT))
        self._send(Authorize(self._options.user, self._options.password))
        if self._options.suggest_difficulty is not None:
            self._send(SuggestDifficulty(self._options.suggest_difficulty))

    def receive(self, data: bytes) -> None:
        """Bytes from the pool (b"" once it closed), handled message by message."""
        if self.closed:
            return
        self._conn.receive_data(data)
        while not self.closed and (event := self._conn.next_event()) is not NEED_DATA:
            self._handle(event)

    def fail(self, reason: str) -> None:
        """A protocol failure: recorded, and the session ends."""
        self._report.fail(reason)
        self._end(Outcome(End.FAILED))

    def stop_mining(self) -> None:
        """The run is over: hash nothing more and submit nothing more."""
        self._mining = False
        self._miner.set_work(None)

    def submit(self, share: FoundShare) -> None:
        """Submit a share the miner found, unless its work was retired meanwhile."""
        if not self._mining:
            return
        if not self._jobs.is_live(share.work):
            self._report.stale_dropped += 1
            return
        self._send(share.submit(self._options.user))
        self.outstanding += 1
        self._report.submitted += 1
        self._report.blocks += share.is_block

    def _send(self, request: MinerRequest) -> None:
        self._write(self._conn.send_request(request)[1])

    def _handle(self, event: Event) -> None:
        if isinstance(event, NotificationReceived):
            self._on_message(event.message, event.id)
        elif isinstance(event, ResponseReceived):
            self._on_response(event)
        elif isinstance(event, ProtocolError):
            kind = event.kind.value
            self._report.fail(f"unusable message from the pool ({kind}): {event.detail}")
            if event.fatal:
                self._end(Outcome(End.FAILED))
        elif isinstance(event, ConnectionClosed):
            self.closed = True
            self._end(Outcome(End.CLOSED))

    def _on_message(self, message: PoolMessage, msg_id: JsonValue) -> None:
        if isinstance(message, Notify):
            self._report.jobs += 1
            self._report.clean_jobs += message.clean_jobs
            self._jobs.notify(message)
            self._start_mining()
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
        if msg_id is not None:
            self._write(self._conn.send(_answer(message, msg_id)))

    def _start_mining(self) -> None:
        """Mine the newest job under the current parameters, once the handshake is done."""
        if not (self.ready and self._mining):
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
            return
        if isinstance(request, Configure):
            self._awaiting_configure = False  # an error answer: mine without version rolling
            if isinstance(result, ConfigureResult) and result.version_rolling:
                self._jobs.negotiate(result.version_rolling_mask)
                self._report.version_mask = self._jobs.version_mask or None
        elif isinstance(request, Subscribe):
            if not isinstance(result, SubscribeResult):
                self.fail(f"mining.subscribe refused: {event.error}")
                return
            self._jobs.subscribe(result.extranonce1, result.extranonce2_size)
            self._report.extranonce1 = result.extranonce1
            self._report.extranonce2_size = result.extranonce2_size
        elif isinstance(request, Authorize):
            self._authorized = isinstance(result, AuthorizeResult) and result.ok
            self._report.authorized = self._authorized
            if not self._authorized:
                self.fail(f"mining.authorize refused for {request.username!r}: {event.error}")
        self._start_mining()  # the handshake may be complete now

    def _on_submit_result(self, accepted: bool, event: ResponseReceived) -> None:
        self.outstanding -= 1
        if not accepted:
            self._report.reject(event.error)
            return
        self._report.accepted += 1
        if self._options.shares and self._report.accepted >= self._options.shares:
            self._end(Outcome(End.SHARES))


def _answer(message: PoolMessage, msg_id: JsonValue) -> Response:
    """What a pool message sent with an id gets back: our version, an ack, or error 20."""
    if isinstance(message, GetVersion):
        return Response(msg_id, USER_AGENT)
    if isinstance(message, UnknownRequest):
        return Response.reject(msg_id, StratumErrorCode.OTHER)
    return Response(msg_id, True)
