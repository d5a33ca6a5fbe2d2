"""The gate's offline memory: the local household-day ledger and the last GateConfig received,
so that offline decisions work after a restart."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from gate_agent.store import Store
from gatecore.messages import GateConfig, MessageError
from gatecore.policy import DayClaim, Holder

logger = logging.getLogger(__name__)
# claims are for the campus's today; the week before stays for a clock put back and for the guard to
# quote, older ones go, so a gate's store does not grow by a row per household per day for ever
KEEP_DAYS = 7


class LocalLedger:
    """Household-day claims made at this gate; the database rule, in miniature (DESIGN.md)."""

    def __init__(self, store: Store | Path | str) -> None:
        self.store = store if isinstance(store, Store) else Store(store)
        with self.store.tx() as c:
            c.execute(
                "CREATE TABLE IF NOT EXISTS household_day ("
                " household_id INTEGER NOT NULL, local_date TEXT NOT NULL, person_id INTEGER NOT NULL,"
                " claimed_at TEXT NOT NULL, UNIQUE (household_id, local_date))"
            )
        self._pruned_before: date | None = None

    def holder(self, household_id: int, local_date: date) -> Holder | None:
        """Who holds the household's day at this gate, if anyone."""
        with self.store.tx() as c:
            row = c.execute(
                "SELECT person_id, claimed_at FROM household_day WHERE household_id = ? AND local_date = ?",
                (household_id, local_date.isoformat()),
            ).fetchone()
        return None if row is None else _holder(row)

    def claim(self, claim: DayClaim) -> Holder:
        """Claim atomically (INSERT … ON CONFLICT DO NOTHING); return whoever holds the day."""
        with self.store.tx() as c:
            c.execute(
                "INSERT INTO household_day (household_id, local_date, person_id, claimed_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (household_id, local_date) DO NOTHING",
                (
                    claim.household_id,
                    claim.local_date.isoformat(),
                    claim.person_id,
                    datetime.now(UTC).isoformat(),
                ),
            )
            row = c.execute(
                "SELECT person_id, claimed_at FROM household_day WHERE household_id = ? AND local_date = ?",
                (claim.household_id, claim.local_date.isoformat()),
            ).fetchone()
            self._prune(c, claim.local_date - timedelta(days=KEEP_DAYS))
        return _holder(row)

    def _prune(self, c: Any, before: date) -> None:
        # once for each new day claimed, not for every claim
        if self._pruned_before is not None and before <= self._pruned_before:
            return
        self._pruned_before = before
        gone = c.execute("DELETE FROM household_day WHERE local_date < ?", (before.isoformat(),)).rowcount
        if gone:
            logger.info("offline ledger: %d household-day claims before %s dropped", gone, before)


def _holder(row: tuple[int, str]) -> Holder:
    # the gate holds no names; the person id is what the guard can quote to the office
    person_id = int(row[0])
    return Holder(person_id=person_id, masked_name=f"#{person_id}", at=datetime.fromisoformat(row[1]))


class ConfigStore:
    """The last GateConfig payload received, kept verbatim."""

    def __init__(self, store: Store | Path | str) -> None:
        self.store = store if isinstance(store, Store) else Store(store)
        with self.store.tx() as c:
            c.execute(
                "CREATE TABLE IF NOT EXISTS gate_config ("
                " id INTEGER PRIMARY KEY CHECK (id = 1), payload BLOB NOT NULL, saved_at TEXT NOT NULL)"
            )

    def save(self, payload: bytes) -> None:
        """Keep this payload as the current config."""
        with self.store.tx() as c:
            c.execute(
                "INSERT INTO gate_config (id, payload, saved_at) VALUES (1, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET payload = excluded.payload, saved_at = excluded.saved_at",
                (payload, datetime.now(UTC).isoformat()),
            )

    def load(self) -> GateConfig | None:
        """The stored config, or None when there is none (or it no longer parses)."""
        with self.store.tx() as c:
            row = c.execute("SELECT payload FROM gate_config WHERE id = 1").fetchone()
        if row is None:
            return None
        try:
            return GateConfig.from_json(row[0])
        except MessageError as exc:
            logger.error("stored gate config is unreadable, ignored: %s", exc)
            return None
