"""Splitting a block reward into integer-satoshi credits that add up exactly.

The fee
-------
``fee_percent`` is resolved to parts per million (``round(fee_percent * 10_000)``,
so 1.5 % is 15 000 ppm and the finest fee step is 0.0001 %), and the fee is
``reward * ppm // 1_000_000``: rounded down, so the pool never takes more than
the percentage it advertises. Integers only; no float ever touches an amount.

The credits
-----------
What is left after the fee is divided in proportion to the weights (credited
share difficulty). Weights are floats (Stratum difficulties are), but each is
converted to an exact ``Fraction`` before any arithmetic, so the split is exact
and the same on every platform. Each account first gets the floor of its exact
share; the satoshis those floors leave over (fewer than the number of accounts)
go one each to the accounts with the largest fractional remainders, ties broken
by account name, ascending. Hence ``sum(credits) + fee == reward`` always, and
the result depends only on the inputs, never on dict order.

With no positive weight at all (nobody earned anything) the fee account takes
the whole reward; without a fee account that is an error, because the reward
would otherwise vanish from the books.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import isfinite

PPM = 1_000_000


@dataclass(frozen=True, slots=True)
class Credit:
    account: str
    amount: int


@dataclass(frozen=True, slots=True)
class Distribution:
    """One block's reward split: miner credits (by account name) and the pool fee."""

    reward: int
    credits: tuple[Credit, ...]
    """Positive amounts only, sorted by account."""
    fee: int
    fee_account: str | None
    """Where the fee is credited; None leaves it uncredited in the pool's wallet."""

    @property
    def credited(self) -> int:
        return sum(credit.amount for credit in self.credits)

    def amount_for(self, account: str) -> int:
        return sum(c.amount for c in self.credits if c.account == account)


def fee_ppm(fee_percent: float) -> int:
    """The fee rate in parts per million (see the module docstring)."""
    if not isfinite(fee_percent) or not 0 <= fee_percent < 100:
        raise ValueError(f"fee_percent must be in [0, 100): {fee_percent!r}")
    return round(fee_percent * (PPM // 100))


def fee_of(reward: int, fee_percent: float) -> int:
    """The pool fee on ``reward`` satoshis, rounded down."""
    return reward * fee_ppm(fee_percent) // PPM


def split_reward(
    reward: int,
    weights: Mapping[str, int | float],
    fee_percent: float,
    fee_account: str | None,
) -> Distribution:
    """Split ``reward`` satoshis: the fee, then the rest by weight (largest remainder)."""
    if reward < 0:
        raise ValueError(f"reward cannot be negative: {reward}")
    exact = _exact_weights(weights)
    fee = fee_of(reward, fee_percent)
    if not exact:
        if fee_account is None:
            raise ValueError("no positive weight and no fee account: the reward has no owner")
        return Distribution(reward, (), reward, fee_account)
    amounts = _largest_remainder(reward - fee, exact)
    credits = tuple(Credit(a, amounts[a]) for a in sorted(amounts) if amounts[a] > 0)
    return Distribution(reward, credits, fee, fee_account)


def _exact_weights(weights: Mapping[str, int | float]) -> dict[str, Fraction]:
    exact: dict[str, Fraction] = {}
    for account, weight in weights.items():
        if not isfinite(weight) or weight < 0:
            raise ValueError(f"weight of {account!r} must be finite and >= 0: {weight!r}")
        if weight > 0:
            exact[account] = Fraction(weight)
    return exact


def _largest_remainder(amount: int, weights: dict[str, Fraction]) -> dict[str, int]:
    total = sum(weights.values(), Fraction(0))
    shares = {account: amount * weight / total for account, weight in weights.items()}
    floors = {account: share.numerator // share.denominator for account, share in shares.items()}
    left = amount - sum(floors.values())
    by_remainder = sorted(
        shares, key=lambda account: (-(shares[account] - floors[account]), account)
    )
    for account in by_remainder[:left]:
        floors[account] += 1
    return floors
