"""Sans-IO Stratum V1: bytes in, typed events out; typed messages in, bytes out.

`ServerConnection` is the pool's side of a miner connection, `ClientConnection` the
miner's side of a pool connection. Neither does I/O, reads a clock or logs.
"""

from loka_stratum.protocol.client import ClientConnection
from loka_stratum.protocol.codec import (
    EncodedNotification,
    encode_notification,
    encode_request,
    encode_response,
    parse_miner_request,
    parse_pool_message,
)
from loka_stratum.protocol.configure import Configure, ConfigureResult, negotiate_configure
from loka_stratum.protocol.connection import StratumConnection
from loka_stratum.protocol.errors import (
    LocalProtocolError,
    ProtocolErrorKind,
    RemoteProtocolError,
    StratumError,
    StratumErrorCode,
    StratumProtocolError,
)
from loka_stratum.protocol.events import (
    NEED_DATA,
    ConnectionClosed,
    Event,
    NeedData,
    NotificationReceived,
    ProtocolError,
    RequestReceived,
    ResponseReceived,
)
from loka_stratum.protocol.framing import DEFAULT_MAX_LINE_LENGTH
from loka_stratum.protocol.miner_messages import (
    Authorize,
    ExtranonceSubscribe,
    GetTransactions,
    MinerRequest,
    Submit,
    Subscribe,
    SuggestDifficulty,
    UnknownRequest,
)
from loka_stratum.protocol.pool_messages import (
    GetVersion,
    Notify,
    PoolMessage,
    Reconnect,
    SetDifficulty,
    SetExtranonce,
    SetVersionMask,
    ShowMessage,
)
from loka_stratum.protocol.results import (
    AuthorizeResult,
    RawResult,
    Response,
    Result,
    SubmitResult,
    SubscribeResult,
    parse_error,
)
from loka_stratum.protocol.server import ServerConnection
from loka_stratum.protocol.state import SessionState
from loka_stratum.protocol.wire import JsonValue

__all__ = [
    "DEFAULT_MAX_LINE_LENGTH",
    "NEED_DATA",
    "Authorize",
    "AuthorizeResult",
    "ClientConnection",
    "Configure",
    "ConfigureResult",
    "ConnectionClosed",
    "EncodedNotification",
    "Event",
    "ExtranonceSubscribe",
    "GetTransactions",
    "GetVersion",
    "JsonValue",
    "LocalProtocolError",
    "MinerRequest",
    "NeedData",
    "NotificationReceived",
    "Notify",
    "PoolMessage",
    "ProtocolError",
    "ProtocolErrorKind",
    "RawResult",
    "Reconnect",
    "RemoteProtocolError",
    "RequestReceived",
    "Response",
    "ResponseReceived",
    "Result",
    "ServerConnection",
    "SessionState",
    "SetDifficulty",
    "SetExtranonce",
    "SetVersionMask",
    "ShowMessage",
    "StratumConnection",
    "StratumError",
    "StratumErrorCode",
    "StratumProtocolError",
    "Submit",
    "SubmitResult",
    "Subscribe",
    "SubscribeResult",
    "SuggestDifficulty",
    "UnknownRequest",
    "encode_notification",
    "encode_request",
    "encode_response",
    "negotiate_configure",
    "parse_error",
    "parse_miner_request",
    "parse_pool_message",
]
