import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.mining.hashrate import HASHES_PER_DIFFICULTY, HashrateWindow


def test_hashrate_is_difficulty_times_two_pow_32_over_window() -> None:
    window = HashrateWindow(60)
    for second in range(60):
        window.add(1000.0 + second, 2.0)
    assert window.hashrate(1059.5) == pytest.approx(120 * HASHES_PER_DIFFICULTY / 60)


def test_old_shares_leave_the_window() -> None:
    window = HashrateWindow(10)
    window.add(100.0, 5.0)
    window.add(105.0, 1.0)
    assert window.difficulty_sum(109.0) == 6.0
    assert window.difficulty_sum(111.0) == 1.0
    assert window.hashrate(200.0) == 0.0


def test_rejects_nonsense_window() -> None:
    with pytest.raises(ValueError, match="positive"):
        HashrateWindow(0)


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 1e6)), max_size=100))
def test_sum_matches_brute_force(shares: list[tuple[float, float]]) -> None:
    window = HashrateWindow(30)
    now = 0.0
    seen: list[tuple[float, float]] = []
    for gap, difficulty in shares:
        now += gap
        window.add(now, difficulty)
        seen.append((now, difficulty))
    expected = sum(d for t, d in seen if int(t) >= now - 30)
    assert window.difficulty_sum(now) == pytest.approx(expected, rel=1e-9, abs=1e-6)
