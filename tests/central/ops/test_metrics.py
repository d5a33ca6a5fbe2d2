"""/metrics, /health and /ready on a running central: real broker, real decisions over MQTT, the
exposition parsed with prometheus_client's own parser."""

from __future__ import annotations

import io
import json
import logging
import queue
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from central.app import CentralHandle, build_central
from central.ops.logs import EventIdFilter, JsonFormatter
from central.settings import CentralSettings
from gatecore import topics
from gatecore.messages import DecisionMessage, GateStatus
from tests.central.conftest import World, build_world
from transport.broker import free_port
from transport.mqtt import LinkOptions, MqttLink

GATE = f"ops-metrics-{uuid.uuid4().hex[:6]}"  # retained status stays on the shared broker: never reuse


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{url}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return _samples(response.text)


@pytest.fixture
def running(broker, tmp_path: Path) -> Iterator[tuple[CentralHandle, World, MqttLink]]:
    """Central (API and worker) with a small registry, and a client playing the gate."""
    settings = CentralSettings(
        database_url=f"sqlite:///{tmp_path}/central.db",
        data_dir=tmp_path / "data",
        mqtt_port=broker.port,
        api_port=0,
        worker_id=uuid.uuid4().hex[:8],
    )
    handle = build_central(settings)
    world = build_world(handle.engine, handle.keyring, gate_id=GATE)
    handle.start()
    gate = MqttLink(f"gate-{uuid.uuid4().hex[:8]}", LinkOptions(port=broker.port))
    gate.start()
    yield handle, world, gate
    gate.stop()
    handle.stop()


def test_metrics_move_with_real_decisions(running: tuple[CentralHandle, World, MqttLink]) -> None:
    handle, world, gate = running
    assert handle.api_url
    before = _scrape(handle.api_url)
    answers: queue.Queue[bytes] = queue.Queue()
    gate.subscribe(topics.gate_decisions(GATE), lambda t, p: answers.put(p))
    gate.publish(
        topics.gate_status(GATE),
        GateStatus(GATE, "online", "ok", "ok", 7, datetime.now(UTC), 1).to_json(),
        retain=True,
    )
    scans = [world.scan("zhang"), world.scan("li"), world.scan("staff", celsius=38.3)]
    for topic, payload in scans:
        gate.publish(topic, payload)
    got = [DecisionMessage.from_json(answers.get(timeout=10)) for _ in scans]
    assert sorted(d.reason.value for d in got) == ["fever", "household_day_used", "ok"]
    gate.publish(topics.gate_events(GATE), b"{broken")  # a dead letter, no answer
    gate.publish(*scans[0])  # a duplicate, answered from the log, not decided again
    assert DecisionMessage.from_json(answers.get(timeout=10)).event_id == got[0].event_id

    def moved(after: dict, name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    deadline = datetime.now(UTC).timestamp() + 10
    while True:  # the dead letter and the status are handled on the worker's thread: wait for them
        after = _scrape(handle.api_url)
        if (
            moved(after, "campusgate_dead_letters_total") == 1
            and after.get(("campusgate_gate_outbox_backlog", (("gate", GATE),))) == 7
        ):
            break
        assert datetime.now(UTC).timestamp() < deadline, "dead letter or gate status never counted"
    assert moved(after, "campusgate_events_total") == 5
    assert moved(after, "campusgate_decisions_total", verdict="allow", reason="ok") == 1
    assert moved(after, "campusgate_decisions_total", verdict="deny", reason="household_day_used") == 1
    assert moved(after, "campusgate_decisions_total", verdict="deny", reason="fever") == 1
    assert moved(after, "campusgate_duplicate_events_total") == 1
    assert moved(after, "campusgate_decision_seconds_count") == 5
    assert after[("campusgate_gates", (("state", "online"),))] == 1
    assert after[("campusgate_dead_letters_stored", ())] == 1
    assert after[("campusgate_fever_alerts_open", ())] == 1
    assert after[("campusgate_database_up", ())] == 1
    assert after[("campusgate_schema_current", ())] == 1
    assert after[("campusgate_broker_connected", ())] == 1


def test_health_and_ready(running: tuple[CentralHandle, World, MqttLink]) -> None:
    handle, _, _ = running
    assert httpx.get(f"{handle.api_url}/health", timeout=5).json() == {"status": "alive"}
    ready = httpx.get(f"{handle.api_url}/ready", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "migrations": True, "broker": True}
    with handle.engine.begin() as conn:  # a database an older release left behind
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    ready = httpx.get(f"{handle.api_url}/ready", timeout=5)
    assert ready.status_code == 503
    assert ready.json()["checks"]["migrations"] is False
    assert "campusgate db upgrade" in ready.json()["problems"][0]


def test_a_worker_without_the_api_serves_its_own(broker, tmp_path: Path) -> None:
    port = free_port()
    settings = CentralSettings(
        database_url=f"sqlite:///{tmp_path}/central.db",
        data_dir=tmp_path / "data",
        mqtt_port=broker.port,
        metrics_port=port,
        worker_id=uuid.uuid4().hex[:8],
    )
    handle = build_central(settings, api=False)
    handle.start()
    try:
        url = f"http://127.0.0.1:{port}"
        samples = _scrape(url)
        assert samples[("campusgate_broker_connected", ())] == 1
        assert ("campusgate_database_up", ()) not in samples  # the database's gauges: the API's alone
        assert httpx.get(f"{url}/ready", timeout=5).json()["checks"]["broker"] is True
        handle.worker.link.stop()  # type: ignore[union-attr]
        assert httpx.get(f"{url}/ready", timeout=5).status_code == 503
    finally:
        handle.stop()


def test_every_line_of_a_decision_carries_its_event_id(world: World) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(EventIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        topic, payload = world.scan("zhang")
        world.service.handle(topic, payload, datetime.now(UTC))
        world.service.handle(topic, payload, datetime.now(UTC))  # the duplicate's lines too
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    event_id = json.loads(payload)["event_id"]
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    decision_lines = [x for x in lines if x["logger"].startswith("central.")]
    assert any(x["message"].startswith(f"decision {event_id}") for x in decision_lines)
    assert any("duplicate" in x["message"] for x in decision_lines)
    assert decision_lines and all(x["event_id"] == event_id for x in decision_lines)
