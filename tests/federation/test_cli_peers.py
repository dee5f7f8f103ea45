"""``loka-stratum federation peers`` against a federated pool's public API on loopback."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner, Result

from loka_stratum.api.public import create_public_app
from loka_stratum.api.public.protection import ProtectionControl
from loka_stratum.api.server import EmbeddedHttp
from loka_stratum.cli import root

from .conftest import Pair, free_port


async def peers(*args: str) -> Result:
    env = {"LOKA_CONFIG": None, "DATABASE_URL": None}
    command = ["federation", "peers", *args]
    return await asyncio.to_thread(CliRunner().invoke, root, command, env=env)


async def test_peers_prints_the_running_pools_links(pair: Pair) -> None:
    app = create_public_app(pair.a, ProtectionControl(pair.a.context), version="test")
    http = EmbeddedHttp(app, host="127.0.0.1", port=0)
    await http.start()
    try:
        as_json = await peers("--url", http.url, "--json")
        table = await peers("--url", http.url)
    finally:
        await http.stop()
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.output)
    assert [(p["name"], p["connected"]) for p in body["peers"]] == [("b", True)]
    assert table.exit_code == 0 and "1 of 1 peers linked" in table.output
    assert "linked" in table.output.splitlines()[1]


async def test_peers_without_an_answer_exits_2() -> None:
    result = await peers("--url", f"http://127.0.0.1:{free_port()}", "--timeout", "1")
    assert result.exit_code == 2 and "no answer" in result.output
