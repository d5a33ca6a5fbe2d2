"""Tampering made directly in the database with SQL, each kind named by verify, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from campusgate.cli import main as cli_main
from central.app import create_app
from central.audit import checkpoints as audit_checkpoints
from central.audit.canonical import row_hash
from central.audit.chain import Checkpoint, VerifyResult, verify, verify_since
from central.models.db import session_scope
from central.models.journal import EntryEvent
from central.office.keys import KeyRing
from central.settings import CentralSettings
from tests.api_auth import bearer
from tests.central.audit.logged import ROLES, logged_world
from tests.central.conftest import NOW, build_world


def _verify(engine: Engine, path: Path | None = None) -> VerifyResult:
    with session_scope(engine) as s:
        return verify(s, audit_checkpoints.read(path) if path else ())


@pytest.fixture(params=["sqlite", "postgresql"])
def logged(request: pytest.FixtureRequest, keyring: KeyRing) -> Engine:
    engine = logged_world(request, keyring).engine
    result = _verify(engine)
    assert result.ok and result.rows == len(ROLES)
    return engine


def _seqs(engine: Engine) -> list[int]:
    with engine.begin() as c:
        return list(c.execute(text("SELECT seq FROM entry_event ORDER BY seq")).scalars())


def test_edit_is_named(logged: Engine) -> None:
    s = _seqs(logged)
    with logged.begin() as c:
        c.execute(text("UPDATE entry_event SET celsius = 36.5 WHERE seq = :s"), {"s": s[3]})
    r = _verify(logged)
    assert (r.ok, r.seq, r.kind) == (False, s[3], "edited")


def test_delete_is_named(logged: Engine) -> None:
    s = _seqs(logged)
    with logged.begin() as c:
        c.execute(text("DELETE FROM entry_event WHERE seq = :s"), {"s": s[2]})
    r = _verify(logged)
    assert (r.seq, r.kind) == (s[3], "deleted")


def test_deleted_tail_is_named(logged: Engine) -> None:
    s = _seqs(logged)
    with logged.begin() as c:
        c.execute(text("DELETE FROM entry_event WHERE seq = :s"), {"s": s[-1]})
    assert (_verify(logged).seq, _verify(logged).kind) == (s[-1], "deleted")


def _copy_row(engine: Engine, seq: int) -> EntryEvent:
    with session_scope(engine) as s:
        row = s.get(EntryEvent, seq)
        assert row is not None
        return EntryEvent.model_validate(row.model_dump())


def _insert(engine: Engine, row: EntryEvent) -> None:
    with session_scope(engine) as s:
        s.add(row)


def test_insert_with_a_forged_link_is_named(logged: Engine) -> None:
    """The forger makes room in the middle and chains a new row to the one before it properly."""
    s = _seqs(logged)
    with logged.begin() as c:
        c.execute(text("UPDATE entry_event SET seq = seq + 100 WHERE seq > :s"), {"s": s[2]})
    forged = _copy_row(logged, s[1])
    before = _copy_row(logged, s[2])
    forged.seq, forged.event_id, forged.verdict = s[2] + 1, "forged-insert", "allow"
    forged.prev_hash = before.row_hash
    forged.row_hash = row_hash(before.row_hash, forged)
    _insert(logged, forged)
    r = _verify(logged)
    assert (r.seq, r.kind) == (s[2] + 1, "inserted")


def test_clumsy_insert_is_named(logged: Engine) -> None:
    s = _seqs(logged)
    with logged.begin() as c:
        c.execute(text("UPDATE entry_event SET seq = seq + 100 WHERE seq > :s"), {"s": s[4]})
    forged = _copy_row(logged, s[1])
    forged.seq, forged.event_id, forged.prev_hash, forged.row_hash = s[4] + 1, "forged-2", "f" * 64, "e" * 64
    _insert(logged, forged)
    assert (_verify(logged).seq, _verify(logged).kind) == (s[4] + 1, "inserted")


def test_appended_behind_the_heads_back_is_named(logged: Engine) -> None:
    s = _seqs(logged)
    last = _copy_row(logged, s[-1])
    forged = _copy_row(logged, s[0])
    forged.seq, forged.event_id, forged.prev_hash = s[-1] + 1, "forged-tail", last.row_hash
    forged.row_hash = row_hash(last.row_hash, forged)
    _insert(logged, forged)
    assert (_verify(logged).seq, _verify(logged).kind) == (s[-1] + 1, "inserted")


def test_reorder_is_named(logged: Engine) -> None:
    s = _seqs(logged)
    a, b = s[2], s[3]
    with logged.begin() as c:
        c.execute(text("UPDATE entry_event SET seq = -1 WHERE seq = :a"), {"a": a})
        c.execute(text("UPDATE entry_event SET seq = :a WHERE seq = :b"), {"a": a, "b": b})
        c.execute(text("UPDATE entry_event SET seq = :b WHERE seq = -1"), {"b": b})
    assert (_verify(logged).seq, _verify(logged).kind) == (a, "reordered")


def _rewrite_from(engine: Engine, seq: int) -> None:
    """Edit row ``seq`` and re-hash every row after it, the chain head too: a consistent forgery."""
    with session_scope(engine) as s:
        rows = [r for r in s.exec(text("SELECT seq FROM entry_event ORDER BY seq")).scalars()]  # type: ignore[call-overload]
        prev = s.get(EntryEvent, rows[rows.index(seq) - 1]).row_hash  # type: ignore[union-attr]
        for n in rows[rows.index(seq) :]:
            e = s.get(EntryEvent, n)
            assert e is not None
            if n == seq:
                e.celsius = 35.0
            e.prev_hash, e.row_hash = prev, row_hash(prev, e)
            prev = e.row_hash
            s.add(e)
        s.flush()
        s.execute(text("UPDATE chain_head SET last_hash = :h"), {"h": prev})


def test_rewrite_from_row_n_is_caught_by_the_checkpoints(logged: Engine, tmp_path: Path) -> None:
    path = tmp_path / "kept" / "checkpoints.jsonl"
    s = _seqs(logged)
    # a checkpoint after row 2 (as one taken when the log ended there), another at the end
    audit_checkpoints.append(path, Checkpoint(s[1], _copy_row(logged, s[1]).row_hash, NOW))
    audit_checkpoints.write_checkpoint(logged, path, NOW + timedelta(hours=1))
    assert _verify(logged, path).ok
    _rewrite_from(logged, s[4])
    assert _verify(logged).ok, "a consistent rewrite passes the chain alone: that is why checkpoints exist"
    r = _verify(logged, path)
    assert (r.ok, r.seq, r.kind, r.since_seq) == (False, s[-1], "rewritten", s[1])


def test_api_and_cli_report_the_damage(
    logged: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = CentralSettings(database_url="sqlite://", data_dir=tmp_path)
    app = create_app(settings, logged)
    client = TestClient(app)
    auth = bearer(app, logged, "auditor")
    assert client.get("/api/v1/audit/verify").status_code == 401
    assert client.get("/api/v1/audit/verify", headers=bearer(app, logged, "guard")).status_code == 403
    audit_checkpoints.write_checkpoint(logged, audit_checkpoints.default_path(tmp_path), NOW)
    body = client.get("/api/v1/audit/verify", headers=auth).json()
    assert body["ok"] and body["checkpoints"] == 1 and body["rows"] == len(ROLES)
    s = _seqs(logged)
    with logged.begin() as c:
        c.execute(text("DELETE FROM entry_event WHERE seq = :s"), {"s": s[5]})
    body = client.get("/api/v1/audit/verify", headers=auth).json()
    assert (body["ok"], body["seq"], body["kind"]) == (False, s[6], "deleted")
    url = logged.url.render_as_string(hide_password=False)
    assert (
        cli_main(
            [
                "audit",
                "verify",
                "--database-url",
                url,
                "--checkpoints",
                str(audit_checkpoints.default_path(tmp_path)),
            ]
        )
        == 1
    )
    assert f"seq {s[6]}" in capsys.readouterr().out


def test_a_row_appended_with_made_up_hashes_is_inserted(logged: Engine) -> None:
    """Past the head's last row nothing was vouched for: a row there is an insertion, whatever hashes
    it carries (a copy with made-up ones too)."""
    s = _seqs(logged)
    forged = _copy_row(logged, s[0])
    forged.seq, forged.event_id, forged.prev_hash, forged.row_hash = s[-1] + 1, "forged-junk", "aa", "bb"
    _insert(logged, forged)
    r = _verify(logged)
    assert (r.seq, r.kind) == (s[-1] + 1, "inserted")


def test_an_edited_chain_head_is_named_edited_not_deleted(logged: Engine, tmp_path: Path) -> None:
    s = _seqs(logged)
    with logged.begin() as c:
        c.execute(text("UPDATE chain_head SET last_hash = :h"), {"h": "0" * 64})
    r = _verify(logged)
    assert (r.seq, r.kind, r.detail) == (s[-1], "edited", f"the chain head's hash is not row {s[-1]}'s")


def test_a_checkpoint_past_the_end_says_the_row_is_missing(logged: Engine, tmp_path: Path) -> None:
    path = tmp_path / "checkpoints.jsonl"
    s = _seqs(logged)
    audit_checkpoints.write_checkpoint(logged, path, NOW)
    with logged.begin() as c:  # the last row gone, and the head moved back over it
        c.execute(text("DELETE FROM entry_event WHERE seq = :s"), {"s": s[-1]})
        c.execute(
            text(
                "UPDATE chain_head SET last_seq = :p, last_hash = (SELECT row_hash FROM entry_event WHERE seq = :p)"
            ),
            {"p": s[-2]},
        )
    r = _verify(logged, path)
    assert (r.seq, r.kind) == (s[-1], "rewritten")
    assert r.detail.startswith(f"row {s[-1]} is missing, which the checkpoint of ")


def test_the_scheduler_and_the_backup_take_no_checkpoint_of_a_forged_log(
    logged: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every checkpoint the system writes itself (the worker's hourly one, a backup's) verifies first:
    the rows since the file's last checkpoint must link to it. A log rewritten from a kept row on gets
    none, which would vouch for the forgery; an intact one gets one line, not one per writer."""
    path = tmp_path / "checkpoints.jsonl"
    s = _seqs(logged)
    audit_checkpoints.write_checkpoint(logged, path, NOW)
    audit_checkpoints.write_checkpoint(logged, path, NOW + timedelta(minutes=1))  # a second worker
    assert [c.seq for c in audit_checkpoints.read(path)] == [s[-1]]
    _rewrite_from(logged, s[2])
    with caplog.at_level("ERROR", logger="central.audit.checkpoints"):
        head = audit_checkpoints.write_checkpoint(logged, path, NOW + timedelta(hours=1))
    assert head.seq == s[-1]  # the head is still named (a backup's manifest)
    assert [c.seq for c in audit_checkpoints.read(path)] == [s[-1]]
    assert any("no audit checkpoint written" in r.getMessage() for r in caplog.records)
    assert (_verify(logged, path).kind, _verify(logged, path).ok) == ("rewritten", False)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("gate_time", "'garbage'"),  # SQLite keeps a time as text: an UPDATE may write any text there
        ("received_at", "'2026-13-45 99:00:00'"),
        ("celsius", "x'00ff'"),  # and any column may hold bytes
        ("decision_json", "x'00ff'"),
        ("prev_hash", "x'00ff'"),
    ],
)
def test_a_value_of_the_wrong_type_written_on_sqlite_is_named_edited(
    engine: Engine, keyring: KeyRing, column: str, value: str
) -> None:
    # verify (full and incremental) raised ValueError or TypeError out of the walk: a traceback
    # instead of the row and the kind of damage
    world = build_world(engine, keyring)
    for i, role in enumerate(ROLES[:4]):
        assert world.service.handle(*world.scan(role, at=NOW + timedelta(minutes=i)), NOW)
    s = _seqs(engine)
    with engine.begin() as c:
        c.execute(text(f"UPDATE entry_event SET {column} = {value} WHERE seq = :s"), {"s": s[2]})
    r = _verify(engine)
    assert (r.ok, r.seq, r.kind) == (False, s[2], "edited"), r
    with session_scope(engine) as session:
        since = verify_since(session, Checkpoint(s[0], _hash_of(engine, s[0]), NOW))
    assert (since.ok, since.seq, since.kind) == (False, s[2], "edited"), since


def _hash_of(engine: Engine, seq: int) -> str:
    with engine.begin() as c:
        return str(
            c.execute(text("SELECT row_hash FROM entry_event WHERE seq = :s"), {"s": seq}).scalar_one()
        )
