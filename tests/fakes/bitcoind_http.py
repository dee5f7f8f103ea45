"""The HTTP side of the fake bitcoind: a tiny keep-alive HTTP/1.1 JSON-RPC server.

It answers the way Bitcoin Core's httpserver does: 401 with an empty body on
bad credentials; JSON-RPC 1.0 errors as HTTP 500 (404 for an unknown method)
with a ``{"result": null, "error": ...}`` body; JSON-RPC 2.0 (v28+) errors as
HTTP 200 with only ``error``. Tests can make it go away (listener closed,
open connections cut) and come back on the same port, answer raw HTTP
statuses, or hold requests unanswered (to trigger client timeouts).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

Handler = Callable[[str, list[Any]], Awaitable[Any]]
Authorizer = Callable[[str, str], bool]

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
_REASONS |= {500: "Internal Server Error", 503: "Service Unavailable"}


class FakeRpcError(Exception):
    """Raised by a handler to answer with a JSON-RPC error object."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class JsonRpcHttpServer:
    def __init__(self, handler: Handler, authorize: Authorizer) -> None:
        self._handler = handler
        self._authorize = authorize
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.raw_replies: list[tuple[int, bytes]] = []
        """Scripted raw HTTP answers, consumed one per authorized request."""
        self.hold = 0
        """Leave this many of the next requests unanswered until `release()` or shutdown."""
        self._released = asyncio.Event()
        self.requests = 0
        self.unauthorized = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and cut every open connection (as a crashed node would)."""
        self._released.set()
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._released = asyncio.Event()

    def release(self) -> None:
        self._released.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            while await self._exchange(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.transport.abort()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        request_line = await reader.readline()
        if not request_line:
            return False
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests += 1
        status, payload = await self._answer(headers.get("authorization", ""), body)
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        writer.write(head.encode() + payload)
        await writer.drain()
        return True

    async def _answer(self, authorization: str, body: bytes) -> tuple[int, bytes]:
        if not self._authorized(authorization):
            self.unauthorized += 1
            return 401, b""
        if self.raw_replies:
            return self.raw_replies.pop(0)
        if self.hold > 0:
            self.hold -= 1
            await self._released.wait()
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError:
            return 500, _reply("1.0", None, None, {"code": -32700, "message": "Parse error"})
        version = "2.0" if request.get("jsonrpc") == "2.0" else "1.0"
        try:
            result = await self._handler(request["method"], list(request.get("params", [])))
        except FakeRpcError as fault:
            error = {"code": fault.code, "message": fault.message}
            return _error_status(version, fault.code), _reply(
                version, request.get("id"), None, error
            )
        return 200, _reply(version, request.get("id"), result, None)

    def _authorized(self, authorization: str) -> bool:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return self._authorize(user, password)


def _error_status(version: str, code: int) -> int:
    if version == "2.0":
        return 200
    return {-32600: 400, -32601: 404}.get(code, 500)


def _reply(version: str, request_id: Any, result: Any, error: Any) -> bytes:
    if version == "2.0":
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
        reply |= {"error": error} if error is not None else {"result": result}
    else:
        reply = {"result": result, "error": error, "id": request_id}
    return orjson.dumps(reply) + b"\n"
