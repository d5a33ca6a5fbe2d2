"""A new gate receives its config through a real broker: at once when the office creates it, and again
whenever a gate says it has none (status with config version 0, e.g. its retained config was lost)."""

from __future__ import annotations

import os
import queue
import time
from datetime import UTC, datetime

import httpx
from sqlmodel import Session, select

from central.app import CentralHandle
from central.models.registry import Campus, Gate
from central.office.keys import rotate_keys
from central.office.users import ensure_admin
from gatecore import topics
from gatecore.ids import uuid7
from gatecore.messages import GateConfig, GateStatus, ScanEvent, Temperature
from gatecore.thermoline import SensorStatus
from transport.mqtt import LinkOptions, MqttLink


def _retained_config(broker, gate_id: str, timeout: float = 5.0) -> GateConfig:  # type: ignore[no-untyped-def]
    """The retained config a gate connecting now would get (a fresh subscriber receives it)."""
    got: queue.Queue[tuple[bytes, bool]] = queue.Queue()
    link = MqttLink(f"cfg-probe-{os.getpid()}-{time.monotonic_ns()}", LinkOptions(port=broker.port))
    link.subscribe_with_retain(topics.gate_config(gate_id), lambda _t, p, r: got.put((p, r)), qos=1)
    link.start(wait=5)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                payload, _retained = got.get(timeout=0.2)
            except queue.Empty:
                continue
            if payload:
                return GateConfig.from_json(payload)
        raise AssertionError(f"no retained config for {gate_id} within {timeout} s")
    finally:
        link.stop()


def test_a_created_gate_and_a_gate_without_config_get_a_retained_config(
    central: CentralHandle, broker
) -> None:  # type: ignore[no-untyped-def]
    with Session(central.engine) as s:
        ensure_admin(s, "admin", "new-gate-test")
        campus_id = s.exec(select(Campus.id)).first()
        s.commit()
    token = httpx.post(
        f"{central.api_url}/api/v1/auth/token",
        data={"username": "admin", "password": "new-gate-test"},
        timeout=5,
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    body = {"gate_id": "brand-new", "campus_id": campus_id, "name_zh": "新门"}
    assert (
        httpx.post(f"{central.api_url}/api/v1/gates", json=body, headers=auth, timeout=5).status_code == 201
    )
    config = _retained_config(broker, "brand-new")
    assert config.gate_id == "brand-new" and config.policy["version"] >= 1

    # the retained config is lost (a broker without persistence); the gate says it has version 0
    pub = MqttLink(f"cfg-gate-{os.getpid()}", LinkOptions(port=broker.port))
    pub.start(wait=5)
    try:
        pub.publish(topics.gate_config("brand-new"), b"", qos=1, retain=True)  # clears the retained one
        status = GateStatus(gate_id="brand-new", state="online", at=datetime.now(UTC), policy_version=0)
        pub.publish(topics.gate_status("brand-new"), status.to_json(), qos=1, retain=True)
        assert _retained_config(broker, "brand-new").gate_id == "brand-new"
    finally:
        pub.publish(topics.gate_status("brand-new"), b"", qos=1, retain=True)
        pub.stop()


def test_a_key_rotation_reaches_the_gates_without_restarting_central(central: CentralHandle, broker) -> None:  # type: ignore[no-untyped-def]
    """`campusgate keys rotate` runs in another process; the running central learns it with the next
    batch it decides and republishes every gate's config with the new public key beside the old."""
    with Session(central.engine) as s:
        gate_id = s.exec(select(Gate.gate_id).order_by(Gate.gate_id)).first()
    assert gate_id is not None
    assert sorted(_retained_config(broker, gate_id).public_keys) == ["1"]
    rotate_keys(central.settings, central.engine)
    event = ScanEvent(
        event_id=uuid7(int(time.time() * 1000), os.urandom(10)),
        gate_id=gate_id,
        seq=1,
        gate_time=datetime.now(UTC),
        qr="not a pass",
        temperature=Temperature(36.5, SensorStatus.OK),
    )
    link = MqttLink(f"rotate-gate-{os.getpid()}", LinkOptions(port=broker.port))
    link.start(wait=5)
    try:
        link.publish(topics.gate_events(gate_id), event.to_json(), qos=1)  # any scan: a batch decided
        deadline = time.monotonic() + 10
        while sorted(_retained_config(broker, gate_id).public_keys) != ["1", "2"]:
            assert time.monotonic() < deadline, "the gates never got the new key"
            time.sleep(0.2)
    finally:
        link.stop()
    assert central.keyring.signing_kid == 2  # the console signs new passes with it too
