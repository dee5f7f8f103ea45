"""Job distribution: templates become jobs, each encoded once for every miner it goes to.

In pool mode every miner gets the same job (the coinbase pays the pool). In
SOLO mode the coinbase pays the miner's own address, so there is one job per
payout script per template; each is still built and encoded only once, on
first demand, and shared by every session with that script.
"""

from __future__ import annotations

from dataclasses import dataclass

from loka_stratum.bitcoin.coinbase import CoinbaseOutput
from loka_stratum.bitcoin.target import bits_to_difficulty
from loka_stratum.mining.job import Job, JobFactory
from loka_stratum.mining.jobbook import JobBook
from loka_stratum.mining.template import BlockTemplate
from loka_stratum.protocol import EncodedNotification, Notify
from loka_stratum.sources.base import TemplateUpdate


@dataclass(frozen=True, slots=True)
class PreparedJob:
    job: Job
    notify: EncodedNotification


class JobDistributor:
    def __init__(self, factory: JobFactory, book: JobBook, *, pool_script: bytes | None) -> None:
        self._factory = factory
        self._book = book
        self._pool_script = pool_script
        self._template: BlockTemplate | None = None
        self._clean = True
        self._prepared: dict[bytes, PreparedJob] = {}

    @property
    def template(self) -> BlockTemplate | None:
        return self._template

    @property
    def network_difficulty(self) -> float | None:
        return None if self._template is None else bits_to_difficulty(self._template.bits)

    def update(self, update: TemplateUpdate) -> None:
        """A new template: jobs are built lazily, per payout script, by `job_for`."""
        self._template = update.template
        self._clean = update.new_block
        self._prepared = {}

    def job_for(self, payout_script: bytes | None) -> PreparedJob | None:
        """The current job paying `payout_script` (the pool's when None), or None before work."""
        script = payout_script if payout_script is not None else self._pool_script
        if script is None:
            raise ValueError("no payout script: SOLO sessions must bring their own")
        prepared = self._prepared.get(script)
        if prepared is not None:
            return prepared
        template = self._template
        if template is None:
            return None
        outputs = [CoinbaseOutput(template.coinbase_value, script)]
        job = self._factory.create(template, outputs, clean_jobs=self._clean)
        self._book.add(job)
        prepared = PreparedJob(job, EncodedNotification.of(Notify(*job.notify_params)))
        self._prepared[script] = prepared
        return prepared
