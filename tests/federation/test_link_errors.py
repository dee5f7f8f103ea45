"""Strangers on the federation port: every bad input closes the link, is logged and counted."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from loka_stratum.federation.connection import MAX_HANDSHAKE_LINE

from .conftest import DEADLINE, Pair, federation, linked

HELLO = b'{"type":"hello","node":"x","network":"regtest","height":1,"tip":"%s"}\n'
CASES = [
    (b"not json\n", "bad_json"),
    (HELLO % b"00", "bad_message"),
    (HELLO % (b"00" * 32), "unauthenticated"),
    (b"x" * (MAX_HANDSHAKE_LINE + 10), "line_too_long"),
]


@pytest.mark.parametrize(("data", "error_type"), CASES)
async def test_bad_input_closes_with_its_error_type(
    pair: Pair, data: bytes, error_type: str
) -> None:
    port = federation(pair.a).bound_port
    assert port is not None
    with capture_logs() as logs:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(data)
        async with asyncio.timeout(DEADLINE):
            while await reader.read(4096):  # the challenge, then EOF when a closes the link
                pass
        writer.close()
    refused = [e for e in logs if e["event"] == "Federation link refused"]
    assert [e["error_type"] for e in refused] == [error_type]
    errors = pair.a.metrics.registry.get_sample_value
    assert errors("loka_stratum_federation_link_errors_total", {"error_type": error_type}) == 1.0
    assert linked(pair.a, "b")
