import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.mining.vardiff import Vardiff, VardiffPolicy, password_difficulty

POLICY = VardiffPolicy(target_interval=10.0, retarget_interval=90.0, max_change=4.0)


def run_miner(vardiff: Vardiff, hashrate_diff_per_s: float, seconds: float) -> float:
    """Simulate a steady miner: shares arrive at hashrate/difficulty per second."""
    now = 0.0
    end = now + seconds
    while now < end:
        now += vardiff.difficulty / hashrate_diff_per_s
        vardiff.record_share(now)
    return now


def test_converges_to_target_interval() -> None:
    vardiff = Vardiff(POLICY, 1.0, 0.0)
    run_miner(vardiff, hashrate_diff_per_s=50.0, seconds=3600)
    interval = vardiff.difficulty / 50.0
    assert 10.0 * 0.7 <= interval <= 10.0 * 1.3


def test_steady_miner_on_target_is_left_alone() -> None:
    vardiff = Vardiff(POLICY, 100.0, 0.0)
    changes = []
    now = 0.0
    for _ in range(100):
        now += 10.0
        changes.append(vardiff.record_share(now))
    assert changes == [None] * 100


def test_busy_window_retargets_early_and_step_is_bounded() -> None:
    vardiff = Vardiff(POLICY, 1.0, 0.0)
    new = None
    for i in range(1, 9):
        new = vardiff.record_share(i * 0.1)
    assert new == 4.0  # 8 shares in 0.8 s: way too fast, but one step is at most x4


def test_silent_miner_steps_down_once_per_retarget() -> None:
    vardiff = Vardiff(POLICY, 64.0, 0.0)
    assert vardiff.poll(89.0) is None
    assert vardiff.poll(90.0) == 16.0
    assert vardiff.poll(100.0) is None
    assert vardiff.poll(180.0) == 4.0


def test_clamped_by_policy_and_network() -> None:
    policy = VardiffPolicy(min_difficulty=1.0, max_difficulty=1000.0)
    vardiff = Vardiff(policy, 500.0, 0.0)
    for i in range(1, 9):
        new = vardiff.record_share(i * 0.01, network_difficulty=600.0)
    assert new == 600.0
    assert Vardiff(policy, 0.001, 0.0).difficulty == 1.0
    assert policy.clamp(math.nan) == 1.0


def test_suggest_difficulty_within_bounds() -> None:
    policy = VardiffPolicy(min_difficulty=0.5, max_difficulty=1000.0)
    vardiff = Vardiff(policy, 1.0, 0.0)
    assert vardiff.suggest(2000.0, 1.0) == 1000.0
    assert vardiff.suggest(0.1, 1.0) == 0.5
    assert vardiff.suggest(64.0, 1.0) == 64.0
    assert not vardiff.fixed


def test_password_difficulty_fixes_difficulty() -> None:
    vardiff = Vardiff(POLICY, 1.0, 0.0)
    assert vardiff.fix(512.0, 0.0) == 512.0
    for i in range(1, 50):
        assert vardiff.record_share(i * 0.01) is None
    assert vardiff.poll(10_000.0) is None


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("d=1024", 1024.0),
        ("x,d=0.01", 0.01),
        ("x; d = 16", 16.0),
        ("D=8", 8.0),
        ("x", None),
        (None, None),
        ("", None),
        ("d=abc", None),
        ("d=-1", None),
        ("d=0", None),
        ("d=inf", None),
        ("d=nan", None),
    ],
)
def test_password_difficulty_parsing(password: str | None, expected: float | None) -> None:
    assert password_difficulty(password) == expected


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="min_difficulty"):
        VardiffPolicy(min_difficulty=10.0, max_difficulty=1.0)
    with pytest.raises(ValueError, match="max_change"):
        VardiffPolicy(max_change=1.0)


@given(
    st.floats(0.0001, 1e6),
    st.lists(st.floats(0.001, 500.0), min_size=1, max_size=200),
)
def test_difficulty_stays_in_bounds_and_steps_are_bounded(start: float, gaps: list[float]) -> None:
    vardiff = Vardiff(POLICY, start, 0.0)
    now = 0.0
    for gap in gaps:
        now += gap
        before = vardiff.difficulty
        new = vardiff.record_share(now)
        if new is not None:
            assert POLICY.min_difficulty <= new <= POLICY.max_difficulty
            assert (
                before / POLICY.max_change * 0.999999
                <= new
                <= before * POLICY.max_change * 1.000001
            )
