"""Opening the byte stream to an upstream: TCP or TLS, with TCP keepalive set.

TLS verifies the pool's certificate against the system store unless the options
carry a context (a private CA, or a pinned self-signed certificate); the server
name sent and checked is the endpoint's host. Keepalive is the kernel's: after
`interval` idle seconds it probes every `interval` seconds and reports the peer dead
after `_KEEPALIVE_PROBES` unanswered probes, which ends our read with an error.
"""

from __future__ import annotations

import asyncio
import socket
import ssl

from loka_stratum.proxy.endpoint import Endpoint
from loka_stratum.proxy.types import UpstreamOptions

_KEEPALIVE_PROBES = 3


async def open_stream(
    endpoint: Endpoint, options: UpstreamOptions
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to `endpoint` (the caller bounds the wait); raises `OSError` on failure."""
    context = None
    if endpoint.tls:
        context = options.ssl_context or ssl.create_default_context()
    reader, writer = await asyncio.open_connection(
        endpoint.host,
        endpoint.port,
        ssl=context,
        server_hostname=endpoint.host if context is not None else None,
    )
    set_keepalive(writer, options.keepalive_interval)
    return reader, writer


def set_keepalive(writer: asyncio.StreamWriter, interval: float) -> None:
    """TCP keepalive on the connection's socket (`interval` <= 0: leave it off)."""
    sock = writer.get_extra_info("socket")
    if sock is None or interval <= 0:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    seconds = max(1, round(interval))
    for option, value in (
        ("TCP_KEEPIDLE", seconds),
        ("TCP_KEEPINTVL", seconds),
        ("TCP_KEEPCNT", _KEEPALIVE_PROBES),
    ):
        if hasattr(socket, option):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)
