"""A scripted fake of Bitcoin Core's wallet RPC, over the fake node's HTTP layer.

    async with FakeWallet(balance=10 * COIN) as wallet:
        wallet.url, wallet.auth                      # what a WalletRpc needs
        wallet.sends                                 # every sendmany the wallet executed
        wallet.hang("getbalances")                   # hold that call before doing anything
        wallet.hang("sendmany", after=True)          # execute the send, then never answer
        await wallet.wait_call("sendmany")           # bounded wait for a call to arrive
        wallet.release(); await wallet.restart()     # free held calls; go away, come back
        wallet.confirm(txid, 6); wallet.bump(txid)   # confirmations; a fee bump (replacement)
        wallet.add_receives(1200)                    # older history, for paging

Like bitcoind it keeps the comment of a ``sendmany`` with the transaction and
shows it on every ``listtransactions`` line of that send, pays the fee from
its own balance, answers -6 when outputs plus fee exceed the balance and -18
when "unloaded". State survives ``restart()``.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from types import TracebackType
from typing import Any

from loka_stratum.bitcoin.address import AddressError, address_to_script
from loka_stratum.bitcoin.network import network_by_name
from loka_stratum.sources.rpc import UserPassword
from tests.fakes.bitcoind_http import FakeRpcError, JsonRpcHttpServer

RPC_USER = "loka"
RPC_PASSWORD = "fake-wallet-password"
COIN = 100_000_000
FEE_PER_TX = 1_000
FEE_PER_OUTPUT = 300
DEADLINE = 10.0


def btc(satoshis: int) -> float:
    return float(Decimal(satoshis) / COIN)


@dataclass
class Send:
    txid: str
    comment: str
    outputs: dict[str, int]
    fee: int
    time: int
    confirmations: int = 0
    replaced_by: str | None = None


@dataclass
class FakeWallet:
    balance: int = 100 * COIN
    chain: str = "regtest"
    loaded: bool = True
    blocks: int = 300
    initial_block_download: bool = False
    now: int = 1_800_000_000
    sends: list[Send] = field(default_factory=list)
    calls: list[tuple[str, list[Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.http = JsonRpcHttpServer(self._dispatch, self._authorize)
        self._history: list[dict[str, Any]] = []
        self._hangs: dict[str, str] = {}
        self._hang_from: dict[str, int] = {}
        self._released = asyncio.Event()
        self._arrived: dict[str, asyncio.Event] = {}
        self._ids = itertools.count(1)

    @property
    def url(self) -> str:
        return self.http.url + "wallet/pool"

    @property
    def auth(self) -> UserPassword:
        return UserPassword(RPC_USER, RPC_PASSWORD)

    async def __aenter__(self) -> FakeWallet:
        await self.http.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
        await self.http.stop()

    async def restart(self) -> None:
        """Go away (connections cut) and come back on the same port with the same state."""
        self.release()
        await self.http.stop()
        self._released = asyncio.Event()
        await self.http.start()

    def hang(self, method: str, *, after: bool = False, drop: bool = False, skip: int = 0) -> None:
        """Hold calls of ``method`` (but the next ``skip``) until released: then run them
        (executed first when ``after``; never, answering an error, when ``drop``)."""
        if self._released.is_set():
            self._released = asyncio.Event()
        self._hangs[method] = "drop" if drop else "after" if after else "before"
        self._hang_from[method] = self.count(method) + skip + 1

    def release(self) -> None:
        self._hangs.clear()
        self._released.set()

    async def wait_call(self, method: str, times: int = 1) -> None:
        """Until ``method`` has been called ``times`` times in all (bounded by DEADLINE)."""
        async with asyncio.timeout(DEADLINE):
            while self.count(method) < times:
                event = self._arrived.setdefault(method, asyncio.Event())
                await event.wait()
                event.clear()

    def count(self, method: str) -> int:
        return sum(name == method for name, _ in self.calls)

    def confirm(self, txid: str, confirmations: int) -> None:
        self._send(txid).confirmations = confirmations

    def bump(self, txid: str) -> str:
        """Replace a send by a fee bump: same outputs and comment, a new txid."""
        old = self._send(txid)
        new = self._record(old.comment, old.outputs, old.fee + 500)
        old.confirmations, old.replaced_by = -1, new.txid
        return new.txid

    def add_receives(self, count: int) -> None:
        for _ in range(count):
            self._history.append(self._entry(self._txid(), "receive", 1000, None, None, 1))

    def paid_to(self) -> dict[str, int]:
        """Satoshis each address received over all live (not replaced) sends."""
        totals: dict[str, int] = {}
        for send in self.sends:
            if send.replaced_by is None:
                for address, amount in send.outputs.items():
                    totals[address] = totals.get(address, 0) + amount
        return totals

    def _authorize(self, user: str, password: str) -> bool:
        return (user, password) == (RPC_USER, RPC_PASSWORD)

    async def _dispatch(self, method: str, params: list[Any]) -> Any:
        self.calls.append((method, params))
        self._arrived.setdefault(method, asyncio.Event()).set()
        held = self.count(method) >= self._hang_from.get(method, 0)
        hang = self._hangs.get(method) if held else None
        if hang in ("before", "drop"):
            await self._released.wait()
        if hang == "drop":
            raise FakeRpcError(-1, "request lost")
        result = self._handle(method, params)
        if hang == "after":
            await self._released.wait()
        return result

    def _handle(self, method: str, params: list[Any]) -> Any:
        if method == "getblockchaininfo":
            return self._chain_info()
        if not self.loaded:
            raise FakeRpcError(-18, "Requested wallet does not exist or is not loaded")
        handlers: dict[str, Callable[..., Any]] = {
            "getbalances": self._balances,
            "validateaddress": self._validate,
            "sendmany": self._sendmany,
            "listtransactions": self._list,
            "gettransaction": self._gettransaction,
        }
        if method not in handlers:
            raise FakeRpcError(-32601, "Method not found")
        return handlers[method](*params)

    def _chain_info(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "blocks": self.blocks,
            "headers": self.blocks,
            "initialblockdownload": self.initial_block_download,
            "verificationprogress": 0.5 if self.initial_block_download else 1.0,
        }

    def _balances(self) -> dict[str, Any]:
        mine = {"trusted": btc(self.balance), "untrusted_pending": 0.0, "immature": 0.0}
        return {"mine": mine}

    def _validate(self, address: str) -> dict[str, Any]:
        try:
            address_to_script(address, network_by_name(self.chain))
        except AddressError:
            return {"isvalid": False}
        return {"isvalid": True, "address": address}

    def _sendmany(self, dummy: str, amounts: dict[str, Any], *rest: Any) -> str:
        outputs = {address: int(Decimal(str(value)) * COIN) for address, value in amounts.items()}
        for address in outputs:
            if not self._validate(address)["isvalid"]:
                raise FakeRpcError(-5, f"Invalid Bitcoin address: {address}")
        fee = FEE_PER_TX + FEE_PER_OUTPUT * len(outputs)
        if sum(outputs.values()) + fee > self.balance:
            raise FakeRpcError(-6, "Insufficient funds")
        comment = rest[1] if len(rest) > 1 else ""
        return self._record(comment, outputs, fee).txid

    def _record(self, comment: str, outputs: dict[str, int], fee: int) -> Send:
        send = Send(self._txid(), comment, outputs, fee, self.now)
        self.balance -= sum(outputs.values()) + fee
        self.sends.append(send)
        for address, amount in outputs.items():
            self._history.append(self._entry(send.txid, "send", -amount, -fee, comment, 0, address))
        return send

    def _list(self, label: str = "*", count: int = 10, skip: int = 0, *_: Any) -> list[Any]:
        end = max(len(self._history) - skip, 0)
        return [self._with_confirmations(e) for e in self._history[max(end - count, 0) : end]]

    def _gettransaction(self, txid: str, *_: Any) -> dict[str, Any]:
        send = next((s for s in self.sends if s.txid == txid), None)
        if send is None:
            raise FakeRpcError(-5, "Invalid or non-wallet transaction id")
        reply = {
            "txid": txid,
            "confirmations": send.confirmations,
            "fee": -btc(send.fee),
            "comment": send.comment,
        }
        return reply | ({"replaced_by_txid": send.replaced_by} if send.replaced_by else {})

    def _with_confirmations(self, entry: dict[str, Any]) -> dict[str, Any]:
        send = next((s for s in self.sends if s.txid == entry["txid"]), None)
        return entry if send is None else entry | {"confirmations": send.confirmations}

    def _entry(
        self,
        txid: str,
        category: str,
        amount: int,
        fee: int | None,
        comment: str | None,
        confirmations: int,
        address: str = "bcrt1qexternal",
    ) -> dict[str, Any]:
        entry = {"address": address, "category": category, "amount": btc(amount), "txid": txid}
        entry |= {"time": self.now, "confirmations": confirmations}
        entry |= {} if fee is None else {"fee": btc(fee)}
        return entry | ({} if comment is None else {"comment": comment})

    def _send(self, txid: str) -> Send:
        return next(send for send in self.sends if send.txid == txid)

    def _txid(self) -> str:
        return hashlib.sha256(f"fake-wallet-{next(self._ids)}".encode()).hexdigest()
