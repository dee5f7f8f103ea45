"""Bitcoin Core JSON-RPC over HTTP: one async client, typed failures.

Exceptions (what a caller does with each):

    BitcoindRpcError          base of everything raised here
    +-- RpcError              the node answered with a JSON-RPC error: a definite answer
    +-- RpcClosedError        this client was closed (the source is stopping): do not retry
    +-- RpcUnavailable        no usable answer: refused, reset, timeout, HTTP 5xx without
        |                     a JSON-RPC body, garbage: retry later with backoff
        +-- RpcAuthError      HTTP 401/403 (cookie rotated, wrong password, rpcallowip)
        +-- RpcWarmingUp      error -28: the node is loading; the same as down for now

bitcoind answers RPC errors with HTTP 500 (or 404/400) *and* a JSON body under
JSON-RPC 1.0, and with HTTP 200 under 2.0 (v28+); the body decides, not the status.
Cookie auth re-reads the cookie file on a 401, since bitcoind writes a new one at
every start. Credentials are never put in exception messages.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import orjson

RPC_IN_WARMUP = -28

LatencyObserver = Callable[[str, float], None]
"""Called with (method, seconds) after every call, failed or not."""


class BitcoindRpcError(Exception):
    """Base of the errors raised by `BitcoindRpc`."""


class RpcError(BitcoindRpcError):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class RpcClosedError(BitcoindRpcError):
    """The client was closed; nothing will be sent."""


class RpcUnavailable(BitcoindRpcError):  # noqa: N818 - a state, named as the brief fixes it
    """No usable answer from the node; retry later."""


class RpcAuthError(RpcUnavailable):
    """The node refused our credentials."""


class RpcWarmingUp(RpcUnavailable):
    """The node is starting (error -28) and serves no RPC yet."""


@dataclass(frozen=True, slots=True)
class UserPassword:
    user: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class CookieFile:
    """bitcoind's ``.cookie`` (``__cookie__:<secret>``), rewritten at every node start."""

    path: Path

    def read(self) -> tuple[str, str]:
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except OSError as exc:
            raise RpcUnavailable(f"cookie file {self.path} unreadable: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise RpcUnavailable(f"cookie file {self.path} malformed") from exc
        user, sep, secret = text.partition(":")
        if not sep:
            raise RpcUnavailable(f"cookie file {self.path} malformed")
        return user, secret


RpcAuth = UserPassword | CookieFile


class BitcoindRpc:
    """An async JSON-RPC client for one bitcoind endpoint (keep-alive, pooled)."""

    def __init__(
        self,
        url: str,
        auth: RpcAuth,
        *,
        timeout: float = 10.0,
        jsonrpc: Literal["1.0", "2.0"] = "2.0",
        rpc_latency_observer: LatencyObserver | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.rpc_latency_observer = rpc_latency_observer
        self._auth = auth
        self._credentials: tuple[str, str] | None = None
        self._jsonrpc = jsonrpc
        self._ids = itertools.count(1)
        self._monotonic = monotonic
        self._client: httpx.AsyncClient | None = None
        self._closed = False

    async def aclose(self) -> None:
        self._closed = True
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def call(self, method: str, *params: Any, time_limit: float | None = None) -> Any:
        """Call `method` and return its ``result``; raises the errors described above."""
        started = self._monotonic()
        try:
            return await self._call(method, list(params), time_limit or self.timeout)
        finally:
            if self.rpc_latency_observer is not None:
                self.rpc_latency_observer(method, self._monotonic() - started)

    async def _call(self, method: str, params: list[Any], time_limit: float) -> Any:
        body = orjson.dumps(
            {"jsonrpc": self._jsonrpc, "id": next(self._ids), "method": method, "params": params}
        )
        response = await self._post(method, body, time_limit, self._current_credentials())
        if response.status_code == httpx.codes.UNAUTHORIZED and isinstance(self._auth, CookieFile):
            self._credentials = None
            response = await self._post(method, body, time_limit, self._current_credentials())
        return _result(method, response)

    def _current_credentials(self) -> tuple[str, str]:
        if self._credentials is None:
            auth = self._auth
            self._credentials = (
                auth.read() if isinstance(auth, CookieFile) else (auth.user, auth.password)
            )
        return self._credentials

    async def _post(
        self, method: str, body: bytes, time_limit: float, credentials: tuple[str, str]
    ) -> httpx.Response:
        try:
            return await self._http().post(
                self.url,
                content=body,
                headers={"content-type": "application/json"},
                auth=httpx.BasicAuth(*credentials),
                timeout=time_limit,
            )
        except httpx.TimeoutException as exc:
            raise RpcUnavailable(f"{method}: timed out after {time_limit:g}s") from exc
        except httpx.TransportError as exc:
            raise RpcUnavailable(f"{method}: {type(exc).__name__}: {exc}") from exc

    def _http(self) -> httpx.AsyncClient:
        """The pooled client, made on first use so that constructing the RPC does no I/O setup."""
        if self._closed:
            raise RpcClosedError("client closed")
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.timeout,
                limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
            )
        return self._client


def _result(method: str, response: httpx.Response) -> Any:
    status = response.status_code
    if status == httpx.codes.UNAUTHORIZED:
        raise RpcAuthError(f"{method}: HTTP 401: credentials refused")
    if status == httpx.codes.FORBIDDEN:
        raise RpcAuthError(f"{method}: HTTP 403: this address is not allowed (rpcallowip)")
    try:
        reply = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        reply = None
    if not isinstance(reply, dict) or not ("result" in reply or "error" in reply):
        raise RpcUnavailable(f"{method}: HTTP {status} without a JSON-RPC reply")
    error = reply.get("error")
    if error is not None:
        raise _error(method, error)
    return reply.get("result")


def _error(method: str, error: Any) -> BitcoindRpcError:
    if not isinstance(error, dict) or not isinstance(error.get("code"), int):
        return RpcUnavailable(f"{method}: malformed error object")
    code: int = error["code"]
    message = str(error.get("message", ""))
    if code == RPC_IN_WARMUP:
        return RpcWarmingUp(f"{method}: node warming up: {message}")
    return RpcError(code, message)
