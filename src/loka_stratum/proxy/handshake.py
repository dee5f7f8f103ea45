"""The upstream handshake's requests and the checks on their answers (pure, no I/O).

Sent pipelined, in the order miners use: `mining.configure` (only when a version
mask is wanted), `mining.subscribe` with our user agent, `mining.authorize` with the
endpoint's credentials. Subscribe and authorize must succeed; the configure answer
only decides the version mask, and no answer at all (pools that ignore unknown
methods) means no version rolling.
"""

from __future__ import annotations

from loka_stratum.protocol import (
    Authorize,
    AuthorizeResult,
    Configure,
    ConfigureResult,
    ResponseReceived,
    Subscribe,
    SubscribeResult,
)
from loka_stratum.proxy.endpoint import Endpoint
from loka_stratum.proxy.types import UpstreamError, UpstreamOptions

VERSION_ROLLING_MIN_BITS = 2
"""The fewest rollable bits we ask for: any two bits already help ASICBoost miners."""


def configure_request(options: UpstreamOptions) -> Configure | None:
    """The BIP310 request for version rolling with our mask; None when we want none."""
    if options.version_mask is None:
        return None
    return Configure(("version-rolling",), options.version_mask, VERSION_ROLLING_MIN_BITS)


def subscribe_request(options: UpstreamOptions) -> Subscribe:
    return Subscribe(options.user_agent)


def authorize_request(endpoint: Endpoint) -> Authorize:
    return Authorize(endpoint.username, endpoint.password)


def subscribed(response: ResponseReceived | None) -> SubscribeResult:
    """The subscription, or `UpstreamError` saying why there is none."""
    if response is None or not isinstance(response.result, SubscribeResult):
        raise UpstreamError(f"subscribe failed: {why(response)}")
    return response.result


def check_authorized(response: ResponseReceived | None, username: str) -> None:
    """Raise `UpstreamError` unless the pool authorized `username`."""
    result = None if response is None else response.result
    if not isinstance(result, AuthorizeResult) or not result.ok:
        raise UpstreamError(f"authorize as {username!r} refused: {why(response)}")


def granted_mask(response: ResponseReceived | None, requested: int | None) -> int | None:
    """The version mask we may roll: what the pool granted, within what we asked for."""
    result = None if response is None else response.result
    if not isinstance(result, ConfigureResult) or not result.version_rolling:
        return None
    granted = result.version_rolling_mask
    return None if granted is None or requested is None else granted & requested


def why(response: ResponseReceived | None) -> str:
    """A failed response, for the error message."""
    if response is None:
        return "connection closed"
    if response.error is not None:
        return f"{response.error.code} {response.error.message}"
    return "no result"
