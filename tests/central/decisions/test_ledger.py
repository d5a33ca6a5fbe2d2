"""The household-day claim under real concurrency, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from central.audit.chain import verify_chain
from central.decisions.ledger import claim_day
from central.decisions.service import DecisionService
from central.models.db import session_scope
from central.models.journal import EntryEvent, HouseholdDay
from central.models.registry import Person
from central.office.keys import KeyRing
from gatecore.messages import DecisionMessage
from gatecore.policy import DayClaim, Holder
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, build_world

THREADS = 12
DAY = date(2026, 11, 23)


def _race(n: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` on n threads released at the same instant."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def _concurrent_claims(engine: Engine, keyring: KeyRing) -> None:
    world = build_world(engine, keyring)
    with session_scope(engine) as s:
        members = [
            Person(household_id=world.household_id, name=f"成员{i:02d}号", category="RESIDENT")
            for i in range(THREADS)
        ]
        s.add_all(members)
        s.flush()
        person_ids = [m.id for m in members]

    def claim(i: int) -> Holder | None:
        with session_scope(engine) as s:
            return claim_day(s, DayClaim(world.household_id, DAY, person_ids[i]), f"event-{i}")

    results = _race(THREADS, claim)
    winners = [i for i, r in enumerate(results) if r is None]
    assert len(winners) == 1
    winner = person_ids[winners[0]]
    assert all(isinstance(r, Holder) and r.person_id == winner for r in results if r is not None)
    with session_scope(engine) as s:
        rows = s.exec(select(HouseholdDay)).all()
    assert [(r.person_id, r.local_date) for r in rows] == [(winner, DAY)]
    # each loser learns when the winner claimed the day, for the refusal to say so
    assert {r.at for r in results if r is not None} == {rows[0].created_at}
    # the winner claiming again still holds the day; the next day is free again
    with session_scope(engine) as s:
        assert claim_day(s, DayClaim(world.household_id, DAY, winner), "again") is None
        loser = next(p for p in person_ids if p != winner)
        assert claim_day(s, DayClaim(world.household_id, DAY + timedelta(days=1), loser), "tomorrow") is None


def test_concurrent_claims_have_one_winner_sqlite(engine: Engine, keyring: KeyRing) -> None:
    _concurrent_claims(engine, keyring)


def test_concurrent_claims_have_one_winner_postgresql(pg_engine: Engine, keyring: KeyRing) -> None:
    _concurrent_claims(pg_engine, keyring)


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_two_workers_two_members_same_second(
    db: str, request: pytest.FixtureRequest, keyring: KeyRing
) -> None:
    """Two services (as two workers would) decide two members at two gates in the same second."""
    engine: Engine = request.getfixturevalue("engine" if db == "sqlite" else "pg_engine")
    world = build_world(engine, keyring)
    services = [DecisionService(engine, keyring), DecisionService(engine, keyring)]
    roles = ["zhang", "li"]
    scans = [world.scan(role) for role in roles]
    # each pair: one event delivered twice (to both workers) so the duplicate path races too
    results = _race(4, lambda i: services[i % 2].handle(*scans[i // 2], NOW))
    decisions = [DecisionMessage.from_json(r[0].payload) for r in results]  # type: ignore[index]
    by_event = {d.event_id: d for d in decisions}
    assert len(by_event) == 2
    for i in (0, 2):  # both deliveries of one event got the same answer
        assert results[i] == results[i + 1]
    verdicts = sorted((d.verdict, d.reason) for d in by_event.values())
    assert verdicts == [(Verdict.ALLOW, Reason.OK), (Verdict.DENY, Reason.HOUSEHOLD_DAY_USED)]
    with session_scope(engine) as s:
        assert len(s.exec(select(EntryEvent)).all()) == 2
        assert verify_chain(s) is None
