"""Migrations: they build the same schema as the models, and upgrading a baseline database with a
seeded demo and decided scans loses nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, func, select, text
from sqlmodel import SQLModel

from central import migrations
from central.app import build_central
from central.audit.chain import verify
from central.decisions.service import DecisionService
from central.migrations.compare import OPTIONS, load_tables
from central.models.db import create_all, make_engine, read_only, session_scope
from central.office.keys import KeyRing
from central.office.registry import latest_policy
from central.settings import CentralSettings
from gatecore import topics
from gatecore.ids import uuid7
from gatecore.messages import ScanEvent, Temperature
from gatecore.policy import read_pass
from gatecore.thermoline import SensorStatus
from gatecore.tokens import PassClaims

ROWS = Path(__file__).with_name("baseline_rows.json.gz")  # made by make_baseline_rows.py at the baseline


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        if "d" in value:
            return date.fromisoformat(value["d"])
        return base64.b64decode(value["b64"])
    return value


def _differences(engine: Engine) -> list[Any]:
    load_tables()
    options = {k: v for k, v in OPTIONS.items() if k.startswith("compare")}
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=options), SQLModel.metadata)


def _load_baseline(engine: Engine) -> dict[str, Any]:
    """A database at revision 0001 holding the rows the baseline's code wrote."""
    data = json.loads(gzip.decompress(ROWS.read_bytes()))
    migrations.upgrade(engine, migrations.BASELINE)
    reflected = MetaData()
    reflected.reflect(engine)
    with engine.begin() as conn:
        for table in reflected.sorted_tables:
            rows = [{k: _decode(v) for k, v in r.items()} for r in data["tables"].get(table.name, [])]
            if rows:
                conn.execute(table.insert(), rows)
            pk = list(table.primary_key.columns)
            if engine.dialect.name == "postgresql" and rows and len(pk) == 1 and pk[0].autoincrement is True:
                # rows came with their ids: move the sequence past them, as the baseline's own inserts did
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), :n)"),
                    {"n": max(r[pk[0].name] for r in rows)},
                )
    return data


def _rows(engine: Engine, name: str) -> list[dict[str, Any]]:
    reflected = MetaData()
    reflected.reflect(engine, only=[name])
    table = reflected.tables[name]
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()]


