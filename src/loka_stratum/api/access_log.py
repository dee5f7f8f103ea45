"""One debug line per HTTP request, through our logging pipeline (not uvicorn's).

uvicorn's own access log is switched off: probes and scrapes arrive every few
seconds and would drown the info-level log. This middleware logs each request
at debug under `loka_stratum.api`, which the manual's
`RUST_LOG=tower_http=debug` turns on; when debug is off the cost per request
is a clock read and one level check.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loka_stratum.observability.loggers import get_logger

log = get_logger("loka_stratum.api")


class AccessLog:
    """Pure ASGI middleware: method, path, status, duration and peer of every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            client = scope.get("client")
            log.debug(
                "HTTP request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                peer=f"{client[0]}:{client[1]}" if client else "?",
            )
