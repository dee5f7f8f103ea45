"""What the public API reads from a running pool (and the one thing it writes: the policy).

Structural types, as in `api.subject`: `app.PoolApp` satisfies `PublicPool`
as it is (mypy checks that where `app.run` hands it over), and the API stays
independent of how the pool is wired. Reads happen on the event loop thread,
the only thread that changes sessions, so they need no lock.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from loka_stratum.api.public.admin_payments import PaymentsAdmin
from loka_stratum.api.subject import HashrateView, ServerView
from loka_stratum.config import Settings
from loka_stratum.mining.template import BlockTemplate
from loka_stratum.server.policy import SessionPolicy
from loka_stratum.server.protection import ProtectionMode


class IdentityView(Protocol):
    @property
    def account(self) -> str: ...

    @property
    def worker(self) -> str: ...


class DifficultyView(Protocol):
    @property
    def difficulty(self) -> float:
        """The share difficulty the session currently mines at."""


class MinerSessionView(Protocol):
    @property
    def port(self) -> int: ...

    @property
    def ip(self) -> str:
        """The miner's IP address (who may change the miner's settings)."""

    @property
    def identities(self) -> Mapping[str, IdentityView]: ...

    @property
    def vardiff(self) -> DifficultyView: ...

    @property
    def connected_at(self) -> float:
        """Wall-clock time the connection was accepted."""


class WorkView(Protocol):
    @property
    def template(self) -> BlockTemplate | None: ...

    @property
    def network_difficulty(self) -> float | None: ...


class PolicyHolder(Protocol):
    """The pool context: sessions read `policy` through it on every use, so replacing
    it changes the limits for connected miners too."""

    policy: SessionPolicy

    @property
    def protection(self) -> ProtectionMode: ...

    def set_protection(self, mode: ProtectionMode) -> None: ...

    @property
    def sessions(self) -> Collection[MinerSessionView]: ...

    @property
    def jobs(self) -> WorkView: ...


class ShareCounts(Protocol):
    @property
    def accepted(self) -> int: ...

    @property
    def rejected(self) -> int: ...


class EngineHolder(Protocol):
    @property
    def engine(self) -> AsyncEngine: ...


class PaymentsHolder(Protocol):
    @property
    def control(self) -> PaymentsAdmin: ...


class PublicPool(Protocol):
    """The running pool as the public and admin API see it."""

    @property
    def settings(self) -> Settings:
        """Read on every use: a reload that replaces it (admin token) takes effect at once."""

    @property
    def started_at(self) -> float: ...

    @property
    def context(self) -> PolicyHolder: ...

    @property
    def database(self) -> EngineHolder: ...

    @property
    def hashrate(self) -> Sequence[HashrateView]: ...

    @property
    def sink(self) -> ShareCounts:
        """Shares accepted and rejected since the process started."""

    @property
    def server(self) -> ServerView: ...

    @property
    def payments(self) -> PaymentsHolder: ...
