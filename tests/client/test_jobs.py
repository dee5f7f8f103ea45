"""JobTracker: which work is mined and which found shares may still be submitted."""

from __future__ import annotations

from loka_stratum.client.jobs import JobTracker
from loka_stratum.protocol import Notify

REQUESTED = 0x1FFFE000


def notify(job_id: str, *, clean: bool) -> Notify:
    return Notify(job_id, "00" * 32, "aa", "bb", (), "20000000", "1d00ffff", "6553f100", clean)


def subscribed(mask: int | None = REQUESTED) -> JobTracker:
    jobs = JobTracker(REQUESTED)
    jobs.subscribe(b"\x01\x02\x03\x04", 4)
    jobs.negotiate(mask)
    return jobs


def test_no_work_before_a_subscription_and_a_job() -> None:
    jobs = JobTracker(REQUESTED)
    assert jobs.work() is None
    jobs.notify(notify("a", clean=True))
    assert jobs.work() is None
    jobs.subscribe(b"\x01", 2)
    work = jobs.work()
    assert work is not None
    assert (work.job_id, work.extranonce1, work.extranonce2_size) == ("a", b"\x01", 2)


def test_a_clean_job_retires_older_jobs_and_a_plain_one_does_not() -> None:
    jobs = subscribed()
    jobs.notify(notify("a", clean=True))
    a = jobs.work()
    jobs.notify(notify("b", clean=False))
    b = jobs.work()
    assert a is not None and b is not None
    assert jobs.is_live(a) and jobs.is_live(b)
    jobs.notify(notify("c", clean=True))
    c = jobs.work()
    assert c is not None
    assert not jobs.is_live(a) and not jobs.is_live(b) and jobs.is_live(c)


def test_a_new_extranonce_applies_from_the_next_job() -> None:
    jobs = subscribed()
    jobs.notify(notify("a", clean=True))
    a = jobs.work()
    jobs.set_extranonce(b"\xaa\xbb", 2)
    assert a is not None and jobs.is_live(a)
    still_a = jobs.work()
    assert still_a is not None and still_a.extranonce1 == b"\x01\x02\x03\x04"
    jobs.notify(notify("b", clean=False))
    b = jobs.work()
    assert b is not None
    assert (b.extranonce1, b.extranonce2_size) == (b"\xaa\xbb", 2)
    assert not jobs.is_live(still_a)  # its shares carry the old extranonce1


def test_version_mask_is_the_pools_within_the_requested_bits() -> None:
    jobs = subscribed(0xFFFFFFFF)
    assert jobs.version_mask == REQUESTED
    assert jobs.set_version_mask(0x00FFE000)
    assert jobs.version_mask == 0x00FFE000 & REQUESTED


def test_a_version_mask_without_negotiation_is_ignored() -> None:
    jobs = subscribed(None)
    assert jobs.version_mask == 0
    assert not jobs.set_version_mask(0x1FFFE000)
    assert jobs.version_mask == 0


def test_rebuilt_work_for_the_same_job_replaces_the_old_one() -> None:
    jobs = subscribed()
    jobs.notify(notify("a", clean=True))
    old = jobs.work()
    jobs.set_version_mask(0x6000)
    new = jobs.work()
    assert old is not None and new is not None
    assert new.version_mask == 0x6000
    assert jobs.is_live(new) and not jobs.is_live(old)