@pytest.fixture(params=["sqlite", "postgresql"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    """An empty database of each kind."""
    url = f"sqlite:///{tmp_path}/blank.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = make_engine(url)
    request.addfinalizer(engine.dispose)
    return engine


def test_migrations_build_what_the_models_describe(blank: Engine) -> None:
    before, after = migrations.upgrade(blank)
    assert (before, after) == (None, migrations.head())
    assert _differences(blank) == []


def test_the_comparison_sees_a_column_the_migrations_lack(blank: Engine) -> None:
    migrations.upgrade(blank)
    with blank.begin() as conn:
        conn.execute(text("ALTER TABLE signing_key DROP COLUMN verify_until"))
    diffs = _differences(blank)
    assert [(d[0], d[2], d[3].name) for d in diffs] == [("add_column", "signing_key", "verify_until")]


def test_create_all_on_a_fresh_database_is_stamped_at_head(blank: Engine) -> None:
    create_all(blank)
    assert migrations.current(blank) == migrations.head()
    assert migrations.check_current(blank) == migrations.head()
    assert _differences(blank) == []


def test_upgrade_from_the_baseline_keeps_every_row(blank: Engine, tmp_path: Path) -> None:
    data = _load_baseline(blank)
    assert migrations.current(blank) == "0001"
    before, after = migrations.upgrade(blank)
    assert (before, after) == ("0001", migrations.head())
    assert _differences(blank) == []
    for name, rows in data["tables"].items():
        got = _rows(blank, name)
        assert len(got) == len(rows), name
        for old, new in zip(rows, got, strict=True):
            assert {k: new[k] for k in old} == {k: _decode(v) for k, v in old.items()}, name
    # the hash chain over the 40 logged decisions still verifies, byte for byte
    with session_scope(read_only(blank)) as session:
        result = verify(session, [])
    assert result.ok and "40" in result.detail
    # the key the baseline registered still verifies the passes it printed, and still signs
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "kid-1.pem").write_text(data["key_pem"])
    keyring = KeyRing.open(keys)
    with session_scope(blank) as session:
        keyring.register(session)  # raises if the registered public key were not this one's
    printed = data["printed"][0]
    at = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    claims = read_pass(printed["token"], keyring.public_keys(), at)
    assert isinstance(claims, PassClaims) and claims.pass_id == printed["pass_id"]
    event = ScanEvent(
        event_id=uuid7(int(at.timestamp() * 1000), b"\x01" * 10),
        gate_id=printed["gate_id"],
        seq=99,
        gate_time=at + timedelta(days=1),
        qr=printed["token"],
        temperature=Temperature(36.5, SensorStatus.OK),
    )
    assert DecisionService(blank, keyring).handle(topics.gate_events(printed["gate_id"]), event.to_json(), at)
    with session_scope(read_only(blank)) as session:
        assert verify(session, []).ok
        assert session.execute(select(func.count()).select_from(text("entry_event"))).scalar_one() == 41


def test_central_refuses_a_database_behind_head_and_names_the_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    engine = make_engine(url)
    _load_baseline(engine)
    engine.dispose()
    settings = CentralSettings(database_url=url, data_dir=tmp_path, api_port=0)
    with pytest.raises(migrations.SchemaBehind, match=r"revision 0001, behind head .*campusgate db upgrade"):
        build_central(settings, worker=False)


def test_db_current_and_upgrade_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from campusgate.cli import main

    url = f"sqlite:///{tmp_path}/old.db"
    engine = make_engine(url)
    _load_baseline(engine)
    engine.dispose()
    assert main(["db", "--database-url", url, "current"]) == 1
    head = migrations.head()
    assert (
        f"schema revision 0001 (head {head}): behind: run `campusgate db upgrade`" in capsys.readouterr().out
    )
    assert main(["db", "--database-url", url, "upgrade"]) == 0
    assert f"schema revision 0001 -> {head}" in capsys.readouterr().out
    assert main(["db", "--database-url", url, "current"]) == 0
    assert main(["db", "--database-url", url, "upgrade"]) == 0
    assert f"already at {head}" in capsys.readouterr().out


def test_upgrade_numbers_the_last_days_dead_letters(blank: Engine) -> None:
    """0005 keeps the gate's number of a refused scan with its dead letter: those of the last day (what
    a gap is checked against) get theirs from their payloads when the database is upgraded."""
    migrations.upgrade(blank, "0004")
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        ("gates/g1/events", b'{"seq": 7, "celsius": "nan"}', now),
        ("gates/g1/events", b"not json", now),
        ("gates/g1/status", b'{"seq": 8}', now),  # not a scan: no number
        ("gates/g1/events", b'{"seq": 9}', now - timedelta(days=3)),  # older than a gap looks back
    ]
    with blank.begin() as conn:
        for topic, payload, at in rows:
            conn.execute(
                text(
                    "INSERT INTO rejected_message (topic, payload, payload_size, reason, received_at)"
                    " VALUES (:t, :p, :n, 'refused', :at)"
                ),
                {"t": topic, "p": payload, "n": len(payload), "at": at},
            )
    migrations.upgrade(blank)
    assert _differences(blank) == []
    assert [r["gate_seq"] for r in _rows(blank, "rejected_message")] == [7, None, None, None]


