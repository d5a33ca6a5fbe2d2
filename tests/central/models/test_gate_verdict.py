"""What the gate did on a decision row is one rule: the SQL the reports and the claim check read the
log with (gate_verdict) and its twin for a batch's rows not inserted yet (gate_verdict_of) give one
answer over the same rows, on both databases."""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy import Engine
from sqlmodel import select

from central.models.db import session_scope
from central.models.journal import RECONCILE, EntryEvent, decided_offline, gate_verdict, gate_verdict_of
from tests.central.conftest import NOW

# a decision's own offline verdict; its reconciliation row's (absent, or one carrying none); central's
OWN = (None, "allow", "deny")
RECONCILED: tuple[str | None, ...] = ("absent", None, "allow", "refer")
CENTRAL = ("allow", "deny")


def _row(**fields: object) -> EntryEvent:
    values: dict[str, object] = {
        "event_id": str(uuid.uuid4()),
        "gate_id": "test-north",
        "gate_time": NOW,
        "received_at": NOW,
        "reason": "ok",
        "decision_json": "{}",
    }
    return EntryEvent(**(values | fields))


def test_the_sql_and_its_twin_agree_on_every_row(any_engine: Engine) -> None:
    expected = {}
    with session_scope(any_engine) as s:
        for own, reconciled, central in itertools.product(OWN, RECONCILED, CENTRAL):
            decision = _row(verdict=central, offline_verdict=own)
            s.add(decision)
            # the gate's own decision, else the one its reconciliation carries, else central's
            expected[decision.event_id] = own or (reconciled if reconciled != "absent" else None) or central
            if reconciled != "absent":
                s.add(
                    _row(
                        kind=RECONCILE,
                        of_event=decision.event_id,
                        verdict=central,
                        offline_verdict=reconciled,
                    )
                )
    with session_scope(any_engine) as s:
        rows = s.exec(select(EntryEvent)).all()
        by_sql = dict(
            s.exec(select(EntryEvent.event_id, gate_verdict()).where(EntryEvent.kind == "decision")).all()
        )
    by_python = {row.event_id: gate_verdict_of(row, rows) for row in rows if row.kind == "decision"}
    assert by_sql == expected
    assert by_python == by_sql


def test_decided_offline_reads_the_reconciliation_once(any_engine: Engine) -> None:
    """The gate's own offline decision or its reconciliation's counts, one it never acted on before a
    restart does not, and a row without one is false, not NULL: one lookup of the reconciliation."""
    cases = {  # (own offline reason, reconciliation's) -> decided offline
        (None, None): False,
        ("ok", None): True,
        (None, "offline_unverified"): True,
        ("gate_restarted", None): False,
        (None, "gate_restarted"): False,
    }
    expected = {}
    with session_scope(any_engine) as s:
        for (own, reconciled), decided in cases.items():
            verdict = None if own is None else "refer"
            decision = _row(verdict="allow", offline_verdict=verdict, offline_reason=own)
            s.add(decision)
            expected[decision.event_id] = decided
            if reconciled is not None:
                s.add(
                    _row(
                        kind=RECONCILE,
                        of_event=decision.event_id,
                        verdict="allow",
                        offline_verdict="refer",
                        offline_reason=reconciled,
                    )
                )
    query = select(EntryEvent.event_id, decided_offline()).where(EntryEvent.kind == "decision")
    with session_scope(any_engine) as s:
        found = {event: None if value is None else bool(value) for event, value in s.exec(query)}
    assert found == expected
    assert str(query).count("AS reconciled") == 1
