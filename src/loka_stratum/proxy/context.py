"""Proxy mode's shared parts: the upstream channels, job broadcast, and share forwarding.

Aggregate mode (the default) starts one channel and opens another when the open ones
are full or about to be (`GROW_WHEN_FREE` prefixes left), up to
`[pool] connection_pool_size`. Passthrough mode opens one channel per miner at
subscribe and closes it when the miner leaves.

Forwarded shares run as tasks; each ends in exactly one `VerdictRecord` (accepted,
rejected, stale, or unanswered when the upstream timed out or was gone), recorded
before the share batcher stops (`drain`), so no verdict is lost or counted twice.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, cast

from loka_stratum.bitcoin.target import bits_to_difficulty
from loka_stratum.config.proxy import PoolSettings
from loka_stratum.mining.template import BlockTemplate
from loka_stratum.observability.loggers import get_logger
from loka_stratum.observability.metrics import Metrics
from loka_stratum.protocol import StratumErrorCode
from loka_stratum.proxy.channel import Channel
from loka_stratum.proxy.endpoint import endpoints
from loka_stratum.proxy.failover import UpstreamPool
from loka_stratum.proxy.subdivision import MinerExtranonce
from loka_stratum.proxy.types import PoolEvent, PoolHealth, UpstreamOptions, UpstreamVerdict
from loka_stratum.proxy.types import VerdictKind as Kind
from loka_stratum.server.jobs import PreparedJob
from loka_stratum.server.policy import SessionPolicy
from loka_stratum.server.registry import ServerContext
from loka_stratum.storage.shares import ShareRecord
from loka_stratum.storage.verdicts import Verdict, VerdictRecord

if TYPE_CHECKING:
    from loka_stratum.proxy.session import ProxySession
    from loka_stratum.server.identity import MinerIdentity
    from loka_stratum.server.registry import AnySession

log = get_logger("loka_stratum.proxy")

GROW_WHEN_FREE = 8
"""Open the next channel once the last one has this few free prefixes left, so miners
arriving in a burst do not wait for an upstream handshake."""

CLAIM_SHARE = 0.9
"""Of the handshake window left at subscribe, how much a miner may wait for an upstream:
the rest lets it hear why before the session's handshake timer closes the connection."""

_VERDICTS = {
    Kind.ACCEPTED: Verdict.ACCEPTED,
    Kind.REJECTED: Verdict.REJECTED,
    Kind.STALE: Verdict.STALE,
    Kind.TIMEOUT: Verdict.UNANSWERED,
    Kind.DISCONNECTED: Verdict.UNANSWERED,
}
_REASONS: dict[int, str] = {
    StratumErrorCode.JOB_NOT_FOUND: "job-not-found",
    StratumErrorCode.DUPLICATE_SHARE: "duplicate",
    StratumErrorCode.LOW_DIFFICULTY: "low-difficulty",
    StratumErrorCode.UNAUTHORIZED: "unauthorized",
    StratumErrorCode.NOT_SUBSCRIBED: "not-subscribed",
}


class ProxyShareSink(Protocol):
    """Non-blocking: neither call may await or block the event loop."""

    def record(self, share: ShareRecord) -> None: ...

    def record_verdict(self, verdict: VerdictRecord) -> None: ...


PoolMaker = Callable[[PoolSettings, UpstreamOptions, Callable[[PoolEvent], None]], UpstreamPool]


def _from_settings(
    settings: PoolSettings, options: UpstreamOptions, on_event: Callable[[PoolEvent], None]
) -> UpstreamPool:
    return UpstreamPool.from_settings(settings, options, on_event=on_event)


class UpstreamJobs:
    """What the health and API surfaces read as "jobs": no block template (the upstream
    has it), and the network difficulty of the newest upstream job."""

    template: BlockTemplate | None = None

    def __init__(self, channels: list[Channel]) -> None:
        self._channels = channels

    @property
    def network_difficulty(self) -> float | None:
        for channel in self._channels:
            if channel.current is not None:
                return bits_to_difficulty(channel.current.job.bits)
        return None


