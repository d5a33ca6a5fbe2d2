"""SqliteOutbox: scan events are stored before they are published and removed only when a
decision for them arrives, so nothing is lost across broker or central outages or kill -9."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from gate_agent.errors import OutboxError
from gate_agent.store import Store
from gatecore.messages import MessageError, OfflineDecision, ScanEvent
from gatecore.reasons import Reason, Verdict
from gatecore.wire import MAX_COUNTER

_NEXT_SEQ = "UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value"

logger = logging.getLogger(__name__)

# the widest offline decision the gate may attach to a stored event
_WIDEST_OFFLINE = OfflineDecision(
    max(Verdict, key=lambda v: len(v.value)), max(Reason, key=lambda r: len(r.value)), MAX_COUNTER
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    event_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_seq ON outbox (seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class SqliteOutbox:
    """The Outbox port on the gate's SQLite file."""

    def __init__(
        self, store: Store | Path | str, *, warn_depth: int = 1000, owns_store: bool = False
    ) -> None:
        self._own = owns_store or not isinstance(store, Store)
        self.store = store if isinstance(store, Store) else Store(store)
        self.warn_depth = warn_depth
        self._warned = False
        with self.store.tx() as c:
            for statement in _statements():
                c.execute(statement)
            c.execute("INSERT INTO counters (name, value) VALUES ('seq', 0) ON CONFLICT DO NOTHING")

    def next_seq(self) -> int:
        """The next per-gate sequence number; persisted, so it never goes back after a restart."""
        with self.store.tx() as c:
            row = c.execute(_NEXT_SEQ).fetchone()
        return int(row[0])

    def put(self, event: ScanEvent) -> None:
        """Store an event (durably) before it is published."""
        with self.store.tx() as c:
            self._insert(c, event)
        self._check_depth()

    def put_next(self, draft: ScanEvent) -> ScanEvent:
        """Number ``draft`` with the next sequence number and store it, in one transaction: a gate
        killed in between neither loses the event nor skips a number (central would count a number
        taken but never sent as an event that never arrived)."""
        with self.store.tx() as c:
            row = c.execute(_NEXT_SEQ).fetchone()
            event = dataclasses.replace(draft, seq=int(row[0]))
            self._insert(c, event)
        self._check_depth()
        return event

    @staticmethod
    def _insert(c: Any, event: ScanEvent) -> None:
        c.execute(
            "INSERT INTO outbox (event_id, seq, payload) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (event.event_id, event.seq, event.to_json()),
        )

    def pending(self, limit: int | None = None) -> list[ScanEvent]:
        """Unacknowledged events in sequence order."""
        sql = "SELECT event_id, payload FROM outbox ORDER BY seq"
        with self.store.tx() as c:
            rows = c.execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
        events = []
        for event_id, payload in rows:
            try:
                events.append(ScanEvent.from_json(payload))
            except MessageError as exc:  # cannot happen unless the file was edited; do not block the rest
                logger.error("outbox row %s is unreadable and is skipped: %s", event_id, exc)
        return events

    def ack(self, event_id: str, *, offline_recorded: bool = False) -> bool:
        """Remove an event central has answered; False when it was not there or is kept.

        A row carrying the gate's own offline decision is kept until an answer says central logged
        that decision (``offline_recorded``): an answer to the copy sent before the gate decided
        would otherwise erase what the gate did.
        """
        with self.store.tx() as c:
            row = c.execute("SELECT payload FROM outbox WHERE event_id = ?", (event_id,)).fetchone()
            if row is None:
                return False
            if not offline_recorded and _carries_offline(row[0]):
                logger.info(
                    "answer to event %s does not cover its offline decision: kept to resend", event_id
                )
                return False
            c.execute("DELETE FROM outbox WHERE event_id = ?", (event_id,))
        self._check_depth()
        return True

    def attach_offline(self, event_id: str, decision: OfflineDecision) -> None:
        """Record the gate's own decision on a stored event, so that the resend carries it."""
        with self.store.tx() as c:
            row = c.execute("SELECT payload FROM outbox WHERE event_id = ?", (event_id,)).fetchone()
            if row is None:  # already acknowledged: central decided first
                return
            event = dataclasses.replace(ScanEvent.from_json(row[0]), offline=decision)
            c.execute("UPDATE outbox SET payload = ? WHERE event_id = ?", (event.to_json(), event_id))

    def settle_unacted(self, policy_version: int) -> int:
        """At start-up: every stored event without a decision of the gate's own gets one saying the
        gate did not decide it (refer, ``gate_restarted``); how many. None of them was acted on: the
        online path removes a row before it shows the answer, the offline path attaches its decision
        before it acts. Sent bare, central would log its own verdict as if the gate had shown it, and
        an admission would take the household's day for a person who never came in."""
        return self._settle(OfflineDecision(Verdict.REFER, Reason.GATE_RESTARTED, policy_version))

    def mark_undecided(self, event_id: str, policy_version: int) -> None:
        """A scan the gate failed to decide and showed ``refer`` (``decision_error``) for: recorded so,
        unless a decision of the gate's own is on it already. Best effort: the store may be what failed."""
        try:
            self._settle(OfflineDecision(Verdict.REFER, Reason.DECISION_ERROR, policy_version), event_id)
        except OutboxError as exc:
            logger.error("scan %s: what the gate showed could not be recorded: %s", event_id, exc)

    def _settle(self, decision: OfflineDecision, only: str | None = None) -> int:
        settled = 0
        sql = "SELECT event_id, payload FROM outbox" + (" WHERE event_id = ?" if only else "")
        args = (only,) if only else ()
        with self.store.tx() as c:
            for event_id, payload in c.execute(sql, args).fetchall():
                try:
                    event = ScanEvent.from_json(payload)
                except MessageError:  # pending() names it; nothing to settle on a row nobody can read
                    continue
                if event.offline is None:
                    event = dataclasses.replace(event, offline=decision)
                    c.execute("UPDATE outbox SET payload = ? WHERE event_id = ?", (event.to_json(), event_id))
                    settled += 1
        return settled

    def depth(self) -> int:
        """How many events wait for a decision."""
        with self.store.tx() as c:
            return int(c.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def _check_depth(self) -> None:
        depth = self.depth()
        if depth > self.warn_depth and not self._warned:
            logger.warning(
                "outbox holds %d unacknowledged events (limit %d): is central reachable?",
                depth,
                self.warn_depth,
            )
            self._warned = True
        elif depth <= self.warn_depth // 2:
            self._warned = False

    def close(self) -> None:
        """Close the file if this outbox opened it (or was given it to own)."""
        if self._own:
            self.store.close()


def widest(draft: ScanEvent) -> ScanEvent:
    """``draft`` as the outbox may send it at the most: numbered, and carrying the gate's offline
    decision. A draft that fits a message only without them would be stored, acted on offline, and
    then never read back or taken by central: what the gate did would never reach the entry log."""
    return dataclasses.replace(draft, seq=MAX_COUNTER, offline=_WIDEST_OFFLINE)


def _carries_offline(payload: bytes) -> bool:
    try:
        return ScanEvent.from_json(payload).offline is not None
    except MessageError:  # an unreadable row is skipped by pending(); an answer may remove it
        return False


def _statements() -> list[str]:
    return [s.strip() for s in _SCHEMA.split(";") if s.strip()]
