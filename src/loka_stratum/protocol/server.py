"""The pool's side of one miner connection."""

from __future__ import annotations

from loka_stratum.protocol.codec import (
    EncodedNotification,
    encode_notification,
    encode_response,
)
from loka_stratum.protocol.connection import StratumConnection
from loka_stratum.protocol.errors import LocalProtocolError, StratumError
from loka_stratum.protocol.events import Event, RequestReceived
from loka_stratum.protocol.miner_messages import MINER_METHODS, Submit, UnknownRequest
from loka_stratum.protocol.pool_messages import PoolMessage
from loka_stratum.protocol.results import Response, Result
from loka_stratum.protocol.state import UNKNOWN_METHOD, may_send, request_rejection
from loka_stratum.protocol.wire import JsonValue


class ServerConnection(StratumConnection):
    """Receives a miner's requests as `RequestReceived` events; encodes what the pool sends.

    Typical loop::

        conn.receive_data(chunk)
        while (event := conn.next_event()) is not NEED_DATA:
            if isinstance(event, RequestReceived) and event.rejection is not None:
                write(conn.send(Response.reject(event.id, event.rejection)))
            ...

    Sending `Response(id, SubscribeResult(...))` marks the session subscribed and
    `Response(id, AuthorizeResult(True, worker))` authorizes `worker`: the state
    follows what the application answers, never what the miner merely asked.
    """

    def _on_call(self, method: str, msg_id: JsonValue, params: JsonValue) -> Event:
        parser = MINER_METHODS.get(method)
        request = UnknownRequest(method, params) if parser is None else parser(params)
        if type(request) is Submit:
            rejection = request_rejection(self._state, method, request.worker, self._workers)
        elif type(request) is UnknownRequest:
            rejection = UNKNOWN_METHOD
        else:
            rejection = request_rejection(self._state, method, None, self._workers)
        return RequestReceived(request, msg_id, rejection)

    def _response_received(self, result: Result | None, error: StratumError | None) -> None:
        """A miner's answer (to `client.get_version`) never moves the server's state."""

    def send(self, message: Response | PoolMessage | EncodedNotification) -> bytes:
        """The bytes for a response or a notification (id null) to the miner.

        Raises `LocalProtocolError` when the state forbids it: anything once closed,
        `mining.notify` and `mining.set_extranonce` before the session is subscribed.
        """
        if isinstance(message, Response):
            self._check_open()
            data = encode_response(message)
            if message.error is None:
                self._record_success(message.result)
            return data
        if not may_send(self._state, message.method):
            raise LocalProtocolError(f"cannot send {message.method} in state {self._state.name}")
        if isinstance(message, EncodedNotification):
            return message.line
        return encode_notification(message)

    def send_request(self, message: PoolMessage) -> tuple[int, bytes]:
        """A request to the miner (`client.get_version`) under a fresh id: `(id, bytes)`.

        The miner's answer comes back as a `ResponseReceived` event.
        """
        return self._send_request(message)
