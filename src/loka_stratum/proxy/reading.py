"""The read side of an upstream connection: bytes from the stream, events from the core.

`incoming` feeds what the pool sends into the sans-IO `ClientConnection` and yields
its events in order. A pool that closes shows up as the core's `ConnectionClosed`
event; a pool that goes silent for `idle_timeout` seconds, or a failed read, ends the
iteration with `ReadEndedError` saying why, so the connection can log it and be replaced.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncGenerator

from loka_stratum.protocol import NEED_DATA, ClientConnection, Event

READ_SIZE = 64 * 1024


class ReadEndedError(Exception):
    """Reading stopped without the pool closing: it went silent, or the read failed."""


async def incoming(
    reader: asyncio.StreamReader, core: ClientConnection, idle_timeout: float
) -> AsyncGenerator[Event, None]:
    """Every event the pool's bytes produce, until EOF (after `ConnectionClosed`)."""
    while True:
        data = await _read(reader, idle_timeout)
        core.receive_data(data)
        while (event := core.next_event()) is not NEED_DATA:
            yield event
        if not data:
            return


async def _read(reader: asyncio.StreamReader, idle_timeout: float) -> bytes:
    try:
        async with asyncio.timeout(idle_timeout):
            return await reader.read(READ_SIZE)
    except TimeoutError:
        raise ReadEndedError(f"upstream silent for {idle_timeout:g} s") from None
    except (OSError, ssl.SSLError) as exc:
        raise ReadEndedError(f"read failed: {exc}") from exc
