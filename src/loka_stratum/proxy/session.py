"""A miner connected to the proxy: work from an upstream channel, shares checked here first.

Subscribe waits (bounded) for a channel with room: an upstream connection with a job
and a free extranonce prefix; the proxy opens another channel when all are full.
Authorize asks the upstream for the rewritten worker name on the miner's channel, so
a name the upstream refuses is refused to the miner too. Submit is validated locally
against the miner's own difficulty and answered at once; a share that also meets the
upstream difficulty is then forwarded, and the upstream's verdict is counted apart
(per worker and upstream) without ever changing the answer the miner already has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from loka_stratum.bitcoin.target import DIFF1_TARGET
from loka_stratum.mining.work import MinerWork, ShareTarget
from loka_stratum.protocol import (
    Authorize,
    AuthorizeResult,
    Reconnect,
    Response,
    SetExtranonce,
    SetVersionMask,
    StratumErrorCode,
    Submit,
    Subscribe,
    SubscribeResult,
)
from loka_stratum.protocol.wire import JsonValue
from loka_stratum.proxy.channel import Channel
from loka_stratum.proxy.context import ProxyContext
from loka_stratum.proxy.subdivision import MinerExtranonce
from loka_stratum.server.identity import IdentityError, MinerIdentity, parse_username
from loka_stratum.server.session_base import BaseSession, hex_or_none


class ProxySession(BaseSession[ProxyContext]):
    def __init__(self, context: ProxyContext, port: int, start_difficulty: float) -> None:
        super().__init__(context, port, start_difficulty)
        self.channel: Channel | None = None
        self.passwords: dict[str, str | None] = {}
        self._subscribing: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def connection_lost(self, exc: Exception | None) -> None:
        for task in self._tasks:
            task.cancel()
        super().connection_lost(exc)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- handshake ----------------------------------------------------------

    def _offered_version_mask(self) -> int:
        return self._policy.version_mask & self.context.upstream_version_mask()

    def _on_subscribe(self, msg_id: JsonValue, request: Subscribe) -> None:
        self.user_agent = request.user_agent
        if self.extranonce1 is not None and self.work is not None:
            result = SubscribeResult.create(
                self.extranonce1.hex(), self.extranonce1, self.work.extranonce2_size
            )
            self._respond(Response(msg_id, result))
            return
        if self._subscribing is not None:
            self._respond(Response.reject(msg_id, StratumErrorCode.OTHER, "Subscribe pending"))
            return
        resume = hex_or_none(request.session_id)
        self._subscribing = self._spawn(self._subscribe(msg_id, resume))

    async def _subscribe(self, msg_id: JsonValue, resume: bytes | None) -> None:
        claimed = await self.context.claim(self, resume)
        if claimed is None:
            self._respond(
                Response.reject(msg_id, StratumErrorCode.OTHER, "No upstream pool available")
            )
            self._log.warning("No upstream for a miner", error_type="no_upstream")
            self.close("no-upstream")
            return
        channel, slot = claimed
        self.channel = channel
        self._take_extranonce(slot)
        assert self.extranonce1 is not None
        result = SubscribeResult.create(
            self.extranonce1.hex(), self.extranonce1, slot.extranonce2_size
        )
        self._respond(Response(msg_id, result))
        self._log = self._log.bind(session_id=self.extranonce1.hex(), upstream=channel.name)
        self._maybe_start_work()

    def _take_extranonce(self, slot: MinerExtranonce) -> None:
        if self.channel is not None:
            self._narrow_version_mask(self.channel.version_mask)
        target = ShareTarget.for_difficulty(self.vardiff.difficulty)
        self.extranonce1 = slot.extranonce1
        self.work = MinerWork(
            slot.extranonce1, slot.extranonce2_size, target, version_mask=self._version_mask
        )

    def _narrow_version_mask(self, granted: int) -> None:
        """Roll no more than this miner's upstream grants: its configure may have been
        answered before any upstream was connected, or for another upstream."""
        narrowed = self._version_mask & granted
        if narrowed != self._version_mask:
            self._version_mask = narrowed
            self._write(self._conn.send(SetVersionMask(narrowed)))

    def _on_authorize(self, msg_id: JsonValue, request: Authorize) -> None:
        try:
            identity = parse_username(request.username, solo=False, network=self.context.network)
        except IdentityError as exc:
            self._respond(Response.reject(msg_id, StratumErrorCode.UNAUTHORIZED, str(exc)))
            self._log.warning(
                "mining.authorize rejected", error_type="invalid_username", reason=str(exc)
            )
            return
        self._spawn(self._authorize(msg_id, request, identity))

    async def _authorize(
        self, msg_id: JsonValue, request: Authorize, identity: MinerIdentity
    ) -> None:
        if self._subscribing is not None:
            await asyncio.shield(self._subscribing)
        channel = self.channel
        if channel is not None and not await channel.authorize(
            *channel.credentials(request.username, request.password)
        ):
            self._respond(
                Response.reject(msg_id, StratumErrorCode.UNAUTHORIZED, "Refused upstream")
            )
            self._log.warning(
                "mining.authorize refused upstream",
                error_type="upstream_unauthorized",
                upstream=channel.name,
            )
            return
        self.identities[request.username] = identity
        self.passwords[request.username] = request.password
        if self.primary is None:
            self.primary = identity
            self._log = self._log.bind(worker=identity.name)
        self._respond(Response(msg_id, AuthorizeResult(True, request.username)))
        self._log.info("mining.authorize", worker=identity.name)
        self._maybe_start_work()

    def _maybe_start_work(self) -> None:
        channel = self.channel
        if self.work is None or self.primary is None or self.last_job is not None:
            return
        if channel is None:
            return
        self._begin_work(channel.current)
        self.active = True  # no job yet (passthrough): the upstream's first one is broadcast

    @property
    def can_take_extranonce(self) -> bool:
        """Whether a new extranonce can reach this miner (`mining.set_extranonce`)."""
        return self._transport is not None and self.extranonce_subscribed and self.work is not None

    def rehome(self, slot: MinerExtranonce | None) -> None:
        """The channel has a new upstream extranonce: move this miner onto it.

        Miners that asked for `mining.set_extranonce` get it (their next job follows);
        the others are asked to reconnect, which gets them a new subscription.
        """
        if self._transport is None:
            return
        if slot is None or not self.can_take_extranonce:
            self._write(self._conn.send(Reconnect()))
            self.close("upstream-changed")
            return
        self._take_extranonce(slot)
        self._write(self._conn.send(SetExtranonce(slot.extranonce1, slot.extranonce2_size)))
        self.last_job = None

    # -- shares -------------------------------------------------------------

    def _on_submit(self, msg_id: JsonValue, request: Submit) -> None:
        context = self.context
        work, channel = self.work, self.channel
        identity = self.identities.get(request.worker)
        if work is None or identity is None or channel is None:
            self._respond(Response.reject(msg_id, StratumErrorCode.UNAUTHORIZED))
            return
        now = context.clock()
        started = context.monotonic()
        result = channel.validator.validate(request, work, now)
        reason = result.reason
        is_block = (
            result.hash is not None
            and result.job is not None
            and int.from_bytes(result.hash, "little") <= result.job.network_target
        )
        self._answer_share(msg_id, request, identity, result, now, is_block=is_block)
        if reason is None:
            self._forward(channel, request, work, identity, result.share_difficulty, is_block)
        context.submit_observed(context.monotonic() - started)

    def _forward(
        self,
        channel: Channel,
        request: Submit,
        work: MinerWork,
        identity: MinerIdentity,
        achieved: float,
        block: bool,
    ) -> None:
        """Send the share up when it meets the upstream difficulty of its job."""
        upstream_job = channel.jobs.get(request.job_id)
        if upstream_job is None:
            return
        needed = min(upstream_job.upstream_difficulty, channel.upstream_difficulty)
        if achieved < needed:
            return
        extranonce2 = channel.upstream_extranonce2(
            work.extranonce1, bytes.fromhex(request.extranonce2)
        )
        if extranonce2 is None:
            return
        username, password = channel.credentials(request.worker, self.passwords.get(request.worker))
        self.context.forward(
            channel,
            identity,
            block=block,
            difficulty=needed,
            submit=channel.submit(
                username,
                password,
                upstream_job,
                extranonce2,
                request.ntime,
                request.nonce,
                request.version_bits,
            ),
        )

    def _network_difficulty(self) -> float | None:
        channel = self.channel
        current = None if channel is None else channel.current
        if current is None:
            return None
        return DIFF1_TARGET / current.job.network_target
