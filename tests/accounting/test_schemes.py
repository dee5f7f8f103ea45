"""PPLNS and PROP weights: window size, the partial edge share, order, empty input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.accounting import (
    PplnsWindow,
    ShareValue,
    pplns_weights,
    pplns_window_size,
    prop_weights,
)

difficulties = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
share_values = st.builds(ShareValue, st.sampled_from(["a", "b", "c", "d"]), difficulties)
share_lists = st.lists(share_values, max_size=60)
sizes = st.floats(min_value=1e-3, max_value=1e7)


@given(share_lists, sizes)
def test_window_weighs_its_size_or_every_share(shares: list[ShareValue], size: float) -> None:
    total = sum(s.difficulty for s in shares)
    weighed = sum(pplns_weights(shares, size).values())
    assert math.isclose(weighed, min(size, total), rel_tol=1e-9)


@given(share_lists, sizes)
def test_only_the_newest_shares_count(shares: list[ShareValue], size: float) -> None:
    """A share counts only if the newer ones left room, and then for at most that room."""
    expected: dict[str, float] = {}
    room = size
    for share in shares:
        if room <= 0:
            break
        counted = min(share.difficulty, room)
        expected[share.account] = expected.get(share.account, 0.0) + counted
        room -= counted
    weights = pplns_weights(shares, size)
    assert weights.keys() == expected.keys()
    for account, weight in expected.items():
        assert math.isclose(weights[account], weight, rel_tol=1e-9)


@given(share_lists, st.lists(share_values, max_size=10), sizes)
def test_older_shares_do_not_matter_once_full(
    shares: list[ShareValue], older: list[ShareValue], size: float
) -> None:
    window = PplnsWindow(size)
    if window.add_all(shares):
        before = window.weights()
        window.add_all(older)
        assert window.weights() == before


def test_edge_share_counts_partially() -> None:
    shares = [ShareValue("new", 4.0), ShareValue("edge", 10.0), ShareValue("old", 5.0)]
    assert pplns_weights(shares, 6.0) == {"new": 4.0, "edge": 2.0}
    assert pplns_weights(shares, 4.0) == {"new": 4.0}
    assert pplns_weights(shares, 14.0) == {"new": 4.0, "edge": 10.0}


def test_empty_window_has_no_weights() -> None:
    assert pplns_weights([], 10.0) == {}
    assert prop_weights([]) == {}


def test_window_size_is_n_times_network_difficulty() -> None:
    assert pplns_window_size(2.0, 1.5e12) == 3e12
    with pytest.raises(ValueError, match="positive"):
        pplns_window_size(2.0, 0.0)
    with pytest.raises(ValueError, match="positive"):
        PplnsWindow(0.0)


@given(share_lists)
def test_prop_counts_every_share_in_full(shares: list[ShareValue]) -> None:
    weights = prop_weights(shares)
    for account in {s.account for s in shares}:
        expected = sum(s.difficulty for s in shares if s.account == account)
        assert math.isclose(weights[account], expected, rel_tol=1e-9)
    assert weights.keys() == {s.account for s in shares}


@given(share_lists)
def test_prop_is_a_whole_window_pplns(shares: list[ShareValue]) -> None:
    prop = prop_weights(shares)
    pplns = pplns_weights(shares, sum(s.difficulty for s in shares) * 2 + 1)
    assert prop.keys() == pplns.keys()
    assert all(math.isclose(prop[a], pplns[a], rel_tol=1e-9) for a in prop)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_bad_difficulties_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="difficulty"):
        pplns_weights([ShareValue("a", bad)], 10.0)
    with pytest.raises(ValueError, match="difficulty"):
        prop_weights([ShareValue("a", bad)])
