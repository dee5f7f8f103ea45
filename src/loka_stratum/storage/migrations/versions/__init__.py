"""Alembic revisions, one module per schema change, applied in their chain order."""
