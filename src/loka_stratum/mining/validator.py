"""Share validation: the per-share hot path, and where a bug costs miners money.

Checks run in a fixed order so a share gets the most useful rejection:
job known and current -> hex and lengths -> ntime window -> version bits in
the negotiated mask -> duplicate -> share target -> network target. Every
outcome is a `ShareResult` value; nothing here raises on bad input.

Wire conventions (as real miners and pools use them): extranonce2 is raw
coinbase bytes in hex; ntime, nonce and version bits are hex of big-endian
uint32s that go into the header little-endian.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from loka_stratum.bitcoin.block import assemble_block
from loka_stratum.bitcoin.target import DIFF1_TARGET
from loka_stratum.bitcoin.tx import add_coinbase_witness
from loka_stratum.mining.job import Job
from loka_stratum.mining.jobbook import JobBook
from loka_stratum.mining.work import MinerWork, ShareTarget
from loka_stratum.protocol.errors import StratumErrorCode

MAX_FUTURE_NTIME = 7200
"""Consensus rejects blocks more than two hours ahead of network time."""
MAX_CACHED_ROOTS = 8192
"""Bound of a job's merkle-root cache; it is simply emptied when full."""

_sha256 = hashlib.sha256
_pack_header = struct.Struct("<I32s32sIII").pack


class RejectReason(Enum):
    """Why a share was rejected: the Stratum code plus a finer label for metrics and logs."""

    JOB_NOT_FOUND = ("job-not-found", StratumErrorCode.JOB_NOT_FOUND)
    STALE = ("stale", StratumErrorCode.JOB_NOT_FOUND)
    BAD_EXTRANONCE2 = ("bad-extranonce2", StratumErrorCode.OTHER)
    BAD_NTIME = ("bad-ntime", StratumErrorCode.OTHER)
    NTIME_OUT_OF_RANGE = ("ntime-out-of-range", StratumErrorCode.OTHER)
    BAD_NONCE = ("bad-nonce", StratumErrorCode.OTHER)
    BAD_VERSION_BITS = ("bad-version-bits", StratumErrorCode.OTHER)
    DUPLICATE = ("duplicate", StratumErrorCode.DUPLICATE_SHARE)
    LOW_DIFFICULTY = ("low-difficulty", StratumErrorCode.LOW_DIFFICULTY)

    def __init__(self, label: str, code: StratumErrorCode) -> None:
        self.label = label
        self.code = code

    @property
    def message(self) -> str:
        return _MESSAGES[self]

    @property
    def malformed(self) -> bool:
        """Garbage no honest miner sends (stale, duplicate and low-difficulty shares happen)."""
        return self.code is StratumErrorCode.OTHER


_MESSAGES = {
    RejectReason.JOB_NOT_FOUND: "Job not found",
    RejectReason.STALE: "Stale job",
    RejectReason.BAD_EXTRANONCE2: "Invalid extranonce2 size",
    RejectReason.BAD_NTIME: "Invalid ntime",
    RejectReason.NTIME_OUT_OF_RANGE: "Ntime out of range",
    RejectReason.BAD_NONCE: "Invalid nonce",
    RejectReason.BAD_VERSION_BITS: "Version bits outside the negotiated mask",
    RejectReason.DUPLICATE: "Duplicate share",
    RejectReason.LOW_DIFFICULTY: "Low difficulty share",
}


