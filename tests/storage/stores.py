"""ShareStore wrappers that misbehave on purpose, around a real repository."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from sqlalchemy.exc import OperationalError

from loka_stratum.storage import ShareBatch, ShareStore
from loka_stratum.storage.pgserver import PostgresServer


@dataclass
class Recording:
    """Remembers the ids of the batches that committed, in commit order."""

    inner: ShareStore
    committed: list[str] = field(default_factory=list)

    async def write_batch(self, batch: ShareBatch) -> bool:
        applied = await self.inner.write_batch(batch)
        if applied:
            self.committed.append(batch.batch_id)
        return applied

    async def health(self) -> bool:
        return await self.inner.health()


@dataclass
class Switchable:
    """A store whose database can be made to vanish: every call fails while ``down``."""

    inner: ShareStore
    down: bool = False

    async def write_batch(self, batch: ShareBatch) -> bool:
        if self.down:
            raise OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error"))
        return await self.inner.write_batch(batch)

    async def health(self) -> bool:
        return not self.down and await self.inner.health()


@dataclass
class LostAcknowledgement:
    """Commits, then fails as if the connection died before COMMIT's reply arrived."""

    inner: ShareStore
    failures_left: int

    async def write_batch(self, batch: ShareBatch) -> bool:
        applied = await self.inner.write_batch(batch)
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionResetError("connection reset after COMMIT")
        return applied

    async def health(self) -> bool:
        return await self.inner.health()


@dataclass
class ServerKill:
    """A real outage: the PostgreSQL server is crashed and brought back."""

    server: PostgresServer

    def wrap(self, store: ShareStore) -> ShareStore:
        return store

    def begin(self) -> None:
        self.server.stop("immediate")

    def end(self) -> None:
        self.server.start()


@dataclass
class EngineFailure:
    """SQLite has no server to kill: the store in front of it starts failing instead."""

    switch: Switchable | None = None

    def wrap(self, store: ShareStore) -> ShareStore:
        self.switch = Switchable(store)
        return self.switch

    def begin(self) -> None:
        assert self.switch is not None
        self.switch.down = True

    def end(self) -> None:
        assert self.switch is not None
        self.switch.down = False
