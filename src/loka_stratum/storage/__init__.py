"""Storage: the schema, its migrations, repositories and the share batcher.

One ``Database`` per process, built from a URL (SQLite or PostgreSQL, same code)
and pool settings; ``ShareBatcher`` is the non-blocking share sink in front of
``Database.shares``. ``migrate(url)`` / ``migrate_sync(url)`` back
``loka-stratum db migrate`` and read nothing from the environment.
"""

from loka_stratum.storage.batcher import BatcherStats, ShareBatcher, ShareStore
from loka_stratum.storage.batches import ShareBatch
from loka_stratum.storage.blocks import Block, BlockRepository, NewBlock
from loka_stratum.storage.database import Database, migrate, migrate_sync
from loka_stratum.storage.engine import PoolSettings
from loka_stratum.storage.ledger import (
    BlockCredit,
    DueBalance,
    LedgerEntry,
    LedgerRepository,
    NewCredit,
)
from loka_stratum.storage.pools import NewPool, Pool, PoolRepository
from loka_stratum.storage.schema import BlockStatus, PoolKind
from loka_stratum.storage.share_repository import ShareRepository
from loka_stratum.storage.share_window import ShareWindowRepository, WindowShare
from loka_stratum.storage.shares import RejectReason, ShareRecord, StatsDelta
from loka_stratum.storage.stats_repository import (
    StatsRepository,
    UpstreamWorkerStats,
    WorkerStats,
)
from loka_stratum.storage.urls import Backend, normalize_url
from loka_stratum.storage.verdicts import Verdict, VerdictRecord
from loka_stratum.storage.workers import Worker, WorkerRepository

__all__ = [
    "Backend",
    "BatcherStats",
    "Block",
    "BlockCredit",
    "BlockRepository",
    "BlockStatus",
    "Database",
    "DueBalance",
    "LedgerEntry",
    "LedgerRepository",
    "NewBlock",
    "NewCredit",
    "NewPool",
    "Pool",
    "PoolKind",
    "PoolRepository",
    "PoolSettings",
    "RejectReason",
    "ShareBatch",
    "ShareBatcher",
    "ShareRecord",
    "ShareRepository",
    "ShareStore",
    "ShareWindowRepository",
    "StatsDelta",
    "StatsRepository",
    "UpstreamWorkerStats",
    "Verdict",
    "VerdictRecord",
    "WindowShare",
    "Worker",
    "WorkerRepository",
    "WorkerStats",
    "migrate",
    "migrate_sync",
    "normalize_url",
]
