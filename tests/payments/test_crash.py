"""Kill ``loka-stratum payments process --manual`` (SIGKILL) at each step of a send.

(a) after the intent is recorded, before ``sendmany`` reaches the wallet (the
    wallet holds the pre-send balance check);
(b) after the wallet executed ``sendmany``, before the txid is stored (the
    wallet records the send, then never answers).

Then the command runs again, and the wallet's own record proves each intent
was sent at most once, each miner got exactly their balance, and every ledger
balance is right.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from loka_stratum.storage import Database
from loka_stratum.storage.schema import PaymentStatus, payments
from tests.fakes.wallet import RPC_PASSWORD, RPC_USER, FakeWallet
from tests.payments.conftest import address, balance, credit

CLI = str(Path(sys.executable).parent / "loka-stratum")
DEADLINE = 60.0
BALANCES = {address(1): 300_000, address(2): 700_000}


def write_config(path: Path, wallet: FakeWallet, database_url: str) -> Path:
    path.write_text(
        f"""
[bitcoind]
source = "bitcoind"
network = "regtest"
rpc_url = "http://127.0.0.1:{wallet.http.port}"
rpc_user = "{RPC_USER}"
rpc_password = "{RPC_PASSWORD}"
wallet = "pool"

[database]
url = "{database_url}"

[accounting]
payout_threshold = 100000
min_payout_threshold = 10000
""",
        encoding="utf-8",
    )
    return path


async def start(config: Path, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        CLI,
        "payments",
        "process",
        "--manual",
        "--json",
        "--config",
        str(config),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"},
    )


async def finish(process: asyncio.subprocess.Process) -> tuple[int, dict[str, Any]]:
    async with asyncio.timeout(DEADLINE):
        out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, json.loads(out)


async def kill(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGKILL)
    async with asyncio.timeout(DEADLINE):
        await process.wait()
    assert process.returncode == -signal.SIGKILL


async def statuses(database: Database) -> list[str]:
    query = sa.select(payments.c.status).order_by(payments.c.created_at)
    async with database.engine.connect() as connection:
        return [row[0] for row in (await connection.execute(query)).all()]


async def seed(database: Database) -> None:
    for account, amount in BALANCES.items():
        await credit(database, account, amount)


async def assert_paid_once(database: Database, wallet: FakeWallet) -> None:
    assert wallet.paid_to() == BALANCES
    for account in BALANCES:
        assert await balance(database, account) == 0
    sent_comments = [send.comment for send in wallet.sends]
    assert len(sent_comments) == len(set(sent_comments))


async def test_killed_after_the_intent_before_the_send(
    database: Database, database_url: str, wallet: FakeWallet, tmp_path: Path
) -> None:
    await seed(database)
    config = write_config(tmp_path / "loka.toml", wallet, database_url)
    wallet.hang("getbalances", skip=1)  # the run's wallet check passes; the pre-send one hangs
    process = await start(config)
    await wallet.wait_call("getbalances", times=2)
    assert await statuses(database) == [PaymentStatus.PENDING.value]
    assert await balance(database, address(1)) == 0  # debited with the intent
    await kill(process)
    wallet.release()
    assert wallet.count("sendmany") == 0

    code, report = await finish(await start(config, "--refund-after", "0"))
    assert code == 0, report
    assert [r["status"] for r in report["recovered"]] == ["failed"]
    assert [p["status"] for p in report["payments"]] == ["sent"]
    assert wallet.count("sendmany") == 1
    await assert_paid_once(database, wallet)
    assert await statuses(database) == ["failed", "sent"]


async def test_killed_after_the_send_before_the_txid(
    database: Database, database_url: str, wallet: FakeWallet, tmp_path: Path
) -> None:
    await seed(database)
    config = write_config(tmp_path / "loka.toml", wallet, database_url)
    wallet.hang("sendmany", after=True)
    process = await start(config)
    await wallet.wait_call("sendmany")
    assert len(wallet.sends) == 1
    await kill(process)
    wallet.release()
    assert await statuses(database) == [PaymentStatus.PENDING.value]

    code, report = await finish(await start(config))
    assert code == 0, report
    assert [r["status"] for r in report["recovered"]] == ["sent"]
    assert report["recovered"][0]["txid"] == wallet.sends[0].txid
    assert report["payments"] == []
    assert wallet.count("sendmany") == 1
    await assert_paid_once(database, wallet)
    assert await statuses(database) == ["sent"]


async def test_a_run_with_nothing_left_sends_nothing(
    database: Database, database_url: str, wallet: FakeWallet, tmp_path: Path
) -> None:
    await seed(database)
    config = write_config(tmp_path / "loka.toml", wallet, database_url)
    first_code, first = await finish(await start(config))
    second_code, second = await finish(await start(config))
    assert (first_code, second_code) == (0, 0)
    assert first["paid"] == sum(BALANCES.values()) and second["paid"] == 0
    assert wallet.count("sendmany") == 1
    await assert_paid_once(database, wallet)
