"""A batch decides a household's events in the order they arrived, whatever their pass numbers: a
gate that was offline sends its scans in the order it made them, and central must judge the second
person of the day as second (the household day is the first one's)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import select

from central.audit.chain import verify
from central.decisions.service import DecisionService
from central.models.db import session_scope
from central.models.journal import EntryEvent, HouseholdDay
from central.office.keys import KeyRing
from gatecore.messages import DecisionMessage, OfflineDecision
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, build_world, event_id

LATER = NOW + timedelta(minutes=30)


def test_an_offline_gates_scans_of_one_household_are_judged_in_the_order_made(
    any_engine: Engine, keyring: KeyRing
) -> None:
    world = build_world(any_engine, keyring)
    service = DecisionService(any_engine, keyring)
    # li's pass is numbered after zhang's: li came first all the same
    assert world.passes["li"] > world.passes["zhang"]
    first, second = event_id(), event_id(LATER)
    arrived = NOW + timedelta(hours=1)
    admitted = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
    turned_away = OfflineDecision(Verdict.DENY, Reason.HOUSEHOLD_DAY_USED, 1)
    # the gate decided both alone (its own ledger held the day for li), then came back online and
    # sent both copies at once, in the order it made them
    outs = service.handle_batch(
        [
            (*world.scan("li", eid=first, seq=1, offline=admitted), arrived),
            (*world.scan("zhang", eid=second, seq=2, at=LATER, offline=turned_away), arrived),
        ]
    )
    answers = {a.event_id: a for a in (DecisionMessage.from_json(o.payload) for o in outs)}
    assert (answers[first].verdict, answers[second].reason) == (Verdict.ALLOW, Reason.HOUSEHOLD_DAY_USED)
    with session_scope(any_engine) as s:
        days = [d.person_id for d in s.exec(select(HouseholdDay)).all()]
        rows = {r.event_id: r for r in s.exec(select(EntryEvent).where(EntryEvent.kind == "decision"))}
        assert verify(s).ok
    assert days == [world.people["li"]]
    assert rows[first].conflict is None and rows[second].conflict is None, (
        rows[first].conflict,
        rows[second].conflict,
    )
    # a third member scanning later that day finds the day taken: two people never enter on one day
    [out] = service.handle(*world.scan("zhang", at=arrived), arrived)
    assert DecisionMessage.from_json(out.payload).reason is Reason.HOUSEHOLD_DAY_USED
