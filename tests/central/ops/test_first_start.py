"""First start as documented: one default data directory that every command prints and uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]


def _campusgate(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CAMPUSGATE_", "XDG_"))}
    clean.update(HOME=str(home), PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-m", "campusgate.cli", *args], env=clean, capture_output=True, text=True, timeout=60
    )


def test_first_admin_then_audit_verify_find_the_same_database(tmp_path: Path) -> None:
    data = tmp_path / ".local" / "share" / "campusgate"
    password = tmp_path / "pw"
    password.write_text("a long enough password\n")
    added = _campusgate(
        "user", "add", "office", "--role", "admin", "--password-file", str(password), home=tmp_path
    )
    assert added.returncode == 0, added.stderr
    assert "created user office" in added.stdout
    assert f"data directory {data}" in added.stderr and f"sqlite:///{data}/campusgate.db" in added.stderr
    current = _campusgate("db", "current", home=tmp_path)
    assert current.returncode == 0 and "up to date" in current.stdout
    verified = _campusgate("audit", "verify", home=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert "entry log chain intact" in verified.stdout and f"data directory {data}" in verified.stderr
    listed = _campusgate("user", "list", home=tmp_path)
    assert "office" in listed.stdout


def test_audit_verify_says_where_it_looked(tmp_path: Path) -> None:
    elsewhere = tmp_path / "nothing-here"
    verified = _campusgate("audit", "verify", home=tmp_path, CAMPUSGATE_DATA_DIR=str(elsewhere))
    assert verified.returncode == 2
    assert f"no database at {elsewhere}/campusgate.db" in verified.stderr
    assert not elsewhere.exists()  # looking created nothing


def test_json_logs_and_a_misspelt_format(tmp_path: Path) -> None:
    import json

    password = tmp_path / "pw"
    password.write_text("a long enough password\n")
    assert (
        _campusgate(
            "user", "add", "office", "--role", "admin", "--password-file", str(password), home=tmp_path
        ).returncode
        == 0
    )
    rotated = _campusgate("keys", "rotate", home=tmp_path, CAMPUSGATE_LOG_FORMAT="json")
    assert rotated.returncode == 0, rotated.stderr
    lines = [json.loads(x) for x in rotated.stderr.splitlines() if x.startswith("{")]
    assert any(
        x["logger"] == "central.office.keys" and "signing key 2 created" in x["message"] for x in lines
    )
    assert all({"time", "level", "logger", "message", "event_id"} <= x.keys() for x in lines)
    wrong = _campusgate("db", "current", home=tmp_path, CAMPUSGATE_LOG_FORMAT="yaml")
    assert wrong.returncode != 0 and "CAMPUSGATE_LOG_FORMAT='yaml': use one of text, json" in wrong.stderr


def test_the_demo_never_wipes_a_campus_data_directory(tmp_path: Path) -> None:
    import logging

    from campusgate.demo import run_demo

    (tmp_path / "campusgate.db").write_bytes(b"a campus's database")
    level = logging.getLogger().level
    try:
        assert run_demo(workdir=tmp_path, visits=1, keep_running=False) == 2
    finally:
        logging.getLogger().setLevel(level)
    assert (tmp_path / "campusgate.db").read_bytes() == b"a campus's database"


def test_database_url_goes_after_the_action_as_well_as_before(tmp_path: Path) -> None:
    password = tmp_path / "pw"
    password.write_text("a long enough password\n")
    url = f"sqlite:///{tmp_path}/central.db"
    added = _campusgate(
        "user", "add", "office", "--role", "admin", "--password-file", str(password), "--database-url", url,
        home=tmp_path,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    for command in (("user", "list"), ("db", "current"), ("keys", "list"), ("db", "upgrade")):
        after = _campusgate(*command, "--database-url", url, home=tmp_path / "elsewhere")
        assert after.returncode == 0, after.stderr
        assert f"database {url}" in after.stderr
        before = _campusgate(command[0], "--database-url", url, command[1], home=tmp_path / "elsewhere")
        assert before.returncode == 0 and before.stdout == after.stdout, before.stderr
