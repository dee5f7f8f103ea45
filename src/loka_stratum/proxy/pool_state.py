"""What an upstream pool has told us so far, and how each pool message changes it (pure).

The connection (`upstream.py`) owns the socket and the reader task; the rules for
what a pool message means live here, with no I/O and no clock (the time of a job
is passed in as `now`), so they read in one place and test without a socket.

Every message that carries an id gets an answer (`reply_to`): the user agent for
`client.get_version`, an error for methods we do not know (so the pool is not left
waiting), and `true` for the rest.
"""

from __future__ import annotations

from loka_stratum.protocol import (
    GetVersion,
    NotificationReceived,
    Notify,
    PoolMessage,
    Reconnect,
    Response,
    SetDifficulty,
    SetExtranonce,
    SetVersionMask,
    StratumErrorCode,
    UnknownRequest,
)
from loka_stratum.proxy.types import UpstreamEvent


class UpstreamState:
    """The pool's current terms for one connection; the results are plain attributes.

    `extranonce1` / `extranonce2_size` follow `mining.set_extranonce` at once (the
    event reaches the proxy before the next job), `difficulty` follows
    `mining.set_difficulty` (1 until the pool sets one), `version_mask` is the mask
    the pool granted within `requested_mask` (None: no version rolling), `notify` the
    latest job and `last_job_at` when it came, `reconnect_request` the pool's last
    `client.reconnect`.
    """

    def __init__(self, requested_mask: int | None) -> None:
        self.extranonce1 = b""
        self.extranonce2_size = 0
        self.difficulty = 1.0
        self.version_mask: int | None = None
        self.notify: Notify | None = None
        self.last_job_at: float | None = None
        self.reconnect_request: Reconnect | None = None
        self._requested_mask = requested_mask

    def apply(self, message: PoolMessage, now: float) -> UpstreamEvent | None:
        """Take in one pool message; the event to report, None for ones that change nothing."""
        if isinstance(message, Notify):
            self.notify, self.last_job_at = message, now
        elif isinstance(message, SetDifficulty):
            self.difficulty = message.difficulty
        elif isinstance(message, SetExtranonce):
            self.extranonce1 = message.extranonce1
            self.extranonce2_size = message.extranonce2_size
        elif isinstance(message, SetVersionMask):
            self.version_mask = message.mask & (self._requested_mask or 0)
        elif isinstance(message, Reconnect):
            self.reconnect_request = message
        else:
            return None
        return message


def reply_to(event: NotificationReceived, user_agent: str) -> Response | None:
    """The answer a pool message with an id is owed; None for plain notifications."""
    if event.id is None:
        return None
    message = event.message
    if isinstance(message, GetVersion):
        return Response(event.id, user_agent)
    if isinstance(message, UnknownRequest):
        return Response.reject(event.id, StratumErrorCode.OTHER, "unknown method")
    return Response(event.id, True)
