"""Reports record who made each version (by hand or as a correction); fever alerts who acknowledged them

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    # rows made before are left NULL: a report the scheduler made, or whose maker was not recorded; an
    # alert acknowledged by someone unrecorded
    with op.batch_alter_table("daily_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("made_by", sa.String(), nullable=True))
    with op.batch_alter_table("fever_alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledged_by", sa.String(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("fever_alert", schema=None) as batch_op:
        batch_op.drop_column("acknowledged_by")
    with op.batch_alter_table("daily_report", schema=None) as batch_op:
        batch_op.drop_column("made_by")