class SubmitFields(Protocol):
    """The share fields of a `mining.submit`, still as wire hex (the protocol's `Submit` fits)."""

    @property
    def job_id(self) -> str: ...
    @property
    def extranonce2(self) -> str: ...
    @property
    def ntime(self) -> str: ...
    @property
    def nonce(self) -> str: ...
    @property
    def version_bits(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Submission:
    """A plain `SubmitFields` value, for callers that have no protocol message."""

    job_id: str
    extranonce2: str
    ntime: str
    nonce: str
    version_bits: str | None = None


@dataclass(frozen=True, slots=True)
class ShareResult:
    """The verdict on one share. `reason` is None exactly when the share is accepted."""

    reason: RejectReason | None
    job: Job | None = None
    difficulty: float = 0.0
    """Credited difficulty: the session target the share met (0 when rejected)."""
    share_difficulty: float = 0.0
    """Difficulty the hash actually achieved."""
    hash: bytes | None = None
    header: bytes | None = None
    block: bytes | None = None
    """Serialized block when the share also meets the network target."""

    @property
    def accepted(self) -> bool:
        return self.reason is None

    @property
    def is_block(self) -> bool:
        return self.block is not None


def _reject(reason: RejectReason, job: Job | None = None) -> ShareResult:
    return ShareResult(reason, job)


def _hex_u32(value: str) -> int | None:
    if len(value) != 8:
        return None
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return None
    return int.from_bytes(raw, "big") if len(raw) == 4 else None


class ShareValidator:
    """Validates shares against the jobs in a `JobBook`."""

    def __init__(self, jobs: JobBook, *, max_future_ntime: int = MAX_FUTURE_NTIME) -> None:
        self._jobs = jobs
        self._max_future_ntime = max_future_ntime

    def validate(self, submit: SubmitFields, work: MinerWork, now: float) -> ShareResult:
        job = self._jobs.get(submit.job_id)
        if job is None:
            stale = self._jobs.is_stale(submit.job_id)
            return _reject(RejectReason.STALE if stale else RejectReason.JOB_NOT_FOUND)
        extranonce2 = _parse_extranonce2(submit.extranonce2, work.extranonce2_size)
        if extranonce2 is None:
            return _reject(RejectReason.BAD_EXTRANONCE2, job)
        ntime = _hex_u32(submit.ntime)
        if ntime is None:
            return _reject(RejectReason.BAD_NTIME, job)
        if ntime < job.min_ntime or ntime > now + self._max_future_ntime:
            return _reject(RejectReason.NTIME_OUT_OF_RANGE, job)
        nonce = _hex_u32(submit.nonce)
        if nonce is None:
            return _reject(RejectReason.BAD_NONCE, job)
        version = _rolled_version(job.version, submit.version_bits, work.version_mask)
        if version is None:
            return _reject(RejectReason.BAD_VERSION_BITS, job)
        return self._check_work(job, work, extranonce2, ntime, nonce, version)

    def _check_work(
        self, job: Job, work: MinerWork, extranonce2: bytes, ntime: int, nonce: int, version: int
    ) -> ShareResult:
        extranonce = work.extranonce1 + extranonce2
        root = job.roots.get(extranonce)
        if root is None:
            root = _merkle_root(job, extranonce)
        header = _pack_header(version, job.prev_hash, root, ntime, job.bits, nonce)
        digest = _sha256(_sha256(header).digest()).digest()
        if digest in job.seen:
            return _reject(RejectReason.DUPLICATE, job)
        value = int.from_bytes(digest, "little")
        achieved = DIFF1_TARGET / value if value else float("inf")
        primary, alternative = work.targets_for(job.seq)
        credited = _credited(value, primary, alternative)
        if credited is None:
            return ShareResult(RejectReason.LOW_DIFFICULTY, job, share_difficulty=achieved)
        job.seen.add(digest)
        block = None
        if value <= job.network_target and job.body is not None:
            block = _assemble(job, job.coinb1 + extranonce + job.coinb2, header)
        return ShareResult(None, job, credited, achieved, digest, header, block)


def _merkle_root(job: Job, extranonce: bytes) -> bytes:
    root = _sha256(_sha256(job.coinb1 + extranonce + job.coinb2).digest()).digest()
    for sibling in job.merkle_branch:
        root = _sha256(_sha256(root + sibling).digest()).digest()
    roots = job.roots
    if len(roots) >= MAX_CACHED_ROOTS:
        roots.clear()
    roots[extranonce] = root
    return root


def _parse_extranonce2(value: str, size: int) -> bytes | None:
    if len(value) != 2 * size:
        return None
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return None
    return raw if len(raw) == size else None


def _rolled_version(job_version: int, bits_hex: str | None, mask: int) -> int | None:
    """BIP310: the miner may change only the bits in the negotiated mask."""
    if bits_hex is None:
        return job_version
    bits = _hex_u32(bits_hex)
    if bits is None or bits & ~mask:
        return None
    return (job_version & ~mask) | bits


def _credited(value: int, primary: ShareTarget, alternative: ShareTarget | None) -> float | None:
    """The highest session difficulty whose target the hash meets, or None."""
    met = [t.difficulty for t in (primary, alternative) if t is not None and value <= t.target]
    return max(met) if met else None


def _assemble(job: Job, coinbase: bytes, header: bytes) -> bytes:
    body = job.body
    assert body is not None  # checked by the caller
    if body.segwit:
        coinbase = add_coinbase_witness(coinbase)
    return assemble_block(header, coinbase, body.transactions)
