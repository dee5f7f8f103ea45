"""The maturity decision: only definite answers move a block out of pending."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.accounting import ORPHANED_CONFIRMATIONS, Maturity, classify


@given(st.integers(min_value=1, max_value=200), st.integers(min_value=0, max_value=400))
def test_confirmed_exactly_at_the_required_depth(required: int, confirmations: int) -> None:
    expected = Maturity.CONFIRMED if confirmations >= required else Maturity.PENDING
    assert classify(confirmations, required) is expected


@given(st.integers(min_value=1, max_value=200))
def test_not_in_the_best_chain_is_orphaned_and_no_answer_is_pending(required: int) -> None:
    assert classify(ORPHANED_CONFIRMATIONS, required) is Maturity.ORPHANED
    assert classify(None, required) is Maturity.PENDING


def test_required_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        classify(5, 0)
