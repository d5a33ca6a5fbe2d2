"""A database that is not there, or holds nothing of campusgate's: one line saying so, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]


def _campusgate(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CAMPUSGATE_", "XDG_"))}
    clean.update(HOME=str(home), PYTHONPATH=str(ROOT), CAMPUSGATE_DATA_DIR=str(home / "data"), **env)
    return subprocess.run(
        [sys.executable, "-m", "campusgate.cli", *args], env=clean, capture_output=True, text=True, timeout=60
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [("audit", "verify"), ("audit", "checkpoint"), ("backup", "--out", "b.tar.gz"), ("keys", "list")],
)
def test_read_only_commands_on_an_empty_postgresql_database_say_so(
    pg_url: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    from sqlalchemy import create_engine, inspect

    done = _campusgate(*command, home=tmp_path, CAMPUSGATE_DATABASE_URL=pg_url)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "no campusgate tables in postgresql+psycopg://" in done.stderr
    engine = create_engine(pg_url)
    try:
        assert inspect(engine).get_table_names() == []  # looking created nothing
    finally:
        engine.dispose()
    assert not (tmp_path / "b.tar.gz").exists()


@pytest.mark.parametrize("command", [("db", "current"), ("audit", "verify"), ("user", "list"), ("central",)])
def test_an_unreachable_database_is_one_line_not_a_traceback(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    url = f"postgresql+psycopg://campusgate:s3cret-pw@127.0.0.1:{_closed_port()}/campusgate"
    done = _campusgate(
        *command,
        home=tmp_path,
        CAMPUSGATE_DATABASE_URL=url,
        CAMPUSGATE_API_PORT=str(_closed_port()),
        CAMPUSGATE_MQTT_PORT=str(_closed_port()),
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "campusgate: the database cannot be used:" in done.stderr and "refused" in done.stderr
    assert "s3cret-pw" not in done.stderr + done.stdout


def test_a_log_line_names_why_the_database_cannot_be_used_and_never_a_rows_values(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An outage's log lines say what the driver said (refused, locked); an error about the rows says
    its class alone: SQLAlchemy's own text quotes the statement and its values, a person's name."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import IntegrityError, OperationalError

    from central.models.db import unavailable

    refused = create_engine(f"postgresql+psycopg://campusgate@127.0.0.1:{_closed_port()}/none")
    with pytest.raises(OperationalError) as down:
        refused.connect()
    line = unavailable(down.value)
    assert line.startswith("OperationalError: ") and "refused" in line.lower() and "\n" not in line
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE person (name TEXT UNIQUE)"))
        conn.execute(text("INSERT INTO person VALUES ('梁晓敏')"))
    with pytest.raises(IntegrityError) as twice, engine.begin() as conn:
        conn.execute(text("INSERT INTO person VALUES (:n)"), {"n": "梁晓敏"})
    assert "梁晓敏" in str(twice.value)  # what a log line must not carry
    assert unavailable(twice.value) == "IntegrityError"
    assert unavailable(ValueError("x")) == "ValueError"


def test_a_misspelt_variable_is_named_with_the_setting_it_looks_like(tmp_path: Path) -> None:
    """pydantic-settings ignores a variable that is no setting: CAMPUSGATE_MQTT_PROT left the port at
    its default without a word. Every command now names it, and a gate's variables are the gate's."""
    done = _campusgate(
        "db",
        "upgrade",
        home=tmp_path,
        CAMPUSGATE_MQTT_PROT="18830",
        CAMPUSGATE_GATE_GATE_ID="north",
        CAMPUSGATE_LOG_FORMAT="text",
    )
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "no setting" in line]
    assert said == [
        "campusgate: CAMPUSGATE_MQTT_PROT is no setting and is ignored (did you mean CAMPUSGATE_MQTT_PORT?)"
    ]
    from campusgate.ops_cli import strays
    from gate_agent.settings import GateSettings

    env = {
        "CAMPUSGATE_GATE_SERIAL_PROT": "/dev/ttyUSB0",
        "CAMPUSGATE_GATE_GATE_ID": "n",
        "campusgate_gate_mqtt_port": "1999",  # read, whatever its case: no stray
        "CAMPUSGATE_X": "1",
    }
    assert strays(env, "CAMPUSGATE_GATE_", GateSettings.model_fields) == [
        "CAMPUSGATE_GATE_SERIAL_PROT is no setting and is ignored (did you mean CAMPUSGATE_GATE_SERIAL_PORT?)"
    ]
