"""Miners -> `loka-stratum` in proxy mode -> `loka-stratum` pool on the embedded chain.

Three real processes and three bundled CPU miners on loopback. The pool runs SOLO
with a network difficulty low enough that forwarded shares find blocks; the proxy's
account is the pool's payout address, so every block it finds pays the proxy's
operator. What must hold: shares accepted at both levels, blocks found through the
proxy land in the chain (and pass python-bitcoinlib), and the proxy's per-worker
count of upstream-accepted shares equals the pool's per-worker count exactly.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.bitcoin.bitcoinlib_check import check_block_bytes
from tests.e2e.process import (
    ADDRESS,
    BIN,
    PoolProcess,
    free_port,
    run_cli,
    wait_for,
    write_config,
)

MINERS = ("alice.rig1", "alice.rig2", "bob.s9")
MINING_SECONDS = "15"


def write_proxy_config(directory: Path, port: int, upstream_port: int, health_port: int) -> Path:
    path = directory / "proxy.toml"
    path.write_text(
        f"""
mode = "proxy"

[server]
host = "127.0.0.1"
port = {port}

[stratum]
start_difficulty = 0.0001
min_difficulty = 0.0001

[vardiff]
enabled = false

[pool]
username = "{ADDRESS}"
password = "x"
connection_timeout = 5

[[pool.upstreams]]
name = "local-pool"
url = "stratum+tcp://127.0.0.1:{upstream_port}"

[database]
url = "sqlite:///{directory}/proxy.db"
journal_dir = "{directory}/journal"

[http]
health_port = {health_port}
api_enabled = false

[logging]
format = "json"
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[tuple[Path, Path, PoolProcess, PoolProcess, int, int]]:
    pool_dir, proxy_dir = tmp_path / "pool", tmp_path / "proxy"
    pool_dir.mkdir()
    proxy_dir.mkdir()
    pool_port, proxy_port = free_port(), free_port()
    pool_config = write_config(pool_dir, pool_port)
    text = pool_config.read_text(encoding="utf-8")
    text = text.replace("start_difficulty = 0.0001", "start_difficulty = 0.0002")
    text = text.replace("network_difficulty = 0.0004", "network_difficulty = 0.002")
    pool_config.write_text(text, encoding="utf-8")
    pool = PoolProcess(pool_config, pool_dir)
    pool.wait_listening(pool_port)
    health_port = free_port()
    config = write_proxy_config(proxy_dir, proxy_port, pool_port, health_port)
    proxy = PoolProcess(config, proxy_dir)
    try:
        proxy.wait_listening(proxy_port)
        yield pool_dir, proxy_dir, pool, proxy, proxy_port, health_port
    finally:
        proxy.stop()
        pool.stop()


