"""What central gives back when the gate turned someone away, judged by what the gate did on the
household's later scans: the same whether their late copies came in an earlier batch or in the same
batch as the refusal, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
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

ADMITTED = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
REFUSED = OfflineDecision(Verdict.REFER, Reason.OFFLINE_UNVERIFIED, 1)
LATER = NOW + timedelta(minutes=1)


@pytest.mark.parametrize(
    "batches", [[[0], [1], [2]], [[0], [1, 2]], [[0, 1, 2]]], ids=["apart", "late-copies", "all"]
)
@pytest.mark.parametrize(
    "first,second,gate_did,holder",
    [
        # central said the day was li's; the gate let zhang in on its own: his entry stands on the
        # day, which stays li's
        ("li", "zhang", ADMITTED, "li"),
        # central said allow; the gate turned zhang away again: nobody came in, the day is free
        ("zhang", "zhang", REFUSED, None),
    ],
    ids=["offline-admission-relies", "offline-refusal-does-not"],
)
def test_a_late_copy_in_the_refusals_batch_counts_as_the_gate_acted(
    any_engine: Engine,
    keyring: KeyRing,
    first: str,
    second: str,
    gate_did: OfflineDecision,
    holder: str | None,
    batches: list[list[int]],
) -> None:
    """``first`` scans: central allows and claims the household's day, but its answer comes after
    the gate turned them away. A minute later ``second`` scans: central decides, and so does the
    gate on its own. Then the late copies come, the later scan's first (in one batch, too: a batch
    decides a household's events in their order of arrival). What the gate did on the later scan
    decides whether the first's day is given back, though its reconciliation (and, in one batch
    with its first copy, its decision) is not in the log yet when the first's refusal is handled."""
    world = build_world(any_engine, keyring)
    service = DecisionService(any_engine, keyring)
    ids = event_id(), event_id(LATER)
    service.handle(*world.scan(first, eid=ids[0], seq=5), NOW)
    arrived = NOW + timedelta(minutes=2)
    copies = [
        (*world.scan(second, eid=ids[1], seq=6, at=LATER), LATER),
        (*world.scan(second, eid=ids[1], seq=6, at=LATER, offline=gate_did), arrived),
        (*world.scan(first, eid=ids[0], seq=5, offline=REFUSED), arrived),
    ]
    for batch in batches:  # copies in one batch waited in the broker while central was down
        service.handle_batch([copies[i] for i in batch])
    with session_scope(any_engine) as s:
        days = [d.person_id for d in s.exec(select(HouseholdDay)).all()]
        conflict = s.exec(select(EntryEvent.conflict).where(EntryEvent.of_event == ids[0])).one()
        assert verify(s).ok
    assert days == ([world.people[holder]] if holder else [])
    assert conflict is not None and ("given back" in conflict) is (holder is None)
    # the household's other member, scanning now, finds the day as the gate left it
    other = "zhang" if holder == "li" else "li"
    [out] = service.handle(*world.scan(other, at=arrived), arrived)
    answer = DecisionMessage.from_json(out.payload)
    assert answer.reason is (Reason.HOUSEHOLD_DAY_USED if holder else Reason.OK)
