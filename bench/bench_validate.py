"""Share validation throughput on one core, for a job with a 12-level merkle branch.

Every submit carries a random nonce, so each one is fully validated (header
hash and target compare, plus the coinbase hash and 12 merkle steps unless the
job already knows the merkle root for that extranonce2). Three runs:
- worst case: a new extranonce2 on every share, difficulty 1 (nearly every
  share is rejected as low difficulty after the full hash);
- miner-like: extranonce2 changes every `--shares-per-extranonce2` shares, as
  real miners roll nonce and version bits long before extranonce2;
- accepted: like the worst case at a tiny difficulty, so every share is also
  recorded for duplicate detection.
A raw sha256d loop is measured in the same run, so the figure can be read as
a ratio that does not depend on how busy the machine is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import time

from loka_stratum.bitcoin.coinbase import CoinbaseOutput
from loka_stratum.mining.job import JobFactory
from loka_stratum.mining.jobbook import JobBook
from loka_stratum.mining.template import BlockTemplate, TemplateTransaction
from loka_stratum.mining.validator import ShareValidator, Submission
from loka_stratum.mining.work import MinerWork, ShareTarget

BRANCH_LEVELS = 12
MAINNET_BITS = 0x17034219


def build_validator() -> tuple[ShareValidator, str, int]:
    rng = random.Random(42)
    txs = tuple(
        TemplateTransaction(data=rng.randbytes(250), txid=rng.randbytes(32))
        for _ in range(2**BRANCH_LEVELS - 1)
    )
    template = BlockTemplate(
        height=870_000,
        prev_hash=rng.randbytes(32),
        version=0x20000000,
        bits=MAINNET_BITS,
        curtime=1_730_000_000,
        mintime=1_729_999_000,
        coinbase_value=312_500_000,
        transactions=txs,
        witness_commitment=bytes.fromhex("6a24aa21a9ed") + rng.randbytes(32),
    )
    factory = JobFactory(extranonce1_size=4, extranonce2_size=4, pool_tag=b"/loka-stratum/")
    output = CoinbaseOutput(template.coinbase_value, bytes.fromhex("0014") + rng.randbytes(20))
    job = factory.create(template, [output], clean_jobs=True)
    assert len(job.merkle_branch) == BRANCH_LEVELS
    book = JobBook()
    book.add(job)
    return ShareValidator(book), job.job_id, template.curtime


def run(
    validator: ShareValidator,
    job_id: str,
    ntime: int,
    *,
    difficulty: float,
    n: int,
    per_extranonce2: int = 1,
    extranonce1: bytes = b"\x00\x00\x00\x01",
) -> float:
    work = MinerWork(extranonce1, 4, ShareTarget.for_difficulty(difficulty), 0x1FFFE000)
    rng = random.Random(7)
    ntime_hex = f"{ntime:08x}"
    submits = [
        Submission(
            job_id,
            f"{i // per_extranonce2:08x}",
            ntime_hex,
            f"{rng.getrandbits(32):08x}",
            f"{rng.getrandbits(16) << 13:08x}",
        )
        for i in range(n)
    ]
    validate = validator.validate
    now = float(ntime)
    start = time.perf_counter()
    for submit in submits:
        validate(submit, work, now)
    return n / (time.perf_counter() - start)


def sha256d_rate(n: int) -> float:
    data = bytes(80)
    sha = hashlib.sha256
    start = time.perf_counter()
    for _ in range(n):
        sha(sha(data).digest()).digest()
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=100_000)
    parser.add_argument("--shares-per-extranonce2", type=int, default=256)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    validator, job_id, ntime = build_validator()
    n = args.iterations
    run(validator, job_id, ntime, difficulty=1.0, n=2000, extranonce1=b"warm")
    worst = run(validator, job_id, ntime, difficulty=1.0, n=n, extranonce1=b"wrst")
    per_en2 = args.shares_per_extranonce2
    miner_like = run(
        validator, job_id, ntime, difficulty=1.0, n=n, per_extranonce2=per_en2, extranonce1=b"mnr1"
    )
    accepted = run(validator, job_id, ntime, difficulty=1e-12, n=n, extranonce1=b"acpt")
    hash_rate = sha256d_rate(n)
    print(
        json.dumps(
            {
                "bench": "validate",
                "branch_levels": BRANCH_LEVELS,
                "iterations": n,
                "worst_case_per_s": round(worst),
                "miner_like_per_s": round(miner_like),
                "shares_per_extranonce2": per_en2,
                "accepted_per_s": round(accepted),
                "us_per_validation_worst": round(1e6 / worst, 2),
                "us_per_validation_miner_like": round(1e6 / miner_like, 2),
                "sha256d_80b_per_s": round(hash_rate),
                "worst_case_in_sha256d": round(hash_rate / worst, 2),
                "miner_like_in_sha256d": round(hash_rate / miner_like, 2),
                "target_per_s": 40_000,
            }
        )
    )


if __name__ == "__main__":
    main()
