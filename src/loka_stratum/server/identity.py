"""Who a miner is: the account its shares are credited to and the worker name.

In SOLO mode the username is ``ADDRESS[.worker]`` and the coinbase pays that
address, so the address must be valid for the pool's network. In pool mode the
coinbase pays the pool and the username only names the account. Usernames are
untrusted input that ends up in logs, metrics and the database, so their size
and characters are bounded here.
"""

from __future__ import annotations

from dataclasses import dataclass

from loka_stratum.bitcoin.address import AddressError, address_to_script
from loka_stratum.bitcoin.network import Network

MAX_USERNAME_LENGTH = 128


class IdentityError(ValueError):
    """A username we cannot accept; the message is safe to show the miner."""


@dataclass(frozen=True, slots=True)
class MinerIdentity:
    account: str
    worker: str
    payout_script: bytes | None = None
    """SOLO mode: the script the coinbase pays. None in pool mode."""

    @property
    def name(self) -> str:
        return f"{self.account}.{self.worker}" if self.worker else self.account


def _split(username: str, *, solo: bool) -> tuple[str, str]:
    """Account and worker: "." separates them; addresses never hold "_", so SOLO allows it too."""
    account, found, worker = username.partition(".")
    if not found and solo:
        account, _, worker = username.partition("_")
    return account, worker


def parse_username(username: str, *, solo: bool, network: Network) -> MinerIdentity:
    """The identity behind a `mining.authorize` username, or IdentityError."""
    if not username or len(username) > MAX_USERNAME_LENGTH:
        raise IdentityError(f"username must be 1..{MAX_USERNAME_LENGTH} characters")
    if not username.isprintable() or any(ch.isspace() for ch in username):
        raise IdentityError("username contains unprintable or blank characters")
    account, worker = _split(username, solo=solo)
    if not account:
        raise IdentityError("username has no account part")
    if not solo:
        return MinerIdentity(account, worker)
    try:
        script = address_to_script(account, network)
    except AddressError as exc:
        raise IdentityError(f"invalid payout address: {exc}") from exc
    return MinerIdentity(account, worker, script)
