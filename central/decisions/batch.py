"""The events that arrived together, decided in one transaction (group commit).

The duplicate check is one statement for the whole batch (every event id, and the id of the
reconciliation row an offline copy would add); rows decided in the batch are seen by later events
of the same batch (a QoS 1 redelivery next to its original); the entry-log rows are chained and
inserted together at the end, under one lock of the chain head.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from central.audit.chain import append_entries
from central.models.journal import EntryEvent


class Batch:
    """The batch's transaction: its session, the log rows it knows, the rows it will append."""

    def __init__(self, session: Session, event_ids: Iterable[str]) -> None:
        self.session = session
        self.rows: list[EntryEvent] = []
        wanted = sorted(set(event_ids))
        stmt = select(EntryEvent).where(col(EntryEvent.event_id).in_(wanted))
        self._known = {row.event_id: row for row in session.exec(stmt)} if wanted else {}

    def stored(self, event_id: str) -> EntryEvent | None:
        """The log row of this event id: already in the log, or decided earlier in this batch."""
        return self._known.get(event_id)

    def append(self, row: EntryEvent) -> None:
        """A row to chain and insert when the batch ends."""
        self.rows.append(row)
        self._known[row.event_id] = row

    def finish(self) -> None:
        """Chain and insert every row of the batch (the caller commits)."""
        append_entries(self.session, self.rows)
