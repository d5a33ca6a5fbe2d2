"""The household-day claim under real concurrency, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from central.audit.chain import verify_chain
from central.decisions import batch as batch_module
from central.decisions.cache import NoCache, RegistryCache
from central.decisions.ledger import claim_day
from central.decisions.service import DecisionService
from central.models.db import session_scope
from central.models.journal import EntryEvent, HouseholdDay
from central.models.registry import Household, Pass, Person
from central.office.keys import KeyRing
from gatecore.messages import DecisionMessage
from gatecore.policy import DayClaim, Holder
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, World, build_world, visitor_pass

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


def test_two_workers_two_members_same_second(any_engine: Engine, keyring: KeyRing) -> None:
    """Two services (as two workers would) decide two members at two gates in the same second."""
    world = build_world(any_engine, keyring)
    services = [DecisionService(any_engine, keyring), DecisionService(any_engine, keyring)]
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
    with session_scope(any_engine) as s:
        assert len(s.exec(select(EntryEvent)).all()) == 2
        assert verify_chain(s) is None


def _households(world: World, n: int) -> list[str]:
    """n more households of one resident each; their pass tokens."""
    tokens = []
    with session_scope(world.engine) as s:
        for i in range(n):
            hh = Household(
                campus_id=world.campus_id, building="9", unit="1", room=f"{i:03d}", label=f"9-1-{i:03d}"
            )
            s.add(hh)
            s.flush()
            person = Person(household_id=hh.id, name=f"住户{i:02d}", category="RESIDENT")
            s.add(person)
            s.flush()
            p = Pass(
                person_id=person.id,
                kind="RESIDENT",
                campus_id=world.campus_id,
                household_id=hh.id,
                valid_from=NOW - timedelta(days=1),
                valid_until=NOW + timedelta(days=30),
            )
            s.add(p)
            s.flush()
            tokens.append(world.keyring.issue(p))
    return tokens


def _on_days(statement: str) -> bool:
    # a statement on the table (the log rows' text may name the reason household_day_used)
    return re.search(r"\b(FROM|INTO) household_day\b", statement) is not None


def test_batch_reads_and_claims_its_household_days_in_one_statement_each(
    any_engine: Engine, keyring: KeyRing
) -> None:
    world = build_world(any_engine, keyring)
    tokens = _households(world, 6)
    service = DecisionService(any_engine, keyring)
    service.handle(*world.scan("staff"), NOW)  # the gate and the policy are read before we count
    statements: list[str] = []
    event.listen(any_engine, "before_cursor_execute", lambda *a: statements.append(" ".join(a[2].split())))
    scans = [world.scan(t) for t in tokens] + [world.scan("zhang"), world.scan("li")]
    answers = [DecisionMessage.from_json(o.payload) for o in service.handle_batch([(*s, NOW) for s in scans])]
    days = [q.split(" ", 1)[0] for q in statements if _on_days(q)]
    assert days == ["SELECT", "INSERT"], days  # not a read and a claim per household
    if any_engine.dialect.name == "postgresql":  # the claims travel in the query that commits
        claimed = next(q for q in statements if _on_days(q) and q.startswith("INSERT"))
        assert "INSERT INTO entry_event" in claimed and claimed.endswith("COMMIT")
    # the household of three: the first member takes the day, the second is refused naming her
    verdicts = [(a.verdict, a.reason) for a in answers]
    assert verdicts == [(Verdict.ALLOW, Reason.OK)] * 7 + [(Verdict.DENY, Reason.HOUSEHOLD_DAY_USED)]
    assert answers[-1].detail["day_holder"] == "张*明"
    with session_scope(any_engine) as s:
        rows = s.exec(select(HouseholdDay)).all()
        assert len(rows) == 7 and world.people["zhang"] in {r.person_id for r in rows}
        assert verify_chain(s) is None
    # the days are remembered once committed: the same people again read and claim nothing
    statements.clear()
    again = [
        DecisionMessage.from_json(o.payload)
        for o in service.handle_batch([(*world.scan(t), NOW) for t in tokens])
    ]
    assert {a.verdict for a in again} == {Verdict.ALLOW}
    assert [q for q in statements if _on_days(q)] == []


def test_day_taken_after_the_batch_read_it_free_is_decided_again(
    pg_engine: Engine, keyring: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker commits a claim between the batch's read of the day and its claim: the batch
    rolls back, is decided again claim by claim, and the gate hears who holds the day."""
    world = build_world(pg_engine, keyring)
    real_take, flushes = batch_module.take_claims, []

    def take_after_a_rival(session: Session) -> list[dict[str, Any]]:
        if not flushes:  # the rival: li, at another gate, on its own connection, committed
            with session_scope(pg_engine) as rival:
                assert (
                    claim_day(rival, DayClaim(world.household_id, DAY, world.people["li"]), "rival") is None
                )
        flushes.append(session)
        return real_take(session)

    monkeypatch.setattr(batch_module, "take_claims", take_after_a_rival)
    service = DecisionService(pg_engine, keyring)
    out = service.handle(
        *world.scan("zhang", at=datetime(2026, 11, 23, 2, tzinfo=UTC)), datetime(2026, 11, 23, 2, tzinfo=UTC)
    )
    answer = DecisionMessage.from_json(out[0].payload)
    assert (answer.verdict, answer.reason) == (Verdict.DENY, Reason.HOUSEHOLD_DAY_USED)
    assert answer.detail["day_holder"] == "李*华"
    assert len(flushes) == 2  # read free, lost, decided again
    with session_scope(pg_engine) as s:
        assert [r.person_id for r in s.exec(select(HouseholdDay)).all()] == [world.people["li"]]
        assert [e.verdict for e in s.exec(select(EntryEvent)).all()] == ["deny"]
        assert verify_chain(s) is None


