"""Shared payment switches in ``pool_state``: paused, the last run, and the run lease.

The CLI and the running pool are separate processes over one database, so a
pause set by one is seen by the other and survives restarts.

The lease makes payment runs take turns across processes and hosts. Without
it, a manual run could find the periodic run's fresh intent still pending
(its ``sendmany`` not yet returned), prove it absent from the wallet and
refund it a moment before the send lands: a double payment. The lease is a
compare-and-set on one row (portable, no long transaction holding SQLite's
write lock away from the share writer). A holder that died is replaced when
its lease expires, or at once when it ran on this host and its pid is gone
(a killed ``payments process`` must not block the next one for minutes).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from loka_stratum.storage.schema import pool_state

PAUSED_KEY: Final = "payments.paused"
LAST_RUN_KEY: Final = "payments.last_run"
LEASE_KEY: Final = "payments.run_lease"
LEASE_SECONDS: Final = 600.0


class PoolState:
    """Get, put and compare-and-set text values by key."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, key: str) -> str | None:
        query = sa.select(pool_state.c.value).where(pool_state.c.key == key)
        async with self._engine.connect() as connection:
            value = (await connection.execute(query)).scalar_one_or_none()
        return None if value is None else str(value)

    async def put(self, key: str, value: str, now: datetime) -> None:
        while not await self.swap(key, await self.get(key), value, now):
            pass  # another writer came between our read and write: read again

    async def swap(self, key: str, expected: str | None, value: str, now: datetime) -> bool:
        """Write ``value`` only if the stored value is still ``expected`` (None: absent)."""
        try:
            async with self._engine.begin() as connection:
                if expected is None:
                    row = {"key": key, "value": value, "updated_at": now}
                    await connection.execute(sa.insert(pool_state).values(row))
                    return True
                statement = (
                    sa.update(pool_state)
                    .where(pool_state.c.key == key, pool_state.c.value == expected)
                    .values(value=value, updated_at=now)
                )
                return (await connection.execute(statement)).rowcount == 1
        except IntegrityError:
            return False

    async def delete(self, key: str, expected: str) -> bool:
        statement = sa.delete(pool_state).where(
            pool_state.c.key == key, pool_state.c.value == expected
        )
        async with self._engine.begin() as connection:
            return (await connection.execute(statement)).rowcount == 1


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True, slots=True)
class Lease:
    owner: str
    host: str
    pid: int
    expires_at: str

    def text(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def expired(self, now: datetime) -> bool:
        return datetime.fromisoformat(self.expires_at) <= now


class RunLease:
    """At most one payment run at a time, over every process sharing the database."""

    def __init__(
        self,
        state: PoolState,
        *,
        seconds: float = LEASE_SECONDS,
        host: str | None = None,
        pid: int | None = None,
        alive: Callable[[int], bool] = pid_alive,
    ) -> None:
        self._state = state
        self.seconds = seconds
        self._host = host or socket.gethostname()
        self._pid = os.getpid() if pid is None else pid
        self._alive = alive

    async def acquire(self, now: datetime) -> Lease | None:
        """Our new lease, or None while another live run holds one."""
        current = await self._state.get(LEASE_KEY)
        if current is not None and not self._replaceable(current, now):
            return None
        expires = now + timedelta(seconds=self.seconds)
        lease = Lease(uuid.uuid4().hex, self._host, self._pid, expires.isoformat())
        if await self._state.swap(LEASE_KEY, current, lease.text(), now):
            return lease
        return None

    async def release(self, lease: Lease) -> None:
        await self._state.delete(LEASE_KEY, lease.text())

    def _replaceable(self, text: str, now: datetime) -> bool:
        try:
            held = Lease(**json.loads(text))
        except (ValueError, TypeError):
            return True  # unreadable: nobody can be holding it
        if held.expired(now):
            return True
        return held.host == self._host and not self._alive(held.pid)
