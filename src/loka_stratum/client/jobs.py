"""Which work to hash and which found shares may still be submitted (no I/O).

The pool moves the ground under the miner with four messages: a new job, a clean
job, a new extranonce and a new version mask. `JobTracker` turns them into `Work`
values and remembers the live ones: a share is submitted only if the `Work` it was
found under is still the live work of its job. Shares of jobs a clean notify
dropped, or of work built with a replaced extranonce or mask, would only be
rejected, so they are not sent.
"""

from __future__ import annotations

from loka_stratum.client.work import Work
from loka_stratum.protocol import Notify


class JobTracker:
    """The session's mining parameters and its live jobs."""

    def __init__(self, requested_mask: int) -> None:
        self._requested_mask = requested_mask
        self._rolling = False
        self._mask = 0
        self._extranonce: tuple[bytes, int] | None = None
        self._next_extranonce: tuple[bytes, int] | None = None
        self._notify: Notify | None = None
        self._live: dict[str, Work] = {}

    @property
    def version_mask(self) -> int:
        """The bits being rolled; 0 when version rolling was not negotiated."""
        return self._mask

    @property
    def subscribed(self) -> bool:
        return self._extranonce is not None

    def subscribe(self, extranonce1: bytes, extranonce2_size: int) -> None:
        self._extranonce = (extranonce1, extranonce2_size)

    def negotiate(self, mask: int | None) -> None:
        """The pool's BIP310 answer: the mask it allows, or None when it refused."""
        if mask is not None:
            self._rolling = True
            self._mask = mask & self._requested_mask

    def set_version_mask(self, mask: int) -> bool:
        """A new mask (applies at once); False when rolling was never negotiated."""
        if not self._rolling:
            return False
        self._mask = mask & self._requested_mask
        return True

    def set_extranonce(self, extranonce1: bytes, extranonce2_size: int) -> None:
        """A new extranonce for the jobs that follow, as NiceHash specifies."""
        self._next_extranonce = (extranonce1, extranonce2_size)

    def notify(self, notify: Notify) -> None:
        """A new job; a clean one (or a new extranonce) retires every older job."""
        if notify.clean_jobs:
            self._live.clear()
        if self._next_extranonce is not None:
            self._extranonce, self._next_extranonce = self._next_extranonce, None
            self._live.clear()
        self._notify = notify

    def work(self) -> Work | None:
        """Work for the newest job under the current parameters, now the live one.

        None before a job and a subscription; raises ValueError for a malformed notify.
        """
        notify, extranonce = self._notify, self._extranonce
        if notify is None or extranonce is None:
            return None
        work = Work.from_notify(notify, extranonce[0], extranonce[1], self._mask)
        self._live[work.job_id] = work
        return work

    def is_live(self, work: Work) -> bool:
        """Whether shares found under `work` may still be submitted."""
        return self._live.get(work.job_id) is work
