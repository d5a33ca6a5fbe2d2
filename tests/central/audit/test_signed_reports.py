"""Signed daily reports are as tamper-evident as the entry log, on SQLite and PostgreSQL: a signed
report changed behind the ORM's back (raw SQL: counts, content hash, signer, signed time), unsigned or
deleted is named by ``campusgate audit verify`` (full and since the last checkpoint) against the
checkpoint that named it, with exit status 1; an untouched campus verifies clean. Before, only the
ORM's ``before_update`` hook stood between a signed report and anyone with the database's password."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from campusgate.cli import main as cli_main
from central.audit import checkpoints as audit_checkpoints
from central.models.db import session_scope
from central.models.reports import OFFICE
from central.office import reports
from central.office.keys import KeyRing
from tests.central.conftest import NOW, World, build_world, log_morning

DAY = date(2026, 11, 23)  # log_morning's scans fall in this day's office report
MADE = NOW + timedelta(hours=6)  # 16:00 local: the whole period counted
CHECKPOINT_AT = NOW + timedelta(hours=7)


@pytest.fixture(params=["sqlite", "postgresql"])
def campus(request: pytest.FixtureRequest, keyring: KeyRing) -> World:
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    world = build_world(engine, keyring)
    log_morning(world)
    return world


def _signed(world: World, day: date, *, at: object = MADE) -> int:
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, day, OFFICE, MADE)
        reports.sign(s, report.id or 0, by="director", at=at)  # type: ignore[arg-type]
        return report.id or 0


def _url(world: World) -> str:
    return world.engine.url.render_as_string(hide_password=False)


def _verify(world: World, path: Path, capsys: pytest.CaptureFixture[str], *since: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli_main(["audit", "verify", "--database-url", _url(world), "--checkpoints", str(path), *since])
    return code, capsys.readouterr().out


def _sql(world: World, statement: str, **params: object) -> None:
    with world.engine.begin() as c:
        c.execute(text(statement), params)


def _content(world: World, rid: int) -> dict:
    with world.engine.begin() as c:
        found = c.execute(
            text("SELECT content_json FROM daily_report WHERE id = :i"), {"i": rid}
        ).scalar_one()
    return dict(json.loads(found))


def _forged(world: World, rid: int) -> str:
    content = _content(world, rid)
    content["entries"] += 5
    return json.dumps(content, ensure_ascii=False, sort_keys=True)


def _digest(content_json: str) -> str:
    import hashlib

    return hashlib.sha256(content_json.encode()).hexdigest()  # as the report's maker hashes its content


@pytest.fixture
def kept(campus: World, tmp_path: Path) -> tuple[World, Path, list[int]]:
    """Two signed reports (the morning's, and a zero report the day before) under a checkpoint."""
    ids = [_signed(campus, DAY), _signed(campus, DAY - timedelta(days=1))]
    path = tmp_path / "checkpoints.jsonl"
    audit_checkpoints.write_checkpoint(campus.engine, path, CHECKPOINT_AT)
    return campus, path, ids


def test_an_untouched_campus_verifies_clean(
    kept: tuple[World, Path, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    world, path, ids = kept
    [line] = path.read_text(encoding="utf-8").splitlines()
    assert [e["id"] for e in json.loads(line)["reports"]] == ids  # the line names both, readable
    for since in ([], ["--since-last-checkpoint"]):
        code, out = _verify(world, path, capsys, *since)
        assert code == 0, out
        assert "entry log chain intact" in out and "signed reports: 2 as the checkpoints name them" in out, (
            out
        )
        assert "not yet under a checkpoint" not in out and "changed" not in out, out


def _counts(world: World, rid: int) -> None:
    _sql(world, "UPDATE daily_report SET content_json = :c WHERE id = :i", c=_forged(world, rid), i=rid)


def _counts_and_hash(world: World, rid: int) -> None:
    forged = _forged(world, rid)
    _sql(
        world,
        "UPDATE daily_report SET content_json = :c, content_hash = :h WHERE id = :i",
        c=forged,
        h=_digest(forged),
        i=rid,
    )


def _hash(world: World, rid: int) -> None:
    _sql(world, "UPDATE daily_report SET content_hash = :h WHERE id = :i", h="ab" * 32, i=rid)


def _signer(world: World, rid: int) -> None:
    _sql(world, "UPDATE daily_report SET signed_by = 'wang' WHERE id = :i", i=rid)


def _signed_time(world: World, rid: int) -> None:
    _sql(world, "UPDATE daily_report SET signed_at = :t WHERE id = :i", t=NOW.replace(tzinfo=None), i=rid)


def _unsigned(world: World, rid: int) -> None:
    _sql(world, "UPDATE daily_report SET signed_at = NULL, signed_by = NULL WHERE id = :i", i=rid)


def _deleted(world: World, rid: int) -> None:
    _sql(world, "DELETE FROM daily_report WHERE id = :i", i=rid)


def _zero_flag(world: World, rid: int) -> None:
    _sql(world, "UPDATE daily_report SET zero = :z WHERE id = :i", z=True, i=rid)


@pytest.mark.parametrize(
    ("tamper", "said"),
    [
        (_counts, "counts changed since"),
        (_counts_and_hash, "counts changed and its content hash recomputed since"),
        (_hash, "content hash changed since"),
        (_signer, "signer changed from director to wang since"),
        (_signed_time, "signed time changed from 2026-11-23T08:00:00+00:00 to 2026-11-23T02:00:00+00:00"),
        (_unsigned, "unsigned since"),
        (_deleted, "deleted since"),
        (_zero_flag, "zero changed from False to True since"),
    ],
)
def test_a_signed_report_changed_behind_the_orm_is_named(
    kept: tuple[World, Path, list[int]], capsys: pytest.CaptureFixture[str], tamper: object, said: str
) -> None:
    world, path, (rid, other) = kept
    tamper(world, rid)  # type: ignore[operator]
    named = f"report {rid} (campus c-test-north, 2026-11-23 office, version 1) signed by director: "
    for since in ([], ["--since-last-checkpoint"]):
        status, out = _verify(world, path, capsys, *since)
        assert status == 1, out
        assert "entry log chain intact" in out, out  # the log itself is untouched
        [line] = [x for x in out.splitlines() if x.startswith("signed report changed: ")]
        assert named in line and said in line, out
        assert f"since the checkpoint of {CHECKPOINT_AT.isoformat()}" in line, out
        assert f"report {other} " not in out and "1 changed, 1 as the checkpoints name them" in out, out
    # and no new checkpoint vouches for it
    before = path.read_text()
    audit_checkpoints.write_checkpoint(world.engine, path, CHECKPOINT_AT + timedelta(hours=1))
    assert path.read_text() == before
    capsys.readouterr()
    assert cli_main(["audit", "checkpoint", "--database-url", _url(world), "--file", str(path)]) == 1
    assert "no checkpoint taken: a signed report was changed" in capsys.readouterr().out
    assert path.read_text() == before


def test_a_report_signed_after_the_last_checkpoint_is_not_yet_covered(
    kept: tuple[World, Path, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    world, path, _ = kept
    late = _signed(world, DAY - timedelta(days=2), at=CHECKPOINT_AT + timedelta(minutes=5))
    code, out = _verify(world, path, capsys)
    assert code == 0, out
    assert "signed reports: 2 as the checkpoints name them; 1 signed report not yet under a checkpoint" in out
    # its counts are still checked against its own content hash
    _counts(world, late)
    code, out = _verify(world, path, capsys)
    assert code == 1 and f"report {late} (campus c-test-north" in out, out
    assert "its counts no longer match its content hash" in out, out


def test_the_next_checkpoint_names_a_newly_signed_report_even_with_no_new_row(
    kept: tuple[World, Path, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    world, path, _ = kept
    late = _signed(world, DAY - timedelta(days=2), at=CHECKPOINT_AT + timedelta(minutes=5))
    audit_checkpoints.write_checkpoint(world.engine, path, CHECKPOINT_AT + timedelta(hours=1))
    first, second = audit_checkpoints.read(path)
    assert second.seq == first.seq and [e["id"] for e in second.reports or ()] == [late]
    _signer(world, late)
    code, out = _verify(world, path, capsys)
    assert code == 1 and f"report {late} " in out and "signer changed from director to wang" in out, out


def test_a_signed_report_slipped_in_with_an_earlier_signature_is_named(
    kept: tuple[World, Path, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    """A forged newer version, signed "yesterday", supersedes the real one: the checkpoint taken after
    that signature would have named it."""
    world, path, (rid, _) = kept
    with session_scope(world.engine) as s:
        forged = reports.correct(s, rid, by="director", at=CHECKPOINT_AT + timedelta(hours=2), note="x")
        fid = forged.id
    _sql(world, "UPDATE daily_report SET signed_by = 'director', signed_at = :t WHERE id = :i", t=NOW, i=fid)
    code, out = _verify(world, path, capsys)
    assert code == 1, out
    assert f"report {fid} (campus c-test-north, 2026-11-23 office, version 2) signed by director at" in out
    assert "no checkpoint names it" in out, out


def test_an_old_checkpoint_file_still_verifies_and_the_next_line_names_the_reports(
    campus: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file written before checkpoints named reports: read as ever; its reports are not yet covered."""
    rid = _signed(campus, DAY)
    path = tmp_path / "checkpoints.jsonl"
    with session_scope(campus.engine) as s:
        head = audit_checkpoints.current(s, NOW)
    path.write_text(json.dumps({"seq": head.seq, "head_hash": head.head_hash, "at": NOW.isoformat()}) + "\n")
    [old] = audit_checkpoints.read(path)
    assert old.reports is None
    for since in ([], ["--since-last-checkpoint"]):
        code, out = _verify(campus, path, capsys, *since)
        assert code == 0 and "1 signed report not yet under a checkpoint" in out, out
    capsys.readouterr()
    assert cli_main(["audit", "checkpoint", "--database-url", _url(campus), "--file", str(path)]) == 0
    assert "naming 1 newly signed reports" in capsys.readouterr().out
    _old, new = audit_checkpoints.read(path)
    assert [e["id"] for e in new.reports or ()] == [rid]
    _deleted(campus, rid)
    code, out = _verify(campus, path, capsys, "--since-last-checkpoint")
    assert code == 1 and f"report {rid} (campus c-test-north, 2026-11-23 office, version 1)" in out, out
    assert "deleted since the checkpoint of" in out


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"id": "12"}, "reports[0]: id '12' is not a positive number"),
        ({"content_hash": None}, "reports[0]: content_hash None is not a SHA-256 in hex"),
        ({"signed_at": "yesterday"}, "reports[0]: signed_at 'yesterday' is no ISO time"),
        ({"day": 5}, "reports[0]: day 5 is no ISO date"),
        ({"signed_by": ["director"]}, "reports[0]: signed_by ['director'] is not a text"),
        ({"note": {"a": 1}}, "reports[0]: note {'a': 1} is not a single value"),
    ],
)
def test_a_damaged_reports_field_is_named_by_its_line(
    kept: tuple[World, Path, list[int]], capsys: pytest.CaptureFixture[str], change: dict, said: str
) -> None:
    world, path, _ = kept
    [line] = path.read_text().splitlines()
    fields = json.loads(line)
    fields["reports"][0].update(change)
    path.write_text(line + "\n" + json.dumps(fields) + "\n")
    with pytest.raises(ValueError, match=f"{path}:2: not a checkpoint: "):
        audit_checkpoints.read(path)
    for since in ([], ["--since-last-checkpoint"]):
        code = cli_main(
            ["audit", "verify", "--database-url", _url(world), "--checkpoints", str(path), *since]
        )
        err = capsys.readouterr().err
        assert code == 2 and f"checkpoint file unreadable: {path}:2: not a checkpoint: {said}" in err, err
    path.write_text(line + "\n" + json.dumps({**fields, "reports": {"12": "x"}}) + "\n")
    with pytest.raises(ValueError, match=f"{path}:2: not a checkpoint: reports .* is not a list"):
        audit_checkpoints.read(path)


def test_the_api_names_a_changed_signed_report(world: World, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from central.app import create_app
    from central.settings import CentralSettings
    from tests.api_auth import bearer

    log_morning(world)
    rid = _signed(world, DAY)
    audit_checkpoints.write_checkpoint(world.engine, audit_checkpoints.default_path(tmp_path), CHECKPOINT_AT)
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)
    client, auth = TestClient(app), bearer(app, world.engine, "auditor")
    body = client.get("/api/v1/audit/verify", headers=auth).json()
    assert (body["ok"], body["reports_ok"], body["reports_named"], body["report_problems"]) == (
        True,
        True,
        1,
        [],
    )
    _counts(world, rid)
    body = client.get("/api/v1/audit/verify", headers=auth).json()
    assert (body["ok"], body["reports_ok"], body["kind"]) == (False, False, None), body
    [problem] = body["report_problems"]
    assert problem.startswith(f"report {rid} (campus c-test-north, 2026-11-23 office, version 1)"), problem
    assert "counts changed since the checkpoint of" in problem
