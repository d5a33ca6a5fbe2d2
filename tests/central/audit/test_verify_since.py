"""Incremental verify from a kept checkpoint: the rows after it must link to its hash up to the head."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, text

from central.audit.chain import Checkpoint, verify, verify_since
from central.models.db import session_scope
from tests.central.conftest import NOW, World


def _log(world: World, n: int) -> None:
    for i in range(n):
        at = NOW + timedelta(minutes=i)
        assert world.service.handle(*world.scan("staff", at=at), at)


def _checkpoint(engine: Engine, offset: int) -> Checkpoint:
    with engine.begin() as c:
        seq, digest = c.execute(
            text("SELECT seq, row_hash FROM entry_event ORDER BY seq LIMIT 1 OFFSET :o"), {"o": offset}
        ).one()
    return Checkpoint(seq, digest, NOW)


def test_rows_after_the_checkpoint_are_checked_and_damage_found(world: World) -> None:
    _log(world, 6)
    cp = _checkpoint(world.engine, 2)
    with session_scope(world.engine) as s:
        assert verify_since(s, cp).ok and verify_since(s, cp).rows == 3
    with world.engine.begin() as c:  # an edit after the checkpoint
        c.execute(text("UPDATE entry_event SET verdict = 'deny' WHERE seq = :s"), {"s": cp.seq + 2})
    with session_scope(world.engine) as s:
        found = verify_since(s, cp)
        assert (found.ok, found.seq) == (False, cp.seq + 2)
        assert not verify(s).ok


def test_a_deleted_tail_and_a_rewritten_checkpoint_row_are_found(world: World) -> None:
    _log(world, 5)
    cp = _checkpoint(world.engine, 1)
    with world.engine.begin() as c:
        c.execute(text("DELETE FROM entry_event WHERE seq = (SELECT max(seq) FROM entry_event)"))
    with session_scope(world.engine) as s:
        assert verify_since(s, cp).kind == "deleted"
    with session_scope(world.engine) as s:
        assert verify_since(s, Checkpoint(cp.seq, "0" * 64, NOW)).kind == "rewritten"
