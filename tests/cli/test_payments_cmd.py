"""``payments`` and ``blockchain verify`` commands against the fake wallet and a real database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from loka_stratum.cli import root
from loka_stratum.storage import Database
from tests.fakes.wallet import FakeWallet
from tests.payments.conftest import address, credit
from tests.payments.test_crash import write_config

CLEAN_ENV: dict[str, str | None] = {"LOKA_CONFIG": None, "DATABASE_URL": None}


@pytest.fixture
async def wallet() -> AsyncIterator[FakeWallet]:
    async with FakeWallet() as fake:
        yield fake


@pytest.fixture
def database_file(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'loka.sqlite3'}"


@pytest.fixture
async def config(tmp_path: Path, wallet: FakeWallet, database_file: str) -> Path:
    async with Database(database_file) as database:
        await database.migrate()
        await credit(database, address(1), 250_000)
        await credit(database, address(2), 50_000)
    return write_config(tmp_path / "loka.toml", wallet, database_file)


@pytest.fixture
def embedded_config(tmp_path: Path, database_file: str) -> Path:
    path = tmp_path / "embedded.toml"
    path.write_text(f'[database]\nurl = "{database_file}"\n', encoding="utf-8")
    return path


async def invoke(*args: str) -> Result:
    """In a thread: the command runs its own event loop while ours serves the fake wallet."""
    return await asyncio.to_thread(CliRunner(env=CLEAN_ENV).invoke, root, list(args))


async def status_json(config: Path) -> dict[str, object]:
    result = await invoke("payments", "status", "--json", "--config", str(config))
    assert result.exit_code == 0, result.output
    payload: dict[str, object] = json.loads(result.stdout)
    return payload


async def test_pause_and_resume_persist_between_invocations(config: Path) -> None:
    assert (await status_json(config))["paused"] is False
    paused = await invoke("payments", "pause", "--config", str(config))
    assert paused.exit_code == 0 and "paused" in paused.stdout
    assert (await status_json(config))["paused"] is True
    await invoke("payments", "resume", "--config", str(config))
    assert (await status_json(config))["paused"] is False


async def test_queue_lists_what_is_due(config: Path) -> None:
    result = await invoke("payments", "queue", "--json", "--config", str(config))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["pending_count"] == 1
    assert payload["payouts"] == [
        {"account": address(1), "address": address(1), "amount": 250_000, "threshold": 100_000}
    ]
    text = await invoke("payments", "queue", "--config", str(config))
    assert "1 payout(s) due" in text.stdout and "0.00250000 BTC" in text.stdout


async def test_paused_process_does_not_run_but_manual_does(
    config: Path, wallet: FakeWallet
) -> None:
    await invoke("payments", "pause", "--config", str(config))
    automatic = await invoke("payments", "process", "--config", str(config))
    assert automatic.exit_code == 2 and "paused" in automatic.stdout
    assert wallet.count("sendmany") == 0
    manual = await invoke("payments", "process", "--manual", "--config", str(config))
    assert manual.exit_code == 0, manual.output
    assert "1 of 1 payment(s) sent" in manual.stdout
    assert wallet.paid_to() == {address(1): 250_000}
    status = await status_json(config)
    assert status["unconfirmed_count"] == 1 and status["queued_count"] == 0
    assert isinstance(status["last_run"], dict) and status["last_run"]["outcome"] == "completed"


async def test_embedded_chain_reports_no_wallet(embedded_config: Path) -> None:
    result = await invoke("payments", "process", "--manual", "--config", str(embedded_config))
    assert result.exit_code == 2
    assert "no wallet configured" in result.stdout
    assert (await status_json(embedded_config))["wallet_configured"] is False


async def test_blockchain_verify_passes_against_a_funded_synced_wallet(config: Path) -> None:
    result = await invoke("blockchain", "verify", "--json", "--config", str(config))
    assert result.exit_code == 0, result.output
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert {"rpc", "chain", "sync", "wallet", "funded"} <= checks.keys()
    assert all(check["ok"] for check in checks.values())


async def test_blockchain_verify_fails_on_each_problem(config: Path, wallet: FakeWallet) -> None:
    wallet.initial_block_download = True
    wallet.chain = "test"
    result = await invoke("blockchain", "verify", "--config", str(config))
    assert result.exit_code == 1
    assert "[FAIL] chain: node runs 'test'" in result.stdout
    assert "[FAIL] sync" in result.stdout
    wallet.chain, wallet.initial_block_download, wallet.loaded = "regtest", False, False
    unloaded = await invoke("blockchain", "verify", "--config", str(config))
    assert unloaded.exit_code == 1 and "[FAIL] wallet: -18" in unloaded.stdout
    wallet.loaded, wallet.balance = True, 0
    empty = await invoke("blockchain", "verify", "--config", str(config))
    assert empty.exit_code == 1 and "[FAIL] funded" in empty.stdout


def set_fee_address(config: Path, fee_address: str) -> None:
    text = config.read_text(encoding="utf-8")
    text = text.replace("[accounting]\n", f'[accounting]\nfee_address = "{fee_address}"\n')
    config.write_text(text, encoding="utf-8")


async def test_blockchain_verify_checks_addresses_for_the_network(
    config: Path, wallet: FakeWallet
) -> None:
    set_fee_address(config, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")  # a mainnet one
    result = await invoke("blockchain", "verify", "--config", str(config))
    assert result.exit_code == 1
    assert "[FAIL] accounting.fee_address: " in result.stdout
    assert "[FAIL] accounting.fee_address (node)" in result.stdout


async def test_blockchain_verify_unreachable_node(config: Path, wallet: FakeWallet) -> None:
    await wallet.http.stop()
    result = await invoke("blockchain", "verify", "--config", str(config))
    assert result.exit_code == 1 and "[FAIL] rpc" in result.stdout


async def test_blockchain_verify_says_embedded(embedded_config: Path) -> None:
    result = await invoke("blockchain", "verify", "--config", str(embedded_config))
    assert result.exit_code == 0
    assert "embedded regtest chain" in result.stdout
