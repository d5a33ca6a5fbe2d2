"""Incremental verify from a kept checkpoint: the rows after it must link to its hash up to the head."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from campusgate.cli import main as cli_main
from central.audit import checkpoints as audit_checkpoints
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


def test_the_cli_checks_the_rows_since_the_last_checkpoint(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _log(world, 6)
    url = world.engine.url.render_as_string(hide_password=False)
    path = tmp_path / "checkpoints.jsonl"
    argv = ["audit", "verify", "--database-url", url, "--checkpoints", str(path), "--since-last-checkpoint"]
    assert cli_main(argv) == 2, "no checkpoint yet: nothing to start from"
    audit_checkpoints.append(path, _checkpoint(world.engine, 1))
    last = _checkpoint(world.engine, 3)
    audit_checkpoints.append(path, last)
    assert cli_main(argv) == 0
    assert f"at seq {last.seq} (2 rows since seq {last.seq})" in capsys.readouterr().out
    with world.engine.begin() as c:  # before the last checkpoint: the full verify's to find
        c.execute(text("UPDATE entry_event SET verdict = 'deny' WHERE seq = :s"), {"s": last.seq - 1})
    assert cli_main(argv) == 0
    assert cli_main(argv[:-1]) == 1
    with world.engine.begin() as c:  # after it: found
        c.execute(text("UPDATE entry_event SET verdict = 'deny' WHERE seq = :s"), {"s": last.seq + 1})
    capsys.readouterr()
    assert cli_main(argv) == 1
    assert f"broken at seq {last.seq + 1}: edited" in capsys.readouterr().out
