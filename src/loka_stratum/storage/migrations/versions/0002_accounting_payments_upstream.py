"""Accounting, payments and proxy verdicts: credits, ledger, miner_settings, payments,
payment_outputs, upstream_share_stats.

A frozen copy of the DDL, like 0001.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_NAME = sa.String(128)
_TIME = sa.DateTime(timezone=True)
_COUNT = sa.BigInteger()
_AMOUNT = sa.BigInteger()


def upgrade() -> None:
    _create_credits()
    _create_ledger()
    _create_miner_settings()
    _create_payments()
    _create_payment_outputs()
    _create_upstream_share_stats()


def downgrade() -> None:
    for table in (
        "upstream_share_stats",
        "payment_outputs",
        "payments",
        "miner_settings",
        "ledger",
        "credits",
    ):
        op.drop_table(table)


def _create_credits() -> None:
    op.create_table(
        "credits",
        sa.Column("id", _KEY, primary_key=True, autoincrement=True),
        sa.Column("block_hash", sa.String(64), nullable=False),
        sa.Column("account", _NAME, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", _AMOUNT, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_credits"),
        sa.UniqueConstraint(
            "block_hash", "account", "kind", name="uq_credits_block_hash_account_kind"
        ),
        sa.CheckConstraint("kind IN ('reward', 'fee')", name="ck_credits_kind"),
        sa.CheckConstraint("status IN ('immature', 'mature', 'void')", name="ck_credits_status"),
        sa.CheckConstraint("amount >= 0", name="ck_credits_amount"),
    )
    op.create_index("ix_credits_account_status", "credits", ["account", "status"])


def _create_ledger() -> None:
    op.create_table(
        "ledger",
        sa.Column("id", _KEY, primary_key=True, autoincrement=True),
        sa.Column("account", _NAME, nullable=False),
        sa.Column("amount", _AMOUNT, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger"),
        sa.UniqueConstraint(
            "account", "reason", "reference", name="uq_ledger_account_reason_reference"
        ),
        sa.CheckConstraint(
            "reason IN ('block_reward', 'payment', 'payment_refund', 'adjustment')",
            name="ck_ledger_reason",
        ),
    )
    op.create_index("ix_ledger_account", "ledger", ["account"])


def _create_miner_settings() -> None:
    op.create_table(
        "miner_settings",
        sa.Column("account", _NAME, nullable=False),
        sa.Column("payout_threshold", _AMOUNT, nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("account", name="pk_miner_settings"),
    )


def _create_payments() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", _AMOUNT, nullable=False),
        sa.Column("fee", _AMOUNT, nullable=True),
        sa.Column("txid", sa.String(64), nullable=True),
        sa.Column("confirmations", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("sent_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.UniqueConstraint("label", name="uq_payments_label"),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'confirmed', 'failed')", name="ck_payments_status"
        ),
    )
    op.create_index("ix_payments_status", "payments", ["status"])


def _create_payment_outputs() -> None:
    op.create_table(
        "payment_outputs",
        sa.Column("payment_id", sa.String(36), nullable=False),
        sa.Column("account", _NAME, nullable=False),
        sa.Column("address", _NAME, nullable=False),
        sa.Column("amount", _AMOUNT, nullable=False),
        sa.PrimaryKeyConstraint("payment_id", "account", name="pk_payment_outputs"),
        sa.CheckConstraint("amount > 0", name="ck_payment_outputs_amount"),
    )
    op.create_index("ix_payment_outputs_account", "payment_outputs", ["account"])


def _create_upstream_share_stats() -> None:
    op.create_table(
        "upstream_share_stats",
        sa.Column("bucket_start", _TIME, nullable=False),
        sa.Column("upstream", _NAME, nullable=False),
        sa.Column("account", _NAME, nullable=False),
        sa.Column("worker", _NAME, nullable=False),
        sa.Column("accepted_count", _COUNT, nullable=False),
        sa.Column("accepted_difficulty", sa.Double(), nullable=False),
        sa.Column("rejected_count", _COUNT, nullable=False),
        sa.Column("stale_count", _COUNT, nullable=False),
        sa.Column("unanswered_count", _COUNT, nullable=False),
        sa.PrimaryKeyConstraint(
            "bucket_start", "upstream", "account", "worker", name="pk_upstream_share_stats"
        ),
    )
    op.create_index(
        "ix_upstream_share_stats_account_bucket_start",
        "upstream_share_stats",
        ["account", "bucket_start"],
    )
