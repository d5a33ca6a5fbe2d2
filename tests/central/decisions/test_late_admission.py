"""A late copy of a scan central refused, carrying the gate's own admission: the person came in, so
they take what every admission takes (the household day), as when the offline decision arrives
first. In the order the gate's outbox sends its copies (the order it made them), in separate
batches or in one, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from central.audit.chain import verify
from central.decisions.service import DecisionService
from central.models.db import session_scope
from central.models.journal import EntryEvent, HouseholdDay
from central.models.registry import Pass
from central.office.keys import KeyRing
from gatecore.messages import DecisionMessage, OfflineDecision
from gatecore.reasons import Reason, Verdict
from tests.central.api.test_policy_validation import _store_bad_timezone
from tests.central.conftest import NOW, World, build_world, event_id

ADMITTED = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
REFUSED = OfflineDecision(Verdict.REFER, Reason.OFFLINE_UNVERIFIED, 1)
LATER = NOW + timedelta(minutes=1)
ARRIVED = NOW + timedelta(minutes=2)


def _days(engine: Engine) -> list[int]:
    with session_scope(engine) as s:
        assert verify(s).ok
        return [d.person_id for d in s.exec(select(HouseholdDay)).all()]


def _reconciled(engine: Engine, eid: str) -> str | None:
    with session_scope(engine) as s:
        return s.exec(select(EntryEvent.conflict).where(EntryEvent.of_event == eid)).one()


@pytest.mark.parametrize("together", [False, True], ids=["apart", "one-batch"])
def test_the_gates_admission_takes_the_day_its_earlier_refusal_gave_back(
    any_engine: Engine, keyring: KeyRing, together: bool
) -> None:
    """Li scans: central allows and takes the day, but its answer comes after the gate turned li away.
    A minute later zhang scans: central refuses (the day is li's), late again, and the gate, whose own
    ledger has the day free, lets zhang in. The copies come in the order made: li's refusal gives the
    day back, zhang's admission must take it. It took nothing, and li was let in again later: two
    people of one household out on one day."""
    world = build_world(any_engine, keyring)
    service = DecisionService(any_engine, keyring)
    li, zhang = event_id(), event_id(LATER)
    service.handle(*world.scan("li", eid=li, seq=5), NOW)
    service.handle(*world.scan("zhang", eid=zhang, seq=6, at=LATER), LATER)
    copies = [
        (*world.scan("li", eid=li, seq=5, offline=REFUSED), ARRIVED),
        (*world.scan("zhang", eid=zhang, seq=6, at=LATER, offline=ADMITTED), ARRIVED),
    ]
    answers = []
    for batch in [copies] if together else [[c] for c in copies]:
        answers += [DecisionMessage.from_json(o.payload) for o in service.handle_batch(batch)]
    assert [(a.offline_recorded, a.open) for a in answers] == [(True, False), (True, False)]
    assert _days(any_engine) == [world.people["zhang"]]
    assert _reconciled(any_engine, zhang) == (
        "gate decided allow/ok offline, central decided deny/household_day_used"
    )
    [out] = service.handle(*world.scan("li", at=ARRIVED), ARRIVED)
    again = DecisionMessage.from_json(out.payload)
    assert (again.reason, again.detail["day_holder"]) == (Reason.HOUSEHOLD_DAY_USED, "张*明")


def test_an_admission_central_refused_on_newer_facts_takes_the_day(
    any_engine: Engine, keyring: KeyRing
) -> None:
    """Li's pass was revoked after the gate's config was cut: central refuses, its answer is late, and
    the gate (not knowing) lets li in. Li came in: the day is li's, and zhang is refused later; a
    further copy is answered byte for byte and takes nothing again."""
    world = build_world(any_engine, keyring)
    service = DecisionService(any_engine, keyring)
    with session_scope(any_engine) as s:
        row = s.get(Pass, world.passes["li"])
        assert row is not None
        row.revoked_at = NOW - timedelta(hours=1)
    li = event_id()
    [first] = service.handle(*world.scan("li", eid=li), NOW)
    assert DecisionMessage.from_json(first.payload).reason is Reason.PASS_REVOKED
    late = world.scan("li", eid=li, offline=ADMITTED)
    [ack] = service.handle(*late, ARRIVED)
    assert service.handle(*late, ARRIVED + timedelta(seconds=30)) == [ack]
    assert _days(any_engine) == [world.people["li"]]
    [out] = service.handle(*world.scan("zhang", at=ARRIVED), ARRIVED)
    assert DecisionMessage.from_json(out.payload).reason is Reason.HOUSEHOLD_DAY_USED


def test_a_late_admission_on_a_day_held_by_another_says_so(world: World) -> None:
    """Zhang holds the day; li, refused by central, was let in by the gate: the day stays zhang's and
    the reconciliation names the holder, as for an offline admission that came first."""
    world.service.handle(*world.scan("zhang"), NOW)
    li = event_id(LATER)
    world.service.handle(*world.scan("li", eid=li, at=LATER), LATER)
    world.service.handle(*world.scan("li", eid=li, at=LATER, offline=ADMITTED), ARRIVED)
    assert _days(world.engine) == [world.people["zhang"]]
    assert _reconciled(world.engine, li) == (
        "gate decided allow/ok offline, central decided deny/household_day_used; "
        f"household day already held by person {world.people['zhang']}"
    )


def test_a_late_offline_copy_of_an_event_central_could_not_decide_is_acknowledged(world: World) -> None:
    """Central cannot decide the campus's scans (a bad stored time zone): the first copy is answered
    refer and logged. The gate's late copy, carrying its own admission, is logged beside it once and
    acknowledged: answered with the first copy's bytes, the gate kept it and resent it for ever."""
    _store_bad_timezone(world)
    eid = event_id()
    world.service.handle(*world.scan("zhang", eid=eid), NOW)
    late = world.scan("zhang", eid=eid, offline=ADMITTED)
    [ack] = world.service.handle(*late, ARRIVED)
    answer = DecisionMessage.from_json(ack.payload)
    assert (answer.reason, answer.offline_recorded, answer.open) == (Reason.DECISION_ERROR, True, False)
    assert world.service.handle(*late, ARRIVED + timedelta(seconds=30)) == [ack]
    assert _reconciled(world.engine, eid) == (
        "gate decided allow/ok offline, central decided refer/decision_error; "
        "central could not decide: no household day claimed"
    )
