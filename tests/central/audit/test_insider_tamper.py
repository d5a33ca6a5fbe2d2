"""What an insider with database access would do, on SQLite and PostgreSQL: each change named by the full
verify and by the verify since a kept checkpoint, at the right row and as the right kind of damage."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from central.audit.canonical import row_hash
from central.audit.chain import Checkpoint, VerifyResult, verify, verify_since
from central.models.db import session_scope
from central.models.journal import EntryEvent
from central.office.keys import KeyRing
from tests.central.audit.logged import logged_world
from tests.central.conftest import NOW


@pytest.fixture(params=["sqlite", "postgresql"])
def logged(request: pytest.FixtureRequest, keyring: KeyRing) -> Engine:
    return logged_world(request, keyring, fever_at=4).engine


def _seqs(engine: Engine) -> list[int]:
    with engine.begin() as c:
        return list(c.execute(text("SELECT seq FROM entry_event ORDER BY seq")).scalars())


def _kept(engine: Engine, seq: int) -> Checkpoint:
    with engine.begin() as c:
        digest = c.execute(text("SELECT row_hash FROM entry_event WHERE seq = :s"), {"s": seq}).scalar_one()
    return Checkpoint(seq, digest, NOW)


def _both(engine: Engine, kept: Checkpoint) -> tuple[VerifyResult, VerifyResult]:
    with session_scope(engine) as s:
        full = verify(s, [kept])
    with session_scope(engine) as s:
        since = verify_since(s, kept)
    return full, since


def _named(result: VerifyResult) -> tuple[bool, int | None, str | None]:
    return result.ok, result.seq, result.kind


def _sql(engine: Engine, *statements: str) -> None:
    with engine.begin() as c:
        for statement in statements:
            c.execute(text(statement))


def test_a_deleted_fever_row_is_named_deleted_since_the_checkpoint_too(logged: Engine) -> None:
    # the incremental verify named every break "edited": a deletion, a swap, an insertion alike
    s = _seqs(logged)
    kept = _kept(logged, s[1])
    _sql(logged, "DELETE FROM fever_alert", "DELETE FROM entry_event WHERE celsius > 38")
    full, since = _both(logged, kept)
    assert _named(full) == _named(since) == (False, s[5], "deleted"), (full, since)


def test_two_rows_swapped_are_named_reordered_since_the_checkpoint_too(logged: Engine) -> None:
    s = _seqs(logged)
    kept = _kept(logged, s[1])
    a, b = s[3], s[6]
    _sql(
        logged,
        f"UPDATE entry_event SET seq = -1 WHERE seq = {a}",
        f"UPDATE entry_event SET seq = {a} WHERE seq = {b}",
        f"UPDATE entry_event SET seq = {b} WHERE seq = -1",
    )
    full, since = _both(logged, kept)
    assert _named(full) == _named(since) == (False, a, "reordered"), (full, since)


def test_a_row_slipped_in_after_the_checkpoint_is_named_inserted(logged: Engine) -> None:
    s = _seqs(logged)
    kept = _kept(logged, s[1])
    _sql(logged, f"UPDATE entry_event SET seq = seq + 100 WHERE seq > {s[3]}")
    with session_scope(logged) as session:
        before = session.get(EntryEvent, s[3])
        assert before is not None
        forged = EntryEvent.model_validate(before.model_dump())
        forged.seq, forged.event_id, forged.verdict = s[3] + 1, "forged-in", "allow"
        forged.prev_hash = before.row_hash
        forged.row_hash = row_hash(before.row_hash, forged)
        session.add(forged)
    full, since = _both(logged, kept)
    assert _named(full) == _named(since) == (False, s[3] + 1, "inserted"), (full, since)


def test_a_verdict_changed_and_its_row_re_hashed_is_named_edited_at_that_row(logged: Engine) -> None:
    """An insider who read the docs changes a refusal to an admission and recomputes the row's own hash;
    the next row still links to the old one. Nothing is missing from the numbering, so nothing was
    deleted: it was named "deleted" at the next row."""
    s = _seqs(logged)
    kept = _kept(logged, s[1])
    with session_scope(logged) as session:
        row = session.get(EntryEvent, s[4])
        assert row is not None and row.verdict != "allow"
        row.verdict, row.reason = "allow", "ok"
        row.row_hash = row_hash(row.prev_hash, row)
        session.add(row)
    full, since = _both(logged, kept)
    assert _named(full) == _named(since) == (False, s[4], "edited"), (full, since)


def test_a_link_changed_right_after_a_kept_checkpoint_names_the_linking_row(logged: Engine) -> None:
    # the checkpoint vouches for its own row: the row after it is the one changed
    s = _seqs(logged)
    kept = _kept(logged, s[2])
    with session_scope(logged) as session:
        row = session.get(EntryEvent, s[3])
        assert row is not None
        row.prev_hash = "ab" * 32
        row.row_hash = row_hash(row.prev_hash, row)
        session.add(row)
    full, since = _both(logged, kept)
    assert _named(full) == _named(since) == (False, s[3], "edited"), (full, since)


def test_a_gap_in_the_numbers_is_still_a_deletion(logged: Engine) -> None:
    s = _seqs(logged)
    _sql(logged, f"DELETE FROM entry_event WHERE seq IN ({s[3]}, {s[4]})")
    with session_scope(logged) as session:
        assert _named(verify(session)) == (False, s[5], "deleted")


def test_a_deleted_chain_head_is_named(logged: Engine) -> None:
    """The head is the tail's only witness in the database: a log without one passed as intact, the
    last rows removed with it too."""
    s = _seqs(logged)
    kept = _kept(logged, s[1])
    _sql(logged, "DELETE FROM chain_head", f"DELETE FROM entry_event WHERE seq > {s[-3]}")
    full, since = _both(logged, kept)
    assert _named(full) == _named(since) == (False, s[-3], "deleted"), (full, since)
    assert full.detail.startswith("the chain head is gone")
    with session_scope(logged) as session:  # from a checkpoint at the last row: no row after it
        assert _named(verify_since(session, _kept(logged, s[-3]))) == (False, s[-3], "deleted")


def test_a_checkpoint_whose_row_was_deleted_says_so_since_it(logged: Engine) -> None:
    s = _seqs(logged)
    kept = _kept(logged, s[2])
    _sql(logged, f"DELETE FROM entry_event WHERE seq = {s[2]}")
    with session_scope(logged) as session:
        since = verify_since(session, kept)
    assert _named(since) == (False, s[2], "rewritten")
    assert since.detail.startswith(f"row {s[2]} is missing, which the checkpoint of ")
