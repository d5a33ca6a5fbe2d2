"""Entry-log search by every filter, and the CSV export: streamed in batches, UTF-8 with BOM, Chinese intact."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from central.app import create_app
from central.audit.entries import EntryFilter, csv_stream, iter_rows
from central.models.db import session_scope
from central.models.users import Role
from central.settings import CentralSettings
from tests.api_auth import bearer
from tests.central.conftest import NOW, World, log_morning


def _client(world: World, tmp_path: Path, role: Role = Role.AUDITOR) -> tuple[TestClient, dict[str, str]]:
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)
    return TestClient(app), bearer(app, world.engine, role)


def test_every_filter(world: World, tmp_path: Path) -> None:
    log_morning(world)
    client, auth = _client(world, tmp_path)
    assert client.get("/api/v1/entries").status_code == 401
    client.headers.update(auth)

    def reasons(**params: object) -> list[str]:
        body = client.get("/api/v1/entries", params=params).json()
        assert body["count"] == len(body["data"])
        return [e["reason"] for e in reversed(body["data"])]

    assert reasons() == ["ok", "household_day_used", "fever", "ok_commuter", "ok_override"]
    assert reasons(person_id=world.people["li"]) == ["household_day_used", "ok_override"]
    assert reasons(household_id=world.household_id) == [
        "ok",
        "household_day_used",
        "ok_commuter",
        "ok_override",
    ]
    assert reasons(pass_id=world.passes["staff"]) == ["fever"]
    assert reasons(fever=True) == ["fever"]
    assert len(reasons(fever=False)) == 4
    assert reasons(override=True) == ["ok_override"]
    assert reasons(offline=True) == ["ok_commuter"]
    assert reasons(offline=False, override=False, fever=False) == ["ok", "household_day_used"]
    assert reasons(campus_id=world.campus_id, gate_id=world.gate_id, verdict="deny") == [
        "household_day_used",
        "fever",
    ]
    window = {
        "since": (NOW + timedelta(minutes=1)).isoformat(),
        "until": (NOW + timedelta(minutes=3)).isoformat(),
    }
    assert reasons(**window) == ["household_day_used", "fever"]


def test_csv_streams_in_batches_with_bom_and_chinese(world: World, tmp_path: Path) -> None:
    log_morning(world)
    chunks = list(csv_stream(world.engine, EntryFilter(), batch=2))
    assert len(chunks) >= 4, "one chunk per batch of rows, not the whole log at once"
    assert [r.seq for r in iter_rows(world.engine, EntryFilter(), batch=2)] == sorted(
        r.seq for r in iter_rows(world.engine, EntryFilter(), batch=100)
    )
    client, auth = _client(world, tmp_path)
    assert client.get("/api/v1/entries.csv").status_code == 401
    r = client.get("/api/v1/entries.csv", params={"verdict": "deny"}, headers=auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(row["reason"], row["reason_zh"]) for row in rows] == [
        ("household_day_used", "本户今日已有人出入"),
        ("fever", "体温异常，禁止通行"),
    ]
    guard_client, guard_auth = _client(world, tmp_path, Role.GUARD)
    assert guard_client.get("/api/v1/entries.csv", headers=guard_auth).status_code == 403


def test_filters_on_postgresql(pg_engine, keyring, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from central.audit.entries import search
    from tests.central.conftest import build_world

    world = build_world(pg_engine, keyring)
    log_morning(world)
    with session_scope(pg_engine) as s:
        assert [r.reason for r in search(s, EntryFilter(fever=True), limit=10, offset=0)[0]] == ["fever"]
        assert search(s, EntryFilter(offline=True, override=False), limit=10, offset=0)[1] == 1
    assert sum(1 for _ in iter_rows(pg_engine, EntryFilter(), batch=2)) == 5


def test_csv_holds_a_row_numbered_0_or_below(world: World) -> None:
    """Verify names a row put in front of the log under seq 0 or -5 "inserted"; the export, which the
    auditor reads it in, began after seq 0 and left it out."""
    from sqlalchemy import text

    log_morning(world)
    with world.engine.begin() as c:
        c.execute(text("UPDATE entry_event SET seq = -5, event_id = 'moved-front' WHERE seq = 3"))
    seqs = [r.seq for r in iter_rows(world.engine, EntryFilter(), batch=2)]
    assert seqs == [-5, 1, 2, 4, 5], seqs
    body = b"".join(csv_stream(world.engine, EntryFilter(), batch=2)).decode("utf-8-sig")
    assert "moved-front" in body