class ProxyContext(ServerContext):
    def __init__(
        self,
        *,
        policy: SessionPolicy,
        shares: ProxyShareSink,
        metrics: Metrics,
        max_connections: int,
        upstreams: PoolSettings,
        options: UpstreamOptions,
        max_future_ntime: int,
        resume_window: float = 0.0,
        make_pool: PoolMaker = _from_settings,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            policy=policy,
            shares=shares,
            metrics=metrics,
            max_connections=max_connections,
            clock=clock,
            monotonic=monotonic,
        )
        self.sink = shares
        self.upstreams = upstreams
        self.options = options
        self.passthrough = upstreams.proxy_mode == "passthrough"
        self.channels: list[Channel] = []
        self.jobs = UpstreamJobs(self.channels)
        self.first_job = asyncio.Event()
        self.verdicts: Counter[tuple[str, Verdict]] = Counter()
        """(upstream, verdict) -> forwarded shares, for health and status."""
        self._make_pool = make_pool
        self._max_future_ntime = max_future_ntime
        self._resume_window = resume_window
        self._seq = itertools.count(1)
        self._forwards: set[asyncio.Task[None]] = set()
        self._started_at: float | None = None

    @property
    def has_upstreams(self) -> bool:
        return any(upstream.enabled for upstream in self.upstreams.upstreams)

    @property
    def upstreams_tried(self) -> bool:
        """Whether a channel has had time to try: before that the proxy is just starting."""
        return self._started_at is not None and self.clock() - self._started_at > (
            self.upstreams.connection_timeout
        )

    @property
    def has_work(self) -> bool:
        """Some channel is connected with a job (readiness)."""
        return any(channel.ready.is_set() for channel in self.channels)

    def on_failover(self) -> bool:
        """Whether a channel is on a lower-priority upstream than the first."""
        return any(channel.on_failover for channel in self.channels)

    def start(self) -> None:
        self._started_at = self.clock()
        if not self.has_upstreams:
            log.error("No enabled upstream pool", error_type="no_upstream")
        elif not self.passthrough:
            self._open_channel()

    async def stop(self) -> None:
        channels = list(self.channels)
        self.channels.clear()
        await asyncio.gather(*(channel.close() for channel in channels))

    def apply_upstreams(self, upstreams: PoolSettings) -> None:
        """A reloaded upstream list: new channels use it, and open ones follow it (a
        connection to an upstream no longer listed is closed and replaced)."""
        self.upstreams = upstreams
        listed = endpoints(upstreams)
        if not listed:
            log.error("Reload left no enabled upstream; channels keep their connections")
            return
        for channel in self.channels:
            channel.pool.replace_endpoints(listed)
        if not self.passthrough and not self.channels:
            self._open_channel()

    # -- miners onto channels ------------------------------------------------------

    async def claim(
        self, session: ProxySession, resume: bytes | None
    ) -> tuple[Channel, MinerExtranonce] | None:
        """A channel and extranonce for a subscribing miner; None if none comes in time."""
        if not self.has_upstreams:
            return None
        window = self.policy.handshake_timeout - (self.clock() - session.connected_at)
        try:
            async with asyncio.timeout(max(0.0, window) * CLAIM_SHARE):
                if self.passthrough:
                    return await self._claim_own(session)
                return await self._claim_shared(session, resume)
        except TimeoutError:
            return None

    async def _claim_shared(
        self, session: ProxySession, resume: bytes | None
    ) -> tuple[Channel, MinerExtranonce] | None:
        while True:
            for channel in self.channels:
                slot = channel.claim(session, resume)
                if slot is not None:
                    self._grow_if_needed()
                    return channel, slot
            waiting = [channel for channel in self.channels if not channel.ready.is_set()]
            if not waiting:
                if len(self.channels) >= self.upstreams.connection_pool_size:
                    log.error("Every upstream channel is full", error_type="proxy_full")
                    return None
                waiting = [self._open_channel()]
            await _first_ready(waiting)

    async def _claim_own(self, session: ProxySession) -> tuple[Channel, MinerExtranonce] | None:
        if len(self.channels) >= self.upstreams.connection_pool_size:
            log.error("Passthrough connection limit reached", error_type="proxy_full")
            return None
        channel = self._open_channel()
        try:
            await channel.connected.wait()
        except BaseException:
            self._close_channel(channel)
            raise
        slot = channel.claim(session, None)
        return None if slot is None else (channel, slot)

    def _grow_if_needed(self) -> None:
        if len(self.channels) >= self.upstreams.connection_pool_size:
            return
        if any(not c.ready.is_set() or c.free > GROW_WHEN_FREE for c in self.channels):
            return
        self._open_channel()

    def _open_channel(self) -> Channel:
        channel = Channel(
            len(self.channels),
            lambda on_event: self._make_pool(self.upstreams, self.options, on_event),
            whole=self.passthrough,
            separator=self.upstreams.worker_separator,
            next_seq=self._seq.__next__,
            on_job=self._broadcast,
            clock=self.clock,
            max_future_ntime=self._max_future_ntime,
            resume_window=self._resume_window,
        )
        self.channels.append(channel)
        channel.start()
        log.info("Upstream channel opened", channel=channel.index, total=len(self.channels))
        return channel

    def _close_channel(self, channel: Channel) -> None:
        if channel in self.channels:
            self.channels.remove(channel)
        self._spawn(channel.close())

    def forget(self, session: AnySession, reason: str) -> bool:
        if not super().forget(session, reason):
            return False
        proxy_session = cast("ProxySession", session)  # this context only admits those
        channel = proxy_session.channel
        if channel is not None:
            channel.release(proxy_session)
            if self.passthrough:
                self._close_channel(channel)
        return True

    def upstream_version_mask(self) -> int:
        """What miners may roll: the connected upstream's grant, else what we ask for."""
        for channel in self.channels:
            if channel.conn is not None:
                return channel.version_mask
        return self.options.version_mask or 0

    # -- jobs down ------------------------------------------------------------------

    def _broadcast(self, channel: Channel, prepared: PreparedJob) -> None:
        started = self.monotonic()
        now = self.clock()
        network_difficulty = bits_to_difficulty(prepared.job.bits)
        fanout = self.fanout.begin()
        for session in channel.sessions:
            if session.active and session.take_job(prepared, now, network_difficulty):
                fanout.add(session.fd, prepared.notify.line, session)
        for written, rest in fanout.finish():
            written.finish_write(rest)
        seconds = self.monotonic() - started
        self.counters.broadcasts += 1
        self.counters.last_broadcast_seconds = seconds
        self.metrics.job_distributed(clean=prepared.job.clean_jobs, seconds=seconds)
        self.first_job.set()

    # -- shares up ------------------------------------------------------------------

    def forward(
        self,
        channel: Channel,
        identity: MinerIdentity,
        *,
        block: bool,
        difficulty: float,
        submit: Coroutine[Any, Any, UpstreamVerdict],
    ) -> None:
        """Count the share forwarded and record the upstream's verdict when it comes."""
        upstream = channel.name
        self.metrics.upstream(upstream).share_forwarded()
        self._spawn(self._verdict(upstream, identity, block, difficulty, submit))

    async def _verdict(
        self,
        upstream: str,
        identity: MinerIdentity,
        block: bool,
        difficulty: float,
        submit: Coroutine[Any, Any, UpstreamVerdict],
    ) -> None:
        started = self.monotonic()
        verdict = await submit
        metrics = self.metrics.upstream(upstream)
        kind = _VERDICTS[verdict.kind]
        if kind is Verdict.ACCEPTED:
            metrics.verdict_seconds(self.monotonic() - started)
            metrics.share_accepted()
        elif kind is Verdict.UNANSWERED:
            metrics.share_rejected("timeout")
        else:
            error = verdict.error
            reason = "other" if error is None else _REASONS.get(error.code, "other")
            if kind is Verdict.STALE:
                reason = "job-not-found"
            metrics.verdict_seconds(self.monotonic() - started)
            metrics.share_rejected(reason)
            log.info(
                "Upstream rejected a share",
                upstream=upstream,
                worker=identity.name,
                error_type=f"upstream_{kind.value}",
                code=None if error is None else error.code,
                message=None if error is None else error.message[:120],
            )
        if block:
            log.warning(
                "Block candidate forwarded", upstream=upstream, worker=identity.name, verdict=kind
            )
        self.verdicts[(upstream, kind)] += 1
        self.sink.record_verdict(
            VerdictRecord(
                upstream=upstream,
                account=identity.account,
                worker=identity.worker,
                created_at=self.clock(),
                verdict=kind,
                difficulty=difficulty,
            )
        )

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._forwards.add(task)
        task.add_done_callback(self._forwards.discard)

    async def drain(self) -> None:
        """Wait for every forwarded share's verdict (each submit has its own timeout)."""
        while self._forwards:
            await asyncio.gather(*list(self._forwards), return_exceptions=True)

    # -- health -------------------------------------------------------------------------

    def health(self) -> list[PoolHealth]:
        return [channel.pool.health() for channel in self.channels]


async def _first_ready(channels: list[Channel]) -> None:
    waits = [asyncio.ensure_future(channel.ready.wait()) for channel in channels]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
