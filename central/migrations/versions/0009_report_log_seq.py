"""Reports keep the entry log's last seq when they were made: rows logged after it are named as late

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    # reports made before are left NULL: what they could count is not known by number, so the rows
    # received after them are still found by receive time, as when they were made
    with op.batch_alter_table("daily_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("log_seq", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("daily_report", schema=None) as batch_op:
        batch_op.drop_column("log_seq")
