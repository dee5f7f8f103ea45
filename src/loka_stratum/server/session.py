"""A pool miner's connection: work from the pool's own templates.

Subscribe takes an extranonce1 from the pool's allocator; authorize parses the
username (SOLO: a payout address); submit validates against the pool's jobs,
answers at once, hands a block to the block handler and the share to the sink.
"""

from __future__ import annotations

from loka_stratum.mining.vardiff import password_difficulty
from loka_stratum.mining.work import MinerWork, ShareTarget
from loka_stratum.protocol import (
    Authorize,
    AuthorizeResult,
    Response,
    StratumErrorCode,
    Submit,
    Subscribe,
    SubscribeResult,
)
from loka_stratum.protocol.wire import JsonValue
from loka_stratum.server.context import PoolContext
from loka_stratum.server.identity import IdentityError, parse_username
from loka_stratum.server.session_base import BaseSession, hex_or_none


class StratumSession(BaseSession[PoolContext]):
    def _on_subscribe(self, msg_id: JsonValue, request: Subscribe) -> None:
        context = self.context
        self.user_agent = request.user_agent
        if self.extranonce1 is None:
            resume = hex_or_none(request.session_id)
            extranonce1 = context.allocate_extranonce(resume)
            if extranonce1 is None:
                self._respond(Response.reject(msg_id, StratumErrorCode.OTHER, "Pool is full"))
                self.close("extranonce-exhausted")
                return
            self.extranonce1 = extranonce1
            self.work = MinerWork(
                extranonce1,
                self._policy.extranonce2_size,
                ShareTarget.for_difficulty(self.vardiff.difficulty),
                version_mask=self._version_mask,
            )
            self._log = self._log.bind(session_id=extranonce1.hex())
        result = SubscribeResult.create(
            self.extranonce1.hex(), self.extranonce1, self._policy.extranonce2_size
        )
        self._respond(Response(msg_id, result))
        self._log.debug("mining.subscribe", user_agent=request.user_agent)
        self._maybe_start_work()

    def _on_authorize(self, msg_id: JsonValue, request: Authorize) -> None:
        try:
            identity = parse_username(
                request.username, solo=self._policy.solo, network=self.context.network
            )
        except IdentityError as exc:
            self._respond(Response.reject(msg_id, StratumErrorCode.UNAUTHORIZED, str(exc)))
            self._log.warning(
                "mining.authorize rejected",
                username=request.username[:128],
                error_type="invalid_username",
                reason=str(exc),
            )
            return
        self.identities[request.username] = identity
        fixed = password_difficulty(request.password)
        if fixed is not None and self.primary is None:
            self._change_difficulty(
                self.vardiff.fix(fixed, self.context.clock(), self._network_difficulty())
            )
        if self.primary is None:
            self.primary = identity
            self.payout_script = identity.payout_script
            self._log = self._log.bind(worker=identity.name)
        self._respond(Response(msg_id, AuthorizeResult(True, request.username)))
        self._log.info("mining.authorize", worker=identity.name)
        self._maybe_start_work()

    def _on_submit(self, msg_id: JsonValue, request: Submit) -> None:
        context = self.context
        work = self.work
        identity = self.identities.get(request.worker)
        if work is None or identity is None:  # the state table makes this unreachable
            self._respond(Response.reject(msg_id, StratumErrorCode.UNAUTHORIZED))
            return
        now = context.clock()
        started = context.monotonic()
        result = context.validator.validate(request, work, now)
        self._answer_share(msg_id, request, identity, result, now)
        if result.block is not None:
            context.blocks.block_found(result, identity)
        context.submit_observed(context.monotonic() - started)

    def _maybe_start_work(self) -> None:
        """Once subscribed and authorized, the miner gets its difficulty and a job."""
        if self.work is None or self.primary is None or self.last_job is not None:
            return
        self._begin_work(self.context.jobs.job_for(self.payout_script))

    def _network_difficulty(self) -> float | None:
        return self.context.jobs.network_difficulty
