"""The planner: never below a threshold, never more than the balance, integer sums, one
output per address, unpayable accounts skipped with a reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.bitcoin.network import network_by_name
from loka_stratum.payments.planner import DUST_SATOSHIS, ThresholdPolicy, plan_payouts
from tests.payments.conftest import REGTEST, address

POLICY = ThresholdPolicy(default=100_000, minimum=10_000)

accounts = st.one_of(
    st.integers(1, 40).map(address),
    st.sampled_from(["alice.rig1", "", " " + address(7), address(8).upper()]),
)
balances = st.dictionaries(accounts, st.integers(-(10**9), 21 * 10**14), max_size=30)
chosen = st.dictionaries(st.integers(1, 40).map(address), st.none() | st.integers(0, 10**7))


@given(balances, chosen)
def test_payouts_respect_thresholds_and_balances(
    balance_of: dict[str, int], chosen_of: dict[str, int | None]
) -> None:
    plan = plan_payouts(balance_of, chosen_of, POLICY, REGTEST)
    for payout in plan.payouts:
        threshold = POLICY.for_account(chosen_of.get(payout.account))
        assert payout.threshold == threshold >= POLICY.minimum >= DUST_SATOSHIS
        assert payout.amount == balance_of[payout.account] >= threshold
        assert isinstance(payout.amount, int) and payout.address == payout.account
    assert plan.total == sum(p.amount for p in plan.payouts)
    assert isinstance(plan.total, int)
    assert len({p.account for p in plan.payouts}) == len(plan.payouts)
    assert len({p.address.lower() for p in plan.payouts}) == len(plan.payouts)


@given(balances, chosen)
def test_every_due_balance_is_paid_or_skipped_with_a_reason(
    balance_of: dict[str, int], chosen_of: dict[str, int | None]
) -> None:
    plan = plan_payouts(balance_of, chosen_of, POLICY, REGTEST)
    due = {a for a, b in balance_of.items() if b >= POLICY.for_account(chosen_of.get(a))}
    handled = [p.account for p in plan.payouts] + [s.account for s in plan.skipped]
    assert sorted(handled) == sorted(due)
    assert all(item.reason for item in plan.skipped)


@given(balances, st.integers(1, 7))
def test_batches_cover_every_payout_once(balance_of: dict[str, int], size: int) -> None:
    plan = plan_payouts(balance_of, {}, POLICY, REGTEST)
    batches = plan.batches(size)
    assert all(0 < len(batch) <= size for batch in batches)
    assert [p for batch in batches for p in batch] == list(plan.payouts)


def test_two_spellings_of_one_address_get_one_output() -> None:
    lower = address(3)
    plan = plan_payouts({lower: 200_000, lower.upper(): 300_000}, {}, POLICY, REGTEST)
    [paid], [skipped] = plan.payouts, plan.skipped
    assert {paid.account, skipped.account} == {lower, lower.upper()}
    assert "same address" in skipped.reason


def test_another_networks_address_is_skipped() -> None:
    mainnet = network_by_name("main")
    plan = plan_payouts({address(1): 500_000}, {}, POLICY, mainnet)
    assert plan.payouts == () and "regtest" in plan.skipped[0].reason


def test_largest_payouts_first() -> None:
    plan = plan_payouts({address(1): 200_000, address(2): 900_000}, {}, POLICY, REGTEST)
    assert [p.amount for p in plan.payouts] == [900_000, 200_000]


@pytest.mark.parametrize(("default", "minimum"), [(1_000, 2_000), (500, 500), (10_000, 100)])
def test_threshold_policy_refuses_inconsistent_limits(default: int, minimum: int) -> None:
    with pytest.raises(ValueError, match="threshold"):
        ThresholdPolicy(default=default, minimum=minimum)
