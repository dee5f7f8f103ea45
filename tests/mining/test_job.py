import pytest

from loka_stratum.bitcoin.coinbase import CoinbaseOutput
from loka_stratum.mining.job import JobFactory, prevhash_from_stratum, stratum_prevhash
from loka_stratum.mining.jobbook import JobBook
from tests.mining.builders import P2WPKH, make_template, payout

# The prevhash of the example job in the original Stratum documentation, and
# the block hash it stands for: display order with its 4-byte words reversed.
DOC_PREVHASH = "4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000"
DOC_BLOCK_HASH = "00000000440b921e1b77c6c0487ae5616de67f788f44ae2a5af6e2194d16b6f8"


def factory() -> JobFactory:
    return JobFactory(extranonce1_size=4, extranonce2_size=4, pool_tag=b"/loka/")


def test_stratum_prevhash_known_answer() -> None:
    internal = bytes.fromhex(DOC_BLOCK_HASH)[::-1]
    assert stratum_prevhash(internal) == DOC_PREVHASH
    assert prevhash_from_stratum(DOC_PREVHASH) == internal


def test_prevhash_from_stratum_rejects_wrong_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        prevhash_from_stratum("00" * 31)


def test_notify_params_are_the_wire_form() -> None:
    template = make_template(tx_count=3, bits=0x1D00FFFF)
    job = factory().create(template, payout(template), clean_jobs=True)
    job_id, prevhash, coinb1, coinb2, branch, version, nbits, ntime, clean = job.notify_params
    assert job_id == job.job_id
    assert prevhash_from_stratum(prevhash) == template.prev_hash
    assert bytes.fromhex(coinb1) == job.coinb1 and bytes.fromhex(coinb2) == job.coinb2
    assert len(branch) == 2
    assert (version, nbits, ntime, clean) == (
        "20000000",
        "1d00ffff",
        f"{template.curtime:08x}",
        True,
    )


def test_job_ids_are_unique_and_generations_follow_templates() -> None:
    jobs = factory()
    first = make_template()
    second = make_template(seed=2)
    a = jobs.create(first, payout(first), clean_jobs=True)
    other_payee = [CoinbaseOutput(first.coinbase_value, bytes.fromhex("51"))]
    b = jobs.create(first, other_payee, clean_jobs=True)
    c = jobs.create(second, payout(second), clean_jobs=False)
    assert len({a.job_id, b.job_id, c.job_id}) == 3
    assert a.generation == b.generation != c.generation
    assert a.merkle_branch is b.merkle_branch  # built once per template
    assert a.coinb2 != b.coinb2


def test_outputs_must_pay_exactly_the_coinbase_value() -> None:
    template = make_template()
    short = [CoinbaseOutput(template.coinbase_value - 1, P2WPKH)]
    with pytest.raises(ValueError, match="pay"):
        factory().create(template, short, clean_jobs=True)


def test_book_keeps_recent_generations_and_clean_retires_all() -> None:
    jobs = factory()
    book = JobBook(keep_generations=2)
    t1, t2, t3 = (make_template(seed=s) for s in (1, 2, 3))
    j1 = jobs.create(t1, payout(t1), clean_jobs=True)
    j1b = jobs.create(t1, [CoinbaseOutput(t1.coinbase_value, b"\x51")], clean_jobs=True)
    assert book.add(j1) == []
    assert book.add(j1b) == []
    j2 = jobs.create(t2, payout(t2), clean_jobs=False)
    assert book.add(j2) == []
    j3 = jobs.create(t3, payout(t3), clean_jobs=False)
    assert book.add(j3) == [j1, j1b]
    assert book.get(j1.job_id) is None and book.is_stale(j1.job_id)
    assert book.get(j2.job_id) is j2 and book.latest is j3
    t4 = make_template(seed=4)
    j4 = jobs.create(t4, payout(t4), clean_jobs=True)
    assert book.add(j4) == [j2, j3]
    assert len(book) == 1
    assert not book.is_stale("never-existed")


def test_book_rejects_reused_ids_and_bounds_memory() -> None:
    jobs = factory()
    book = JobBook(remember_retired=2)
    template = make_template()
    job = jobs.create(template, payout(template), clean_jobs=True)
    book.add(job)
    with pytest.raises(ValueError, match="reused"):
        book.add(job)
    retired = book.retire_all()
    assert retired == [job] and book.latest is None
    for seed in range(2, 5):
        t = make_template(seed=seed)
        book.add(jobs.create(t, payout(t), clean_jobs=True))
    assert not book.is_stale(job.job_id)  # forgotten: only the last two retired ids are kept


def test_retired_job_forgets_its_duplicates() -> None:
    jobs = factory()
    book = JobBook()
    template = make_template()
    job = jobs.create(template, payout(template), clean_jobs=True)
    book.add(job)
    job.seen.add(b"x" * 32)
    book.retire_all()
    assert job.seen == set()
