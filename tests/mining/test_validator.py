import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loka_stratum.bitcoin.coinbase import CoinbaseParts
from loka_stratum.bitcoin.header import BlockHeader
from loka_stratum.bitcoin.merkle import merkle_root
from loka_stratum.bitcoin.target import DIFF1_TARGET, difficulty_to_target, hash_to_int
from loka_stratum.mining.job import Job, JobFactory
from loka_stratum.mining.jobbook import JobBook
from loka_stratum.mining.template import BlockTemplate
from loka_stratum.mining.validator import (
    RejectReason,
    ShareResult,
    ShareValidator,
    Submission,
)
from loka_stratum.mining.work import MinerWork, ShareTarget
from loka_stratum.protocol.errors import StratumErrorCode
from tests.bitcoin.bitcoinlib_check import check_block_bytes
from tests.mining.builders import make_template, payout

EN1 = bytes.fromhex("0a0b0c0d")
EASY = 1e-9  # nearly every hash qualifies: tests can find shares in a few tries
HARD_BITS = 0x1D00FFFF  # mainnet difficulty 1: no test share is a block


class Pool:
    """A factory, a job book and a validator wired together, as the server does."""

    def __init__(self, template: BlockTemplate, *, mask: int = 0x1FFFE000) -> None:
        self.factory = JobFactory(extranonce1_size=4, extranonce2_size=4, pool_tag=b"/test/")
        self.book = JobBook()
        self.validator = ShareValidator(self.book)
        self.work = MinerWork(EN1, 4, ShareTarget.for_difficulty(EASY), version_mask=mask)
        self.job = self.push(template, clean=True)
        self.now = float(template.curtime)

    def push(self, template: BlockTemplate, *, clean: bool) -> Job:
        job = self.factory.create(template, payout(template), clean_jobs=clean)
        self.book.add(job)
        return job

    def submit(
        self,
        nonce: int,
        *,
        en2: str = "00000000",
        ntime: str | None = None,
        version_bits: str | None = None,
        job: Job | None = None,
    ) -> ShareResult:
        job = job or self.job
        ntime = ntime if ntime is not None else f"{job.ntime:08x}"
        share = Submission(job.job_id, en2, ntime, f"{nonce:08x}", version_bits)
        return self.validator.validate(share, self.work, self.now)

    def find(self, *, want_block: bool | None = None, **kwargs: object) -> ShareResult:
        for nonce in range(10_000):
            result = self.submit(nonce, **kwargs)  # type: ignore[arg-type]
            if result.accepted and (want_block is None or result.is_block == want_block):
                return result
        raise AssertionError("no share found")


def test_valid_share_is_accepted_with_credit_and_achieved_difficulty() -> None:
    pool = Pool(make_template(bits=HARD_BITS))
    result = pool.find()
    assert result.reason is None and result.accepted and not result.is_block
    assert result.difficulty == EASY
    assert result.hash is not None and result.header is not None
    assert result.share_difficulty == DIFF1_TARGET / hash_to_int(result.hash)
    assert BlockHeader.parse(result.header).hash() == result.hash


def test_unknown_and_stale_jobs() -> None:
    template = make_template()
    pool = Pool(template)
    old = pool.job
    assert pool.submit(0, job=old).reason is not RejectReason.STALE
    pool.job = pool.push(make_template(seed=2, height=201), clean=True)
    stale = pool.submit(0, job=old)
    assert stale.reason is RejectReason.STALE
    assert stale.reason.code is StratumErrorCode.JOB_NOT_FOUND
    share = Submission("nope", "00000000", f"{old.ntime:08x}", "00000000")
    unknown = pool.validator.validate(share, pool.work, pool.now)
    assert unknown.reason is RejectReason.JOB_NOT_FOUND
    assert unknown.reason.code == 21


@pytest.mark.parametrize("en2", ["000000", "0000000000", "zz000000", "00 00 00", "0000000g", ""])
def test_bad_extranonce2(en2: str) -> None:
    pool = Pool(make_template())
    assert pool.submit(0, en2=en2).reason is RejectReason.BAD_EXTRANONCE2


@pytest.mark.parametrize("ntime", ["", "1234567", "123456789", "zzzzzzzz", "0x123456", "1_234567"])
def test_bad_ntime_hex(ntime: str) -> None:
    pool = Pool(make_template())
    assert pool.submit(0, ntime=ntime).reason is RejectReason.BAD_NTIME


def test_ntime_window() -> None:
    template = make_template(bits=HARD_BITS)
    pool = Pool(template)
    too_early = f"{template.mintime - 1:08x}"
    assert pool.submit(0, ntime=too_early).reason is RejectReason.NTIME_OUT_OF_RANGE
    too_late = f"{int(pool.now) + 7201:08x}"
    assert pool.submit(0, ntime=too_late).reason is RejectReason.NTIME_OUT_OF_RANGE
    assert pool.find(ntime=f"{template.mintime:08x}").accepted
    assert pool.find(ntime=f"{int(pool.now) + 7200:08x}").accepted


@pytest.mark.parametrize("nonce", ["", "1234567", "xyzxyzxy", "123456789"])
def test_bad_nonce(nonce: str) -> None:
    pool = Pool(make_template())
    share = Submission(pool.job.job_id, "00000000", f"{pool.job.ntime:08x}", nonce)
    result = pool.validator.validate(share, pool.work, pool.now)
    assert result.reason is RejectReason.BAD_NONCE


def test_version_rolling_inside_mask_changes_the_header() -> None:
    pool = Pool(make_template(bits=HARD_BITS))
    result = pool.find(version_bits="00002000")
    assert result.header is not None
    assert BlockHeader.parse(result.header).version == 0x20002000


