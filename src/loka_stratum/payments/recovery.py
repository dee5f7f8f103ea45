"""Finding an intent's send in the wallet by its comment, or proving there is none.

Every ``sendmany`` carries the intent's label as its comment; the wallet keeps
it with the transaction (``listtransactions`` shows it on each output line).

Proof of absence is the whole wallet history read back to its first entry,
not "history back to the intent's creation time". Wallet entry times are not
insertion order: a rescan or an imported key adds transactions with old times
after newer ones, and ``listtransactions`` pages by insertion, so a time cut-off
could stop before the send it is looking for. Pages are read newest first; an
entry added while we read shifts later pages onto ones already read (an
overlap, never a gap). This runs only for unresolved intents, which are rare.

A send that left our process but still waits in the node's RPC queue would
also be absent; the runner therefore refunds only intents older than
``refund_after`` (well past any RPC timeout).
"""

from __future__ import annotations

from typing import Final

from loka_stratum.payments.wallet import WalletRpc

PAGE_SIZE: Final = 500


async def find_send(wallet: WalletRpc, comment: str) -> str | None:
    """The txid of the wallet's send with this comment; None after reading all history."""
    skip = 0
    while True:
        page = await wallet.listtransactions(PAGE_SIZE, skip)
        for entry in page:
            if entry.category == "send" and entry.comment == comment:
                return entry.txid
        if len(page) < PAGE_SIZE:
            return None
        skip += PAGE_SIZE
