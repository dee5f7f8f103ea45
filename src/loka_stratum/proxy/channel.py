"""One upstream connection slot: its failover loop, extranonce split, jobs and miners.

In aggregate mode a channel carries as many miners as its extranonce split allows
(`ExtranonceSplit`); the proxy opens more channels when one is full. In passthrough
mode each miner has a channel of its own with the whole extranonce space.

A channel follows its `UpstreamPool`: each new connection (first connect,
reconnect, failover, fail-back, `client.reconnect`) or `mining.set_extranonce`
brings a new upstream extranonce1, so the split is rebuilt, every job retired, and
every miner re-homed (`mining.set_extranonce` for miners that subscribed to it,
`client.reconnect` for the others). Upstream jobs are translated once and broadcast
to the channel's miners; shares go up under the rewritten worker name, authorized
on the current connection before the first one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from loka_stratum.mining.jobbook import JobBook
from loka_stratum.mining.validator import ShareValidator
from loka_stratum.observability.loggers import get_logger
from loka_stratum.protocol import (
    EncodedNotification,
    Notify,
    SetDifficulty,
    SetExtranonce,
    SetVersionMask,
    StratumError,
    StratumErrorCode,
)
from loka_stratum.proxy.failover import UpstreamPool
from loka_stratum.proxy.subdivision import ExtranonceSplit, MinerExtranonce
from loka_stratum.proxy.translate import BadUpstreamJobError, UpstreamJob, translate_notify
from loka_stratum.proxy.types import (
    DISCONNECTED,
    Disconnected,
    PoolEvent,
    Switched,
    UpstreamVerdict,
    VerdictKind,
)
from loka_stratum.proxy.upstream import UpstreamConnection
from loka_stratum.server.jobs import PreparedJob

if TYPE_CHECKING:
    from loka_stratum.proxy.session import ProxySession

log = get_logger("loka_stratum.proxy")

KEEP_GENERATIONS = 8
"""Non-clean upstream jobs kept valid: pools refresh jobs without a new block and accept
shares for the recent ones until the next clean job."""
UNAUTHORIZED = UpstreamVerdict(VerdictKind.REJECTED, StratumError.of(StratumErrorCode.UNAUTHORIZED))

PoolFactory = Callable[[Callable[[PoolEvent], None]], UpstreamPool]
"""Builds a channel's failover loop around the channel's event handler."""


class Channel:
    def __init__(
        self,
        index: int,
        make_pool: PoolFactory,
        *,
        whole: bool,
        separator: str,
        next_seq: Callable[[], int],
        on_job: Callable[[Channel, PreparedJob], None],
        clock: Callable[[], float],
        max_future_ntime: int,
        resume_window: float,
    ) -> None:
        self.index = index
        self.whole = whole
        """Passthrough: one miner, no split."""
        self.pool = make_pool(self._on_event)
        self.separator = separator
        self.conn: UpstreamConnection | None = None
        self.last_upstream = self.pool.endpoints[0].name
        self.split: ExtranonceSplit | None = None
        self.book = JobBook(keep_generations=KEEP_GENERATIONS)
        self.validator = ShareValidator(self.book, max_future_ntime=max_future_ntime)
        self.jobs: dict[str, UpstreamJob] = {}
        """Our job id -> the upstream job it stands for."""
        self.current: PreparedJob | None = None
        self.upstream_difficulty = 1.0
        self.sessions: set[ProxySession] = set()
        self.ready = asyncio.Event()
        """Set while connected with a job: miners can be given work."""
        self.connected = asyncio.Event()
        """Set while connected: enough for a passthrough miner, whose own authorize may be
        what makes its upstream send the first job."""
        self._authorized: dict[str, asyncio.Future[bool]] = {}
        self._next_seq = next_seq
        self._on_job = on_job
        self._clock = clock
        self._resume_window = resume_window
        self._generation = 0

    @property
    def name(self) -> str:
        """The upstream this channel is (or was last) connected to."""
        return self.last_upstream

    @property
    def version_mask(self) -> int:
        """The bits the current upstream lets us roll (0: none)."""
        conn = self.conn
        return 0 if conn is None or conn.version_mask is None else conn.version_mask

    @property
    def on_failover(self) -> bool:
        """Connected to an upstream other than the most preferred one."""
        return self.conn is not None and self.conn.endpoint.name != self.pool.endpoints[0].name

    @property
    def free(self) -> int:
        """Miners this channel can still take on its current connection."""
        split = self.split
        return 0 if split is None else split.capacity - split.in_use

    def credentials(self, username: str, password: str | None) -> tuple[str, str | None]:
        """The name and password a miner's shares go up under.

        With an upstream account configured: ``ACCOUNT<sep>MINER_USERNAME`` and the
        account's password, so the upstream pool shows every miner as a worker of the
        account. Without one: the miner's own credentials, unchanged.
        """
        conn = self.conn
        endpoint = conn.endpoint if conn is not None else self.pool.endpoints[0]
        if endpoint.username:
            return f"{endpoint.username}{self.separator}{username}", endpoint.password
        return username, password

    def start(self) -> None:
        self.pool.start()

    async def close(self) -> None:
        await self.pool.close()

    # -- miners -------------------------------------------------------------

    def claim(self, session: ProxySession, resume: bytes | None) -> MinerExtranonce | None:
        """An extranonce for `session` on this channel, or None when full or not ready."""
        split = self.split
        if split is None or not (self.connected if self.whole else self.ready).is_set():
            return None
        slot = split.allocate(self._clock(), resume)
        if slot is not None:
            self.sessions.add(session)
        return slot

    def release(self, session: ProxySession) -> None:
        """A miner of this split left. One sent away at a re-home is no longer ours: its
        extranonce1 is of an older split and may equal a live miner's prefix in this one."""
        if session not in self.sessions:
            return
        self.sessions.discard(session)
        if self.split is not None and session.extranonce1 is not None:
            self.split.release(session.extranonce1, self._clock())

    def upstream_extranonce2(self, extranonce1: bytes, extranonce2: bytes) -> bytes | None:
        """The extranonce2 the upstream must see for a miner's share (None: not ours)."""
        split = self.split
        if split is None:
            return None
        try:
            return split.upstream_extranonce2(extranonce1, extranonce2)
        except ValueError:
            return None

    # -- shares up --------------------------------------------------------------

    async def authorize(self, username: str, password: str | None) -> bool:
        """Authorize `username` on the current connection, once per connection."""
        conn = self.conn
        if conn is None:
            return False
        pending = self._authorized.get(username)
        if pending is None:
            pending = asyncio.ensure_future(conn.authorize(username, password))
            self._authorized[username] = pending
        ok = await asyncio.shield(pending)
        if not ok and self._authorized.get(username) is pending:
            del self._authorized[username]  # refused or timed out: the next share asks again
        return ok

    async def submit(
        self,
        username: str,
        password: str | None,
        upstream_job: UpstreamJob,
        extranonce2: bytes,
        ntime: str,
        nonce: str,
        version_bits: str | None,
    ) -> UpstreamVerdict:
        conn = self.conn
        if conn is None:
            return DISCONNECTED
        if not await self.authorize(username, password):
            return DISCONNECTED if conn.closed else UNAUTHORIZED
        return await conn.submit(
            username,
            upstream_job.upstream_job_id,
            extranonce2.hex(),
            ntime,
            nonce,
            version_bits,
        )

    # -- upstream events ------------------------------------------------------

    def _on_event(self, event: PoolEvent) -> None:
        if isinstance(event, Notify):
            self._on_notify(event)
        elif isinstance(event, Switched):
            self._adopt(event.connection, "switched")
        elif isinstance(event, SetExtranonce):
            if self.conn is not None:
                # The new extranonce applies from the pool's next job, not its last one.
                self._adopt(self.conn, "set_extranonce", resend_job=False)
        elif isinstance(event, SetDifficulty):
            self.upstream_difficulty = event.difficulty
        elif isinstance(event, Disconnected):
            self.ready.clear()
            self.connected.clear()
            self.conn = None
        elif isinstance(event, SetVersionMask):
            log.info("Upstream version mask", upstream=self.name, mask=f"{self.version_mask:08x}")

    def _adopt(self, conn: UpstreamConnection, why: str, *, resend_job: bool = True) -> None:
        """A new upstream extranonce: new split, no old jobs, every miner re-homed."""
        self.conn = conn
        self.last_upstream = conn.endpoint.name
        self._authorized.clear()
        self.upstream_difficulty = conn.difficulty
        self.split = ExtranonceSplit(
            conn.extranonce1,
            conn.extranonce2_size,
            resume_window=self._resume_window,
            whole=self.whole,
        )
        self.book.retire_all()
        self.jobs.clear()
        self.current = None
        self.ready.clear()
        self.connected.set()
        log.info(
            "Upstream channel ready",
            channel=self.index,
            upstream=conn.endpoint.name,
            reason=why,
            extranonce1=conn.extranonce1.hex(),
            extranonce2_size=conn.extranonce2_size,
            prefix_width=self.split.width,
            miners=len(self.sessions),
        )
        now = self._clock()
        for session in list(self.sessions):
            slot = self.split.allocate(now) if session.can_take_extranonce else None
            if slot is None:
                self.sessions.discard(session)  # told to reconnect: it subscribes anew
            session.rehome(slot)
        if conn.notify is not None and resend_job:  # a new connection's latest job
            self._on_notify(conn.notify)

    def _on_notify(self, notify: Notify) -> None:
        if self.current is None and not notify.clean_jobs:
            # The first job on a new extranonce: every older job is retired, so say so.
            notify = replace(notify, clean_jobs=True)
        seq = self._next_seq()
        self._generation += 1
        try:
            upstream_job = translate_notify(
                notify,
                seq=seq,
                generation=self._generation,
                upstream_difficulty=self.upstream_difficulty,
            )
        except BadUpstreamJobError as exc:
            log.warning(
                "Upstream job refused", upstream=self.name, error_type="bad_job", reason=str(exc)
            )
            return
        job = upstream_job.job
        for retired in self.book.add(job):
            self.jobs.pop(retired.job_id, None)
        self.jobs[job.job_id] = upstream_job
        prepared = PreparedJob(job, EncodedNotification.of(Notify(*job.notify_params)))
        self.current = prepared
        self.ready.set()
        self._on_job(self, prepared)
