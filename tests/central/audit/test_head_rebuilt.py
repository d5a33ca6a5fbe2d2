"""A chain head deleted from the database is rebuilt from the log's last row (at the next start or
append), logged as an error and noted by verify, so verify keeps naming the real damage, if any, and
the chain goes on from the last row. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from central.audit import checkpoints as audit_checkpoints
from central.audit.chain import Checkpoint, VerifyResult, verify, verify_since
from central.models.db import create_all, session_scope
from central.models.journal import ChainHead
from central.office.keys import KeyRing
from tests.central.audit.logged import logged_world
from tests.central.conftest import NOW, World


@pytest.fixture(params=["sqlite", "postgresql"])
def logged(request: pytest.FixtureRequest, keyring: KeyRing) -> World:
    return logged_world(request, keyring)


def _rows(engine: Engine) -> list[tuple[int, str, str]]:
    with engine.begin() as c:
        return [
            tuple(r) for r in c.execute(text("SELECT seq, prev_hash, row_hash FROM entry_event ORDER BY seq"))
        ]  # type: ignore[misc]


def _sql(engine: Engine, *statements: str) -> None:
    with engine.begin() as c:
        for statement in statements:
            c.execute(text(statement))


def _verify(engine: Engine, kept: list[Checkpoint] | None = None) -> VerifyResult:
    with session_scope(engine) as s:
        return verify(s, kept or [])


def _named(r: VerifyResult) -> tuple[bool, int | None, str | None]:
    return r.ok, r.seq, r.kind


def test_a_deleted_head_is_rebuilt_from_the_last_row_and_the_chain_goes_on(
    logged: World, caplog: pytest.LogCaptureFixture
) -> None:
    engine = logged.engine
    rows = _rows(engine)
    _sql(engine, "DELETE FROM chain_head")
    assert _named(_verify(engine)) == (False, rows[-1][0], "deleted")  # while it is gone: named
    with caplog.at_level("ERROR", logger="central.models.journal"):
        create_all(engine)  # central starts again
    [said] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert f"rebuilt from seq {rows[-1][0]}" in said
    with session_scope(engine) as s:
        head = s.get(ChainHead, 1)
        assert head is not None
        assert (head.last_seq, head.last_hash, head.rebuilt_seq) == (rows[-1][0], rows[-1][2], rows[-1][0])
        assert head.rebuilt_at is not None
    result = _verify(engine)
    assert result.ok, result  # not row 1 "inserted", for ever
    assert f"the chain head was rebuilt from seq {rows[-1][0]}" in result.detail
    at = NOW + timedelta(minutes=20)
    assert logged.service.handle(*logged.scan("zhang", at=at), at)  # the next append links on
    after = _rows(engine)
    assert after[-1][1] == rows[-1][2] and after[-1][0] == rows[-1][0] + 1
    assert _verify(engine).ok
    create_all(engine)  # a head that is there is left alone
    with session_scope(engine) as s:
        assert s.get(ChainHead, 1).last_seq == after[-1][0]  # type: ignore[union-attr]


def test_a_head_deleted_by_an_append_is_rebuilt_too(logged: World) -> None:
    engine = logged.engine
    rows = _rows(engine)
    _sql(engine, "DELETE FROM chain_head")
    at = NOW + timedelta(minutes=20)
    assert logged.service.handle(*logged.scan("zhang", at=at), at)
    assert _rows(engine)[-1][1] == rows[-1][2]
    assert _verify(engine).ok


def test_after_the_rebuild_verify_names_the_real_damage(logged: World, tmp_path: Path) -> None:
    """The head and the last three rows removed, a row edited in the middle: verify names the edit, then
    (edit undone) the checkpoint of a removed row; never row 1, and never the rebuild itself."""
    engine = logged.engine
    rows = _rows(engine)
    path = tmp_path / "checkpoints.jsonl"
    audit_checkpoints.write_checkpoint(engine, path, NOW)
    kept = audit_checkpoints.read(path)
    assert [c.seq for c in kept] == [rows[-1][0]]
    _sql(
        engine,
        "DELETE FROM chain_head",
        f"DELETE FROM entry_event WHERE seq > {rows[-4][0]}",
        f"UPDATE entry_event SET celsius = 35.0 WHERE seq = {rows[2][0]}",
    )
    create_all(engine)
    assert _named(_verify(engine, kept)) == (False, rows[2][0], "edited")
    _sql(engine, f"UPDATE entry_event SET celsius = 36.6 WHERE seq = {rows[2][0]}")
    full = _verify(engine, kept)
    assert _named(full) == (False, rows[-1][0], "rewritten"), full
    assert full.detail.startswith(f"row {rows[-1][0]} is missing")
    with session_scope(engine) as s:
        since = verify_since(s, kept[-1])
    assert _named(since) == (False, rows[-1][0], "rewritten")
    # the hourly checkpoint vouches for nothing the kept one contradicts
    audit_checkpoints.write_checkpoint(engine, path, NOW + timedelta(hours=1))
    assert [c.seq for c in audit_checkpoints.read(path)] == [rows[-1][0]]
