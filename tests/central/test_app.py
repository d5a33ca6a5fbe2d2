"""The bootstrap: build, seed, start worker and API in threads, answer over MQTT and HTTP, stop."""

from __future__ import annotations

import queue
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from central.app import build_central
from central.demo.seed import demo_passes, seed_demo
from central.models.db import session_scope
from central.settings import CentralSettings
from gatecore import topics
from gatecore.ids import uuid7
from gatecore.messages import DecisionMessage, GateConfig, ScanEvent, Temperature
from gatecore.reasons import Reason
from gatecore.thermoline import SensorStatus
from tests.api_auth import bearer
from transport.mqtt import LinkOptions, MqttLink


def test_build_seed_start_and_stop(broker, tmp_path: Path) -> None:
    settings = CentralSettings(
        database_url=f"sqlite:///{tmp_path}/db/central.models.db",
        data_dir=tmp_path / "data",
        mqtt_port=broker.port,
        api_port=0,
        worker_id=uuid.uuid4().hex[:8],
    )
    handle = build_central(settings)
    now = datetime.now(UTC)
    with session_scope(handle.engine) as s:
        seed_demo(s, handle.keyring, date.today())
        [staff] = [p for p in demo_passes(s, handle.keyring, campus_code="changfeng", roles={"staff"})][:1]
    assert (tmp_path / "data" / "keys" / "kid-1.pem").exists()
    handle.start()
    link = MqttLink(f"test-{uuid.uuid4().hex[:8]}", LinkOptions(port=broker.port))
    try:
        got: queue.Queue = queue.Queue()
        link.subscribe(topics.gate_config("changfeng-east"), lambda t, p: got.put(p))
        link.subscribe(topics.gate_decisions("changfeng-east"), lambda t, p: got.put(p))
        link.start()
        assert GateConfig.from_json(got.get(timeout=10)).gate_id == "changfeng-east"
        event = ScanEvent(
            event_id=uuid7(int(now.timestamp() * 1000), uuid.uuid4().bytes),
            gate_id="changfeng-east",
            seq=1,
            gate_time=now,
            qr=staff.token,
            temperature=Temperature(36.4, SensorStatus.OK),
        )
        link.publish(topics.gate_events("changfeng-east"), event.to_json())
        assert DecisionMessage.from_json(got.get(timeout=10)).reason is Reason.OK
        assert handle.api_url is not None
        assert httpx.get(f"{handle.api_url}/api/v1/health", timeout=5).json()["database"] is True
        assert handle.app is not None
        entries = httpx.get(
            f"{handle.api_url}/api/v1/entries",
            params={"gate_id": "changfeng-east"},
            headers=bearer(handle.app, handle.engine, "auditor"),
            timeout=5,
        )
        assert entries.json()["count"] == 1
    finally:
        link.stop()
        handle.stop()
    try:
        httpx.get(f"{handle.api_url}/api/v1/health", timeout=1)
        raise AssertionError("the API still answers after stop()")
    except httpx.TransportError:
        pass
