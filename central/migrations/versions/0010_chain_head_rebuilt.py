"""The chain head keeps when it was rebuilt from the log's last row, and on which seq

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    # a head present now was never rebuilt by this code: both stay NULL
    with op.batch_alter_table("chain_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rebuilt_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("rebuilt_seq", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("chain_head", schema=None) as batch_op:
        batch_op.drop_column("rebuilt_seq")
        batch_op.drop_column("rebuilt_at")
