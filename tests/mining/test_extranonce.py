import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.mining.extranonce import ExtranonceAllocator, ExtranonceExhaustedError


def test_values_have_fixed_width_and_prefix() -> None:
    alloc = ExtranonceAllocator(2, prefix=b"\xab\xcd")
    values = [alloc.allocate(0.0) for _ in range(3)]
    assert values == [b"\xab\xcd\x00\x00", b"\xab\xcd\x00\x01", b"\xab\xcd\x00\x02"]


def test_exhaustion_is_an_error_not_a_collision() -> None:
    alloc = ExtranonceAllocator(1, resume_window=0)
    taken = {alloc.allocate(0.0) for _ in range(256)}
    assert len(taken) == 256
    with pytest.raises(ExtranonceExhaustedError):
        alloc.allocate(0.0)
    alloc.release(b"\x07", 1.0)
    assert alloc.allocate(1.0) == b"\x07"


def test_released_value_is_held_for_resume_then_reused() -> None:
    alloc = ExtranonceAllocator(1, resume_window=60.0)
    first = alloc.allocate(0.0)
    alloc.release(first, 10.0)
    # Held: a fresh allocation skips it even after the counter wraps.
    others = [alloc.allocate(11.0) for _ in range(255)]
    assert first not in others
    with pytest.raises(ExtranonceExhaustedError):
        alloc.allocate(69.0)
    # After the window it is free again.
    assert alloc.allocate(70.0) == first


def test_resume_by_session_id_within_window() -> None:
    alloc = ExtranonceAllocator(4, resume_window=300.0)
    mine = alloc.allocate(0.0)
    alloc.allocate(0.0)
    alloc.release(mine, 100.0)
    assert alloc.allocate(200.0, session_id=mine) == mine
    assert alloc.in_use == 2


def test_resume_after_window_or_of_live_value_gives_a_new_one() -> None:
    alloc = ExtranonceAllocator(4, resume_window=300.0)
    mine = alloc.allocate(0.0)
    other = alloc.allocate(0.0)
    # A live session's id cannot be stolen.
    assert alloc.allocate(1.0, session_id=other) not in (mine, other)
    alloc.release(mine, 10.0)
    assert alloc.allocate(400.0, session_id=mine) != mine
    assert alloc.in_use == 3


def test_garbage_session_ids_and_double_release_are_harmless() -> None:
    alloc = ExtranonceAllocator(4)
    value = alloc.allocate(0.0)
    alloc.release(value, 1.0)
    alloc.release(value, 2.0)
    alloc.release(b"short", 2.0)
    assert alloc.allocate(3.0, session_id=b"\x00") != value


@given(
    st.lists(
        st.tuples(st.sampled_from(["alloc", "release", "resume"]), st.integers(0, 50)),
        max_size=300,
    ),
    st.integers(1, 2),
    st.floats(0, 30),
)
def test_live_values_never_collide(ops: list[tuple[str, int]], size: int, window: float) -> None:
    alloc = ExtranonceAllocator(size, prefix=b"\x01", resume_window=window)
    live: list[bytes] = []
    released: list[bytes] = []
    now = 0.0
    for op, arg in ops:
        now += 1.0
        try:
            if op == "alloc":
                live.append(alloc.allocate(now))
            elif op == "release" and live:
                value = live.pop(arg % len(live))
                alloc.release(value, now)
                released.append(value)
            elif op == "resume" and released:
                live.append(alloc.allocate(now, session_id=released[arg % len(released)]))
        except ExtranonceExhaustedError:
            assert alloc.in_use + alloc.held == alloc.capacity
        assert len(set(live)) == len(live)
        assert all(len(v) == 1 + size and v[:1] == b"\x01" for v in live)
        assert alloc.in_use == len(live)
