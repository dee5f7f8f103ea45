"""Reward splitting: exact sums, the fee, and deterministic largest-remainder rounding."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.accounting import Credit, fee_of, fee_ppm, split_reward

accounts = st.text(alphabet="abcdefgh", min_size=1, max_size=4)
weights = st.dictionaries(
    accounts,
    st.one_of(
        st.integers(min_value=0, max_value=10**12),
        st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False),
    ),
    max_size=12,
)
rewards = st.integers(min_value=0, max_value=21_000_000 * 10**8)
fees = st.floats(min_value=0, max_value=99.99)


def positive(w: dict[str, int | float]) -> bool:
    return any(v > 0 for v in w.values())


@given(rewards, weights.filter(positive), fees)
def test_credits_plus_fee_is_the_reward(reward: int, w: dict[str, int | float], fee: float) -> None:
    split = split_reward(reward, w, fee, "pool-fee")
    assert split.credited + split.fee == reward
    assert all(c.amount > 0 for c in split.credits)
    assert [c.account for c in split.credits] == sorted({c.account for c in split.credits})


@given(rewards, weights.filter(positive), fees)
def test_each_credit_is_within_one_satoshi_of_its_exact_share(
    reward: int, w: dict[str, int | float], fee: float
) -> None:
    split = split_reward(reward, w, fee, None)
    total = sum(Fraction(v) for v in w.values())
    for account, weight in w.items():
        exact = (reward - split.fee) * Fraction(weight) / total
        assert abs(split.amount_for(account) - exact) < 1


@given(rewards, fees)
def test_fee_is_the_percentage_rounded_down(reward: int, fee: float) -> None:
    ppm = fee_ppm(fee)
    assert abs(ppm - fee * 10_000) <= 0.5
    assert fee_of(reward, fee) == reward * ppm // 1_000_000
    assert fee_of(reward, fee) <= reward * Fraction(ppm, 1_000_000) < fee_of(reward, fee) + 1


@given(rewards, weights.filter(positive), fees)
def test_result_does_not_depend_on_mapping_order(
    reward: int, w: dict[str, int | float], fee: float
) -> None:
    backwards = dict(reversed(list(w.items())))
    assert split_reward(reward, w, fee, "f") == split_reward(reward, backwards, fee, "f")


@given(st.integers(min_value=1, max_value=10**6), st.lists(accounts, min_size=1, unique=True))
def test_equal_weights_leftovers_go_to_the_first_names(reward: int, names: list[str]) -> None:
    split = split_reward(reward, dict.fromkeys(names, 1), 0.0, None)
    base, left = divmod(reward, len(names))
    expected = {n: base + (i < left) for i, n in enumerate(sorted(names))}
    assert {c.account: c.amount for c in split.credits} == {
        n: a for n, a in expected.items() if a > 0
    }


def test_known_split() -> None:
    split = split_reward(625_000_000, {"b": 1.0, "a": 2.0, "c": 0.0}, 1.5, "fee")
    assert split.fee == 9_375_000
    assert split.credits == (Credit("a", 410_416_667), Credit("b", 205_208_333))


def test_no_weight_gives_everything_to_the_fee_account() -> None:
    split = split_reward(1000, {"a": 0}, 2.0, "fee")
    assert (split.credits, split.fee, split.fee_account) == ((), 1000, "fee")
    with pytest.raises(ValueError, match="no owner"):
        split_reward(1000, {}, 2.0, None)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_bad_weights_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="weight"):
        split_reward(1000, {"a": 1.0, "b": bad}, 0.0, None)


@pytest.mark.parametrize("fee", [-0.1, 100.0, float("nan")])
def test_bad_fees_are_refused(fee: float) -> None:
    with pytest.raises(ValueError, match="fee_percent"):
        split_reward(1000, {"a": 1.0}, fee, None)


def test_negative_reward_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        split_reward(-1, {"a": 1.0}, 0.0, None)
