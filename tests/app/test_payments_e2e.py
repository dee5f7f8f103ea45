"""Found, matured, paid: three miners on the embedded chain, paid through the scripted wallet.

A real pool (PPLNS, 1 % fee, 2 confirmations) on each database backend; three miners
whose accounts are regtest addresses submit 3, 2 and 1 shares per turn (hashrates
3:2:1) until the pool has found three blocks, then two more blocks bury them. The
payment run must send each miner exactly its matured balance (read back from the
`sendmany` calls the wallet received, not from our own tables), the fee address its
fee, and a second run must send nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from loka_stratum.app.payments import runner_settings
from loka_stratum.app.pool import PoolApp
from loka_stratum.bitcoin.network import network_by_name
from loka_stratum.config import Settings
from loka_stratum.observability.metrics import Metrics
from loka_stratum.payments.control import PaymentsControl
from loka_stratum.payments.wallet import WalletRpc
from loka_stratum.sources.embedded import EmbeddedSource
from loka_stratum.sources.rpc import BitcoindRpc
from loka_stratum.storage import BlockStatus, LedgerRepository
from tests.app.accounting_helpers import FEE_ADDRESS
from tests.app.test_accounting_e2e import (
    NETWORK_DIFFICULTY,
    Rig,
    mine,
    pool_settings,
)
from tests.fakes.wallet import COIN, FakeWallet
from tests.server.harness import Miner

REGTEST = network_by_name("regtest")
MINERS = {  # regtest addresses (P2WPKH, P2WPKH, P2TR) -> shares per turn
    "bcrt1qqyqszqgpqyqszqgpqyqszqgpqyqszqgpvxat9t": 3,
    "bcrt1qqgpqyqszqgpqyqszqgpqyqszqgpqyqszazmwwa": 2,
    "bcrt1pqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszq8t4fdp": 1,
}
BLOCKS = 3


def settings(tmp_path: Path, database_url: str) -> Settings:
    """The accounting test's pool, with thresholds low enough that every miner is paid."""
    base = pool_settings(tmp_path, database_url)
    accounting = base.accounting.model_copy(
        update={"payout_threshold": 1_000, "min_payout_threshold": 1_000}
    )
    http = base.http.model_copy(update={"api_enabled": False})
    return base.model_copy(update={"accounting": accounting, "http": http})


@pytest.fixture
async def pool(tmp_path: Path, database_url: str) -> AsyncIterator[tuple[PoolApp, Settings]]:
    source = EmbeddedSource(network_difficulty=NETWORK_DIFFICULTY, template_refresh=3600.0)
    config = settings(tmp_path, database_url)
    app = PoolApp(config, source, Metrics(CollectorRegistry(), version="test", mode="pool"))
    await app.start()
    try:
        yield app, config
    finally:
        await app.stop()


async def test_matured_balances_are_paid_once_through_the_wallet(
    pool: tuple[PoolApp, Settings],
) -> None:
    app, config = pool
    port = next(iter(app.server.bound.values()))
    rigs: list[Rig] = []
    try:
        for account in MINERS:
            miner = await Miner.connect(port)
            rigs.append(Rig(account, miner, await miner.handshake(f"{account}.rig")))
        mined = await mine(rigs, BLOCKS, MINERS)
        burying = await mine(rigs, 2, MINERS)  # the third block needs two confirmations
    finally:
        for rig in rigs:
            await rig.miner.close()
    await app.blocks.drain()
    await app.batcher.wait_for(lambda stats: stats.pending_shares == 0)
    await app.accounting.run_once()

    ledger = LedgerRepository(app.database.engine)
    for block_hash, _ in mined.blocks:
        block = await app.database.blocks.get_by_hash(block_hash)
        assert block is not None and block.status is BlockStatus.CONFIRMED
    balances = await ledger.balances()
    # The 1-share-per-turn miner may fall outside every window of a lucky short round.
    assert FEE_ADDRESS in balances and set(balances) <= {*MINERS, FEE_ADDRESS}
    fastest, _, slowest = MINERS
    assert balances[fastest] > balances.get(slowest, 0)  # 3:2:1 shows
    confirmed = [
        block
        for block_hash, _ in [*mined.blocks, *burying.blocks]
        if (block := await app.database.blocks.get_by_hash(block_hash)) is not None
        and block.status is BlockStatus.CONFIRMED
    ]
    assert sum(balances.values()) == sum(block.reward for block in confirmed)

    async with FakeWallet(balance=1000 * COIN) as wallet:
        rpc = WalletRpc(BitcoindRpc(wallet.url, wallet.auth, timeout=5.0))
        try:
            control = PaymentsControl(app.database, wallet=rpc, settings=runner_settings(config))
            first = await control.process(manual=True)
            assert first.ok, first.to_json()
            assert [send.outputs for send in wallet.sends] == [balances]
            assert wallet.paid_to() == balances
            assert await ledger.balances() == dict.fromkeys(balances, 0)

            second = await control.process(manual=True)
            assert second.ok and second.paid == 0, second.to_json()
            assert len(wallet.sends) == 1
        finally:
            await rpc.aclose()
