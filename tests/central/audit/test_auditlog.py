"""The entry log's hash chain: intact after decisions, broken by an edit, a deletion, a reorder."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import col, func, select

from central.audit.chain import append_entries, verify_chain
from central.models.db import session_scope
from central.models.journal import EntryEvent
from central.models.registry import Person
from central.office.keys import KeyRing
from tests.central.conftest import NOW, World, build_world


def _log_five(world: World) -> None:
    for i, role in enumerate(["zhang", "li", "wang", "staff", "zhang"]):
        at = NOW + timedelta(minutes=i)
        assert world.service.handle(*world.scan(role, at=at), at)


def _verify(engine: Engine) -> int | None:
    with session_scope(engine) as s:
        return verify_chain(s)


@pytest.fixture(params=["sqlite", "postgresql"])
def logged(request: pytest.FixtureRequest, keyring: KeyRing) -> Engine:
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    _log_five(build_world(engine, keyring))
    assert _verify(engine) is None
    return engine


def test_edited_row_is_found(logged: Engine) -> None:
    with logged.begin() as c:
        seq = c.execute(text("SELECT seq FROM entry_event ORDER BY seq LIMIT 1 OFFSET 2")).scalar_one()
        c.execute(text("UPDATE entry_event SET verdict = 'allow', reason = 'ok' WHERE seq = :s"), {"s": seq})
    assert _verify(logged) == seq


def test_deleted_row_is_found(logged: Engine) -> None:
    with logged.begin() as c:
        seqs = list(c.execute(text("SELECT seq FROM entry_event ORDER BY seq")).scalars())
        c.execute(text("DELETE FROM entry_event WHERE seq = :s"), {"s": seqs[1]})
    assert _verify(logged) == seqs[2]


def test_deleted_tail_is_found(logged: Engine) -> None:
    with logged.begin() as c:
        last = c.execute(text("SELECT max(seq) FROM entry_event")).scalar_one()
        c.execute(text("DELETE FROM entry_event WHERE seq = :s"), {"s": last})
    assert _verify(logged) == last


def test_swapped_rows_are_found(logged: Engine) -> None:
    with logged.begin() as c:
        a, b = list(c.execute(text("SELECT seq FROM entry_event ORDER BY seq LIMIT 2 OFFSET 1")).scalars())
        c.execute(text("UPDATE entry_event SET seq = -1 WHERE seq = :a"), {"a": a})
        c.execute(text("UPDATE entry_event SET seq = :a WHERE seq = :b"), {"a": a, "b": b})
        c.execute(text("UPDATE entry_event SET seq = :b WHERE seq = -1"), {"b": b})
    assert _verify(logged) == a


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_concurrent_appends_keep_one_chain(db: str, request: pytest.FixtureRequest, keyring: KeyRing) -> None:
    """Many workers appending at once (no household claim to serialise them) must not fork the chain."""
    engine: Engine = request.getfixturevalue("engine" if db == "sqlite" else "pg_engine")
    world = build_world(engine, keyring)
    scans = [world.scan("staff", at=NOW + timedelta(seconds=i)) for i in range(12)]
    barrier = threading.Barrier(len(scans))

    def run(i: int) -> None:
        service = world.service
        barrier.wait()
        assert service.handle(*scans[i], NOW)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(scans))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(EntryEvent)).one() == len(scans)
        assert verify_chain(s) is None


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_awkward_content_is_stored_as_it_was_hashed(
    db: str, request: pytest.FixtureRequest, keyring: KeyRing
) -> None:
    """A batch is sent to PostgreSQL as one JSON text, quoted into the query that commits it: quotes,
    backslashes, placeholders, control characters, CJK, emoji, floats and instants with an offset
    come back exactly as they were hashed, and nothing in them is read as SQL."""
    engine: Engine = request.getfixturevalue("engine" if db == "sqlite" else "pg_engine")
    beijing = timezone(timedelta(hours=8))
    texts = [
        '张 "三"\\ 100% %(hash)s',
        "a\nb\tc\u2028",
        "😷 发热 fever",
        "'); COMMIT; DROP TABLE person; --",
        "{'x': [1]}",
    ]
    rows = [
        EntryEvent(
            event_id=f"awkward-{i}",
            gate_id="gate-\u95e8",
            gate_time=datetime(2026, 11, 29, 7, 59, 59, 999_999 - i, tzinfo=beijing),
            received_at=datetime(9999, 12, 31, 23, 59, 59, i, tzinfo=UTC),
            celsius=[36.6, 37.300000000000004, -0.5, 42.0, None][i],
            verdict="refuse",
            reason=text_,
            reasons=text_,
            conflict=None if i % 2 else text_,
            decision_json=json.dumps({"holder": text_}, ensure_ascii=False),
        )
        for i, text_ in enumerate(texts)
    ]
    build_world(engine, keyring)  # people the injected text would drop
    people = select(func.count()).select_from(Person)
    with session_scope(engine) as s:
        before = s.exec(people).one()
        assert before > 0
        append_entries(s, rows, commit=True)
    with session_scope(engine) as s:
        stored = [
            r
            for r in s.exec(select(EntryEvent).order_by(col(EntryEvent.seq)))
            if r.event_id.startswith("awkward")
        ]
        assert verify_chain(s) is None
    assert [(r.reason, r.conflict, r.celsius, r.decision_json) for r in stored] == [
        (r.reason, r.conflict, r.celsius, r.decision_json) for r in rows
    ]
    assert [(r.gate_time, r.received_at) for r in stored] == [(r.gate_time, r.received_at) for r in rows]
    with session_scope(engine) as s:
        assert s.exec(people).one() == before  # the table the text names is still there, untouched


def test_on_postgresql_the_append_carries_its_commit(pg_engine: Engine) -> None:
    """The batch's last statement ends its transaction: the connection is idle as soon as the rows'
    insert returns, with no COMMIT of its own left to send (a round trip per batch)."""
    after_insert: list[object] = []

    def status(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "INSERT INTO entry_event" in statement:
            after_insert.append(conn.connection.driver_connection.info.transaction_status)

    row = EntryEvent(
        event_id="carried",
        gate_id="g",
        gate_time=NOW,
        received_at=NOW,
        verdict="allow",
        reason="ok",
        decision_json="{}",
    )
    event.listen(pg_engine, "after_cursor_execute", status)
    try:
        with session_scope(pg_engine) as s:
            append_entries(s, [row], commit=True)
    finally:
        event.remove(pg_engine, "after_cursor_execute", status)
    assert after_insert == [psycopg.pq.TransactionStatus.IDLE]
    with session_scope(pg_engine) as s:
        assert verify_chain(s) is None
        assert s.exec(select(EntryEvent.event_id)).all() == ["carried"]
