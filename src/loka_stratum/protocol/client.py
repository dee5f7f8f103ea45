"""The miner's side of a pool connection (what a proxy uses upstream, and what tests drive)."""

from __future__ import annotations

from loka_stratum.protocol.codec import encode_response, parse_pool_message
from loka_stratum.protocol.connection import StratumConnection
from loka_stratum.protocol.errors import LocalProtocolError, StratumError
from loka_stratum.protocol.events import Event, NotificationReceived
from loka_stratum.protocol.miner_messages import MinerRequest, Submit
from loka_stratum.protocol.results import Response, Result
from loka_stratum.protocol.state import request_rejection
from loka_stratum.protocol.wire import JsonValue


class ClientConnection(StratumConnection):
    """Sends requests under its own incrementing ids and receives typed responses.

    Pool messages arrive as `NotificationReceived`; responses as `ResponseReceived`
    carrying the request they answer. The session state follows the responses
    received, and a request the pool would have to reject in that state (a submit
    before subscribing, or for a worker not authorized) raises `LocalProtocolError`
    instead of being sent.
    """

    def _on_call(self, method: str, msg_id: JsonValue, params: JsonValue) -> Event:
        return NotificationReceived(parse_pool_message(method, params), msg_id)

    def send_request(self, message: MinerRequest) -> tuple[int, bytes]:
        """The bytes of a request under a fresh id: `(id, bytes)`."""
        worker = message.worker if type(message) is Submit else None
        rejection = request_rejection(self._state, message.method, worker, self._workers)
        if rejection is not None:
            raise LocalProtocolError(
                f"{message.method} would be rejected in state {self._state.name}: {rejection.name}"
            )
        return self._send_request(message)

    def send(self, response: Response) -> bytes:
        """The bytes of an answer to a pool's request (e.g. `client.get_version`)."""
        self._check_open()
        return encode_response(response)

    def _response_received(self, result: Result | None, error: StratumError | None) -> None:
        if error is None:
            self._record_success(result)
