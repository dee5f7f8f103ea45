"""The set of jobs miners may still submit shares for.

A new block (a job with ``clean_jobs``) retires every older job at once:
shares for them are stale. Template refreshes without a new block keep the
previous few generations alive, since miners finish the work they have, but
no more than `keep_generations`, so memory stays bounded. Retired job ids are
remembered (boundedly) to tell "stale" from "never existed".
"""

from __future__ import annotations

from collections import OrderedDict, deque

from loka_stratum.mining.job import Job


class JobBook:
    def __init__(self, *, keep_generations: int = 4, remember_retired: int = 4096) -> None:
        if keep_generations < 1:
            raise ValueError("keep_generations must be at least 1")
        self._keep = keep_generations
        self._active: OrderedDict[str, Job] = OrderedDict()
        self._retired_ids: set[str] = set()
        self._retired_order: deque[str] = deque(maxlen=remember_retired)
        self._latest: Job | None = None

    @property
    def latest(self) -> Job | None:
        return self._latest

    def __len__(self) -> int:
        return len(self._active)

    def get(self, job_id: str) -> Job | None:
        return self._active.get(job_id)

    def is_stale(self, job_id: str) -> bool:
        """True if the job existed and has been retired."""
        return job_id in self._retired_ids

    def add(self, job: Job) -> list[Job]:
        """Make `job` current; return the jobs this retired."""
        if job.job_id in self._active or job.job_id in self._retired_ids:
            raise ValueError(f"job id {job.job_id!r} reused")
        # A new block retires everything older; a refresh keeps the last few templates.
        oldest_kept = job.generation if job.clean_jobs else job.generation - self._keep + 1
        retired = [old for old in self._active.values() if old.generation < oldest_kept]
        for old in retired:
            self._retire(old)
        self._active[job.job_id] = job
        self._latest = job
        return retired

    def retire_all(self) -> list[Job]:
        """Retire every job (e.g. the work source lost its chain tip)."""
        retired = list(self._active.values())
        for old in retired:
            self._retire(old)
        self._latest = None
        return retired

    def _retire(self, job: Job) -> None:
        del self._active[job.job_id]
        if len(self._retired_order) == self._retired_order.maxlen:
            self._retired_ids.discard(self._retired_order[0])
        self._retired_order.append(job.job_id)
        self._retired_ids.add(job.job_id)
        job.seen.clear()
        job.roots.clear()
