"""The wallet client: exact amounts both ways, typed errors, malformed replies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.payments.wallet import (
    InsufficientFundsError,
    WalletNotLoadedError,
    WalletRpc,
    WalletUnavailable,
)
from loka_stratum.payments.wallet_types import btc_string, to_satoshis
from loka_stratum.sources.rpc import BitcoindRpc, UserPassword
from tests.fakes.wallet import COIN, FakeWallet
from tests.payments.conftest import address


@given(st.integers(-21 * 10**14, 21 * 10**14))
def test_amounts_round_trip_through_strings_and_floats(satoshis: int) -> None:
    text = btc_string(satoshis)
    assert to_satoshis(text) == satoshis
    assert to_satoshis(float(text)) == satoshis


@pytest.mark.parametrize("value", ["0.123456789", True, None, [1]])
def test_malformed_amounts_are_refused(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        to_satoshis(value)


def client(wallet: FakeWallet, password: str | None = None) -> WalletRpc:
    auth = wallet.auth if password is None else UserPassword(wallet.auth.user, password)
    return WalletRpc(BitcoindRpc(wallet.url, auth, timeout=2.0))


async def test_sendmany_and_lookups(wallet: FakeWallet) -> None:
    rpc = client(wallet)
    txid = await rpc.sendmany({address(1): 12_345_678}, "loka-payment-x")
    [entry] = await rpc.listtransactions(10, 0)
    assert (entry.txid, entry.category, entry.amount) == (txid, "send", -12_345_678)
    assert entry.comment == "loka-payment-x" and entry.fee == wallet.sends[0].fee
    transaction = await rpc.gettransaction(txid)
    assert transaction.fee == wallet.sends[0].fee and transaction.replaced_by is None
    balances = await rpc.getbalances()
    assert balances.trusted == wallet.balance
    assert await rpc.validateaddress(address(2))
    assert not await rpc.validateaddress("1BoatSLRHtKNngkdXEeobR76b53LETtpyT")
    assert (await rpc.getblockchaininfo()).synced
    await rpc.aclose()


async def test_errors_are_typed(wallet: FakeWallet) -> None:
    rpc = client(wallet)
    wallet.balance = COIN // 100
    with pytest.raises(InsufficientFundsError) as short:
        await rpc.sendmany({address(1): COIN}, "c")
    assert short.value.error_type == "insufficient_funds"
    wallet.loaded = False
    with pytest.raises(WalletNotLoadedError):
        await rpc.getbalances()
    await rpc.aclose()
    bad = client(wallet, password="wrong")
    with pytest.raises(WalletUnavailable):
        await bad.getbalances()
    await bad.aclose()


async def test_a_malformed_reply_is_no_usable_answer(wallet: FakeWallet) -> None:
    rpc = client(wallet)
    wallet.http.raw_replies.append((200, b'{"result": {"mine": {}}, "error": null, "id": 1}'))
    with pytest.raises(WalletUnavailable, match="malformed"):
        await rpc.getbalances()
    await rpc.aclose()
