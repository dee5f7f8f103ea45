"""The database schema, as SQLAlchemy Core tables (the migrations are the DDL's source).

Why shares are split in two
---------------------------
Payouts (PPLNS, PROP) need every *accepted* share one by one: which worker, which
credited difficulty, when, and whether it solved a block. Those rows go to
``shares``, keyed by the producer's globally unique ``share_id`` so that a share
delivered twice (a replayed batch, a redelivered stream message) is stored once.

Everything else (hashrate graphs, per-worker accepted/rejected counts, the
"stale rate" an operator watches) only needs counts and sums per worker per
minute. Rejected shares are often the majority of traffic from a broken miner and
have no value for payouts, so they are never stored one by one: they are folded
into ``share_stats`` rows together with the accepted ones. One row per
(minute, account, worker) keeps graphs cheap to query and the table bounded by
the number of active workers rather than by the share rate.

``share_batches`` makes a batch exactly-once: the batch id, its shares and its
statistics commit in one transaction, and a replayed batch finds its id and is
skipped. Without it, idempotent share inserts would still protect ``shares`` but
the statistics, which are increments, would be counted twice.

Portability: only types that mean the same on SQLite and PostgreSQL. Satoshis
and share ids are 64-bit integers; timestamps are UTC (``UtcDateTime`` refuses
naive values and hands back aware ones on both backends).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from loka_stratum.storage.shares import MAX_JOB_ID_LENGTH, MAX_NAME_LENGTH


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that is always UTC: aware in, aware out, on every backend.

    SQLite stores datetimes as text without an offset; converting to UTC before
    writing makes that text mean UTC, and the offset is put back on reading.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware (UTC) datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class BlockStatus(StrEnum):
    """Life of a found block: submitted, then buried (confirmed) or replaced."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    ORPHANED = "orphaned"
    REJECTED = "rejected"


class PoolKind(StrEnum):
    """``local``: this pool itself; ``upstream``: a pool the proxy mode forwards to."""

    LOCAL = "local"
    UPSTREAM = "upstream"


# An auto-increment surrogate key: BIGINT on PostgreSQL, the rowid alias on SQLite.
SurrogateKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

NAME_LENGTH = MAX_NAME_LENGTH

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

