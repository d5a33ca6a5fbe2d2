"""What central gives back when the gate turned someone away, judged by what the gate did on the
household's later scans: the same whether their late copies came in an earlier batch or in the same
batch as the refusal, on both databases."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from central.audit.chain import lock_head, verify
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


def _waiting_on_locks(engine: Engine, count: int) -> None:
    """Until ``count`` transactions of this database wait on a lock (a bounded number of looks)."""
    for _ in range(600):
        with engine.connect() as c:
            found = c.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar()
        if found is not None and found >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{count} transactions never waited on a lock")


def test_a_refusal_at_one_worker_sees_the_admission_another_is_logging(
    pg_engine: Engine, keyring: KeyRing
) -> None:
    """Li (central allowed, the gate turned her away) and zhang (central refused, the gate let him in):
    their late copies reach two workers at once. The admission's worker is logging (it waits on the
    chain head) when the refusal's worker asks whether a later admission stands on li's day: it must
    see zhang's, or leave the day for zhang to take. It gave li's day back unseen, and zhang, who
    came in, held none: the day was free for a third member."""
    world = build_world(pg_engine, keyring)
    service = DecisionService(pg_engine, keyring)
    li, zhang = event_id(), event_id(LATER)
    service.handle(*world.scan("li", eid=li, seq=5), NOW)
    service.handle(*world.scan("zhang", eid=zhang, seq=6, at=LATER), LATER)
    arrived = NOW + timedelta(minutes=2)
    admission = world.scan("zhang", eid=zhang, seq=6, at=LATER, offline=ADMITTED)
    refusal = world.scan("li", eid=li, seq=5, offline=REFUSED)
    workers = [
        threading.Thread(target=DecisionService(pg_engine, keyring).handle, args=(*copy, arrived))
        for copy in (admission, refusal)
    ]
    with session_scope(pg_engine) as other:  # a third worker appending holds the head meanwhile
        lock_head(other)
        for waiting, worker in enumerate(workers, start=1):
            worker.start()
            _waiting_on_locks(pg_engine, waiting)
    for worker in workers:
        worker.join()
    with session_scope(pg_engine) as s:
        days = [d.person_id for d in s.exec(select(HouseholdDay)).all()]
        assert verify(s).ok
    assert len(days) == 1, days  # li's (zhang's admission stands on it) or zhang's (li's given back)
    other = "li" if days == [world.people["zhang"]] else "zhang"
    [out] = service.handle(*world.scan(other, at=arrived), arrived)
    assert DecisionMessage.from_json(out.payload).reason is Reason.HOUSEHOLD_DAY_USED
