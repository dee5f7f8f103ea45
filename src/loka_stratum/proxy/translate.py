"""Upstream jobs as local jobs: a `mining.notify` from the pool becomes a `Job` once.

The proxy validates every miner share itself, so each upstream job is parsed into
the validator's form (bytes and ints) a single time and re-encoded under a job id of
ours: ids stay short, unique across upstream connections and reconnects, and a
miner can never submit against a job of another connection. `UpstreamJob` keeps
what the share needs on its way up: the pool's own job id and the pool difficulty
in force when the job arrived.

The proxy cannot build blocks (it has no transactions), so jobs carry no body; a
share that meets the network target is forwarded like any other and the upstream
pool submits the block.
"""

from __future__ import annotations

from dataclasses import dataclass

from loka_stratum.mining.job import Job, prevhash_from_stratum
from loka_stratum.protocol import Notify

MAX_BRANCH_LENGTH = 32
"""A merkle branch of 32 levels covers 2**32 transactions: anything longer is garbage."""


class BadUpstreamJobError(ValueError):
    """The pool sent a notify that cannot be work (bad hex, sizes)."""


@dataclass(frozen=True, slots=True)
class UpstreamJob:
    job: Job
    upstream_job_id: str
    upstream_difficulty: float
    """The pool's difficulty when the job came: shares at least this hard go up."""


def translate_notify(
    notify: Notify, *, seq: int, generation: int, upstream_difficulty: float
) -> UpstreamJob:
    """The local job for `notify`; raises `BadUpstreamJobError` for malformed fields."""
    try:
        prev_hash = prevhash_from_stratum(notify.prevhash)
        coinb1 = bytes.fromhex(notify.coinb1)
        coinb2 = bytes.fromhex(notify.coinb2)
        branch = tuple(_hash32(item) for item in notify.merkle_branch)
        version = _u32(notify.version)
        bits = _u32(notify.nbits)
        ntime = _u32(notify.ntime)
    except ValueError as exc:
        raise BadUpstreamJobError(f"job {notify.job_id[:64]!r}: {exc}") from None
    if len(branch) > MAX_BRANCH_LENGTH:
        raise BadUpstreamJobError(f"job {notify.job_id[:64]!r}: merkle branch of {len(branch)}")
    job = Job(
        job_id=f"{seq:x}",
        seq=seq,
        generation=generation,
        prev_hash=prev_hash,
        coinb1=coinb1,
        coinb2=coinb2,
        merkle_branch=branch,
        version=version,
        bits=bits,
        ntime=ntime,
        clean_jobs=notify.clean_jobs,
        min_ntime=ntime,
    )
    return UpstreamJob(job, notify.job_id, upstream_difficulty)


def _hash32(value: str) -> bytes:
    raw = bytes.fromhex(value)
    if len(raw) != 32:
        raise ValueError("merkle branch entries must be 32 bytes")
    return raw


def _u32(value: str) -> int:
    if len(value) != 8:
        raise ValueError(f"expected 8 hex digits, got {value[:16]!r}")
    return int.from_bytes(bytes.fromhex(value), "big")