pools = sa.Table(
    "pools",
    metadata,
    sa.Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(NAME_LENGTH), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("url", sa.String(512), nullable=False),
    sa.Column("username", sa.String(NAME_LENGTH * 2), nullable=False),
    sa.Column("password", sa.String(NAME_LENGTH * 2), nullable=True),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("enabled", sa.Boolean(create_constraint=False), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("kind IN ('local', 'upstream')", name="kind"),
)

workers = sa.Table(
    "workers",
    metadata,
    sa.Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    sa.Column("account", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("name", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("first_seen", UtcDateTime, nullable=False),
    sa.Column("last_seen", UtcDateTime, nullable=False),
    sa.UniqueConstraint("account", "name"),
)

shares = sa.Table(
    "shares",
    metadata,
    sa.Column("share_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("account", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("worker", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("job_id", sa.String(MAX_JOB_ID_LENGTH), nullable=False),
    sa.Column("difficulty", sa.Double, nullable=False),
    sa.Column("share_difficulty", sa.Double, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("block_height", sa.Integer, nullable=True),
    sa.Column("is_block", sa.Boolean(create_constraint=False), nullable=False),
    sa.Index(None, "created_at"),
    sa.Index(None, "account", "created_at"),
)

share_stats = sa.Table(
    "share_stats",
    metadata,
    sa.Column("bucket_start", UtcDateTime, nullable=False),
    sa.Column("account", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("worker", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("accepted_count", sa.BigInteger, nullable=False),
    sa.Column("accepted_difficulty", sa.Double, nullable=False),
    sa.Column("rejected_count", sa.BigInteger, nullable=False),
    sa.Column("stale_count", sa.BigInteger, nullable=False),
    sa.Column("duplicate_count", sa.BigInteger, nullable=False),
    sa.Column("low_difficulty_count", sa.BigInteger, nullable=False),
    sa.Column("other_rejected_count", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("bucket_start", "account", "worker"),
    sa.Index(None, "account", "bucket_start"),
)

share_batches = sa.Table(
    "share_batches",
    metadata,
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("share_count", sa.Integer, nullable=False),
    sa.Column("applied_at", UtcDateTime, nullable=False, server_default=sa.func.now()),
)

blocks = sa.Table(
    "blocks",
    metadata,
    sa.Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("finder_account", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("finder_worker", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("reward", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("confirmations", sa.Integer, nullable=False),
    sa.Column("submit_result", sa.Text, nullable=True),
    sa.Column("block_data", sa.LargeBinary, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index(None, "height"),
    sa.CheckConstraint("status IN ('pending', 'confirmed', 'orphaned', 'rejected')", name="status"),
)


class CreditStatus(StrEnum):
    """A block's credits: immature until the block is buried, void if it is orphaned."""

    IMMATURE = "immature"
    MATURE = "mature"
    VOID = "void"


class CreditKind(StrEnum):
    REWARD = "reward"
    FEE = "fee"


class LedgerReason(StrEnum):
    """Why a balance changed. A balance is the sum of its ledger rows, never a stored total."""

    BLOCK_REWARD = "block_reward"
    """A confirmed block's credit (reference: the block hash)."""
    PAYMENT = "payment"
    """Debited when a payment intent is recorded (reference: the payment id)."""
    PAYMENT_REFUND = "payment_refund"
    """A payment proven never sent gives the debit back (reference: the payment id)."""
    ADJUSTMENT = "adjustment"


class PaymentStatus(StrEnum):
    """pending: intent recorded, send not proven; sent: txid known; confirmed: buried;
    failed: proven not sent (the debit was refunded)."""

    PENDING = "pending"
    SENT = "sent"
    CONFIRMED = "confirmed"
    FAILED = "failed"


AMOUNT = sa.BigInteger
"""Satoshis: always integers, never floats."""

credits = sa.Table(
    "credits",
    metadata,
    sa.Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    sa.Column("block_hash", sa.String(64), nullable=False),
    sa.Column("account", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("amount", AMOUNT, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("block_hash", "account", "kind"),
    sa.Index(None, "account", "status"),
    sa.CheckConstraint("kind IN ('reward', 'fee')", name="kind"),
    sa.CheckConstraint("status IN ('immature', 'mature', 'void')", name="status"),
    sa.CheckConstraint("amount >= 0", name="amount"),
)

ledger = sa.Table(
    "ledger",
    metadata,
    sa.Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    sa.Column("account", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("amount", AMOUNT, nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("reference", sa.String(128), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # One row per (account, reason, reference): replaying a step can never apply it twice.
    sa.UniqueConstraint("account", "reason", "reference"),
    sa.Index(None, "account"),
    sa.CheckConstraint(
        "reason IN ('block_reward', 'payment', 'payment_refund', 'adjustment')", name="reason"
    ),
)

miner_settings = sa.Table(
    "miner_settings",
    metadata,
    sa.Column("account", sa.String(NAME_LENGTH), primary_key=True),
    sa.Column("payout_threshold", AMOUNT, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("label", sa.String(64), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total", AMOUNT, nullable=False),
    sa.Column("fee", AMOUNT, nullable=True),
    sa.Column("txid", sa.String(64), nullable=True),
    sa.Column("confirmations", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=True),
    sa.Index(None, "status"),
    sa.CheckConstraint("status IN ('pending', 'sent', 'confirmed', 'failed')", name="status"),
)

payment_outputs = sa.Table(
    "payment_outputs",
    metadata,
    sa.Column("payment_id", sa.String(36), nullable=False),
    sa.Column("account", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("address", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("amount", AMOUNT, nullable=False),
    sa.PrimaryKeyConstraint("payment_id", "account"),
    sa.Index(None, "account"),
    sa.CheckConstraint("amount > 0", name="amount"),
)

upstream_share_stats = sa.Table(
    "upstream_share_stats",
    metadata,
    sa.Column("bucket_start", UtcDateTime, nullable=False),
    sa.Column("upstream", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("account", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("worker", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("accepted_count", sa.BigInteger, nullable=False),
    sa.Column("accepted_difficulty", sa.Double, nullable=False),
    sa.Column("rejected_count", sa.BigInteger, nullable=False),
    sa.Column("stale_count", sa.BigInteger, nullable=False),
    sa.Column("unanswered_count", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("bucket_start", "upstream", "account", "worker"),
    sa.Index(None, "account", "bucket_start"),
)

pool_state = sa.Table(
    "pool_state",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)
"""Switches shared by every process and kept across restarts (payments paused, run lease)."""
