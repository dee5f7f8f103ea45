"""The session state machine of a Stratum V1 connection, as tables.

Theory of operation
-------------------

A session has two things to earn before its shares count: a *subscription*
(extranonce1 and sizes, so its shares can be checked) and at least one
*authorized worker* (so its shares can be credited). Real miners earn them in
either order, so the states are the four combinations plus CLOSED:

    NEW --subscribe--> SUBSCRIBED --authorize--> AUTHORIZED
     '---authorize--> AUTHORIZED_UNSUBSCRIBED --subscribe--> AUTHORIZED
    any --close--> CLOSED

Who moves the machine: the *server* connection advances when the application
sends a successful `SubscribeResult` / `AuthorizeResult` (as h11 advances when a
response is sent), so the application decides what succeeds; the *client*
connection advances when it receives one. Nothing else moves it: configure,
suggest_difficulty and extranonce.subscribe are welcome in every state, and a
second subscribe or authorize keeps the state.

What a request gets: `REQUEST_REJECTIONS[state]` maps a method to the error the
request must be answered with; a method absent from the row is acceptable. A
submit acceptable by the table is still rejected with UNAUTHORIZED when its worker
name is not among the authorized ones (one connection may authorize many
workers). A method the server does not know at all gets `UNKNOWN_METHOD`
(error 20) and the session continues. The server never answers by itself: it
delivers the request with the prescribed rejection and the application replies.

What may be sent: `SEND_STATES` lists, for the methods that depend on state, the
states in which sending them is allowed; sending anything in CLOSED is a
`LocalProtocolError`. The client checks its own requests against
`REQUEST_REJECTIONS` before sending them, so a bug in a proxy shows up as an
exception here instead of as rejected shares upstream.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from enum import Enum
from typing import Final

from loka_stratum.protocol.errors import StratumErrorCode


class SessionState(Enum):
    """Where a session stands: see the module docstring."""

    NEW = "new"
    SUBSCRIBED = "subscribed"
    AUTHORIZED_UNSUBSCRIBED = "authorized-unsubscribed"
    AUTHORIZED = "authorized"
    CLOSED = "closed"


class Transition(Enum):
    """What moves the state machine."""

    SUBSCRIBE_OK = "subscribe-ok"
    AUTHORIZE_OK = "authorize-ok"
    CLOSE = "close"


NEW, SUBSCRIBED, AUTHORIZED_UNSUBSCRIBED, AUTHORIZED, CLOSED = SessionState
SUBSCRIBE_OK, AUTHORIZE_OK, CLOSE = Transition
_NOT_SUBSCRIBED = StratumErrorCode.NOT_SUBSCRIBED
_UNAUTHORIZED = StratumErrorCode.UNAUTHORIZED

SUBMIT = "mining.submit"
GET_TRANSACTIONS = "mining.get_transactions"

TRANSITIONS: Final[Mapping[SessionState, Mapping[Transition, SessionState]]] = {
    NEW: {SUBSCRIBE_OK: SUBSCRIBED, AUTHORIZE_OK: AUTHORIZED_UNSUBSCRIBED, CLOSE: CLOSED},
    SUBSCRIBED: {SUBSCRIBE_OK: SUBSCRIBED, AUTHORIZE_OK: AUTHORIZED, CLOSE: CLOSED},
    AUTHORIZED_UNSUBSCRIBED: {
        SUBSCRIBE_OK: AUTHORIZED,
        AUTHORIZE_OK: AUTHORIZED_UNSUBSCRIBED,
        CLOSE: CLOSED,
    },
    AUTHORIZED: {SUBSCRIBE_OK: AUTHORIZED, AUTHORIZE_OK: AUTHORIZED, CLOSE: CLOSED},
    CLOSED: {CLOSE: CLOSED},
}

REQUEST_REJECTIONS: Final[Mapping[SessionState, Mapping[str, StratumErrorCode]]] = {
    NEW: {SUBMIT: _NOT_SUBSCRIBED, GET_TRANSACTIONS: _NOT_SUBSCRIBED},
    AUTHORIZED_UNSUBSCRIBED: {SUBMIT: _NOT_SUBSCRIBED, GET_TRANSACTIONS: _NOT_SUBSCRIBED},
    SUBSCRIBED: {SUBMIT: _UNAUTHORIZED},
    AUTHORIZED: {},
    CLOSED: {SUBMIT: _NOT_SUBSCRIBED, GET_TRANSACTIONS: _NOT_SUBSCRIBED},
}

UNKNOWN_METHOD: Final = StratumErrorCode.OTHER
"""The rejection of a method the server does not implement; the session carries on."""

_SUBSCRIBED_STATES = frozenset({SUBSCRIBED, AUTHORIZED})

SEND_STATES: Final[Mapping[str, Set[SessionState]]] = {
    "mining.notify": _SUBSCRIBED_STATES,
    "mining.set_extranonce": _SUBSCRIBED_STATES,
}
"""Methods that may only be sent in some states; every other method: any state but CLOSED."""


def advance(state: SessionState, transition: Transition) -> SessionState:
    """The state after `transition`."""
    return TRANSITIONS[state][transition]


def request_rejection(
    state: SessionState, method: str, worker: str | None, workers: Set[str]
) -> StratumErrorCode | None:
    """The error a request must get in `state`, or None when it is acceptable.

    `worker` is the submit's worker name (None for other methods), `workers` the
    names authorized on this connection.
    """
    code = REQUEST_REJECTIONS[state].get(method)
    if code is None and worker is not None and worker not in workers:
        return _UNAUTHORIZED
    return code


def may_send(state: SessionState, method: str) -> bool:
    """Whether sending `method` in `state` is allowed."""
    if state is CLOSED:
        return False
    allowed = SEND_STATES.get(method)
    return allowed is None or state in allowed
