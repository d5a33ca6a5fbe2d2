"""A setting refused, or pointing at nothing (no broker, a port taken): one line saying which, never a
secret value, exit 2, no traceback."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.central.ops.test_database_errors import _campusgate, _closed_port


def test_central_names_the_refused_variable_without_its_value(tmp_path: Path) -> None:
    done = _campusgate("central", home=tmp_path, CAMPUSGATE_API_PORT="s3cret-value")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "campusgate: settings refused: CAMPUSGATE_API_PORT: Input should be a valid integer" in done.stderr
    assert "s3cret-value" not in done.stderr


def test_a_gate_without_its_id_says_which_variable_to_set(tmp_path: Path) -> None:
    done = _campusgate("gate", home=tmp_path, CAMPUSGATE_GATE_MQTT_PORT="eighty")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "CAMPUSGATE_GATE_GATE_ID: not set" in done.stderr and "CAMPUSGATE_GATE_MQTT_PORT:" in done.stderr


def test_an_unreadable_password_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-password"
    done = _campusgate("db", "current", home=tmp_path, CAMPUSGATE_DATABASE_PASSWORD_FILE=str(missing))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and f"cannot read secret file {missing}" in done.stderr


def test_a_gate_with_a_missing_password_file_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "mqtt-password"
    done = _campusgate("gate", "--password-file", str(missing), home=tmp_path, CAMPUSGATE_GATE_GATE_ID="g1")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"cannot read the MQTT password file {missing}: No such file or directory" in done.stderr


def test_a_gate_with_an_empty_password_file_does_not_start(tmp_path: Path) -> None:
    # an empty password was sent as one: the broker refused it and the gate ran offline for ever
    empty = tmp_path / "mqtt-password"
    empty.write_text("\n", encoding="utf-8")
    done = _campusgate("gate", "--password-file", str(empty), home=tmp_path, CAMPUSGATE_GATE_GATE_ID="g1")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"the MQTT password file {empty} holds no password on its first line" in done.stderr


def test_central_without_a_broker_says_where_it_looked(tmp_path: Path) -> None:
    port = _closed_port()
    done = _campusgate("central", "--no-api", home=tmp_path, CAMPUSGATE_MQTT_PORT=str(port))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"central not started: no MQTT connection to 127.0.0.1:{port} within 10 s" in done.stderr


def test_central_on_a_taken_port_says_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _campusgate("central", "--no-worker", home=tmp_path, CAMPUSGATE_API_PORT=str(port))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert (
        f"central not started: the API did not start on http://127.0.0.1:{port} (is the port taken?)"
        in done.stderr
    )