def mine(port: int, user: str) -> subprocess.Popen[str]:
    args = ["client", "--host", "127.0.0.1", "--port", str(port), "--user", user]
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOKA_")}
    return subprocess.Popen(
        [str(BIN), *args, "--duration", MINING_SECONDS, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_miners_through_the_proxy_find_blocks_and_counts_match(
    chain: tuple[Path, Path, PoolProcess, PoolProcess, int, int],
) -> None:
    pool_dir, proxy_dir, pool, proxy, proxy_port, health_port = chain
    clients = [mine(proxy_port, user) for user in MINERS]
    reports = []
    for client in clients:
        out, err = client.communicate(timeout=90)
        reports.append(orjson.loads(out))
        assert client.returncode == 0, out + err
    for report in reports:
        assert report["shares"]["accepted"] > 0
        # A share in flight when a block changes the job is stale; nothing else may fail.
        assert set(report["shares"]["rejections"]) <= {"21"}, report["shares"]
    with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/health", timeout=5) as answer:
        health = orjson.loads(answer.read())
    assert health["mode"] == "proxy" and health["status"] == "healthy", health
    source = health["work_source"]
    assert source["kind"] == "upstream" and source["state"] == "healthy", source
    [channel] = source["upstreams"]
    assert channel["upstream"] == "local-pool" and channel["failovers"] == 0, channel
    assert channel["last_job_age"] is not None and channel["connections"] == 1, channel
    metrics = exposition(health_port)  # every share is forwarded by now; verdicts may lag
    # Proxy first: it waits for the verdicts of forwarded shares, then flushes them.
    code, _ = proxy.stop()
    assert code == 0, proxy.log()
    code, _ = pool.stop()
    assert code == 0, pool.log()

    with sqlite3.connect(proxy_dir / "proxy.db") as db:
        local = dict(
            db.execute(
                "SELECT account || '.' || worker, SUM(accepted_count) FROM share_stats GROUP BY 1"
            ).fetchall()
        )
        upstream_rows = db.execute(
            "SELECT account || '.' || worker, SUM(accepted_count), SUM(rejected_count),"
            " SUM(unanswered_count) FROM upstream_share_stats GROUP BY 1"
        ).fetchall()
    with sqlite3.connect(pool_dir / "pool.db") as db:
        at_pool = dict(
            db.execute(
                "SELECT worker, SUM(accepted_count) FROM share_stats WHERE account = ?"
                " GROUP BY worker",
                (ADDRESS,),
            ).fetchall()
        )
        blocks = db.execute(
            "SELECT finder_worker, status, height, block_data FROM blocks ORDER BY height"
        ).fetchall()

    assert sum(local.values()) == sum(r["shares"]["accepted"] for r in reports)
    upstream = {worker: accepted for worker, accepted, _, _ in upstream_rows}
    assert {worker: rejected for worker, _, rejected, _ in upstream_rows} == dict.fromkeys(
        MINERS, 0
    )
    assert {worker: unanswered for worker, _, _, unanswered in upstream_rows} == dict.fromkeys(
        MINERS, 0
    )
    assert set(upstream) == set(MINERS)
    assert upstream == at_pool, (upstream, at_pool)
    forwarded = metrics["loka_stratum_upstream_shares_forwarded"]
    assert metrics["loka_stratum_upstream_shares_accepted"] <= forwarded
    assert forwarded == sum(upstream.values())  # each forwarded share: one verdict, accepted
    for worker in MINERS:  # the pool's difficulty is twice the miners': some shares stay local
        assert 0 < upstream[worker] < local[worker]

    assert blocks, "no block found through the proxy"
    for finder, status, height, data in blocks:
        assert finder in MINERS
        assert status == "pending"
        check_block_bytes(bytes(data), expect_height=height, expect_segwit=True)
    assert "Block candidate forwarded" in proxy.log()


def exposition(health_port: int) -> dict[str, float]:
    """Counter totals (all labels summed) from the proxy's Prometheus text."""
    url = f"http://127.0.0.1:{health_port}/metrics/prometheus"
    with urllib.request.urlopen(url, timeout=5) as answer:
        text = answer.read().decode()
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_total"):
                totals[family.name] = totals.get(family.name, 0.0) + sample.value
    return totals


def upstream_of(health_port: int) -> str | None:
    with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/health", timeout=5) as answer:
        channels = orjson.loads(answer.read())["work_source"]["upstreams"]
    return None if not channels else channels[0]["upstream"]


def test_sighup_moves_the_proxy_to_a_new_upstream_list(tmp_path: Path) -> None:
    pools: list[PoolProcess] = []
    ports: list[int] = []
    for name in ("a", "b"):
        directory = tmp_path / name
        directory.mkdir()
        ports.append(free_port())
        pools.append(PoolProcess(write_config(directory, ports[-1]), directory))
    proxy_dir = tmp_path / "proxy"
    proxy_dir.mkdir()
    proxy_port, health_port = free_port(), free_port()
    config = write_proxy_config(proxy_dir, proxy_port, ports[0], health_port)
    proxy = None
    try:
        for pool, port in zip(pools, ports, strict=True):
            pool.wait_listening(port)
        proxy = PoolProcess(config, proxy_dir)
        proxy.wait_listening(proxy_port)
        wait_for(lambda: upstream_of(health_port) == "local-pool", "the first upstream")

        config.write_text(config.read_text().replace(str(ports[0]), str(ports[1])), "utf-8")
        proxy.process.send_signal(signal.SIGHUP)
        wait_for(lambda: "Upstreams reloaded" in proxy.log(), "the reload")
        wait_for(
            lambda: pools[1].log().count("mining.authorize") > 0, "the proxy at the new upstream"
        )
        assert "removed from the upstream list" in proxy.log()  # same name, new address
        assert upstream_of(health_port) == "local-pool"

        config.write_text(config.read_text().replace('mode = "proxy"', 'mode = "bogus"'), "utf-8")
        proxy.process.send_signal(signal.SIGHUP)
        wait_for(lambda: "Configuration rejected" in proxy.log(), "the rejection")
        assert upstream_of(health_port) == "local-pool"
        code, seconds = proxy.stop()
        assert code == 0 and seconds < 30, proxy.log()
    finally:
        if proxy is not None:
            proxy.stop()
        for pool in pools:
            pool.stop()


def test_upstreams_from_the_pools_table_alone(tmp_path: Path) -> None:
    """`pools add` is enough: no upstream in the file, and the proxy mines to the row's pool."""
    pool_dir, proxy_dir = tmp_path / "pool", tmp_path / "proxy"
    pool_dir.mkdir()
    proxy_dir.mkdir()
    pool_port, proxy_port, health_port = free_port(), free_port(), free_port()
    pool = PoolProcess(write_config(pool_dir, pool_port), pool_dir)
    config = write_proxy_config(proxy_dir, proxy_port, pool_port, health_port)
    text = config.read_text()
    config.write_text(text[: text.index("[[pool.upstreams]]")] + text[text.index("[database]") :])
    proxy = None
    try:
        dry = run_cli("start", "--config", str(config), "--dry-run")
        assert dry.returncode == 1 and "no enabled upstream" in dry.stderr, dry.stdout + dry.stderr
        url = f"stratum+tcp://127.0.0.1:{pool_port}"
        added = run_cli("pools", "add", "row-pool", url, "--config", str(config))
        assert added.returncode == 0, added.stdout + added.stderr
        pool.wait_listening(pool_port)
        proxy = PoolProcess(config, proxy_dir)
        proxy.wait_listening(proxy_port)
        wait_for(lambda: upstream_of(health_port) == "row-pool", "the pools-table upstream")
    finally:
        if proxy is not None:
            proxy.stop()
        pool.stop()
