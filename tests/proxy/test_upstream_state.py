"""`UpstreamState` and `reply_to`: what each pool message changes and what it is answered."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.protocol import (
    GetVersion,
    NotificationReceived,
    Notify,
    Reconnect,
    Response,
    SetDifficulty,
    SetExtranonce,
    SetVersionMask,
    ShowMessage,
    StratumErrorCode,
    UnknownRequest,
)
from loka_stratum.proxy.pool_state import UpstreamState, reply_to

JOB = Notify("j1", "00" * 32, "01", "02", (), "20000000", "1d00ffff", "6553f100", True)


def test_a_fresh_state_has_no_terms_yet() -> None:
    state = UpstreamState(0x1FFFE000)
    assert (state.extranonce1, state.extranonce2_size, state.difficulty) == (b"", 0, 1.0)
    assert state.version_mask is None and state.notify is None and state.last_job_at is None


def test_a_job_is_kept_with_the_time_it_came() -> None:
    state = UpstreamState(None)
    assert state.apply(JOB, now=12.5) == JOB
    assert state.notify == JOB and state.last_job_at == 12.5


def test_difficulty_extranonce_and_reconnect_are_adopted_and_reported() -> None:
    state = UpstreamState(None)
    reconnect = Reconnect("pool.example", 3334, 5)
    for message in (SetDifficulty(4096), SetExtranonce(b"\xab\xcd", 6), reconnect):
        assert state.apply(message, now=0.0) == message
    assert state.difficulty == 4096
    assert (state.extranonce1, state.extranonce2_size) == (b"\xab\xcd", 6)
    assert state.reconnect_request == reconnect


@given(requested=st.none() | st.integers(0, 0xFFFFFFFF), offered=st.integers(0, 0xFFFFFFFF))
def test_a_new_version_mask_never_exceeds_what_we_asked_for(
    requested: int | None, offered: int
) -> None:
    state = UpstreamState(requested)
    state.apply(SetVersionMask(offered), now=0.0)
    assert state.version_mask == offered & (requested or 0)


def test_messages_that_change_nothing_report_nothing() -> None:
    state = UpstreamState(None)
    for message in (ShowMessage("hello"), GetVersion(), UnknownRequest("x.y")):
        assert state.apply(message, now=0.0) is None
    assert state.notify is None and state.difficulty == 1.0


def test_replies_only_to_messages_with_an_id() -> None:
    assert reply_to(NotificationReceived(JOB), "ua/1") is None
    assert reply_to(NotificationReceived(GetVersion(), 7), "ua/1") == Response(7, "ua/1")
    assert reply_to(NotificationReceived(ShowMessage("hi"), "a"), "ua/1") == Response("a", True)
    unknown = reply_to(NotificationReceived(UnknownRequest("x.y"), 3), "ua/1")
    assert unknown is not None and unknown.error is not None
    assert unknown.id == 3 and unknown.error.code == StratumErrorCode.OTHER
