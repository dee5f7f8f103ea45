"""The dashboard page at `/`: served as HTML, and every field its script reads exists."""

from __future__ import annotations

from typing import Any

from tests.api.public.conftest import ADDRESS, LivePool, mine_shares
from tests.server.harness import Miner

# (endpoint, path to a field the page reads): kept in step with dashboard.html's script.
READS: dict[str, list[tuple[str | int, ...]]] = {
    "/api/v1/stats": [
        ("mode",),
        ("payout_scheme",),
        ("uptime_seconds",),
        ("hashrate", "1m"),
        ("hashrate", "1h"),
        ("miners",),
        ("workers",),
        ("shares", "accepted"),
        ("shares", "rejected"),
        ("blocks", "found"),
        ("network", "height"),
        ("network", "difficulty"),
    ],
    "/api/v1/miners/top?limit=10": [("data", 0, "address"), ("data", 0, "hashrate")],
}


async def test_the_page_reads_only_fields_the_api_serves(live: LivePool) -> None:
    page = await live.client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for endpoint in ("/api/v1/stats", "/api/v1/miners/top", "/api/v1/blocks"):
        assert endpoint in page.text
    miner = await Miner.connect(live.stratum_port)
    try:
        notify = await miner.handshake(f"{ADDRESS}.rig1")
        await mine_shares(miner, notify, f"{ADDRESS}.rig1", 2, first=0)
        await live.flushed()
    finally:
        await miner.close()
    for endpoint, paths in READS.items():
        body = (await live.client.get(endpoint)).json()
        for path in paths:
            value: Any = body
            for step in path:
                value = value[step]
            assert value is not None or path == ("network", "height"), (endpoint, path)
            assert str(path[-1]) in page.text, path
    top = (await live.client.get("/api/v1/miners/top?limit=10")).json()["data"][0]
    assert {"address", "hashrate", "workers"} <= top.keys()
