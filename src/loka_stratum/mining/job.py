"""Jobs: one unit of Stratum work, precomputed so a share costs only hashing.

A `Job` carries everything a share needs in the form the validator uses it:
coinbase halves and merkle branch as bytes, header fields as ints, the
network target as an int. Hex exists only in `notify_params`, computed once
and written to every miner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from loka_stratum.bitcoin.coinbase import CoinbaseOutput, CoinbaseParts, build_coinbase
from loka_stratum.bitcoin.merkle import coinbase_merkle_branch
from loka_stratum.bitcoin.target import bits_to_target
from loka_stratum.mining.template import BlockTemplate


def stratum_prevhash(prev_hash: bytes) -> str:
    """Stratum's prevhash: the internal-order hash with each 4-byte word byte-swapped."""
    return b"".join(prev_hash[i : i + 4][::-1] for i in range(0, 32, 4)).hex()


def prevhash_from_stratum(value: str) -> bytes:
    """Inverse of `stratum_prevhash` (the word swap is its own inverse)."""
    raw = bytes.fromhex(value)
    if len(raw) != 32:
        raise ValueError("prevhash must be 32 bytes")
    return b"".join(raw[i : i + 4][::-1] for i in range(0, 32, 4))


@dataclass(frozen=True, slots=True)
class BlockBody:
    """What turns a winning header into a full block: the template's transactions."""

    segwit: bool
    """Whether the coinbase gets the witness reserved value (the template commits to witnesses)."""
    transactions: tuple[bytes, ...]
    """The template's transactions, serialized, in block order after the coinbase."""


@dataclass(frozen=True, slots=True, eq=False)
class Job:
    """One `mining.notify` worth of work."""

    job_id: str
    seq: int
    """Monotonic sequence number: orders jobs for difficulty changes."""
    generation: int
    """Which template the job came from; all jobs of one template share it."""
    prev_hash: bytes
    coinb1: bytes
    coinb2: bytes
    merkle_branch: tuple[bytes, ...]
    version: int
    bits: int
    ntime: int
    clean_jobs: bool
    min_ntime: int
    """Earliest ntime a share may carry (template mintime, else the job's ntime)."""
    height: int | None = None
    coinbase_value: int | None = None
    body: BlockBody | None = None
    """None for jobs we cannot turn into blocks ourselves (proxy mode: the upstream can)."""
    network_target: int = field(init=False)
    notify_params: tuple[str, str, str, str, tuple[str, ...], str, str, str, bool] = field(
        init=False
    )
    seen: set[bytes] = field(init=False, default_factory=set)
    """Header hashes of accepted shares: duplicate detection is per job."""
    roots: dict[bytes, bytes] = field(init=False, default_factory=dict)
    """Merkle roots by extranonce1+extranonce2. Miners roll the nonce and version bits
    for a long time on one extranonce2, so most shares skip the coinbase and branch hashing."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "network_target", bits_to_target(self.bits))
        object.__setattr__(
            self,
            "notify_params",
            (
                self.job_id,
                stratum_prevhash(self.prev_hash),
                self.coinb1.hex(),
                self.coinb2.hex(),
                tuple(branch.hex() for branch in self.merkle_branch),
                f"{self.version:08x}",
                f"{self.bits:08x}",
                f"{self.ntime:08x}",
                self.clean_jobs,
            ),
        )


class JobFactory:
    """Turns block templates into jobs with unique ids.

    The coinbase's extranonce slot is `extranonce1_size + extranonce2_size`
    bytes; the allocator hands out extranonce1 and miners roll extranonce2.
    """

    def __init__(
        self,
        *,
        extranonce1_size: int,
        extranonce2_size: int,
        pool_tag: bytes = b"",
        first_seq: int = 1,
    ) -> None:
        self.extranonce1_size = extranonce1_size
        self.extranonce2_size = extranonce2_size
        self.pool_tag = pool_tag
        self._next_seq = first_seq
        # Per-address (SOLO) jobs share one template: its branch and body are built once.
        self._cached: tuple[BlockTemplate, tuple[bytes, ...], BlockBody] | None = None
        self._generation = 0

    def create(
        self,
        template: BlockTemplate,
        outputs: Sequence[CoinbaseOutput],
        *,
        clean_jobs: bool,
    ) -> Job:
        """Build a job paying `outputs`; their values must add up to the coinbase value."""
        paid = sum(output.value for output in outputs)
        if paid != template.coinbase_value:
            raise ValueError(f"outputs pay {paid} sat, template allows {template.coinbase_value}")
        parts = self.build_coinbase(template, outputs)
        return self.job_from_parts(template, parts, clean_jobs=clean_jobs)

    def build_coinbase(
        self, template: BlockTemplate, outputs: Sequence[CoinbaseOutput]
    ) -> CoinbaseParts:
        return build_coinbase(
            height=template.height,
            outputs=outputs,
            extranonce1_size=self.extranonce1_size,
            extranonce2_size=self.extranonce2_size,
            pool_tag=self.pool_tag,
            witness_commitment=template.witness_commitment,
            aux_script=template.coinbase_aux,
        )

    def job_from_parts(
        self, template: BlockTemplate, parts: CoinbaseParts, *, clean_jobs: bool
    ) -> Job:
        seq = self._take_seq()
        branch, body = self._template_parts(template)
        return Job(
            job_id=f"{seq:x}",
            seq=seq,
            generation=self._generation,
            prev_hash=template.prev_hash,
            coinb1=parts.coinb1,
            coinb2=parts.coinb2,
            merkle_branch=branch,
            version=template.version,
            bits=template.bits,
            ntime=template.curtime,
            clean_jobs=clean_jobs,
            min_ntime=template.mintime or template.curtime,
            height=template.height,
            coinbase_value=template.coinbase_value,
            body=body,
        )

    def _template_parts(self, template: BlockTemplate) -> tuple[tuple[bytes, ...], BlockBody]:
        if self._cached is not None and self._cached[0] is template:
            return self._cached[1], self._cached[2]
        branch = tuple(coinbase_merkle_branch(template.txids))
        body = BlockBody(
            segwit=template.witness_commitment is not None,
            transactions=tuple(tx.data for tx in template.transactions),
        )
        self._cached = (template, branch, body)
        self._generation += 1
        return branch, body

    def _take_seq(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        return seq
