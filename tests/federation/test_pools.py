"""Two real pools on the embedded chain, federated on loopback: blocks, latency, the switch."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner, Result
from structlog.testing import capture_logs

from loka_stratum.cli import root
from loka_stratum.sources.embedded import EmbeddedSource
from tests.server.harness import Miner, find_share, submit_params

from .conftest import (
    NETWORK_DIFFICULTY,
    Pair,
    eventually,
    federation,
    linked,
    node_settings,
    start_node,
)


async def cli(*args: str) -> Result:
    """The command in a thread: it runs its own event loop (asyncio.run)."""
    env = {"LOKA_CONFIG": None, "DATABASE_URL": None}
    return await asyncio.to_thread(CliRunner().invoke, root, list(args), env=env)


def height(source: object) -> int:
    assert isinstance(source, EmbeddedSource)
    return source.best_height


async def test_block_found_on_a_is_accepted_by_b_whose_miners_get_clean_work(pair: Pair) -> None:
    port_a = next(iter(pair.a.server.bound.values()))
    port_b = next(iter(pair.b.server.bound.values()))
    miner_a, miner_b = await Miner.connect(port_a), await Miner.connect(port_b)
    with capture_logs() as logs:
        await mine_on_a_and_see_b_follow(pair, miner_a, miner_b)
    received = [e for e in logs if e["event"] == "Federation block received"]
    assert [(e["peer"], e["verdict"], e["height"]) for e in received] == [("a", "accepted", 1)]
    metric = pair.b.metrics.registry.get_sample_value
    labels = {"result": "accepted"}
    assert metric("loka_stratum_federation_blocks_received_total", labels) == 1.0
    assert pair.a.metrics.registry.get_sample_value("loka_stratum_federation_blocks_sent_total")


async def mine_on_a_and_see_b_follow(pair: Pair, miner_a: Miner, miner_b: Miner) -> None:
    try:
        job_a = await miner_a.handshake("acct.a", configure=False)
        job_b = await miner_b.handshake("acct.b", configure=False)
        nonce = find_share(job_a, miner_a.extranonce1, NETWORK_DIFFICULTY * 1.01)
        reply = await miner_a.call(10, "mining.submit", submit_params(job_a, "acct.a", nonce))
        assert reply["result"] is True, reply
        await eventually(lambda: height(pair.b.source) == 1, "b's chain at height 1")
        assert height(pair.a.source) == 1
        clean = await miner_b.notify()
        assert clean[8] is True and clean[1] != job_b[1]
    finally:
        await miner_a.close()
        await miner_b.close()


async def test_latency_is_measured_and_peers_show_height_and_tip(pair: Pair) -> None:
    await eventually(
        lambda: all(p.latency_ms is not None for p in federation(pair.a).peers()), "latency"
    )
    (peer,) = federation(pair.a).peers()
    assert peer.connected and peer.height == 0 and peer.last_seen is not None
    assert peer.latency_ms is not None and 0 <= peer.latency_ms < 1000
    gauge = pair.a.metrics.registry.get_sample_value
    assert gauge("loka_stratum_federation_peers_connected") == 1.0


async def test_reconnect_drops_and_redials_every_link(pair: Pair) -> None:
    before = federation(pair.a)._links["b"]
    assert await federation(pair.a).reconnect() == 1
    await eventually(
        lambda: linked(pair.a, "b") and federation(pair.a)._links["b"] is not before, "new link"
    )
    await eventually(lambda: linked(pair.b, "a"), "b sees a again")


async def test_emergency_disable_drops_links_and_survives_a_restart(pair: Pair) -> None:
    config = pair.tmp_path / "b.toml"
    config.write_text(f'[database]\nurl = "{pair.b.settings.database.url}"\n')
    result = await cli("federation", "disable", "--emergency", "--config", str(config))
    assert result.exit_code == 0 and "standalone" in result.output, result.output
    await eventually(lambda: federation(pair.b).bound_port is None, "b stops listening")
    await eventually(lambda: not linked(pair.a, "b"), "a loses b")
    await pair.b.stop()
    pair.b = await start_node(pair.settings("b"))
    assert federation(pair.b).standalone.on and federation(pair.b).bound_port is None
    result = await cli("federation", "enable", "--config", str(config))
    assert result.exit_code == 0, result.output
    await eventually(lambda: linked(pair.a, "b") and linked(pair.b, "a"), "linked again")


async def test_disable_without_emergency_is_a_usage_error() -> None:
    result = await cli("federation", "disable")
    assert result.exit_code == 2 and "--emergency" in result.output


async def test_peer_with_the_wrong_secret_is_refused_and_counted(pair: Pair) -> None:
    home = pair.tmp_path / "intruder"
    home.mkdir()
    wrong = "not-the-federation-secret"
    intruder = await start_node(node_settings(home, "b", 0, {"a": pair.ports["a"]}, wrong))
    failures = "loka_stratum_federation_auth_failures_total"
    try:
        await eventually(
            lambda: (pair.a.metrics.registry.get_sample_value(failures) or 0) >= 1, "refusal"
        )
        assert not linked(intruder, "a")
    finally:
        await intruder.stop()
    assert linked(pair.a, "b")