@pytest.mark.parametrize("bits", ["20000000", "00000001", "ffffffff", "zzzzzzzz", "2000"])
def test_version_bits_outside_mask_are_rejected(bits: str) -> None:
    pool = Pool(make_template())
    assert pool.submit(0, version_bits=bits).reason is RejectReason.BAD_VERSION_BITS


def test_version_bits_without_negotiation_must_be_zero() -> None:
    pool = Pool(make_template(bits=HARD_BITS), mask=0)
    assert pool.submit(0, version_bits="00002000").reason is RejectReason.BAD_VERSION_BITS
    assert pool.find(version_bits="00000000").accepted


def test_duplicates_are_caught_and_version_bits_count() -> None:
    pool = Pool(make_template(bits=HARD_BITS))
    first = pool.find()
    assert first.header is not None
    nonce = BlockHeader.parse(first.header).nonce
    again = pool.submit(nonce)
    assert again.reason is RejectReason.DUPLICATE
    assert again.reason.code is StratumErrorCode.DUPLICATE_SHARE
    rolled = pool.submit(nonce, version_bits="00004000")
    assert rolled.reason is not RejectReason.DUPLICATE


def test_low_difficulty_share_is_rejected_and_not_remembered() -> None:
    pool = Pool(make_template(bits=HARD_BITS))
    pool.work = MinerWork(EN1, 4, ShareTarget.for_difficulty(2.0**32))
    result = pool.submit(7)
    assert result.reason is RejectReason.LOW_DIFFICULTY
    assert result.reason.code is StratumErrorCode.LOW_DIFFICULTY
    assert result.share_difficulty > 0
    pool.work = MinerWork(EN1, 4, ShareTarget.for_difficulty(1e-12))
    assert pool.submit(7).accepted  # not a duplicate: the rejected one was never recorded


def test_old_job_may_use_previous_difficulty_new_job_may_not() -> None:
    template = make_template(bits=HARD_BITS)
    pool = Pool(template)
    old_job = pool.job
    pool.work.set_difficulty(2.0**32, next_job_seq=old_job.seq + 1)
    credited = pool.find(job=old_job)
    assert credited.difficulty == EASY
    new_job = pool.push(make_template(bits=HARD_BITS, seed=3), clean=False)
    assert pool.submit(1, job=new_job).reason is RejectReason.LOW_DIFFICULTY


def test_credit_is_the_highest_difficulty_met() -> None:
    pool = Pool(make_template(bits=HARD_BITS))
    pool.work.set_difficulty(EASY / 4, next_job_seq=pool.job.seq + 1)
    result = pool.find()
    # The hash met the old (harder) target too, so that is what it earns.
    assert result.difficulty == (EASY if result.share_difficulty >= EASY else EASY / 4)


@pytest.mark.parametrize("segwit", [True, False])
@pytest.mark.parametrize("tx_count", [0, 1, 4, 12])
def test_block_candidates_are_valid_blocks(segwit: bool, tx_count: int) -> None:
    template = make_template(segwit=segwit, tx_count=tx_count, height=321)
    pool = Pool(template)
    result = pool.find(want_block=True, version_bits="00006000")
    assert result.block is not None and result.header is not None
    assert result.block.startswith(result.header)
    check_block_bytes(result.block, expect_height=321, expect_segwit=segwit)


def test_block_with_a_twelve_level_branch() -> None:
    template = make_template(tx_count=2**12 - 1, height=5000)
    pool = Pool(template)
    assert len(pool.job.merkle_branch) == 12
    result = pool.find(want_block=True)
    assert result.block is not None
    check_block_bytes(result.block, expect_height=5000, expect_segwit=True)


def test_share_meeting_share_target_only_is_not_a_block() -> None:
    pool = Pool(make_template(bits=HARD_BITS))
    assert pool.find().block is None


def independent_verdict(
    job: Job,
    parts: CoinbaseParts,
    template: BlockTemplate,
    en2: bytes,
    ntime: int,
    nonce: int,
    version: int,
    difficulty: float,
) -> tuple[bool, bool]:
    coinbase = parts.assemble(EN1, en2)
    from loka_stratum.bitcoin.hashing import sha256d

    root = merkle_root([sha256d(coinbase), *template.txids])
    header = BlockHeader(version, template.prev_hash, root, ntime, template.bits, nonce)
    value = hash_to_int(header.hash())
    return value <= difficulty_to_target(difficulty), value <= job.network_target


@settings(max_examples=150, deadline=None)
@given(
    en2=st.binary(min_size=4, max_size=4),
    nonce=st.integers(0, 2**32 - 1),
    ntime_offset=st.integers(0, 7200),
    rolled=st.integers(0, 0xFFFF),
    difficulty=st.sampled_from([1e-9, 1e-3, 0.5, 1.0]),
)
def test_validator_matches_independent_recomputation(
    en2: bytes, nonce: int, ntime_offset: int, rolled: int, difficulty: float
) -> None:
    template = make_template(tx_count=6, bits=0x2000FFFF)
    pool = Pool(template)
    pool.work = MinerWork(EN1, 4, ShareTarget.for_difficulty(difficulty), version_mask=0x1FFFE000)
    version_bits = (rolled << 13) & 0x1FFFE000
    ntime = template.curtime + ntime_offset
    share = Submission(
        pool.job.job_id, en2.hex(), f"{ntime:08x}", f"{nonce:08x}", f"{version_bits:08x}"
    )
    result = pool.validator.validate(share, pool.work, pool.now + 3600)
    parts = pool.factory.build_coinbase(template, payout(template))
    meets_share, meets_block = independent_verdict(
        pool.job, parts, template, en2, ntime, nonce, 0x20000000 | version_bits, difficulty
    )
    assert result.accepted == meets_share
    assert (result.block is not None) == (meets_share and meets_block)
