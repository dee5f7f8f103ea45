"""Pool state: a small key/value table for switches that outlive a process.

Payments pause/resume and the payment run's lease live here, so the CLI and the
running pool see the same state and a restart keeps it. A frozen copy of the
DDL, like 0001.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pool_state",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_pool_state"),
    )


def downgrade() -> None:
    op.drop_table("pool_state")
