"""In-memory test helpers: a client and a server core joined without sockets (as in h11)."""

from __future__ import annotations

from loka_stratum.protocol import (
    NEED_DATA,
    Authorize,
    AuthorizeResult,
    ClientConnection,
    ConnectionClosed,
    Event,
    JsonValue,
    MinerRequest,
    NotificationReceived,
    PoolMessage,
    RequestReceived,
    Response,
    ResponseReceived,
    Result,
    ServerConnection,
    SessionState,
    StratumConnection,
    Subscribe,
    SubscribeResult,
)

EXTRANONCE1 = bytes.fromhex("f8002c90")
EXTRANONCE2_SIZE = 4


def feed(conn: StratumConnection, data: bytes) -> list[Event]:
    """Give `data` to `conn` and take every event it yields."""
    conn.receive_data(data)
    return drain(conn)


def drain(conn: StratumConnection) -> list[Event]:
    """Every event until `NEED_DATA`, or up to and including `ConnectionClosed`."""
    events: list[Event] = []
    while (event := conn.next_event()) is not NEED_DATA:
        events.append(event)
        if isinstance(event, ConnectionClosed):
            break
    return events


def state(conn: StratumConnection) -> SessionState:
    """`conn.state` read through a call, so mypy does not carry narrowing across sends."""
    return conn.state


def server_event(data: bytes, server: ServerConnection | None = None) -> Event:
    """The single event a (fresh) server gets from `data`."""
    events = feed(server or ServerConnection(), data)
    assert len(events) == 1, events
    return events[0]


class ConnectionPair:
    """A `ClientConnection` and a `ServerConnection` talking in memory."""

    def __init__(self, max_line_length: int = 16 * 1024) -> None:
        self.client = ClientConnection(max_line_length=max_line_length)
        self.server = ServerConnection(max_line_length=max_line_length)

    def request(self, message: MinerRequest) -> RequestReceived:
        """The client sends `message`; the one event the server gets."""
        _, data = self.client.send_request(message)
        events = feed(self.server, data)
        assert len(events) == 1, events
        event = events[0]
        assert isinstance(event, RequestReceived), event
        return event

    def respond(self, response: Response) -> ResponseReceived:
        """The server sends `response`; the one event the client gets."""
        events = feed(self.client, self.server.send(response))
        assert len(events) == 1, events
        event = events[0]
        assert isinstance(event, ResponseReceived), event
        return event

    def exchange(self, message: MinerRequest, result: Result | JsonValue) -> ResponseReceived:
        """A request answered with `result` (typed or raw JSON)."""
        event = self.request(message)
        assert event.rejection is None, event
        return self.respond(Response(event.id, result))

    def notify(self, message: PoolMessage) -> NotificationReceived:
        """The server sends a notification; the one event the client gets."""
        events = feed(self.client, self.server.send(message))
        assert len(events) == 1, events
        event = events[0]
        assert isinstance(event, NotificationReceived), event
        return event

    def subscribe(self) -> ResponseReceived:
        result = SubscribeResult.create("ae6812eb4cd7735a302a8a9dd95cf71f", EXTRANONCE1, 4)
        return self.exchange(Subscribe("cgminer/4.11.1"), result)

    def authorize(self, worker: str) -> ResponseReceived:
        return self.exchange(Authorize(worker, "x"), AuthorizeResult(True, worker))


def ready_pair(*workers: str) -> ConnectionPair:
    """A pair that has subscribed and authorized `workers` (default one, "alice.rig1")."""
    pair = ConnectionPair()
    pair.subscribe()
    for worker in workers or ("alice.rig1",):
        pair.authorize(worker)
    return pair
