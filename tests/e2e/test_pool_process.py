"""`loka-stratum start` on the embedded chain, mined by `loka-stratum client`, end to end."""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.bitcoin.bitcoinlib_check import check_block_bytes
from tests.e2e.process import (
    ADDRESS,
    PoolProcess,
    free_port,
    run_cli,
    wait_for,
    write_config,
)


@pytest.fixture
def pool_dir(tmp_path: Path) -> Iterator[tuple[Path, int, PoolProcess]]:
    port = free_port()
    config = write_config(tmp_path, port)
    pool = PoolProcess(config, tmp_path)
    pool.wait_listening(port)
    yield tmp_path, port, pool
    pool.stop()


def test_client_mines_blocks_that_are_stored_and_valid(
    pool_dir: tuple[Path, int, PoolProcess],
) -> None:
    directory, port, pool = pool_dir
    result = run_cli(
        "client",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--user",
        f"{ADDRESS}.e2e",
        "--duration",
        "60",
        "--shares",
        "40",
        "--json",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = orjson.loads(result.stdout)
    assert report["shares"]["accepted"] >= 40 if isinstance(report.get("shares"), dict) else True
    code, seconds = pool.stop()
    assert code == 0, pool.log()
    assert seconds < 30
    with sqlite3.connect(directory / "pool.db") as db:
        shares = db.execute("SELECT COUNT(*) FROM shares").fetchone()[0]
        rows = db.execute(
            "SELECT height, block_data, finder_account, submit_result FROM blocks ORDER BY height"
        ).fetchall()
        db.execute("SELECT COUNT(*) FROM pools").fetchone()
    assert shares >= 30
    assert rows, "no block in 30 shares with the network at 4x the share difficulty (p=2e-4)"
    heights = [row[0] for row in rows]
    assert heights == list(range(1, len(rows) + 1))
    for height, block, finder, verdict in rows:
        assert verdict is None and finder == ADDRESS
        check_block_bytes(block, expect_height=height, expect_segwit=True)
    log = pool.log()
    assert "Connection established" in log and "mining.authorize" in log and "Block found" in log


def test_restart_continues_the_chain(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    first = PoolProcess(config, tmp_path)
    first.wait_listening(port)
    mined = run_cli(
        "client", "--host", "127.0.0.1", "--port", str(port), "--duration", "60", "--shares", "30"
    )
    assert mined.returncode == 0, mined.stdout + mined.stderr
    assert first.stop()[0] == 0
    with sqlite3.connect(tmp_path / "pool.db") as db:
        height = db.execute("SELECT MAX(height) FROM blocks").fetchone()[0]
    assert height is not None
    second = PoolProcess(config, tmp_path)
    try:
        second.wait_listening(port)
        assert f'"height":{height + 1}' in second.log().replace(" ", "")
    finally:
        second.stop()


def test_dry_run_reports_the_plan(tmp_path: Path) -> None:
    config = write_config(tmp_path, free_port())
    result = run_cli("start", "--config", str(config), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "ready" in result.stdout and "embedded regtest chain" in result.stdout


def test_dry_run_fails_on_an_unreachable_bitcoind(tmp_path: Path) -> None:
    extra = f"""
[bitcoind]
source = "bitcoind"
rpc_url = "http://127.0.0.1:{free_port()}"
rpc_user = "u"
rpc_password = "secret-password"
"""
    config = write_config(tmp_path, free_port(), extra)
    result = run_cli("start", "--config", str(config), "--dry-run")
    assert result.returncode == 1
    assert "bitcoind" in result.stderr
    assert "secret-password" not in result.stdout + result.stderr


def test_db_migrate_applies_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/migrated.db"
    result = run_cli("db", "migrate", "--url", url)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "migrated.db") as db:
        assert db.execute("SELECT COUNT(*) FROM pools").fetchone() == (0,)


def test_sigusr1_reopens_the_log_file_after_rotation(tmp_path: Path) -> None:
    port = free_port()
    log_file = tmp_path / "app.log"
    config = write_config(tmp_path, port, f'file = "{log_file}"')
    pool = PoolProcess(config, tmp_path)
    try:
        pool.wait_listening(port)
        wait_for(lambda: "Pool started" in _read(log_file), "first log lines")
        log_file.rename(tmp_path / "app.log.1")
        pool.process.send_signal(signal.SIGUSR1)
        wait_for(lambda: "Log files reopened" in _read(log_file), "a new log file")
        assert "Pool started" in _read(tmp_path / "app.log.1")
    finally:
        code, _seconds = pool.stop()
    assert code == 0
    assert "Pool stopped" in _read(log_file)


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def test_dry_run_refuses_a_fee_address_of_another_network(tmp_path: Path) -> None:
    mainnet = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    config = write_config(tmp_path, free_port(), f'\n[accounting]\nfee_address = "{mainnet}"\n')
    result = run_cli("start", "--config", str(config), "--dry-run")
    assert result.returncode == 1, result.stdout
    assert "accounting.fee_address" in result.stderr
