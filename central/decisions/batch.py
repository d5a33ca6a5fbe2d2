"""The events that arrived together, decided in one transaction (group commit).

The duplicate check is one statement for the whole batch (every event id, and the id of the
reconciliation row an offline copy would add), which also reads the registry's revision; the rows
of events already logged (resends) are read whole by a second one, only when there are any; rows
decided in the batch are seen by later events of the same batch (a QoS 1 redelivery next to its
original); the entry-log rows are chained and inserted together at the end, under one lock of the
chain head, with the batch's household-day claims and fever rows; on PostgreSQL one query does that
and commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from central.audit import writes
from central.audit.canonical import CONTENT_FIELDS
from central.audit.chain import append_entries
from central.decisions.cache import NoCache, RegistryCache
from central.decisions.ledger import ClaimLost, claim_conflict, take_claims
from central.models.base import any_of, built
from central.models.journal import EntryEvent, HouseholdDay
from central.models.revision import revision_now


class NewEntry(SimpleNamespace):
    """An entry-log row decided in this batch, not yet inserted: plain attributes, because building
    ORM objects cost a quarter of a decision; the batch inserts them in one statement."""

    kind: str
    event_id: str
    gate_id: str
    verdict: str
    reason: str
    decision_json: str
    offline_verdict: str | None

    @classmethod
    def of(cls, **fields: Any) -> NewEntry:
        """A row with every content field of EntryEvent (``kind``/``of_event`` default to a decision)."""
        row = cls(kind="decision", of_event=None, **fields)
        missing = set(CONTENT_FIELDS) - vars(row).keys()
        if missing:
            raise TypeError(f"entry row lacks {sorted(missing)}")
        return row


_TABLE = EntryEvent.__table__  # type: ignore[attr-defined]
_DAYS = HouseholdDay.__table__  # type: ignore[attr-defined]


def _logged_with_revision(matching: Any) -> Any:
    # the registry's revision (one row, always) left-joined to the log's ids among the batch's: the
    # cache's check and the duplicate check in one round trip, not two. Only the ids: every column
    # a result carries costs psycopg and SQLAlchemy a description per batch, and resends are rare
    now = select(revision_now().label("registry_revision")).subquery("now")
    return select(now.c.registry_revision, _TABLE.c.event_id).select_from(now.outerjoin(_TABLE, matching))


Logged = Row[Any] | NewEntry  # a row in the log, or one this batch will add


class Batch:
    """The batch's transaction: its session, the log rows it knows, the rows it will append."""

    def __init__(
        self, session: Session, event_ids: Iterable[str], cache: RegistryCache | None = None
    ) -> None:
        self.session = session
        self.cache = cache or NoCache()  # the worker's registry cache, for what the batch gives back
        self.rows: list[tuple[int, int, NewEntry]] = []  # (event's place on arrival, order made, row)
        self.position = 0  # the place on arrival of the event being decided
        self.verdicts: list[tuple[str, str]] = []  # (verdict, reason) of each decision made
        self.with_rows: list[SQLModel] = []  # fever alerts and incidents, inserted with the log rows
        # plain rows (attributes by column name), not ORM objects: this runs once per batch
        logged = built(session, "logged", lambda d: _logged_with_revision(any_of(d, _TABLE.c.event_id)))
        rows = session.execute(logged, {"ids": sorted(set(event_ids))}).all()
        self.registry_revision = int(rows[0].registry_revision or 0)  # for the registry cache
        resent = sorted(row.event_id for row in rows if row.event_id is not None)
        self._known: dict[str, Logged] = {}
        if resent:  # their whole rows, to answer them again as first answered
            whole = built(
                session, "logged_rows", lambda d: select(_TABLE).where(any_of(d, _TABLE.c.event_id))
            )
            self._known = {row.event_id: row for row in session.execute(whole, {"ids": resent})}

    def stored(self, event_id: str) -> Logged | None:
        """The log row of this event id: already in the log, or decided earlier in this batch."""
        return self._known.get(event_id)

    @property
    def added(self) -> list[NewEntry]:
        """The rows this batch will add, not in the log yet (in the order they were decided)."""
        return [row for _, _, row in self.rows]

    def append(self, row: NewEntry) -> None:
        """A row to chain and insert when the batch ends."""
        self.rows.append((self.position, len(self.rows), row))
        self._known[row.event_id] = row

    def finish(self) -> None:
        """Chain and insert every row of the batch in the order its events arrived, with its
        household-day claims and fever rows, and commit. :class:`ClaimLost` when a day the batch read
        free was claimed by another transaction meanwhile (nothing of the batch is kept)."""
        claims = [(_DAYS, claim) for claim in take_claims(self.session)]
        rows = [row for _, _, row in sorted(self.rows, key=lambda r: r[:2])]
        others = claims + [writes.other(row) for row in self.with_rows]
        try:
            append_entries(self.session, rows, commit=True, with_rows=others)
        except IntegrityError as exc:
            if claims and claim_conflict(exc):
                raise ClaimLost(f"a household day of {len(claims)} claimed concurrently") from exc
            raise