def test_upgrade_writes_the_plates_in_their_plate_form(
    blank: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Plates registered before the form was enforced are written in it; two that are one car are
    left as they are for the office to merge, and the upgrade says so."""
    migrations.upgrade(blank, "0005")
    with blank.begin() as conn:
        conn.execute(
            text("INSERT INTO person (name, category, active, commuter) VALUES ('张三', 'STAFF', :t, :f)"),
            {"t": True, "f": False},
        )
        owner = conn.execute(text("SELECT max(id) FROM person")).scalar_one()
        for plate in ("晋A·12345", "晋b 6789", "晋C12345", "晋c-12345"):
            conn.execute(
                text("INSERT INTO vehicle (plate, owner_person_id, valid_until) VALUES (:p, :o, :u)"),
                {"p": plate, "o": owner, "u": date(2026, 12, 31)},
            )
    with caplog.at_level("WARNING"):
        migrations.upgrade(blank)
    assert [r["plate"] for r in _rows(blank, "vehicle")] == ["晋A12345", "晋B6789", "晋C12345", "晋c-12345"]
    assert "merge them by hand" in caplog.text


def test_upgrade_gives_a_campus_stored_with_an_unusable_zone_a_real_one(
    blank: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """0011: ``localtime`` or a misspelling becomes the zone the campus's row or policy holds, else
    DEFAULT_TZ; the policy moves by a new version (the old ones stay), each change logged and journalled."""
    migrations.upgrade(blank, "0010")
    zones = {  # code: (the campus row's zone, its policy's)
        "lt": ("localtime", "localtime"),
        "typo": ("Asia/Shangai", "Asia/Shangai"),
        "row": ("America/New_York", "localtime"),
        "ok": ("Europe/Berlin", "Europe/Berlin"),
    }
    at = datetime(2026, 11, 1)
    with blank.begin() as conn:
        for code, (row_zone, policy_zone) in zones.items():
            conn.execute(
                text("INSERT INTO campus (code, name_zh, name_en, timezone) VALUES (:c, :c, '', :z)"),
                {"c": code, "z": row_zone},
            )
            cid = conn.execute(text("SELECT id FROM campus WHERE code = :c"), {"c": code}).scalar_one()
            policy = {"campus_id": cid, "version": 1, "fever_threshold": 37.3, "timezone": policy_zone}
            conn.execute(
                text(
                    "INSERT INTO campus_policy (campus_id, version, policy_json, created_at)"
                    " VALUES (:c, 1, :p, :at)"
                ),
                {"c": cid, "p": json.dumps(policy), "at": at},
            )
    with caplog.at_level("WARNING", logger="alembic.runtime.migration"):
        migrations.upgrade(blank)
    campuses = {r["id"]: r for r in _rows(blank, "campus")}
    by_code = {r["code"]: r["timezone"] for r in campuses.values()}
    assert by_code == {
        "lt": "Asia/Shanghai",
        "typo": "Asia/Shanghai",
        "row": "America/New_York",
        "ok": "Europe/Berlin",
    }
    versions: dict[str, list[tuple[int, str]]] = {}
    for r in _rows(blank, "campus_policy"):
        versions.setdefault(campuses[r["campus_id"]]["code"], []).append(
            (r["version"], json.loads(r["policy_json"])["timezone"])
        )
    assert versions == {
        "lt": [(1, "localtime"), (2, "Asia/Shanghai")],  # what decisions recorded stays as it was
        "typo": [(1, "Asia/Shangai"), (2, "Asia/Shanghai")],
        "row": [(1, "localtime"), (2, "America/New_York")],
        "ok": [(1, "Europe/Berlin")],
    }
    journal = {
        campuses[int(r["entity_id"])]["code"]: json.loads(r["detail"])
        for r in _rows(blank, "registry_change")
    }
    assert set(journal) == {"lt", "typo", "row"} and journal["lt"]["was"] == "localtime"
    said = [r.getMessage() for r in caplog.records if "IANA" in r.getMessage()]
    assert len(said) == 3 and "'localtime'" in said[0] and "set to Asia/Shanghai" in said[0]
    with session_scope(blank) as session:  # the policy reads, and its zone decides again
        assert latest_policy(session, next(i for i, r in campuses.items() if r["code"] == "lt")).zone


def test_upgrade_writes_the_id_numbers_last_four_in_their_code_form(blank: Engine) -> None:
    """0012: last four kept as typed on a Chinese keyboard ("１２３ｘ") are written as the searches
    compare them ("123X"); the rest are left as they are."""
    migrations.upgrade(blank, "0011")
    with blank.begin() as conn:
        for name, last4 in (("钱七", "１２３ｘ"), ("赵八", "0010"), ("孙九", None)):
            conn.execute(
                text(
                    "INSERT INTO person (name, category, active, commuter, id_last4)"
                    " VALUES (:n, 'RESIDENT', :t, :f, :l)"
                ),
                {"n": name, "t": True, "f": False, "l": last4},
            )
    migrations.upgrade(blank)
    assert [r["id_last4"] for r in _rows(blank, "person")] == ["123X", "0010", None]