def test_a_remembered_holder_is_its_transactions_own_until_it_commits(
    engine: Engine, keyring: KeyRing
) -> None:
    world = build_world(engine, keyring)
    cache = RegistryCache()
    holder = Holder(world.people["zhang"], "张*明", NOW)
    with Session(engine) as one, Session(engine) as other:
        cache.remember(one, ("day_holder", world.household_id, DAY), holder)
        assert cache.recall(one, ("day_holder", world.household_id, DAY)) == holder
        # a transaction beside it (a second decision thread, an API request) must not see an uncommitted day
        assert cache.recall(other, ("day_holder", world.household_id, DAY)) is None
        cache.committed(one)
        assert cache.recall(other, ("day_holder", world.household_id, DAY)) == holder


def test_a_one_time_pass_is_marked_used_at_its_decision_and_refused_after(
    any_engine: Engine, keyring: KeyRing
) -> None:
    world = build_world(any_engine, keyring)
    token, pass_id = visitor_pass(world, NOW - timedelta(hours=1), NOW + timedelta(hours=3))
    service = DecisionService(any_engine, keyring)
    first_at, again_at = NOW + timedelta(milliseconds=40), NOW + timedelta(minutes=2)
    first = DecisionMessage.from_json(service.handle(*world.scan(token), first_at)[0].payload)
    assert (first.verdict, first.reason) == (Verdict.ALLOW, Reason.OK)
    with session_scope(any_engine) as s:
        used = s.get(Pass, pass_id)
        assert used is not None and used.used_at == first_at  # the instant it was judged, as UTC
    again = DecisionMessage.from_json(service.handle(*world.scan(token, at=again_at), again_at)[0].payload)
    assert (again.verdict, again.reason) == (Verdict.DENY, Reason.VISITOR_PASS_USED)


@pytest.mark.parametrize(
    "cache", [RegistryCache, NoCache], ids=["claims-with-the-log-rows", "claims-as-decided"]
)
def test_a_batch_locks_the_chain_head_before_any_household_day(
    pg_engine: Engine, keyring: KeyRing, cache: Callable[[], RegistryCache]
) -> None:
    """One lock order for every batch, head first: a batch that claims a day and then waits for the head
    while another holds the head and waits for that day would deadlock (PostgreSQL breaks it after a
    second, and the batch is decided one event at a time)."""
    world = build_world(pg_engine, keyring)
    statements: list[str] = []
    event.listen(pg_engine, "before_cursor_execute", lambda *a: statements.append(" ".join(a[2].split())))
    answer = DecisionMessage.from_json(
        DecisionService(pg_engine, keyring, cache()).handle(*world.scan("zhang"), NOW)[0].payload
    )
    assert answer.verdict == Verdict.ALLOW
    head = next(i for i, q in enumerate(statements) if "FROM chain_head" in q and "FOR UPDATE" in q)
    claim = next(i for i, q in enumerate(statements) if "INTO household_day" in q)
    assert head <= claim, statements[head : claim + 1]
    with session_scope(pg_engine) as s:
        assert [d.person_id for d in s.exec(select(HouseholdDay)).all()] == [world.people["zhang"]]
