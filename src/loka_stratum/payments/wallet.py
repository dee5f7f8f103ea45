"""Bitcoin Core's wallet RPC, typed: the only calls payments need, amounts in satoshis.

Exceptions (what the payment runner does with each):

    WalletError               base of everything raised here
    +-- WalletUnavailable     no usable answer (refused, timeout, garbage). For a send the
    |                         outcome is unknown: the intent stays pending and is recovered
    |                         by looking for its comment later.
    +-- WalletRpcError        the wallet answered with an error: the call is over and did
        |                     what the error says (for sendmany: look, then refund)
        +-- InsufficientFundsError     -6: the wallet cannot fund the payment
        +-- WalletNotLoadedError       -18: no wallet of that name is loaded

Amounts cross the wire as decimal strings ("0.12345678"), which bitcoind accepts
wherever it takes an amount: no float ever stands for money on our side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from loka_stratum.payments.wallet_types import (
    ChainInfo,
    WalletBalances,
    WalletEntry,
    WalletTransaction,
    btc_string,
    chain_info,
    txid_of,
    wallet_balances,
    wallet_entry,
    wallet_transaction,
)
from loka_stratum.sources.rpc import BitcoindRpc, BitcoindRpcError, RpcError

T = TypeVar("T")

ERROR_TYPES: Final[dict[int, str]] = {
    -3: "type_error",
    -4: "wallet_error",
    -5: "invalid_address",
    -6: "insufficient_funds",
    -8: "invalid_parameter",
    -13: "wallet_locked",
    -18: "wallet_not_found",
    -19: "wallet_not_specified",
    -32601: "method_not_found",
}
"""bitcoind's RPC error codes, as the ``error_type`` our logs carry."""


class WalletError(Exception):
    """Base of the errors raised by `WalletRpc`."""

    error_type = "wallet_unavailable"


class WalletUnavailable(WalletError):  # noqa: N818 - a state, like RpcUnavailable
    """No usable answer from the wallet; for a send, its outcome is unknown."""


class WalletRpcError(WalletError):
    """The wallet answered with a JSON-RPC error: a definite answer."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.error_type = ERROR_TYPES.get(code, "wallet_rpc_error")


class InsufficientFundsError(WalletRpcError):
    """-6: the wallet's spendable balance does not cover the outputs and the fee."""


class WalletNotLoadedError(WalletRpcError):
    """-18: the configured wallet is not loaded in the node."""


_BY_CODE: Final[dict[int, type[WalletRpcError]]] = {
    -6: InsufficientFundsError,
    -18: WalletNotLoadedError,
}


class WalletRpc:
    """A wallet endpoint (``/wallet/<name>``) on top of `BitcoindRpc`; it owns the client."""

    def __init__(self, rpc: BitcoindRpc) -> None:
        self.rpc = rpc

    async def aclose(self) -> None:
        await self.rpc.aclose()

    async def sendmany(self, amounts: Mapping[str, int], comment: str) -> str:
        """Pay every address its amount in one transaction; the wallet pays the fee."""
        outputs = {address: btc_string(amount) for address, amount in amounts.items()}
        txid = await self._call("sendmany", "", outputs, 1, comment)
        return self._parse(lambda: txid_of(txid))

    async def listtransactions(self, count: int, skip: int) -> list[WalletEntry]:
        """The ``count`` entries before the ``skip`` newest, oldest first (bitcoind's order)."""
        entries = await self._call("listtransactions", "*", count, skip)
        return self._parse(lambda: [wallet_entry(entry) for entry in entries])

    async def gettransaction(self, txid: str) -> WalletTransaction:
        reply = await self._call("gettransaction", txid)
        return self._parse(lambda: wallet_transaction(reply))

    async def getbalances(self) -> WalletBalances:
        reply = await self._call("getbalances")
        return self._parse(lambda: wallet_balances(reply))

    async def validateaddress(self, address: str) -> bool:
        reply = await self._call("validateaddress", address)
        return self._parse(lambda: bool(reply["isvalid"]))

    async def getblockchaininfo(self) -> ChainInfo:
        reply = await self._call("getblockchaininfo")
        return self._parse(lambda: chain_info(reply))

    async def _call(self, method: str, *params: Any) -> Any:
        try:
            return await self.rpc.call(method, *params)
        except RpcError as exc:
            raise _BY_CODE.get(exc.code, WalletRpcError)(exc.code, exc.message) from exc
        except BitcoindRpcError as exc:
            raise WalletUnavailable(str(exc)) from exc

    @staticmethod
    def _parse(build: Callable[[], T]) -> T:
        """Run a reply parser; a reply of the wrong shape is no usable answer."""
        try:
            return build()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise WalletUnavailable(f"malformed wallet reply: {exc!r}") from exc
