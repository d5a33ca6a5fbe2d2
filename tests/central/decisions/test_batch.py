"""Group commit keeps every guarantee: a bad event does not stop its batch, a worker killed in the
middle of a batch loses nothing and answers nothing twice, a registry change reaches the cache
before the next decision. Real SQLite and PostgreSQL; failures come from the database itself."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import psycopg
from sqlalchemy import Engine, text
from sqlmodel import func, select

from central.audit.chain import verify
from central.decisions.service import DecisionService
from central.models.db import make_engine, session_scope, unpinged
from central.models.journal import EntryEvent, RejectedMessage
from central.models.registry import Gate, Pass
from central.office.keys import KeyRing
from gatecore import topics
from gatecore.messages import DecisionMessage
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, World, build_world

RECEIVED = NOW + timedelta(milliseconds=40)


def _answers(out) -> dict[str, DecisionMessage]:
    msgs = [DecisionMessage.from_json(o.payload) for o in out if o.topic.endswith("/decisions")]
    return {m.event_id: m for m in msgs}


def _logged(engine: Engine) -> list[str]:
    with session_scope(engine) as s:
        return list(s.exec(select(EntryEvent.event_id).where(EntryEvent.kind == "decision")))


def test_a_bad_event_does_not_stop_its_batch(world: World) -> None:
    second = build_world(world.engine, world.keyring, gate_id="test-refused")
    with session_scope(world.engine) as s:  # the database itself refuses every row of this gate
        s.connection().exec_driver_sql(
            "CREATE TRIGGER refuse_gate BEFORE INSERT ON entry_event WHEN NEW.gate_id = 'test-refused' "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )
    good = [world.scan(role) for role in ("zhang", "staff", "wang")]
    refused = second.scan("zhang")
    malformed = (topics.gate_events(world.gate_id), b'{"v":1,"type":"scan","event_id":"x"}')
    items = [(t, p, RECEIVED) for t, p in (good[0], refused, malformed, good[1], good[2])]

    out = world.service.handle_batch(items)

    answered = _answers(out)
    good_ids = [_event_id(p) for _, p in good]
    assert all(answered[e].verdict is Verdict.ALLOW for e in good_ids)
    assert _event_id(refused[1]) not in answered  # not logged, not answered: its gate resends it
    assert sorted(_logged(world.engine)) == sorted(good_ids)
    with session_scope(world.engine) as s:
        assert s.exec(select(func.count()).select_from(RejectedMessage)).one() == 1
        assert verify(s).ok


def _event_id(payload: bytes) -> str:
    return str(json.loads(payload)["event_id"])


def _decide_in_child(url: str, keys: str, items: list, pipe) -> None:
    service = DecisionService(make_engine(url), KeyRing.open(Path(keys)))
    pipe.send(len(service.handle_batch(items)))  # never reached: killed inside the transaction


def test_worker_killed_mid_batch_loses_nothing_and_answers_nothing_twice(
    pg_engine: Engine, pg_url: str, tmp_path
) -> None:
    keyring = KeyRing.open(tmp_path / "keys")
    world = build_world(pg_engine, keyring)
    slow = build_world(pg_engine, keyring, gate_id="test-slow")
    with session_scope(pg_engine) as s:  # a batch holding an event of this gate stalls in its commit
        s.connection().exec_driver_sql(
            "CREATE FUNCTION stall() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$"
            " LANGUAGE plpgsql;"
            "CREATE TRIGGER stall BEFORE INSERT ON entry_event FOR EACH ROW"
            " WHEN (NEW.gate_id = 'test-slow') EXECUTE FUNCTION stall()"
        )
    items = [(t, p, RECEIVED) for t, p in (world.scan("zhang"), world.scan("staff"), slow.scan("wang"))]
    receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=_decide_in_child, args=(pg_url, str(tmp_path / "keys"), items, send)
    )
    child.start()
    admin = psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    inserting = (
        "FROM pg_stat_activity WHERE query LIKE '%INSERT INTO entry_event%' AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the child is inside its batch, in the trigger
        if admin.execute(f"SELECT count(*) {inserting}").fetchone()[0]:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the child never reached the insert")
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    assert not receive.poll(0.5)  # it published nothing: answers exist only after a commit
    admin.execute(f"SELECT pg_terminate_backend(pid) {inserting}")
    admin.execute("DROP TRIGGER stall ON entry_event")
    admin.close()
    assert _logged(pg_engine) == []  # the killed batch left nothing half-written

    service = DecisionService(pg_engine, keyring)  # the gates resend; a new worker decides
    first = service.handle_batch(items)
    again = service.handle_batch(items)  # and a second resend is answered byte for byte
    assert len(_answers(first)) == 3 and sorted(first) == sorted(again)
    assert sorted(_logged(pg_engine)) == sorted(_event_id(p) for _, p, _ in items)
    with session_scope(pg_engine) as s:
        assert verify(s).ok


def test_registry_change_reaches_the_cache_before_the_next_decision(world: World) -> None:
    service = world.service  # one worker's service: its cache lives across batches
    assert (
        DecisionMessage.from_json(service.handle(*world.scan("staff"), RECEIVED)[0].payload).verdict
        is Verdict.ALLOW
    )
    assert (
        DecisionMessage.from_json(service.handle(*world.scan("staff"), RECEIVED)[0].payload).verdict
        is Verdict.ALLOW
    )
    assert service.cache.hits > 0  # the second decision was served from the cache

    with session_scope(world.engine) as s:  # the office revokes the pass (another session, committed)
        row = s.get(Pass, world.passes["staff"])
        assert row is not None
        row.revoked_at = NOW - timedelta(minutes=1)
        s.add(row)
    msg = DecisionMessage.from_json(service.handle(*world.scan("staff"), RECEIVED)[0].payload)
    assert (msg.verdict, msg.reason) == (Verdict.DENY, Reason.PASS_REVOKED)

    with session_scope(world.engine) as s:  # and closes the gate
        gate = s.get(Gate, world.gate_id)
        assert gate is not None
        gate.open = False
        s.add(gate)
    msg = DecisionMessage.from_json(service.handle(*world.scan("zhang"), RECEIVED)[0].payload)
    assert Reason.GATE_CLOSED.value in msg.reasons
    with session_scope(world.engine) as s:
        assert s.exec(text("SELECT revision FROM registry_revision")).one()[0] >= 2


def test_a_household_day_claimed_in_a_rolled_back_batch_is_not_remembered(world: World) -> None:
    # the day's holder is remembered between batches, but only once the claim committed: a batch that
    # rolled back after zhang's claim must leave the day free for li
    service = world.service  # one worker's service: its cache lives across batches
    with session_scope(world.engine) as s:  # the database refuses zhang's log row, after the claim
        s.connection().exec_driver_sql(
            "CREATE TRIGGER refuse_zhang BEFORE INSERT ON entry_event "
            f"WHEN NEW.person_id = {world.people['zhang']} BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    assert service.handle(*world.scan("zhang"), RECEIVED) == []  # not logged: the gate resends
    with session_scope(world.engine) as s:
        s.connection().exec_driver_sql("DROP TRIGGER refuse_zhang")

    li = DecisionMessage.from_json(service.handle(*world.scan("li"), RECEIVED)[0].payload)
    assert (li.verdict, li.reason) == (Verdict.ALLOW, Reason.OK)
    again = DecisionMessage.from_json(service.handle(*world.scan("zhang"), RECEIVED)[0].payload)
    assert again.reason is Reason.HOUSEHOLD_DAY_USED  # li's committed claim is the one remembered
    assert again.detail["day_holder"] == "李*华"


def test_two_workers_claiming_the_same_households_in_opposite_orders_do_not_deadlock(
    pg_engine: Engine, keyring: KeyRing, caplog
) -> None:
    # each claim holds its household's row until the batch commits; the database is slowed at every
    # claim so that two batches overlap. Decided in arrival order they would take hh1 then hh2, and
    # hh2 then hh1: a deadlock, the batch lost and decided again one by one
    first, second = (build_world(pg_engine, keyring, gate_id=f"lock-{n}") for n in (1, 2))
    with pg_engine.begin() as c:
        c.exec_driver_sql(
            "CREATE FUNCTION slow_claim() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NEW; END $$ "
            "LANGUAGE plpgsql; CREATE TRIGGER slow_claim AFTER INSERT ON household_day "
            "FOR EACH ROW EXECUTE FUNCTION slow_claim()"
        )
    batches = [
        [(*first.scan("zhang"), RECEIVED), (*second.scan("zhang"), RECEIVED)],
        [(*second.scan("li"), RECEIVED), (*first.scan("li"), RECEIVED)],
    ]
    services = [DecisionService(pg_engine, keyring), DecisionService(pg_engine, keyring)]
    results: list[list] = [[], []]

    def run(n: int) -> None:
        results[n] = services[n].handle_batch(batches[n])

    import threading

    threads = [threading.Thread(target=run, args=(n,)) for n in (0, 1)]
    with caplog.at_level("WARNING"):
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert not [r for r in caplog.records if "deciding them one by one" in r.getMessage()]
    answers = {**_answers(results[0]), **_answers(results[1])}
    assert len(answers) == 4  # each household's day went to exactly one of its two members
    for world in (first, second):
        members = [m for m in answers.values() if m.gate_id == world.gate_id]
        assert sorted(m.reason for m in members) == sorted([Reason.OK, Reason.HOUSEHOLD_DAY_USED])
    with session_scope(pg_engine) as s:
        assert verify(s).ok


def test_connections_the_database_closed_cost_no_answer(pg_engine: Engine, keyring: KeyRing) -> None:
    # a PostgreSQL restart or an idle timeout closes the pooled connections behind the worker's back
    world = build_world(pg_engine, keyring)
    service = DecisionService(unpinged(pg_engine), keyring)  # the worker's: no ping before each batch
    first = world.scan("staff")
    assert _answers(service.handle_batch([(*first, RECEIVED)]))  # the pool now holds a connection
    name = pg_engine.url.database
    with psycopg.connect(
        pg_engine.url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False),
        autocommit=True,
    ) as admin:
        closed = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    assert closed, "no pooled connection was open"

    lone = world.scan("zhang")
    answered = _answers(service.handle_batch([(*lone, RECEIVED)]))

    assert answered[_event_id(lone[1])].verdict is Verdict.ALLOW  # answered at once, not left to a resend
    assert sorted(_logged(pg_engine)) == sorted(_event_id(p) for _, p in (first, lone))
    service.engine.dispose()
