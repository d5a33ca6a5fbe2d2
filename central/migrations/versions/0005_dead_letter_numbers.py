"""Dead letters keep the gate's event number they carry, indexed with their topic

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 19:40:00
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BACKFILLED = timedelta(days=1)  # what the sequence check looks back at (central.decisions.sequence)

# frozen copies of gatecore's topics.events_of and wire.seq_of: a change of theirs must not change this upgrade
_GATE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
MAX_PAYLOAD = 8192
MAX_COUNTER = 2**31 - 1


def events_of(topic: str) -> bool:
    """Whether ``topic`` is a gate's scan events, ``gates/{gate_id}/events``."""
    parts = topic.split("/")
    return (
        len(parts) == 3
        and parts[0] == "gates"
        and bool(_GATE_ID.fullmatch(parts[1]))
        and parts[2] == "events"
    )


def seq_of(payload: bytes) -> int | None:
    """The gate's number a scan payload holds, when it is a readable one."""
    if len(payload) > MAX_PAYLOAD:
        return None
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, an unreadable number, nested too deep
        return None
    raw = data.get("seq") if isinstance(data, dict) else None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_COUNTER:
        return None
    return raw


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("rejected_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gate_seq", sa.Integer(), nullable=True))
        batch_op.create_index("ix_rejected_message_topic_seq", ["topic", "gate_seq"], unique=False)
    # the last day's dead letters, the only ones a gap is checked against, get their numbers now
    table = sa.table(
        "rejected_message",
        sa.column("id", sa.Integer),
        sa.column("topic", sa.String),
        sa.column("payload", sa.LargeBinary),
        sa.column("received_at", sa.DateTime),
        sa.column("gate_seq", sa.Integer),
    )
    since = (datetime.now(UTC) - _BACKFILLED).replace(tzinfo=None)
    bind = op.get_bind()
    events = table.c.topic.like("gates/%/events")  # the scan topics; events_of checks each exactly
    numbered = table.update().where(table.c.id == sa.bindparam("i")).values(gate_seq=sa.bindparam("n"))
    last = 0
    while True:  # a thousand at a time, by id: a flooded topic's day of payloads never in memory at once
        rows = bind.execute(
            sa.select(table.c.id, table.c.topic, table.c.payload)
            .where(table.c.received_at >= since, events, table.c.id > last)
            .order_by(table.c.id)
            .limit(1000)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        found = [(row.id, seq_of(bytes(row.payload))) for row in rows if events_of(row.topic)]
        if chunk := [{"i": i, "n": n} for i, n in found if n is not None]:
            bind.execute(numbered, chunk)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("rejected_message", schema=None) as batch_op:
        batch_op.drop_index("ix_rejected_message_topic_seq")
        batch_op.drop_column("gate_seq")
