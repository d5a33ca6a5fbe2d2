"""deploy/systemd/campusgate-central-worker@.service started as systemd would start instances 1 and 2:
its ExecStart, its Environment= lines with %i, %d and the state directory filled in, the example
env file as its EnvironmentFile. Each worker serves its own /metrics, on a port of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.deployed import DEPLOY
from transport.broker import MosquittoBroker, free_port

ROOT = DEPLOY.parent
UNIT = DEPLOY / "systemd" / "campusgate-central-worker@.service"
PROGRAM = "/opt/campusgate/.venv/bin/campusgate"


def _unit(instance: str) -> tuple[list[str], dict[str, str]]:
    """The instance's command (after the program) and environment, as systemd would give them."""
    text = UNIT.read_text().replace("%i", instance)
    env: dict[str, str] = {}
    for line in (DEPLOY / "systemd" / "central.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    for value in re.findall(r"^Environment=(.*)$", text, flags=re.M):
        key, _, value = value.partition("=")
        env[key] = value
    (command,) = re.findall(r"^ExecStart=(.*)$", text, flags=re.M)
    program, *args = command.split()
    assert program == PROGRAM
    return args, env


def test_each_worker_instance_has_a_metrics_port_of_its_own() -> None:
    ports = {n: _unit(n)[1].get("CAMPUSGATE_METRICS_PORT", "0") for n in ("1", "2", "9")}
    assert all(1024 <= int(p) <= 65535 for p in ports.values()), ports
    assert len(set(ports.values())) == len(ports), ports


@pytest.fixture
def workers(broker, tmp_path: Path) -> Iterator[list[tuple[subprocess.Popen[bytes], int, Path]]]:
    if not isinstance(broker, MosquittoBroker):
        pytest.skip("shared subscriptions need Mosquitto (not installed): amqtt has none")
    started: list[tuple[subprocess.Popen[bytes], int, Path]] = []
    yield started
    for proc, _, _ in started:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _metrics(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            return response.read().decode()
    except OSError:
        return None


def test_worker_instances_start_from_the_unit_and_each_serves_its_metrics(
    broker, tmp_path: Path, workers: list[tuple[subprocess.Popen[bytes], int, Path]]
) -> None:
    credentials = tmp_path / "credentials"  # %d: what LoadCredential= puts there
    credentials.mkdir()
    (credentials / "db-password").write_text("unused by SQLite\n")
    (credentials / "mqtt-password").write_text("the broker here takes anyone\n")
    state = tmp_path / "state"  # StateDirectory=campusgate
    for n in ("1", "2"):
        args, env = _unit(n)
        assert env["CAMPUSGATE_DATA_DIR"] == "/var/lib/campusgate"
        assert int(env.get("CAMPUSGATE_METRICS_PORT", "0")) > 0  # unset, a worker serves no metrics
        env = {k: v.replace("%d", str(credentials)) for k, v in env.items()}
        env.update(  # this machine's database and broker instead of the campus's
            CAMPUSGATE_DATA_DIR=str(state),
            CAMPUSGATE_DATABASE_URL=f"sqlite:///{tmp_path}/central.db",
            CAMPUSGATE_MQTT_HOST="127.0.0.1",
            CAMPUSGATE_MQTT_PORT=str(broker.port),
            CAMPUSGATE_MQTT_TLS="false",
            CAMPUSGATE_SHARED_GROUP=f"unit{n}{os.getpid()}",
            CAMPUSGATE_METRICS_PORT=str(free_port()),  # the unit's own may be taken on a shared machine
        )
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("CAMPUSGATE_", "XDG_"))}
        log = tmp_path / f"worker-{n}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "campusgate.cli", *args],
                env={**clean, "PYTHONPATH": str(ROOT), **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        workers.append((proc, int(env["CAMPUSGATE_METRICS_PORT"]), log))
        deadline = time.monotonic() + 30
        while "campusgate_broker_connected 1.0" not in (_metrics(workers[-1][1]) or ""):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"worker {n} serves no metrics\n{log.read_text()}"
            time.sleep(0.2)
    for proc, _, log in workers:
        assert proc.poll() is None, log.read_text()
