"""Shared helpers for the proxy tests: event collection with bounded waits, TLS material."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path
from typing import TypeVar

from tests.proxy.fake_upstream import WAIT

T = TypeVar("T")


class Events:
    """Collects what a connection or pool reports; `next(kind)` waits (bounded) for one."""

    def __init__(self) -> None:
        self.seen: list[object] = []
        self._queue: asyncio.Queue[object] = asyncio.Queue()

    def __call__(self, event: object) -> None:
        self.seen.append(event)
        self._queue.put_nowait(event)

    async def next(self, kind: type[T]) -> T:
        """The next event of `kind`, skipping others."""
        async with asyncio.timeout(WAIT):
            while True:
                event = await self._queue.get()
                if isinstance(event, kind):
                    return event


def self_signed(directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server, client) contexts for a fresh self-signed certificate for 127.0.0.1."""
    openssl = shutil.which("openssl")
    assert openssl is not None, "the TLS test needs the openssl command"
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


class ManualSleep:
    """An injectable `sleep` the test releases by hand, seeing each requested delay."""

    def __init__(self) -> None:
        self._calls: asyncio.Queue[tuple[float, asyncio.Future[None]]] = asyncio.Queue()

    async def __call__(self, delay: float) -> None:
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._calls.put_nowait((delay, wake))
        await wake

    async def next(self) -> tuple[float, asyncio.Future[None]]:
        """The next sleep still in progress: its delay, and the future that ends it."""
        async with asyncio.timeout(WAIT):
            while True:
                delay, wake = await self._calls.get()
                if not wake.done():
                    return delay, wake
