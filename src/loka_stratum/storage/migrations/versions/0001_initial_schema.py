"""Initial schema: pools, workers, shares, share_stats, share_batches, blocks.

A frozen copy of the DDL (not an import of ``schema``), so later edits to the
live tables can never rewrite history; a test compares the migrated database
with ``schema.metadata`` to catch drift between the two.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_NAME = sa.String(128)
_TIME = sa.DateTime(timezone=True)
_COUNT = sa.BigInteger()


def upgrade() -> None:
    _create_pools()
    _create_workers()
    _create_shares()
    _create_share_stats()
    _create_share_batches()
    _create_blocks()


def downgrade() -> None:
    for table in ("blocks", "share_batches", "share_stats", "shares", "workers", "pools"):
        op.drop_table(table)


def _create_pools() -> None:
    op.create_table(
        "pools",
        sa.Column("id", _KEY, primary_key=True, autoincrement=True),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.String(512), nullable=False),
        sa.Column("username", sa.String(256), nullable=False),
        sa.Column("password", sa.String(256), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pools"),
        sa.UniqueConstraint("name", name="uq_pools_name"),
        sa.CheckConstraint("kind IN ('local', 'upstream')", name="ck_pools_kind"),
    )


def _create_workers() -> None:
    op.create_table(
        "workers",
        sa.Column("id", _KEY, primary_key=True, autoincrement=True),
        sa.Column("account", _NAME, nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("first_seen", _TIME, nullable=False),
        sa.Column("last_seen", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workers"),
        sa.UniqueConstraint("account", "name", name="uq_workers_account_name"),
    )


def _create_shares() -> None:
    op.create_table(
        "shares",
        sa.Column("share_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account", _NAME, nullable=False),
        sa.Column("worker", _NAME, nullable=False),
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.Column("difficulty", sa.Double(), nullable=False),
        sa.Column("share_difficulty", sa.Double(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("block_height", sa.Integer(), nullable=True),
        sa.Column("is_block", sa.Boolean(create_constraint=False), nullable=False),
        sa.PrimaryKeyConstraint("share_id", name="pk_shares"),
    )
    op.create_index("ix_shares_created_at", "shares", ["created_at"])
    op.create_index("ix_shares_account_created_at", "shares", ["account", "created_at"])


def _create_share_stats() -> None:
    op.create_table(
        "share_stats",
        sa.Column("bucket_start", _TIME, nullable=False),
        sa.Column("account", _NAME, nullable=False),
        sa.Column("worker", _NAME, nullable=False),
        sa.Column("accepted_count", _COUNT, nullable=False),
        sa.Column("accepted_difficulty", sa.Double(), nullable=False),
        sa.Column("rejected_count", _COUNT, nullable=False),
        sa.Column("stale_count", _COUNT, nullable=False),
        sa.Column("duplicate_count", _COUNT, nullable=False),
        sa.Column("low_difficulty_count", _COUNT, nullable=False),
        sa.Column("other_rejected_count", _COUNT, nullable=False),
        sa.PrimaryKeyConstraint("bucket_start", "account", "worker", name="pk_share_stats"),
    )
    op.create_index(
        "ix_share_stats_account_bucket_start", "share_stats", ["account", "bucket_start"]
    )


def _create_share_batches() -> None:
    op.create_table(
        "share_batches",
        sa.Column("batch_id", sa.String(64), nullable=False),
        sa.Column("share_count", sa.Integer(), nullable=False),
        sa.Column("applied_at", _TIME, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name="pk_share_batches"),
    )


def _create_blocks() -> None:
    op.create_table(
        "blocks",
        sa.Column("id", _KEY, primary_key=True, autoincrement=True),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("finder_account", _NAME, nullable=False),
        sa.Column("finder_worker", _NAME, nullable=False),
        sa.Column("reward", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("confirmations", sa.Integer(), nullable=False),
        sa.Column("submit_result", sa.Text(), nullable=True),
        sa.Column("block_data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_blocks"),
        sa.UniqueConstraint("hash", name="uq_blocks_hash"),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'orphaned', 'rejected')", name="ck_blocks_status"
        ),
    )
    op.create_index("ix_blocks_height", "blocks", ["height"])
