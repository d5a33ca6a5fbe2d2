"""A database an older release's schema holds: "back up, then upgrade" works, and the commands that
read it name the command to run instead of a missing column."""

from __future__ import annotations

import tarfile
from pathlib import Path

from central import migrations
from central.models.db import make_engine
from tests.central.ops.test_database_errors import _campusgate, _closed_port

OLD = "0007"  # before this release's chain-head and report columns


def _old_database(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path}/old.db"
    engine = make_engine(url)
    migrations.upgrade(engine, OLD)
    engine.dispose()
    return {"CAMPUSGATE_DATABASE_URL": url}  # the data directory: the home's (_campusgate)


def test_reading_commands_say_to_upgrade_an_older_schema(tmp_path: Path) -> None:
    where = _old_database(tmp_path)
    for command in (("audit", "verify"), ("audit", "checkpoint"), ("keys", "list")):
        done = _campusgate(*command, home=tmp_path, **where)
        assert done.returncode == 2, (command, done.stderr)
        assert "Traceback" not in done.stderr and "no such column" not in done.stderr, command
        assert (
            f"is at revision {OLD}, behind head {migrations.head()}: run `campusgate db upgrade`"
            in done.stderr
        )


def test_an_older_schema_is_backed_up_restored_then_upgraded_and_verified(tmp_path: Path) -> None:
    where = _old_database(tmp_path)
    archive = tmp_path / "before-upgrade.tar.gz"
    done = _campusgate("backup", "--out", str(archive), home=tmp_path, **where)
    assert done.returncode == 0, done.stderr
    assert f"database at revision {OLD}" in done.stdout
    with tarfile.open(archive) as tar:
        assert "manifest.json" in tar.getnames()

    elsewhere = tmp_path / "elsewhere"  # another home, so another data directory
    elsewhere.mkdir()
    there = {"CAMPUSGATE_DATABASE_URL": f"sqlite:///{tmp_path}/restored.db"}
    done = _campusgate("restore", str(archive), home=elsewhere, **there)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "no such column" not in done.stderr
    assert f"schema revision {OLD} (head {migrations.head()}): run `campusgate db upgrade`" in done.stdout
    assert _campusgate("db", "upgrade", home=elsewhere, **there).returncode == 0
    done = _campusgate("audit", "verify", home=elsewhere, **there)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "entry log chain intact" in done.stdout


def test_central_on_an_older_schema_without_its_chain_head_says_to_upgrade(tmp_path: Path) -> None:
    # the head is made again at start; on an older schema that wrote columns the schema lacks, and
    # central died with a traceback instead of naming the upgrade
    where = _old_database(tmp_path)
    engine = make_engine(where["CAMPUSGATE_DATABASE_URL"])
    with engine.begin() as conn:  # a log with a row, its head gone: the head is rebuilt from the row
        conn.exec_driver_sql(
            "INSERT INTO entry_event (seq, kind, event_id, gate_id, direction, gate_time, received_at,"
            " sensor_status, verdict, reason, reasons, policy_version, decision_json, prev_hash, row_hash)"
            " VALUES (1, 'decision', '0190c2d4-0000-7000-8000-000000000001', 'g1', 'in',"
            " '2026-11-29 08:00:00', '2026-11-29 08:00:00', 'ok', 'allow', 'ok', 'ok', 1, '{}',"
            f" '{'0' * 64}', '{'a' * 64}')"
        )
        conn.exec_driver_sql("DELETE FROM chain_head")
    engine.dispose()
    done = _campusgate(
        "central", "--no-api", home=tmp_path, CAMPUSGATE_MQTT_PORT=str(_closed_port()), **where
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert (
        f"is at revision {OLD}, behind head {migrations.head()}: run `campusgate db upgrade`" in done.stderr
    )
