"""Entry log: an index on of_event, so that what a gate did is read beside a decision row

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 21:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    # the reports, the dashboard and the claim check read each decision's reconciliation row (a late
    # copy of the gate's offline decision) by the event it completes
    with op.batch_alter_table("entry_event", schema=None) as batch_op:
        batch_op.create_index("ix_entry_event_of_event", ["of_event"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("entry_event", schema=None) as batch_op:
        batch_op.drop_index("ix_entry_event_of_event")
