"""Payments fixtures: a migrated database per backend, the fake wallet, a control over both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from loka_stratum.bitcoin.bech32 import encode_segwit_address
from loka_stratum.bitcoin.network import network_by_name
from loka_stratum.payments.control import PaymentsControl
from loka_stratum.payments.planner import ThresholdPolicy
from loka_stratum.payments.runner import RunnerSettings
from loka_stratum.payments.wallet import WalletRpc
from loka_stratum.sources.rpc import BitcoindRpc
from loka_stratum.storage import Database
from loka_stratum.storage.schema import ledger
from tests.fakes.wallet import FakeWallet

REGTEST = network_by_name("regtest")
THRESHOLDS = ThresholdPolicy(default=100_000, minimum=10_000)
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def address(n: int) -> str:
    """A distinct valid regtest P2WPKH address."""
    return encode_segwit_address("bcrt", 0, bytes([n]) * 20)


class FakeClock:
    """Wall time the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with Database(database_url) as db:
        await db.migrate()
        yield db


@pytest.fixture
async def wallet() -> AsyncIterator[FakeWallet]:
    async with FakeWallet() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


ControlFactory = Callable[..., PaymentsControl]


@pytest.fixture
async def make_control(
    database: Database, wallet: FakeWallet, clock: FakeClock
) -> AsyncIterator[ControlFactory]:
    """Controls over the fake wallet; payments confirm at 3, unresolved intents refund at 120 s."""
    clients: list[WalletRpc] = []

    def make(
        *, timeout: float = 5.0, with_wallet: bool = True, batch_size: int = 250
    ) -> PaymentsControl:
        client = WalletRpc(BitcoindRpc(wallet.url, wallet.auth, timeout=timeout))
        clients.append(client)
        settings = RunnerSettings(
            network=REGTEST, thresholds=THRESHOLDS, confirmations_required=3, batch_size=batch_size
        )
        return PaymentsControl(
            database, wallet=client if with_wallet else None, settings=settings, clock=clock
        )

    yield make
    for client in clients:
        await client.aclose()


async def credit(database: Database, account: str, amount: int, reference: str = "block-1") -> None:
    """A matured block reward on the ledger (what accounting writes)."""
    row = {
        "account": account,
        "amount": amount,
        "reason": "block_reward",
        "reference": reference,
        "created_at": START,
    }
    async with database.engine.begin() as connection:
        await connection.execute(sa.insert(ledger).values(row))


async def balance(database: Database, account: str) -> int:
    query = sa.select(sa.func.coalesce(sa.func.sum(ledger.c.amount), 0)).where(
        ledger.c.account == account
    )
    async with database.engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())
