"""Who earned a block: the weight (credited share difficulty) of each account.

PPLNS ("pay per last N shares") looks back from the block's own share, newest
first, over shares whose credited difficulty adds up to ``N x network
difficulty``. The share that crosses that edge counts only for the part inside
the window (its difficulty minus what overflows), so the window always weighs
exactly ``N x D`` when there are enough shares, and a large share at the edge
earns no more than its place in the window. Older shares count for nothing.
Rounds do not matter: a miner's shares keep earning across blocks until they
fall out of the window, which makes pool hopping pointless.

PROP ("proportional") gives the block to the shares of its round: every share
after the pool's previous block up to and including this block's share, each
for its full difficulty.

Both are folds over share values; the storage layer streams the shares in
(newest first for PPLNS), so memory stays proportional to the number of
accounts, not shares.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from math import isfinite
from typing import Protocol


class WeightedShare(Protocol):
    """Anything with an account and a credited difficulty (a storage row will do)."""

    @property
    def account(self) -> str: ...

    @property
    def difficulty(self) -> float: ...


@dataclass(frozen=True, slots=True)
class ShareValue:
    """What a share is worth for payouts: its account and its credited difficulty."""

    account: str
    difficulty: float


class PplnsWindow:
    """Accumulates shares newest first until ``size`` difficulty is covered."""

    def __init__(self, size: float) -> None:
        if not isfinite(size) or size <= 0:
            raise ValueError(f"the PPLNS window must be positive: {size!r}")
        self.size = size
        self.covered = 0.0
        self._weights: dict[str, float] = {}

    @property
    def full(self) -> bool:
        return self.covered >= self.size

    def add(self, share: WeightedShare) -> bool:
        """Count one (older) share; True once the window is full (later shares are ignored)."""
        if self.full:
            return True
        _check(share)
        counted = min(share.difficulty, self.size - self.covered)
        if counted > 0:
            self._weights[share.account] = self._weights.get(share.account, 0.0) + counted
        self.covered = self.size if counted < share.difficulty else self.covered + counted
        return self.full

    def add_all(self, shares: Iterable[WeightedShare]) -> bool:
        """Count shares in order until the window is full; True when it is."""
        for share in shares:
            if self.add(share):
                return True
        return self.full

    def weights(self) -> dict[str, float]:
        return dict(self._weights)


def pplns_weights(shares_newest_first: Iterable[WeightedShare], size: float) -> dict[str, float]:
    """Weights of the last ``size`` difficulty of shares (edge share counted partially)."""
    window = PplnsWindow(size)
    window.add_all(shares_newest_first)
    return window.weights()


def pplns_window_size(n: float, network_difficulty: float) -> float:
    """``N x network difficulty``: how much share difficulty the window holds."""
    size = n * network_difficulty
    if not isfinite(size) or size <= 0:
        raise ValueError(
            f"N and the network difficulty must be positive: {n!r}, {network_difficulty!r}"
        )
    return size


class PropRound:
    """Accumulates a round's shares (in any fixed order), each for its full difficulty."""

    def __init__(self) -> None:
        self._weights: dict[str, float] = {}

    def add_all(self, shares: Iterable[WeightedShare]) -> None:
        for share in shares:
            _check(share)
            self._weights[share.account] = self._weights.get(share.account, 0.0) + share.difficulty

    def weights(self) -> dict[str, float]:
        return {account: weight for account, weight in self._weights.items() if weight > 0}


def prop_weights(round_shares: Iterable[WeightedShare]) -> dict[str, float]:
    """Weights of a round's shares: each counts for its full difficulty."""
    tally = PropRound()
    tally.add_all(round_shares)
    return tally.weights()


def _check(share: WeightedShare) -> None:
    if not isfinite(share.difficulty) or share.difficulty < 0:
        raise ValueError(f"share difficulty must be finite and >= 0: {share.difficulty!r}")
