"""Verify in ranges by several processes: the same verdict, row and kind of damage as the plain walk,
wherever the damage lands (inside a range, on the first row of one, at the first row of the log)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from central.audit import segments
from central.audit.canonical import row_hash
from central.audit.chain import Checkpoint, VerifyResult, append_entries, verify
from central.models.db import read_only, session_scope
from central.models.journal import GENESIS, EntryEvent
from tests.central.conftest import NOW

N = 40  # with 2 processes: 8 ranges of 5 rows, (0, 5], (5, 10], … so rows 6, 11, 16… open a range


def _row(i: int) -> EntryEvent:
    at = NOW + timedelta(seconds=i)
    return EntryEvent(
        event_id=f"ev-{i:04d}",
        gate_id="north",
        campus_id=1,
        person_id=i % 7,
        gate_time=at,
        received_at=at,
        celsius=36.5,
        verdict="allow",
        reason="ok",
        decision_json='{"v":1}',
    )


def _fill(engine: Engine) -> None:
    for first in range(0, N, 10):  # in batches, as the worker appends
        with session_scope(engine) as s:
            append_entries(s, [_row(i) for i in range(first, first + 10)])


def _both(engine: Engine, checkpoints: list[Checkpoint] | None = None) -> tuple[VerifyResult, VerifyResult]:
    with session_scope(read_only(engine)) as s:
        plain = verify(s, checkpoints or ())
    with session_scope(read_only(engine)) as s:
        split = verify(s, checkpoints or (), jobs=2)
    return plain, split


def _sql(engine: Engine, *statements: str) -> None:
    with engine.begin() as c:
        for statement in statements:
            c.execute(text(statement))


def _swap(a: int, b: int) -> Callable[[Engine], None]:
    return lambda e: _sql(
        e,
        f"UPDATE entry_event SET seq = -1 WHERE seq = {a}",
        f"UPDATE entry_event SET seq = {a} WHERE seq = {b}",
        f"UPDATE entry_event SET seq = {b} WHERE seq = -1",
    )


def _insert_after(seq: int, *, linked: bool) -> Callable[[Engine], None]:
    """Make room after ``seq`` and insert a row there, chained to it properly or not at all."""

    def damage(engine: Engine) -> None:
        _sql(engine, f"UPDATE entry_event SET seq = seq + 100 WHERE seq > {seq}")
        with session_scope(engine) as s:
            before = s.get(EntryEvent, seq)
            assert before is not None
            forged = _row(1000)
            forged.seq = seq + 1
            forged.prev_hash = before.row_hash if linked else "f" * 64
            forged.row_hash = row_hash(forged.prev_hash, forged) if linked else "e" * 64
            s.add(forged)

    return damage


def _put_in_front(seq: int, *, linked: bool) -> Callable[[Engine], None]:
    """Insert a row numbered ``seq`` (0 or below) before the log's first, chained from the start or not."""

    def damage(engine: Engine) -> None:
        with session_scope(engine) as s:
            forged = _row(3000)
            forged.seq = seq
            forged.prev_hash = GENESIS if linked else "f" * 64
            forged.row_hash = row_hash(forged.prev_hash, forged) if linked else "e" * 64
            s.add(forged)

    return damage


def _append_behind_the_head(engine: Engine) -> None:
    with session_scope(engine) as s:
        last = s.get(EntryEvent, N)
        assert last is not None
        forged = _row(2000)
        forged.seq, forged.prev_hash = N + 1, last.row_hash
        forged.row_hash = row_hash(last.row_hash, forged)
        s.add(forged)


DAMAGE: dict[str, tuple[Callable[[Engine], None], int, str]] = {
    "edit inside a range": (lambda e: _sql(e, "UPDATE entry_event SET celsius = 39.0 WHERE seq = 8"), 8, "edited"),
    "edit a range's first row": (lambda e: _sql(e, "UPDATE entry_event SET verdict = 'deny' WHERE seq = 11"), 11, "edited"),
    "edit the log's first row": (lambda e: _sql(e, "UPDATE entry_event SET gate_id = 'x' WHERE seq = 1"), 1, "edited"),
    "delete a range's first row": (lambda e: _sql(e, "DELETE FROM entry_event WHERE seq = 11"), 12, "deleted"),
    "delete inside a range": (lambda e: _sql(e, "DELETE FROM entry_event WHERE seq = 13"), 14, "deleted"),
    "delete the log's first row": (lambda e: _sql(e, "DELETE FROM entry_event WHERE seq = 1"), 2, "deleted"),
    "delete the tail": (lambda e: _sql(e, f"DELETE FROM entry_event WHERE seq = {N}"), N, "deleted"),
    "swap across ranges": (_swap(10, 11), 10, "reordered"),
    "swap inside a range": (_swap(7, 8), 7, "reordered"),
    "insert a linked row": (_insert_after(12, linked=True), 13, "inserted"),
    "insert an unlinked row opening a range": (_insert_after(15, linked=False), 16, "inserted"),
    "append behind the head": (_append_behind_the_head, N + 1, "inserted"),
    "put a linked row in front": (_put_in_front(0, linked=True), 0, "inserted"),
    "put an unlinked row in front": (_put_in_front(-3, linked=False), -3, "inserted"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(DAMAGE))
def test_ranges_name_the_damage_as_the_walk_does(case: str, engine: Engine) -> None:
    _fill(engine)
    damage, seq, kind = DAMAGE[case]
    damage(engine)
    plain, split = _both(engine)
    assert (plain.ok, plain.seq, plain.kind) == (False, seq, kind)
    assert split == plain


def _hash_at(engine: Engine, seq: int) -> str:
    with engine.begin() as c:
        return str(c.execute(text(f"SELECT row_hash FROM entry_event WHERE seq = {seq}")).scalar_one())


def test_ranges_and_checkpoints_catch_a_rewrite(engine: Engine) -> None:
    _fill(engine)
    kept = [Checkpoint(10, _hash_at(engine, 10), NOW), Checkpoint(N, _hash_at(engine, N), NOW)]
    with session_scope(engine) as s:  # edit row 20 and re-hash it and every row after, the head too
        prev = _hash_at(engine, 19)
        for seq in range(20, N + 1):
            e = s.get(EntryEvent, seq)
            assert e is not None
            e.celsius = 35.0 if seq == 20 else e.celsius
            e.prev_hash, e.row_hash = prev, row_hash(prev, e)
            prev = e.row_hash
        s.flush()
        s.execute(text("UPDATE chain_head SET last_hash = :h"), {"h": prev})
    assert all(r.ok for r in _both(engine)), "a consistent rewrite passes the chain alone"
    plain, split = _both(engine, kept)
    assert (plain.seq, plain.kind, plain.since_seq) == (N, "rewritten", 10)
    assert split == plain


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_the_ranges_are_walked_by_the_processes(db: str, request: pytest.FixtureRequest) -> None:
    """The processes really check the rows: they vouch for the whole intact log, and for a damaged
    one only up to the range before the damage."""
    engine: Engine = request.getfixturevalue("engine" if db == "sqlite" else "pg_engine")
    _fill(engine)
    assert segments.verified_prefix(engine, N, 2) == (_hash_at(engine, N), N, N)
    plain, split = _both(engine)
    assert plain.ok and split == plain and split.rows == N
    _sql(engine, "UPDATE entry_event SET reason = 'fever' WHERE seq = 23")
    assert segments.verified_prefix(engine, N, 2) == (_hash_at(engine, 20), 20, 20)
    plain, split = _both(engine)
    assert (split.seq, split.kind) == (23, "edited") and split == plain
